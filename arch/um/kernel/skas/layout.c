// SPDX-License-Identifier: GPL-2.0
/*
 * skas0: where mmap() puts a guest's new area when it names none, as on
 * x86-64.  The generic allocators of mm/mmap.c place it, top-down below
 * the stack (patches/0020); what x86-64 adds is MAP_32BIT, which UML
 * ignored: an area in the second GiB, [1 GiB, 2 GiB), searched upwards
 * from a base up to 32 MiB in, at random.  JITs and the stacks of 32-bit
 * code need it.  UML's old bottom-up layout, which began at 1 GiB, put
 * such areas there only while the second GiB had room.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/security.h>

#ifndef MAP_32BIT
#define MAP_32BIT	0x40	/* arch/x86/include/uapi/asm/mman.h */
#endif

#define LOW_AREA_START	0x40000000UL
#define LOW_AREA_END	0x80000000UL
#define LOW_AREA_RANDOM	0x02000000UL

/* A free area for MAP_32BIT, or -ENOMEM. */
static unsigned long low_area(unsigned long addr, unsigned long len,
			      unsigned long flags)
{
	struct vm_unmapped_area_info info = {};
	struct vm_area_struct *vma;

	if (len > LOW_AREA_END - LOW_AREA_START)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		return addr;
	/* a hint is taken where it is free and ends below 2 GiB */
	if (addr) {
		addr = PAGE_ALIGN(addr);
		vma = find_vma(current->mm, addr);
		if (addr >= mmap_min_addr && addr <= LOW_AREA_END - len &&
		    (!vma || addr + len <= vm_start_gap(vma)))
			return addr;
	}
	info.length = len;
	info.low_limit = LOW_AREA_START;
	if (current->flags & PF_RANDOMIZE)
		info.low_limit = randomize_page(LOW_AREA_START, LOW_AREA_RANDOM);
	info.high_limit = LOW_AREA_END;
	return vm_unmapped_area(&info);
}

unsigned long arch_get_unmapped_area(struct file *filp, unsigned long addr,
				     unsigned long len, unsigned long pgoff,
				     unsigned long flags, vm_flags_t vm_flags)
{
	if (flags & MAP_32BIT)
		return low_area(addr, len, flags);
	return generic_get_unmapped_area(filp, addr, len, pgoff, flags,
					 vm_flags);
}

unsigned long arch_get_unmapped_area_topdown(struct file *filp,
					     unsigned long addr,
					     unsigned long len,
					     unsigned long pgoff,
					     unsigned long flags,
					     vm_flags_t vm_flags)
{
	if (flags & MAP_32BIT)
		return low_area(addr, len, flags);
	return generic_get_unmapped_area_topdown(filp, addr, len, pgoff,
						 flags, vm_flags);
}
