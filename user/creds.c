/* creds: user and group IDs, supplementary groups and capabilities, and the
 * permission checks they drive.
 *
 * setuid/setreuid/setresuid/setfsuid and the gid calls with their EPERM and
 * EINVAL cases; the saved set-user-ID that lets a task drop and regain euid 0
 * (and its capabilities with it); getgroups/setgroups; capget/capset; kill,
 * setpriority, sched_setscheduler and sched_setaffinity refused across users;
 * si_uid in SIGCHLD and waitid; /proc/self/status's Uid and Gid lines. Files:
 * owners of new files, read/write/search permission, access(2) with the real
 * IDs, chmod/chown/utimensat/truncate rules, the sticky directory.
 * Runs as root (natively too); every ID change happens in a child. Only
 * capabilities that any root has (not the whole mask) are printed. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define CAP_CHOWN 0
#define CAP_KILL 5
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SYS_NICE 23

struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

static int caps(struct cap_data d[2])
{
	struct cap_header h = { 0x20080522, 0 };
	return syscall(SYS_capget, &h, d);
}

static int has_cap(int cap, int effective)
{
	struct cap_data d[2];
	if (caps(d) != 0)
		return -1;
	uint32_t w = effective ? d[cap / 32].effective : d[cap / 32].permitted;
	return (w >> (cap % 32)) & 1;
}

/* status_line returns the value of a /proc/self/status field. */
static const char *status_line(const char *field, char *out, size_t n)
{
	static char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0)
		return "";
	ssize_t r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return "";
	buf[r] = 0;
	size_t fl = strlen(field);
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
			char *v = p + fl + 2, *e = strchr(v, '\n');
			size_t l = e ? (size_t)(e - v) : strlen(v);
			if (l >= n)
				l = n - 1;
			memcpy(out, v, l);
			out[l] = 0;
			return out;
		}
	}
	return "";
}

/* in_child runs f in a child and reports its exit status. */
static int in_child(void (*f)(void))
{
	pid_t p = fork();
	if (p == 0) {
		f();
		_exit(t_fail ? 1 : 0);
	}
	int st;
	waitpid(p, &st, 0);
	return st;
}

static void uid_calls(void)
{
	uid_t r, e, s;
	char b[128];

	CHECK_EQ(getresuid(&r, &e, &s), 0, "getresuid");
	CHECK(r == 0 && e == 0 && s == 0, "root: all three user IDs are 0");
	CHECK_ERR(setuid(-1), EINVAL, "setuid(-1) is EINVAL");
	CHECK_ERR(syscall(SYS_getresuid, &r, &e, (void *)8), EFAULT, "getresuid with a bad pointer is EFAULT");

	/* Drop the euid, keep 0 as saved ID. */
	CHECK_EQ(setresuid(1000, 1000, 0), 0, "setresuid(1000, 1000, 0)");
	getresuid(&r, &e, &s);
	CHECK(r == 1000 && e == 1000 && s == 0, "getresuid: 1000 1000 0");
	CHECK(getuid() == 1000 && geteuid() == 1000, "getuid, geteuid");
	CHECK_EQ(has_cap(CAP_KILL, 1), 0, "euid 1000: no effective CAP_KILL");
	CHECK_EQ(has_cap(CAP_KILL, 0), 1, "saved uid 0: CAP_KILL still permitted");
	CHECK(strcmp(status_line("Uid", b, sizeof b), "1000\t1000\t0\t1000") == 0, "/proc/self/status Uid: 1000 1000 0 1000");
	CHECK_ERR(setresuid(-1, 2000, -1), EPERM, "setresuid to a stranger's ID is EPERM");
	CHECK_ERR(setuid(2000), EPERM, "setuid to a stranger's ID is EPERM");
	CHECK_ERR(kill(getppid(), 0), EPERM, "kill(root's process, 0) is EPERM");
	CHECK_ERR(setgroups(0, NULL), EPERM, "setgroups without CAP_SETGID is EPERM");
	CHECK_ERR(setgid(5), EPERM, "setgid without CAP_SETGID is EPERM");

	/* Back to euid 0 through the saved ID: the capabilities return. */
	CHECK_EQ(seteuid(0), 0, "seteuid(0) via the saved uid");
	CHECK_EQ(geteuid(), 0, "euid 0 again");
	CHECK_EQ(has_cap(CAP_KILL, 1), 1, "effective CAP_KILL is back");
	CHECK_EQ(kill(getppid(), 0), 0, "kill(root's process, 0) works again");

	/* setreuid: real 1000 and effective 0 swap. */
	CHECK_EQ(setreuid(0, 1000), 0, "setreuid(0, 1000)");
	getresuid(&r, &e, &s);
	CHECK(r == 0 && e == 1000 && s == 1000, "setreuid set the saved ID to the new euid: 0 1000 1000");
	CHECK_EQ(setreuid(1000, 0), 0, "setreuid(1000, 0): swap back");
	getresuid(&r, &e, &s);
	CHECK(r == 1000 && e == 0 && s == 0, "1000 0 0");

	/* setfsuid returns the old value and never fails. */
	CHECK_EQ(setfsuid(1234), 0, "setfsuid returns the old fsuid (0)");
	CHECK_EQ(setfsuid(-1), 1234, "setfsuid(-1) only reports it");
	CHECK_EQ(setfsuid(0), 1234, "back to 0");

	/* setuid as euid 0 with CAP_SETUID changes all IDs: no way back. */
	CHECK_EQ(setuid(1000), 0, "setuid(1000) as root");
	getresuid(&r, &e, &s);
	CHECK(r == 1000 && e == 1000 && s == 1000, "all three are 1000");
	CHECK_EQ(has_cap(CAP_KILL, 0), 0, "no permitted capabilities left");
	CHECK_ERR(setuid(0), EPERM, "setuid(0) is EPERM now");
	CHECK_ERR(seteuid(0), EPERM, "seteuid(0) is EPERM now");
	CHECK_EQ(setfsuid(0), 1000, "setfsuid(0) is refused silently");
	CHECK_EQ(setfsuid(-1), 1000, "the fsuid is still 1000");
}

static void gid_calls(void)
{
	gid_t r, e, s, list[8];
	char b[128];

	CHECK_EQ(setgroups(3, (gid_t[]){ 30, 10, 20 }), 0, "setgroups(30, 10, 20)");
	CHECK_EQ(getgroups(0, NULL), 3, "getgroups(0) counts them");
	CHECK_EQ(getgroups(8, list), 3, "getgroups");
	CHECK(list[0] == 10 && list[1] == 20 && list[2] == 30, "the kernel keeps them sorted");
	CHECK_ERR(getgroups(2, list), EINVAL, "getgroups with too small a list is EINVAL");
	CHECK_ERR(getgroups(-1, list), EINVAL, "getgroups(-1) is EINVAL");
	CHECK_ERR(setgroups(65537, list), EINVAL, "more than NGROUPS_MAX is EINVAL");
	CHECK(strcmp(status_line("Groups", b, sizeof b), "10 20 30 ") == 0, "/proc/self/status Groups: 10 20 30");

	CHECK_EQ(setresgid(100, 200, 300), 0, "setresgid(100, 200, 300)");
	getresgid(&r, &e, &s);
	CHECK(r == 100 && e == 200 && s == 300, "getresgid: 100 200 300");
	CHECK(getgid() == 100 && getegid() == 200, "getgid, getegid");
	CHECK(strcmp(status_line("Gid", b, sizeof b), "100\t200\t300\t200") == 0, "/proc/self/status Gid: 100 200 300 200");
	CHECK_EQ(has_cap(CAP_KILL, 1), 1, "group changes keep the capabilities");
	CHECK_EQ(setuid(1000), 0, "setuid(1000)");
	CHECK_EQ(setgid(300), 0, "setgid to the saved gid is allowed");
	CHECK_ERR(setgid(400), EPERM, "setgid to a stranger's gid is EPERM");
	CHECK_ERR(setregid(-1, 400), EPERM, "setregid to a stranger's gid is EPERM");
	CHECK_EQ(getgroups(8, list), 3, "the groups survive setuid");
}

static void capabilities(void)
{
	struct cap_header h = { 1, 0 };
	struct cap_data d[2];

	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL, "capget with an unknown version is EINVAL");
	CHECK_EQ(h.version, 0x20080522, "and writes back _LINUX_CAPABILITY_VERSION_3");
	h.version = 1;
	CHECK_EQ(syscall(SYS_capget, &h, NULL), 0, "capget(hdr, NULL) probes: 0");
	CHECK_EQ(h.version, 0x20080522, "the probe learns the version");
	h.pid = -1;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL, "capget of pid -1 is EINVAL");
	h.pid = 0;
	CHECK_EQ(has_cap(CAP_SETUID, 1), 1, "root has CAP_SETUID");

	/* Keep only CAP_KILL and CAP_SYS_NICE. */
	caps(d);
	memset(d, 0, sizeof d);
	d[0].effective = d[0].permitted = 1u << CAP_KILL | 1u << CAP_SYS_NICE;
	CHECK_EQ(syscall(SYS_capset, &h, d), 0, "capset: keep CAP_KILL and CAP_SYS_NICE");
	CHECK_EQ(has_cap(CAP_SETUID, 0), 0, "CAP_SETUID is gone");
	CHECK_ERR(setuid(1000), EPERM, "setuid without CAP_SETUID is EPERM, even for uid 0");
	d[0].permitted |= 1u << CAP_CHOWN;
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM, "the permitted set cannot grow back");
	d[0].permitted = 1u << CAP_KILL;
	d[0].effective = 1u << CAP_KILL | 1u << CAP_SYS_NICE;
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM, "effective must be within permitted");
	d[0].effective = 1u << CAP_KILL;
	h.pid = getppid();
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM, "capset of another process is EPERM");
	h.pid = 0;
	CHECK_EQ(syscall(SYS_capset, &h, d), 0, "capset: keep CAP_KILL alone");
	CHECK_EQ(has_cap(CAP_SYS_NICE, 1), 0, "CAP_SYS_NICE is gone");
	CHECK_EQ(kill(getppid(), 0), 0, "kill still works as uid 0");
}

static void sched_perms(void)
{
	struct sched_param sp = { 10 };
	cpu_set_t set;

	setrlimit(RLIMIT_NICE, &(struct rlimit){ 0, 0 });
	setrlimit(RLIMIT_RTPRIO, &(struct rlimit){ 0, 0 });
	pid_t parent = getppid();
	CHECK_EQ(setuid(1000), 0, "setuid(1000)");
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 5), 0, "nice up to 5");
	CHECK_ERR(setpriority(PRIO_PROCESS, 0, 2), EACCES, "nice back down is EACCES (RLIMIT_NICE 0)");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5, "still 5");
	CHECK_ERR(setpriority(PRIO_PROCESS, parent, 10), EPERM, "renicing root's process is EPERM");
	CHECK_EQ(setpriority(PRIO_USER, 0, 6), 0, "PRIO_USER 0 is the caller's user");
	CHECK_EQ(getpriority(PRIO_USER, 1000), 6, "getpriority PRIO_USER 1000");
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp), EPERM, "SCHED_FIFO without RLIMIT_RTPRIO is EPERM");
	sp.sched_priority = 0;
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp), EINVAL, "an invalid priority is EINVAL first");
	CHECK_EQ(syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp), 0, "SCHED_BATCH is allowed");
	CHECK_ERR(syscall(SYS_sched_setscheduler, parent, SCHED_BATCH, &sp), EPERM, "another user's task is EPERM");
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK_ERR(sched_setaffinity(parent, sizeof set, &set), EPERM, "sched_setaffinity of root's process is EPERM");
	CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0, "sched_setaffinity of itself");
}

static volatile sig_atomic_t chld_uid = -1;
static void on_chld(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	chld_uid = si->si_uid;
}

static void become_1000_and_exit(void)
{
	if (setuid(1000) != 0)
		_exit(2);
	_exit(7);
}

static void child_pause_as(uid_t uid, int fd)
{
	if (setuid(uid) != 0)
		_exit(2);
	write(fd, "x", 1);
	for (;;)
		pause();
}

static void kills(void)
{
	int p1[2], p2[2];
	char c;

	/* si_uid of SIGCHLD and waitid is the child's real uid. */
	struct sigaction sa = { .sa_sigaction = on_chld, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	pid_t p = fork();
	if (p == 0)
		become_1000_and_exit();
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, p, &si, WEXITED), 0, "waitid");
	CHECK(si.si_uid == 1000 && si.si_status == 7, "waitid's si_uid is the child's uid (1000)");
	CHECK_EQ(chld_uid, 1000, "SIGCHLD's si_uid is 1000");
	signal(SIGCHLD, SIG_DFL);

	/* Two processes of different users. */
	pipe(p1);
	pipe(p2);
	pid_t a = fork();
	if (a == 0)
		child_pause_as(1001, p1[1]);
	pid_t b = fork();
	if (b == 0) {
		if (setuid(1002) != 0)
			_exit(2);
		read(p1[0], &c, 1);
		int ok = kill(a, SIGTERM) == -1 && errno == EPERM;
		ok &= kill(a, 0) == -1 && errno == EPERM;
		ok &= kill(getpid(), 0) == 0;
		ok &= kill(-1, SIGTERM) == 0; /* skips everyone it may not signal */
		write(p2[1], ok ? "y" : "n", 1);
		_exit(0);
	}
	read(p2[0], &c, 1);
	CHECK(c == 'y', "uid 1002 may not kill uid 1001's process (EPERM, even with 0); kill(-1) skips it");
	waitpid(b, NULL, 0);
	CHECK_EQ(kill(a, SIGTERM), 0, "root may kill anyone");
	int st;
	waitpid(a, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "uid 1001's process died of SIGTERM, not before");
}

static char dir[64];

/* P(name) is dir/name, in one of four buffers used in turn (a call may
 * take two paths). */
static const char *P(const char *name)
{
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];
	strcpy(b, dir);
	strcat(b, name);
	return b;
}

static void file_setup(void)
{
	int fd;
	strcpy(dir, "/tmp/credsXXXXXX");
	if (!mkdtemp(dir))
		_exit(3);
	chmod(dir, 0755);
	fd = open(P("/secret"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	fd = open(P("/pub"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	mkdir(P("/mine"), 0755);
	chown(P("/mine"), 1000, 1000);
	mkdir(P("/sticky"), 0777);
	chmod(P("/sticky"), 01777);
	fd = open(P("/sticky/roots"), O_CREAT | O_WRONLY, 0666);
	close(fd);
	fchmod(fd, 0666);
	chmod(P("/sticky/roots"), 0666);
}

static void file_teardown(void)
{
	const char *names[] = { "/mine/x", "/mine/y", "/mine", "/sticky/roots", "/sticky/bobs", "/sticky", "/secret", "/pub", "" };
	for (int i = 0; names[i][0]; i++) {
		unlink(P(names[i]));
		rmdir(P(names[i]));
	}
	rmdir(dir);
}

static void files_as_user(void)
{
	struct stat st;
	char c;

	CHECK(setgroups(0, NULL) == 0 && setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0,
	      "become uid 1000, gid 1000, no groups");
	CHECK_ERR(open(P("/secret"), O_RDONLY), EACCES, "open of root's 0600 file is EACCES");
	int fd = open(P("/pub"), O_RDONLY);
	CHECK(fd >= 0, "open of root's 0644 file for reading");
	close(fd);
	CHECK_ERR(open(P("/pub"), O_WRONLY), EACCES, "... but not for writing");
	CHECK_ERR(open(P("/pub"), O_RDONLY | O_TRUNC), EACCES, "O_TRUNC needs write permission");
	CHECK_EQ(access(P("/pub"), R_OK), 0, "access R_OK");
	CHECK_ERR(access(P("/pub"), W_OK), EACCES, "access W_OK is EACCES");
	CHECK_ERR(open(P("/new"), O_CREAT | O_WRONLY, 0644), EACCES, "creating in root's 0755 directory is EACCES");
	CHECK_ERR(mkdir(P("/newdir"), 0755), EACCES, "mkdir there is EACCES");
	CHECK_ERR(unlink(P("/pub")), EACCES, "unlink there is EACCES");
	CHECK_ERR(rename(P("/pub"), P("/mine/pub")), EACCES, "rename out of it is EACCES");
	CHECK_ERR(truncate(P("/pub"), 0), EACCES, "truncate without write permission is EACCES");
	CHECK_ERR(chmod(P("/pub"), 0666), EPERM, "chmod of root's file is EPERM");
	CHECK_ERR(utimensat(AT_FDCWD, P("/pub"), NULL, 0), EACCES, "touching a file it cannot write is EACCES");
	CHECK_ERR(utimensat(AT_FDCWD, P("/pub"), ((struct timespec[2]){ { 1, 0 }, { 2, 0 } }), 0), EPERM,
		  "setting times of a file it does not own is EPERM");

	fd = open(P("/mine/x"), O_CREAT | O_WRONLY, 0640);
	CHECK(fd >= 0, "creating in its own directory");
	CHECK(fstat(fd, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000, "the new file belongs to 1000:1000");
	CHECK_ERR(fchown(fd, 0, -1), EPERM, "giving the file to root is EPERM");
	CHECK_ERR(fchown(fd, -1, 0), EPERM, "moving it to a group it is not in is EPERM");
	CHECK_EQ(fchown(fd, 1000, 1000), 0, "chown to itself is allowed");
	CHECK_EQ(fchmod(fd, 0600), 0, "fchmod of its own file");
	CHECK_EQ(utimensat(AT_FDCWD, P("/mine/x"), ((struct timespec[2]){ { 100, 5 }, { 200, 7 } }), 0), 0,
		 "utimensat on its own file");
	CHECK(stat(P("/mine/x"), &st) == 0 && st.st_atim.tv_sec == 100 && st.st_atim.tv_nsec == 5 &&
	      st.st_mtim.tv_sec == 200 && st.st_mtim.tv_nsec == 7, "the times are set");
	CHECK_EQ(utimensat(AT_FDCWD, P("/mine/x"), ((struct timespec[2]){ { 0, UTIME_OMIT }, { 300, 0 } }), 0), 0,
		 "UTIME_OMIT leaves the access time");
	CHECK(stat(P("/mine/x"), &st) == 0 && st.st_atim.tv_sec == 100 && st.st_mtim.tv_sec == 300, "only mtime moved");
	CHECK_ERR(utimensat(AT_FDCWD, P("/mine/x"), ((struct timespec[2]){ { 0, 1000000000 }, { 0, 0 } }), 0), EINVAL,
		  "a tv_nsec of 1e9 is EINVAL");
	CHECK_ERR(utimensat(AT_FDCWD, P("/mine/x"), NULL, 0x2), EINVAL, "an unknown flag is EINVAL");
	write(fd, "data", 4);
	close(fd);
	CHECK_EQ(rename(P("/mine/x"), P("/mine/y")), 0, "rename inside its own directory");
	fd = open(P("/mine/y"), O_RDONLY);
	CHECK(fd >= 0 && read(fd, &c, 1) == 1 && c == 'd', "and read it back");
	close(fd);
	CHECK_EQ(chmod(P("/mine/y"), 0), 0, "chmod 0");
	CHECK_ERR(open(P("/mine/y"), O_RDONLY), EACCES, "the owner too is refused a mode 0 file");

	/* The sticky directory: only owners remove. */
	CHECK_ERR(unlink(P("/sticky/roots")), EPERM, "unlink of root's file in a sticky directory is EPERM");
	CHECK_ERR(rename(P("/sticky/roots"), P("/sticky/bobs")), EPERM, "so is renaming it");
	fd = open(P("/sticky/roots"), O_WRONLY);
	CHECK(fd >= 0, "though it may write the 0666 file");
	close(fd);
	fd = open(P("/sticky/bobs"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK_EQ(unlink(P("/sticky/bobs")), 0, "and remove its own file there");
}

static void access_real_ids(void)
{
	CHECK_EQ(setresuid(1000, 0, 0), 0, "setresuid(1000, 0, 0): real 1000, effective 0");
	int fd = open(P("/secret"), O_RDONLY);
	CHECK(fd >= 0, "open checks the effective ID: allowed");
	close(fd);
	CHECK_ERR(access(P("/secret"), R_OK), EACCES, "access checks the real ID: EACCES");
	CHECK_EQ(faccessat(AT_FDCWD, P("/secret"), R_OK, AT_EACCESS), 0, "faccessat AT_EACCESS checks the effective ID");
	CHECK_EQ(access(P("/pub"), R_OK), 0, "access of a world-readable file");
}

static int shmid;

static void ipc_as_user(void)
{
	CHECK_EQ(setuid(1000), 0, "setuid(1000)");
	CHECK(shmat(shmid, NULL, SHM_RDONLY) == (void *)-1 && errno == EACCES, "shmat of root's 0600 segment is EACCES");
	CHECK_ERR(shmctl(shmid, IPC_RMID, NULL), EPERM, "IPC_RMID of root's segment is EPERM");
	struct shmid_ds ds;
	CHECK_ERR(shmctl(shmid, IPC_STAT, &ds), EACCES, "IPC_STAT without read permission is EACCES");
}

static void ipc_perms(void)
{
	shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	CHECK(shmid >= 0, "root makes a 0600 segment");
	int st = in_child(ipc_as_user);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "System V IPC permissions as uid 1000");
	CHECK_EQ(shmctl(shmid, IPC_RMID, NULL), 0, "root removes it");
}

static void nproc_as_user(void)
{
	pid_t kids[3];
	int n = 0;

	setrlimit(RLIMIT_NPROC, &(struct rlimit){ 3, 3 });
	CHECK_EQ(setuid(54321), 0, "setuid(54321) with RLIMIT_NPROC 3");
	for (int i = 0; i < 3; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			int e = errno;
			CHECK_EQ(e, EAGAIN, "the fork past RLIMIT_NPROC is EAGAIN");
			break;
		}
		kids[n++] = p;
	}
	CHECK_EQ(n, 2, "two children fit (the caller is the third task)");
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	CHECK(p > 0, "reaped children no longer count: fork works again");
	waitpid(p, NULL, 0);
}

static void nproc(void)
{
	int st = in_child(nproc_as_user);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_NPROC for a user");
	pid_t p = fork();
	if (p == 0) {
		setrlimit(RLIMIT_NPROC, &(struct rlimit){ 1, 1 });
		pid_t q = fork();
		if (q == 0)
			_exit(0);
		waitpid(q, NULL, 0);
		_exit(q > 0 ? 0 : 1);
	}
	st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "root is exempt from RLIMIT_NPROC");
}

static void files(void)
{
	int st;
	file_setup();
	st = in_child(files_as_user);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "file permissions as uid 1000");
	st = in_child(access_real_ids);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "access(2) uses the real IDs");
	struct stat s;
	CHECK(stat(P("/pub"), &s) == 0 && s.st_uid == 0 && (s.st_mode & 07777) == 0644, "root's file is untouched");
	file_teardown();
	CHECK_ERR(stat(dir, &s), ENOENT, "everything is cleaned up");
}

int main(void)
{
	int st;

	if (getuid() != 0) {
		t_printf("creds must run as root\n");
		return 1;
	}
	st = in_child(uid_calls);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "uid calls");
	st = in_child(gid_calls);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gid calls");
	st = in_child(capabilities);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "capabilities");
	st = in_child(sched_perms);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "scheduling permissions");
	kills();
	files();
	ipc_perms();
	nproc();
	return t_done();
}
