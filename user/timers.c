/* timers: alarm, setitimer/getitimer (ITIMER_REAL one-shot and periodic,
 * ITIMER_VIRTUAL, ITIMER_PROF), what fork and execve do to the timers,
 * times, gettimeofday against clock_gettime, sysinfo, getcpu, and their
 * EINVAL/EFAULT cases. The system calls that libc wraps in other calls
 * (musl's alarm is setitimer, its gettimeofday is clock_gettime) are made
 * with syscall(2). Only facts are printed, never times, so the output is
 * the same on Linux and in tamix; timing checks have wide margins. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)0xffff800000000000UL)

static volatile sig_atomic_t alrm, vtalrm, prof;
static volatile int alrm_code, alrm_pid;

static void on_alrm(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	alrm++;
	alrm_code = si->si_code;
	alrm_pid = si->si_pid;
}
static void on_vtalrm(int s) { (void)s; vtalrm++; }
static void on_prof(int s) { (void)s; prof++; }

static void catch(int sig, void (*h)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void catch_alrm(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_alrm;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

static long sys_alarm(unsigned s) { return syscall(SYS_alarm, s); }

static long set_it(int which, long vsec, long vusec, long isec, long iusec, struct itimerval *old)
{
	struct itimerval it = { { isec, iusec }, { vsec, vusec } };
	return syscall(SYS_setitimer, which, &it, old);
}

static long tv_us(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

/* spin burns CPU until the clock c advanced by ms (at most 20 s of wall time). */
static void spin(clockid_t c, int ms)
{
	int64_t end = now_ns(c) + ms * 1000000LL, give_up = now_ns(CLOCK_MONOTONIC) + 20000000000LL;
	while (now_ns(c) < end && now_ns(CLOCK_MONOTONIC) < give_up)
		;
}

/* spin until *flag reaches n (at most 20 s of wall time); 1 if it did. */
static int spin_until(volatile sig_atomic_t *flag, int n)
{
	int64_t give_up = now_ns(CLOCK_MONOTONIC) + 20000000000LL;
	while (*flag < n && now_ns(CLOCK_MONOTONIC) < give_up)
		;
	return *flag >= n;
}

/* Run after execve by a child whose timers were set before it: report
 * what survived in the exit status (a bit per failure). */
static int after_exec(void)
{
	int bad = 0;
	struct itimerval it;
	catch_alrm();
	if (getitimer(ITIMER_REAL, &it) != 0 || it.it_value.tv_sec > 1 || tv_us(it.it_value) <= 0 ||
	    tv_us(it.it_interval) != 0)
		bad |= 1;
	if (getitimer(ITIMER_VIRTUAL, &it) != 0 || tv_us(it.it_value) <= 0 || it.it_interval.tv_sec != 7)
		bad |= 2;
	errno = 0;
	if (pause() != -1 || errno != EINTR || alrm != 1)
		bad |= 4;
	return bad;
}

static void test_alarm(void)
{
	catch_alrm();
	CHECK_EQ(sys_alarm(0), 0, "alarm(0) with no alarm returns 0");
	CHECK_EQ(sys_alarm(10), 0, "alarm(10) returns 0");
	CHECK_EQ(sys_alarm(5), 10, "alarm(5) returns the 10 s left (9.99... rounded)");
	CHECK_EQ(sys_alarm(0), 5, "alarm(0) cancels and returns 5");
	CHECK_EQ(sys_alarm(0), 0, "nothing left after alarm(0)");
	CHECK_EQ(alarm(3), 0, "libc alarm(3) returns 0");
	CHECK_EQ(alarm(0), 3, "libc alarm(0) returns 3");

	/* alarm and setitimer are the same timer. */
	set_it(ITIMER_REAL, 7, 0, 0, 0, NULL);
	CHECK_EQ(sys_alarm(0), 7, "alarm sees the ITIMER_REAL set by setitimer");
	set_it(ITIMER_REAL, 0, 200000, 0, 0, NULL);
	CHECK_EQ(sys_alarm(0), 1, "0.2 s left: alarm returns 1, not 0");
	sys_alarm(4);
	struct itimerval it;
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec <= 4 && tv_us(it.it_value) > 3000000 &&
	      tv_us(it.it_interval) == 0, "getitimer sees the alarm");
	sys_alarm(0);

	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(sys_alarm(1), 0, "alarm(1)");
	errno = 0;
	int r = pause();
	CHECK(r == -1 && errno == EINTR, "pause returns -1 EINTR after SIGALRM");
	CHECK(alrm == 1, "the SIGALRM handler ran once");
	CHECK(alrm_code == SI_KERNEL, "SIGALRM si_code is SI_KERNEL");
	CHECK(alrm_pid == 0, "SIGALRM si_pid is 0");
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 1000000000LL, "not before the second is up");
	CHECK_EQ(sys_alarm(0), 0, "the alarm is gone once it fired");
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) == 0, "getitimer: disarmed");
}

static void test_periodic(void)
{
	struct itimerval it, old;
	catch_alrm();
	alrm = 0;
	CHECK_EQ(set_it(ITIMER_REAL, 1, 0, 0, 500000, NULL), 0, "setitimer 1 s, interval 0.5 s");
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) > 500000 && tv_us(it.it_value) <= 1000000,
	      "getitimer: value left is within the second");
	CHECK(tv_us(it.it_interval) == 500000, "getitimer: interval 0.5 s");
	CHECK_EQ(set_it(ITIMER_REAL, 2, 0, 0, 0, &old), 0, "setitimer returns the old value");
	CHECK(tv_us(old.it_value) > 500000 && tv_us(old.it_value) <= 1000000 && tv_us(old.it_interval) == 500000,
	      "old value: the previous timer");
	CHECK_EQ(set_it(ITIMER_REAL, 0, 0, 0, 300000, &old), 0, "setitimer 0 disarms");
	CHECK(tv_us(old.it_value) > 1000000 && tv_us(old.it_value) <= 2000000 && tv_us(old.it_interval) == 0,
	      "old value of the one-shot");
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) == 0 && tv_us(it.it_interval) == 0,
	      "a zero value clears the interval too");

	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	set_it(ITIMER_REAL, 0, 20000, 0, 20000, NULL);
	int bad = 0;
	while (alrm < 5) {
		errno = 0;
		if (pause() != -1 || errno != EINTR)
			bad++;
	}
	int64_t el = now_ns(CLOCK_MONOTONIC) - t0;
	set_it(ITIMER_REAL, 0, 0, 0, 0, NULL);
	CHECK(bad == 0, "each periodic SIGALRM interrupted pause with EINTR");
	CHECK(el >= 100000000LL, "five 20 ms periods took at least 100 ms");
	CHECK(el < 10000000000LL, "and the timer kept going");
	int n = alrm;
	msleep(60);
	CHECK(alrm == n, "no SIGALRM after the timer is disarmed");

	/* Blocked: one SIGALRM stays pending, and the timer is re-armed only
	 * when it is taken. */
	sigset_t m, pend;
	sigemptyset(&m);
	sigaddset(&m, SIGALRM);
	sigprocmask(SIG_BLOCK, &m, NULL);
	alrm = 0;
	set_it(ITIMER_REAL, 0, 10000, 1, 0, NULL);
	msleep(100);
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGALRM) && alrm == 0, "blocked SIGALRM is pending");
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) == 0 && tv_us(it.it_interval) == 1000000,
	      "periodic timer waits for its pending signal to be taken");
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	CHECK(alrm == 1, "one SIGALRM delivered on unblock");
	sigprocmask(SIG_BLOCK, &m, NULL);
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) > 0 && tv_us(it.it_value) <= 1000000,
	      "taking the signal re-armed the timer");
	set_it(ITIMER_REAL, 0, 0, 0, 0, NULL);
	sigprocmask(SIG_UNBLOCK, &m, NULL);

	/* Ignored: the signal is discarded when sent, so nothing re-arms the
	 * periodic timer. */
	signal(SIGALRM, SIG_IGN);
	set_it(ITIMER_REAL, 0, 10000, 0, 10000, NULL);
	msleep(100);
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) == 0 && tv_us(it.it_interval) == 10000,
	      "an ignored SIGALRM stops a periodic timer");
	set_it(ITIMER_REAL, 0, 0, 0, 0, NULL);
	catch_alrm();
}

static void test_cpu_timers(void)
{
	struct itimerval it;
	catch(SIGVTALRM, on_vtalrm);
	catch(SIGPROF, on_prof);
	CHECK_EQ(set_it(ITIMER_VIRTUAL, 0, 50000, 0, 30000, NULL), 0, "setitimer ITIMER_VIRTUAL 50 ms, interval 30 ms");
	CHECK(getitimer(ITIMER_VIRTUAL, &it) == 0 && tv_us(it.it_value) > 0 && tv_us(it.it_value) <= 70000 &&
	      tv_us(it.it_interval) == 30000, "getitimer ITIMER_VIRTUAL");
	msleep(100);
	CHECK(vtalrm == 0, "sleeping uses no user time");
	CHECK(spin_until(&vtalrm, 3), "three SIGVTALRM while spinning");
	set_it(ITIMER_VIRTUAL, 0, 0, 0, 0, NULL);

	CHECK_EQ(set_it(ITIMER_PROF, 0, 40000, 0, 0, NULL), 0, "setitimer ITIMER_PROF 40 ms one-shot");
	CHECK(spin_until(&prof, 1), "SIGPROF while spinning");
	CHECK(getitimer(ITIMER_PROF, &it) == 0 && tv_us(it.it_value) == 0, "one-shot ITIMER_PROF disarmed after it fired");
	spin(CLOCK_PROCESS_CPUTIME_ID, 60);
	CHECK(prof == 1, "it fired once");

	CHECK_EQ(set_it(ITIMER_VIRTUAL, 0, 0, 0, 7000, NULL), 0, "setitimer ITIMER_VIRTUAL 0 with an interval");
	CHECK(getitimer(ITIMER_VIRTUAL, &it) == 0 && tv_us(it.it_value) == 0 && tv_us(it.it_interval) == 7000,
	      "a disarmed CPU timer keeps its interval");
	set_it(ITIMER_VIRTUAL, 0, 0, 0, 0, NULL);
}

static int exec_self(void)
{
	char *av[] = { "timers", "--after-exec", NULL };
	char *ev[] = { NULL };
	execve("/proc/self/exe", av, ev); /* Linux */
	execve("/bin/timers", av, ev);    /* tamix */
	return 127;
}

static void test_fork_exec(void)
{
	int st;
	set_it(ITIMER_REAL, 5, 0, 0, 0, NULL);
	set_it(ITIMER_VIRTUAL, 5, 0, 1, 0, NULL);
	pid_t p = fork();
	if (p == 0) {
		struct itimerval r, v;
		int bad = getitimer(ITIMER_REAL, &r) != 0 || getitimer(ITIMER_VIRTUAL, &v) != 0 ||
			  tv_us(r.it_value) || tv_us(v.it_value) || tv_us(v.it_interval) || sys_alarm(0) != 0;
		_exit(bad);
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork: the child has no timers");
	CHECK_EQ(sys_alarm(0), 5, "the parent's alarm is untouched");
	set_it(ITIMER_VIRTUAL, 0, 0, 0, 0, NULL);

	p = fork();
	if (p == 0) {
		set_it(ITIMER_REAL, 0, 500000, 0, 0, NULL);
		set_it(ITIMER_VIRTUAL, 100, 0, 7, 0, NULL);
		_exit(exec_self());
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) != 127, "the child re-executed itself");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "execve keeps ITIMER_REAL");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "execve keeps ITIMER_VIRTUAL");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 4), "the SIGALRM arrives in the new program");

	/* An alarm with no handler kills the process with SIGALRM. */
	p = fork();
	if (p == 0) {
		signal(SIGALRM, SIG_DFL);
		set_it(ITIMER_REAL, 0, 50000, 0, 0, NULL);
		for (;;)
			pause();
	}
	CHECK(waitpid(p, &st, 0) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM, "default SIGALRM terminates");

	/* A process's exit cancels its timer: nothing is left to fire. */
	p = fork();
	if (p == 0) {
		set_it(ITIMER_REAL, 0, 50000, 0, 50000, NULL);
		_exit(0);
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child exits with a timer armed");
	msleep(120);
}

static void *spin_thread(void *arg)
{
	(void)arg;
	spin(CLOCK_THREAD_CPUTIME_ID, 200);
	return NULL;
}

static void test_times(void)
{
	struct tms a, b;
	clock_t c0 = times(&a);
	CHECK(c0 != (clock_t)-1, "times returns the clock");
	msleep(100);
	clock_t c1 = times(&b);
	CHECK(c1 - c0 >= 5 && c1 - c0 < 1000, "times: about 10 ticks pass in 100 ms");
	CHECK(sysconf(_SC_CLK_TCK) == 100, "clock ticks are 1/100 s");
	CHECK(b.tms_utime >= a.tms_utime && b.tms_stime >= a.tms_stime, "process times do not go back");

	spin(CLOCK_PROCESS_CPUTIME_ID, 200);
	times(&b);
	CHECK((b.tms_utime + b.tms_stime) - (a.tms_utime + a.tms_stime) >= 10, "200 ms of CPU is at least 10 ticks");

	/* A thread's time stays in the process's after it exits. */
	times(&a);
	pthread_t th;
	pthread_create(&th, NULL, spin_thread, NULL);
	pthread_join(th, NULL);
	times(&b);
	CHECK((b.tms_utime + b.tms_stime) - (a.tms_utime + a.tms_stime) >= 10, "a joined thread's CPU time counts");

	/* Children's times appear once they are waited for. */
	times(&a);
	int fd[2];
	pipe(fd);
	pid_t p = fork();
	if (p == 0) {
		close(fd[0]);
		spin(CLOCK_PROCESS_CPUTIME_ID, 200);
		_exit(0);
	}
	close(fd[1]);
	char c;
	CHECK(read(fd[0], &c, 1) == 0, "the child spun and exited");
	close(fd[0]);
	times(&b);
	CHECK(b.tms_cutime == a.tms_cutime && b.tms_cstime == a.tms_cstime, "an unreaped child's time is not counted");
	waitpid(p, NULL, 0);
	times(&b);
	CHECK((b.tms_cutime + b.tms_cstime) - (a.tms_cutime + a.tms_cstime) >= 10, "a reaped child's time is in cutime");
	CHECK(b.tms_utime - a.tms_utime < 10, "and not in the parent's own");

	errno = 0;
	CHECK(syscall(SYS_times, NULL) > 0, "times(NULL) returns the clock");
	CHECK_ERR(syscall(SYS_times, BAD), EFAULT, "times with a bad pointer is EFAULT");
}

static void test_gettimeofday(void)
{
	struct timeval tv;
	struct { int minuteswest, dsttime; } tz = { 0x55555555, 0x55555555 };
	int64_t before = now_ns(CLOCK_REALTIME) / 1000;
	CHECK_EQ(syscall(SYS_gettimeofday, &tv, &tz), 0, "gettimeofday");
	int64_t after = now_ns(CLOCK_REALTIME) / 1000;
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec in range");
	CHECK(tv_us(tv) >= before && tv_us(tv) <= after, "between two clock_gettime(CLOCK_REALTIME)");
	CHECK(tz.minuteswest >= -24 * 60 && tz.minuteswest <= 24 * 60 && tz.dsttime >= 0 && tz.dsttime < 16,
	      "the timezone is written");
	CHECK_EQ(syscall(SYS_gettimeofday, NULL, NULL), 0, "gettimeofday(NULL, NULL)");
	CHECK_EQ(syscall(SYS_gettimeofday, NULL, &tz), 0, "gettimeofday(NULL, tz)");
	CHECK_ERR(syscall(SYS_gettimeofday, BAD, NULL), EFAULT, "gettimeofday with a bad tv is EFAULT");
	CHECK_ERR(syscall(SYS_gettimeofday, &tv, BAD), EFAULT, "gettimeofday with a bad tz is EFAULT");
	CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_sec > 1600000000, "libc gettimeofday");
}

static void test_sysinfo(void)
{
	struct sysinfo si;
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(sysinfo(&si), 0, "sysinfo");
	int64_t boot = now_ns(CLOCK_BOOTTIME);
	CHECK(si.uptime >= 1 && si.uptime <= boot / 1000000000 + 1 && si.uptime >= boot / 1000000000 - 1,
	      "uptime is CLOCK_BOOTTIME in seconds");
	CHECK(si.mem_unit == 1, "mem_unit 1");
	CHECK(si.totalram >= 16 << 20, "totalram is some RAM");
	CHECK(si.freeram > 0 && si.freeram <= si.totalram, "freeram within totalram");
	CHECK(si.procs >= 1 && si.procs != 0xffff, "procs counts tasks");
	CHECK(si.totalswap >= si.freeswap, "swap");
	CHECK_ERR(syscall(SYS_sysinfo, NULL), EFAULT, "sysinfo(NULL) is EFAULT");
	CHECK_ERR(syscall(SYS_sysinfo, BAD), EFAULT, "sysinfo with a bad pointer is EFAULT");
}

static void test_getcpu(void)
{
	unsigned cpu = 99, node = 99;
	cpu_set_t old, set;
	sched_getaffinity(0, sizeof old, &old);
	CHECK_EQ(syscall(SYS_getcpu, &cpu, &node, NULL), 0, "getcpu");
	CHECK(cpu < CPU_SETSIZE && CPU_ISSET(cpu, &old) && node == 0, "a CPU we may run on, node 0");
	int last = -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &old))
			last = i;
	CPU_ZERO(&set);
	CPU_SET(last, &set);
	sched_setaffinity(0, sizeof set, &set);
	CHECK(syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 && (int)cpu == last, "getcpu follows sched_setaffinity");
	CHECK(sched_getcpu() == last, "libc sched_getcpu agrees");
	sched_setaffinity(0, sizeof old, &old);
	CHECK_EQ(syscall(SYS_getcpu, NULL, NULL, NULL), 0, "getcpu(NULL, NULL)");
	node = 99;
	CHECK_ERR(syscall(SYS_getcpu, BAD, &node, NULL), EFAULT, "getcpu with a bad cpu pointer is EFAULT");
	CHECK(node == 0, "the node was written all the same");
	CHECK_ERR(syscall(SYS_getcpu, &cpu, BAD, NULL), EFAULT, "getcpu with a bad node pointer is EFAULT");
}

static void test_errors(void)
{
	struct itimerval it, old;
	CHECK_ERR(set_it(3, 1, 0, 0, 0, NULL), EINVAL, "setitimer which 3 is EINVAL");
	CHECK_ERR(set_it(-1, 1, 0, 0, 0, NULL), EINVAL, "setitimer which -1 is EINVAL");
	CHECK_ERR(set_it(ITIMER_REAL, 0, 1000000, 0, 0, NULL), EINVAL, "tv_usec 1000000 is EINVAL");
	CHECK_ERR(set_it(ITIMER_REAL, 0, -1, 0, 0, NULL), EINVAL, "negative tv_usec is EINVAL");
	CHECK_ERR(set_it(ITIMER_REAL, -1, 0, 0, 0, NULL), EINVAL, "negative tv_sec is EINVAL");
	CHECK_ERR(set_it(ITIMER_VIRTUAL, 1, 0, 0, 1000000, NULL), EINVAL, "bad interval tv_usec is EINVAL");
	CHECK_ERR(set_it(ITIMER_PROF, 1, 0, -1, 0, NULL), EINVAL, "negative interval tv_sec is EINVAL");
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) == 0, "nothing was armed by the bad calls");
	CHECK_ERR(syscall(SYS_setitimer, ITIMER_REAL, BAD, NULL), EFAULT, "setitimer with a bad value is EFAULT");
	CHECK_ERR(syscall(SYS_setitimer, 3, BAD, NULL), EFAULT, "the value is read before which is checked");
	CHECK_ERR(set_it(ITIMER_REAL, 100, 0, 0, 0, BAD), EFAULT, "setitimer with a bad old value is EFAULT");
	CHECK(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec >= 99, "but the timer was set");
	CHECK_EQ(syscall(SYS_setitimer, ITIMER_REAL, NULL, &old), 0, "setitimer with a NULL value");
	CHECK(old.it_value.tv_sec >= 99 && getitimer(ITIMER_REAL, &it) == 0 && tv_us(it.it_value) == 0,
	      "a NULL value disarms");
	CHECK_ERR(syscall(SYS_getitimer, 3, &it), EINVAL, "getitimer which 3 is EINVAL");
	CHECK_ERR(syscall(SYS_getitimer, 5, BAD), EINVAL, "getitimer checks which first");
	CHECK_ERR(syscall(SYS_getitimer, ITIMER_REAL, BAD), EFAULT, "getitimer with a bad pointer is EFAULT");
	CHECK_ERR(syscall(SYS_getitimer, ITIMER_PROF, NULL), EFAULT, "getitimer(NULL) is EFAULT");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec();
	test_alarm();
	test_periodic();
	test_cpu_timers();
	test_fork_exec();
	test_times();
	test_gettimeofday();
	test_sysinfo();
	test_getcpu();
	test_errors();
	return t_done();
}
