#!/usr/bin/env bash
# Lay our skas layer into a pristine Linux 6.12 tree:
#   1. delete upstream's implementation of everything we replace,
#   2. symlink ours in its place (so an edit here rebuilds at once),
#   3. apply the small hook patches in patches/.
# usage: scripts/lay-in.sh TREE REPO
set -euo pipefail
tree=$1 repo=$2
cd "$tree"

# What we replace, and nothing else.  scripts/check-replaced.sh reads this list.
replaced=(
	arch/um/kernel/skas
	arch/um/os-Linux/skas
	arch/um/include/shared/skas
	arch/um/os-Linux/start_up.c
	arch/um/os-Linux/mem.c
	arch/x86/um/stub_segv.c
	arch/x86/um/shared/sysdep/stub.h
	arch/x86/um/shared/sysdep/stub_32.h
	arch/x86/um/shared/sysdep/stub_64.h
)
if [[ ! -e .skas0-laid-in ]]; then
	rm -rf "${replaced[@]}"
	for p in "$repo"/patches/*.patch; do
		patch -p1 -s --no-backup-if-mismatch < "$p" ||
			{ echo "lay-in: $p does not apply to $tree" >&2; exit 1; }
	done
	touch .skas0-laid-in
fi

link() {	# link OURS TARGET
	mkdir -p "$(dirname "$2")"
	ln -sfn "$repo/$1" "$2"
}
for d in arch/um/kernel/skas arch/um/os-Linux/skas arch/um/include/shared/skas; do
	for f in "$repo/$d"/*; do
		link "$d/$(basename "$f")" "$d/$(basename "$f")"
	done
done
link probes/start_up.c arch/um/os-Linux/start_up.c
link probes/physmem.c arch/um/os-Linux/mem.c
link probes/probe.h arch/um/os-Linux/probe.h
link stub arch/um/skas0/stub
link ldscripts arch/um/skas0/ldscripts
