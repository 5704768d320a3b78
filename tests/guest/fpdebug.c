// A debugger and a core dump see a task's own FP state: a tracer reads
// the xmm registers its stopped tracee loaded (PTRACE_GETFPREGS, and
// PTRACE_GETREGSET with NT_PRFPREG and NT_X86_XSTATE), writes others
// (PTRACE_SETFPREGS) that the tracee then finds; a core dump's NT_PRFPREG
// note holds what the dumping task had.  Upstream UML read the host
// process running at the time: the tracer's own state.
#include "check.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

#define XMM_OFFSET	160	/* of xmm0 in the FXSAVE image */

static uint64_t want[16] __attribute__((aligned(16)));	/* xmm0-7, 2 words each */
static uint64_t given[16] __attribute__((aligned(16)));
static uint64_t seen[16] __attribute__((aligned(16)));

static void patterns(void)
{
	int i;

	for (i = 0; i < 16; i++) {
		want[i] = 0x1000000000000000ULL * (i % 15 + 1) + i;
		given[i] = 0xc0de000000000000ULL + i;
	}
}

/*
 * Load xmm0-7 from want, stop with sig (raw kill: no libc may touch the
 * registers), store xmm0-7 into seen afterwards.
 */
static void __attribute__((noinline)) load_stop_store(int sig)
{
	__asm__ volatile("movdqa 0(%[w]), %%xmm0; movdqa 16(%[w]), %%xmm1\n\t"
			 "movdqa 32(%[w]), %%xmm2; movdqa 48(%[w]), %%xmm3\n\t"
			 "movdqa 64(%[w]), %%xmm4; movdqa 80(%[w]), %%xmm5\n\t"
			 "movdqa 96(%[w]), %%xmm6; movdqa 112(%[w]), %%xmm7\n\t"
			 "mov %[nr_getpid], %%eax\n\t"
			 "syscall\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov %[sig], %%esi\n\t"
			 "mov %[nr_kill], %%eax\n\t"
			 "syscall\n\t"
			 "movdqa %%xmm0, 0(%[s]); movdqa %%xmm1, 16(%[s])\n\t"
			 "movdqa %%xmm2, 32(%[s]); movdqa %%xmm3, 48(%[s])\n\t"
			 "movdqa %%xmm4, 64(%[s]); movdqa %%xmm5, 80(%[s])\n\t"
			 "movdqa %%xmm6, 96(%[s]); movdqa %%xmm7, 112(%[s])"
			 :: [w] "r"(want), [s] "r"(seen), [sig] "r"(sig),
			    [nr_getpid] "i"(SYS_getpid), [nr_kill] "i"(SYS_kill)
			 : "rax", "rdi", "rsi", "rcx", "r11", "memory", "xmm0",
			   "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
}

static int xmm_match(const uint8_t *fxsave, const uint64_t *w)
{
	return !memcmp(fxsave + XMM_OFFSET, w, 8 * 16);
}

static void tracer_sees_tracee(void)
{
	struct user_fpregs_struct fp;
	static uint8_t xstate[4096] __attribute__((aligned(64)));
	struct iovec iov;
	int status, ok;
	pid_t pid = fork();

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		load_stop_store(SIGSTOP);
		_exit(memcmp(seen, given, sizeof(seen)) ? 1 : 0);
	}
	/* the tracer's own xmm registers hold something else entirely */
	__asm__ volatile("pxor %%xmm0, %%xmm0; pcmpeqd %%xmm1, %%xmm1" ::: "xmm0", "xmm1");
	waitpid(pid, &status, 0);
	if (!check(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP,
		   "tracee stopped with its xmm registers loaded (status 0x%x)", status)) {
		kill(pid, SIGKILL);
		return;
	}

	ok = ptrace(PTRACE_GETFPREGS, pid, 0, &fp) == 0;
	check(ok && xmm_match((uint8_t *)&fp, want),
	      "PTRACE_GETFPREGS shows the tracee's xmm0-7 (xmm0 %#lx, want %#lx)",
	      ok ? (unsigned long)fp.xmm_space[0] | (unsigned long)fp.xmm_space[1] << 32 : 0UL,
	      (unsigned long)want[0]);

	iov = (struct iovec) { &fp, sizeof(fp) };
	ok = ptrace(PTRACE_GETREGSET, pid, NT_PRFPREG, &iov) == 0;
	check(ok && xmm_match((uint8_t *)&fp, want),
	      "PTRACE_GETREGSET NT_PRFPREG shows them too (%s)", ok ? "read" : strerror(errno));

	iov = (struct iovec) { xstate, sizeof(xstate) };
	ok = ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) == 0;
	check(ok && iov.iov_len >= 576 && xmm_match(xstate, want),
	      "PTRACE_GETREGSET NT_X86_XSTATE shows them too (%s, %zu bytes)",
	      ok ? "read" : strerror(errno), iov.iov_len);

	ptrace(PTRACE_GETFPREGS, pid, 0, &fp);
	memcpy((uint8_t *)&fp + XMM_OFFSET, given, 8 * 16);
	ok = ptrace(PTRACE_SETFPREGS, pid, 0, &fp) == 0;
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, 0);
	check(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "registers set with PTRACE_SETFPREGS are what the tracee finds on resuming (status 0x%x)",
	      status);
}

/* The NT_PRFPREG note of an ELF core file, or NULL. */
static const uint8_t *core_fpregs(const uint8_t *core, size_t size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)core;
	int i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(core + eh->e_phoff) + i;
		size_t at, end;

		if (ph->p_type != PT_NOTE || ph->p_offset + ph->p_filesz > size)
			continue;
		for (at = ph->p_offset, end = at + ph->p_filesz; at + 12 <= end;) {
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)(core + at);
			size_t desc = at + 12 + ((n->n_namesz + 3) & ~3);

			if (n->n_type == NT_PRFPREG && n->n_descsz >= 512 && desc + 512 <= end)
				return core + desc;
			at = desc + ((n->n_descsz + 3) & ~3);
		}
	}
	return NULL;
}

static void core_dump_holds_it(void)
{
	char dir[] = "/tmp/fpcore-XXXXXX", path[64];
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	const uint8_t *core = MAP_FAILED, *fp = NULL;
	struct stat st;
	int status, fd;
	pid_t pid;

	if (!mkdtemp(dir))
		return;
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &unlimited);
		if (chdir(dir))
			_exit(2);
		load_stop_store(SIGQUIT);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	snprintf(path, sizeof(path), "%s/core", dir);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && fstat(fd, &st) == 0)
		core = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (core != MAP_FAILED)
		fp = core_fpregs(core, st.st_size);
	check(WIFSIGNALED(status) && WCOREDUMP(status) && fp,
	      "SIGQUIT dumped core with an NT_PRFPREG note (status 0x%x)", status);
	check(fp && xmm_match(fp, want),
	      "the core's NT_PRFPREG holds the dumping task's xmm0-7 (xmm0 %#lx, want %#lx)",
	      fp ? *(unsigned long *)(fp + XMM_OFFSET) : 0UL, (unsigned long)want[0]);
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	patterns();
	tracer_sees_tracee();
	core_dump_holds_it();
	return check_summary("fpdebug");
}
