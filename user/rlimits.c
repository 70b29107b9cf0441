/* rlimits: resource limits that stop a process.
 *
 * RLIMIT_FSIZE: a write crossing the limit is cut short, one at the limit
 * fails with EFBIG and raises SIGXFSZ (ignored, caught, or killing by
 * default), as do pwrite and growing ftruncate; shrinking is fine.
 * RLIMIT_NOFILE: EMFILE. RLIMIT_CPU: SIGXCPU at the soft limit and each
 * second after it (the soft limit moving up), SIGKILL at the hard one.
 * Raising a hard limit needs CAP_SYS_RESOURCE. RLIMIT_AS and RLIMIT_DATA:
 * mmap is ENOMEM and brk stays put past them. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static char path[64];
static volatile int xfsz;
static void on_xfsz(int s) { (void)s; xfsz++; }

static void fsize(void)
{
	static char buf[8000];
	setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 10000, RLIM_INFINITY });
	signal(SIGXFSZ, on_xfsz);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	CHECK_EQ(write(fd, buf, sizeof buf), 8000, "8000 bytes under a 10000-byte limit");
	CHECK_EQ(write(fd, buf, sizeof buf), 2000, "the next write is cut short at the limit");
	CHECK_EQ(xfsz, 0, "no signal for a short write");
	CHECK_ERR(write(fd, buf, 1), EFBIG, "a write at the limit is EFBIG");
	CHECK_EQ(xfsz, 1, "and raises SIGXFSZ");
	CHECK_EQ(write(fd, buf, 0), 0, "a zero-length write is not checked");
	CHECK_ERR(pwrite(fd, buf, 10, 20000), EFBIG, "pwrite past the limit is EFBIG");
	CHECK_EQ(pwrite(fd, buf, 10, 9995), 5, "pwrite across it is cut short");
	CHECK_ERR(ftruncate(fd, 20000), EFBIG, "growing ftruncate past the limit is EFBIG");
	CHECK_EQ(xfsz, 3, "each raised SIGXFSZ");
	CHECK_EQ(ftruncate(fd, 5000), 0, "shrinking is fine");
	int ap = open(path, O_WRONLY | O_APPEND);
	CHECK_EQ(write(ap, buf, sizeof buf), 5000, "an O_APPEND write is limited from the end of the file");
	close(ap);
	signal(SIGXFSZ, SIG_IGN);
	CHECK_ERR(write(fd, buf, 1), EFBIG, "with SIGXFSZ ignored: EFBIG all the same");
	close(fd);
	pid_t p = fork();
	if (p == 0) {
		signal(SIGXFSZ, SIG_DFL);
		int f = open(path, O_WRONLY | O_APPEND);
		write(f, buf, 1);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ, "by default SIGXFSZ kills");
	unlink(path);
}

static void nofile(void)
{
	setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 10, 10 });
	int n = 0, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	int e = errno;
	CHECK_EQ(e, EMFILE, "past RLIMIT_NOFILE: EMFILE");
	CHECK_EQ(n, 7, "with 0-2 open, 7 more fit under 10");
	CHECK_ERR(dup2(0, 10), EBADF, "dup2 to an fd at the limit is EBADF");
}

static volatile int xcpu;
static void on_xcpu(int s) { (void)s; xcpu++; }

static void cpu(void)
{
	signal(SIGXCPU, on_xcpu);
	setrlimit(RLIMIT_CPU, &(struct rlimit){ 1, 3 });
	while (xcpu < 2)
		;
	struct rlimit r;
	getrlimit(RLIMIT_CPU, &r);
	CHECK(r.rlim_cur == 3 && r.rlim_max == 3, "after two SIGXCPU the soft limit has moved up to 3 s");
	for (;;)
		; /* until SIGKILL at the hard limit */
}

static void vm(void)
{
	const size_t M = 1 << 20;
	setrlimit(RLIMIT_AS, &(struct rlimit){ 64 * M, RLIM_INFINITY });
	void *p = mmap(NULL, 100 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "mmap past RLIMIT_AS is ENOMEM");
	p = mmap(NULL, 16 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "16 MiB under a 64 MiB RLIMIT_AS");
	munmap(p, 16 * M);
	void *cur = sbrk(0);
	CHECK(sbrk(100 * M) == (void *)-1 && errno == ENOMEM, "sbrk past RLIMIT_AS is ENOMEM");
	CHECK(sbrk(0) == cur, "and the break stays");
	setrlimit(RLIMIT_AS, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY });
	setrlimit(RLIMIT_DATA, &(struct rlimit){ 16 * M, RLIM_INFINITY });
	p = mmap(NULL, 32 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "private writable memory past RLIMIT_DATA is ENOMEM");
	p = mmap(NULL, 32 * M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "a read-only mapping is not data");
	munmap(p, 32 * M);
	p = mmap(NULL, 32 * M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "nor is a shared one");
	munmap(p, 32 * M);
}

static void hard(void)
{
	setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 1000, 2000 });
	CHECK_EQ(setuid(1000), 0, "setuid(1000)");
	CHECK_ERR(setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 1000, 3000 }), EPERM, "raising a hard limit is EPERM");
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 1000, 1500 }), 0, "lowering it is fine");
	CHECK_ERR(setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 1000, 2000 }), EPERM, "and it cannot come back");
	CHECK_ERR(prlimit(getppid(), RLIMIT_FSIZE, NULL, &(struct rlimit){ 0, 0 }), EPERM,
		  "prlimit of root's process is EPERM");
}

int main(void)
{
	strcpy(path, "/tmp/rlimitsXXXXXX");
	int fd = mkstemp(path);
	close(fd);
	pid_t p = fork();
	if (p == 0) {
		fsize();
		_exit(t_fail ? 1 : 0);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_FSIZE");
	unlink(path);
	p = fork();
	if (p == 0) {
		nofile();
		_exit(t_fail ? 1 : 0);
	}
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_NOFILE");
	p = fork();
	if (p == 0) {
		cpu();
		_exit(1);
	}
	waitpid(p, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "RLIMIT_CPU: killed by SIGKILL at the hard limit");
	p = fork();
	if (p == 0) {
		vm();
		_exit(t_fail ? 1 : 0);
	}
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_AS and RLIMIT_DATA");
	p = fork();
	if (p == 0) {
		hard();
		_exit(t_fail ? 1 : 0);
	}
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "hard limits");
	return t_done();
}
