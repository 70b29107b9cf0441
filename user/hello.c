/* hello: prints "hello, world" and exits 0. Needs: write, exit_group. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "hello, world\n";
	return write(1, msg, sizeof msg - 1) == sizeof msg - 1 ? 0 : 1;
}
