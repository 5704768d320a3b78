#!/usr/bin/env bash
# make test-hosts: tests/run-host-kernel.sh on Debian's stock host kernels
# 6.1 (bookworm) and 6.12, each in a QEMU VM under TCG that shares this
# machine's root file system read-only (scripts/host-vm.sh).  One summary
# line per host kernel, then the total.
# usage: tests/run-hosts.sh KERNEL [HOST_KERNEL...]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1"); shift
hosts=("$@")
((${#hosts[@]})) || hosts=(6.1 6.12)
lines=()
for k in "${hosts[@]}"; do
	t0=$SECONDS
	if ! "$top/scripts/host-vm.sh" prepare "$k"; then
		echo "[SKIP] host kernel $k: cannot be fetched or booted here (see above)"
		lines+=("host $k: skipped")
		continue
	fi
	log=$top/build/hosts/run-$k.log
	for try in 1 2; do
		"$top/scripts/host-vm.sh" run "$k" "$here/run-host-kernel.sh" "$kernel" >"$log" 2>&1
		rc=$?
		# host-vm prints /proc/version just before it starts the runner:
		# without that line the VM's own kernel died (under TCG we have
		# seen 6.12 hit an int3 oops in its static-key patching at 3 s),
		# before any of our code ran.  That is the emulator, not us: one
		# more boot, said out loud; a second such end counts as a failure.
		grep -q 'host-vm: Linux version' "$log" && break
		((try == 1)) || break
		echo "[NOTE] host kernel $k died before the runner started (status $rc): booting it again; its console tail:"
		tail -8 "$log" | sed 's/^/    | /'
	done
	line=$(grep -E '^host [^ ]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	# each failure with the console lines the runner printed under it
	awk '/^\[FAIL\]/ {f = 1; print; next} f && /^    \| / {print; next} {f = 0}' "$log"
	if [[ -z $line ]]; then
		fail "host kernel $k: no summary (status $rc); console tail:"
		tail -20 "$log"
		line="host $k: did not finish"
	else
		p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
		passed=$((passed + p)) failed=$((failed + f))
	fi
	lines+=("$line ($((SECONDS - t0)) s, $(cat "$top/build/hosts/$k/ready"))")
done
printf '%s\n' "${lines[@]}"
summary hosts
[[ $failed -eq 0 ]]
