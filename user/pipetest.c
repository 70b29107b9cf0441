/* pipetest [DIR]: pipes and file descriptors. pipe/pipe2 flags, EOF after the
 * last writer closes, SIGPIPE and EPIPE, atomic writes <= PIPE_BUF from
 * concurrent writers, O_NONBLOCK (EAGAIN, 64 KiB capacity, partial writes),
 * dup/dup2/dup3, fcntl F_GETFL/F_SETFL/F_GETFD/F_SETFD/F_DUPFD(_CLOEXEC),
 * close-on-exec across execve of DIR/pipetest (DIR defaults to /bin; never
 * printed), poll (POLLIN/POLLOUT/POLLHUP/POLLERR/POLLNVAL), FIONREAD, ESPIPE. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

/* re-exec'd as "pipetest DIR --cloexec A B": A must be closed, B open */
static int cloexec_child(int a, int b)
{
	int bad = 0;
	if (fcntl(a, F_GETFD) != -1 || errno != EBADF) bad |= 1;
	if (fcntl(b, F_GETFD) != 0) bad |= 2;
	if (write(b, "E", 1) != 1) bad |= 4;
	return bad;
}

static void basics(void)
{
	int fd[2], fd2[2];
	char buf[256];
	CHECK(pipe(fd) == 0, "pipe");
	CHECK(fd[0] >= 3 && fd[1] == fd[0] + 1, "pipe returns the lowest free fds");
	CHECK(write(fd[1], "hello", 5) == 5, "write to a pipe");
	CHECK(read(fd[0], buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, "read returns what was written (short read)");
	write(fd[1], "abcdef", 6);
	CHECK(read(fd[0], buf, 2) == 2 && read(fd[0], buf + 2, 10) == 4 && memcmp(buf, "abcdef", 6) == 0, "reads split a write");
	int n = -1;
	write(fd[1], "xyz", 3);
	CHECK(ioctl(fd[0], FIONREAD, &n) == 0 && n == 3, "FIONREAD counts unread bytes");
	read(fd[0], buf, 3);
	CHECK((fcntl(fd[0], F_GETFL) & O_ACCMODE) == O_RDONLY, "read end is O_RDONLY");
	CHECK((fcntl(fd[1], F_GETFL) & O_ACCMODE) == O_WRONLY, "write end is O_WRONLY");
	CHECK(fcntl(fd[0], F_GETFD) == 0, "pipe fds are not close-on-exec");
	CHECK_ERR(write(fd[0], "x", 1), EBADF, "write to the read end is EBADF");
	CHECK_ERR(read(fd[1], buf, 1), EBADF, "read from the write end is EBADF");
	CHECK_ERR(lseek(fd[0], 0, SEEK_SET), ESPIPE, "lseek on a pipe is ESPIPE");
	CHECK(close(fd[1]) == 0, "close the write end");
	CHECK(read(fd[0], buf, sizeof buf) == 0, "read returns 0 once every writer closed");
	CHECK(close(fd[0]) == 0, "close the read end");
	CHECK_ERR(close(fd[0]), EBADF, "closing twice is EBADF");

	CHECK(pipe2(fd, O_CLOEXEC) == 0, "pipe2 O_CLOEXEC");
	CHECK(fcntl(fd[0], F_GETFD) == FD_CLOEXEC && fcntl(fd[1], F_GETFD) == FD_CLOEXEC, "both ends FD_CLOEXEC");
	CHECK(!(fcntl(fd[0], F_GETFL) & O_NONBLOCK), "pipe2 O_CLOEXEC is blocking");
	close(fd[0]);
	close(fd[1]);
	CHECK(pipe2(fd, O_NONBLOCK) == 0, "pipe2 O_NONBLOCK");
	CHECK((fcntl(fd[0], F_GETFL) & O_NONBLOCK) && (fcntl(fd[1], F_GETFL) & O_NONBLOCK), "both ends O_NONBLOCK");
	CHECK(fcntl(fd[0], F_GETFD) == 0, "pipe2 O_NONBLOCK is not close-on-exec");
	close(fd[0]);
	close(fd[1]);
	CHECK_ERR(pipe2(fd2, 0x4), EINVAL, "pipe2 with bad flags is EINVAL");
	CHECK_ERR(pipe((int *)0), EFAULT, "pipe(NULL) is EFAULT");

	/* EOF only after the last writer: a child holds a copy */
	pipe(fd);
	pid_t p = fork();
	if (p == 0) {
		close(fd[0]);
		msleep(50);
		write(fd[1], "late", 4);
		_exit(0);
	}
	close(fd[1]);
	CHECK(read(fd[0], buf, sizeof buf) == 4, "read blocks until the child writes");
	CHECK(read(fd[0], buf, sizeof buf) == 0, "EOF after the child (last writer) exits");
	waitpid(p, NULL, 0);
	close(fd[0]);
}

static void sigpipe(void)
{
	int fd[2];
	pipe(fd);
	close(fd[0]);
	pid_t p = fork();
	if (p == 0) {
		write(fd[1], "x", 1);
		_exit(0);
	}
	int st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "write with no reader kills the writer with SIGPIPE");
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(fd[1], "x", 1), EPIPE, "with SIGPIPE ignored, write with no reader is EPIPE");
	signal(SIGPIPE, SIG_DFL);
	close(fd[1]);
}

#define REC 512
#define NREC 200
#define NW 4
static void atomic(void)
{
	int fd[2];
	pipe(fd);
	for (int w = 0; w < NW; w++) {
		if (fork() == 0) {
			close(fd[0]);
			char rec[REC];
			memset(rec, 'A' + w, REC);
			for (int i = 0; i < NREC; i++)
				if (write(fd[1], rec, REC) != REC)
					_exit(1);
			_exit(0);
		}
	}
	close(fd[1]);
	static char all[NW * NREC * REC + 1];
	size_t got = 0;
	ssize_t r;
	while ((r = read(fd[0], all + got, sizeof all - got)) > 0)
		got += r;
	int whole = 1, counts[NW] = { 0 };
	for (size_t off = 0; off + REC <= got; off += REC) {
		for (int i = 1; i < REC; i++)
			if (all[off + i] != all[off])
				whole = 0;
		if (all[off] >= 'A' && all[off] < 'A' + NW)
			counts[all[off] - 'A']++;
	}
	int st, ok = 1;
	for (int w = 0; w < NW; w++) {
		wait(&st);
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
		ok &= counts[w] == NREC;
	}
	CHECK(got == NW * NREC * REC, "all bytes from 4 concurrent writers arrive");
	CHECK(whole, "writes of 512 bytes (<= PIPE_BUF) are never interleaved");
	CHECK(ok, "each writer's records all arrive");
	close(fd[0]);
}

static void nonblock(void)
{
	int fd[2];
	static char big[65536 + 4096];
	char buf[16];
	pipe2(fd, O_NONBLOCK);
	CHECK_ERR(read(fd[0], buf, 1), EAGAIN, "O_NONBLOCK read of an empty pipe is EAGAIN");
	long total = 0;
	ssize_t r;
	while ((r = write(fd[1], big, 4096)) > 0)
		total += r;
	CHECK(r == -1 && errno == EAGAIN, "O_NONBLOCK write to a full pipe is EAGAIN");
	CHECK(total == 65536, "pipe capacity is 64 KiB");
	CHECK_ERR(write(fd[1], big, 1), EAGAIN, "even one byte does not fit");
	CHECK(read(fd[0], big, 4096) == 4096, "drain 4 KiB");
	CHECK(write(fd[1], big, 8192) == 4096, "O_NONBLOCK write larger than PIPE_BUF is partial");
	close(fd[0]);
	close(fd[1]);
	pipe2(fd, O_NONBLOCK);
	write(fd[1], "ab", 2);
	close(fd[1]);
	CHECK(read(fd[0], buf, 16) == 2 && read(fd[0], buf, 16) == 0, "O_NONBLOCK read at EOF returns 0, not EAGAIN");
	close(fd[0]);

	/* F_SETFL toggles O_NONBLOCK, shared with dups */
	pipe(fd);
	int d = dup(fd[0]);
	CHECK(fcntl(fd[0], F_SETFL, O_NONBLOCK) == 0, "F_SETFL O_NONBLOCK");
	CHECK(fcntl(d, F_GETFL) & O_NONBLOCK, "file status flags are shared with a dup");
	CHECK_ERR(read(d, buf, 1), EAGAIN, "dup'd read end is non-blocking too");
	CHECK(fcntl(d, F_SETFL, 0) == 0 && !(fcntl(fd[0], F_GETFL) & O_NONBLOCK), "F_SETFL clears O_NONBLOCK");
	CHECK((fcntl(fd[0], F_GETFL) & O_ACCMODE) == O_RDONLY, "F_SETFL keeps the access mode");
	close(d);
	close(fd[0]);
	close(fd[1]);
}

static void dups(const char *dir)
{
	int fd[2];
	char buf[16];
	pipe(fd);
	int d = dup(fd[1]);
	CHECK(d == fd[1] + 1, "dup returns the lowest free fd");
	close(fd[1]);
	CHECK(write(d, "q", 1) == 1 && read(fd[0], buf, 1) == 1 && buf[0] == 'q', "dup shares the pipe after the original closes");
	CHECK(dup2(d, d) == d, "dup2 to itself returns the fd");
	CHECK(dup2(d, 50) == 50, "dup2 to a free fd");
	CHECK(dup2(fd[0], 50) == 50, "dup2 onto an open fd replaces it");
	CHECK((fcntl(50, F_GETFL) & O_ACCMODE) == O_RDONLY, "fd 50 is now the read end");
	CHECK_ERR(dup2(77, 51), EBADF, "dup2 of a closed fd is EBADF");
	CHECK_ERR(dup2(d, -1), EBADF, "dup2 to -1 is EBADF");
	CHECK_ERR(dup(77), EBADF, "dup of a closed fd is EBADF");
	CHECK_ERR(syscall(SYS_dup3, d, d, 0), EINVAL, "dup3 to the same fd is EINVAL");
	CHECK_ERR(syscall(SYS_dup3, d, 52, 0x4), EINVAL, "dup3 with bad flags is EINVAL");
	CHECK(dup3(d, 52, O_CLOEXEC) == 52 && fcntl(52, F_GETFD) == FD_CLOEXEC, "dup3 O_CLOEXEC sets FD_CLOEXEC");
	CHECK(fcntl(d, F_GETFD) == 0, "FD_CLOEXEC is per descriptor");
	CHECK(dup(52) >= 0 && fcntl(fd[1], F_GETFD) == 0, "dup clears FD_CLOEXEC");
	close(fd[1]);
	CHECK(fcntl(d, F_SETFD, FD_CLOEXEC) == 0 && fcntl(d, F_GETFD) == FD_CLOEXEC, "F_SETFD FD_CLOEXEC");
	CHECK(fcntl(d, F_SETFD, 0) == 0 && fcntl(d, F_GETFD) == 0, "F_SETFD 0");
	int e = fcntl(d, F_DUPFD, 20);
	CHECK(e == 20, "F_DUPFD returns the lowest free fd >= 20");
	CHECK(fcntl(d, F_DUPFD, 20) == 21, "F_DUPFD skips used fds");
	CHECK(fcntl(d, F_DUPFD_CLOEXEC, 30) == 30 && fcntl(30, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC");
	CHECK_ERR(fcntl(77, F_GETFD), EBADF, "fcntl on a closed fd is EBADF");
	CHECK_ERR(fcntl(d, 9999), EINVAL, "fcntl with an unknown command is EINVAL");
	CHECK_ERR(fcntl(d, F_DUPFD, -1), EINVAL, "F_DUPFD with a negative minimum is EINVAL");

	/* close-on-exec: fd 52 is FD_CLOEXEC, fd 20 (the write end) is not */
	pid_t p = fork();
	if (p == 0) {
		char path[512], a[16], b[16];
		snprintf(path, sizeof path, "%s/pipetest", dir);
		snprintf(a, sizeof a, "%d", 52);
		snprintf(b, sizeof b, "%d", 20);
		char *av[] = { "pipetest", (char *)dir, "--cloexec", a, b, NULL };
		char *ev[] = { NULL };
		execve(path, av, ev);
		_exit(127);
	}
	int st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 127, "execve of pipetest for the close-on-exec check");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "FD_CLOEXEC fd is closed by execve");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 6), "other fds survive execve");
	CHECK(read(fd[0], buf, 1) == 1 && buf[0] == 'E', "the exec'd program wrote through the inherited fd");
	for (int i = 3; i < 64; i++)
		close(i);
}

static void polls(void)
{
	int fd[2];
	char buf[16];
	pipe(fd);
	struct pollfd pf[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLOUT, 0 } };
	CHECK(poll(pf, 2, 0) == 1 && pf[0].revents == 0 && pf[1].revents == POLLOUT, "empty pipe: write end POLLOUT only");
	write(fd[1], "a", 1);
	CHECK(poll(pf, 2, 0) == 2 && pf[0].revents == POLLIN, "data: read end POLLIN");
	read(fd[0], buf, 1);
	pid_t p = fork();
	if (p == 0) {
		msleep(50);
		write(fd[1], "b", 1);
		_exit(0);
	}
	struct pollfd r1 = { fd[0], POLLIN, 0 };
	CHECK(poll(&r1, 1, -1) == 1 && r1.revents == POLLIN, "poll blocks until a child writes");
	waitpid(p, NULL, 0);
	CHECK(poll(&r1, 1, 10) == 1, "poll with a timeout and data ready");
	read(fd[0], buf, 1);
	CHECK(poll(&r1, 1, 10) == 0, "poll times out with nothing to read");
	write(fd[1], "c", 1);
	close(fd[1]);
	CHECK(poll(&r1, 1, 0) == 1 && r1.revents == (POLLIN | POLLHUP), "writer gone with data left: POLLIN|POLLHUP");
	read(fd[0], buf, 1);
	CHECK(poll(&r1, 1, 0) == 1 && r1.revents == POLLHUP, "writer gone, empty: POLLHUP");
	close(fd[0]);

	pipe(fd);
	close(fd[0]);
	struct pollfd w1 = { fd[1], POLLOUT, 0 };
	CHECK(poll(&w1, 1, 0) == 1 && (w1.revents & POLLERR), "reader gone: write end POLLERR");
	close(fd[1]);

	struct pollfd bad[2] = { { 77, POLLIN, 0 }, { -1, POLLIN, 0 } };
	CHECK(poll(bad, 2, 0) == 1 && bad[0].revents == POLLNVAL && bad[1].revents == 0, "closed fd: POLLNVAL; negative fd ignored");
	CHECK_ERR(poll((struct pollfd *)0xffff800000000000UL, 1, 0), EFAULT, "poll with a kernel pointer is EFAULT");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/bin";
	if (argc > 4 && strcmp(argv[2], "--cloexec") == 0)
		return cloexec_child(atoi(argv[3]), atoi(argv[4]));
	basics();
	sigpipe();
	atomic();
	nonblock();
	dups(dir);
	polls();
	return t_done();
}
