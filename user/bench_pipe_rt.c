/* bench_pipe_rt [N]: 1-byte round trips between two processes over two pipes,
 * N times (default 20000). Prints "pipe round trip: X us". */
#include "bench.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 20000);
	int a[2], b[2];
	char c = 'x';
	if (pipe(a) || pipe(b))
		die("pipe");
	pid_t p = fork();
	if (p == 0) {
		close(a[1]);
		close(b[0]);
		for (;;) {
			if (read(a[0], &c, 1) != 1)
				_exit(0);
			write(b[1], &c, 1);
		}
	}
	close(a[0]);
	close(b[1]);
	long long t0 = now_ns();
	for (long i = 0; i < n; i++) {
		write(a[1], &c, 1);
		if (read(b[0], &c, 1) != 1)
			die("read");
	}
	long long t1 = now_ns();
	close(a[1]);
	waitpid(p, NULL, 0);
	printf("pipe round trip: %.2f us\n", (double)(t1 - t0) / n / 1000);
	return 0;
}
