/* splice: the zero-copy calls as Linux does them. sendfile from a regular
 * file into a pipe, a file, /dev/null and the terminal, with and without
 * an offset; splice file→pipe, pipe→file and pipe→pipe with offsets,
 * SPLICE_F_NONBLOCK, EOF, EPIPE and a splice that waits for a child's
 * write, socket→pipe; tee between two pipes without consuming; vmsplice of user memory
 * into a pipe and of a pipe into user memory; copy_file_range; and the
 * error cases (EINVAL, ESPIPE, EBADF, EAGAIN, EISDIR). Files live in
 * /tmp/splice-test, made and removed by the program. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define D "/tmp/splice-test"

static char pattern[20000];

static void cleanup(void)
{
	unlink(D "/src");
	unlink(D "/dst");
	unlink(D "/cfr");
	rmdir(D);
}

/* drain reads everything a pipe holds now (its write end stays open). */
static ssize_t drain(int fd, char *buf, size_t max)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	ssize_t n = 0, r;
	while ((size_t)n < max && (r = read(fd, buf + n, max - n)) > 0)
		n += r;
	fcntl(fd, F_SETFL, fl);
	return n;
}

static int file_is(const char *path, const char *want, size_t n)
{
	static char buf[sizeof pattern];
	int fd = open(path, O_RDONLY);
	ssize_t r = read(fd, buf, sizeof buf);
	close(fd);
	return r == (ssize_t)n && memcmp(buf, want, n) == 0;
}

static off_t pos(int fd) { return lseek(fd, 0, SEEK_CUR); }

static void sendfile_tests(int src)
{
	static char buf[sizeof pattern];
	int p[2];
	pipe(p);
	CHECK_EQ(sendfile(p[1], src, NULL, 10000), 10000, "sendfile file→pipe");
	CHECK(drain(p[0], buf, sizeof buf) == 10000 && memcmp(buf, pattern, 10000) == 0, "the pipe holds the bytes");
	CHECK_EQ(pos(src), 10000, "the file position moved");
	off_t off = 100;
	CHECK_EQ(sendfile(p[1], src, &off, 50), 50, "sendfile with an offset");
	CHECK_EQ(off, 150, "the offset moved");
	CHECK_EQ(pos(src), 10000, "the file position did not");
	CHECK(drain(p[0], buf, sizeof buf) == 50 && memcmp(buf, pattern + 100, 50) == 0, "the bytes at the offset");
	off = sizeof pattern - 10;
	CHECK_EQ(sendfile(p[1], src, &off, 100), 10, "sendfile stops at the end of the file");
	CHECK_EQ(sendfile(p[1], src, &off, 100), 0, "and gives 0 there");
	drain(p[0], buf, sizeof buf);

	int dst = open(D "/dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	lseek(src, 0, SEEK_SET);
	CHECK_EQ(sendfile(dst, src, NULL, sizeof pattern), sizeof pattern, "sendfile file→file");
	CHECK(file_is(D "/dst", pattern, sizeof pattern), "the copy is exact");
	CHECK_EQ(pos(dst), sizeof pattern, "the output position moved");
	int null = open("/dev/null", O_WRONLY);
	off = 0;
	CHECK_EQ(sendfile(null, src, &off, 5000), 5000, "sendfile to /dev/null");
	int msg = open(D "/dst", O_RDWR | O_TRUNC);
	write(msg, "# sendfile to the terminal\n", 27);
	off = 0;
	CHECK_EQ(sendfile(1, msg, &off, 27), 27, "sendfile to stdout");

	int app = open(D "/dst", O_WRONLY | O_APPEND);
	CHECK_ERR(sendfile(app, src, NULL, 10), EINVAL, "sendfile to an O_APPEND file is EINVAL");
	int wo = open(D "/dst", O_WRONLY);
	CHECK_ERR(sendfile(p[1], wo, NULL, 10), EBADF, "from a write-only file is EBADF");
	CHECK_ERR(sendfile(src, src, NULL, 10), EBADF, "to a read-only file is EBADF");
	CHECK_ERR(sendfile(p[1], 999, NULL, 10), EBADF, "from a closed descriptor is EBADF");
	off = -1;
	CHECK_ERR(sendfile(p[1], src, &off, 10), EINVAL, "a negative offset is EINVAL");
	off = 0;
	CHECK_ERR(sendfile(p[1], p[0], &off, 10), ESPIPE, "an offset into a pipe is ESPIPE");
	CHECK_ERR(sendfile(p[1], src, (off_t *)8, 10), EFAULT, "a bad offset pointer is EFAULT");
	close(app), close(wo), close(null), close(msg), close(dst), close(p[0]), close(p[1]);
}

static void splice_tests(int src)
{
	static char buf[sizeof pattern];
	int p[2], q[2];
	pipe(p);
	pipe(q);
	loff_t off = 1000;
	lseek(src, 0, SEEK_SET);
	CHECK_EQ(splice(src, &off, p[1], NULL, 3000, 0), 3000, "splice file→pipe at an offset");
	CHECK_EQ(off, 4000, "the offset moved");
	CHECK_EQ(pos(src), 0, "the file position did not");
	CHECK_EQ(splice(src, NULL, p[1], NULL, 100, 0), 100, "splice file→pipe at the file position");
	CHECK_EQ(pos(src), 100, "the file position moved");

	int dst = open(D "/dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	off = 10;
	CHECK_EQ(splice(p[0], NULL, dst, &off, 3000, 0), 3000, "splice pipe→file at an offset");
	CHECK_EQ(off, 3010, "the output offset moved");
	CHECK_EQ(pos(dst), 0, "its position did not");
	CHECK(pread(dst, buf, 3000, 10) == 3000 && memcmp(buf, pattern + 1000, 3000) == 0, "the file holds the bytes");
	CHECK_EQ(splice(p[0], NULL, dst, NULL, 1000, 0), 100, "splice pipe→file takes what the pipe has");
	CHECK_EQ(pos(dst), 100, "at the file position, which moved");

	/* pipe → pipe moves the bytes; what does not fit in len stays. */
	write(p[1], "abcdef", 6);
	CHECK_EQ(splice(p[0], NULL, q[1], NULL, 4, 0), 4, "splice pipe→pipe");
	CHECK(drain(q[0], buf, 100) == 4 && memcmp(buf, "abcd", 4) == 0, "the bytes moved");
	CHECK(drain(p[0], buf, 100) == 2 && memcmp(buf, "ef", 2) == 0, "the rest stayed");
	int null = open("/dev/null", O_WRONLY);
	write(p[1], "gone", 4);
	CHECK_EQ(splice(p[0], NULL, null, NULL, 100, 0), 4, "splice pipe→/dev/null");

	CHECK_EQ(splice(src, NULL, dst, NULL, 0, 0), 0, "len 0 is 0, whatever the files");
	CHECK_ERR(splice(src, NULL, dst, NULL, 10, 0), EINVAL, "without a pipe it is EINVAL");
	CHECK_ERR(splice(p[0], &off, dst, NULL, 10, 0), ESPIPE, "an offset on the pipe side is ESPIPE");
	CHECK_ERR(splice(src, NULL, p[1], &off, 10, 0), ESPIPE, "on the output pipe too");
	CHECK_ERR(splice(p[0], NULL, p[1], NULL, 10, 0), EINVAL, "a pipe into itself is EINVAL");
	CHECK_ERR(splice(p[0], NULL, dst, NULL, 10, 0x100), EINVAL, "an unknown flag is EINVAL");
	CHECK_ERR(splice(p[0], NULL, 999, NULL, 10, 0), EBADF, "a closed descriptor is EBADF");
	CHECK_ERR(splice(p[1], NULL, dst, NULL, 10, 0), EBADF, "from a pipe's write end is EBADF");
	CHECK_ERR(splice(p[0], NULL, dst, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN,
		  "an empty pipe with SPLICE_F_NONBLOCK is EAGAIN");
	int app = open(D "/dst", O_WRONLY | O_APPEND);
	CHECK_ERR(splice(p[0], NULL, app, NULL, 10, 0), EINVAL, "into an O_APPEND file is EINVAL");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK_ERR(splice(p[0], NULL, dst, NULL, 10, 0), EAGAIN, "O_NONBLOCK on the pipe is EAGAIN too");
	fcntl(p[0], F_SETFL, 0);

	/* A stream (a socket) into a pipe. */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "sock", 4);
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, 0), 4, "splice socket→pipe");
	CHECK(drain(p[0], buf, 100) == 4 && memcmp(buf, "sock", 4) == 0, "the socket's bytes are in the pipe");
	CHECK_ERR(splice(sv[1], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK), EAGAIN,
		  "an empty socket with SPLICE_F_NONBLOCK is EAGAIN");
	close(sv[0]);
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, 0), 0, "a closed peer gives 0");
	close(sv[1]);

	/* A splice that waits for the writer. */
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		write(p[1], "late", 4);
		_exit(0);
	}
	close(p[1]);
	off = 0;
	CHECK_EQ(splice(p[0], NULL, dst, &off, 100, 0), 4, "splice waits for the child's write");
	waitpid(pid, NULL, 0);
	CHECK_EQ(splice(p[0], NULL, dst, NULL, 100, 0), 0, "with no writer left, an empty pipe gives 0");

	/* No reader: EPIPE (and SIGPIPE, ignored here). */
	signal(SIGPIPE, SIG_IGN);
	close(q[0]);
	CHECK_ERR(splice(src, NULL, q[1], NULL, 10, 0), EPIPE, "into a pipe without readers is EPIPE");
	close(app), close(null), close(dst), close(p[0]), close(q[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void tee_tests(int src)
{
	char buf[100];
	int p[2], q[2];
	pipe(p);
	pipe(q);
	write(p[1], "hello world", 11);
	CHECK_EQ(tee(p[0], q[1], 5, 0), 5, "tee 5 bytes");
	CHECK(drain(q[0], buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, "they are in the other pipe");
	CHECK_EQ(tee(p[0], q[1], 100, 0), 11, "tee all of it");
	CHECK(drain(q[0], buf, sizeof buf) == 11 && memcmp(buf, "hello world", 11) == 0, "again from the start");
	CHECK(drain(p[0], buf, sizeof buf) == 11 && memcmp(buf, "hello world", 11) == 0, "the source kept everything");
	CHECK_ERR(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK), EAGAIN, "tee of an empty pipe with SPLICE_F_NONBLOCK is EAGAIN");
	CHECK_ERR(tee(src, q[1], 10, 0), EINVAL, "tee from a file is EINVAL");
	CHECK_ERR(tee(p[0], p[1], 10, 0), EINVAL, "tee of a pipe into itself is EINVAL");
	CHECK_ERR(tee(p[0], q[1], 10, 0x100), EINVAL, "an unknown flag is EINVAL");
	close(p[1]);
	CHECK_EQ(tee(p[0], q[1], 10, 0), 0, "an empty pipe without writers gives 0");
	close(p[0]), close(q[0]), close(q[1]);
}

static void vmsplice_tests(int src)
{
	char buf[100];
	int p[2];
	pipe(p);
	struct iovec iov[2] = {{"vm", 2}, {"splice", 6}};
	CHECK_EQ(vmsplice(p[1], iov, 2, 0), 8, "vmsplice two segments into a pipe");
	char a[3] = {0}, b[6] = {0};
	struct iovec out[2] = {{a, 3}, {b, 5}};
	CHECK_EQ(vmsplice(p[0], out, 2, 0), 8, "vmsplice the pipe into user memory");
	CHECK(memcmp(a, "vms", 3) == 0 && memcmp(b, "plice", 5) == 0, "the bytes arrived in order");
	CHECK_ERR(vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK), EAGAIN, "an empty pipe with SPLICE_F_NONBLOCK is EAGAIN");
	CHECK_ERR(vmsplice(src, iov, 2, 0), EBADF, "vmsplice of a file is EBADF");
	CHECK_EQ(vmsplice(src, iov, 0, 0), 0, "no segments: 0");
	CHECK_ERR(vmsplice(p[1], iov, 2, 0x100), EINVAL, "an unknown flag is EINVAL");
	struct iovec bad = {(void *)8, 10};
	CHECK_ERR(vmsplice(p[1], &bad, 1, 0), EFAULT, "a bad buffer is EFAULT");
	/* Fill the pipe, then vmsplice cannot add a page. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	static char page[4096];
	while (write(p[1], page, sizeof page) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	CHECK_ERR(vmsplice(p[1], iov, 2, SPLICE_F_NONBLOCK), EAGAIN, "a full pipe with SPLICE_F_NONBLOCK is EAGAIN");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(vmsplice(p[1], iov, 2, 0), EPIPE, "no reader is EPIPE");
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	(void)buf;
}

static void copy_file_range_tests(int src)
{
	static char buf[sizeof pattern];
	int dst = open(D "/cfr", O_RDWR | O_CREAT | O_TRUNC, 0644);
	loff_t in = 500, out = 0;
	CHECK_EQ(copy_file_range(src, &in, dst, &out, 5000, 0), 5000, "copy_file_range with offsets");
	CHECK(in == 5500 && out == 5000, "both offsets moved");
	CHECK(pread(dst, buf, 5000, 0) == 5000 && memcmp(buf, pattern + 500, 5000) == 0, "the copy is exact");
	lseek(src, sizeof pattern - 100, SEEK_SET);
	CHECK_EQ(copy_file_range(src, NULL, dst, NULL, 1000, 0), 100, "it stops at the end of the input");
	CHECK(pos(src) == sizeof pattern && pos(dst) == 100, "the file positions moved");
	CHECK_EQ(copy_file_range(src, NULL, dst, NULL, 1000, 0), 0, "at the end it copies nothing");
	in = 0, out = 6000;
	CHECK_EQ(copy_file_range(dst, &in, dst, &out, 1000, 0), 1000, "within one file, not overlapping");
	in = 0, out = 500;
	CHECK_ERR(copy_file_range(dst, &in, dst, &out, 1000, 0), EINVAL, "overlapping ranges are EINVAL");
	CHECK_ERR(copy_file_range(src, NULL, dst, NULL, 10, 1), EINVAL, "flags are EINVAL");
	int dir = open(D, O_RDONLY | O_DIRECTORY);
	CHECK_ERR(copy_file_range(dir, NULL, dst, NULL, 10, 0), EISDIR, "a directory is EISDIR");
	int p[2];
	pipe(p);
	CHECK_ERR(copy_file_range(p[0], NULL, dst, NULL, 10, 0), EINVAL, "a pipe is EINVAL");
	int app = open(D "/cfr", O_WRONLY | O_APPEND);
	CHECK_ERR(copy_file_range(src, NULL, app, NULL, 10, 0), EBADF, "an O_APPEND output is EBADF");
	CHECK_ERR(copy_file_range(dst, NULL, src, NULL, 10, 0), EBADF, "a read-only output is EBADF");
	in = -5;
	CHECK_ERR(copy_file_range(src, &in, dst, NULL, 10, 0), EOVERFLOW, "a negative offset wraps: EOVERFLOW");
	close(dir), close(p[0]), close(p[1]), close(app), close(dst);
}

int main(void)
{
	cleanup();
	if (mkdir(D, 0755) != 0) {
		t_printf("mkdir %s: %s\n", D, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = 'A' + (i * 7 + i / 97) % 26;
	int fd = open(D "/src", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, pattern, sizeof pattern);
	close(fd);
	int src = open(D "/src", O_RDONLY);
	sendfile_tests(src);
	splice_tests(src);
	tee_tests(src);
	vmsplice_tests(src);
	copy_file_range_tests(src);
	close(src);
	cleanup();
	return t_done();
}
