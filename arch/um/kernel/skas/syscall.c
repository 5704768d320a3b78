// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: a guest system call, as stopped by PTRACE_SYSEMU or
 * by the stub's seccomp filter.
 */
#include <linux/kernel.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/time-internal.h>
#include <asm/delay.h>
#include <asm/unistd.h>
#include <as-layout.h>
#include <kern_util.h>
#include <skas.h>
#include <sysdep/ptrace.h>
#include <sysdep/ptrace_user.h>
#include <sysdep/syscalls.h>

static bool time_travel_spins(void)
{
	return time_travel_mode == TT_MODE_INFCPU ||
	       time_travel_mode == TT_MODE_EXTERNAL;
}

static void run_guest_syscall(struct pt_regs *regs)
{
	/*
	 * A tracer or seccomp may have changed the number.  As on x86-64,
	 * only the low 32 bits of orig_rax choose the call (a tracer sees
	 * all 64, and may set the high ones).
	 */
	unsigned int nr = (unsigned int)UPT_SYSCALL_NR(&regs->regs);
	unsigned long ret;

	if (nr >= __NR_syscalls) {
		/*
		 * -ENOSYS, whatever a tracer left in rax, as on x86-64; but
		 * -1 is how a tracer or seccomp skips a call with its own
		 * return value.
		 */
		if (nr != (unsigned int)-1)
			PT_REGS_SET_SYSCALL_RETURN(regs, -ENOSYS);
		return;
	}

	ret = EXECUTE_SYSCALL(nr, regs);
	PT_REGS_SET_SYSCALL_RETURN(regs, ret);

	/*
	 * With simulated time a failing call (say -EAGAIN in a retry loop)
	 * would never let time advance: give the rest of the system a turn.
	 */
	if (IS_ERR_VALUE(ret) && time_travel_spins()) {
		um_udelay(1);
		schedule();
	}
}

static void syscall_from_guest(struct uml_pt_regs *r)
{
	struct pt_regs *regs = container_of(r, struct pt_regs, regs);

	UPT_SYSCALL_NR(r) = PT_SYSCALL_NR(r->gp);
	PT_REGS_SET_SYSCALL_RETURN(regs, -ENOSYS);

	if (!syscall_trace_enter(regs) && secure_computing() != -1)
		run_guest_syscall(regs);

	syscall_trace_leave(regs);
}

#define USER64_CS	0x33
#define USER32_CS	0x23
#define INSN_SYSCALL	0x050f		/* 0f 05, as a little-endian u16 */
#define INSN_INT80	0x80cd		/* cd 80 */

/*
 * The two bytes before the guest's instruction pointer: the instruction
 * that stopped it.  Guest code cannot change them before we look (it is
 * stopped, and UML runs one guest task at a time).  The stub's page is
 * not in the guest page tables; its bytes are the kernel's own copy.
 */
static u16 insn_before(struct uml_pt_regs *r)
{
	unsigned long at = UPT_IP(r) - 2;
	u16 insn = 0;

	if (at - STUB_CODE <= PAGE_SIZE - sizeof(insn))
		memcpy(&insn, skas0_stub_code + (at - STUB_CODE), sizeof(insn));
	else if (!skas_guest_peek(at, &insn, sizeof(insn)))
		return 0;
	return insn;
}

/*
 * The host stops for every way of making a system call, and its registers
 * do not say which one it was: x86-64 Linux runs only what the syscall
 * instruction makes from 64-bit code (x32 numbers get -ENOSYS there, as
 * here); everything else is refused the same way whether the guest ran
 * under PTRACE_SYSEMU or after the resume entry.
 */
void handle_syscall(struct uml_pt_regs *r)
{
	/*
	 * The stub's own calls never stop for us: one from its page is
	 * guest code that jumped onto a syscall instruction there.  It
	 * gets what a jump into unmapped memory would give it.
	 */
	if (UPT_IP(r) - STUB_CODE <= PAGE_SIZE) {
		UPT_SYSCALL_NR(r) = -1;
		force_sig_fault(SIGSEGV, SEGV_MAPERR, (void __user *)UPT_IP(r));
		return;
	}
	if (UPT_CS(r) != USER64_CS || insn_before(r) != INSN_SYSCALL) {
		skas_i386_syscall(r);
		return;
	}
	syscall_from_guest(r);
}

/* A call into the host's vsyscall page, which the host emulates: nr. */
void handle_vsyscall(struct uml_pt_regs *r, int nr)
{
	PT_SYSCALL_NR(r->gp) = nr;
	syscall_from_guest(r);
}

/*
 * sysenter, or syscall from 32-bit code (int $0x80 has its gate, below).
 * This kernel, like x86-64 Linux built without IA32 emulation, has no
 * 32-bit vDSO for them to return through: the task gets SIGSEGV
 * (SI_KERNEL), as a #GP gives it there for sysenter.  Both come back at
 * a landing pad in the host's own vDSO (an address above 4 GiB in 32-bit
 * code), which would tell the guest where the host put it: their %rip
 * is 0.
 */
void skas_refuse_32bit_syscall(struct uml_pt_regs *r)
{
	UPT_SYSCALL_NR(r) = -1;
	UPT_IP(r) = 0;
	force_sig(SIGSEGV);
}

/*
 * An i386 system call: int $0x80 from 64-bit or 32-bit code, sysenter, or
 * syscall from 32-bit code.  The int $0x80 gate is there, as on x86-64
 * Linux with IA32 emulation, but its table is empty: every call gets
 * -ENOSYS in %rax and nothing else changes (x86-64 preserves r8-r15
 * across it too).  Running i386 calls would need the compat argument
 * translation, and the guest's seccomp filters and tracers would see their
 * numbers as x86-64 ones: a sandbox bypass.  Programs that probe for it
 * (set_thread_area in the x86 selftests) go on without.  Tracers and
 * seccomp see none of these calls, as none runs.
 *
 * sysenter and 32-bit syscall return through the 32-bit vDSO, which this
 * kernel does not have: those are refused as before.
 */
void skas_i386_syscall(struct uml_pt_regs *r)
{
	struct pt_regs *regs = container_of(r, struct pt_regs, regs);
	unsigned long ip = UPT_IP(r);
	bool landing_pad = UPT_CS(r) == USER32_CS && (ip >> 32);

	if (landing_pad || insn_before(r) != INSN_INT80) {
		skas_refuse_32bit_syscall(r);
		return;
	}
	UPT_SYSCALL_NR(r) = -1;
	PT_REGS_SET_SYSCALL_RETURN(regs, -ENOSYS);
}
