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
recap=$(mktemp)	# each failure and the console lines under it ("    | ")
trap 'rm -f "$recap"' EXIT
# The isolation and guest suites run in each mode of SKAS0_MODES (default:
# skas0.mode=fast, then ptrace), with the same assertions.
base_args=${SKAS0_BOOT_ARGS:-}
parts=("run-host.sh $obj" "run-fetch.sh" "run-workflow.sh"
       "run-probes.sh $kernel" "run-roots.sh $kernel")
for mode in ${SKAS0_MODES:-fast ptrace}; do
	case $mode in
	fast|ptrace) ;;
	*) echo "run-all: SKAS0_MODES: '$mode' is not fast or ptrace" >&2; exit 2 ;;
	esac
	parts+=("$mode run-isolation.sh $kernel" "$mode run-guest.sh $kernel")
done
for part in "${parts[@]}"; do
	out=$(mktemp) label=${part%% *}
	export SKAS0_BOOT_ARGS=$base_args
	case $part in
	fast\ *|ptrace\ *)
		SKAS0_BOOT_ARGS="$base_args skas0.mode=${part%% *}"
		echo "=== ${part#* } in skas0.mode=${part%% *}"
		part=${part#* } label="${part%% *} (${label})" ;;
	esac
	# shellcheck disable=SC2086
	"$here"/$part 2>&1 | tee "$out"
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
	if [[ -z $line ]]; then
		p=0 f=1
		echo "$label: [FAIL] no summary line (the runner died)" >>"$recap"
	fi
	awk -v label="$label" '/^\[FAIL\]/ { print label ": " $0; keep = 1; next }
		keep && /^    \| / { print; next } { keep = 0 }' "$out" >>"$recap"
	total_p=$((total_p + p)) total_f=$((total_f + f))
	rm -f "$out"
done
# A CI log may show only its start and end: the failures again, at the end.
if [[ -s $recap ]]; then
	echo "=== the failures again"
	cat "$recap"
fi
echo "${total_p} passed, ${total_f} failed"
[[ $total_f -eq 0 ]]
