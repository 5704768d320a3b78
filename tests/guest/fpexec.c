// A program starts clean: after execve (from fork, from vfork, through
// posix_spawn) its first instruction sees every general register zero but
// the stack pointer, no fs/gs base, x87 control word 0x37f, MXCSR 0x1f80
// and every x87, xmm, ymm and zmm register (and opmask) zero, whatever
// state the program that exec'd it had.  And FP state never crosses from
// one task to another: a vfork parent gets its own registers back after
// its child loaded others and exec'd.  helpers/fpdump reports the state.
#include "check.h"
#include <cpuid.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct fp_dump {
	uint32_t xsave, xcr0;
	uint64_t fs, gs;
	uint64_t gprs[16];
	uint8_t pad[40];
	uint8_t area[4096];
};
_Static_assert(__builtin_offsetof(struct fp_dump, area) == 192, "fpdump.S layout");

static const char *const gpr_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
	"r11", "r12", "r13", "r14", "r15",
};

static char helper[] = "./helpers/fpdump";
static char *const helper_argv[] = { helper, NULL };
static char *const no_env[] = { NULL };
static int has_avx, has_avx512;

static void detect(void)
{
	unsigned int a, b, c, d, xcr0 = 0;

	__cpuid(1, a, b, c, d);
	if (c & (1u << 27))
		__asm__("xgetbv" : "=a"(xcr0), "=d"(d) : "c"(0));
	has_avx = (xcr0 & 6) == 6 && (c & (1u << 28));
	__cpuid_count(7, 0, a, b, c, d);
	has_avx512 = has_avx && (xcr0 & 0xe0) == 0xe0 && (b & (1u << 16));
}

/* Fill every register an exec must clear with a pattern a leak would show. */
static inline __attribute__((always_inline)) void dirty_fp(void)
{
	static const uint64_t pat[8] __attribute__((aligned(64))) = {
		0x5a5a5a5a5a5a5a5aULL, 0x00007fc3548d60c8ULL, 0xa5a5a5a5a5a5a5a5ULL,
		0x1122334455667788ULL, 0x5a5a5a5a5a5a5a5aULL, 0x00007f83e36280c8ULL,
		0x99aabbccddeeff00ULL, 0x0102030405060708ULL,
	};
	static const uint32_t odd_mxcsr = 0x1fc0;	/* DAZ set */
	static const uint16_t odd_fcw = 0x27f;		/* double precision */

	__asm__ volatile("fldcw %0; fldpi; fld1; ldmxcsr %1" ::
			 "m"(odd_fcw), "m"(odd_mxcsr));
	__asm__ volatile("movdqa %0, %%xmm0; movdqa %0, %%xmm1; movdqa %0, %%xmm2;"
			 "movdqa %0, %%xmm3; movdqa %0, %%xmm4; movdqa %0, %%xmm5;"
			 "movdqa %0, %%xmm6; movdqa %0, %%xmm7; movdqa %0, %%xmm8;"
			 "movdqa %0, %%xmm9; movdqa %0, %%xmm10; movdqa %0, %%xmm11;"
			 "movdqa %0, %%xmm12; movdqa %0, %%xmm13; movdqa %0, %%xmm14;"
			 "movdqa %0, %%xmm15" :: "m"(pat[0]));
	if (has_avx)
		__asm__ volatile("vmovdqa %0, %%ymm0; vmovdqa %0, %%ymm7;"
				 "vmovdqa %0, %%ymm15" :: "m"(pat[0]));
	if (has_avx512)
		__asm__ volatile("vmovdqa64 %0, %%zmm0; vmovdqa64 %0, %%zmm16;"
				 "vmovdqa64 %0, %%zmm31; kxnorw %%k0, %%k0, %%k1;"
				 "kxnorw %%k0, %%k0, %%k7" :: "m"(pat[0]));
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* What the dump shows that a fresh program should not have; "" if clean. */
static const char *dirt(const struct fp_dump *d)
{
	static char why[256];
	const uint8_t *a = d->area;
	uint16_t fcw, fsw;
	uint32_t mxcsr;
	uint64_t bv = 0;
	unsigned int i, size, off, ebx, ecx, edx;

	for (i = 0; i < 15; i++)
		if (d->gprs[i]) {
			snprintf(why, sizeof(why), "%s = %#lx", gpr_names[i],
				 (unsigned long)d->gprs[i]);
			return why;
		}
	if (d->fs || d->gs) {
		snprintf(why, sizeof(why), "fs base %#lx, gs base %#lx",
			 (unsigned long)d->fs, (unsigned long)d->gs);
		return why;
	}
	memcpy(&fcw, a, 2);
	memcpy(&fsw, a + 2, 2);
	memcpy(&mxcsr, a + 24, 4);
	if (fcw != 0x37f || fsw || a[4] || mxcsr != 0x1f80) {
		snprintf(why, sizeof(why), "fcw %#x fsw %#x ftw %#x mxcsr %#x",
			 fcw, fsw, a[4], mxcsr);
		return why;
	}
	for (i = 0; i < 8; i++)
		if (!all_zero(a + 32 + 16 * i, 10)) {
			snprintf(why, sizeof(why), "st%u not zero", i);
			return why;
		}
	for (i = 0; i < 16; i++)
		if (!all_zero(a + 160 + 16 * i, 16)) {
			snprintf(why, sizeof(why), "xmm%u = %#lx...", i,
				 *(unsigned long *)(a + 160 + 16 * i));
			return why;
		}
	if (!d->xsave)
		return "";
	memcpy(&bv, a + 512, 8);
	for (i = 2; i < 10; i++) {
		if (!(bv & (1ULL << i)))
			continue;	/* in its initial state: zero */
		__cpuid_count(0xd, i, size, off, ecx, edx);
		if (off + size <= sizeof(d->area) && !all_zero(a + off, size)) {
			snprintf(why, sizeof(why), "xstate component %u (%s) not zero",
				 i, i == 2 ? "ymm upper halves" : i == 5 ? "opmask" :
				 i == 6 ? "zmm0-15 upper halves" : i == 7 ? "zmm16-31" : "?");
			return why;
		}
	}
	(void)ebx;
	return "";
}

static int read_dump(int fd, struct fp_dump *d)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*d) && (n = read(fd, (char *)d + got, sizeof(*d) - got)) > 0)
		got += n;
	return got == sizeof(*d);
}

static long raw_execve(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"((long)SYS_execve), "D"(helper), "S"(helper_argv),
			   "d"(no_env)
			 : "rcx", "r11", "memory");
	return ret;
}

enum how { BY_FORK, BY_VFORK, BY_SPAWN };

static void exec_and_check(enum how how, const char *name)
{
	struct fp_dump d;
	int pipefd[2], status, ok;
	pid_t pid = -1;

	if (pipe(pipefd))
		return;
	if (how == BY_SPAWN) {
		posix_spawn_file_actions_t fa;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
		dirty_fp();
		if (posix_spawn(&pid, helper, &fa, NULL, helper_argv, no_env))
			pid = -1;
	} else {
		pid = how == BY_FORK ? fork() : vfork();
		if (pid == 0) {
			dup2(pipefd[1], 1);
			dirty_fp();
			raw_execve();
			_exit(127);
		}
	}
	close(pipefd[1]);
	ok = pid > 0 && read_dump(pipefd[0], &d);
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!check(ok, "%s: the exec'd program reported its first state", name))
		return;
	check(!*dirt(&d), "%s: it starts clean (%s%s)", name,
	      *dirt(&d) ? "saw " : "all zero, fcw 0x37f, mxcsr 0x1f80", dirt(&d));
}

/*
 * vfork parent and child share one address space, hence one host process:
 * the child loads other values and execs; the parent must get its own back.
 */
static void vfork_parent_keeps_its_state(void)
{
	static const uint64_t mine[2] __attribute__((aligned(16))) = {
		0x1111111111111111ULL, 0x2222222222222222ULL };
	static const uint64_t childs[2] __attribute__((aligned(16))) = {
		0x3333333333333333ULL, 0x4444444444444444ULL };
	uint64_t after[2] __attribute__((aligned(16)));
	int status, out = dup(1), null = open("/dev/null", O_WRONLY);
	long pid;

	dup2(null, 1);		/* the child's helper writes its dump there */
	close(null);
	__asm__ volatile("movdqa %[mine], %%xmm9\n\t"
			 "mov %[nr_vfork], %%eax\n\t"
			 "syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movdqa %[childs], %%xmm9\n\t"
			 "mov %[nr_execve], %%eax\n\t"
			 "syscall\n\t"
			 "mov $60, %%eax\n\t"
			 "mov $127, %%edi\n\t"
			 "syscall\n"
			 "1: movdqa %%xmm9, %[after]"
			 : "=&a"(pid), [after] "=m"(after)
			 : [mine] "m"(mine), [childs] "m"(childs),
			   [nr_vfork] "i"(SYS_vfork), [nr_execve] "i"(SYS_execve),
			   "D"(helper), "S"(helper_argv), "d"(no_env)
			 : "rcx", "r11", "xmm9", "memory");
	dup2(out, 1);
	close(out);
	if (pid > 0)
		waitpid(pid, &status, 0);
	check(pid > 0 && after[0] == mine[0] && after[1] == mine[1],
	      "vfork parent gets its own xmm9 back after the child loaded another and exec'd (%#lx %#lx)",
	      (unsigned long)after[0], (unsigned long)after[1]);
}

int main(void)
{
	detect();
	exec_and_check(BY_FORK, "fork + execve");
	exec_and_check(BY_VFORK, "vfork + execve");
	exec_and_check(BY_SPAWN, "posix_spawn");
	vfork_parent_keeps_its_state();
	return check_summary("fpexec");
}
