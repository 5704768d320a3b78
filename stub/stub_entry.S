/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The first bytes of the stub code page: a jump table at fixed offsets, so
 * the kernel can start any entry point knowing only where the page is.
 * Then _start, which the host's ELF loader runs after execveat().
 */
#include "stub-data.h"

#define NR_mmap		9
#define NR_mprotect	10
#define NR_munmap	11
#define NR_rt_sigreturn	15
#define NR_pwrite64	18
#define NR_clone	56
#define NR_exit_group	231
#define NR_futex	202
#define FUTEX_WAIT	0
#define FUTEX_WAKE	1
/* pauses the trusted thread spins for a batch after a fault's wake-up */
#define TRUSTED_PREWAKE_SPIN	2000
#define PROT_R		1
/* the trusted thread: same memory, signal handlers and thread group, not the descriptors */
#define TRUSTED_CLONE	0x10900	/* CLONE_VM | CLONE_SIGHAND | CLONE_THREAD */
#define PROT_RX		5	/* PROT_READ | PROT_EXEC */
#define PROT_RW		3	/* PROT_READ | PROT_WRITE */
#define SHARED_FIXED	0x11	/* MAP_SHARED | MAP_FIXED */

	.section .text.stub_head, "ax"
	.globl	stub_page_start
stub_page_start:
	/* run the batch, then back to the kernel */
	.org	STUB_ENTRY_BATCH
	call	stub_batch_exec
	jmp	stub_wipe_and_trap
	.org	STUB_ENTRY_SEGV
	jmp	stub_segv_handler
	.org	STUB_ENTRY_FAST_BASES
	jmp	stub_fast_enter_bases
	.org	STUB_ENTRY_INIT
	jmp	stub_init
	/* run the batch, then on to guest code; a failure goes back instead */
	.org	STUB_ENTRY_RESUME
	call	stub_batch_exec
	testq	%rax, %rax
	jnz	stub_wipe_and_trap
	jmp	stub_resume_guest

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

/*
 * Back to the kernel, after set-up, a batch or the SIGSEGV handler; the
 * kernel sets every register anew.  The int3 sits at STUB_TRAP, so a
 * stop can be matched against it.
 */
	.org	STUB_TRAP - 0x20
	.globl	stub_wipe_and_trap
stub_wipe_and_trap:
	wipe_stub_stack
	.org	STUB_TRAP, 0x90
1:	int3
	jmp	1b

/*
 * The batch ran; go back to guest code with every register as the kernel
 * left it in stub_data.resume_regs, without a stop in between.  Only
 * %rip-relative loads, so no register is needed to hold an address;
 * eflags goes first because popfq needs a stack, and the saved word
 * serves as one.  %r15, which holds the secret until now, is loaded last,
 * by the instruction right before the jump at STUB_RESUME_JUMP: a stop
 * anywhere else in the stub page with another %r15 is guest code.
 */
	.globl	stub_resume_guest
stub_resume_guest:
	wipe_stub_stack
	/*
	 * Segment bases at or above the host's TASK_SIZE_MAX, which guest
	 * code may set with wrgsbase but PTRACE_SETREGS refuses: the kernel
	 * asks for them here (only where the CPU has the instructions).
	 */
	cmpl	$0, (stub_page_start + STUB_PAGE_BYTES + STUB_D_RESUME_BASES)(%rip)
	je	4f
	movq	RR(FS_BASE), %rax
	wrfsbase %rax
	movq	RR(GS_BASE), %rax
	wrgsbase %rax
4:	leaq	RR(EFLAGS), %rsp
	popfq
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
	.org	STUB_RESUME_JUMP - 7, 0x90
2:	movq	RR(R15), %r15
3:	.if	3b - 2b != 7
	.error	"the %r15 load must end exactly at STUB_RESUME_JUMP"
	.endif
	.org	STUB_RESUME_JUMP
	jmpq	*RR(RIP)

#define HO(n)	(stub_page_start + STUB_PAGE_BYTES + STUB_HO_##n)(%rip)

/*
 * Fast mode, the first entry into guest code of a new process whose fs or
 * gs base PTRACE_SETREGS refuses: the kernel set the other registers (the
 * selectors too, which go first: loading one sets its base) and left the
 * bases, %rax and %rip in the hand-off page, which no guest code has
 * touched yet.  No call, no stack: guest code could do all this itself.
 */
stub_fast_enter_bases:
	movq	HO(FS_BASE), %rax
	wrfsbase %rax
	movq	HO(GS_BASE), %rax
	wrgsbase %rax
	movq	HO(ENTRY_RAX), %rax
	jmpq	*HO(ENTRY_RIP)

/*
 * Run the kernel's batch: d->batch[0 .. d->batch_len), each entry an mmap
 * of the physical-memory file, a munmap or an mprotect carrying the secret
 * from %r15 where the seccomp filter looks for it (stub-data.h), stopping
 * at the first that fails.  A length above STUB_BATCH_MAX runs nothing.
 * Records how many ran and the errno of the one that failed.
 *	in:  %rdi = struct stub_data
 *	out: %rax = 0 or -errno
 * Written in assembly so that nothing but this code decides where the
 * secret goes: it stays in registers, and %r15 is never touched (the
 * kernel tells the stub at work by it).
 */
stub_batch_exec:
	movq	%rdi, %rbx				/* d */
	movl	STUB_D_BATCH_LEN(%rbx), %r13d		/* n */
	xorl	%r12d, %r12d				/* i */
	xorl	%eax, %eax
	cmpl	$STUB_BATCH_MAX, %r13d
	jbe	1f
	xorl	%r13d, %r13d			/* a forged length runs nothing */
1:	cmpl	%r13d, %r12d
	jae	9f
	movl	%r12d, %r14d			/* %r14 = &d->batch[i] */
	imulq	$STUB_ENTRY_BYTES, %r14
	leaq	STUB_HEADER_BYTES(%rbx, %r14), %r14
	movq	STUB_E_ADDR(%r14), %rdi
	movq	STUB_E_LEN(%r14), %rsi
	movslq	STUB_E_PROT(%r14), %rdx
	movl	STUB_E_OP(%r14), %ecx
	cmpl	$STUB_OP_MMAP, %ecx
	je	2f
	cmpl	$STUB_OP_MUNMAP, %ecx
	je	3f
	cmpl	$STUB_OP_MPROTECT, %ecx
	je	4f
	movq	$-22, %rax			/* EINVAL: unknown operation */
	jmp	9f

	/* mmap: the secret's low word above the flags, its high word above the fd */
2:	movq	%r15, %r10
	shlq	$32, %r10
	orq	$SHARED_FIXED, %r10
	movq	%r15, %r8
	shrq	$32, %r8
	shlq	$32, %r8
	orq	$STUB_PHYSMEM_FD, %r8
	movq	STUB_E_OFFSET(%r14), %r9
	movl	$NR_mmap, %eax
	syscall
	cmpq	%rax, STUB_E_ADDR(%r14)
	je	5f				/* mapped where asked */
	cmpq	$-4095, %rax
	jae	9f				/* -errno */
	movq	$-14, %rax			/* EFAULT: placed elsewhere */
	jmp	9f

	/* munmap and mprotect: the secret as the unused 4th argument */
3:	xorl	%edx, %edx
	movq	%r15, %r10
	movl	$NR_munmap, %eax
	syscall
	jmp	6f
4:	movq	%r15, %r10
	movl	$NR_mprotect, %eax
	syscall
6:	testq	%rax, %rax
	jnz	9f
5:	xorl	%eax, %eax
	incl	%r12d
	jmp	1b

9:	movl	%r12d, STUB_D_BATCH_DONE(%rbx)
	movq	%rax, STUB_D_BATCH_ERR(%rbx)
	ret

/* ---------------------------------------------------------- fast mode */

/* Where a fast-mode signal handler returns to: the guest goes on. */
	.globl	stub_fast_restorer
stub_fast_restorer:
	movl	$NR_rt_sigreturn, %eax
	syscall
	hlt

/*
 * Start the trusted thread.  In: %rdi = the offset, in the physical-memory
 * file, of the request page's answer word.  Returns its tid (or -errno) in the guest
 * thread; the trusted thread goes to stub_trusted_loop and never returns.
 */
	.globl	stub_start_trusted
stub_start_trusted:
	pushq	%r12				/* callee-saved in the caller's world */
	movq	%rdi, %r12
	movl	$TRUSTED_CLONE, %edi
	xorl	%esi, %esi		/* no stack of its own: it uses none */
	xorl	%edx, %edx
	xorl	%r10d, %r10d
	xorl	%r8d, %r8d
	movl	$NR_clone, %eax
	syscall
	testq	%rax, %rax
	jz	stub_trusted_loop
	popq	%r12
	ret

/*
 * The trusted thread: the only holder of the physical-memory file.  It runs
 * the batches the kernel writes into the request page, which this process
 * can read but not write, and answers in that same page, through the
 * file, which nothing else in the process holds.  It uses no memory it
 * writes, no stack and no signals (all blocked), so nothing the guest
 * thread does can steer it.
 *	%r12	the request page's answer, as an offset into the file
 *	%r13	the request page			%ebx	entry index
 *	%r14d	the last request seen			%ebp	entries in it
 *	%r15	bit 32: release the guest thread after it, by writing
 *		bits 0..31 into g_seq
 */
stub_trusted_loop:
	leaq	(stub_page_start + STUB_PAGE_BYTES + STUB_REQUEST_PAGE)(%rip), %r13
	xorl	%r14d, %r14d			/* a new process's first request is 1 */
1:	movl	STUB_RQ_SEQ(%r13), %eax		/* a new request? */
	cmpl	%eax, %r14d
	jne	2f
	leaq	STUB_RQ_SEQ(%r13), %rdi
	movl	$FUTEX_WAIT, %esi
	movl	%r14d, %edx
	xorl	%r10d, %r10d
	movl	$NR_futex, %eax
	syscall
	/*
	 * Woken with no request yet: by the guest thread's fault handler,
	 * whose batch is on its way.  Wait for it spinning, a bounded time
	 * (a guest that wakes us for nothing wastes only its own CPU).
	 */
	movl	$TRUSTED_PREWAKE_SPIN, %ecx
10:	movl	STUB_RQ_SEQ(%r13), %eax
	cmpl	%eax, %r14d
	jne	2f
	pause
	decl	%ecx
	jnz	10b
	jmp	1b
2:	movl	%eax, %r14d
	xorl	%r15d, %r15d			/* release afterwards? */
	cmpl	$0, STUB_RQ_RELEASE(%r13)
	je	13f
	movl	STUB_RQ_RELEASE_SEQ(%r13), %r15d
	btsq	$32, %r15
13:	movl	STUB_RQ_N(%r13), %ebp
	cmpl	$STUB_RQ_BATCH_MAX, %ebp
	jbe	3f
	xorl	%ebp, %ebp			/* beyond the page: nothing */
3:	xorl	%ebx, %ebx
4:	cmpl	%ebp, %ebx
	jae	8f
	movl	%ebx, %eax			/* %rax = &batch[i] */
	imulq	$STUB_ENTRY_BYTES, %rax
	leaq	STUB_RQ_BATCH(%r13, %rax), %rax
	movq	STUB_E_ADDR(%rax), %rdi
	movq	STUB_E_LEN(%rax), %rsi
	movslq	STUB_E_PROT(%rax), %rdx
	movl	STUB_E_OP(%rax), %ecx
	cmpl	$STUB_OP_MMAP, %ecx
	je	5f
	cmpl	$STUB_OP_MUNMAP, %ecx
	je	6f
	cmpl	$STUB_OP_MPROTECT, %ecx
	jne	9f				/* unknown: EINVAL */
	movl	$NR_mprotect, %eax
	syscall
	jmp	7f
6:	movl	$NR_munmap, %eax
	syscall
	jmp	7f
5:	movq	STUB_E_OFFSET(%rax), %r9
	movl	$SHARED_FIXED, %r10d
	movl	$STUB_PHYSMEM_FD, %r8d
	movl	$NR_mmap, %eax
	syscall
	cmpq	%rax, %rdi
	jne	10f
	xorl	%eax, %eax
7:	testq	%rax, %rax
	jnz	11f
	incl	%ebx
	jmp	4b
9:	movq	$-22, %rax
	jmp	11f
10:	cmpq	$-4095, %rax
	jae	11f
	movq	$-14, %rax			/* EFAULT: placed elsewhere */

	/* entry %ebx failed with -%rax: its index and errno, then the token */
11:	negq	%rax
	movzbl	%al, %eax
	leaq	STUB_RQ_BYTES(%r13, %rax), %rsi
	movl	$1, %edx
	leaq	(STUB_RQ_DONE_ERR - STUB_RQ_DONE)(%r12), %r10
	movl	$STUB_PHYSMEM_FD, %edi
	movl	$NR_pwrite64, %eax
	syscall
	movzbl	%bl, %eax
	leaq	STUB_RQ_BYTES(%r13, %rax), %rsi
	movl	$1, %edx
	leaq	(STUB_RQ_DONE_INDEX - STUB_RQ_DONE)(%r12), %r10
	movl	$STUB_PHYSMEM_FD, %edi
	movl	$NR_pwrite64, %eax
	syscall
	leaq	STUB_RQ_TOKEN_FAIL(%r13), %rsi
	jmp	12f
8:	leaq	STUB_RQ_TOKEN_OK(%r13), %rsi
12:	movl	$4, %edx
	movq	%r12, %r10
	movl	$STUB_PHYSMEM_FD, %edi
	movl	$NR_pwrite64, %eax
	syscall
	leaq	STUB_RQ_DONE(%r13), %rdi	/* and wake the kernel on it */
	movl	$FUTEX_WAKE, %esi
	movl	$1, %edx
	movl	$NR_futex, %eax
	syscall
	/*
	 * A batch that ran whole may also release the guest thread (the
	 * kernel put its registers in the frame before asking): g_seq, then
	 * a wake.  From %r15, read with the request: once the token is out,
	 * the kernel may write the next one.  The store goes to the hand-off
	 * page, which the guest may write too; nothing here reads it.
	 * After a failure the kernel decides what comes next.
	 */
	cmpl	%ebp, %ebx
	jb	1b
	btq	$32, %r15
	jnc	1b
	movl	%r15d, (STUB_HO_G_SEQ - STUB_REQUEST_PAGE)(%r13)
	leaq	(STUB_HO_G_SEQ - STUB_REQUEST_PAGE)(%r13), %rdi
	movl	$FUTEX_WAKE, %esi
	movl	$1, %edx
	movl	$NR_futex, %eax
	syscall
	jmp	1b

/*
 * Entered once, at the ELF entry point, from wherever the host loaded us.
 * The kernel has put into registers (while the process sat in its
 * post-exec ptrace stop):
 *	%rdi	address of the stub code page (STUB_CODE)
 *	%rsi	offset of the code page in the physical-memory file
 *	%rdx	offset of the data pages in the physical-memory file
 *	%r15	the secret for this process's own syscalls (for the filter)
 *	%r14	fast mode: the offset in that file of the request page's
 *		answer word; 0: ptrace mode
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
	movq	$STUB_REQUEST_PAGE, %rsi
	movq	$PROT_RW, %rdx
	movq	$SHARED_FIXED, %r10
	movq	$STUB_PHYSMEM_FD, %r8
	movq	%r13, %r9
	syscall
	leaq	STUB_PAGE_BYTES(%r12), %rdi
	cmpq	%rax, %rdi
	jne	2f

	/* the request page: read-only in the process */
	movq	$NR_mmap, %rax
	leaq	(STUB_PAGE_BYTES + STUB_REQUEST_PAGE)(%r12), %rdi
	movq	$STUB_PAGE_BYTES, %rsi
	movq	$PROT_R, %rdx
	movq	$SHARED_FIXED, %r10
	movq	$STUB_PHYSMEM_FD, %r8
	leaq	STUB_REQUEST_PAGE(%r13), %r9
	syscall
	leaq	(STUB_PAGE_BYTES + STUB_REQUEST_PAGE)(%r12), %rdi
	cmpq	%rax, %rdi
	jne	2f

	/* top of the stub stack, minus a return-address slot for the ABI */
	leaq	(STUB_PAGE_BYTES + STUB_STACK_PAGE + STUB_PAGE_BYTES - 8)(%r12), %rsp
	movq	%r12, %rdi
	movq	%r14, %rsi
	leaq	STUB_ENTRY_INIT(%r12), %rax
	jmp	*%rax

1:	movq	$STUB_EXIT_MAP_CODE, %rdi
	jmp	3f
2:	movq	$STUB_EXIT_MAP_DATA, %rdi
3:	movq	$NR_exit_group, %rax
	syscall
	hlt
