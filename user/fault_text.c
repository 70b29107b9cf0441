/* fault_text: writes to its own (read-only, executable) code.
 * Expected: killed by SIGSEGV. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault_text: writing to the text segment\n";
	write(1, msg, sizeof msg - 1);
	volatile unsigned char *p = (volatile unsigned char *)(void *)main;
	*p = 0xc3;
	return 0;
}
