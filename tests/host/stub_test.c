// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of the skas0 stub, without the kernel: this program
 * plays the kernel's part of the protocol in stub-data.h against the real
 * stub executable, and checks the results in /proc/PID/maps.
 *
 * usage: stub_test STUB.elf STUB.bin
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "stub-data.h"

#define CODE_ADDR	0x7fbffff000UL	/* where UML puts it on x86-64 */
#define DATA_ADDR	(CODE_ADDR + STUB_PAGE_BYTES)
#define FILE_PAGES	8		/* code, 2 data, test code, spare */
#define OFF_CODE	0
#define OFF_DATA	STUB_PAGE_BYTES
#define OFF_GUEST	(3 * STUB_PAGE_BYTES)	/* instructions we run */
#define OFF_SPARE	(4 * STUB_PAGE_BYTES)
#define GUEST_CODE	0x400000UL
#define SPARE_ADDR	0x500000UL

static int passed, failed;
static int physmem;
static struct stub_data *data;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "[OK]   " : "[FAIL] ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	ok ? passed++ : failed++;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		die(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = n;
	return buf;
}

static int wait_stop(int pid)
{
	int status;

	if (waitpid(pid, &status, __WALL) < 0)
		die("waitpid");
	if (WIFEXITED(status))
		return -1000 - WEXITSTATUS(status);
	if (!WIFSTOPPED(status))
		return -1;
	return WSTOPSIG(status);
}

/* Start a stub the way the kernel does; the pid, stopped and ready. */
static int spawn_stub(int image)
{
	struct user_regs_struct regs;
	char *none[] = { NULL };
	int pid, sig;

	pid = fork();
	if (pid == 0) {
		dup2(physmem, STUB_PHYSMEM_FD);
		dup2(image, STUB_PHYSMEM_FD + 1);
		syscall(SYS_close_range, STUB_PHYSMEM_FD + 2, ~0U, 0);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		syscall(SYS_execveat, STUB_PHYSMEM_FD + 1, "", none, none,
			AT_EMPTY_PATH);
		_exit(127);
	}
	sig = wait_stop(pid);
	check(sig == SIGTRAP, "stub exec stops with SIGTRAP (got %d)", sig);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	regs.rdi = CODE_ADDR;
	regs.rsi = OFF_CODE;
	regs.rdx = OFF_DATA;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	sig = wait_stop(pid);
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	check(sig == SIGTRAP && regs.rip - CODE_ADDR < STUB_PAGE_BYTES,
	      "stub setup traps back from its code page (sig %d, rip %llx)",
	      sig, regs.rip);
	return pid;
}

/* Lines of /proc/PID/maps, minus the host's sealed vdso/vvar. */
static int maps_lines(int pid, char *out, size_t len)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		die(path);
	out[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vdso]") || strstr(line, "[vvar") ||
		    strstr(line, "[vsyscall]"))
			continue;
		n++;
		strncat(out, line, len - strlen(out) - 1);
	}
	fclose(f);
	return n;
}

static int mapped_with(int pid, unsigned long addr, const char *perms)
{
	char path[64], line[512], want[64];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	snprintf(want, sizeof(want), "%08lx-", addr);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = !perms || !strncmp(strchr(line, ' ') + 1, perms, 4);
	if (f)
		fclose(f);
	return found;
}

static void queue(int i, unsigned int op, unsigned long addr, unsigned long len,
		  int prot, unsigned long off)
{
	data->batch[i] = (struct stub_batch_entry) {
		.op = op, .addr = addr, .len = len, .prot = prot, .offset = off,
	};
}

/* Run n queued entries; the stop signal. */
static int run_batch(int pid, unsigned int n)
{
	struct user_regs_struct regs;

	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	regs.rip = CODE_ADDR + STUB_ENTRY_BATCH;
	regs.rsp = DATA_ADDR + STUB_DATA_BYTES - 8;
	regs.rdi = DATA_ADDR;
	data->batch_len = n;
	data->batch_done = ~0U;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	return wait_stop(pid);
}

static void test_clean_space(int pid)
{
	char maps[4096];
	int n = maps_lines(pid, maps, sizeof(maps));

	check(n == 2 && mapped_with(pid, CODE_ADDR, "r-xs") &&
	      mapped_with(pid, DATA_ADDR, "rw-s"),
	      "backing process holds only the stub code and data pages (%d mappings)",
	      n);
	if (n != 2)
		fputs(maps, stdout);
}

static void test_batches(int pid)
{
	int sig;

	queue(0, STUB_OP_MMAP, SPARE_ADDR, 2 * STUB_PAGE_BYTES,
	      PROT_READ | PROT_WRITE, OFF_SPARE);
	queue(1, STUB_OP_MPROTECT, SPARE_ADDR, STUB_PAGE_BYTES, PROT_READ, 0);
	sig = run_batch(pid, 2);
	check(sig == SIGTRAP && data->batch_done == 2 && data->batch_err == 0,
	      "batch of mmap+mprotect runs whole (done %u, err %ld)",
	      data->batch_done, data->batch_err);
	check(mapped_with(pid, SPARE_ADDR, "r--s") &&
	      mapped_with(pid, SPARE_ADDR + STUB_PAGE_BYTES, "rw-s"),
	      "maps show r-- then rw- pages at 0x%lx", SPARE_ADDR);

	queue(0, STUB_OP_MUNMAP, SPARE_ADDR, STUB_PAGE_BYTES, 0, 0);
	queue(1, STUB_OP_MPROTECT, SPARE_ADDR + 1, STUB_PAGE_BYTES, PROT_READ, 0);
	queue(2, STUB_OP_MUNMAP, SPARE_ADDR + STUB_PAGE_BYTES, STUB_PAGE_BYTES, 0, 0);
	sig = run_batch(pid, 3);
	check(sig == SIGTRAP && data->batch_done == 1 && data->batch_err == -EINVAL,
	      "failing entry is reported by index and errno (done %u, err %ld)",
	      data->batch_done, data->batch_err);
	check(!mapped_with(pid, SPARE_ADDR, NULL) &&
	      mapped_with(pid, SPARE_ADDR + STUB_PAGE_BYTES, NULL),
	      "entries after the failing one did not run");

	queue(0, 99, 0, 0, 0, 0);
	sig = run_batch(pid, 1);
	check(sig == SIGTRAP && data->batch_done == 0 && data->batch_err == -EINVAL,
	      "unknown operation is refused with EINVAL");
	sig = run_batch(pid, 100000);
	check(sig == SIGTRAP && data->batch_done == 0,
	      "forged batch length runs nothing");
}

/* Run the guest instruction at GUEST_CODE + off; collect the fault. */
static int fault_at(int pid, unsigned long ip, unsigned long rax)
{
	struct user_regs_struct regs;
	int sig;

	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	regs.rip = ip;
	regs.rax = rax;
	regs.rsp = SPARE_ADDR + STUB_PAGE_BYTES;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	sig = wait_stop(pid);
	if (sig != SIGSEGV)
		return sig;
	data->fault.trap_no = ~0UL;
	ptrace(PTRACE_CONT, pid, 0, SIGSEGV);
	return wait_stop(pid);
}

static void test_faults(int pid)
{
	/* mov (%rax),%rbx ; int3 ; mov %rbx,(%rax) ; int3 */
	static const unsigned char code[] = {
		0x48, 0x8b, 0x18, 0xcc, 0x48, 0x89, 0x18, 0xcc,
	};
	unsigned long ro = SPARE_ADDR + STUB_PAGE_BYTES;
	int sig;

	pwrite(physmem, code, sizeof(code), OFF_GUEST);
	queue(0, STUB_OP_MMAP, GUEST_CODE, STUB_PAGE_BYTES,
	      PROT_READ | PROT_EXEC, OFF_GUEST);
	queue(1, STUB_OP_MPROTECT, ro, STUB_PAGE_BYTES, PROT_READ, 0);
	run_batch(pid, 2);

	sig = fault_at(pid, GUEST_CODE, 0x12345000);
	check(sig == SIGTRAP && data->fault.addr == 0x12345000 &&
	      data->fault.trap_no == 14 && !(data->fault.error_code & 2),
	      "read fault: addr %lx, trap %lu, error code %lx",
	      data->fault.addr, data->fault.trap_no, data->fault.error_code);

	sig = fault_at(pid, GUEST_CODE + 4, ro + 8);
	check(sig == SIGTRAP && data->fault.addr == ro + 8 &&
	      data->fault.trap_no == 14 && (data->fault.error_code & 2),
	      "write fault on read-only page: addr %lx, error code %lx",
	      data->fault.addr, data->fault.error_code);

	sig = fault_at(pid, 0x6660000, 0);
	check(sig == SIGTRAP && data->fault.addr == 0x6660000 &&
	      (data->fault.error_code & 0x10),
	      "exec fault: addr %lx, error code %lx (instruction fetch bit)",
	      data->fault.addr, data->fault.error_code);
}

/* Guest code reaching a syscall instruction: only SYSEMU may see it. */
static void test_confinement(int image)
{
	/* syscall ; int3 */
	static const unsigned char code[] = { 0x0f, 0x05, 0xcc };
	struct user_regs_struct regs;
	int pid = spawn_stub(image), status, sig;

	pwrite(physmem, code, sizeof(code), OFF_GUEST + 64);
	queue(0, STUB_OP_MMAP, GUEST_CODE, STUB_PAGE_BYTES,
	      PROT_READ | PROT_EXEC, OFF_GUEST);
	run_batch(pid, 1);

	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD);
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	regs.rip = GUEST_CODE + 64;
	regs.rax = SYS_getpid;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_SYSEMU, pid, 0, 0);
	sig = wait_stop(pid);
	check(sig == (SIGTRAP | 0x80),
	      "under PTRACE_SYSEMU a guest syscall stops for the kernel (sig 0x%x)", sig);

	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, __WALL);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	      "outside SYSEMU, getpid() from guest code kills the process with SIGSYS (status 0x%x)",
	      status);
}

int main(int argc, char **argv)
{
	size_t elf_len, page_len;
	void *elf, *page;
	int image, pid;

	if (argc != 3) {
		fprintf(stderr, "usage: %s STUB.elf STUB.bin\n", argv[0]);
		return 2;
	}
	elf = slurp(argv[1], &elf_len);
	page = slurp(argv[2], &page_len);

	physmem = memfd_create("physmem", 0);
	image = open(argv[1], O_RDONLY);
	if (physmem < 0 || image < 0 ||
	    ftruncate(physmem, FILE_PAGES * STUB_PAGE_BYTES) ||
	    pwrite(physmem, page, page_len, OFF_CODE) != (ssize_t)page_len)
		die("physmem");
	data = mmap(NULL, STUB_DATA_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		    physmem, OFF_DATA);
	if (data == MAP_FAILED)
		die("mmap");
	(void)elf;

	pid = spawn_stub(image);
	test_clean_space(pid);
	test_batches(pid);
	test_faults(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	test_confinement(image);

	printf("stub: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
