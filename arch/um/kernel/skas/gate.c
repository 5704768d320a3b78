// SPDX-License-Identifier: GPL-2.0
/*
 * skas0: the host's vsyscall page, in the guest's view of its own memory.
 *
 * Every backing process has the host's [vsyscall] page at
 * 0xffffffffff600000: the host puts it into each 64-bit process, with the
 * same permissions, and it cannot be unmapped.  A call into it reaches
 * the guest kernel (handle_vsyscall()), a read does what the host's page
 * allows.  So /proc/PID/maps, smaps and core dumps list it as x86-64 Linux
 * lists its own, as a gate VMA with the host's permissions ("--xp" for
 * vsyscall=xonly, "r-xp" for emulate), and not at all when the host has
 * none (vsyscall=none).
 *
 * Only the listing: in_gate_area() stays false, so get_user_pages() and
 * what builds on it (ptrace peeks, /proc/PID/mem, core dump contents)
 * find nothing there.  There is no guest page behind it to hand out.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <skas.h>

#define SKAS0_VSYSCALL_ADDR	0xffffffffff600000UL

static const char *vsyscall_name(struct vm_area_struct *vma)
{
	return "[vsyscall]";
}

static const struct vm_operations_struct vsyscall_ops = {
	.name = vsyscall_name,
};

static struct vm_area_struct vsyscall_vma = {
	.vm_start	= SKAS0_VSYSCALL_ADDR,
	.vm_end		= SKAS0_VSYSCALL_ADDR + PAGE_SIZE,
	.vm_ops		= &vsyscall_ops,
};
static bool host_has_vsyscall;

static int __init vsyscall_vma_setup(void)
{
	int prot = skas_host_vsyscall_prot();
	vm_flags_t flags = 0;

	if (prot < 0)
		return 0;
	if (prot & SKAS_PROT_READ)
		flags |= VM_READ;
	if (prot & SKAS_PROT_EXEC)
		flags |= VM_EXEC;
	vm_flags_init(&vsyscall_vma, flags);
	vsyscall_vma.vm_page_prot = vm_get_page_prot(flags);
	host_has_vsyscall = true;
	return 0;
}
core_initcall(vsyscall_vma_setup);

struct vm_area_struct *get_gate_vma(struct mm_struct *mm)
{
	return host_has_vsyscall ? &vsyscall_vma : NULL;
}

int in_gate_area_no_mm(unsigned long addr)
{
	return 0;
}

int in_gate_area(struct mm_struct *mm, unsigned long addr)
{
	return 0;
}
