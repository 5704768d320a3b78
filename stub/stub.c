// SPDX-License-Identifier: GPL-2.0
/*
 * The skas0 stub: the only code of ours inside a guest's host process.
 *
 * Freestanding: no libc, no globals, no data outside the code page.  It is
 * built position independent and runs from the page at STUB_CODE, with the
 * shared pages at STUB_CODE + STUB_PAGE_BYTES as its only writable memory.
 *
 * Three entry points (stub_entry.S):
 *  - stub_init: once, right after exec: strip the address space down to
 *    the stub pages, install the SIGSEGV handler, trap to the kernel.
 *  - stub_run_batch: run the queued mmap/munmap/mprotect entries, record
 *    how far it got and why it stopped, trap to the kernel.
 *  - stub_segv_handler: record the fault the host reported, trap to the
 *    kernel, which then restores the guest's registers.
 */
#include <asm/unistd.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <linux/mman.h>
#include "stub-data.h"
#include "stub_syscall.h"

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

__attribute__((noreturn, used)) void stub_run_batch(struct stub_data *d)
{
	unsigned int i, n = d->batch_len;
	long ret = 0;

	if (n > STUB_BATCH_MAX)
		n = 0;		/* a forged length runs nothing */

	for (i = 0; i < n; i++) {
		struct stub_batch_entry *e = &d->batch[i];

		switch (e->op) {
		case STUB_OP_MMAP:
			ret = sys6(__NR_mmap, e->addr, e->len, e->prot,
				   MAP_SHARED | MAP_FIXED, STUB_PHYSMEM_FD,
				   e->offset);
			if (ret == (long)e->addr)
				ret = 0;
			else if (ret >= 0)
				ret = -14;	/* EFAULT: placed elsewhere */
			break;
		case STUB_OP_MUNMAP:
			ret = sys2(__NR_munmap, e->addr, e->len);
			break;
		case STUB_OP_MPROTECT:
			ret = sys3(__NR_mprotect, e->addr, e->len, e->prot);
			break;
		default:
			ret = -22;		/* EINVAL: unknown op */
			break;
		}
		if (ret)
			break;
	}

	d->batch_done = i;
	d->batch_err = ret;
	stub_trap_to_kernel();
}

__attribute__((noreturn, used))
void stub_segv_handler(int sig, void *info, struct stub_ucontext *uc)
{
	struct stub_data *d = (struct stub_data *)
		((unsigned long)uc->uc_stack.ss_sp -
		 __builtin_offsetof(struct stub_data, stack));

	d->fault.addr = uc->uc_mcontext.cr2;
	d->fault.error_code = uc->uc_mcontext.err;
	d->fault.trap_no = uc->uc_mcontext.trapno;
	stub_trap_to_kernel();
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

__attribute__((noreturn, used)) void stub_init(unsigned long code)
{
	struct stub_data *d = (struct stub_data *)(code + STUB_PAGE_BYTES);
	unsigned long end = code + STUB_PAGE_BYTES + sizeof(*d);
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
	} altstack = { d->stack, 0, sizeof(d->stack) };
	unsigned long no_signals_blocked = 0;

	/* Drop the ELF image, its stack, vdso and vvar: only we remain. */
	if (stub_unmap_unsealed(0, code) ||
	    stub_unmap_unsealed(end, STUB_HOST_TOP))
		stub_fail(STUB_EXIT_UNMAP);

	if (sys2(__NR_sigaltstack, (long)&altstack, 0) ||
	    sys4(__NR_rt_sigaction, SIGSEGV, (long)&sa, 0, 8) ||
	    sys4(__NR_rt_sigprocmask, SIG_SETMASK,
		 (long)&no_signals_blocked, 0, 8))
		stub_fail(STUB_EXIT_SIGNALS);

	d->batch_done = 0;
	d->batch_err = 0;
	stub_trap_to_kernel();
}
