/* bench_pipe_bw [MB]: streams MB MiB (default 128) through a pipe in 64 KiB
 * writes to a child that reads and discards. Prints "pipe bandwidth: X MB/s". */
#include "bench.h"
#include <string.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long mb = arg_long(argc, argv, 1, 128);
	static char buf[65536];
	int fd[2];
	if (pipe(fd))
		die("pipe");
	pid_t p = fork();
	if (p == 0) {
		close(fd[1]);
		while (read(fd[0], buf, sizeof buf) > 0)
			;
		_exit(0);
	}
	close(fd[0]);
	memset(buf, 'x', sizeof buf);
	long chunks = mb * 16;
	long long t0 = now_ns();
	for (long i = 0; i < chunks; i++)
		for (size_t off = 0; off < sizeof buf;) {
			ssize_t w = write(fd[1], buf + off, sizeof buf - off);
			if (w <= 0)
				die("write");
			off += w;
		}
	close(fd[1]);
	waitpid(p, NULL, 0);
	long long t1 = now_ns();
	printf("pipe bandwidth: %.1f MB/s\n", (double)mb * 1048576 / ((double)(t1 - t0) / 1e9) / 1e6);
	return 0;
}
