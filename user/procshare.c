/* procshare: what tasks share, seen and changed from user space.
 *
 * kcmp between processes, a CLONE_FILES/CLONE_FS child and a thread (VM,
 * FILES, FS, SIGHAND, FILE, SYSVSEM, and its errors); a CLONE_FS child's
 * chdir moving its parent; unshare of the descriptor table and fs_struct;
 * process_vm_readv/writev into another process; pidfd_getfd. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_FS 3
#define KCMP_SIGHAND 4
#define KCMP_SYSVSEM 6

static long kcmp(pid_t a, pid_t b, int type, long i1, long i2) { return syscall(SYS_kcmp, a, b, type, i1, i2); }

static pid_t pauser(void)
{
	pid_t p = fork();
	if (p == 0)
		for (;;)
			pause();
	return p;
}

static void end(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

static pid_t thread_tid;
static volatile int thread_done;
static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	while (!thread_done)
		sched_yield();
	return NULL;
}

static void test_kcmp(void)
{
	pid_t me = getpid();
	int fd = open("/dev/null", O_RDONLY);
	CHECK_EQ(kcmp(me, me, KCMP_VM, 0, 0), 0, "kcmp of itself: the same mm");
	pid_t c = pauser();
	CHECK(kcmp(me, c, KCMP_VM, 0, 0) > 0, "a forked child has its own mm");
	CHECK(kcmp(me, c, KCMP_FILES, 0, 0) > 0, "and its own descriptor table");
	CHECK(kcmp(me, c, KCMP_FS, 0, 0) > 0, "and fs_struct");
	CHECK(kcmp(me, c, KCMP_SIGHAND, 0, 0) > 0, "and handlers");
	long ab = kcmp(me, c, KCMP_VM, 0, 0), ba = kcmp(c, me, KCMP_VM, 0, 0);
	CHECK((ab == 1 && ba == 2) || (ab == 2 && ba == 1), "the order is consistent both ways");
	CHECK_EQ(kcmp(me, c, KCMP_FILE, fd, fd), 0, "an inherited descriptor is the same open file");
	int fd2 = open("/dev/null", O_RDONLY);
	CHECK(kcmp(me, me, KCMP_FILE, fd, fd2) > 0, "two opens are two files");
	CHECK_EQ(kcmp(me, c, KCMP_SYSVSEM, 0, 0), 0, "no undo lists yet: equal (both none)");
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct sembuf op = { 0, 1, SEM_UNDO };
	semop(sem, &op, 1);
	CHECK(kcmp(me, c, KCMP_SYSVSEM, 0, 0) > 0, "after a SEM_UNDO semop the parent has its own list");
	semctl(sem, 0, IPC_RMID);
	CHECK_ERR(kcmp(me, c, 99, 0, 0), EINVAL, "an unknown type is EINVAL");
	CHECK_ERR(kcmp(me, c, KCMP_FILE, fd, 999), EBADF, "a closed fd is EBADF");
	CHECK_ERR(kcmp(me, 999999, KCMP_VM, 0, 0), ESRCH, "no such process is ESRCH");
	pid_t u = fork();
	if (u == 0) {
		if (setuid(1000) != 0)
			_exit(2);
		_exit(kcmp(getpid(), me, KCMP_VM, 0, 0) == -1 && errno == EPERM ? 0 : 1);
	}
	CHECK_EQ(t_exit_code(u), 0, "another user's process: EPERM");
	end(c);
	close(fd2);

	/* CLONE_FILES: one table; unshare(CLONE_FILES) splits it. */
	int sync[2], back[2];
	pipe(sync);
	pipe(back);
	c = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		char b;
		read(sync[0], &b, 1);
		if (unshare(CLONE_FILES) != 0)
			_exit(3);
		close(fd); /* only its own copy now */
		write(back[1], "u", 1);
		for (;;)
			pause();
	}
	CHECK_EQ(kcmp(me, c, KCMP_FILES, 0, 0), 0, "a CLONE_FILES child shares the table");
	CHECK(kcmp(me, c, KCMP_VM, 0, 0) > 0, "but not the mm");
	write(sync[1], "g", 1);
	char b;
	read(back[0], &b, 1);
	CHECK(kcmp(me, c, KCMP_FILES, 0, 0) > 0, "after unshare(CLONE_FILES) it has its own");
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "its close did not touch ours");
	end(c);

	/* A thread shares everything. */
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	while (!thread_tid)
		sched_yield();
	CHECK(kcmp(me, thread_tid, KCMP_VM, 0, 0) == 0 && kcmp(me, thread_tid, KCMP_FILES, 0, 0) == 0 &&
	      kcmp(me, thread_tid, KCMP_FS, 0, 0) == 0 && kcmp(me, thread_tid, KCMP_SIGHAND, 0, 0) == 0,
	      "a thread shares mm, files, fs and handlers");
	CHECK_ERR(unshare(CLONE_THREAD), EINVAL, "unshare(CLONE_THREAD) with another thread is EINVAL");
	thread_done = 1;
	pthread_join(th, NULL);
	close(fd);
	close(sync[0]);
	close(sync[1]);
	close(back[0]);
	close(back[1]);
}

static void test_fs_sharing(void)
{
	char cwd[256];
	getcwd(cwd, sizeof cwd);
	pid_t c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
	if (c == 0)
		_exit(chdir("/proc") == 0 ? 0 : 1);
	t_exit_code(c);
	char now[256];
	getcwd(now, sizeof now);
	CHECK(strcmp(now, "/proc") == 0, "a CLONE_FS child's chdir moved its parent too");
	c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		if (unshare(CLONE_FS) != 0)
			_exit(2);
		_exit(chdir("/dev") == 0 ? 0 : 1);
	}
	CHECK_EQ(t_exit_code(c), 0, "unshare(CLONE_FS) in the child");
	getcwd(now, sizeof now);
	CHECK(strcmp(now, "/proc") == 0, "after unshare its chdir is its own");
	c = fork();
	if (c == 0)
		_exit(chdir("/dev") == 0 ? 0 : 1);
	t_exit_code(c);
	getcwd(now, sizeof now);
	CHECK(strcmp(now, "/proc") == 0, "a fork child's chdir is its own");
	chdir(cwd);
	CHECK_EQ(unshare(0), 0, "unshare(0)");
	CHECK_EQ(unshare(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD), 0, "nothing to unshare for a lone thread");
	CHECK_ERR(unshare(CSIGNAL), EINVAL, "an unknown flag is EINVAL");
}

static char secret[64] = "the child's secret";

static void test_process_vm(void)
{
	int sync[2];
	pipe(sync);
	pid_t c = fork();
	if (c == 0) {
		char b;
		read(sync[0], &b, 1); /* the parent wrote into us meanwhile */
		_exit(strcmp(secret, "rewritten by the parent") == 0 ? 0 : 1);
	}
	strcpy(secret, "the parent's own");
	char buf[64] = { 0 }, part[8];
	struct iovec local[2] = { { part, 4 }, { buf, sizeof buf - 4 } };
	struct iovec remote = { secret, 18 };
	CHECK_EQ(process_vm_readv(c, local, 2, &remote, 1, 0), 18, "process_vm_readv copies 18 bytes");
	CHECK(memcmp(part, "the ", 4) == 0 && memcmp(buf, "child's secret", 14) == 0,
	      "the child's memory, scattered over two local buffers");
	struct iovec bad[2] = { { secret, 4 }, { (void *)8, 4 } };
	struct iovec l1 = { buf, 8 };
	CHECK_EQ(process_vm_readv(c, &l1, 1, bad, 2, 0), 4, "a bad second remote range stops the copy after the first");
	CHECK_ERR(process_vm_readv(c, &l1, 1, &bad[1], 1, 0), EFAULT, "nothing copied: EFAULT");
	CHECK_ERR(process_vm_readv(c, &l1, 1, &remote, 1, 1), EINVAL, "flags are EINVAL");
	CHECK_ERR(process_vm_readv(999999, &l1, 1, &remote, 1, 0), ESRCH, "no such process is ESRCH");
	char msg[] = "rewritten by the parent";
	struct iovec w = { msg, sizeof msg };
	struct iovec r = { secret, sizeof msg };
	CHECK_EQ(process_vm_writev(c, &w, 1, &r, 1, 0), (long)sizeof msg, "process_vm_writev");
	write(sync[1], "g", 1);
	CHECK_EQ(t_exit_code(c), 0, "the child sees the parent's write");
	CHECK(strcmp(secret, "the parent's own") == 0, "the parent's copy is its own");
	close(sync[0]);
	close(sync[1]);
}

static void test_pidfd_getfd(void)
{
	int tell[2];
	pipe(tell);
	pid_t c = fork();
	if (c == 0) {
		int p[2];
		pipe(p);
		write(p[1], "hi", 2);
		write(tell[1], &p[0], sizeof p[0]);
		for (;;)
			pause();
	}
	int target;
	read(tell[0], &target, sizeof target);
	int pidfd = syscall(SYS_pidfd_open, c, 0);
	int fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
	CHECK(fd >= 0, "pidfd_getfd");
	char b[4] = { 0 };
	CHECK(read(fd, b, 2) == 2 && memcmp(b, "hi", 2) == 0, "the child's pipe, readable here");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "close-on-exec");
	CHECK_ERR(syscall(SYS_pidfd_getfd, pidfd, target, 1), EINVAL, "flags are EINVAL");
	CHECK_ERR(syscall(SYS_pidfd_getfd, pidfd, 999, 0), EBADF, "a closed target fd is EBADF");
	CHECK_ERR(syscall(SYS_pidfd_getfd, tell[0], target, 0), EBADF, "not a pidfd: EBADF");
	end(c);
	CHECK_ERR(syscall(SYS_pidfd_getfd, pidfd, target, 0), ESRCH, "after the process is gone: ESRCH");
	close(fd);
	close(pidfd);
}

int main(void)
{
	test_kcmp();
	test_fs_sharing();
	test_process_vm();
	test_pidfd_getfd();
	return t_done();
}
