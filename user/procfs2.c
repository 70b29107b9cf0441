/* procfs2: the /proc files process tools read beyond stat and status.
 *
 * /proc/self/limits after setrlimit (header, labels, "unlimited", units),
 * schedstat's three numbers (their form: a kernel without sched_info shows
 * zeros), wchan ("0" while running, a name when a child
 * sleeps), task/TID/children after two forks, fdinfo/N (pos, octal flags
 * with O_CLOEXEC as FD_CLOEXEC says, mnt_id, ino), the root link, and
 * /proc/sys: the kernel and fs values against uname and each other, the
 * bounds of pid_max and threads-max (EINVAL), read-only files (EACCES even
 * for root), sethostname/setdomainname's EINVAL, and, as an unprivileged
 * user, EACCES for writes, EPERM for sethostname and for F_SETPIPE_SZ
 * beyond pipe-max-size. Root writes write back the current value, so the
 * native run changes nothing. Nothing host-specific is printed. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static char buf[8192];

/* slurp reads path into buf; the length, or -1. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0, r;
	while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return r < 0 ? -1 : n;
}

/* put writes s to path: 0, or -1 with errno. */
static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* isnum: decimal digits and one newline. */
static int isnum(const char *s)
{
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return strcmp(s, "\n") == 0;
}

static void limits(void)
{
	struct rlimit r = {100, 200};
	CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit NOFILE 100 200");
	r = (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
	CHECK(setrlimit(RLIMIT_CPU, &r) == 0, "setrlimit CPU unlimited");
	r = (struct rlimit){1000, RLIM_INFINITY};
	CHECK(setrlimit(RLIMIT_RTTIME, &r) == 0, "setrlimit RTTIME 1000");
	r = (struct rlimit){0, 0};
	CHECK(setrlimit(RLIMIT_NICE, &r) == 0, "setrlimit NICE 0 0");
	CHECK(slurp("/proc/self/limits") > 0, "read /proc/self/limits");
	static const char *names[] = {"Max cpu time", "Max file size", "Max data size", "Max stack size",
		"Max core file size", "Max resident set", "Max processes", "Max open files",
		"Max locked memory", "Max address space", "Max file locks", "Max pending signals",
		"Max msgqueue size", "Max nice priority", "Max realtime priority", "Max realtime timeout"};
	char *lines[32];
	int n = 0;
	for (char *p = buf, *nl; n < 32 && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = 0;
		lines[n++] = p;
	}
	CHECK_EQ(n, 17, "limits: a header and 16 lines");
	if (n != 17)
		return;
	CHECK(strcmp(lines[0], "Limit                     Soft Limit           Hard Limit           Units     ") == 0,
	      "limits header");
	int labels = 1;
	for (int i = 0; i < 16; i++)
		labels &= strncmp(lines[i + 1], names[i], strlen(names[i])) == 0 && lines[i + 1][25] == ' ';
	CHECK(labels, "limits: the labels in order, 25 wide");
	CHECK(strcmp(lines[1], "Max cpu time              unlimited            unlimited            seconds   ") == 0,
	      "limits: cpu unlimited, seconds");
	CHECK(strcmp(lines[8], "Max open files            100                  200                  files     ") == 0,
	      "limits: open files 100 200 files");
	CHECK(strcmp(lines[14], "Max nice priority         0                    0                    ") == 0,
	      "limits: nice has no unit");
	CHECK(strcmp(lines[16], "Max realtime timeout      1000                 unlimited            us        ") == 0,
	      "limits: rttime 1000 us");
}

static void schedstat_wchan_root(void)
{
	unsigned long long run, wait, cnt;
	char end;
	CHECK(slurp("/proc/self/schedstat") > 0, "read schedstat");
	CHECK(sscanf(buf, "%llu %llu %llu%c", &run, &wait, &cnt, &end) == 4 && end == '\n' &&
	      buf[strlen(buf) - 1] == '\n' && strchr(buf, '\n') == buf + strlen(buf) - 1,
	      "schedstat: three numbers and a newline");
	(void)run, (void)cnt; /* "0 0 0" when Linux keeps no sched_info */
	CHECK(slurp("/proc/self/wchan") == 1 && strcmp(buf, "0") == 0, "wchan of the running reader is 0");
	char l[64];
	ssize_t n = readlink("/proc/self/root", l, sizeof l);
	CHECK(n == 1 && l[0] == '/', "root links to /");
}

static void children(void)
{
	pid_t a = fork();
	if (a == 0) {
		pause();
		_exit(0);
	}
	pid_t b = fork();
	if (b == 0) {
		pause();
		_exit(0);
	}
	char path[64], want[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", gettid());
	snprintf(want, sizeof want, "%d %d ", a, b);
	CHECK(slurp(path) >= 0 && strcmp(buf, want) == 0, "children: both PIDs, each with a space");
	CHECK_ERR(open("/proc/self/children", O_RDONLY), ENOENT, "children is per thread only");
	/* Wait for b to sleep, then its wchan names a function. */
	snprintf(path, sizeof path, "/proc/%d/stat", b);
	for (int i = 0; i < 2000; i++) {
		if (slurp(path) > 0 && strstr(buf, ") S "))
			break;
		usleep(1000);
	}
	snprintf(path, sizeof path, "/proc/%d/wchan", b);
	long n = slurp(path);
	CHECK(n > 0 && !strchr(buf, '\n'), "wchan of a sleeper: a name, no newline");
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	snprintf(path, sizeof path, "/proc/self/task/%d/children", gettid());
	CHECK(slurp(path) == 0, "children: none once reaped");
}

/* fdinfo checks the four lines of fd's fdinfo. */
static int fdinfo(int fd, long pos, unsigned flags)
{
	char path[64], want[128];
	struct stat st;
	fstat(fd, &st);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	if (slurp(path) <= 0)
		return 0;
	int mnt = -1;
	char *m = strstr(buf, "mnt_id:\t");
	if (m)
		mnt = atoi(m + 8);
	snprintf(want, sizeof want, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n", pos, flags, mnt, (unsigned long)st.st_ino);
	if (strcmp(buf, want) != 0)
		t_printf("# fdinfo %s", buf);
	return strcmp(buf, want) == 0;
}

static void fdinfos(void)
{
	int fd = open("/tmp/procfs2.tmp", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "open a file in /tmp");
	CHECK_EQ(write(fd, "hello", 5), 5, "write 5 bytes");
	CHECK(fdinfo(fd, 5, O_RDWR | O_LARGEFILE | O_CLOEXEC), "fdinfo: pos 5, O_RDWR|O_LARGEFILE|O_CLOEXEC");
	fcntl(fd, F_SETFD, 0);
	lseek(fd, 2, SEEK_SET);
	CHECK(fdinfo(fd, 2, O_RDWR | O_LARGEFILE), "fdinfo: FD_CLOEXEC cleared, pos 2");
	fcntl(fd, F_SETFL, O_APPEND);
	CHECK(fdinfo(fd, 2, O_RDWR | O_LARGEFILE | O_APPEND), "fdinfo: O_APPEND set by F_SETFL");
	close(fd);
	unlink("/tmp/procfs2.tmp");
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2 O_NONBLOCK");
	CHECK(fdinfo(p[0], 0, O_RDONLY | O_NONBLOCK), "fdinfo of a pipe's read end");
	CHECK(fdinfo(p[1], 0, O_WRONLY | O_NONBLOCK), "fdinfo of a pipe's write end");
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", p[1] + 1);
	CHECK_ERR(open(path, O_RDONLY), ENOENT, "fdinfo of a closed descriptor");
	close(p[0]);
	close(p[1]);
}

/* same checks that path holds want plus a newline. */
static int same(const char *path, const char *want)
{
	return slurp(path) > 0 && strlen(buf) == strlen(want) + 1 && strncmp(buf, want, strlen(want)) == 0 &&
	       buf[strlen(want)] == '\n';
}

static void sysctl(void)
{
	struct utsname u;
	uname(&u);
	CHECK(same("/proc/sys/kernel/ostype", u.sysname), "kernel/ostype is uname's sysname");
	CHECK(same("/proc/sys/kernel/osrelease", u.release), "kernel/osrelease is uname's release");
	CHECK(same("/proc/sys/kernel/version", u.version), "kernel/version is uname's version");
	CHECK(same("/proc/sys/kernel/hostname", u.nodename), "kernel/hostname is uname's nodename");
	CHECK(same("/proc/sys/kernel/domainname", u.domainname), "kernel/domainname is uname's domainname");
	/* Gone since Linux 6.6 (EEVDF); 0 where it is. */
	CHECK(same("/proc/sys/kernel/sched_child_runs_first", "0") ||
	      (slurp("/proc/sys/kernel/sched_child_runs_first") < 0 && errno == ENOENT),
	      "sched_child_runs_first is 0 (or absent, after 6.6)");
	static const char *nums[] = {"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max",
		"/proc/sys/fs/nr_open", "/proc/sys/fs/pipe-max-size"};
	for (int i = 0; i < 4; i++)
		CHECK(slurp(nums[i]) > 0 && isnum(buf), nums[i]);

	char pidmax[32], thmax[32];
	slurp("/proc/sys/kernel/pid_max");
	strncpy(pidmax, buf, sizeof pidmax - 1);
	pidmax[sizeof pidmax - 1] = 0;
	slurp("/proc/sys/kernel/threads-max");
	strncpy(thmax, buf, sizeof thmax - 1);
	thmax[sizeof thmax - 1] = 0;
	CHECK(atoi(pidmax) > 300 && atoi(pidmax) <= 4194304, "pid_max within Linux's bounds");
	CHECK(getpid() < atoi(pidmax), "our PID below pid_max");
	CHECK_ERR(put("/proc/sys/kernel/pid_max", "300"), EINVAL, "pid_max 300 is EINVAL");
	CHECK_ERR(put("/proc/sys/kernel/pid_max", "4194305"), EINVAL, "pid_max 4194305 is EINVAL");
	CHECK_ERR(put("/proc/sys/kernel/pid_max", "12x"), EINVAL, "pid_max 12x is EINVAL");
	CHECK(put("/proc/sys/kernel/pid_max", pidmax) == 0 && same("/proc/sys/kernel/pid_max", strtok(pidmax, "\n")),
	      "root writes pid_max");
	CHECK_ERR(put("/proc/sys/kernel/threads-max", "0"), EINVAL, "threads-max 0 is EINVAL");
	CHECK(put("/proc/sys/kernel/threads-max", thmax) == 0, "root writes threads-max");
	CHECK(put("/proc/sys/kernel/hostname", u.nodename) == 0 && same("/proc/sys/kernel/hostname", u.nodename),
	      "root writes hostname");
	CHECK_ERR(open("/proc/sys/kernel/ostype", O_WRONLY), EACCES, "read-only ostype: EACCES for root too");
	char nropen[32];
	slurp("/proc/sys/fs/nr_open");
	strncpy(nropen, buf, sizeof nropen - 1);
	nropen[sizeof nropen - 1] = 0;
	CHECK_ERR(put("/proc/sys/fs/nr_open", "63"), EINVAL, "nr_open 63 is EINVAL");
	CHECK(put("/proc/sys/fs/nr_open", nropen) == 0, "root writes nr_open");
	struct rlimit nr = {64, (rlim_t)atoi(nropen) + 1};
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &nr), EPERM, "RLIMIT_NOFILE past nr_open is EPERM");

	CHECK_ERR(sethostname(u.nodename, 65), EINVAL, "sethostname: 65 bytes is EINVAL");
	CHECK_ERR(sethostname(u.nodename, -1), EINVAL, "sethostname: negative length is EINVAL");
	CHECK_ERR(setdomainname(u.domainname, 65), EINVAL, "setdomainname: 65 bytes is EINVAL");
	CHECK(sethostname(u.nodename, strlen(u.nodename)) == 0, "sethostname (the same name)");
	CHECK(setdomainname(u.domainname, strlen(u.domainname)) == 0, "setdomainname (the same name)");
	struct utsname v;
	uname(&v);
	CHECK(strcmp(u.nodename, v.nodename) == 0 && strcmp(u.domainname, v.domainname) == 0, "uname shows the names");

	/* As an unprivileged user. */
	slurp("/proc/sys/fs/pipe-max-size");
	int pipemax = atoi(buf);
	pid_t c = fork();
	if (c == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		int ok = 1;
		errno = 0;
		ok &= open("/proc/sys/kernel/hostname", O_WRONLY) == -1 && errno == EACCES;
		ok &= open("/proc/sys/kernel/pid_max", O_WRONLY) == -1 && errno == EACCES;
		ok &= open("/proc/sys/kernel/threads-max", O_WRONLY) == -1 && errno == EACCES;
		ok &= slurp("/proc/sys/kernel/pid_max") > 0;
		ok &= sethostname("x", 1) == -1 && errno == EPERM;
		ok &= setdomainname("x", 1) == -1 && errno == EPERM;
		ok &= sethostname("x", 65) == -1 && errno == EPERM; /* the capability first */
		int p[2];
		pipe(p);
		ok &= fcntl(p[0], F_SETPIPE_SZ, pipemax) == pipemax;
		ok &= fcntl(p[0], F_SETPIPE_SZ, pipemax * 2) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "unprivileged: EACCES writing sysctls, EPERM for sethostname and pipes past pipe-max-size");
}

int main(void)
{
	limits();
	schedstat_wchan_root();
	children();
	fdinfos();
	sysctl();
	return t_done();
}
