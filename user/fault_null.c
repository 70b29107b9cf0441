/* fault_null: reads *(int *)0. Expected: killed by SIGSEGV. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault_null: reading address 0\n";
	write(1, msg, sizeof msg - 1);
	volatile int *p = (volatile int *)0;
	return *p;
}
