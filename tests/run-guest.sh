#!/usr/bin/env bash
# The guest suite: static test programs run inside a booted kernel.
# usage: tests/run-guest.sh KERNEL [--as-user USER]
# As root, the suite runs a second time as an unprivileged user (nobody),
# with no usable HOME, to prove the kernel needs no privileges.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
stage=$top/build/guest-tests
mkdir -p "$stage/bin"
for src in "$here"/guest/*.c; do
	name=$(basename "$src" .c)
	if [[ ! -x $stage/bin/$name || $src -nt $stage/bin/$name ]]; then
		gcc -static -O2 -pthread -Wall -o "$stage/bin/$name" "$src" ||
			{ fail "building $name"; continue; }
	fi
done
# helpers the tests exec: freestanding, so nothing runs before their first instruction
mkdir -p "$stage/helpers"
for src in "$here"/guest/helpers/*.S; do
	name=$(basename "$src" .S)
	gcc -static -nostdlib -o "$stage/helpers/$name" "$src" ||
		fail "building helper $name"
done
install -m 0755 "$here/guest/run.sh" "$stage/run.sh"

# boot KERNEL with the suite; LOG gets the console; remaining args: a prefix command
boot_suite() {
	local log=$1; shift
	timeout 900 "$@" "$kernel" mem=1G con=null con0=null,fd:1 \
		skas0.run="$stage" ${SKAS0_BOOT_ARGS:-} </dev/null >"$log" 2>&1
}

run_once() {	# run_once LABEL PREFIX...
	local label=$1 log rc; shift
	log=$top/build/guest-$label.log
	echo "== guest suite ($label): $kernel"
	boot_suite "$log" "$@"; rc=$?
	grep -E '^\[(OK|FAIL)\]|: [0-9]+ passed' "$log"
	count_log "$log"
	if ! grep -q SKAS0-GUEST-SUITE-DONE "$log"; then
		fail "$label: the suite did not finish (exit $rc); last lines:"
		tail -20 "$log"
	elif [[ $rc -ne 0 ]]; then
		fail "$label: kernel exit status $rc after poweroff"
	else
		ok "$label: kernel powered off with status 0"
	fi
}

run_once "$(id -un)"
if [[ $(id -u) -eq 0 && ${SKAS0_NO_UNPRIVILEGED:-} != 1 ]]; then
	# a world-readable copy, so no directory of the checkout changes mode
	priv=$(mktemp -d /tmp/skas0-nobody-XXXXXX)
	cp "$kernel" "$priv/linux" && cp -r "$stage" "$priv/suite"
	chmod -R a+rX "$priv"
	kernel=$priv/linux stage=$priv/suite
	run_once nobody env -u HOME setpriv --reuid=nobody --regid=nogroup --clear-groups --
	rm -rf "$priv"
fi
summary guest
[[ $failed -eq 0 ]]
