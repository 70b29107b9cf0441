/* filemap: memory-mapped files as Linux does them. MAP_SHARED mappings of a
 * file in a parent and a forked child, read() and write() all see the same
 * bytes (the page cache); MAP_PRIVATE reads the file until its first write
 * copies the page; the mapping holds the file after close and unlink; the
 * tail of the last page reads as zero and pages past it raise SIGBUS
 * (caught with a handler and siglongjmp); ftruncate shrinks what a mapping
 * sees; mprotect, msync, mremap, munmap; memfd_create (shared through
 * fork, "/memfd:NAME (deleted)" in /proc/self/fd and maps, seals); the
 * error cases (EACCES, ENODEV, EINVAL, EBADF). Files live in
 * /tmp/filemap-test, made and removed by the program, so it runs natively
 * whatever file system /tmp is. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1
#define MFD_ALLOW_SEALING 2
#endif

#define D "/tmp/filemap-test"
#define PG 4096

static int memfd(const char *name, unsigned flags)
{
	return syscall(SYS_memfd_create, name, flags);
}

static void cleanup(void)
{
	unlink(D "/f");
	unlink(D "/g");
	unlink(D "/h");
	rmdir(D);
}

/* SIGBUS and SIGSEGV come back here through siglongjmp. */
static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

/* touch reads (or writes) *p and returns the signal it raised, 0 if none. */
static int touch(volatile char *p, int write)
{
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	return got_sig;
}

/* in_file reports whether the file at fd holds s at off. */
static int in_file(int fd, off_t off, const char *s)
{
	char buf[64] = {0};
	size_t n = strlen(s);
	return pread(fd, buf, n, off) == (ssize_t)n && memcmp(buf, s, n) == 0;
}

/* maps_has reports whether /proc/self/maps names s. */
static int maps_has(const char *s)
{
	static char buf[65536];
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0)
		return 0;
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return strstr(buf, s) != NULL;
}

static void shared_mappings(void)
{
	int fd = open(D "/f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create a file");
	CHECK_EQ(write(fd, "hello", 5), 5, "write hello");
	CHECK_EQ(ftruncate(fd, 2 * PG), 0, "ftruncate to two pages");
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap MAP_SHARED");
	CHECK(memcmp(p, "hello", 5) == 0, "the mapping shows the file");
	memcpy(p + PG + 10, "mapped", 6);
	CHECK(in_file(fd, PG + 10, "mapped"), "pread sees a store through the mapping");
	CHECK_EQ(pwrite(fd, "HELLO", 5, 0), 5, "pwrite");
	CHECK(memcmp(p, "HELLO", 5) == 0, "the mapping sees pwrite");

	pid_t pid = fork();
	if (pid == 0) {
		memcpy(p + 100, "child", 5); /* through the inherited mapping */
		int cfd = open(D "/f", O_RDWR);
		char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, PG);
		if (q == MAP_FAILED)
			_exit(2);
		memcpy(q + 200, "own map", 7); /* through the child's own mapping */
		_exit(memcmp(q + 10, "mapped", 6) == 0 ? 0 : 3);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's own mapping sees the parent's store");
	CHECK(memcmp(p + 100, "child", 5) == 0, "the parent sees the child's store (inherited mapping)");
	CHECK(memcmp(p + PG + 200, "own map", 7) == 0, "the parent sees the child's store (its own mapping)");
	CHECK(in_file(fd, PG + 200, "own map"), "and so does read");

	/* The mapping holds the file. */
	CHECK_EQ(close(fd), 0, "close the file");
	CHECK_EQ(unlink(D "/f"), 0, "unlink it");
	CHECK(memcmp(p + 100, "child", 5) == 0, "the mapping still works");
	p[300] = 'x';
	CHECK(maps_has(D "/f (deleted)"), "/proc/self/maps names the deleted file");
	CHECK_EQ(msync(p, 2 * PG, MS_SYNC), 0, "msync MS_SYNC");
	CHECK_ERR(msync(p + 1, PG, MS_SYNC), EINVAL, "msync of an unaligned address");
	CHECK_ERR(msync(p, PG, MS_SYNC | MS_ASYNC), EINVAL, "msync MS_SYNC|MS_ASYNC");

	/* mremap moves the mapping; the file pages go along. */
	char *q = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 16 * PG);
	CHECK(q == p + 16 * PG, "mremap to another place");
	CHECK(q[300] == 'x' && memcmp(q + PG + 10, "mapped", 6) == 0, "mremap keeps the contents");
	CHECK_EQ(munmap(q, 2 * PG), 0, "munmap");
}

static void private_mappings(void)
{
	int fd = open(D "/g", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char page[PG];
	memset(page, 'a', PG);
	CHECK_EQ(write(fd, page, PG), PG, "write page 0");
	memset(page, 'b', PG);
	CHECK_EQ(write(fd, page, PG), PG, "write page 1");

	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED, "mmap MAP_PRIVATE");
	CHECK(p[0] == 'a' && p[PG] == 'b', "the private mapping shows the file");
	CHECK_EQ(pwrite(fd, "X", 1, PG + 1), 1, "pwrite to a page not written through the mapping");
	CHECK(p[PG + 1] == 'X', "the private mapping sees it (not copied yet)");
	p[0] = 'P';
	CHECK(in_file(fd, 0, "a"), "a private store does not reach the file");
	CHECK_EQ(pwrite(fd, "Y", 1, 1), 1, "pwrite to the copied page");
	CHECK(p[0] == 'P' && p[1] == 'a', "the private copy no longer follows the file");

	pid_t pid = fork();
	if (pid == 0) {
		p[PG] = 'C';
		_exit(p[0] == 'P' ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child inherits the private copy");
	CHECK(p[PG] == 'b' && in_file(fd, PG, "b"), "the child's private store is its own");

	/* mprotect: a private mapping of a read-only file may become writable,
	 * a shared one may not. */
	int ro = open(D "/g", O_RDONLY);
	char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(r != MAP_FAILED, "MAP_SHARED PROT_READ of an O_RDONLY file");
	CHECK_ERR(mprotect(r, PG, PROT_READ | PROT_WRITE), EACCES, "mprotect it writable");
	char *w = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 0);
	CHECK_EQ(mprotect(w, PG, PROT_READ | PROT_WRITE), 0, "mprotect a private one writable");
	w[5] = 'W';
	CHECK(r[5] == 'a' && in_file(fd, 5, "a"), "and its store stays private");
	CHECK_EQ(mprotect(r, PG, PROT_NONE), 0, "mprotect PROT_NONE");
	struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO};
	sigaction(SIGSEGV, &sa, NULL);
	CHECK(touch(r, 0) == SIGSEGV && got_code == SEGV_ACCERR, "reading it is SIGSEGV (SEGV_ACCERR)");
	CHECK_EQ(mprotect(r, PG, PROT_READ), 0, "mprotect PROT_READ again");
	CHECK(touch(r, 0) == 0 && r[0] == 'a', "readable again");
	munmap(r, PG);
	munmap(w, PG);
	munmap(p, 2 * PG);
	close(ro);
	close(fd);
}

static void past_eof(void)
{
	struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO};
	sigaction(SIGBUS, &sa, NULL);
	int fd = open(D "/h", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(write(fd, "0123456789", 10), 10, "a file of 10 bytes");
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap three pages of it");
	CHECK(touch(p + 10, 0) == 0 && p[10] == 0 && p[PG - 1] == 0, "the tail of the last page reads zero");
	CHECK(touch(p + PG, 0) == SIGBUS, "reading the next page is SIGBUS");
	CHECK(got_code == BUS_ADRERR && got_addr == p + PG, "si_code BUS_ADRERR, si_addr the address");
	CHECK(touch(p + 2 * PG + 7, 1) == SIGBUS, "writing further on is SIGBUS");
	CHECK(got_addr == p + 2 * PG + 7, "si_addr is the byte");
	char *q = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 4 * PG);
	CHECK(q != MAP_FAILED, "mmap at an offset past the end works");
	CHECK(touch(q, 0) == SIGBUS, "but touching it is SIGBUS");
	munmap(q, PG);

	CHECK_EQ(ftruncate(fd, 2 * PG), 0, "grow the file to two pages");
	CHECK(touch(p + PG, 1) == 0, "the second page works now");
	p[PG + 1] = 'z';
	char *priv = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(priv[PG + 1] == 'z', "a private mapping sees it");
	priv[PG + 2] = 'c'; /* a private copy of page 1 */
	CHECK_EQ(ftruncate(fd, 5), 0, "shrink the file to 5 bytes");
	CHECK(touch(p + PG, 0) == SIGBUS, "the shared mapping loses page 1");
	CHECK(touch(priv + PG, 0) == SIGBUS, "so does the private one, its copy included");
	CHECK(touch(p + 5, 0) == 0 && p[5] == 0 && p[6] == 0, "the bytes after the new end read zero");
	CHECK_EQ(ftruncate(fd, PG + 10), 0, "grow it again");
	CHECK(touch(p + PG + 1, 0) == 0 && p[PG + 1] == 0, "the page comes back as zeros");
	munmap(priv, 2 * PG);
	munmap(p, 3 * PG);
	close(fd);
}

static void errors(void)
{
	int fd = open(D "/h", O_RDWR);
	int ro = open(D "/h", O_RDONLY);
	int wo = open(D "/h", O_WRONLY);
	CHECK_ERR(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES,
		  "PROT_WRITE|MAP_SHARED of an O_RDONLY file is EACCES");
	CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) != MAP_FAILED,
	      "PROT_WRITE|MAP_PRIVATE of it is fine");
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0), EACCES, "any mapping of an O_WRONLY file is EACCES");
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 100), EINVAL, "an unaligned offset is EINVAL");
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0), EINVAL, "length 0 is EINVAL");
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_SHARED, 999, 0), EBADF, "a closed descriptor is EBADF");
	int pfd[2];
	pipe(pfd);
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_SHARED, pfd[0], 0), ENODEV, "a pipe is ENODEV");
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_SHARED, pfd[1], 0), EACCES, "its write end is EACCES");
	int null = open("/dev/null", O_RDWR);
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_SHARED, null, 0), ENODEV, "/dev/null is ENODEV");
	int dir = open(D, O_RDONLY | O_DIRECTORY);
	CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dir, 0), ENODEV, "a directory is ENODEV");
	int zero = open("/dev/zero", O_RDWR);
	char *z = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
	CHECK(z != MAP_FAILED && z[100] == 0, "/dev/zero maps zeros");
	int exe = open("/proc/self/exe", O_RDONLY);
	char *e = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, exe, 0);
	CHECK(e != MAP_FAILED && memcmp(e, "\177ELF", 4) == 0, "the program's own executable maps");
	close(exe);
	close(fd), close(ro), close(wo), close(pfd[0]), close(pfd[1]), close(null), close(dir), close(zero);
}

static void memfds(void)
{
	int fd = memfd("tamix", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd_create");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "MFD_CLOEXEC sets FD_CLOEXEC");
	char path[64], link[128] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	readlink(path, link, sizeof link - 1);
	CHECK(strcmp(link, "/memfd:tamix (deleted)") == 0, "its /proc/self/fd link is /memfd:tamix (deleted)");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0, "an empty regular file");
	CHECK_EQ(ftruncate(fd, PG), 0, "ftruncate");
	char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap it shared");
	CHECK(maps_has("/memfd:tamix (deleted)"), "/proc/self/maps names it");
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(p, "from the child");
		_exit(0);
	}
	int s;
	waitpid(pid, &s, 0);
	CHECK(strcmp(p, "from the child") == 0, "the parent sees the child's store");
	CHECK(in_file(fd, 0, "from the child"), "read sees it");
	CHECK_EQ(madvise(p, PG, MADV_REMOVE), 0, "MADV_REMOVE punches the page out");
	CHECK(p[0] == 0 && p[5] == 0, "it reads back as zeros");
	char z[3] = {1, 1, 1};
	CHECK(pread(fd, z, 3, 0) == 3 && !z[0] && !z[1] && !z[2] && fstat(fd, &st) == 0 && st.st_size == PG,
	      "in the file too, whose size stays");
	char *priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK_ERR(madvise(priv, PG, MADV_REMOVE), EACCES, "MADV_REMOVE of a private mapping is EACCES");
	munmap(priv, PG);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL, "without MFD_ALLOW_SEALING it is sealed with F_SEAL_SEAL");
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM, "so F_ADD_SEALS is EPERM");
	munmap(p, PG);
	close(fd);

	fd = memfd("sealed", MFD_ALLOW_SEALING);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0, "MFD_ALLOW_SEALING: no seals");
	CHECK_EQ(write(fd, "12345678", 8), 8, "write");
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, "F_SEAL_WRITE with a shared writable mapping is EBUSY");
	munmap(p, PG);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0, "seal shrink, grow and write");
	CHECK_ERR(write(fd, "x", 1), EPERM, "write is EPERM");
	CHECK_ERR(ftruncate(fd, 4), EPERM, "shrinking is EPERM");
	CHECK_ERR(ftruncate(fd, 2 * PG), EPERM, "growing is EPERM");
	CHECK_ERR(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM,
		  "a shared writable mapping is EPERM");
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED && memcmp(p, "12345678", 8) == 0, "a private mapping is fine");
	p[0] = '!';
	CHECK(in_file(fd, 0, "1"), "and its store stays private");
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0, "F_SEAL_SEAL");
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM, "then no more seals");
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE, "F_GET_SEALS");
	CHECK_ERR(fcntl(0 + open("/dev/null", O_RDONLY), F_GET_SEALS), EINVAL, "F_GET_SEALS of /dev/null is EINVAL");
	munmap(p, PG);
	close(fd);
	CHECK_ERR(memfd("x", 0x100), EINVAL, "an unknown flag is EINVAL");
	char longname[300];
	memset(longname, 'n', 250);
	longname[250] = 0;
	CHECK_ERR(memfd(longname, 0), EINVAL, "a name of 250 bytes is EINVAL");
	longname[249] = 0;
	fd = memfd(longname, 0);
	CHECK(fd >= 0, "249 bytes is fine");
	close(fd);
}

int main(void)
{
	cleanup();
	if (mkdir(D, 0755) != 0) {
		t_printf("mkdir %s: %s\n", D, strerror(errno));
		return 1;
	}
	shared_mappings();
	private_mappings();
	past_eof();
	errors();
	memfds();
	cleanup();
	return t_done();
}
