/* tmpfs: regular files, directories, symbolic and hard links under /tmp, as
 * Linux does them. Everything happens in /tmp/tmpfs-test (removed at the
 * start and at the end), so the program also runs natively whatever /tmp's
 * file system is: only what every Linux file system guarantees is checked
 * (no st_blocks of small files, no directory sizes, no listing order).
 *
 * Files: O_CREAT/O_EXCL/O_TRUNC/O_APPEND/O_TMPFILE, umask, the access modes, read and write
 * at the file offset, pread/pwrite, lseek (SET/CUR/END, EINVAL, past the end), sparse
 * files reading zeros, SEEK_DATA/SEEK_HOLE, ftruncate/truncate, fstat/stat
 * (size, mode, nlink, timestamps), fsync; the offset shared by dup and by
 * parent and child after fork; O_APPEND from two processes; unlink while
 * open. Directories: mkdir, rmdir (ENOTEMPTY, EINVAL, EBUSY), getdents64
 * (and unlinking while listing), rename and renameat2 (replacing, EISDIR,
 * ENOTDIR, ENOTEMPTY, EINVAL, NOREPLACE, EXCHANGE), link, symlink,
 * readlink, symlink loops (ELOOP), O_NOFOLLOW, lstat, chmod. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef D
#define D "/tmp/tmpfs-test" /* -D'D="/elsewhere"' to try another file system */
#endif

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

/* rm_rf removes path and everything below it (lstat: links are not
 * followed). */
static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		char sub[512];
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static int later(struct timespec a, struct timespec b) /* a > b */
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static off_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static int wait_ok(pid_t p)
{
	int s = 0;
	return waitpid(p, &s, 0) == p && WIFEXITED(s) && WEXITSTATUS(s) == 0;
}

/* fill makes n bytes of a pattern that no file system compresses away. */
static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		b[i] = seed >> 16;
	}
}

static int all_zero(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int make_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

static int file_is(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, n) == 0;
}

static void files(void)
{
	char buf[256];
	struct stat st, st2;
	int fd = open(D "/f", O_RDWR | O_CREAT | O_EXCL, 0666);
	CHECK(fd >= 0, "open O_CREAT|O_EXCL makes a file");
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
	      "new file: regular, mode 0666 less the umask 022");
	CHECK(st.st_size == 0 && st.st_nlink == 1 && st.st_blocks == 0, "new file: size 0, one link, no blocks");
	CHECK_ERR(open(D "/f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL of an existing file is EEXIST");
	CHECK_EQ(write(fd, "hello, world", 12), 12, "write 12 bytes");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 12, "the offset moved to 12");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 12, "st_size is 12");
	CHECK_EQ(lseek(fd, 7, SEEK_SET), 7, "lseek SEEK_SET 7");
	CHECK(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0, "read from the offset to the end");
	CHECK_EQ(read(fd, buf, sizeof buf), 0, "read at the end is 0");
	CHECK_EQ(lseek(fd, -5, SEEK_END), 7, "lseek SEEK_END -5");
	CHECK_EQ(lseek(fd, -2, SEEK_CUR), 5, "lseek SEEK_CUR -2");
	CHECK_EQ(write(fd, "; ", 2), 2, "overwrite in the middle");
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL, "lseek to a negative offset is EINVAL");
	CHECK_ERR(lseek(fd, -100, SEEK_END), EINVAL, "lseek SEEK_END before the start is EINVAL");
	CHECK_ERR(lseek(fd, 0, 7), EINVAL, "lseek with a bad whence is EINVAL");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7, "a failed lseek leaves the offset");
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "rewind");
	CHECK(read(fd, buf, sizeof buf) == 12 && memcmp(buf, "hello; world", 12) == 0, "read back the whole file");
	CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync and fdatasync succeed");
	close(fd);

	fd = open(D "/f", O_RDONLY);
	CHECK_ERR(write(fd, "x", 1), EBADF, "write on an O_RDONLY descriptor is EBADF");
	CHECK_ERR(ftruncate(fd, 0), EINVAL, "ftruncate on an O_RDONLY descriptor is EINVAL");
	close(fd);
	fd = open(D "/f", O_WRONLY);
	CHECK_ERR(read(fd, buf, 1), EBADF, "read on an O_WRONLY descriptor is EBADF");
	CHECK_EQ(write(fd, "HELLO", 5), 5, "O_WRONLY open writes from offset 0");
	close(fd);
	CHECK(file_is(D "/f", "HELLO; world"), "without O_TRUNC the rest stays");

	/* Timestamps. */
	CHECK(stat(D "/f", &st) == 0, "stat");
	msleep(30);
	fd = open(D "/f", O_WRONLY | O_APPEND);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "lseek on an O_APPEND descriptor");
	CHECK_EQ(write(fd, "!", 1), 1, "O_APPEND write");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 13, "O_APPEND wrote at the end and the offset follows");
	CHECK(fstat(fd, &st2) == 0 && later(st2.st_mtim, st.st_mtim) && later(st2.st_ctim, st.st_ctim),
	      "a write moves st_mtime and st_ctime");
	close(fd);
	CHECK(file_is(D "/f", "HELLO; world!"), "the appended byte is at the end");
	fd = open(D "/f", O_RDWR);
	CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND), "F_SETFL sets O_APPEND");
	CHECK(write(fd, "?", 1) == 1 && size_of(D "/f") == 14, "then writes append");
	CHECK(fcntl(fd, F_SETFL, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "h", 1) == 1,
	      "F_SETFL clears O_APPEND: writes go to the offset");
	close(fd);
	CHECK(file_is(D "/f", "hELLO; world!?"), "content after the O_APPEND switches");

	fd = open(D "/f", O_RDWR | O_TRUNC);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties the file");
	close(fd);
	fd = open(D "/f", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0644, "O_CREAT of an existing file keeps its mode");

	/* Sparse files. */
	CHECK_EQ(lseek(fd, 1 << 20, SEEK_SET), 1 << 20, "lseek past the end");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "lseek past the end does not grow the file");
	CHECK_EQ(write(fd, "Z", 1), 1, "write at 1 MiB");
	CHECK(fstat(fd, &st) == 0 && st.st_size == (1 << 20) + 1, "st_size is 1 MiB + 1");
	CHECK(st.st_blocks * 512 < st.st_size, "the hole takes no blocks");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 1 << 20, "SEEK_DATA from 0 finds the data at 1 MiB");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 0, "SEEK_HOLE from 0 is 0");
	CHECK_EQ(lseek(fd, 1 << 20, SEEK_HOLE), (1 << 20) + 1, "SEEK_HOLE in the last data is the end");
	CHECK_ERR(lseek(fd, (1 << 20) + 1, SEEK_DATA), ENXIO, "SEEK_DATA at the end is ENXIO");
	char *big = malloc(1 << 20);
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && read(fd, big, 1 << 20) == 1 << 20 && all_zero(big, 1 << 20),
	      "the hole reads as 1 MiB of zeros in one read");
	CHECK(read(fd, buf, 10) == 1 && buf[0] == 'Z', "then the byte written");
	free(big);

	/* ftruncate and truncate. */
	CHECK(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, "ftruncate shrinks");
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "abcdef", 6) == 6, "write 6 bytes");
	CHECK(ftruncate(fd, 2) == 0 && ftruncate(fd, 8192) == 0 && size_of(D "/f") == 8192, "shrink to 2, grow to 8192");
	memset(buf, 'x', sizeof buf);
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, 8) == 8 && memcmp(buf, "ab\0\0\0\0\0\0", 8) == 0,
	      "bytes cut off by a truncate read back as zeros");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8, "the offset is not moved by ftruncate");
	CHECK_ERR(ftruncate(fd, -1), EINVAL, "ftruncate to a negative size is EINVAL");
	CHECK_ERR(ftruncate(99, 0), EBADF, "ftruncate of a closed descriptor is EBADF");
	CHECK(truncate(D "/f", 100) == 0 && size_of(D "/f") == 100, "truncate by path");
	CHECK_ERR(truncate(D "/f", -1), EINVAL, "truncate to a negative size is EINVAL");
	CHECK_ERR(truncate(D, 0), EISDIR, "truncate of a directory is EISDIR");
	CHECK_ERR(truncate(D "/nope", 0), ENOENT, "truncate of a missing file is ENOENT");
	close(fd);

	/* A big write and read, each in one call. */
	enum { BIG = 300 * 1024 };
	unsigned char *w = malloc(BIG), *r = malloc(BIG);
	fill(w, BIG, 7);
	fd = open(D "/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(write(fd, w, BIG), BIG, "one write of 300 KiB");
	CHECK(fsync(fd) == 0 && fstat(fd, &st) == 0 && st.st_size == BIG && st.st_blocks >= BIG / 512,
	      "300 KiB of data take at least 600 blocks");
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && read(fd, r, BIG) == BIG && memcmp(w, r, BIG) == 0,
	      "one read of 300 KiB gets it all back");
	CHECK(lseek(fd, 5000, SEEK_SET) == 5000 && read(fd, r, 10000) == 10000 && memcmp(w + 5000, r, 10000) == 0,
	      "a read across page boundaries");
	close(fd);
	free(w);
	free(r);

	/* poll says a regular file is always ready; epoll refuses it. */
	fd = open(D "/f", O_RDWR);
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	CHECK(poll(&pfd, 1, 0) == 1 && pfd.revents == (POLLIN | POLLOUT), "poll: a regular file is readable and writable");
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM, "epoll_ctl of a regular file is EPERM");
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, dfd, &ev), EPERM, "epoll_ctl of a directory is EPERM");
	close(dfd);
	close(ep);
	close(fd);

	/* pread and pwrite */
	fd = open(D "/pw", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(pwrite(fd, "abcdef", 6, 100) == 6 && lseek(fd, 0, SEEK_CUR) == 0 && size_of(D "/pw") == 106,
	      "pwrite past the end makes a hole and leaves the offset");
	memset(buf, 'x', 16);
	CHECK(pread(fd, buf, 16, 98) == 8 && memcmp(buf, "\0\0abcdef", 8) == 0, "pread across the hole's end");
	CHECK_EQ(pread(fd, buf, 16, 106), 0, "pread at the end is 0");
	close(fd);
	fd = open(D "/pw", O_WRONLY | O_APPEND);
	CHECK(pwrite(fd, "XY", 2, 0) == 2 && size_of(D "/pw") == 108 && lseek(fd, 0, SEEK_CUR) == 0,
	      "pwrite on an O_APPEND file appends (as Linux does) and leaves the offset");
	close(fd);
	fd = open(D "/pw", O_RDONLY);
	CHECK(pread(fd, buf, 4, 104) == 4 && memcmp(buf, "efXY", 4) == 0, "the appended bytes");
	close(fd);

	/* Open errors. */
	CHECK_ERR(open(D "/f", O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file is ENOTDIR");
	CHECK_ERR(open(D "/f/", O_RDONLY), ENOTDIR, "a file with a trailing slash is ENOTDIR");
	CHECK_ERR(open(D, O_WRONLY), EISDIR, "opening a directory for writing is EISDIR");
	CHECK_ERR(open(D, O_RDONLY | O_CREAT, 0644), EISDIR, "O_CREAT of a directory is EISDIR");
	CHECK_ERR(open(D "/new/", O_RDWR | O_CREAT, 0644), EISDIR, "O_CREAT with a trailing slash is EISDIR");
	CHECK_ERR(open(D "/nodir/f", O_RDWR | O_CREAT, 0644), ENOENT, "O_CREAT in a missing directory is ENOENT");
	CHECK_ERR(open(D "/f/x", O_RDWR | O_CREAT, 0644), ENOTDIR, "O_CREAT under a file is ENOTDIR");
	CHECK_ERR(open(D "/f", O_RDWR | O_CREAT | O_DIRECTORY, 0644), EINVAL, "O_CREAT|O_DIRECTORY is EINVAL");

	/* O_TMPFILE */
	fd = open(D, O_TMPFILE | O_RDWR, 0666);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0 && (st.st_mode & 07777) == 0644,
	      "O_TMPFILE: a regular file without a name");
	CHECK(write(fd, "tmp", 3) == 3 && linkat(fd, "", AT_FDCWD, D "/named", AT_EMPTY_PATH) == 0 && file_is(D "/named", "tmp"),
	      "linkat AT_EMPTY_PATH gives it a name");
	CHECK(fstat(fd, &st) == 0 && st.st_nlink == 1, "then it has one link");
	CHECK(unlink(D "/named") == 0, "unlink it");
	CHECK_ERR(linkat(fd, "", AT_FDCWD, D "/named", AT_EMPTY_PATH), ENOENT, "once unlinked, it cannot be named again");
	close(fd);
	fd = open(D, O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, D "/named2", AT_EMPTY_PATH), ENOENT, "O_TMPFILE|O_EXCL: never named");
	close(fd);
	CHECK_ERR(open(D, O_TMPFILE | O_RDONLY, 0600), EINVAL, "O_TMPFILE read-only is EINVAL");
	CHECK_ERR(open(D, O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL, "O_TMPFILE|O_CREAT is EINVAL");
	CHECK_ERR(open(D "/f", O_TMPFILE | O_RDWR, 0600), ENOTDIR, "O_TMPFILE on a file is ENOTDIR");
	CHECK_ERR(open(D "/nope", O_TMPFILE | O_RDWR, 0600), ENOENT, "O_TMPFILE in a missing directory is ENOENT");

	fd = open(D "/m", O_RDWR | O_CREAT, 04777);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 04755, "O_CREAT keeps set-user-ID, less the umask");
	close(fd);

	/* umask */
	CHECK_EQ(umask(0), 022, "umask returns the old mask");
	fd = open(D "/u0", O_RDWR | O_CREAT, 0666);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0666, "with umask 0 the mode is kept");
	close(fd);
	CHECK_EQ(umask(07077), 0, "umask 07077");
	CHECK(mkdir(D "/u1", 01777) == 0 && stat(D "/u1", &st) == 0 && (st.st_mode & 07777) == 01700,
	      "umask applies to mkdir (and keeps only permission bits)");
	pid_t p = fork();
	if (p == 0)
		_exit(umask(022) == 077 && mkfifo(D "/u2", 0666) == 0 && stat(D "/u2", &st) == 0 &&
		      (st.st_mode & 07777) == 0644 ? 0 : 1);
	CHECK(wait_ok(p), "a child inherits the umask and sets its own");
	CHECK_EQ(umask(022), 077, "the parent's is unchanged");
}

static void sharing(void)
{
	char buf[64];
	int fd = open(D "/share", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int fd2 = dup(fd);
	CHECK_EQ(write(fd, "abc", 3), 3, "write through one descriptor");
	CHECK_EQ(lseek(fd2, 0, SEEK_CUR), 3, "its dup sees the offset move");
	CHECK_EQ(write(fd2, "def", 3), 3, "write through the dup");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "and the first sees it too");
	close(fd2);
	int other = open(D "/share", O_RDONLY);
	CHECK_EQ(lseek(other, 0, SEEK_CUR), 0, "another open has its own offset");

	pid_t p = fork();
	if (p == 0) {
		_exit(write(fd, "child", 5) == 5 ? 0 : 1);
	}
	CHECK(wait_ok(p), "the child wrote through the inherited descriptor");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11, "the parent's offset moved with the child's write");
	CHECK_EQ(write(fd, "parent", 6), 6, "the parent writes after it");
	CHECK(read(other, buf, sizeof buf) == 17 && memcmp(buf, "abcdefchildparent", 17) == 0, "one file, one shared offset");
	p = fork();
	if (p == 0)
		_exit(lseek(fd, 2, SEEK_SET) == 2 ? 0 : 1);
	CHECK(wait_ok(p) && lseek(fd, 0, SEEK_CUR) == 2, "a child's lseek moves the parent's offset");
	close(fd);
	close(other);

	/* O_APPEND from two processes, each with its own open file. */
	enum { N = 200, REC = 16 };
	int a = open(D "/log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	p = fork();
	if (p == 0) {
		int c = open(D "/log", O_WRONLY | O_APPEND);
		for (int i = 0; i < N; i++) {
			snprintf(buf, sizeof buf, "%-7s %7d\n", "child", i);
			if (write(c, buf, REC) != REC)
				_exit(1);
		}
		_exit(0);
	}
	int bad = 0;
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof buf, "%-7s %7d\n", "parent", i);
		if (write(a, buf, REC) != REC)
			bad++;
	}
	CHECK(wait_ok(p) && bad == 0, "two processes append 200 records each");
	close(a);
	CHECK_EQ(size_of(D "/log"), 2 * N * REC, "no record overwrote another");
	FILE *f = fopen(D "/log", "r");
	int nc = 0, np = 0, lastc = -1, lastp = -1, order = 1;
	while (f && fgets(buf, sizeof buf, f)) {
		int i;
		if (sscanf(buf, "child %d", &i) == 1) {
			nc++;
			order &= i == lastc + 1;
			lastc = i;
		} else if (sscanf(buf, "parent %d", &i) == 1) {
			np++;
			order &= i == lastp + 1;
			lastp = i;
		}
	}
	if (f)
		fclose(f);
	CHECK(nc == N && np == N && order, "every record whole, each writer's in order");

	/* unlink while open. */
	int u = open(D "/gone", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(write(u, "still here", 10), 10, "write a file");
	CHECK(unlink(D "/gone") == 0, "unlink it while open");
	struct stat st;
	CHECK_ERR(stat(D "/gone", &st), ENOENT, "the name is gone");
	CHECK(fstat(u, &st) == 0 && st.st_nlink == 0 && st.st_size == 10, "fstat: no links, the data is still there");
	p = fork();
	if (p == 0) {
		char b[16];
		_exit(lseek(u, 0, SEEK_SET) == 0 && read(u, b, 16) == 10 && memcmp(b, "still here", 10) == 0 ? 0 : 1);
	}
	CHECK(wait_ok(p), "a child reads it through the inherited descriptor");
	CHECK(lseek(u, 0, SEEK_SET) == 0 && read(u, buf, 64) == 10 && memcmp(buf, "still here", 10) == 0,
	      "the unlinked file reads back");
	CHECK(write(u, "!", 1) == 1 && fstat(u, &st) == 0 && st.st_size == 11, "and grows");
	int u2 = open(D "/gone", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(u2 >= 0 && fstat(u2, &st) == 0 && st.st_size == 0, "the name can be made again, a new empty file");
	close(u2);
	close(u);
}

static void dirs(void)
{
	struct stat st, st2;
	CHECK(mkdir(D "/d", 0777) == 0, "mkdir");
	CHECK(stat(D "/d", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755 && st.st_nlink == 2,
	      "new directory: mode 0777 less the umask, two links");
	CHECK_ERR(mkdir(D "/d", 0755), EEXIST, "mkdir of an existing name is EEXIST");
	CHECK_ERR(mkdir(D "/f", 0755), EEXIST, "mkdir over a file is EEXIST");
	CHECK_ERR(mkdir(D "/nope/x", 0755), ENOENT, "mkdir in a missing directory is ENOENT");
	CHECK_ERR(mkdir(D "/f/x", 0755), ENOTDIR, "mkdir under a file is ENOTDIR");
	CHECK_ERR(mkdir(D "/d/.", 0755), EEXIST, "mkdir of \".\" is EEXIST");
	CHECK(mkdir(D "/d/a/", 0700) == 0, "mkdir with a trailing slash");
	CHECK(mkdir(D "/d/b", 01777) == 0 && stat(D "/d/b", &st) == 0 && (st.st_mode & 07777) == 01755,
	      "mkdir keeps the sticky bit");
	CHECK(stat(D "/d", &st) == 0 && st.st_nlink == 4, "each subdirectory adds a link to its parent");
	CHECK(stat(D "/d/a/..", &st2) == 0 && st2.st_ino == st.st_ino, "\"..\" of a subdirectory is its parent");
	CHECK(make_file(D "/d/a/file", "x") == 0, "a file in a subdirectory");
	CHECK_ERR(rmdir(D "/d/a"), ENOTEMPTY, "rmdir of a non-empty directory is ENOTEMPTY");
	CHECK_ERR(rmdir(D "/d/a/."), EINVAL, "rmdir of \".\" is EINVAL");
	CHECK_ERR(rmdir(D "/d/a/.."), ENOTEMPTY, "rmdir of \"..\" is ENOTEMPTY");
	CHECK_ERR(rmdir(D "/d/a/file"), ENOTDIR, "rmdir of a file is ENOTDIR");
	CHECK_ERR(rmdir(D "/d/nope"), ENOENT, "rmdir of a missing name is ENOENT");
	CHECK_ERR(rmdir("/"), EBUSY, "rmdir of / is EBUSY");
	CHECK_ERR(unlink(D "/d/a"), EISDIR, "unlink of a directory is EISDIR");
	CHECK_ERR(unlinkat(AT_FDCWD, D "/d/a", 0x1), EINVAL, "unlinkat with bad flags is EINVAL");
	CHECK(unlink(D "/d/a/file") == 0 && rmdir(D "/d/a/") == 0, "empty it, then rmdir (trailing slash)");
	CHECK(stat(D "/d", &st) == 0 && st.st_nlink == 3, "rmdir takes the parent's link back");
	CHECK(unlinkat(AT_FDCWD, D "/d/b", AT_REMOVEDIR) == 0, "unlinkat AT_REMOVEDIR");

	/* getdents64 lists new entries. */
	int dfd = open(D "/d", O_RDONLY | O_DIRECTORY);
	CHECK(mkdirat(dfd, "sub", 0755) == 0, "mkdirat relative to a directory descriptor");
	CHECK(make_file(D "/d/reg", "") == 0 && symlink("reg", D "/d/lnk") == 0 && mkfifo(D "/d/fifo", 0600) == 0,
	      "a file, a symbolic link and a FIFO");
	DIR *dp = fdopendir(dfd);
	struct dirent *e;
	char seen[8][256];
	int n = 0, types = 1;
	while (dp && (e = readdir(dp)) != NULL && n < 8) {
		strcpy(seen[n++], e->d_name);
		if (!strcmp(e->d_name, "sub") || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			types &= e->d_type == DT_DIR;
		else if (!strcmp(e->d_name, "reg"))
			types &= e->d_type == DT_REG;
		else if (!strcmp(e->d_name, "lnk"))
			types &= e->d_type == DT_LNK;
		else if (!strcmp(e->d_name, "fifo"))
			types &= e->d_type == DT_FIFO;
	}
	qsort(seen, n, sizeof seen[0], (int (*)(const void *, const void *))strcmp);
	char all[8 * 257] = "";
	for (int i = 0; i < n; i++) {
		strcat(all, seen[i]);
		strcat(all, " ");
	}
	CHECK(!strcmp(all, ". .. fifo lnk reg sub "), "getdents64 lists every entry once");
	t_printf("# %s\n", all);
	CHECK(types, "with its d_type");
	if (dp)
		closedir(dp);

	/* Unlinking every entry while listing the directory. */
	CHECK(mkdir(D "/many", 0755) == 0, "a directory for 150 files");
	int made = 0;
	char path[320];
	for (int i = 0; i < 150; i++) {
		snprintf(path, sizeof path, D "/many/file-with-a-long-name-%03d", i);
		made += make_file(path, "") == 0;
	}
	CHECK_EQ(made, 150, "150 files made");
	dp = opendir(D "/many");
	int removed = 0;
	while (dp && (e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, D "/many/%s", e->d_name);
		removed += unlink(path) == 0;
	}
	if (dp)
		closedir(dp);
	CHECK_EQ(removed, 150, "unlinking during readdir: every entry seen once");
	CHECK(rmdir(D "/many") == 0, "the directory is then empty");

	/* A removed working directory. */
	CHECK(mkdir(D "/cwd", 0755) == 0 && chdir(D "/cwd") == 0, "chdir into a new directory");
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(rmdir(D "/cwd") == 0, "rmdir the working directory");
	char cwd[256];
	errno = 0;
	CHECK(getcwd(cwd, sizeof cwd) == NULL && errno == ENOENT, "getcwd of a removed directory is ENOENT");
	CHECK_ERR(open("x", O_RDWR | O_CREAT, 0644), ENOENT, "nothing can be made in it");
	CHECK_ERR(mkdir("x", 0755), ENOENT, "not even a directory");
	CHECK(fstat(dfd, &st) == 0 && st.st_nlink == 0, "it has no links");
	char dbuf[256];
	CHECK_ERR(syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf), ENOENT, "getdents64 of a removed directory is ENOENT");
	close(dfd);
	CHECK(chdir(D) == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd, D), "chdir back");
}

static void links(void)
{
	struct stat st, st2;
	char buf[256];
	CHECK(make_file(D "/t", "target data") == 0, "a target file");
	CHECK(link(D "/t", D "/h") == 0, "link");
	CHECK(stat(D "/t", &st) == 0 && stat(D "/h", &st2) == 0 && st.st_ino == st2.st_ino && st.st_nlink == 2,
	      "a hard link: same inode, two links");
	CHECK(make_file(D "/h", "new data") == 0 && file_is(D "/t", "new data"), "writing one name changes the other");
	CHECK_ERR(link(D "/t", D "/h"), EEXIST, "link to an existing name is EEXIST");
	CHECK_ERR(link(D "/nope", D "/h2"), ENOENT, "link of a missing file is ENOENT");
	CHECK_ERR(link(D "/d", D "/d2"), EPERM, "link of a directory is EPERM");
	CHECK_ERR(link(D "/t", D "/nodir/x"), ENOENT, "link into a missing directory is ENOENT");
	CHECK_ERR(link(D "/t", "/dev/tmpfs-test-link"), EXDEV, "link across mounts is EXDEV");
	CHECK(unlink(D "/t") == 0 && stat(D "/h", &st) == 0 && st.st_nlink == 1 && file_is(D "/h", "new data"),
	      "unlink one name: the other keeps the data, one link");

	/* Symbolic links. */
	CHECK(symlink("h", D "/s") == 0, "symlink");
	CHECK(lstat(D "/s", &st) == 0 && S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0777 && st.st_size == 1,
	      "lstat: a link, mode 0777, st_size the target's length");
	CHECK(stat(D "/s", &st2) == 0 && S_ISREG(st2.st_mode) && st2.st_size == 8, "stat follows it");
	CHECK(fstatat(AT_FDCWD, D "/s", &st2, AT_SYMLINK_NOFOLLOW) == 0 && st2.st_ino == st.st_ino,
	      "fstatat AT_SYMLINK_NOFOLLOW is lstat");
	CHECK(file_is(D "/s", "new data"), "open follows it");
	memset(buf, 'x', sizeof buf);
	CHECK(readlink(D "/s", buf, sizeof buf) == 1 && buf[0] == 'h' && buf[1] == 'x', "readlink: the target, no NUL");
	CHECK(symlink("some/longer/target", D "/s2") == 0 && readlink(D "/s2", buf, 4) == 4 && !memcmp(buf, "some", 4),
	      "readlink cuts the target to the buffer");
	CHECK_ERR(syscall(SYS_readlink, D "/s", buf, 0), EINVAL, "readlink with size 0 is EINVAL");
	CHECK_ERR(readlink(D "/h", buf, sizeof buf), EINVAL, "readlink of a file is EINVAL");
	CHECK_ERR(readlink(D "/nope", buf, sizeof buf), ENOENT, "readlink of a missing name is ENOENT");
	CHECK(readlinkat(AT_FDCWD, "s", buf, sizeof buf) == 1, "readlinkat relative to the working directory");
	CHECK_ERR(symlink("x", D "/s"), EEXIST, "symlink over an existing name is EEXIST");
	CHECK_ERR(symlink("", D "/empty"), ENOENT, "symlink to \"\" is ENOENT");
	CHECK(link(D "/s", D "/s-hard") == 0 && lstat(D "/s-hard", &st) == 0 && S_ISLNK(st.st_mode),
	      "link does not follow a symbolic link");
	CHECK(linkat(AT_FDCWD, D "/s", AT_FDCWD, D "/s-follow", AT_SYMLINK_FOLLOW) == 0 &&
	      lstat(D "/s-follow", &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 2,
	      "linkat AT_SYMLINK_FOLLOW links the target");
	CHECK(unlink(D "/s-follow") == 0 && unlink(D "/s-hard") == 0, "unlink removes links, not targets");
	CHECK(stat(D "/h", &st) == 0 && st.st_nlink == 1, "the target is left alone");

	/* Dangling links, O_CREAT through them, O_NOFOLLOW. */
	CHECK(symlink("made-by-open", D "/dang") == 0, "a dangling link");
	CHECK_ERR(stat(D "/dang", &st), ENOENT, "stat of a dangling link is ENOENT");
	CHECK(lstat(D "/dang", &st) == 0, "lstat of it works");
	CHECK_ERR(open(D "/dang", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL does not follow: EEXIST");
	int fd = open(D "/dang", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0 && stat(D "/made-by-open", &st) == 0 && S_ISREG(st.st_mode), "O_CREAT through a dangling link makes its target");
	close(fd);
	CHECK_ERR(open(D "/s", O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a link is ELOOP");
	CHECK_ERR(open(D "/s", O_RDWR | O_CREAT | O_NOFOLLOW, 0644), ELOOP, "also with O_CREAT");
	CHECK(mkdir(D "/real", 0755) == 0 && make_file(D "/real/in", "inside") == 0 && symlink("real", D "/sd") == 0,
	      "a link to a directory");
	fd = open(D "/sd/in", O_RDONLY | O_NOFOLLOW);
	CHECK(fd >= 0, "O_NOFOLLOW follows links before the last component");
	close(fd);
	CHECK(lstat(D "/sd/", &st) == 0 && S_ISDIR(st.st_mode), "a trailing slash follows the link even for lstat");
	CHECK_ERR(stat(D "/s/", &st), ENOTDIR, "a link to a file with a trailing slash is ENOTDIR");
	CHECK_ERR(rmdir(D "/sd"), ENOTDIR, "rmdir of a link to a directory is ENOTDIR");
	CHECK(file_is(D "/sd/../h", "new data"), "\"..\" after a link is the target's parent");
	CHECK(mkdir(D "/real/deep", 0755) == 0 && symlink("../../h", D "/real/deep/up") == 0 && file_is(D "/real/deep/up", "new data"),
	      "a relative target is taken from the link's directory");
	CHECK(symlink(D "/h", D "/abs") == 0 && file_is(D "/abs", "new data"), "an absolute target");
	CHECK(chdir(D "/sd") == 0 && getcwd(buf, sizeof buf) && !strcmp(buf, D "/real"), "chdir through a link: getcwd shows the directory");
	CHECK(file_is("in", "inside") && chdir(D) == 0, "relative paths start there");

	/* Loops. */
	CHECK(symlink("loop", D "/loop") == 0, "a link to itself");
	CHECK_ERR(stat(D "/loop", &st), ELOOP, "stat of a loop is ELOOP");
	CHECK_ERR(open(D "/loop", O_RDWR | O_CREAT, 0644), ELOOP, "O_CREAT on a loop is ELOOP");
	CHECK_ERR(stat(D "/loop/x", &st), ELOOP, "a loop in the middle of a path is ELOOP");
	CHECK(symlink("pong", D "/ping") == 0 && symlink("ping", D "/pong") == 0, "two links to each other");
	CHECK_ERR(open(D "/ping", O_RDONLY), ELOOP, "open of a cycle is ELOOP");
	CHECK(lstat(D "/ping", &st) == 0 && S_ISLNK(st.st_mode), "lstat of it works");
	char from[64], to[64];
	int ok = 1;
	for (int i = 1; i <= 41; i++) {
		snprintf(from, sizeof from, D "/chain%d", i);
		if (i == 1)
			snprintf(to, sizeof to, "h");
		else
			snprintf(to, sizeof to, "chain%d", i - 1);
		ok &= symlink(to, from) == 0;
	}
	CHECK(ok, "a chain of 41 links");
	CHECK(stat(D "/chain40", &st) == 0 && S_ISREG(st.st_mode), "40 links are followed");
	CHECK_ERR(stat(D "/chain41", &st), ELOOP, "the 41st is ELOOP");
	CHECK(lstat(D "/chain41", &st) == 0, "lstat of the 41st works");
}

static void renames(void)
{
	struct stat st, st2;
	CHECK(make_file(D "/r1", "one") == 0 && make_file(D "/r2", "two") == 0, "two files");
	CHECK(stat(D "/r1", &st) == 0 && rename(D "/r1", D "/r3") == 0, "rename to a new name");
	CHECK(stat(D "/r3", &st2) == 0 && st2.st_ino == st.st_ino && file_is(D "/r3", "one"), "same inode, same data");
	CHECK_ERR(stat(D "/r1", &st), ENOENT, "the old name is gone");
	int fd = open(D "/r2", O_RDONLY);
	CHECK(rename(D "/r3", D "/r2") == 0 && file_is(D "/r2", "one"), "rename over a file replaces it");
	char buf[8];
	CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0 && read(fd, buf, 8) == 3 && !memcmp(buf, "two", 3),
	      "the replaced file lives on while open");
	close(fd);
	CHECK(rename(D "/r2", D "/r2") == 0 && file_is(D "/r2", "one"), "rename to itself does nothing");
	CHECK(link(D "/r2", D "/r2h") == 0 && rename(D "/r2", D "/r2h") == 0 && stat(D "/r2", &st) == 0 &&
	      stat(D "/r2h", &st2) == 0, "rename between two links of one file does nothing");
	CHECK(unlink(D "/r2h") == 0, "unlink");
	CHECK_ERR(rename(D "/nope", D "/x"), ENOENT, "rename of a missing name is ENOENT");
	CHECK_ERR(rename(D "/r2", D "/nodir/x"), ENOENT, "rename into a missing directory is ENOENT");
	CHECK_ERR(rename(D "/r2", D "/x/"), ENOTDIR, "a file renamed to \"x/\" is ENOTDIR");
	CHECK_ERR(rename(D "/r2/", D "/x"), ENOTDIR, "a file named \"r2/\" is ENOTDIR");

	CHECK(mkdir(D "/m1", 0755) == 0 && mkdir(D "/m1/sub", 0755) == 0 && mkdir(D "/m2", 0755) == 0 &&
	      make_file(D "/m1/sub/f", "deep") == 0, "directories m1/sub/f and m2");
	CHECK_ERR(rename(D "/r2", D "/m2"), EISDIR, "a file over a directory is EISDIR");
	CHECK_ERR(rename(D "/m2", D "/r2"), ENOTDIR, "a directory over a file is ENOTDIR");
	CHECK_ERR(rename(D "/m2", D "/m1"), ENOTEMPTY, "a directory over a non-empty one is ENOTEMPTY");
	CHECK_ERR(rename(D "/m1", D "/m1/sub/x"), EINVAL, "a directory into its own subdirectory is EINVAL");
	CHECK_ERR(rename(D "/m1", D "/m1/x"), EINVAL, "a directory into itself is EINVAL");
	CHECK_ERR(rename(D "/m1/sub", D "/m1/sub/.."), EBUSY, "rename to \"..\" is EBUSY");
	CHECK_ERR(rename(D "/m1/sub/f", D "/m1"), ENOTEMPTY, "a file over its own ancestor is ENOTEMPTY");
	CHECK_ERR(rename(D "/r2", "/dev/tmpfs-test-rename"), EXDEV, "rename across mounts is EXDEV");
	CHECK(stat(D "/m1", &st) == 0 && st.st_nlink == 3, "m1 has two links and one from sub");
	CHECK(rename(D "/m1/sub", D "/m2/moved") == 0, "move a directory into another");
	CHECK(file_is(D "/m2/moved/f", "deep"), "its content moved with it");
	CHECK(stat(D "/m1", &st) == 0 && st.st_nlink == 2 && stat(D "/m2", &st2) == 0 && st2.st_nlink == 3,
	      "the \"..\" link moved from m1 to m2");
	CHECK(stat(D "/m2/moved/..", &st) == 0 && st.st_ino == st2.st_ino, "its \"..\" is the new parent");
	CHECK(rename(D "/m2/moved", D "/m1") == 0 && file_is(D "/m1/f", "deep"), "a directory over an empty one replaces it");
	CHECK(stat(D "/m2", &st) == 0 && st.st_nlink == 2, "and m2 lost the link");

	/* renameat2 */
	CHECK(make_file(D "/x1", "x1") == 0 && make_file(D "/x2", "x2") == 0, "two more files");
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, D "/x1", AT_FDCWD, D "/x2", RENAME_NOREPLACE), EEXIST,
		  "RENAME_NOREPLACE over an existing name is EEXIST");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, D "/x1", AT_FDCWD, D "/x3", RENAME_NOREPLACE) == 0, "RENAME_NOREPLACE to a new name");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, D "/x3", AT_FDCWD, D "/x2", RENAME_EXCHANGE) == 0 &&
	      file_is(D "/x2", "x1") && file_is(D "/x3", "x2"), "RENAME_EXCHANGE swaps two files");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, D "/x3", AT_FDCWD, D "/m1", RENAME_EXCHANGE) == 0 &&
	      file_is(D "/m1", "x2") && file_is(D "/x3/f", "deep"), "RENAME_EXCHANGE swaps a file and a directory");
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, D "/x2", AT_FDCWD, D "/none", RENAME_EXCHANGE), ENOENT,
		  "RENAME_EXCHANGE with a missing target is ENOENT");
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, D "/x2", AT_FDCWD, D "/x3", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL,
		  "RENAME_EXCHANGE|RENAME_NOREPLACE is EINVAL");
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, D "/x2", AT_FDCWD, D "/x9", 0x100), EINVAL, "unknown renameat2 flags are EINVAL");
	int dfd = open(D "/x3", O_RDONLY | O_DIRECTORY);
	CHECK(renameat(dfd, "f", AT_FDCWD, D "/ff") == 0 && file_is(D "/ff", "deep"), "renameat relative to a directory descriptor");
	close(dfd);

	/* chmod */
	CHECK(chmod(D "/ff", 0600) == 0 && stat(D "/ff", &st) == 0 && (st.st_mode & 07777) == 0600, "chmod");
	CHECK(chmod(D "/ff", 0170751) == 0 && stat(D "/ff", &st) == 0 && st.st_mode == (S_IFREG | 0751),
	      "chmod ignores the file type bits");
	fd = open(D "/ff", O_RDONLY);
	struct stat before;
	fstat(fd, &before);
	msleep(30);
	CHECK(fchmod(fd, 04640) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 04640, "fchmod");
	CHECK(later(st.st_ctim, before.st_ctim) && !later(st.st_mtim, before.st_mtim), "chmod changes st_ctime, not st_mtime");
	close(fd);
	CHECK(fchmodat(AT_FDCWD, D "/ff", 0444, 0) == 0 && stat(D "/ff", &st) == 0 && (st.st_mode & 07777) == 0444, "fchmodat");
	CHECK(symlink("ff", D "/ffl") == 0 && chmod(D "/ffl", 0604) == 0 && stat(D "/ff", &st) == 0 &&
	      (st.st_mode & 07777) == 0604 && lstat(D "/ffl", &st2) == 0 && (st2.st_mode & 0777) == 0777,
	      "chmod through a link changes the target");
	CHECK_ERR(chmod(D "/nope", 0644), ENOENT, "chmod of a missing file is ENOENT");
	CHECK(chmod(D "/d", 0700) == 0 && stat(D "/d", &st) == 0 && st.st_mode == (S_IFDIR | 0700), "chmod of a directory");
	CHECK(access(D "/ff", R_OK | W_OK) == 0, "access R_OK|W_OK (root)");
	CHECK_ERR(access(D "/ff", X_OK), EACCES, "access X_OK without an x bit is EACCES");
	CHECK(chmod(D "/ff", 0755) == 0 && access(D "/ff", X_OK) == 0, "access X_OK with one");

	/* Directory times move with their entries. */
	CHECK(stat(D "/m2", &before) == 0, "stat a directory");
	msleep(30);
	CHECK(make_file(D "/m2/new", "") == 0 && stat(D "/m2", &st) == 0 && later(st.st_mtim, before.st_mtim),
	      "a new entry moves the directory's st_mtime");
	CHECK(stat(D "/m2", &before) == 0, "stat it again");
	msleep(30);
	CHECK(unlink(D "/m2/new") == 0 && stat(D "/m2", &st) == 0 && later(st.st_mtim, before.st_mtim),
	      "so does removing one");
}

int main(void)
{
	umask(022);
	rm_rf(D);
	CHECK(mkdir(D, 0755) == 0 && chdir(D) == 0, "make " D " and go there");
	files();
	sharing();
	dirs();
	links();
	renames();
	CHECK(chdir("/") == 0, "chdir /");
	rm_rf(D);
	struct stat st;
	CHECK_ERR(stat(D, &st), ENOENT, "everything removed");
	return t_done();
}
