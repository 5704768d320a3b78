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
 *    the stub pages, install the SIGSEGV handler and the seccomp filter,
 *    trap to the kernel.
 *  - stub_segv_handler: record the fault the host reported, trap to the
 *    kernel, which then restores the guest's registers.
 */
#include <asm/unistd.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <linux/mman.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/prctl.h>
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

#define SECRET_LO	(secret & 0xffffffffUL)
#define SECRET_HI	(secret >> 32)

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

/*
 * Every guest system call must stop for the kernel.  Under PTRACE_SYSEMU
 * the host stops it before seccomp sees it.  After the resume entry guest
 * code runs under PTRACE_CONT, and this filter sends its calls to the
 * kernel (SECCOMP_RET_TRACE, a ptrace stop), all but the stub's own:
 * munmap, mprotect and mmap of the physical-memory file, shared and
 * fixed, each carrying this process's secret.  Guest code can jump onto
 * the stub's syscall instructions but cannot know the secret.  Calls by
 * other ABIs (int $0x80, sysenter, 32-bit code) stop for the kernel too,
 * which refuses them the same way whatever mode the guest ran in; the
 * filter kills nothing, so a guest can never make its own host process
 * die here.
 *
 * One exception: a call into the host's vsyscall page is emulated by the
 * host without a syscall stop, but after asking seccomp.  Those three
 * calls, from that page, trap (SIGSYS) so the kernel can answer them with
 * the guest's clock instead of the host's.
 */
#define SD_ARCH		__builtin_offsetof(struct seccomp_data, arch)
#define SD_NR		__builtin_offsetof(struct seccomp_data, nr)
#define SD_IP_HI	(__builtin_offsetof(struct seccomp_data, instruction_pointer) + 4)
#define SD_ARG_LO(n)	(__builtin_offsetof(struct seccomp_data, args) + 8 * (n))
#define SD_ARG_HI(n)	(SD_ARG_LO(n) + 4)

#define LOAD(off)		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define IF_EQ(k, jt, jf)	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RETURN(v)		BPF_STMT(BPF_RET | BPF_K, (v))

static long stub_confine(unsigned long secret)
{
	struct sock_filter filter[] = {
		/* 0 */	LOAD(SD_ARCH),
		/* 1 */	IF_EQ(AUDIT_ARCH_X86_64, 1, 0),
		/* 2 */	RETURN(SECCOMP_RET_TRACE),
		/* 3 */	LOAD(SD_NR),
		/* 4 */	IF_EQ(__NR_munmap, 6, 0),		/* -> 11 */
		/* 5 */	IF_EQ(__NR_mprotect, 5, 0),		/* -> 11 */
		/* 6 */	IF_EQ(__NR_mmap, 9, 0),			/* -> 16 */
		/* 7 */	IF_EQ(__NR_gettimeofday, 19, 0),	/* -> 27 */
		/* 8 */	IF_EQ(__NR_time, 18, 0),		/* -> 27 */
		/* 9 */	IF_EQ(__NR_getcpu, 17, 0),		/* -> 27 */
		/* 10 */ RETURN(SECCOMP_RET_TRACE),
		/* 11: munmap, mprotect: the secret as 4th argument */
		LOAD(SD_ARG_LO(3)),
		/* 12 */ IF_EQ(SECRET_LO, 0, 2),		/* else -> 15 */
		/* 13 */ LOAD(SD_ARG_HI(3)),
		/* 14 */ IF_EQ(SECRET_HI, 11, 0),		/* -> 26 */
		/* 15 */ RETURN(SECCOMP_RET_TRACE),
		/* 16: mmap: fd and flags as the batch runner passes them */
		LOAD(SD_ARG_LO(4)),
		/* 17 */ IF_EQ(STUB_PHYSMEM_FD, 0, 7),		/* else -> 25 */
		/* 18 */ LOAD(SD_ARG_HI(4)),
		/* 19 */ IF_EQ(SECRET_HI, 0, 5),		/* else -> 25 */
		/* 20 */ LOAD(SD_ARG_LO(3)),
		/* 21 */ IF_EQ(MAP_SHARED | MAP_FIXED, 0, 3),	/* else -> 25 */
		/* 22 */ LOAD(SD_ARG_HI(3)),
		/* 23 */ IF_EQ(SECRET_LO, 2, 0),		/* -> 26 */
		/* 24 */ RETURN(SECCOMP_RET_TRACE),
		/* 25 */ RETURN(SECCOMP_RET_TRACE),
		/* 26 */ RETURN(SECCOMP_RET_ALLOW),
		/* 27: a vsyscall, if it comes from the top of the address space */
		LOAD(SD_IP_HI),
		/* 28 */ IF_EQ(0xffffffff, 0, 1),
		/* 29 */ RETURN(SECCOMP_RET_TRAP),
		/* 30 */ RETURN(SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};
	volatile unsigned char *wipe = (volatile unsigned char *)filter;
	unsigned long i;
	long ret;

	if (sys6(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0))
		return -1;
	ret = sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog);
	/* the filter sat on the stub stack, which guest code can read */
	for (i = 0; i < sizeof(filter); i++)
		wipe[i] = 0;
	return ret;
}

__attribute__((noreturn, used))
void stub_init(unsigned long code, unsigned long secret)
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

	/*
	 * No core file, ever: a dump of this process would be guest memory
	 * (and registers) written to the host.  Also keeps other host users
	 * out of /proc/PID.
	 */
	if (sys6(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0, 0))
		stub_fail(STUB_EXIT_DUMPABLE);

	if (sys2(__NR_sigaltstack, (long)&altstack, 0) ||
	    sys4(__NR_rt_sigaction, SIGSEGV, (long)&sa, 0, 8) ||
	    sys4(__NR_rt_sigprocmask, SIG_SETMASK,
		 (long)&no_signals_blocked, 0, 8))
		stub_fail(STUB_EXIT_SIGNALS);
	if (stub_confine(secret))
		stub_fail(STUB_EXIT_SECCOMP);

	d->batch_done = 0;
	d->batch_err = 0;
	stub_wipe_and_trap();
}
