/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The first bytes of the stub code page: a jump table at fixed offsets, so
 * the kernel can start any entry point knowing only where the page is.
 * Then _start, which the host's ELF loader runs after execveat().
 */
#include "stub-data.h"

#define NR_mmap		9
#define NR_exit_group	231
#define PROT_RX		5	/* PROT_READ | PROT_EXEC */
#define PROT_RW		3	/* PROT_READ | PROT_WRITE */
#define SHARED_FIXED	0x11	/* MAP_SHARED | MAP_FIXED */

	.section .text.stub_head, "ax"
	.globl	stub_page_start
stub_page_start:
	.org	STUB_ENTRY_BATCH
	jmp	stub_run_batch
	.org	STUB_ENTRY_SEGV
	jmp	stub_segv_handler
	.org	STUB_ENTRY_INIT
	jmp	stub_init
	.org	STUB_ENTRY_RESUME
	jmp	stub_run_batch_then_resume

#define RR(n)	(stub_page_start + STUB_PAGE_BYTES + STUB_RESUME_OFFSET + 8 * STUB_RR_##n)(%rip)

/*
 * The batch runner's frames may hold the secret, and guest code can read
 * the stub stack: wipe it before guest code runs again.  Nothing after
 * this may use the stack.
 */
.macro	wipe_stub_stack
	leaq	(stub_page_start + STUB_PAGE_BYTES * 2)(%rip), %rdi
	movl	$(STUB_PAGE_BYTES / 8), %ecx
	xorl	%eax, %eax
	cld
	rep stosq
.endm

/* Back to the kernel after a batch; it sets every register anew. */
	.globl	stub_wipe_and_trap
stub_wipe_and_trap:
	wipe_stub_stack
1:	int3
	jmp	1b

/*
 * The batch ran; go back to guest code with every register as the kernel
 * left it in stub_data.resume_regs, without a stop in between.  Only
 * %rip-relative loads, so no register is needed to hold an address;
 * eflags goes first because popfq needs a stack, and the saved word
 * serves as one.
 */
	.globl	stub_resume_guest
stub_resume_guest:
	wipe_stub_stack
	leaq	RR(EFLAGS), %rsp
	popfq
	movq	RR(R15), %r15
	movq	RR(R14), %r14
	movq	RR(R13), %r13
	movq	RR(R12), %r12
	movq	RR(RBP), %rbp
	movq	RR(RBX), %rbx
	movq	RR(R11), %r11
	movq	RR(R10), %r10
	movq	RR(R9), %r9
	movq	RR(R8), %r8
	movq	RR(RAX), %rax
	movq	RR(RCX), %rcx
	movq	RR(RDX), %rdx
	movq	RR(RSI), %rsi
	movq	RR(RDI), %rdi
	movq	RR(RSP), %rsp
	jmpq	*RR(RIP)

/*
 * Entered once, at the ELF entry point, from wherever the host loaded us.
 * The kernel has put into registers (while the process sat in its
 * post-exec ptrace stop):
 *	%rdi	address of the stub code page (STUB_CODE)
 *	%rsi	offset of the code page in the physical-memory file
 *	%rdx	offset of the data pages in the physical-memory file
 *	%r15	the secret for this process's own syscalls (left there)
 * Map both at the top of the address space, move onto the stub stack and
 * continue in the mapped copy, which can then remove everything else.
 */
	.globl	_start
_start:
	movq	%rdi, %r12
	movq	%rdx, %r13

	movq	$NR_mmap, %rax
	/* %rdi: address, already there */
	movq	%rsi, %r9
	movq	$STUB_PAGE_BYTES, %rsi
	movq	$PROT_RX, %rdx
	movq	$SHARED_FIXED, %r10
	movq	$STUB_PHYSMEM_FD, %r8
	syscall
	cmpq	%rax, %r12
	jne	1f

	movq	$NR_mmap, %rax
	leaq	STUB_PAGE_BYTES(%r12), %rdi
	movq	$(STUB_PAGE_BYTES * 2), %rsi
	movq	$PROT_RW, %rdx
	movq	$SHARED_FIXED, %r10
	movq	$STUB_PHYSMEM_FD, %r8
	movq	%r13, %r9
	syscall
	leaq	STUB_PAGE_BYTES(%r12), %rdi
	cmpq	%rax, %rdi
	jne	2f

	/* top of the stub stack, minus a return-address slot for the ABI */
	leaq	(STUB_PAGE_BYTES * 3 - 8)(%r12), %rsp
	movq	%r12, %rdi
	leaq	STUB_ENTRY_INIT(%r12), %rax
	jmp	*%rax

1:	movq	$STUB_EXIT_MAP_CODE, %rdi
	jmp	3f
2:	movq	$STUB_EXIT_MAP_DATA, %rdi
3:	movq	$NR_exit_group, %rax
	syscall
	hlt
