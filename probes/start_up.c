// SPDX-License-Identifier: GPL-2.0
/*
 * skas0: the host capability probes run at boot, before the kernel starts.
 *
 * Each probe forks a child, drives it with ptrace exactly the way the run
 * loop will drive guest processes, and checks the result.  Every wait has
 * a deadline, so a host that silently ignores ptrace (an emulator, a
 * sandbox) produces a message and exit status 1, never a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <as-layout.h>
#include <init.h>
#include <kern_util.h>
#include <mem_user.h>
#include <mm_id.h>
#include <os.h>
#include <ptrace_user.h>
#include <registers.h>
#include <skas.h>
#include <stub-data.h>
#include <sysdep/ptrace.h>
#include "probe.h"

#define PROBE_DEADLINE_MS	3000
#define PROBE_RETVAL		4242

/* ------------------------------------------------------------ printing */

void probe_begin(const char *fmt, ...)
{
	va_list ap;

	fputs("Checking ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("...", stdout);
	fflush(stdout);
}

void probe_ok(void)
{
	puts("OK");
	fflush(stdout);
}

void probe_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void probe_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("failed: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
	exit(1);
}

/* -------------------------------------------------------- ptrace child */

/* What the child reports through its exit status when ptrace is refused. */
#define CHILD_NO_TRACEME	90

static void probe_child(void)
{
	long r;

	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(CHILD_NO_TRACEME);
	kill(getpid(), SIGSTOP);
	/* the parent rewrites this call; see the probes below */
	r = syscall(SYS_getpid);
	_exit(r == getppid() || r == PROBE_RETVAL ? 0 : 1);
}

/* waitpid with a deadline: the status, or -1 after killing the child. */
static int probe_wait(int pid, int *status)
{
	struct timespec tick = { 0, 1000000 };
	int ms, n;

	for (ms = 0; ms < PROBE_DEADLINE_MS; ms++) {
		n = waitpid(pid, status, WNOHANG | __WALL);
		if (n == pid)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, __WALL);
	errno = ETIMEDOUT;
	return -1;
}

static const char ptrace_fix[] =
	"UML needs ptrace of its own children.  Run it on a Linux host (not "
	"under an emulator such as qemu-user), outside sandboxes that forbid "
	"ptrace (docker before 19.03: --cap-add SYS_PTRACE), and check that "
	"kernel.yama.ptrace_scope is 0 or 1 (2 needs root)";

/* Yama's kernel.yama.ptrace_scope, or -1 on a host without Yama */
static int yama_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	int scope = -1;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	return scope;
}

/* Why PTRACE_TRACEME can be refused, and what to do about it. */
static const char *traceme_fix(void)
{
	switch (yama_scope()) {
	case 2:
		return "kernel.yama.ptrace_scope is 2 (only processes with CAP_SYS_PTRACE may trace): run UML as root, or lower it: sudo sysctl -w kernel.yama.ptrace_scope=1";
	case 3:
		return "kernel.yama.ptrace_scope is 3 (no process may trace, and it cannot be lowered until the host reboots): set kernel.yama.ptrace_scope=1 in /etc/sysctl.d/ and reboot";
	}
	return ptrace_fix;
}

static void probe_child_gone(int pid, const char *what)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	probe_fatal("%s (%s); %s", what, strerror(errno), ptrace_fix);
}

/* A child stopped by its own SIGSTOP, traced by us. */
static int start_probe_child(void)
{
	int pid, status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		probe_fatal("fork: %s", strerror(errno));
	if (pid == 0)
		probe_child();

	if (probe_wait(pid, &status))
		probe_child_gone(pid, "the traced child never stopped");
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_NO_TRACEME)
		probe_fatal("PTRACE_TRACEME was refused; %s", traceme_fix());
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
		probe_fatal("the traced child did not stop (status 0x%x); %s",
			    status, ptrace_fix);
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD) < 0)
		probe_child_gone(pid, "PTRACE_SETOPTIONS failed");
	return pid;
}

/* Let the child run to its end; it must exit with status 0. */
static void finish_probe_child(int pid, const char *what)
{
	int status;

	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
		probe_child_gone(pid, "PTRACE_CONT failed");
	if (probe_wait(pid, &status))
		probe_fatal("the traced child did not finish (%s); %s",
			    strerror(errno), ptrace_fix);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		probe_fatal("%s (child status 0x%x); %s", what, status,
			    ptrace_fix);
}

/* Resume with op until the child stops at the entry of getpid(). */
static void run_to_getpid(int pid, int op)
{
	int status, i;

	for (i = 0; i < 16; i++) {
		if (ptrace(op, pid, 0, 0) < 0)
			probe_child_gone(pid, "resuming the traced child failed");
		if (probe_wait(pid, &status))
			probe_fatal("the traced child did not stop at a system call (%s); %s",
				    strerror(errno), ptrace_fix);
		if (!WIFSTOPPED(status))
			probe_fatal("the traced child exited (status 0x%x); %s",
				    status, ptrace_fix);
		if (WSTOPSIG(status) == (SIGTRAP | 0x80) &&
		    ptrace(PTRACE_PEEKUSER, pid, PT_SYSCALL_NR_OFFSET, 0) ==
		    SYS_getpid)
			return;
	}
	probe_child_gone(pid, "never saw the child's getpid()");
}

/*
 * Stop the child at getpid() with resume_op, store value at user_offset of
 * its registers, and let it check the outcome (see probe_child()).
 */
static void probe_getpid_rewrite(int resume_op, long user_offset, long value,
				 const char *failure)
{
	int pid = start_probe_child();

	run_to_getpid(pid, resume_op);
	if (ptrace(PTRACE_POKEUSER, pid, user_offset, value) < 0)
		probe_child_gone(pid, "PTRACE_POKEUSER failed");
	finish_probe_child(pid, failure);
	probe_ok();
}

/*
 * Yama decides whether a process may trace its own children: scope 0 and 1
 * allow it (UML traces nothing else), 2 only with CAP_SYS_PTRACE, 3 never.
 * The verdict is what the host does: a child asks to be traced.
 */
static void probe_yama(void)
{
	static const char *const what[] = {
		"classic ptrace permissions",
		"a process may trace its own children, all UML needs",
		"only with CAP_SYS_PTRACE, which this process has",
	};
	int scope = yama_scope(), pid;

	if (scope < 0)
		return;		/* no Yama: the ptrace probes say it all */
	probe_begin("Yama's kernel.yama.ptrace_scope (%d)", scope);
	pid = start_probe_child();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	probe_note("OK (%s)\n", scope < 3 ? what[scope] : "tracing works");
}

static void probe_syscall_rewrite(void)
{
	probe_begin("that ptrace can change system call numbers");
	probe_getpid_rewrite(PTRACE_SYSCALL, PT_SYSCALL_NR_OFFSET, SYS_getppid,
			     "the rewritten system call did not run");
}

static void probe_sysemu(void)
{
	/* the call must not run: its result is whatever we store */
	probe_begin("that PTRACE_SYSEMU works");
	probe_getpid_rewrite(PTRACE_SYSEMU, PT_SYSCALL_RET_OFFSET, PROBE_RETVAL,
			     "PTRACE_SYSEMU did not emulate the call; the host kernel needs PTRACE_SYSEMU (x86, Linux 2.6.14 or later)");
}

static void probe_registers(void)
{
	static unsigned long fp[FP_SIZE];
	int pid, err;

	probe_begin("the ptrace register interface (GETREGS, FP/XSTATE)");
	pid = start_probe_child();
	/*
	 * Also finds out how FP state travels (XSTATE or not).  The registers
	 * new programs start with are taken later, from the first stub right
	 * after its exec (spawn.c): this child is a clone of ours.
	 */
	err = init_pid_registers(pid);
	if (!err)
		err = get_fp_registers(pid, fp);
	if (err) {
		errno = -err;
		probe_child_gone(pid, "reading a stopped child's registers failed");
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	probe_ok();
}

/* ------------------------------------------------------------ the stub */

/*
 * Start a real stub against a scratch memfd standing in for physical
 * memory (code page at 0, data pages after it), run one batch through it
 * (in fast mode through its trusted thread) and check the result.
 * Returns 0 or -errno.
 */
static int stub_self_test(int fast)
{
	int fd, pid, err;
	void *d;
	struct mm_id mm = { 0 };
	size_t size = STUB_PAGE_BYTES + STUB_DATA_BYTES;

	fd = syscall(SYS_memfd_create, "skas0-probe", 0);
	if (fd < 0 || ftruncate(fd, size) ||
	    pwrite(fd, skas0_stub_code, STUB_PAGE_BYTES, 0) != STUB_PAGE_BYTES)
		return -errno;
	d = mmap(NULL, STUB_DATA_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, STUB_PAGE_BYTES);
	if (d == MAP_FAILED) {
		err = -errno;
		goto out_close;
	}

	/* any value will do for a probe; the kernel's come from its RNG */
	mm.secret = (unsigned long)getpid() * 0x9e3779b97f4a7c15UL ^
		    (unsigned long)time(NULL);
	pid = skas_stub_spawn_raw(fd, 0, STUB_PAGE_BYTES, STUB_CODE, mm.secret, d,
				  fast ? STUB_PAGE_BYTES + STUB_REQUEST_PAGE + STUB_RQ_DONE : 0);
	if (pid < 0) {
		err = pid;
		goto out_unmap;
	}

	/* map the code page once more below the stub, then take it away */
	skas_stub_set_physmem(fd, 0);
	mm.pid = pid;
	mm.stack = (unsigned long)d;
	mm.fast = fast;
	map(&mm, STUB_CODE - 0x100000, STUB_PAGE_BYTES, PROT_READ, fd, 0);
	protect(&mm, STUB_CODE - 0x100000, STUB_PAGE_BYTES, PROT_NONE);
	unmap(&mm, STUB_CODE - 0x100000, STUB_PAGE_BYTES);
	err = syscall_stub_flush(&mm);
	if (!err && !fast && ((struct stub_data *)d)->batch_done != 3)
		err = -EPROTO;
	skas_stub_set_physmem(-1, 0);
	skas_stub_kill(&mm);
out_unmap:
	munmap(d, STUB_DATA_BYTES);
out_close:
	close(fd);
	return err;
}

static const char *const stub_dirs[] = { "TMPDIR", "/dev/shm", "/tmp", NULL };

/* vm.memfd_noexec=2 forbids executable memfds outright (Linux 6.3+) */
static const char *memfd_noexec_note(void)
{
	FILE *f = fopen("/proc/sys/vm/memfd_noexec", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 2 ? ", vm.memfd_noexec is 2" : "";
}

static void probe_stub(void)
{
	unsigned long len = skas0_stub_elf_end - skas0_stub_elf;
	const char *dir;
	int i, err;

	probe_begin("that a stub process starts and runs a batch");
	err = skas_stub_image_load(skas0_stub_elf, len, NULL);
	if (!err)
		err = stub_self_test(0);
	if (err)
		probe_note("(a memfd cannot be executed: %s%s)...", strerror(-err),
			   memfd_noexec_note());
	for (i = 0; err && stub_dirs[i]; i++) {
		dir = stub_dirs[i];
		if (i == 0)
			dir = getenv(dir);
		if (!dir || !*dir)
			continue;
		probe_note("(trying %s)...", dir);
		err = skas_stub_image_load(skas0_stub_elf, len, dir);
		if (!err)
			err = stub_self_test(0);
		if (err)
			probe_note("(%s)...", strerror(-err));
	}
	if (err)
		probe_fatal("%s; the stub must be executable from a memfd (sysctl vm.memfd_noexec below 2) or from $TMPDIR, /dev/shm or /tmp (not mounted noexec)",
			    strerror(-err));
	probe_note("OK (image in %s)\n", skas_stub_image_kind());
}

/* "NONE" for unlimited: a core limit is read to know if a crash dumps. */
static const char *limit_text(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		return "NONE";
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static void report_core_limit(void)
{
	char soft[32], hard[32];
	struct rlimit lim;

	if (getrlimit(RLIMIT_CORE, &lim) == 0)
		printf("Core dump limits :\n\tsoft - %s\n\thard - %s\n",
		       limit_text(lim.rlim_cur, soft, sizeof(soft)),
		       limit_text(lim.rlim_max, hard, sizeof(hard)));
}

/*
 * A seccomp filter the host put on us (a container's profile) is inherited
 * by every backing process, and its refusals win over the stub's
 * SECCOMP_RET_TRACE; mem.c then keeps guest code under PTRACE_SYSEMU.
 */
static void probe_host_seccomp(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	int mode = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	if (f)
		fclose(f);
	probe_begin("for a seccomp filter the host put on this process");
	if (mode != 2) {
		probe_note("none\n");
		return;
	}
	skas_batch_resume_disable();
	probe_note("yes (a container?): every guest syscall stops under PTRACE_SYSEMU, batches run on their own\n");
}

/*
 * Fast mode (arch/um/os-Linux/skas/fast.c), where it is wanted: a fast
 * stub must start, with its trusted thread and both filters, and run a
 * batch through that thread.  Asked for explicitly and not possible here,
 * it is fatal; under auto the kernel falls back to ptrace mode.
 */
static void probe_fast(void)
{
	int want, err;
	const char *why = skas_fast_choice(&want);

	probe_begin("the mode guest syscalls and faults take (%s)", why);
	if (!want) {
		probe_note("ptrace\n");
		return;
	}
	err = stub_self_test(1);
	if (err && !strcmp(why, "skas0.mode=fast"))
		probe_fatal("fast mode does not work here: %s; boot with skas0.mode=ptrace",
			    strerror(-err));
	if (err) {
		probe_note("ptrace (fast mode does not work here: %s)\n",
			   strerror(-err));
		return;
	}
	skas_fast_enabled = 1;
	skas_cpu_fast_placement();
	probe_note("fast: no ptrace stop per syscall or fault\n");
}

/*
 * The host's [vsyscall] page, from our own maps: the host gives every
 * 64-bit process the same one, so the backing processes have it as we do.
 * Its line starts with its address; any other line is skipped whole, even
 * one longer than the buffer.
 */
static int host_vsyscall_prot = -1;

static void probe_vsyscall(void)
{
	static const char key[] = "ffffffffff600000-ffffffffff601000 ";
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[256], *perms;
	int at_start = 1;

	probe_begin("the host's vsyscall page");
	if (!maps) {
		probe_note("unknown (/proc/self/maps: %s); guests see none\n",
			   strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), maps)) {
		int start = at_start;

		at_start = strchr(line, '\n') != NULL;
		if (!start || strncmp(line, key, sizeof(key) - 1))
			continue;
		perms = line + sizeof(key) - 1;
		host_vsyscall_prot = (perms[0] == 'r' ? SKAS_PROT_READ : 0) |
				     (perms[2] == 'x' ? SKAS_PROT_EXEC : 0);
		break;
	}
	fclose(maps);
	if (host_vsyscall_prot < 0) {
		probe_note("none: calls there fault, as in guests\n");
		return;
	}
	probe_note("%s: guests list it so in /proc/PID/maps, and their calls there reach this kernel\n",
		   host_vsyscall_prot & SKAS_PROT_READ ? "r-x" : "--x");
}

int skas_host_vsyscall_prot(void)
{
	return host_vsyscall_prot;
}

void __init os_early_checks(void)
{
	report_core_limit();
	probe_host_seccomp();
	probe_yama();
	probe_syscall_rewrite();
	probe_sysemu();
	probe_registers();
	probe_stub();
	probe_fast();
	probe_vsyscall();
}

/* ------------------------------------------------- other early set-up */

/* Hand the first "flags" and "cache_alignment" lines of cpuinfo over. */
void __init get_host_cpu_features(void (*flags_helper_func)(char *line),
				  void (*cache_helper_func)(char *line))
{
	struct {
		const char *key;
		void (*use)(char *line);
	} wanted[] = {
		{ "flags", flags_helper_func },
		{ "cache_alignment", cache_helper_func },
	};
	unsigned int i, left = ARRAY_SIZE(wanted);
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	char *line = NULL;
	size_t cap = 0;

	if (!cpuinfo) {
		os_info("Failed to get host CPU features\n");
		return;
	}
	while (left && getline(&line, &cap, cpuinfo) != -1)
		for (i = 0; i < ARRAY_SIZE(wanted); i++)
			if (wanted[i].use && strstr(line, wanted[i].key)) {
				wanted[i].use(line);
				wanted[i].use = NULL;
				left--;
			}
	free(line);
	fclose(cpuinfo);
}

/* iomem=<name>,<file>: map a host file into the guest as an I/O region. */
int __init parse_iomem(char *str, int *add)
{
	struct iomem_region *region;
	struct stat64 st;
	char *file = strchr(str, ',');
	int fd;

	if (!file) {
		os_warn("iomem=%s: expected iomem=<name>,<file>\n", str);
		return 1;
	}
	*file++ = '\0';

	fd = open(file, O_RDWR, 0);
	if (fd < 0) {
		os_warn("iomem: cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	region = malloc(sizeof(*region));
	if (fstat64(fd, &st) < 0 || !region) {
		os_warn("iomem: cannot use %s: %s\n", file, strerror(errno));
		free(region);
		close(fd);
		return 1;
	}

	*region = (struct iomem_region) {
		.next = iomem_regions,
		.driver = str,
		.fd = fd,
		.size = (st.st_size + UM_KERN_PAGE_SIZE) &
			~(UM_KERN_PAGE_SIZE - 1),
	};
	iomem_regions = region;
	iomem_size += region->size + UM_KERN_PAGE_SIZE;
	return 0;
}

/* ------------------------------------------------ per-instance directory */

/*
 * The per-instance directory holds the pid file and the mconsole socket:
 * it must be ours and a real directory, and, in a place other users can
 * write to (the fallback under /tmp), closed to everyone else, so nobody
 * can make it first and choose where those go.  The reason it is refused
 * goes into why.
 */
static int dir_check(const char *path, int private, const char **why)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		*why = "it is not a directory";
	else if (st.st_uid != getuid())
		*why = "another user owns it";
	else if (private && (st.st_mode & 077))
		*why = "its mode is not 0700";
	else if (st.st_mode & 022)
		*why = "others may write to it";
	if (*why)
		return -EPERM;
	return access(path, W_OK | X_OK) ? -errno : 0;
}

static int dir_usable(const char *dir, int private, const char **why)
{
	/* malloc, not strdup: the kernel wraps malloc and free, not libc's strdup */
	size_t n = strlen(dir);
	char *path = malloc(n + 1);
	int err;

	*why = NULL;
	if (!path)
		return -ENOMEM;
	memcpy(path, dir, n + 1);
	/* lstat "x/" would follow a symlink x: look at x itself */
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	err = dir_check(path, private, why);
	free(path);
	return err;
}

/* "<dir>/" in fresh memory, or NULL */
static char *with_slash(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (!s)
		return NULL;
	snprintf(s, n, "%s%s", a, b);
	if (s[0] && s[strlen(s) - 1] != '/')
		strcat(s, "/");
	return s;
}

/*
 * The directory for this instance's pid file and mconsole socket, normally
 * ~/.uml.  With HOME unset or read-only (a CI user, "nobody", a container)
 * fall back to a private directory under $TMPDIR or /tmp.  With neither,
 * the kernel stops with the reason (exit status 1).
 */
char *skas_probe_uml_dir(const char *configured)
{
	const char *home = getenv("HOME");
	const char *bases[] = { getenv("TMPDIR"), "/tmp" };
	char *dir = NULL, suffix[32], first[128];
	const char *why = NULL;
	unsigned int i;
	int err = -ENOENT;

	probe_begin("that %s is writable", configured);
	if (configured[0] != '~')
		dir = with_slash(configured, "");
	else if (home && *home)
		dir = with_slash(home, configured + 1);
	if (dir)
		err = dir_usable(dir, 0, &why);
	if (!err) {
		probe_ok();
		return dir;
	}
	free(dir);
	snprintf(first, sizeof(first), "%s", why ? why :
		 home || configured[0] != '~' ? strerror(-err) : "HOME is not set");

	/*
	 * A fallback that cannot be made (TMPDIR missing, read-only) gives way
	 * to the next; one that exists but is not ours stops the kernel.
	 */
	snprintf(suffix, sizeof(suffix), "/uml-%u", (unsigned int)getuid());
	for (i = 0, dir = NULL; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!bases[i] || !*bases[i])
			continue;
		free(dir);
		dir = with_slash(bases[i], suffix);
		err = dir ? dir_usable(dir, 1, &why) : -ENOMEM;
		if (!err || why)
			break;
	}
	if (err) {
		/* the kernel cannot go on without it: say so and stop */
		probe_note("failed: %s; and %s is not usable either (%s): remove it, or set uml_dir= to a directory of your own\n",
			   first, dir ? dir : "a fallback",
			   why ? why : strerror(-err));
		exit(1);
	}
	probe_note("failed: %s; using %s instead\n", first, dir);
	return dir;
}
