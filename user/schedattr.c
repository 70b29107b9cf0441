/* schedattr: sched_setattr and sched_getattr.
 *
 * Policy, nice and real-time priority through struct sched_attr, the
 * KEEP_POLICY/KEEP_PARAMS/RESET_ON_FORK flags, the size rules (0 means
 * VER0, E2BIG with the kernel's size written back, zero tails accepted),
 * argument errors, and EPERM for an unprivileged nice decrease. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};
#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20

static long setattr(pid_t pid, void *a, unsigned flags) { return syscall(SYS_sched_setattr, pid, a, flags); }
static long getattr(pid_t pid, void *a, unsigned size, unsigned flags)
{
	return syscall(SYS_sched_getattr, pid, a, size, flags);
}

static struct sched_attr get(void)
{
	struct sched_attr a;
	memset(&a, 0xff, sizeof a);
	getattr(0, &a, sizeof a, 0);
	return a;
}

int main(void)
{
	struct sched_attr a, g;
	unsigned char big[80];

	setpriority(PRIO_PROCESS, 0, 0);
	memset(&a, 0xff, sizeof a);
	CHECK_EQ(getattr(0, &a, sizeof a, 0), 0, "sched_getattr");
	CHECK(a.size == 56 && a.sched_policy == SCHED_OTHER && a.sched_flags == 0 && a.sched_nice == 0 &&
	      a.sched_priority == 0, "SCHED_OTHER, nice 0, size 56");
	CHECK_ERR(getattr(0, &a, 47, 0), EINVAL, "a size below VER0 is EINVAL");
	CHECK_ERR(getattr(0, &a, sizeof a, 1), EINVAL, "flags are EINVAL");
	CHECK_ERR(getattr(-1, &a, sizeof a, 0), EINVAL, "pid -1 is EINVAL");
	CHECK_ERR(getattr(0, NULL, sizeof a, 0), EINVAL, "a NULL attr is EINVAL");
	CHECK_ERR(getattr(999999, &a, sizeof a, 0), ESRCH, "no such process is ESRCH");
	memset(big, 0xee, sizeof big);
	CHECK_EQ(getattr(0, big, 48, 0), 0, "sched_getattr with a VER0 buffer");
	CHECK(big[0] == 48 && big[48] == 0xee, "only 48 bytes written, size says 48");

	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.sched_policy = SCHED_OTHER;
	a.sched_nice = 5;
	CHECK_EQ(setattr(0, &a, 0), 0, "sched_setattr nice 5");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5, "getpriority sees nice 5");
	a.sched_policy = SCHED_BATCH;
	a.sched_nice = 7;
	CHECK_EQ(setattr(0, &a, 0), 0, "SCHED_BATCH, nice 7");
	g = get();
	CHECK(g.sched_policy == SCHED_BATCH && g.sched_nice == 7, "policy and nice read back");
	a.sched_policy = SCHED_OTHER;
	a.sched_nice = 0;
	a.sched_flags = SCHED_FLAG_KEEP_PARAMS;
	CHECK_EQ(setattr(0, &a, 0), 0, "SCHED_FLAG_KEEP_PARAMS");
	g = get();
	CHECK(g.sched_policy == SCHED_BATCH && g.sched_nice == 7, "KEEP_PARAMS keeps policy and nice alike");
	a.sched_policy = SCHED_FIFO;
	a.sched_nice = 8;
	a.sched_flags = SCHED_FLAG_KEEP_POLICY;
	CHECK_EQ(setattr(0, &a, 0), 0, "SCHED_FLAG_KEEP_POLICY");
	g = get();
	CHECK(g.sched_policy == SCHED_BATCH && g.sched_nice == 8, "the policy stayed, the nice changed");
	a.sched_nice = 100;
	a.sched_flags = 0;
	a.sched_policy = SCHED_OTHER;
	CHECK_EQ(setattr(0, &a, 0), 0, "nice 100 is clamped");
	CHECK_EQ(get().sched_nice, 19, "to 19");

	a.sched_policy = SCHED_FIFO;
	a.sched_priority = 10;
	a.sched_flags = SCHED_FLAG_RESET_ON_FORK;
	CHECK_EQ(setattr(0, &a, 0), 0, "SCHED_FIFO 10 with reset-on-fork");
	g = get();
	CHECK(g.sched_policy == SCHED_FIFO && g.sched_priority == 10 && g.sched_flags == SCHED_FLAG_RESET_ON_FORK &&
	      g.sched_nice == 0, "FIFO 10, the flag, and no nice reported for RT");
	CHECK_EQ(syscall(SYS_sched_getscheduler, 0), SCHED_FIFO | SCHED_RESET_ON_FORK, "sched_getscheduler agrees");
	pid_t p = fork();
	if (p == 0) {
		struct sched_attr c = get();
		_exit(c.sched_policy == SCHED_OTHER && c.sched_flags == 0 ? 0 : 1);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child was reset to SCHED_OTHER");
	a.sched_priority = 0;
	CHECK_ERR(setattr(0, &a, 0), EINVAL, "FIFO with priority 0 is EINVAL");
	a.sched_priority = 100;
	CHECK_ERR(setattr(0, &a, 0), EINVAL, "priority 100 is EINVAL");
	a.sched_policy = SCHED_OTHER;
	a.sched_priority = 0;
	a.sched_nice = 0;
	a.sched_flags = 0;
	CHECK_EQ(setattr(0, &a, 0), 0, "back to SCHED_OTHER");

	/* Sizes and flags. */
	a.size = 0;
	CHECK_EQ(setattr(0, &a, 0), 0, "size 0 means VER0");
	a.size = 40;
	CHECK_ERR(setattr(0, &a, 0), E2BIG, "size 40 is E2BIG");
	CHECK_EQ(a.size, 56, "and the kernel's size is written back");
	memset(big, 0, sizeof big);
	memcpy(big, &a, sizeof a);
	((struct sched_attr *)big)->size = sizeof big;
	CHECK_EQ(setattr(0, big, 0), 0, "a larger size with a zero tail is fine");
	big[70] = 1;
	CHECK_ERR(setattr(0, big, 0), E2BIG, "a non-zero tail is E2BIG");
	a.size = sizeof a;
	a.sched_flags = 0x80;
	CHECK_ERR(setattr(0, &a, 0), EINVAL, "an unknown flag is EINVAL");
	a.size = 48;
	a.sched_flags = SCHED_FLAG_UTIL_CLAMP_MIN;
	CHECK_ERR(setattr(0, &a, 0), EINVAL, "utilization clamping needs a VER1 size");
	a.size = sizeof a;
	a.sched_flags = 0;
	CHECK_ERR(setattr(0, &a, 1), EINVAL, "flags are EINVAL");
	CHECK_ERR(setattr(-1, &a, 0), EINVAL, "pid -1 is EINVAL");
	CHECK_ERR(setattr(999999, &a, 0), ESRCH, "no such process is ESRCH");
	a.sched_policy = 42;
	CHECK_ERR(setattr(0, &a, 0), EINVAL, "an unknown policy is EINVAL");

	p = fork();
	if (p == 0) {
		setrlimit(RLIMIT_NICE, &(struct rlimit){ 0, 0 });
		if (setuid(1000) != 0)
			_exit(2);
		struct sched_attr c = { .size = sizeof c, .sched_policy = SCHED_OTHER, .sched_nice = 3 };
		int ok = setattr(0, &c, 0) == 0;
		c.sched_nice = 1;
		ok &= setattr(0, &c, 0) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged: nice up is fine, back down is EPERM");
	return t_done();
}
