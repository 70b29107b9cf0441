/* fault_stack: unbounded recursion, 4 KiB of stack per frame, until the
 * stack limit (8 MiB by default on Linux) is hit. Expected: killed by SIGSEGV.
 * The kernel must grow the stack on demand and stop at its limit. */
#include <unistd.h>

static int recurse(int depth)
{
	volatile char buf[4096];
	buf[0] = (char)depth;
	buf[sizeof buf - 1] = (char)depth;
	return recurse(depth + 1) + buf[0] + buf[sizeof buf - 1];
}

int main(void)
{
	static const char msg[] = "fault_stack: recursing without bound\n";
	write(1, msg, sizeof msg - 1);
	return recurse(0);
}
