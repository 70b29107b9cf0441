/* bench_forkexec [N] [PATH]: fork + execve(PATH, default /bin/true) + wait4,
 * N times (default 100). Prints "fork+exec+wait: X us". */
#include "bench.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 100);
	char *path = argc > 2 ? argv[2] : "/bin/true";
	char *av[] = { "true", NULL }, *ev[] = { NULL };
	long long t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execve(path, av, ev);
			_exit(127);
		}
		if (p < 0)
			die("fork");
		int st;
		if (wait4(p, &st, 0, NULL) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench_forkexec: %s failed\n", path);
			return 1;
		}
	}
	long long t1 = now_ns();
	printf("fork+exec+wait: %.1f us\n", (double)(t1 - t0) / n / 1000);
	return 0;
}
