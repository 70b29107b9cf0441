/* System V IPC: shared memory, semaphores and message queues, as Linux
 * implements them.
 *
 * Children share a segment and synchronise with semaphores; messages pass
 * between processes; blocked operations are woken in order, by IPC_RMID
 * (EIDRM) or by a signal (EINTR); SEM_UNDO adjustments are applied when the
 * process exits, are not inherited by fork and are shared by threads.
 * Children never print: they report through their exit status, so the output
 * is the same natively and in tamix. Nothing printed depends on ids, keys or
 * addresses.
 *
 *   sysvipc              run the tests
 *   sysvipc nattch ID    (exec'd by the test) exit with the segment's nattch
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>

#include "tamix_test.h"

#define PAGE 4096

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static key_t key(int n) { return 0x5a000000 + getpid() * 8 + n; }

/* wait_cnt waits until semctl(cmd) on semaphore num reports n sleepers. */
static int wait_cnt(int semid, int num, int cmd, int n)
{
	for (int i = 0; i < 5000; i++) {
		if (semctl(semid, num, cmd) == n)
			return 1;
		usleep(1000);
	}
	return 0;
}

static int semop1(int semid, int num, int op, int flg)
{
	struct sembuf sb = {num, op, flg};
	return semop(semid, &sb, 1);
}

/* read_file reads a whole (small) file into buf. */
static int read_file(const char *path, char *buf, int size)
{
	int fd = open(path, O_RDONLY), n = 0;
	if (fd < 0)
		return -1;
	for (ssize_t r; n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0;)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

/* find_line returns the line of text that starts with prefix, or NULL. */
static char *find_line(char *text, const char *prefix)
{
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			return l;
	return NULL;
}

static int nattch(int shmid)
{
	struct shmid_ds ds;
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return -1;
	return ds.shm_nattch;
}

static void test_shm(const char *self)
{
	t_printf("# shared memory\n");
	int id = shmget(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0600);
	CHECK(id >= 0, "shmget IPC_PRIVATE");
	int sem = semget(IPC_PRIVATE, 1, 0600);
	CHECK(sem >= 0, "semget for the handshake");

	struct shmid_ds ds;
	CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0, "IPC_STAT");
	CHECK(ds.shm_segsz == 3 * PAGE && ds.shm_nattch == 0 && ds.shm_cpid == getpid() &&
	      ds.shm_lpid == 0 && ds.shm_atime == 0 && ds.shm_perm.key == IPC_PRIVATE,
	      "a new segment: size, no attach, creator");
	CHECK((ds.shm_perm.mode & 0777) == 0600 && ds.shm_perm.uid == getuid() && ds.shm_perm.cuid == getuid(),
	      "ipc_perm mode and owner");

	char *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1, "shmat");
	CHECK(p[0] == 0 && p[3 * PAGE - 1] == 0, "a new segment reads zeros");
	CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0, "IPC_STAT after shmat");
	CHECK(ds.shm_nattch == 1 && ds.shm_lpid == getpid() && ds.shm_atime != 0, "shmat counts in shm_nattch");
	static char text[65536];
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%lx-%lx rw-s 00000000 00:01 %d ", (long)p, (long)p + 3 * PAGE, id);
	char *line = read_file("/proc/self/maps", text, sizeof text) > 0 ? find_line(text, prefix) : NULL;
	CHECK(line && strncmp(strchr(line, '/'), "/SYSV00000000 (deleted)\n", 24) == 0,
	      "/proc/self/maps: the segment's file, inode = shmid");
	int found = 0;
	if (read_file("/proc/sysvipc/shm", text, sizeof text) > 0) {
		for (char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
			int k, i, mode, cpid, lpid;
			unsigned long size, att;
			if (sscanf(l + 1, "%d %d %o %lu %d %d %lu", &k, &i, &mode, &size, &cpid, &lpid, &att) == 7 &&
			    i == id)
				found = k == 0 && mode == 0600 && size == 3 * PAGE && cpid == getpid() &&
					lpid == getpid() && att == 1;
		}
	}
	CHECK(found, "/proc/sysvipc/shm shows the segment");
	strcpy(p, "parent");

	/* A child inherits the attach (nattch 2), attaches once more
	 * elsewhere, and writes through both; the semaphore says when. */
	pid_t pid = fork();
	if (pid == 0) {
		int ok = nattch(id) == 2 && strcmp(p, "parent") == 0;
		char *q = shmat(id, NULL, 0);
		ok = ok && q != (void *)-1 && q != p && nattch(id) == 3;
		strcpy(q + PAGE, "child via second attach");
		strcpy(p, "child");
		ok = ok && shmdt(q) == 0 && nattch(id) == 2;
		semop1(sem, 0, 1, 0);
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(semop1(sem, 0, -1, 0), 0, "wait for the child's semaphore");
	CHECK(strcmp(p, "child") == 0 && strcmp(p + PAGE, "child via second attach") == 0,
	      "the child's writes are seen by the parent");
	CHECK_EQ(t_exit_code(pid), 0, "child: inherited attach, nattch 2 then 3 then 2");
	CHECK_EQ(nattch(id), 1, "the child's exit detaches");

	/* exec detaches too: the new program sees only our attach. */
	pid = fork();
	if (pid == 0) {
		char arg[16];
		snprintf(arg, sizeof arg, "%d", id);
		if (nattch(id) != 2)
			_exit(100);
		/* Natively the oracle runs us from our directory; tamix
		 * has the program in /bin. */
		execl(self, "sysvipc", "nattch", arg, (char *)NULL);
		execl("/bin/sysvipc", "sysvipc", "nattch", arg, (char *)NULL);
		_exit(101);
	}
	CHECK_EQ(t_exit_code(pid), 1, "exec detaches the segment");

	/* Attaching at a chosen address. */
	char *hole = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4 * PAGE);
	CHECK_ERR(shmat(id, hole + 1, 0), EINVAL, "unaligned address without SHM_RND");
	char *r = shmat(id, hole + 1, SHM_RND);
	CHECK(r == hole, "SHM_RND rounds the address down");
	CHECK(strcmp(r, "child") == 0, "both attaches map the same pages");
	CHECK_ERR(shmat(id, hole + PAGE, 0), EINVAL, "an address over a mapping");
	CHECK(shmat(id, hole + PAGE, SHM_REMAP) == hole + PAGE, "SHM_REMAP replaces it");
	CHECK_EQ(nattch(id), 3, "the first attach keeps its first page");
	CHECK_EQ(shmdt(hole + PAGE), 0, "shmdt of the second attach");
	CHECK_EQ(shmdt(hole), 0, "shmdt of what is left of the first");
	CHECK_EQ(nattch(id), 1, "both gone");
	r = shmat(id, NULL, 0);
	CHECK_EQ(mprotect(r + PAGE, PAGE, PROT_READ), 0, "mprotect the middle page of an attach");
	CHECK_EQ(nattch(id), 4, "three VMAs now: nattch counts mappings");
	CHECK_EQ(shmdt(r), 0, "shmdt takes every fragment");
	CHECK_EQ(nattch(id), 1, "all three gone");
	CHECK_ERR(shmat(0, 0, SHM_REMAP), EINVAL, "SHM_REMAP without an address");
	CHECK_ERR(shmdt(p + 1), EINVAL, "shmdt of an unaligned address");
	CHECK_ERR(shmdt(p + PAGE), EINVAL, "shmdt where no attach starts");
	CHECK_ERR(shmdt(hole), EINVAL, "shmdt of a detached address");

	/* A read-only attach: writing is SIGSEGV, mprotect cannot add write. */
	char *ro = shmat(id, NULL, SHM_RDONLY);
	CHECK(ro != (void *)-1 && strcmp(ro, "child") == 0, "SHM_RDONLY attach reads");
	CHECK_ERR(mprotect(ro, PAGE, PROT_READ | PROT_WRITE), EACCES, "mprotect cannot make it writable");
	pid = fork();
	if (pid == 0) {
		*(volatile char *)ro = 'x';
		_exit(0);
	}
	CHECK_EQ(t_exit_code(pid), 128 + SIGSEGV, "a write to a SHM_RDONLY attach is SIGSEGV");
	CHECK_EQ(shmdt(ro), 0, "shmdt read-only");

	/* Keys. */
	int kid = shmget(key(0), 2 * PAGE, IPC_CREAT | IPC_EXCL | 0640);
	CHECK(kid >= 0, "shmget with a new key");
	CHECK_EQ(shmget(key(0), PAGE, 0), kid, "the key finds the segment");
	CHECK_EQ(shmget(key(0), 2 * PAGE, IPC_CREAT), kid, "IPC_CREAT finds it too");
	CHECK_ERR(shmget(key(0), PAGE, IPC_CREAT | IPC_EXCL), EEXIST, "IPC_CREAT|IPC_EXCL on a used key");
	CHECK_ERR(shmget(key(0), 3 * PAGE, 0), EINVAL, "a size larger than the segment");
	CHECK_ERR(shmget(key(1), PAGE, 0), ENOENT, "a key without a segment");
	CHECK_ERR(shmget(key(1), 0, IPC_CREAT), EINVAL, "size 0");
	CHECK_ERR(shmget(IPC_PRIVATE, 0, 0), EINVAL, "size 0, IPC_PRIVATE");
	CHECK_EQ(shmctl(kid, IPC_STAT, &ds), 0, "IPC_STAT of the keyed segment");
	CHECK(ds.shm_perm.key == key(0) && (ds.shm_perm.mode & 0777) == 0640, "its key and mode");

	/* IPC_SET changes the mode; IPC_RMID frees the key at once but the
	 * segment lives until its last detach. */
	ds.shm_perm.mode = 0604;
	CHECK_EQ(shmctl(kid, IPC_SET, &ds), 0, "IPC_SET");
	CHECK_EQ(shmctl(kid, IPC_STAT, &ds), 0, "IPC_STAT after IPC_SET");
	CHECK((ds.shm_perm.mode & 0777) == 0604, "the new mode");
	char *k = shmat(kid, NULL, 0);
	strcpy(k, "kept");
	CHECK_EQ(shmctl(kid, IPC_RMID, NULL), 0, "IPC_RMID while attached");
	CHECK_ERR(shmget(key(0), PAGE, 0), ENOENT, "the key is free at once");
	CHECK_EQ(shmctl(kid, IPC_STAT, &ds), 0, "the id still works");
	CHECK(ds.shm_perm.key == IPC_PRIVATE && (ds.shm_perm.mode & SHM_DEST) && ds.shm_nattch == 1,
	      "key IPC_PRIVATE, SHM_DEST, still attached");
	int kid2 = shmget(key(0), PAGE, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(kid2 >= 0 && kid2 != kid, "the key makes a new segment");
	CHECK(strcmp(k, "kept") == 0, "the removed segment's pages stay");
	pid = fork();
	if (pid == 0)
		_exit(nattch(kid) == 2 && strcmp(k, "kept") == 0 ? 0 : 1);
	CHECK_EQ(t_exit_code(pid), 0, "a child inherits the removed segment");
	CHECK_EQ(shmdt(k), 0, "the last detach");
	CHECK_ERR(shmctl(kid, IPC_STAT, &ds), EINVAL, "the segment is gone");
	CHECK_ERR(shmat(kid, NULL, 0), EINVAL, "shmat of a removed id");
	CHECK_EQ(shmctl(kid2, IPC_RMID, NULL), 0, "IPC_RMID unattached");
	CHECK_ERR(shmctl(kid2, IPC_RMID, NULL), EINVAL, "IPC_RMID twice");
	CHECK_ERR(shmctl(id, 1234, &ds), EINVAL, "an unknown command");
	CHECK_ERR(shmctl(-1, IPC_STAT, &ds), EINVAL, "a negative id");
	CHECK_ERR(shmctl(id, IPC_STAT, (void *)8), EFAULT, "IPC_STAT to a bad pointer");
	CHECK_ERR(shmctl(id, IPC_SET, (void *)8), EFAULT, "IPC_SET from a bad pointer");

	CHECK_EQ(shmdt(p), 0, "shmdt");
	CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0, "IPC_RMID");
	semctl(sem, 0, IPC_RMID);
}

static void on_signal(int sig) { (void)sig; }

static void *undo_thread(void *arg)
{
	int sem = *(int *)arg;
	return (void *)(long)semop1(sem, 0, -1, SEM_UNDO);
}

static void test_sem(void)
{
	t_printf("# semaphores\n");
	int id = semget(IPC_PRIVATE, 3, 0600);
	CHECK(id >= 0, "semget");
	struct semid_ds ds;
	CHECK_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0, "IPC_STAT");
	CHECK(ds.sem_nsems == 3 && (ds.sem_perm.mode & 0777) == 0600 && ds.sem_otime == 0, "nsems, mode, otime");
	CHECK_EQ(semctl(id, 1, GETVAL), 0, "a new semaphore is 0");
	CHECK_EQ(semctl(id, 1, SETVAL, (union semun){.val = 5}), 0, "SETVAL");
	CHECK_EQ(semctl(id, 1, GETVAL), 5, "GETVAL");
	CHECK_EQ(semctl(id, 1, GETPID), getpid(), "GETPID after SETVAL");
	unsigned short vals[3] = {1, 2, 3}, got[3];
	CHECK_EQ(semctl(id, 0, SETALL, (union semun){.array = vals}), 0, "SETALL");
	CHECK_EQ(semctl(id, 0, GETALL, (union semun){.array = got}), 0, "GETALL");
	CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3, "GETALL values");

	struct sembuf two[2] = {{0, -1, 0}, {2, 2, 0}};
	CHECK_EQ(semop(id, two, 2), 0, "semop on two semaphores at once");
	CHECK(semctl(id, 0, GETVAL) == 0 && semctl(id, 2, GETVAL) == 5, "both changed");
	CHECK_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0, "IPC_STAT after semop");
	CHECK(ds.sem_otime != 0, "sem_otime is set");
	struct sembuf fail[2] = {{1, -1, 0}, {0, -1, IPC_NOWAIT}};
	CHECK_ERR(semop(id, fail, 2), EAGAIN, "IPC_NOWAIT on an operation that would block");
	CHECK_EQ(semctl(id, 1, GETVAL), 2, "all or nothing: the other semaphore is unchanged");
	CHECK_ERR(semop1(id, 1, 32767, 0), ERANGE, "a value above SEMVMX");
	CHECK_ERR(semctl(id, 1, SETVAL, (union semun){.val = 32768}), ERANGE, "SETVAL above SEMVMX");
	CHECK_ERR(semctl(id, 1, SETVAL, (union semun){.val = -1}), ERANGE, "SETVAL below 0");
	CHECK_ERR(semctl(id, 3, GETVAL), EINVAL, "semnum out of range");
	CHECK_ERR(semop1(id, 3, 1, 0), EFBIG, "sem_num out of range");
	static struct sembuf many[501];
	CHECK_ERR(semop(id, many, 501), E2BIG, "more than SEMOPM operations");
	CHECK_ERR(semop(id, many, 0), EINVAL, "no operation");
	CHECK_ERR(semop(id, (struct sembuf *)8, 1), EFAULT, "sops at a bad pointer");
	CHECK_ERR(semop(-1, two, 1), EINVAL, "a negative id");
	struct sembuf dup[2] = {{1, 1, 0}, {1, -3, 0}};
	CHECK_EQ(semop(id, dup, 2), 0, "two operations on one semaphore see each other");
	CHECK_EQ(semctl(id, 1, GETVAL), 0, "2 + 1 - 3");

	struct timespec ts = {0, 20 * 1000 * 1000};
	struct sembuf dec = {1, -1, 0};
	CHECK_ERR(semtimedop(id, &dec, 1, &ts), EAGAIN, "semtimedop times out with EAGAIN");
	ts.tv_nsec = 1000000000;
	CHECK_ERR(semtimedop(id, &dec, 1, &ts), EINVAL, "semtimedop with a bad timeout");
	CHECK_EQ(semctl(id, 1, GETNCNT), 0, "the timed-out operation left the queue");

	/* Blocking, woken in order: A wants 2, B wants 1; +1 lets B pass A. */
	pid_t a = fork();
	if (a == 0)
		_exit(semop1(id, 1, -2, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 1, GETNCNT, 1), "A sleeps: GETNCNT 1");
	pid_t b = fork();
	if (b == 0)
		_exit(semop1(id, 1, -1, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 1, GETNCNT, 2), "B sleeps: GETNCNT 2");
	CHECK_EQ(semop1(id, 1, 1, 0), 0, "+1");
	CHECK_EQ(t_exit_code(b), 0, "B went first: A's decrement does not fit");
	CHECK_EQ(semctl(id, 1, GETNCNT), 1, "A still sleeps");
	CHECK_EQ(semop1(id, 1, 2, 0), 0, "+2");
	CHECK_EQ(t_exit_code(a), 0, "then A");
	CHECK_EQ(semctl(id, 1, GETVAL), 0, "all taken");

	/* Two equal waiters wake first come, first served. */
	a = fork();
	if (a == 0)
		_exit(semop1(id, 1, -1, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 1, GETNCNT, 1), "A sleeps");
	b = fork();
	if (b == 0)
		_exit(semop1(id, 1, -1, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 1, GETNCNT, 2), "B sleeps");
	semop1(id, 1, 1, 0);
	int st;
	CHECK_EQ(wait(&st), a, "the first to sleep is the first woken");
	semop1(id, 1, 1, 0);
	CHECK_EQ(wait(&st), b, "then the second");

	/* Wait for zero. */
	semctl(id, 2, SETVAL, (union semun){.val = 1});
	a = fork();
	if (a == 0)
		_exit(semop1(id, 2, 0, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 2, GETZCNT, 1), "a wait-for-zero sleeps: GETZCNT 1");
	CHECK_EQ(semctl(id, 2, GETNCNT), 0, "GETNCNT 0");
	CHECK_EQ(semop1(id, 2, -1, 0), 0, "down to 0");
	CHECK_EQ(t_exit_code(a), 0, "the wait-for-zero returns");

	/* A signal interrupts the sleep with EINTR, even with SA_RESTART. */
	a = fork();
	if (a == 0) {
		struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		int r = semop1(id, 1, -1, 0);
		_exit(r == -1 && errno == EINTR ? 0 : 1);
	}
	CHECK(wait_cnt(id, 1, GETNCNT, 1), "sleeps");
	kill(a, SIGUSR1);
	CHECK_EQ(t_exit_code(a), 0, "a signal: EINTR");
	CHECK_EQ(semctl(id, 1, GETNCNT), 0, "and it left the queue");

	/* SEM_UNDO: applied at exit, not inherited by fork. */
	semctl(id, 0, SETVAL, (union semun){.val = 3});
	a = fork();
	if (a == 0) {
		if (semop1(id, 0, -2, SEM_UNDO) < 0 || semop1(id, 0, 1, SEM_UNDO) < 0)
			_exit(1);
		pid_t g = fork();
		if (g == 0)
			_exit(0); /* no undo list: nothing to apply */
		if (t_exit_code(g) != 0 || semctl(id, 0, GETVAL) != 2)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(t_exit_code(a), 0, "a forked child does not inherit SEM_UNDO adjustments");
	CHECK_EQ(semctl(id, 0, GETVAL), 3, "the exit undid -2 and +1");
	a = fork();
	if (a == 0) {
		semop1(id, 0, -3, SEM_UNDO);
		semctl(id, 0, SETVAL, (union semun){.val = 1}); /* clears the adjustment */
		_exit(0);
	}
	CHECK_EQ(t_exit_code(a), 0, "SETVAL after a SEM_UNDO operation");
	CHECK_EQ(semctl(id, 0, GETVAL), 1, "SETVAL cleared the adjustment");
	a = fork();
	if (a == 0) {
		pthread_t th;
		void *ret;
		if (pthread_create(&th, NULL, undo_thread, &id) || pthread_join(th, &ret) || ret)
			_exit(1);
		_exit(semctl(id, 0, GETVAL) == 0 ? 0 : 2);
	}
	CHECK_EQ(t_exit_code(a), 0, "a thread's undo waits for the whole process");
	CHECK_EQ(semctl(id, 0, GETVAL), 1, "then it is applied");

	/* IPC_RMID wakes the sleepers with EIDRM. */
	a = fork();
	if (a == 0) {
		int r = semop1(id, 1, -1, 0);
		_exit(r == -1 && errno == EIDRM ? 0 : 1);
	}
	CHECK(wait_cnt(id, 1, GETNCNT, 1), "sleeps");
	CHECK_EQ(semctl(id, 0, IPC_RMID), 0, "IPC_RMID");
	CHECK_EQ(t_exit_code(a), 0, "the sleeper gets EIDRM");
	CHECK_ERR(semctl(id, 0, GETVAL), EINVAL, "the set is gone");

	int kid = semget(key(2), 2, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(kid >= 0, "semget with a key");
	CHECK_EQ(semget(key(2), 0, 0), kid, "nsems 0 finds it");
	CHECK_ERR(semget(key(2), 3, 0), EINVAL, "more semaphores than the set has");
	CHECK_ERR(semget(key(2), 1, IPC_CREAT | IPC_EXCL), EEXIST, "IPC_EXCL");
	CHECK_ERR(semget(key(3), 1, 0), ENOENT, "no such key");
	CHECK_ERR(semget(key(3), 0, IPC_CREAT), EINVAL, "a new set of 0 semaphores");
	CHECK_ERR(semget(IPC_PRIVATE, -1, 0), EINVAL, "nsems < 0");
	CHECK_EQ(semctl(kid, 0, IPC_RMID), 0, "IPC_RMID");
}

struct msg {
	long mtype;
	char mtext[64];
};

static int send(int q, long type, const char *text, int flg)
{
	struct msg m = {type};
	strcpy(m.mtext, text);
	return msgsnd(q, &m, strlen(text) + 1, flg);
}

static void test_msg(void)
{
	t_printf("# message queues\n");
	int q = msgget(IPC_PRIVATE, 0600);
	CHECK(q >= 0, "msgget");
	CHECK_EQ(send(q, 1, "one", 0), 0, "msgsnd type 1");
	CHECK_EQ(send(q, 2, "two", 0), 0, "msgsnd type 2");
	CHECK_EQ(send(q, 3, "three", 0), 0, "msgsnd type 3");
	CHECK_EQ(send(q, 1, "uno", 0), 0, "msgsnd type 1 again");
	struct msqid_ds ds;
	CHECK_EQ(msgctl(q, IPC_STAT, &ds), 0, "IPC_STAT");
	CHECK(ds.msg_qnum == 4 && ds.msg_cbytes == 4 + 4 + 6 + 4 && ds.msg_qbytes == 16384 &&
	      ds.msg_lspid == getpid() && ds.msg_lrpid == 0, "qnum, cbytes, qbytes, lspid");

	struct msg m;
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 3, 0), 6, "msgtyp 3: that type");
	CHECK(m.mtype == 3 && strcmp(m.mtext, "three") == 0, "three");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 1, MSG_EXCEPT), 4, "MSG_EXCEPT 1: the first of another type");
	CHECK(m.mtype == 2 && strcmp(m.mtext, "two") == 0, "two");
	send(q, 5, "five", 0);
	send(q, 4, "four", 0);
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, -5, 0), 4, "msgtyp -5: the lowest type up to 5");
	CHECK(m.mtype == 1 && strcmp(m.mtext, "one") == 0, "one");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 0, 0), 4, "msgtyp 0: the first");
	CHECK(m.mtype == 1 && strcmp(m.mtext, "uno") == 0, "uno");
	CHECK_ERR(msgrcv(q, &m, 2, 0, 0), E2BIG, "a message larger than the buffer");
	CHECK_EQ(msgrcv(q, &m, 2, 0, MSG_NOERROR), 2, "MSG_NOERROR truncates");
	CHECK(m.mtype == 5 && memcmp(m.mtext, "fi", 2) == 0, "fi");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, -3, IPC_NOWAIT), -1, "msgtyp -3 with only type 4 left");
	CHECK(errno == ENOMSG, "ENOMSG");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 4, 0), 5, "four");
	CHECK_ERR(msgrcv(q, &m, sizeof m.mtext, 0, IPC_NOWAIT), ENOMSG, "an empty queue with IPC_NOWAIT");
	CHECK_EQ(msgctl(q, IPC_STAT, &ds), 0, "IPC_STAT");
	CHECK(ds.msg_qnum == 0 && ds.msg_cbytes == 0 && ds.msg_lrpid == getpid(), "empty, lrpid");

	CHECK_ERR(send(q, 0, "x", 0), EINVAL, "mtype 0");
	static struct msg big;
	big.mtype = 1;
	CHECK_ERR(msgsnd(q, &big, 8193, 0), EINVAL, "more than MSGMAX bytes");
	CHECK_ERR(msgsnd(q, (void *)8, 1, 0), EFAULT, "msgp at a bad pointer");
	CHECK_ERR(msgrcv(q, &m, -1, 0, 0), EINVAL, "a negative size");
	CHECK_ERR(msgrcv(-1, &m, 8, 0, 0), EINVAL, "a negative id");

	/* A sleeping receiver gets the message of its type from the sender. */
	pid_t a = fork();
	if (a == 0) {
		struct msg r;
		ssize_t n = msgrcv(q, &r, sizeof r.mtext, 7, 0);
		_exit(n == 6 && r.mtype == 7 && strcmp(r.mtext, "seven") == 0 ? 0 : 1);
	}
	CHECK(t_wait_sleeping(a), "the receiver sleeps");
	send(q, 6, "six", 0);
	send(q, 7, "seven", 0);
	CHECK_EQ(t_exit_code(a), 0, "it got type 7");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 0, IPC_NOWAIT), 4, "type 6 is still queued");

	/* A full queue blocks the sender until a receiver makes room. */
	ds.msg_qbytes = 100;
	CHECK_EQ(msgctl(q, IPC_SET, &ds), 0, "IPC_SET msg_qbytes 100");
	CHECK_EQ(msgctl(q, IPC_STAT, &ds), 0, "IPC_STAT");
	CHECK_EQ(ds.msg_qbytes, 100, "msg_qbytes");
	static struct msg sixty = {1};
	memset(sixty.mtext, 'a', 59);
	CHECK_EQ(msgsnd(q, &sixty, 60, 0), 0, "60 bytes fit");
	a = fork();
	if (a == 0) {
		int r1 = msgsnd(q, &sixty, 60, IPC_NOWAIT);
		int e1 = errno;
		int r2 = msgsnd(q, &sixty, 60, 0);
		_exit(r1 == -1 && e1 == EAGAIN && r2 == 0 ? 0 : 1);
	}
	CHECK(t_wait_sleeping(a), "the sender sleeps");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 0, 0), 60, "receive makes room");
	CHECK_EQ(t_exit_code(a), 0, "the sender: EAGAIN with IPC_NOWAIT, then sent");
	CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 0, 0), 60, "its message arrived");

	/* IPC_RMID: the sleeping receiver gets EIDRM. */
	a = fork();
	if (a == 0) {
		int r = msgrcv(q, &m, sizeof m.mtext, 0, 0);
		_exit(r == -1 && errno == EIDRM ? 0 : 1);
	}
	CHECK(t_wait_sleeping(a), "a receiver sleeps on an empty queue");
	CHECK_EQ(msgctl(q, IPC_RMID, NULL), 0, "IPC_RMID");
	CHECK_EQ(t_exit_code(a), 0, "the receiver gets EIDRM");
	CHECK_ERR(send(q, 1, "x", 0), EINVAL, "the queue is gone");

	int kid = msgget(key(4), IPC_CREAT | IPC_EXCL | 0600);
	CHECK(kid >= 0, "msgget with a key");
	CHECK_EQ(msgget(key(4), 0), kid, "the key finds it");
	CHECK_ERR(msgget(key(4), IPC_CREAT | IPC_EXCL), EEXIST, "IPC_EXCL");
	CHECK_ERR(msgget(key(5), 0), ENOENT, "no such key");
	CHECK_ERR(msgctl(kid, 99, &ds), EINVAL, "an unknown command");
	CHECK_EQ(msgctl(kid, IPC_RMID, NULL), 0, "IPC_RMID");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "nattch") == 0)
		return nattch(atoi(argv[2]));
	test_shm(argv[0]);
	test_sem();
	test_msg();
	return t_done();
}
