// Other system call ABIs get one outcome, whatever the previous stop was.
//
// This kernel runs only the syscall instruction from 64-bit code; x32
// numbers get -ENOSYS.  int $0x80, from 64-bit or 32-bit code, is an i386
// gate with an empty table: -ENOSYS in %rax, every other register kept.
// sysenter and 32-bit syscall get SIGSEGV (si_code SI_KERNEL) with %rip 0
// (they return through a 32-bit vDSO this kernel lacks, and the host does
// not tell where they were).  The CPU decides some routes
// before any kernel sees them: on AMD, sysenter in 64-bit mode is an
// invalid instruction (SIGILL); on Intel, so is syscall in 32-bit code.
// On Intel, a sysenter whose 32-bit stack pointer (the low half of %rsp)
// points at nothing runs no call at all on the host: the host returns to
// its 32-bit vDSO landing pad with %rip cut to 32 bits, and the task
// faults there (SEGV_MAPERR in 32-bit code at an address it never
// mapped), exactly as the same program does on that host without UML.
//
// The previous stop matters to the skas layer: right after a page fault
// the guest runs on from the stub's resume entry, under its seccomp
// filter; right after a system call it runs under PTRACE_SYSEMU.  Each
// route is taken both ways, int $0x80 after a fault ROUNDS times.
#include "../guest/check.h"
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ROUNDS		200
#define LOW		0x20000000UL	/* 32-bit code and its data */
#define LOW_CODE	LOW
#define LOW_BACK	(LOW + 0x100)
#define LOW_EAX		(LOW + 0x200)	/* what the 32-bit call returned */
#define LOW_SCRATCH	(LOW + 0x1000)	/* fresh pages the 32-bit code touches */
#define X32_GETPID	(0x40000000L | 39)

enum before { AFTER_FAULT, AFTER_SYSCALL };

static sigjmp_buf back;
static volatile int got_sig, got_code;
static volatile unsigned long got_ip, got_cs;

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	got_sig = sig;
	got_code = si->si_code;
	got_ip = uc->uc_mcontext.gregs[REG_RIP];
	got_cs = uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
	siglongjmp(back, 1);
}

/* A fresh page, written once: a fault that the kernel fixes. */
static void fault_now(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*(volatile char *)p = 1;
	munmap(p, 4096);	/* a syscall, but another fault follows */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*(volatile char *)p = 1;
}

static void stop_before(enum before how)
{
	if (how == AFTER_FAULT)
		fault_now();
	else
		syscall(SYS_getppid);
}

/* ------------------------------------------------------- 64-bit routes */

static unsigned long int80_at;

static long route_int80(enum before how)
{
	long ret;

	stop_before(how);
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, %1\n\t"
			 "1: int $0x80"
			 : "=a"(ret), "=m"(int80_at) : "a"(20L) /* getpid, i386 */
			 : "rcx", "r11", "memory");
	return ret;
}

static long route_sysenter(enum before how)
{
	long ret;

	stop_before(how);
	__asm__ volatile("push %%rbp; mov %%rsp, %%rbp; sysenter; pop %%rbp"
			 : "=a"(ret) : "a"(20L) : "rcx", "r11", "memory");
	return ret;
}

static long route_x32(enum before how)
{
	long ret;

	stop_before(how);
	__asm__ volatile("syscall" : "=a"(ret) : "a"(X32_GETPID)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ------------------------------------------------------- 32-bit routes */

static unsigned long int80_at32;	/* where the last 32-bit int $0x80 is */

static void put(unsigned char **p, const void *b, int n)
{
	memcpy(*p, b, n);
	*p += n;
}

/*
 * 32-bit code at LOW_CODE: optionally write a fresh page (through SS: DS
 * is null in a 64-bit process), then getpid by int $0x80 or syscall, then
 * a far jump back to LOW_BACK, 64-bit code that jumps to the address in
 * LOW_BACK + 0x80 (set by the caller).
 */
static void write_code32(int use_syscall, unsigned long fresh)
{
	unsigned char *p = (unsigned char *)LOW_CODE;
	unsigned int v;

	if (fresh) {
		put(&p, "\x36\xc6\x05", 3);		/* movb $1, %ss:fresh */
		v = fresh;
		put(&p, &v, 4);
		put(&p, "\x01", 1);
	}
	put(&p, "\xb8\x14\x00\x00\x00", 5);		/* mov $20, %eax */
	int80_at32 = (unsigned long)p;
	put(&p, use_syscall ? "\x0f\x05" : "\xcd\x80", 2);
	put(&p, "\x36\xa3", 2);			/* mov %eax, %ss:LOW_EAX */
	v = LOW_EAX;
	put(&p, &v, 4);
	put(&p, "\xea", 1);				/* ljmp $0x33, LOW_BACK */
	v = LOW_BACK;
	put(&p, &v, 4);
	put(&p, "\x33\x00", 2);

	p = (unsigned char *)LOW_BACK;
	put(&p, "\xff\x24\x25", 3);			/* jmp *(LOW_BACK + 0x80) */
	v = LOW_BACK + 0x80;
	put(&p, &v, 4);
}

static unsigned long scratch_next = LOW_SCRATCH;

static long run_code32(int use_syscall, enum before how)
{
	unsigned long fresh = 0;

	if (how == AFTER_FAULT) {
		/* a page below 4 GiB that the 32-bit code writes first */
		fresh = scratch_next;
		scratch_next += 4096;
		if (scratch_next >= LOW + 0x100000)
			scratch_next = LOW_SCRATCH;
		munmap((void *)fresh, 4096);
		mmap((void *)fresh, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	} else {
		syscall(SYS_getppid);
	}
	write_code32(use_syscall, fresh);
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, %c0\n\t"
			 "push %%rbp\n\t"
			 "mov %%rsp, %%rbp\n\t"
			 "pushq $0x23\n\t"
			 "pushq $%c1\n\t"
			 "lretq\n"
			 "1: mov %%rbp, %%rsp\n\t"
			 "pop %%rbp"
			 :: "i"(LOW_BACK + 0x80), "i"(LOW_CODE)
			 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8",
			   "r9", "r10", "r11", "r12", "r13", "r14", "r15",
			   "memory");
	return *(volatile int *)LOW_EAX;
}

static long route_compat_int80(enum before how)
{
	return run_code32(0, how);
}

static long route_compat_syscall(enum before how)
{
	return run_code32(1, how);
}

/* ---------------------------------------------------------- outcomes */

struct outcome {
	int sig, code;		/* 0: returned */
	long ret;
	unsigned long ip, cs;
};

static struct outcome take(long (*route)(enum before), enum before how)
{
	struct outcome o = { 0 };

	got_sig = 0;
	if (sigsetjmp(back, 1) == 0) {
		o.ret = route(how);
		return o;
	}
	o.sig = got_sig;
	o.code = got_code;
	o.ip = got_ip;
	o.cs = got_cs;
	return o;
}

static int same(struct outcome a, struct outcome b)
{
	return a.sig == b.sig && a.code == b.code && (a.sig || a.ret == b.ret);
}

static const char *describe(struct outcome o)
{
	static char buf[128];

	if (!o.sig)
		snprintf(buf, sizeof(buf), "returned %ld", o.ret);
	else
		snprintf(buf, sizeof(buf), "%s (si_code %d) at rip %lx, cs %lx",
			 strsignal(o.sig), o.code, o.ip, o.cs);
	return buf;
}

/* each route after a fault and after a syscall: one outcome, the expected one */
static void route(const char *name, long (*fn)(enum before), int rounds,
		  int (*expected)(struct outcome))
{
	struct outcome first = take(fn, AFTER_SYSCALL), o;
	int i, differ = 0, wrong = !expected(first);
	char seen[128];

	snprintf(seen, sizeof(seen), "%s", describe(first));
	for (i = 0; i < rounds; i++) {
		o = take(fn, i & 1 ? AFTER_SYSCALL : AFTER_FAULT);
		differ += !same(o, first);
		wrong += !expected(o);
		if (differ == 1 && !same(o, first))
			printf("       %s after a %s: %s\n", name,
			       i & 1 ? "syscall" : "fault", describe(o));
	}
	check(!differ && !wrong, "%s: %d times after a fault, %d after a syscall: always %s",
	      name, (rounds + 1) / 2, rounds / 2 + 1, seen);
}

static int is_landing_segv(struct outcome o)
{
	return o.sig == SIGSEGV && o.code == SI_KERNEL && o.ip == 0;
}

/* the host's landing pad, cut to 32 bits: Intel's return to 32-bit code */
static int is_cut_landing_fault(struct outcome o)
{
	return o.sig == SIGSEGV && o.code == SEGV_MAPERR && o.cs == 0x23 &&
	       o.ip && o.ip < 0x100000000UL &&
	       (o.ip < LOW || o.ip >= LOW + 0x100000);
}

static int is_sysenter_outcome(struct outcome o)
{
	return o.sig == SIGILL || is_landing_segv(o) || is_cut_landing_fault(o);
}

/* Intel: syscall is an invalid instruction in 32-bit code */
static int is_compat_syscall_outcome(struct outcome o)
{
	return is_landing_segv(o) ||
	       (o.sig == SIGILL && o.code == ILL_ILLOPN && o.ip == int80_at32);
}

static int is_enosys(struct outcome o)
{
	return !o.sig && o.ret == -38;
}

/*
 * int $0x80 changes %rax alone: every other general register (rcx and r11
 * too: the gate returns with iret, not sysret) comes back as it went in,
 * after a fault and after a syscall.
 */
/* named in the asm below: the compiler must keep them */
static unsigned long int80_in[16] __attribute__((used));
static unsigned long int80_out[16] __attribute__((used));
static unsigned long int80_rsp __attribute__((used));

static void int80_keeps_registers(void)
{
	int i, round, bad = 0;

	for (round = 0; round < 20; round++) {
		for (i = 0; i < 14; i++)
			int80_in[i] = (0x1111111111111111UL * (i + 1)) ^ round;
		stop_before(round & 1 ? AFTER_SYSCALL : AFTER_FAULT);
		__asm__ volatile(
			"push %%rbp\n\t"
			"mov %%rsp, int80_rsp(%%rip)\n\t"
			"mov int80_in+0(%%rip), %%rbx\n\t"
			"mov int80_in+8(%%rip), %%rcx\n\t"
			"mov int80_in+16(%%rip), %%rdx\n\t"
			"mov int80_in+24(%%rip), %%rsi\n\t"
			"mov int80_in+32(%%rip), %%rdi\n\t"
			"mov int80_in+40(%%rip), %%rbp\n\t"
			"mov int80_in+48(%%rip), %%r8\n\t"
			"mov int80_in+56(%%rip), %%r9\n\t"
			"mov int80_in+64(%%rip), %%r10\n\t"
			"mov int80_in+72(%%rip), %%r11\n\t"
			"mov int80_in+80(%%rip), %%r12\n\t"
			"mov int80_in+88(%%rip), %%r13\n\t"
			"mov int80_in+96(%%rip), %%r14\n\t"
			"mov int80_in+104(%%rip), %%r15\n\t"
			"mov $20, %%eax\n\t"		/* getpid, i386 */
			"int $0x80\n\t"
			"mov %%rbx, int80_out+0(%%rip)\n\t"
			"mov %%rcx, int80_out+8(%%rip)\n\t"
			"mov %%rdx, int80_out+16(%%rip)\n\t"
			"mov %%rsi, int80_out+24(%%rip)\n\t"
			"mov %%rdi, int80_out+32(%%rip)\n\t"
			"mov %%rbp, int80_out+40(%%rip)\n\t"
			"mov %%r8, int80_out+48(%%rip)\n\t"
			"mov %%r9, int80_out+56(%%rip)\n\t"
			"mov %%r10, int80_out+64(%%rip)\n\t"
			"mov %%r11, int80_out+72(%%rip)\n\t"
			"mov %%r12, int80_out+80(%%rip)\n\t"
			"mov %%r13, int80_out+88(%%rip)\n\t"
			"mov %%r14, int80_out+96(%%rip)\n\t"
			"mov %%r15, int80_out+104(%%rip)\n\t"
			"mov %%rax, int80_out+112(%%rip)\n\t"
			"mov %%rsp, %%rax\n\t"
			"sub int80_rsp(%%rip), %%rax\n\t"
			"mov %%rax, int80_out+120(%%rip)\n\t"
			"mov int80_rsp(%%rip), %%rsp\n\t"
			"pop %%rbp"
			::: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
			    "r10", "r11", "r12", "r13", "r14", "r15", "memory");
		for (i = 0; i < 14; i++)
			bad += int80_out[i] != int80_in[i];
		bad += int80_out[14] != (unsigned long)-38;
		bad += int80_out[15] != 0;	/* rsp */
	}
	check(!bad, "int $0x80 from 64-bit code: rax -ENOSYS, the other 15 registers kept, 20 of 20 times (%d differences)",
	      bad);
}

/* the same route in a child with no handler: how does it end? */
static void route_kills(const char *name, long (*fn)(enum before), int want)
{
	int i, status, bad = 0;

	for (i = 0; i < 10; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			signal(SIGSEGV, SIG_DFL);
			signal(SIGILL, SIG_DFL);
			fn(i & 1 ? AFTER_SYSCALL : AFTER_FAULT);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		/* SIGILL: where the CPU refuses the instruction (see the top) */
		if (!WIFSIGNALED(status) || (WTERMSIG(status) != want &&
		    !(want == SIGSEGV && WTERMSIG(status) == SIGILL &&
		      (fn == route_compat_syscall || fn == route_sysenter))))
			bad++;
	}
	check(!bad, "%s with the default action: 10 of 10 children die of %s (%d did not)",
	      name, strsignal(want), bad);
}

int main(void)
{
	/* 32-bit code runs on the low half of %rsp: handlers need a stack */
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	void *low;

	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	low = mmap((void *)LOW, 0x100000, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (!check(low == (void *)LOW, "32-bit code area below 4 GiB at %lx", LOW))
		return check_summary("abi32");

	route("int $0x80 from 64-bit code", route_int80, ROUNDS, is_enosys);
	int80_keeps_registers();
	route("sysenter", route_sysenter, 20, is_sysenter_outcome);
	route("x32 getpid", route_x32, 20, is_enosys);
	route("int $0x80 from 32-bit code", route_compat_int80, 20, is_enosys);
	route("syscall from 32-bit code", route_compat_syscall, 20,
	      is_compat_syscall_outcome);
	route_kills("syscall from 32-bit code", route_compat_syscall, SIGSEGV);
	route_kills("sysenter", route_sysenter, SIGSEGV);
	check(getpid() > 1 && syscall(SYS_getppid) > 0,
	      "the process and the kernel go on: getpid %d", getpid());
	return check_summary("abi32");
}
