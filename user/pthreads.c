/* pthreads: musl threads on clone(CLONE_VM|CLONE_THREAD|CLONE_SETTLS|...),
 * futex and set_tid_address/CLONE_CHILD_CLEARTID for join.
 * Checks: 8 threads sum into an atomic, join returns each thread's value,
 * thread-local storage is distinct per thread, gettid distinct, getpid the
 * same; a mutex+condvar bounded queue passes 10000 items in order. */
#define _GNU_SOURCE
#include "tamix_test.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>

#define NT 8
#define ITER 10000

static _Atomic long sum;
static __thread int tls_val = -1;
static __thread char tls_buf[64];
static pid_t tids[NT], pids[NT];
static uintptr_t tls_addr[NT];
static int tls_ok[NT];
static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	tids[id] = syscall(SYS_gettid);
	pids[id] = getpid();
	tls_ok[id] = tls_val == -1 && tls_buf[0] == 0; /* fresh TLS */
	tls_val = id;
	memset(tls_buf, 'a' + id, sizeof tls_buf);
	tls_addr[id] = (uintptr_t)&tls_val;
	pthread_barrier_wait(&barrier); /* all threads alive at once */
	for (int i = 1; i <= ITER; i++) {
		sum += i;
		if (i % 1000 == 0)
			sched_yield();
	}
	tls_ok[id] &= tls_val == id && tls_buf[63] == 'a' + id;
	return (void *)(intptr_t)(id * 10 + 1);
}

/* bounded queue */
#define QN 4
static int q[QN], qhead, qtail, qcount;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
#define ITEMS 10000

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&mu);
		while (qcount == QN)
			pthread_cond_wait(&notfull, &mu);
		q[qtail] = i;
		qtail = (qtail + 1) % QN;
		qcount++;
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static long counter;
static void *incr(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(void)
{
	pthread_t th[NT];
	pid_t me = getpid();
	tls_val = 999;
	pthread_barrier_init(&barrier, NULL, NT);
	int created = 0;
	for (int i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0)
			created++;
	CHECK(created == NT, "pthread_create 8 threads");
	int joined = 0, rets = 1;
	for (int i = 0; i < created; i++) {
		void *r;
		if (pthread_join(th[i], &r) == 0)
			joined++;
		rets &= (intptr_t)r == i * 10 + 1;
	}
	CHECK(joined == NT, "pthread_join 8 threads");
	CHECK(rets, "pthread_join returns each thread's value");
	CHECK(sum == (long)NT * ITER * (ITER + 1) / 2, "atomic sum from 8 threads is exact");

	int distinct = 1, samepid = 1, tlsd = 1, fresh = 1;
	for (int i = 0; i < NT; i++) {
		samepid &= pids[i] == me;
		distinct &= tids[i] != me && tids[i] > 0;
		fresh &= tls_ok[i];
		for (int j = 0; j < i; j++) {
			distinct &= tids[i] != tids[j];
			tlsd &= tls_addr[i] != tls_addr[j];
		}
		tlsd &= tls_addr[i] != (uintptr_t)&tls_val;
	}
	CHECK(samepid, "getpid is the same in every thread");
	CHECK(distinct, "gettid is distinct per thread and differs from the main thread's");
	CHECK(tlsd, "thread-local variables live at distinct addresses");
	CHECK(fresh, "each thread starts with fresh TLS and keeps its own values");
	CHECK(tls_val == 999, "main thread's TLS untouched");
	CHECK(syscall(SYS_gettid) == me, "main thread's tid is still the pid");

	pthread_t pt;
	CHECK(pthread_create(&pt, NULL, producer, NULL) == 0, "create producer");
	int inorder = 1;
	for (int i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&mu);
		while (qcount == 0)
			pthread_cond_wait(&notempty, &mu);
		int v = q[qhead];
		qhead = (qhead + 1) % QN;
		qcount--;
		pthread_cond_signal(&notfull);
		pthread_mutex_unlock(&mu);
		inorder &= v == i;
	}
	CHECK(pthread_join(pt, NULL) == 0, "join producer");
	CHECK(inorder, "condvar queue delivered 10000 items in order");

	pthread_t it[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&it[i], NULL, incr, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(it[i], NULL);
	CHECK(counter == 4 * 20000, "mutex protects a counter across 4 threads");

	pthread_t dt;
	CHECK(pthread_create(&dt, NULL, incr, NULL) == 0 && pthread_detach(dt) == 0, "detached thread");

	/* the process ends while the detached thread may still run: exit_group */
	return t_done();
}
