/* mqueue: POSIX message queues (mq_open, mq_unlink, mq_timedsend,
 * mq_timedreceive, mq_notify, mq_getsetattr) as Linux implements them
 * (ipc/mqueue.c): names, attributes and their limits, permissions,
 * priority order, blocking with absolute timeouts, EINTR, notification
 * by signal, the queue as a file (poll, epoll, read, fstat, fcntl).
 * Every queue is unlinked at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tamix_test.h"

#define QA "/tmx_mq_a"
#define QB "/tmx_mq_b"
#define QC "/tmx_mq_c"
#define QD "/tmx_mq_d"

static mqd_t open_attr(const char *name, int flags, long maxmsg, long msgsize)
{
	struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
	return mq_open(name, flags, 0600, &a);
}

/* readline reads the queue file's status line into buf. */
static int readline(mqd_t q, char *buf, int size)
{
	if (lseek(q, 0, SEEK_SET) != 0)
		return -1;
	int n = read(q, buf, size - 1);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static void timeout_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static void cleanup(void)
{
	mq_unlink(QA);
	mq_unlink(QB);
	mq_unlink(QC);
	mq_unlink(QD);
}

static void test_open(void)
{
	struct mq_attr a;
	mqd_t q = mq_open(QA, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	CHECK(q >= 0, "mq_open creates a queue");
	CHECK(mq_getattr(q, &a) == 0 && a.mq_maxmsg == 10 && a.mq_msgsize == 8192 &&
	      a.mq_curmsgs == 0 && a.mq_flags == 0, "default attributes 10 x 8192");
	CHECK_EQ(fcntl(q, F_GETFD), FD_CLOEXEC, "an mq descriptor is close-on-exec");
	CHECK_EQ(fcntl(q, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR, "F_GETFL: O_RDWR");
	CHECK_ERR(mq_open(QA, O_RDWR | O_CREAT | O_EXCL, 0600, NULL), EEXIST, "O_EXCL on an existing queue: EEXIST");
	mqd_t q2 = mq_open(QA, O_RDWR | O_CREAT, 0600, NULL);
	CHECK(q2 >= 0 && q2 != q, "O_CREAT without O_EXCL opens the existing queue");
	close(q2);
	CHECK_ERR(mq_open(QB, O_RDWR), ENOENT, "no O_CREAT, no queue: ENOENT");
	CHECK_ERR(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES, "a '/' inside the name: EACCES");
	CHECK_ERR(mq_open("/", O_RDWR | O_CREAT, 0600, NULL), ENOENT, "an empty name: ENOENT");
	char longname[300];
	longname[0] = '/';
	memset(longname + 1, 'x', 280);
	longname[281] = 0;
	CHECK_ERR(mq_open(longname, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG, "a 280-byte name: ENAMETOOLONG");
	CHECK_ERR(open_attr(QB, O_RDWR | O_CREAT, 0, 16), EINVAL, "mq_maxmsg 0: EINVAL");
	CHECK_ERR(open_attr(QB, O_RDWR | O_CREAT, 4, -1), EINVAL, "mq_msgsize -1: EINVAL");
	CHECK_ERR(open_attr(QB, O_RDWR | O_CREAT, 100000, 16), EINVAL, "mq_maxmsg over the hard limit: EINVAL");
	CHECK_ERR(open_attr(QB, O_RDWR | O_CREAT, 4, 32 << 20), EINVAL, "mq_msgsize over the hard limit: EINVAL");
	CHECK_ERR(syscall(SYS_mq_open, "tmx_mq_b", O_RDWR | O_CREAT, 0600, (void *)8), EFAULT, "a bad attr pointer: EFAULT");
	CHECK_ERR(syscall(SYS_mq_open, (void *)8, O_RDWR, 0, NULL), EFAULT, "a bad name pointer: EFAULT");
	CHECK_ERR(mq_open(QA, O_RDWR | O_WRONLY), EINVAL, "access mode 3 on an existing queue: EINVAL");

	struct stat st;
	mode_t old = umask(022);
	mqd_t q3 = mq_open(QB, O_RDWR | O_CREAT, 0666, NULL);
	umask(old);
	CHECK(q3 >= 0 && fstat(q3, &st) == 0, "fstat on a queue");
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644, "a regular file with mode & ~umask");
	CHECK_EQ(st.st_size, 80, "its size is 80 (FILENT_SIZE)");
	CHECK(st.st_uid == geteuid() && st.st_nlink == 1, "owned by the creator, one link");
	close(q3);
	CHECK(mq_unlink(QB) == 0, "mq_unlink");
	CHECK_ERR(mq_unlink(QB), ENOENT, "mq_unlink again: ENOENT");
	CHECK_ERR(mq_unlink("/a/b"), EACCES, "mq_unlink of a name with '/': EACCES");
	close(q);
}

static void test_messages(void)
{
	char buf[64];
	unsigned prio = 99;
	mq_unlink(QA);
	mqd_t q = open_attr(QA, O_RDWR | O_CREAT | O_EXCL, 4, 16);
	CHECK(q >= 0, "create " QA " with 4 x 16");
	CHECK(mq_send(q, "low", 3, 1) == 0 && mq_send(q, "high", 4, 5) == 0 &&
	      mq_send(q, "mid1", 4, 3) == 0 && mq_send(q, "mid2", 4, 3) == 0, "four sends");
	struct mq_attr a;
	CHECK(mq_getattr(q, &a) == 0 && a.mq_curmsgs == 4, "mq_curmsgs 4");
	char line[128];
	CHECK(readline(q, line, sizeof line) > 0 &&
	      strcmp(line, "QSIZE:15         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n") == 0,
	      "read gives the status line");
	CHECK_EQ(read(q, line, sizeof line), 0, "then end of file");
	ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK(n == 4 && memcmp(buf, "high", 4) == 0 && prio == 5, "highest priority first");
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK(n == 4 && memcmp(buf, "mid1", 4) == 0 && prio == 3, "then FIFO within priority 3 (1)");
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK(n == 4 && memcmp(buf, "mid2", 4) == 0 && prio == 3, "then FIFO within priority 3 (2)");
	n = mq_receive(q, buf, sizeof buf, NULL);
	CHECK(n == 3 && memcmp(buf, "low", 3) == 0, "then the lowest");
	CHECK(mq_send(q, "", 0, 0) == 0 && mq_receive(q, buf, sizeof buf, &prio) == 0 && prio == 0,
	      "an empty message");
	CHECK_ERR(mq_send(q, buf, 17, 0), EMSGSIZE, "a message over mq_msgsize: EMSGSIZE");
	CHECK_ERR(mq_receive(q, buf, 15, NULL), EMSGSIZE, "a buffer under mq_msgsize: EMSGSIZE");
	CHECK_ERR(mq_send(q, "x", 1, 32768), EINVAL, "priority MQ_PRIO_MAX: EINVAL");
	CHECK(mq_send(q, "x", 1, 32767) == 0 && mq_receive(q, buf, sizeof buf, &prio) == 1 && prio == 32767,
	      "priority 32767");
	CHECK_ERR(mq_send(q, (char *)8, 4, 0), EFAULT, "a bad message pointer: EFAULT");

	struct timespec ts;
	timeout_in(&ts, 30);
	CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, NULL, &ts), ETIMEDOUT, "an empty queue times out: ETIMEDOUT");
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, NULL, &ts), ETIMEDOUT, "a deadline in the past: ETIMEDOUT");
	mq_send(q, "m", 1, 0);
	ts.tv_nsec = 1000000000;
	CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, NULL, &ts), EINVAL, "a bad timespec: EINVAL (checked first)");
	CHECK_ERR(mq_timedsend(q, "m", 1, 0, (struct timespec *)8), EFAULT, "a bad timeout pointer: EFAULT");
	CHECK_EQ(mq_receive(q, buf, sizeof buf, NULL), 1, "the message is still there");

	/* Access modes and non-queue descriptors. */
	mqd_t r = mq_open(QA, O_RDONLY), w = mq_open(QA, O_WRONLY);
	CHECK(r >= 0 && w >= 0, "O_RDONLY and O_WRONLY opens");
	CHECK_ERR(mq_send(r, "x", 1, 0), EBADF, "send on O_RDONLY: EBADF");
	CHECK_ERR(mq_receive(w, buf, sizeof buf, NULL), EBADF, "receive on O_WRONLY: EBADF");
	int p[2];
	pipe(p);
	CHECK_ERR(mq_send(p[1], "x", 1, 0), EBADF, "send on a pipe: EBADF");
	CHECK_ERR(mq_getattr(p[0], &a), EBADF, "mq_getattr on a pipe: EBADF");
	CHECK_ERR(mq_send(99, "x", 1, 0), EBADF, "send on a closed descriptor: EBADF");
	close(p[0]);
	close(p[1]);
	close(r);
	close(w);

	/* O_NONBLOCK through mq_setattr and fcntl. */
	struct mq_attr na = {.mq_flags = O_NONBLOCK}, oa;
	CHECK(mq_setattr(q, &na, &oa) == 0 && oa.mq_flags == 0, "mq_setattr O_NONBLOCK");
	CHECK(mq_getattr(q, &a) == 0 && a.mq_flags == O_NONBLOCK, "mq_getattr shows it");
	CHECK(fcntl(q, F_GETFL) & O_NONBLOCK, "so does F_GETFL");
	CHECK_ERR(mq_receive(q, buf, sizeof buf, NULL), EAGAIN, "receive on an empty queue: EAGAIN");
	for (int i = 0; i < 4; i++)
		mq_send(q, "f", 1, 0);
	CHECK_ERR(mq_send(q, "f", 1, 0), EAGAIN, "send on a full queue: EAGAIN");
	struct mq_attr bad = {.mq_flags = O_APPEND};
	CHECK_ERR(mq_setattr(q, &bad, NULL), EINVAL, "mq_setattr of another flag: EINVAL");
	fcntl(q, F_SETFL, 0);
	CHECK(mq_getattr(q, &a) == 0 && a.mq_flags == 0 && a.mq_curmsgs == 4, "fcntl clears it");
	timeout_in(&ts, 30);
	CHECK_ERR(mq_timedsend(q, "f", 1, 0, &ts), ETIMEDOUT, "a full queue times out a send");

	/* poll and epoll. */
	struct pollfd pf = {.fd = q, .events = POLLIN | POLLOUT};
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "full: POLLIN only");
	while (mq_receive(q, buf, sizeof buf, NULL) > 0 && (mq_getattr(q, &a), a.mq_curmsgs > 0))
		;
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT, "empty: POLLOUT only");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, out;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev) == 0, "epoll_ctl ADD a queue");
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0, "epoll: nothing to read");
	mq_send(q, "e", 1, 2);
	CHECK(epoll_wait(ep, &out, 1, 0) == 1 && out.events == EPOLLIN, "epoll: a message is readable");
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == (POLLIN | POLLOUT), "one message: POLLIN | POLLOUT");
	mq_receive(q, buf, sizeof buf, NULL);
	close(ep);
	close(q);
}

static void test_blocking(void)
{
	char buf[64];
	unsigned prio;
	mqd_t q = open_attr(QC, O_RDWR | O_CREAT | O_EXCL, 2, 32);
	CHECK(q >= 0, "create " QC);
	/* The parent blocks in receive; a child sends. */
	pid_t c = fork();
	if (c == 0) {
		if (!t_wait_sleeping(getppid()))
			_exit(2);
		_exit(mq_send(q, "from child", 10, 7) == 0 ? 0 : 1);
	}
	ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK(n == 10 && memcmp(buf, "from child", 10) == 0 && prio == 7, "a blocked receive gets the child's message");
	CHECK_EQ(t_exit_code(c), 0, "the child sent");

	/* The parent blocks in send on a full queue; a child receives. */
	mq_send(q, "1", 1, 0);
	mq_send(q, "2", 1, 0);
	c = fork();
	if (c == 0) {
		if (!t_wait_sleeping(getppid()))
			_exit(2);
		char b[64];
		_exit(mq_receive(q, b, sizeof b, NULL) == 1 && b[0] == '1' ? 0 : 1);
	}
	struct timespec ts;
	timeout_in(&ts, 20000);
	CHECK(mq_timedsend(q, "3", 1, 0, &ts) == 0, "a blocked send goes through when a child makes room");
	CHECK_EQ(t_exit_code(c), 0, "the child received the oldest");
	CHECK(mq_receive(q, buf, sizeof buf, NULL) == 1 && buf[0] == '2' &&
	      mq_receive(q, buf, sizeof buf, NULL) == 1 && buf[0] == '3', "then the others in order");

	/* Two receivers sleep; two messages wake both. */
	pid_t r1 = fork();
	if (r1 == 0)
		_exit(mq_receive(q, buf, sizeof buf, NULL) == 1 ? 0 : 1);
	pid_t r2 = fork();
	if (r2 == 0)
		_exit(mq_receive(q, buf, sizeof buf, NULL) == 1 ? 0 : 1);
	CHECK(t_wait_sleeping(r1) && t_wait_sleeping(r2), "two receivers sleep");
	mq_send(q, "a", 1, 0);
	mq_send(q, "b", 1, 0);
	CHECK(t_exit_code(r1) == 0 && t_exit_code(r2) == 0, "each gets a message");
	close(q);
}

static volatile sig_atomic_t got_sig, got_code, got_val, got_pid;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_val = si->si_value.sival_int;
	got_pid = si->si_pid;
}

static void on_usr2(int sig)
{
	(void)sig;
}

static void test_notify(void)
{
	char buf[64], line[128], want[128];
	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR1, &sa, NULL);
	mqd_t q = open_attr(QD, O_RDWR | O_CREAT | O_EXCL, 4, 32);
	CHECK(q >= 0, "create " QD);

	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	sev.sigev_value.sival_int = 42;
	CHECK(mq_notify(q, &sev) == 0, "mq_notify SIGEV_SIGNAL");
	snprintf(want, sizeof want, "QSIZE:0          NOTIFY:0     SIGNO:%-5d NOTIFY_PID:%-6d\n", SIGUSR1, getpid());
	CHECK(readline(q, line, sizeof line) > 0 && strcmp(line, want) == 0, "the status line shows the registration");
	CHECK_ERR(mq_notify(q, &sev), EBUSY, "a second registration: EBUSY");
	pid_t c = fork();
	if (c == 0) {
		if (mq_notify(q, &sev) != -1 || errno != EBUSY)
			_exit(1);
		/* Removing another process's registration is silently ignored. */
		_exit(mq_notify(q, NULL) == 0 ? 0 : 2);
	}
	CHECK_EQ(t_exit_code(c), 0, "another process gets EBUSY; its NULL removes nothing");
	CHECK(mq_send(q, "n", 1, 0) == 0, "a message to the empty queue");
	CHECK(got_sig == SIGUSR1 && got_code == SI_MESGQ && got_val == 42 && got_pid == getpid(),
	      "SIGUSR1 with SI_MESGQ, sigev_value and the sender's PID");
	CHECK(readline(q, line, sizeof line) > 0 &&
	      strcmp(line, "QSIZE:1          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n") == 0,
	      "the registration is gone after it fired");

	got_sig = 0;
	CHECK(mq_notify(q, &sev) == 0, "register again");
	mq_send(q, "n", 1, 0);
	CHECK_EQ(got_sig, 0, "no signal when the queue was not empty");
	mq_receive(q, buf, sizeof buf, NULL);
	mq_receive(q, buf, sizeof buf, NULL);

	/* A receiver waiting takes the message: no notification. */
	c = fork();
	if (c == 0)
		_exit(mq_receive(q, buf, sizeof buf, NULL) == 1 ? 0 : 1);
	CHECK(t_wait_sleeping(c), "a receiver sleeps");
	mq_send(q, "r", 1, 0);
	CHECK_EQ(t_exit_code(c), 0, "the receiver got the message");
	CHECK_EQ(got_sig, 0, "and no notification was sent");
	CHECK(mq_notify(q, NULL) == 0, "mq_notify(NULL) removes the registration");
	CHECK(mq_notify(q, &sev) == 0, "so a new one can be made");

	/* Closing any descriptor of the queue removes the process's one. */
	mqd_t q2 = dup(q);
	close(q2);
	CHECK(readline(q, line, sizeof line) > 0 && strstr(line, "SIGNO:0 ") != NULL, "a close removes the registration");
	mq_send(q, "z", 1, 0);
	CHECK_EQ(got_sig, 0, "and nothing is sent");
	mq_receive(q, buf, sizeof buf, NULL);

	/* A process that registers and exits leaves nothing behind. */
	c = fork();
	if (c == 0)
		_exit(mq_notify(q, &sev) == 0 ? 0 : 1);
	CHECK_EQ(t_exit_code(c), 0, "a child registers and exits");
	CHECK(mq_notify(q, &sev) == 0 && mq_notify(q, NULL) == 0, "its registration went with it");

	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	CHECK(mq_notify(q, &none) == 0, "SIGEV_NONE");
	CHECK(readline(q, line, sizeof line) > 0 && strncmp(line, "QSIZE:0          NOTIFY:1     SIGNO:0 ", 38) == 0,
	      "the status line shows NOTIFY:1");
	mq_send(q, "s", 1, 0);
	CHECK(readline(q, line, sizeof line) > 0 && strstr(line, "NOTIFY:0 ") != NULL && got_sig == 0,
	      "SIGEV_NONE fires silently and goes");
	mq_receive(q, buf, sizeof buf, NULL);

	struct sigevent badn = {.sigev_notify = 99};
	CHECK_ERR(mq_notify(q, &badn), EINVAL, "an unknown sigev_notify: EINVAL");
	struct sigevent bads = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65};
	CHECK_ERR(mq_notify(q, &bads), EINVAL, "signal 65: EINVAL");
	CHECK_ERR(syscall(SYS_mq_notify, q, (void *)8), EFAULT, "a bad sigevent pointer: EFAULT");
	CHECK_ERR(mq_notify(1000, &sev), EBADF, "mq_notify on a closed descriptor: EBADF");

	/* A signal interrupts a blocked receive (no SA_RESTART): EINTR. */
	signal(SIGUSR2, on_usr2);
	siginterrupt(SIGUSR2, 1);
	c = fork();
	if (c == 0) {
		if (!t_wait_sleeping(getppid()))
			_exit(2);
		_exit(kill(getppid(), SIGUSR2) == 0 ? 0 : 1);
	}
	CHECK_ERR(mq_receive(q, buf, sizeof buf, NULL), EINTR, "a signal interrupts mq_receive: EINTR");
	CHECK_EQ(t_exit_code(c), 0, "the child signalled");

	/* With SA_RESTART the receive is restarted (ERESTARTSYS) and gets
	 * the message sent after the signal. */
	struct sigaction rs = {.sa_handler = on_usr2, .sa_flags = SA_RESTART};
	sigaction(SIGUSR2, &rs, NULL);
	c = fork();
	if (c == 0) {
		if (!t_wait_sleeping(getppid()) || kill(getppid(), SIGUSR2) != 0)
			_exit(2);
		usleep(20000);
		if (!t_wait_sleeping(getppid()))
			_exit(3);
		_exit(mq_send(q, "R", 1, 0) == 0 ? 0 : 1);
	}
	CHECK(mq_receive(q, buf, sizeof buf, NULL) == 1 && buf[0] == 'R', "SA_RESTART restarts mq_receive");
	CHECK_EQ(t_exit_code(c), 0, "the child signalled, then sent");
	close(q);
}

static void test_perms_unlink(void)
{
	mqd_t q = open_attr(QA, O_RDWR, 4, 16);
	CHECK(q >= 0, "open " QA " again");
	pid_t c = fork();
	if (c == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(10);
		if (mq_open(QA, O_RDONLY) != -1 || errno != EACCES)
			_exit(1);
		if (mq_unlink(QA) != -1 || errno != EACCES)
			_exit(2);
		struct mq_attr a = {.mq_maxmsg = 11, .mq_msgsize = 16};
		if (mq_open(QB, O_RDWR | O_CREAT, 0644, &a) != -1 || errno != EINVAL)
			_exit(3);
		a.mq_maxmsg = 10;
		mqd_t m = mq_open(QB, O_RDWR | O_CREAT, 0644, &a);
		if (m < 0)
			_exit(4);
		_exit(mq_unlink(QB) == 0 ? 0 : 5);
	}
	CHECK_EQ(t_exit_code(c), 0, "another user: EACCES to open and unlink; the unprivileged maxima");

	/* Unlinked, the queue lives on while open. */
	CHECK(mq_unlink(QA) == 0, "unlink an open queue");
	CHECK_ERR(mq_open(QA, O_RDWR), ENOENT, "its name is gone");
	char buf[64];
	CHECK(mq_send(q, "still", 5, 0) == 0 && mq_receive(q, buf, sizeof buf, NULL) == 5,
	      "the open descriptor still works");
	struct stat st;
	CHECK(fstat(q, &st) == 0 && st.st_nlink == 0, "with no links");
	mqd_t n = mq_open(QA, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	CHECK(n >= 0, "the name can be reused");
	close(n);
	close(q);
}

int main(void)
{
	cleanup();
	test_open();
	test_messages();
	test_blocking();
	test_notify();
	test_perms_unlink();
	cleanup();
	return t_done();
}
