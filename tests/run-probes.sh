#!/usr/bin/env bash
# Boot-time probes, on this host and on hosts missing something:
#  - a normal host prints every check as OK and boots;
#  - no ptrace (the kernel run under qemu-x86_64 user emulation) must fail
#    fast with the ptrace message;
#  - guest memory directory unusable (missing, not tmpfs, too small,
#    noexec) must fall back to a memfd and boot;
#  - no HOME must fall back for ~/.uml and boot;
#  - a bad command line gets a clear message;
#  - skas0.pin=0 and a CPU mask set with taskset boot.
# usage: tests/run-probes.sh KERNEL
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
work=$top/build/probe-tests
rm -rf "$work"; mkdir -p "$work"
printf 'echo PROBE-BOOT-REACHED-USERSPACE\n' > "$work/run.sh"

# boot NAME [ENV...] -- [ARGS...]: console into $work/NAME.log, exit code in $rc
boot() {
	local name=$1 envs=(); shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
	local t0=$SECONDS
	timeout 120 env "${envs[@]}" "$kernel" mem=128M con=null con0=null,fd:1 \
		skas0.run="$work" "$@" </dev/null >"$work/$name.log" 2>&1
	rc=$? secs=$((SECONDS - t0))
}
booted() { grep -q PROBE-BOOT-REACHED-USERSPACE "$work/$1.log"; }
has() { grep -q -- "$2" "$work/$1.log"; }

boot normal --
for what in "that ptrace can change system call numbers...OK" \
	    "that PTRACE_SYSEMU works...OK" \
	    "the ptrace register interface (GETREGS, FP/XSTATE)...OK" \
	    "that a stub process starts and runs a batch...OK"; do
	has normal "Checking $what" && ok "normal host: Checking $what" ||
		fail "normal host: no 'Checking $what'"
done
booted normal && [[ $rc -eq 0 ]] && ok "normal host boots and powers off (status $rc)" ||
	fail "normal host did not boot (status $rc)"

if command -v qemu-x86_64 >/dev/null; then
	t0=$SECONDS
	timeout 60 qemu-x86_64 "$kernel" mem=64M </dev/null >"$work/qemu.log" 2>&1
	rc=$? secs=$((SECONDS - t0))
	if [[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "failed: .*ptrace" "$work/qemu.log"; then
		ok "no ptrace (qemu-user): exit $rc in ${secs}s: $(grep -m1 'failed:' "$work/qemu.log" | cut -c1-110)"
	else
		fail "no ptrace (qemu-user): exit $rc in ${secs}s"; tail -5 "$work/qemu.log"
	fi
else
	fail "qemu-x86_64 not installed (apt-get install qemu-user)"
fi

boot nodir TMPDIR=/nonexistent/dir -- 
booted nodir && has nodir "memfd to hold guest memory" &&
	ok "TMPDIR missing: falls back to a memfd and boots" || fail "TMPDIR missing: status $rc"

mkdir -p "$work/disk"
if [[ $(stat -f -c %T "$work/disk") != tmpfs ]]; then
	boot notmpfs TMPDIR="$work/disk" --
	booted notmpfs && has notmpfs "is on tmpfs...no" &&
		ok "TMPDIR not on tmpfs: says so, falls back to a memfd, boots" ||
		fail "TMPDIR not tmpfs: status $rc"
fi

# noexec and too-small tmpfs need a mount: an unprivileged user namespace
if unshare -rm true 2>/dev/null; then
	boot_in_ns() {	# NAME MOUNTOPTS
		local name=$1 opts=$2
		mkdir -p "$work/mnt-$name"
		timeout 120 unshare -rm sh -c "mount -t tmpfs -o $opts none '$work/mnt-$name' &&
			TMPDIR='$work/mnt-$name' exec '$kernel' mem=128M con=null con0=null,fd:1 skas0.run='$work'" \
			</dev/null >"$work/$name.log" 2>&1
		rc=$?
	}
	boot_in_ns noexec noexec,size=512m
	booted noexec && has noexec "PROT_EXEC mmap in .*failed" &&
		ok "TMPDIR on a noexec tmpfs (like Docker's /dev/shm): falls back and boots" ||
		fail "noexec TMPDIR: status $rc"
	boot_in_ns small size=16m
	booted small && has small "has room for .*failed: only" &&
		ok "TMPDIR on a 16 MB tmpfs with mem=128M: falls back and boots" ||
		fail "small TMPDIR: status $rc"
else
	echo "[SKIP] no unprivileged user namespaces here: noexec/small tmpfs cases not run"
fi

boot nohome -u HOME --
booted nohome && has nohome "using .*uml-" &&
	ok "HOME unset: ~/.uml falls back to a private temp directory, boots" ||
	fail "HOME unset: status $rc"

boot badmem -- mem=lots
if [[ $rc -ne 0 && $rc -ne 124 && $secs -lt 30 ]] && has badmem "Too few physical memory"; then
	ok "mem=lots: exit $rc with: $(grep -m1 'Too few' "$work/badmem.log")"
else
	fail "mem=lots: status $rc"; tail -5 "$work/badmem.log"
fi
boot badparam -- no.such.option=1 init_typo
booted badparam && has badparam "Unknown kernel command line parameters" && ok "unknown command-line options are reported and boot continues" ||
	fail "unknown options: status $rc"

boot nopin -- skas0.pin=0
booted nopin && [[ $rc -eq 0 ]] && ok "skas0.pin=0: boots with CPU placement left to the host" ||
	fail "skas0.pin=0: status $rc"
last=$(( $(nproc) - 1 ))
boot taskset taskset -c "$last" --
booted taskset && [[ $rc -eq 0 ]] && ok "under taskset -c $last: boots inside the CPU mask it was given" ||
	fail "under taskset -c $last: status $rc"

summary probes
[[ $failed -eq 0 ]]
