// Guest side of the host kill -9 test: a victim that maps a marker page
// the host can find, then keeps its address space busy (batches, faults);
// a sleeper with a marker of its own, whose host process is killed while
// it sleeps in the kernel; a bystander; and a parent that reports how
// each ended.
#include "../guest/check.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MARKER ((void *)0x1337000000UL)
#define SLEEPER_MARKER ((void *)0x1338000000UL)

static void victim(void)
{
	char *m = mmap(MARKER, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	m[0] = 1;
	printf("HOSTKILL-VICTIM-READY\n");
	fflush(stdout);
	for (;;) {
		char *p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		memset(p, 1, 64 << 10);
		mprotect(p, 4096, PROT_READ);
		munmap(p, 64 << 10);
	}
}

/* Stopped in the kernel when its host process dies; it finds out on waking. */
static void sleeper(void)
{
	char *m = mmap(SLEEPER_MARKER, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	m[0] = 1;
	printf("HOSTKILL-SLEEPER-READY\n");
	fflush(stdout);
	sleep(3);
	_exit(0);
}

int main(void)
{
	int vstatus, bstatus, sstatus, pipefd[2];
	pid_t v, b, s;
	char c;

	pipe(pipefd);
	b = fork();
	if (b == 0) {
		read(pipefd[0], &c, 1);		/* until the parent says */
		_exit(7);
	}
	s = fork();
	if (s == 0)
		sleeper();
	v = fork();
	if (v == 0)
		victim();
	waitpid(v, &vstatus, 0);
	check(WIFSIGNALED(vstatus) && WTERMSIG(vstatus) == SIGKILL,
	      "victim whose host process got kill -9 died of SIGKILL (status 0x%x)", vstatus);
	waitpid(s, &sstatus, 0);
	check(WIFSIGNALED(sstatus) && WTERMSIG(sstatus) == SIGKILL,
	      "sleeper whose host process got kill -9 while it slept died of SIGKILL on waking (status 0x%x)",
	      sstatus);
	write(pipefd[1], "x", 1);
	waitpid(b, &bstatus, 0);
	check(WIFEXITED(bstatus) && WEXITSTATUS(bstatus) == 7,
	      "bystander went on and exited normally (status 0x%x)", bstatus);
	return check_summary("hostkill");
}
