/*
 * Runs one selftest program inside the guest under a time limit and prints
 * the result for tests/run-selftests.sh to parse:
 *
 *   SKAS0-ST-BEGIN NAME
 *   ... the program's output ...
 *   SKAS0-ST-RESULT NAME PASS|SKIP|FAIL HOW SECONDS
 *
 * usage: runner [-t SECONDS] [-u UID] NAME PROGRAM [ARGS...]
 * Exit status 0 is PASS, 4 (KSFT_SKIP) is SKIP, anything else FAIL. The
 * program runs in its own process group, which is killed (SIGKILL) when the
 * time limit passes and again when the program ends, so nothing it left
 * behind runs into the next program. -u drops to that uid and gid first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned int limit = 60;
	long uid = -1;
	int opt, status;
	const char *name, *verdict;
	char how[64];
	struct sigaction sa;
	double start;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+t:u:")) != -1) {
		switch (opt) {
		case 't': limit = strtoul(optarg, NULL, 0); break;
		case 'u': uid = strtol(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (argc - optind < 2) {
usage:
		fprintf(stderr, "usage: runner [-t SECONDS] [-u UID] NAME PROGRAM [ARGS...]\n");
		return 2;
	}
	name = argv[optind];
	printf("SKAS0-ST-BEGIN %s\n", name);
	fflush(stdout);
	start = now();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
			perror("runner: dropping to the uid");
			_exit(126);
		}
		execv(argv[optind + 1], argv + optind + 1);
		fprintf(stderr, "runner: exec %s: %s\n", argv[optind + 1], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(limit);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			return 2;
		}
		if (expired) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
	}
	alarm(0);
	kill(-pid, SIGKILL);	/* whatever it left behind in its group */
	if (expired) {
		verdict = "FAIL";
		snprintf(how, sizeof(how), "timeout(%us)", limit);
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		verdict = code == 0 ? "PASS" : code == 4 ? "SKIP" : "FAIL";
		snprintf(how, sizeof(how), "exit=%d", code);
	} else {
		verdict = "FAIL";
		snprintf(how, sizeof(how), "signal=%d(%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		for (char *p = how; *p; p++)
			if (*p == ' ')
				*p = '_';
	}
	/* a newline first: the program's last line may have none */
	printf("\nSKAS0-ST-RESULT %s %s %s %.1f\n", name, verdict, how, now() - start);
	fflush(stdout);
	return 0;
}
