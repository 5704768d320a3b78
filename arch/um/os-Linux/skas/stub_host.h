/* SPDX-License-Identifier: GPL-2.0 */
/* skas0: what the host-side files of the stub driver share. */
#ifndef __SKAS0_STUB_HOST_H
#define __SKAS0_STUB_HOST_H

struct mm_id;

/* image.c: the stub executable, or -1 before boot */
extern int skas_stub_image_fd;

/* spawn.c: the physical-memory file as the kernel opened it, or -1 */
extern int skas_physmem_fd;
int stub_wait_stop(int pid, int *status);
int stub_resume_until_trap(int pid, int inject_sig);
#define STUB_STOPS_MAX	100000	/* stops on the way through one stub entry */

/* mem.c: the batch queue */
int skas_batch_can_resume(struct mm_id *mm, const unsigned long *guest);
void skas_batch_prepare_resume(struct mm_id *mm, const unsigned long *guest,
			       unsigned long *entry);
void skas_batch_resume_failed(struct mm_id *mm);
void skas_batch_resumed(struct mm_id *mm);
/* ... and a segment base PTRACE_SETREGS refuses, which only the stub sets */
int skas_bases_need_stub(const unsigned long *guest);

/* run.c: may a message a guest can cause be printed now? */
int skas_report_allowed(void);
/* cpu.c: does the host let user code run rd/wr{fs,gs}base? */
int skas_cpu_has_fsgsbase(void);
/* run.c: null selectors as the host's PTRACE_SETREGS takes them */
void skas_null_selectors(unsigned long *gp);

#endif
