// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: the processes that back guest address spaces, and the
 * loop that runs guest code in them.
 *
 * A backing process is born from execveat() of the stub image, so it
 * shares nothing with the kernel process: no memory, no descriptors but
 * the physical-memory file, no signal handlers, no environment.  After
 * that it only ever runs because we resumed it under ptrace:
 *  - PTRACE_SYSEMU runs guest code; every guest syscall stops it;
 *  - PTRACE_CONT at a stub entry point runs a batch of address-space
 *    changes, or lets the SIGSEGV handler record a fault; the stub then
 *    stops itself with int3 and we put the guest registers back.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/threads.h>
#include <as-layout.h>
#include <init.h>
#include <kern_util.h>
#include <longjmp.h>
#include <mm_id.h>
#include <os.h>
#include <ptrace_user.h>
#include <registers.h>
#include <skas.h>
#include <stub-data.h>
#include <sysdep/ptrace.h>
#include <timetravel.h>
#include "stub_host.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x1U
#endif

int userspace_pid[NR_CPUS];
int skas_physmem_fd = -1;
static unsigned long long skas_code_offset;

/* ---------------------------------------------------------------- image */

/* Descriptor of the stub executable, kept read-only so exec accepts it. */
static int stub_image_fd = -1;
static const char *stub_image_where = "nowhere";

static int write_whole(int fd, const char *buf, unsigned long len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * exec refuses a file that is open for writing (ETXTBSY), so the image is
 * written through one descriptor and kept through a read-only one, placed
 * high so it never collides with the descriptors a child rearranges.
 */
static int keep_readonly(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int high;

	if (fd < 0)
		return -errno;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	close(fd);
	return high < 0 ? -errno : high;
}

static int image_from_memfd(const void *elf, unsigned long len)
{
	char path[64];
	int fd, ro, err;

	fd = syscall(SYS_memfd_create, "skas0-stub", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = write_whole(fd, elf, len);
	if (err)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = keep_readonly(path);
	err = ro < 0 ? ro : 0;
	if (!err)
		stub_image_fd = ro;
out:
	close(fd);
	return err;
}

static int image_from_dir(const char *dir, const void *elf, unsigned long len)
{
	char path[512];
	int fd, ro, err;

	if (snprintf(path, sizeof(path), "%s/skas0-stub-XXXXXX", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	err = write_whole(fd, elf, len);
	if (!err && fchmod(fd, 0500))
		err = -errno;
	close(fd);
	ro = err ? err : keep_readonly(path);
	unlink(path);
	if (ro < 0)
		return ro;
	stub_image_fd = ro;
	return 0;
}

/* Load the stub executable from memory into a memfd (dir == NULL) or dir. */
int skas_stub_image_load(const void *elf, unsigned long len, const char *dir)
{
	int err;

	if (stub_image_fd >= 0) {
		close(stub_image_fd);
		stub_image_fd = -1;
	}
	err = dir ? image_from_dir(dir, elf, len) : image_from_memfd(elf, len);
	if (!err)
		stub_image_where = dir ? dir : "memfd";
	return err;
}

const char *skas_stub_image_kind(void)
{
	return stub_image_where;
}

const char *skas_stub_exit_reason(int code)
{
	switch (code) {
	case STUB_EXIT_MAP_CODE:
		return "the stub could not map its code page from the physical-memory file";
	case STUB_EXIT_MAP_DATA:
		return "the stub could not map its data pages from the physical-memory file";
	case STUB_EXIT_UNMAP:
		return "the stub could not clear its address space";
	case STUB_EXIT_SIGNALS:
		return "the stub could not install its SIGSEGV handler";
	case STUB_EXIT_SECCOMP:
		return "the stub could not install its seccomp filter (host kernel needs CONFIG_SECCOMP_FILTER)";
	case STUB_EXIT_EXEC:
		return "execveat() of the stub image failed";
	}
	return "the stub process died during setup";
}

/* ---------------------------------------------------------------- spawn */

/* The child borrows the kernel's memory until it execs (CLONE_VM). */
static char spawn_stack[16384] __attribute__((aligned(16)));

struct spawn_request {
	int physmem_fd;
	int image_fd;
};

#define SPAWN_IMAGE_FD	(STUB_PHYSMEM_FD + 1)

static void spawn_close_others(void)
{
	int fd;

	if (syscall(SYS_close_range, 0, STUB_PHYSMEM_FD - 1, 0) == 0 &&
	    syscall(SYS_close_range, SPAWN_IMAGE_FD + 1, ~0U, 0) == 0)
		return;
	/* hosts before 5.9 */
	for (fd = 0; fd < 65536; fd++)
		if (fd != STUB_PHYSMEM_FD && fd != SPAWN_IMAGE_FD)
			syscall(SYS_close, fd);
}

/* Runs in the child, in the kernel's memory: system calls only. */
static int spawn_child(void *arg)
{
	struct spawn_request *req = arg;
	char *const nothing[] = { NULL };
	unsigned long no_signals = 0;

	syscall(SYS_setsid);
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	if (req->physmem_fd == STUB_PHYSMEM_FD)
		syscall(SYS_fcntl, STUB_PHYSMEM_FD, F_SETFD, 0);
	else if (syscall(SYS_dup3, req->physmem_fd, STUB_PHYSMEM_FD, 0) < 0)
		syscall(SYS_exit_group, STUB_EXIT_EXEC);
	if (syscall(SYS_dup3, req->image_fd, SPAWN_IMAGE_FD, O_CLOEXEC) < 0)
		syscall(SYS_exit_group, STUB_EXIT_EXEC);
	spawn_close_others();

	/*
	 * The parent blocked every signal for us; exec keeps the mask, and
	 * a blocked SIGTRAP would skip the post-exec stop.  Handlers are
	 * reset by exec, and nothing on the host signals this new session.
	 */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &no_signals, NULL, 8);
	if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) == 0)
		syscall(SYS_execveat, SPAWN_IMAGE_FD, "", nothing, nothing,
			AT_EMPTY_PATH);
	syscall(SYS_exit_group, STUB_EXIT_EXEC);
	return 0;
}

/* Wait for a stop; the stop signal (0x80 set for syscalls), or -errno. */
static int stub_wait_stop(int pid, int *status)
{
	int n;

	do {
		n = waitpid(pid, status, __WALL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!WIFSTOPPED(*status))
		return -ESRCH;
	return WSTOPSIG(*status);
}

/*
 * Resume the stub (delivering inject_sig) until it traps back with int3.
 * Host signals that were only meant to interrupt guest code, such as the
 * timer's SIGALRM, are swallowed on the way.
 */
int stub_resume_until_trap(int pid, int inject_sig)
{
	int sig, status;

	if (ptrace(PTRACE_CONT, pid, 0, inject_sig))
		return -errno;
	for (;;) {
		sig = stub_wait_stop(pid, &status);
		if (sig == SIGTRAP)
			return 0;
		if (sig < 0)
			return sig;
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
		    sig == SIGFPE)
			return -EFAULT;
		if (ptrace(PTRACE_CONT, pid, 0, 0))
			return -errno;
	}
}

static int spawn_finish_setup(int pid, unsigned long long code_offset,
			      unsigned long long data_offset,
			      unsigned long code_addr, unsigned long secret)
{
	unsigned long regs[MAX_REG_NR];
	int status, sig;

	sig = stub_wait_stop(pid, &status);
	if (sig != SIGTRAP)
		goto died;

	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP |
		   PTRACE_O_EXITKILL) ||
	    ptrace(PTRACE_GETREGS, pid, 0, regs))
		return -errno;
	regs[HOST_DI] = code_addr;
	regs[HOST_SI] = code_offset;
	regs[HOST_DX] = data_offset;
	regs[HOST_R15] = secret;
	if (ptrace(PTRACE_SETREGS, pid, 0, regs))
		return -errno;

	sig = stub_resume_until_trap(pid, 0);
	if (sig == -ESRCH)
		goto died;
	if (sig)
		return sig;
	if (ptrace(PTRACE_GETREGS, pid, 0, regs))
		return -errno;
	if (regs[HOST_IP] - code_addr >= STUB_PAGE_BYTES)
		return -EFAULT;
	return 0;

died:
	if (WIFEXITED(status))
		os_warn("skas0: %s (stub exit status %d)\n",
			skas_stub_exit_reason(WEXITSTATUS(status)),
			WEXITSTATUS(status));
	else
		os_warn("skas0: the stub process died during setup (status 0x%x)\n",
			status);
	return -ECHILD;
}

/*
 * Start a backing process whose stub maps its code page and data pages
 * from physmem_fd at the given offsets, at code_addr and above.
 * Returns the host pid, stopped and ready, or -errno.
 */
int skas_stub_spawn_raw(int physmem_fd, unsigned long long code_offset,
			unsigned long long data_offset, unsigned long code_addr,
			unsigned long secret)
{
	struct spawn_request req = { physmem_fd, stub_image_fd };
	sigset_t all, saved;
	int pid, err;

	if (stub_image_fd < 0 || physmem_fd < 0)
		return -ENOEXEC;

	/* No host signal handler may run in the child while it shares our memory. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = clone(spawn_child, spawn_stack + sizeof(spawn_stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &req);
	err = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (err)
		return err;

	err = spawn_finish_setup(pid, code_offset, data_offset, code_addr,
				 secret);
	if (err) {
		os_kill_ptraced_process(pid, 1);
		return err;
	}
	return pid;
}

void skas_stub_set_physmem(int fd, unsigned long long code_offset)
{
	skas_physmem_fd = fd;
	skas_code_offset = code_offset;
}

int skas_stub_spawn(unsigned long long data_offset, unsigned long secret)
{
	return skas_stub_spawn_raw(skas_physmem_fd, skas_code_offset,
				   data_offset, STUB_CODE, secret);
}

/* ------------------------------------------------------------ run loop */

int is_skas_winch(int pid, int fd, void *data)
{
	return pid == getpgrp();
}

/*
 * The guest cannot go on.  If its host process died, the task dies as by
 * SIGKILL; if the process is alive but refuses what the guest left in its
 * registers (a bad segment selector, say), the task gets SIGSEGV.
 */
static void guest_cannot_continue(const char *what, int err)
{
	if (err == -ESRCH || err == -ECHILD || userspace_pid[0] <= 1 ||
	    kill(userspace_pid[0], 0))
		skas_host_process_lost();
	printk(UM_KERN_ERR "skas0: %s failed for host process %d: %s\n",
	       what, userspace_pid[0], strerror(-err));
	fatal_sigsegv();
}

/*
 * Lazy FP.  After a stop the guest's FP/vector state is left in its host
 * process and only copied into regs->fp when kernel code is about to use
 * it: a signal frame, sigreturn, fork, a fault (whose host SIGSEGV resets
 * the host FPU) or a context switch.  It is loaded back into the host only
 * when it may differ.  A null syscall thus moves no FP state at all.
 */
static struct uml_pt_regs *fp_live_regs;	/* newer in the host than in ->fp */
static int fp_live_pid;

void skas_fp_sync(struct uml_pt_regs *regs)
{
	if (!fp_live_regs || (regs && regs != fp_live_regs))
		return;
	/* a process that died takes its state with it; nothing to keep */
	get_fp_registers(fp_live_pid, fp_live_regs->fp);
	fp_live_regs = NULL;
}

static int guest_fp_load(int pid, struct uml_pt_regs *regs)
{
	if (fp_live_regs == regs && fp_live_pid == pid)
		return 0;		/* the host holds exactly this state */
	if (fp_live_regs == regs)
		fp_live_regs = NULL;	/* exec: regs->fp was reset for the new mm */
	skas_fp_sync(NULL);		/* another task's state, still in a host */
	return put_fp_registers(pid, regs->fp);
}

/*
 * Bring the host mappings up to date.  When the host refuses one (ENOMEM:
 * vm.max_map_count, or no memory for its own bookkeeping), drop the host
 * mappings of this address space, which the kernel can rebuild from the
 * page tables, and go on; only if even that leaves the host unable to map
 * one page does the process die.
 */
static pid_t evicted_pid;	/* evicted, and nothing mapped since */

static void guest_sync_host(struct mm_id *mm)
{
	int had_work = mm->queued, err;

	err = syscall_stub_flush(mm);
	if (err == -ENOMEM && evicted_pid != mm->pid) {
		static bool told;

		if (!told)
			printk(UM_KERN_INFO "skas0: the host refused more mappings for host process %d (vm.max_map_count?); dropping its host mappings, faults bring them back\n",
			       mm->pid);
		told = true;
		skas_host_cache_evict();
		evicted_pid = mm->pid;
		err = syscall_stub_flush(mm);
	} else if (!err && had_work && evicted_pid == mm->pid) {
		evicted_pid = 0;
	}
	if (err) {
		if (err == -ENOMEM)
			report_enomem();
		guest_cannot_continue("updating the address space", err);
	}
}

/*
 * Start the guest again.  If the address space changed, the batch rides
 * along: the stub's resume entry runs it and continues in guest code by
 * itself, under PTRACE_CONT, where its seccomp filter turns guest system
 * calls into stops for us.  Otherwise (or if that is not possible) the
 * batch runs first, and the guest under PTRACE_SYSEMU.
 */
static void guest_enter(int pid, struct uml_pt_regs *regs)
{
	static unsigned long entry[MAX_REG_NR];
	struct mm_id *mm = current_mm_id();
	unsigned long *start = regs->gp;
	int err, op;

	/*
	 * Never let the host run a guest syscall: the guest kernel ran it
	 * and handled any restart.  After SYSEMU it is skipped anyway; at a
	 * seccomp stop the host runs it unless the number is -1 (and a new
	 * thread's registers still hold its parent's clone).  The resume
	 * entry's registers are copied from these.
	 */
	PT_SYSCALL_NR(regs->gp) = -1;
	skas_cpu_follow(mm);
	if (!singlestepping() && skas_batch_can_resume(mm, regs->gp)) {
		skas_batch_prepare_resume(mm, regs->gp, entry);
		start = entry;
	} else {
		guest_sync_host(mm);
	}
	if (ptrace(PTRACE_SETREGS, pid, 0, start))
		guest_cannot_continue("PTRACE_SETREGS", -errno);
	err = guest_fp_load(pid, regs);
	if (err)
		guest_cannot_continue("restoring FP registers", err);

	if (start == entry)
		op = PTRACE_CONT;
	else
		op = singlestepping() ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU;
	if (ptrace(op, pid, 0, 0))
		guest_cannot_continue("resuming the guest", -errno);
}

/*
 * Wait for the guest to stop; a syscall stop (SIGTRAP | 0x80) also when
 * the stub's seccomp filter caught it rather than PTRACE_SYSEMU.
 */
static int guest_wait_stop(int pid, int *status)
{
	int sig = stub_wait_stop(pid, status);

	if (sig < 0)
		skas_host_process_lost();
	if (sig == SIGTRAP && (*status >> 16) == PTRACE_EVENT_SECCOMP)
		sig = SIGTRAP | 0x80;
	return sig;
}

/*
 * The first stop after a resume entry.  In guest code, the batch ran: a
 * guest stop like any other (0).  In the stub, the batch failed and the
 * stub trapped (1: nothing for the guest; the next sync deals with it);
 * anything else there is passed over until it does.
 */
static int resume_stop_in_stub(int pid, int *sig, int *status,
			       unsigned long *stop_regs, struct mm_id *mm)
{
	for (;;) {
		/*
		 * Stopped in guest code, or at a syscall from the stub page
		 * without the secret (guest code that jumped there): the
		 * batch ran, and this is a guest stop like any other.
		 */
		if (stop_regs[HOST_IP] - STUB_CODE >= STUB_PAGE_BYTES ||
		    *sig == (SIGTRAP | 0x80)) {
			mm->resume_pending = 0;
			if (evicted_pid == mm->pid)
				evicted_pid = 0;	/* mapping works again */
			return 0;
		}
		if (*sig == SIGTRAP) {
			skas_batch_resume_failed(mm);
			return 1;
		}
		if (*sig == SIGSEGV || *sig == SIGBUS || *sig == SIGILL ||
		    *sig == SIGFPE || ptrace(PTRACE_CONT, pid, 0, 0))
			guest_cannot_continue("running the stub's batch", -EFAULT);
		*sig = guest_wait_stop(pid, status);
		if (ptrace(PTRACE_GETREGS, pid, 0, stop_regs))
			guest_cannot_continue("PTRACE_GETREGS", -errno);
	}
}

/*
 * A guest page fault stops the process with SIGSEGV.  The host's siginfo
 * has the address and whether a host mapping was there; for most faults
 * the kernel works out the rest (skas_fault_access()) and the signal is
 * simply dropped when the guest resumes.  Otherwise the stub's handler
 * reads error code and trap number out of its signal frame and traps
 * back; that frame resets the host FPU, hence the FP sync.
 */
static void fault_info_from_stub(int pid, struct uml_pt_regs *regs)
{
	struct stub_data *d = (struct stub_data *)current_stub_stack();
	int err;

	skas_fp_sync(regs);
	d->fault.trap_no = ~0UL;
	err = stub_resume_until_trap(pid, SIGSEGV);
	if (err)
		guest_cannot_continue("collecting fault information", err);

	regs->faultinfo.cr2 = d->fault.addr;
	regs->faultinfo.error_code = d->fault.error_code;
	regs->faultinfo.trap_no = d->fault.trap_no;
}

#define X86_PF_PROT	1
#define X86_PF_WRITE	2
#define X86_PF_USER	4
#define X86_TRAP_PF	14

static void guest_fault(int pid, struct uml_pt_regs *regs)
{
	unsigned long addr;
	siginfo_t si;
	int access = SKAS_FAULT_ASK;

	if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si))
		guest_cannot_continue("PTRACE_GETSIGINFO", -errno);
	addr = (unsigned long)si.si_addr;
	if (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)
		access = skas_fault_access(addr, si.si_code == SEGV_ACCERR);

	if (access == SKAS_FAULT_ASK) {
		fault_info_from_stub(pid, regs);
	} else {
		regs->faultinfo.cr2 = addr;
		regs->faultinfo.error_code = X86_PF_USER |
			(access == SKAS_FAULT_WRITE ? X86_PF_WRITE : 0) |
			(si.si_code == SEGV_ACCERR ? X86_PF_PROT : 0);
		regs->faultinfo.trap_no = X86_TRAP_PF;
	}
	(*sig_info[SIGSEGV])(SIGSEGV, (struct siginfo *)&si, regs);
	skas_fault_around(regs->faultinfo.cr2);
}

/*
 * Guest code called into the host's vsyscall page.  The host emulates that
 * call itself, without a syscall stop, but it asks seccomp first, and the
 * stub's filter answers with SIGSYS; by then the host has already done the
 * emulated return.  Run the call in the guest kernel instead, so the guest
 * gets its own clock, never the host's.
 */
static void guest_vsyscall(int pid, struct uml_pt_regs *regs)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) || si.si_code != 1 /* SYS_SECCOMP */)
		guest_cannot_continue("handling SIGSYS", -EINVAL);
	PT_SYSCALL_NR(regs->gp) = si.si_syscall;
	handle_syscall(regs);
}

static void guest_signal(int pid, int sig, struct uml_pt_regs *regs)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	if (sig == SIGTRAP) {
		relay_signal(SIGTRAP, (struct siginfo *)&si, regs);
		return;
	}
	block_signals_trace();
	(*sig_info[sig])(sig, (struct siginfo *)&si, regs);
	unblock_signals_trace();
}

static void guest_stopped(int pid, int sig, struct uml_pt_regs *regs)
{
	switch (sig) {
	case SIGTRAP | 0x80:
		handle_syscall(regs);
		break;
	case SIGSEGV:
		guest_fault(pid, regs);
		break;
	case SIGSYS:
		guest_vsyscall(pid, regs);
		break;
	case SIGTRAP:
	case SIGILL:
	case SIGBUS:
	case SIGFPE:
	case SIGIO:
	case SIGWINCH:
		guest_signal(pid, sig, regs);
		break;
	default:
		/*
		 * SIGALRM is the timer asking us to look at the scheduler;
		 * anything else came from the host, not the guest: drop it.
		 */
		break;
	}
}

void userspace(struct uml_pt_regs *regs, unsigned long *aux_fp_regs)
{
	static unsigned long stop_regs[MAX_REG_NR];
	struct mm_id *mm;
	int pid, sig, status;

	interrupt_end();
	for (;;) {
		time_travel_print_bc_msg();
		current_mm_sync();

		pid = userspace_pid[0];
		mm = current_mm_id();
		guest_enter(pid, regs);
		sig = guest_wait_stop(pid, &status);

		if (ptrace(PTRACE_GETREGS, pid, 0, stop_regs))
			guest_cannot_continue("PTRACE_GETREGS", -errno);
		if (mm->resume_pending &&
		    resume_stop_in_stub(pid, &sig, &status, stop_regs, mm))
			continue;
		memcpy(regs->gp, stop_regs, sizeof(stop_regs));
		regs->is_user = 1;
		fp_live_regs = regs;
		fp_live_pid = pid;
		UPT_SYSCALL_NR(regs) = -1;

		guest_stopped(pid, sig, regs);
		interrupt_end();
	}
}

void __switch_mm(struct mm_id *mm_idp)
{
	userspace_pid[0] = mm_idp->pid;
}

/* ------------------------------------------------------------- threads */

void new_thread(void *stack, jmp_buf *buf, void (*handler)(void))
{
	/* the thread's first switch_threads() lands in handler() */
	(*buf)[0].JB_SP = (unsigned long)stack + UM_THREAD_SIZE - sizeof(void *);
	(*buf)[0].JB_IP = (unsigned long)handler;
}

void switch_threads(jmp_buf *me, jmp_buf *you)
{
	/* the task leaving may be looked at while it sleeps: settle its FP */
	skas_fp_sync(NULL);
	if (UML_SETJMP(me) == 0)
		UML_LONGJMP(you, 1);
}

/*
 * The boot stack stays in start_idle_thread() for the life of the kernel:
 * threads jump back to it to run a callback on a stack of its own, or to
 * leave the kernel (halt, reboot).
 */
enum boot_stack_request {
	BOOT_STACK_START,
	BOOT_STACK_CALLBACK,
	BOOT_STACK_HALT,
	BOOT_STACK_REBOOT,
};

static jmp_buf boot_stack;
static struct {
	void (*fn)(void *);
	void *arg;
	jmp_buf *caller;
} boot_stack_call;

int start_idle_thread(void *stack, jmp_buf *switch_buf)
{
	int request;

	set_handler(SIGWINCH);

	/* plain setjmp: UML_SETJMP would take pending signals on this stack */
	request = setjmp(boot_stack);
	if (request == BOOT_STACK_START) {
		new_thread(stack, switch_buf, uml_finishsetup);
		longjmp(*switch_buf, 1);
	}
	if (request == BOOT_STACK_CALLBACK) {
		boot_stack_call.fn(boot_stack_call.arg);
		longjmp(*boot_stack_call.caller, 1);
	}
	kmalloc_ok = 0;
	if (request != BOOT_STACK_HALT && request != BOOT_STACK_REBOOT) {
		printk(UM_KERN_ERR "skas0: bad boot stack request %d\n", request);
		fatal_sigsegv();
	}
	return request == BOOT_STACK_REBOOT;
}

void initial_thread_cb_skas(void (*proc)(void *), void *arg)
{
	jmp_buf back;

	boot_stack_call.fn = proc;
	boot_stack_call.arg = arg;
	boot_stack_call.caller = &back;

	block_signals_trace();
	if (UML_SETJMP(&back) == 0)
		UML_LONGJMP(&boot_stack, BOOT_STACK_CALLBACK);
	unblock_signals_trace();

	memset(&boot_stack_call, 0, sizeof(boot_stack_call));
}

/* Leave the kernel through the boot stack: the way out of uml_main(). */
static void __attribute__((noreturn)) leave_kernel(enum boot_stack_request how)
{
	block_signals_trace();
	UML_LONGJMP(&boot_stack, how);
	__builtin_unreachable();
}

void halt_skas(void)
{
	leave_kernel(BOOT_STACK_HALT);
}

/* "noreboot": exit instead of rebooting, like QEMU's -no-reboot (for CI). */
static bool exit_on_reboot;

static int __init noreboot_setup(char *str, int *add)
{
	exit_on_reboot = true;
	return 0;
}
__uml_setup("noreboot", noreboot_setup, "noreboot\n"
	    "    Exit instead of rebooting, like QEMU's -no-reboot, so a\n"
	    "    panic with CONFIG_PANIC_TIMEOUT ends a CI run.\n\n");

void reboot_skas(void)
{
	leave_kernel(exit_on_reboot ? BOOT_STACK_HALT : BOOT_STACK_REBOOT);
}
