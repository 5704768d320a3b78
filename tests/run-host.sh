#!/usr/bin/env bash
# Host-side unit tests of the stub, against the stub the kernel embeds.
# usage: tests/run-host.sh OBJDIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
obj=$1
bin=$top/build/stub_test
gcc -O2 -Wall -I"$top/arch/um/include/shared/skas" -o "$bin" "$here/host/stub_test.c" \
	"$top/arch/um/os-Linux/skas/filter.c" ||
	{ fail "building stub_test"; summary host; exit 1; }
log=$top/build/host-stub.log
"$bin" "$obj/arch/um/kernel/skas/skas0-stub.elf" "$obj/arch/um/kernel/skas/skas0-stub.bin" >"$log" 2>&1
cat "$log"
count_log "$log"
summary host
[[ $failed -eq 0 ]]
