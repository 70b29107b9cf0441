/* unixsock: AF_UNIX sockets. socket/socketpair argument errors; stream,
 * datagram and seqpacket pairs (bytes vs message boundaries, MSG_TRUNC,
 * MSG_PEEK, MSG_WAITALL, empty datagrams); the send buffer (SO_SNDBUF,
 * EAGAIN when full, how many writes fit); shutdown and close (EOF, EPIPE
 * with and without SIGPIPE, ECONNRESET, ECONNREFUSED, POLLHUP/POLLRDHUP);
 * a forked child talking over a pair; SCM_RIGHTS (a pipe's write end
 * passed to the parent, MSG_CTRUNC, MSG_CMSG_CLOEXEC, EBADF) and
 * SCM_CREDENTIALS; poll and epoll readiness; fstat, getsockopt,
 * setsockopt, getsockname, getpeername; bind/listen/connect/accept on a
 * path and on an abstract name. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <sys/wait.h>

static volatile int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static int pair(int type, int sv[2])
{
	return socketpair(AF_UNIX, type, 0, sv);
}

static int revents(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static void test_create(void)
{
	int sv[2];
	CHECK_ERR(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT, "socket: unknown family");
	CHECK_ERR(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT, "socket: negative family");
	CHECK_ERR(socket(AF_UNIX, 0, 0), ESOCKTNOSUPPORT, "socket: type 0");
	CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT, "socket: SOCK_RDM");
	CHECK_ERR(socket(AF_UNIX, 12, 0), EINVAL, "socket: type past SOCK_MAX");
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL, "socket: unknown type flag");
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 6), EPROTONOSUPPORT, "socket: protocol");
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 2, sv), EPROTONOSUPPORT, "socketpair: protocol");
	CHECK_ERR(socketpair(AF_UNIX, 0, 0, sv), ESOCKTNOSUPPORT, "socketpair: type 0");
	int *volatile badsv = (int *)8;
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, badsv), EFAULT, "socketpair: bad sv");
	int fd = socket(AF_UNIX, SOCK_RAW, 0);
	int type = 0;
	socklen_t len = sizeof type;
	CHECK(fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM,
	      "socket: SOCK_RAW is a datagram socket");
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, PF_UNIX);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) && fcntl(fd, F_GETFD) == FD_CLOEXEC,
	      "socket: SOCK_NONBLOCK | SOCK_CLOEXEC");
	char c;
	CHECK_ERR(read(fd, &c, 1), EINVAL, "unconnected stream: read is EINVAL");
	CHECK_ERR(write(fd, "x", 1), ENOTCONN, "unconnected stream: write is ENOTCONN");
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT | POLLHUP, "unconnected stream: POLLOUT|POLLHUP");
	CHECK_ERR(getpeername(fd, (struct sockaddr *)&type, &len), ENOTCONN, "unconnected: getpeername");
	close(fd);
	CHECK_ERR(shutdown(0, SHUT_RD), ENOTSOCK, "shutdown: not a socket");
	CHECK_ERR(getsockopt(99, SOL_SOCKET, SO_TYPE, &type, &len), EBADF, "getsockopt: bad fd");
}

static void test_stream(void)
{
	int sv[2];
	char buf[64];
	CHECK_EQ(pair(SOCK_STREAM, sv), 0, "stream: socketpair");
	CHECK_EQ(write(sv[0], "hello", 5), 5, "stream: write");
	CHECK_EQ(write(sv[0], " world", 6), 6, "stream: second write");
	CHECK_EQ(revents(sv[1], POLLIN | POLLOUT), POLLIN | POLLOUT, "stream: POLLIN|POLLOUT");
	int inq = -1;
	CHECK(ioctl(sv[1], FIONREAD, &inq) == 0 && inq == 11, "stream: FIONREAD counts both writes");
	CHECK_ERR(ioctl(sv[1], TCGETS, buf), ENOTTY, "stream: not a tty");
	int outq = -1;
	CHECK(ioctl(sv[0], TIOCOUTQ, &outq) == 0 && outq == 2 * 768, "stream: SIOCOUTQ counts the skbs' true size");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 11, "stream: MSG_PEEK sees both writes");
	CHECK_EQ(read(sv[1], buf, 3), 3, "stream: short read");
	CHECK(memcmp(buf, "hel", 3) == 0, "stream: bytes in order");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 8, "stream: the rest glued");
	CHECK(memcmp(buf, "lo world", 8) == 0, "stream: the rest's bytes");
	CHECK_ERR(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN, "stream: MSG_DONTWAIT on empty");
	CHECK_ERR(recv(sv[1], buf, 1, MSG_OOB), EINVAL, "stream: MSG_OOB with no urgent data");
	CHECK_EQ(read(sv[1], buf, 0), 0, "stream: zero-length read");
	struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
	CHECK_EQ(writev(sv[1], iov, 3), 5, "stream: writev");
	char x[2], y[8];
	struct iovec riov[2] = {{x, 2}, {y, 8}};
	CHECK_EQ(readv(sv[0], riov, 2), 5, "stream: readv");
	CHECK(memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0, "stream: readv scatters");
	CHECK_EQ(sendto(sv[0], "z", 1, 0, NULL, 0), 1, "stream: sendto without address");
	struct sockaddr_un sun = {AF_UNIX, "x"};
	CHECK_ERR(sendto(sv[0], "z", 1, 0, (struct sockaddr *)&sun, sizeof sun), EISCONN, "stream: sendto with address");
	CHECK_ERR(sendto(sv[0], "z", 1, 0, (struct sockaddr *)&sun, 200), EINVAL, "stream: address too long");
	struct sockaddr_un from;
	socklen_t fromlen = sizeof from;
	memset(&from, 0x55, sizeof from);
	CHECK_EQ(recvfrom(sv[1], buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen), 1, "stream: recvfrom");
	CHECK_EQ(fromlen, 0, "stream: an unnamed sender has no address");

	struct stat st;
	CHECK(fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0777, "stream: fstat S_IFSOCK 0777");
	int v;
	socklen_t len = sizeof v;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM && len == 4, "getsockopt SO_TYPE");
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_UNIX, "getsockopt SO_DOMAIN");
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 && v == 0, "getsockopt SO_PROTOCOL");
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0, "getsockopt SO_ERROR");
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v == 212992, "getsockopt SO_SNDBUF default");
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 212992, "getsockopt SO_RCVBUF default");
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 0, "getsockopt SO_ACCEPTCONN");
	struct ucred cr;
	len = sizeof cr;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && len == sizeof cr && cr.pid == getpid() &&
	      cr.uid == getuid() && cr.gid == getgid(), "getsockopt SO_PEERCRED of a pair: the creator");
	short sv2 = 0;
	len = sizeof sv2;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &sv2, &len) == 0 && len == 2 && sv2 == SOCK_STREAM, "getsockopt: short length");
	len = -1;
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len), EINVAL, "getsockopt: negative length");
	len = sizeof v;
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT, "getsockopt: unknown option");
	CHECK_ERR(getsockopt(sv[0], 6 /* SOL_TCP */, 1, &v, &len), EOPNOTSUPP, "getsockopt: other level");
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, (void *)8, &len), EFAULT, "getsockopt: bad optval");
	v = 10000;
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0, "setsockopt SO_SNDBUF");
	len = sizeof v;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v == 20000, "SO_SNDBUF is doubled");
	v = 1;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v == 4608, "SO_SNDBUF minimum");
	v = 1000;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 2304, "SO_RCVBUF minimum");
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL, "setsockopt: short value");
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT, "setsockopt SO_TYPE");
	CHECK_ERR(setsockopt(sv[0], 6, 1, &v, sizeof v), EOPNOTSUPP, "setsockopt: other level");
	struct sockaddr_un sa;
	socklen_t salen = sizeof sa;
	memset(&sa, 0x55, sizeof sa);
	CHECK(getsockname(sv[0], (struct sockaddr *)&sa, &salen) == 0 && salen == 2 && sa.sun_family == AF_UNIX,
	      "getsockname of a pair: just the family");
	salen = sizeof sa;
	CHECK(getpeername(sv[0], (struct sockaddr *)&sa, &salen) == 0 && salen == 2, "getpeername of a pair");
	salen = -1;
	CHECK_ERR(getsockname(sv[0], (struct sockaddr *)&sa, &salen), EINVAL, "getsockname: negative length");

	struct timeval tv = {0, 40000}, got;
	CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0, "SO_RCVTIMEO: set 40 ms");
	len = sizeof got;
	CHECK(getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && len == sizeof got && got.tv_sec == 0 &&
	      got.tv_usec == 40000, "SO_RCVTIMEO: get");
	CHECK_ERR(read(sv[1], buf, 1), EAGAIN, "SO_RCVTIMEO: a read times out with EAGAIN");
	tv.tv_usec = 1000000;
	CHECK_ERR(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM, "SO_RCVTIMEO: tv_usec out of range");
	CHECK_ERR(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL, "SO_RCVTIMEO: short timeval");
	tv.tv_sec = -1;
	tv.tv_usec = 0;
	CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0, "SO_RCVTIMEO: negative seconds");
	CHECK_ERR(recv(sv[1], buf, 1, 0), EAGAIN, "SO_RCVTIMEO: negative seconds do not wait");
	tv.tv_sec = 0;
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	len = sizeof got;
	CHECK(getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && got.tv_sec == 0 && got.tv_usec == 0, "SO_RCVTIMEO: zero is none");
	close(sv[0]);
	close(sv[1]);
}

/* fill writes size-byte chunks until EAGAIN and returns how many fit. */
static int fill(int fd, int size)
{
	static char big[65536];
	int n = 0;
	while (send(fd, big, size, MSG_DONTWAIT) == size)
		n++;
	return errno == EAGAIN ? n : -errno;
}

static void test_sndbuf(void)
{
	int sv[2];
	char buf[65536];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(fill(sv[0], 1), 278, "stream: 278 one-byte writes fit the default buffer");
	CHECK_EQ(revents(sv[0], POLLOUT), 0, "stream: full: no POLLOUT");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 278, "stream: the reader gets them in one read");
	CHECK_EQ(revents(sv[0], POLLOUT), POLLOUT, "stream: drained: POLLOUT");
	CHECK_EQ(fill(sv[0], 4096), 44, "stream: 44 page writes fit");
	int total = 0, n;
	while ((n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) > 0)
		total += n;
	CHECK_EQ(total, 44 * 4096, "stream: all bytes arrive");
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	static char big[300000];
	n = write(sv[0], big, sizeof big);
	CHECK(n > 0 && n < (int)sizeof big, "stream: a big non-blocking write is partial");
	close(sv[0]);
	close(sv[1]);

	pair(SOCK_DGRAM, sv);
	CHECK_EQ(fill(sv[0], 1), 278, "dgram: 278 one-byte datagrams fit");
	close(sv[0]);
	close(sv[1]);
	pair(SOCK_SEQPACKET, sv);
	CHECK_ERR(send(sv[0], big, 212992 - 31, 0), EMSGSIZE, "seqpacket: over sndbuf-32 is EMSGSIZE");
	CHECK_EQ(send(sv[0], big, 212992 - 32, 0), 212992 - 32, "seqpacket: sndbuf-32 fits");
	CHECK_ERR(send(sv[0], "x", 1, MSG_DONTWAIT), EAGAIN, "seqpacket: then the buffer is full");
	CHECK_EQ(recv(sv[1], big, sizeof big, 0), 212992 - 32, "seqpacket: one big message");
	close(sv[0]);
	close(sv[1]);
}

static void test_dgram(int type, const char *name)
{
	int sv[2];
	char buf[64], title[80];
	pair(type, sv);
#define T(s) (snprintf(title, sizeof title, "%s: %s", name, s), title)
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3, T("send"));
	CHECK_EQ(send(sv[0], "defgh", 5, 0), 5, T("second send"));
	CHECK_EQ(send(sv[0], "", 0, 0), 0, T("empty message"));
	CHECK_EQ(write(sv[0], "ij", 2), 2, T("write"));
	int inq = -1;
	CHECK(ioctl(sv[1], FIONREAD, &inq) == 0 && inq == (type == SOCK_DGRAM ? 3 : 10), T("FIONREAD"));
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 3, T("a message at a time"));
	struct iovec iov = {buf, 2};
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ(recvmsg(sv[1], &mh, MSG_PEEK), 2, T("peek, truncated"));
	CHECK_EQ(mh.msg_flags, MSG_TRUNC, T("MSG_TRUNC in msg_flags"));
	CHECK_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 5, T("MSG_TRUNC returns the full length"));
	CHECK(memcmp(buf, "de", 2) == 0, T("the truncated message's start"));
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0, T("the empty message"));
	CHECK_EQ(read(sv[1], buf, 1), 1, T("read takes one message"));
	CHECK_ERR(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN, T("nothing left"));
	CHECK_EQ(revents(sv[1], POLLIN | POLLOUT), POLLOUT, T("POLLOUT only"));
	shutdown(sv[1], SHUT_RD);
	CHECK_EQ(revents(sv[1], POLLIN | POLLRDHUP), POLLIN | POLLRDHUP, T("SHUT_RD: POLLIN|POLLRDHUP"));
	if (type == SOCK_SEQPACKET)
		CHECK_EQ(recv(sv[1], buf, 1, MSG_DONTWAIT), 0, T("SHUT_RD: EOF even non-blocking"));
	else
		CHECK_ERR(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN, T("SHUT_RD: non-blocking EAGAIN"));
	CHECK_EQ(recv(sv[1], buf, 1, 0), 0, T("SHUT_RD: a blocking read sees EOF"));
	close(sv[0]);
	close(sv[1]);
#undef T
}

static void test_close(void)
{
	int sv[2];
	char buf[16];
	pair(SOCK_STREAM, sv);
	write(sv[0], "bye", 3);
	shutdown(sv[0], SHUT_WR);
	CHECK_EQ(revents(sv[1], POLLIN | POLLRDHUP), POLLIN | POLLRDHUP, "SHUT_WR: peer POLLIN|POLLRDHUP");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 3, "SHUT_WR: data first");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "SHUT_WR: then EOF");
	sigpipes = 0;
	CHECK_ERR(write(sv[0], "x", 1), EPIPE, "SHUT_WR: write is EPIPE");
	CHECK_EQ(sigpipes, 1, "SHUT_WR: with SIGPIPE");
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE, "MSG_NOSIGNAL: EPIPE");
	CHECK_EQ(sigpipes, 1, "MSG_NOSIGNAL: no SIGPIPE");
	CHECK_EQ(write(sv[1], "ok", 2), 2, "SHUT_WR: the other direction still works");
	CHECK_EQ(read(sv[0], buf, sizeof buf), 2, "SHUT_WR: and reads");
	CHECK_ERR(shutdown(sv[0], 3), EINVAL, "shutdown: bad how");
	close(sv[0]);
	CHECK_EQ(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLHUP | POLLRDHUP, "peer closed: POLLHUP");
	CHECK_EQ(read(sv[1], buf, 1), 0, "peer closed: EOF");
	CHECK_ERR(write(sv[1], "x", 1), EPIPE, "peer closed: EPIPE");
	CHECK_EQ(sigpipes, 2, "peer closed: SIGPIPE");
	close(sv[1]);

	pair(SOCK_STREAM, sv);
	write(sv[0], "unread", 6);
	close(sv[1]);
	CHECK_EQ(revents(sv[0], POLLIN), POLLIN | POLLERR | POLLHUP, "closed with unread data: POLLERR");
	CHECK_ERR(read(sv[0], buf, 1), ECONNRESET, "closed with unread data: ECONNRESET");
	CHECK_EQ(read(sv[0], buf, 1), 0, "then EOF");
	close(sv[0]);

	pair(SOCK_SEQPACKET, sv);
	close(sv[1]);
	sigpipes = 0;
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE, "seqpacket, peer closed: EPIPE");
	CHECK_EQ(sigpipes, 0, "seqpacket: no SIGPIPE");
	CHECK_EQ(recv(sv[0], buf, 1, 0), 0, "seqpacket, peer closed: EOF");
	close(sv[0]);

	pair(SOCK_DGRAM, sv);
	close(sv[1]);
	CHECK_ERR(send(sv[0], "x", 1, 0), ECONNREFUSED, "dgram, peer closed: ECONNREFUSED");
	CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN, "dgram: then ENOTCONN");
	close(sv[0]);
}

static void test_fork(void)
{
	int sv[2];
	char buf[64];
	pair(SOCK_STREAM, sv);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		int n = read(sv[1], buf, sizeof buf);
		for (int i = 0; i < n; i++)
			buf[i] ^= 0x20;
		write(sv[1], buf, n);
		/* MSG_WAITALL on the parent's side: three pieces. */
		write(sv[1], "one", 3);
		usleep(20000);
		write(sv[1], "two", 3);
		usleep(20000);
		write(sv[1], "six", 3);
		_exit(0);
	}
	close(sv[1]);
	CHECK_EQ(write(sv[0], "ping", 4), 4, "fork: parent writes");
	CHECK_EQ(read(sv[0], buf, 4), 4, "fork: blocking read of the child's reply");
	CHECK(memcmp(buf, "PING", 4) == 0, "fork: the child's reply");
	CHECK_EQ(recv(sv[0], buf, 9, MSG_WAITALL), 9, "fork: MSG_WAITALL waits for all");
	CHECK(memcmp(buf, "onetwosix", 9) == 0, "fork: MSG_WAITALL bytes");
	CHECK_EQ(read(sv[0], buf, 1), 0, "fork: EOF when the child exits");
	int st;
	waitpid(pid, &st, 0);
	close(sv[0]);

	/* A writer blocked on a full buffer is woken by the reader. */
	pair(SOCK_STREAM, sv);
	pid = fork();
	if (pid == 0) {
		static char big[1 << 20];
		close(sv[0]);
		_exit(write(sv[1], big, sizeof big) == sizeof big ? 0 : 1);
	}
	close(sv[1]);
	long total = 0;
	int n;
	while ((n = read(sv[0], buf, sizeof buf)) > 0)
		total += n;
	waitpid(pid, &st, 0);
	CHECK(total == 1 << 20 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork: a 1 MiB blocking write gets through");
	close(sv[0]);
}

static int send_fds(int sock, const int *fds, int n, const char *data, int flags)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = {(void *)data, strlen(data)};
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &mh, flags);
}

static void test_rights(void)
{
	int sv[2], p[2];
	char buf[64];
	pair(SOCK_STREAM, sv);
	pid_t pid = fork();
	if (pid == 0) {
		/* The child makes a pipe and hands its write end over. */
		close(sv[0]);
		pipe(p);
		send_fds(sv[1], &p[1], 1, "F", 0);
		close(p[1]);
		read(sv[1], buf, 1); /* wait until the parent has it */
		_exit(0);
	}
	close(sv[1]);
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof ctl;
	CHECK_EQ(recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC), 1, "SCM_RIGHTS: recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int wfd = -1;
	CHECK(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)),
	      "SCM_RIGHTS: one descriptor arrives");
	CHECK_EQ(mh.msg_controllen, CMSG_SPACE(sizeof(int)), "SCM_RIGHTS: msg_controllen is what was used");
	CHECK_EQ(mh.msg_flags, MSG_CMSG_CLOEXEC, "SCM_RIGHTS: no MSG_CTRUNC (msg_flags keeps MSG_CMSG_CLOEXEC)");
	if (c)
		memcpy(&wfd, CMSG_DATA(c), sizeof wfd);
	CHECK_EQ(fcntl(wfd, F_GETFD), FD_CLOEXEC, "SCM_RIGHTS: MSG_CMSG_CLOEXEC");
	struct stat st;
	CHECK(fstat(wfd, &st) == 0 && S_ISFIFO(st.st_mode) && (fcntl(wfd, F_GETFL) & O_ACCMODE) == O_WRONLY,
	      "SCM_RIGHTS: it is the pipe's write end");
	write(sv[0], "k", 1);
	int status;
	waitpid(pid, &status, 0);
	close(sv[0]);

	/* The pipe's read end went with the child: pass ours and use it. */
	pair(SOCK_DGRAM, sv);
	pipe(p);
	int two[2] = {p[0], p[1]};
	CHECK_EQ(send_fds(sv[0], two, 2, "two", 0), 3, "SCM_RIGHTS: two descriptors");
	close(p[0]);
	close(p[1]);
	char small[CMSG_SPACE(sizeof(int))];
	mh.msg_control = small;
	mh.msg_controllen = CMSG_LEN(sizeof(int));
	mh.msg_flags = 0;
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 3, "SCM_RIGHTS: recvmsg with room for one");
	CHECK_EQ(mh.msg_controllen, CMSG_LEN(sizeof(int)), "SCM_RIGHTS: msg_controllen cut to the buffer");
	CHECK_EQ(mh.msg_flags, MSG_CTRUNC, "SCM_RIGHTS: MSG_CTRUNC");
	c = CMSG_FIRSTHDR(&mh);
	int rfd = -1;
	if (c && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&rfd, CMSG_DATA(c), sizeof rfd);
	CHECK(rfd >= 0 && fcntl(rfd, F_GETFD) == 0, "SCM_RIGHTS: the first one installed, no FD_CLOEXEC");
	CHECK_EQ(read(rfd, buf, 0), 0, "SCM_RIGHTS: the read end works");
	CHECK_EQ(revents(rfd, POLLIN), POLLHUP, "SCM_RIGHTS: the cut write end is closed");
	CHECK_ERR(write(wfd, "via", 3), EPIPE, "SCM_RIGHTS: the child's pipe lost its reader with the child");
	close(wfd);
	CHECK_EQ(read(rfd, buf, sizeof buf), 0, "SCM_RIGHTS: the pipe had been hung up before");
	close(rfd);

	pipe(p);
	send_fds(sv[0], &p[1], 1, "x", 0);
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 1, "SCM_RIGHTS: recvmsg without control buffer");
	CHECK_EQ(mh.msg_flags, MSG_CTRUNC, "SCM_RIGHTS: MSG_CTRUNC without control buffer");
	close(p[1]);
	CHECK_EQ(read(p[0], buf, 1), 0, "SCM_RIGHTS: a dropped descriptor closes");
	close(p[0]);

	int bad = 99;
	CHECK_ERR(send_fds(sv[0], &bad, 1, "x", 0), EBADF, "SCM_RIGHTS: a closed descriptor is EBADF");
	char ctl2[32] = {0};
	struct cmsghdr *cm = (struct cmsghdr *)ctl2;
	cm->cmsg_len = 40;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	struct iovec xiov = {"x", 1};
	struct msghdr bad_mh = {0};
	bad_mh.msg_iov = &xiov;
	bad_mh.msg_iovlen = 1;
	bad_mh.msg_control = ctl2;
	bad_mh.msg_controllen = sizeof ctl2;
	CHECK_ERR(sendmsg(sv[0], &bad_mh, 0), EINVAL, "cmsg_len past the buffer: EINVAL");
	cm->cmsg_len = 16;
	cm->cmsg_type = 99;
	bad_mh.msg_controllen = 16;
	CHECK_ERR(sendmsg(sv[0], &bad_mh, 0), EINVAL, "unknown SOL_SOCKET cmsg: EINVAL");
	cm->cmsg_level = 6;
	CHECK_EQ(sendmsg(sv[0], &bad_mh, 0), 1, "other levels are ignored");
	bad_mh.msg_iovlen = 1025;
	CHECK_ERR(sendmsg(sv[0], &bad_mh, 0), EMSGSIZE, "msg_iovlen over UIO_MAXIOV");
	/* musl's sendmsg copies the msghdr itself: go around it. */
	CHECK_ERR(syscall(SYS_sendmsg, sv[0], 8L, 0L), EFAULT, "sendmsg: bad msghdr");
	CHECK_ERR(syscall(SYS_recvmsg, sv[0], 8L, 0L), EFAULT, "recvmsg: bad msghdr");
	close(sv[0]);
	close(sv[1]);
}

static void test_creds(void)
{
	int sv[2], on = 1;
	pair(SOCK_DGRAM, sv);
	CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0, "SO_PASSCRED");
	send(sv[0], "c", 1, 0);
	char buf[8], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof ctl;
	struct sockaddr_un from;
	mh.msg_name = &from;
	mh.msg_namelen = sizeof from;
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 1, "SCM_CREDENTIALS: recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct ucred cr = {0};
	if (c && c->cmsg_type == SCM_CREDENTIALS)
		memcpy(&cr, CMSG_DATA(c), sizeof cr);
	CHECK(cr.pid == getpid() && cr.uid == getuid() && cr.gid == getgid(), "SCM_CREDENTIALS: the sender's");

	/* Sending credentials explicitly. */
	struct ucred mine = {getpid(), 0, 0};
	char sctl[CMSG_SPACE(sizeof mine)];
	struct msghdr sm = {0};
	struct iovec siov = {"d", 1};
	sm.msg_iov = &siov;
	sm.msg_iovlen = 1;
	sm.msg_control = sctl;
	sm.msg_controllen = sizeof sctl;
	c = CMSG_FIRSTHDR(&sm);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof mine);
	memcpy(CMSG_DATA(c), &mine, sizeof mine);
	CHECK_EQ(sendmsg(sv[0], &sm, 0), 1, "SCM_CREDENTIALS: send our own");
	mine.pid = 0x3ffffff0;
	memcpy(CMSG_DATA(c), &mine, sizeof mine);
	CHECK_ERR(sendmsg(sv[0], &sm, 0), ESRCH, "SCM_CREDENTIALS: no such pid");

	/* Without privileges a process claims only its own ids. */
	pid_t pid = fork();
	if (pid == 0) {
		int ok = setuid(65534) == 0;
		mine.pid = getpid();
		mine.uid = 0;
		memcpy(CMSG_DATA(c), &mine, sizeof mine);
		ok = ok && sendmsg(sv[0], &sm, 0) == -1 && errno == EPERM;
		mine.uid = 65534;
		memcpy(CMSG_DATA(c), &mine, sizeof mine);
		ok = ok && sendmsg(sv[0], &sm, 0) == 1;
		int p2[2];
		struct ucred pc;
		socklen_t pl = sizeof pc;
		ok = ok && socketpair(AF_UNIX, SOCK_STREAM, 0, p2) == 0 &&
		     getsockopt(p2[0], SOL_SOCKET, SO_PEERCRED, &pc, &pl) == 0 && pc.uid == 65534 && pc.gid == 0;
		_exit(ok ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SCM_CREDENTIALS: EPERM for another uid after setuid; SO_PEERCRED has the euid");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 1, "the first credentials message");
	mh.msg_controllen = sizeof ctl;
	CHECK_EQ(recvmsg(sv[1], &mh, MSG_DONTWAIT), 1, "the child's message");
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_CREDENTIALS)
		memcpy(&cr, CMSG_DATA(c), sizeof cr);
	CHECK(cr.uid == 65534 && cr.pid == pid, "carries the child's credentials");
	close(sv[0]);
	close(sv[1]);
}

static void test_epoll(void)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	int ep = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN | EPOLLRDHUP, {.fd = sv[1]}}, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0, "epoll: nothing yet");
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		write(sv[0], "e", 1);
		_exit(0);
	}
	CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1, "epoll: a child's write wakes epoll_wait");
	CHECK_EQ(out[0].events, EPOLLIN, "epoll: EPOLLIN");
	int st;
	waitpid(pid, &st, 0);
	shutdown(sv[0], SHUT_WR);
	CHECK(epoll_wait(ep, out, 2, 0) == 1 && out[0].events == (EPOLLIN | EPOLLRDHUP), "epoll: EPOLLRDHUP on SHUT_WR");
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

#define PATH "/tmp/unixsock.test"

static void test_bind(void)
{
	struct sockaddr_un sa = {AF_UNIX, PATH}, got;
	socklen_t len;
	unlink(PATH);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof sa), ENOENT, "connect: no such path");
	CHECK_ERR(listen(l, 5), EINVAL, "listen: unbound");
	CHECK_EQ(bind(l, (struct sockaddr *)&sa, sizeof sa), 0, "bind: a path");
	struct stat st;
	CHECK(stat(PATH, &st) == 0 && S_ISSOCK(st.st_mode), "bind: the path is a socket inode");
	CHECK_ERR(bind(l, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE, "bind: its own path again: the path exists");
	struct sockaddr_un sa2 = {AF_UNIX, PATH "2"};
	unlink(PATH "2");
	CHECK_ERR(bind(l, (struct sockaddr *)&sa2, sizeof sa2), EINVAL, "bind: already bound");
	CHECK_ERR(stat(PATH "2", &st), ENOENT, "bind: a failed bind leaves no inode");
	CHECK_ERR(bind(c, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE, "bind: the path exists");
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof sa), ECONNREFUSED, "connect: not listening");
	CHECK_EQ(listen(l, 5), 0, "listen");
	chmod(PATH, 0755);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = setuid(65534) == 0;
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		ok = ok && connect(s, (struct sockaddr *)&sa, sizeof sa) == -1 && errno == EACCES;
		_exit(ok ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "connect: EACCES without write permission on the socket inode");
	len = sizeof got;
	CHECK(getsockname(l, (struct sockaddr *)&got, &len) == 0 && len == offsetof(struct sockaddr_un, sun_path) + sizeof PATH &&
	      strcmp(got.sun_path, PATH) == 0, "getsockname: the path with its NUL");
	int one = 0;
	len = sizeof one;
	CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &one, &len) == 0 && one == 1, "SO_ACCEPTCONN on a listener");
	/* musl retries a failed accept4 as accept: go around it. */
	CHECK_ERR(syscall(SYS_accept4, l, 0L, 0L, 0x4000L), EINVAL, "accept4: bad flags");
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN, "accept: O_NONBLOCK listener");
	fcntl(l, F_SETFL, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&sa, sizeof sa), 0, "connect");
	CHECK_EQ(revents(l, POLLIN), POLLIN, "listener: POLLIN with a connection pending");
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof sa), EISCONN, "connect: again");
	CHECK_EQ(write(c, "early", 5), 5, "write before accept");
	len = sizeof got;
	memset(&got, 0x55, sizeof got);
	int a = accept4(l, (struct sockaddr *)&got, &len, SOCK_CLOEXEC);
	CHECK(a >= 0 && len == 2 && fcntl(a, F_GETFD) == FD_CLOEXEC, "accept4: the client is unnamed");
	char buf[16];
	CHECK_EQ(read(a, buf, sizeof buf), 5, "accepted socket reads");
	len = sizeof got;
	CHECK(getpeername(c, (struct sockaddr *)&got, &len) == 0 && strcmp(got.sun_path, PATH) == 0, "getpeername: the server's path");
	len = sizeof got;
	CHECK(getsockname(a, (struct sockaddr *)&got, &len) == 0 && strcmp(got.sun_path, PATH) == 0, "accepted socket has the server's name");
	CHECK_ERR(accept(c, NULL, NULL), EINVAL, "accept: not listening");
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERR(connect(d, (struct sockaddr *)&sa, sizeof sa), EPROTOTYPE, "connect: wrong type");
	CHECK_ERR(accept(d, NULL, NULL), EOPNOTSUPP, "accept: datagram socket");
	close(a);
	close(c);
	close(l);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof sa), ECONNREFUSED, "connect: the listener closed");
	close(c);
	CHECK_EQ(unlink(PATH), 0, "the socket inode stays until unlinked");

	/* Abstract names, and datagrams sent to a name. */
	struct sockaddr_un ab = {AF_UNIX, "\0tamix-unixsock"};
	socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 15;
	int s1 = socket(AF_UNIX, SOCK_DGRAM, 0), s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERR(sendto(d, "x", 1, 0, (struct sockaddr *)&ab, ablen), ECONNREFUSED, "sendto: no such abstract name");
	CHECK_EQ(bind(s1, (struct sockaddr *)&ab, ablen), 0, "bind: abstract");
	CHECK_ERR(bind(s2, (struct sockaddr *)&ab, ablen), EADDRINUSE, "bind: abstract in use");
	struct sockaddr_un me = {AF_UNIX, "\0tamix-client"};
	CHECK_EQ(bind(d, (struct sockaddr *)&me, offsetof(struct sockaddr_un, sun_path) + 13), 0, "bind: client name");
	CHECK_EQ(sendto(d, "hi", 2, 0, (struct sockaddr *)&ab, ablen), 2, "sendto: an abstract name");
	len = sizeof got;
	CHECK_EQ(recvfrom(s1, buf, sizeof buf, 0, (struct sockaddr *)&got, &len), 2, "recvfrom");
	CHECK(len == offsetof(struct sockaddr_un, sun_path) + 13 && memcmp(got.sun_path, "\0tamix-client", 13) == 0,
	      "recvfrom: the sender's abstract name");
	CHECK_ERR(send(d, "x", 1, 0), ENOTCONN, "send: no peer");
	CHECK_EQ(connect(d, (struct sockaddr *)&ab, ablen), 0, "dgram connect");
	CHECK_EQ(send(d, "y", 1, 0), 1, "send to the connected name");
	CHECK_EQ(recv(s1, buf, sizeof buf, 0), 1, "and it arrives");
	int sent = 0;
	while (send(d, "q", 1, MSG_DONTWAIT) == 1)
		sent++;
	CHECK(sent == 11 && errno == EAGAIN, "a receiver not connected back queues max_dgram_qlen+1 datagrams");
	CHECK_EQ(revents(d, POLLOUT), 0, "its queue full: the sender is not writable");
	CHECK_EQ(recv(s1, buf, sizeof buf, 0), 1, "one read");
	CHECK_EQ(revents(d, POLLOUT), POLLOUT, "makes room");
	CHECK_EQ(send(d, "q", 1, 0), 1, "and a send fills it again");
	pid = fork();
	if (pid == 0)
		_exit(send(d, "w", 1, 0) == 1 ? 0 : 1);
	usleep(20000);
	CHECK_EQ(recv(s1, buf, sizeof buf, 0), 1, "a read from the full queue");
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "wakes a sender blocked on it");
	while (recv(s1, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	CHECK_ERR(bind(s2, (struct sockaddr *)&ab, 2 + 108 + 1), EINVAL, "bind: address too long");
	sa.sun_family = AF_INET;
	CHECK_ERR(bind(s2, (struct sockaddr *)&sa, sizeof sa), EINVAL, "bind: wrong family");
	struct sockaddr_un fam = {AF_UNIX};
	CHECK_EQ(bind(s2, (struct sockaddr *)&fam, 2), 0, "bind: the family alone autobinds");
	len = sizeof got;
	CHECK(getsockname(s2, (struct sockaddr *)&got, &len) == 0 && len == 8 && got.sun_path[0] == 0, "autobind name");
	close(s1);
	close(s2);
	close(d);
}

int main(void)
{
	signal(SIGPIPE, on_sigpipe);
	test_create();
	test_stream();
	test_sndbuf();
	test_dgram(SOCK_DGRAM, "dgram");
	test_dgram(SOCK_SEQPACKET, "seqpacket");
	test_close();
	test_fork();
	test_rights();
	test_creds();
	test_epoll();
	test_bind();
	return t_done();
}
