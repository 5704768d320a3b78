// guest ptrace: a tracer inside the guest follows a program to completion
#include "check.h"
#include <signal.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

/* A raw syscall with the whole of rax as given. */
static long raw_syscall0(unsigned long rax)
{
	long ret;

	asm volatile("syscall" : "=a" (ret) : "a" (rax) : "rcx", "r11", "memory");
	return ret;
}

#define HIGH_BITS	0x500000000UL	/* ignored by x86-64: only eax counts */

/*
 * The number of a system call, as x86-64 Linux has it: its low 32 bits
 * choose the call, and a tracer sees all of rax in orig_rax.
 */
static void test_syscall_number(void)
{
	struct user_regs_struct regs;
	unsigned long seen = 0;
	int status;
	pid_t pid;

	check(raw_syscall0(HIGH_BITS | SYS_getpid) == getpid(),
	      "a syscall with high bits set in rax runs the call its low 32 bits name (getpid)");
	check(raw_syscall0(0xffffffc0UL) == -38,
	      "syscall number 0xffffffc0 gives -ENOSYS");
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(raw_syscall0(HIGH_BITS | SYS_getppid) == getppid() ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	for (;;) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		ptrace(PTRACE_GETREGS, pid, 0, &regs);
		if ((regs.orig_rax & 0xffffffffUL) == SYS_getppid && !seen)
			seen = regs.orig_rax;
	}
	check(seen == (HIGH_BITS | SYS_getppid),
	      "a tracer sees all 64 bits of rax in orig_rax (%#lx)", seen);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "and the call ran as getppid (status 0x%x)", status);

	/*
	 * A tracer that writes rax at the entry stop: an invalid number
	 * still returns -ENOSYS; orig_rax -1 skips the call and keeps the
	 * tracer's rax.
	 */
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		if (raw_syscall0(0xffffffc0UL) != -38)
			_exit(1);
		if (raw_syscall0(SYS_getpid) != 4242)
			_exit(2);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	for (int entry = 1;; entry = !entry) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		ptrace(PTRACE_GETREGS, pid, 0, &regs);
		if (!entry)
			continue;
		if (regs.orig_rax == 0xffffffc0UL) {
			regs.rax = -9999;
			ptrace(PTRACE_SETREGS, pid, 0, &regs);
		} else if (regs.orig_rax == SYS_getpid) {
			regs.orig_rax = -1;
			regs.rax = 4242;
			ptrace(PTRACE_SETREGS, pid, 0, &regs);
		}
	}
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a tracer's rax at the entry stop: an invalid call still gives -ENOSYS, orig_rax -1 skips with the tracer's value (status 0x%x)",
	      status);
}

int main(void)
{
	int status, stops = 0, saw_write = 0;
	struct user_regs_struct regs;
	pid_t pid = fork();

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		execl("/bin/echo", "echo", "traced", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD);
	for (;;) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		stops++;
		ptrace(PTRACE_GETREGS, pid, 0, &regs);
		saw_write |= regs.orig_rax == 1;	/* __NR_write */
	}
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "traced echo ran to completion: status 0x%x", status);
	check(stops > 10 && saw_write, "tracer saw %d syscall stops, write() among them", stops);
	test_syscall_number();
	return check_summary("tracing");
}
