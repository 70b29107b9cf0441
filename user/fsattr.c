/* fsattr: statx, statfs/fstatfs, flock, close_range and personality.
 *
 * statx agrees with stat and reports the basic mask, the mount root and its
 * argument errors; statfs knows procfs, devtmpfs, pipefs and anonymous inodes
 * by their magic numbers; flock locks belong to open file descriptions
 * (shared by dup and fork, released by the last close, converted
 * non-atomically, waited for); close_range closes or marks close-on-exec;
 * personality stores and reports the persona. Nothing host-specific (inode
 * numbers, sizes of the host's disks) is printed. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

/* Magic numbers (linux/magic.h; musl ships no kernel headers). */
#define PROC_SUPER_MAGIC 0x9fa0
#define TMPFS_MAGIC 0x01021994
#define PIPEFS_MAGIC 0x50495045
#define ANON_INODE_FS_MAGIC 0x09041934

/* statx and close_range (this musl predates their wrappers). */
struct statx_timestamp { int64_t tv_sec; uint32_t tv_nsec; int32_t pad; };
struct statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad1;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
#define STATX_SIZE 0x200u
#define STATX_BASIC_STATS 0x7ffu
#define STATX_ATTR_MOUNT_ROOT 0x2000
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC 0x4000
#define CLOSE_RANGE_UNSHARE (1u << 1)
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#define ST_VALID 0x20
static int statx(int dfd, const char *path, int flags, unsigned mask, struct statx *sx)
{
	return syscall(SYS_statx, dfd, path, flags, mask, sx);
}
static int close_range(unsigned first, unsigned last, unsigned flags)
{
	return syscall(SYS_close_range, first, last, flags);
}

static char dir[64];

static const char *P(const char *name)
{
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];
	strcpy(b, dir);
	strcat(b, name);
	return b;
}

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

static void test_statx(void)
{
	struct statx sx;
	struct stat st;
	int fd = open(P("/f"), O_CREAT | O_RDWR, 0640);
	write(fd, "hello", 5);
	CHECK_EQ(statx(AT_FDCWD, P("/f"), 0, STATX_BASIC_STATS, &sx), 0, "statx");
	CHECK_EQ(stat(P("/f"), &st), 0, "stat");
	CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, "stx_mask has the basic stats");
	CHECK(sx.stx_ino == st.st_ino && sx.stx_size == 5 && sx.stx_mode == st.st_mode && sx.stx_nlink == 1 &&
	      sx.stx_uid == st.st_uid && sx.stx_gid == st.st_gid && sx.stx_blocks == (unsigned long long)st.st_blocks,
	      "statx agrees with stat: inode, size, mode, links, owner, blocks");
	CHECK(sx.stx_mtime.tv_sec == st.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == (unsigned)st.st_mtim.tv_nsec &&
	      sx.stx_ctime.tv_sec == st.st_ctim.tv_sec, "and on the times");
	CHECK(makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev, "and on the device");
	CHECK(!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT), "a file is not a mount root");
	CHECK_EQ(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx), 0, "statx of an fd with AT_EMPTY_PATH");
	CHECK(sx.stx_ino == st.st_ino, "the same file");
	close(fd);
	CHECK_EQ(statx(AT_FDCWD, "/proc", 0, STATX_BASIC_STATS, &sx), 0, "statx /proc");
	CHECK((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT),
	      "/proc is a mount root");
	CHECK_ERR(statx(AT_FDCWD, P("/f"), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx), EINVAL,
		  "both sync types is EINVAL");
	CHECK_ERR(statx(AT_FDCWD, P("/f"), 0, 0x80000000u, &sx), EINVAL, "STATX__RESERVED is EINVAL");
	CHECK_ERR(statx(AT_FDCWD, P("/f"), 0x10000, STATX_BASIC_STATS, &sx), EINVAL, "an unknown flag is EINVAL");
	CHECK_ERR(statx(AT_FDCWD, P("/nope"), 0, STATX_BASIC_STATS, &sx), ENOENT, "a missing file is ENOENT");
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, P("/f"), 0, STATX_BASIC_STATS, (void *)8), EFAULT, "a bad buffer is EFAULT");
}

static void test_statfs(void)
{
	struct statfs s;
	int p[2];

	CHECK_EQ(statfs("/proc", &s), 0, "statfs /proc");
	CHECK_EQ(s.f_type, PROC_SUPER_MAGIC, "/proc is procfs");
	CHECK_EQ(statfs("/dev", &s), 0, "statfs /dev");
	CHECK_EQ(s.f_type, TMPFS_MAGIC, "/dev is devtmpfs (tmpfs's magic)");
	CHECK_EQ(statfs(dir, &s), 0, "statfs of a directory in /tmp");
	CHECK(s.f_bsize > 0 && s.f_namelen == 255 && s.f_blocks >= s.f_bfree && s.f_bfree >= s.f_bavail,
	      "block size, name length 255, free <= total");
	CHECK(s.f_flags & ST_VALID, "ST_VALID in f_flags");
	pipe(p);
	CHECK_EQ(fstatfs(p[0], &s), 0, "fstatfs of a pipe");
	CHECK_EQ(s.f_type, PIPEFS_MAGIC, "pipes are on pipefs");
	close(p[0]);
	close(p[1]);
	int e = eventfd(0, 0);
	CHECK_EQ(fstatfs(e, &s), 0, "fstatfs of an eventfd");
	CHECK_EQ(s.f_type, ANON_INODE_FS_MAGIC, "an eventfd is an anonymous inode");
	close(e);
	CHECK_ERR(statfs(P("/nope"), &s), ENOENT, "statfs of a missing path is ENOENT");
	CHECK_ERR(fstatfs(99, &s), EBADF, "fstatfs of a closed fd is EBADF");
	CHECK_ERR(syscall(SYS_statfs, "/proc", (void *)8), EFAULT, "a bad buffer is EFAULT");
}

static void test_flock(void)
{
	int a = open(P("/f"), O_RDWR), b = open(P("/f"), O_RDONLY);
	int sync[2];
	char c;

	CHECK_EQ(flock(a, LOCK_EX), 0, "LOCK_EX");
	CHECK_EQ(flock(a, LOCK_EX), 0, "LOCK_EX again on the same open file");
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, "another open of the file: EWOULDBLOCK");
	CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK, "a shared lock conflicts with it too");
	int d = dup(a);
	CHECK_EQ(flock(d, LOCK_UN), 0, "LOCK_UN through a dup: the lock is the open file's");
	CHECK_EQ(flock(b, LOCK_SH | LOCK_NB), 0, "now a shared lock");
	CHECK_EQ(flock(a, LOCK_SH | LOCK_NB), 0, "two shared locks");
	CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK, "converting to exclusive fails while the other is shared");
	CHECK_EQ(flock(b, LOCK_EX | LOCK_NB), 0, "the failed conversion dropped the shared lock (not atomic, as Linux)");
	CHECK_ERR(flock(a, 0), EINVAL, "operation 0 is EINVAL");
	CHECK_ERR(flock(a, LOCK_SH | LOCK_EX), EINVAL, "LOCK_SH|LOCK_EX is EINVAL");
	CHECK_ERR(flock(42, LOCK_SH), EBADF, "a closed fd is EBADF");
	CHECK_EQ(flock(a, LOCK_UN), 0, "LOCK_UN without a lock succeeds");
	close(b); /* the last close releases b's lock */
	CHECK_EQ(flock(a, LOCK_EX | LOCK_NB), 0, "the last close released the other lock");

	/* A child inherits the open file and so shares the lock; a separate
	 * open in the child blocks until the parent lets go. */
	pipe(sync);
	pid_t p = fork();
	if (p == 0) {
		int ok = flock(a, LOCK_EX | LOCK_NB) == 0; /* same open file: no conflict */
		close(a);
		close(d);
		int own = open(P("/f"), O_RDONLY);
		ok &= flock(own, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
		write(sync[1], ok ? "y" : "n", 1);
		ok &= flock(own, LOCK_SH) == 0; /* sleeps until the parent unlocks */
		write(sync[1], ok ? "Y" : "N", 1);
		_exit(0);
	}
	read(sync[0], &c, 1);
	CHECK(c == 'y', "a child shares the inherited lock and its own open conflicts");
	msleep(100);
	CHECK_EQ(flock(a, LOCK_UN), 0, "the parent unlocks");
	read(sync[0], &c, 1);
	CHECK(c == 'Y', "the child's blocking LOCK_SH got the lock");
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child exits");
	CHECK_EQ(flock(a, LOCK_EX | LOCK_NB), 0, "the child's exit released its lock");
	close(a);
	close(d);
	close(sync[0]);
	close(sync[1]);
}

static void test_close_range(void)
{
	int fds[6];
	for (int i = 0; i < 6; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	int lo = fds[0];
	CHECK_ERR(close_range(5, 4, 0), EINVAL, "first > last is EINVAL");
	CHECK_ERR(close_range(lo, ~0u, 1), EINVAL, "an unknown flag is EINVAL");
	CHECK_EQ(close_range(lo + 4, ~0u, CLOSE_RANGE_CLOEXEC), 0, "CLOSE_RANGE_CLOEXEC");
	CHECK(fcntl(lo + 4, F_GETFD) == FD_CLOEXEC && fcntl(lo + 5, F_GETFD) == FD_CLOEXEC && fcntl(lo + 3, F_GETFD) == 0,
	      "it marks the range close-on-exec, not more");
	CHECK_EQ(close_range(lo + 1, lo + 2, 0), 0, "close_range of two");
	CHECK(fcntl(lo, F_GETFD) == 0 && fcntl(lo + 1, F_GETFD) == -1 && fcntl(lo + 2, F_GETFD) == -1 &&
	      fcntl(lo + 3, F_GETFD) == 0, "exactly those are closed");
	CHECK_EQ(close_range(lo, ~0u, CLOSE_RANGE_UNSHARE), 0, "close_range to the end, CLOSE_RANGE_UNSHARE");
	CHECK(fcntl(lo, F_GETFD) == -1 && fcntl(lo + 5, F_GETFD) == -1, "all closed");
	CHECK_EQ(close_range(1000, 2000, 0), 0, "a range with nothing open is fine");
}

static void test_personality(void)
{
	CHECK_EQ(personality(0xffffffff), PER_LINUX, "the persona is PER_LINUX");
	CHECK_EQ(personality(PER_LINUX | ADDR_NO_RANDOMIZE), PER_LINUX, "setting returns the old one");
	CHECK_EQ(personality(0xffffffff), ADDR_NO_RANDOMIZE, "and the new one sticks");
	pid_t p = fork();
	if (p == 0)
		_exit(personality(0xffffffff) == ADDR_NO_RANDOMIZE ? 0 : 1);
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child inherits it");
	personality(PER_LINUX);
}

int main(void)
{
	strcpy(dir, "/tmp/fsattrXXXXXX");
	if (!mkdtemp(dir)) {
		t_printf("mkdtemp failed\n");
		return 1;
	}
	test_statx();
	test_statfs();
	test_flock();
	test_close_range();
	test_personality();
	unlink(P("/f"));
	rmdir(dir);
	return t_done();
}
