/* manychildren: 64 children alive at once, each exiting with its own code after
 * a slightly different delay; every one is reaped with the right code, then
 * wait4 reports ECHILD. */
#include "tamix_test.h"
#include <sys/wait.h>
#include <time.h>

#define NCHILD 64

int main(void)
{
	pid_t pids[NCHILD];
	int forked = 0;
	for (int i = 0; i < NCHILD; i++) {
		pid_t p = fork();
		if (p == 0) {
			nanosleep(&(struct timespec){ 0, (NCHILD - i) * 500 * 1000L }, NULL);
			_exit(100 + i);
		}
		if (p < 0)
			break;
		pids[i] = p;
		forked++;
	}
	CHECK(forked == NCHILD, "forked 64 children");
	int distinct = 1;
	for (int i = 0; i < forked; i++)
		for (int j = 0; j < i; j++)
			if (pids[i] == pids[j])
				distinct = 0;
	CHECK(distinct, "64 distinct pids");

	int seen[NCHILD] = { 0 }, good = 1, reaped = 0;
	for (int n = 0; n < forked; n++) {
		int st = 0;
		pid_t p = wait4(-1, &st, 0, NULL);
		if (p <= 0) {
			good = 0;
			break;
		}
		int i;
		for (i = 0; i < forked && pids[i] != p; i++)
			;
		if (i == forked || seen[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 100 + i)
			good = 0;
		else
			seen[i] = 1;
		reaped++;
	}
	CHECK(reaped == NCHILD, "reaped 64 children");
	CHECK(good, "each child reaped once with its own exit code");
	int st;
	CHECK_ERR(wait4(-1, &st, 0, NULL), ECHILD, "ECHILD once all are reaped");
	return t_done();
}
