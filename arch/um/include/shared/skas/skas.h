/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skas0: the interface between the kernel half (arch/um/kernel/skas) and
 * the host half (arch/um/os-Linux/skas) of the separate-address-space layer.
 */
#ifndef __SKAS_H
#define __SKAS_H

#include <sysdep/ptrace.h>

struct mm_id;

/* host pid backing the address space now running, per CPU */
extern int userspace_pid[];

/* kernel half, for the run loop and the probes */
void handle_syscall(struct uml_pt_regs *regs);
struct mm_id *current_mm_id(void);
unsigned long current_stub_stack(void);	/* kernel address of stub_data */
void current_mm_sync(void);
void skas_host_process_lost(void) __attribute__((noreturn));
void new_thread_handler(void);
void skas_stub_install(int physmem_fd);

/* what a guest page fault was, as far as the host's siginfo tells */
enum { SKAS_FAULT_ASK, SKAS_FAULT_READ, SKAS_FAULT_WRITE };
int skas_fault_access(unsigned long addr, int host_mapped);
void skas_fault_around(unsigned long addr);
void skas_host_cache_evict(void);
extern const char skas0_stub_code[], skas0_stub_elf[], skas0_stub_elf_end[];

/* host half: backing processes */
extern int skas_stub_image_load(const void *elf, unsigned long len,
				const char *dir);
extern const char *skas_stub_image_kind(void);
extern int skas_stub_spawn_raw(int physmem_fd, unsigned long long code_offset,
			       unsigned long long data_offset,
			       unsigned long code_addr, unsigned long secret);
extern int skas_stub_spawn(unsigned long long data_offset,
			   unsigned long secret);
extern void skas_stub_set_physmem(int fd, unsigned long long code_offset);
extern const char *skas_stub_exit_reason(int code);

/* host CPU placement: see arch/um/os-Linux/skas/cpu.c */
extern void skas_cpu_follow(struct mm_id *mm);
extern int skas_cpu_inherited(void);

/* lazy FP: make regs->fp current before kernel code reads or writes it */
extern void skas_fp_sync(struct uml_pt_regs *regs);

/* host probes */
extern char *skas_probe_uml_dir(const char *configured);

#endif
