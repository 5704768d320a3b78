// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: the loop that runs guest code in a backing process.
 *
 * Guest code runs only because we resumed its backing process under
 * ptrace, and it runs until the process stops again:
 *
 *                     guest_enter()
 *   IN KERNEL -------------------------------> GUEST      PTRACE_SYSEMU at the
 *       ^  \                                     |        guest's registers
 *       |   \  a batch is queued (or a segment   |
 *       |    \ base above the host's limit),     | any stop: a syscall, a
 *       |     \ 64-bit code, not single-stepping | fault, a host signal
 *       |      v                                 |
 *       |   RESUMING  PTRACE_CONT at the stub's  |
 *       |      |      resume entry: batch, then  |
 *       |      |      guest code, seccomp turns  |
 *       |      |      its syscalls into stops    |
 *       |      |      (no batch: PTRACE_SYSEMU)  |
 *       |      v                                 |
 *       |   first stop: still the stub? -------- | -> host signal: let it go on
 *       |      |   (%r15 holds the secret and    |    its trap: the batch failed,
 *       |      |    %rip is in the stub page)    |    back to IN KERNEL
 *       |      | no: the batch ran; a guest stop |
 *       +------+---------------------------------+
 *
 * The state the loop keeps between stops is struct run_state: whose FP
 * state is still in a host process (lazy FP), and the register blocks of
 * the last stop and of the resume entry.  UML runs one guest process at a
 * time, so there is one.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <linux/threads.h>
#include <as-layout.h>
#include <kern_util.h>
#include <mm_id.h>
#include <os.h>
#include <ptrace_user.h>
#include <registers.h>
#include <skas.h>
#include <stub-data.h>
#include <sysdep/ptrace.h>
#include <timetravel.h>
#include "stub_host.h"

int userspace_pid[NR_CPUS];

struct run_state {
	/*
	 * Lazy FP: after a stop the guest's FP/vector state stays in its
	 * host process (fp_pid) and is copied into fp_regs->fp only when
	 * kernel code is about to use it: a signal frame, sigreturn, fork,
	 * ptrace or a core dump of the task, a fault (whose host SIGSEGV
	 * resets the host FPU) or a context switch.  It is loaded back only
	 * when it may differ.  A null syscall moves no FP state at all.
	 */
	struct uml_pt_regs *fp_regs;
	int fp_pid;
	unsigned long fp_frame;	/* fast mode: it is on this signal frame */
	/* registers at the last stop */
	unsigned long stop[MAX_REG_NR];
	/* registers that start the stub's resume entry */
	unsigned long entry[MAX_REG_NR];
	/*
	 * Set while the loop waits for guest code to stop: a timer tick then
	 * is the guest's user time (skas_tick_in_guest()), as a tick that
	 * interrupts user code is on x86.
	 */
	bool in_guest;
};

static struct run_state run;

/* Did the timer interrupt a wait for guest code?  (os-Linux/signal.c) */
int skas_tick_in_guest(void)
{
	skas_stats.ticks++;
	skas_stats.guest_ticks += run.in_guest;
	return run.in_guest;
}

/* ------------------------------------------------------------ reports */

/*
 * What a guest can trigger it must not be able to flood the console with:
 * at most REPORT_BURST messages per REPORT_WINDOW_S seconds.
 */
#define REPORT_BURST		10
#define REPORT_WINDOW_S		60

int skas_report_allowed(void)
{
	static time_t window;
	static int used;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec - window >= REPORT_WINDOW_S) {
		window = now.tv_sec;
		used = 0;
	}
	return used++ < REPORT_BURST;
}

/* ------------------------------------------------------------- lazy FP */

void skas_fp_sync(struct uml_pt_regs *regs)
{
	if (!run.fp_regs || (regs && regs != run.fp_regs))
		return;
	/* a process that died takes its state with it; nothing to keep */
	if (run.fp_frame)
		skas_fast_fp_get(run.fp_frame, run.fp_regs);
	else
		get_fp_registers(run.fp_pid, run.fp_regs->fp);
	run.fp_regs = NULL;
}

/* regs->fp was just reset (exec): what the host holds is the old program's. */
void skas_fp_forget(struct uml_pt_regs *regs)
{
	if (run.fp_regs == regs)
		run.fp_regs = NULL;
}

static int guest_fp_load(int pid, struct uml_pt_regs *regs)
{
	if (run.fp_regs == regs && run.fp_pid == pid && !run.fp_frame)
		return 0;		/* the host holds exactly this state */
	if (run.fp_regs == regs)
		run.fp_regs = NULL;	/* another process's copy: never load it */
	skas_fp_sync(NULL);		/* another task's state, still in a host */
	return put_fp_registers(pid, regs->fp);
}

/* ------------------------------------------------------------ failures */

/*
 * The backing process is gone, or cannot be driven any more: make sure it
 * is dead and reaped (it may still be alive, stuck), forget it, and end
 * the tasks that use it as if by SIGKILL.  The kernel goes on.
 */
static void __attribute__((noreturn)) guest_lost(struct mm_id *mm)
{
	int pid = mm->pid > 1 ? mm->pid : mm->lost_pid;

	if (mm->culprit)
		pid = 0;	/* the watchdog killed it, and said so */
	skas_stub_kill(mm);
	skas_host_process_lost(pid);
}

/*
 * Guest code in mm broke the hand-off protocol (a forged or missing
 * hand-off): its process cannot be trusted to run.  Kill it and end its
 * tasks as by SIGKILL; one rate-limited line, since a guest can repeat it.
 */
static void __attribute__((noreturn))
guest_misbehaved(struct mm_id *mm, const char *what)
{
	if (skas_report_allowed())
		printk(UM_KERN_ERR "skas0: host process %d %s; killed\n",
		       mm->pid, what);
	skas_stub_kill(mm);
	skas_host_process_lost(0);
}

/*
 * The guest cannot go on.  If its host process died, the task dies as by
 * SIGKILL; if the process is alive but refuses what the guest left in its
 * registers (a bad segment selector, say), the task gets SIGSEGV.
 */
static void __attribute__((noreturn))
guest_cannot_continue(struct mm_id *mm, const char *what, int err)
{
	if (err == -ECHILD)
		skas_stub_reaped(mm);	/* a wait reaped it (stub_wait_stop) */
	if (err == -ESRCH || err == -ECHILD || mm->pid <= 1 ||
	    kill(mm->pid, 0))
		guest_lost(mm);
	if (skas_report_allowed())
		printk(UM_KERN_ERR "skas0: %s failed for host process %d: %s\n",
		       what, mm->pid, strerror(-err));
	fatal_sigsegv();
}

/* ------------------------------------------------------------- enter */

/*
 * Bring the host mappings up to date.  When the host refuses one (ENOMEM:
 * vm.max_map_count, or no memory for its own bookkeeping), drop the host
 * mappings of this address space, which the kernel can rebuild from the
 * page tables, and go on; only if even that leaves the host unable to map
 * one page does the process die.
 */
static void guest_sync_host(struct mm_id *mm)
{
	int had_work = mm->queued, err;

	err = syscall_stub_flush(mm);
	if (err == -ENOMEM && !mm->evicted) {
		static bool told;

		if (!told)
			printk(UM_KERN_INFO "skas0: the host refused more mappings for host process %d (vm.max_map_count?); dropping its host mappings, faults bring them back\n",
			       mm->pid);
		told = true;
		skas_host_cache_evict();
		skas_stats.evictions++;
		mm->evicted = 1;
		err = syscall_stub_flush(mm);
	} else if (!err && had_work) {
		mm->evicted = 0;
	}
	if (err) {
		if (err == -ENOMEM)
			report_enomem();
		guest_cannot_continue(mm, "updating the address space", err);
	}
}

/*
 * Guest code may load a null selector of RPL 1 to 3 (mov $1, %gs), and
 * the host shows it as it is, but its PTRACE_SETREGS takes only RPL 0 or
 * 3.  All four are the same null selector, and x86 turns them into 0 on
 * many a return to user mode anyway (IRET).
 */
void skas_null_selectors(unsigned long *gp)
{
	static const int seg[] = { HOST_DS, HOST_ES, HOST_FS, HOST_GS };
	unsigned int i;

	for (i = 0; i < sizeof(seg) / sizeof(seg[0]); i++)
		if (gp[seg[i]] <= 3)
			gp[seg[i]] = 0;
}

/*
 * How the resume entry runs: with a batch under PTRACE_CONT (the batch's
 * own syscalls must run; the stub's seccomp filter stops guest ones), and
 * without one, only to load segment bases, under PTRACE_SYSEMU like any
 * guest code, so that no host filter sees a guest syscall.
 */
static int resume_op(struct mm_id *mm)
{
	return mm->resume_queued ? PTRACE_CONT : PTRACE_SYSEMU;
}

/*
 * Start the guest again; returns 1 when it goes through the stub's resume
 * entry (RESUMING), 0 when straight to guest code.  If the address space
 * changed, the batch rides along: the resume entry runs it and continues
 * in guest code by itself, under PTRACE_CONT, where the stub's seccomp
 * filter turns guest system calls into stops for us.  Otherwise (or if
 * that is not possible) the batch runs first, and the guest under
 * PTRACE_SYSEMU.
 */
static int guest_enter(struct mm_id *mm, struct uml_pt_regs *regs)
{
	unsigned long *start = regs->gp;
	int resuming = 0, err, op;

	if (mm->pid <= 1)
		guest_lost(mm);		/* another task of this mm saw it die */
	/*
	 * Never let the host run a guest syscall: the guest kernel ran it
	 * and handled any restart.  After SYSEMU it is skipped anyway; at a
	 * seccomp stop the host runs it unless the number is -1 (and a new
	 * thread's registers still hold its parent's clone).  The resume
	 * entry's registers are copied from these.
	 */
	PT_SYSCALL_NR(regs->gp) = -1;
	skas_null_selectors(regs->gp);
	skas_cpu_follow(mm);
	/*
	 * A batch that cannot ride runs first; bases PTRACE_SETREGS refuses
	 * may still need the resume entry after it.
	 */
	if (singlestepping() || !skas_batch_can_resume(mm, regs->gp))
		guest_sync_host(mm);
	if (!singlestepping() && skas_batch_can_resume(mm, regs->gp)) {
		skas_batch_prepare_resume(mm, regs->gp, run.entry);
		start = run.entry;
		resuming = 1;
	}
	if (ptrace(PTRACE_SETREGS, mm->pid, 0, start))
		guest_cannot_continue(mm, "PTRACE_SETREGS", -errno);
	err = guest_fp_load(mm->pid, regs);
	if (err)
		guest_cannot_continue(mm, "restoring FP registers", err);

	if (resuming)
		op = resume_op(mm);
	else
		op = singlestepping() ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU;
	if (ptrace(op, mm->pid, 0, 0))
		guest_cannot_continue(mm, "resuming the guest", -errno);
	return resuming;
}

/* ------------------------------------------------------------- stops */

/*
 * Wait for the guest to stop, and read its registers into run.stop.  A
 * syscall stop is SIGTRAP | 0x80, also when the stub's seccomp filter
 * caught it rather than PTRACE_SYSEMU.  A process that exited instead was
 * reaped by the wait.
 */
static int guest_wait_stop(struct mm_id *mm, int *status)
{
	int sig;

	run.in_guest = true;
	sig = stub_wait_stop(mm->pid, status);
	run.in_guest = false;

	if (sig < 0) {
		int pid = mm->pid;

		skas_stub_reaped(mm);
		skas_host_process_lost(pid);
	}
	if (sig == SIGTRAP && (*status >> 16) == PTRACE_EVENT_SECCOMP)
		sig = SIGTRAP | 0x80;
	if (ptrace(PTRACE_GETREGS, mm->pid, 0, run.stop))
		guest_cannot_continue(mm, "PTRACE_GETREGS", -errno);
	return sig;
}

/*
 * The stub at work: only the stub runs with this process's secret in
 * %r15, and guest code cannot know the secret, so this tells the stub
 * apart from guest code that jumped into the stub page.
 */
static bool stub_at_work(struct mm_id *mm, const unsigned long *r)
{
	return r[HOST_IP] - STUB_CODE < STUB_PAGE_BYTES &&
	       r[HOST_R15] == mm->secret;
}

static bool stop_is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == (SIGTRAP | 0x80);
}

/*
 * The first stop after the resume entry.  Returns 1 if the stub trapped
 * because its batch failed (nothing for the guest: the next sync deals
 * with the error it kept), 0 for a guest stop.
 *  - The stub at work, stopped by a host signal on the way (the timer):
 *    let it go on.  It cannot loop; the bound is a guard.
 *  - The stub at its trap: the batch failed.  Guest code has not run
 *    since the kernel wrote the batch, so the stub's report is its own.
 *  - The stub at work stopped by anything else: it broke, and the
 *    process cannot be trusted to run; it dies.
 *  - Anything else is guest code: the batch ran.  At the final jump every
 *    guest register is in place but %rip, which is the one the kernel
 *    gave the resume entry.
 * Guest code that jumps into the stub page, loops there, faults there or
 * forges the stub's reports is thus just guest code stopping.
 */
static int resume_stop(struct mm_id *mm, struct uml_pt_regs *regs, int *sig,
		       int *status)
{
	unsigned long *r = run.stop;
	int n;

	for (n = 0; stub_at_work(mm, r); n++) {
		if (*sig == SIGTRAP && r[HOST_IP] == STUB_CODE + STUB_TRAP + 1) {
			skas_batch_resume_failed(mm);
			return 1;
		}
		if (stop_is_fault(*sig) || *sig == SIGTRAP ||
		    n == STUB_STOPS_MAX) {
			if (skas_report_allowed())
				printk(UM_KERN_ERR "skas0: the stub of host process %d stopped with signal %d at %lx; ending its tasks\n",
				       mm->pid, *sig, r[HOST_IP]);
			guest_lost(mm);
		}
		if (ptrace(resume_op(mm), mm->pid, 0, 0))
			guest_cannot_continue(mm, "running the stub's batch", -errno);
		*sig = guest_wait_stop(mm, status);
	}
	if (r[HOST_IP] == STUB_CODE + STUB_RESUME_JUMP)
		r[HOST_IP] = regs->gp[HOST_IP];
	skas_batch_resumed(mm);
	return 0;
}

/* ------------------------------------------------------------- faults */

/*
 * A guest page fault stops the process with SIGSEGV.  The host's siginfo
 * has the address and whether a host mapping was there; for most faults
 * the kernel works out the rest (skas_fault_access()) and the signal is
 * simply dropped when the guest resumes.  Otherwise the stub's handler
 * reads error code and trap number out of its signal frame and traps
 * back; that frame resets the host FPU, hence the FP sync.  Guest code
 * cannot run between the injected signal and the trap.
 */
static void fault_info_from_stub(struct mm_id *mm, struct uml_pt_regs *regs)
{
	struct stub_data *d = (struct stub_data *)mm->stack;
	int err;

	skas_fp_sync(regs);
	d->fault.trap_no = ~0UL;
	err = stub_resume_until_trap(mm->pid, SIGSEGV);
	if (err)
		guest_cannot_continue(mm, "collecting fault information", err);

	regs->faultinfo.cr2 = d->fault.addr;
	regs->faultinfo.error_code = d->fault.error_code;
	regs->faultinfo.trap_no = d->fault.trap_no;
}

#define X86_PF_PROT	1
#define X86_PF_WRITE	2
#define X86_PF_USER	4
#define X86_PF_INSTR	0x10
#define X86_PF_PK	0x20
#define X86_TRAP_PF	14
#define USER32_CS	0x23

/*
 * A 32-bit fast syscall (sysenter, or syscall from 32-bit code) makes the
 * host return to a landing pad in its own 32-bit vDSO, which no backing
 * process has: the fault there is at an address above 4 GiB that no
 * 32-bit code can reach, and it tells where the host put the vDSO.
 */
static bool fault_at_host_landing_pad(const unsigned long *r)
{
	return r[HOST_CS] == USER32_CS && (r[HOST_IP] >> 32);
}

/*
 * Refused by protection key 0, which every guest page has: the guest set
 * its own PKRU so (WRPKRU runs on the host CPU).  Another key is the one
 * the host gives a mapping that is PROT_EXEC only (ours, for a page the
 * guest may run but has not yet read): an ordinary fault.
 */
static bool guest_denied_pkey0(const siginfo_t *si)
{
	return si->si_code == SEGV_PKUERR && si->si_pkey == 0;
}

/* regs->faultinfo complete: the fault to the guest kernel */
static void guest_fault_deliver(struct uml_pt_regs *regs, siginfo_t *si)
{
	if ((regs->faultinfo.error_code & X86_PF_INSTR) &&
	    skas_exec_refused(regs))
		return;
	(*sig_info[SIGSEGV])(SIGSEGV, (struct siginfo *)si, regs);
	skas_fault_around(regs->faultinfo.cr2);
}

static void guest_fault(struct mm_id *mm, struct uml_pt_regs *regs)
{
	unsigned long addr;
	siginfo_t si;
	int access = SKAS_FAULT_ASK;

	if (fault_at_host_landing_pad(regs->gp)) {
		skas_refuse_32bit_syscall(regs);
		return;
	}
	if (ptrace(PTRACE_GETSIGINFO, mm->pid, 0, &si))
		guest_cannot_continue(mm, "PTRACE_GETSIGINFO", -errno);
	addr = (unsigned long)si.si_addr;
	if (guest_denied_pkey0(&si)) {
		regs->faultinfo.cr2 = addr;
		regs->faultinfo.error_code = X86_PF_USER | X86_PF_PROT | X86_PF_PK;
		regs->faultinfo.trap_no = X86_TRAP_PF;
		skas_pkey_fault(regs, si.si_pkey);
		return;
	}
	if (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)
		access = skas_fault_access(addr, regs->gp[HOST_IP],
					   si.si_code == SEGV_ACCERR);

	if (access == SKAS_FAULT_ASK) {
		fault_info_from_stub(mm, regs);
	} else {
		regs->faultinfo.cr2 = addr;
		regs->faultinfo.error_code = X86_PF_USER |
			(access == SKAS_FAULT_WRITE ? X86_PF_WRITE : 0) |
			(si.si_code == SEGV_ACCERR ? X86_PF_PROT : 0);
		regs->faultinfo.trap_no = X86_TRAP_PF;
	}
	guest_fault_deliver(regs, &si);
}

/* ------------------------------------------------------------ signals */

/*
 * Guest code called into the host's vsyscall page.  The host emulates that
 * call itself, without a syscall stop, but it asks seccomp first, and the
 * stub's filter answers with SIGSYS; by then the host has already done the
 * emulated return.  Run the call in the guest kernel instead, so the guest
 * gets its own clock, never the host's.
 */
static void guest_vsyscall(struct mm_id *mm, struct uml_pt_regs *regs)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, mm->pid, 0, &si) ||
	    si.si_code != 1 /* SYS_SECCOMP */)
		guest_cannot_continue(mm, "handling SIGSYS", -EINVAL);
	handle_vsyscall(regs, si.si_syscall);
}

static void guest_signal(struct mm_id *mm, int sig, struct uml_pt_regs *regs)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GETSIGINFO, mm->pid, 0, &si);
	if (sig == SIGTRAP) {
		skas_guest_trap((struct siginfo *)&si, regs);
		return;
	}
	block_signals_trace();
	(*sig_info[sig])(sig, (struct siginfo *)&si, regs);
	unblock_signals_trace();
}

static void guest_stopped(struct mm_id *mm, int sig, struct uml_pt_regs *regs)
{
	switch (sig) {
	case SIGTRAP | 0x80:
		skas_stats.syscalls++;
		handle_syscall(regs);
		break;
	case SIGSEGV:
		skas_stats.faults++;
		guest_fault(mm, regs);
		break;
	case SIGSYS:
		guest_vsyscall(mm, regs);
		break;
	case SIGTRAP:
	case SIGILL:
	case SIGBUS:
	case SIGFPE:
	case SIGIO:
	case SIGWINCH:
		skas_stats.signals++;
		guest_signal(mm, sig, regs);
		break;
	case SIGALRM:
		skas_stats.preemptions++;
		break;
	default:
		/*
		 * SIGALRM is the timer asking us to look at the scheduler;
		 * anything else came from the host, not the guest: drop it.
		 */
		break;
	}
}

/* ---------------------------------------------------------- fast mode */

#define SYS_SECCOMP_CODE	1
#define AUDIT_ARCH_X86_64_	0xc000003eU

/* A guest system call that the guest thread's filter turned into SIGSYS. */
static void fast_syscall(struct mm_id *mm, siginfo_t *si,
			 struct uml_pt_regs *regs)
{
	if (si->si_code != SYS_SECCOMP_CODE)
		return;			/* a host signal, not a call */
	skas_stats.syscalls++;
	if (((unsigned long)si->si_call_addr >> 32) == 0xffffffff) {
		handle_vsyscall(regs, si->si_syscall);
		return;
	}
	/*
	 * The whole of rax, as x86-64 keeps it in orig_rax for a tracer (the
	 * host's seccomp put it back in the frame); si_syscall is its low 32
	 * bits, which alone choose the call.
	 */
	PT_SYSCALL_NR(regs->gp) = regs->gp[HOST_AX];
	if (si->si_arch != AUDIT_ARCH_X86_64_)
		skas_i386_syscall(regs);
	else
		handle_syscall(regs);
}

static void fast_stopped(struct mm_id *mm, int sig, siginfo_t *si,
			 struct uml_pt_regs *regs)
{
	switch (sig) {
	case SIGSYS:
		fast_syscall(mm, si, regs);
		break;
	case SIGSEGV:
		skas_stats.faults++;
		if (fault_at_host_landing_pad(regs->gp)) {
			skas_refuse_32bit_syscall(regs);
			break;
		}
		if (guest_denied_pkey0(si)) {
			skas_pkey_fault(regs, si->si_pkey);
			break;
		}
		/* the frame had cr2, error code and trap number: exact */
		guest_fault_deliver(regs, si);
		break;
	case SIGTRAP:
		skas_stats.signals++;
		skas_guest_trap((struct siginfo *)si, regs);
		break;
	case SIGILL:
	case SIGBUS:
	case SIGFPE:
		skas_stats.signals++;
		block_signals_trace();
		(*sig_info[sig])(sig, (struct siginfo *)si, regs);
		unblock_signals_trace();
		break;
	default:
		break;		/* SIGALRM: preempted; the timer did the rest */
	}
}

/*
 * One round in fast mode: the registers into the guest thread's frame,
 * the host mappings up to date (through the trusted thread, which then
 * releases it, or we do), wait for its next hand-off.
 */
static void fast_round(struct mm_id *mm, struct uml_pt_regs *regs)
{
	unsigned long live = run.fp_regs == regs ? run.fp_frame : 0, fp;
	siginfo_t si;
	int sig, err;

	if (mm->pid <= 1)
		guest_lost(mm);
	skas_fast_watchdog();
	PT_SYSCALL_NR(regs->gp) = -1;
	if (mm->attached)
		guest_sync_host(mm);	/* before ptrace lets it go */
	if (run.fp_regs && run.fp_regs != regs)
		skas_fp_sync(NULL);	/* another task's state, in its frame */
	err = skas_fast_enter(mm, regs, &live);
	run.fp_regs = NULL;
	if (err)
		guest_cannot_continue(mm, "resuming the guest", err);
	guest_sync_host(mm);		/* its trusted thread may release it */
	skas_fast_entered(mm);

	run.in_guest = true;
	sig = skas_fast_wait(mm, regs, &si, &fp);
	run.in_guest = false;
	if (sig == -ESRCH)
		guest_lost(mm);		/* reaped by the wait */
	if (sig < 0)
		guest_misbehaved(mm, sig == -ETIMEDOUT ?
				 "would not stop when told to" :
				 "handed over what its stub never writes");
	regs->is_user = 1;
	run.fp_regs = regs;
	run.fp_frame = fp;
	UPT_SYSCALL_NR(regs) = -1;
	fast_stopped(mm, sig, &si, regs);
}

/* --------------------------------------------------------------- loop */

void userspace(struct uml_pt_regs *regs, unsigned long *aux_fp_regs)
{
	struct mm_id *mm;
	int sig, status, resuming;

	interrupt_end();
	for (;;) {
		time_travel_print_bc_msg();
		current_mm_sync();

		mm = current_mm_id();
		if (mm->fast) {
			fast_round(mm, regs);
			interrupt_end();
			continue;
		}
		resuming = guest_enter(mm, regs);
		sig = guest_wait_stop(mm, &status);
		if (resuming && resume_stop(mm, regs, &sig, &status))
			continue;

		memcpy(regs->gp, run.stop, sizeof(run.stop));
		regs->is_user = 1;
		run.fp_regs = regs;
		run.fp_pid = mm->pid;
		run.fp_frame = 0;
		UPT_SYSCALL_NR(regs) = -1;

		guest_stopped(mm, sig, regs);
		interrupt_end();
	}
}

void __switch_mm(struct mm_id *mm_idp)
{
	userspace_pid[0] = mm_idp->pid;
}

int is_skas_winch(int pid, int fd, void *data)
{
	return pid == getpgrp();
}
