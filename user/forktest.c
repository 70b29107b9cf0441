/* forktest: fork return values, what the child sees, and wait4 status
 * reporting (exit codes, signals, WNOHANG, ECHILD, waiting for one pid).
 * Children report through their exit status only; all output is the parent's. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static int counter = 100;

static pid_t child_exit(int code)
{
	pid_t p = fork();
	if (p == 0)
		_exit(code);
	return p;
}

static int wait_code(pid_t p)
{
	int st = -1;
	if (wait4(p, &st, 0, NULL) != p)
		return -1000;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

int main(void)
{
	pid_t me = getpid();
	int st;

	/* fork return values and the child's view */
	pid_t p = fork();
	if (p == 0) {
		int bad = 0;
		if (getppid() != me) bad |= 1;
		if (getpid() == me) bad |= 2;
		if (syscall(SYS_gettid) != getpid()) bad |= 4;
		if (counter != 100) bad |= 8;
		counter = 7;
		_exit(bad);
	}
	CHECK(p > 0, "fork returns the child's pid in the parent");
	st = -1;
	CHECK(wait4(p, &st, 0, NULL) == p, "wait4 returns the child's pid");
	CHECK(WIFEXITED(st), "child exited normally");
	CHECK(WEXITSTATUS(st) == 0, "child saw getppid()==parent, its own pid, gettid()==getpid(), parent's memory");
	if (WIFEXITED(st) && WEXITSTATUS(st))
		t_printf("# child reported %#x\n", WEXITSTATUS(st));
	CHECK(counter == 100, "child's write is not visible to the parent");
	CHECK(getpid() == me, "parent's pid unchanged");

	/* exit codes */
	static const int codes[] = { 0, 1, 42, 255 };
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "wait4 reports exit code %d", codes[i]);
		CHECK(wait_code(child_exit(codes[i])) == codes[i], name);
	}
	CHECK(wait_code(child_exit(256 + 3)) == 3, "exit code is truncated to 8 bits");

	p = fork();
	if (p == 0)
		exit(5); /* libc exit: atexit, flush, exit_group */
	CHECK(wait_code(p) == 5, "exit() via exit_group reports its code");
	p = fork();
	if (p == 0)
		syscall(SYS_exit, 6); /* exit of the only thread ends the process */
	CHECK(wait_code(p) == 6, "SYS_exit of the only thread reports its code");

	/* status pointer NULL, rusage non-NULL */
	p = child_exit(9);
	struct rusage ru;
	CHECK(wait4(p, NULL, 0, &ru) == p, "wait4 with NULL status and an rusage");

	/* killed by SIGSEGV */
	p = fork();
	if (p == 0) {
		volatile int *z = (volatile int *)0;
		_exit(*z);
	}
	st = 0;
	CHECK(wait4(p, &st, 0, NULL) == p, "wait4 on a faulting child");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "WIFSIGNALED with SIGSEGV for a null dereference");
	CHECK(!WIFEXITED(st), "a killed child is not WIFEXITED");

	/* WNOHANG, then SIGKILL */
	p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	st = 12345;
	CHECK(wait4(p, &st, WNOHANG, NULL) == 0, "WNOHANG returns 0 while the child runs");
	CHECK(kill(p, 0) == 0, "kill(pid, 0) finds a live child");
	CHECK(kill(p, SIGKILL) == 0, "kill SIGKILL");
	st = 0;
	CHECK(wait4(p, &st, 0, NULL) == p, "wait4 on a killed child");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "WIFSIGNALED with SIGKILL");
	CHECK_ERR(kill(p, 0), ESRCH, "kill(pid, 0) of a reaped child is ESRCH");

	/* a child that exits before we wait stays a zombie until reaped */
	p = child_exit(17);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	CHECK(wait_code(p) == 17, "status kept until the parent waits");

	/* WNOHANG on an exited child returns it */
	p = child_exit(18);
	pid_t r;
	int spins = 0;
	while ((r = wait4(p, &st, WNOHANG, NULL)) == 0 && spins++ < 5000)
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	CHECK(r == p && WIFEXITED(st) && WEXITSTATUS(st) == 18, "WNOHANG returns an exited child");

	/* waitpid for a specific pid, out of order */
	pid_t a = child_exit(3), b = child_exit(4);
	st = 0;
	CHECK(waitpid(b, &st, 0) == b && WEXITSTATUS(st) == 4, "waitpid for the second child first");
	st = 0;
	CHECK(waitpid(a, &st, 0) == a && WEXITSTATUS(st) == 3, "waitpid for the first child");

	/* wait4(-1) and waitpid(0) reap any child */
	a = child_exit(21);
	st = 0;
	CHECK(wait4(-1, &st, 0, NULL) == a && WEXITSTATUS(st) == 21, "wait4(-1) reaps any child");
	a = child_exit(22);
	st = 0;
	CHECK(waitpid(0, &st, 0) == a && WEXITSTATUS(st) == 22, "waitpid(0) reaps a child in our process group");
	a = child_exit(23);
	CHECK(wait(&st) == a && WEXITSTATUS(st) == 23, "wait() reaps a child");

	/* errors */
	CHECK_ERR(wait4(-1, &st, 0, NULL), ECHILD, "wait4(-1) without children is ECHILD");
	CHECK_ERR(wait4(-1, &st, WNOHANG, NULL), ECHILD, "wait4(-1, WNOHANG) without children is ECHILD");
	CHECK_ERR(waitpid(getppid(), &st, 0), ECHILD, "waitpid of a non-child is ECHILD");
	CHECK_ERR(wait4(-1, &st, 0x40000, NULL), EINVAL, "wait4 with unknown option bits is EINVAL");
	a = child_exit(0);
	CHECK_ERR(wait4(a, (int *)0xffff800000000000UL, 0, NULL), EFAULT, "wait4 with a kernel status pointer is EFAULT");
	wait4(a, NULL, 0, NULL);

	/* nested: the grandchild is not ours */
	p = fork();
	if (p == 0) {
		pid_t g = child_exit(31);
		int s2 = 0;
		_exit(wait4(g, &s2, 0, NULL) == g && WEXITSTATUS(s2) == 31 ? 32 : 1);
	}
	CHECK(wait_code(p) == 32, "a child waits for its own child");
	CHECK_ERR(wait4(-1, &st, 0, NULL), ECHILD, "no children left");

	return t_done();
}
