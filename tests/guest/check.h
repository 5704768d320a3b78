/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest test helpers: each check prints what it expected and what it saw
 * with [OK] or [FAIL]; main() ends with check_summary().
 */
#ifndef SKAS0_CHECK_H
#define SKAS0_CHECK_H
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

static inline int check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "[OK]  " : "[FAIL]");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		check_passed++;
	else
		check_failed++;
	return ok;
}

static inline int check_summary(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}
#endif
