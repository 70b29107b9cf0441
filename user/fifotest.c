/* fifotest: named pipes under /tmp. mkfifo (EEXIST the second time), stat
 * shows S_IFIFO; O_RDONLY|O_NONBLOCK opens with no writer and reads 0;
 * O_WRONLY|O_NONBLOCK with no reader is ENXIO and succeeds once a reader
 * exists; a blocking open waits for the other side (fork); data flows; EOF
 * after the writer closes; O_RDWR does not block; unlink removes the name. */
#include "tamix_test.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define PATH "/tmp/tamix-fifotest.fifo"

int main(void)
{
	char buf[64];
	struct stat st;
	unlink(PATH);
	CHECK(mkfifo(PATH, 0600) == 0, "mkfifo");
	CHECK_ERR(mkfifo(PATH, 0600), EEXIST, "mkfifo of an existing name is EEXIST");
	CHECK(stat(PATH, &st) == 0 && S_ISFIFO(st.st_mode), "stat reports a FIFO");
	CHECK((st.st_mode & 0777) == 0600, "FIFO mode is 0600 (umask 022 does not clear it)");

	int r = open(PATH, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0, "O_RDONLY|O_NONBLOCK open with no writer succeeds");
	CHECK(read(r, buf, sizeof buf) == 0, "read with no writer ever returns 0");
	int w = open(PATH, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0, "O_WRONLY|O_NONBLOCK open succeeds with a reader");
	CHECK(write(w, "ping", 4) == 4 && read(r, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0, "data through the FIFO");
	CHECK_ERR(read(r, buf, sizeof buf), EAGAIN, "O_NONBLOCK read with a writer and no data is EAGAIN");
	close(w);
	CHECK(read(r, buf, sizeof buf) == 0, "EOF after the writer closes");
	close(r);
	CHECK_ERR(open(PATH, O_WRONLY | O_NONBLOCK), ENXIO, "O_WRONLY|O_NONBLOCK open with no reader is ENXIO");

	/* blocking opens rendezvous */
	pid_t p = fork();
	if (p == 0) {
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
		int fd = open(PATH, O_WRONLY);
		if (fd < 0)
			_exit(1);
		write(fd, "hello fifo", 10);
		close(fd);
		_exit(0);
	}
	r = open(PATH, O_RDONLY);
	CHECK(r >= 0, "blocking O_RDONLY open waits for a writer");
	size_t got = 0;
	ssize_t n;
	while ((n = read(r, buf + got, sizeof buf - got)) > 0)
		got += n;
	CHECK(got == 10 && memcmp(buf, "hello fifo", 10) == 0, "reader gets the writer's data");
	CHECK(n == 0, "then EOF");
	int s = 0;
	waitpid(p, &s, 0);
	CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0, "writer child opened and wrote");
	close(r);

	p = fork();
	if (p == 0) {
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
		int fd = open(PATH, O_RDONLY);
		char c = 0;
		_exit(fd >= 0 && read(fd, &c, 1) == 1 && c == 'z' ? 0 : 1);
	}
	w = open(PATH, O_WRONLY);
	CHECK(w >= 0, "blocking O_WRONLY open waits for a reader");
	CHECK(write(w, "z", 1) == 1, "write to the FIFO");
	s = 0;
	waitpid(p, &s, 0);
	CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0, "reader child got the byte");
	close(w);

	int rw = open(PATH, O_RDWR);
	CHECK(rw >= 0, "O_RDWR open of a FIFO does not block");
	CHECK(write(rw, "x", 1) == 1 && read(rw, buf, 1) == 1, "O_RDWR FIFO loops back");
	close(rw);

	CHECK(unlink(PATH) == 0, "unlink the FIFO");
	CHECK_ERR(open(PATH, O_RDONLY | O_NONBLOCK), ENOENT, "open after unlink is ENOENT");
	CHECK_ERR(unlink(PATH), ENOENT, "unlink again is ENOENT");
	return t_done();
}
