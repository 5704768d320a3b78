// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: the seccomp filters of a backing process.
 *
 * They are written here, into data page 2 of the new process (struct
 * stub_fast_init, stub-data.h), before its stub starts; the stub only
 * installs them.  Plain C and libc-free, so the host tests build it too.  We know everything they compare against (the stub's
 * address, the process's secret); the stub would need a page of code to
 * build them.  The page is wiped once the stub has started, before any
 * guest code runs there.
 *
 * Ptrace mode, one filter: every system call stops for the kernel
 * (SECCOMP_RET_TRACE) but the stub's own munmap, mprotect and mmap of the
 * physical-memory file, shared and fixed, which carry the process's secret;
 * other ABIs stop too, and a call into the host's vsyscall page traps
 * (SIGSYS), so the guest kernel answers it with its own clock.
 */
#include <sys/syscall.h>
#include <linux/futex.h>
#include <stub-data.h>
#include <stub-filter.h>

/*
 * Fast mode, two filters.  Both send every call from anywhere
 * but the stub's code page, and every call of another ABI, to the guest
 * thread's handler (SECCOMP_RET_TRAP, SIGSYS); which wins over a host
 * filter's refusal, so a container's profile cannot answer for the guest
 * kernel.
 *  - process (both threads): from the stub page, the trusted thread's
 *    calls (futex, munmap, mprotect, pwrite64 to the file, mmap of the
 *    file shared and fixed) and the few the guest thread needs to finish
 *    its set-up (clone of the trusted thread, close, seccomp...) and to
 *    hand off;
 *  - guest thread: from the stub page, only futex on its two hand-off
 *    words (wait on g_seq, wake k_seq) and a wake of the trusted thread
 *    (on the request page's seq), rt_sigreturn and arch_prctl for its own
 *    fs/gs base.
 */
struct bpf_insn_ {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};

#define BPF_LD_W_ABS	0x20
#define BPF_JEQ_K	0x15
#define BPF_JGE_K	0x35
#define BPF_SUB_K	0x14
#define BPF_RET_K	0x06
#define RET_TRAP	0x00030000U
#define RET_TRACE	0x7ff00000U
#define RET_ALLOW	0x7fff0000U
#define AUDIT_X86_64	0xc000003eU

#define SD_NR		0
#define SD_ARCH		4
#define SD_IP_LO	8
#define SD_IP_HI	12
#define SD_ARG_LO(n)	(16 + 8 * (n))
#define SD_ARG_HI(n)	(20 + 8 * (n))

struct filter {
	struct bpf_insn_ *insns;
	int n;
};

static void emit(struct filter *f, unsigned short code, unsigned int k,
		 unsigned char jt, unsigned char jf)
{
	f->insns[f->n++] = (struct bpf_insn_) { code, jt, jf, k };
}

static void load(struct filter *f, unsigned int off)
{
	emit(f, BPF_LD_W_ABS, off, 0, 0);
}

static void ret(struct filter *f, unsigned int action)
{
	emit(f, BPF_RET_K, action, 0, 0);
}

/* unless A == k: the failure action */
static unsigned int fail_action = RET_TRAP;

static void need(struct filter *f, unsigned int k)
{
	emit(f, BPF_JEQ_K, k, 1, 0);
	ret(f, fail_action);
}

/* if A == k: allow */
static void allow_if(struct filter *f, unsigned int k)
{
	emit(f, BPF_JEQ_K, k, 0, 1);
	ret(f, RET_ALLOW);
}

/* 64-bit argument n must equal v */
static void need_arg(struct filter *f, int n, unsigned long v)
{
	load(f, SD_ARG_LO(n));
	need(f, v & 0xffffffffUL);
	load(f, SD_ARG_HI(n));
	need(f, v >> 32);
}

/* the x86-64 ABI, from the stub's code page; A = the call's number */
static void from_stub(struct filter *f, unsigned long code)
{
	load(f, SD_ARCH);
	need(f, AUDIT_X86_64);
	load(f, SD_IP_HI);
	need(f, code >> 32);
	load(f, SD_IP_LO);
	emit(f, BPF_SUB_K, code & 0xffffffffUL, 0, 0);
	emit(f, BPF_JGE_K, STUB_PAGE_BYTES, 0, 1);
	ret(f, RET_TRAP);
	load(f, SD_NR);
}

/*
 * if A == k: go on to what follows; else past it, to where block_end()
 * is called.  Returns the jump, for block_end().
 */
static int block_if(struct filter *f, unsigned int k)
{
	emit(f, BPF_JEQ_K, k, 0, 0);
	return f->n - 1;
}

static void block_end(struct filter *f, int jump)
{
	f->insns[jump].jf = f->n - jump - 1;
}

static void process_filter(struct filter *f, unsigned long code)
{
	static const unsigned int allowed[] = {
		SYS_futex, SYS_munmap, SYS_mprotect, SYS_rt_sigreturn,
		SYS_arch_prctl, SYS_close, SYS_seccomp, SYS_prctl,
		SYS_rt_sigprocmask, SYS_clone, SYS_exit, SYS_exit_group,
	};
	unsigned int i;
	int b;

	from_stub(f, code);
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		allow_if(f, allowed[i]);
	/* pwrite64: to the file only (the trusted thread's answers) */
	b = block_if(f, SYS_pwrite64);
	need_arg(f, 0, STUB_PHYSMEM_FD);
	ret(f, RET_ALLOW);
	block_end(f, b);
	load(f, SD_NR);
	/* mmap: the file, shared and fixed; everything else traps */
	b = block_if(f, SYS_mmap);
	need_arg(f, 4, STUB_PHYSMEM_FD);
	need_arg(f, 3, 0x11 /* MAP_SHARED | MAP_FIXED */);
	ret(f, RET_ALLOW);
	block_end(f, b);
	ret(f, RET_TRAP);
}

static void guest_filter(struct filter *f, unsigned long code)
{
	unsigned long data = code + STUB_PAGE_BYTES;
	unsigned long g_seq = data + __builtin_offsetof(struct stub_handoff, g_seq);
	unsigned long k_seq = data + __builtin_offsetof(struct stub_handoff, k_seq);
	unsigned long rq_seq = data + STUB_REQUEST_PAGE + STUB_RQ_SEQ;
	unsigned int i;
	int b, w;

	from_stub(f, code);
	allow_if(f, SYS_rt_sigreturn);
	/* arch_prctl: only ARCH_SET_GS .. ARCH_GET_GS, for its own bases */
	b = block_if(f, SYS_arch_prctl);
	load(f, SD_ARG_HI(0));
	need(f, 0);
	load(f, SD_ARG_LO(0));
	for (i = 0x1001; i <= 0x1004; i++)
		allow_if(f, i);
	ret(f, RET_TRAP);
	block_end(f, b);
	/* futex: wait on g_seq, wake k_seq: the hand-off and nothing else */
	b = block_if(f, SYS_futex);
	load(f, SD_ARG_HI(0));
	need(f, g_seq >> 32);		/* the stub's data pages */
	load(f, SD_ARG_LO(0));
	w = block_if(f, g_seq & 0xffffffffUL);
	load(f, SD_ARG_LO(1));
	need(f, FUTEX_WAIT);
	ret(f, RET_ALLOW);
	block_end(f, w);
	w = block_if(f, k_seq & 0xffffffffUL);
	load(f, SD_ARG_LO(1));
	need(f, FUTEX_WAKE);
	ret(f, RET_ALLOW);
	block_end(f, w);
	/* ... and wake the trusted thread at a fault, its batch to come */
	if (rq_seq >> 32 == g_seq >> 32) {
		w = block_if(f, rq_seq & 0xffffffffUL);
		load(f, SD_ARG_LO(1));
		need(f, FUTEX_WAKE);
		ret(f, RET_ALLOW);
		block_end(f, w);
	}
	ret(f, RET_TRAP);
	block_end(f, b);
	ret(f, RET_TRAP);
}

/* ptrace mode: see the top of this file */
static void ptrace_filter(struct filter *f, unsigned long secret)
{
	static const unsigned int vsyscalls[] = {
		SYS_gettimeofday, SYS_time, SYS_getcpu,
	};
	unsigned int i;
	int b;

	fail_action = RET_TRACE;
	load(f, SD_ARCH);
	need(f, AUDIT_X86_64);
	load(f, SD_NR);
	for (i = 0; i < 2; i++) {
		b = block_if(f, i ? SYS_mprotect : SYS_munmap);
		need_arg(f, 3, secret);		/* the unused 4th argument */
		ret(f, RET_ALLOW);
		block_end(f, b);
		load(f, SD_NR);
	}
	b = block_if(f, SYS_mmap);
	need_arg(f, 4, STUB_PHYSMEM_FD | (secret & ~0xffffffffUL));
	need_arg(f, 3, 0x11 /* MAP_SHARED | MAP_FIXED */ | (secret << 32));
	ret(f, RET_ALLOW);
	block_end(f, b);
	load(f, SD_NR);
	for (i = 0; i < sizeof(vsyscalls) / sizeof(vsyscalls[0]); i++) {
		b = block_if(f, vsyscalls[i]);
		load(f, SD_IP_HI);
		emit(f, BPF_JEQ_K, 0xffffffff, 0, 1);
		ret(f, RET_TRAP);
		ret(f, RET_TRACE);
		block_end(f, b);
	}
	ret(f, RET_TRACE);
	fail_action = RET_TRAP;
}

/*
 * The filters of a new process into its struct stub_fast_init: ptrace
 * mode's alone, or fast mode's two for a stub at code.
 */
void skas_filters_write(struct stub_fast_init *fi, int fast,
			unsigned long secret, unsigned long code)
{
	struct filter f = { (struct bpf_insn_ *)fi->insns, 0 };

	if (!fast) {
		ptrace_filter(&f, secret);
		fi->t_len = f.n;
		fi->g_len = 0;
		return;
	}
	process_filter(&f, code);
	fi->t_len = f.n;
	guest_filter(&f, code);
	fi->g_len = f.n - fi->t_len;
}

