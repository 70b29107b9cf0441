/* fault_int3: executes int3 (#BP; its IDT gate must have DPL 3).
 * Expected: killed by SIGTRAP. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault_int3: executing int3\n";
	write(1, msg, sizeof msg - 1);
	__asm__ volatile("int3");
	return 0;
}
