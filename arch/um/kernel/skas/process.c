// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: start-up, and what the host half asks about the
 * current task's address space.
 */
#include <linux/init.h>
#include <linux/string.h>
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

/*
 * The kernel carries a busybox root of its own, an initramfs with no /init,
 * so that ./linux with no arguments boots to a shell.  It is the fallback
 * only: a command line that names a root (root=, rootfstype=, ubd0= or
 * ubda=, which the default root=98:0 is), an initrd or an rdinit= of its
 * own boots as Linux does anywhere (mount root=, run init=, fall back to
 * /sbin/init and friends).  Otherwise the embedded root's busybox init
 * runs, or init= if one was given.  Returns the rdinit= to add, or NULL.
 */
static bool __init names_root(const char *arg)
{
	static const char *const prefixes[] = {
		"root=", "rootfstype=", "initrd=", "rdinit=",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(arg, prefixes[i], strlen(prefixes[i])))
			return true;
	/* ubd0=FILE, ubda=FILE, with flag letters: ubd0r=, ubd0s=, ... */
	if (strncmp(arg, "ubd", 3) || (arg[3] != '0' && arg[3] != 'a'))
		return false;
	arg += 4;
	while (*arg && strchr("rsdc", *arg))
		arg++;
	return *arg == '=';
}

char * __init skas_embedded_root_arg(int argc, char **argv)
{
	static char rdinit[256] __initdata;
	const char *init = "/sbin/init";
	int i;

	for (i = 1; i < argc; i++) {
		if (names_root(argv[i]))
			return NULL;
		if (!strncmp(argv[i], "init=", 5))
			init = argv[i] + 5;
	}
	snprintf(rdinit, sizeof(rdinit), "rdinit=%s", init);
	return rdinit;
}

struct mm_id *current_mm_id(void)
{
	return current->mm ? &current->mm->context.id : NULL;
}

/*
 * The host process behind current's address space (pid, or 0 if another
 * task of the same mm saw it go first) is gone: a host user's kill -9, the
 * OOM killer, or it could not be driven any more, and the host side has
 * reaped and forgotten it.  Only the tasks using that address space die,
 * as if by SIGKILL; the kernel goes on.
 */
void skas_host_process_lost(int pid)
{
	if (pid)
		pr_warn_ratelimited("skas0: host process %d of %s[%d] is gone; killing its tasks\n",
				    pid, current->comm, task_pid_nr(current));
	force_fatal_sig(SIGKILL);
	do_signal(&current->thread.regs);
	/* do_signal() does not return for a fatal signal */
	BUG();
}

/*
 * A SIGTRAP for the guest task.  After an int3 (si_code SI_KERNEL) it gets
 * SIGTRAP as on x86, silently: UML's relay_signal() logs every signal it
 * does not know, and a guest can make any number of int3s.
 */
void skas_guest_trap(struct siginfo *si, struct uml_pt_regs *regs)
{
	if (si->si_code == SI_KERNEL) {
		force_sig(SIGTRAP);
		return;
	}
	relay_signal(SIGTRAP, si, regs);
}

void current_mm_sync(void)
{
	if (current->mm)
		um_tlb_sync(current->mm);
}
