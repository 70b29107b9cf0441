/* bench_cow [MB]: touches MB MiB (default 16) of anonymous memory, forks; the
 * child writes one byte per page and times it. Prints "cow fault: X us/page". */
#include "bench.h"
#include <sys/mman.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long mb = arg_long(argc, argv, 1, 16);
	size_t len = (size_t)mb << 20;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	madvise(m, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		m[i] = 1;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		long long t0 = now_ns();
		for (size_t i = 0; i < len; i += 4096)
			m[i] = 2;
		long long t1 = now_ns();
		printf("cow fault: %.2f us/page\n", (double)(t1 - t0) / (len / 4096) / 1000);
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}
