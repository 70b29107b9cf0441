/* vdsotest: the vDSO. AT_SYSINFO_EHDR names an ELF object; clock_gettime,
 * gettimeofday and time through libc (which calls the vDSO) agree with the
 * system calls and never go backwards against them; clocks the vDSO does
 * not handle still work. With an argument N, prints the cost of N calls of
 * clock_gettime(CLOCK_MONOTONIC) (not compared with Linux). */
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include "tamix_test.h"

/* maps_vdso returns the start of the [vdso] line of /proc/self/maps. */
static unsigned long maps_vdso(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long start = 0;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "[vdso]"))
			start = strtoul(line, NULL, 16);
	if (f)
		fclose(f);
	return start;
}

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static int never_backwards(clockid_t c, int rounds)
{
	struct timespec a, b;
	for (int i = 0; i < rounds; i++) {
		clock_gettime(c, &a);
		syscall(SYS_clock_gettime, c, &b);
		if (ns(&b) < ns(&a))
			return 0;
		clock_gettime(c, &a);
		if (ns(&a) < ns(&b))
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		long n = atol(argv[1]);
		struct timespec t0, t1, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &t);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		t_printf("clock_gettime: %.1f ns/call\n", (double)(ns(&t1) - ns(&t0)) / n);
		return 0;
	}
	const unsigned char *eh = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	CHECK(eh != NULL, "AT_SYSINFO_EHDR names a vDSO");
	CHECK(eh && eh[0] == 0x7f && eh[1] == 'E' && eh[2] == 'L' && eh[3] == 'F', "which starts with an ELF header");
	CHECK(maps_vdso() == (unsigned long)eh, "/proc/self/maps names it [vdso]");
	CHECK(never_backwards(CLOCK_MONOTONIC, 20000), "CLOCK_MONOTONIC: libc and the system call never go backwards");
	CHECK(never_backwards(CLOCK_REALTIME, 20000), "CLOCK_REALTIME: likewise");
	CHECK(never_backwards(CLOCK_BOOTTIME, 2000), "CLOCK_BOOTTIME: likewise");

	struct timespec rt;
	struct timeval tv;
	clock_gettime(CLOCK_REALTIME, &rt);
	CHECK_EQ(gettimeofday(&tv, NULL), 0, "gettimeofday");
	long long d = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL - ns(&rt);
	CHECK(d > -1000 && d < 100000000, "gettimeofday follows clock_gettime(CLOCK_REALTIME) (to the microsecond)");
	time_t s = time(NULL);
	CHECK(s >= rt.tv_sec && s - rt.tv_sec < 2, "time() follows it too");
	time_t s2;
	CHECK(time(&s2) == s2, "time(&t) stores what it returns");

	struct timespec cpu;
	CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu), 0, "a CPU-time clock still works (system call)");
	CHECK(clock_gettime(12345, &cpu) == -1 && errno == EINVAL, "an unknown clock is EINVAL");
	struct timespec res;
	CHECK_EQ(clock_getres(CLOCK_MONOTONIC, &res), 0, "clock_getres");
	return t_done();
}
