#!/usr/bin/env bash
# Isolation, seen from the host: while a guest runs a few processes, every
# host process backing a guest address space must hold only the stub's
# pages and guest memory, only the physical-memory file as a descriptor,
# no signal handler but the stub's SIGSEGV one, no environment or argv,
# and a seccomp filter.  Then guest programs abuse the kernel (fork bomb,
# 4x mem=, random mappings against a model, 60 000 mappings, more host
# mappings than the host allows), try to mkdir on the host by every
# syscall route, and scan above the guest's top for readable memory.
# usage: tests/run-isolation.sh KERNEL
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
work=$top/build/isolation
rm -rf "$work"; mkdir -p "$work"
gcc -static -O2 -pthread -o "$work/spawner" "$here/isolation/spawner.c" || fail "building spawner"
cat > "$work/run.sh" <<'GUEST'
sleep 30 & sh -c 'while :; do sleep 1; done' & cat /dev/zero > /dev/null &
./spawner &
echo ISOLATION-READY
sleep 8
echo ISOLATION-DONE
GUEST

log=$work/console.log
timeout 120 "$kernel" mem=128M con=null con0=null,fd:1 skas0.run="$work" \
	</dev/null >"$log" 2>&1 &
uml=$!
for _ in $(seq 200); do grep -q ISOLATION-READY "$log" && break; sleep 0.1; done
sleep 1
grep -q ISOLATION-READY "$log" || fail "guest never got ready"

# the kernel's main process: the one that traces the backing processes
backing=()
for st in /proc/[0-9]*/status; do
	pid=${st#/proc/}; pid=${pid%/status}
	tracer=$(awk '/^TracerPid:/ {print $2}' "$st" 2>/dev/null) || continue
	[[ -n $tracer && $tracer != 0 ]] || continue
	# traced by a process of this UML instance
	if [[ $tracer == "$uml" ]] || grep -qs "^PPid:[[:space:]]*$uml$" "/proc/$tracer/status" ||
	   [[ $(awk '/^PPid:/ {print $2}' "/proc/$tracer/status" 2>/dev/null) == "$uml" ]]; then
		backing+=("$pid")
	fi
done
[[ ${#backing[@]} -ge 3 ]] && ok "found ${#backing[@]} backing processes" ||
	fail "found only ${#backing[@]} backing processes"

# the kernel's descriptor of the physical-memory file: the one it maps
physmem_fd() {
	local fd
	local kpid
	kpid=$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")
	for fd in /proc/$kpid/fd/*; do
		[[ $(readlink "$fd") == "$phys" ]] && { basename "$fd"; return; }
	done
}

sealed() {	# is the mapping at START in PID sealed by the host?
	awk -v s="$2" '$1 ~ "^"s"-" {f=1} f && /^VmFlags/ {print; exit}' "/proc/$1/smaps" | grep -qw sl
}

for pid in "${backing[@]}"; do
	[[ -d /proc/$pid ]] || continue		# a guest process that just exited
	phys=$(readlink "/proc/$pid/fd/3" 2>/dev/null)
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
	seccomp=$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")
	[[ $seccomp == 2 ]] && ok "pid $pid: seccomp filter installed" ||
		fail "pid $pid: Seccomp: $seccomp"
	[[ ! -s /proc/$pid/environ && ! -s /proc/$pid/cmdline ]] &&
		ok "pid $pid: empty environment and argv" ||
		fail "pid $pid: environ/cmdline not empty: $(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-80)"
done

wait "$uml"
grep -q ISOLATION-DONE "$log" && ok "guest finished its run" || fail "guest did not finish"

# kill -9 of a busy backing process from the host: only its task dies
for t in hostkill vsyscall sigframe; do
	gcc -static -O2 -o "$work/$t" "$here/isolation/$t.c" || fail "building $t"
done
printf './hostkill\n./vsyscall\n./sigframe\necho HOSTKILL-DONE\n' > "$work/run.sh"
log=$work/hostkill.log
timeout 120 "$kernel" mem=128M con=null con0=null,fd:1 skas0.run="$work" \
	</dev/null >"$log" 2>&1 &
uml=$!
for _ in $(seq 300); do grep -q HOSTKILL-VICTIM-READY "$log" && break; sleep 0.1; done
sleep 0.5
victim=$(grep -l '^1337000000-' /proc/[0-9]*/maps 2>/dev/null | head -1 | cut -d/ -f3)
if [[ -n $victim ]]; then
	kill -9 "$victim"
	ok "killed backing process $victim of the busy victim"
else
	fail "no backing process maps the victim's marker page"
fi
wait "$uml"; rc=$?
grep -E '^\[(OK|FAIL)\]' "$log"
count_log "$log"
grep -q HOSTKILL-DONE "$log" && [[ $rc -eq 0 ]] &&
	ok "kernel kept running and powered off (status $rc)" ||
	{ fail "kernel did not survive (status $rc)"; tail -15 "$log"; }

# Abuse, escape and scan from inside the guest.  Two boots: the 4x mem=
# hog and the fork bomb in a small guest (quick to fill; a panic there must
# not hide the rest), then the escape routes, the scan above the guest's
# top and the mapping tests in a guest big enough for 2x 160 MiB.
for t in abuse escape scan; do
	gcc -static -O2 -o "$work/$t" "$here/isolation/$t.c" || fail "building $t"
done

# guest_run NAME MEM MARKER: boot with $work/run.sh, count its checks;
# leaves log set to the console log
guest_run() {
	local rc
	log=$work/$1.log
	timeout 180 "$kernel" mem="$2" con=null con0=null,fd:1 skas0.run="$work" \
		</dev/null >"$log" 2>&1; rc=$?
	grep -E '^\[(OK|FAIL)\]' "$log"
	count_log "$log"
	if grep -q "$3" "$log" && [[ $rc -eq 0 ]]; then
		ok "$1: kernel kept running and powered off"
	else
		fail "$1: kernel did not survive (status $rc); console tail:"
		tail -40 "$log" | grep -vE '^\[(OK|FAIL)\]'	# shown above
	fi
}

start=$SECONDS
printf './abuse oom bomb\necho ABUSE-SMALL-DONE\n' > "$work/run.sh"
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
	"$escape" "$mib" > "$work/run.sh"
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
summary isolation
[[ $failed -eq 0 ]]
