// fork/exec/wait, copy-on-write, exit statuses and signals reaching the parent
#include "check.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void test_fork_exec_wait(void)
{
	int i, bad = 0, status;

	for (i = 0; i < 1000; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	}
	check(bad == 0, "1000 x fork+exec(/bin/true)+wait: expected 0 failures, saw %d", bad);
}

static void test_exit_status(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(42);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	      "exit(42) seen by parent: status 0x%x", status);

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	      "SIGTERM death seen by parent: status 0x%x", status);

	pid = fork();
	if (pid == 0) {
		*(volatile int *)16 = 1;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "segfaulting child dies of SIGSEGV: status 0x%x", status);
}

static void test_cow(void)
{
	char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pipefd[2], status;
	char seen = 0;
	pid_t pid;

	memset(p, 'a', 1 << 20);
	pipe(pipefd);
	pid = fork();
	if (pid == 0) {
		read(pipefd[0], &seen, 1);	/* wait for the parent's write */
		seen = p[4096];
		p[8192] = 'c';
		_exit(seen == 'a' ? 0 : 1);
	}
	p[4096] = 'b';
	write(pipefd[1], "x", 1);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child still sees 'a' after the parent wrote 'b' (copy-on-write)");
	check(p[8192] == 'a' && p[4096] == 'b',
	      "parent's page untouched by the child's write: '%c'", p[8192]);
}

/*
 * fork+_exit in a tight loop, the parent writing a page before each: every
 * fork write-protects it, every write is a copy-on-write fault whose new
 * page comes with a batch.  In fast mode such a batch also releases the
 * guest thread, and a release that lost its place (the trusted thread
 * reading the next request's release) left the parent asleep in its
 * handler until the kernel killed it as one that would not stop.
 */
static void test_fork_exit_loop(void)
{
	static volatile char page[4096] __attribute__((aligned(4096)));
	int i, bad = 0, status;

	for (i = 0; i < 2000; i++) {
		pid_t pid;

		page[i % 4096] = (char)i;
		pid = fork();
		if (pid == 0)
			_exit(page[i % 4096] == (char)i ? 7 : 8);
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 7)
			bad++;
	}
	check(bad == 0, "2000 x (write a page, fork, child _exit(7)): expected 0 failures, saw %d", bad);
}

static void test_bad_syscalls(void)
{
	long r = syscall(100000);

	check(r == -1 && errno == ENOSYS, "syscall(100000) gives ENOSYS: %ld/%d", r, errno);
	r = syscall(-5);
	check(r == -1 && errno == ENOSYS, "syscall(-5) gives ENOSYS: %ld/%d", r, errno);
	r = syscall(__NR_getpid);
	check(r == getpid(), "and the kernel still answers getpid: %ld", r);
}

int main(void)
{
	test_exit_status();
	test_cow();
	test_bad_syscalls();
	test_fork_exec_wait();
	test_fork_exit_loop();
	return check_summary("process");
}
