/* procfs: /proc as Linux shows it, checked from inside a process.
 *
 * Everything checked holds on Linux and on tamix alike: the fields of
 * /proc/self/stat against getpid/getppid, the state letters of a child
 * that sleeps (S), is stopped (T) or exited unreaped (Z), status, cmdline,
 * comm, maps, sched (nr_switches grows when we sleep), the /proc listing,
 * the symbolic links, and the errors for processes that are gone (ENOENT
 * on lookup, ESRCH on a read of a file opened before the exit).
 * Run it as "procfs a b" or without arguments: argv is compared as given.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "tamix_test.h"

static char buf[65536];

/* slurp reads a whole file into buf (NUL-terminated); length or -1. */
static int slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int n = 0;
	for (;;) {
		int r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	return n;
}

/* stat_state returns the state letter of /proc/PID/stat, 0 if unreadable. */
static char stat_state(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (slurp(path) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* wait_state polls /proc/PID/stat until the state is want (5 s at most). */
static int wait_state(int pid, char want)
{
	for (int i = 0; i < 5000; i++) {
		if (stat_state(pid) == want)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* sched_value returns the number after "name ... :" in /proc/self/sched. */
static long sched_value(const char *name)
{
	if (slurp("/proc/self/sched") < 0)
		return -1;
	size_t len = strlen(name);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, name, len) == 0 && (l[len] == ' ' || l[len] == ':')) {
			char *c = strchr(l, ':');
			return c ? atol(c + 1) : -1;
		}
	}
	return -1;
}

static int has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, line, len) == 0 && (l[len] == '\n' || l[len] == 0))
			return 1;
	return 0;
}

/* status_hex returns the hexadecimal value after label in buf. */
static unsigned long status_hex(const char *label)
{
	char *p = strstr(buf, label);
	return p ? strtoul(p + strlen(label), NULL, 16) : 0;
}

static int count_fields(const char *s)
{
	int n = 0;
	for (const char *p = s; *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (!*p)
			break;
		n++;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return n;
}

static void sleeper(void)
{
	for (;;)
		sleep(100);
}

static void self_stat(void)
{
	CHECK(slurp("/proc/self/stat") > 0, "read /proc/self/stat");
	int pid = -1, ppid = -1;
	char comm[64] = "", state = 0;
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	CHECK(open_paren && close_paren, "stat has (comm)");
	if (!open_paren || !close_paren)
		return;
	pid = atoi(buf);
	snprintf(comm, sizeof comm, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	sscanf(close_paren + 2, "%c %d", &state, &ppid);
	CHECK_EQ(pid, getpid(), "stat pid == getpid()");
	CHECK(strcmp(comm, "procfs") == 0, "stat comm == procfs");
	CHECK_EQ(state, 'R', "stat state R");
	CHECK_EQ(ppid, getppid(), "stat ppid == getppid()");
	/* 52 fields (Linux 6.1's do_task_stat), comm without spaces. */
	CHECK_EQ(count_fields(buf), 52, "stat has 52 fields");
	long v[52];
	char *p = close_paren + 2;
	int n = 0;
	p++; /* state */
	while (n < 49 && *p) {
		v[n++] = strtol(p, &p, 10);
	}
	/* v[0] is field 4 (ppid): field k is v[k-4]. */
	CHECK_EQ(v[20 - 4], 1, "stat num_threads == 1");
	CHECK_EQ(v[19 - 4], 0, "stat nice == 0");
	CHECK_EQ(v[18 - 4], 20, "stat priority == 20");
	CHECK_EQ(v[41 - 4], 0, "stat policy == SCHED_OTHER");
	CHECK_EQ(v[38 - 4], SIGCHLD, "stat exit_signal == SIGCHLD");
	CHECK(v[23 - 4] > 0, "stat vsize > 0");
	CHECK_EQ(v[5 - 4], getpgrp(), "stat pgrp == getpgrp()");
	CHECK_EQ(v[6 - 4], getsid(0), "stat session == getsid(0)");
}

static void self_files(int argc, char **argv)
{
	char want[256];
	CHECK(slurp("/proc/self/status") > 0, "read /proc/self/status");
	snprintf(want, sizeof want, "Pid:\t%d", getpid());
	CHECK(has_line(buf, want), "status Pid");
	snprintf(want, sizeof want, "PPid:\t%d", getppid());
	CHECK(has_line(buf, want), "status PPid");
	CHECK(has_line(buf, "Name:\tprocfs"), "status Name");
	CHECK(has_line(buf, "State:\tR (running)"), "status State");
	CHECK(has_line(buf, "Umask:\t0022"), "status Umask");
	CHECK(has_line(buf, "Threads:\t1"), "status Threads");
	CHECK(has_line(buf, "SigPnd:\t0000000000000000"), "status SigPnd");
	CHECK(strstr(buf, "\nVmRSS:\t") != NULL, "status VmRSS");
	CHECK(strstr(buf, "\nvoluntary_ctxt_switches:\t") != NULL, "status voluntary_ctxt_switches");
	CHECK(strstr(buf, "\nCpus_allowed_list:\t") != NULL, "status Cpus_allowed_list");

	/* A caught and an ignored signal show in SigCgt and SigIgn. */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, (void (*)(int))sleeper);
	slurp("/proc/self/status");
	/* (Ignored signals are inherited: the starting shell may ignore some.) */
	CHECK(status_hex("SigIgn:\t") & (1UL << (SIGUSR1 - 1)), "status SigIgn has SIGUSR1");
	CHECK_EQ(status_hex("SigCgt:\t"), 1UL << (SIGUSR2 - 1), "status SigCgt is SIGUSR2");
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);

	int n = slurp("/proc/self/cmdline"), len = 0;
	for (int i = 0; i < argc; i++) {
		memcpy(want + len, argv[i], strlen(argv[i]) + 1);
		len += strlen(argv[i]) + 1;
	}
	CHECK(n == len && memcmp(buf, want, len) == 0, "cmdline == argv");

	CHECK(slurp("/proc/self/comm") == 7 && strcmp(buf, "procfs\n") == 0, "comm");
	CHECK(slurp("/proc/self/maps") > 0, "read maps");
	CHECK(strstr(buf, " [stack]\n") != NULL, "maps has [stack]");
	CHECK(strstr(buf, " r-xp ") != NULL, "maps has the text r-xp");
	CHECK(slurp("/proc/self/statm") > 0 && count_fields(buf) == 7, "statm has 7 fields");
	CHECK(slurp("/proc/meminfo") > 0 && strncmp(buf, "MemTotal:", 9) == 0, "meminfo MemTotal");
	CHECK(strstr(buf, "\nMemFree:") && strstr(buf, "\nMemAvailable:"), "meminfo MemFree MemAvailable");
	CHECK(slurp("/proc/stat") > 0 && strncmp(buf, "cpu ", 4) == 0, "stat cpu line");
	CHECK(strstr(buf, "\ncpu0 ") && strstr(buf, "\nctxt ") && strstr(buf, "\nprocesses "), "stat cpu0 ctxt processes");
	double up = -1, idle = -1;
	CHECK(slurp("/proc/uptime") > 0 && sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0, "uptime");
	int running = 0, total = 0;
	CHECK(slurp("/proc/loadavg") > 0 && sscanf(buf, "%*f %*f %*f %d/%d", &running, &total) == 2 &&
	      running >= 1 && total >= running, "loadavg running/total");
	CHECK(slurp("/proc/cpuinfo") > 0 && strncmp(buf, "processor\t: 0\n", 14) == 0, "cpuinfo processor 0");
	CHECK(slurp("/proc/version") > 0 && strncmp(buf, "Linux version ", 14) == 0, "version");
}

static void sched_file(void)
{
	CHECK(slurp("/proc/self/sched") > 0, "read /proc/self/sched");
	CHECK(strncmp(buf, "procfs (", 8) == 0, "sched header");
	CHECK(strstr(buf, "\nse.vruntime ") != NULL, "sched se.vruntime");
	CHECK(strstr(buf, "\nse.sum_exec_runtime ") != NULL, "sched se.sum_exec_runtime");
	CHECK_EQ(sched_value("se.load.weight"), 1048576, "sched se.load.weight (nice 0)");
	CHECK_EQ(sched_value("policy"), 0, "sched policy");
	CHECK_EQ(sched_value("prio"), 120, "sched prio");
	long before = sched_value("nr_switches"), vol = sched_value("nr_voluntary_switches");
	for (int i = 0; i < 3; i++) {
		usleep(2000);
		sched_yield();
	}
	long after = sched_value("nr_switches");
	CHECK(before >= 0 && after > before, "nr_switches grows after sleeping");
	CHECK(sched_value("nr_voluntary_switches") >= vol + 3, "nr_voluntary_switches grows by the sleeps");
}

static void listing(void)
{
	char me[32], want[64];
	snprintf(me, sizeof me, "%d", getpid());
	DIR *d = opendir("/proc");
	CHECK(d != NULL, "opendir /proc");
	int found = 0, self = 0, meminfo = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, me) == 0 && e->d_type == DT_DIR)
			found = 1;
		if (strcmp(e->d_name, "self") == 0 && e->d_type == DT_LNK)
			self = 1;
		if (strcmp(e->d_name, "meminfo") == 0 && e->d_type == DT_REG)
			meminfo = 1;
	}
	if (d)
		closedir(d);
	CHECK(found, "/proc lists our pid");
	CHECK(self, "/proc lists self");
	CHECK(meminfo, "/proc lists meminfo");

	d = opendir("/proc/self");
	int hasstat = 0, task = 0;
	while (d && (e = readdir(d)) != NULL) {
		hasstat |= strcmp(e->d_name, "stat") == 0;
		task |= strcmp(e->d_name, "task") == 0 && e->d_type == DT_DIR;
	}
	if (d)
		closedir(d);
	CHECK(hasstat && task, "/proc/self lists stat and task");

	char link[64] = "";
	ssize_t n = readlink("/proc/self", link, sizeof link - 1);
	CHECK(n > 0 && (link[n] = 0, strcmp(link, me) == 0), "readlink /proc/self == pid");
	struct stat st;
	CHECK(lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode), "lstat /proc/self is a link");
	CHECK(stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555,
	      "stat /proc/self: dr-xr-xr-x");
	CHECK(stat("/proc/self/stat", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444 &&
	      st.st_size == 0, "stat /proc/self/stat: regular, 0444, size 0");
	int fd = open("/proc/self/status", O_RDONLY);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0, "fstat of a /proc file");
	close(fd);

	snprintf(want, sizeof want, "/proc/self/task/%d/stat", getpid());
	CHECK(slurp(want) > 0 && atoi(buf) == getpid(), "task/TID/stat");
	snprintf(want, sizeof want, "/proc/self/task/%d/sched", getpid());
	CHECK(slurp(want) > 0 && strstr(buf, "se.vruntime") != NULL, "task/TID/sched");

	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	snprintf(want, sizeof want, "/proc/self/fd/%d", p[0]);
	n = readlink(want, link, sizeof link - 1);
	CHECK(n > 6 && (link[n] = 0, strncmp(link, "pipe:[", 6) == 0), "fd link of a pipe is pipe:[ino]");
	d = opendir("/proc/self/fd");
	int fds = 0;
	while (d && (e = readdir(d)) != NULL)
		fds += strcmp(e->d_name, "0") == 0 || strcmp(e->d_name, "1") == 0 || atoi(e->d_name) == p[1];
	if (d)
		closedir(d);
	CHECK_EQ(fds, 3, "fd lists 0, 1 and the pipe");
	close(p[0]);
	close(p[1]);

	/* As root: a /proc file opens for writing, writing it is EINVAL;
	 * nothing can be created in /proc. */
	fd = open("/proc/self/stat", O_WRONLY);
	CHECK(fd >= 0, "open /proc/self/stat for writing (root)");
	CHECK_ERR(write(fd, "x", 1), EINVAL, "write /proc/self/stat");
	close(fd);
	CHECK_ERR(open("/proc/self/nosuchfile", O_RDONLY), ENOENT, "open of a missing /proc/self file");
	CHECK_ERR(open("/proc/newfile", O_CREAT | O_WRONLY, 0644), ENOENT, "create in /proc: ENOENT (lookup fails)");
	CHECK_ERR(mknod("/proc/meminfo", S_IFIFO | 0644, 0), EEXIST, "mknod over /proc/meminfo");
	CHECK_ERR(unlink("/proc/meminfo"), EPERM, "unlink /proc/meminfo");
	CHECK_ERR(open("/proc/0/stat", O_RDONLY), ENOENT, "/proc/0/stat");
	CHECK_ERR(open("/proc/01/stat", O_RDONLY), ENOENT, "/proc/01/stat");
}

static void children(void)
{
	pid_t c = fork();
	if (c == 0)
		sleeper();
	CHECK(c > 0, "fork a sleeper");
	CHECK(wait_state(c, 'S'), "sleeping child: state S");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", c);
	CHECK(slurp(path) > 0 && has_line(buf, "State:\tS (sleeping)"), "sleeping child: status S (sleeping)");
	int status;
	kill(c, SIGSTOP);
	CHECK(waitpid(c, &status, WUNTRACED) == c && WIFSTOPPED(status), "child stopped");
	CHECK_EQ(stat_state(c), 'T', "stopped child: state T");
	CHECK(slurp(path) > 0 && has_line(buf, "State:\tT (stopped)"), "stopped child: status T (stopped)");
	kill(c, SIGCONT);

	/* Files opened before the process goes: reads give ESRCH, a listing
	 * ENOENT, a new lookup ENOENT. */
	snprintf(path, sizeof path, "/proc/%d/stat", c);
	int fd = open(path, O_RDONLY);
	snprintf(path, sizeof path, "/proc/%d", c);
	int dfd = open(path, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0 && dfd >= 0, "open /proc/PID/stat and /proc/PID");
	kill(c, SIGKILL);
	CHECK(waitpid(c, &status, 0) == c, "reap the child");
	CHECK_ERR(read(fd, buf, sizeof buf), ESRCH, "read after the exit: ESRCH");
	CHECK_ERR(syscall(SYS_getdents64, dfd, buf, sizeof buf), ENOENT, "getdents64 after the exit: ENOENT");
	close(fd);
	close(dfd);
	snprintf(path, sizeof path, "/proc/%d/stat", c);
	CHECK_ERR(open(path, O_RDONLY), ENOENT, "/proc/PID/stat of a reaped child: ENOENT");

	/* A child that exited and is not reaped yet is a zombie. */
	c = fork();
	if (c == 0)
		_exit(3);
	CHECK(wait_state(c, 'Z'), "exited child: state Z");
	snprintf(path, sizeof path, "/proc/%d/cmdline", c);
	CHECK_EQ(slurp(path), 0, "zombie's cmdline is empty");
	CHECK(waitpid(c, &status, 0) == c && WEXITSTATUS(status) == 3, "reap the zombie");
}

int main(int argc, char **argv)
{
	self_stat();
	self_files(argc, argv);
	sched_file();
	listing();
	children();
	return t_done();
}
