/* SPDX-License-Identifier: GPL-2.0 */
/* skas0: helpers shared by the two host-side files of the stub driver. */
#ifndef __SKAS0_STUB_HOST_H
#define __SKAS0_STUB_HOST_H

/* The physical-memory file as the kernel opened it, or -1 before boot. */
extern int skas_physmem_fd;

int stub_resume_until_trap(int pid, int inject_sig);

struct mm_id;
int skas_batch_can_resume(struct mm_id *mm, const unsigned long *guest);
void skas_batch_prepare_resume(struct mm_id *mm, const unsigned long *guest,
			       unsigned long *entry);
void skas_batch_resume_failed(struct mm_id *mm);

#endif
