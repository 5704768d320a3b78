// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: the batch queue.
 *
 * The kernel changes a guest address space by appending mmap, munmap and
 * mprotect entries to the batch in the shared stub_data page.  Nothing is
 * sent to the host until the batch is full or the guest is about to run;
 * then one PTRACE_CONT lets the stub execute the whole batch.  Adjacent
 * entries of the same kind are merged as they are queued, so a fork or an
 * exec that touches thousands of pages costs a handful of host syscalls.
 */
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <as-layout.h>
#include <mm_id.h>
#include <os.h>
#include <registers.h>
#include <skas.h>
#include <stub-data.h>
#include <sysdep/ptrace.h>
#include "stub_host.h"

static struct stub_data *batch_page(struct mm_id *mm)
{
	return (struct stub_data *)mm->stack;
}

/* Registers that start the stub's batch runner; built once. */
static unsigned long batch_regs[MAX_REG_NR];

static void batch_regs_init(void)
{
	get_safe_registers(batch_regs, NULL);
	batch_regs[HOST_IP] = STUB_CODE + STUB_ENTRY_BATCH;
	batch_regs[HOST_SP] = STUB_DATA + STUB_STACK_PAGE + STUB_PAGE_BYTES - sizeof(long);
	batch_regs[HOST_DI] = STUB_DATA;
	batch_regs[HOST_ORIG_AX] = -1;
}

static void batch_report_failure(struct mm_id *mm, struct stub_batch_entry *e,
				 unsigned int done, int err)
{
	if (skas_report_allowed())
		printk(UM_KERN_ERR "skas0: host process %d: batch entry %u (op %u, addr 0x%lx, len 0x%lx, prot %d) failed: %s\n",
		       mm->pid, done, e->op, e->addr, e->len, e->prot,
		       strerror(-err));
}

/*
 * The stub stopped short of the end of its batch of queued entries: the
 * errno it recorded, reported unless it is ENOMEM (the host's mapping
 * limit: the caller evicts and retries).  Read once, and only believed
 * within bounds: anything else is -EIO.
 */
static int batch_failure(struct mm_id *mm, struct stub_data *d, int queued)
{
	unsigned int done = d->batch_done;
	long err = d->batch_err;

	if (done >= (unsigned int)queued || err >= 0 || err < -4095)
		return -EIO;
	if (err != -ENOMEM)
		batch_report_failure(mm, &d->batch[done], done, err);
	return err;
}

/*
 * Where the batch is queued: in ptrace mode in stub_data, which the stub
 * runs when we resume it; in fast mode in the trusted thread's request
 * page, which the process can read but not write.
 */
static struct stub_batch_entry *batch_entries(struct mm_id *mm)
{
	if (mm->fast)
		return ((struct stub_request *)(mm->stack + STUB_REQUEST_PAGE))->batch;
	return batch_page(mm)->batch;
}

static int batch_capacity(struct mm_id *mm)
{
	return mm->fast ? STUB_RQ_BATCH_MAX : STUB_BATCH_MAX;
}

/* Fast mode: the trusted thread runs it (fast.c) and says how it went. */
static int batch_run_trusted(struct mm_id *mm)
{
	unsigned int done = 0;
	int err = skas_fast_run_batch(mm, mm->queued, &done);

	if (err == -ETIMEDOUT) {
		if (skas_report_allowed())
			printk(UM_KERN_ERR "skas0: the trusted thread of host process %d did not answer; ending its tasks\n",
			       mm->pid);
		skas_stub_kill(mm);
		err = -ESRCH;
	} else if (err && err != -ENOMEM && err != -ESRCH &&
		   done < (unsigned int)mm->queued) {
		batch_report_failure(mm, batch_entries(mm) + done, done, err);
	}
	mm->queued = 0;
	return err;
}

/* Run what is queued.  Returns 0, or -errno of the first entry that failed. */
static int batch_run(struct mm_id *mm)
{
	struct stub_data *d = batch_page(mm);
	int err;

	if (mm->pid <= 1) {
		mm->queued = 0;
		return -ESRCH;	/* its process is gone already */
	}
	if (mm->fast)
		return batch_run_trusted(mm);

	if (!batch_regs[HOST_IP])
		batch_regs_init();

	d->batch_len = mm->queued;
	d->batch_done = 0;
	d->batch_err = -EIO;	/* stays if the stub never reports */

	skas_stats.batches++;
	skas_stats.batch_entries += mm->queued;
	batch_regs[HOST_R15] = mm->secret;
	if (ptrace(PTRACE_SETREGS, mm->pid, 0, batch_regs))
		err = -errno;
	else
		err = stub_resume_until_trap(mm->pid, 0);
	if (err == -ECHILD)
		skas_stub_reaped(mm);	/* it exited, and the wait reaped it */

	if (!err && d->batch_done < (unsigned int)mm->queued)
		err = batch_failure(mm, d, mm->queued);
	mm->queued = 0;
	return err;
}

int syscall_stub_flush(struct mm_id *mm)
{
	int err = mm->failed;

	mm->failed = 0;
	if (mm->queued) {
		int ran = batch_run(mm);

		if (!err)
			err = ran;
	}
	return err;
}

/*
 * The register layout the stub's resume entry restores is the host's
 * struct user_regs_struct: stub-data.h names the slots it uses.
 */
_Static_assert(HOST_R15 == STUB_RR_R15 && HOST_AX == STUB_RR_RAX &&
	      HOST_DI == STUB_RR_RDI && HOST_IP == STUB_RR_RIP &&
	      HOST_EFLAGS == STUB_RR_EFLAGS && HOST_SP == STUB_RR_RSP &&
	      HOST_FS_BASE == STUB_RR_FS_BASE && HOST_GS_BASE == STUB_RR_GS_BASE &&
	      MAX_REG_NR >= STUB_RESUME_REGS, "stub resume register layout");

#define X86_EFLAGS_TF	0x100
#define X86_EFLAGS_DF	0x400
#define X86_EFLAGS_AC	0x40000
#define USER64_CS	0x33
#define USER_DS		0x2b

/*
 * After the resume entry guest code runs under PTRACE_CONT, and its system
 * calls reach us through the stub's seccomp filter.  A filter the host put
 * on the kernel itself (a container's) is stacked on every backing process
 * too, and where it refuses a call (EPERM) that wins over the stub's
 * SECCOMP_RET_TRACE: the guest would get the host's refusal instead of its
 * own kernel.  So under a host filter no batch rides on the resume entry,
 * and every guest syscall stops under PTRACE_SYSEMU, before any filter;
 * the entry only loads segment bases there, with no batch and itself
 * under PTRACE_SYSEMU.
 */
static int resume_entry_usable = 1;

void skas_batch_resume_disable(void)
{
	resume_entry_usable = 0;
}

/*
 * A segment base the host's PTRACE_SETREGS refuses: at or above its
 * TASK_SIZE_MAX.  Guest code can set one (wrgsbase runs on the host
 * CPU); only the stub's resume entry can give it back (wrgsbase again).
 */
#define HOST_TASK_SIZE_MAX	((1UL << 47) - 4096)

int skas_bases_need_stub(const unsigned long *guest)
{
	if (guest[HOST_FS_BASE] < HOST_TASK_SIZE_MAX &&
	    guest[HOST_GS_BASE] < HOST_TASK_SIZE_MAX)
		return 0;
	return skas_cpu_has_fsgsbase();
}

/*
 * Can the queued batch ride on the guest's own resume?  The stub's resume
 * entry runs it and then restores the guest registers itself, so the
 * guest must be in 64-bit code on the usual stack segment (the stub's
 * jump loads neither; a stack segment a sigreturn made bad must fault
 * at the guest's %rip, not in the stub) and not single-stepping (popfq
 * would trap inside the stub).  It also takes the guest back with bases
 * the host will not set, with or without a batch.
 */
int skas_batch_can_resume(struct mm_id *mm, const unsigned long *guest)
{
	if (mm->queued && !resume_entry_usable)
		return 0;
	return !mm->fast && !mm->failed &&
	       (mm->queued || skas_bases_need_stub(guest)) &&
	       guest[HOST_CS] == USER64_CS && guest[HOST_SS] == USER_DS &&
	       !(guest[HOST_EFLAGS] & X86_EFLAGS_TF);
}

/*
 * Hand the queued batch to the stub's resume entry: entry gets the
 * registers to start it with, stub_data the guest's to end with.  The
 * guest's segment bases stay as they are (the stub does not use them),
 * but for those PTRACE_SETREGS refuses, which the stub loads itself.
 */
void skas_batch_prepare_resume(struct mm_id *mm, const unsigned long *guest,
			       unsigned long *entry)
{
	struct stub_data *d = batch_page(mm);

	d->batch_len = mm->queued;
	d->batch_done = 0;
	d->batch_err = -EIO;	/* stays if the stub never reports */
	if (mm->queued) {
		skas_stats.batches++;
		skas_stats.batch_entries += mm->queued;
	}
	memcpy(d->resume_regs, guest, sizeof(d->resume_regs));
	mm->resume_queued = mm->queued;
	d->resume_bases = skas_bases_need_stub(guest);

	memcpy(entry, guest, MAX_REG_NR * sizeof(long));
	if (d->resume_bases)
		entry[HOST_FS_BASE] = entry[HOST_GS_BASE] = 0;
	entry[HOST_IP] = STUB_CODE + STUB_ENTRY_RESUME;
	entry[HOST_SP] = STUB_DATA + STUB_STACK_PAGE + STUB_PAGE_BYTES - sizeof(long);
	entry[HOST_DI] = STUB_DATA;
	entry[HOST_R15] = mm->secret;
	entry[HOST_EFLAGS] &= ~(X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_AC);

	mm->queued = 0;
}

/*
 * The stub trapped back from its resume entry instead of going on to guest
 * code: an entry failed.  Its error is kept for the next sync, which
 * decides (guest_sync_host()).
 */
void skas_batch_resume_failed(struct mm_id *mm)
{
	int err = batch_failure(mm, batch_page(mm), mm->resume_queued);

	if (!mm->failed)
		mm->failed = err;
}

/* The resume entry ran its batch whole: mapping works again. */
void skas_batch_resumed(struct mm_id *mm)
{
	mm->evicted = 0;
}

/* A free batch slot, running the batch first when it is full. */
static struct stub_batch_entry *batch_slot(struct mm_id *mm)
{
	if (mm->queued == batch_capacity(mm)) {
		int err = batch_run(mm);

		if (err && !mm->failed)
			mm->failed = err;
	}
	return &batch_entries(mm)[mm->queued++];
}

/*
 * Queue one operation, or extend the last entry when this one continues
 * it: same operation and protection, starting where it ends (and for mmap,
 * at the matching file offset).
 */
static void batch_queue(struct mm_id *mm, unsigned int op, unsigned long addr,
			unsigned long len, int prot, unsigned long offset)
{
	struct stub_batch_entry *e = NULL;

	if (mm->queued)
		e = &batch_entries(mm)[mm->queued - 1];
	if (e && e->op == op && e->addr + e->len == addr && e->prot == prot &&
	    (op != STUB_OP_MMAP || e->offset + e->len == offset)) {
		e->len += len;
		return;
	}
	*batch_slot(mm) = (struct stub_batch_entry) {
		.op = op, .prot = prot, .addr = addr, .len = len,
		.offset = offset,
	};
}

int map(struct mm_id *mm, unsigned long virt, unsigned long len, int prot,
	int phys_fd, unsigned long long offset)
{
	/* The backing process holds the physical-memory file and nothing else. */
	if (phys_fd != skas_physmem_fd)
		return -EINVAL;
	batch_queue(mm, STUB_OP_MMAP, virt, len, prot, offset);
	return 0;
}

int unmap(struct mm_id *mm, unsigned long addr, unsigned long len)
{
	batch_queue(mm, STUB_OP_MUNMAP, addr, len, 0, 0);
	return 0;
}

int protect(struct mm_id *mm, unsigned long addr, unsigned long len,
	    unsigned int prot)
{
	batch_queue(mm, STUB_OP_MPROTECT, addr, len, prot, 0);
	return 0;
}
