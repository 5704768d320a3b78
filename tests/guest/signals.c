// signal handlers, sigaltstack, SIGSEGV recovery, SSE/AVX state across
// signal handlers and context switches
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>

static volatile int got;
static volatile void *handler_sp;
static char altstack[64 * 1024];
static sigjmp_buf recover;

static void on_usr1(int sig)
{
	int here;

	got = sig;
	handler_sp = &here;
}

static void on_segv(int sig)
{
	siglongjmp(recover, 7);
}

static void test_handlers(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block;

	sigaction(SIGUSR1, &sa, NULL);
	kill(getpid(), SIGUSR1);
	check(got == SIGUSR1, "SIGUSR1 handler ran: got %d", got);

	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	got = 0;
	raise(SIGUSR1);
	check(got && (char *)handler_sp > altstack &&
	      (char *)handler_sp < altstack + sizeof(altstack),
	      "handler ran on the sigaltstack (sp %p, stack %p)", handler_sp, altstack);

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	got = 0;
	raise(SIGUSR1);
	check(got == 0, "blocked SIGUSR1 is held");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	check(got == SIGUSR1, "and delivered when unblocked");

	signal(SIGSEGV, on_segv);
	if (sigsetjmp(recover, 1) == 0) {
		*(volatile int *)8 = 1;
		check(0, "write to address 8 should have faulted");
	} else {
		check(1, "SIGSEGV handler recovered with siglongjmp");
	}
	signal(SIGSEGV, SIG_DFL);
}

/* xmm/ymm registers must survive a signal handler that clobbers them. */
static void clobber_vectors(int sig)
{
	__asm__ volatile("vpxor %%ymm0,%%ymm0,%%ymm0; vpcmpeqd %%ymm1,%%ymm1,%%ymm1;"
			 "vpxor %%ymm15,%%ymm15,%%ymm15" ::: "xmm0", "xmm1", "xmm15");
	got = sig;
}

static int vectors_survive(int rounds, int do_signal)
{
	uint64_t in[4] = { 0x1122334455667788ull, 0x99aabbccddeeff00ull,
			   0x0123456789abcdefull, 0xfedcba9876543210ull };
	uint64_t out0[4], out15[4];
	int i, ok = 1;

	for (i = 0; i < rounds && ok; i++) {
		__asm__ volatile("vmovdqu %0, %%ymm0; vmovdqu %0, %%ymm15" :: "m"(in) : "xmm0", "xmm15");
		if (do_signal)
			raise(SIGUSR2);
		else
			usleep(100);	/* let the other process run */
		__asm__ volatile("vmovdqu %%ymm0, %0; vmovdqu %%ymm15, %1" : "=m"(out0), "=m"(out15));
		ok = !memcmp(in, out0, 32) && !memcmp(in, out15, 32);
		in[i & 3] += 0x10001;
	}
	return ok;
}

static void test_vectors(void)
{
	int status, ok;
	pid_t pid;

	if (!__builtin_cpu_supports("avx2")) {
		check(1, "no AVX2 on this CPU: vector test skipped");
		return;
	}
	signal(SIGUSR2, clobber_vectors);
	check(vectors_survive(200, 1), "ymm0/ymm15 intact after 200 handlers that clobber them");

	pid = fork();
	if (pid == 0)
		_exit(vectors_survive(500, 0) ? 0 : 1);
	ok = vectors_survive(500, 0);
	waitpid(pid, &status, 0);
	check(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "ymm registers intact in two processes switching 500 times");
}

/*
 * SS_AUTODISARM: the signal stack is disarmed while its handler runs and
 * armed again by sigreturn, as on x86 Linux (swapcontext() out of a
 * handler relies on it).
 */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM	(1U << 31)	/* linux/signal.h; glibc lacks it */
#endif

static stack_t in_handler;

static void on_usr1_autodisarm(int sig)
{
	sigaltstack(NULL, &in_handler);
}

static void test_autodisarm(void)
{
	static char alt[65536];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt),
		       .ss_flags = SS_AUTODISARM }, after;
	struct sigaction sa = { .sa_handler = on_usr1_autodisarm,
				.sa_flags = SA_ONSTACK };

	if (sigaltstack(&ss, NULL)) {
		check(0, "sigaltstack(SS_AUTODISARM) refused: %m");
		return;
	}
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaltstack(NULL, &after);
	check(in_handler.ss_flags == SS_DISABLE,
	      "SS_AUTODISARM: the signal stack is disarmed in its handler (ss_flags %#x)",
	      in_handler.ss_flags);
	check(after.ss_flags == SS_AUTODISARM && after.ss_sp == alt &&
	      after.ss_size == sizeof(alt),
	      "SS_AUTODISARM: sigreturn arms it again (ss_flags %#x, the same stack: %d)",
	      after.ss_flags, after.ss_sp == alt);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	signal(SIGUSR1, SIG_DFL);
}

/*
 * Protection keys: guest code runs on the host CPU, so WRPKRU takes
 * effect there.  A process that denies itself key 0 (all its memory) and
 * touches memory must die of SIGSEGV, as on x86 Linux, not fault for
 * ever (it hung, each fault retried as one the page tables allow).
 */
static int cpu_has_ospke(void)
{
	unsigned int a = 7, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 4) & 1;
}

static void test_pkey_fault(void)
{
	static volatile int target;
	int status = 0, i;
	pid_t pid;

	if (!cpu_has_ospke()) {
		check(1, "no protection keys on this host CPU: pkey test skipped");
		return;
	}
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		/* access-disable every key: key 0 is all of our memory */
		__asm__ volatile("wrpkru" :: "a"(0x55555555), "c"(0), "d"(0));
		target = 1;
		_exit(0);
	}
	for (i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(50000);
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	/*
	 * SIGSEGV, as on x86; or SIGKILL where the host cannot deliver the
	 * stub's own signal with that PKRU (ptrace mode, whose stub runs on
	 * the guest thread; host kernels before 6.12, which write a signal
	 * frame with the thread's PKRU): the kernel then ends the process
	 * whose backing process died (README, Limits).  Never a hang.
	 */
	check(i < 100 && WIFSIGNALED(status) &&
	      (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGKILL),
	      "a process that access-disables protection key 0 and touches memory dies (SIGSEGV, or SIGKILL on some hosts and in ptrace mode) instead of hanging (status 0x%x, %s)",
	      status, i < 100 ? "within 5 s" : "hung, killed after 5 s");
}

static volatile sig_atomic_t cpu_timer_fired, gave_up;

static void on_cpu_timer(int sig)
{
	cpu_timer_fired = sig;
}

static void on_give_up(int sig)
{
	gave_up = 1;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * ITIMER_VIRTUAL counts user time only: a busy loop in user code must
 * make it fire (selftest timers/posix_timers hung: every tick went to
 * system time), and getrusage() must show that time as user time.
 */
static void test_cpu_timers(void)
{
	struct itimerval val = { .it_value = { 0, 300 * 1000 } };
	double start = now_s(), took;
	struct rusage ru;

	/* no system call in the loop: ITIMER_REAL gives up after 5 s */
	signal(SIGVTALRM, on_cpu_timer);
	signal(SIGALRM, on_give_up);
	cpu_timer_fired = gave_up = 0;
	alarm(5);
	setitimer(ITIMER_VIRTUAL, &val, NULL);
	while (!cpu_timer_fired && !gave_up)
		;
	alarm(0);
	took = now_s() - start;
	check(cpu_timer_fired == SIGVTALRM && took < 5,
	      "ITIMER_VIRTUAL of 0.3 s fires in a user-code busy loop (after %.2f s)", took);
	getrusage(RUSAGE_SELF, &ru);
	check(ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 >= 200,
	      "and the loop shows as user time (%ld.%03ld s user, %ld.%03ld s system)",
	      (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec / 1000,
	      (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec / 1000);

	signal(SIGPROF, on_cpu_timer);
	cpu_timer_fired = 0;
	start = now_s();
	setitimer(ITIMER_PROF, &val, NULL);
	while (!cpu_timer_fired && now_s() - start < 10)
		getppid();
	took = now_s() - start;
	check(cpu_timer_fired == SIGPROF && took < 5,
	      "ITIMER_PROF of 0.3 s fires in a syscall loop (after %.2f s)", took);
	signal(SIGVTALRM, SIG_DFL);
	signal(SIGPROF, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

/*
 * The stack segment in signal frames, as x86-64 Linux has it: the frame
 * holds SS and says so (UC_SIGCONTEXT_SS), and a frame from 64-bit code
 * says that sigreturn restores it as it is (UC_STRICT_RESTORE_SS).  So a
 * handler that puts a selector there which is no stack (here one of an LDT
 * that does not exist) makes the return fault: SIGSEGV, a #GP (trap 13).
 * Without UC_STRICT_RESTORE_SS (DOSEMU edits frames so) the kernel gives a
 * return to 64-bit code a stack segment that works instead.  Ours had 0
 * in every frame's SS and ignored it on the way back (x86/sigreturn_64).
 */
#define UC_SIGCONTEXT_SS_	0x2
#define UC_STRICT_RESTORE_SS_	0x4
#define BAD_SS			0x47	/* LDT entry 8, RPL 3: no LDT at all */

static volatile unsigned long frame_flags, frame_ss, segv_ss, segv_trap;
static volatile int ss_edit;	/* 1: put BAD_SS back, 2: 0 and not strict */
static sigjmp_buf ss_recover;

static unsigned short current_ss(void)
{
	unsigned short ss;

	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	return ss;
}

/* x86-64 keeps cs, gs, fs and ss in one greg, 16 bits each */
static unsigned short *frame_ss_word(ucontext_t *uc)
{
	return (unsigned short *)&uc->uc_mcontext.gregs[REG_CSGSFS] + 3;
}

static void on_usr2_ss(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	frame_flags = uc->uc_flags;
	frame_ss = *frame_ss_word(uc);
	if (ss_edit == 1) {
		*frame_ss_word(uc) = BAD_SS;
	} else if (ss_edit == 2) {
		*frame_ss_word(uc) = 0;
		uc->uc_flags &= ~UC_STRICT_RESTORE_SS_;
	}
}

static void on_segv_ss(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	segv_ss = *frame_ss_word(uc);
	segv_trap = uc->uc_mcontext.gregs[REG_TRAPNO];
	siglongjmp(ss_recover, 1);
}

static void test_frame_ss(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr2_ss,
				.sa_flags = SA_SIGINFO };
	struct sigaction sv = { .sa_sigaction = on_segv_ss,
				.sa_flags = SA_SIGINFO };
	unsigned short ss = current_ss();
	volatile int faulted = 0;

	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGSEGV, &sv, NULL);
	ss_edit = 0;
	raise(SIGUSR2);
	check((frame_flags & (UC_SIGCONTEXT_SS_ | UC_STRICT_RESTORE_SS_)) ==
	      (UC_SIGCONTEXT_SS_ | UC_STRICT_RESTORE_SS_) && frame_ss == ss,
	      "a signal frame from 64-bit code holds SS %#lx (want %#x) and says so (uc_flags %#lx, want 0x6 set)",
	      frame_ss, ss, frame_flags);

	ss_edit = 1;
	segv_trap = 0;
	if (!sigsetjmp(ss_recover, 1))
		raise(SIGUSR2);
	else
		faulted = 1;
	check(faulted && segv_trap == 13 && segv_ss == BAD_SS &&
	      current_ss() == ss,
	      "sigreturn to a bad SS (%#x) faults on the way back: SIGSEGV %d, trap %lu (want 13), its frame's SS %#lx, then SS %#x again",
	      BAD_SS, faulted, segv_trap, segv_ss, current_ss());

	ss_edit = 2;
	raise(SIGUSR2);
	check(current_ss() == ss,
	      "sigreturn without UC_STRICT_RESTORE_SS to SS 0 gets SS %#x back (want %#x), no signal",
	      current_ss(), ss);
	ss_edit = 0;
	signal(SIGUSR2, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
}

int main(void)
{
	test_handlers();
	test_vectors();
	test_autodisarm();
	test_pkey_fault();
	test_cpu_timers();
	test_frame_ss();
	return check_summary("signals");
}
