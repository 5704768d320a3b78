#!/usr/bin/env bash
# Boot-time probes, on this host and on hosts missing something:
#  - a normal host prints every check as OK and boots;
#  - no ptrace (the kernel run under qemu-x86_64 user emulation) must fail
#    fast with the ptrace message;
#  - guest memory directory unusable (missing, not tmpfs, too small,
#    noexec) must fall back to a memfd and boot;
#  - no HOME must fall back for ~/.uml and boot;
#  - a bad command line gets a clear message;
#  - skas0.pin=0 and a CPU mask set with taskset boot;
#  - skas0.mode=auto|fast|ptrace each give the mode they say.
# usage: tests/run-probes.sh KERNEL
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
work=$top/build/probe-tests
# each boot sets lastlog: a failure shows the end of its console (lib.sh)
rm -rf "$work"; mkdir -p "$work"
printf 'echo PROBE-BOOT-REACHED-USERSPACE\n' > "$work/run.sh"

# boot NAME [ENV...] -- [ARGS...]: console into $work/NAME.log, exit code in $rc
boot() {
	local name=$1 envs=(); shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
	local t0=$SECONDS
	lastlog=$work/$name.log
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
	t0=$SECONDS lastlog=$work/qemu.log
	timeout 60 qemu-x86_64 "$kernel" mem=64M </dev/null >"$work/qemu.log" 2>&1
	rc=$? secs=$((SECONDS - t0))
	if [[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "failed: .*ptrace" "$work/qemu.log"; then
		ok "no ptrace (qemu-user): exit $rc in ${secs}s: $(grep -m1 'failed:' "$work/qemu.log" | cut -c1-110)"
	else
		fail "no ptrace (qemu-user): exit $rc in ${secs}s"
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
		rc=$? lastlog=$work/$name.log
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
	fail "mem=lots: status $rc"
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

# skas0.mode: which one each setting gives, and that the boot says so
mode_line() { grep -m1 'Checking the mode guest syscalls' "$work/$1.log" | sed 's/.*(//'; }
if (( $(nproc) > 1 )); then
	has normal "(auto: two or more host CPUs)...fast" &&
		ok "default (auto) on $(nproc) CPUs: fast mode: $(mode_line normal)" ||
		fail "default (auto) on $(nproc) CPUs: $(mode_line normal)"
fi
has taskset "(auto: one host CPU, where fast mode gains nothing)...ptrace" &&
	ok "auto on one CPU (taskset): ptrace mode: $(mode_line taskset)" ||
	fail "auto on one CPU (taskset): $(mode_line taskset)"
boot mode-ptrace -- skas0.mode=ptrace
booted mode-ptrace && has mode-ptrace "(skas0.mode=ptrace)...ptrace" &&
	ok "skas0.mode=ptrace: ptrace mode, boots" || fail "skas0.mode=ptrace: status $rc, $(mode_line mode-ptrace)"
boot mode-fast1 taskset -c "$last" -- skas0.mode=fast
booted mode-fast1 && [[ $rc -eq 0 ]] && has mode-fast1 "(skas0.mode=fast)...fast" &&
	ok "skas0.mode=fast on one CPU: fast mode, boots" || fail "skas0.mode=fast on one CPU: status $rc, $(mode_line mode-fast1)"
boot mode-bad -- skas0.mode=turbo
booted mode-bad && has mode-bad "skas0.mode=turbo: expected auto, fast or ptrace; using auto" &&
	ok "skas0.mode=turbo: says what it expects, boots in auto" || fail "skas0.mode=turbo: status $rc"

# ------------------------------------------------------------ host settings
# as_user: run as nobody with no HOME when we are root, else as ourselves
as_user=()
[[ $(id -u) -eq 0 ]] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# a world-readable copy with its run.sh beside it
priv=$(mktemp -d /tmp/skas0-probes-XXXXXX)
cp "$kernel" "$priv/linux"; cp "$work/run.sh" "$priv/run.sh"
chmod -R a+rX "$priv"
ukernel=$priv/linux
uboot() {	# NAME ENV... -- : boot as the unprivileged user
	local name=$1 envs=(); shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
	lastlog=$work/$name.log
	timeout 120 "${as_user[@]}" env -u HOME "${envs[@]}" "$ukernel" mem=128M \
		con=null con0=null,fd:1 skas0.run="$(dirname "$ukernel")" "$@" \
		</dev/null >"$work/$name.log" 2>&1
	rc=$?
}

# vm.memfd_noexec belongs to the pid namespace: set it in a fresh one.
if [[ ! -e /proc/sys/vm/memfd_noexec ]]; then
	echo "[SKIP] vm.memfd_noexec: this host kernel has none (before 6.3): every memfd is executable"
elif [[ $(id -u) -ne 0 ]] || ! unshare -pf --mount-proc true 2>/dev/null; then
	echo "[SKIP] vm.memfd_noexec 0/1/2: setting it in a new pid namespace needs root"
else
	for v in 0 1 2; do
		lastlog=$work/memfd$v.log
		timeout 150 unshare -pf --mount-proc sh -c "echo $v > /proc/sys/vm/memfd_noexec &&
			${as_user[*]} env -u HOME '$ukernel' mem=128M con=null con0=null,fd:1 \
				skas0.run='$(dirname "$ukernel")' </dev/null; exit \$?" >"$work/memfd$v.log" 2>&1
		rc=$?
		where=$(grep -o 'OK (image in [^)]*)' "$work/memfd$v.log")
		if (( v < 2 )); then
			booted "memfd$v" && [[ $rc -eq 0 && $where == "OK (image in memfd)" ]] &&
				ok "vm.memfd_noexec=$v: the stub runs from a memfd ($where), boots" ||
				fail "vm.memfd_noexec=$v: status $rc, $where"
		else
			booted "memfd$v" && [[ $rc -eq 0 ]] && has "memfd$v" "vm.memfd_noexec is 2" &&
			[[ -n $where && $where != "OK (image in memfd)" ]] &&
				ok "vm.memfd_noexec=2: the probe says so and runs the stub from a file ($where), boots" ||
				fail "vm.memfd_noexec=2: status $rc, $where"
		fi
	done
fi

# The per-instance directory's fallback under TMPDIR must be ours and 0700.
umlt=$(mktemp -d /tmp/skas0-umldir-XXXXXX)
chmod 1777 "$umlt"
uid=$( "${as_user[@]}" id -u )
fallback=$umlt/uml-$uid
refused() {	# NAME WHY
	[[ $rc -eq 1 ]] && has "$1" "is not usable either ($2)" &&
		ok "uml_dir fallback $fallback refused ($2): exit 1 with the fix" ||
		fail "uml_dir fallback: $2: status $rc"
}
if [[ $(id -u) -eq 0 ]]; then
	mkdir -m 0777 "$fallback"			# made first by another user
	uboot umldir-owner TMPDIR="$umlt" --
	refused umldir-owner "another user owns it"
	rmdir "$fallback"
	ln -s /tmp "$fallback"				# pointing elsewhere
	uboot umldir-link TMPDIR="$umlt" --
	refused umldir-link "it is not a directory"
	rm "$fallback"
fi
"${as_user[@]}" mkdir -m 0755 "$fallback"		# ours, but open to others
uboot umldir-mode TMPDIR="$umlt" --
refused umldir-mode "its mode is not 0700"
rmdir "$fallback"
uboot umldir-fresh TMPDIR="$umlt" --
mode=$(stat -c %a "$fallback" 2>/dev/null)
booted umldir-fresh && [[ $rc -eq 0 && $mode == 700 ]] &&
	ok "uml_dir fallback made fresh: $fallback, mode $mode, boots" ||
	fail "uml_dir fallback made fresh: status $rc, mode $mode"

# A read-only HOME (a container's): ~/.uml cannot be made; the fallback is.
rohome=${SKAS0_READONLY_HOME:-$(mktemp -d /tmp/skas0-rohome-XXXXXX)}
chmod 0555 "$rohome"
uboot rohome TMPDIR="$umlt" HOME="$rohome" --
booted rohome && [[ $rc -eq 0 ]] && has rohome "using $umlt/uml-" &&
	ok "read-only HOME: ~/.uml falls back to $umlt/uml-$uid, boots" ||
	{ fail "read-only HOME: status $rc"; grep -m1 'uml/ is writable' "$work/rohome.log"; }
[[ -z ${SKAS0_READONLY_HOME:-} ]] && rmdir "$rohome"
rm -rf "$umlt"

# Yama: the verdict for each ptrace_scope, from what the host does.
if [[ ! -e /proc/sys/kernel/yama/ptrace_scope ]]; then
	echo "[SKIP] Yama ptrace_scope here: this host has no Yama (make test-hosts checks every value in a VM)"
elif [[ $(id -u) -ne 0 ]]; then
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope)
	uboot yama-here --
	has yama-here "Yama's kernel.yama.ptrace_scope ($scope)" &&
		ok "Yama ptrace_scope $scope: the probe names it" || fail "Yama ptrace_scope $scope: no probe line"
else
	saved=$(cat /proc/sys/kernel/yama/ptrace_scope)
	if [[ $saved -ge 3 ]]; then
		echo "[SKIP] Yama ptrace_scope is 3 here and cannot be lowered: only the refusal is checked"
		uboot yama3 --
		[[ $rc -eq 1 ]] && has yama3 "ptrace_scope is 3" && ok "Yama 3: refused with the fix" ||
			fail "Yama 3: status $rc"
	else
		for v in 0 1 2; do
			echo "$v" > /proc/sys/kernel/yama/ptrace_scope
			uboot "yama$v" --
			if (( v < 2 )); then
				booted "yama$v" && [[ $rc -eq 0 ]] && has "yama$v" "ptrace_scope ($v)...OK" &&
					ok "Yama ptrace_scope=$v as an unprivileged user: OK, boots" ||
					fail "Yama ptrace_scope=$v: status $rc"
			else
				[[ $rc -eq 1 ]] && has yama2 "ptrace_scope is 2" && has yama2 "sysctl -w kernel.yama.ptrace_scope=1" &&
					ok "Yama ptrace_scope=2 as an unprivileged user: refused, exit 1, with the fix" ||
					fail "Yama ptrace_scope=2 unprivileged: status $rc"
				boot yama2root --
				booted yama2root && has yama2root "ptrace_scope (2)...OK" &&
					ok "Yama ptrace_scope=2 as root (CAP_SYS_PTRACE): OK, boots" ||
					fail "Yama ptrace_scope=2 as root: status $rc"
			fi
		done
		echo "$saved" > /proc/sys/kernel/yama/ptrace_scope
	fi
fi
rm -rf "$priv"

summary probes
[[ $failed -eq 0 ]]
