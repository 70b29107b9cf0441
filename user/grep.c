/* grep [-v] [-c] STRING [FILE...]: prints the lines that contain STRING (a
 * fixed string, not a regex); -v selects the lines that do not; -c prints the
 * count of selected lines instead. With several files, lines/counts are
 * prefixed by "FILE:". Exit 0 if a line was selected, 1 if none, 2 on error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int inv = 0, cnt = 0, i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (char *p = argv[i] + 1; *p; p++) {
			if (*p == 'v') inv = 1;
			else if (*p == 'c') cnt = 1;
			else {
				fprintf(stderr, "grep: invalid option -- '%c'\n", *p);
				return 2;
			}
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: grep [-v] [-c] STRING [FILE...]\n");
		return 2;
	}
	const char *pat = argv[i++];
	int nfiles = argc - i, any = 0, err = 0;
	static char line[65536];
	for (int f = 0; f < (nfiles ? nfiles : 1); f++) {
		const char *name = nfiles ? argv[i + f] : "-";
		FILE *fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
		if (!fp) {
			fprintf(stderr, "grep: %s: %s\n", name, strerror(errno));
			err = 1;
			continue;
		}
		long c = 0;
		while (fgets(line, sizeof line, fp)) {
			int hit = strstr(line, pat) != NULL;
			if (hit == inv)
				continue;
			c++;
			if (!cnt) {
				if (nfiles > 1)
					printf("%s:", name);
				fputs(line, stdout);
				size_t l = strlen(line);
				if (l == 0 || line[l - 1] != '\n')
					putchar('\n');
			}
		}
		if (cnt) {
			if (nfiles > 1)
				printf("%s:", name);
			printf("%ld\n", c);
		}
		if (c)
			any = 1;
		if (fp != stdin)
			fclose(fp);
	}
	return err ? 2 : any ? 0 : 1;
}
