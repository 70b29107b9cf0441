/* Tiny test helpers shared by the tamix user tests.
 *
 * Output goes through write(2) only (no stdio buffers), so nothing is lost or
 * duplicated across fork, and the output is identical on a tty and a pipe.
 * Each check prints "ok - NAME" or "not ok - NAME"; on failure a "# ..." line
 * follows with the failing expression and errno. t_done() prints the summary
 * "N passed, M failed" and returns the exit status (1 if anything failed).
 */
#ifndef TAMIX_TEST_H
#define TAMIX_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int t_pass, t_fail;

static void __attribute__((format(printf, 1, 2), unused)) t_printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	for (int off = 0; n > 0;) {
		ssize_t w = write(1, buf + off, n);
		if (w <= 0)
			break;
		off += w;
		n -= w;
	}
}

static int __attribute__((unused)) t_check(int cond, const char *name, const char *expr, int err)
{
	if (cond) {
		t_pass++;
		t_printf("ok - %s\n", name);
	} else {
		t_fail++;
		t_printf("not ok - %s\n# failed: %s (errno %d %s)\n", name, expr, err, strerror(err));
	}
	return cond;
}

/* CHECK(cond, name): cond must hold. */
#define CHECK(cond, name) t_check(!!(cond), (name), #cond, errno)

/* CHECK_ERR(expr, E, name): expr must return -1 and set errno to E. */
#define CHECK_ERR(expr, E, name) do {                                      \
		errno = 0;                                                 \
		long t_r_ = (long)(expr);                                  \
		int t_e_ = errno;                                          \
		t_check(t_r_ == -1 && t_e_ == (E), (name), #expr " == -1 && errno == " #E, t_e_); \
	} while (0)

/* CHECK_EQ(expr, v, name): expr (as long) must equal v. */
#define CHECK_EQ(expr, v, name) do {                                       \
		errno = 0;                                                 \
		long t_r_ = (long)(expr);                                  \
		int t_e_ = errno;                                          \
		if (!t_check(t_r_ == (long)(v), (name), #expr " == " #v, t_e_)) \
			t_printf("# got %ld\n", t_r_);                     \
	} while (0)

/* t_exit_code reaps child pid and returns its exit status, or 128+signal
 * (-1 if it cannot be waited for). */
static int __attribute__((unused)) t_exit_code(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* t_wait_sleeping waits (up to about 5 s) until task pid sleeps, state S
 * in /proc/PID/stat: it is blocked in the call it made last. */
static int __attribute__((unused)) t_wait_sleeping(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return 0;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			char *p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return 1;
		}
		usleep(1000);
	}
	return 0;
}

static int __attribute__((unused)) t_done(void)
{
	t_printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail ? 1 : 0;
}

#endif
