#!/usr/bin/env bash
# Booting the user's own root, as upstream UML does: an ext4 image on ubd0
# with its own /sbin/init, a hostfs directory with init=, an initrd= cpio,
# each printing a marker and powering off; with no root given, the embedded
# busybox; a root that cannot be mounted gets the kernel's message, never
# the embedded shell.
# usage: tests/run-roots.sh KERNEL
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
work=$(mktemp -d /tmp/skas0-roots-XXXXXX)
trap 'rm -rf "$work"' EXIT

# a root of our own: static busybox, and an init that says who ran it
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,dev,sys,tmp}
cp /bin/busybox "$root/bin/busybox"
make_init() {	# PATH MARKER
	printf '#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\necho "%s $(/bin/busybox cat /proc/cmdline)"\n/bin/busybox poweroff -f\n' \
		"$2" > "$root$1"
	chmod 0755 "$root$1"
}
make_init /sbin/init ROOT-OWN-SBIN-INIT
make_init /init ROOT-OWN-INIT-ARG

boot() {	# NAME ARGS...: console in $work/NAME.log, status in $rc
	local name=$1; shift
	timeout 60 "$kernel" mem=128M con=null con0=null,fd:1 "$@" </dev/null \
		>"$work/$name.log" 2>&1
	rc=$?
}
saw() { grep -q -- "$2" "$work/$1.log"; }
embedded() { saw "$1" "skas0: booted"; }

if command -v mkfs.ext4 >/dev/null && mkfs.ext4 -q -d "$root" "$work/disk.img" 32M >/dev/null 2>&1; then
	boot ubd ubd0="$work/disk.img"
	saw ubd ROOT-OWN-SBIN-INIT && ! embedded ubd &&
		ok "ubd0=ext4 image: mounted as root, its own /sbin/init ran ($(grep -o 'Mounted root ([^)]*)' "$work/ubd.log"))" ||
		{ fail "ubd0=ext4 image: status $rc"; tail -5 "$work/ubd.log"; }
	boot ubdroot ubd0="$work/disk.img" root=/dev/ubda init=/init
	saw ubdroot ROOT-OWN-INIT-ARG && ! embedded ubdroot &&
		ok "ubd0= root=/dev/ubda init=/init: init= of the user's root ran" ||
		{ fail "root=/dev/ubda init=/init: status $rc"; tail -5 "$work/ubdroot.log"; }
else
	echo "[SKIP] ubd0= ext4 root: mkfs.ext4 -d not available here (apt-get install e2fsprogs)"
fi

boot hostfs rootfstype=hostfs hostfs="$root" init=/init
saw hostfs ROOT-OWN-INIT-ARG && ! embedded hostfs &&
	ok "rootfstype=hostfs hostfs=DIR init=/init: the directory is root, its init ran" ||
	{ fail "hostfs root: status $rc"; tail -5 "$work/hostfs.log"; }

(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initrd.cpio"
boot initrd initrd="$work/initrd.cpio"
saw initrd ROOT-OWN-INIT-ARG && ! embedded initrd &&
	ok "initrd=cpio: its /init ran, as upstream" ||
	{ fail "initrd=: status $rc"; tail -5 "$work/initrd.log"; }

printf 'echo ROOTS-EMBEDDED-RAN\n' > "$work/run.sh"
boot none skas0.run="$work"
saw none ROOTS-EMBEDDED-RAN && [[ $rc -eq 0 ]] &&
	ok "no root given: the embedded busybox root boots and powers off" ||
	{ fail "no root: status $rc"; tail -5 "$work/none.log"; }

# it panics (SIGABRT): keep the shell from announcing it
{ boot missing ubd0="$work/no-such-disk.img"; } 2>/dev/null
! embedded missing && saw missing "VFS: Unable to mount root fs" &&
	ok "a root that cannot be mounted: the kernel's own message ($(grep -o 'VFS: Unable to mount root fs[^"]*' "$work/missing.log" | head -1 | cut -c1-70)), exit $rc" ||
	{ fail "unmountable root: status $rc"; tail -5 "$work/missing.log"; }
summary roots
[[ $failed -eq 0 ]]
