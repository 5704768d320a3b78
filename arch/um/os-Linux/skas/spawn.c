// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: birth and death of the processes that back guest
 * address spaces.
 *
 * A backing process is born from execveat() of the stub image, so it
 * shares nothing with the kernel process: no memory, no descriptors but
 * the physical-memory file, no signal handlers, no environment.  It is
 * our child and our tracee until it dies, and its pid lives in its mm_id
 * only while that is true:
 *
 *	mm->pid > 1	alive (or dead but not yet reaped: still ours)
 *	mm->pid == 0	gone: reaped, never to be signalled again
 *
 * Every path that ends a backing process goes through skas_stub_kill()
 * or skas_stub_reaped(), so no pid is used after the host may have given
 * it to someone else, and no pid below 2 ever reaches kill() or ptrace().
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/elf.h>
#include <as-layout.h>
#include <kern_util.h>
#include <mm_id.h>
#include <os.h>
#include <ptrace_user.h>
#include <registers.h>
#include <skas.h>
#include <stub-data.h>
#include <stub-filter.h>
#include <sysdep/ptrace.h>
#include "stub_host.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

int skas_physmem_fd = -1;
static unsigned long long skas_code_offset;

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
	case STUB_EXIT_DUMPABLE:
		return "the stub could not make itself non-dumpable (prctl PR_SET_DUMPABLE)";
	case STUB_EXIT_EXEC:
		return "execveat() of the stub image failed";
	}
	return "the stub process died during setup";
}

/* ------------------------------------------------------------ birth */

/* The child borrows the kernel's memory until it execs (CLONE_VM). */
static char spawn_stack[16384] __attribute__((aligned(16)));

struct spawn_request {
	int physmem_fd;
	int image_fd;
	int fast;		/* not pinned: it must run beside the kernel */
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
	struct rlimit no_core = { 0, 0 };
	unsigned long no_signals = 0;

	syscall(SYS_setsid);
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (req->fast)
		skas_cpu_unpin_self();
	/* until the stub makes itself non-dumpable, no core file either */
	syscall(SYS_setrlimit, RLIMIT_CORE, &no_core);

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

/*
 * Wait for a stop of a live pid; the stop signal (0x80 set for syscalls),
 * or -errno.  -ECHILD, and only that, says the pid is no longer ours (it
 * exited and this wait reaped it): the caller must forget it.
 */
int stub_wait_stop(int pid, int *status)
{
	int n;

	if (pid <= 1)
		return -ECHILD;	/* waitpid(0) would reap any child */
	do {
		n = waitpid(pid, status, __WALL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!WIFSTOPPED(*status))
		return -ECHILD;	/* exited, and reaped by this wait */
	return WSTOPSIG(*status);
}

/*
 * Resume the stub (delivering inject_sig) until it traps back with int3.
 * A stub entry point always ends at the trap; on the way it stops only for
 * host signals meant to interrupt guest code (the timer's SIGALRM), which
 * are swallowed.  The stub cannot loop, so the bound is only a guard.
 */
int stub_resume_until_trap(int pid, int inject_sig)
{
	int sig, status, n;

	if (ptrace(PTRACE_CONT, pid, 0, inject_sig))
		return -errno;
	for (n = 0; n < STUB_STOPS_MAX; n++) {
		sig = stub_wait_stop(pid, &status);
		if (sig == SIGTRAP)
			return 0;
		if (sig < 0)
			return sig;
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
		    sig == SIGFPE || sig == (SIGTRAP | 0x80))
			return -EFAULT;
		if (ptrace(PTRACE_CONT, pid, 0, 0))
			return -errno;
	}
	return -ELOOP;
}

/*
 * New guest programs start from the registers of a process the host has
 * just exec'd: clean FP/vector state (x87 control word 0x37f, MXCSR
 * 0x1f80, every vector register zero) and no segment bases.  Taken from
 * the first stub at its post-exec stop, before it ran an instruction; a
 * clone of the kernel process would hand them our own libc's leftovers.
 */
static int exec_registers_taken;
static unsigned int host_xstate_bytes;

/* How much XSAVE state the host hands out (0: none, FXSAVE only). */
static void measure_xstate(int pid)
{
	static unsigned long fp[FP_SIZE];
	struct iovec iov = { fp, sizeof(fp) };

	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) == 0)
		host_xstate_bytes = iov.iov_len;
}

static void take_exec_registers(int pid)
{
	if (exec_registers_taken)
		return;
	if (init_pid_registers(pid) == 0)
		exec_registers_taken = 1;
	measure_xstate(pid);
}

unsigned int skas_fp_xstate_bytes(void)
{
	return host_xstate_bytes;
}

static int spawn_finish_setup(int pid, unsigned long long code_offset,
			      unsigned long long data_offset,
			      unsigned long code_addr, unsigned long secret,
			      unsigned long long done_offset)
{
	unsigned long regs[MAX_REG_NR];
	int status, sig;

	sig = stub_wait_stop(pid, &status);
	if (sig != SIGTRAP)
		goto died;

	take_exec_registers(pid);
	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP |
		   PTRACE_O_EXITKILL) ||
	    ptrace(PTRACE_GETREGS, pid, 0, regs))
		return -errno;
	regs[HOST_DI] = code_addr;
	regs[HOST_SI] = code_offset;
	regs[HOST_DX] = data_offset;
	regs[HOST_R15] = secret;
	regs[HOST_R14] = done_offset;	/* 0: ptrace mode */
	if (ptrace(PTRACE_SETREGS, pid, 0, regs))
		return -errno;

	sig = stub_resume_until_trap(pid, 0);
	if (sig == -ECHILD)
		goto died;
	if (sig)
		return sig;
	if (ptrace(PTRACE_GETREGS, pid, 0, regs))
		return -errno;
	if (regs[HOST_IP] != code_addr + STUB_TRAP + 1)
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

/* Kill and reap a pid that is still ours. */
static void kill_and_reap(int pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/*
 * Start a backing process whose stub maps its code page and data pages
 * from physmem_fd at the given offsets, at code_addr and above.
 * Returns the host pid, stopped and ready, or -errno.
 */
int skas_stub_spawn_raw(int physmem_fd, unsigned long long code_offset,
			unsigned long long data_offset, unsigned long code_addr,
			unsigned long secret, void *data,
			unsigned long long done_offset)
{
	struct spawn_request req = { physmem_fd, skas_stub_image_fd, done_offset != 0 };
	struct stub_fast_init *filters = (void *)((char *)data + STUB_FAST_INIT_PAGE);
	sigset_t all, saved;
	int pid, err;

	if (skas_stub_image_fd < 0 || physmem_fd < 0)
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

	if (done_offset)
		skas_fast_prepare(data);
	skas_filters_write(filters, done_offset != 0, secret, code_addr);
	err = spawn_finish_setup(pid, code_offset, data_offset, code_addr,
				 secret, done_offset);
	/* they hold the secret; no guest code has run there yet */
	memset(filters, 0, sizeof(*filters));
	if (err == -ECHILD)
		return err;		/* died, and reaped */
	if (err) {
		kill_and_reap(pid);
		return err;
	}
	return pid;
}

void skas_stub_set_physmem(int fd, unsigned long long code_offset)
{
	skas_physmem_fd = fd;
	skas_code_offset = code_offset;
}

int skas_stub_spawn(unsigned long long data_offset, unsigned long secret,
		    void *data, unsigned long long done_offset)
{
	return skas_stub_spawn_raw(skas_physmem_fd, skas_code_offset,
				   data_offset, STUB_CODE, secret, data,
				   done_offset);
}

/* ------------------------------------------------------------ death */

/* The host process of mm is gone and reaped: forget its pid. */
void skas_stub_reaped(struct mm_id *mm)
{
	if (mm->pid > 1)
		mm->lost_pid = mm->pid;
	mm->pid = 0;
}

/* End mm's host process, if it still has one, and forget it. */
void skas_stub_kill(struct mm_id *mm)
{
	int pid = mm->pid;

	skas_fast_unwatch(mm);
	mm->pid = 0;
	if (pid > 1)
		kill_and_reap(pid);
}

/*
 * The timer's interrupt, with the guest process running now (NULL: none):
 * a host signal that stops it, so the run loop gets control back.  Nothing
 * to do for a process that is gone.  Fast mode's watchdog looks on every
 * tick.
 */
void skas_stub_interrupt(struct mm_id *mm)
{
	skas_fast_watchdog();
	if (!mm || mm->pid <= 1)
		return;
	if (mm->fast)
		skas_fast_preempt(mm);
	else
		kill(mm->pid, SIGALRM);
}
