// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: access to guest memory.
 *
 * Guest memory is not mapped in the kernel's address space.  Every access
 * looks the guest address up in the guest page table, faults the page in
 * when it is absent (or read-only and we write), and then touches the page
 * through the kernel's own mapping of physical memory, one page at a time.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <asm/futex.h>
#include <asm/page.h>
#include <kern_util.h>
#include <os.h>

pte_t *virt_to_pte(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = mm ? pgd_offset(mm, addr) : NULL;
	p4d_t *p4d = pgd && pgd_present(*pgd) ? p4d_offset(pgd, addr) : NULL;
	pud_t *pud = p4d && p4d_present(*p4d) ? pud_offset(p4d, addr) : NULL;
	pmd_t *pmd = pud && pud_present(*pud) ? pmd_offset(pud, addr) : NULL;

	return pmd && pmd_present(*pmd) ? pte_offset_kernel(pmd, addr) : NULL;
}

static bool pte_allows(pte_t *pte, bool write)
{
	return pte && pte_present(*pte) && (!write || pte_write(*pte));
}

/*
 * Kernel address of the byte at guest address uaddr, or NULL.  Faults the
 * page in unless may_fault is false (futex ops run with faults disabled;
 * the futex core faults the page in itself and retries).
 */
static void *guest_byte(unsigned long uaddr, bool write, bool may_fault)
{
	pte_t *pte = virt_to_pte(current->mm, uaddr);
	int code;

	if (!pte_allows(pte, write)) {
		if (!may_fault || handle_page_fault(uaddr, 0, write, 1, &code))
			return NULL;
		pte = virt_to_pte(current->mm, uaddr);
		if (!pte_allows(pte, write))
			return NULL;
	}
	return page_address(pte_page(*pte)) + offset_in_page(uaddr);
}

/*
 * Read guest memory without faulting anything in (for the run loop, which
 * looks at the instruction that stopped a guest).  0 if a page is absent.
 */
int skas_guest_peek(unsigned long uaddr, void *buf, unsigned long len)
{
	char *dst = buf;

	if (uaddr >= TASK_SIZE || len > TASK_SIZE - uaddr)
		return 0;
	while (len) {
		unsigned long n = min(len, PAGE_SIZE - offset_in_page(uaddr));
		void *kaddr = guest_byte(uaddr, false, false);

		if (!kaddr)
			return 0;
		memcpy(dst, kaddr, n);
		dst += n;
		uaddr += n;
		len -= n;
	}
	return 1;
}

/*
 * Calls step(kaddr, n, ctx) for each page-sized piece of [uaddr, +len).
 * step returns true to stop early.  Returns how many bytes were left
 * unvisited because a page could not be reached (0 on success).
 */
typedef bool (*guest_step_fn)(void *kaddr, unsigned long n, void *ctx);

static unsigned long guest_walk(unsigned long uaddr, unsigned long len,
				bool write, guest_step_fn step, void *ctx)
{
	while (len) {
		unsigned long n = min(len, PAGE_SIZE - offset_in_page(uaddr));
		void *kaddr = guest_byte(uaddr, write, true);
		bool stop;

		if (!kaddr)
			return len;
		pagefault_disable();
		stop = step(kaddr, n, ctx);
		pagefault_enable();
		if (stop)
			return 0;
		uaddr += n;
		len -= n;
	}
	return 0;
}

/* ctx of the copy steps: where the kernel side of the copy is now */
static bool step_copy_out(void *kaddr, unsigned long n, void *ctx)
{
	const char **src = ctx;

	memcpy(kaddr, *src, n);
	*src += n;
	return false;
}

static bool step_copy_in(void *kaddr, unsigned long n, void *ctx)
{
	char **dst = ctx;

	memcpy(*dst, kaddr, n);
	*dst += n;
	return false;
}

unsigned long raw_copy_from_user(void *to, const void __user *from,
				 unsigned long n)
{
	char *dst = to;

	return guest_walk((unsigned long)from, n, false, step_copy_in, &dst);
}
EXPORT_SYMBOL(raw_copy_from_user);

unsigned long raw_copy_to_user(void __user *to, const void *from,
			       unsigned long n)
{
	const char *src = from;

	return guest_walk((unsigned long)to, n, true, step_copy_out, &src);
}
EXPORT_SYMBOL(raw_copy_to_user);

static bool step_zero(void *kaddr, unsigned long n, void *ctx)
{
	memset(kaddr, 0, n);
	return false;
}

unsigned long __clear_user(void __user *mem, unsigned long len)
{
	return guest_walk((unsigned long)mem, len, true, step_zero, NULL);
}
EXPORT_SYMBOL(__clear_user);

/* String walks: ctx counts the bytes before the NUL and copies them. */
struct string_walk {
	char *dst;		/* NULL: only measure */
	long seen;		/* bytes before any NUL so far */
	bool found_nul;
};

static bool step_string(void *kaddr, unsigned long n, void *ctx)
{
	struct string_walk *w = ctx;
	unsigned long len = strnlen(kaddr, n);

	if (w->dst) {
		/* include the NUL when there is one in this piece */
		memcpy(w->dst + w->seen, kaddr, len < n ? len + 1 : n);
	}
	w->seen += len;
	w->found_nul = len < n;
	return w->found_nul;
}

long strncpy_from_user(char *dst, const char __user *src, long count)
{
	struct string_walk w = { .dst = dst };

	if (count <= 0)
		return 0;
	if (!access_ok(src, 1))
		return -EFAULT;
	if (guest_walk((unsigned long)src, count, false, step_string, &w))
		return -EFAULT;
	return w.seen;
}
EXPORT_SYMBOL(strncpy_from_user);

long strnlen_user(const char __user *str, long len)
{
	struct string_walk w = { .dst = NULL };

	if (len <= 0 || !access_ok(str, 1))
		return 0;
	if (guest_walk((unsigned long)str, len, false, step_string, &w))
		return 0;
	/* counts the NUL; longer than len when there was none */
	return w.seen + 1;
}
EXPORT_SYMBOL(strnlen_user);

/*
 * Futex word access.  The kernel is uniprocessor and guest code runs only
 * while the kernel waits for it, so with preemption off a plain
 * read-modify-write is atomic with respect to every guest thread.
 */
static u32 *futex_word(u32 __user *uaddr)
{
	if (!access_ok(uaddr, sizeof(*uaddr)))
		return NULL;
	return guest_byte((unsigned long)uaddr, true, false);
}

static int futex_apply(int op, u32 oparg, u32 *word)
{
	switch (op) {
	case FUTEX_OP_SET:
		*word = oparg;
		return 0;
	case FUTEX_OP_ADD:
		*word += oparg;
		return 0;
	case FUTEX_OP_OR:
		*word |= oparg;
		return 0;
	case FUTEX_OP_ANDN:
		*word &= ~oparg;
		return 0;
	case FUTEX_OP_XOR:
		*word ^= oparg;
		return 0;
	}
	return -ENOSYS;
}

int arch_futex_atomic_op_inuser(int op, u32 oparg, int *oval,
				u32 __user *uaddr)
{
	u32 *word, old;
	int ret = -EFAULT;

	preempt_disable();
	word = futex_word(uaddr);
	if (word) {
		old = *word;
		ret = futex_apply(op, oparg, word);
		if (!ret)
			*oval = old;
	}
	preempt_enable();
	return ret;
}
EXPORT_SYMBOL(arch_futex_atomic_op_inuser);

int futex_atomic_cmpxchg_inatomic(u32 *uval, u32 __user *uaddr,
				  u32 oldval, u32 newval)
{
	u32 *word;
	int ret = -EFAULT;

	preempt_disable();
	word = futex_word(uaddr);
	if (word) {
		*uval = cmpxchg(word, oldval, newval);
		ret = 0;
	}
	preempt_enable();
	return ret;
}
EXPORT_SYMBOL(futex_atomic_cmpxchg_inatomic);
