// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, kernel side: /proc/skas0, what the layer did, for make bench and
 * anyone looking for where time goes.  One "name value" line each: the
 * mode, round trips by cause (syscall, fault, signal, preemption), the
 * batches of host mapping changes and their entries (and in fast mode
 * those whose trusted thread also released the guest), evictions, in
 * fast mode the hand-offs that found the kernel spinning against those it
 * had to be woken for, and the timer's ticks with those that came while
 * guest code ran (the guest's user time).
 */
#include <linux/init.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <skas.h>

static int skas_stats_show(struct seq_file *m, void *v)
{
	const struct skas_stats *s = &skas_stats;

	seq_printf(m, "mode %s\n", skas_fast_enabled ? "fast" : "ptrace");
	seq_printf(m, "syscalls %lu\nfaults %lu\nsignals %lu\npreemptions %lu\n",
		   s->syscalls, s->faults, s->signals, s->preemptions);
	seq_printf(m, "batches %lu\nbatch_entries %lu\nbatch_releases %lu\nevictions %lu\n",
		   s->batches, s->batch_entries, s->batch_releases, s->evictions);
	seq_printf(m, "handoffs_spun %lu\nhandoffs_slept %lu\nwatchdog_kills %lu\n",
		   s->spun_handoffs, s->slept_handoffs, s->watchdog_kills);
	seq_printf(m, "ticks %lu\nticks_in_guest %lu\n", s->ticks, s->guest_ticks);
	return 0;
}

static int __init skas_stats_init(void)
{
	proc_create_single("skas0", 0444, NULL, skas_stats_show);
	return 0;
}
device_initcall(skas_stats_init);
