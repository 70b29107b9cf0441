/* sleeplat [N] [USEC]: sleeps USEC microseconds (default 1000) N times
 * (default 200) with nanosleep and reports how late each wake-up was:
 * "sleeplat: n=N sleep_us=U late_us avg=A p99=P max=M". For the scheduler
 * tests (wake-up latency under load); timings, so not oracle-compared. */
#include "bench.h"

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 200);
	long us = arg_long(argc, argv, 2, 1000);
	if (n < 1 || n > 100000 || us < 0)
		die("arguments");
	long long *late = malloc(n * sizeof *late);
	if (!late)
		die("malloc");
	long long sum = 0;
	for (long i = 0; i < n; i++) {
		struct timespec d = { us / 1000000, us % 1000000 * 1000 };
		long long t0 = now_ns();
		if (nanosleep(&d, NULL))
			die("nanosleep");
		late[i] = now_ns() - t0 - us * 1000LL;
		sum += late[i];
	}
	qsort(late, n, sizeof *late, cmp);
	printf("sleeplat: n=%ld sleep_us=%ld late_us avg=%lld p99=%lld max=%lld\n", n, us,
	       sum / n / 1000, late[n * 99 / 100 > n - 1 ? n - 1 : n * 99 / 100] / 1000, late[n - 1] / 1000);
	return 0;
}
