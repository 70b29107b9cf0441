/* syscalls: the system calls a first ring-3 process needs, checked against
 * Linux's documented return values and errno. Prints nothing host-specific.
 * Only return values are checked here; faults have their own programs. */
#define _GNU_SOURCE
#include "tamix_test.h"
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>

#define PG 4096UL

/* Raw system call without touching errno or TLS (for the FS-base tests). */
static long raw2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

/* Kernel's struct sigaction for x86-64 rt_sigaction. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static void handler(int sig) { (void)sig; }

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static long ts_ns(const struct timespec *t) { return t->tv_sec * 1000000000L + t->tv_nsec; }

static void test_rw(void)
{
	static const char o[] = "# a line written to stdout with write(2)\n";
	static const char e[] = "# a line written to stderr with write(2)\n";
	char buf[16];

	CHECK_EQ(write(1, o, sizeof o - 1), sizeof o - 1, "write to fd 1 returns the count");
	CHECK_EQ(write(2, e, sizeof e - 1), sizeof e - 1, "write to fd 2 returns the count");
	CHECK_EQ(write(1, o, 0), 0, "write of 0 bytes returns 0");

	struct iovec iov[3] = {
		{ (void *)"# writev ", 9 }, { (void *)"of three ", 9 }, { (void *)"pieces\n", 7 },
	};
	CHECK_EQ(writev(1, iov, 3), 25, "writev returns the total count");
	struct iovec iov0[2] = { { (void *)"", 0 }, { (void *)"# writev skips empty iovecs\n", 28 } };
	CHECK_EQ(writev(1, iov0, 2), 28, "writev with an empty iovec");
	CHECK_EQ(writev(1, iov, 0), 0, "writev with iovcnt 0 returns 0");
	CHECK_ERR(writev(1, iov, -1), EINVAL, "writev with iovcnt -1 is EINVAL");
	CHECK_ERR(writev(1, iov, 1025), EINVAL, "writev with iovcnt > IOV_MAX is EINVAL");
	CHECK_ERR(writev(99, iov, 3), EBADF, "writev on a bad fd is EBADF");

	CHECK_EQ(read(0, buf, 0), 0, "read of 0 bytes from fd 0 returns 0");
	struct iovec riov = { buf, sizeof buf };
	CHECK_EQ(readv(0, &riov, 0), 0, "readv with iovcnt 0 returns 0");
	CHECK_ERR(readv(0, &riov, -1), EINVAL, "readv with iovcnt -1 is EINVAL");
	CHECK_ERR(read(99, buf, sizeof buf), EBADF, "read on an unused fd is EBADF");
	CHECK_ERR(read(-1, buf, sizeof buf), EBADF, "read on fd -1 is EBADF");
	CHECK_ERR(write(99, o, 1), EBADF, "write on an unused fd is EBADF");
	CHECK_ERR(readv(99, &riov, 1), EBADF, "readv on an unused fd is EBADF");

	CHECK_ERR(write(1, NULL, 8), EFAULT, "write from NULL is EFAULT");
	CHECK_ERR(write(1, (void *)0xffff800000000000UL, 8), EFAULT, "write from 0xffff800000000000 is EFAULT");
	CHECK_ERR(write(1, (void *)0xffffffff80000000UL, 8), EFAULT, "write from 0xffffffff80000000 is EFAULT");
	CHECK_ERR(write(1, (void *)0x10000000UL, 8), EFAULT, "write from unmapped 0x10000000 is EFAULT");
	CHECK_ERR(write(1, (void *)0x0000800000000000UL, 8), EFAULT, "write from a non-canonical address is EFAULT");
	struct iovec biov = { (void *)0xffff800000000000UL, 8 };
	CHECK_ERR(writev(1, &biov, 1), EFAULT, "writev from a kernel address is EFAULT");
	CHECK_ERR(writev(1, (struct iovec *)0xffff800000000000UL, 1), EFAULT, "writev with a kernel iovec pointer is EFAULT");
}

static void test_ids(void)
{
	pid_t pid = getpid();
	CHECK(pid > 0, "getpid is positive");
	CHECK(getpid() == pid, "getpid is stable");
	CHECK(syscall(SYS_gettid) == pid, "gettid == getpid in a single-threaded process");
	CHECK(getppid() != pid, "getppid != getpid");
	CHECK(getppid() >= 0, "getppid is not negative");
	int tidword = 0;
	CHECK(syscall(SYS_set_tid_address, &tidword) == pid, "set_tid_address returns the tid");
	CHECK_EQ(getuid(), 0, "getuid is 0");
	CHECK_EQ(geteuid(), 0, "geteuid is 0");
	CHECK_EQ(getgid(), 0, "getgid is 0");
	CHECK_EQ(getegid(), 0, "getegid is 0");
}

static void test_brk(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	CHECK(cur != 0, "brk(0) returns the current break");
	CHECK((uintptr_t)syscall(SYS_brk, 0) == cur, "brk(0) is stable");

	uintptr_t base = (cur + PG - 1) & ~(PG - 1);
	uintptr_t top = base + 64 * 1024;
	CHECK((uintptr_t)syscall(SYS_brk, top) == top, "brk grows by 64 KiB");
	CHECK((uintptr_t)syscall(SYS_brk, 0) == top, "brk(0) reports the new break");
	unsigned char *p = (unsigned char *)cur;
	CHECK(all_zero(p, top - cur), "new brk memory is zero");
	memset(p, 0xaa, top - cur);
	CHECK(p[0] == 0xaa && p[top - cur - 1] == 0xaa, "new brk memory is writable");

	CHECK((uintptr_t)syscall(SYS_brk, base) == base, "brk shrinks");
	CHECK((uintptr_t)syscall(SYS_brk, top) == top, "brk grows again");
	CHECK(all_zero((unsigned char *)base, top - base), "memory regrown after a shrink is zero");

	CHECK((uintptr_t)syscall(SYS_brk, 0x7fffffffffffUL) == top, "brk to an impossible address fails and returns the current break");
	CHECK((uintptr_t)syscall(SYS_brk, 0xffff800000000000UL) == top, "brk into kernel space fails and returns the current break");
	CHECK((uintptr_t)syscall(SYS_brk, 0x1000) == top, "brk below its start fails and returns the current break");
	CHECK((uintptr_t)syscall(SYS_brk, cur) == cur, "brk back to the original break");
}

static void test_mmap(void)
{
	unsigned char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap anonymous private 3 pages");
	if (p == MAP_FAILED)
		return;
	CHECK(((uintptr_t)p & (PG - 1)) == 0, "mmap result is page aligned");
	CHECK(all_zero(p, 3 * PG), "mmap anonymous memory is zero");
	memset(p, 0x5a, 3 * PG);
	CHECK(p[0] == 0x5a && p[3 * PG - 1] == 0x5a, "mmap anonymous memory is writable");

	unsigned char *q = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + PG, "mmap MAP_FIXED returns the requested address");
	CHECK(all_zero(p + PG, PG), "MAP_FIXED replaces the old page with a zero page");
	CHECK(p[PG - 1] == 0x5a && p[2 * PG] == 0x5a, "MAP_FIXED leaves the neighbours alone");

	CHECK_EQ(mprotect(p, PG, PROT_READ), 0, "mprotect PROT_READ");
	CHECK(p[0] == 0x5a, "page still readable after mprotect PROT_READ");
	CHECK_EQ(mprotect(p, PG, PROT_READ | PROT_WRITE), 0, "mprotect back to PROT_READ|PROT_WRITE");
	p[0] = 1;
	CHECK(p[0] == 1, "page writable again");
	CHECK_ERR(syscall(SYS_mprotect, p + 1, PG, PROT_READ), EINVAL, "mprotect of an unaligned address is EINVAL");

	CHECK_EQ(madvise(p + 2 * PG, PG, MADV_DONTNEED), 0, "madvise MADV_DONTNEED");
	CHECK(all_zero(p + 2 * PG, PG), "MADV_DONTNEED zeroes an anonymous private page");
	CHECK(p[0] == 1, "MADV_DONTNEED leaves other pages alone");

	CHECK_EQ(munmap(p, 3 * PG), 0, "munmap");
	CHECK_EQ(munmap(p, 3 * PG), 0, "munmap of an unmapped range returns 0");
	CHECK_ERR(mprotect(p, PG, PROT_READ), ENOMEM, "mprotect of an unmapped range is ENOMEM");

	unsigned char *n = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(n != MAP_FAILED, "mmap PROT_NONE");
	CHECK_EQ(mprotect(n, PG, PROT_READ | PROT_WRITE), 0, "mprotect PROT_NONE to read/write");
	n[100] = 7;
	CHECK(n[100] == 7 && n[0] == 0, "PROT_NONE page usable after mprotect");
	CHECK_EQ(munmap(n, PG), 0, "munmap after mprotect");

	unsigned char *big = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(big != MAP_FAILED, "mmap 1 MiB");
	if (big != MAP_FAILED) {
		for (size_t i = 0; i < (1 << 20); i += PG)
			big[i] = (unsigned char)(i >> 12);
		int good = 1;
		for (size_t i = 0; i < (1 << 20); i += PG)
			good &= big[i] == (unsigned char)(i >> 12);
		CHECK(good, "every page of 1 MiB holds what was written");
		CHECK_EQ(munmap(big + PG, PG), 0, "munmap one page in the middle");
		CHECK_EQ(munmap(big, 1 << 20), 0, "munmap a range with a hole");
	}

	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
	      "mmap of length 0 is EINVAL");
	CHECK(mmap((void *)0x10001000UL + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED && errno == EINVAL,
	      "mmap MAP_FIXED at an unaligned address is EINVAL");
	CHECK((void *)syscall(SYS_mmap, 0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 123) == MAP_FAILED && errno == EINVAL,
	      "mmap with an unaligned offset is EINVAL");
	CHECK(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
	      "mmap without MAP_PRIVATE or MAP_SHARED is EINVAL");
	CHECK(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED && errno == EBADF,
	      "mmap of a bad fd is EBADF");
	CHECK_ERR(munmap(p + 1, PG), EINVAL, "munmap of an unaligned address is EINVAL");
	CHECK_ERR(munmap(p, 0), EINVAL, "munmap of length 0 is EINVAL");
}

static void test_fs(void)
{
	unsigned long fs = 0;
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0, "arch_prctl ARCH_GET_FS");
	CHECK(fs == (unsigned long)pthread_self(), "FS base is musl's thread pointer");

	/* Point FS at our own block whose first word is a marker, read it back
	 * through %fs, and restore. No libc calls while FS is ours. */
	static unsigned long block[8] __attribute__((aligned(64)));
	block[0] = 0x1234abcd5678ef00UL;
	unsigned long seen = 0, got = 0;
	long r1 = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)block);
	__asm__ volatile("movq %%fs:0, %0" : "=r"(seen));
	long r2 = raw2(SYS_arch_prctl, ARCH_GET_FS, (long)&got);
	long r3 = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)fs);
	CHECK(r1 == 0 && r3 == 0, "arch_prctl ARCH_SET_FS returns 0");
	CHECK(r2 == 0 && got == (unsigned long)block, "ARCH_GET_FS returns the value set");
	CHECK(seen == block[0], "%fs-relative loads use the new FS base");
	CHECK(pthread_self() == (pthread_t)fs, "FS base restored");

	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_SET_FS, 0xffff800000000000UL), EPERM, "ARCH_SET_FS to a kernel address is EPERM");
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_GET_FS, NULL), EFAULT, "ARCH_GET_FS to NULL is EFAULT");
	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL, "arch_prctl with an unknown code is EINVAL");
}

static void test_uname(void)
{
	struct utsname u;
	memset(&u, 0xff, sizeof u);
	CHECK_EQ(uname(&u), 0, "uname");
	CHECK(strcmp(u.sysname, "Linux") == 0, "uname sysname is Linux");
	CHECK(strcmp(u.machine, "x86_64") == 0, "uname machine is x86_64");
	CHECK(memchr(u.release, 0, sizeof u.release) && memchr(u.nodename, 0, sizeof u.nodename),
	      "uname fields are NUL-terminated");
	CHECK_ERR(syscall(SYS_uname, NULL), EFAULT, "uname(NULL) is EFAULT");
}

static void test_time(void)
{
	struct timespec a, b, r;
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0, "clock_gettime CLOCK_MONOTONIC");
	int mono = 1;
	for (int i = 0; i < 1000; i++) {
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		if (ts_ns(&b) < ts_ns(&a))
			mono = 0;
		a = b;
	}
	CHECK(mono, "CLOCK_MONOTONIC never goes backwards");
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L, "tv_nsec in [0, 1e9)");
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_REALTIME, &r), 0, "clock_gettime CLOCK_REALTIME");
	CHECK(r.tv_sec > 0, "CLOCK_REALTIME is after 1970");
	CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &b), 0, "libc clock_gettime");
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &b), 0, "clock_gettime CLOCK_BOOTTIME");
	CHECK_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &b), 0, "clock_getres CLOCK_MONOTONIC");
	CHECK(b.tv_sec == 0 && b.tv_nsec > 0 && b.tv_nsec <= 10000000, "CLOCK_MONOTONIC resolution is at most 10 ms");
	CHECK_ERR(syscall(SYS_clock_gettime, 100, &b), EINVAL, "clock_gettime of a bad clock id is EINVAL");
	CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, NULL), EFAULT, "clock_gettime to NULL is EFAULT");
	CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, 0xffff800000000000UL), EFAULT,
		  "clock_gettime to a kernel address is EFAULT");

	struct timespec d = { 0, 10 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ(nanosleep(&d, NULL), 0, "nanosleep 10 ms");
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(ts_ns(&b) - ts_ns(&a) >= 10 * 1000 * 1000, "nanosleep 10 ms sleeps at least 10 ms");
	struct timespec z = { 0, 0 };
	CHECK_EQ(nanosleep(&z, NULL), 0, "nanosleep 0");
	struct timespec neg = { 0, -1 };
	CHECK_ERR(nanosleep(&neg, NULL), EINVAL, "nanosleep with negative tv_nsec is EINVAL");
	struct timespec negs = { -1, 0 };
	CHECK_ERR(nanosleep(&negs, NULL), EINVAL, "nanosleep with negative tv_sec is EINVAL");
	struct timespec big = { 0, 1000000000L };
	CHECK_ERR(nanosleep(&big, NULL), EINVAL, "nanosleep with tv_nsec of 1e9 is EINVAL");
	CHECK_ERR(syscall(SYS_nanosleep, NULL, NULL), EFAULT, "nanosleep(NULL) is EFAULT");
}

static void test_ioctl(void)
{
	struct termios t;
	struct winsize ws;
	CHECK_EQ(isatty(0), 1, "isatty(0)");
	CHECK_EQ(isatty(1), 1, "isatty(1)");
	CHECK_EQ(isatty(2), 1, "isatty(2)");
	CHECK_EQ(ioctl(1, TCGETS, &t), 0, "ioctl TCGETS on fd 1");
	CHECK_EQ(ioctl(1, TIOCGWINSZ, &ws), 0, "ioctl TIOCGWINSZ on fd 1");
	CHECK_ERR(ioctl(99, TCGETS, &t), EBADF, "ioctl on a bad fd is EBADF");
	CHECK_ERR(ioctl(1, 0x54ff, 0), ENOTTY, "unknown ioctl on the tty is ENOTTY");
	CHECK_ERR(ioctl(1, TCGETS, NULL), EFAULT, "ioctl TCGETS to NULL is EFAULT");
}

static void test_signals(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0, "rt_sigaction installs a SIGUSR1 handler");
	memset(&old, 0, sizeof old);
	CHECK_EQ(sigaction(SIGUSR1, NULL, &old), 0, "rt_sigaction reads the handler back");
	CHECK(old.sa_handler == handler, "handler read back");
	CHECK(old.sa_flags & SA_RESTART, "SA_RESTART read back");
	CHECK(sigismember(&old.sa_mask, SIGUSR2) && !sigismember(&old.sa_mask, SIGINT), "sa_mask read back");
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0, "rt_sigaction restores SIG_DFL");
	CHECK(old.sa_handler == handler, "old action returned while replacing");
	CHECK_EQ(sigaction(SIGKILL, NULL, &old), 0, "reading SIGKILL's action is allowed");
	CHECK(old.sa_handler == SIG_DFL, "SIGKILL's action is SIG_DFL");

	struct ksigaction k = { handler, 0x04000000 /* SA_RESTORER */, NULL, 0 };
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGKILL, &k, NULL, 8), EINVAL, "rt_sigaction SIGKILL is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGSTOP, &k, NULL, 8), EINVAL, "rt_sigaction SIGSTOP is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigaction, 0, &k, NULL, 8), EINVAL, "rt_sigaction signal 0 is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigaction, 65, &k, NULL, 8), EINVAL, "rt_sigaction signal 65 is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 4), EINVAL, "rt_sigaction with sigsetsize 4 is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, (void *)0xffff800000000000UL, NULL, 8), EFAULT,
		  "rt_sigaction from a kernel address is EFAULT");

	unsigned long set, got;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &got, 8), 0, "rt_sigprocmask reads the mask");
	CHECK(got == 0, "initial signal mask is empty");
	set = 1UL << (SIGUSR1 - 1);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0, "rt_sigprocmask SIG_BLOCK SIGUSR1");
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &got, 8);
	CHECK(got == set, "SIGUSR1 reads back blocked");
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &got, 8), 0, "rt_sigprocmask SIG_UNBLOCK");
	CHECK(got == set, "old mask returned by SIG_UNBLOCK");
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &got, 8);
	CHECK(got == 0, "SIGUSR1 reads back unblocked");
	set = (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)) | (1UL << (SIGUSR2 - 1));
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8), 0, "rt_sigprocmask SIG_SETMASK with SIGKILL and SIGSTOP");
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &got, 8);
	CHECK(got == 1UL << (SIGUSR2 - 1), "SIGKILL and SIGSTOP cannot be blocked");
	set = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL, "rt_sigprocmask with a bad how is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL, "rt_sigprocmask with sigsetsize 4 is EINVAL");
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)0xffff800000000000UL, NULL, 8), EFAULT,
		  "rt_sigprocmask from a kernel address is EFAULT");
}

static void test_misc(void)
{
	unsigned char a[16], b[16];
	CHECK_EQ(getrandom(a, sizeof a, 0), 16, "getrandom returns the count");
	CHECK_EQ(getrandom(b, sizeof b, GRND_NONBLOCK), 16, "getrandom GRND_NONBLOCK returns the count");
	CHECK(memcmp(a, b, sizeof a) != 0, "two getrandom reads differ");
	CHECK_EQ(getrandom(a, 0, 0), 0, "getrandom of 0 bytes returns 0");
	CHECK_ERR(getrandom(a, sizeof a, 0x100), EINVAL, "getrandom with bad flags is EINVAL");
	CHECK_ERR(getrandom(NULL, 16, 0), EFAULT, "getrandom to NULL is EFAULT");

	CHECK_ERR(syscall(1000), ENOSYS, "unknown system call 1000 is ENOSYS");
	CHECK_ERR(syscall(-1L), ENOSYS, "system call -1 is ENOSYS");
}

int main(void)
{
	test_rw();
	test_ids();
	test_brk();
	test_mmap();
	test_fs();
	test_uname();
	test_time();
	test_ioctl();
	test_signals();
	test_misc();
	return t_done();
}
