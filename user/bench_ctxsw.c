/* bench_ctxsw [NPROC] [ROUNDS]: passes a token around a ring of NPROC
 * processes (default 4) connected by pipes, ROUNDS times (default 5000).
 * Prints "context switch (token hop): X us". */
#include "bench.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	int np = (int)arg_long(argc, argv, 1, 4);
	long rounds = arg_long(argc, argv, 2, 5000);
	if (np < 2 || np > 64)
		np = 4;
	int fds[64][2];
	for (int i = 0; i < np; i++)
		if (pipe(fds[i]))
			die("pipe");
	/* process i reads fds[i] and writes fds[(i+1)%np]; process 0 is us */
	for (int i = 1; i < np; i++) {
		if (fork() == 0) {
			char c;
			for (;;) {
				if (read(fds[i][0], &c, 1) != 1)
					_exit(0);
				if (c == 'q') {
					write(fds[(i + 1) % np][1], &c, 1);
					_exit(0);
				}
				write(fds[(i + 1) % np][1], &c, 1);
			}
		}
	}
	char c = 't';
	long long t0 = now_ns();
	for (long r = 0; r < rounds; r++) {
		write(fds[1][1], &c, 1);
		if (read(fds[0][0], &c, 1) != 1)
			die("read");
	}
	long long t1 = now_ns();
	c = 'q';
	write(fds[1][1], &c, 1);
	read(fds[0][0], &c, 1);
	while (wait(NULL) > 0)
		;
	printf("context switch (token hop, %d processes): %.2f us\n", np, (double)(t1 - t0) / (rounds * np) / 1000);
	return 0;
}
