/* threadexit: a process outlives its main thread (delay_group_leader).
 * The main thread calls pthread_exit; another thread goes on, and the
 * parent can reap the process only when it is gone, with the status of
 * the process's exit (exit_group), not the main thread's. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "tamix_test.h"

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *worker(void *arg)
{
	msleep(200);
	exit((int)(long)arg); /* exit_group: the whole process ends */
}

static void *idler(void *arg)
{
	(void)arg;
	msleep(200);
	/* The raw thread exit: musl's pthread_exit in the last thread waits
	 * for the main thread's (exited) detach state and never returns. */
	syscall(SYS_exit, 0);
	return NULL;
}

/* child runs the main thread's exit with one more thread left. */
static void child(void *(*fn)(void *), long code)
{
	pthread_t t;
	pthread_create(&t, NULL, fn, (void *)code);
	pthread_exit(NULL);
}

int main(void)
{
	int st;
	pid_t p = fork();
	if (p == 0)
		child(worker, 7);
	msleep(50);
	CHECK_EQ(waitpid(p, &st, WNOHANG), 0, "a process whose main thread exited is not reapable while a thread runs");
	CHECK_EQ(kill(p, 0), 0, "and it still exists");
	CHECK_EQ(waitpid(p, &st, 0), p, "it is reaped when its last thread exits");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "with the exit_group status, not the main thread's");

	p = fork();
	if (p == 0)
		child(idler, 0);
	CHECK_EQ(waitpid(p, &st, 0), p, "the last thread returning ends the process");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "with status 0");

	/* SIGCHLD comes once, when the process ends. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	p = fork();
	if (p == 0)
		child(worker, 3);
	msleep(50);
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGCHLD), "no SIGCHLD when only the main thread exited");
	int sig = 0;
	CHECK_EQ(sigwait(&set, &sig), 0, "SIGCHLD when the process ends");
	CHECK_EQ(waitpid(p, &st, 0), p, "reaped");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status 3");
	return t_done();
}
