/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side probes for the isolation tests: may this process read or write
 * an address, and where does its address space end.  A probe that faults
 * costs a guest SIGSEGV (tens of microseconds); one that does not is a
 * plain load or store.
 */
#ifndef SKAS0_PROBE_H
#define SKAS0_PROBE_H
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGE 4096UL

static sigjmp_buf probe_out;

static void probe_fault(int sig)
{
	siglongjmp(probe_out, sig);
}

/*
 * SA_NODEFER leaves the signal mask alone, so sigsetjmp need not save it:
 * no rt_sigprocmask per probe.
 */
static inline void probe_init(void)
{
	struct sigaction sa = { .sa_handler = probe_fault, .sa_flags = SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Out of line: sigsetjmp and the faulting access share a frame of their
 * own, so no caller's variable can be clobbered by the siglongjmp.
 */
#define PROBE	static __attribute__((noinline, unused))

PROBE int probe_read(unsigned long addr, unsigned long *val)
{
	if (sigsetjmp(probe_out, 0))
		return 0;
	*val = *(volatile unsigned long *)addr;
	return 1;
}

PROBE int probe_write(unsigned long addr, unsigned long val)
{
	if (sigsetjmp(probe_out, 0))
		return 0;
	*(volatile unsigned long *)addr = val;
	return 1;
}

/* can a page at addr be mapped?  EEXIST means yes: something already is */
static inline int mappable(unsigned long addr)
{
	void *p = mmap((void *)addr, PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return errno == EEXIST;
	munmap(p, PAGE);
	return 1;
}

/*
 * The guest's top (TASK_SIZE): the lowest address where mmap fails.
 * The kernel refuses any fixed mapping ending above it, so a binary
 * search over page addresses finds it.
 */
static inline unsigned long guest_top(void)
{
	unsigned long lo = 1UL << 32, hi = 1UL << 47;

	while (hi - lo > PAGE) {
		unsigned long mid = (lo + (hi - lo) / 2) & ~(PAGE - 1);

		if (mappable(mid))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * The stub's code page: the first readable page at or above the guest's
 * top (within 4 GiB), or 0.  SIGSEGV and SIGBUS are back to their
 * defaults afterwards.
 */
static inline unsigned long find_stub(void)
{
	unsigned long top = guest_top(), a, v, found = 0;

	probe_init();
	for (a = top; a < top + (4UL << 30) && !found; a += PAGE)
		if (probe_read(a, &v))
			found = a;
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	return found;
}
/*
 * Wait up to seconds for pid, then kill it: a hang is reported, not
 * waited out.  1 if it ended by itself.
 */
static inline int wait_bounded(pid_t pid, int *status, int seconds)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < seconds * 100; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}
#endif
