/* epolltest: epoll on pipes (level and edge triggered, EPOLLONESHOT re-armed
 * with MOD, DEL, EPOLLHUP after the writer closes, registration kept by a
 * dup and dropped on the last close, timeout 0 and a short timeout, nested
 * epoll readability, ELOOP, a child's write waking the parent's
 * epoll_wait, epoll_pwait's mask and EINTR, errors); eventfd (counter,
 * semaphore mode, EAGAIN, EINVAL, overflow, blocking read woken by a
 * child, blocking write woken by a read, poll, edge-triggered epoll);
 * sigqueue with a value to an SA_SIGINFO handler, real-time signals queued
 * in order and standard ones coalesced, rt_sigqueueinfo/rt_tgsigqueueinfo
 * rules; mlock, munlock, mlock2, mlockall, munlockall. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int add(int ep, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void drain(int fd)
{
	char buf[256];
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (read(fd, buf, sizeof buf) > 0)
		;
	fcntl(fd, F_SETFL, fl);
}

static void test_epoll_basic(void)
{
	struct epoll_event ev[4];
	int p[2];
	/* musl's epoll_create does not check size: ask the kernel. */
	CHECK_ERR(syscall(SYS_epoll_create, 0), EINVAL, "epoll_create(0) EINVAL");
	CHECK_ERR(syscall(SYS_epoll_create, -1), EINVAL, "epoll_create(-1) EINVAL");
	CHECK_ERR(epoll_create1(1), EINVAL, "epoll_create1 bad flags EINVAL");
	int ep = epoll_create(1);
	CHECK(ep >= 0, "epoll_create(1)");
	CHECK_EQ(fcntl(ep, F_GETFD), 0, "epoll_create: no FD_CLOEXEC");
	CHECK_EQ(fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR, "epoll fd is O_RDWR");
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(fcntl(ep2, F_GETFD), FD_CLOEXEC, "epoll_create1(EPOLL_CLOEXEC)");
	struct stat st;
	CHECK(fstat(ep, &st) == 0 && (st.st_mode & 0777) == 0600, "fstat epoll fd: anon inode 0600");
	close(ep2);

	pipe(p);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 7), 0, "ADD pipe read end");
	CHECK_ERR(add(ep, p[0], EPOLLIN, 7), EEXIST, "ADD twice EEXIST");
	CHECK_ERR(add(ep, ep, EPOLLIN, 0), EINVAL, "ADD epfd to itself EINVAL");
	CHECK_ERR(add(p[0], p[1], EPOLLIN, 0), EINVAL, "epfd not an epoll fd EINVAL");
	CHECK_ERR(add(ep, 999, EPOLLIN, 0), EBADF, "ADD closed fd EBADF");
	CHECK_ERR(add(999, p[0], EPOLLIN, 0), EBADF, "closed epfd EBADF");
	CHECK_ERR(mod(ep, p[1], EPOLLOUT, 0), ENOENT, "MOD unregistered ENOENT");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT, "DEL unregistered ENOENT");
	CHECK_ERR(epoll_ctl(ep, 99, p[0], ev), EINVAL, "bad op EINVAL");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (void *)0xffff800000000000UL), EFAULT, "ADD bad event pointer EFAULT");
	CHECK_ERR(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL, "MOD with EPOLLEXCLUSIVE EINVAL");
	CHECK_ERR(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL, "EPOLLEXCLUSIVE|EPOLLONESHOT EINVAL");
	CHECK_ERR(epoll_wait(ep, ev, 0, 0), EINVAL, "maxevents 0 EINVAL");
	CHECK_ERR(epoll_wait(ep, ev, -1, 0), EINVAL, "maxevents -1 EINVAL");
	CHECK_ERR(epoll_wait(p[0], ev, 4, 0), EINVAL, "epoll_wait on a pipe EINVAL");
	CHECK_ERR(epoll_wait(999, ev, 4, 0), EBADF, "epoll_wait closed fd EBADF");
	CHECK_ERR(epoll_wait(ep, (void *)0xffff800000000000UL, 4, 0), EFAULT, "epoll_wait kernel buffer EFAULT");

	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "level: nothing ready, timeout 0");
	long t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 4, 60), 0, "level: 60 ms timeout expires");
	long dt = now_ms() - t0;
	CHECK(dt >= 50 && dt < 5000, "level: the timeout waited about 60 ms");
	write(p[1], "ab", 2);
	memset(ev, 0, sizeof ev);
	CHECK_EQ(epoll_wait(ep, ev, 4, -1), 1, "level: readable");
	CHECK(ev[0].events == EPOLLIN && ev[0].data.u64 == 7, "level: EPOLLIN with its data");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "level: reported again while data remains");
	CHECK_ERR(epoll_wait(ep, NULL, 4, 0), EFAULT, "epoll_wait NULL buffer with an event EFAULT");
	drain(p[0]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "level: not after reading all");

	/* Two ready items, one slot: round robin. */
	CHECK_EQ(add(ep, p[1], EPOLLOUT, 8), 0, "ADD write end");
	write(p[1], "x", 1);
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1, "maxevents 1: one event");
	uint64_t first = ev[0].data.u64;
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1, "maxevents 1: the other one next");
	CHECK(ev[0].data.u64 != first, "maxevents 1: level-triggered items take turns");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 2, "both ready");
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0, "DEL write end");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "after DEL only the read end");
	CHECK_EQ(ev[0].data.u64, 7, "after DEL: the read end's data");
	drain(p[0]);

	/* MOD changes the events and data. */
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLOUT, 9), 0, "MOD");
	write(p[1], "y", 1);
	CHECK(epoll_wait(ep, ev, 4, 0) == 1 && ev[0].data.u64 == 9, "MOD: new data reported");
	drain(p[0]);

	/* EPOLLHUP is reported without being asked for. */
	close(p[1]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "writer closed: an event");
	CHECK_EQ(ev[0].events, EPOLLHUP, "writer closed: EPOLLHUP");
	close(p[0]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "closed fd left the interest list");
	close(ep);
}

static void test_epoll_edge_oneshot(void)
{
	struct epoll_event ev[4];
	int p[2];
	char c[4];
	int ep = epoll_create1(0);
	pipe(p);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0, "ET: ADD");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ET: nothing yet");
	write(p[1], "abc", 3);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "ET: the write is reported");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ET: not again without a new event");
	read(p[0], c, 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ET: a partial read is no new event");
	write(p[1], "d", 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "ET: another write is");
	CHECK_EQ(ev[0].events, EPOLLIN, "ET: EPOLLIN");
	drain(p[0]);

	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0, "ONESHOT: MOD");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ONESHOT: nothing yet");
	write(p[1], "e", 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "ONESHOT: reported once");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ONESHOT: then disabled though readable");
	write(p[1], "f", 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ONESHOT: disabled item ignores new data");
	CHECK_ERR(add(ep, p[0], EPOLLIN, 0), EEXIST, "ONESHOT: disabled item still registered");
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 3), 0, "ONESHOT: re-arm with MOD");
	CHECK(epoll_wait(ep, ev, 4, 0) == 1 && ev[0].data.u64 == 3, "ONESHOT: reported after re-arm");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "ONESHOT: disabled again");
	drain(p[0]);

	/* The registration belongs to the open file: a dup keeps it alive. */
	int d = dup(p[0]);
	CHECK_EQ(mod(ep, p[0], EPOLLIN, 4), 0, "dup: MOD back to level");
	close(p[0]);
	write(p[1], "g", 1);
	CHECK(epoll_wait(ep, ev, 4, 0) == 1 && ev[0].data.u64 == 4, "dup: closed fd still reported through the dup");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF, "dup: DEL of the closed fd EBADF");
	close(d);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0, "dup: gone with the last close");
	CHECK_EQ(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 5), 0, "EPOLLEXCLUSIVE accepted on ADD");
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1, "EPOLLEXCLUSIVE: reader closed");
	CHECK_EQ(ev[0].events, EPOLLOUT | EPOLLERR, "EPOLLEXCLUSIVE: EPOLLOUT|EPOLLERR");
	CHECK_ERR(mod(ep, p[1], EPOLLOUT, 5), EINVAL, "MOD of an EPOLLEXCLUSIVE item EINVAL");
	close(p[1]);
	close(ep);
}

static void test_epoll_nested(void)
{
	struct epoll_event ev[4];
	int p[2];
	int inner = epoll_create1(0), outer = epoll_create1(0);
	pipe(p);
	add(inner, p[0], EPOLLIN, 11);
	CHECK_EQ(add(outer, inner, EPOLLIN, 22), 0, "nested: ADD epoll fd to epoll");
	CHECK_ERR(add(inner, outer, EPOLLIN, 0), ELOOP, "nested: loop ELOOP");
	CHECK_ERR(add(outer, inner, EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL, "nested: EPOLLEXCLUSIVE on an epoll fd EINVAL");
	struct pollfd pf = {inner, POLLIN, 0};
	CHECK_EQ(poll(&pf, 1, 0), 0, "nested: inner not readable");
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 0, "nested: outer nothing");
	write(p[1], "z", 1);
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "nested: inner epoll fd POLLIN");
	CHECK(epoll_wait(outer, ev, 4, 0) == 1 && ev[0].data.u64 == 22 && ev[0].events == EPOLLIN, "nested: outer reports inner");
	CHECK(epoll_wait(inner, ev, 4, 0) == 1 && ev[0].data.u64 == 11, "nested: inner reports the pipe");
	drain(p[0]);
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 0, "nested: outer quiet after drain");
	CHECK_ERR(read(inner, ev, 8), EINVAL, "read of an epoll fd EINVAL");

	/* A child's write wakes the parent's blocking epoll_wait on the outer. */
	pid_t pid = fork();
	if (pid == 0) {
		msleep(50);
		write(p[1], "w", 1);
		_exit(0);
	}
	CHECK(epoll_wait(outer, ev, 4, -1) == 1 && ev[0].data.u64 == 22, "fork: child's write wakes nested epoll_wait");
	int status;
	waitpid(pid, &status, 0);
	drain(p[0]);
	pid = fork();
	if (pid == 0) {
		msleep(50);
		close(p[1]);
		_exit(0);
	}
	close(p[1]);
	CHECK(epoll_wait(inner, ev, 4, 5000) == 1 && ev[0].events == EPOLLHUP, "fork: last writer's exit wakes with EPOLLHUP");
	waitpid(pid, &status, 0);
	close(p[0]);
	close(inner);
	close(outer);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int s) { (void)s; usr1++; }

static void test_epoll_signals(void)
{
	struct epoll_event ev[2];
	int p[2];
	pipe(p);
	int ep = epoll_create1(0);
	add(ep, p[0], EPOLLIN, 1);
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	sigaction(SIGUSR1, &sa, NULL);
	pid_t parent = getpid();

	/* epoll_wait is never restarted, even with SA_RESTART. */
	pid_t pid = fork();
	if (pid == 0) {
		msleep(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_ERR(epoll_wait(ep, ev, 2, -1), EINTR, "epoll_wait EINTR despite SA_RESTART");
	CHECK_EQ(usr1, 1, "the handler ran");
	waitpid(pid, NULL, 0);

	/* epoll_pwait: SIGUSR1 blocked, the wait's mask lets it in. */
	sigset_t block, empty, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid = fork();
	if (pid == 0) {
		msleep(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_ERR(epoll_pwait(ep, ev, 2, -1, &empty), EINTR, "epoll_pwait: EINTR through its mask");
	CHECK_EQ(usr1, 2, "epoll_pwait: handler ran");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "epoll_pwait: old mask back after the handler");
	waitpid(pid, NULL, 0);
	CHECK_ERR(syscall(SYS_epoll_pwait, ep, ev, 2, 0, &empty, 4), EINVAL, "epoll_pwait sigsetsize 4 EINVAL");
	write(p[1], "x", 1);
	CHECK_EQ(epoll_pwait(ep, ev, 2, 0, &empty), 1, "epoll_pwait returns the event");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "epoll_pwait: mask restored on return");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void test_eventfd(void)
{
	uint64_t v = 0;
	struct epoll_event ev[2];
	CHECK_ERR(eventfd(0, 0x4), EINVAL, "eventfd2 bad flags EINVAL");
	int e = eventfd(5, 0);
	CHECK(e >= 0, "eventfd(5)");
	CHECK_EQ(fcntl(e, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR, "eventfd O_RDWR");
	CHECK(read(e, &v, 8) == 8 && v == 5, "read takes the count");
	v = 3;
	CHECK_EQ(write(e, &v, 8), 8, "write 3");
	v = 4;
	CHECK_EQ(write(e, &v, 8), 8, "write 4");
	uint64_t two[2] = {1, 100};
	CHECK_ERR(write(e, two, 16), EINVAL, "a 16-byte write EINVAL");
	CHECK(read(e, two, 16) == 8 && two[0] == 7, "counter sums: 7, read with 16 bytes");
	CHECK_ERR(read(e, &v, 4), EINVAL, "read of 4 bytes EINVAL");
	CHECK_ERR(read(e, &v, 0), EINVAL, "read of 0 bytes EINVAL");
	CHECK_ERR(write(e, &v, 7), EINVAL, "write of 7 bytes EINVAL");
	v = UINT64_MAX;
	CHECK_ERR(write(e, &v, 8), EINVAL, "write of 2^64-1 EINVAL");
	close(e);

	e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK_EQ(fcntl(e, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK, "EFD_NONBLOCK in F_GETFL");
	CHECK_EQ(fcntl(e, F_GETFD), FD_CLOEXEC, "EFD_CLOEXEC");
	CHECK_ERR(read(e, &v, 8), EAGAIN, "empty counter EAGAIN");
	struct pollfd pf = {e, POLLIN | POLLOUT, 0};
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT, "poll: POLLOUT only at 0");
	v = 0xfffffffffffffffeULL;
	CHECK_EQ(write(e, &v, 8), 8, "write up to 2^64-2");
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "poll: POLLIN only when full");
	v = 1;
	CHECK_ERR(write(e, &v, 8), EAGAIN, "overflow EAGAIN");
	v = 0;
	CHECK_EQ(write(e, &v, 8), 8, "write of 0 fits even when full");
	CHECK(read(e, &v, 8) == 8 && v == 0xfffffffffffffffeULL, "read the full count");
	close(e);

	e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	int ok = 1;
	for (int i = 0; i < 3; i++)
		ok &= read(e, &v, 8) == 8 && v == 1;
	CHECK(ok, "semaphore: three reads of 1");
	CHECK_ERR(read(e, &v, 8), EAGAIN, "semaphore: then EAGAIN");
	close(e);

	/* A blocking read woken by a child's write. */
	e = eventfd(0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		msleep(50);
		uint64_t w = 7;
		write(e, &w, 8);
		_exit(0);
	}
	CHECK(read(e, &v, 8) == 8 && v == 7, "blocking read woken by a child's write");
	waitpid(pid, NULL, 0);

	/* A blocking write woken by a read. */
	v = 0xfffffffffffffffeULL;
	write(e, &v, 8);
	pid = fork();
	if (pid == 0) {
		uint64_t w = 1;
		_exit(write(e, &w, 8) == 8 ? 0 : 1);
	}
	msleep(50);
	CHECK(read(e, &v, 8) == 8 && v == 0xfffffffffffffffeULL, "read while a writer waits");
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the blocked write completed");
	CHECK(read(e, &v, 8) == 8 && v == 1, "its value arrived");

	/* Edge-triggered epoll on an eventfd: every write is an event. */
	int ep = epoll_create1(0);
	add(ep, e, EPOLLIN | EPOLLET, 42);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0, "eventfd ET: nothing at 0");
	v = 1;
	write(e, &v, 8);
	CHECK(epoll_wait(ep, ev, 2, 0) == 1 && ev[0].data.u64 == 42 && ev[0].events == EPOLLIN, "eventfd ET: write reported");
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0, "eventfd ET: once");
	write(e, &v, 8);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1, "eventfd ET: next write reported again");
	close(ep);
	close(e);
}

static volatile int q_sig[16], q_val[16], q_code[16], q_pidok[16];
static volatile sig_atomic_t q_n;
static void on_queued(int s, siginfo_t *si, void *uc)
{
	(void)uc;
	if (q_n < 16) {
		q_sig[q_n] = s;
		q_val[q_n] = si->si_value.sival_int;
		q_code[q_n] = si->si_code;
		q_pidok[q_n] = si->si_pid == getpid();
		q_n++;
	}
}

static void test_sigqueue(void)
{
	struct sigaction sa = {.sa_sigaction = on_queued, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGRTMIN, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);

	q_n = 0;
	CHECK_EQ(sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 42}), 0, "sigqueue to self");
	CHECK(q_n == 1 && q_sig[0] == SIGUSR2 && q_val[0] == 42, "handler got si_value 42");
	CHECK(q_code[0] == SI_QUEUE && q_pidok[0], "si_code SI_QUEUE, si_pid the sender");

	/* Real-time signals queue every instance, each signal's instances in
	 * order; a standard one coalesces (the first siginfo stays). With
	 * the three blocked in every handler, they run lowest number first. */
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGRTMIN);
	sigaddset(&m, SIGRTMIN + 1);
	sigaddset(&m, SIGUSR2);
	sa.sa_mask = m;
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGRTMIN, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	static const int want_lowest[7] = {1, 20, 21, 22, 10, 11, 12};
	/* With nothing else blocked, each delivery on the way back to user
	 * mode pushes one frame per signal number over the previous one, so
	 * the highest runs first (as on Linux). */
	static const int want_nested[7] = {10, 11, 12, 20, 21, 22, 1};
	for (int round = 0; round < 2; round++) {
		const int *want = round == 0 ? want_lowest : want_nested;
		if (round == 1) {
			sigemptyset(&sa.sa_mask);
			sigaction(SIGUSR2, &sa, NULL);
			sigaction(SIGRTMIN, &sa, NULL);
			sigaction(SIGRTMIN + 1, &sa, NULL);
		}
		sigprocmask(SIG_BLOCK, &m, NULL);
		q_n = 0;
		for (int i = 0; i < 3; i++) {
			sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 10 + i});
			sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 20 + i});
		}
		sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 1});
		sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 2});
		sigset_t pend;
		sigpending(&pend);
		CHECK(sigismember(&pend, SIGRTMIN) && sigismember(&pend, SIGRTMIN + 1) && sigismember(&pend, SIGUSR2), "all three pending");
		CHECK_EQ(q_n, 0, "nothing delivered while blocked");
		sigprocmask(SIG_UNBLOCK, &m, NULL);
		CHECK_EQ(q_n, 7, "7 deliveries: 3 + 3 queued, SIGUSR2 once");
		int ok = 1;
		for (int i = 0; i < 7; i++) {
			int want_sig = want[i] < 10 ? SIGUSR2 : want[i] < 20 ? SIGRTMIN + 1 : SIGRTMIN;
			if (q_sig[i] != want_sig || q_val[i] != want[i])
				ok = 0;
		}
		CHECK(ok, round == 0 ? "order with sa_mask: SIGUSR2(1), SIGRTMIN 20 21 22, SIGRTMIN+1 10 11 12"
				     : "order without sa_mask: SIGRTMIN+1 10 11 12, SIGRTMIN 20 21 22, SIGUSR2(1)");
		if (!ok)
			for (int i = 0; i < q_n; i++)
				t_printf("# %d: sig %d val %d\n", i, q_sig[i], q_val[i]);
	}

	CHECK_ERR(sigqueue(getpid(), 65, (union sigval){0}), EINVAL, "sigqueue signal 65 EINVAL");
	CHECK_ERR(sigqueue(0x3ffffff0, SIGUSR2, (union sigval){0}), ESRCH, "sigqueue to no such pid ESRCH");
	CHECK_EQ(sigqueue(getpid(), 0, (union sigval){0}), 0, "sigqueue signal 0 checks only");

	/* rt_sigqueueinfo: si_code >= 0 or SI_TKILL only to oneself. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_code = SI_USER;
	si.si_value.sival_int = 77;
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR2, &si), EPERM, "rt_sigqueueinfo si_code SI_USER to another EPERM");
	si.si_code = SI_TKILL;
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR2, &si), EPERM, "rt_sigqueueinfo SI_TKILL to another EPERM");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	q_n = 0;
	si.si_code = SI_USER;
	CHECK_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, &si), 0, "rt_sigqueueinfo SI_USER to self allowed");
	CHECK(q_n == 1 && q_code[0] == SI_USER && q_val[0] == 77, "handler sees the caller's siginfo");
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, (void *)8), EFAULT, "rt_sigqueueinfo bad siginfo EFAULT");

	q_n = 0;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 88;
	CHECK_EQ(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN, &si), 0, "rt_tgsigqueueinfo to self");
	CHECK(q_n == 1 && q_sig[0] == SIGRTMIN && q_val[0] == 88 && q_code[0] == SI_QUEUE, "thread got si_value 88");
	CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGRTMIN, &si), EINVAL, "rt_tgsigqueueinfo tid 0 EINVAL");
	CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, getpid() + 0, 0x3ffffff0, SIGRTMIN, &si), ESRCH, "rt_tgsigqueueinfo no such thread ESRCH");
	signal(SIGUSR2, SIG_DFL);
	signal(SIGRTMIN, SIG_DFL);
	signal(SIGRTMIN + 1, SIG_DFL);
}

static void test_mlock(void)
{
	long pg = 4096;
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(mlock(p, 3 * pg), 0, "mlock 3 pages");
	p[0] = 1;
	CHECK_EQ(munlock(p, 3 * pg), 0, "munlock");
	CHECK_EQ(mlock(p + 100, 10), 0, "mlock unaligned");
	CHECK_EQ(mlock(p, 0), 0, "mlock length 0");
	CHECK_EQ(syscall(SYS_mlock2, p, pg, 0), 0, "mlock2 flags 0");
	CHECK_EQ(syscall(SYS_mlock2, p, pg, MLOCK_ONFAULT), 0, "mlock2 MLOCK_ONFAULT");
	CHECK_ERR(syscall(SYS_mlock2, p, pg, 2), EINVAL, "mlock2 bad flags EINVAL");
	munmap(p + pg, pg);
	CHECK_ERR(mlock(p, 3 * pg), ENOMEM, "mlock over a hole ENOMEM");
	CHECK_ERR(munlock(p, 3 * pg), ENOMEM, "munlock over a hole ENOMEM");
	CHECK_EQ(mlock(p + 2 * pg, pg), 0, "mlock the last page");
	CHECK_ERR(mlock(NULL, pg), ENOMEM, "mlock page 0 ENOMEM");
	CHECK_ERR(mlock((void *)-4096L, 8192), EINVAL, "mlock wrapping range EINVAL");
	CHECK_ERR(mlockall(0), EINVAL, "mlockall(0) EINVAL");
	CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL, "mlockall(MCL_ONFAULT) EINVAL");
	CHECK_ERR(mlockall(8), EINVAL, "mlockall(8) EINVAL");
	CHECK_EQ(mlockall(MCL_CURRENT), 0, "mlockall(MCL_CURRENT)");
	CHECK_EQ(munlockall(), 0, "munlockall");
	munmap(p, 3 * pg);
}

/* epoll_pwait2: a timespec timeout (NULL: none). */
static void test_epoll_pwait2(void)
{
	int ep = epoll_create1(0), e = eventfd(0, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = e }, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
	struct timespec ts = { 0, 20 * 1000 * 1000 }, t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8), 0, "epoll_pwait2: nothing ready within 20 ms");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 19, "epoll_pwait2: it waited the timeout out");
	uint64_t one = 1;
	write(e, &one, 8);
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, out, 2, NULL, NULL, 8), 1, "epoll_pwait2: NULL timeout, one ready");
	ts.tv_nsec = 1000000000;
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8), EINVAL, "epoll_pwait2: tv_nsec 1e9 is EINVAL");
	ts = (struct timespec){ -1, 0 };
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8), EINVAL, "epoll_pwait2: a negative timeout is EINVAL");
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, out, 2, (void *)8, NULL, 8), EFAULT, "epoll_pwait2: a bad timeout pointer is EFAULT");
	close(e);
	close(ep);
}

int main(void)
{
	test_epoll_basic();
	test_epoll_edge_oneshot();
	test_epoll_nested();
	test_epoll_signals();
	test_eventfd();
	test_sigqueue();
	test_mlock();
	test_epoll_pwait2();
	return t_done();
}
