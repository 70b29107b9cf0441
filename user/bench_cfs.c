/* bench_cfs [SECONDS]: two CPU-bound children pinned to CPU 0
 * (sched_setaffinity), one at nice 0 and one at nice 5, spin for SECONDS
 * (default 2; fractions allowed) of wall time and report their loop counts.
 * CFS weights 1024:335 predict a ratio of about 3.06.
 * Prints "cfs: nice0/nice5 loop ratio X (CFS weights: 3.06)". */
#define _GNU_SOURCE
#include "bench.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long spin_until(long long end)
{
	long loops = 0;
	volatile unsigned long x = 0;
	for (;;) {
		for (int i = 0; i < 1000; i++)
			x += i;
		loops++;
		if ((loops & 63) == 0 && now_ns() >= end)
			return loops;
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	int res[2], go[2];
	if (pipe(res) || pipe(go))
		die("pipe");
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	static const int nices[2] = { 0, 5 };
	for (int k = 0; k < 2; k++) {
		if (fork() == 0) {
			if (sched_setaffinity(0, sizeof set, &set))
				die("sched_setaffinity");
			if (setpriority(PRIO_PROCESS, 0, nices[k]))
				die("setpriority");
			long long end;
			if (read(go[0], &end, sizeof end) != sizeof end)
				_exit(1);
			long loops = spin_until(end);
			long msg[2] = { k, loops };
			write(res[1], msg, sizeof msg);
			_exit(0);
		}
	}
	long long end = now_ns() + 50000000LL + (long long)(secs * 1e9);
	write(go[1], &end, sizeof end);
	write(go[1], &end, sizeof end);
	long loops[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		long msg[2];
		if (read(res[0], msg, sizeof msg) != sizeof msg)
			die("read");
		loops[msg[0]] = msg[1];
	}
	while (wait(NULL) > 0)
		;
	printf("cfs: nice0=%ld nice5=%ld loops, ratio %.2f (CFS weights: 3.06)\n", loops[0], loops[1],
	       loops[1] ? (double)loops[0] / loops[1] : 0.0);
	return 0;
}
