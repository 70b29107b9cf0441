/* sleep SECONDS...: sleeps for the sum of the arguments (fractions allowed,
 * e.g. 0.25) with nanosleep, resuming after interruptions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sleep SECONDS...\n");
		return 1;
	}
	double total = 0;
	for (int i = 1; i < argc; i++) {
		char *end;
		double d = strtod(argv[i], &end);
		if (end == argv[i] || *end || d < 0) {
			fprintf(stderr, "sleep: invalid time interval '%s'\n", argv[i]);
			return 1;
		}
		total += d;
	}
	struct timespec ts;
	ts.tv_sec = (time_t)total;
	ts.tv_nsec = (long)((total - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (nanosleep(&ts, &ts) != 0)
		if (errno != EINTR)
			return 1;
	return 0;
}
