#!/usr/bin/env bash
# Prove the kernel we built uses our skas layer and none of upstream's:
# every object kbuild compiled in the replaced places must come from a
# source that resolves into this repository, and no upstream-only symbol
# may be in the binary.
# usage: scripts/check-replaced.sh TREE OBJDIR REPO
set -euo pipefail
tree=$1 obj=$2 repo=$(cd "$3" && pwd -P)
fail=0
syms=$(mktemp)
trap 'rm -f "$syms"' EXIT
nm "$obj/vmlinux" > "$syms"

for cmd in "$obj"/arch/um/kernel/skas/.*.o.cmd "$obj"/arch/um/os-Linux/skas/.*.o.cmd \
	   "$obj"/arch/um/os-Linux/.start_up.o.cmd "$obj"/arch/um/os-Linux/.mem.o.cmd; do
	[[ -e $cmd ]] || { echo "check-replaced: missing $cmd" >&2; fail=1; continue; }
	src=$(sed -n 's/^source_[^ ]* := //p' "$cmd")
	[[ $src = /* ]] || src=$tree/$src
	real=$(readlink -f "$src")
	case $real in
	"$repo"/*) ;;
	*) echo "check-replaced: $(basename "$cmd") was built from $real, not from $repo" >&2; fail=1 ;;
	esac
done
for f in "$obj"/arch/x86/um/stub_segv.o; do
	[[ -e $f ]] && { echo "check-replaced: upstream object $f was built" >&2; fail=1; }
done
# Symbols only upstream's skas layer defines.
for sym in stub_segv_handler stub_syscall_handler __syscall_stub_start userspace_tramp \
	   wait_stub_done check_sysemu syscall_stub_dump_error start_userspace; do
	if grep -qw "$sym" "$syms"; then
		echo "check-replaced: upstream symbol $sym is in the kernel" >&2; fail=1
	fi
done
for sym in skas_stub_spawn skas0_stub_code skas_stub_install os_early_checks; do
	grep -qw "$sym" "$syms" ||
		{ echo "check-replaced: our symbol $sym is missing" >&2; fail=1; }
done
if ((fail)); then
	echo "check-replaced: FAILED: the build is not using (only) our skas layer" >&2
	exit 1
fi
echo "check-replaced: OK: skas layer, stub and probes all built from $repo"
