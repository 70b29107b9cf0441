/* exectest [DIR]: execve of DIR/args (DIR defaults to /bin, the tamix
 * location; on the host pass the directory holding the built programs; DIR is
 * never printed). Checks: the exec'd program gets the given argv and envp
 * (args prints them: oracle-compared) and exits 0; the pid survives exec; exec
 * resets handled signals to SIG_DFL but keeps SIG_IGN and the blocked mask;
 * a failed execve (ENOENT, EFAULT) returns to the intact caller. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static void handler(int s) { (void)s; }

/* Re-exec'd as "exectest DIR --child PID": check what exec preserved. */
static int child_mode(const char *pidstr)
{
	int bad = 0;
	if (getpid() != atoi(pidstr)) bad |= 1;
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_handler != SIG_DFL) bad |= 2;
	sigaction(SIGUSR2, NULL, &sa);
	if (sa.sa_handler != SIG_IGN) bad |= 4;
	sigset_t m;
	sigprocmask(SIG_BLOCK, NULL, &m);
	if (!sigismember(&m, SIGINT) || sigismember(&m, SIGUSR1)) bad |= 8;
	if (!getenv("EXECTEST") || strcmp(getenv("EXECTEST"), "yes") != 0) bad |= 16;
	return bad;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/bin";
	if (argc > 3 && strcmp(argv[2], "--child") == 0)
		return child_mode(argv[3]);

	char path[512], self[512];
	snprintf(path, sizeof path, "%s/args", dir);
	snprintf(self, sizeof self, "%s/exectest", dir);

	/* exec args with our own argv and envp */
	pid_t p = fork();
	if (p == 0) {
		char *av[] = { "args", "one", "two words", "", "last", NULL };
		char *ev[] = { "FOO=bar", "EMPTY=", "X=1", NULL };
		execve(path, av, ev);
		_exit(127);
	}
	int st = -1;
	CHECK(waitpid(p, &st, 0) == p, "wait for the exec'd child");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve of args succeeded and args exited 0");

	/* empty environment */
	p = fork();
	if (p == 0) {
		char *av[] = { "args", NULL };
		char *ev[] = { NULL };
		execve(path, av, ev);
		_exit(127);
	}
	st = -1;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve with an empty environment");

	/* what survives exec */
	p = fork();
	if (p == 0) {
		struct sigaction sa = { 0 };
		sa.sa_handler = handler;
		sigaction(SIGUSR1, &sa, NULL);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGUSR2, &sa, NULL);
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGINT);
		sigprocmask(SIG_SETMASK, &m, NULL);
		char pidstr[32];
		snprintf(pidstr, sizeof pidstr, "%d", getpid());
		char *av[] = { "exectest", (char *)dir, "--child", pidstr, NULL };
		char *ev[] = { "EXECTEST=yes", NULL };
		execve(self, av, ev);
		_exit(127);
	}
	st = -1;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 127, "execve of itself succeeded");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "pid unchanged across execve");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "handled signal reset to SIG_DFL by execve");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 4), "ignored signal stays SIG_IGN across execve");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 8), "blocked mask kept across execve");
	CHECK(WIFEXITED(st) && !(WEXITSTATUS(st) & 16), "new environment seen after execve");

	/* failures return to an intact caller */
	static int marker = 1234;
	char stackmark[16] = "still here";
	char *av[] = { "nope", NULL };
	char *ev[] = { NULL };
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no-such-program", dir);
	CHECK_ERR(execve(missing, av, ev), ENOENT, "execve of a missing file is ENOENT");
	CHECK_ERR(execve("/no-such-dir/prog", av, ev), ENOENT, "execve in a missing directory is ENOENT");
	CHECK_ERR(execve(NULL, av, ev), EFAULT, "execve of a NULL path is EFAULT");
	CHECK_ERR(execve((char *)0xffff800000000000UL, av, ev), EFAULT, "execve of a kernel path pointer is EFAULT");
	CHECK_ERR(execve(path, (char **)0xffff800000000000UL, ev), EFAULT, "execve with a kernel argv pointer is EFAULT");
	CHECK_ERR(execve("", av, ev), ENOENT, "execve of an empty path is ENOENT");
	CHECK(marker == 1234 && strcmp(stackmark, "still here") == 0, "caller's memory intact after failed execve");
	CHECK(write(1, "", 0) == 0, "caller's fds intact after failed execve");

	return t_done();
}
