/* cat [FILE...]: copies each FILE ("-" or none: stdin) to stdout with
 * read/write. Exit 1 if a file could not be opened or read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd)
{
	static char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			off += w;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	if (argc < 2)
		return copy(0) ? 1 : 0;
	for (int i = 1; i < argc; i++) {
		int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY);
		if (fd < 0 || copy(fd) < 0) {
			dprintf(2, "cat: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		}
		if (fd > 0)
			close(fd);
	}
	return rc;
}
