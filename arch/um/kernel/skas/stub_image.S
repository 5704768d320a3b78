/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stub, built from stub/ by this directory's Makefile, carried in the
 * kernel image twice: its code page, page aligned, which is copied into the
 * physical-memory file; and the whole ELF, which new backing processes
 * execveat().
 */
	.section .rodata.skas0_stub, "a"
	.balign	4096
	.globl	skas0_stub_code
skas0_stub_code:
	.incbin	SKAS0_STUB_BIN
	.balign	4096

	.globl	skas0_stub_elf, skas0_stub_elf_end
skas0_stub_elf:
	.incbin	SKAS0_STUB_ELF
skas0_stub_elf_end:
	.balign	8
