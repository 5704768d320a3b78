// guest ptrace: a tracer inside the guest follows a program to completion
#include "check.h"
#include <signal.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

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
	return check_summary("tracing");
}
