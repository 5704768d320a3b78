/* SPDX-License-Identifier: GPL-2.0 */
/* skas0: helpers shared by the two host-side files of the stub driver. */
#ifndef __SKAS0_STUB_HOST_H
#define __SKAS0_STUB_HOST_H

/* The physical-memory file as the kernel opened it, or -1 before boot. */
extern int skas_physmem_fd;

int stub_resume_until_trap(int pid, int inject_sig);

#endif
