/* altstack: sigaltstack and SA_ONSTACK.
 *
 * The settings and their errors; a handler with SA_ONSTACK runs on the
 * alternate stack (which then reports SS_ONSTACK and refuses changes), one
 * without it on the normal stack; a stack overflow is caught by a SIGSEGV
 * handler on the alternate stack; SS_AUTODISARM disarms it while the handler
 * runs and sigreturn restores it; fork inherits it, execve (not tested
 * here) clears it. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char *alt;
static size_t altsize = 65536;
static volatile int on_alt, nested_err, flags_in_handler;
static sigjmp_buf jb;

static int on(void *p) { return (char *)p >= alt && (char *)p < alt + altsize; }

static void usr1(int s)
{
	(void)s;
	volatile int local;
	on_alt = on((void *)&local);
	stack_t cur, ss = { .ss_sp = alt, .ss_size = altsize };
	sigaltstack(NULL, &cur);
	flags_in_handler = cur.ss_flags;
	errno = 0;
	nested_err = sigaltstack(&ss, NULL) == -1 ? errno : 0;
}

static void segv(int s)
{
	(void)s;
	volatile int local;
	on_alt = on((void *)&local);
	siglongjmp(jb, 1);
}

static int __attribute__((noinline)) recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

int main(void)
{
	stack_t ss, old;
	struct sigaction sa;

	alt = mmap(NULL, altsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(sigaltstack(NULL, &old), 0, "sigaltstack query");
	CHECK(old.ss_flags == SS_DISABLE && old.ss_size == 0, "no alternate stack at first: SS_DISABLE");
	ss = (stack_t){ .ss_sp = alt, .ss_size = 1000 };
	CHECK_ERR(syscall(SYS_sigaltstack, &ss, NULL), ENOMEM, "a stack under MINSIGSTKSZ is ENOMEM");
	ss = (stack_t){ .ss_sp = alt, .ss_size = altsize, .ss_flags = 5 };
	CHECK_ERR(syscall(SYS_sigaltstack, &ss, NULL), EINVAL, "bad flags are EINVAL");
	CHECK_ERR(syscall(SYS_sigaltstack, (stack_t *)8, NULL), EFAULT, "a bad pointer is EFAULT");
	ss.ss_flags = 0;
	CHECK_EQ(sigaltstack(&ss, &old), 0, "set a 64 KiB alternate stack");
	CHECK(old.ss_flags == SS_DISABLE, "the old setting comes back");
	CHECK_EQ(sigaltstack(NULL, &old), 0, "query again");
	CHECK(old.ss_sp == alt && old.ss_size == altsize && old.ss_flags == 0, "sp, size, flags 0 (not on it)");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = usr1;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	CHECK(on_alt, "an SA_ONSTACK handler runs on the alternate stack");
	CHECK_EQ(flags_in_handler, SS_ONSTACK, "where sigaltstack reports SS_ONSTACK");
	CHECK_EQ(nested_err, EPERM, "and refuses a change: EPERM");
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	CHECK(!on_alt, "a handler without SA_ONSTACK runs on the normal stack");
	CHECK_EQ(flags_in_handler, 0, "where the alternate stack is reported idle");

	/* A stack overflow, caught on the alternate stack. */
	sa.sa_handler = segv;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	on_alt = 0;
	if (sigsetjmp(jb, 1) == 0)
		recurse(0);
	CHECK(on_alt, "a stack overflow's SIGSEGV is handled on the alternate stack");
	signal(SIGSEGV, SIG_DFL);

	/* SS_AUTODISARM. */
	ss.ss_flags = SS_AUTODISARM;
	CHECK_EQ(sigaltstack(&ss, NULL), 0, "SS_AUTODISARM");
	sa.sa_handler = usr1;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	CHECK(on_alt, "the handler still runs on it");
	CHECK_EQ(flags_in_handler, SS_DISABLE, "but it is disarmed meanwhile (SS_DISABLE)");
	CHECK_EQ(nested_err, 0, "so it may even be changed in the handler");
	CHECK_EQ(sigaltstack(NULL, &old), 0, "after the handler");
	CHECK(old.ss_sp == alt && old.ss_size == altsize && old.ss_flags == 0,
	      "sigreturn restored the stack saved in uc_stack (its flags without SS_AUTODISARM, as Linux saves them)");

	pid_t p = fork();
	if (p == 0) {
		stack_t c;
		sigaltstack(NULL, &c);
		_exit(c.ss_sp == alt && c.ss_size == altsize ? 0 : 1);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork inherits the alternate stack");
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ(sigaltstack(&ss, NULL), 0, "SS_DISABLE");
	sigaltstack(NULL, &old);
	CHECK(old.ss_flags == SS_DISABLE && old.ss_size == 0 && old.ss_sp == NULL, "forgotten");
	return t_done();
}
