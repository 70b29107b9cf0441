/* forkbomb: forks until fork fails with EAGAIN (the kernel's process limit),
 * then releases every child and reaps them all.
 *
 * RUN INSIDE TAMIX ONLY. Never run it natively: root on Linux has no
 * RLIMIT_NPROC limit, so it would fill the host's process table. As a last
 * resort it stops at 100000 children and reports failure. */
#include "tamix_test.h"
#include <sys/wait.h>

#define CAP 100000

int main(void)
{
	int fd[2];
	if (pipe(fd) != 0)
		return 2;
	long n = 0;
	int err = 0;
	for (;;) {
		if (n >= CAP)
			break;
		pid_t p = fork();
		if (p == 0) {
			char c;
			close(fd[1]);
			read(fd[0], &c, 1); /* returns 0 once the parent closes the write end */
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		n++;
	}
	close(fd[1]); /* release the children */
	long reaped = 0;
	int clean = 1, st;
	while (wait4(-1, &st, 0, NULL) > 0) {
		reaped++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			clean = 0;
	}
	CHECK(err == EAGAIN, "fork failed with EAGAIN");
	CHECK(reaped == n && clean && errno == ECHILD, "all children exited and were reaped");
	return t_done();
}
