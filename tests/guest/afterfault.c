// System calls right after a page fault (when the kernel resumes the
// process through the stub) reach the guest kernel, also those a host
// seccomp filter would refuse, as a container's does: sethostname, chroot
// and syslog run in the guest, as root in the guest may.
#include "check.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mman.h>

#define ROUNDS 50

static void fault_now(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*(volatile char *)p = 1;
}

int main(void)
{
	int i, host = 0, chroots = 0, logs = 0, err = 0;
	char name[64];

	gethostname(name, sizeof(name));
	for (i = 0; i < ROUNDS; i++) {
		fault_now();
		if (sethostname(name, strlen(name)))
			host++, err = errno;
		fault_now();
		chroots += chroot("/") != 0;
		fault_now();
		logs += klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0) <= 0;
	}
	check(!host, "sethostname right after a fault: %d of %d refused (%s)", host, ROUNDS,
	      host ? strerror(err) : "none");
	check(!chroots, "chroot right after a fault: %d of %d refused", chroots, ROUNDS);
	check(!logs, "syslog right after a fault: %d of %d refused", logs, ROUNDS);
	return check_summary("afterfault");
}
