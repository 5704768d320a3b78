// A guest must never create anything on the host: try mkdir(PATH) by every
// route a guest program has (the syscall instruction, int $0x80, sysenter,
// 32-bit code, the stub's own syscall instructions).  Each attempt runs in
// its own child and may be killed; the host runner then checks that PATH
// does not exist on the host.  In the guest, PATH is on tmpfs.
// usage: escape PATH
#include "../guest/check.h"
#include "probe.h"
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

/*
 * A shared page below 4 GiB: the path, 32-bit code and the result of the
 * attempt, which a child writes and its parent reads.
 */
#define LOW		0x20000000UL
#define LOW_PATH	(LOW + 0x000)
#define LOW_CODE32	(LOW + 0x100)
#define LOW_CODE64	(LOW + 0x200)
#define LOW_RESULT	(LOW + 0x800)
#define LOW_STACK	(LOW + 0xf00)

#define NO_RESULT	0x5a5a5a5a
#define I386_MKDIR	39	/* getpid in the x86_64 table */
#define MODE		0755
#define STUB_TRIES	8
#define WAIT_SECONDS	10

static char *path;
static volatile int *result;

static int guest_has_dir(void)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void put32(unsigned char **p, unsigned int v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

/*
 * 32-bit code at LOW_CODE32: i386 mkdir(path, 0755) by int $0x80 or
 * syscall, store eax (through SS: DS is null in 64-bit processes), then a
 * far jump back to 64-bit code that exits with status 42.
 */
static void write_code(int use_syscall)
{
	unsigned char *p = (unsigned char *)LOW_CODE32;

	*p++ = 0xb8; put32(&p, I386_MKDIR);		/* mov $39, %eax */
	*p++ = 0xbb; put32(&p, LOW_PATH);		/* mov $path, %ebx */
	*p++ = 0xb9; put32(&p, MODE);			/* mov $0755, %ecx */
	if (use_syscall) {
		*p++ = 0x0f; *p++ = 0x05;		/* syscall */
	} else {
		*p++ = 0xcd; *p++ = 0x80;		/* int $0x80 */
	}
	*p++ = 0x36; *p++ = 0xa3; put32(&p, LOW_RESULT);	/* mov %eax, %ss:result */
	*p++ = 0xea; put32(&p, LOW_CODE64);		/* ljmp $0x33, $code64 */
	*p++ = 0x33; *p++ = 0x00;

	p = (unsigned char *)LOW_CODE64;
	*p++ = 0xb8; put32(&p, 60);			/* mov $60, %eax (exit) */
	*p++ = 0xbf; put32(&p, 42);			/* mov $42, %edi */
	*p++ = 0x0f; *p++ = 0x05;			/* syscall */
}

static void by_syscall(long arg)
{
	*result = mkdir(path, MODE) ? -errno : 0;
	_exit(0);
}

/* int $0x80 from 64-bit code: i386 registers and x86_64 ones both say mkdir */
static void by_int80(long arg)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"((long)I386_MKDIR), "b"(LOW_PATH), "c"((long)MODE),
			   "D"(LOW_PATH), "S"((long)MODE)
			 : "memory", "rdx", "r8", "r9", "r10", "r11");
	*result = ret;
	_exit(0);
}

/* a #UD on AMD; on Intel a compat syscall that returns to no vdso */
static void by_sysenter(long arg)
{
	long ret;

	__asm__ volatile("push %%rbp; mov %[stack], %%rbp; sysenter; pop %%rbp"
			 : "=a"(ret)
			 : "a"((long)I386_MKDIR), "b"(LOW_PATH), "c"((long)MODE),
			   [stack] "r"(LOW_STACK)
			 : "memory", "rdx", "r8", "r9", "r10", "r11");
	*result = ret;
	_exit(0);
}

/* far return into the 32-bit user code segment */
static void by_compat(long use_syscall)
{
	write_code(use_syscall);
	__asm__ volatile("pushq $0x23; pushq %0; lretq" :: "r"(LOW_CODE32) : "memory");
	_exit(1);
}

/* onto a syscall instruction of the stub's code page, as if mid-stub */
static void by_stub(long at)
{
	__asm__ volatile("jmp *%0"
			 :: "r"(at), "a"(83L), "D"((long)LOW_PATH), "S"((long)MODE)
			 : "memory");
	_exit(1);
}

static const char *signame(int sig)
{
	static char buf[32];
	const char *name = sigabbrev_np(sig);

	snprintf(buf, sizeof(buf), "SIG%s", name ? name : "?");
	return buf;
}

/* one attempt in a child: how it ended; did the guest get the dir? */
static int attempt(const char *route, void (*fn)(long), long arg)
{
	char how[64], said[32] = "no result";
	int status, ended, in_guest;
	pid_t pid;

	*result = NO_RESULT;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(1);
	}
	ended = wait_bounded(pid, &status, WAIT_SECONDS);
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by %s", signame(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	if (*result != NO_RESULT)
		snprintf(said, sizeof(said), "result %d", *result);
	in_guest = guest_has_dir();
	rmdir(path);
	check(ended, "%s: %s%s, %s, guest dir %s", route, how,
	      ended ? "" : " (hung: killed after 10 s)", said,
	      in_guest ? "created" : "absent");
	return in_guest;
}

static void stub_attempts(void)
{
	unsigned long stub, off;
	unsigned char code[PAGE];
	char route[64];
	int tries = 0;

	stub = find_stub();
	if (!check(stub, "found the stub's code page above the guest's top (%lx)", stub))
		return;
	memcpy(code, (void *)stub, PAGE);
	for (off = 0; off + 1 < PAGE && tries < STUB_TRIES; off++) {
		if (code[off] != 0x0f || code[off + 1] != 0x05)
			continue;
		snprintf(route, sizeof(route), "stub's syscall at %lx", stub + off);
		attempt(route, by_stub, stub + off);
		tries++;
	}
	check(tries > 0, "the stub's code page holds %d syscall instructions to try", tries);
}

/* the parent and the kernel are still fine: a fresh child can mkdir */
static void survived(void)
{
	int status, made;
	pid_t pid = fork();

	if (pid == 0)
		_exit(mkdir(path, MODE) || !guest_has_dir() || rmdir(path));
	made = pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
	check(made, "after every attempt the kernel and this process go on: a fresh child made and removed %s",
	      path);
}

int main(int argc, char **argv)
{
	void *low;
	int in_guest, made;

	if (argc != 2 || strlen(argv[1]) >= 0x100) {
		fprintf(stderr, "usage: escape PATH\n");
		return 2;
	}
	low = mmap((void *)LOW, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (!check(low == (void *)LOW, "shared page below 4 GiB at %lx", LOW))
		return check_summary("escape");
	path = strcpy((char *)LOW_PATH, argv[1]);
	result = (volatile int *)LOW_RESULT;

	in_guest = attempt("syscall (x86_64 mkdir)", by_syscall, 0);
	made = in_guest && *result == 0;
	check(made, "the syscall instruction made %s in the guest (result %d)", path, *result);
	attempt("int $0x80 (i386 mkdir) from 64-bit code", by_int80, 0);
	attempt("sysenter (i386 mkdir)", by_sysenter, 0);
	attempt("int $0x80 from the 32-bit code segment", by_compat, 0);
	attempt("syscall from the 32-bit code segment", by_compat, 1);
	stub_attempts();
	survived();
	printf("ESCAPE-DONE\n");
	return check_summary("escape");
}
