// mmap/munmap/mprotect of anonymous and file mappings, faults, big memory, stack
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static sigjmp_buf recover;
static volatile siginfo_t last;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	last = *si;
	siglongjmp(recover, 1);
}

/* Access addr (read, write or call); the fault's si_addr and si_code, if any. */
static int faults(void *addr, int how, void **fault_addr, int *code)
{
	if (sigsetjmp(recover, 1)) {
		*fault_addr = last.si_addr;
		*code = last.si_code;
		return 1;
	}
	if (how == 'r')
		(void)*(volatile char *)addr;
	else if (how == 'w')
		*(volatile char *)addr = 1;
	else
		((void (*)(void))addr)();
	return 0;
}

/*
 * No-exec pages: a readable page without PROT_EXEC (upstream UML maps it
 * executable on the host) must not run.
 */
static void test_no_exec(long pg)
{
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char on_stack[64];
	void *at = NULL;
	int code = 0, hit;

	memset(p, 0xc3, 2 * pg);	/* ret */
	hit = faults(p + 8, 'x', &at, &code);
	check(hit && at == p + 8 && code == SEGV_ACCERR,
	      "call into a read-write page: SIGSEGV at %p (want %p), code %d (want SEGV_ACCERR)",
	      at, p + 8, code);
	check(!faults(p + 8, 'r', &at, &code) && !faults(p + 8, 'w', &at, &code),
	      "and the page still reads and writes");
	mprotect(p, pg, PROT_READ);
	hit = faults(p + 16, 'x', &at, &code);
	check(hit && at == p + 16 && code == SEGV_ACCERR,
	      "call into a read-only page: SIGSEGV at %p, code %d", at, code);
	mprotect(p, pg, PROT_READ | PROT_EXEC);
	check(!faults(p + 16, 'x', &at, &code), "after mprotect(PROT_READ|PROT_EXEC) it runs");
	mprotect(p, pg, PROT_READ | PROT_WRITE);
	hit = faults(p + 16, 'x', &at, &code);
	check(hit && at == p + 16 && code == SEGV_ACCERR,
	      "after mprotect(PROT_READ|PROT_WRITE) it faults again (at %p, code %d)", at, code);
	/* xor %eax,%eax across the end of an executable page into a no-exec one */
	mprotect(p, pg, PROT_READ | PROT_WRITE | PROT_EXEC);
	p[pg - 1] = 0x31;
	p[pg] = 0xc0;
	p[pg + 1] = 0xc3;
	hit = faults(p + pg - 1, 'x', &at, &code);
	check(hit && at == p + pg && code == SEGV_ACCERR,
	      "an instruction that runs on into a no-exec page: SIGSEGV at %p (want %p), code %d",
	      at, p + pg, code);
	memset(on_stack, 0xc3, sizeof(on_stack));
	hit = faults(on_stack, 'x', &at, &code);
	check(hit && at == (void *)on_stack && code == SEGV_ACCERR,
	      "call onto the stack: SIGSEGV at %p (want %p), code %d", at, on_stack, code);
	munmap(p, 2 * pg);
}

static void test_faults(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	void *at = NULL;
	int code = 0, hit;

	sigaction(SIGSEGV, &sa, NULL);
	memset(p, 0xc3, 3 * pg);	/* ret */

	mprotect(p, pg, PROT_NONE);
	hit = faults(p + 10, 'r', &at, &code);
	check(hit && at == p + 10 && code == SEGV_ACCERR,
	      "read of PROT_NONE: SIGSEGV at %p (want %p), code %d (want SEGV_ACCERR)",
	      at, p + 10, code);
	mprotect(p + pg, pg, PROT_READ);
	hit = faults(p + pg + 5, 'w', &at, &code);
	check(hit && at == p + pg + 5 && code == SEGV_ACCERR,
	      "write to read-only: SIGSEGV at %p (want %p), code %d", at, p + pg + 5, code);
	check(!faults(p + pg + 5, 'r', &at, &code), "read of the read-only page works");
	mprotect(p + 2 * pg, pg, PROT_NONE);
	hit = faults(p + 2 * pg, 'x', &at, &code);
	check(hit && at == p + 2 * pg && code == SEGV_ACCERR,
	      "call into PROT_NONE page: SIGSEGV at %p (want %p), code %d", at, p + 2 * pg, code);
	hit = faults((void *)0x10000, 'x', &at, &code);
	check(hit && at == (void *)0x10000 && code == SEGV_MAPERR,
	      "call to unmapped 0x10000: SIGSEGV at %p, code %d (want SEGV_MAPERR)", at, code);
	mprotect(p + 2 * pg, pg, PROT_READ | PROT_EXEC);
	check(!faults(p + 2 * pg, 'x', &at, &code), "after mprotect(PROT_EXEC) the call returns");
	munmap(p, 3 * pg);
	test_no_exec(pg);
	hit = faults(p + 7, 'r', &at, &code);
	check(hit && at == p + 7 && code == SEGV_MAPERR,
	      "read after munmap: SIGSEGV at %p, code %d (want SEGV_MAPERR)", at, code);
	signal(SIGSEGV, SIG_DFL);
}

static void test_file_mapping(void)
{
	int fd = open("/tmp/skas0-map", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[16] = "";
	char *p;

	ftruncate(fd, 8192);
	pwrite(fd, "from-write", 10, 4096);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED && !memcmp(p + 4096, "from-write", 10),
	      "shared file mapping shows data written with write()");
	memcpy(p, "from-mmap", 9);
	msync(p, 8192, MS_SYNC);
	pread(fd, buf, 9, 0);
	check(!memcmp(buf, "from-mmap", 9), "read() sees data stored through the mapping: '%s'", buf);
	munmap(p, 8192);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	p[0] = 'X';
	pread(fd, buf, 1, 0);
	check(buf[0] == 'f', "private file mapping does not write the file back");
	munmap(p, 8192);
	close(fd);
	unlink("/tmp/skas0-map");
}

static void test_big_mapping(void)
{
	size_t len = 512UL << 20, i, bad = 0;
	uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!check(p != MAP_FAILED, "512 MB anonymous mapping"))
		return;
	for (i = 0; i < len / 8; i += 512)
		p[i] = i * 2654435761u;
	for (i = 0; i < len / 8; i += 512)
		bad += p[i] != i * 2654435761u;
	check(bad == 0, "512 MB written and verified, one word per page: %zu bad", bad);
	munmap(p, len);
}

static int recurse(int depth)
{
	volatile char frame[1024];

	frame[0] = depth & 0x7f;
	return depth ? recurse(depth - 1) + frame[0] - (depth & 0x7f) : 0;
}

static void test_stack_growth(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit r = { 64 << 20, 64 << 20 };

		setrlimit(RLIMIT_STACK, &r);
		_exit(recurse(16 * 1024) == 0 ? 0 : 1);	/* 16+ MB of stack */
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "stack grows to 16 MB: status 0x%x", status);
}

/*
 * The host's vsyscall page is in every guest process, as on x86-64 Linux:
 * so /proc/self/maps lists it, last, as "[vsyscall]", with what it does
 * here: 'x' if a call into it returns, 'r' if a read of it does, and no
 * line at all when neither does (a host booted with vsyscall=none).  The
 * maps had no such line (selftests proc/proc-empty-vm, proc-pid-vm).
 */
#define VSYSCALL_ADDR	0xffffffffff600000UL

static int vsyscall_child_works(int do_call)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		if (do_call) {
			unsigned long rax = VSYSCALL_ADDR;	/* gettimeofday */

			__asm__ volatile("call *%0" : "+a"(rax)
					 : "D"(0), "S"(0) : "rcx", "r11", "memory");
		} else {
			(void)*(volatile char *)VSYSCALL_ADDR;
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_vsyscall_listed(void)
{
	char line[512] = "", found[512] = "";
	int callable = vsyscall_child_works(1);
	int readable = vsyscall_child_works(0);
	FILE *maps = fopen("/proc/self/maps", "r");
	int last_is_it = 0;

	while (maps && fgets(line, sizeof(line), maps)) {
		last_is_it = !strncmp(line, "ffffffffff600000-ffffffffff601000 ", 34);
		if (last_is_it)
			strcpy(found, line);
	}
	if (maps)
		fclose(maps);
	found[strcspn(found, "\n")] = 0;
	if (!callable && !readable) {
		check(!found[0], "no vsyscall page (calls fault) and none in /proc/self/maps (%s)",
		      found[0] ? found : "none");
		return;
	}
	check(found[0] && last_is_it && strstr(found, "[vsyscall]") &&
	      (found[34] == 'r') == (readable == 1) && found[36] == 'x' &&
	      (callable == 1),
	      "/proc/self/maps lists the vsyscall page last as what it does (call %s, read %s): \"%s\"",
	      callable == 1 ? "returns" : "faults", readable == 1 ? "works" : "faults",
	      found[0] ? found : "no line");
}

/*
 * The mmap layout of x86-64: areas grow down from below the stack (a new
 * one lies below the last), from a base that differs from one exec to
 * the next (randomize_va_space).  UML had the legacy layout: bottom-up
 * from 1 GiB, the same every time.
 */
static unsigned long mmap_base_of_exec(char *self)
{
	char buf[32] = "";
	int fd[2], n;
	pid_t pid;

	if (pipe(fd))
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		execl(self, self, "--first-mmap", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	n = read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	waitpid(pid, NULL, 0);
	buf[n > 0 ? n : 0] = 0;
	return strtoul(buf, NULL, 16);
}

static void test_mmap_layout(char *self)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *a = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long first = mmap_base_of_exec(self);
	unsigned long second = mmap_base_of_exec(self);
	int local, randomized = 2;
	FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");

	if (f) {
		if (fscanf(f, "%d", &randomized) != 1)
			randomized = 2;
		fclose(f);
	}
	check(a != MAP_FAILED && b != MAP_FAILED && b < a && a < (char *)&local,
	      "mmap areas grow down below the stack, as on x86-64 (%p, then %p; stack %p)",
	      a, b, (void *)&local);
	check(first && second && (randomized ? first != second : first == second),
	      "the first mmap of two execs lies at %#lx and %#lx (randomize_va_space %d: %s)",
	      first, second, randomized, randomized ? "must differ" : "must match");
	munmap(a, 4 * pg);
	munmap(b, 4 * pg);

	/* MAP_32BIT: the second GiB, however much is mapped elsewhere */
	a = mmap(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	b = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	check(b != MAP_FAILED && (unsigned long)b >= 1UL << 30 &&
	      (unsigned long)b + 4 * pg <= 2UL << 30,
	      "MAP_32BIT gives an area in the second GiB, as on x86-64 (%p)", b);
	munmap(a, 1UL << 30);
	munmap(b, 4 * pg);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--first-mmap")) {
		printf("%lx\n", (unsigned long)mmap(NULL, 4096, PROT_READ,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
		return 0;
	}
	test_faults();
	test_file_mapping();
	test_stack_growth();
	test_big_mapping();
	test_vsyscall_listed();
	test_mmap_layout(argv[0]);
	return check_summary("memory");
}
