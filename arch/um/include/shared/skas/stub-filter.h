/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skas0: the seccomp filters of a backing process, which the host side
 * writes into its data page 2 before the stub installs them
 * (arch/um/os-Linux/skas/filter.c).  Also built into tests/host.
 */
#ifndef __SKAS0_STUB_FILTER_H
#define __SKAS0_STUB_FILTER_H

struct stub_fast_init;

void skas_filters_write(struct stub_fast_init *fi, int fast,
			unsigned long secret, unsigned long code);

#endif
