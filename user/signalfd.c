/* signalfd: signalfd and signalfd4 take pending signals of a mask as
 * struct signalfd_siginfo records (kill, sigqueue, tgkill, SIGCHLD, a POSIX
 * timer's SI_TIMER signal), several in one read, blocking or EAGAIN with
 * SFD_NONBLOCK, poll and epoll readiness when a signal comes, a new mask set
 * through the existing descriptor, reads by a forked child taking its own
 * signals, EINTR, and the errors. Only facts are printed (no PIDs). */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)0xffff800000000000UL)
#define MS 1000000L

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * MS};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static sigset_t set_of(int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ms) == 1 && p.revents == POLLIN;
}

static int pending(int sig)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

static void test_errors(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	CHECK_ERR(syscall(SYS_signalfd4, -1, &s, 4, 0), EINVAL, "signalfd4: sizemask 4 is EINVAL");
	CHECK_ERR(syscall(SYS_signalfd4, -1, BAD, 8, 0), EFAULT, "signalfd4: bad mask is EFAULT");
	CHECK_ERR(syscall(SYS_signalfd4, -1, &s, 8, 1), EINVAL, "signalfd4: bad flags are EINVAL");
	CHECK_ERR(signalfd(99, &s, 0), EBADF, "signalfd: a closed fd is EBADF");
	CHECK_ERR(signalfd(-2, &s, 0), EBADF, "signalfd: fd -2 is EBADF");
	int p[2];
	pipe(p);
	CHECK_ERR(signalfd(p[0], &s, 0), EINVAL, "signalfd: a pipe is EINVAL");
	close(p[0]);
	close(p[1]);
	int fd = syscall(SYS_signalfd, -1, &s, 8);
	CHECK(fd >= 0, "signalfd (the old call)");
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR, "the file is O_RDWR");
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "no FD_CLOEXEC");
	close(fd);
	fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK, "SFD_NONBLOCK sets O_NONBLOCK");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "SFD_CLOEXEC sets FD_CLOEXEC");
	struct signalfd_siginfo si;
	CHECK_ERR(read(fd, &si, sizeof si), EAGAIN, "read with nothing pending is EAGAIN (non-blocking)");
	CHECK_ERR(read(fd, &si, sizeof si - 1), EINVAL, "read of 127 bytes is EINVAL");
	CHECK_ERR(write(fd, &si, sizeof si), EINVAL, "write is EINVAL");
	CHECK_EQ(readable(fd, 0), 0, "poll: not readable");
	s = set_of(SIGKILL, SIGSTOP);
	CHECK_EQ(signalfd(fd, &s, 0), fd, "SIGKILL and SIGSTOP in the mask are accepted (and left out)");
	close(fd);
}

static void test_read(void)
{
	sigset_t s = set_of(SIGUSR1, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	CHECK(fd >= 0, "signalfd for SIGUSR1 and SIGRTMIN");
	kill(getpid(), SIGUSR1);
	CHECK(readable(fd, 0), "poll: readable with SIGUSR1 pending");
	struct signalfd_siginfo si[4];
	memset(si, 0xff, sizeof si);
	CHECK_EQ(read(fd, si, sizeof si), sizeof si[0], "read takes the one signal pending");
	CHECK_EQ(si[0].ssi_signo, SIGUSR1, "ssi_signo");
	CHECK_EQ(si[0].ssi_code, SI_USER, "ssi_code is SI_USER");
	CHECK(si[0].ssi_pid == (uint32_t)getpid() && si[0].ssi_uid == getuid(), "ssi_pid and ssi_uid are the sender's");
	CHECK(si[0].ssi_errno == 0 && si[0].ssi_int == 0 && si[0].ssi_ptr == 0 && si[0].ssi_status == 0, "the other fields are 0");
	CHECK(!pending(SIGUSR1), "the signal is no longer pending");
	CHECK_EQ(readable(fd, 0), 0, "poll: not readable any more");

	union sigval v = {.sival_int = 77};
	for (int i = 0; i < 3; i++)
		sigqueue(getpid(), SIGRTMIN, v);
	CHECK_EQ(read(fd, si, sizeof si), 3 * sizeof si[0], "one read takes the three queued real-time signals");
	CHECK(si[0].ssi_code == SI_QUEUE && si[2].ssi_code == SI_QUEUE, "ssi_code is SI_QUEUE");
	CHECK(si[0].ssi_int == 77 && si[1].ssi_int == 77 && (int)si[2].ssi_ptr == 77, "ssi_int and ssi_ptr carry the value");

	kill(getpid(), SIGUSR1);
	sigqueue(getpid(), SIGRTMIN, v);
	CHECK_EQ(read(fd, si, sizeof si[0] + 100), sizeof si[0], "a read takes as many as fit");
	CHECK_EQ(si[0].ssi_signo, SIGUSR1, "the lowest signal first");
	CHECK(read(fd, si, sizeof si[0]) == sizeof si[0] && si[0].ssi_signo == (uint32_t)SIGRTMIN, "then the next");

	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	CHECK(read(fd, si, sizeof si[0]) == sizeof si[0] && si[0].ssi_code == SI_TKILL, "tgkill: ssi_code SI_TKILL");

	/* A signal not in the mask stays pending. */
	sigset_t u2 = set_of(SIGUSR2, 0);
	sigprocmask(SIG_BLOCK, &u2, NULL);
	kill(getpid(), SIGUSR2);
	CHECK_ERR(read(fd, si, sizeof si[0]), EAGAIN, "a signal outside the mask is not taken");
	CHECK(pending(SIGUSR2), "it stays pending");
	CHECK_EQ(readable(fd, 0), 0, "nor does it make the file readable");
	CHECK_EQ(signalfd(fd, &u2, 0), fd, "signalfd on the fd changes its mask");
	CHECK(readable(fd, 0), "poll: now readable");
	CHECK(read(fd, si, sizeof si[0]) == sizeof si[0] && si[0].ssi_signo == SIGUSR2, "it takes SIGUSR2 now");
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK, "the flags stay");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &u2, NULL);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void test_blocking(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct signalfd_siginfo si;
	CHECK_EQ(read(fd, &si, sizeof si), sizeof si, "a blocking read waits for the signal");
	CHECK(si.ssi_signo == SIGUSR1 && si.ssi_pid == (uint32_t)pid, "sent by the child");
	waitpid(pid, NULL, 0);

	/* epoll */
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 5};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0, "epoll_ctl ADD a signalfd");
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0, "epoll: not ready");
	pid = fork();
	if (pid == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK(epoll_wait(ep, &e, 1, 5000) == 1 && e.events == EPOLLIN && e.data.u64 == 5, "epoll_wait wakes when the signal comes");
	CHECK(read(fd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR1, "read it");
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0, "epoll: not ready after the read");
	waitpid(pid, NULL, 0);
	close(ep);

	/* poll wakes too. */
	pid = fork();
	if (pid == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK(readable(fd, 5000), "poll wakes when the signal comes");
	read(fd, &si, sizeof si);
	waitpid(pid, NULL, 0);

	/* A child reads its own signals through the inherited descriptor. */
	pid = fork();
	if (pid == 0) {
		struct signalfd_siginfo c;
		int ok = read(fd, &c, sizeof c) == sizeof c && c.ssi_signo == SIGUSR1 && c.ssi_pid == (uint32_t)getppid();
		_exit(ok ? 0 : 1);
	}
	sleep_ms(30);
	kill(pid, SIGUSR1);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child's read takes the child's signal");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static void test_eintr(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sigset_t s = set_of(SIGUSR1, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, 0);
	struct itimerval it = {{0, 0}, {0, 30000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct signalfd_siginfo si;
	CHECK_ERR(read(fd, &si, sizeof si), EINTR, "another signal interrupts a blocking read: EINTR");
	CHECK_EQ(alarms, 1, "its handler ran");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void test_sigchld(void)
{
	sigset_t s = set_of(SIGCHLD, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	struct signalfd_siginfo si;
	CHECK_EQ(read(fd, &si, sizeof si), sizeof si, "SIGCHLD through a signalfd");
	CHECK(si.ssi_signo == SIGCHLD && si.ssi_code == CLD_EXITED && si.ssi_status == 3, "ssi_code CLD_EXITED, ssi_status 3");
	CHECK(si.ssi_pid == (uint32_t)pid, "ssi_pid is the child");
	waitpid(pid, NULL, 0);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void test_timer(void)
{
	int sig = SIGRTMIN + 1;
	sigset_t s = set_of(sig, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, 0);
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = sig;
	ev.sigev_value.sival_int = 5;
	int id;
	CHECK_EQ(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), 0, "timer_create");
	struct itimerspec its = {{0, 5 * MS}, {0, 5 * MS}};
	syscall(SYS_timer_settime, id, 0, &its, NULL);
	sleep_ms(60);
	struct signalfd_siginfo si;
	CHECK_EQ(read(fd, &si, sizeof si), sizeof si, "a POSIX timer's signal through a signalfd");
	CHECK(si.ssi_signo == (uint32_t)sig && si.ssi_code == SI_TIMER, "ssi_code SI_TIMER");
	CHECK(si.ssi_tid == (uint32_t)id && si.ssi_int == 5 && si.ssi_ptr == 5, "ssi_tid is the timer, ssi_int its value");
	CHECK(si.ssi_overrun >= 3 && (long)si.ssi_overrun == syscall(SYS_timer_getoverrun, id), "ssi_overrun counts the periods missed");
	CHECK(read(fd, &si, sizeof si) == sizeof si && si.ssi_code == SI_TIMER, "the read re-armed the timer");
	syscall(SYS_timer_delete, id);
	signal(sig, SIG_IGN); /* drop a signal still queued */
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

int main(void)
{
	test_errors();
	test_read();
	test_blocking();
	test_eintr();
	test_sigchld();
	test_timer();
	return t_done();
}
