/* execat DIR: finding the program to run (DIR holds the built programs: /bin
 * in tamix; DIR is never printed).
 *
 * execve by a path relative to the working directory; execveat relative to a
 * directory descriptor, and of an open file (AT_EMPTY_PATH, as fexecve);
 * AT_SYMLINK_NOFOLLOW on a link (ELOOP); a copy of a program written to /tmp
 * runs; the errors: EACCES for a directory, a file without x permission and
 * (for a user) a file only root may execute, ENOEXEC for a text file, ENOENT,
 * EINVAL for unknown flags. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char *envp[] = { NULL };
static char tmpdir[64];

/* run forks, lets the child call f, and returns the exit status. */
static int run(int (*f)(void *), void *arg)
{
	pid_t p = fork();
	if (p == 0) {
		f(arg);
		_exit(100 + errno); /* the exec failed: report why */
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *dir;

static int rel_exec(void *arg)
{
	(void)arg;
	if (chdir(dir) != 0)
		return -1;
	char *argv[] = { "true", NULL };
	return execve("./true", argv, envp);
}

static int at_exec(void *arg)
{
	const char *name = arg;
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	char *argv[] = { (char *)name, NULL };
	return syscall(SYS_execveat, d, name, argv, envp, 0);
}

static int fd_exec(void *arg)
{
	(void)arg;
	char path[512];
	snprintf(path, sizeof path, "%s/false", dir);
	int fd = open(path, O_RDONLY);
	char *argv[] = { "false", NULL };
	return syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
}

static int path_exec(void *arg)
{
	char *argv[] = { arg, NULL };
	return execve(arg, argv, envp);
}

static int nofollow_exec(void *arg)
{
	char *argv[] = { arg, NULL };
	return syscall(SYS_execveat, AT_FDCWD, arg, argv, envp, AT_SYMLINK_NOFOLLOW);
}

static int badflag_exec(void *arg)
{
	char *argv[] = { arg, NULL };
	return syscall(SYS_execveat, AT_FDCWD, arg, argv, envp, 0x2);
}

static int user_exec(void *arg)
{
	if (setuid(1000) != 0)
		return -1;
	return path_exec(arg);
}

static void copy(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, mode);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		write(out, buf, n);
	close(in);
	close(out);
	chmod(to, mode);
}

int main(int argc, char **argv)
{
	char p[512], q[512];
	dir = argc > 1 ? argv[1] : "/bin";
	strcpy(tmpdir, "/tmp/execatXXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	chmod(tmpdir, 0755);

	CHECK_EQ(run(rel_exec, NULL), 0, "execve(\"./true\") from the program directory");
	CHECK_EQ(run(at_exec, "true"), 0, "execveat(dirfd, \"true\")");
	CHECK_EQ(run(fd_exec, NULL), 1, "execveat(fd, \"\", AT_EMPTY_PATH) runs false: status 1");

	snprintf(p, sizeof p, "%s/true", dir);
	snprintf(q, sizeof q, "%s/mytrue", tmpdir);
	copy(p, q, 0755);
	CHECK_EQ(run(path_exec, q), 0, "a copy of true written to /tmp runs");
	chmod(q, 0644);
	CHECK_EQ(run(path_exec, q), 100 + EACCES, "without x permission: EACCES");
	chmod(q, 0700);
	CHECK_EQ(run(path_exec, q), 0, "root runs a 0700 program");
	CHECK_EQ(run(user_exec, q), 100 + EACCES, "uid 1000 may not: EACCES");
	snprintf(p, sizeof p, "%s/link", tmpdir);
	symlink(q, p);
	CHECK_EQ(run(path_exec, p), 0, "through a symbolic link");
	CHECK_EQ(run(nofollow_exec, p), 100 + ELOOP, "AT_SYMLINK_NOFOLLOW on a link: ELOOP");
	CHECK_EQ(run(badflag_exec, q), 100 + EINVAL, "an unknown flag: EINVAL");
	CHECK_EQ(run(path_exec, tmpdir), 100 + EACCES, "a directory: EACCES");
	snprintf(p, sizeof p, "%s/text", tmpdir);
	int fd = open(p, O_CREAT | O_WRONLY, 0755);
	write(fd, "hello, not a program\n", 21);
	close(fd);
	CHECK_EQ(run(path_exec, p), 100 + ENOEXEC, "a text file: ENOEXEC");
	snprintf(q, sizeof q, "%s/none", tmpdir);
	CHECK_EQ(run(path_exec, q), 100 + ENOENT, "no such file: ENOENT");

	unlink(p);
	snprintf(p, sizeof p, "%s/link", tmpdir);
	unlink(p);
	snprintf(p, sizeof p, "%s/mytrue", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	return t_done();
}
