/* execthread: execve from a non-leader thread (de_thread): the other threads
 * die, the exec'ing thread takes over the thread group's PID, and the new
 * image runs single-threaded with the same parent. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "tamix_test.h"

static char pidbuf[32], ppidbuf[32], *self;

static void *sleeper(void *a) { (void)a; for (;;) pause(); return 0; }

static void *execer(void *a)
{
	(void)a;
	char *av[] = { self, "child", pidbuf, ppidbuf, NULL };
	execv(self, av);
	execv("/bin/execthread", av); /* tamix: programs live in /bin, cwd is / */
	t_printf("not ok - execv failed\n");
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "child") == 0) {
		CHECK(getpid() == atoi(argv[2]), "the new image has the thread group's PID");
		CHECK(syscall(SYS_gettid) == getpid(), "and is its only thread (tid == pid)");
		CHECK(getppid() == atoi(argv[3]), "with the same parent");
		return t_done();
	}
	self = argv[0];
	snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
	snprintf(ppidbuf, sizeof ppidbuf, "%d", getppid());
	pthread_t a, b;
	pthread_create(&a, 0, sleeper, 0);
	pthread_create(&b, 0, execer, 0);
	pthread_join(b, 0);
	t_printf("not ok - execve did not replace the process\n");
	return 1;
}
