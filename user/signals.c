/* signals: delivery of caught signals. Handler runs for kill() to self before
 * kill returns; SA_SIGINFO fields; the signal itself is blocked in its handler
 * and sa_mask adds more; blocked signals stay pending until unblocked;
 * SA_RESETHAND; SIG_IGN; sigsuspend; a SIGSEGV handler that siglongjmps out;
 * SA_RESTART vs EINTR on a blocking pipe read interrupted by a signal sent
 * from a child (kill, no alarm/setitimer needed); SIGCHLD handler. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t got, order_pos, nested_blocked;
static volatile int order[8];
static volatile int si_signo, si_code, si_pid_ok;
static pid_t mypid;

static void on_sig(int s)
{
	got = s;
	if (order_pos < 8)
		order[order_pos++] = s;
}

static void on_usr1_raise_usr2(int s)
{
	sigset_t m;
	sigprocmask(SIG_BLOCK, NULL, &m);
	nested_blocked = sigismember(&m, SIGUSR1) && sigismember(&m, SIGUSR2);
	order[order_pos++] = s;
	kill(getpid(), SIGUSR2); /* blocked by sa_mask: stays pending */
	order[order_pos++] = 100;
}

static void on_info(int s, siginfo_t *si, void *uc)
{
	(void)uc;
	si_signo = si->si_signo;
	si_code = si->si_code;
	si_pid_ok = si->si_pid == mypid;
	got = s;
}

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code;
static void on_segv(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

static volatile sig_atomic_t chld;
static void on_chld(int s) { (void)s; chld++; }

static void set(int sig, void (*h)(int), int flags, int masksig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (masksig)
		sigaddset(&sa.sa_mask, masksig);
	sigaction(sig, &sa, NULL);
}

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

/* Blocking read on an empty pipe while a child sends SIGUSR1 after 100 ms and
 * writes one byte after 300 ms. Returns read's result; *err gets errno. */
static long interrupted_read(int flags, int *err)
{
	int fd[2];
	pipe(fd);
	set(SIGUSR1, on_sig, flags, 0);
	got = 0;
	pid_t p = fork();
	if (p == 0) {
		close(fd[0]);
		msleep(100);
		kill(getppid(), SIGUSR1);
		msleep(200);
		write(fd[1], "x", 1);
		_exit(0);
	}
	close(fd[1]);
	char c;
	errno = 0;
	long r = read(fd[0], &c, 1);
	*err = errno;
	waitpid(p, NULL, 0);
	close(fd[0]);
	return r;
}

int main(void)
{
	mypid = getpid();

	/* basic delivery */
	set(SIGUSR1, on_sig, 0, 0);
	got = 0;
	CHECK(kill(getpid(), SIGUSR1) == 0 && got == SIGUSR1, "handler runs before kill() to self returns");
	set(SIGUSR2, on_sig, 0, 0);
	got = 0;
	raise(SIGUSR2);
	CHECK(got == SIGUSR2, "raise (tgkill) delivers to the handler");

	/* SA_SIGINFO */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	got = 0;
	kill(getpid(), SIGUSR1);
	CHECK(got == SIGUSR1 && si_signo == SIGUSR1, "SA_SIGINFO handler gets si_signo");
	CHECK(si_code == SI_USER, "si_code is SI_USER for kill()");
	CHECK(si_pid_ok, "si_pid is the sender's pid");

	/* the handled signal and sa_mask are blocked in the handler */
	set(SIGUSR1, on_usr1_raise_usr2, 0, SIGUSR2);
	set(SIGUSR2, on_sig, 0, 0);
	order_pos = 0;
	kill(getpid(), SIGUSR1);
	CHECK(nested_blocked, "SIGUSR1 and its sa_mask SIGUSR2 blocked inside the handler");
	CHECK(order_pos == 3 && order[0] == SIGUSR1 && order[1] == 100 && order[2] == SIGUSR2,
	      "signal masked by sa_mask is delivered after the handler returns");
	sigset_t m;
	sigprocmask(SIG_BLOCK, NULL, &m);
	CHECK(!sigismember(&m, SIGUSR1) && !sigismember(&m, SIGUSR2), "mask restored by sigreturn");

	/* blocked → pending → delivered on unblock */
	set(SIGUSR1, on_sig, 0, 0);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	got = 0;
	kill(getpid(), SIGUSR1);
	CHECK(got == 0, "blocked signal not delivered");
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1), "blocked signal shows in sigpending");
	kill(getpid(), SIGUSR1); /* standard signals do not queue */
	order_pos = 0;
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	CHECK(got == SIGUSR1, "pending signal delivered on unblock");
	CHECK(order_pos == 1, "a standard signal sent twice while blocked is delivered once");
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1), "nothing pending afterwards");

	/* SA_RESETHAND */
	set(SIGUSR2, on_sig, SA_RESETHAND, 0);
	got = 0;
	kill(getpid(), SIGUSR2);
	sigaction(SIGUSR2, NULL, &sa);
	CHECK(got == SIGUSR2 && sa.sa_handler == SIG_DFL, "SA_RESETHAND resets to SIG_DFL after one delivery");

	/* SIG_IGN */
	set(SIGUSR2, SIG_IGN, 0, 0);
	CHECK(kill(getpid(), SIGUSR2) == 0, "ignored signal does nothing");
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR2), "ignored signal is discarded, not pending");

	/* SIGSEGV handler with siglongjmp */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(jb, 1) == 0) {
		volatile uintptr_t a = 16;
		(void)*(volatile int *)a;
		CHECK(0, "SIGSEGV handler ran");
	} else {
		CHECK(fault_addr == (void *)16, "SIGSEGV si_addr is the faulting address");
		CHECK(fault_code == SEGV_MAPERR, "SIGSEGV si_code is SEGV_MAPERR for an unmapped page");
	}
	static const int ro = 5;
	if (sigsetjmp(jb, 1) == 0) {
		*(volatile int *)&ro = 6;
		CHECK(0, "SIGSEGV handler ran for a read-only page");
	} else {
		CHECK(fault_code == SEGV_ACCERR && fault_addr == &ro, "write to read-only data gives SEGV_ACCERR at its address");
	}
	signal(SIGSEGV, SIG_DFL);

	/* sigsuspend */
	set(SIGUSR1, on_sig, 0, 0);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	got = 0;
	pid_t p = fork();
	if (p == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	sigset_t empty;
	sigemptyset(&empty);
	CHECK_ERR(sigsuspend(&empty), EINTR, "sigsuspend returns EINTR");
	CHECK(got == SIGUSR1, "sigsuspend ran the handler for a signal from a child");
	sigprocmask(SIG_BLOCK, NULL, &m);
	CHECK(sigismember(&m, SIGUSR1), "sigsuspend restores the mask");
	waitpid(p, NULL, 0);
	sigprocmask(SIG_UNBLOCK, &m, NULL);

	/* SIGCHLD handler */
	set(SIGCHLD, on_chld, 0, 0);
	chld = 0;
	sigprocmask(SIG_BLOCK, NULL, &m);
	sigaddset(&m, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m, NULL);
	p = fork();
	if (p == 0)
		_exit(0);
	sigdelset(&m, SIGCHLD);
	sigsuspend(&m);
	CHECK(chld == 1, "SIGCHLD handler runs when a child exits");
	int st;
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "child still reapable after SIGCHLD");
	sigemptyset(&m);
	sigprocmask(SIG_SETMASK, &m, NULL);
	signal(SIGCHLD, SIG_DFL);

	/* EINTR vs SA_RESTART */
	int err;
	long r = interrupted_read(0, &err);
	CHECK(r == -1 && err == EINTR && got == SIGUSR1, "blocking pipe read interrupted without SA_RESTART fails with EINTR");
	r = interrupted_read(SA_RESTART, &err);
	CHECK(r == 1 && got == SIGUSR1, "blocking pipe read restarted with SA_RESTART returns the data");

	/* a child killed by a signal it catches survives */
	p = fork();
	if (p == 0) {
		set(SIGTERM, on_sig, 0, 0);
		got = 0;
		while (!got)
			pause();
		_exit(got == SIGTERM ? 7 : 1);
	}
	msleep(50);
	kill(p, SIGTERM);
	st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "child catches SIGTERM from its parent and exits normally");

	return t_done();
}
