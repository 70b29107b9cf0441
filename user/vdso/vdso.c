/* The vDSO: clock_gettime, gettimeofday and time without a system call, as
 * Linux's arch/x86/entry/vdso does. The kernel maps this shared object into
 * every process (AT_SYSINFO_EHDR) with its data page, the vvar page, just
 * below it. The time is the kernel's own formula: the TSC scaled by the
 * factor TamaGo's clock uses, so a vDSO reading and a system call agree to
 * the nanosecond. Clocks it does not know go to the real system call. */
#include <stdint.h>
#include <time.h>
#include <sys/time.h>

/* The vvar page; the kernel fills it (proc.VVar). */
struct vvar {
	double mult;    /* ns per TSC tick */
	int64_t offset; /* ns at TSC 0 */
	int64_t boot;   /* the clock at boot: CLOCK_MONOTONIC's zero */
	int64_t wall;   /* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

/* The ELF header of this object, where the kernel mapped it (GNU ld). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static inline const volatile struct vvar *vvar(void)
{
	return (const volatile struct vvar *)(__ehdr_start - 4096);
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline int64_t monotonic(const volatile struct vvar *v)
{
	return (int64_t)((double)rdtsc() * v->mult) + v->offset - v->boot;
}

static inline long sys2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

int __vdso_clock_gettime(clockid_t clk, struct timespec *ts)
{
	const volatile struct vvar *v = vvar();
	int64_t ns;
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		ns = monotonic(v) + v->wall;
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = monotonic(v);
		break;
	default:
		return (int)sys2(228 /* clock_gettime */, clk, (long)ts);
	}
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

int __vdso_gettimeofday(struct timeval *tv, void *tz)
{
	if (tz)
		return (int)sys2(96 /* gettimeofday */, (long)tv, (long)tz);
	if (tv) {
		int64_t ns = monotonic(vvar()) + vvar()->wall;
		tv->tv_sec = ns / 1000000000;
		tv->tv_usec = ns % 1000000000 / 1000;
	}
	return 0;
}

time_t __vdso_time(time_t *t)
{
	time_t s = (monotonic(vvar()) + vvar()->wall) / 1000000000;
	if (t)
		*t = s;
	return s;
}

int clock_gettime(clockid_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
time_t time(time_t *) __attribute__((weak, alias("__vdso_time")));
