/* init: PID 1 of tamix. Prints nothing in normal operation. Reaps every child
 * (its own and orphans reparented to it) with wait4(-1, ...) forever; when it
 * has no children (ECHILD) it sleeps 1 s and tries again. It never exits.
 * Needs: wait4, nanosleep. Not oracle-compared (it never ends). */
#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	for (;;) {
		int status;
		pid_t p = wait4(-1, &status, 0, NULL);
		if (p > 0)
			continue;
		if (errno == EINTR)
			continue;
		/* ECHILD (or anything unexpected): pause and retry. */
		struct timespec ts = { 1, 0 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}
