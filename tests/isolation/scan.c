// Nothing above the guest's top may be readable from guest code but the
// stub's own pages: no host memory (UML binary, libc, host stack) and no
// other process's.  Page by page over the rest of the top page-directory
// slot, where the stub lives, and 64 MiB beyond; then sampled up to the
// end of the host's user space, plus well-known host addresses, plus
// around the host address a 32-bit syscall gives away.
#include "../guest/check.h"
#include "probe.h"
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../../arch/um/include/shared/skas/stub-data.h"

/* the stub's code page and its data pages */
#define STUB_READABLE_PAGES	(1 + STUB_DATA_PAGE_COUNT)

#define SLOT		(1UL << 30)		/* a page-directory slot */
#define BEYOND		(64UL << 20)
#define HOST_END	0x800000000000UL	/* 47-bit host user space */
#define SAMPLES		20000
#define SHOW		8

struct finds {
	unsigned long at[SHOW];
	int n;
};

static void found(struct finds *f, unsigned long addr)
{
	if (f->n < SHOW)
		f->at[f->n] = addr;
	f->n++;
}

static int readable(unsigned long addr)
{
	unsigned long v;

	return probe_read(addr, &v);
}

static char *list(const struct finds *f)
{
	static char buf[SHOW * 20 + 8];
	int i, len = 0;

	buf[0] = 0;
	for (i = 0; i < f->n && i < SHOW; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %lx", f->at[i]);
	if (f->n > SHOW)
		snprintf(buf + len, sizeof(buf) - len, " ...");
	return buf;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Every page from the top to the end of its slot and BEYOND more: the
 * stub must be the only thing, one run of its code page and data pages.
 */
static void scan_pages(unsigned long top)
{
	unsigned long end = ((top + SLOT) & ~(SLOT - 1)) + BEYOND, a;
	unsigned long runs = 0, last = 0;
	struct finds f = { .n = 0 };
	double t = now();
	int ok;

	for (a = top; a < end; a += PAGE) {
		if (!readable(a))
			continue;
		if (a != last + PAGE)
			runs++;
		last = a;
		found(&f, a);
	}
	printf("scan: [%lx, %lx) page by page in %.1f s: %d readable:%s\n",
	       top, end, now() - t, f.n, list(&f));
	ok = f.n == STUB_READABLE_PAGES && runs == 1;
	check(ok, "above the guest's top [%lx, %lx) only the stub's %d pages are readable (found %d in %lu runs, first at %lx)",
	      top, end, STUB_READABLE_PAGES, f.n, runs, f.n ? f.at[0] : 0);
}

/* addresses where a host process keeps things, with ASLR off as UML runs */
static const unsigned long well_known[] = {
	0x400000,		/* non-PIE executables (below the top: our own) */
	0x60000000,		/* the UML binary's link address */
	0x555555554000,		/* PIE executables */
	0x7ffff7fc1000,		/* ld.so, vdso */
	0x7ffff7ff7000,
	0x7ffffffde000,		/* host stack */
	0x7ffffffff000,
	0xffffffffff600000,	/* vsyscall page */
};

static void scan_samples(unsigned long top)
{
	unsigned long start = ((top + SLOT) & ~(SLOT - 1)) + BEYOND;
	unsigned long step = (HOST_END - start) / SAMPLES & ~(PAGE - 1), a;
	struct finds f = { .n = 0 };
	double t = now();
	int i, ok, probed = 0;

	for (a = start, i = 0; i < SAMPLES; i++, a += step)
		if (readable(a))
			found(&f, a);
	for (i = 0; i < sizeof(well_known) / sizeof(*well_known); i++) {
		if (well_known[i] < top)
			continue;	/* the guest's own memory */
		probed++;
		if (readable(well_known[i]))
			found(&f, well_known[i]);
	}
	printf("scan: %d samples every %lx from %lx and %d well-known addresses in %.1f s\n",
	       SAMPLES, step, start, probed, now() - t);
	ok = f.n == 0;
	check(ok, "nothing readable at %d sampled addresses up to %lx nor at %d well-known host addresses (found %d:%s)",
	      SAMPLES, HOST_END, probed, f.n, list(&f));
}

/*
 * A SYSCALL (AMD) or SYSENTER (Intel) from 32-bit code makes the host
 * return to the 32-bit vDSO's landing pad, reckoned from the backing
 * process's 64-bit vDSO: the fault there hands the guest a host address.
 * 32-bit code needs addresses below 4 GiB: LOW, and the alternate signal
 * stack in .bss.
 */
#define LOW		0x20000000UL
#define LOW_TRAMPOLINE	(LOW + 0x100)
#define NEAR		(16UL << 20)

static volatile unsigned long leaked;
static char altstack[65536];

static void on_leak(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	leaked = uc->uc_mcontext.gregs[REG_RIP];
	siglongjmp(probe_out, 1);
}

static void put(unsigned char **p, const void *bytes, int n)
{
	memcpy(*p, bytes, n);
	*p += n;
}

/*
 * i386 getpid by SYSCALL or SYSENTER, then ud2 in case the host returns
 * here after all.  The handler may be entered in 32-bit or in 64-bit mode
 * (UML keeps the code segment of the interrupted code): the trampoline
 * takes a far jump to on_leak in the first case and a near one in the
 * second; "inc eax" in 32-bit mode is a REX prefix in 64-bit mode.
 */
static void write_leak_code(int use_sysenter)
{
	unsigned long h = (unsigned long)on_leak;
	unsigned char get[] = { 0xb8, 20, 0, 0, 0 };		/* mov $20, %eax */
	unsigned char sys[] = { 0x0f, use_sysenter ? 0x34 : 0x05 };
	unsigned char ud2[] = { 0x0f, 0x0b };
	unsigned char poly[] = { 0x31, 0xc0, 0x40, 0x90, 0x74, 7 }; /* xor; inc|rex; nop; jz +7 */
	unsigned char far[] = { 0xea, h, h >> 8, h >> 16, h >> 24, 0x33, 0 };
	unsigned char near[] = { 0x48, 0xb8, h, h >> 8, h >> 16, h >> 24, 0, 0, 0, 0,
				 0xff, 0xe0 };			/* movabs; jmp *%rax */
	unsigned char *p = (unsigned char *)LOW;

	put(&p, get, sizeof(get));
	put(&p, sys, sizeof(sys));
	put(&p, ud2, sizeof(ud2));
	p = (unsigned char *)LOW_TRAMPOLINE;
	put(&p, poly, sizeof(poly));
	put(&p, far, sizeof(far));
	put(&p, near, sizeof(near));
}

/* its own frame, so that the caller's locals survive the siglongjmp */
static __attribute__((noinline)) void try_leak(int use_sysenter)
{
	write_leak_code(use_sysenter);
	if (!sigsetjmp(probe_out, 0))
		__asm__ volatile("pushq $0x23; pushq %0; lretq" :: "r"(LOW) : "memory");
}

/* in a child (the vDSO is per host process): leak, then read around */
static void leak_and_look(unsigned long top, struct finds *f, unsigned long *addr)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_handler = (void *)LOW_TRAMPOLINE,
				.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK };
	unsigned long base, a;
	int v;

	alarm(10);		/* a handler loop must not hang the run */
	if (mmap((void *)LOW, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)LOW)
		_exit(2);
	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	for (v = 0; v < 2 && leaked < (1UL << 32); v++)
		try_leak(v);
	probe_init();
	*addr = leaked;
	if (leaked < top)
		_exit(0);
	base = (leaked & ~(PAGE - 1)) - NEAR;
	for (a = base; a < base + 2 * NEAR; a += PAGE)
		if (readable(a))
			found(f, a);
	_exit(0);
}

static void scan_leaked(unsigned long top)
{
	struct { struct finds f; unsigned long addr; } *r;
	int status, clean;
	pid_t pid;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		leak_and_look(top, &r->f, &r->addr);
	waitpid(pid, &status, 0);
	printf("scan: a 32-bit syscall faulted at %lx\n", r->addr);
	clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && r->f.n == 0;
	check(clean, "nothing readable within 16 MiB of the host address a 32-bit syscall reveals (%lx; status 0x%x; found %d:%s)",
	      r->addr, status, r->f.n, list(&r->f));
}

int main(void)
{
	unsigned long top = guest_top();

	printf("scan: guest top %lx\n", top);
	probe_init();
	scan_pages(top);
	scan_samples(top);
	scan_leaked(top);
	return check_summary("scan");
}
