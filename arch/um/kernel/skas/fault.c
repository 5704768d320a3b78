// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: what a guest page fault was, and the host mapping
 * cache.
 *
 * A backing process's host mappings mirror the guest page tables: a page
 * is mapped readable when its PTE is present, young and readable,
 * writable only when it is dirty as well, and executable only when its
 * mapping has VM_EXEC (arch/um/kernel/tlb.c, patches/0014).
 */
#include <linux/mm.h>
#include <linux/pagewalk.h>
#include <linux/sched.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <as-layout.h>
#include <os.h>
#include <skas.h>

#define X86_INSN_MAX_BYTES	15

static bool host_maps_readable(struct mm_struct *mm, unsigned long addr)
{
	pte_t *pte = virt_to_pte(mm, addr);

	return pte && pte_present(*pte) && pte_young(*pte) && pte_read(*pte);
}

/*
 * The host's siginfo for a guest page fault gives the address and whether
 * a host mapping was there, not whether the access was a write.  Asking
 * the stub's SIGSEGV handler costs a round trip to the backing process and
 * its FPU state, so work it out here where the answer is certain or where
 * a wrong guess only costs time:
 *  - refused on a page the host maps readable: a write, or an instruction
 *    fetch (the host maps no-exec guest pages without PROT_EXEC,
 *    patches/0014); where it may be a fetch, at most 15 bytes past the
 *    instruction pointer, ask the stub;
 *  - in a private writable mapping: taken as a write.  The page is made
 *    private and dirty one access early at worst; a write, the common
 *    first touch of such memory, is served in one fault instead of two;
 *  - in a mapping that can be read: taken as a read.  If it was a write
 *    it faults again, on a readable page, and is known then;
 *  - anything else ends in a signal, whose frame must report the access
 *    exactly: ask the stub.
 */
int skas_fault_access(unsigned long addr, unsigned long ip, int host_mapped)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long flags;
	int access = SKAS_FAULT_ASK;

	if (!mm || addr >= TASK_SIZE)
		return SKAS_FAULT_ASK;

	mmap_read_lock(mm);
	if (host_mapped && host_maps_readable(mm, addr)) {
		if (addr - ip >= X86_INSN_MAX_BYTES)
			access = SKAS_FAULT_WRITE;
		goto out;
	}
	vma = find_vma(mm, addr);
	if (!vma || (addr < vma->vm_start && !(vma->vm_flags & VM_GROWSDOWN)))
		goto out;
	flags = vma->vm_flags;
	if ((flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		access = SKAS_FAULT_WRITE;
	else if (flags & (VM_READ | VM_EXEC))
		access = SKAS_FAULT_READ;
out:
	mmap_read_unlock(mm);
	return access;
}

/*
 * An instruction fetch the host refused, in a mapping without VM_EXEC:
 * SIGSEGV, SEGV_ACCERR, as on x86.  In a mapping with VM_EXEC it is an
 * ordinary fault (the page was not yet mapped, or not yet accessed).
 */
int skas_exec_refused(struct uml_pt_regs *regs)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr = regs->faultinfo.cr2;
	struct vm_area_struct *vma;
	bool refused;

	if (!mm || addr >= TASK_SIZE)
		return 0;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	refused = vma && !(vma->vm_flags & VM_EXEC);
	mmap_read_unlock(mm);
	if (!refused)
		return 0;
	current->thread.arch.faultinfo = regs->faultinfo;
	force_sig_fault(SIGSEGV, SEGV_ACCERR, (void __user *)addr);
	return 1;
}

/*
 * After a fault, map what the guest kernel has made present around it.
 * Read faults on files fill a whole block of page table entries at once
 * (fault_around_bytes); without this the host would see them only as one
 * fault each.  Only entries that changed since the last sync are mapped,
 * so the wider range costs nothing where nothing is new.
 */
#define FAULT_AROUND_BYTES	(64UL << 10)

void skas_fault_around(unsigned long addr)
{
	unsigned long start = addr & ~(FAULT_AROUND_BYTES - 1);

	if (!current->mm || addr >= TASK_SIZE)
		return;
	um_tlb_mark_sync(current->mm, start,
			 min(start + FAULT_AROUND_BYTES, (unsigned long)TASK_SIZE));
}

static int evict_pte(pte_t *pte, unsigned long addr, unsigned long next,
		     struct mm_walk *walk)
{
	if (pte_present(*pte))
		*pte = pte_mknewpage(*pte);
	return 0;
}

static const struct mm_walk_ops evict_ops = {
	.pte_entry = evict_pte,
	.walk_lock = PGWALK_RDLOCK,
};

/*
 * The host refused a mapping (vm.max_map_count, or no memory for its
 * bookkeeping).  Host mappings are only a cache of the guest page tables:
 * drop them all, and mark every present page so that the fault that
 * brings it back maps it again.  What the process touches next returns
 * one page at a time.
 */
void skas_host_cache_evict(void)
{
	struct mm_struct *mm = current->mm;

	mmap_read_lock(mm);
	walk_page_range(mm, 0, TASK_SIZE, &evict_ops, NULL);
	mmap_read_unlock(mm);
	unmap(&mm->context.id, 0, STUB_START);
}

/*
 * A flush of mm's host mappings (patches/0012).  In ptrace mode the process
 * cannot run before its next sync, so the flush waits for that.  In fast
 * mode guest code may be running while the kernel believes it parked (a
 * forged hand-off), so what the flush removed is removed on the host now,
 * through the trusted thread, before the kernel frees or reuses a page.
 * An address space on its way out has its host process ended instead.
 */
void skas_tlb_flushed(struct mm_struct *mm)
{
	struct mm_id *id = &mm->context.id;
	int err;

	if (mm == &init_mm || !id->fast || id->pid <= 1)
		return;
	if (!atomic_read(&mm->mm_users)) {
		skas_stub_kill(id);
		return;
	}
	um_tlb_sync(mm);
	err = syscall_stub_flush(id);
	if (err && !id->failed)
		id->failed = err;
}

/*
 * A fault protection key 0 refused (SEGV_PKUERR).  The guest thread runs
 * on the host CPU, so WRPKRU in guest code sets its real PKRU; UML's page
 * tables know no keys, and the fault would be retried for ever as one the
 * page tables allow.  Deliver it as x86 Linux does:
 * SIGSEGV, SEGV_PKUERR, with the key.
 */
void skas_pkey_fault(struct uml_pt_regs *regs, int pkey)
{
	current->thread.arch.faultinfo = regs->faultinfo;
	force_sig_pkuerr((void __user *)regs->faultinfo.cr2, pkey);
}
