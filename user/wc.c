/* wc [-lwc] [FILE...]: counts lines, words, bytes (default: all three, in that
 * order), formatted as coreutils wc: one count of one input is printed bare
 * ("5"); otherwise counts are right-aligned to the width of the total size of
 * the regular files, at least 7 if any input is not a regular file (a pipe or
 * tty: "      7      11      33"). A total line follows for several files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fl, fw, fc;

static int count(int fd, long c[3])
{
	static char buf[65536];
	int inword = 0;
	ssize_t n;
	c[0] = c[1] = c[2] = 0;
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c[2] += n;
		for (ssize_t i = 0; i < n; i++) {
			unsigned char ch = buf[i];
			if (ch == '\n')
				c[0]++;
			if (isspace(ch))
				inword = 0;
			else if (!inword) {
				inword = 1;
				c[1]++;
			}
		}
	}
	return 0;
}

static void show(long c[3], const char *name, int width)
{
	int first = 1;
	int sel[3] = { fl, fw, fc };
	for (int i = 0; i < 3; i++) {
		if (!sel[i])
			continue;
		printf(first ? "%*ld" : " %*ld", width, c[i]);
		first = 0;
	}
	if (name)
		printf(" %s", name);
	printf("\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		for (char *p = argv[i] + 1; *p; p++) {
			if (*p == 'l') fl = 1;
			else if (*p == 'w') fw = 1;
			else if (*p == 'c') fc = 1;
			else {
				dprintf(2, "wc: invalid option -- '%c'\n", *p);
				return 1;
			}
		}
	}
	if (!fl && !fw && !fc)
		fl = fw = fc = 1;
	int nsel = fl + fw + fc, nfiles = argc - i, rc = 0;
	long c[3], tot[3] = { 0, 0, 0 };
	int width = 1;
	if (!(nsel == 1 && nfiles <= 1)) {
		int minw = 1;
		unsigned long long total = 0;
		for (int k = nfiles ? i : 0; k < (nfiles ? argc : 1); k++) {
			struct stat st;
			int ok = nfiles && strcmp(argv[k], "-") != 0 ? stat(argv[k], &st) : fstat(0, &st);
			if (ok != 0)
				continue;
			if (S_ISREG(st.st_mode))
				total += st.st_size;
			else
				minw = 7;
		}
		for (; total >= 10; total /= 10)
			width++;
		if (width < minw)
			width = minw;
	}
	if (nfiles == 0) {
		if (count(0, c) < 0)
			return 1;
		show(c, NULL, width);
		return 0;
	}
	for (; i < argc; i++) {
		int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY);
		if (fd < 0 || count(fd, c) < 0) {
			fflush(stdout);
			dprintf(2, "wc: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		if (fd > 0)
			close(fd);
		show(c, argv[i], width);
		for (int k = 0; k < 3; k++)
			tot[k] += c[k];
	}
	if (nfiles > 1)
		show(tot, "total", width);
	return rc;
}
