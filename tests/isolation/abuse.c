// Abuse from inside the guest: a fork bomb under RLIMIT_NPROC, a process
// touching 4x mem=, 10 000 random mmap/munmap/mprotect/mremap checked
// against a model, 60 000 tiny mappings, and more host mappings than the
// host allows.  The kernel survives, only the culprit suffers, the model
// holds.  Each test runs in a child, so a crash is reported, not fatal.
// usage: abuse TEST...	(bomb, oom, model, tiny, scatter[=MIB])
#include "../guest/check.h"
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

/* shared with the children: what went wrong, and a few numbers */
static struct shared {
	char note[512];
	long v[4];
} *sh;

static void note(const char *fmt, ...)
{
	va_list ap;

	if (sh->note[0])
		return;		/* the first failure is the one that counts */
	va_start(ap, fmt);
	vsnprintf(sh->note, sizeof(sh->note), fmt, ap);
	va_end(ap);
}

#define HUNG	(-2)	/* a status of our own: killed after a timeout */

static int hung_after;

/* wait_bounded(), with a hang recorded as HUNG for how() */
static int wait_or_hung(pid_t pid, int *status, int seconds)
{
	if (wait_bounded(pid, status, seconds))
		return 1;
	*status = HUNG;
	hung_after = seconds;
	return 0;
}

/* fn's return value is the child's exit status: 0 is success */
static int in_child(int (*fn)(void), int *status, int seconds)
{
	pid_t pid;

	memset(sh, 0, sizeof(*sh));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn());
	if (pid < 0) {
		*status = -1;
		return 0;
	}
	return wait_or_hung(pid, status, seconds) &&
	       WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

static const char *how(int status)
{
	static char buf[64];

	if (status == -1)
		snprintf(buf, sizeof(buf), "no child");
	else if (status == HUNG)
		snprintf(buf, sizeof(buf), "hung: killed after %d s", hung_after);
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	return buf;
}

/* ---- fork bomb ---- */

#define BOMB_NPROC	64
#define NOBODY		65534

/* every member forks until the kernel says no, tells why, and waits */
static void bomb(int tell)
{
	char err;

	for (;;) {
		if (fork() < 0) {
			err = errno;
			write(tell, &err, 1);
			for (;;)
				pause();
		}
	}
}

static int drop_to_nobody(void)
{
	struct rlimit rl = { BOMB_NPROC, BOMB_NPROC };

	return setrlimit(RLIMIT_NPROC, &rl) || setgid(NOBODY) || setuid(NOBODY);
}

/*
 * A subreaper (root) starts the bomb in its own process group as nobody:
 * root ignores RLIMIT_NPROC.  Orphaned members come back to it, so it can
 * count and reap them all.  v[0]: the bomb's errno, v[1]: members reaped.
 */
static int run_bomb(void)
{
	int tell[2], status;
	pid_t leader;
	char err = 0;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe(tell))
		return 2;
	leader = fork();
	if (leader == 0) {
		close(tell[0]);
		setpgid(0, 0);
		if (drop_to_nobody())
			_exit(3);
		bomb(tell[1]);
	}
	close(tell[1]);
	if (read(tell[0], &err, 1) != 1)
		note("the bomb never reported a failed fork");
	sh->v[0] = err;
	/*
	 * At once, while members are still forking: a fork cut short by
	 * SIGKILL must unwind cleanly.
	 */
	kill(-leader, SIGKILL);
	while (waitpid(-1, &status, 0) > 0)
		sh->v[1]++;
	return 0;
}

/* can a fresh nobody process under the same limit fork? */
static int nobody_forks(void)
{
	int status;
	pid_t pid;

	if (drop_to_nobody())
		return 3;
	pid = fork();
	if (pid < 0) {
		note("fork as nobody: %s", strerror(errno));
		return 1;
	}
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0);
	return 0;
}

static int nothing(void)
{
	return 0;
}

/* answers each byte with the next one, until the pipe closes */
static pid_t start_bystander(int *to, int *from)
{
	int down[2], up[2];
	pid_t pid;
	char c;

	if (pipe(down) || pipe(up))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		while (read(down[0], &c, 1) == 1) {
			c++;
			write(up[1], &c, 1);
		}
		_exit(7);
	}
	close(down[0]);
	close(up[1]);
	*to = down[1];
	*from = up[0];
	return pid;
}

static int bystander_answers(int to, int from)
{
	struct pollfd pfd = { .fd = from, .events = POLLIN };
	char c = 'a';

	if (write(to, &c, 1) != 1 || poll(&pfd, 1, 5000) != 1 ||
	    read(from, &c, 1) != 1)
		return 0;
	return c == 'b';
}

static void test_bomb(void)
{
	int to = -1, from = -1, status, done, answers, err, reaped, again, root_forks;
	pid_t by = start_bystander(&to, &from);

	done = in_child(run_bomb, &status, 30);
	err = sh->v[0];
	reaped = sh->v[1];
	/*
	 * The limit counts a member whose fork the kill cuts short, which
	 * never becomes a process: up to BOMB_NPROC are reaped.
	 */
	done = done && err == EAGAIN && reaped > 0 && reaped <= BOMB_NPROC;
	check(done, "fork bomb as nobody under RLIMIT_NPROC=%d: fork fails with %s, killing its group reaps %d processes (want 1..%d) (%s) %s",
	      BOMB_NPROC, strerror(err), reaped, BOMB_NPROC, how(status), sh->note);
	answers = bystander_answers(to, from);
	check(answers, "a bystander started before the bomb still answers");
	close(to);
	status = 0;
	waitpid(by, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 7,
	      "the bystander exits normally when told (%s)", how(status));
	again = in_child(nobody_forks, &status, 10);
	check(again, "after the bomb a fresh nobody process under the same limit can fork (%s) %s",
	      how(status), sh->note);
	root_forks = in_child(nothing, &status, 10);
	check(root_forks, "and root can fork (%s)", how(status));
}

/* ---- 4x mem= ---- */

static unsigned long ram_bytes(void)
{
	struct sysinfo si;

	sysinfo(&si);
	return si.totalram * si.mem_unit;
}

/* maps 4x RAM and writes every page: the OOM killer must stop it */
/* the OOM killer's first choice, whatever else the guest runs */
static void volunteer_for_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, "1000", 4) != 4)
		note("oom_score_adj: %s", strerror(errno));
	close(fd);
}

static int hog(void)
{
	unsigned long len = 4 * ram_bytes(), i;
	char *p;

	volunteer_for_oom();
	p = mmap(NULL, len, RW, ANON | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		note("mmap of %lu MiB: %s", len >> 20, strerror(errno));
		return 2;
	}
	for (i = 0; i < len; i += PAGE)
		p[i] = 1;
	note("wrote all %lu MiB", len >> 20);
	return 3;
}

/* a quarter of RAM, every page written and read back */
static int quarter(void)
{
	unsigned long len = ram_bytes() / 4, i;
	unsigned long *p = mmap(NULL, len, RW, ANON, -1, 0);

	if (p == MAP_FAILED) {
		note("mmap of %lu MiB: %s", len >> 20, strerror(errno));
		return 2;
	}
	for (i = 0; i < len / PAGE; i++)
		p[i * PAGE / sizeof(long)] = i + 1;
	for (i = 0; i < len / PAGE; i++)
		if (p[i * PAGE / sizeof(long)] != i + 1) {
			note("page %lu reads %lx", i, p[i * PAGE / sizeof(long)]);
			return 1;
		}
	return 0;
}

static void test_oom(void)
{
	unsigned long ram = ram_bytes();
	int status, killed, fits;

	in_child(hog, &status, 60);
	killed = status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	check(killed, "a process writing 4x RAM (%lu MiB) dies of SIGKILL (%s) %s",
	      4 * ram >> 20, how(status), sh->note);
	fits = in_child(quarter, &status, 30);
	check(fits, "afterwards a fresh process writes and reads back a quarter of RAM (%lu MiB) (%s) %s",
	      ram / 4 >> 20, how(status), sh->note);
}

/* ---- random operations against a model ---- */

#define MODEL_BASE	0x4000000000UL	/* far from anything else */
#define MODEL_PAGES	256
#define MODEL_OPS	10000
#define MODEL_CHECK	100
#define MODEL_SEED	0x5ca50000b0b0UL
#define LAST_WORD	(PAGE / sizeof(long) - 1)

static struct page_model {
	int mapped, prot;
	unsigned long tag;		/* in the first and last word; 0: fresh */
} model[MODEL_PAGES];

static const int prots[] = {
	PROT_NONE, PROT_READ, RW, RW | PROT_EXEC,
};

static unsigned long rng = MODEL_SEED, next_tag = 1;
static int op_index;
static long done_ops[4];	/* mmap, munmap, mprotect, mremap */

static unsigned long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long page_at(int i)
{
	return MODEL_BASE + i * PAGE;
}

static int mismatch(const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	note("op %d (seed %lx): %s", op_index, MODEL_SEED, what);
	return 1;
}

/* a page just made writable gets a new tag, so moves can be traced */
static int tag_writable(int first, int n)
{
	unsigned long tag;
	int i;

	for (i = first; i < first + n; i++) {
		if (!model[i].mapped || !(model[i].prot & PROT_WRITE))
			continue;
		tag = next_tag++;
		if (!probe_write(page_at(i), tag) ||
		    !probe_write(page_at(i) + LAST_WORD * sizeof(long), tag))
			return mismatch("page %d is not writable", i);
		model[i].tag = tag;
	}
	return 0;
}

/* pages first..first+n-1: readable, writable and tagged as the model says */
static int verify(int first, int n)
{
	unsigned long head, tail;
	int i, r, w, want_r, want_w;

	for (i = first; i < first + n; i++) {
		head = tail = 0;
		r = probe_read(page_at(i), &head) &&
		    probe_read(page_at(i) + LAST_WORD * sizeof(long), &tail);
		w = probe_write(page_at(i), head);
		want_r = model[i].mapped && model[i].prot != PROT_NONE;
		want_w = model[i].mapped && (model[i].prot & PROT_WRITE);
		if (r != want_r || w != want_w ||
		    (r && (head != model[i].tag || tail != model[i].tag)))
			return mismatch("page %d: want mapped %d prot %d tag %lx, saw readable %d writable %d words %lx %lx",
					i, model[i].mapped, model[i].prot, model[i].tag,
					r, w, head, tail);
	}
	return 0;
}

static int op_mmap(int first, int n)
{
	int prot = prots[rnd() % 4], i;
	void *p = mmap((void *)page_at(first), n * PAGE, prot, ANON | MAP_FIXED, -1, 0);

	if (p != (void *)page_at(first))
		return mismatch("mmap of pages %d+%d: %s", first, n, strerror(errno));
	for (i = first; i < first + n; i++)
		model[i] = (struct page_model){ 1, prot, 0 };
	done_ops[0]++;
	return tag_writable(first, n);
}

static int op_munmap(int first, int n)
{
	int i;

	if (munmap((void *)page_at(first), n * PAGE))
		return mismatch("munmap of pages %d+%d: %s", first, n, strerror(errno));
	for (i = first; i < first + n; i++)
		model[i].mapped = 0;
	done_ops[1]++;
	return 0;
}

/*
 * Linux changes the pages up to the first hole, then fails with ENOMEM;
 * the model does the same.
 */
static int op_mprotect(int first, int n)
{
	int prot = prots[rnd() % 4], hole = first, rc, want, i;

	while (hole < first + n && model[hole].mapped)
		hole++;
	rc = mprotect((void *)page_at(first), n * PAGE, prot);
	want = hole < first + n ? -1 : 0;
	if (rc != want || (rc && errno != ENOMEM))
		return mismatch("mprotect of pages %d+%d (hole at %d): %d, %s",
				first, n, hole, rc, strerror(errno));
	for (i = first; i < hole; i++)
		model[i].prot = prot;
	done_ops[2]++;
	return tag_writable(first, hole - first);
}

/* end of the VMA holding addr, from /proc/self/maps; 0 if none does */
static unsigned long vma_end(unsigned long addr)
{
	static char buf[1 << 16];
	unsigned long start, end;
	char *line;
	int fd = open("/proc/self/maps", O_RDONLY);
	long len = 0, got;

	if (fd < 0)
		return 0;
	while ((got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += got;
	close(fd);
	buf[len] = 0;
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 && start <= addr && addr < end)
			return end;
	}
	return 0;
}

/*
 * mremap moves only within one VMA: clip the source to the VMA holding
 * its first page.  Pages, protections and contents move; the source
 * becomes a hole.
 */
static int op_mremap(int first, int n)
{
	struct page_model moved[MODEL_PAGES];
	unsigned long end;
	int to, i, tries;
	void *p;

	if (!model[first].mapped)
		return op_mmap(first, n);
	end = vma_end(page_at(first));
	if (!end)
		return mismatch("page %d is mapped but in no VMA", first);
	if (n > (end - page_at(first)) / PAGE)
		n = (end - page_at(first)) / PAGE;
	for (tries = 0; tries < 16; tries++) {
		to = rnd() % (MODEL_PAGES - n + 1);
		if (to + n <= first || to >= first + n)
			break;
	}
	if (tries == 16)
		return 0;
	p = mremap((void *)page_at(first), n * PAGE, n * PAGE,
		   MREMAP_MAYMOVE | MREMAP_FIXED, (void *)page_at(to));
	if (p != (void *)page_at(to))
		return mismatch("mremap of pages %d+%d to %d: %s", first, n, to, strerror(errno));
	memcpy(moved, model + first, n * sizeof(*model));
	for (i = 0; i < n; i++)
		model[first + i].mapped = 0;
	memcpy(model + to, moved, n * sizeof(*model));
	done_ops[3]++;
	return verify(to, n);		/* the caller checks the source */
}


static int model_ops(void)
{
	int (*const ops[])(int, int) = { op_mmap, op_munmap, op_mprotect, op_mremap };
	int first, n;

	for (op_index = 0; op_index < MODEL_OPS; op_index++) {
		n = 1 + rnd() % 16;
		first = rnd() % (MODEL_PAGES - n + 1);
		/*
		 * The pages an op touched at once, all of them now and then:
		 * a wrong page may be overwritten before the full check.
		 */
		if (ops[rnd() % 4](first, n) || verify(first, n))
			return 1;
		if ((op_index + 1) % MODEL_CHECK == 0 && verify(0, MODEL_PAGES))
			return 1;
	}
	return verify(0, MODEL_PAGES);
}

static int run_model(void)
{
	int failed;

	probe_init();
	munmap((void *)MODEL_BASE, MODEL_PAGES * PAGE);
	failed = model_ops();
	memcpy(sh->v, done_ops, sizeof(done_ops));
	return failed;
}

static void test_model(void)
{
	int status, held;

	held = in_child(run_model, &status, 60);
	held = held && sh->v[0] && sh->v[1] && sh->v[2] && sh->v[3];
	check(held, "%d random mmap/munmap/mprotect/mremap on %d pages match the model (seed %lx), checked after each op and all pages every %d (done: %ld mmap, %ld munmap, %ld mprotect, %ld mremap) (%s) %s",
	      MODEL_OPS, MODEL_PAGES, MODEL_SEED, MODEL_CHECK, sh->v[0], sh->v[1], sh->v[2], sh->v[3],
	      how(status), sh->note);
}

/* ---- 60 000 tiny mappings ---- */

#define TINY	60000	/* the guest's vm.max_map_count is 65530 */

/*
 * Alternating protections keep the kernel from merging neighbours: 60 000
 * VMAs, and as many host mappings.  v[0]: 1 once all were checked.
 */
static int run_tiny(void)
{
	static unsigned long *page[TINY];
	unsigned long want, *p;
	int i;

	for (i = 0; i < TINY; i++) {
		page[i] = mmap(NULL, PAGE, i & 1 ? PROT_READ : RW, ANON, -1, 0);
		if (page[i] == MAP_FAILED) {
			note("mapping %d: %s", i, strerror(errno));
			return 1;
		}
		if (!(i & 1))
			*page[i] = i + 1;
	}
	for (i = 0; i < TINY; i++) {
		want = i & 1 ? 0 : i + 1;
		if (*page[i] != want) {
			note("mapping %d reads %lx, want %lx", i, *page[i], want);
			return 1;
		}
	}
	for (i = 0; i < TINY; i++)
		if (munmap(page[i], PAGE)) {
			note("munmap %d: %s", i, strerror(errno));
			return 1;
		}
	sh->v[0] = 1;
	p = mmap(NULL, 64 << 20, RW, ANON, -1, 0);
	if (p == MAP_FAILED) {
		note("64 MiB mmap afterwards: %s", strerror(errno));
		return 1;
	}
	memset(p, 0x5a, 64 << 20);
	return p[(64 << 20) / sizeof(long) - 1] != 0x5a5a5a5a5a5a5a5aUL;
}

static void test_tiny(void)
{
	int status, after;

	after = in_child(run_tiny, &status, 60);
	check(sh->v[0] == 1, "%d one-page mappings, alternately read-write and read-only, hold their values and unmap (%s) %s",
	      TINY, how(status), sh->note);
	check(after, "after them a 64 MiB mapping works (%s) %s", how(status), sh->note);
}

/* ---- more host mappings than the host allows ---- */

/* bytes per region; "scatter=MIB" sets it to exceed the host's limit */
static unsigned long scatter_bytes = 160UL << 20;

/*
 * Touching page i of A, then page i of B, interleaves their physical pages:
 * no two neighbouring pages of A are neighbours in guest memory, so each is
 * a host mapping of its own: 2 x 160 MiB make 81 920, more than the host's
 * default vm.max_map_count (65 530); the runner scales this to the host's
 * limit.  Host mappings are a cache: the kernel must evict and retry, not
 * kill the process.
 */
static int run_scatter(void)
{
	unsigned long n = scatter_bytes / PAGE, i;
	unsigned long *a = mmap(NULL, scatter_bytes, RW, ANON, -1, 0);
	unsigned long *b = mmap(NULL, scatter_bytes, RW, ANON, -1, 0);
	const unsigned long w = PAGE / sizeof(long);

	if (a == MAP_FAILED || b == MAP_FAILED) {
		note("mmap: %s", strerror(errno));
		return 2;
	}
	for (i = 0; i < n; i++) {
		a[i * w] = i;
		b[i * w] = n + i;
	}
	for (i = 0; i < n; i++)
		if (a[i * w] != i || b[i * w] != n + i) {
			note("page %lu reads %lx/%lx, want %lx/%lx",
			     i, a[i * w], b[i * w], i, n + i);
			return 1;
		}
	return 0;
}

static void test_scatter(void)
{
	int status, held;

	held = in_child(run_scatter, &status, 20 + (scatter_bytes >> 24));
	check(held, "two %lu MiB regions touched page by page in turn (%lu pages, a host mapping each) keep every value (%s) %s",
	      scatter_bytes >> 20, 2 * scatter_bytes / PAGE, how(status), sh->note);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} tests[] = {
		{ "bomb", test_bomb }, { "oom", test_oom }, { "model", test_model },
		{ "tiny", test_tiny }, { "scatter", test_scatter },
	};
	int i, t;

	sh = mmap(NULL, sizeof(*sh), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "scatter=", 8)) {
			scatter_bytes = strtoul(argv[i] + 8, NULL, 0) << 20;
			argv[i] = "scatter";
		}
		for (t = 0; t < sizeof(tests) / sizeof(*tests); t++)
			if (!strcmp(argv[i], tests[t].name))
				break;
		if (t == sizeof(tests) / sizeof(*tests)) {
			check(0, "no test named %s", argv[i]);
			continue;
		}
		printf("abuse: %s\n", argv[i]);	/* for a console tail after a crash */
		tests[t].run();
	}
	printf("ABUSE-DONE\n");
	return check_summary("abuse");
}
