#!/usr/bin/env bash
# make test: host-side stub tests, the kernel.org fetch, the CI workflow,
# boot probes, booting the user's roots, isolation checks, the guest suite.
# The last line is the total: "N passed, N failed".
# usage: tests/run-all.sh KERNEL
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kernel=$1
obj=$(dirname "$(readlink -f "$kernel")")	# build/obj, or build/obj-llvm
total_p=0 total_f=0 status=0
for part in "run-host.sh $obj" "run-fetch.sh" "run-workflow.sh" \
	    "run-probes.sh $kernel" "run-roots.sh $kernel" "run-isolation.sh $kernel" \
	    "run-guest.sh $kernel"; do
	out=$(mktemp)
	# shellcheck disable=SC2086
	"$here"/$part 2>&1 | tee "$out"
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
	if [[ -z $line ]]; then p=0 f=1; fi
	total_p=$((total_p + p)) total_f=$((total_f + f))
	rm -f "$out"
done
echo "${total_p} passed, ${total_f} failed"
[[ $total_f -eq 0 ]]
