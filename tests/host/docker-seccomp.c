// SPDX-License-Identifier: GPL-2.0
/*
 * Run a command the way Docker's default seccomp profile would let it run,
 * for the container tests (make test-container): the x86-64 system calls the
 * profile allows a process without capabilities are allowed; clone only
 * without namespace flags, clone3 fails with ENOSYS (so libc falls back to
 * clone), socket for anything but AF_VSOCK, personality for the five
 * values the profile names; everything else fails with EPERM, as in a
 * container.  32-bit and x32 calls are not modelled (allowed).
 *
 * The list below is ours, written from the profile's documented allowlist
 * (moby profiles/seccomp/default.json); it is a model, not the profile.
 *
 * usage: docker-seccomp COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret	447
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease	448
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv		449
#endif

#define S(name) SYS_##name,
static const int allowed[] = {
	S(accept) S(accept4) S(access) S(adjtimex) S(alarm) S(bind) S(brk)
	S(capget) S(capset) S(chdir) S(chmod) S(chown) S(clock_adjtime)
	S(clock_getres) S(clock_gettime) S(clock_nanosleep) S(close)
	S(close_range) S(connect) S(copy_file_range) S(creat) S(dup) S(dup2)
	S(dup3) S(epoll_create) S(epoll_create1) S(epoll_ctl) S(epoll_ctl_old)
	S(epoll_pwait) S(epoll_pwait2) S(epoll_wait) S(epoll_wait_old)
	S(eventfd) S(eventfd2) S(execve) S(execveat) S(exit) S(exit_group)
	S(faccessat) S(faccessat2) S(fadvise64) S(fallocate) S(fanotify_mark)
	S(fchdir) S(fchmod) S(fchmodat) S(fchown) S(fchownat) S(fcntl)
	S(fdatasync) S(fgetxattr) S(flistxattr) S(flock) S(fork)
	S(fremovexattr) S(fsetxattr) S(fstat) S(fstatfs) S(fsync) S(ftruncate)
	S(futex) S(futex_waitv) S(futimesat) S(getcpu) S(getcwd) S(getdents)
	S(getdents64) S(getegid) S(geteuid) S(getgid) S(getgroups) S(getitimer)
	S(getpeername) S(getpgid) S(getpgrp) S(getpid) S(getppid)
	S(getpriority) S(getrandom) S(getresgid) S(getresuid) S(getrlimit)
	S(get_robust_list) S(getrusage) S(getsid) S(getsockname) S(getsockopt)
	S(get_thread_area) S(gettid) S(gettimeofday) S(getuid) S(getxattr)
	S(inotify_add_watch) S(inotify_init) S(inotify_init1)
	S(inotify_rm_watch) S(io_cancel) S(ioctl) S(io_destroy) S(io_getevents)
	S(io_pgetevents) S(ioprio_get) S(ioprio_set) S(io_setup) S(io_submit)
	S(io_uring_enter) S(io_uring_register) S(io_uring_setup) S(kill)
	S(landlock_add_rule) S(landlock_create_ruleset)
	S(landlock_restrict_self) S(lchown) S(lgetxattr) S(link) S(linkat)
	S(listen) S(listxattr) S(llistxattr) S(lremovexattr) S(lseek)
	S(lsetxattr) S(lstat) S(madvise) S(membarrier) S(memfd_create)
	S(memfd_secret) S(mincore) S(mkdir) S(mkdirat) S(mknod) S(mknodat)
	S(mlock) S(mlock2) S(mlockall) S(mmap) S(mprotect) S(mq_getsetattr)
	S(mq_notify) S(mq_open) S(mq_timedreceive) S(mq_timedsend) S(mq_unlink)
	S(mremap) S(msgctl) S(msgget) S(msgrcv) S(msgsnd) S(msync) S(munlock)
	S(munlockall) S(munmap) S(name_to_handle_at) S(nanosleep) S(newfstatat)
	S(open) S(openat) S(openat2) S(pause) S(pidfd_open)
	S(pidfd_send_signal) S(pipe) S(pipe2) S(pkey_alloc) S(pkey_free)
	S(pkey_mprotect) S(poll) S(ppoll) S(prctl) S(pread64) S(preadv)
	S(preadv2) S(prlimit64) S(process_mrelease) S(pselect6) S(pwrite64)
	S(pwritev) S(pwritev2) S(read) S(readahead) S(readlink) S(readlinkat)
	S(readv) S(recvfrom) S(recvmmsg) S(recvmsg) S(remap_file_pages)
	S(removexattr) S(rename) S(renameat) S(renameat2) S(restart_syscall)
	S(rmdir) S(rseq) S(rt_sigaction) S(rt_sigpending) S(rt_sigprocmask)
	S(rt_sigqueueinfo) S(rt_sigreturn) S(rt_sigsuspend) S(rt_sigtimedwait)
	S(rt_tgsigqueueinfo) S(sched_getaffinity) S(sched_getattr)
	S(sched_getparam) S(sched_get_priority_max) S(sched_get_priority_min)
	S(sched_getscheduler) S(sched_rr_get_interval) S(sched_setaffinity)
	S(sched_setattr) S(sched_setparam) S(sched_setscheduler) S(sched_yield)
	S(seccomp) S(select) S(semctl) S(semget) S(semop) S(semtimedop)
	S(sendfile) S(sendmmsg) S(sendmsg) S(sendto) S(setfsgid) S(setfsuid)
	S(setgid) S(setgroups) S(setitimer) S(setpgid) S(setpriority)
	S(setregid) S(setresgid) S(setresuid) S(setreuid) S(setrlimit)
	S(set_robust_list) S(setsid) S(setsockopt) S(set_thread_area)
	S(set_tid_address) S(setuid) S(setxattr) S(shmat) S(shmctl) S(shmdt)
	S(shmget) S(shutdown) S(sigaltstack) S(signalfd) S(signalfd4)
	S(socketpair) S(splice) S(stat) S(statfs) S(statx) S(symlink)
	S(symlinkat) S(sync) S(sync_file_range) S(syncfs) S(sysinfo) S(tee)
	S(tgkill) S(time) S(timer_create) S(timer_delete) S(timer_getoverrun)
	S(timer_gettime) S(timer_settime) S(timerfd_create) S(timerfd_gettime)
	S(timerfd_settime) S(times) S(tkill) S(truncate) S(umask) S(uname)
	S(unlink) S(unlinkat) S(utime) S(utimensat) S(utimes) S(vfork)
	S(vmsplice) S(wait4) S(waitid) S(write) S(writev) S(process_vm_readv)
	S(process_vm_writev) S(ptrace) S(arch_prctl) S(modify_ldt)
};

#define NR		offsetof(struct seccomp_data, nr)
#define ARCH		offsetof(struct seccomp_data, arch)
#define ARG0		offsetof(struct seccomp_data, args[0])
#define LOAD(off)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)		BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW		SECCOMP_RET_ALLOW
#define FAIL(e)		(SECCOMP_RET_ERRNO | (e))
/* nr == k: allow; else on */
#define ALLOW_IF(k)	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1), RET(ALLOW)

#define CLONE_NS_FLAGS	0x7e020000	/* every CLONE_NEW* flag */
#define AF_VSOCK_	40

int main(int argc, char **argv)
{
	struct sock_filter f[4096];
	struct sock_fprog prog = { 0, f };
	unsigned int n = 0, i;
	static const unsigned int personas[] = { 0, 8, 0x20000, 0x20008, 0xffffffff };

#define EMIT(...) do { struct sock_filter x_[] = { __VA_ARGS__ }; unsigned int j_; \
	for (j_ = 0; j_ < sizeof(x_) / sizeof(x_[0]); j_++) f[n++] = x_[j_]; } while (0)

	if (argc < 2) {
		fprintf(stderr, "usage: docker-seccomp COMMAND [ARG...]\n");
		return 2;
	}
	EMIT(LOAD(ARCH), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	     RET(ALLOW), LOAD(NR),
	     BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), RET(ALLOW));
	/* clone without namespace flags */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4), LOAD(ARG0),
	     BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_FLAGS, 1, 0),
	     RET(ALLOW), RET(FAIL(EPERM)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1), RET(FAIL(ENOSYS)));
	/* socket, but not AF_VSOCK */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 4), LOAD(ARG0),
	     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK_, 1, 0),
	     RET(ALLOW), RET(FAIL(EPERM)));
	/* personality for the five values */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 0, 12), LOAD(ARG0));
	for (i = 0; i < 5; i++)
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, personas[i], 0, 1), RET(ALLOW));
	EMIT(RET(FAIL(EPERM)));
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		EMIT(ALLOW_IF(allowed[i]));
	EMIT(RET(FAIL(EPERM)));
	prog.len = n;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("docker-seccomp: installing the filter");
		return 126;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
