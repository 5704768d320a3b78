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
//
// And one forges a hand-off of fork() with garbage in the hand-off page's
// segment fields (bases no thread can hold, selectors of no descriptor):
// the child it gets must end by a signal, the forger go on and reap it.
#include "../guest/check.h"
#include "probe.h"
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "../../arch/um/include/shared/skas/stub-data.h"

#define SPIN_SECONDS	8
#define AUDIT_X86_64	0xc000003eU

static unsigned long stub;
static char culprit_stack[65536] __attribute__((aligned(16)));

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

static void __attribute__((noinline)) spin_loops(unsigned long n)
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

/*
 * Touch now what we use after the forgery: a forked process gets its
 * pages on first touch, and its stack pages are copy-on-write, so a first
 * touch after it would be a real fault, a real hand-off that parks us in
 * the handler for as long as the forged call takes (we would spin no
 * more).  The stack pages below us, the caller's code, the spin loop's.
 */
static void __attribute__((noinline)) prefault(void (*code)(void))
{
	volatile char pad[32768];
	const volatile char *c = (const volatile char *)code;
	unsigned long i;

	for (i = 0; i < sizeof(pad); i += 512)
		pad[i] = 1;
	for (i = 0; i < 2048; i += 64)
		(void)c[i];
	spin_loops(1);
}

static void __attribute__((noreturn)) forge_and_spin(void);
static void __attribute__((noreturn)) forge_fork_with_garbage(void);

static void __attribute__((noreturn)) forge_and_spin(void)
{
	static const struct timespec nap = { 4, 0 };
	struct stub_handoff *h = (struct stub_handoff *)(stub + STUB_PAGE_BYTES);
	unsigned long stack = stub + STUB_PAGE_BYTES + STUB_STACK_PAGE;
	ucontext_t *uc = (ucontext_t *)stack;
	siginfo_t *si = (siginfo_t *)(stack + 2048);
	void *fp = (void *)(stack + 4096);	/* 64-byte aligned, on the stack */
	unsigned long loops = loops_per_second * SPIN_SECONDS;
	double end = 0;

	prefault(forge_and_spin);
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

	spin_loops(loops);
	_exit(0);
}

/*
 * Forge a hand-off of fork() whose fs/gs bases and selectors are garbage
 * no thread can hold (a base off the canonical range, a selector of no
 * descriptor), and go on running meanwhile: the kernel forks a child with
 * them.  The child must end (it cannot run with them) and harm nobody;
 * this process goes on and reaps it.  Exit status: 0 the child ended by
 * a signal, 1 it exited (it ran), 2 the kernel never answered, 3 no child.
 * Or the garbage reaches this process's own thread: the timer may stop it
 * for real while the kernel still works on the forged fork, and the
 * kernel then has its stub load the selectors it was told of; its host
 * process dies, and the kernel, rightly, reports it gone and ends it with
 * SIGKILL.  It runs as "forgefork", so the isolation script can tell that
 * report from one the guest only pretended.
 */
extern char forged_fork_child[];
__asm__(".text\n\tsyscall\nforged_fork_child:\n\tmov $60, %eax\n"
	"\tmov $7, %edi\n\tsyscall\n\thlt\n");

static void __attribute__((noreturn)) forge_fork_with_garbage(void)
{
	struct stub_handoff *h = (struct stub_handoff *)(stub + STUB_PAGE_BYTES);
	unsigned long stack = stub + STUB_PAGE_BYTES + STUB_STACK_PAGE;
	ucontext_t *uc = (ucontext_t *)stack;
	siginfo_t *si = (siginfo_t *)(stack + 2048);
	void *fp = (void *)(stack + 4096);
	unsigned long waited = 0, patience = 5 * loops_per_second;
	unsigned int seq;
	int status;
	long child;

	prctl(PR_SET_NAME, "forgefork");
	prefault(forge_fork_with_garbage);
	memset((void *)stack, 0, STUB_ALTSTACK_BYTES);
	uc->uc_mcontext.gregs[REG_RAX] = SYS_fork;
	uc->uc_mcontext.gregs[REG_RIP] = (long)forged_fork_child;
	uc->uc_mcontext.gregs[REG_RSP] = (long)culprit_stack + sizeof(culprit_stack) - 64;
	uc->uc_mcontext.gregs[REG_EFL] = 0x202;
	uc->uc_mcontext.gregs[REG_CSGSFS] = 0x33;
	uc->uc_mcontext.fpregs = fp;
	si->si_signo = SIGSYS;
	si->si_code = 1;
	si->si_call_addr = forged_fork_child;
	si->si_syscall = SYS_fork;
	si->si_arch = AUDIT_X86_64;
	h->signo = SIGSYS;
	h->frame = (unsigned long)uc;
	h->info = (unsigned long)si;
	h->fs_base = 1UL << 63;
	h->gs_base = 0x8000000000001000UL;
	h->fs_sel = 0xfffb;
	h->gs_sel = 0x47;
	h->set_bases = 1;
	/* no system call from here until the answer: it would hand off */
	seq = __atomic_load_n(&h->g_seq, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&h->k_seq, 1, __ATOMIC_SEQ_CST);

	while (__atomic_load_n(&h->g_seq, __ATOMIC_SEQ_CST) == seq)
		if (++waited > patience)
			_exit(2);
	child = uc->uc_mcontext.gregs[REG_RAX];
	if (child <= 0 || waitpid(child, &status, __WALL) != child) {
		printf("forged fork: the kernel answered %ld (%m)\n", child);
		_exit(3);
	}
	_exit(WIFSIGNALED(status) ? 0 : 1);
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

	t0 = seconds();
	culprit = fork();
	if (culprit == 0)
		forge_fork_with_garbage();
	ended = wait_bounded(culprit, &status, 20);
	check(ended && ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
			(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)),
	      "a forged fork with garbage fs/gs bases and selectors: the child ended by a signal and the forger reaped it, or the forger's own thread got the garbage and it was killed (status 0x%x after %.1f s; 0x0 or 0x9)",
	      status, seconds() - t0);
	before = *count;
	usleep(200000);
	check(*count > before, "the bystander still runs (%lu increments in 0.2 s)",
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
