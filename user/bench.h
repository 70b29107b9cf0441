/* Shared helpers for the bench_* programs and spin (timings: not
 * oracle-compared). */
#ifndef TAMIX_BENCH_H
#define TAMIX_BENCH_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline long arg_long(int argc, char **argv, int i, long def)
{
	return argc > i ? atol(argv[i]) : def;
}

static inline void die(const char *what)
{
	perror(what);
	exit(1);
}
#endif
