// SPDX-License-Identifier: GPL-2.0
/*
 * Run one UML boot the way a hostile guest cannot hurt the host: as an
 * unprivileged host user, in a session of its own, next to a bystander
 * host process of the same user, and under us as child subreaper, so that
 * every host process the boot leaves behind comes back to us.
 *
 * After the boot it checks, as [OK]/[FAIL] lines:
 *  - the bystander (a process of the same user, outside the boot's
 *    session) is still alive: nothing signalled it;
 *  - no host process of the boot is left alive or unreaped;
 *  - no core file appeared in the boot's working directory.
 * It then ends only what it started (by pid) and exits with the boot's
 * exit status.
 *
 * usage: sentinel [-u USER] [-t SECONDS] [-C DIR] -- COMMAND [ARG...]
 *   -u USER   run COMMAND and the bystander as USER (when started as root)
 *   -t SECS   kill the boot's session after SECS seconds (default 300)
 *   -C DIR    working directory of COMMAND (default: the current one)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

static uid_t run_uid;
static gid_t run_gid;
static int drop_privileges;

static void become_user(void)
{
	if (!drop_privileges)
		return;
	if (setgroups(0, NULL) || setresgid(run_gid, run_gid, run_gid) ||
	    setresuid(run_uid, run_uid, run_uid)) {
		perror("sentinel: dropping privileges");
		_exit(126);
	}
}

static pid_t start_bystander(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		become_user();
		execlp("sleep", "sleep", "600", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static pid_t start_boot(char **argv, const char *dir)
{
	struct rlimit core = { RLIM_INFINITY, RLIM_INFINITY };
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		become_user();
		/* a dump of guest memory must not happen even when allowed */
		setrlimit(RLIMIT_CORE, &core);
		if (dir && chdir(dir)) {
			perror(dir);
			_exit(126);
		}
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	return pid;
}

static int cores_in(const char *dir)
{
	DIR *d = opendir(dir ? dir : ".");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "core", 4))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Our children other than the bystander: what the boot left behind. */
static int leftovers(pid_t bystander, int kill_them)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[64], buf[512], *p;
		FILE *f;
		int pid = atoi(e->d_name), ppid = 0;

		if (pid <= 0 || pid == bystander)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %d", &ppid);
		fclose(f);
		if (ppid != getpid())
			continue;
		n++;
		if (kill_them) {
			fprintf(stderr, "sentinel: left behind: %s", buf);
			kill(pid, SIGKILL);
		}
	}
	if (d)
		closedir(d);
	return n;
}

static pid_t bystander, boot;
static int boot_status, boot_done, bystander_died;

/* Reap whatever has ended, noting the boot's status and the bystander's end. */
static void reap_all(void)
{
	int st;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
		if (w == boot) {
			boot_status = st;
			boot_done = 1;
		} else if (w == bystander) {
			bystander_died = 1;
		}
	}
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int timeout = 300, opt, code, n, i, alive;
	time_t start;

	while ((opt = getopt(argc, argv, "+u:t:C:")) != -1) {
		struct passwd *pw;

		switch (opt) {
		case 'u':
			pw = getpwnam(optarg);
			if (!pw) {
				fprintf(stderr, "sentinel: no user %s\n", optarg);
				return 2;
			}
			if (getuid() == 0) {
				run_uid = pw->pw_uid;
				run_gid = pw->pw_gid;
				drop_privileges = 1;
			}
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'C':
			dir = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: sentinel [-u USER] [-t SECS] [-C DIR] -- COMMAND...\n");
		return 2;
	}
	if (!drop_privileges && geteuid() == 0) {
		fprintf(stderr, "sentinel: refusing to run a hostile boot as root; give -u USER\n");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	bystander = start_bystander();
	boot = start_boot(argv + optind, dir);
	start = time(NULL);
	for (reap_all(); !boot_done; reap_all()) {
		if (time(NULL) - start > timeout) {
			fprintf(stderr, "sentinel: boot still running after %d s: killing its session\n",
				timeout);
			kill(-boot, SIGKILL);
			kill(boot, SIGKILL);
		}
		sleep_ms(20);
	}

	/* what the boot left: orphans come to us; give the dying 2 s */
	for (i = 0; i < 100 && (reap_all(), leftovers(bystander, 0)); i++)
		sleep_ms(20);
	n = leftovers(bystander, 1);
	reap_all();

	alive = !bystander_died && kill(bystander, 0) == 0;
	printf("%s bystander host process %d (same user, outside the boot) survived the boot\n",
	       alive ? "[OK]  " : "[FAIL]", bystander);
	printf("%s the boot left %d host processes behind\n",
	       n ? "[FAIL]" : "[OK]  ", n);
	i = cores_in(dir);
	printf("%s %d core files in the boot's working directory\n",
	       i ? "[FAIL]" : "[OK]  ", i);
	fflush(stdout);
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);

	if (WIFSIGNALED(boot_status))
		code = 128 + WTERMSIG(boot_status);
	else
		code = WEXITSTATUS(boot_status);
	return code;
}
