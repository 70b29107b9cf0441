/* clone3: kernel_clone through struct clone_args.
 *
 * The size rules (EINVAL below VER0, E2BIG above a page or for non-zero
 * bytes past the known structure), clone3_args_valid's EINVAL cases, a plain
 * fork, CLONE_PIDFD (and with the old clone), CLONE_CLEAR_SIGHAND keeping
 * ignored signals, set_tid (a chosen PID; EEXIST, EPERM without privilege,
 * EINVAL for 0 or too many levels). */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define CLONE_CLEAR_SIGHAND 0x100000000ULL

struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static long clone3(struct clone_args *a, size_t size) { return syscall(SYS_clone3, a, size); }

static void on_usr1(int s) { (void)s; }

int main(void)
{
	struct clone_args a;
	unsigned char big[128];

	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	CHECK_ERR(clone3(&a, 63), EINVAL, "a size below CLONE_ARGS_SIZE_VER0 is EINVAL");
	CHECK_ERR(clone3(&a, 4097), E2BIG, "a size above a page is E2BIG");
	memset(big, 0, sizeof big);
	memcpy(big, &a, sizeof a);
	big[100] = 1;
	CHECK_ERR(clone3((struct clone_args *)big, sizeof big), E2BIG, "non-zero bytes past the known structure are E2BIG");
	CHECK_ERR(syscall(SYS_clone3, (void *)8, sizeof a), EFAULT, "a bad pointer is EFAULT");
	a.flags = SIGCHLD;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "an exit signal in the flags is EINVAL");
	a.flags = 0;
	a.exit_signal = 65;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "exit_signal 65 is EINVAL");
	a.exit_signal = SIGCHLD;
	a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "an exit signal for a thread is EINVAL");
	a.flags = CLONE_PARENT;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "an exit signal with CLONE_PARENT is EINVAL");
	a.flags = 0;
	a.stack = (uint64_t)(uintptr_t)big;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "a stack without a size is EINVAL");
	a.stack = 0;
	a.stack_size = 4096;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "a size without a stack is EINVAL");
	a.stack_size = 0;
	a.flags = CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND is EINVAL");
	a.flags = CLONE_DETACHED;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "CLONE_DETACHED is EINVAL");
	a.flags = 1ULL << 40;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "an unknown flag is EINVAL");
	a.flags = 0;

	/* A plain fork. */
	pid_t p = clone3(&a, sizeof a);
	if (p == 0)
		_exit(getppid() > 0 ? 7 : 1);
	CHECK(p > 0, "clone3 forks");
	CHECK_EQ(t_exit_code(p), 7, "the child returned 0 and exited 7");

	/* CLONE_PIDFD. */
	int pidfd = -1;
	a.flags = CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	p = clone3(&a, sizeof a);
	if (p == 0)
		_exit(3);
	CHECK(p > 0 && pidfd >= 0, "CLONE_PIDFD stores a pidfd");
	CHECK_EQ(fcntl(pidfd, F_GETFD), FD_CLOEXEC, "close-on-exec");
	struct pollfd pf = { pidfd, POLLIN, 0 };
	CHECK_EQ(poll(&pf, 1, 5000), 1, "it polls readable when the child exits");
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PIDFD, pidfd, &si, WEXITED), 0, "waitid(P_PIDFD)");
	CHECK(si.si_pid == p && si.si_status == 3, "reaps that child");
	close(pidfd);
	a.flags = CLONE_PIDFD;
	a.pidfd = 8;
	CHECK_ERR(clone3(&a, sizeof a), EFAULT, "a bad pidfd pointer is EFAULT, and no child is made");
	CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD, "no child");
	/* The old clone: the pidfd goes to parent_tid, so PARENT_SETTID there is EINVAL. */
	pidfd = -1;
	p = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
	if (p == 0)
		_exit(4);
	CHECK(p > 0 && pidfd >= 0, "clone(CLONE_PIDFD) stores a pidfd at parent_tid");
	CHECK_EQ(t_exit_code(p), 4, "that child ran");
	close(pidfd);
	CHECK_ERR(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, 0, 0), EINVAL,
		  "clone with CLONE_PIDFD and CLONE_PARENT_SETTID at one address is EINVAL");
	a.pidfd = 0;

	/* CLONE_CLEAR_SIGHAND: handlers reset, ignored signals stay ignored. */
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	a.flags = CLONE_CLEAR_SIGHAND;
	p = clone3(&a, sizeof a);
	if (p == 0) {
		struct sigaction s1, s2;
		sigaction(SIGUSR1, NULL, &s1);
		sigaction(SIGUSR2, NULL, &s2);
		_exit(s1.sa_handler == SIG_DFL && s2.sa_handler == SIG_IGN ? 0 : 1);
	}
	CHECK_EQ(t_exit_code(p), 0, "CLONE_CLEAR_SIGHAND: SIG_DFL for the handled signal, SIG_IGN kept");
	struct sigaction cur;
	sigaction(SIGUSR1, NULL, &cur);
	CHECK(cur.sa_handler == on_usr1, "the parent keeps its handler");
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);

	/* set_tid: a PID of our choosing. */
	pid_t want = 20000;
	while (kill(want, 0) == 0 || errno != ESRCH)
		want++;
	a.flags = 0;
	a.set_tid = (uint64_t)(uintptr_t)&want;
	a.set_tid_size = 1;
	p = clone3(&a, sizeof a);
	if (p == 0)
		_exit(getpid() == want ? 0 : 1);
	CHECK_EQ(p, want, "set_tid: the child has the chosen PID");
	CHECK_EQ(t_exit_code(p), 0, "and getpid agrees");
	pid_t me = getpid();
	a.set_tid = (uint64_t)(uintptr_t)&me;
	CHECK_ERR(clone3(&a, sizeof a), EEXIST, "set_tid of a PID in use is EEXIST");
	pid_t zero = 0;
	a.set_tid = (uint64_t)(uintptr_t)&zero;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "set_tid 0 is EINVAL");
	a.set_tid_size = 2;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "more set_tid levels than PID namespaces is EINVAL");
	a.set_tid_size = 1;
	a.set_tid = 0;
	CHECK_ERR(clone3(&a, sizeof a), EINVAL, "set_tid_size without set_tid is EINVAL");
	p = fork();
	if (p == 0) {
		if (setuid(1000) != 0)
			_exit(2);
		a.set_tid = (uint64_t)(uintptr_t)&want;
		_exit(clone3(&a, sizeof a) == -1 && errno == EPERM ? 0 : 1);
	}
	CHECK_EQ(t_exit_code(p), 0, "set_tid without CAP_SYS_ADMIN is EPERM");
	return t_done();
}
