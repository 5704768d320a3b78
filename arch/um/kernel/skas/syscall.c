// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: a guest system call, as stopped by PTRACE_SYSEMU.
 */
#include <linux/kernel.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/time-internal.h>
#include <asm/delay.h>
#include <asm/unistd.h>
#include <kern_util.h>
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
	/* a tracer or seccomp may have changed the number */
	long nr = UPT_SYSCALL_NR(&regs->regs);
	unsigned long ret;

	if (nr < 0 || nr >= __NR_syscalls)
		return;		/* -ENOSYS is already in place */

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

void handle_syscall(struct uml_pt_regs *r)
{
	struct pt_regs *regs = container_of(r, struct pt_regs, regs);

	UPT_SYSCALL_NR(r) = PT_SYSCALL_NR(r->gp);
	PT_REGS_SET_SYSCALL_RETURN(regs, -ENOSYS);

	if (!syscall_trace_enter(regs) && secure_computing() != -1)
		run_guest_syscall(regs);

	syscall_trace_leave(regs);
}
