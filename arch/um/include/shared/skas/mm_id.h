/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skas0: what the kernel keeps per guest address space.  Shared by the
 * kernel (mm context) and the host side (stub driver); plain C types only.
 */
#ifndef __MM_ID_H
#define __MM_ID_H

struct mm_id {
	int pid;		/* host process backing the address space; 0: gone */
	int lost_pid;		/* once gone and reaped: the pid it had, for reports */
	unsigned long stack;	/* kernel address of its struct stub_data */
	int queued;		/* batch entries written but not yet run */
	int resume_queued;	/* entries handed to the last resume entry */
	int failed;		/* -errno of a batch entry that failed, or 0 */
	int evicted;		/* host mappings dropped, nothing mapped since */
	int cpu;		/* host CPU it is pinned to, plus 1; 0: not pinned */
	unsigned long secret;	/* its stub's syscalls carry it; see stub-data.h */

	/* fast mode (arch/um/os-Linux/skas/fast.c) */
	int fast;		/* this process runs in fast mode */
	int attached;		/* still ptraced: its first entry is to come */
	unsigned int t_token;	/* the last trusted-thread request's token */
	unsigned int k_seen;	/* the last hand-off seen */
	unsigned long frame;	/* kernel address of its last signal frame */
	int release_in_batch;	/* the next batch also releases the guest thread */
	unsigned long long preempt_at;	/* told to stop at (ns), or 0 */
	/* the parked-process watchdog (fast.c) */
	struct mm_id *watch_prev, *watch_next;
	int watched;		/* on the watchdog's list */
	int culprit;		/* killed for breaking the hand-off: reported */
	int running;		/* released, and not handed off since */
	unsigned int releases;	/* times the guest thread was released */
	unsigned int wd_releases;	/* releases at the last look */
	unsigned long long wd_cpu_ns;	/* guest thread's CPU ticks + 1 then; 0: none */
	int wd_strikes;		/* looks in a row it ran while parked */
};

void __switch_mm(struct mm_id *mm_idp);

#endif
