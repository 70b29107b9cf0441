/* fault_ud2: executes ud2 (#UD). Expected: killed by SIGILL. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault_ud2: executing ud2\n";
	write(1, msg, sizeof msg - 1);
	__asm__ volatile("ud2");
	return 0;
}
