/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skas0 host probes: each check prints "Checking <what>..." and then "OK",
 * or "failed: <reason>; <how to fix>".  A fatal failure exits with status
 * 1 at once; nothing in a probe waits without a deadline.
 */
#ifndef __SKAS0_PROBE_H
#define __SKAS0_PROBE_H

#include <stdarg.h>

void probe_begin(const char *fmt, ...);
void probe_ok(void);
void probe_note(const char *fmt, ...);
void __attribute__((noreturn)) probe_fatal(const char *fmt, ...);

#endif
