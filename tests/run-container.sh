#!/usr/bin/env bash
# make test-container: the whole suite in the conditions of a Docker
# container run as a non-root user, simulated here:
#  - /dev/shm a 64 MB tmpfs mounted noexec (a private mount namespace),
#  - Docker's default seccomp profile (tests/host/docker-seccomp.c, a
#    model of its allowlist) on the test runner and all it starts, so no
#    user namespaces, no mount, no unshare,
#  - an unprivileged user (nobody) with no HOME, and a read-only HOME for
#    the probe boots that look at it.
# Tests that need what is missing there report SKIP with the reason; the
# kernel itself needs none of it.
# usage: tests/run-container.sh KERNEL   (as root, to set the conditions up)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
if [[ $(id -u) -ne 0 ]]; then
	echo "[SKIP] the container conditions are set up as root (a mount namespace, then nobody); run make test-container as root"
	summary container
	exit 0
fi
if ! unshare -m true 2>/dev/null; then
	echo "[SKIP] no mount namespaces here: cannot mount a 64 MB noexec /dev/shm"
	summary container
	exit 0
fi

work=$(mktemp -d /tmp/skas0-container-XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -o "$work/docker-seccomp" "$here/host/docker-seccomp.c" ||
	{ fail "building docker-seccomp"; summary container; exit 1; }
# a copy of the sources and of the built kernel and stub that the
# unprivileged user can read, with a build/ it can write (the runners put
# their work there)
mkdir -p "$work/repo"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$work/repo" -xf -
skas=build/obj/arch/um/kernel/skas
mkdir -p "$work/repo/$skas"
cp "$top/build/obj/linux" "$work/repo/build/obj/linux"
cp "$top/$skas/skas0-stub.elf" "$top/$skas/skas0-stub.bin" "$work/repo/$skas/"
ln -sfn "$work/repo/build/obj/linux" "$work/repo/linux"
chown -R nobody:nogroup "$work/repo/build"
chmod -R a+rX "$work"
mkdir -m 0555 "$work/readonly-home"
log=$top/build/container-suite.log

unshare -m sh -c "
	mount --make-rprivate / &&
	mount -t tmpfs -o size=64m,noexec,nosuid,nodev shm /dev/shm &&
	cd '$work/repo' &&
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -u HOME SKAS0_READONLY_HOME='$work/readonly-home' \
		'$work/docker-seccomp' tests/run-all.sh ./linux
" >"$log" 2>&1
rc=$?
grep -E '^\[(SKIP|FAIL)\]|^[a-z]+: [0-9]+ passed' "$log"
line=$(tail -1 "$log")
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	passed=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]}
else
	fail "the suite did not finish under container conditions (status $rc)"
	tail -20 "$log"
fi
summary container
[[ $failed -eq 0 ]]
