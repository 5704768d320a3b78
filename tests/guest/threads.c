// pthreads under futex contention; segment selectors per thread
#include "check.h"
#include <pthread.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define THREADS 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;

static void *worker(void *arg)
{
	int i;

	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

/*
 * The fs and gs selectors belong to each thread, as on x86-64: one
 * thread's ARCH_SET_GS (which zeroes its own gs selector) must leave
 * another's gs as that thread loaded it.  Fast mode lost it at every
 * switch (x86/fsgsbase_64).  And a null selector of RPL 1 (mov $1, %gs,
 * which any program may do) must not kill the process: ptrace mode's
 * PTRACE_SETREGS refused it and the process died of SIGSEGV.
 */
static volatile int gs_turn, gs_stop;

static unsigned short gs_now(void)
{
	unsigned short sel;

	__asm__ volatile("mov %%gs, %0" : "=r"(sel));
	return sel;
}

static void gs_load(unsigned short sel)
{
	__asm__ volatile("mov %0, %%gs" :: "r"(sel));
}

static void *gs_other(void *arg)
{
	while (!gs_stop) {
		if (!gs_turn) {
			sched_yield();
			continue;
		}
		syscall(SYS_arch_prctl, ARCH_SET_GS, 0x200000000UL);
		gs_turn = 0;
	}
	return arg;
}

/*
 * wrgsbase takes any canonical base, also one above user space, which the
 * host's PTRACE_SETREGS refuses: ptrace mode killed such a thread when it
 * was switched back in (x86/fsgsbase_64).  The base must survive switches.
 */
static sigjmp_buf no_fsgsbase;

static void on_sigill(int sig)
{
	siglongjmp(no_fsgsbase, 1);
}

static void test_big_gs_base(void)
{
	const unsigned long big = 0xffff800000001000UL;
	unsigned long base = 0, kept = 0;
	pthread_t t;
	pid_t child;
	int i, status;

	signal(SIGILL, on_sigill);
	if (sigsetjmp(no_fsgsbase, 1)) {
		signal(SIGILL, SIG_DFL);
		check(1, "no wrgsbase here (SIGILL): a gs base above user space cannot be set");
		return;
	}
	__asm__ volatile("wrgsbase %0" :: "r"(big));
	signal(SIGILL, SIG_DFL);
	gs_stop = 0;
	pthread_create(&t, NULL, gs_other, NULL);
	for (i = 0; i < 10; i++) {
		gs_turn = 1;
		while (gs_turn)
			sched_yield();
		__asm__ volatile("rdgsbase %0" : "=r"(base));
		kept += base == big;
	}
	gs_stop = 1;
	pthread_join(t, NULL);
	check(kept == 10,
	      "a gs base above user space (wrgsbase %#lx) survives 10 switches (%lu kept, last %#lx)",
	      big, kept, base);
	/* and fork copies it, as it copies any register */
	child = fork();
	if (child == 0) {
		__asm__ volatile("rdgsbase %0" : "=r"(base));
		_exit(base == big ? 0 : 1);
	}
	__asm__ volatile("wrgsbase %0" :: "r"(0UL));
	waitpid(child, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a child forked with that gs base runs with it (status %#x: 0 is the base, 0x100 another)",
	      status);
}

static void test_selectors(void)
{
	unsigned short ss, sel = 0, kept = 0, seen = 0;
	pthread_t t;
	int i;

	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	pthread_create(&t, NULL, gs_other, NULL);
	gs_load(ss);
	for (i = 0; i < 20; i++) {
		gs_turn = 1;
		while (gs_turn)
			sched_yield();
		sel = gs_now();
		kept += sel == ss;
		if (sel != ss)
			seen = sel;
	}
	gs_load(0);
	gs_stop = 1;
	pthread_join(t, NULL);
	check(kept == 20,
	      "gs selector %#x kept across 20 switches to a thread that set its own gs base (%d kept, else %#x)",
	      ss, kept, seen);

	gs_load(1);
	for (i = 0; i < 10; i++)
		sched_yield();
	sel = gs_now();
	gs_load(0);
	check(sel <= 1, "a thread with the null selector 1 in gs goes on after 10 switches (gs %#x)", sel);

	/* ARCH_SET_GS: a null selector, and no base above user space */
	gs_load(ss);
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0x10000UL);
	sel = gs_now();
	sched_yield();
	check(sel == 0 && gs_now() == 0,
	      "ARCH_SET_GS leaves gs null, as on x86-64 (after it %#x, after a switch %#x)",
	      sel, gs_now());
	errno = 0;
	i = syscall(SYS_arch_prctl, ARCH_SET_GS, 0xffff800000000000UL);
	check(i == -1 && errno == EPERM,
	      "ARCH_SET_GS to a kernel address is refused with EPERM (returned %d, %m), the process goes on", i);
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL);
	test_big_gs_base();
}

int main(void)
{
	pthread_t t[THREADS];
	long i, joined = 0;
	void *ret;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < THREADS; i++)
		joined += pthread_join(t[i], &ret) == 0 && ret == (void *)i;
	check(joined == THREADS, "%d threads created and joined: %ld", THREADS, joined);
	check(counter == (long)THREADS * ROUNDS,
	      "mutex-protected counter: expected %ld, saw %ld", (long)THREADS * ROUNDS, counter);
	test_selectors();
	return check_summary("threads");
}
