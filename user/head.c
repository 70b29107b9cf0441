/* head [-n N | -N] [FILE]: prints the first N lines (default 10) of FILE or
 * stdin, then exits without reading further. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = 10;
	int i = 1;
	if (i < argc && strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
		n = atol(argv[i + 1]);
		i += 2;
	} else if (i < argc && strncmp(argv[i], "-n", 2) == 0 && argv[i][2]) {
		n = atol(argv[i] + 2);
		i++;
	} else if (i < argc && argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
		n = atol(argv[i] + 1);
		i++;
	}
	int fd = 0;
	if (i < argc && strcmp(argv[i], "-") != 0) {
		fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			dprintf(2, "head: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	static char buf[65536];
	while (n > 0) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t k = 0;
		while (k < r && n > 0)
			if (buf[k++] == '\n')
				n--;
		for (ssize_t off = 0; off < k;) {
			ssize_t w = write(1, buf + off, k - off);
			if (w <= 0)
				return 1;
			off += w;
		}
	}
	return 0;
}
