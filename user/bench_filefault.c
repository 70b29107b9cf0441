/* bench_filefault [MB]: the cost of a page fault on MB MiB (default 8) of
 * anonymous memory against the same on a file in the page cache (a tmpfs
 * file made under /tmp): a read fault of each page of a MAP_SHARED mapping
 * (the cache's own frame), of a MAP_PRIVATE one (the same, mapped
 * read-only), and a write fault of a MAP_PRIVATE one (a copy of the cache
 * page). The file is written first, so every page is in the cache.
 * Prints one line per case, in us/page. */
#include "bench.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static double run(int fd, size_t len, int flags, int write)
{
	volatile unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	madvise((void *)m, len, MADV_NOHUGEPAGE);
	long long t0 = now_ns();
	unsigned sum = 0;
	for (size_t i = 0; i < len; i += 4096) {
		if (write)
			m[i] = 1;
		else
			sum += m[i];
	}
	long long t1 = now_ns();
	munmap((void *)m, len);
	(void)sum;
	return (double)(t1 - t0) / (len / 4096) / 1000;
}

int main(int argc, char **argv)
{
	long mb = arg_long(argc, argv, 1, 8);
	size_t len = (size_t)mb << 20;
	mkdir("/tmp/bench-filefault", 0755);
	int fd = open("/tmp/bench-filefault/f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	static char page[4096];
	for (size_t i = 0; i < len; i += sizeof page)
		if (write(fd, page, sizeof page) != sizeof page)
			die("write");
	unlink("/tmp/bench-filefault/f");
	rmdir("/tmp/bench-filefault");
	printf("anon read fault:         %.2f us/page\n", run(-1, len, MAP_PRIVATE | MAP_ANONYMOUS, 0));
	printf("anon write fault:        %.2f us/page\n", run(-1, len, MAP_PRIVATE | MAP_ANONYMOUS, 1));
	printf("file shared read fault:  %.2f us/page\n", run(fd, len, MAP_SHARED, 0));
	printf("file shared write fault: %.2f us/page\n", run(fd, len, MAP_SHARED, 1));
	printf("file private read fault: %.2f us/page\n", run(fd, len, MAP_PRIVATE, 0));
	printf("file private write (COW):%.2f us/page\n", run(fd, len, MAP_PRIVATE, 1));
	return 0;
}
