// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: kernel threads and the boot stack.
 *
 * Kernel threads are setjmp/longjmp contexts in the kernel process.  The
 * boot stack stays in start_idle_thread() for the life of the kernel:
 * threads jump back to it to run a callback on a stack of its own, or to
 * leave the kernel (halt, reboot).
 */
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <as-layout.h>
#include <init.h>
#include <kern_util.h>
#include <longjmp.h>
#include <os.h>
#include <skas.h>

void new_thread(void *stack, jmp_buf *buf, void (*handler)(void))
{
	/* the thread's first switch_threads() lands in handler() */
	(*buf)[0].JB_SP = (unsigned long)stack + UM_THREAD_SIZE - sizeof(void *);
	(*buf)[0].JB_IP = (unsigned long)handler;
}

void switch_threads(jmp_buf *me, jmp_buf *you)
{
	/* the task leaving may be looked at while it sleeps: settle its FP */
	skas_fp_sync(NULL);
	if (UML_SETJMP(me) == 0)
		UML_LONGJMP(you, 1);
}

enum boot_stack_request {
	BOOT_STACK_START,
	BOOT_STACK_CALLBACK,
	BOOT_STACK_HALT,
	BOOT_STACK_REBOOT,
};

static jmp_buf boot_stack;
static struct {
	void (*fn)(void *);
	void *arg;
	jmp_buf *caller;
} boot_stack_call;

int start_idle_thread(void *stack, jmp_buf *switch_buf)
{
	int request;

	set_handler(SIGWINCH);

	/* plain setjmp: UML_SETJMP would take pending signals on this stack */
	request = setjmp(boot_stack);
	if (request == BOOT_STACK_START) {
		new_thread(stack, switch_buf, uml_finishsetup);
		longjmp(*switch_buf, 1);
	}
	if (request == BOOT_STACK_CALLBACK) {
		boot_stack_call.fn(boot_stack_call.arg);
		longjmp(*boot_stack_call.caller, 1);
	}
	kmalloc_ok = 0;
	if (request != BOOT_STACK_HALT && request != BOOT_STACK_REBOOT) {
		printk(UM_KERN_ERR "skas0: bad boot stack request %d\n", request);
		fatal_sigsegv();
	}
	return request == BOOT_STACK_REBOOT;
}

void initial_thread_cb_skas(void (*proc)(void *), void *arg)
{
	jmp_buf back;

	boot_stack_call.fn = proc;
	boot_stack_call.arg = arg;
	boot_stack_call.caller = &back;

	block_signals_trace();
	if (UML_SETJMP(&back) == 0)
		UML_LONGJMP(&boot_stack, BOOT_STACK_CALLBACK);
	unblock_signals_trace();

	memset(&boot_stack_call, 0, sizeof(boot_stack_call));
}

/*
 * Leave the kernel through the boot stack: the way out of uml_main().
 * Out there no interrupt handler may run: main() lets what is pending fire
 * once more, and a timer or SIGIO handler on the boot stack, with no
 * kernel task under it, faults and panics (a status-134 end after
 * "reboot: Power down", seen about once in 100 boots in a slow VM).  So
 * stop the timer and SIGIO here and take what is pending while still on a
 * kernel stack.
 */
static void __attribute__((noreturn)) leave_kernel(enum boot_stack_request how)
{
	os_timer_disable();
	os_set_ioignore();
	unblock_signals_trace();
	block_signals_trace();
	UML_LONGJMP(&boot_stack, how);
	__builtin_unreachable();
}

void halt_skas(void)
{
	leave_kernel(BOOT_STACK_HALT);
}

/* "noreboot": exit instead of rebooting, like QEMU's -no-reboot (for CI). */
static bool exit_on_reboot;

static int __init noreboot_setup(char *str, int *add)
{
	exit_on_reboot = true;
	return 0;
}
__uml_setup("noreboot", noreboot_setup, "noreboot\n"
	    "    Exit instead of rebooting, like QEMU's -no-reboot, so a\n"
	    "    panic with CONFIG_PANIC_TIMEOUT ends a CI run.\n\n");

void reboot_skas(void)
{
	leave_kernel(exit_on_reboot ? BOOT_STACK_HALT : BOOT_STACK_REBOOT);
}
