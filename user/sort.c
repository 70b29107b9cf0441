/* sort [-r] [-n] [FILE...]: sorts lines bytewise (C locale); -n by leading
 * number (ties broken bytewise, as GNU sort's last-resort comparison); -r
 * reverses. A missing final newline is added. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rev, num;

static int cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int r = 0;
	if (num) {
		double dx = strtod(x, NULL), dy = strtod(y, NULL);
		r = dx < dy ? -1 : dx > dy ? 1 : 0;
	}
	if (r == 0)
		r = strcmp(x, y);
	return rev ? -r : r;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
		for (char *p = argv[i] + 1; *p; p++) {
			if (*p == 'r') rev = 1;
			else if (*p == 'n') num = 1;
			else {
				fprintf(stderr, "sort: invalid option -- '%c'\n", *p);
				return 2;
			}
		}
	size_t n = 0, cap = 1024;
	char **lines = malloc(cap * sizeof *lines);
	char *line = NULL;
	size_t lcap = 0;
	int nfiles = argc - i;
	for (int f = 0; f < (nfiles ? nfiles : 1); f++) {
		const char *name = nfiles ? argv[i + f] : "-";
		FILE *fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
		if (!fp) {
			fprintf(stderr, "sort: %s: %s\n", name, strerror(errno));
			return 2;
		}
		ssize_t l;
		while ((l = getline(&line, &lcap, fp)) >= 0) {
			if (l > 0 && line[l - 1] == '\n')
				line[l - 1] = 0;
			if (n == cap)
				lines = realloc(lines, (cap *= 2) * sizeof *lines);
			lines[n++] = strdup(line);
		}
		if (fp != stdin)
			fclose(fp);
	}
	qsort(lines, n, sizeof *lines, cmp);
	for (size_t k = 0; k < n; k++)
		printf("%s\n", lines[k]);
	return 0;
}
