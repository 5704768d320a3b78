// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: a task's registers as debuggers and core dumps see
 * them, and the register sets of PTRACE_GETREGSET/SETREGSET (which also
 * bring PTRACE_GET_SYSCALL_INFO and /proc/PID/syscall: HAVE_ARCH_TRACEHOOK).
 *
 * With lazy FP (arch/um/os-Linux/skas/run.c) a task's newest FP state may
 * still sit in its host process; it is fetched into the task's saved
 * registers first, so a guest debugger or core dump sees the task's own
 * state, never that of the host process that happens to run now.  The
 * saved state is the host's XSAVE standard format, whose first 512 bytes
 * are the FXSAVE image that PTRACE_GETFPREGS and NT_PRFPREG carry; the
 * host wrote its XCR0 into bytes 464..471, where debuggers look for it.
 */
#include <linux/elf.h>
#include <linux/regset.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/ptrace.h>
#include <asm/user.h>
#include <skas.h>

#define FXSAVE_BYTES		512
#define FXSAVE_SW_RESERVED	464	/* bytes 464..511: the host's xstate info */
#define FXSAVE_MXCSR		24
#define XSAVE_XFEATURES		512	/* the XSAVE header's first word */
#define XFEATURES_FP_SSE	3
#define MXCSR_VALID		0xffff
#define XSAVE_HEADER_END	576

static unsigned long *task_fp(struct task_struct *t)
{
	struct uml_pt_regs *r = &t->thread.regs.regs;

	skas_fp_sync(r);
	return r->fp;
}

void skas_task_fp_get_i387(struct task_struct *t, void *fxsave)
{
	memcpy(fxsave, task_fp(t), FXSAVE_BYTES);
}

/*
 * Replace the x87 and SSE state.  The XSAVE header must then say both are
 * in use, or the host would load their initial state instead; MXCSR bits
 * the CPU does not have would make the host refuse the whole buffer.
 */
void skas_task_fp_set_i387(struct task_struct *t, const void *fxsave)
{
	char *fp = (char *)task_fp(t);
	u32 mxcsr;
	u64 features;

	memcpy(fp, fxsave, FXSAVE_SW_RESERVED);
	memcpy(&mxcsr, fp + FXSAVE_MXCSR, sizeof(mxcsr));
	mxcsr &= MXCSR_VALID;
	memcpy(fp + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	memcpy(&features, fp + XSAVE_XFEATURES, sizeof(features));
	features |= XFEATURES_FP_SSE;
	memcpy(fp + XSAVE_XFEATURES, &features, sizeof(features));
}

/* ------------------------------------------------------------- regsets */

extern unsigned long getreg(struct task_struct *child, int regno);
extern int putreg(struct task_struct *child, int regno, unsigned long value);

#define GP_REGS		(sizeof(struct user_regs_struct) / sizeof(long))

static int gp_get(struct task_struct *t, const struct user_regset *rs,
		  struct membuf to)
{
	unsigned int i;

	for (i = 0; i < GP_REGS; i++)
		membuf_store(&to, getreg(t, i * sizeof(long)));
	return 0;
}

static int gp_set(struct task_struct *t, const struct user_regset *rs,
		  unsigned int pos, unsigned int count, const void *kbuf,
		  const void __user *ubuf)
{
	unsigned long regs[GP_REGS];
	unsigned int i;
	int err;

	for (i = 0; i < GP_REGS; i++)
		regs[i] = getreg(t, i * sizeof(long));
	err = user_regset_copyin(&pos, &count, &kbuf, &ubuf, regs, 0, -1);
	for (i = 0; !err && i < GP_REGS; i++)
		err = putreg(t, i * sizeof(long), regs[i]);
	return err;
}

static int fp_get(struct task_struct *t, const struct user_regset *rs,
		  struct membuf to)
{
	return membuf_write(&to, task_fp(t), FXSAVE_BYTES);
}

static int fp_set(struct task_struct *t, const struct user_regset *rs,
		  unsigned int pos, unsigned int count, const void *kbuf,
		  const void __user *ubuf)
{
	char fxsave[FXSAVE_BYTES];
	int err;

	memcpy(fxsave, task_fp(t), FXSAVE_BYTES);
	err = user_regset_copyin(&pos, &count, &kbuf, &ubuf, fxsave, 0,
				 FXSAVE_BYTES);
	if (!err)
		skas_task_fp_set_i387(t, fxsave);
	return err;
}

static int xstate_get(struct task_struct *t, const struct user_regset *rs,
		      struct membuf to)
{
	return membuf_write(&to, task_fp(t), rs->n * rs->size);
}

/*
 * A whole XSAVE image from a debugger, checked as x86 Linux checks it: no
 * feature the host did not enable, standard format, reserved header bytes
 * and MXCSR bits clear.  The host's own words in bytes 464..511 stay.
 */
static int xstate_valid(const char *x)
{
	u64 xcr0, features, compacted;
	u32 mxcsr;

	memcpy(&xcr0, x + FXSAVE_SW_RESERVED, sizeof(xcr0));
	memcpy(&features, x + XSAVE_XFEATURES, sizeof(features));
	memcpy(&compacted, x + XSAVE_XFEATURES + 8, sizeof(compacted));
	memcpy(&mxcsr, x + FXSAVE_MXCSR, sizeof(mxcsr));
	return !(features & ~xcr0) && !compacted && !(mxcsr & ~MXCSR_VALID) &&
	       !memchr_inv(x + XSAVE_XFEATURES + 16, 0,
			   XSAVE_HEADER_END - XSAVE_XFEATURES - 16);
}

static int xstate_set(struct task_struct *t, const struct user_regset *rs,
		      unsigned int pos, unsigned int count, const void *kbuf,
		      const void __user *ubuf)
{
	unsigned int size = rs->n * rs->size;
	char *fp = (char *)task_fp(t), *x;
	int err;

	if (pos || count != size)
		return -EFAULT;		/* a whole image, as on x86 */
	x = kmalloc(size, GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	memcpy(x, fp, size);
	err = user_regset_copyin(&pos, &count, &kbuf, &ubuf, x, 0, size);
	memcpy(x + FXSAVE_SW_RESERVED, fp + FXSAVE_SW_RESERVED,
	       FXSAVE_BYTES - FXSAVE_SW_RESERVED);
	if (!err && !xstate_valid(x))
		err = -EINVAL;
	if (!err)
		memcpy(fp, x, size);
	kfree(x);
	return err;
}

static int xstate_active(struct task_struct *t, const struct user_regset *rs)
{
	return rs->n;
}

enum { REGSET_GP, REGSET_FP, REGSET_XSTATE };

static struct user_regset skas_regsets[] = {
	[REGSET_GP] = {
		.core_note_type = NT_PRSTATUS,
		.n = GP_REGS, .size = sizeof(long), .align = sizeof(long),
		.regset_get = gp_get, .set = gp_set,
	},
	[REGSET_FP] = {
		.core_note_type = NT_PRFPREG,
		.n = FXSAVE_BYTES / sizeof(long), .size = sizeof(long),
		.align = sizeof(long),
		.regset_get = fp_get, .set = fp_set,
	},
	[REGSET_XSTATE] = {
		.core_note_type = NT_X86_XSTATE,
		.size = sizeof(u64), .align = sizeof(u64),
		.active = xstate_active,
		.regset_get = xstate_get, .set = xstate_set,
	},
};

static const struct user_regset_view skas_regset_view = {
	.name = "x86_64", .e_machine = EM_X86_64,
	.regsets = skas_regsets, .n = ARRAY_SIZE(skas_regsets),
};

/* The XSAVE image is as big as the host's (0 where the host has none). */
static int __init skas_regsets_init(void)
{
	skas_regsets[REGSET_XSTATE].n = skas_fp_xstate_bytes() / sizeof(u64);
	return 0;
}
core_initcall(skas_regsets_init);

const struct user_regset_view *task_user_regset_view(struct task_struct *t)
{
	return &skas_regset_view;
}
