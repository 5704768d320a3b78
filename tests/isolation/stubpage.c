// Guest code in the stub's pages: every byte of the code page jumped to
// right after a page fault (so the kernel has just resumed the process
// through the stub's resume entry), forged batch failures and forged fault
// information.  Each attempt runs in its own child under a guest timer; the
// culprit may die or loop, but it must end (the timer preempts it), a
// bystander guest process must keep running, and the kernel must not take
// anything the guest forged for the stub's word.  The host runner checks
// the console for what the kernel said about it (nothing, or rate-limited).
#include "../guest/check.h"
#include "probe.h"
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "../../arch/um/include/shared/skas/stub-data.h"

#define TIMER_MS	30
#define FORGERIES	60
#define CULPRIT_UID	65534

static unsigned long stub;		/* the code page; data follows */

static struct stub_data *data(void)
{
	return (struct stub_data *)(stub + STUB_PAGE_BYTES);
}

/* A fresh page, written: the kernel fixes the fault and resumes through the stub. */
static void fault_now(void)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*(volatile char *)p = 1;
}

static void arm_timer(void)
{
	struct itimerval t = { { 0, 0 }, { 0, TIMER_MS * 1000 } };

	setitimer(ITIMER_REAL, &t, NULL);
}

/* jump to target with plausible registers: %rax = target, %rdi = stub data */
static void __attribute__((noreturn)) jump_into(unsigned long target)
{
	__asm__ volatile("mov %0, %%rax\n\t"
			 "mov %1, %%rdi\n\t"
			 "xor %%esi, %%esi\n\t"
			 "xor %%edx, %%edx\n\t"
			 "mov $64, %%ecx\n\t"
			 "mov $0x0123456789abcdef, %%r15\n\t"
			 "jmp *%%rax"
			 :: "r"(target), "r"((unsigned long)data())
			 : "rax", "rdi", "rsi", "rdx", "rcx", "r15", "memory");
	__builtin_unreachable();
}

struct tally {
	int exited, hung, by_sig[65];
};

/* run fn(arg) in a child that must end within 5 s; how it ended */
static int child_outcome(void (*fn)(unsigned long), unsigned long arg, int *sig)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/*
		 * Not guest root: what the stub's instructions do with
		 * garbage registers (a kill(-1), say) must reach no other
		 * guest process but the culprit's own
		 */
		if (setgid(CULPRIT_UID) || setuid(CULPRIT_UID))
			_exit(99);
		arm_timer();
		fn(arg);
		_exit(0);
	}
	if (!wait_bounded(pid, &status, 5))
		return -1;
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return WIFSIGNALED(status) ? 1 : WEXITSTATUS(status) == 42 ? 2 : 0;
}

static void jump_after_fault(unsigned long target)
{
	fault_now();
	jump_into(target);
}

/* a guest process that counts while the others attack */
static volatile unsigned long *counter;

static pid_t start_bystander(void)
{
	pid_t pid;

	counter = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid = fork();
	if (pid == 0)
		for (;;) {
			(*counter)++;
			if (!(*counter & 0xffff))
				getppid();
		}
	return pid;
}

static void sweep(void)
{
	struct tally t = { 0 };
	unsigned long off, before;
	char seen[512] = "";
	int sig, how, i, n;

	before = *counter;
	for (off = 0; off < STUB_PAGE_BYTES; off++) {
		how = child_outcome(jump_after_fault, stub + off, &sig);
		if (how < 0)
			t.hung++;
		else if (how == 1)
			t.by_sig[sig & 63]++;
		else
			t.exited++;
	}
	for (i = 1, n = 0; i < 65; i++)
		if (t.by_sig[i])
			n += snprintf(seen + n, sizeof(seen) - n, " %s %d,",
				      sigabbrev_np(i) ? sigabbrev_np(i) : "?",
				      t.by_sig[i]);
	check(t.hung == 0, "%lu jumps into the stub code page right after a fault: all ended (%d exited,%s %d hung)",
	      off, t.exited, seen, t.hung);
	check(*counter > before, "a bystander guest process kept running meanwhile (%lu increments)",
	      *counter - before);
}

/*
 * Forgeries come right after a fault: the kernel has just written the
 * data page for the resume entry, and the guest overwrites it at once.
 */

/* Forged: the stub's report of a failed batch, then a jump onto its trap. */
static void forge_failed_batch(unsigned long err)
{
	struct stub_data *d = data();

	fault_now();
	d->batch_len = 1;
	d->batch_done = 0;
	d->batch_err = -(long)err;
	jump_into(stub + STUB_TRAP);
}

/* Forged: a batch asking for physical memory at offset 0 (the kernel's). */
static void forge_batch_mapping(unsigned long unused)
{
	struct stub_data *d = data();

	fault_now();
	d->batch[0] = (struct stub_batch_entry) {
		.op = STUB_OP_MMAP, .prot = 3, .addr = 0x30000000,
		.len = 1 << 20, .offset = 0,
	};
	d->batch_len = 1;
	jump_into(stub + STUB_ENTRY_BATCH);
}

static void exit42(void)
{
	_exit(42);
}

/* Forged: registers for the resume entry; it is the guest's own state. */
static void forge_resume(unsigned long unused)
{
	struct stub_data *d = data();
	static char stack[4096] __attribute__((aligned(16)));

	fault_now();
	memset(d->resume_regs, 0, sizeof(d->resume_regs));
	d->resume_regs[STUB_RR_RIP] = (unsigned long)exit42;
	d->resume_regs[STUB_RR_RSP] = (unsigned long)stack + sizeof(stack) - 8;
	d->resume_regs[STUB_RR_EFLAGS] = 0x202;
	d->batch_len = 0;
	jump_into(stub + STUB_ENTRY_RESUME);
}

static volatile unsigned long last_fault;


static void forgeries(void)
{
	int i, sig, how, trapped = 0, mapped = 0, resumed, got;

	for (i = 0; i < FORGERIES; i++) {
		how = child_outcome(forge_failed_batch, i & 1 ? 3 /* ESRCH */ : 12, &sig);
		trapped += how == 1 && sig == SIGTRAP;
	}
	check(trapped == FORGERIES, "%d forged batch failures (ESRCH, ENOMEM) and a jump onto the stub's trap: the culprit gets SIGTRAP (%d did)",
	      FORGERIES, trapped);

	for (i = 0; i < 10; i++) {
		how = child_outcome(forge_batch_mapping, 0, &sig);
		mapped += how != 1;
	}
	check(mapped == 0, "10 forged batches mapping physical memory at 0, run by jumping to the batch entry: each culprit died (%d did not)",
	      mapped);
	/*
	 * The resume entry loads what it finds and goes on in guest code:
	 * the guest's own registers, from the guest's own page.
	 */
	resumed = child_outcome(forge_resume, 0, &sig) == 2;
	check(resumed, "forged resume registers only steer the guest's own process (it went on to exit 42)");

	/* forged fault info: the fault the kernel reports is the real one */
	got = 0;
	for (i = 0; i < 10; i++) {
		unsigned long v, at = 0x10000 + i * PAGE;

		data()->fault = (struct stub_fault) { 0xdead0000, 6, 14 };
		last_fault = 0;
		got += probe_read(at, &v) == 0 && last_fault == at;
	}
	check(got == 10, "fault information forged before a fault is replaced by the real one (10 of 10 faults at the right address: %d)",
	      got);
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	last_fault = (unsigned long)si->si_addr;
	siglongjmp(probe_out, 1);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	pid_t bystander;
	int status, alive;

	stub = find_stub();
	if (!check(stub, "found the stub's code page above the guest's top (%lx)", stub))
		return check_summary("stubpage");
	bystander = start_bystander();
	sweep();
	sigaction(SIGSEGV, &sa, NULL);
	forgeries();
	alive = waitpid(bystander, &status, WNOHANG) == 0;
	kill(bystander, SIGKILL);
	waitpid(bystander, &status, 0);
	check(alive, "the bystander guest process was still alive at the end");
	printf("STUBPAGE-DONE\n");
	return check_summary("stubpage");
}
