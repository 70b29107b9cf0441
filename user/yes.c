/* yes [STRING...]: prints STRING (the arguments joined by spaces, default
 * "y") and a newline forever, until the write fails (e.g. EPIPE/SIGPIPE when
 * the reader goes away). */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char line[4096], buf[16384];
	size_t len = 0;
	if (argc < 2) {
		strcpy(line, "y");
		len = 1;
	}
	for (int i = 1; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (len + l + 2 > sizeof line)
			break;
		if (i > 1)
			line[len++] = ' ';
		memcpy(line + len, argv[i], l);
		len += l;
	}
	line[len++] = '\n';
	size_t n = 0;
	while (n + len <= sizeof buf) {
		memcpy(buf + n, line, len);
		n += len;
	}
	for (;;)
		if (write(1, buf, n) < 0)
			return 1;
}
