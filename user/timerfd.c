/* timerfd: timerfd_create, timerfd_settime, timerfd_gettime on
 * CLOCK_MONOTONIC, REALTIME and BOOTTIME: the 8-byte expiration count a
 * read returns (blocking, EAGAIN with TFD_NONBLOCK, EINVAL under 8 bytes),
 * periodic timers counting the periods missed, TFD_TIMER_ABSTIME, poll and
 * epoll readiness, TFD_CLOEXEC, a read interrupted by a signal, a timerfd
 * shared with a child, and the errors. Only facts are printed, never times;
 * timing checks have wide margins. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)0xffff800000000000UL)
#define MS 1000000L

static long ns(const struct timespec *ts) { return ts->tv_sec * 1000000000L + ts->tv_nsec; }

static long now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ns(&ts);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * MS};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int tfset(int fd, int flags, long value_ns, long interval_ns, struct itimerspec *old)
{
	struct itimerspec its = {
		.it_interval = {interval_ns / 1000000000L, interval_ns % 1000000000L},
		.it_value = {value_ns / 1000000000L, value_ns % 1000000000L},
	};
	return timerfd_settime(fd, flags, &its, old);
}

/* ticks reads the count (-1 on error). */
static long ticks(int fd)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof v);
	return n == 8 ? (long)v : -1;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ms) == 1 && p.revents == POLLIN;
}

static void test_create(void)
{
	CHECK_ERR(timerfd_create(99, 0), EINVAL, "timerfd_create: bad clock is EINVAL");
	CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL, "timerfd_create: a CPU clock is EINVAL");
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL, "timerfd_create: bad flags are EINVAL");
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	CHECK(fd >= 0, "timerfd_create TFD_CLOEXEC|TFD_NONBLOCK");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "TFD_CLOEXEC sets FD_CLOEXEC");
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK, "the file is O_RDWR|O_NONBLOCK");
	struct itimerspec cur;
	CHECK(timerfd_gettime(fd, &cur) == 0 && ns(&cur.it_value) == 0 && ns(&cur.it_interval) == 0, "a new timerfd is disarmed");
	CHECK_ERR(ticks(fd), EAGAIN, "read without expirations is EAGAIN (non-blocking)");
	uint64_t v = 1;
	CHECK_ERR(read(fd, &v, 7), EINVAL, "read of 7 bytes is EINVAL");
	CHECK_ERR(write(fd, &v, 8), EINVAL, "write is EINVAL");
	CHECK_EQ(readable(fd, 0), 0, "poll: not readable");
	close(fd);
	fd = timerfd_create(CLOCK_REALTIME, 0);
	CHECK(fd >= 0 && fcntl(fd, F_GETFD) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0, "timerfd_create CLOCK_REALTIME, blocking");
	close(fd);
}

static void test_errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec its = {{0, 0}, {1, 0}}, cur;
	CHECK_ERR(timerfd_settime(fd, 4, &its, NULL), EINVAL, "timerfd_settime: bad flags are EINVAL");
	its.it_value.tv_nsec = 1000000000L;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL, "timerfd_settime: tv_nsec 1e9 is EINVAL");
	its = (struct itimerspec){{-1, 0}, {1, 0}};
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL, "timerfd_settime: negative interval is EINVAL");
	CHECK_ERR(timerfd_settime(fd, 0, BAD, NULL), EFAULT, "timerfd_settime: bad new value is EFAULT");
	its = (struct itimerspec){{0, 0}, {1, 0}};
	CHECK_ERR(timerfd_settime(99, 0, &its, NULL), EBADF, "timerfd_settime: closed fd is EBADF");
	int efd = eventfd(0, 0);
	CHECK_ERR(timerfd_settime(efd, 0, &its, NULL), EINVAL, "timerfd_settime: not a timerfd is EINVAL");
	CHECK_ERR(timerfd_gettime(efd, &cur), EINVAL, "timerfd_gettime: not a timerfd is EINVAL");
	CHECK_ERR(timerfd_gettime(99, &cur), EBADF, "timerfd_gettime: closed fd is EBADF");
	CHECK_ERR(timerfd_gettime(fd, BAD), EFAULT, "timerfd_gettime: bad pointer is EFAULT");
	close(efd);
	close(fd);
}

static void test_oneshot(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	long t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(tfset(fd, 0, 30 * MS, 0, NULL), 0, "timerfd_settime 30 ms one-shot");
	struct itimerspec cur;
	CHECK(timerfd_gettime(fd, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 30 * MS, "timerfd_gettime: the time left");
	CHECK_EQ(ticks(fd), 1, "a blocking read waits and returns 1");
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 25 * MS, "not before the time");
	CHECK(timerfd_gettime(fd, &cur) == 0 && ns(&cur.it_value) == 0, "an expired one-shot timerfd reads 0");
	CHECK_EQ(readable(fd, 50), 0, "and is not readable again");

	/* A read of 16 bytes still returns 8. */
	tfset(fd, 0, MS, 0, NULL);
	uint64_t v[2] = {0, 0};
	CHECK_EQ(read(fd, v, sizeof v), 8, "a read of 16 bytes returns 8");
	CHECK_EQ(v[0], 1, "the count");

	/* timerfd_settime returns the old setting and clears the count. */
	struct itimerspec old;
	tfset(fd, 0, 10000 * MS, 3000 * MS, NULL);
	CHECK_EQ(tfset(fd, 0, 0, 0, &old), 0, "timerfd_settime 0 disarms");
	CHECK(old.it_value.tv_sec == 9 || old.it_value.tv_sec == 10, "the old it_value");
	CHECK(old.it_interval.tv_sec == 3 && old.it_interval.tv_nsec == 0, "the old it_interval");
	tfset(fd, 0, MS, 0, NULL);
	CHECK(readable(fd, 5000), "poll: readable once it expired");
	tfset(fd, 0, 10000 * MS, 0, NULL);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	CHECK_ERR(ticks(fd), EAGAIN, "setting it again drops the expirations not read");
	close(fd);
}

static void test_periodic(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	CHECK_EQ(tfset(fd, 0, 10 * MS, 10 * MS, NULL), 0, "timerfd_settime every 10 ms");
	sleep_ms(100);
	long n = ticks(fd);
	CHECK(n >= 5, "one read returns every period that passed");
	struct itimerspec cur;
	CHECK(timerfd_gettime(fd, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 10 * MS && ns(&cur.it_interval) == 10 * MS,
	      "timerfd_gettime of a periodic timerfd");
	n = 0;
	for (int i = 0; i < 3; i++)
		n += ticks(fd) >= 1;
	CHECK_EQ(n, 3, "it keeps expiring");
	sleep_ms(50);
	CHECK(timerfd_gettime(fd, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 10 * MS,
	      "timerfd_gettime moves an expired timer to its next period");
	CHECK(ticks(fd) >= 3, "and keeps the periods it missed");
	close(fd);
}

static void test_abstime(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	CHECK_EQ(tfset(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_REALTIME) - 1000 * MS, 0, NULL), 0, "TFD_TIMER_ABSTIME in the past");
	CHECK(readable(fd, 5000) && ticks(fd) == 1, "it expires at once");
	CHECK_EQ(tfset(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_REALTIME) - 1000 * MS, 100 * MS, NULL), 0,
		 "TFD_TIMER_ABSTIME 1 s ago, every 100 ms");
	CHECK(readable(fd, 5000), "readable at once");
	long n = ticks(fd);
	if (!CHECK(n >= 10, "it counts the periods since then"))
		t_printf("# got %ld\n", n);
	CHECK_EQ(tfset(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, now_ns(CLOCK_REALTIME) + 20 * MS, 0, NULL), 0,
		 "TFD_TIMER_CANCEL_ON_SET is accepted");
	CHECK(readable(fd, 5000) && ticks(fd) == 1, "the absolute CLOCK_REALTIME timerfd expires");
	close(fd);
	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	CHECK(fd >= 0, "timerfd_create CLOCK_BOOTTIME");
	tfset(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_BOOTTIME) + 20 * MS, 0, NULL);
	CHECK_EQ(ticks(fd), 1, "the absolute CLOCK_BOOTTIME timerfd expires");
	close(fd);
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	tfset(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) + 20 * MS, 0, NULL);
	CHECK_EQ(ticks(fd), 1, "the absolute CLOCK_MONOTONIC timerfd expires");
	close(fd);
}

static void test_epoll(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 7};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0, "epoll_ctl ADD a timerfd");
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0, "epoll: not ready");
	tfset(fd, 0, 20 * MS, 0, NULL);
	CHECK(epoll_wait(ep, &e, 1, 5000) == 1 && e.events == EPOLLIN && e.data.u64 == 7, "epoll_wait wakes when it expires");
	CHECK_EQ(ticks(fd), 1, "read");
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0, "epoll: not ready after the read");
	e.events = EPOLLIN | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
	tfset(fd, 0, 5 * MS, 5 * MS, NULL);
	int n = 0;
	for (int i = 0; i < 3; i++)
		if (epoll_wait(ep, &e, 1, 5000) == 1 && ticks(fd) >= 1)
			n++;
	CHECK_EQ(n, 3, "edge-triggered epoll on a periodic timerfd");
	close(ep);
	close(fd);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static void test_eintr(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	tfset(fd, 0, 100000 * MS, 0, NULL);
	struct itimerval it = {{0, 0}, {0, 30000}};
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_ERR(ticks(fd), EINTR, "a signal interrupts a blocking read: EINTR");
	CHECK_EQ(alarms, 1, "the handler ran");
	close(fd);
}

static void test_fork(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	tfset(fd, 0, 30 * MS, 0, NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(ticks(fd) == 1 ? 0 : 1);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child reads the timerfd it inherited");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	CHECK_ERR(ticks(fd), EAGAIN, "the child's read took the expiration");
	close(fd);
}

int main(void)
{
	test_create();
	test_errors();
	test_oneshot();
	test_periodic();
	test_abstime();
	test_epoll();
	test_eintr();
	test_fork();
	return t_done();
}
