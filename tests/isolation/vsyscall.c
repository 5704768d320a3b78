// The host's vsyscall page must give the guest's time, not the host's.
#include "../guest/check.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#define VSYSCALL_TIME 0xffffffffff600400UL

static sigjmp_buf out;

static void on_fault(int sig)
{
	siglongjmp(out, sig);
}

int main(void)
{
	struct timeval now, past = { .tv_sec = 978307200 };	/* 2001-01-01 */
	time_t (*vtime)(time_t *) = (time_t (*)(time_t *))VSYSCALL_TIME;
	time_t seen;
	int sig;

	gettimeofday(&now, NULL);
	if (settimeofday(&past, NULL)) {
		check(0, "settimeofday needs guest root");
		return check_summary("vsyscall");
	}
	signal(SIGSEGV, on_fault);
	sig = sigsetjmp(out, 1);
	seen = sig ? 0 : vtime(NULL);
	settimeofday(&now, NULL);
	if (sig)
		check(1, "host has no vsyscall page here (signal %d): nothing to leak", sig);
	else
		check(seen >= 978307200 && seen < 978307200 + 3600,
		      "vsyscall time() gives the guest's clock (2001): %ld", (long)seen);
	return check_summary("vsyscall");
}
