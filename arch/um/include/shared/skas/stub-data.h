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
 *   STUB_DATA   STUB_DATA_PAGES pages, read+write, shared with the kernel:
 *               page 0: struct stub_data header, the guest registers for
 *                       the resume entry, and the batch queue
 *               page 1: stack for the batch runner and the SIGSEGV handler
 */
#ifndef __SKAS0_STUB_DATA_H
#define __SKAS0_STUB_DATA_H

#define STUB_PAGE_BYTES		4096

/* Entry points, as offsets into the stub code page (see stub/stub_entry.S). */
#define STUB_ENTRY_BATCH	0x00
#define STUB_ENTRY_SEGV		0x20
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
#define STUB_HEADER_BYTES	(STUB_RESUME_OFFSET + 8 * STUB_RESUME_REGS + 40)
#define STUB_ENTRY_BYTES	32
#define STUB_E_OP		0	/* u32 */
#define STUB_E_PROT		4	/* s32 */
#define STUB_E_ADDR		8
#define STUB_E_LEN		16
#define STUB_E_OFFSET		24
#define STUB_BATCH_MAX	((STUB_PAGE_BYTES - STUB_HEADER_BYTES) / STUB_ENTRY_BYTES)

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
	unsigned char header_pad[STUB_RESUME_OFFSET - 16 -
				 sizeof(struct stub_fault)];
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

#define STUB_DATA_BYTES		sizeof(struct stub_data)

_Static_assert(sizeof(struct stub_batch_entry) == STUB_ENTRY_BYTES &&
	       __builtin_offsetof(struct stub_batch_entry, prot) == STUB_E_PROT &&
	       __builtin_offsetof(struct stub_batch_entry, addr) == STUB_E_ADDR &&
	       __builtin_offsetof(struct stub_batch_entry, len) == STUB_E_LEN &&
	       __builtin_offsetof(struct stub_batch_entry, offset) == STUB_E_OFFSET,
	       "stub batch entry layout");
_Static_assert(__builtin_offsetof(struct stub_data, batch_done) == STUB_D_BATCH_DONE &&
	       __builtin_offsetof(struct stub_data, batch_err) == STUB_D_BATCH_ERR &&
	       __builtin_offsetof(struct stub_data, resume_regs) == STUB_RESUME_OFFSET &&
	       __builtin_offsetof(struct stub_data, batch) == STUB_HEADER_BYTES,
	       "stub data layout");

#endif /* __ASSEMBLER__ */
#endif /* __SKAS0_STUB_DATA_H */
