#!/usr/bin/env bash
# Isolation: what a hostile guest can reach, and what the host sees.
#
# Every boot here runs under tests/host/sentinel: as an unprivileged host
# user (nobody, when we are root: a stray kill(-1) as root would end every
# process on the machine), in a session of its own, beside a bystander host
# process of that user that must survive, and with the host processes the
# boot leaves behind counted afterwards, and core files looked for.
#
#  1. While a guest runs a few processes (threads and forks among them),
#     every host process backing a guest address space must hold only the
#     stub's pages and guest memory, only the physical-memory file as a
#     descriptor, no signal handler but the stub's SIGSEGV one, no
#     environment or argv, a seccomp filter, be non-dumpable and pinned.
#  2. kill -9 of backing processes from the host: a busy one and one whose
#     task sleeps; only their tasks die.
#  3. Guest programs abuse the kernel (fork bomb, 4x mem=, random mappings
#     against a model, 60 000 mappings, more host mappings than the host
#     allows), try to mkdir on the host by every syscall route, and scan
#     above the guest's top for readable memory.
#  4. Other syscall ABIs right after a fault and after a syscall, and guest
#     code in the stub's pages: jumps to every byte, forged batch results
#     and fault information; in fast mode a forged hand-off after which
#     the guest goes on running (the watchdog must kill it).
# usage: tests/run-isolation.sh KERNEL
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
build=$top/build/isolation
rm -rf "$build"; mkdir -p "$build"

gcc -O2 -Wall -o "$build/sentinel" "$here/host/sentinel.c" ||
	{ fail "building sentinel"; summary isolation; exit 1; }

# A world-readable copy of the kernel and the guest programs, so the
# unprivileged user can run them, and a working directory it may write
# (a core file would land there).
work=$(mktemp -d /tmp/skas0-isolation-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/run" "$work/cwd" "$work/home"
cp "$kernel" "$work/linux"
for t in spawner hostkill vsyscall sigframe abuse escape scan abi32 stubpage forgepark; do
	gcc -static -O2 -pthread -o "$work/run/$t" "$here/isolation/$t.c" ||
		fail "building $t"
done
chmod -R a+rX "$work"
chmod 1777 "$work/cwd" "$work/home"

user=()
if [[ $(id -u) -eq 0 ]]; then
	user=(-u nobody)
	as="as nobody"
else
	as="as $(id -un)"
fi
inspect=1
if [[ $(id -u) -ne 0 ]]; then
	inspect=0
	echo "[SKIP] host-side inspection of backing processes and kill -9: backing processes are not dumpable, so only root may read their /proc files"
fi

# boot_start NAME MEM MARKER...: start a boot under the sentinel in the
# background; $log is its console, $boot the sentinel's pid.
boot_start() {
	local name=$1 mem=$2
	log=$build/$name.log
	"$build/sentinel" "${user[@]}" -t 240 -C "$work/cwd" -- \
		env HOME="$work/home" "$work/linux" mem="$mem" con=null \
		con0=null,fd:1 skas0.run="$work/run" ${SKAS0_BOOT_ARGS:-} </dev/null >"$log" 2>&1 &
	boot=$!
}

# boot_end NAME MARKER: wait for it; count its checks and the sentinel's
boot_end() {
	local name=$1 marker=$2 rc
	wait "$boot"; rc=$?
	grep -E '^\[(OK|FAIL)\]' "$log"
	count_log "$log"
	if grep -q "$marker" "$log" && [[ $rc -eq 0 ]]; then
		ok "$name ($as): kernel kept running and powered off"
	else
		fail "$name ($as): kernel did not survive (status $rc); console tail:"
		tail -40 "$log" | grep -vE '^\[(OK|FAIL)\]' | sed 's/^/    | /'
	fi
}

guest_run() {	# NAME MEM MARKER
	boot_start "$1" "$2"
	boot_end "$1" "$3"
}

# what the kernel said about host processes it lost in this boot, but the
# one forgepark's "forgefork" may really lose (it fed itself garbage)
lost_messages() {
	grep 'skas0: host process .* is gone' "$log" | grep -vc ' of forgefork\['
}

# ------------------------------------------------- 1. inspection from the host
cat > "$work/run/run.sh" <<'GUEST'
sleep 30 & sh -c 'while :; do sleep 1; done' & cat /dev/zero > /dev/null &
./spawner &
echo ISOLATION-READY
sleep 8
echo ISOLATION-DONE
GUEST
boot_start inspect 128M
for _ in $(seq 300); do grep -q ISOLATION-READY "$log" && break; sleep 0.1; done
sleep 1
grep -q ISOLATION-READY "$log" || fail "guest never got ready"

# The kernel is the sentinel's child; the backing processes are its
# children that run the stub image (fast mode: not traced, two threads).
fast=0
grep -q 'Checking the mode guest syscalls.*\.\.\.fast' "$log" && fast=1
backing=() kpid=
for st in /proc/[0-9]*/status; do
	pid=${st#/proc/}; pid=${pid%/status}
	[[ $(awk '/^Name:/ {print $2}' "$st" 2>/dev/null) == *skas0* ]] || continue
	parent=$(awk '/^PPid:/ {print $2}' "$st" 2>/dev/null)
	[[ -n $parent && $(awk '/^PPid:/ {print $2}' "/proc/$parent/status" 2>/dev/null) == "$boot" ]] || continue
	kpid=$parent
	backing+=("$pid")
done
[[ ${#backing[@]} -ge 3 ]] && ok "found ${#backing[@]} backing processes ($( ((fast)) && echo fast || echo ptrace) mode)" ||
	fail "found only ${#backing[@]} backing processes"
# The shell loop's `sleep 1` children come and go: one that exits while
# it is inspected reads as empty fields.  Inspect only the ones still
# there 1.5 s later, which live as long as the boot.
sleep 1.5
lasting=()
for pid in "${backing[@]}"; do [[ -d /proc/$pid ]] && lasting+=("$pid"); done
backing=("${lasting[@]}")

# the kernel's descriptor of the physical-memory file: the one it maps
physmem_fd() {
	local fd
	for fd in /proc/$kpid/fd/*; do
		[[ $(readlink "$fd") == "$phys" ]] && { basename "$fd"; return; }
	done
}

sealed() {	# is the mapping at START in PID sealed by the host?
	awk -v s="$2" '$1 ~ "^"s"-" {f=1} f && /^VmFlags/ {print; exit}' "/proc/$1/smaps" | grep -qw sl
}

for pid in "${backing[@]}"; do
	((inspect)) || break
	[[ -d /proc/$pid ]] || continue		# a guest process that just exited
	# fast mode: the trusted thread (the one that is not the leader) holds it
	trusted=$(ls "/proc/$pid/task" 2>/dev/null | grep -vx "$pid" | head -1)
	phys=$(readlink "/proc/$pid/fd/3" 2>/dev/null)
	((fast)) && phys=$(readlink "/proc/$pid/task/$trusted/fd/3" 2>/dev/null)
	bad=$(while read -r range perms off dev inode path; do
		start=${range%-*}
		case $path in
		"$phys") ;;				# guest memory and stub pages
		"[vdso]"|"[vvar]"|"[vvar_vclock]")
			sealed "$pid" "$start" || echo "$range $path(unsealed)" ;;
		"[vsyscall]") ;;					# the host kernel's, fixed
		*) echo "$range $perms $path" ;;
		esac
	done < "/proc/$pid/maps")
	[[ -z $bad ]] && ok "pid $pid: maps hold only stub pages and guest memory" ||
		fail "pid $pid: foreign mappings: $(echo $bad | cut -c1-200)"

	if ((fast)); then
		# the guest thread holds no descriptor; the trusted thread the file
		tids=($(ls "/proc/$pid/task" 2>/dev/null))
		fds=$(ls "/proc/$pid/fd" | tr '\n' ' ')
		tfds=$(ls "/proc/$pid/task/${trusted:-none}/fd" 2>/dev/null | tr '\n' ' ')
		[[ ${#tids[@]} -eq 2 && -z $fds && $tfds == "3 " && -n $(physmem_fd) ]] &&
			ok "pid $pid: two host threads; the guest thread holds no descriptor, the trusted one only the physical-memory file" ||
			fail "pid $pid: threads ${tids[*]}, guest thread fds '$fds', trusted thread fds '$tfds'"
		# SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV SIGALRM SIGSYS: the hand-off
		cgt=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status")
		[[ $cgt == 00000000400024d8 ]] && ok "pid $pid: only the stub's hand-off signals have a handler" ||
			fail "pid $pid: SigCgt $cgt"
		tblk=$(awk '/^SigBlk:/ {print $2}' "/proc/$pid/task/${trusted:-none}/status" 2>/dev/null)
		[[ $tblk == fffffffffffbfeff ]] && ok "pid $pid: the trusted thread blocks every signal" ||
			fail "pid $pid: the trusted thread's SigBlk is $tblk"
		if (( $(nproc) > 1 )); then	# beside the kernel, not on its CPU
			cpus=$(awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$pid/status")
			kcpu=$(awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$kpid/status")
			[[ $cpus != "$kcpu" ]] && ok "pid $pid: runs beside the kernel (CPUs $cpus, the kernel's $kcpu)" ||
				fail "pid $pid: runs on the kernel's CPU $kcpu"
		fi
	else
		fds=$(ls "/proc/$pid/fd" | tr '\n' ' ')
		[[ $fds == "3 " && -n $(physmem_fd) ]] &&
			ok "pid $pid: one descriptor, the physical-memory file ($phys)" ||
			fail "pid $pid: descriptors: $fds ($phys)"
		cgt=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status")
		[[ $cgt == 0000000000000400 ]] && ok "pid $pid: only SIGSEGV has a handler" ||
			fail "pid $pid: SigCgt $cgt"
		if (( $(nproc) > 1 )); then	# skas0.pin: runs where the kernel does
			cpus=$(awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$pid/status")
			[[ $cpus =~ ^[0-9]+$ ]] && ok "pid $pid: pinned to one host CPU ($cpus)" ||
				fail "pid $pid: may run on CPUs $cpus, not pinned with the kernel"
		fi
		threads=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
		[[ $threads -le 1 ]] && ok "pid $pid: one host thread (guest clones stay in the guest)" ||
			fail "pid $pid: $threads host threads: a guest clone ran on the host"
	fi
	seccomp=$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")
	[[ $seccomp == 2 ]] && ok "pid $pid: seccomp filter installed" ||
		fail "pid $pid: Seccomp: $seccomp"
	# a non-dumpable process's /proc files (not /proc/PID itself) belong to root
	owner=$(stat -c %u "/proc/$pid/fd")
	[[ $owner == 0 ]] &&
		ok "pid $pid: not dumpable (no core file, /proc/$pid closed to the host user)" ||
		fail "pid $pid: dumpable (its /proc files belong to uid $owner)"
	[[ ! -s /proc/$pid/environ && ! -s /proc/$pid/cmdline ]] &&
		ok "pid $pid: empty environment and argv" ||
		fail "pid $pid: environ/cmdline not empty: $(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-80)"
done
boot_end inspect ISOLATION-DONE

# ------------------------------------------------- 2. kill -9 from the host
printf './hostkill\n./vsyscall\n./sigframe\necho HOSTKILL-DONE\n' > "$work/run/run.sh"
if ((inspect)); then
	boot_start hostkill 128M
	for _ in $(seq 300); do
		grep -q HOSTKILL-VICTIM-READY "$log" && grep -q HOSTKILL-SLEEPER-READY "$log" && break
		sleep 0.1
	done
	sleep 0.5
	for marker in 1337000000 1338000000; do
		victim=$(grep -l "^$marker-" /proc/[0-9]*/maps 2>/dev/null | head -1 | cut -d/ -f3)
		if [[ -n $victim ]]; then
			kill -9 "$victim"
			ok "killed backing process $victim (marker $marker) from the host"
		else
			fail "no backing process maps the marker page $marker"
		fi
	done
	boot_end hostkill HOSTKILL-DONE
	n=$(lost_messages)
	[[ $n -eq 2 ]] && ok "the kernel reported the 2 host processes it lost" ||
		fail "the kernel reported $n lost host processes, not 2"
fi

# ------------------------------------------------- 3. abuse, escape, scan
# Two boots: the 4x mem= hog and the fork bomb in a small guest (quick to
# fill; a panic there must not hide the rest), then the escape routes, the
# scan above the guest's top and the mapping tests in a guest big enough
# for 2x 160 MiB.
start=$SECONDS
# The guest's OOM killer must choose the hog, never the shell running
# run.sh (it once did, and the boot never reached its marker): the shell
# is exempt, abuse gets the default back, and its hog volunteers (abuse.c).
printf 'echo -1000 > /proc/$$/oom_score_adj\n(echo 0 > /proc/self/oom_score_adj; exec ./abuse oom bomb)\necho ABUSE-SMALL-DONE\n' \
	> "$work/run/run.sh"
guest_run abuse-small 64M ABUSE-SMALL-DONE

# a host path the guest tries to create by every route it has
escape=/tmp/skas0-escape-$RANDOM-$$
# scatter a quarter more pages than this host allows mappings per process
limit=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 65530)
mib=$(( (limit * 5 / 4 + 511) / 512 ))		# per region: half the pages
evicts=1
if (( mib > 768 )); then
	echo "note: vm.max_map_count is $limit here; 2 x 768 MiB will not exceed it, so eviction is not exercised"
	mib=768 evicts=0
fi
(( mib < 160 )) && mib=160
printf './escape %s\n./scan\n./abuse model tiny scatter=%d\necho ABUSE-BIG-DONE\n' \
	"$escape" "$mib" > "$work/run/run.sh"
guest_run abuse-big "$(( 2 * mib + 256 ))M" ABUSE-BIG-DONE
if (( evicts )); then
	grep -q "host refused more mappings" "$log" &&
		ok "the host's vm.max_map_count ($limit) was reached and the kernel evicted instead of killing" ||
		fail "the scatter test never reached the host's vm.max_map_count ($limit): it tested nothing"
fi
if ! grep -q ESCAPE-DONE "$log"; then
	fail "the escape attempts did not finish"
elif [[ -e $escape ]]; then
	fail "a guest made $escape on the host"
	rm -rf "$escape"
else
	ok "no guest route made $escape on the host"
fi
echo "abuse, escape and scan boots: $((SECONDS - start)) s"

# ------------------------------------------------- 4. other ABIs, the stub page
printf './abi32\n./stubpage\n./forgepark\necho STUBPAGE-BOOT-DONE\n' > "$work/run/run.sh"
guest_run stubpage 128M STUBPAGE-BOOT-DONE
n=$(lost_messages)
[[ $n -eq 0 ]] && ok "nothing the guest forged made the kernel call a live host process gone" ||
	fail "the kernel reported $n host processes gone that the guest only pretended were"
n=$(grep -c '^skas0:' "$log")
[[ $n -le 30 ]] && ok "the kernel's own messages stayed few ($n lines from skas0) under $((4096 + 80)) attacks" ||
	fail "the kernel printed $n skas0 lines: a guest can flood the console"
n=$(grep -c 'Attempted to relay' "$log")
[[ $n -eq 0 ]] && ok "no message per guest int3 (the stub page holds dozens of them)" ||
	fail "the kernel logged $n relayed signals: a guest can flood the console"

summary isolation
[[ $failed -eq 0 ]]
