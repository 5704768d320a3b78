// SPDX-License-Identifier: GPL-2.0
/*
 * The skas0 stub: the only code of ours inside a guest's host process.
 *
 * Freestanding: no libc, no globals, no data outside the code page.  It is
 * built position independent and runs from the page at STUB_CODE, with the
 * shared pages at STUB_CODE + STUB_PAGE_BYTES as its only writable memory.
 *
 * Entry points (stub_entry.S, which also holds the batch runner and the
 * resume entry: everything that runs with the secret is assembly):
 *  - stub_init: once, right after exec: strip the address space down to
 *    the stub pages, install the signal handlers and the seccomp filters
 *    the kernel wrote for it (fast mode: start the trusted thread too),
 *    trap to the kernel.
 *  - stub_segv_handler (ptrace mode): record the fault the host reported,
 *    trap to the kernel, which then restores the guest's registers.
 *  - stub_fast_handler (fast mode): every stop of the guest thread, handed
 *    to the kernel through shared memory.
 */
#include <asm/unistd.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <linux/mman.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/prctl.h>
#include "stub-data.h"
#include "stub_syscall.h"

/*
 * Everything the stub refers to is in its own page: hidden, so the
 * compiler reaches it %rip-relative.  Through the GOT, a static link would
 * put in the address the image was linked at, not the one it runs at.
 */
#pragma GCC visibility push(hidden)

#define STUB_HOST_TOP	0x7ffffffff000UL	/* 47-bit user space */

/* The host's rt_sigaction argument (struct kernel_sigaction). */
struct stub_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* The host's signal frame ucontext, as far as we read it. */
struct stub_ucontext {
	unsigned long uc_flags;
	void *uc_link;
	struct {
		void *ss_sp;
		int ss_flags;
		unsigned long ss_size;
	} uc_stack;
	struct sigcontext uc_mcontext;
};

#define SA_RESTORER_FLAG	0x04000000UL

__attribute__((noreturn, used))
void stub_segv_handler(int sig, void *info, struct stub_ucontext *uc)
{
	struct stub_data *d = (struct stub_data *)
		((unsigned long)uc->uc_stack.ss_sp -
		 __builtin_offsetof(struct stub_data, stack));

	d->fault.addr = uc->uc_mcontext.cr2;
	d->fault.error_code = uc->uc_mcontext.err;
	d->fault.trap_no = uc->uc_mcontext.trapno;
	stub_wipe_and_trap();
}

/*
 * munmap [start, end), leaving alone only pages the host has sealed
 * (hosts with CONFIG_MSEAL_SYSTEM_MAPPINGS seal vdso and vvar: munmap
 * refuses any range that touches them with EPERM).  Halving the range
 * around a sealed mapping costs two calls per level, once per process.
 */
static long stub_unmap_unsealed(unsigned long start, unsigned long end)
{
	unsigned long mid;
	long ret;

	if (start >= end)
		return 0;
	ret = sys2(__NR_munmap, start, end - start);
	if (ret != -1 /* EPERM */ || end - start == STUB_PAGE_BYTES)
		return ret == -1 ? 0 : ret;
	mid = start + (((end - start) / 2) & ~(STUB_PAGE_BYTES - 1UL));
	ret = stub_unmap_unsealed(start, mid);
	return ret ? ret : stub_unmap_unsealed(mid, end);
}

static __attribute__((noreturn)) void stub_fail(int code)
{
	for (;;)
		sys2(__NR_exit_group, code, 0);
}

/* ------------------------------------------------------------ fast mode */

/*
 * Fast mode: a guest thread's system call (SIGSYS from the filter), fault,
 * trap or preemption (SIGALRM) lands here, on the stub's signal stack.
 * Hand off to the kernel through struct stub_handoff and wait, spinning a
 * little, then asleep, until it releases us; the frame then holds the
 * registers to go on with, which rt_sigreturn loads.  Only the calls the
 * guest thread's filter lets through from this page are made here.
 */
extern char stub_page_start[];

#define FUTEX_WAIT_	0
#define FUTEX_WAKE_	1
#define ARCH_SET_GS_	0x1001
#define ARCH_SET_FS_	0x1002
#define ARCH_GET_FS_	0x1003
#define ARCH_GET_GS_	0x1004

static unsigned long stub_get_base(struct stub_handoff *h, int which)
{
	unsigned long base = 0;

	if (!h->fsgsbase) {
		sys2(__NR_arch_prctl, which, (long)&base);
		return base;
	}
	if (which == ARCH_GET_FS_)
		__asm__ volatile("rdfsbase %0" : "=r"(base));
	else
		__asm__ volatile("rdgsbase %0" : "=r"(base));
	return base;
}

/*
 * Selectors first: loading one sets the base from its descriptor (on
 * Intel a null one clears it), so the bases go after.  Without the
 * instructions, arch_prctl() zeroes the selector: a non-null one goes
 * after it, as a program that loaded one after ARCH_SET_* has it.
 */
static void stub_set_bases(struct stub_handoff *h)
{
	unsigned short fs = h->fs_sel, gs = h->gs_sel;

	if (!h->fsgsbase) {
		sys2(__NR_arch_prctl, ARCH_SET_FS_, h->fs_base);
		sys2(__NR_arch_prctl, ARCH_SET_GS_, h->gs_base);
		if (fs & ~3)
			__asm__ volatile("mov %0, %%fs" :: "r"(fs));
		if (gs & ~3)
			__asm__ volatile("mov %0, %%gs" :: "r"(gs));
		return;
	}
	__asm__ volatile("mov %0, %%fs" :: "r"(fs));
	__asm__ volatile("mov %0, %%gs" :: "r"(gs));
	__asm__ volatile("wrfsbase %0" :: "r"(h->fs_base));
	__asm__ volatile("wrgsbase %0" :: "r"(h->gs_base));
}

__attribute__((used)) void stub_fast_handler(int sig, void *info, void *uc)
{
	struct stub_handoff *h = (struct stub_handoff *)
		(stub_page_start + STUB_PAGE_BYTES);
	unsigned int seq = __atomic_load_n(&h->g_seq, __ATOMIC_SEQ_CST);
	unsigned int spin;
	unsigned short sel;

	h->signo = sig;
	h->frame = (unsigned long)uc;
	h->info = (unsigned long)info;
	h->fs_base = stub_get_base(h, ARCH_GET_FS_);
	h->gs_base = stub_get_base(h, ARCH_GET_GS_);
	__asm__ volatile("mov %%fs, %0" : "=r"(sel));
	h->fs_sel = sel;
	__asm__ volatile("mov %%gs, %0" : "=r"(sel));
	h->gs_sel = sel;
	__atomic_add_fetch(&h->k_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->k_sleeping, __ATOMIC_SEQ_CST))
		sys4(__NR_futex, (long)&h->k_seq, FUTEX_WAKE_, 1, 0);
	/*
	 * A fault is mostly followed by a batch.  Wake the trusted thread now,
	 * here, where it takes this CPU as we sleep; it then waits for the
	 * request spinning, instead of being woken later from the kernel's
	 * CPU into an idle one.
	 */
	if (sig == SIGSEGV)
		sys4(__NR_futex, (long)(stub_page_start + STUB_PAGE_BYTES +
					STUB_REQUEST_PAGE + STUB_RQ_SEQ),
		     FUTEX_WAKE_, 1, 0);

	/*
	 * Spin only for a system call, which often comes back at once; a
	 * fault needs the trusted thread, which may have to run on this CPU.
	 */
	for (spin = sig == SIGSYS ? h->spin : 0; spin; spin--) {
		if (__atomic_load_n(&h->g_seq, __ATOMIC_SEQ_CST) != seq)
			goto released;
		__builtin_ia32_pause();
	}
	__atomic_store_n(&h->g_sleeping, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&h->g_seq, __ATOMIC_SEQ_CST) == seq)
		sys4(__NR_futex, (long)&h->g_seq, FUTEX_WAIT_, seq, 0);
	__atomic_store_n(&h->g_sleeping, 0, __ATOMIC_SEQ_CST);
released:
	if (h->set_bases)
		stub_set_bases(h);
}

void stub_fast_restorer(void) __attribute__((noreturn));
long stub_start_trusted(unsigned long done_offset);

static const int stub_fast_signals[] = {
	SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM,
};

/*
 * The seccomp filters the kernel left in data page 2 (filter.c, which
 * says what they let through): the process's own, then in fast mode the
 * trusted thread (which keeps the physical-memory file and runs batches)
 * and, for this thread, the guest thread, which holds no descriptor at
 * all, the guest thread's.  The kernel wipes the page once we trapped.
 */
static void stub_confine(unsigned long done_offset)
{
	struct stub_fast_init *fi = (struct stub_fast_init *)
		(stub_page_start + STUB_PAGE_BYTES + STUB_FAST_INIT_PAGE);
	struct sock_fprog t = { fi->t_len, (struct sock_filter *)fi->insns };
	struct sock_fprog g = { fi->g_len,
				(struct sock_filter *)(fi->insns + fi->t_len) };
	unsigned long all = ~0UL, none = 0;

	if (sys6(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0))
		stub_fail(STUB_EXIT_SECCOMP);
	if (!done_offset) {
		if (sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&t))
			stub_fail(STUB_EXIT_SECCOMP);
		return;
	}
	/*
	 * The trusted thread inherits a mask that blocks every signal, so
	 * none is ever delivered to it; the guest thread then unblocks
	 * them before its own filter forbids rt_sigprocmask.
	 */
	if (sys4(__NR_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8) ||
	    sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&t))
		stub_fail(STUB_EXIT_SECCOMP);
	if (stub_start_trusted(done_offset) <= 0)
		stub_fail(STUB_EXIT_TRUSTED);
	if (sys4(__NR_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8))
		stub_fail(STUB_EXIT_SIGNALS);
	if (sys2(__NR_close, STUB_PHYSMEM_FD, 0) ||
	    sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&g))
		stub_fail(STUB_EXIT_SECCOMP);
}

/*
 * The address a symbol of ours has where the page runs.  Laundered, so the
 * compiler cannot fold a struct holding it into a constant template, which
 * would hold the link-time address (see ldscripts/stub.lds).
 */
static void *stub_here(void *sym)
{
	__asm__("" : "+r"(sym));
	return sym;
}

static int stub_fast_handlers(void)
{
	struct stub_sigaction sa = {
		.handler = stub_here(stub_fast_handler),
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG,
		.restorer = stub_here(stub_fast_restorer),
		.mask = ~0UL,
	};
	unsigned int i;

	for (i = 0; i < sizeof(stub_fast_signals) / sizeof(int); i++)
		if (sys4(__NR_rt_sigaction, stub_fast_signals[i], (long)&sa, 0, 8))
			return -1;
	return 0;
}

/* ------------------------------------------------------------ start-up */

/*
 * done_offset: fast mode (the offset of the request page's answer word in
 * the physical-memory file, for the trusted thread), or 0 for ptrace mode.
 */
__attribute__((noreturn, used))
void stub_init(unsigned long code, unsigned long done_offset)
{
	struct stub_data *d = (struct stub_data *)(code + STUB_PAGE_BYTES);
	unsigned long end = code + STUB_PAGE_BYTES + STUB_DATA_BYTES;
	struct stub_sigaction sa = {
		.handler = (void *)(code + STUB_ENTRY_SEGV),
		.flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER |
			 SA_RESTORER_FLAG,
		/* never used: the handler does not return */
		.restorer = (void *)(code + STUB_ENTRY_SEGV),
		.mask = 0,
	};
	struct {
		void *sp;
		int flags;
		unsigned long size;
	} altstack = { d->stack, 0, done_offset ? STUB_ALTSTACK_BYTES : sizeof(d->stack) };

	/* Drop the ELF image, its stack, vdso and vvar: only we remain. */
	if (stub_unmap_unsealed(0, code) ||
	    stub_unmap_unsealed(end, STUB_HOST_TOP))
		stub_fail(STUB_EXIT_UNMAP);

	/*
	 * No core file, ever: a dump of this process would be guest memory
	 * (and registers) written to the host.  Also keeps other host users
	 * out of /proc/PID.
	 */
	if (sys6(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0, 0))
		stub_fail(STUB_EXIT_DUMPABLE);

	if (sys2(__NR_sigaltstack, (long)&altstack, 0) ||
	    (done_offset ? stub_fast_handlers() :
	     sys4(__NR_rt_sigaction, SIGSEGV, (long)&sa, 0, 8)))
		stub_fail(STUB_EXIT_SIGNALS);
	stub_confine(done_offset);

	d->batch_done = 0;
	d->batch_err = 0;
	stub_wipe_and_trap();
}
