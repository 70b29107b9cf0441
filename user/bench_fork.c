/* bench_fork [N]: fork + child _exit + wait4, N times (default 300).
 * Prints "fork+exit+wait: X us". */
#include "bench.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 300);
	long long t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p < 0)
			die("fork");
		int st;
		if (wait4(p, &st, 0, NULL) != p)
			die("wait4");
	}
	long long t1 = now_ns();
	printf("fork+exit+wait: %.1f us\n", (double)(t1 - t0) / n / 1000);
	return 0;
}
