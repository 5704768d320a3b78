// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: one host process per guest address space.
 *
 * An mm's context holds the host pid of its backing process and the
 * kernel address of the stub_data pages it shares with that process.
 * The pages come from guest physical memory, so the stub maps them from
 * the physical-memory file at their physical address.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <asm/page.h>
#include <asm/mmu_context.h>
#include <as-layout.h>
#include <os.h>
#include <skas.h>
#include <stub-data.h>

static_assert(STUB_DATA_PAGE_COUNT == STUB_DATA_PAGES);
static_assert(STUB_DATA_BYTES == STUB_DATA_PAGES * PAGE_SIZE);
static_assert(STUB_PAGE_BYTES == PAGE_SIZE);

#define STUB_DATA_ORDER	ilog2(STUB_DATA_PAGES)

/*
 * Called once physical memory exists: the stub's code page is written to
 * the physical-memory file at the physical address of its copy in the
 * kernel image, a range of the file nothing else maps.
 */
void __init skas_stub_install(int physmem_fd)
{
	unsigned long long offset = __pa(skas0_stub_code);

	os_seek_file(physmem_fd, offset);
	if (os_write_file(physmem_fd, skas0_stub_code, PAGE_SIZE) != PAGE_SIZE)
		panic("skas0: cannot write the stub page to physical memory");
	skas_stub_set_physmem(physmem_fd, offset);
}

/*
 * A new address space: its stub data pages and its host process.  In fast
 * mode the stub learns where, in the physical-memory file, its trusted
 * thread writes its answers (the request page's answer word).
 */
int init_new_context(struct task_struct *task, struct mm_struct *mm)
{
	struct mm_id *id = &mm->context.id;
	unsigned long data, secret = get_random_u64();
	unsigned long long done = 0;
	int pid;

	data = __get_free_pages(GFP_KERNEL | __GFP_ZERO, STUB_DATA_ORDER);
	if (!data)
		return -ENOMEM;
	if (skas_fast_enabled)
		done = __pa(data) + STUB_REQUEST_PAGE + STUB_RQ_DONE;

	block_signals_trace();
	pid = skas_stub_spawn(__pa(data), secret, (void *)data, done);
	unblock_signals_trace();
	if (pid < 0) {
		free_pages(data, STUB_DATA_ORDER);
		return pid;
	}

	*id = (struct mm_id) {
		.pid = pid, .stack = data, .cpu = skas_cpu_inherited(),
		.secret = secret, .fast = done != 0, .attached = done != 0,
	};
	if (id->fast)
		skas_fast_watch(id);
	return 0;
}

void destroy_context(struct mm_struct *mm)
{
	struct mm_id *id = &mm->context.id;

	skas_stub_kill(id);
	if (id->stack)
		free_pages(id->stack, STUB_DATA_ORDER);
	id->stack = 0;
}
