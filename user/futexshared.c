/* futexshared: futexes that cross processes, and robust futexes.
 *
 * A process-shared semaphore in a MAP_SHARED mapping inherited by fork, and
 * one in a System V segment that the two processes attach at different
 * addresses (shared futexes are keyed by the page, not the address); a
 * process-shared robust mutex whose owner dies holding it (after _exit and
 * by SIGKILL while another process waits), which the kernel marks
 * FUTEX_OWNER_DIED so the next locker gets EOWNERDEAD; get_robust_list. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void msleep(int ms) { nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL); }

static int reap(pid_t p)
{
	int st;
	waitpid(p, &st, 0);
	return st;
}

static void shared_semaphores(void)
{
	sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s != MAP_FAILED, "a shared anonymous page");
	CHECK_EQ(sem_init(s, 1, 0), 0, "sem_init(pshared=1)");
	pid_t p = fork();
	if (p == 0) {
		msleep(100);
		sem_post(s);
		_exit(0);
	}
	CHECK_EQ(sem_wait(s), 0, "sem_wait blocks until the child's sem_post (MAP_SHARED)");
	reap(p);

	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	char *a = shmat(id, NULL, 0);
	CHECK(a != (void *)-1, "shmat");
	sem_t *sa = (sem_t *)(a + 64);
	sem_init(sa, 1, 0);
	p = fork();
	if (p == 0) {
		char *b = shmat(id, NULL, 0); /* a second attach, elsewhere */
		if (b == (void *)-1 || b == a)
			_exit(2);
		msleep(100);
		sem_post((sem_t *)(b + 64));
		_exit(0);
	}
	CHECK_EQ(sem_wait(sa), 0, "sem_wait wakes from a post through another address of the segment");
	int st = reap(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child attached at a different address");
	shmdt(a);
	shmctl(id, IPC_RMID, NULL);
	munmap(s, 4096);
}

static pthread_mutex_t *robust_mutex(void)
{
	pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &at);
	return m;
}

static void robust_mutexes(void)
{
	pthread_mutex_t *m = robust_mutex();
	pid_t p = fork();
	if (p == 0) {
		pthread_mutex_lock(m);
		_exit(0); /* dies holding it: only the kernel can release it */
	}
	reap(p);
	CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD, "the owner exited holding it: EOWNERDEAD");
	CHECK_EQ(pthread_mutex_consistent(m), 0, "pthread_mutex_consistent");
	CHECK_EQ(pthread_mutex_unlock(m), 0, "unlock");
	CHECK_EQ(pthread_mutex_lock(m), 0, "and it locks normally again");
	pthread_mutex_unlock(m);

	/* A waiter sleeps while the owner is killed. */
	int go[2];
	pipe(go);
	p = fork();
	if (p == 0) {
		pthread_mutex_lock(m);
		write(go[1], "x", 1);
		msleep(200);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	char c;
	read(go[0], &c, 1);
	CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD, "a waiter is woken when the owner is killed: EOWNERDEAD");
	pthread_mutex_consistent(m);
	pthread_mutex_unlock(m);
	int st = reap(p);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the owner died of SIGKILL");

	void *head = NULL;
	size_t len = 0;
	CHECK_EQ(syscall(SYS_get_robust_list, 0, &head, &len), 0, "get_robust_list");
	CHECK(len == 24 && head != NULL, "the list musl registered, 24 bytes");
	CHECK_ERR(syscall(SYS_get_robust_list, 999999, &head, &len), ESRCH, "of no such process: ESRCH");
	CHECK_ERR(syscall(SYS_set_robust_list, head, 23), EINVAL, "set_robust_list with a wrong length is EINVAL");
}

int main(void)
{
	shared_semaphores();
	robust_mutexes();
	return t_done();
}
