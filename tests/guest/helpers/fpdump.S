/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a freshly exec'd program finds: every general register and the whole
 * FP/vector state (XSAVE of every component the host enabled but AMX, or
 * FXSAVE without XSAVE) at its very first instruction, and its fs/gs bases
 * as the kernel reports them.  Written to stdout as struct fp_dump (see
 * fpexec.c) for the parent to check.  No libc: nothing may run first.
 */
#define NR_write	1
#define NR_exit		60
#define NR_arch_prctl	158
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

	.text
	.globl	_start
_start:
	mov	%rax, dump_gprs + 0 * 8(%rip)
	mov	%rbx, dump_gprs + 1 * 8(%rip)
	mov	%rcx, dump_gprs + 2 * 8(%rip)
	mov	%rdx, dump_gprs + 3 * 8(%rip)
	mov	%rsi, dump_gprs + 4 * 8(%rip)
	mov	%rdi, dump_gprs + 5 * 8(%rip)
	mov	%rbp, dump_gprs + 6 * 8(%rip)
	mov	%r8, dump_gprs + 7 * 8(%rip)
	mov	%r9, dump_gprs + 8 * 8(%rip)
	mov	%r10, dump_gprs + 9 * 8(%rip)
	mov	%r11, dump_gprs + 10 * 8(%rip)
	mov	%r12, dump_gprs + 11 * 8(%rip)
	mov	%r13, dump_gprs + 12 * 8(%rip)
	mov	%r14, dump_gprs + 13 * 8(%rip)
	mov	%r15, dump_gprs + 14 * 8(%rip)

	mov	$1, %eax
	cpuid
	bt	$27, %ecx		/* OSXSAVE */
	jnc	1f
	xor	%ecx, %ecx
	xgetbv
	and	$0x2ff, %eax		/* all but AMX, which needs a request first */
	xor	%edx, %edx
	mov	%eax, dump_xcr0(%rip)
	xsave64	dump_area(%rip)
	movl	$1, dump_xsave(%rip)
	jmp	2f
1:	fxsave64 dump_area(%rip)
2:
	mov	$NR_arch_prctl, %eax
	mov	$ARCH_GET_FS, %edi
	lea	dump_fs(%rip), %rsi
	syscall
	mov	$NR_arch_prctl, %eax
	mov	$ARCH_GET_GS, %edi
	lea	dump_gs(%rip), %rsi
	syscall

	mov	$NR_write, %eax
	mov	$1, %edi
	lea	dump(%rip), %rsi
	mov	$dump_end - dump, %edx
	syscall
	mov	$NR_exit, %eax
	xor	%edi, %edi
	syscall
	hlt

	.data
	.balign	64
dump:
dump_xsave:	.long	0
dump_xcr0:	.long	0
dump_fs:	.quad	0
dump_gs:	.quad	0
dump_gprs:	.fill	16, 8, 0
	.balign	64
dump_area:	.fill	4096, 1, 0
dump_end:
