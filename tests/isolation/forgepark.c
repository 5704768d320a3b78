// Fast mode: a guest process that forges a hand-off and goes on running.
//
// The guest thread can write the hand-off page, so it can make the kernel
// believe it stopped for a system call (here a 4 s nanosleep, so the
// kernel leaves it "parked" that long) while it keeps spinning on the host
// CPU.  The kernel's watchdog must notice by the thread's host CPU time,
// which the guest cannot forge, and kill it: the culprit dies of SIGKILL.
// Left alone it would exit 0 after SPIN_SECONDS.  A bystander keeps
// running meanwhile.  In ptrace mode there is no hand-off: SKIP.
//
// Two more never hand off when the timer tells them to: each blocks
// SIGALRM with a forged signal frame (rt_sigreturn through the stub's own
// restorer, the one place it may make that call), then one spins and the
// other sleeps on its hand-off word.  Each must be killed within seconds
// (the kernel waits PREEMPT_GRACE_NS, not the 10 s it gives a guest thread
// the host only starves), and the bystander keep running.
#include "../guest/check.h"
#include "probe.h"
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "../../arch/um/include/shared/skas/stub-data.h"

#define SPIN_SECONDS	8
#define AUDIT_X86_64	0xc000003eU

static unsigned long stub;

static int fast_mode(void)
{
	char line[64] = "";
	FILE *f = fopen("/proc/skas0", "r");

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return !strcmp(line, "mode fast\n");
}

/* a syscall instruction the forged frame says it stopped after; never run */
extern char forged_after_syscall[];
__asm__(".text\n\tsyscall\nforged_after_syscall:\n\tret\n");

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Spin without a system call (one would be a real hand-off, which parks
 * the thread): loops per second, measured before the forgery.
 */
static unsigned long loops_per_second;

static void spin_loops(unsigned long n)
{
	volatile unsigned long i;

	for (i = 0; i < n; i++)
		;
}

static void calibrate(void)
{
	unsigned long n = 1 << 20;
	double t;

	for (;;) {
		t = seconds();
		spin_loops(n);
		t = seconds() - t;
		if (t > 0.1)
			break;
		n *= 2;
	}
	loops_per_second = n / t;
}

static void __attribute__((noreturn)) forge_and_spin(void)
{
	static const struct timespec nap = { 4, 0 };
	struct stub_handoff *h = (struct stub_handoff *)(stub + STUB_PAGE_BYTES);
	unsigned long stack = stub + STUB_PAGE_BYTES + STUB_STACK_PAGE;
	ucontext_t *uc = (ucontext_t *)stack;
	siginfo_t *si = (siginfo_t *)(stack + 2048);
	void *fp = (void *)(stack + 4096);	/* 64-byte aligned, on the stack */
	double end = 0;

	memset((void *)stack, 0, STUB_ALTSTACK_BYTES);
	uc->uc_mcontext.gregs[REG_RAX] = SYS_nanosleep;
	uc->uc_mcontext.gregs[REG_RDI] = (long)&nap;
	uc->uc_mcontext.gregs[REG_RSI] = 0;
	uc->uc_mcontext.gregs[REG_RIP] = (long)forged_after_syscall;
	uc->uc_mcontext.gregs[REG_RSP] = (long)&end - 256;
	uc->uc_mcontext.gregs[REG_EFL] = 0x202;
	uc->uc_mcontext.gregs[REG_CSGSFS] = 0x33;	/* 64-bit user code */
	uc->uc_mcontext.fpregs = fp;
	si->si_signo = SIGSYS;
	si->si_code = 1;				/* SYS_SECCOMP */
	si->si_call_addr = forged_after_syscall;
	si->si_syscall = SYS_nanosleep;
	si->si_arch = AUDIT_X86_64;
	h->signo = SIGSYS;
	h->frame = (unsigned long)uc;
	h->info = (unsigned long)si;
	__atomic_add_fetch(&h->k_seq, 1, __ATOMIC_SEQ_CST);

	spin_loops(loops_per_second * SPIN_SECONDS);
	_exit(0);
}

/* The stub's fast-mode restorer: mov $15, %eax; syscall; hlt. */
static unsigned long find_restorer(void)
{
	static const unsigned char code[] = {
		0xb8, 0x0f, 0, 0, 0, 0x0f, 0x05, 0xf4
	};
	unsigned long off;

	for (off = 0; off + sizeof(code) <= PAGE; off++)
		if (!memcmp((void *)(stub + off), code, sizeof(code)))
			return stub + off;
	return 0;
}

static unsigned long restorer;
static char culprit_stack[65536] __attribute__((aligned(16)));

/* Sleep on g_seq through the restorer's syscall; nothing wakes it. */
static void __attribute__((noreturn)) sleep_on_handoff(void)
{
	struct stub_handoff *h = (struct stub_handoff *)(stub + STUB_PAGE_BYTES);
	unsigned int seen = __atomic_load_n(&h->g_seq, __ATOMIC_SEQ_CST);

	asm volatile("xor %%r10d, %%r10d\n\tjmp *%4"
		     :: "a" (SYS_futex), "D" (&h->g_seq), "S" (0), "d" (seen),
			"r" (restorer + 5) : "r10", "memory");
	__builtin_unreachable();
}

static void __attribute__((noreturn)) spin_then_exit(void)
{
	spin_loops(loops_per_second * SPIN_SECONDS);
	_exit(0);
}

/*
 * rt_sigreturn with a frame of our own: SIGALRM blocked, the stub's signal
 * stack kept (a fault still needs its handler), default FP state, and on
 * to next.  The restorer's rt_sigreturn takes the
 * frame at the stack pointer.
 */
static void __attribute__((noreturn)) block_alarm_then(void (*next)(void))
{
	static struct {
		unsigned long pretcode;
		ucontext_t uc;
	} frame __attribute__((aligned(64)));
	greg_t *g = frame.uc.uc_mcontext.gregs;

	memset(&frame, 0, sizeof(frame));
	memset(culprit_stack, 0, sizeof(culprit_stack));	/* faulted in now */
	sigaddset(&frame.uc.uc_sigmask, SIGALRM);
	frame.uc.uc_stack.ss_sp = (void *)(stub + STUB_PAGE_BYTES + STUB_STACK_PAGE);
	frame.uc.uc_stack.ss_size = STUB_ALTSTACK_BYTES;
	g[REG_RIP] = (long)next;
	g[REG_RSP] = (long)(culprit_stack + sizeof(culprit_stack) - 8);
	g[REG_EFL] = 0x202;
	g[REG_CSGSFS] = 0x33;		/* 64-bit user code */
	asm volatile("mov %0, %%rsp\n\tjmp *%1"
		     :: "r" (&frame.uc), "r" (restorer) : "memory");
	__builtin_unreachable();
}

/* A culprit that never hands off: killed (SIGKILL), and soon? */
static void never_hands_off(void (*next)(void), const char *what)
{
	pid_t culprit;
	int status, ended;
	double t0 = seconds();

	culprit = fork();
	if (culprit == 0)
		block_alarm_then(next);
	ended = wait_bounded(culprit, &status, 2 * SPIN_SECONDS + 10);
	check(ended && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	      seconds() - t0 < 5,
	      "a process that blocked SIGALRM with a forged frame and %s was killed (SIGKILL) within 5 s (status 0x%x after %.1f s)",
	      what, status, seconds() - t0);
}

int main(void)
{
	volatile unsigned long *count;
	pid_t culprit, bystander;
	unsigned long before;
	int status, ended;
	double t0;

	if (!fast_mode()) {
		printf("[SKIP] forged hand-off: the kernel runs in ptrace mode\n");
		return 0;
	}
	stub = find_stub();
	if (!check(stub, "found the stub's code page above the guest's top (%lx)", stub))
		return check_summary("forgepark");

	count = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	bystander = fork();
	if (bystander == 0)
		for (;;)
			(*count)++;
	usleep(200000);
	before = *count;

	calibrate();
	t0 = seconds();
	culprit = fork();
	if (culprit == 0)
		forge_and_spin();
	ended = wait_bounded(culprit, &status, 2 * SPIN_SECONDS + 10);
	check(ended && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "a process that forged a hand-off and kept running was killed (SIGKILL) by the watchdog (status 0x%x after %.1f s)",
	      status, seconds() - t0);
	check(*count > before, "a bystander guest process kept running meanwhile (%lu increments)",
	      *count - before);

	restorer = find_restorer();
	if (check(restorer, "found the stub's signal restorer (%lx)", restorer)) {
		never_hands_off(spin_then_exit, "spins");
		never_hands_off(sleep_on_handoff, "sleeps on its hand-off word");
		before = *count;
		usleep(200000);
		check(*count > before, "the bystander still runs (%lu increments in 0.2 s)",
		      *count - before);
	}
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);
	return check_summary("forgepark");
}
