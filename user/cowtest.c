/* cowtest: copy-on-write isolation of globals, heap, stack and anonymous
 * mmap memory across nested forks three deep.
 *
 * "cowtest faults": touches 16 MiB, forks; the child writes one byte in every
 * page and checks that the writes cost between 4096 and 4096+64 minor faults
 * (getrusage ru_minflt); prints ok/not ok, never the count. */
#include "tamix_test.h"
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#define N (64 * 1024)
#define PG 4096

static unsigned char global[N];
static unsigned char *heap, *anon;

static int filled(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int check_all(unsigned char *stack, unsigned char v)
{
	int bad = 0;
	if (!filled(global, N, v)) bad |= 1;
	if (!filled(heap, N, v)) bad |= 2;
	if (!filled(stack, N, v)) bad |= 4;
	if (!filled(anon, N, v)) bad |= 8;
	return bad;
}

static void fill_all(unsigned char *stack, unsigned char v)
{
	memset(global, v, N);
	memset(heap, v, N);
	memset(stack, v, N);
	memset(anon, v, N);
}

/* Runs at depth d (0 = top) with its memory filled with value d+1. Forks a
 * child (unless d == 3); the child must see d+1 everywhere, fill with d+2 and
 * recurse; meanwhile the parent overwrites its own memory and must not see the
 * child's values. Returns a bitmask of problems (0 = fine). */
static int level(int d)
{
	unsigned char stack[N];
	fill_all(stack, (unsigned char)(d + 1));
	if (d == 3)
		return check_all(stack, 4);
	pid_t p = fork();
	if (p < 0)
		return 0x80;
	if (p == 0) {
		/* give the parent time to scribble over its copy */
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		int bad = check_all(stack, (unsigned char)(d + 1)) << 4;
		if (!bad)
			bad = level(d + 1);
		_exit(bad);
	}
	fill_all(stack, 0xee);
	int st = 0;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st))
		return 0x40;
	int bad = WEXITSTATUS(st);
	bad |= check_all(stack, 0xee);
	return bad;
}

static int faults_mode(void)
{
	size_t len = 16 << 20, pages = len / PG;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap 16 MiB");
	if (m == MAP_FAILED)
		return t_done();
	madvise(m, len, MADV_NOHUGEPAGE); /* one fault per 4 KiB page, also on Linux with THP */
	for (size_t i = 0; i < len; i += PG)
		m[i] = 1;
	pid_t p = fork();
	if (p == 0) {
		struct rusage a, b;
		getrusage(RUSAGE_SELF, &a);
		for (size_t i = 0; i < len; i += PG)
			m[i] = 2;
		getrusage(RUSAGE_SELF, &b);
		long d = b.ru_minflt - a.ru_minflt;
		int ok = d >= (long)pages && d <= (long)pages + 64;
		int same = 1;
		for (size_t i = 0; i < len; i += PG)
			same &= m[i] == 2;
		_exit((ok ? 0 : 1) | (same ? 0 : 2));
	}
	int st = 0;
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "child exited");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "child's writes to 4096 shared pages cost 4096..4160 minor faults");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "child reads back its writes");
	int same = 1;
	for (size_t i = 0; i < len; i += PG)
		same &= m[i] == 1;
	CHECK(same, "parent's 16 MiB unchanged by the child's writes");
	CHECK(munmap(m, len) == 0, "munmap 16 MiB");
	return t_done();
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "faults") == 0)
		return faults_mode();

	heap = malloc(N);
	anon = mmap(NULL, N, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(heap != NULL && anon != MAP_FAILED, "allocate heap and mmap buffers");
	if (!heap || anon == MAP_FAILED)
		return t_done();

	int bad = level(0);
	CHECK(!(bad & 0x80), "fork succeeded at every level");
	CHECK(!(bad & 0x40), "every child exited normally");
	static const char *what[] = { "globals", "heap", "stack", "anonymous mmap" };
	for (int i = 0; i < 4; i++) {
		char name[128];
		snprintf(name, sizeof name, "%s: children see the parent's values at fork", what[i]);
		CHECK(!(bad & (0x10 << i)), name);
		snprintf(name, sizeof name, "%s: writes stay private at every depth", what[i]);
		CHECK(!(bad & (1 << i)), name);
	}

	/* a page written only by the parent after fork */
	global[0] = 0x11;
	pid_t p = fork();
	if (p == 0) {
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		_exit(global[0] == 0x11 ? 0 : 1);
	}
	global[0] = 0x22;
	int st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "parent's write after fork is invisible to the child");
	CHECK(global[0] == 0x22, "parent keeps its own write");

	/* read-only sharing: a child that only reads, then the parent writes */
	memset(anon, 0x33, N);
	p = fork();
	if (p == 0)
		_exit(filled(anon, N, 0x33) ? 0 : 1);
	st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child reads shared pages");
	memset(anon, 0x44, N);
	CHECK(filled(anon, N, 0x44), "parent writes pages after the child exited");

	return t_done();
}
