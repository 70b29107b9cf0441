/* ptimers: POSIX per-process timers (timer_create, timer_settime,
 * timer_gettime, timer_getoverrun, timer_delete) on CLOCK_REALTIME,
 * MONOTONIC, BOOTTIME and the CPU-time clocks; SIGEV_SIGNAL, SIGEV_NONE,
 * SIGEV_THREAD_ID and musl's SIGEV_THREAD; the siginfo a timer signal
 * carries; overruns; what fork and execve do to timers; the errors. The
 * system calls are made with syscall(2) (the kernel's int timer IDs), except
 * for SIGEV_THREAD, which is the C library's. Only facts are printed, never
 * times or IDs; timing checks have wide margins. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)0xffff800000000000UL)
#define MS 1000000L
/* The CPU clock of a PID no process has (MAKE_PROCESS_CPUCLOCK). */
#define NOPROC_CLOCK ((clockid_t)((~0x3ffffeU) << 3 | 2))

static long tcreate(clockid_t clock, struct sigevent *ev, int *id)
{
	return syscall(SYS_timer_create, clock, ev, id);
}

static long tset(int id, int flags, long value_ns, long interval_ns, struct itimerspec *old)
{
	struct itimerspec its = {
		.it_interval = {interval_ns / 1000000000L, interval_ns % 1000000000L},
		.it_value = {value_ns / 1000000000L, value_ns % 1000000000L},
	};
	return syscall(SYS_timer_settime, id, flags, &its, old);
}

static long tget(int id, struct itimerspec *cur) { return syscall(SYS_timer_gettime, id, cur); }
static long toverrun(int id) { return syscall(SYS_timer_getoverrun, id); }
static long tdelete(int id) { return syscall(SYS_timer_delete, id); }

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

static struct sigevent sev(int notify, int signo, int value)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = notify;
	ev.sigev_signo = signo;
	ev.sigev_value.sival_int = value;
	return ev;
}

/* Handler state: the last siginfo and how many came. */
static volatile sig_atomic_t hits;
static volatile int h_code, h_timerid, h_overrun, h_value;

static void on_timer(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	hits++;
	h_code = si->si_code;
	h_timerid = si->si_timerid;
	h_overrun = si->si_overrun;
	h_value = si->si_value.sival_int;
}

static void catch(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

/* wait_hits waits up to 10 s of wall time for n handler runs. */
static int wait_hits(int n)
{
	for (int i = 0; i < 1000 && hits < n; i++)
		sleep_ms(10);
	return hits >= n;
}

static int sigpending_has(int sig)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

static void test_errors(void)
{
	struct sigevent ev = sev(SIGEV_SIGNAL, SIGUSR1, 0);
	int id;
	CHECK_ERR(tcreate(99, &ev, &id), EINVAL, "timer_create: bad clock is EINVAL");
	CHECK_ERR(tcreate(CLOCK_MONOTONIC_RAW, &ev, &id), EOPNOTSUPP, "timer_create: CLOCK_MONOTONIC_RAW is EOPNOTSUPP");
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, BAD, &id), EFAULT, "timer_create: bad sigevent is EFAULT");
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, &ev, BAD), EFAULT, "timer_create: bad timer ID pointer is EFAULT");
	ev = sev(99, SIGUSR1, 0);
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, &ev, &id), EINVAL, "timer_create: bad sigev_notify is EINVAL");
	ev = sev(SIGEV_SIGNAL, 0, 0);
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, &ev, &id), EINVAL, "timer_create: signal 0 is EINVAL");
	ev = sev(SIGEV_SIGNAL, 65, 0);
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, &ev, &id), EINVAL, "timer_create: signal 65 is EINVAL");
	ev = sev(SIGEV_NONE, 0, 0);
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create: SIGEV_NONE needs no signal");
	tdelete(id);
	ev = sev(SIGEV_THREAD_ID, SIGUSR1, 0);
	ev.sigev_notify_thread_id = 0x3fffffff;
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, &ev, &id), EINVAL, "timer_create: SIGEV_THREAD_ID of no thread is EINVAL");
	ev.sigev_notify_thread_id = 1;
	CHECK_ERR(tcreate(CLOCK_MONOTONIC, &ev, &id), EINVAL, "timer_create: SIGEV_THREAD_ID of another process is EINVAL");

	ev = sev(SIGEV_NONE, 0, 0);
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create SIGEV_NONE");
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, NULL, NULL), EINVAL, "timer_settime: NULL new value is EINVAL");
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, BAD, NULL), EFAULT, "timer_settime: bad new value is EFAULT");
	struct itimerspec its = {{0, 0}, {0, 1000000000L}};
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL, "timer_settime: tv_nsec 1e9 is EINVAL");
	its = (struct itimerspec){{-1, 0}, {1, 0}};
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL, "timer_settime: negative interval is EINVAL");
	its = (struct itimerspec){{0, 0}, {1, 0}};
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, &its, BAD), EFAULT, "timer_settime: bad old value is EFAULT");
	struct itimerspec cur;
	CHECK_EQ(tget(id, &cur), 0, "timer_gettime after a set whose old value faulted");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0, "the timer was set all the same");
	CHECK_ERR(tget(id, BAD), EFAULT, "timer_gettime: bad pointer is EFAULT");
	CHECK_EQ(tdelete(id), 0, "timer_delete");
	CHECK_ERR(tget(id, &cur), EINVAL, "timer_gettime of a deleted timer is EINVAL");
	CHECK_ERR(tset(id, 0, MS, 0, NULL), EINVAL, "timer_settime of a deleted timer is EINVAL");
	CHECK_ERR(toverrun(id), EINVAL, "timer_getoverrun of a deleted timer is EINVAL");
	CHECK_ERR(tdelete(id), EINVAL, "timer_delete twice is EINVAL");
	CHECK_ERR(tdelete(-1), EINVAL, "timer_delete(-1) is EINVAL");
	CHECK_ERR(tget(123456, &cur), EINVAL, "timer_gettime of an unknown ID is EINVAL");
}

static void test_ids(void)
{
	int a, b;
	struct sigevent ev = sev(SIGEV_NONE, 0, 0);
	CHECK(tcreate(CLOCK_MONOTONIC, &ev, &a) == 0 && tcreate(CLOCK_MONOTONIC, &ev, &b) == 0 && a != b && a >= 0 && b >= 0,
	      "two timers get two IDs");
	tdelete(a);
	tdelete(b);
}

static void test_oneshot_signal(void)
{
	catch(SIGUSR1);
	struct sigevent ev = sev(SIGEV_SIGNAL, SIGUSR1, 42);
	int id;
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create CLOCK_MONOTONIC SIGEV_SIGNAL");
	struct itimerspec cur;
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) == 0 && ns(&cur.it_interval) == 0, "a new timer is disarmed");
	hits = 0;
	CHECK_EQ(tset(id, 0, 20 * MS, 0, NULL), 0, "timer_settime 20 ms one-shot");
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 20 * MS, "timer_gettime shows the time left");
	CHECK(wait_hits(1), "the one-shot timer sent its signal");
	CHECK_EQ(h_code, SI_TIMER, "si_code is SI_TIMER");
	CHECK_EQ(h_timerid, id, "si_timerid is the timer's ID");
	CHECK_EQ(h_value, 42, "si_value is sigev_value");
	CHECK_EQ(h_overrun, 0, "si_overrun is 0");
	sleep_ms(50);
	CHECK_EQ(hits, 1, "a one-shot timer fires once");
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) == 0, "an expired one-shot timer reads 0");
	CHECK_EQ(toverrun(id), 0, "timer_getoverrun is 0");

	/* The old value comes back from timer_settime. */
	struct itimerspec old;
	tset(id, 0, 10000 * MS, 5000 * MS, NULL);
	CHECK_EQ(tset(id, 0, 0, 0, &old), 0, "timer_settime 0 disarms");
	CHECK(old.it_value.tv_sec == 9 || old.it_value.tv_sec == 10, "the old it_value is the time that was left");
	CHECK(old.it_interval.tv_sec == 5 && old.it_interval.tv_nsec == 0, "the old it_interval");
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) == 0 && ns(&cur.it_interval) == 0, "a disarmed timer reads 0");
	tdelete(id);

	/* A NULL sigevent: SIGALRM with the timer ID as value. */
	catch(SIGALRM);
	CHECK_EQ(tcreate(CLOCK_REALTIME, NULL, &id), 0, "timer_create with a NULL sigevent");
	hits = 0;
	tset(id, 0, 10 * MS, 0, NULL);
	CHECK(wait_hits(1) && h_code == SI_TIMER && h_value == id && h_timerid == id, "it sends SIGALRM with si_value = the ID");
	tdelete(id);
}

static void test_abstime(void)
{
	catch(SIGUSR2);
	struct sigevent ev = sev(SIGEV_SIGNAL, SIGUSR2, 7);
	int id;
	CHECK_EQ(tcreate(CLOCK_REALTIME, &ev, &id), 0, "timer_create CLOCK_REALTIME");
	hits = 0;
	long t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(tset(id, TIMER_ABSTIME, now_ns(CLOCK_REALTIME) + 50 * MS, 0, NULL), 0, "TIMER_ABSTIME on CLOCK_REALTIME");
	struct itimerspec cur;
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 50 * MS, "it reads the time left");
	CHECK(wait_hits(1), "the absolute CLOCK_REALTIME timer fired");
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 45 * MS, "not before its time");
	hits = 0;
	CHECK_EQ(tset(id, TIMER_ABSTIME, now_ns(CLOCK_REALTIME) - 1000 * MS, 0, NULL), 0, "TIMER_ABSTIME in the past");
	CHECK(wait_hits(1), "a time already past fires at once");
	tdelete(id);

	CHECK_EQ(tcreate(CLOCK_BOOTTIME, &ev, &id), 0, "timer_create CLOCK_BOOTTIME");
	hits = 0;
	tset(id, TIMER_ABSTIME, now_ns(CLOCK_BOOTTIME) + 20 * MS, 0, NULL);
	CHECK(wait_hits(1) && h_value == 7, "the absolute CLOCK_BOOTTIME timer fired");
	tdelete(id);
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create CLOCK_MONOTONIC");
	hits = 0;
	tset(id, TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) + 20 * MS, 0, NULL);
	CHECK(wait_hits(1), "the absolute CLOCK_MONOTONIC timer fired");
	tdelete(id);
	CHECK_EQ(tcreate(CLOCK_TAI, &ev, &id), 0, "timer_create CLOCK_TAI");
	hits = 0;
	tset(id, TIMER_ABSTIME, now_ns(CLOCK_TAI) + 20 * MS, 0, NULL);
	CHECK(wait_hits(1), "the absolute CLOCK_TAI timer fired");
	tdelete(id);
}

static void test_periodic(void)
{
	catch(SIGRTMIN);
	struct sigevent ev = sev(SIGEV_SIGNAL, SIGRTMIN, 1);
	int id;
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create for a periodic timer");
	hits = 0;
	CHECK_EQ(tset(id, 0, 10 * MS, 10 * MS, NULL), 0, "timer_settime 10 ms every 10 ms");
	CHECK(wait_hits(5), "a periodic timer fires again and again");
	struct itimerspec cur;
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_interval) == 10 * MS && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 10 * MS,
	      "timer_gettime of a running periodic timer");
	tset(id, 0, 0, 0, NULL);

	/* Blocked, the signal stays pending and the timer counts overruns. */
	block(SIGRTMIN, SIG_BLOCK);
	hits = 0;
	tset(id, 0, 5 * MS, 5 * MS, NULL);
	sleep_ms(100);
	CHECK(sigpending_has(SIGRTMIN), "the timer's signal is pending while blocked");
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 5 * MS,
	      "timer_gettime forwards a timer whose signal waits");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	siginfo_t si;
	CHECK_EQ(sigwaitinfo(&set, &si), SIGRTMIN, "sigwaitinfo takes the timer's signal");
	CHECK(si.si_code == SI_TIMER && si.si_timerid == id, "with SI_TIMER and the timer ID");
	CHECK(si.si_overrun >= 5, "si_overrun counts the expirations missed while it waited");
	long ov = toverrun(id);
	CHECK(ov == si.si_overrun, "timer_getoverrun says the same");
	CHECK(!sigpending_has(SIGRTMIN), "only one signal was queued");
	CHECK_EQ(sigwaitinfo(&set, &si), SIGRTMIN, "dequeuing re-armed it: it fires again");
	CHECK(si.si_overrun >= 0 && si.si_overrun < 1000, "with a sane overrun");
	tset(id, 0, 0, 0, NULL);
	CHECK_EQ(toverrun(id), 0, "timer_settime clears the overrun");
	block(SIGRTMIN, SIG_UNBLOCK);
	tdelete(id);

	/* A timer can be deleted with its signal queued. (What becomes of
	 * the signal changed in Linux 6.13: 6.1 delivers it, newer kernels
	 * drop it. SIG_IGN discards it either way.) */
	block(SIGRTMIN, SIG_BLOCK);
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create");
	tset(id, 0, MS, 0, NULL);
	for (int i = 0; i < 1000 && !sigpending_has(SIGRTMIN); i++)
		sleep_ms(10);
	CHECK_EQ(tdelete(id), 0, "timer_delete with its signal pending");
	signal(SIGRTMIN, SIG_IGN);
	CHECK(!sigpending_has(SIGRTMIN), "SIG_IGN discards it");
	block(SIGRTMIN, SIG_UNBLOCK);
}

static void test_sigev_none(void)
{
	struct sigevent ev = sev(SIGEV_NONE, 0, 0);
	int id;
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create SIGEV_NONE");
	struct itimerspec cur;
	tset(id, 0, 10000 * MS, 0, NULL);
	CHECK(tget(id, &cur) == 0 && (cur.it_value.tv_sec == 9 || cur.it_value.tv_sec == 10), "SIGEV_NONE: it runs down");
	tset(id, 0, MS, 0, NULL);
	sleep_ms(20);
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) == 0, "SIGEV_NONE: expired, it reads 0");
	tset(id, 0, MS, 4 * MS, NULL);
	sleep_ms(30);
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 4 * MS && ns(&cur.it_interval) == 4 * MS,
	      "SIGEV_NONE periodic: it reads the time to the next period");
	tset(id, 0, 10000 * MS, 0, NULL);
	tset(id, 0, 0, 0, NULL);
	/* Linux keeps the expiry of a disarmed SIGEV_NONE timer: it reads on. */
	CHECK(tget(id, &cur) == 0 && cur.it_value.tv_sec >= 9 && ns(&cur.it_interval) == 0,
	      "SIGEV_NONE disarmed: it still reads its old expiry");
	tdelete(id);
}

/* SIGEV_THREAD_ID: the signal goes to that thread only. */
static volatile int thread_tid, thread_got, thread_code;

static void *waiter(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	thread_tid = gettid();
	siginfo_t si;
	if (sigwaitinfo(&set, &si) == SIGUSR2) {
		thread_got = 1;
		thread_code = si.si_code;
	}
	return NULL;
}

static void test_thread_id(void)
{
	block(SIGUSR2, SIG_BLOCK); /* the thread inherits the mask */
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	while (!thread_tid)
		sleep_ms(1);
	struct sigevent ev = sev(SIGEV_THREAD_ID, SIGUSR2, 0);
	ev.sigev_notify_thread_id = thread_tid;
	int id;
	CHECK_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0, "timer_create SIGEV_THREAD_ID");
	tset(id, 0, 20 * MS, 0, NULL);
	pthread_join(th, NULL);
	CHECK(thread_got && thread_code == SI_TIMER, "the signal went to that thread");
	CHECK(!sigpending_has(SIGUSR2), "and not to the process");
	tdelete(id);
	block(SIGUSR2, SIG_UNBLOCK);
}

/* musl's SIGEV_THREAD: a helper thread calls the function. */
static volatile int notified, notified_val;

static void notify(union sigval v)
{
	notified_val = v.sival_int;
	__atomic_add_fetch(&notified, 1, __ATOMIC_SEQ_CST);
}

static void test_sigev_thread(void)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = notify;
	ev.sigev_value.sival_int = 99;
	timer_t t;
	CHECK_EQ(timer_create(CLOCK_MONOTONIC, &ev, &t), 0, "timer_create SIGEV_THREAD (musl)");
	struct itimerspec its = {{0, 10 * MS}, {0, 10 * MS}};
	CHECK_EQ(timer_settime(t, 0, &its, NULL), 0, "timer_settime on it");
	for (int i = 0; i < 1000 && notified < 3; i++)
		sleep_ms(10);
	CHECK(notified >= 3 && notified_val == 99, "the function runs on every expiry with sigev_value");
	struct itimerspec cur;
	CHECK(timer_gettime(t, &cur) == 0 && ns(&cur.it_interval) == 10 * MS, "timer_gettime on it");
	CHECK_EQ(timer_delete(t), 0, "timer_delete on it");
}

/* CPU-time clocks. */
static volatile long sink;

static void spin_until_hits(int n, long max_ms)
{
	long end = now_ns(CLOCK_MONOTONIC) + max_ms * MS;
	while (hits < n && now_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 100000; i++)
			sink += i;
}

static void test_cpu_clocks(void)
{
	catch(SIGUSR1);
	struct sigevent ev = sev(SIGEV_SIGNAL, SIGUSR1, 3);
	int id;
	CHECK_EQ(tcreate(CLOCK_PROCESS_CPUTIME_ID, &ev, &id), 0, "timer_create CLOCK_PROCESS_CPUTIME_ID");
	struct itimerspec cur;
	hits = 0;
	long c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	tset(id, 0, 30 * MS, 0, NULL);
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 30 * MS, "a CPU timer reads the CPU time left");
	sleep_ms(60);
	CHECK_EQ(hits, 0, "a CPU timer does not run while the process sleeps");
	spin_until_hits(1, 20000);
	CHECK(hits == 1 && h_code == SI_TIMER && h_value == 3 && h_timerid == id, "the process CPU timer fired");
	CHECK(now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0 >= 25 * MS, "after the process used its CPU time");
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_value) == 0, "a fired one-shot CPU timer reads 0");
	hits = 0;
	tset(id, 0, 5 * MS, 5 * MS, NULL);
	spin_until_hits(4, 20000);
	CHECK(hits >= 4, "a periodic process CPU timer fires again and again");
	CHECK(tget(id, &cur) == 0 && ns(&cur.it_interval) == 5 * MS, "its interval");
	tset(id, 0, 0, 0, NULL);
	hits = 0;
	tset(id, TIMER_ABSTIME, now_ns(CLOCK_PROCESS_CPUTIME_ID) - MS, 0, NULL);
	CHECK(wait_hits(1), "a CPU time already passed fires at once");
	tdelete(id);

	CHECK_EQ(tcreate(CLOCK_THREAD_CPUTIME_ID, &ev, &id), 0, "timer_create CLOCK_THREAD_CPUTIME_ID");
	hits = 0;
	tset(id, 0, 20 * MS, 0, NULL);
	spin_until_hits(1, 20000);
	CHECK(hits == 1 && h_code == SI_TIMER, "the thread CPU timer fired");
	tdelete(id);

	clockid_t pc, tc;
	CHECK_EQ(clock_getcpuclockid(getpid(), &pc), 0, "clock_getcpuclockid");
	struct timespec ts;
	CHECK(clock_gettime(pc, &ts) == 0 && ns(&ts) > 0, "clock_gettime on the process's CPU clock by PID");
	CHECK_EQ(pthread_getcpuclockid(pthread_self(), &tc), 0, "pthread_getcpuclockid");
	CHECK(clock_gettime(tc, &ts) == 0 && ns(&ts) > 0, "clock_gettime on the thread's CPU clock by TID");
	CHECK_EQ(tcreate(pc, &ev, &id), 0, "timer_create on the CPU clock by PID");
	hits = 0;
	tset(id, 0, 20 * MS, 0, NULL);
	spin_until_hits(1, 20000);
	CHECK_EQ(hits, 1, "it fired");
	tdelete(id);
	CHECK_EQ(tcreate(tc, &ev, &id), 0, "timer_create on the thread CPU clock by TID");
	tdelete(id);
	CHECK_ERR(clock_gettime(NOPROC_CLOCK, &ts), EINVAL, "clock_gettime: the CPU clock of no process is EINVAL");
	CHECK_ERR(tcreate(NOPROC_CLOCK, &ev, &id), EINVAL, "timer_create: the CPU clock of no process is EINVAL");
}

static void test_fork(void)
{
	struct sigevent ev = sev(SIGEV_NONE, 0, 0);
	int id;
	tcreate(CLOCK_MONOTONIC, &ev, &id);
	tset(id, 0, 10000 * MS, 0, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct itimerspec cur;
		int r = tget(id, &cur) == -1 && errno == EINVAL;
		_exit(r ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork: the child has none of the parent's timers");
	struct itimerspec cur;
	CHECK(tget(id, &cur) == 0 && cur.it_value.tv_sec >= 9, "the parent's timer goes on");
	tdelete(id);
}

/* After execve: the timer must be gone, and its queued signal too. */
static int after_exec(int id)
{
	struct itimerspec cur;
	CHECK_ERR(tget(id, &cur), EINVAL, "execve deletes the timers");
	CHECK(!sigpending_has(SIGUSR1), "execve discards the timer signals queued");
	CHECK(sigpending_has(SIGUSR2), "but keeps other pending signals");
	return t_done();
}

static void test_exec(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		block(SIGUSR1, SIG_BLOCK);
		block(SIGUSR2, SIG_BLOCK);
		struct sigevent ev = sev(SIGEV_SIGNAL, SIGUSR1, 0);
		int id;
		tcreate(CLOCK_MONOTONIC, &ev, &id);
		tset(id, 0, MS, 0, NULL);
		while (!sigpending_has(SIGUSR1))
			sleep_ms(1);
		kill(getpid(), SIGUSR2);
		char arg[16];
		snprintf(arg, sizeof arg, "%d", id);
		char *av[] = {"ptimers", "--after-exec", arg, NULL};
		char *envp[] = {NULL};
		execve("/proc/self/exe", av, envp); /* Linux */
		execve("/bin/ptimers", av, envp);   /* tamix */
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve: the new program has no timer");
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec(atoi(argv[2]));
	test_errors();
	test_ids();
	test_oneshot_signal();
	test_abstime();
	test_periodic();
	test_sigev_none();
	test_thread_id();
	test_sigev_thread();
	test_cpu_clocks();
	test_fork();
	test_exec();
	return t_done();
}
