/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skas0: the interface between the kernel half (arch/um/kernel/skas) and
 * the host half (arch/um/os-Linux/skas) of the separate-address-space layer.
 */
#ifndef __SKAS_H
#define __SKAS_H

#include <sysdep/ptrace.h>

struct mm_id;
struct task_struct;

/* host pid backing the address space now running, per CPU */
extern int userspace_pid[];

/* kernel half, for the run loop and the probes */
void handle_syscall(struct uml_pt_regs *regs);
void handle_vsyscall(struct uml_pt_regs *regs, int nr);
void skas_refuse_32bit_syscall(struct uml_pt_regs *regs);
void skas_i386_syscall(struct uml_pt_regs *regs);
struct siginfo;
void skas_guest_trap(struct siginfo *si, struct uml_pt_regs *regs);
struct mm_id *current_mm_id(void);
char *skas_embedded_root_arg(int argc, char **argv);
void current_mm_sync(void);
void skas_host_process_lost(int pid) __attribute__((noreturn));
int skas_guest_peek(unsigned long uaddr, void *buf, unsigned long len);
/* a task's FXSAVE image (512 bytes), as debuggers and core dumps see it */
void skas_task_fp_get_i387(struct task_struct *t, void *fxsave);
void skas_task_fp_set_i387(struct task_struct *t, const void *fxsave);
void new_thread_handler(void);
void skas_stub_install(int physmem_fd);

/* what a guest page fault was, as far as the host's siginfo tells */
enum { SKAS_FAULT_ASK, SKAS_FAULT_READ, SKAS_FAULT_WRITE };
int skas_fault_access(unsigned long addr, unsigned long ip, int host_mapped);
int skas_exec_refused(struct uml_pt_regs *regs);
void skas_fault_around(unsigned long addr);
void skas_pkey_fault(struct uml_pt_regs *regs, int pkey);
void skas_host_cache_evict(void);
extern const char skas0_stub_code[], skas0_stub_elf[], skas0_stub_elf_end[];

/* host half: backing processes */
extern int skas_stub_image_load(const void *elf, unsigned long len,
				const char *dir);
extern const char *skas_stub_image_kind(void);
extern int skas_stub_spawn_raw(int physmem_fd, unsigned long long code_offset,
			       unsigned long long data_offset,
			       unsigned long code_addr, unsigned long secret,
			       void *data, unsigned long long done_offset);
extern int skas_stub_spawn(unsigned long long data_offset,
			   unsigned long secret, void *data,
			   unsigned long long done_offset);
extern void skas_stub_set_physmem(int fd, unsigned long long code_offset);
extern const char *skas_stub_exit_reason(int code);
/* the only ways a backing process ends: see arch/um/os-Linux/skas/spawn.c */
extern void skas_stub_kill(struct mm_id *mm);
extern void skas_stub_reaped(struct mm_id *mm);
extern void skas_stub_interrupt(struct mm_id *mm);

/* no batch on the guest's resume: the host filters our syscalls (mem.c) */
extern void skas_batch_resume_disable(void);

/* fast mode: see arch/um/os-Linux/skas/fast.c */
extern int skas_fast_enabled;
extern const char *skas_fast_choice(int *want_fast);
extern void skas_fast_prepare(void *data);
extern int skas_fast_run_batch(struct mm_id *mm, int n, unsigned int *done_count);
extern int skas_fast_enter(struct mm_id *mm, struct uml_pt_regs *regs,
			   unsigned long *fpstate_live);
extern void skas_fast_entered(struct mm_id *mm);
extern int skas_fast_wait(struct mm_id *mm, struct uml_pt_regs *regs,
			  void *si, unsigned long *fpstate);
extern void skas_fast_preempt(struct mm_id *mm);
extern void skas_fast_watch(struct mm_id *mm);
extern void skas_fast_unwatch(struct mm_id *mm);
extern void skas_fast_watchdog(void);
extern void skas_fast_fp_get(unsigned long fpstate, struct uml_pt_regs *regs);
struct mm_struct;
extern void skas_tlb_flushed(struct mm_struct *mm);

/*
 * What the layer did, for /proc/skas0 and make bench: round trips by
 * cause, the batches and their entries, evictions, and in fast mode the
 * hand-offs that found the other side spinning against those that slept.
 */
struct skas_stats {
	unsigned long watchdog_kills;	/* fast mode: ran while handed off */
	unsigned long syscalls, faults, signals, preemptions, batches,
		      batch_entries, evictions, spun_handoffs, slept_handoffs,
		      batch_releases;	/* batches that released the guest */
	unsigned long ticks, guest_ticks;	/* the timer's; in guest code */
};
extern struct skas_stats skas_stats;

/* host CPU placement: see arch/um/os-Linux/skas/cpu.c */
extern void skas_cpu_follow(struct mm_id *mm);
extern void skas_cpu_unpin_self(void);
extern void skas_cpu_fast_placement(void);
extern int skas_cpu_inherited(void);

/* lazy FP: make regs->fp current before kernel code reads or writes it */
extern void skas_fp_sync(struct uml_pt_regs *regs);
/* ... and after regs->fp was reset (exec), drop what the host still holds */
extern void skas_fp_forget(struct uml_pt_regs *regs);
/* bytes of XSAVE state the host hands out; 0 if it has none */
extern unsigned int skas_fp_xstate_bytes(void);
extern int skas_tick_in_guest(void);

/* host probes */
extern char *skas_probe_uml_dir(const char *configured);
/*
 * The host's [vsyscall] page, which every backing process has: what it
 * lets guest code do (SKAS_PROT_*), -1 if the host has none (gate.c)
 */
#define SKAS_PROT_READ	1
#define SKAS_PROT_EXEC	4
extern int skas_host_vsyscall_prot(void);

#endif
