/* fault_div0: integer division by zero (#DE). Expected: killed by SIGFPE. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault_div0: dividing by zero\n";
	write(1, msg, sizeof msg - 1);
	volatile int a = 1, b = 0;
	volatile int c = a / b;
	return c;
}
