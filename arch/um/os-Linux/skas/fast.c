// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: fast mode, guest syscalls and faults without a ptrace
 * stop.
 *
 * A fast-mode backing process has two host threads sharing its memory:
 *  - the guest thread runs guest code.  It holds no descriptor, and its
 *    seccomp filter turns every system call into SIGSYS but the few its
 *    stub makes: futex on its two hand-off words and rt_sigreturn.  Its
 *    syscalls, faults, traps and preemptions (SIGALRM from us) all land in
 *    the stub's signal handler, which hands off through struct
 *    stub_handoff (stub-data.h: the protocol is drawn there) and waits;
 *  - the trusted thread alone holds the physical-memory file.  It runs the
 *    batches of mmap/munmap/mprotect we write into a page the process can
 *    only read, and tells us it is done by writing a token into that page
 *    through the file.  That token is the only evidence we take that a
 *    mapping changed, above all one that removes access.
 *
 * So a guest syscall costs: SIGSYS, two shared-memory hand-offs (each a
 * futex wake only when the other side had gone to sleep) and rt_sigreturn;
 * when both sides spin on two CPUs, no futex call at all.
 *
 * Nothing the guest can write is believed: the frame and siginfo pointers
 * must lie on the stub's signal stack, the registers read there are the
 * guest's own, and a process that does not hand off within a bound after
 * being told to, or whose trusted thread does not answer, is killed.
 * A process goes through ptrace once, for its first entry (the registers
 * it starts with), and is then let go.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <init.h>
#include <as-layout.h>
#include <kern_util.h>
#include <mm_id.h>
#include <os.h>
#include <registers.h>
#include <skas.h>
#include <stub-data.h>
#include <sysdep/ptrace.h>
#include "stub_host.h"

#define UC_SIGCONTEXT_SS_	0x2	/* <asm/ucontext.h>, not in libc */
#define UC_STRICT_RESTORE_SS_	0x4


/*
 * Pauses before sleeping: enough for a hand-off between two CPUs (a pause
 * takes some 10 to 50 ns), not so many that a side that could sleep at
 * once keeps a CPU from the thread it waits for.
 */
#define SPIN_KERNEL	2000
#define SPIN_GUEST	400
#define SPIN_TRUSTED	2000
/*
 * A guest thread told to stop that has not, PREEMPT_GRACE_NS later, is
 * killed if it sleeps or runs (it blocked the signal); one the host left
 * waiting for a CPU (a loaded host, a VM whose CPU was descheduled) is
 * given up to PREEMPT_HARD_NS.
 */
#define PREEMPT_GRACE_NS	(500 * 1000 * 1000ULL)
#define PREEMPT_HARD_NS		(10 * 1000 * 1000 * 1000ULL)
/*
 * The trusted thread answers within this, or the process is killed.  It
 * runs only our code, so only the host can hold it up: the bound is for a
 * host that stopped or starved it, and is as long as PREEMPT_HARD_NS.
 */
#define TRUSTED_GRACE_NS	PREEMPT_HARD_NS

struct skas_stats skas_stats;

/* ------------------------------------------------------------ helpers */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long futex(unsigned int *word, int op, unsigned int val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static struct stub_handoff *handoff(struct mm_id *mm)
{
	return (struct stub_handoff *)mm->stack;
}

static struct stub_request *request(struct mm_id *mm)
{
	return (struct stub_request *)(mm->stack + STUB_REQUEST_PAGE);
}

/* A guest address on the stub's signal stack, as ours; 0 if it is not. */
static unsigned long on_signal_stack(struct mm_id *mm, unsigned long addr,
				     unsigned long len)
{
	unsigned long lo = STUB_DATA + STUB_STACK_PAGE;

	if (addr < lo || addr > lo + STUB_ALTSTACK_BYTES - len || (addr & 7))
		return 0;
	return mm->stack + (addr - STUB_DATA);
}

/* Has the process died?  Reaped, and forgotten, if so. */
static bool fast_process_gone(struct mm_id *mm)
{
	int status;
	pid_t n;

	if (mm->pid <= 1)
		return true;	/* forgotten: waitpid(0) would reap any child */
	n = waitpid(mm->pid, &status, WNOHANG | __WALL);

	if (n != mm->pid && !(n < 0 && errno == ECHILD))
		return false;
	skas_stub_reaped(mm);
	return true;
}

/*
 * Read /proc/PID/task/PID/NAME of the guest thread of process pid (the
 * leader) into buf, NUL-terminated: its length, or 0.  Raw system calls:
 * the watchdog reads from the timer's signal handler.
 */
static int read_guest_thread_file(int pid, const char *name, char *buf,
				  int size)
{
	char path[64];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, pid, name);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = syscall(SYS_read, fd, buf, size - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return n;
}

/*
 * CPU time of the guest thread of process pid, in clock ticks, or 0:
 * utime + stime from its stat file.  Not the process's CPU clock, which
 * counts the trusted thread's work on our batches too; another process's
 * thread clocks cannot be read.
 */
static unsigned long long guest_thread_ticks(int pid)
{
	char buf[512], *p;
	unsigned long long utime, stime;
	int field;

	if (!read_guest_thread_file(pid, "stat", buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');		/* the name may hold anything */
	for (field = 2; p && field < 13; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu %llu", &utime, &stime) != 2)
		return 0;
	return utime + stime + 1;
}

/* The hexadecimal mask after "\nNAME:\t" in a status file, or ~0. */
static unsigned long long status_mask(const char *buf, const char *name)
{
	char key[16];
	unsigned long long mask;
	const char *p;

	snprintf(key, sizeof(key), "\n%s:\t", name);
	p = strstr(buf, key);
	if (!p || sscanf(p + strlen(key), "%llx", &mask) != 1)
		return ~0ULL;
	return mask;
}

/*
 * The guest thread of process pid, from /proc/PID/task/PID/status: true
 * if it is runnable (or in a short uninterruptible wait) and our SIGALRM
 * is not held back by a blocked mask.  Such a thread takes the signal, or
 * is in the stub's handler already, and hands off once the host gives it
 * a CPU.
 */
static bool guest_thread_will_stop(int pid)
{
	/* static: only the run loop asks, never from a signal handler */
	static char buf[2048];
	unsigned long long alrm = 1ULL << (SIGALRM - 1);
	char *p;

	if (!read_guest_thread_file(pid, "status", buf, sizeof(buf)))
		return false;
	p = strstr(buf, "\nState:\t");
	if (!p || (p[8] != 'R' && p[8] != 'D'))
		return false;
	return !(status_mask(buf, "SigBlk") & status_mask(buf, "SigPnd") & alrm);
}

/*
 * Told to stop at mm->preempt_at and not handed off yet: has it had its
 * chance?  Within PREEMPT_GRACE_NS, no.  After that, a guest thread that
 * sleeps (it waits without handing off) or holds SIGALRM pending behind
 * a blocked mask (set through a forged signal frame) has.  One that does
 * neither is waiting for a CPU the host does not give it (a loaded host,
 * a VM whose CPU was descheduled): it gets up to PREEMPT_HARD_NS.
 */
static bool preempt_overdue(struct mm_id *mm)
{
	unsigned long long waited = now_ns() - mm->preempt_at;

	if (waited <= PREEMPT_GRACE_NS)
		return false;
	if (waited > PREEMPT_HARD_NS)
		return true;
	return !guest_thread_will_stop(mm->pid);
}

/* --------------------------------------------------- the trusted thread */

/*
 * Run the queued batch through the trusted thread and wait for its answer:
 * 0, or -errno of the entry that failed (then *done_count says how many
 * ran).  The token is new for every request, and only the trusted thread
 * can put it where we look (it holds the file, the process cannot write
 * the page).  It wakes us on that word, so a sleep never misses it.
 */
int skas_fast_run_batch(struct mm_id *mm, int n, unsigned int *done_count)
{
	struct stub_request *rq = request(mm);
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	unsigned long long deadline = 0;
	unsigned int answer;
	int spin = SPIN_TRUSTED;

	mm->t_token += 2;
	rq->n = n;
	rq->token_ok = mm->t_token;
	rq->token_fail = mm->t_token + 1;
	rq->release = mm->release_in_batch;
	if (rq->release)
		rq->release_seq = __atomic_load_n(&handoff(mm)->g_seq,
						  __ATOMIC_SEQ_CST) + 1;
	__atomic_store_n(&rq->seq, rq->seq + 1, __ATOMIC_SEQ_CST);
	futex(&rq->seq, FUTEX_WAKE, 1, NULL);
	skas_stats.batches++;
	skas_stats.batch_entries += n;

	for (;;) {
		answer = __atomic_load_n(&rq->done, __ATOMIC_SEQ_CST);
		if (answer == rq->token_ok || answer == rq->token_fail)
			break;
		if (spin) {
			spin--;
			__builtin_ia32_pause();
			continue;
		}
		if (!deadline)
			deadline = now_ns() + TRUSTED_GRACE_NS;
		else if (fast_process_gone(mm))
			return -ESRCH;		/* killed from the host, say */
		else if (now_ns() > deadline)
			return -ETIMEDOUT;
		futex(&rq->done, FUTEX_WAIT, answer, &tick);
	}
	if (answer == rq->token_ok) {
		*done_count = n;
		if (mm->release_in_batch)
			skas_stats.batch_releases++;
		mm->release_in_batch = 0;	/* done: the guest thread runs */
		return 0;
	}
	*done_count = rq->done_index;
	return rq->done_err ? -(int)rq->done_err : -EIO;
}

/* ---------------------------------------------------------- registers */

/* The x86-64 signal frame, as far as we read and write it. */
struct fast_sigcontext {
	unsigned long r8, r9, r10, r11, r12, r13, r14, r15;
	unsigned long rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	unsigned short cs, gs, fs, ss;
	unsigned long err, trapno, oldmask, cr2;
	unsigned long fpstate;
	unsigned long reserved[8];
};

struct fast_ucontext {
	unsigned long uc_flags;
	unsigned long uc_link;
	unsigned long ss_sp;
	int ss_flags;
	unsigned long ss_size;
	struct fast_sigcontext mc;
	unsigned long sigmask;
};

struct fast_siginfo {
	int signo, errno_, code, pad;
	union {
		struct { unsigned long addr; } fault;
		struct { unsigned long call_addr; int syscall; unsigned int arch; } sys;
	};
};

#define GP(r)	regs->gp[HOST_##r]

static void frame_to_regs(const struct fast_sigcontext *mc,
			  const struct stub_handoff *h, struct uml_pt_regs *regs)
{
	GP(R8) = mc->r8; GP(R9) = mc->r9; GP(R10) = mc->r10; GP(R11) = mc->r11;
	GP(R12) = mc->r12; GP(R13) = mc->r13; GP(R14) = mc->r14; GP(R15) = mc->r15;
	GP(DI) = mc->rdi; GP(SI) = mc->rsi; GP(BP) = mc->rbp; GP(BX) = mc->rbx;
	GP(DX) = mc->rdx; GP(AX) = mc->rax; GP(CX) = mc->rcx; GP(SP) = mc->rsp;
	GP(IP) = mc->rip; GP(EFLAGS) = mc->eflags;
	GP(CS) = mc->cs; GP(SS) = mc->ss;
	GP(FS_BASE) = h->fs_base;
	GP(GS_BASE) = h->gs_base;
	GP(FS) = h->fs_sel;
	GP(GS) = h->gs_sel;
	GP(ORIG_AX) = -1;
}

static void regs_to_frame(const struct uml_pt_regs *regs,
			  struct fast_sigcontext *mc)
{
	mc->r8 = GP(R8); mc->r9 = GP(R9); mc->r10 = GP(R10); mc->r11 = GP(R11);
	mc->r12 = GP(R12); mc->r13 = GP(R13); mc->r14 = GP(R14); mc->r15 = GP(R15);
	mc->rdi = GP(DI); mc->rsi = GP(SI); mc->rbp = GP(BP); mc->rbx = GP(BX);
	mc->rdx = GP(DX); mc->rax = GP(AX); mc->rcx = GP(CX); mc->rsp = GP(SP);
	mc->rip = GP(IP); mc->eflags = GP(EFLAGS);
	mc->cs = GP(CS); mc->ss = GP(SS);
}

/* ------------------------------------------------------------- set-up */

/* Before a fast-mode stub starts: its hand-off page and request page. */
void skas_fast_prepare(void *data)
{
	struct stub_handoff *h = data;
	struct stub_request *rq = (void *)((char *)data + STUB_REQUEST_PAGE);
	int i;

	memset(h, 0, sizeof(*h));
	h->fsgsbase = skas_cpu_has_fsgsbase();
	h->spin = SPIN_GUEST;
	for (i = 0; i < 256; i++)
		rq->bytes[i] = i;
}

/* ------------------------------------------------------------- FP state */

/* The XSAVE image on the frame, as ours; 0 if it is not where it must be. */
static unsigned long frame_fpstate(struct mm_id *mm,
				   const struct fast_sigcontext *mc)
{
	unsigned long bytes = skas_fp_xstate_bytes() ?: 512;

	if (mc->fpstate & 63)
		return 0;
	return on_signal_stack(mm, mc->fpstate, bytes);
}

/*
 * Between the frame's XSAVE image and regs->fp only the state moves, not
 * bytes 464..511: the frame's hold what rt_sigreturn checks (its xstate
 * size and magic), regs->fp's what ptrace gave (the host's XCR0, which
 * debuggers read there), and the marker after the frame's image stays.
 */
static void xsave_copy(char *to, const char *from)
{
	unsigned int bytes = skas_fp_xstate_bytes() ?: 512;

	memcpy(to, from, 464);
	if (bytes > 512)
		memcpy(to + 512, from + 512, bytes - 512);
}

/* FP state of the frame into regs->fp (lazy FP: see run.c). */
void skas_fast_fp_get(unsigned long fpstate, struct uml_pt_regs *regs)
{
	xsave_copy((char *)regs->fp, (const char *)fpstate);
}

/* ... and regs->fp into the frame. */
static void skas_fast_fp_put(unsigned long fpstate, const struct uml_pt_regs *regs)
{
	xsave_copy((char *)fpstate, (const char *)regs->fp);
}

/* ------------------------------------------------------------ run loop */

/* Let the guest thread go from its handler: g_seq, and a wake if it sleeps. */
static void fast_release(struct mm_id *mm)
{
	struct stub_handoff *h = handoff(mm);

	__atomic_add_fetch(&h->g_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->g_sleeping, __ATOMIC_SEQ_CST))
		futex(&h->g_seq, FUTEX_WAKE, 1, NULL);
}

/*
 * The first entry, from the post-exec ptrace stop: registers, detach.  A
 * segment base PTRACE_SETREGS refuses (a fork's child inherits what its
 * parent set with wrgsbase) goes through STUB_ENTRY_FAST_BASES, which
 * loads it and then %rax and %rip from the hand-off page.
 */
static int fast_enter_attached(struct mm_id *mm, struct uml_pt_regs *regs)
{
	struct stub_handoff *h = handoff(mm);
	unsigned long entry[MAX_REG_NR], *start = regs->gp;

	skas_null_selectors(regs->gp);
	if (skas_bases_need_stub(regs->gp)) {
		memcpy(entry, regs->gp, sizeof(entry));
		h->fs_base = GP(FS_BASE);
		h->gs_base = GP(GS_BASE);
		h->entry_rax = GP(AX);
		h->entry_rip = GP(IP);
		entry[HOST_FS_BASE] = entry[HOST_GS_BASE] = 0;
		entry[HOST_IP] = STUB_CODE + STUB_ENTRY_FAST_BASES;
		start = entry;
	}
	if (ptrace(PTRACE_SETREGS, mm->pid, 0, start) ||
	    put_fp_registers(mm->pid, regs->fp))
		return -errno;
	mm->k_seen = __atomic_load_n(&handoff(mm)->k_seq, __ATOMIC_SEQ_CST);
	if (ptrace(PTRACE_DETACH, mm->pid, 0, 0))
		return -errno;
	mm->attached = 0;
	mm->running = 1;
	mm->releases++;
	return 0;
}

/*
 * Start the guest thread again: the first time through ptrace (the
 * registers it starts with), and then by releasing it from its handler
 * with the registers to go on with in its frame.  Returns 0 or -errno.
 *
 * When a batch is queued (a fault's new page, say), the registers go
 * into the frame now and the trusted thread releases the guest thread
 * once the batch ran whole: the two sleep on one CPU, so that saves a
 * wake-up from ours.  skas_fast_entered() then releases it if the batch
 * did not.  The guest gains nothing by running early: the kernel still
 * waits for the token before it takes any change as done.
 */
int skas_fast_enter(struct mm_id *mm, struct uml_pt_regs *regs,
		    unsigned long *fpstate_live)
{
	struct stub_handoff *h = handoff(mm);
	struct fast_ucontext *uc;
	unsigned long fp;

	mm->release_in_batch = 0;
	if (mm->attached) {
		*fpstate_live = 0;
		return fast_enter_attached(mm, regs);
	}
	uc = (struct fast_ucontext *)mm->frame;
	regs_to_frame(regs, &uc->mc);
	/*
	 * The host restores %ss as we leave it (the guest kernel has made it
	 * valid where x86-64 would), even in a frame it made in 32-bit code.
	 */
	uc->uc_flags |= UC_SIGCONTEXT_SS_ | UC_STRICT_RESTORE_SS_;
	fp = frame_fpstate(mm, &uc->mc);
	if (!fp)
		return -EFAULT;
	if (*fpstate_live != fp)
		skas_fast_fp_put(fp, regs);
	*fpstate_live = 0;
	mm->running = 1;
	mm->releases++;
	h->set_bases = GP(FS_BASE) != h->fs_base || GP(GS_BASE) != h->gs_base ||
		       GP(FS) != h->fs_sel || GP(GS) != h->gs_sel;
	h->fs_base = GP(FS_BASE);
	h->gs_base = GP(GS_BASE);
	h->fs_sel = GP(FS);
	h->gs_sel = GP(GS);
	if (mm->queued && !mm->failed) {
		mm->release_in_batch = 1;	/* the batch to come does it */
		return 0;
	}
	fast_release(mm);
	return 0;
}

/* After the batch that followed skas_fast_enter(): released, whatever it did. */
void skas_fast_entered(struct mm_id *mm)
{
	if (!mm->release_in_batch)
		return;
	mm->release_in_batch = 0;
	fast_release(mm);
}

/*
 * Wait for the guest thread to hand off: spin a little, then sleep on
 * k_seq.  Host signals (the timer, I/O) interrupt the sleep and are
 * handled by the kernel on the way; the timer's tells us to preempt the
 * guest, which must then hand off within PREEMPT_GRACE_NS.  Returns 0 at a
 * hand-off, -ESRCH if the process died, -ETIMEDOUT if it would not stop.
 */
static int fast_wait(struct mm_id *mm)
{
	struct stub_handoff *h = handoff(mm);
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	unsigned int seen = mm->k_seen;
	int spin;

	for (spin = SPIN_KERNEL; spin; spin--) {
		if (__atomic_load_n(&h->k_seq, __ATOMIC_SEQ_CST) != seen)
			goto handed_off;
		__builtin_ia32_pause();
	}
	for (;;) {
		__atomic_store_n(&h->k_sleeping, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&h->k_seq, __ATOMIC_SEQ_CST) != seen)
			break;
		futex(&h->k_seq, FUTEX_WAIT, seen, &tick);
		if (__atomic_load_n(&h->k_seq, __ATOMIC_SEQ_CST) != seen)
			break;
		if (fast_process_gone(mm))
			return -ESRCH;
		if (mm->preempt_at && preempt_overdue(mm))
			return -ETIMEDOUT;
	}
	__atomic_store_n(&h->k_sleeping, 0, __ATOMIC_SEQ_CST);
	skas_stats.slept_handoffs++;
	goto read;
handed_off:
	skas_stats.spun_handoffs++;
read:
	mm->k_seen = __atomic_load_n(&h->k_seq, __ATOMIC_SEQ_CST);
	mm->preempt_at = 0;
	mm->running = 0;
	return 0;
}

/*
 * The guest thread stopped: wait for it, and read what it handed over
 * into regs, si (the host's siginfo) and *fpstate (where its FP state is).
 * Returns the signal that stopped it, or -errno: -ESRCH if it died,
 * -ETIMEDOUT if it would not stop, -EFAULT if what it handed over does not
 * lie where the stub puts it (it forged the hand-off).
 */
int skas_fast_wait(struct mm_id *mm, struct uml_pt_regs *regs,
		   void *si, unsigned long *fpstate)
{
	struct stub_handoff *h = handoff(mm);
	struct fast_ucontext *uc;
	struct fast_siginfo *info;
	unsigned long frame, fp;
	int err = fast_wait(mm), sig;

	if (err)
		return err;
	/* each read once: the guest may write them as we look */
	frame = on_signal_stack(mm, __atomic_load_n(&h->frame, __ATOMIC_RELAXED),
				sizeof(*uc));
	info = (struct fast_siginfo *)on_signal_stack(mm,
		__atomic_load_n(&h->info, __ATOMIC_RELAXED), 128);
	sig = __atomic_load_n(&h->signo, __ATOMIC_RELAXED);
	if (!frame || !info)
		return -EFAULT;
	uc = (struct fast_ucontext *)frame;
	fp = frame_fpstate(mm, &uc->mc);
	if (!fp)
		return -EFAULT;
	mm->frame = frame;
	frame_to_regs(&uc->mc, h, regs);
	memcpy(si, info, 128);
	regs->faultinfo.cr2 = uc->mc.cr2;
	regs->faultinfo.error_code = uc->mc.err;
	regs->faultinfo.trap_no = uc->mc.trapno;
	*fpstate = fp;
	return sig;
}

/* ------------------------------------------------------------ watchdog */

/*
 * A guest thread can forge a hand-off and go on running while we believe
 * it parked.  It can reach nothing that way (it makes no host call but
 * its own futex waits, and every mapping change waits for the trusted
 * thread), but it would burn host CPU beyond the guest scheduler's reach.
 * A parked guest thread sleeps in futex; its CPU time, which the host
 * keeps and it cannot forge, must not grow.  So every WATCHDOG_NS (on the
 * timer's interrupt and on our way into guest code) each fast-mode
 * process that stayed parked since the last look is checked, and one whose
 * guest thread ran more than WATCHDOG_CPU_MS meanwhile, WATCHDOG_STRIKES
 * looks in a row, is killed.  In a row: a host that deschedules the CPU
 * of a VM charges the stall to the thread that was on it, which may be a
 * guest thread spinning for a moment after its hand-off.  Killed only: the
 * pid stays ours until a wait reaps it, and its tasks die the next time
 * they run (or its address space goes).
 *
 * The list changes with signals blocked, so the timer's look, which runs
 * as a signal handler, never sees it half changed.
 */
#define WATCHDOG_NS		(100 * 1000 * 1000ULL)
#define WATCHDOG_CPU_MS		20
#define WATCHDOG_STRIKES	3

static unsigned long long watchdog_ticks;	/* WATCHDOG_CPU_MS in clock ticks */

static struct mm_id *watched_first;

void skas_fast_watch(struct mm_id *mm)
{
	int on = um_set_signals_trace(0);

	mm->watch_prev = NULL;
	mm->watch_next = watched_first;
	if (watched_first)
		watched_first->watch_prev = mm;
	watched_first = mm;
	mm->watched = 1;
	um_set_signals_trace(on);
}

void skas_fast_unwatch(struct mm_id *mm)
{
	int on;

	if (!mm->watched)
		return;
	on = um_set_signals_trace(0);
	if (mm->watch_prev)
		mm->watch_prev->watch_next = mm->watch_next;
	else
		watched_first = mm->watch_next;
	if (mm->watch_next)
		mm->watch_next->watch_prev = mm->watch_prev;
	mm->watched = 0;
	um_set_signals_trace(on);
}

static void watchdog_look(struct mm_id *mm)
{
	unsigned long long cpu;

	if (mm->pid <= 1 || mm->attached || mm->running) {
		mm->wd_cpu_ns = 0;
		return;
	}
	cpu = guest_thread_ticks(mm->pid);
	if (mm->wd_cpu_ns && cpu && mm->wd_releases == mm->releases &&
	    cpu - mm->wd_cpu_ns > watchdog_ticks)
		mm->wd_strikes++;
	else
		mm->wd_strikes = 0;
	if (mm->wd_strikes >= WATCHDOG_STRIKES) {
		if (skas_report_allowed())
			printk(UM_KERN_ERR "skas0: host process %d ran while handed off (%d looks in a row); killed\n",
			       mm->pid, mm->wd_strikes);
		skas_stats.watchdog_kills++;
		kill(mm->pid, SIGKILL);	/* ours until reaped */
		mm->culprit = 1;
		mm->wd_strikes = 0;
		cpu = 0;
	}
	mm->wd_cpu_ns = cpu;
	mm->wd_releases = mm->releases;
}

void skas_fast_watchdog(void)
{
	static unsigned long long next;
	unsigned long long now;
	struct mm_id *mm;
	int on;

	if (!watched_first)
		return;
	if (!watchdog_ticks)
		watchdog_ticks = (WATCHDOG_CPU_MS * sysconf(_SC_CLK_TCK) + 999) / 1000;
	now = now_ns();
	if (now < next)
		return;
	next = now + WATCHDOG_NS;
	on = um_set_signals_trace(0);
	for (mm = watched_first; mm; mm = mm->watch_next)
		watchdog_look(mm);
	um_set_signals_trace(on);
}

/* The timer's interrupt: the guest thread must hand off, and soon. */
void skas_fast_preempt(struct mm_id *mm)
{
	if (mm->attached)
		return;
	if (!mm->preempt_at)
		mm->preempt_at = now_ns();
	skas_stats.preemptions++;
	syscall(SYS_tgkill, mm->pid, mm->pid, SIGALRM);
}

/* --------------------------------------------------------------- mode */

/*
 * skas0.mode=auto|fast|ptrace.  auto: fast where it pays off, with a CPU
 * for the guest thread beside the kernel's (two hand-offs between CPUs
 * cost less than the two process switches of a ptrace round trip on one;
 * on one CPU it would be the same switches), and where a fast stub starts
 * and its trusted thread answers (start_up.c checks).
 */
enum fast_mode { FAST_AUTO, FAST_ON, FAST_OFF };
static enum fast_mode fast_mode_asked = FAST_AUTO;
int skas_fast_enabled;

static int __init fast_mode_setup(char *line, int *add)
{
	if (!strcmp(line, "fast"))
		fast_mode_asked = FAST_ON;
	else if (!strcmp(line, "ptrace"))
		fast_mode_asked = FAST_OFF;
	else if (!strcmp(line, "auto"))
		fast_mode_asked = FAST_AUTO;
	else
		os_warn("skas0.mode=%s: expected auto, fast or ptrace; using auto\n",
			line);
	return 0;
}

__uml_setup("skas0.mode=", fast_mode_setup, "skas0.mode=auto|fast|ptrace\n"
	    "    How guest system calls and faults reach the kernel.  ptrace: a\n"
	    "    ptrace stop each.  fast: a signal handed off through shared\n"
	    "    memory, no stop.  auto (default): fast with two or more usable\n"
	    "    host CPUs, else ptrace; the boot says which and why.\n\n");

/*
 * Which mode, and why (for the probe line); *want_fast whether to try
 * fast mode at all.
 */
const char *skas_fast_choice(int *want_fast)
{
	cpu_set_t set;
	int cpus = 0;

	/* raw: the kernel's own sched_getaffinity() wins at link time */
	if (syscall(SYS_sched_getaffinity, 0, sizeof(set), &set) > 0)
		cpus = CPU_COUNT(&set);
	*want_fast = fast_mode_asked == FAST_ON ||
		     (fast_mode_asked == FAST_AUTO && cpus >= 2);
	if (fast_mode_asked == FAST_OFF)
		return "skas0.mode=ptrace";
	if (fast_mode_asked == FAST_ON)
		return "skas0.mode=fast";
	return cpus >= 2 ? "auto: two or more host CPUs" :
			   "auto: one host CPU, where fast mode gains nothing";
}
