/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skas0: everything the UML kernel and the stub agree on, in one place.
 *
 * This header is included by three worlds: kernel code (arch/um/kernel),
 * host code (arch/um/os-Linux) and the freestanding stub (stub/).  It must
 * therefore include nothing and use only plain C types.
 *
 * Layout of the top of every guest host process:
 *
 *   STUB_CODE   one page, read+exec, mapped from the physical-memory file
 *   STUB_DATA   STUB_DATA_PAGE_COUNT pages shared with the kernel:
 *               page 0, rw: ptrace mode: struct stub_data header, the guest
 *                       registers for the resume entry, the batch queue;
 *                       fast mode: struct stub_handoff
 *               page 1, rw: stack for the batch runner and the SIGSEGV
 *                       handler; fast mode: with page 2, the guest
 *                       thread's signal stack
 *               page 2, rw: fast mode: the rest of that signal stack
 *               page 3, read-only: fast mode: struct stub_request, the
 *                       batch for the trusted thread, which the guest
 *                       can read but not write
 */
#ifndef __SKAS0_STUB_DATA_H
#define __SKAS0_STUB_DATA_H

#define STUB_PAGE_BYTES		4096
#define STUB_DATA_PAGE_COUNT	4
#define STUB_DATA_BYTES		(STUB_DATA_PAGE_COUNT * STUB_PAGE_BYTES)
/* offsets of the data pages from STUB_DATA */
#define STUB_STACK_PAGE		(1 * STUB_PAGE_BYTES)
#define STUB_ALTSTACK_BYTES	(2 * STUB_PAGE_BYTES)	/* pages 1 and 2 */
#define STUB_REQUEST_PAGE	(3 * STUB_PAGE_BYTES)

/* Entry points, as offsets into the stub code page (see stub/stub_entry.S). */
#define STUB_ENTRY_BATCH	0x00
#define STUB_ENTRY_SEGV		0x20
#define STUB_ENTRY_FAST_BASES	0x30	/* fast mode's first entry, see below */
#define STUB_ENTRY_INIT		0x40
#define STUB_ENTRY_RESUME	0x60

/*
 * Fixed places in the code page the kernel recognises at a stop:
 *  - STUB_TRAP: the one int3 by which the stub hands control back (after
 *    set-up, a batch, or the SIGSEGV handler); a stop there has the
 *    instruction pointer at STUB_TRAP + 1;
 *  - STUB_RESUME_JUMP: the last instruction of the resume entry, the jump
 *    to guest code.  Only there does the stub run with the guest's %r15;
 *    everywhere else in the stub %r15 holds the secret (below), which is
 *    how the kernel tells the stub at work from guest code that jumped
 *    into the stub page.
 */
#define STUB_TRAP		0xa0
#define STUB_RESUME_JUMP	0x170

/*
 * The stub's own host syscalls carry a per-process secret, which its
 * seccomp filter checks: munmap and mprotect in their unused 4th argument,
 * mmap in the upper halves of flags (low word of the secret) and fd (high
 * word), which the host ignores.  The kernel hands it over in %r15 when it
 * starts the stub (which is built with -ffixed-r15); it never sits in
 * memory the guest can read.
 */

/*
 * stub_data.resume_regs: guest registers for the resume entry, in the
 * order of the host's struct user_regs_struct (x86-64).
 */
#define STUB_RESUME_REGS	27
#define STUB_RESUME_OFFSET	64	/* of resume_regs in struct stub_data */
#define STUB_RR_R15	0
#define STUB_RR_R14	1
#define STUB_RR_R13	2
#define STUB_RR_R12	3
#define STUB_RR_RBP	4
#define STUB_RR_RBX	5
#define STUB_RR_R11	6
#define STUB_RR_R10	7
#define STUB_RR_R9	8
#define STUB_RR_R8	9
#define STUB_RR_RAX	10
#define STUB_RR_RCX	11
#define STUB_RR_RDX	12
#define STUB_RR_RSI	13
#define STUB_RR_RDI	14
#define STUB_RR_RIP	16
#define STUB_RR_EFLAGS	18
#define STUB_RR_RSP	19
#define STUB_RR_FS_BASE	21
#define STUB_RR_GS_BASE	22

/* The only descriptor a backing process holds: the physical-memory file. */
#define STUB_PHYSMEM_FD		3

/*
 * Exit codes of a stub whose setup failed; the kernel turns them into a
 * message.  They are above 100 so they cannot be mistaken for a signal.
 */
#define STUB_EXIT_MAP_CODE	101
#define STUB_EXIT_MAP_DATA	102
#define STUB_EXIT_UNMAP		103
#define STUB_EXIT_SIGNALS	104
#define STUB_EXIT_EXEC		105
#define STUB_EXIT_SECCOMP	106
#define STUB_EXIT_DUMPABLE	107
#define STUB_EXIT_TRUSTED	108

/*
 * The batch, as the stub's assembly reads it (struct stub_data below is
 * the same layout; the asserts at the end keep the two one fact).
 */
#define STUB_OP_MMAP		1
#define STUB_OP_MUNMAP		2
#define STUB_OP_MPROTECT	3
#define STUB_D_BATCH_LEN	0	/* u32 */
#define STUB_D_BATCH_DONE	4	/* u32 */
#define STUB_D_BATCH_ERR	8	/* long */
#define STUB_D_RESUME_BASES	40	/* u32: resume entry loads fs/gs base */
#define STUB_HEADER_BYTES	(STUB_RESUME_OFFSET + 8 * STUB_RESUME_REGS + 40)
#define STUB_ENTRY_BYTES	32
#define STUB_E_OP		0	/* u32 */
#define STUB_E_PROT		4	/* s32 */
#define STUB_E_ADDR		8
#define STUB_E_LEN		16
#define STUB_E_OFFSET		24
#define STUB_BATCH_MAX	((STUB_PAGE_BYTES - STUB_HEADER_BYTES) / STUB_ENTRY_BYTES)

/*
 * Fast mode: the trusted thread's request page (data page 3), as its
 * assembly reads it.  The process maps it read-only; the kernel writes the
 * request through its own mapping, the trusted thread its answer (done,
 * and for a failure the entry and its errno) through the physical-memory
 * file, which only it holds.  So nothing of the guest can write either.
 */
#define STUB_RQ_SEQ		0	/* u32, futex: kernel -> trusted thread */
#define STUB_RQ_N		4	/* u32: entries to run */
#define STUB_RQ_TOKEN_OK	8	/* u32: what it writes when all ran */
#define STUB_RQ_TOKEN_FAIL	12	/* u32: ... when one failed */
#define STUB_RQ_DONE		16	/* u32, futex: its answer, one of the two */
#define STUB_RQ_DONE_INDEX	20	/* u8: entry that failed */
#define STUB_RQ_DONE_ERR	21	/* u8: its errno */
#define STUB_RQ_RELEASE		24	/* u32: then release the guest thread */
#define STUB_RQ_RELEASE_SEQ	28	/* u32: ... by writing this to g_seq */
#define STUB_RQ_BYTES		32	/* u8[256]: 0..255, sources of byte writes */
#define STUB_RQ_BATCH		288	/* struct stub_batch_entry[] */
#define STUB_HO_G_SEQ		8	/* struct stub_handoff's g_seq */
/*
 * ... and what STUB_ENTRY_FAST_BASES reads: a new fast-mode process whose
 * fs or gs base PTRACE_SETREGS refuses (one above the host's TASK_SIZE_MAX
 * that wrgsbase set before a fork) enters guest code there once, before
 * guest code has run in it: it loads the two bases, then %rax, and jumps
 * to the guest's %rip.
 */
#define STUB_HO_FS_BASE		40
#define STUB_HO_GS_BASE		48
#define STUB_HO_ENTRY_RAX	72
#define STUB_HO_ENTRY_RIP	80
#define STUB_RQ_BATCH_MAX	((STUB_PAGE_BYTES - STUB_RQ_BATCH) / STUB_ENTRY_BYTES)
/*
 * Fast mode start-up: before data page 2 becomes signal stack, the kernel
 * leaves there the two seccomp programs the stub installs (struct
 * stub_fast_init), so the stub need not build them.
 */
#define STUB_FAST_INIT_PAGE	(2 * STUB_PAGE_BYTES)
#define STUB_FAST_INSNS_MAX	((STUB_PAGE_BYTES - 8) / 8)

#ifndef __ASSEMBLER__

/* One queued address-space operation. */
struct stub_batch_entry {
	unsigned int op;		/* STUB_OP_* */
	int prot;			/* PROT_* for mmap and mprotect */
	unsigned long addr;
	unsigned long len;
	unsigned long offset;		/* mmap: offset into STUB_PHYSMEM_FD */
};

/* What the SIGSEGV handler read out of the host's signal frame. */
struct stub_fault {
	unsigned long addr;		/* cr2 */
	unsigned long error_code;	/* x86 page-fault error code */
	unsigned long trap_no;		/* 14 for a page fault */
};

struct stub_data {
	/* Written by the kernel before it starts the batch runner. */
	unsigned int batch_len;
	/* Written by the stub: entries that succeeded, and the errno of the
	 * first one that did not (0 when the whole batch ran). */
	unsigned int batch_done;
	long batch_err;
	/* Written by the stub's SIGSEGV handler. */
	struct stub_fault fault;
	/*
	 * Written by the kernel: the resume entry loads the fs and gs bases
	 * of resume_regs itself (wrfsbase, wrgsbase), for bases the host's
	 * PTRACE_SETREGS refuses.
	 */
	unsigned int resume_bases;
	unsigned char header_pad[STUB_RESUME_OFFSET - 16 -
				 sizeof(struct stub_fault) - 4];
	/*
	 * Written by the kernel before it starts the resume entry: where the
	 * stub goes once the batch has run, with every register as here.
	 */
	unsigned long resume_regs[STUB_RESUME_REGS];
	unsigned char resume_pad[STUB_HEADER_BYTES - STUB_RESUME_OFFSET -
				 8 * STUB_RESUME_REGS];

	struct stub_batch_entry batch[STUB_BATCH_MAX];

	/* The stub's only stack: the batch runner and the signal frame. */
	unsigned char stack[STUB_PAGE_BYTES]
		__attribute__((aligned(STUB_PAGE_BYTES)));
};

/*
 * Fast mode: the hand-off between the guest thread's signal handler and
 * the kernel, in data page 0.  The guest can read and write all of it; the
 * kernel trusts none of it (the guest's registers it reads from the frame
 * the handler points at, after checking that the frame lies on the stub's
 * signal stack).
 *
 *   guest thread                              kernel
 *   a signal: SIGSYS for a syscall,
 *   SIGSEGV for a fault, SIGALRM to
 *   be preempted, ...
 *   handler: signo, frame, info, fs/gs
 *   bases and selectors
 *   k_seq++ (and wake, if k_sleeping)  ---->  sees k_seq move; handles it,
 *   a fault: wake the trusted thread,         puts the registers to resume
 *   which spins for the request               with into the frame; then
 *   spin (a syscall), sleep on g_seq          either no batch:
 *                                      <----    g_seq++ (and wake, if g_sleeping)
 *                                             or a batch, rq->release set:
 *                                      <----    the trusted thread, once it
 *                                               ran whole, stores g_seq + 1
 *                                               and wakes (after a failure,
 *                                               a retry does, or the kernel)
 *   rt_sigreturn: guest code goes on
 */
struct stub_handoff {
	unsigned int k_seq;		/* futex: guest thread -> kernel */
	unsigned int k_sleeping;	/* the kernel sleeps on k_seq */
	unsigned int g_seq;		/* futex: kernel -> guest thread */
	unsigned int g_sleeping;	/* the guest thread sleeps on g_seq */
	int signo;			/* why the guest thread stopped */
	unsigned long frame;		/* its ucontext, on the signal stack */
	unsigned long info;		/* its siginfo, likewise */
	unsigned long fs_base;		/* its fs and gs base at the stop; */
	unsigned long gs_base;		/* ... to load, if set_bases */
	unsigned int set_bases;
	unsigned int fsgsbase;		/* the CPU has rd/wr{fs,gs}base */
	unsigned int spin;		/* iterations to spin before sleeping */
	unsigned short fs_sel;		/* its fs and gs selectors, likewise: */
	unsigned short gs_sel;		/* per guest thread, as on x86 */
	unsigned long entry_rax;	/* STUB_ENTRY_FAST_BASES: then %rax */
	unsigned long entry_rip;	/* ... and on to here */
};

/*
 * The programs of fast mode's seccomp filters: insns[0 .. t_len) for the
 * whole process (both threads), then g_len more for the guest thread.
 */
struct stub_fast_init {
	unsigned short t_len, g_len;
	unsigned int pad;
	unsigned long insns[STUB_FAST_INSNS_MAX];	/* struct sock_filter */
};

struct stub_request {
	unsigned int seq;
	unsigned int n;
	unsigned int token_ok;
	unsigned int token_fail;
	unsigned int done;
	unsigned char done_index, done_err;
	unsigned char pad[2];
	unsigned int release;
	unsigned int release_seq;
	unsigned char bytes[256];
	struct stub_batch_entry batch[STUB_RQ_BATCH_MAX];
};

_Static_assert(__builtin_offsetof(struct stub_request, n) == STUB_RQ_N &&
	       __builtin_offsetof(struct stub_request, token_ok) == STUB_RQ_TOKEN_OK &&
	       __builtin_offsetof(struct stub_request, token_fail) == STUB_RQ_TOKEN_FAIL &&
	       __builtin_offsetof(struct stub_request, done) == STUB_RQ_DONE &&
	       __builtin_offsetof(struct stub_request, done_index) == STUB_RQ_DONE_INDEX &&
	       __builtin_offsetof(struct stub_request, done_err) == STUB_RQ_DONE_ERR &&
	       __builtin_offsetof(struct stub_request, release) == STUB_RQ_RELEASE &&
	       __builtin_offsetof(struct stub_request, release_seq) == STUB_RQ_RELEASE_SEQ &&
	       __builtin_offsetof(struct stub_handoff, g_seq) == STUB_HO_G_SEQ &&
	       __builtin_offsetof(struct stub_handoff, fs_base) == STUB_HO_FS_BASE &&
	       __builtin_offsetof(struct stub_handoff, gs_base) == STUB_HO_GS_BASE &&
	       __builtin_offsetof(struct stub_handoff, entry_rax) == STUB_HO_ENTRY_RAX &&
	       __builtin_offsetof(struct stub_handoff, entry_rip) == STUB_HO_ENTRY_RIP &&
	       __builtin_offsetof(struct stub_request, bytes) == STUB_RQ_BYTES &&
	       __builtin_offsetof(struct stub_request, batch) == STUB_RQ_BATCH &&
	       sizeof(struct stub_request) <= STUB_PAGE_BYTES,
	       "fast-mode layout");

_Static_assert(sizeof(struct stub_data) == 2 * STUB_PAGE_BYTES,
	       "ptrace mode's stub_data: pages 0 and 1");

_Static_assert(sizeof(struct stub_batch_entry) == STUB_ENTRY_BYTES &&
	       __builtin_offsetof(struct stub_batch_entry, prot) == STUB_E_PROT &&
	       __builtin_offsetof(struct stub_batch_entry, addr) == STUB_E_ADDR &&
	       __builtin_offsetof(struct stub_batch_entry, len) == STUB_E_LEN &&
	       __builtin_offsetof(struct stub_batch_entry, offset) == STUB_E_OFFSET,
	       "stub batch entry layout");
_Static_assert(__builtin_offsetof(struct stub_data, batch_done) == STUB_D_BATCH_DONE &&
	       __builtin_offsetof(struct stub_data, batch_err) == STUB_D_BATCH_ERR &&
	       __builtin_offsetof(struct stub_data, resume_bases) == STUB_D_RESUME_BASES &&
	       __builtin_offsetof(struct stub_data, resume_regs) == STUB_RESUME_OFFSET &&
	       __builtin_offsetof(struct stub_data, batch) == STUB_HEADER_BYTES,
	       "stub data layout");

#endif /* __ASSEMBLER__ */
#endif /* __SKAS0_STUB_DATA_H */
