/* tr SET1 SET2 | tr -d SET1: translates (or deletes) characters from stdin.
 * Sets support ranges (a-z) and the escapes \n \t \r \\ \NNN (octal); when
 * SET2 is shorter than SET1 its last character is repeated (as GNU tr). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int expand(const char *s, unsigned char *out)
{
	int n = 0;
	unsigned char tmp[1024];
	int m = 0;
	/* first resolve escapes */
	while (*s && m < (int)sizeof tmp) {
		unsigned char c = (unsigned char)*s++;
		if (c == '\\' && *s) {
			c = (unsigned char)*s++;
			if (c == 'n') c = '\n';
			else if (c == 't') c = '\t';
			else if (c == 'r') c = '\r';
			else if (c >= '0' && c <= '7') {
				int v = c - '0';
				for (int k = 0; k < 2 && *s >= '0' && *s <= '7'; k++)
					v = v * 8 + (*s++ - '0');
				c = (unsigned char)v;
			}
		}
		tmp[m++] = c;
	}
	for (int i = 0; i < m && n < 4096; i++) {
		if (i + 2 < m && tmp[i + 1] == '-' && tmp[i] <= tmp[i + 2]) {
			for (int c = tmp[i]; c <= tmp[i + 2] && n < 4096; c++)
				out[n++] = (unsigned char)c;
			i += 2;
		} else
			out[n++] = tmp[i];
	}
	return n;
}

int main(int argc, char **argv)
{
	int del = argc > 1 && strcmp(argv[1], "-d") == 0;
	if ((del && argc != 3) || (!del && argc != 3)) {
		fprintf(stderr, "usage: tr SET1 SET2 | tr -d SET1\n");
		return 1;
	}
	static unsigned char s1[4096], s2[4096];
	int map[256], n1, n2 = 0;
	for (int c = 0; c < 256; c++)
		map[c] = c;
	if (del) {
		n1 = expand(argv[2], s1);
		for (int i = 0; i < n1; i++)
			map[s1[i]] = -1;
	} else {
		n1 = expand(argv[1], s1);
		n2 = expand(argv[2], s2);
		if (n2 == 0 && n1 > 0) {
			fprintf(stderr, "tr: SET2 must be non-empty\n");
			return 1;
		}
		for (int i = 0; i < n1; i++)
			map[s1[i]] = s2[i < n2 ? i : n2 - 1];
	}
	static unsigned char in[65536], out[65536];
	ssize_t r;
	while ((r = read(0, in, sizeof in)) > 0) {
		ssize_t o = 0;
		for (ssize_t i = 0; i < r; i++)
			if (map[in[i]] >= 0)
				out[o++] = (unsigned char)map[in[i]];
		for (ssize_t off = 0; off < o;) {
			ssize_t w = write(1, out + off, o - off);
			if (w <= 0)
				return 1;
			off += w;
		}
	}
	return r < 0 ? 1 : 0;
}
