/* orphan: a child exits before its own child; the grandchild is reparented to
 * init and sees getppid() == 1 (within 5 s). It reports through a pipe, as it
 * is no longer our child. On the host, the reaper must be PID 1 (no
 * PR_SET_CHILD_SUBREAPER ancestor, e.g. systemd --user, for the test to pass). */
#include "tamix_test.h"
#include <sys/wait.h>
#include <time.h>

int main(void)
{
	int fd[2];
	CHECK(pipe(fd) == 0, "pipe");
	pid_t c = fork();
	if (c == 0) {
		pid_t mid = getpid();
		pid_t g = fork();
		if (g == 0) {
			close(fd[0]);
			char r = 'n';
			/* wait until our parent is gone */
			for (int i = 0; i < 5000 && getppid() == mid; i++)
				nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
			if (getppid() == 1)
				r = 'y';
			else if (getppid() != mid)
				r = 'o'; /* reparented, but not to PID 1 */
			write(fd[1], &r, 1);
			_exit(0);
		}
		_exit(g > 0 ? 0 : 1);
	}
	close(fd[1]);
	int st = -1;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "middle child forked and exited");
	char r = 0;
	CHECK(read(fd[0], &r, 1) == 1, "grandchild reported");
	CHECK(r != 'n', "grandchild noticed its parent exit");
	CHECK(r == 'y', "orphan reparented to PID 1");
	CHECK(read(fd[0], &r, 1) == 0, "pipe at EOF after the grandchild exited");
	CHECK_ERR(wait4(-1, &st, WNOHANG, NULL), ECHILD, "the orphan is not our child");
	return t_done();
}
