/* args: prints argc, every argv[i] and every environ entry, one per line:
 *   argc=N
 *   argv[i]=...
 *   envp[i]=...
 * argv[0] is printed exactly as given by the caller (the tamix shell passes
 * the name typed, e.g. "args"; run it the same way on the host).
 * Needs: write, exit_group, and a correct initial stack (argc/argv/envp). */
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	if (argv[argc] != NULL)
		printf("argv[argc] is not NULL\n");
	for (int i = 0; environ[i]; i++)
		printf("envp[%d]=%s\n", i, environ[i]);
	return fflush(stdout) == 0 ? 0 : 1;
}
