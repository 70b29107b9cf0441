/* bench_syscall [N]: cost of a null system call (getppid), N calls
 * (default 200000). Prints "getppid: X ns/call". */
#include "bench.h"
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 200000);
	syscall(SYS_getppid);
	long long t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	long long t1 = now_ns();
	printf("getppid: %.1f ns/call\n", (double)(t1 - t0) / n);
	return 0;
}
