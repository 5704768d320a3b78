// pthreads under futex contention
#include "check.h"
#include <pthread.h>

#define THREADS 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;

static void *worker(void *arg)
{
	int i;

	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

int main(void)
{
	pthread_t t[THREADS];
	long i, joined = 0;
	void *ret;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < THREADS; i++)
		joined += pthread_join(t[i], &ret) == 0 && ret == (void *)i;
	check(joined == THREADS, "%d threads created and joined: %ld", THREADS, joined);
	check(counter == (long)THREADS * ROUNDS,
	      "mutex-protected counter: expected %ld, saw %ld", (long)THREADS * ROUNDS, counter);
	return check_summary("threads");
}
