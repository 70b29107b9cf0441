/* pipesize: F_GETPIPE_SZ and F_SETPIPE_SZ (pipe_set_size): the default
 * 64 KiB ring, rounding to a power of two pages, filling a resized pipe,
 * EBUSY when the data would not fit, EBADF on a file that is no pipe. */
#define _GNU_SOURCE
#include <fcntl.h>
#include "tamix_test.h"

/* fill writes pages to the non-blocking fd until EAGAIN: the bytes taken. */
static long fill(int fd)
{
	static char page[4096];
	long total = 0;
	for (;;) {
		ssize_t n = write(fd, page, sizeof page);
		if (n < 0)
			return errno == EAGAIN ? total : -1;
		total += n;
	}
}

int main(void)
{
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536, "default size is 64 KiB");
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536, "both ends see it");
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096, "1 byte rounds up to a page");
	CHECK_EQ(fill(p[1]), 4096, "a one-page pipe holds 4096 bytes");
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096, "0 asks for one page: a full one-page pipe keeps it");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 100000), 131072, "100000 rounds up to 32 pages");
	CHECK_EQ(fill(p[1]), 131072 - 4096, "the rest of the resized pipe fills");
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 65536), EBUSY, "shrinking below the data is EBUSY");
	char buf[4096];
	long got = 0;
	for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;)
		got += n;
	CHECK_EQ(got, 131072, "everything written reads back");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 65536), 65536, "an empty pipe shrinks");
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 0x80000001u), EINVAL, "over 2 GiB is EINVAL");
	int null = open("/dev/null", O_RDWR);
	CHECK_ERR(fcntl(null, F_GETPIPE_SZ), EBADF, "not a pipe: EBADF");
	CHECK_ERR(fcntl(null, F_SETPIPE_SZ, 4096), EBADF, "not a pipe: EBADF on set");
	return t_done();
}
