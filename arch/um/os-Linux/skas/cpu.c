// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: run the kernel and the backing process it drives on
 * one host CPU.
 *
 * Every guest syscall, fault and batch is a ptrace round trip: the backing
 * process stops and wakes the kernel, the kernel resumes it and sleeps in
 * waitpid().  Left to itself the host scheduler wakes each side on
 * whichever CPU is idle, so every round trip crosses CPUs (an IPI, and a
 * VM exit when the host is a VM itself): 60-70 us instead of 11 us on the
 * 2-core VM of our figures.  Only one side runs at a time, so nothing is
 * lost by sharing a CPU.
 *
 * The kernel thread therefore pins itself to the CPU it is on and moves a
 * backing process there before resuming it.  So that the host can still
 * balance load, the pin is dropped every CPU_RECHECK_NS: the next wakeup
 * lands wherever the host scheduler puts the kernel, and the pin follows.
 * Helper threads started while pinned inherit the pin; they only sleep.
 * "skas0.pin=0" turns all this off.
 */

#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <init.h>
#include <mm_id.h>
#include <skas.h>
#include <sys/auxv.h>
#include "stub_host.h"

#define CPU_RECHECK_NS	250000000ULL

static int pin_enabled = 1;
static int pinned_cpu = -1;		/* -1: not pinned (yet, or now) */
static unsigned long long recheck_at;
static cpu_set_t allowed;		/* the mask we were started with */
static int allowed_known;

static unsigned long long coarse_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Raw syscalls: the kernel's own sched_{get,set}affinity() share libc's
 * names in this one binary and win at link time.
 */
static int set_affinity(int pid, const cpu_set_t *set)
{
	return syscall(SYS_sched_setaffinity, pid, sizeof(*set), set);
}

static int set_one_cpu(int pid, int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return set_affinity(pid, &one);
}

/* Pin ourselves to the CPU we run on now; -1 if that is not possible. */
static int pin_here(void)
{
	int cpu = sched_getcpu();

	if (!allowed_known) {
		if (syscall(SYS_sched_getaffinity, 0, sizeof(allowed),
			    &allowed) < 0)
			return -1;
		allowed_known = 1;
	}
	if (cpu < 0 || set_one_cpu(0, cpu))
		return -1;
	recheck_at = coarse_now_ns() + CPU_RECHECK_NS;
	return cpu;
}

static void unpin(void)
{
	set_affinity(0, &allowed);
	pinned_cpu = -1;
}

/* Before resuming mm's process: make sure it runs where we do. */
void skas_cpu_follow(struct mm_id *mm)
{
	if (!pin_enabled || mm->fast)
		return;

	if (pinned_cpu < 0) {
		pinned_cpu = pin_here();
		if (pinned_cpu < 0) {
			pin_enabled = 0;	/* no affinity here: stay out */
			return;
		}
	} else if (coarse_now_ns() >= recheck_at) {
		unpin();		/* float for one wakeup */
		return;
	}
	if (mm->cpu == pinned_cpu + 1)
		return;
	/* a process that is gone fails here and in the ptrace call next */
	if (!set_one_cpu(mm->pid, pinned_cpu))
		mm->cpu = pinned_cpu + 1;
}

/*
 * Fast mode: the kernel and a guest thread hand off between two CPUs,
 * each spinning a little on its own: the kernel stays on the CPU it is
 * on, and backing processes get the others.  With one usable CPU (fast
 * mode forced) they share it.
 */
static cpu_set_t beside;	/* where fast-mode backing processes run */
static int beside_known;

void skas_cpu_fast_placement(void)
{
	int cpu;

	if (syscall(SYS_sched_getaffinity, 0, sizeof(allowed), &allowed) < 0)
		return;
	allowed_known = 1;
	beside = allowed;
	beside_known = 1;
	cpu = sched_getcpu();
	if (cpu < 0 || CPU_COUNT(&allowed) < 2 || set_one_cpu(0, cpu))
		return;
	pinned_cpu = cpu;
	CPU_CLR(cpu, &beside);
}

/* In a new backing process (system calls only: it shares our memory). */
void skas_cpu_unpin_self(void)
{
	if (beside_known)
		set_affinity(0, &beside);
}

/* The CPU a process spawned now inherits, in mm_id's encoding. */
int skas_cpu_inherited(void)
{
	return pinned_cpu + 1;
}

static int __init pin_setup(char *line, int *add)
{
	pin_enabled = strtol(line, NULL, 0) != 0;
	return 0;
}

__uml_setup("skas0.pin=", pin_setup, "skas0.pin=0|1\n"
	    "    1 (default): keep the kernel and the guest process it runs on\n"
	    "    one host CPU, following the host scheduler.  0: leave CPU\n"
	    "    placement to the host.\n\n");

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE		(1 << 1)
#endif

/* Does the host let user code run rd/wr{fs,gs}base? */
int skas_cpu_has_fsgsbase(void)
{
	static int known = -1;

	if (known < 0)
		known = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	return known;
}
