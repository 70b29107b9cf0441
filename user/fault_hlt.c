/* fault_hlt: executes the privileged hlt instruction in ring 3 (#GP).
 * Expected: killed by SIGSEGV (Linux turns #GP into SIGSEGV). */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault_hlt: executing hlt in ring 3\n";
	write(1, msg, sizeof msg - 1);
	__asm__ volatile("hlt");
	return 0;
}
