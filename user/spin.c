/* spin [SECONDS] [LABEL]: CPU-bound loop for SECONDS of wall time (default 1,
 * fractions allowed); prints "spin LABEL: loops=N wall_ms=W cpu_ms=C" where
 * cpu_ms is CLOCK_PROCESS_CPUTIME_ID time. For scheduler tests. */
#include "bench.h"

static long long cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	const char *label = argc > 2 ? argv[2] : "-";
	long long t0 = now_ns(), c0 = cpu_ns(), end = t0 + (long long)(secs * 1e9), t1;
	long loops = 0;
	volatile unsigned long x = 0;
	for (;;) {
		for (int i = 0; i < 1000; i++)
			x += i;
		loops++;
		if ((loops & 63) == 0 && (t1 = now_ns()) >= end)
			break;
	}
	long long c1 = cpu_ns();
	printf("spin %s: loops=%ld wall_ms=%lld cpu_ms=%lld\n", label, loops, (t1 - t0) / 1000000, (c1 - c0) / 1000000);
	return 0;
}
