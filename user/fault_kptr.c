/* fault_kptr: write(1, kernel address, 8) must fail with EFAULT (the program
 * prints that), then a direct read of the kernel address from ring 3 faults.
 * Expected: prints two lines, then killed by SIGSEGV. */
#include <errno.h>
#include <unistd.h>

#define KADDR 0xffffffff80000000UL

int main(void)
{
	static const char ok[] = "ok - write from a kernel address fails with EFAULT\n";
	static const char bad[] = "not ok - write from a kernel address fails with EFAULT\n";
	static const char msg[] = "fault_kptr: reading a kernel address\n";
	errno = 0;
	ssize_t r = write(1, (const void *)KADDR, 8);
	if (r == -1 && errno == EFAULT)
		write(1, ok, sizeof ok - 1);
	else
		write(1, bad, sizeof bad - 1);
	write(1, msg, sizeof msg - 1);
	volatile int *p = (volatile int *)KADDR;
	return *p;
}
