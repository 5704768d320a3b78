#!/usr/bin/env bash
# The reference for a selftest that fails in both UML kernels: the same
# static program on Debian's stock x86-64 6.12 kernel (or 6.1), in the
# QEMU VM of make test-hosts (scripts/host-vm.sh), as nobody.  Run after
# make test-selftests has built the programs into build/selftests/bin.
# usage: tests/selftests/native.sh [-k 6.12|6.1] PROGRAM...
#   PROGRAM as tests/run-selftests.sh names it, e.g. timers/posix_timers
# Prints each program's output and its verdict (exit 0 PASS, 4 SKIP,
# else FAIL) on the host kernel.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
host=6.12
[[ ${1:-} == -k ]] && { host=$2; shift 2; }
(($#)) || { echo "usage: $0 [-k 6.12|6.1] PROGRAM..." >&2; exit 2; }
bin=$top/build/selftests/bin
for p in "$@"; do
	[[ -x $bin/$p ]] || { echo "native: $bin/$p not built (make test-selftests builds it)" >&2; exit 2; }
done
script=$top/build/selftests/native-run.sh
{
	echo '#!/bin/sh'
	echo "cd /tmp"
	for p in "$@"; do
		printf 'echo "== %s on $(uname -r)"\n' "$p"
		printf 'timeout 120 setpriv --reuid=nobody --regid=nogroup --clear-groups %q 2>&1\n' "$bin/$p"
		printf 'rc=$?; case $rc in 0) v=PASS;; 4) v=SKIP;; *) v="FAIL(exit=$rc)";; esac\n'
		printf 'echo "NATIVE-RESULT %s $v"\n' "$p"
	done
} > "$script"
chmod +x "$script"
"$top/scripts/host-vm.sh" prepare "$host" >/dev/null || exit 1
HOSTVM_TIMEOUT=${HOSTVM_TIMEOUT:-900} "$top/scripts/host-vm.sh" run "$host" "$script" |
	tr -d '\r' | sed -n '/^== /,$p' | grep -v '^host-vm: status\|reboot: Power down\|ACPI: PM:'
