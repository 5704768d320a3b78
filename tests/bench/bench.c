// One benchmark program, run on the host and inside each guest kernel.
// Prints "BENCH <figure> <microseconds per operation>" lines.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/*
 * The skas layer's counters (/proc/skas0, "name value" lines; absent on
 * the host and on upstream): snapshot() before a figure, report() prints
 * what each operation cost in round trips, batches and hand-offs.
 */
#define COUNTERS_MAX	16

static struct { char name[32]; unsigned long v; } before[COUNTERS_MAX];
static int counters;

static int read_counters(char names[][32], unsigned long *v)
{
	FILE *f = fopen("/proc/skas0", "r");
	char line[96], name[32];
	unsigned long x;
	int n = 0;

	if (!f)
		return 0;
	while (n < COUNTERS_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %lu", name, &x) == 2) {	/* not "mode" */
			strcpy(names[n], name);
			v[n++] = x;
		}
	fclose(f);
	return n;
}

static void snapshot(void)
{
	char names[COUNTERS_MAX][32];
	unsigned long v[COUNTERS_MAX];
	int i;

	counters = read_counters(names, v);
	for (i = 0; i < counters; i++) {
		strcpy(before[i].name, names[i]);
		before[i].v = v[i];
	}
}

static void report(const char *name, double total_us, long ops)
{
	char names[COUNTERS_MAX][32];
	unsigned long v[COUNTERS_MAX];
	int i, n = read_counters(names, v);

	printf("BENCH %s %.3f\n", name, total_us / ops);
	if (n && n == counters) {
		printf("BENCHC %s", name);
		for (i = 0; i < n; i++)
			if (v[i] != before[i].v)
				printf(" %s=%.2f", names[i],
				       (double)(v[i] - before[i].v) / ops);
		printf("\n");
	}
	fflush(stdout);
}

#define TIMED(name, ops, body) do {				\
	long i_, n_ = (ops);					\
	double t0_ = (snapshot(), now_us());			\
	for (i_ = 0; i_ < n_; i_++) { body; }			\
	report(name, now_us() - t0_, n_);			\
} while (0)

static void bench_null_syscall(void)
{
	TIMED("null_syscall", 20000, syscall(SYS_getppid));
}

static void bench_fork_exit(void)
{
	TIMED("fork_exit", 300, {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
	});
}

static void bench_fork_exec(const char *self)
{
	TIMED("fork_exec", 200, {
		pid_t p = fork();
		if (p == 0) {
			execl(self, self, "--exit", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	});
}

static void bench_page_fault(void)
{
	size_t len = 64 << 20, pg = 4096, i;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0 = (snapshot(), now_us());

	for (i = 0; i < len; i += pg)
		p[i] = 1;
	report("write_fault", now_us() - t0, len / pg);
	munmap(p, len);
}

static void bench_mprotect(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	p[0] = 1;
	TIMED("mprotect_pair", 3000, {
		mprotect(p, 4096, PROT_READ);
		mprotect(p, 4096, PROT_READ | PROT_WRITE);
		p[0]++;
	});
	munmap(p, 4096);
}

static void bench_mmap_touch(void)
{
	TIMED("mmap_touch_munmap_64k", 1000, {
		char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (int j = 0; j < 65536; j += 4096)
			p[j] = 1;
		munmap(p, 65536);
	});
}

static void bench_pipe(void)
{
	int a[2], b[2];
	char c = 0;
	pid_t p;

	pipe(a);
	pipe(b);
	p = fork();
	if (p == 0) {
		close(a[1]);
		while (read(a[0], &c, 1) == 1)
			write(b[1], &c, 1);
		_exit(0);
	}
	TIMED("pipe_round_trip", 3000, {
		write(a[1], &c, 1);
		read(b[0], &c, 1);
	});
	close(a[1]);
	waitpid(p, NULL, 0);
}

static void *thread_fn(void *arg)
{
	return arg;
}

static void bench_threads(void)
{
	TIMED("thread_create_join", 500, {
		pthread_t t;
		pthread_create(&t, NULL, thread_fn, NULL);
		pthread_join(t, NULL);
	});
}

static volatile int hits;

static void on_usr1(int sig)
{
	hits++;
}

static void bench_signal(void)
{
	signal(SIGUSR1, on_usr1);
	TIMED("signal_delivery", 5000, raise(SIGUSR1));
}

/* Fixed work for counting host syscalls per guest event. */
static int count_mode(const char *mode, long n)
{
	long i;

	if (!strcmp(mode, "--getppid")) {
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (!strcmp(mode, "--faults")) {
		char *p = mmap(NULL, (n + 1) * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		for (i = 0; i < n; i++)
			p[i * 4096] = 1;
	} else if (!strcmp(mode, "--forks")) {
		for (i = 0; i < n; i++) {
			pid_t c = fork();

			if (c == 0)
				_exit(0);
			waitpid(c, NULL, 0);
		}
	}
	return 0;
}

/* --time NAME CMD...: run CMD once, report its wall time. */
static int time_command(const char *name, char **cmd)
{
	double t0 = (snapshot(), now_us());
	int status;
	pid_t p = fork();

	if (p == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(p, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench: %s failed (status 0x%x)\n", name, status);
		return 1;
	}
	report(name, now_us() - t0, 1);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--exit"))
		return 0;
	if (argc > 3 && !strcmp(argv[1], "--time"))
		return time_command(argv[2], argv + 3);
	if (argc > 2)
		return count_mode(argv[1], atol(argv[2]));
	bench_null_syscall();
	bench_fork_exit();
	bench_fork_exec(argv[0]);
	bench_page_fault();
	bench_mprotect();
	bench_mmap_touch();
	bench_pipe();
	bench_threads();
	bench_signal();
	return 0;
}
