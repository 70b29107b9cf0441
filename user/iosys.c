/* iosys: select/pselect6, pread/pwrite/preadv/pwritev, mremap, msync and
 * mincore, as Linux does them.
 *
 * select on pipes (readable after a write, writable until full, hang-up,
 * timeout 0, a timeout that expires, EBADF, nfds edge cases: negative,
 * bits at or above nfds, nfds beyond the descriptor table, the time left
 * written back by the raw system call), pselect6 with a signal mask
 * (delivery, restored mask, a ready fd wins over a pending signal),
 * select interrupted by a signal despite SA_RESTART; pread/pwrite on the
 * program's own binary (/proc/self/exe on Linux, /bin/iosys in tamix: the
 * path is never printed), /dev/null, /dev/zero, a directory, ESPIPE on
 * pipes and the terminal, the file offset unchanged; mremap grow in place,
 * grow by moving, shrink, MREMAP_FIXED, contents kept and copy-on-write
 * intact across fork; msync and mincore errors and residency. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define PG 4096

static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

/* select with a zero timeout on fd in one set (0 read, 1 write, 2 except):
 * returns select's result, *isset whether the bit stayed set */
static int sel1(int fd, int which, int *isset)
{
	fd_set s[3];
	for (int i = 0; i < 3; i++)
		FD_ZERO(&s[i]);
	FD_SET(fd, &s[which]);
	struct timeval tv = { 0, 0 };
	int n = select(fd + 1, &s[0], &s[1], &s[2], &tv);
	*isset = FD_ISSET(fd, &s[which]);
	return n;
}

static void select_pipes(void)
{
	int p[2], set;
	char buf[PG];
	CHECK(pipe(p) == 0, "pipe");
	CHECK(sel1(p[0], 0, &set) == 0 && !set, "empty pipe: not readable, bit cleared");
	CHECK(sel1(p[1], 1, &set) == 1 && set, "pipe write end: writable");
	CHECK(sel1(p[0], 1, &set) == 0 && !set, "read end in writefds: never writable");
	write(p[1], "x", 1);
	CHECK(sel1(p[0], 0, &set) == 1 && set, "readable after a write");
	CHECK(sel1(p[0], 2, &set) == 0 && !set, "no exceptional condition on a pipe");

	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	struct timeval tv = { 0, 0 };
	int n = select(p[1] + 1, &r, &w, NULL, &tv);
	CHECK(n == 2 && FD_ISSET(p[0], &r) && !FD_ISSET(p[1], &r) && FD_ISSET(p[1], &w) && !FD_ISSET(p[0], &w),
	      "both sets at once: one bit per ready fd, the rest cleared");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	n = syscall(SYS_select, p[1] + 1, &r, &w, &r, &tv);
	CHECK(n == 2 && !FD_ISSET(p[0], &r), "the same fd_set as readfds and exceptfds: exceptfds is written last");
	read(p[0], buf, 1);

	/* Fill the pipe: not writable any more; one page read makes room. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(buf, 'f', sizeof buf);
	int total = 0;
	while (write(p[1], buf, sizeof buf) == sizeof buf)
		total += sizeof buf;
	CHECK(total == 65536, "pipe holds 64 KiB");
	CHECK(sel1(p[1], 1, &set) == 0 && !set, "full pipe: not writable");
	read(p[0], buf, sizeof buf);
	CHECK(sel1(p[1], 1, &set) == 1 && set, "writable again after a page was read");
	for (; total > PG; total -= PG)
		read(p[0], buf, sizeof buf);

	/* A timeout that expires. */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 0, 20000 };
	CHECK(select(p[0] + 1, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &r), "20 ms timeout expires: 0, set cleared");
	tv = (struct timeval){ 0, 10000 };
	CHECK(select(0, NULL, NULL, NULL, &tv) == 0, "select(0, NULL...) as a sleep");

	/* Hang-up: the read end becomes readable (EOF), the write end errors. */
	close(p[1]);
	CHECK(sel1(p[0], 0, &set) == 1 && set, "no writers left: readable (EOF)");
	CHECK(read(p[0], buf, 1) == 0, "and read gives 0");
	close(p[0]);
	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	CHECK(sel1(p[1], 1, &set) == 1 && set, "no readers left: writable (the write will fail)");
	close(p[1]);

	/* /dev/null is always ready. */
	int null = open("/dev/null", O_RDWR);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(null, &r);
	FD_SET(null, &w);
	tv = (struct timeval){ 0, 0 };
	CHECK(select(null + 1, &r, &w, NULL, &tv) == 2, "/dev/null readable and writable");
	close(null);
}

static void select_errors(void)
{
	int p[2];
	fd_set r, w;
	struct timeval tv = { 0, 0 };
	pipe(p);
	int closed = p[1] + 1;
	close(closed);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(closed, &r);
	CHECK_ERR(select(closed + 1, &r, NULL, NULL, &tv), EBADF, "a closed fd in readfds: EBADF");
	CHECK(FD_ISSET(p[0], &r) && FD_ISSET(closed, &r), "the sets are left alone after EBADF");
	FD_ZERO(&w);
	FD_SET(closed, &w);
	CHECK_ERR(select(closed + 1, NULL, &w, NULL, &tv), EBADF, "a closed fd in writefds: EBADF");
	FD_ZERO(&r);
	FD_SET(closed, &r);
	CHECK_ERR(select(closed + 1, NULL, NULL, &r, &tv), EBADF, "a closed fd in exceptfds: EBADF");
	CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL, "negative nfds: EINVAL");
	CHECK_ERR(select(INT32_MIN, NULL, NULL, NULL, &tv), EINVAL, "nfds INT_MIN: EINVAL");

	FD_ZERO(&w);
	FD_SET(p[1], &w);
	FD_SET(50, &w);
	CHECK(select(p[1] + 1, NULL, &w, NULL, &tv) == 1, "a bit above nfds is not looked at");
	CHECK(FD_ISSET(p[1], &w) && !FD_ISSET(50, &w), "but its word is written back, cleared");
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	FD_SET(1000, &w);
	CHECK(select(FD_SETSIZE, NULL, &w, NULL, &tv) == 1, "nfds beyond the descriptor table: cut down, no EBADF for fd 1000");
	CHECK(FD_ISSET(1000, &w), "bits beyond the table are not written back");
	CHECK(dup2(p[1], 100) == 100, "dup2 to 100 grows the table");
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	FD_SET(120, &w);
	CHECK_ERR(select(FD_SETSIZE, NULL, &w, NULL, &tv), EBADF, "now fd 120 is inside the table: EBADF");
	FD_CLR(120, &w);
	FD_SET(100, &w);
	CHECK(select(FD_SETSIZE, NULL, &w, NULL, &tv) == 2 && FD_ISSET(100, &w), "fd 100 is selected");
	close(100);

	CHECK_ERR(select(1, (fd_set *)8, NULL, NULL, &tv), EFAULT, "unreadable readfds: EFAULT");
	CHECK(syscall(SYS_select, 0, 8, 8, 8, &tv) == 0, "nfds 0 reads no set");
	CHECK_ERR(syscall(SYS_select, 1, NULL, NULL, NULL, 8), EFAULT, "unreadable timeout: EFAULT");

	/* The raw system call: the timeout is checked and written back. */
	struct timeval t;
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	t = (struct timeval){ 5, 0 };
	CHECK(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &t) == 1, "raw select, 5 s, ready at once");
	CHECK((t.tv_sec == 4 || (t.tv_sec == 5 && t.tv_usec == 0)) && t.tv_usec >= 0 && t.tv_usec < 1000000,
	      "the time left is written back (4.x s)");
	t = (struct timeval){ 0, 0 };
	CHECK(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &t) == 1 && t.tv_sec == 0 && t.tv_usec == 0,
	      "a zero timeout stays zero");
	t = (struct timeval){ 0, 1500000 };
	CHECK(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &t) == 1 && t.tv_sec == 1,
	      "tv_usec of 1.5 s carries into tv_sec");
	t = (struct timeval){ 2, -1000000 };
	CHECK(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &t) == 1 && t.tv_sec == 0,
	      "tv_usec of -1 s borrows from tv_sec");
	t = (struct timeval){ 1, -1 };
	CHECK_ERR(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &t), EINVAL, "negative tv_usec: EINVAL");
	t = (struct timeval){ -1, 0 };
	CHECK_ERR(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &t), EINVAL, "negative tv_sec: EINVAL");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	t = (struct timeval){ 0, 20000 };
	CHECK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &t) == 0 && t.tv_sec == 0 && t.tv_usec == 0,
	      "an expired timeout is written back as 0");
	close(p[0]);
	close(p[1]);
}

static void select_signals(void)
{
	int p[2];
	pipe(p);
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	/* A signal ends select with EINTR, even with SA_RESTART. The child
	 * signals every 50 ms, so one lands inside select however late the
	 * parent gets there. */
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		for (;;) {
			msleep(50);
			kill(parent, SIGUSR1);
		}
	}
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_ERR(select(p[0] + 1, &r, NULL, NULL, NULL), EINTR, "select interrupted by a signal: EINTR despite SA_RESTART");
	CHECK(usr1 >= 1, "the handler ran");
	CHECK(FD_ISSET(p[0], &r), "the set is left as it was");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);

	/* pselect's mask: SIGUSR1 blocked, pending; the mask lets it in. */
	sigset_t block, empty, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	usr1 = 0;
	raise(SIGUSR1);
	CHECK(usr1 == 0, "SIGUSR1 blocked: pending");
	struct timespec z = { 0, 0 }, five = { 5, 0 };
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK(pselect(p[0] + 1, &r, NULL, NULL, &z, &block) == 0 && usr1 == 0,
	      "pselect with a mask that still blocks it: a plain timeout");
	write(p[1], "x", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK(pselect(p[0] + 1, &r, NULL, NULL, &five, &empty) == 1 && usr1 == 0,
	      "a ready fd wins: 1, and the old mask is back before the signal gets in");
	char ch;
	read(p[0], &ch, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_ERR(pselect(p[0] + 1, &r, NULL, NULL, &five, &empty), EINTR, "pselect's mask unblocks the pending signal: EINTR");
	CHECK(usr1 == 1, "the handler ran during pselect");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "the caller's mask is back afterwards");
	raise(SIGUSR1);
	CHECK_ERR(pselect(p[0] + 1, &r, NULL, NULL, &z, &empty), EINTR, "even with a zero timeout a pending signal interrupts");
	CHECK(usr1 == 2, "the handler ran again");

	/* The raw system call: argument pack and timespec. */
	struct { const sigset_t *ss; size_t len; } pack = { &empty, 4 };
	struct timespec ts = { 5, 0 };
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), EINVAL, "pselect6: sigset size 4 is EINVAL");
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, (void *)8), EFAULT, "pselect6: bad argument pack is EFAULT");
	ts = (struct timespec){ 0, 1000000000 };
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, NULL), EINVAL, "pselect6: tv_nsec 1e9 is EINVAL");
	write(p[1], "x", 1);
	ts = (struct timespec){ 5, 0 };
	pack.len = 8;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack) == 1, "pselect6 with a NULL-free pack");
	CHECK(ts.tv_sec == 4 || (ts.tv_sec == 5 && ts.tv_nsec == 0), "pselect6 writes the time left back");
	pack.ss = NULL;
	pack.len = 12345;
	CHECK(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack) == 1, "a NULL sigset ignores its size");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

static void pread_pwrite(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		fd = open("/bin/iosys", O_RDONLY);
	CHECK(fd >= 0, "open the program's own binary");
	struct stat st;
	fstat(fd, &st);
	char a[16], b[16];
	CHECK(pread(fd, a, 4, 0) == 4 && memcmp(a, "\177ELF", 4) == 0, "pread at 0: the ELF magic");
	CHECK(lseek(fd, 100, SEEK_SET) == 100, "lseek to 100");
	CHECK(pread(fd, a, 3, 1) == 3 && memcmp(a, "ELF", 3) == 0, "pread at 1 ignores the offset");
	CHECK(lseek(fd, 0, SEEK_CUR) == 100, "the file offset is unchanged");
	CHECK(read(fd, b, 16) == 16 && pread(fd, a, 16, 100) == 16 && memcmp(a, b, 16) == 0, "pread matches read at the same place");
	CHECK(lseek(fd, 0, SEEK_CUR) == 116, "read moved the offset, pread did not");
	CHECK(pread(fd, a, 16, st.st_size - 2) == 2, "pread at the end: short");
	CHECK(pread(fd, a, 16, st.st_size + 100) == 0, "pread past the end: 0");
	CHECK(pread(fd, a, 0, 0) == 0, "pread of 0 bytes");
	CHECK_ERR(pread(fd, a, 4, -1), EINVAL, "negative offset: EINVAL");
	CHECK_ERR(pread(-1, a, 4, -1), EINVAL, "negative offset is checked before the fd");
	CHECK_ERR(pread(999, a, 4, 0), EBADF, "closed fd: EBADF");
	CHECK_ERR(pwrite(fd, a, 4, 0), EBADF, "pwrite on a read-only fd: EBADF");
	CHECK_ERR(pread(fd, (void *)8, 4, 0), EFAULT, "bad buffer: EFAULT");
	CHECK_ERR(pread(fd, a, 4, INT64_MAX - 2), EINVAL, "offset + count overflows: EINVAL");

	char x[3], y[5];
	struct iovec iov[2] = { { x, 3 }, { y, 5 } };
	CHECK(preadv(fd, iov, 2, 1) == 8 && memcmp(x, "ELF", 3) == 0, "preadv scatters from offset 1");
	CHECK(pread(fd, a, 5, 4) == 5 && memcmp(a, y, 5) == 0, "second iovec holds bytes 4..8");
	CHECK(lseek(fd, 0, SEEK_CUR) == 116, "preadv leaves the offset too");
	CHECK_ERR(preadv(fd, iov, 2, -5), EINVAL, "preadv negative offset: EINVAL");
	CHECK_ERR(preadv(fd, iov, 1025, 0), EINVAL, "preadv iovcnt > IOV_MAX: EINVAL");
	CHECK(preadv(fd, iov, 0, 0) == 0, "preadv of no iovecs");
	close(fd);

	int p[2];
	pipe(p);
	write(p[1], "data", 4);
	CHECK_ERR(pread(p[0], a, 4, 0), ESPIPE, "pread on a pipe: ESPIPE");
	CHECK_ERR(pwrite(p[1], "x", 1, 0), ESPIPE, "pwrite on a pipe: ESPIPE");
	CHECK_ERR(pread(p[1], a, 4, 0), ESPIPE, "pread on a pipe's write end: ESPIPE, before EBADF");
	CHECK_ERR(preadv(p[0], iov, 1, 0), ESPIPE, "preadv on a pipe: ESPIPE");
	CHECK(read(p[0], a, 4) == 4 && memcmp(a, "data", 4) == 0, "the pipe's data is untouched");
	close(p[0]);
	close(p[1]);
	CHECK_ERR(pread(1, a, 1, 0), ESPIPE, "pread on the terminal: ESPIPE");
	CHECK_ERR(pwrite(1, "", 0, 0), ESPIPE, "pwrite on the terminal: ESPIPE");

	int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDONLY);
	CHECK(pread(null, a, 4, 10) == 0, "pread /dev/null: 0");
	CHECK(pwrite(null, "abcd", 4, 1000) == 4, "pwrite /dev/null: all bytes");
	struct iovec wv[2] = { { "ab", 2 }, { "cde", 3 } };
	CHECK(pwritev(null, wv, 2, 0) == 5, "pwritev /dev/null: all bytes");
	CHECK(pwrite(null, (void *)8, 4, 0) == 4, "pwrite /dev/null never reads the buffer");
	memset(a, 'x', sizeof a);
	CHECK(pread(zero, a, 8, 1 << 30) == 8 && a[0] == 0 && a[7] == 0 && a[8] == 'x', "pread /dev/zero: zeros");
	CHECK_ERR(pwrite(zero, "x", 1, 0), EBADF, "pwrite on /dev/zero opened read-only: EBADF");
	close(null);
	close(zero);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_ERR(pread(dir, a, 4, 0), EISDIR, "pread on a directory: EISDIR");
	close(dir);
}

static int filled(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void mremap_tests(void)
{
	unsigned char *m = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap 8 pages");
	memset(m, 'a', 4 * PG);
	CHECK(munmap(m + 4 * PG, 4 * PG) == 0, "unmap the upper half");
	unsigned char *r = mremap(m, 4 * PG, 8 * PG, 0);
	CHECK(r == m, "grow in place into the free range");
	CHECK(filled(r, 4 * PG, 'a') && filled(r + 4 * PG, 4 * PG, 0), "contents kept, new pages zero");
	r = mremap(m, 8 * PG, 2 * PG, 0);
	CHECK(r == m, "shrink in place");
	CHECK_ERR(msync(m + 2 * PG, PG, MS_SYNC), ENOMEM, "the tail is gone");
	CHECK(mremap(m, 2 * PG, 2 * PG, 0) == m, "same size: no-op");

	/* Growth blocked by the next mapping. */
	unsigned char *g = mmap(m + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(g == m + 2 * PG, "map the page after it");
	CHECK(mremap(m, 2 * PG, 3 * PG, 0) == MAP_FAILED && errno == ENOMEM, "no room to grow in place: ENOMEM");
	CHECK(mremap(m, PG, 2 * PG, 0) == MAP_FAILED && errno == ENOMEM, "a range short of the mapping's end cannot grow: ENOMEM");
	memset(m, 'b', 2 * PG);
	r = mremap(m, 2 * PG, 16 * PG, MREMAP_MAYMOVE);
	CHECK(r != MAP_FAILED && r != m, "MREMAP_MAYMOVE moves it");
	CHECK(filled(r, 2 * PG, 'b') && filled(r + 2 * PG, 14 * PG, 0), "moved contents intact, the rest zero");
	CHECK_ERR(msync(m, PG, MS_ASYNC), ENOMEM, "the old range is unmapped");
	munmap(g, PG);

	/* MREMAP_FIXED onto an existing mapping replaces it. */
	unsigned char *d = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(d, 'd', 4 * PG);
	unsigned char *f = mremap(r, 3 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, d + PG);
	CHECK(f == d + PG, "MREMAP_FIXED returns the new address");
	CHECK(filled(d, PG, 'd') && filled(d + PG, 2 * PG, 'b') && filled(d + 3 * PG, PG, 'd'),
	      "it replaced the middle of the destination");
	munmap(r + 3 * PG, 13 * PG);
	munmap(d, 4 * PG);

	/* Errors. */
	unsigned char *e = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_ERR(mremap(e + 1, PG, PG, 0), EINVAL, "unaligned address: EINVAL");
	CHECK_ERR(mremap(e, PG, 0, MREMAP_MAYMOVE), EINVAL, "new size 0: EINVAL");
	CHECK_ERR(mremap(e, PG, PG, 8), EINVAL, "unknown flag: EINVAL");
	CHECK_ERR(mremap(e, PG, PG, MREMAP_FIXED, e + 64 * PG), EINVAL, "MREMAP_FIXED without MAYMOVE: EINVAL");
	CHECK_ERR(mremap(e, 2 * PG, 2 * PG, MREMAP_FIXED | MREMAP_MAYMOVE, e + PG), EINVAL, "overlapping ranges: EINVAL");
	CHECK_ERR(mremap(e, 3 * PG, 4 * PG, MREMAP_MAYMOVE), EFAULT, "range beyond the mapping: EFAULT");
	CHECK_ERR(mremap(e, 0, PG, MREMAP_MAYMOVE), EINVAL, "old size 0 on private memory: EINVAL");
	munmap(e, 2 * PG);
	CHECK_ERR(mremap(e, PG, 2 * PG, MREMAP_MAYMOVE), EFAULT, "unmapped address: EFAULT");

	/* Shared memory: old size 0 maps the same pages again. */
	unsigned char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned char *s2 = mremap(s, 0, PG, MREMAP_MAYMOVE);
	CHECK(s2 != MAP_FAILED && s2 != s, "old size 0 duplicates a shared mapping");
	s[10] = 'z';
	CHECK(s2[10] == 'z', "both addresses show the same page");
	munmap(s, PG);
	munmap(s2, PG);
}

/* mremap after fork: the pages move with their copy-on-write state. */
static void mremap_fork(void)
{
	unsigned char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *dst = mmap(NULL, 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'P', 4 * PG);
	int go[2], done[2];
	pipe(go);
	pipe(done);
	pid_t c = fork();
	if (c == 0) {
		char ch;
		read(go[0], &ch, 1); /* the parent has moved and written its copy */
		int bad = 0;
		if (!filled(m, 4 * PG, 'P'))
			bad |= 1;
		unsigned char *n = mremap(m, 4 * PG, 6 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + PG);
		if (n != dst + PG || !filled(n, 4 * PG, 'P') || !filled(n + 4 * PG, 2 * PG, 0))
			bad |= 2;
		memset(n, 'C', 4 * PG);
		if (!filled(n, 4 * PG, 'C'))
			bad |= 4;
		write(done[1], "d", 1);
		_exit(bad);
	}
	unsigned char *q = mremap(m, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 2 * PG);
	CHECK(q == dst + 2 * PG, "parent moves its copy after fork");
	CHECK(filled(q, 4 * PG, 'P'), "the moved pages hold the data");
	memset(q, 'Q', 2 * PG);
	write(go[1], "g", 1);
	char ch;
	read(done[0], &ch, 1);
	CHECK(filled(q, 2 * PG, 'Q') && filled(q + 2 * PG, 2 * PG, 'P'), "the child's writes stay in the child");
	int st = 0;
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child saw its own copy, moved it and wrote it");
	memset(q + 2 * PG, 'R', 2 * PG);
	CHECK(filled(q + 2 * PG, 2 * PG, 'R'), "the parent writes the pages it shared with the child");
	munmap(dst, 8 * PG);
}

static void msync_mincore(void)
{
	unsigned char *m = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char vec[8];
	munmap(m + 4 * PG, 4 * PG); /* a hole after the 4 pages */
	CHECK(msync(m, 4 * PG, MS_SYNC) == 0, "msync a mapping");
	CHECK(msync(m, 1, MS_ASYNC) == 0, "msync a partial page");
	CHECK(msync(m, 0, MS_SYNC) == 0, "msync of 0 bytes");
	CHECK_ERR(msync(m + 1, PG, MS_SYNC), EINVAL, "msync unaligned: EINVAL");
	CHECK_ERR(msync(m, PG, MS_SYNC | MS_ASYNC), EINVAL, "msync MS_SYNC|MS_ASYNC: EINVAL");
	CHECK_ERR(msync(m, PG, 8), EINVAL, "msync unknown flag: EINVAL");
	CHECK_ERR(msync(m, 8 * PG, MS_SYNC), ENOMEM, "msync past the mapping: ENOMEM");

	memset(vec, 9, sizeof vec);
	CHECK(mincore(m, 4 * PG, vec) == 0 && vec[0] == 0 && vec[1] == 0 && vec[2] == 0 && vec[3] == 0 && vec[4] == 9,
	      "mincore: nothing touched, nothing resident");
	m[PG] = 1;
	m[3 * PG + 5] = 1;
	CHECK(mincore(m, 4 * PG, vec) == 0 && vec[1] == 1 && vec[3] == 1 && ((vec[0] | vec[2]) & ~1) == 0,
	      "mincore: touched pages resident");
	CHECK(mincore(m, PG + 1, vec) == 0, "mincore length rounds up");
	CHECK_ERR(mincore(m + 1, PG, vec), EINVAL, "mincore unaligned: EINVAL");
	CHECK_ERR(mincore(m, 8 * PG, vec), ENOMEM, "mincore past the mapping: ENOMEM");
	CHECK_ERR(mincore(m, PG, (unsigned char *)8), EFAULT, "mincore bad vector: EFAULT");
	munmap(m, 4 * PG);
	CHECK_ERR(mincore(m, PG, vec), ENOMEM, "mincore unmapped: ENOMEM");
}

int main(void)
{
	select_pipes();
	select_errors();
	select_signals();
	pread_pwrite();
	mremap_tests();
	mremap_fork();
	msync_mincore();
	return t_done();
}
