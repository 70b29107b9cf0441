/* sigdefault: default signal actions, observed through fork + kill + wait.
 * Terminate (SIGUSR1, SIGTERM, ...), terminate+core (SIGQUIT, SIGSEGV, ...;
 * WCOREDUMP is not checked), ignore (SIGCHLD, SIGWINCH, SIGURG), stop and
 * continue (SIGSTOP, SIGCONT with WUNTRACED/WCONTINUED), SIGCHLD set to
 * SIG_IGN auto-reaps children, a blocked fatal signal kills on unblock. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

static pid_t sleeper(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

/* A child that raises sig on itself; returns its wait status. */
static int raise_in_child(int sig)
{
	pid_t p = fork();
	if (p == 0) {
		struct rlimit rl = { 0, 0 };
		setrlimit(RLIMIT_CORE, &rl); /* no core files on the host */
		raise(sig);
		_exit(99);
	}
	int st = 0;
	waitpid(p, &st, 0);
	return st;
}

int main(void)
{
	int st;
	char name[96];

	/* SIGCHLD is ignored by default: a child's exit does not interrupt us */
	pid_t p = fork();
	if (p == 0)
		_exit(3);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	CHECK(nanosleep(&ts, NULL) == 0, "SIGCHLD (default: ignore) does not interrupt nanosleep");
	st = 0;
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 3, "child reaped after SIGCHLD was ignored");

	/* default ignore: to ourselves */
	CHECK(kill(getpid(), SIGCHLD) == 0, "SIGCHLD to self is ignored");
	CHECK(kill(getpid(), SIGWINCH) == 0, "SIGWINCH to self is ignored");
	CHECK(kill(getpid(), SIGURG) == 0, "SIGURG to self is ignored");
	CHECK(kill(getpid(), SIGCONT) == 0, "SIGCONT to a running self does nothing");

	/* SIGUSR1 from the parent terminates */
	p = sleeper();
	msleep(20);
	kill(p, SIGUSR1);
	st = 0;
	CHECK(waitpid(p, &st, 0) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1, "SIGUSR1 default action terminates the child");

	/* terminate and core-dump actions, raised by the child itself */
	static const int fatal[] = { SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
				     SIGUSR2, SIGSEGV, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU, SIGSYS, 40 /* real-time */ };
	for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
		st = raise_in_child(fatal[i]);
		snprintf(name, sizeof name, "signal %d default action kills the process", fatal[i]);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == fatal[i], name);
	}
	static const int ign[] = { SIGCHLD, SIGURG, SIGWINCH };
	for (unsigned i = 0; i < sizeof ign / sizeof ign[0]; i++) {
		st = raise_in_child(ign[i]);
		snprintf(name, sizeof name, "signal %d default action is ignore", ign[i]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 99, name);
	}

	/* stop and continue */
	p = sleeper();
	CHECK(kill(p, SIGSTOP) == 0, "kill SIGSTOP");
	st = 0;
	CHECK(waitpid(p, &st, WUNTRACED) == p && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "WUNTRACED reports the stop");
	CHECK(waitpid(p, &st, WNOHANG | WUNTRACED) == 0, "a stop is reported once");
	CHECK(kill(p, SIGCONT) == 0, "kill SIGCONT");
	st = 0;
	CHECK(waitpid(p, &st, WCONTINUED) == p && WIFCONTINUED(st), "WCONTINUED reports the continue");
	kill(p, SIGSTOP);
	waitpid(p, &st, WUNTRACED);
	CHECK(kill(p, SIGKILL) == 0, "SIGKILL to a stopped child");
	st = 0;
	CHECK(waitpid(p, &st, 0) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "stopped child dies of SIGKILL");
	/* SIGTSTP is not tested: Linux discards it for an orphaned process group,
	 * which is what a program started by script(1) or a session leader is in. */

	/* a blocked fatal signal stays pending and kills on unblock */
	int fd[2];
	pipe(fd);
	p = fork();
	if (p == 0) {
		sigset_t m, pend;
		sigemptyset(&m);
		sigaddset(&m, SIGTERM);
		sigprocmask(SIG_BLOCK, &m, NULL);
		write(fd[1], "r", 1);
		for (int i = 0; i < 5000; i++) {
			sigpending(&pend);
			if (sigismember(&pend, SIGTERM))
				break;
			msleep(1);
		}
		sigprocmask(SIG_UNBLOCK, &m, NULL);
		_exit(42);
	}
	char c;
	read(fd[0], &c, 1);
	kill(p, SIGTERM);
	st = 0;
	CHECK(waitpid(p, &st, 0) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "blocked SIGTERM kills when unblocked");
	close(fd[0]);
	close(fd[1]);

	/* SIGCHLD set to SIG_IGN: children are reaped automatically */
	signal(SIGCHLD, SIG_IGN);
	p = fork();
	if (p == 0)
		_exit(0);
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD, "with SIGCHLD ignored, wait blocks until the child exits, then ECHILD");
	signal(SIGCHLD, SIG_DFL);

	return t_done();
}
