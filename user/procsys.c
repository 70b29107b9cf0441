/* procsys: waitid, prctl, resource limits and rt_sigtimedwait.
 *
 * waitid: argument errors, WEXITED with WNOWAIT then a real reap (siginfo
 * fields, rusage), WNOHANG with nothing ready, a killed child, P_PGID, a NULL
 * infop, WSTOPPED/WCONTINUED around SIGSTOP and SIGCONT. prctl: PR_SET_NAME /
 * PR_GET_NAME, PR_SET_PDEATHSIG delivered to a grandchild when its parent
 * exits, PR_SET_CHILD_SUBREAPER adopting it (getppid) and a zombie, dumpable,
 * no_new_privs. Limits: get/set/prlimit64 and their errors, EMFILE and EBADF
 * after lowering RLIMIT_NOFILE, inheritance by fork and exec, RLIMIT_STACK
 * bounding stack growth. rt_sigtimedwait: a signal sent by a child, SIGCHLD,
 * zero and small timeouts, EINTR by a handled signal, queued real-time
 * signals. Nothing host-specific (pids, times, limits) is printed.
 *
 * "procsys --exec-child" is the program re-executed by the exec checks. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

static long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static int siginfo_is(const siginfo_t *si, int code, pid_t pid, int status)
{
	return si->si_signo == SIGCHLD && si->si_errno == 0 && si->si_code == code &&
	       si->si_pid == pid && si->si_uid == 0 && si->si_status == status;
}

static pid_t pauser(void)
{
	pid_t p = fork();
	if (p == 0)
		for (;;)
			pause();
	return p;
}

static void test_waitid(void)
{
	siginfo_t si;

	memset(&si, 0xff, sizeof si);
	CHECK_ERR(waitid(P_ALL, 0, &si, 0), EINVAL, "waitid without WEXITED, WSTOPPED or WCONTINUED is EINVAL");
	CHECK_ERR(waitid(P_ALL, 0, &si, WNOHANG), EINVAL, "waitid with WNOHANG alone is EINVAL");
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED | 0x10), EINVAL, "waitid with an unknown option is EINVAL");
	CHECK_ERR(waitid(P_PID, 0, &si, WEXITED), EINVAL, "waitid P_PID 0 is EINVAL");
	CHECK_ERR(waitid(P_PGID, (id_t)-1, &si, WEXITED), EINVAL, "waitid P_PGID -1 is EINVAL");
	CHECK_ERR(waitid((idtype_t)42, 0, &si, WEXITED), EINVAL, "waitid with an unknown idtype is EINVAL");
	CHECK_ERR(waitid(P_PIDFD, 0, &si, WEXITED), EBADF, "waitid P_PIDFD of a file that is not a pidfd is EBADF");
	CHECK_ERR(waitid(P_PIDFD, 999, &si, WEXITED), EBADF, "waitid P_PIDFD of a closed fd is EBADF");
	memset(&si, 0xff, sizeof si);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "waitid with no children is ECHILD");
	CHECK(si.si_signo == 0 && si.si_errno == 0 && si.si_code == 0 && si.si_pid == 0 && si.si_status == 0,
	      "ECHILD still zeroes si_signo, si_code, si_pid, si_status");
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD, "waitid WNOHANG with no children is ECHILD");
	CHECK_ERR(wait4(-1, NULL, WNOWAIT, NULL), EINVAL, "wait4 does not take WNOWAIT");
	CHECK_ERR(wait4(-1, NULL, WEXITED, NULL), EINVAL, "wait4 does not take WEXITED");

	/* An exit, seen with WNOWAIT, then reaped. */
	pid_t c = fork();
	if (c == 0)
		_exit(42);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0, "waitid WEXITED|WNOWAIT returns 0");
	CHECK(siginfo_is(&si, CLD_EXITED, c, 42), "siginfo: SIGCHLD, CLD_EXITED, the child's pid, uid 0, status 42");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0, "WNOWAIT left the zombie: reported again");
	CHECK(siginfo_is(&si, CLD_EXITED, c, 42), "the same report");
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(syscall(SYS_waitid, P_PID, c, &si, WEXITED, &ru), 0, "waitid reaps it, with a rusage");
	CHECK(siginfo_is(&si, CLD_EXITED, c, 42), "the real wait reports the exit");
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec >= 0 &&
	      ru.ru_stime.tv_usec < 1000000 && ru.ru_majflt >= 0, "the rusage is filled in");
	CHECK_ERR(waitid(P_PID, c, &si, WEXITED), ECHILD, "reaped: waitid is ECHILD");

	/* WNOHANG while the child runs. */
	int go[2];
	CHECK(pipe(go) == 0, "pipe");
	c = fork();
	if (c == 0) {
		char b;
		close(go[1]);
		read(go[0], &b, 1);
		_exit(0);
	}
	close(go[0]);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), 0, "waitid WNOHANG with a running child returns 0");
	CHECK(si.si_pid == 0 && si.si_signo == 0 && si.si_code == 0 && si.si_status == 0,
	      "and zeroes si_pid, si_signo, si_code, si_status");
	write(go[1], "x", 1);
	close(go[1]);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WEXITED), 0, "waitid sleeps until the child exits");
	CHECK(siginfo_is(&si, CLD_EXITED, c, 0), "exit status 0");

	/* Killed by a signal. */
	c = pauser();
	kill(c, SIGTERM);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WEXITED), 0, "waitid for a child killed by SIGTERM");
	CHECK(siginfo_is(&si, CLD_KILLED, c, SIGTERM), "CLD_KILLED with si_status SIGTERM");

	/* A NULL infop (the raw system call allows it). */
	c = fork();
	if (c == 0)
		_exit(1);
	CHECK_EQ(syscall(SYS_waitid, P_ALL, 0, NULL, WEXITED, NULL), 0, "waitid with a NULL infop reaps");
	CHECK_ERR(waitpid(c, NULL, WNOHANG), ECHILD, "the child is gone");

	/* Process groups. */
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(5);
	}
	setpgid(c, c);
	pid_t c2 = fork();
	if (c2 == 0)
		_exit(6);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PGID, c, &si, WEXITED), 0, "waitid P_PGID of the child's own group");
	CHECK(siginfo_is(&si, CLD_EXITED, c, 5), "reports that child");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PGID, 0, &si, WEXITED), 0, "waitid P_PGID 0: the caller's group");
	CHECK(siginfo_is(&si, CLD_EXITED, c2, 6), "reports the child in our group");
	CHECK_ERR(waitid(P_PGID, 0, &si, WEXITED), ECHILD, "none left in our group");

	/* Stopped and continued. */
	c = pauser();
	kill(c, SIGSTOP);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WSTOPPED | WNOWAIT), 0, "waitid WSTOPPED|WNOWAIT for a stopped child");
	CHECK(siginfo_is(&si, CLD_STOPPED, c, SIGSTOP), "CLD_STOPPED with si_status SIGSTOP");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOHANG), 0, "a stop is not reported to WEXITED");
	CHECK(si.si_pid == 0, "si_pid 0");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WSTOPPED), 0, "WNOWAIT left it: waitid WSTOPPED reports it again");
	CHECK(siginfo_is(&si, CLD_STOPPED, c, SIGSTOP), "CLD_STOPPED again");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WSTOPPED | WNOHANG), 0, "then it is consumed");
	CHECK(si.si_pid == 0, "si_pid 0 after the stop was reported");
	kill(c, SIGCONT);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WCONTINUED), 0, "waitid WCONTINUED after SIGCONT");
	CHECK(siginfo_is(&si, CLD_CONTINUED, c, SIGCONT), "CLD_CONTINUED with si_status SIGCONT");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WCONTINUED | WNOHANG), 0, "the continue is reported once");
	CHECK(si.si_pid == 0, "si_pid 0 after the continue was reported");
	kill(c, SIGKILL);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WSTOPPED | WCONTINUED), 0, "waitid for the killed child");
	CHECK(siginfo_is(&si, CLD_KILLED, c, SIGKILL), "CLD_KILLED with si_status SIGKILL");
}

static void test_prctl(void)
{
	char name[32];
	int v;

	CHECK_EQ(prctl(PR_SET_NAME, "psys-main"), 0, "PR_SET_NAME");
	memset(name, 'x', sizeof name);
	CHECK_EQ(prctl(PR_GET_NAME, name), 0, "PR_GET_NAME");
	CHECK(strcmp(name, "psys-main") == 0, "PR_GET_NAME returns the name set");
	int padded = 1;
	for (int i = 9; i < 16; i++)
		padded &= name[i] == 0;
	CHECK(padded && name[16] == 'x', "PR_GET_NAME writes 16 bytes, NUL padded");
	CHECK_EQ(prctl(PR_SET_NAME, "a-very-long-process-name"), 0, "PR_SET_NAME with a long name");
	prctl(PR_GET_NAME, name);
	CHECK(strcmp(name, "a-very-long-pro") == 0, "the name is truncated to 15 bytes");
	CHECK_ERR(prctl(PR_SET_NAME, (char *)8), EFAULT, "PR_SET_NAME with a bad pointer is EFAULT");
	CHECK_ERR(prctl(PR_GET_NAME, (char *)8), EFAULT, "PR_GET_NAME with a bad pointer is EFAULT");
	pid_t c = fork();
	if (c == 0) {
		char n[16];
		prctl(PR_GET_NAME, n);
		_exit(strcmp(n, "a-very-long-pro") == 0 ? 0 : 1);
	}
	int st = -1;
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork copies the name");
	prctl(PR_SET_NAME, "procsys");

	CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65), EINVAL, "PR_SET_PDEATHSIG 65 is EINVAL");
	CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGUSR1), 0, "PR_SET_PDEATHSIG SIGUSR1");
	v = -1;
	CHECK(prctl(PR_GET_PDEATHSIG, &v) == 0 && v == SIGUSR1, "PR_GET_PDEATHSIG returns it");
	CHECK_ERR(prctl(PR_GET_PDEATHSIG, (int *)8), EFAULT, "PR_GET_PDEATHSIG with a bad pointer is EFAULT");
	c = fork();
	if (c == 0) {
		int s = -1;
		prctl(PR_GET_PDEATHSIG, &s);
		_exit(s == 0 ? 0 : 1);
	}
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork clears the parent-death signal");
	CHECK_EQ(prctl(PR_SET_PDEATHSIG, 0), 0, "PR_SET_PDEATHSIG 0 clears it");

	CHECK_EQ(prctl(PR_GET_DUMPABLE), 1, "PR_GET_DUMPABLE is 1");
	CHECK_ERR(prctl(PR_SET_DUMPABLE, 2), EINVAL, "PR_SET_DUMPABLE 2 is EINVAL");
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 0), 0, "PR_SET_DUMPABLE 0");
	CHECK_EQ(prctl(PR_GET_DUMPABLE), 0, "PR_GET_DUMPABLE is 0");
	c = fork();
	if (c == 0)
		_exit(prctl(PR_GET_DUMPABLE));
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork keeps dumpable");
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 1), 0, "PR_SET_DUMPABLE 1");

	v = -1;
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 0, "PR_GET_CHILD_SUBREAPER is 0");

	c = fork();
	if (c == 0) {
		int bad = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) != -1 || errno != EINVAL) bad |= 1;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0) != -1 || errno != EINVAL) bad |= 2;
		if (prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0) != -1 || errno != EINVAL) bad |= 4;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) bad |= 8;
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) bad |= 16;
		pid_t g = fork();
		if (g == 0)
			_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
		int s = -1;
		waitpid(g, &s, 0);
		if (!WIFEXITED(s) || WEXITSTATUS(s) != 0) bad |= 32;
		_exit(bad);
	}
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 7) == 0, "PR_SET/GET_NO_NEW_PRIVS argument errors are EINVAL");
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 24) == 0, "PR_SET_NO_NEW_PRIVS sets it, PR_GET_NO_NEW_PRIVS returns 1");
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 32) == 0, "no_new_privs is inherited by fork");

	CHECK_ERR(prctl(999999, 0, 0, 0, 0), EINVAL, "an unknown prctl option is EINVAL");
}

/* The parent-death signal reaches a grandchild when its parent exits, and
 * the subreaper adopts both it and a zombie of that parent. */
static void test_pdeathsig_subreaper(void)
{
	pid_t me = getpid();
	int v = -1;
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "PR_SET_CHILD_SUBREAPER 1");
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 1, "PR_GET_CHILD_SUBREAPER is 1");

	int ready[2], report[2];
	CHECK(pipe(ready) == 0 && pipe(report) == 0, "pipes");
	pid_t mid = fork();
	if (mid == 0) {
		int r = -1;
		prctl(PR_GET_CHILD_SUBREAPER, &r);
		pid_t z = fork();
		if (z == 0)
			_exit(11);
		siginfo_t zi;
		waitid(P_PID, z, &zi, WEXITED | WNOWAIT); /* z is a zombie now */
		pid_t g = fork();
		if (g == 0) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGUSR1);
			sigprocmask(SIG_BLOCK, &s, NULL);
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			pid_t parent = getppid();
			write(ready[1], "r", 1);
			siginfo_t si;
			struct timespec ts = { 10, 0 };
			int sig = sigtimedwait(&s, &si, &ts);
			char res[3];
			res[0] = sig == SIGUSR1 ? 'y' : 'n';
			res[1] = sig == SIGUSR1 && si.si_code == SI_USER && si.si_pid == parent ? 'y' : 'n';
			res[2] = getppid() == me ? 'y' : 'n';
			write(report[1], res, 3);
			_exit(7);
		}
		char b;
		read(ready[0], &b, 1); /* g has its parent-death signal */
		write(report[1], &z, sizeof z);
		_exit(r == 0 ? 0 : 1);
	}
	close(ready[0]);
	close(ready[1]);
	close(report[1]);
	int st = -1;
	CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st), "the middle child exits");
	CHECK(WEXITSTATUS(st) == 0, "is_child_subreaper is not inherited by fork");
	pid_t z = 0;
	CHECK(read(report[0], &z, sizeof z) == sizeof z, "the middle child reported its zombie");
	char res[3] = { 0 };
	CHECK(read(report[0], res, 3) == 3, "the grandchild reported");
	CHECK(res[0] == 'y', "PR_SET_PDEATHSIG: the signal came when the parent exited");
	CHECK(res[1] == 'y', "its siginfo: SI_USER from the dead parent");
	CHECK(res[2] == 'y', "the orphan was adopted by the subreaper (getppid)");
	close(report[0]);
	siginfo_t si;
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, z, &si, WEXITED), 0, "the subreaper reaps the adopted zombie");
	CHECK(siginfo_is(&si, CLD_EXITED, z, 11), "with its exit status");
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0, "the subreaper reaps the adopted grandchild");
	CHECK(si.si_code == CLD_EXITED && si.si_status == 7, "with its exit status");
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "no children left");
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0, "PR_SET_CHILD_SUBREAPER 0");
}

static int deep(int n)
{
	volatile char buf[4096];
	buf[0] = (char)n;
	buf[sizeof buf - 1] = (char)n;
	if (n == 0)
		return buf[0];
	return deep(n - 1) + buf[sizeof buf - 1];
}

/* A child that recurses through 1 MiB of stack under a stack limit. */
static int stack_child(rlim_t limit)
{
	pid_t c = fork();
	if (c == 0) {
		struct rlimit core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &core);
		struct rlimit rl;
		getrlimit(RLIMIT_STACK, &rl);
		rl.rlim_cur = limit;
		if (setrlimit(RLIMIT_STACK, &rl) != 0)
			_exit(2);
		deep(256);
		_exit(0);
	}
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

static void test_rlimits(const char *self)
{
	struct rlimit rl, old;

	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0, "getrlimit RLIMIT_NOFILE");
	CHECK(old.rlim_cur <= old.rlim_max, "soft <= hard");
	CHECK_ERR(syscall(SYS_getrlimit, RLIM_NLIMITS, &rl), EINVAL, "getrlimit of resource 16 is EINVAL");
	CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_CPU, (void *)8), EFAULT, "getrlimit with a bad pointer is EFAULT");
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_CPU, (void *)8), EFAULT, "setrlimit with a bad pointer is EFAULT");
	rl = (struct rlimit){ 2, 1 };
	CHECK_ERR(setrlimit(RLIMIT_CORE, &rl), EINVAL, "setrlimit with soft above hard is EINVAL");
	CHECK_ERR(syscall(SYS_setrlimit, RLIM_NLIMITS, &rl), EINVAL, "setrlimit of resource 16 is EINVAL");
	rl = (struct rlimit){ 16, RLIM_INFINITY };
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &rl), EPERM, "RLIMIT_NOFILE above nr_open is EPERM");
	CHECK_ERR(prlimit(-5, RLIMIT_CPU, NULL, &rl), ESRCH, "prlimit64 of no process is ESRCH");

	pid_t c = fork();
	if (c == 0) {
		int bad = 0;
		struct rlimit a = { 1 << 30, 1UL << 31 }, b;
		if (syscall(SYS_setrlimit, RLIMIT_FSIZE, &a) != 0) bad |= 1;
		if (syscall(SYS_getrlimit, RLIMIT_FSIZE, &b) != 0 || b.rlim_cur != a.rlim_cur || b.rlim_max != a.rlim_max) bad |= 1;
		struct rlimit n = { 1 << 20, 1UL << 31 };
		if (prlimit(0, RLIMIT_FSIZE, &n, &b) != 0 || b.rlim_cur != a.rlim_cur || b.rlim_max != a.rlim_max) bad |= 2;
		if (prlimit(getpid(), RLIMIT_FSIZE, NULL, &b) != 0 || b.rlim_cur != n.rlim_cur) bad |= 2;
		/* Raising a hard limit needs CAP_SYS_RESOURCE, which a host
		 * container may lack: not checked here. */
		pid_t g = pauser();
		struct rlimit gl = { 100, 200 };
		if (prlimit(g, RLIMIT_CORE, &gl, NULL) != 0) bad |= 8;
		if (prlimit(g, RLIMIT_CORE, NULL, &b) != 0 || b.rlim_cur != 100 || b.rlim_max != 200) bad |= 8;
		if (getrlimit(RLIMIT_CORE, &b) != 0 || b.rlim_cur == 100) bad |= 8;
		kill(g, SIGKILL);
		waitpid(g, NULL, 0);
		_exit(bad);
	}
	int st = -1;
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 1) == 0, "setrlimit then getrlimit (raw system calls)");
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 2) == 0, "prlimit64 of pid 0 and of our own pid, old value");
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 8) == 0, "prlimit64 on another process sets its limit only");

	/* RLIMIT_NOFILE: EMFILE, EBADF, inheritance by fork and exec. */
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	c = fork();
	if (c == 0) {
		close(p[0]);
		int wfd = p[1];
		if (dup2(wfd, 100) != 100)
			_exit(99);
		wfd = 100;
		for (int fd = 3; fd < 100; fd++)
			close(fd);
		struct rlimit l = { 8, old.rlim_max };
		char r[16];
		int n = 0;
		r[n++] = setrlimit(RLIMIT_NOFILE, &l) == 0 ? 'y' : 'n';
		/* fd 100 is above the new limit, still open and usable */
		int ok = 1;
		for (int i = 3; i < 8; i++)
			ok &= dup(0) == i;
		r[n++] = ok ? 'y' : 'n';
		r[n++] = dup(0) == -1 && errno == EMFILE ? 'y' : 'n';
		r[n++] = open("/dev/null", O_RDONLY) == -1 && errno == EMFILE ? 'y' : 'n';
		r[n++] = dup2(0, 8) == -1 && errno == EBADF ? 'y' : 'n';
		r[n++] = fcntl(0, F_DUPFD, 8) == -1 && errno == EINVAL ? 'y' : 'n';
		r[n++] = fcntl(0, F_DUPFD, 5) == -1 && errno == EMFILE ? 'y' : 'n';
		r[n++] = dup2(0, 7) == 7 ? 'y' : 'n';
		close(7);
		int pp[2];
		r[n++] = pipe(pp) == -1 && errno == EMFILE ? 'y' : 'n';
		r[n++] = open("/dev/null", O_RDONLY) == 7 ? 'y' : 'n';
		r[n++] = poll(NULL, 9, 0) == -1 && errno == EINVAL ? 'y' : 'n';
		l.rlim_cur = 16;
		setrlimit(RLIMIT_NOFILE, &l);
		r[n++] = dup(0) == 8 ? 'y' : 'n';
		pid_t g = fork();
		if (g == 0) {
			int k = 0;
			while (dup(0) >= 0)
				k++;
			_exit(k);
		}
		int s = -1;
		waitpid(g, &s, 0);
		r[n++] = WIFEXITED(s) && WEXITSTATUS(s) == 7 ? 'y' : 'n'; /* 9..15 */
		write(wfd, r, n);
		for (int fd = 3; fd < 16; fd++)
			close(fd);
		struct rlimit sl = { 4 << 20, RLIM_INFINITY };
		setrlimit(RLIMIT_STACK, &sl);
		prctl(PR_SET_NAME, "renamed");
		prctl(PR_SET_PDEATHSIG, SIGUSR2);
		prctl(PR_SET_DUMPABLE, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		close(wfd);
		char *argv[] = { "procsys", "--exec-child", NULL };
		char *envp[] = { NULL };
		execve(self, argv, envp);
		_exit(98);
	}
	close(p[1]);
	char r[16] = { 0 };
	int n = 0;
	for (ssize_t k; n < 13 && (k = read(p[0], r + n, 13 - n)) > 0;)
		n += k;
	close(p[0]);
	st = -1;
	waitpid(c, &st, 0);
	static const char *names[] = {
		"setrlimit RLIMIT_NOFILE 8",
		"dup up to the limit",
		"dup at the limit is EMFILE",
		"open at the limit is EMFILE",
		"dup2 to a fd at the limit is EBADF",
		"F_DUPFD from the limit is EINVAL",
		"F_DUPFD with the table full is EMFILE",
		"dup2 below the limit works",
		"pipe with one free fd is EMFILE",
		"open takes the last fd",
		"poll with nfds above RLIMIT_NOFILE is EINVAL",
		"a raised limit gives room again",
		"fork inherits RLIMIT_NOFILE",
	};
	for (int i = 0; i < 13; i++)
		CHECK(i < n && r[i] == 'y', names[i]);
	CHECK(WIFEXITED(st), "the re-executed program exits");
	int e = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	CHECK(e < 64 && (e & 1) == 0, "exec keeps RLIMIT_NOFILE");
	CHECK(e < 64 && (e & 2) == 0, "exec keeps RLIMIT_STACK");
	CHECK(e < 64 && (e & 4) == 0, "exec sets the name to the program's");
	CHECK(e < 64 && (e & 8) == 0, "exec keeps the parent-death signal");
	CHECK(e < 64 && (e & 16) == 0, "exec makes the process dumpable again");
	CHECK(e < 64 && (e & 32) == 0, "exec keeps no_new_privs");

	/* RLIMIT_STACK bounds stack growth while the program runs. */
	st = stack_child(8 << 20);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "1 MiB of stack under an 8 MiB RLIMIT_STACK");
	st = stack_child(256 << 10);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "1 MiB of stack under a 256 KiB RLIMIT_STACK: SIGSEGV");
}

static int exec_child(void)
{
	int bad = 0;
	struct rlimit l;
	if (getrlimit(RLIMIT_NOFILE, &l) != 0 || l.rlim_cur != 16) bad |= 1;
	if (getrlimit(RLIMIT_STACK, &l) != 0 || l.rlim_cur != 4 << 20) bad |= 2;
	char n[16] = { 0 };
	if (prctl(PR_GET_NAME, n) != 0 || strcmp(n, "procsys") != 0) bad |= 4;
	int s = 0;
	if (prctl(PR_GET_PDEATHSIG, &s) != 0 || s != SIGUSR2) bad |= 8;
	if (prctl(PR_GET_DUMPABLE) != 1) bad |= 16;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) bad |= 32;
	return bad;
}

static volatile sig_atomic_t usr2_count;
static void on_usr2(int s) { (void)s; usr2_count++; }

static void test_sigtimedwait(void)
{
	sigset_t set, old;
	siginfo_t si;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	CHECK_ERR(sigtimedwait(&set, &si, &zero), EAGAIN, "sigtimedwait with a zero timeout and nothing pending is EAGAIN");
	CHECK_ERR(syscall(SYS_rt_sigtimedwait, &set, &si, NULL, 4), EINVAL, "rt_sigtimedwait with sigsetsize 4 is EINVAL");
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(sigtimedwait(&set, &si, &bad), EINVAL, "a timeout with tv_nsec 1e9 is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigtimedwait, (void *)8, &si, NULL, 8), EFAULT, "a bad set pointer is EFAULT");

	raise(SIGUSR1);
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(sigtimedwait(&set, &si, &zero), SIGUSR1, "a pending blocked signal is returned at once");
	CHECK(si.si_signo == SIGUSR1 && si.si_code == SI_TKILL && si.si_pid == getpid() && si.si_uid == 0,
	      "its siginfo: SI_TKILL from ourselves");
	CHECK(!sigismember(&old, SIGUSR1), "(SIGUSR1 was not blocked before)");

	pid_t c = fork();
	if (c == 0) {
		msleep(50);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR1, "sigwaitinfo returns SIGUSR1 sent by a child");
	CHECK(si.si_signo == SIGUSR1 && si.si_code == SI_USER && si.si_pid == c && si.si_uid == 0,
	      "its siginfo: SI_USER from the child");
	waitpid(c, NULL, 0);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1), "the mask is as before the wait");

	struct timespec t0, t1, small = { 0, 50 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(sigtimedwait(&set, &si, &small), EAGAIN, "a 50 ms timeout ends with EAGAIN");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = elapsed_ms(&t0, &t1);
	CHECK(ms >= 50, "after at least 50 ms");
	CHECK(ms < 5000, "and not much more");

	/* SIGCHLD is ignored by default, but waited for while blocked. */
	sigset_t cs;
	sigemptyset(&cs);
	sigaddset(&cs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &cs, NULL);
	while (sigtimedwait(&cs, NULL, &zero) > 0)
		;
	c = fork();
	if (c == 0) {
		msleep(30);
		_exit(9);
	}
	struct timespec five = { 5, 0 };
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(sigtimedwait(&cs, &si, &five), SIGCHLD, "a blocked SIGCHLD is waited for");
	CHECK(siginfo_is(&si, CLD_EXITED, c, 9), "its siginfo: CLD_EXITED, the child, status 9");
	waitpid(c, NULL, 0);
	sigprocmask(SIG_UNBLOCK, &cs, NULL);

	/* A handled signal outside the set interrupts the wait: EINTR (the
	 * raw call: musl's sigtimedwait retries on EINTR). */
	struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_RESTART };
	sigaction(SIGUSR2, &sa, NULL);
	c = fork();
	if (c == 0) {
		for (;;) {
			kill(getppid(), SIGUSR2);
			msleep(20);
		}
	}
	struct timespec ten = { 10, 0 };
	errno = 0;
	long r = syscall(SYS_rt_sigtimedwait, &set, &si, &ten, 8);
	int err = errno;
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	signal(SIGUSR2, SIG_DFL);
	CHECK(r == -1 && err == EINTR, "a handled signal outside the set interrupts it with EINTR, even with SA_RESTART");
	CHECK(usr2_count > 0, "and its handler runs");

	/* The lowest signal first; real-time signals queue. */
	sigset_t many;
	sigemptyset(&many);
	sigaddset(&many, SIGUSR1);
	sigaddset(&many, SIGUSR2);
	sigaddset(&many, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &many, NULL);
	kill(getpid(), SIGRTMIN + 1);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGRTMIN + 1);
	kill(getpid(), SIGUSR1);
	CHECK_EQ(sigtimedwait(&many, NULL, &zero), SIGUSR1, "the lowest pending signal first");
	CHECK_EQ(sigtimedwait(&many, NULL, &zero), SIGUSR2, "then the next");
	CHECK_EQ(sigtimedwait(&many, NULL, &zero), SIGRTMIN + 1, "a real-time signal");
	CHECK_EQ(sigtimedwait(&many, NULL, &zero), SIGRTMIN + 1, "queued twice");
	CHECK_ERR(sigtimedwait(&many, NULL, &zero), EAGAIN, "then nothing");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child();
	/* The program itself, for the exec checks: /bin/procsys in tamix; on
	 * the host, argv[0] or the current directory's copy. */
	char self[512];
	if (strchr(argv[0], '/'))
		snprintf(self, sizeof self, "%s", argv[0]);
	else if (access("/bin/procsys", X_OK) == 0)
		snprintf(self, sizeof self, "/bin/procsys");
	else
		snprintf(self, sizeof self, "./%s", argv[0]);

	test_waitid();
	test_prctl();
	test_pdeathsig_subreaper();
	test_rlimits(self);
	test_sigtimedwait();
	return t_done();
}
