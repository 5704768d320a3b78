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
#include <grp.h>
#include <pwd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "stub-data.h"
#include "stub-filter.h"

#define CODE_ADDR	0x7fbffff000UL	/* where UML puts it on x86-64 */
#define DATA_ADDR	(CODE_ADDR + STUB_PAGE_BYTES)
#define FILE_PAGES	(3 + STUB_DATA_PAGE_COUNT + 2)	/* code, data, test code, spares */
#define OFF_CODE	0
#define OFF_DATA	STUB_PAGE_BYTES
#define OFF_GUEST	(OFF_DATA + STUB_DATA_BYTES)	/* instructions we run */
#define OFF_SPARE	(OFF_GUEST + STUB_PAGE_BYTES)
#define GUEST_CODE	0x400000UL
#define SPARE_ADDR	0x500000UL
#define SECRET		0x5ec2e7a11ce5b0b5UL	/* the kernel's come from its RNG */

static int passed, failed;
/* the stub is not dumpable: only root may read its /proc/PID/maps */
static int maps_visible;
static int stack_holds_secret(void);
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

/* A check that reads the stub's /proc/PID/maps; skipped where that is closed. */
#define check_maps(ok, ...) do {					\
	if (maps_visible)						\
		check((ok), __VA_ARGS__);				\
	else								\
		printf("[SKIP] (maps of a non-dumpable process need root) " __VA_ARGS__), \
		putchar('\n');						\
} while (0)

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

/*
 * Start a stub the way the kernel does, as uid (or as ourselves if uid is
 * -1); the pid, stopped and ready.
 */
static int spawn_stub_as(int image, int uid)
{
	struct user_regs_struct regs;
	char *none[] = { NULL };
	int pid, sig;

	/* ptrace mode's filter, as the kernel leaves it for the stub */
	skas_filters_write((struct stub_fast_init *)((char *)data + STUB_FAST_INIT_PAGE),
			   0, SECRET, CODE_ADDR);
	pid = fork();
	if (pid == 0) {
		dup2(physmem, STUB_PHYSMEM_FD);
		dup2(image, STUB_PHYSMEM_FD + 1);
		syscall(SYS_close_range, STUB_PHYSMEM_FD + 2, ~0U, 0);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
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
	regs.r15 = SECRET;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	sig = wait_stop(pid);
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	check(sig == SIGTRAP && regs.rip == CODE_ADDR + STUB_TRAP + 1,
	      "stub setup traps back at its trap, STUB_TRAP (sig %d, rip %llx)",
	      sig, regs.rip);
	return pid;
}

static int spawn_stub(int image)
{
	return spawn_stub_as(image, -1);
}

/*
 * Not dumpable: no core file of guest memory, whatever kills it.  The sign
 * from outside: its /proc files (not /proc/PID itself) belong to root,
 * whoever runs it; so run it as someone else than root.
 */
static void test_not_dumpable(int image)
{
	struct passwd *nobody = getpwnam("nobody");
	int uid = getuid() == 0 ? (nobody ? (int)nobody->pw_uid : 65534) : -1;
	int pid = spawn_stub_as(image, uid);
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	check(stat(path, &st) == 0 && st.st_uid == 0,
	      "stub is not dumpable: %s belongs to uid %u though the stub runs as uid %d",
	      path, st.st_uid, uid >= 0 ? uid : (int)getuid());
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
}

/* Lines of /proc/PID/maps, minus the host's sealed vdso/vvar. */
static int maps_lines(int pid, char *out, size_t len)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	out[0] = 0;
	if (!f)
		return -1;
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
	regs.rsp = DATA_ADDR + STUB_STACK_PAGE + STUB_PAGE_BYTES - 8;
	regs.rdi = DATA_ADDR;
	regs.r15 = SECRET;
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

	check_maps(n == 3 && mapped_with(pid, CODE_ADDR, "r-xs") &&
	      mapped_with(pid, DATA_ADDR, "rw-s") &&
	      mapped_with(pid, DATA_ADDR + STUB_REQUEST_PAGE, "r--s"),
	      "backing process holds only the stub's code page, its three rw data pages and its read-only request page (%d mappings)",
	      n);
	if (maps_visible && n != 3)
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
	check_maps(mapped_with(pid, SPARE_ADDR, "r--s") &&
	      mapped_with(pid, SPARE_ADDR + STUB_PAGE_BYTES, "rw-s"),
	      "maps show r-- then rw- pages at 0x%lx", SPARE_ADDR);
	check(!stack_holds_secret(), "after a batch the secret is nowhere on the stub stack");

	queue(0, STUB_OP_MUNMAP, SPARE_ADDR, STUB_PAGE_BYTES, 0, 0);
	queue(1, STUB_OP_MPROTECT, SPARE_ADDR + 1, STUB_PAGE_BYTES, PROT_READ, 0);
	queue(2, STUB_OP_MUNMAP, SPARE_ADDR + STUB_PAGE_BYTES, STUB_PAGE_BYTES, 0, 0);
	sig = run_batch(pid, 3);
	check(sig == SIGTRAP && data->batch_done == 1 && data->batch_err == -EINVAL,
	      "failing entry is reported by index and errno (done %u, err %ld)",
	      data->batch_done, data->batch_err);
	check_maps(!mapped_with(pid, SPARE_ADDR, NULL) &&
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

/* Spawn a stub with a page of guest code: syscall ; int3 at GUEST_CODE + 64 */
static int spawn_with_guest_code(int image)
{
	static const unsigned char code[] = { 0x0f, 0x05, 0xcc };
	int pid = spawn_stub(image);

	pwrite(physmem, code, sizeof(code), OFF_GUEST + 64);
	queue(0, STUB_OP_MMAP, GUEST_CODE, STUB_PAGE_BYTES,
	      PROT_READ | PROT_EXEC, OFF_GUEST);
	run_batch(pid, 1);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL |
	       PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP);
	return pid;
}

static int stop_event(int status)
{
	return WIFSTOPPED(status) ? status >> 16 : -1;
}

/* Guest code reaching a syscall instruction always stops for the kernel. */
static void test_confinement(int image)
{
	struct user_regs_struct regs, start;
	int pid = spawn_with_guest_code(image), status, sig;

	ptrace(PTRACE_GETREGS, pid, 0, &start);
	start.rip = GUEST_CODE + 64;
	start.rax = SYS_getpid;
	ptrace(PTRACE_SETREGS, pid, 0, &start);
	ptrace(PTRACE_SYSEMU, pid, 0, 0);
	sig = wait_stop(pid);
	check(sig == (SIGTRAP | 0x80),
	      "under PTRACE_SYSEMU a guest syscall stops for the kernel (sig 0x%x)", sig);

	ptrace(PTRACE_SETREGS, pid, 0, &start);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, __WALL);
	check(stop_event(status) == PTRACE_EVENT_SECCOMP,
	      "under PTRACE_CONT getpid() from guest code stops for the kernel by seccomp (status 0x%x)",
	      status);

	/* int $0x80 from guest code: stops for the kernel too, never kills */
	{
		static const unsigned char int80[] = { 0xcd, 0x80, 0xcc };

		pwrite(physmem, int80, sizeof(int80), OFF_GUEST + 128);
		regs = start;
		regs.rip = GUEST_CODE + 128;
		regs.rax = 20;
		ptrace(PTRACE_SETREGS, pid, 0, &regs);
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, &status, __WALL);
		check(stop_event(status) == PTRACE_EVENT_SECCOMP,
		      "under PTRACE_CONT int $0x80 from guest code stops for the kernel by seccomp, the process lives (status 0x%x)",
		      status);
	}

	/* the stub's own call, as guest code would forge it: wrong secret */
	regs = start;
	regs.rax = SYS_mmap;
	regs.rdi = SPARE_ADDR;
	regs.rsi = STUB_PAGE_BYTES;
	regs.rdx = PROT_READ | PROT_WRITE;
	regs.r10 = (MAP_SHARED | MAP_FIXED) | ((SECRET ^ 1) << 32);
	regs.r8 = STUB_PHYSMEM_FD | (SECRET & ~0xffffffffUL);
	regs.r9 = 0;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, __WALL);
	check(stop_event(status) == PTRACE_EVENT_SECCOMP &&
	      (!maps_visible || !mapped_with(pid, SPARE_ADDR, NULL)),
	      "an mmap of guest memory from guest code with a wrong secret stops for the kernel, maps nothing (status 0x%x)",
	      status);

	regs.rax = SYS_mprotect;
	regs.rdi = CODE_ADDR;
	regs.rdx = PROT_READ | PROT_WRITE | PROT_EXEC;
	regs.r10 = 0;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, __WALL);
	check(stop_event(status) == PTRACE_EVENT_SECCOMP &&
	      (!maps_visible || mapped_with(pid, CODE_ADDR, "r-xs")),
	      "an mprotect from guest code without the secret stops for the kernel, changes nothing (status 0x%x)",
	      status);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
}

static int stack_holds_secret(void)
{
	const unsigned long *w = (const unsigned long *)data->stack;
	unsigned int i;

	for (i = 0; i < sizeof(data->stack) / sizeof(*w); i++)
		if (w[i] == SECRET || (w[i] >> 32) == (SECRET & 0xffffffff) ||
		    (w[i] >> 32) == (SECRET >> 32))
			return 1;
	return 0;
}

/* The resume entry: run the batch, land in guest code with every register. */
static void test_resume(int image)
{
	struct user_regs_struct regs, want, got;
	int pid = spawn_with_guest_code(image), sig, ok;

	ptrace(PTRACE_GETREGS, pid, 0, &want);
	want.rip = GUEST_CODE + 66;		/* the int3 */
	want.rsp = 0x1234560;
	want.eflags = 0x203;			/* CF set */
	want.r15 = 0x1515151515151515UL;
	want.r14 = 14; want.r13 = 13; want.r12 = 12; want.rbp = 0xbb;
	want.rbx = 0xb; want.r11 = 11; want.r10 = 10; want.r9 = 9;
	want.r8 = 8; want.rax = 0xa; want.rcx = 0xc; want.rdx = 0xd;
	want.rsi = 0x51; want.rdi = 0xd1;
	memcpy(data->resume_regs, &want, sizeof(data->resume_regs));

	queue(0, STUB_OP_MMAP, SPARE_ADDR, STUB_PAGE_BYTES, PROT_READ, OFF_SPARE);
	data->batch_len = 1;
	data->batch_done = ~0U;
	regs = want;
	regs.rip = CODE_ADDR + STUB_ENTRY_RESUME;
	regs.rsp = DATA_ADDR + STUB_STACK_PAGE + STUB_PAGE_BYTES - 8;
	regs.rdi = DATA_ADDR;
	regs.r15 = SECRET;
	regs.eflags = 0x202;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	sig = wait_stop(pid);
	ptrace(PTRACE_GETREGS, pid, 0, &got);
	got.rip--;				/* past the int3 */
	ok = sig == SIGTRAP && data->batch_done == 1 &&
	     (!maps_visible || mapped_with(pid, SPARE_ADDR, "r--s")) &&
	     got.rip == want.rip && got.rsp == want.rsp &&
	     (got.eflags & 0xff) == (want.eflags & 0xff) &&
	     got.r15 == want.r15 && got.r14 == want.r14 && got.r13 == want.r13 &&
	     got.r12 == want.r12 && got.rbp == want.rbp && got.rbx == want.rbx &&
	     got.r11 == want.r11 && got.r10 == want.r10 && got.r9 == want.r9 &&
	     got.r8 == want.r8 && got.rax == want.rax && got.rcx == want.rcx &&
	     got.rdx == want.rdx && got.rsi == want.rsi && got.rdi == want.rdi;
	check(ok, "resume entry: batch ran, guest code reached with every register as saved (sig %d, rip %llx, r15 %llx, flags %llx)",
	      sig, got.rip, got.r15, got.eflags);
	check(!stack_holds_secret(), "resume entry: the secret is nowhere on the stub stack afterwards");

	queue(0, 99, SPARE_ADDR, STUB_PAGE_BYTES, 0, 0);
	data->batch_len = 1;
	ptrace(PTRACE_SETREGS, pid, 0, &regs);
	ptrace(PTRACE_CONT, pid, 0, 0);
	sig = wait_stop(pid);
	ptrace(PTRACE_GETREGS, pid, 0, &got);
	check(sig == SIGTRAP && got.rip - CODE_ADDR < STUB_PAGE_BYTES &&
	      data->batch_done == 0 && data->batch_err == -EINVAL,
	      "resume entry: a failing batch traps in the stub with its errno, never reaching guest code (rip %llx, err %ld)",
	      got.rip, data->batch_err);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
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
	{
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		f = fopen(path, "r");
		maps_visible = f != NULL;
		if (f)
			fclose(f);
	}
	test_clean_space(pid);
	test_batches(pid);
	test_faults(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	test_confinement(image);
	test_resume(image);
	test_not_dumpable(image);

	printf("stub: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
