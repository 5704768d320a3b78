// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: start-up, and what the host half asks about the
 * current task's address space.
 */
#include <linux/init.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/signal.h>
#include <asm/tlbflush.h>
#include <as-layout.h>
#include <kern.h>
#include <kern_util.h>
#include <os.h>
#include <skas.h>

extern void start_kernel(void);
extern char cpu0_irqstack[];

/* The first kernel thread: it becomes the boot CPU's idle task. */
static int __init run_start_kernel(void *unused)
{
	block_signals_trace();
	cpu_tasks[0].task = current;
	start_kernel();
	return 0;
}

int __init start_uml(void)
{
	struct task_struct *boot = &init_task;

	boot->thread.request.thread.arg = NULL;
	boot->thread.request.thread.proc = run_start_kernel;

	/* host signals are taken on the boot CPU's interrupt stack */
	stack_protections((unsigned long)cpu0_irqstack);
	set_sigstack(cpu0_irqstack, THREAD_SIZE);
	init_new_thread_signals();

	return start_idle_thread(task_stack_page(boot),
				 &boot->thread.switch_buf);
}

struct mm_id *current_mm_id(void)
{
	return current->mm ? &current->mm->context.id : NULL;
}

unsigned long current_stub_stack(void)
{
	return current->mm ? current->mm->context.id.stack : 0;
}

/*
 * The host process behind current's address space is gone (a host user's
 * kill -9, the OOM killer) or cannot be driven any more.  Only the tasks
 * using that address space die, as if by SIGKILL; the kernel goes on.
 */
void skas_host_process_lost(void)
{
	struct mm_id *id = current_mm_id();

	pr_warn("skas0: host process %d of %s[%d] is gone; killing the task\n",
		id ? id->pid : -1, current->comm, task_pid_nr(current));
	if (id)
		id->pid = -1;	/* never signal a recycled host pid */
	force_fatal_sig(SIGKILL);
	do_signal(&current->thread.regs);
	/* do_signal() does not return for a fatal signal */
	BUG();
}

void current_mm_sync(void)
{
	if (current->mm)
		um_tlb_sync(current->mm);
}
