/* pidfd: process file descriptors.
 *
 * pidfd_open and its errors, close-on-exec by default; polling readable
 * (poll and epoll) exactly when the process has exited, a zombie included;
 * pidfd_send_signal with and without a siginfo and its errors, ESRCH once the
 * process is reaped; waitid(P_PIDFD), EAGAIN through a PIDFD_NONBLOCK pidfd,
 * ECHILD after the reap. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *si, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, si, flags);
}

static int readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static pid_t pauser(void)
{
	pid_t p = fork();
	if (p == 0)
		for (;;)
			pause();
	return p;
}

int main(void)
{
	char b[8];
	siginfo_t si;

	int self = pidfd_open(getpid(), 0);
	CHECK(self >= 0, "pidfd_open of itself");
	CHECK_EQ(fcntl(self, F_GETFD), FD_CLOEXEC, "a pidfd is close-on-exec");
	CHECK(!readable(self, 0), "a running process's pidfd is not readable");
	CHECK_ERR(read(self, b, sizeof b), EINVAL, "read of a pidfd is EINVAL");
	CHECK_ERR(pidfd_open(0, 0), EINVAL, "pidfd_open(0) is EINVAL");
	CHECK_ERR(pidfd_open(-1, 0), EINVAL, "pidfd_open(-1) is EINVAL");
	CHECK_ERR(pidfd_open(getpid(), 1), EINVAL, "an unknown flag is EINVAL");
	CHECK_EQ(pidfd_send_signal(self, 0, NULL, 0), 0, "signal 0 to itself");
	CHECK_ERR(pidfd_send_signal(self, 0, NULL, 0x100), EINVAL, "an unknown flag is EINVAL");
	CHECK_ERR(pidfd_send_signal(1000000, SIGTERM, NULL, 0), EBADF, "a closed fd is EBADF");
	int pfd[2];
	pipe(pfd);
	CHECK_ERR(pidfd_send_signal(pfd[0], SIGTERM, NULL, 0), EBADF, "a pipe is not a pidfd: EBADF");
	CHECK_ERR(waitid(P_PIDFD, pfd[0], &si, WEXITED), EBADF, "waitid P_PIDFD of a pipe is EBADF");
	close(self);

	/* Kill a child through its pidfd, see it exit, reap it. */
	pid_t c = pauser();
	int fd = pidfd_open(c, 0);
	CHECK(fd >= 0, "pidfd_open of a child");
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0, "epoll watches the pidfd");
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0, "nothing ready while it runs");
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, &si, 0), EPERM, "a siginfo with si_code >= 0 to another process is EPERM");
	si.si_signo = SIGUSR2;
	si.si_code = SI_QUEUE;
	CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, &si, 0), EINVAL, "si_signo other than sig is EINVAL");
	CHECK_ERR(pidfd_send_signal(fd, 1000, NULL, 0), EINVAL, "an invalid signal is EINVAL");
	CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 0), 0, "pidfd_send_signal(SIGTERM)");
	CHECK(readable(fd, 5000), "the pidfd polls readable once the child has exited");
	CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1, "epoll reports it too");
	CHECK(out.events & EPOLLIN, "EPOLLIN");
	int z = pidfd_open(c, 0);
	CHECK(z >= 0, "pidfd_open of a zombie works");
	CHECK(readable(z, 0), "and is readable at once");
	CHECK_EQ(pidfd_send_signal(z, 0, NULL, 0), 0, "a zombie still takes signal 0");
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PIDFD, fd, &si, WEXITED), 0, "waitid(P_PIDFD) reaps it");
	CHECK(si.si_pid == c && si.si_code == CLD_KILLED && si.si_status == SIGTERM, "killed by SIGTERM");
	CHECK_ERR(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH, "after the reap: ESRCH");
	CHECK_ERR(waitid(P_PIDFD, fd, &si, WEXITED), ECHILD, "waitid again is ECHILD");
	CHECK_ERR(pidfd_open(c, 0), ESRCH, "pidfd_open of a reaped PID is ESRCH");
	close(fd);
	close(z);
	close(ep);

	/* A non-blocking pidfd: waitid says EAGAIN while the child runs. */
	c = pauser();
	fd = pidfd_open(c, PIDFD_NONBLOCK);
	CHECK(fd >= 0, "pidfd_open(PIDFD_NONBLOCK)");
	CHECK_ERR(waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN, "waitid through it is EAGAIN while the child runs");
	memset(&si, 0, sizeof si);
	si.si_signo = SIGKILL;
	si.si_code = SI_QUEUE;
	CHECK_EQ(pidfd_send_signal(fd, SIGKILL, &si, 0), 0, "SIGKILL with an SI_QUEUE siginfo");
	CHECK(readable(fd, 5000), "exit seen");
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PIDFD, fd, &si, WEXITED), 0, "now waitid reaps it");
	CHECK(si.si_pid == c && si.si_status == SIGKILL, "killed by SIGKILL");
	close(fd);
	return t_done();
}
