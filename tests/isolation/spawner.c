// Guest side of the host-thread check: threads and forks, again and
// again, each right after the address space changed (so the kernel
// resumes the process through the stub).  The host runner checks that no
// backing process ever has more than one host thread: a guest clone must
// be emulated by the kernel, never run by the host.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void *worker(void *arg)
{
	char *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(p, 1, 1 << 16);
	munmap(p, 1 << 16);
	return arg;
}

int main(void)
{
	printf("SPAWNER-READY\n");
	fflush(stdout);
	for (;;) {
		pthread_t t;
		char *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pid_t c;

		p[0] = 1;	/* a fault: the next resume goes through the stub */
		pthread_create(&t, NULL, worker, NULL);
		pthread_join(t, NULL);
		p[4096] = 1;
		c = fork();
		if (c == 0)
			_exit(0);
		waitpid(c, NULL, 0);
		munmap(p, 1 << 16);
	}
}
