// Fast mode: a guest process that forges a hand-off and goes on running.
//
// The guest thread can write the hand-off page, so it can make the kernel
// believe it stopped for a system call (here a 4 s nanosleep, so the
// kernel leaves it "parked" that long) while it keeps spinning on the host
// CPU.  The kernel's watchdog must notice by the thread's host CPU time,
// which the guest cannot forge, and kill it: the culprit dies of SIGKILL.
// Left alone it would exit 0 after SPIN_SECONDS.  A bystander keeps
// running meanwhile.  In ptrace mode there is no hand-off: SKIP.
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
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);
	return check_summary("forgepark");
}
