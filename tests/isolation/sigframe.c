// Signals whose frame cannot be written kill with SIGSEGV; handlers start
// with TF and DF clear, so a single-stepping process with a SIGTRAP
// handler completes.
#include "../guest/check.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void on_usr1(int sig)
{
}

static int last_status;

static int died_of(pid_t pid, int sig)
{
	waitpid(pid, &last_status, 0);
	return WIFSIGNALED(last_status) && WTERMSIG(last_status) == sig;
}

static void bad_altstack(void)
{
	stack_t ss = { .ss_sp = (void *)0x10000000, .ss_size = 65536 };
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };

	sigaltstack(&ss, NULL);		/* nothing mapped there */
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	_exit(0);
}

static void sp_above_top(void)
{
	signal(SIGUSR1, on_usr1);
	/* stack pointer into the stub's pages, above the guest's top */
	__asm__ volatile("mov $0x7fbfffff00, %%rsp;"
			 "mov $39, %%eax; syscall;"		/* getpid */
			 "mov %%eax, %%edi; mov $10, %%esi; mov $62, %%eax; syscall;" /* kill */
			 "xor %%edi, %%edi; mov $60, %%eax; syscall"	/* exit(0) */
			 ::: "memory", "rax", "rdi", "rsi", "rcx", "r11");
	_exit(0);
}

static volatile long traps;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	unsigned long flags;

	__asm__ volatile("pushf; pop %0" : "=r"(flags));
	if (flags & 0x500)	/* TF or DF set inside the handler */
		_exit(3);
	traps++;
}

static void single_step(void)
{
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	volatile int i, sum = 0;

	sigaction(SIGTRAP, &sa, NULL);
	__asm__ volatile("std; pushf; orl $0x100, (%%rsp); popf" ::: "memory");
	for (i = 0; i < 100; i++)
		sum += i;
	__asm__ volatile("pushf; andl $~0x100, (%%rsp); popf; cld" ::: "memory");
	_exit(traps > 100 ? 0 : 4);
}

int main(void)
{
	pid_t pid;
	int status, died;

	if ((pid = fork()) == 0)
		bad_altstack();
	died = died_of(pid, SIGSEGV);
	check(died, "signal with an unmapped sigaltstack kills with SIGSEGV (status 0x%x)", last_status);

	if ((pid = fork()) == 0)
		sp_above_top();
	died = died_of(pid, SIGSEGV);
	check(died, "signal with the stack pointer above the guest's top kills with SIGSEGV (status 0x%x)", last_status);

	if ((pid = fork()) == 0)
		single_step();
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "single-stepping with a SIGTRAP handler completes, TF and DF clear in the handler (status 0x%x)",
	      status);
	return check_summary("sigframe");
}
