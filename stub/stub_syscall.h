/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw x86-64 system calls for the stub.  The stub has no libc, no errno and
 * no globals: every call returns the kernel's value (-errno on failure).
 * The syscall instruction clobbers rcx and r11; the kernel preserves the rest.
 */
#ifndef __SKAS0_STUB_SYSCALL_H
#define __SKAS0_STUB_SYSCALL_H

static inline __attribute__((always_inline))
long sys2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile ("syscall" : "=a" (ret)
			  : "a" (nr), "D" (a), "S" (b)
			  : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline))
long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile ("syscall" : "=a" (ret)
			  : "a" (nr), "D" (a), "S" (b), "d" (c)
			  : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline))
long sys4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile ("syscall" : "=a" (ret)
			  : "a" (nr), "D" (a), "S" (b), "d" (c), "r" (r10)
			  : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline))
long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile ("syscall" : "=a" (ret)
			  : "a" (nr), "D" (a), "S" (b), "d" (c),
			    "r" (r10), "r" (r8), "r" (r9)
			  : "rcx", "r11", "memory");
	return ret;
}

/* Hand control back to the tracing kernel: the int3 at STUB_TRAP. */
void stub_wipe_and_trap(void) __attribute__((noreturn));

#endif
