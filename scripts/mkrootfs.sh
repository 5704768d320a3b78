#!/usr/bin/env bash
# Build the embedded root filesystem: Debian's static busybox, one symlink
# per applet, our inittab and boot script.
# usage: scripts/mkrootfs.sh REPO OUTDIR
set -euo pipefail
repo=$1 out=$2
bb=${BUSYBOX:-/bin/busybox}
[[ -x $bb ]] && ! readelf -l "$bb" | grep -q INTERP ||
	{ echo "mkrootfs: $bb is not a static busybox (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"/{bin,sbin,etc/init.d,proc,sys,dev,tmp,root,run,mnt,usr/bin,usr/sbin}
cp "$bb" "$out/bin/busybox"
for app in $("$bb" --list-full); do
	[[ -e $out/$app ]] || ln -s /bin/busybox "$out/$app"
done
# no /init: the kernel runs busybox init only when no root is named
# (arch/um/kernel/skas/process.c, skas_embedded_root_arg)
install -m 0644 "$repo/rootfs/inittab" "$out/etc/inittab"
install -m 0755 "$repo/rootfs/rcS" "$out/etc/init.d/rcS"
echo 'root:x:0:0:root:/root:/bin/sh' > "$out/etc/passwd"
echo 'root:x:0:' > "$out/etc/group"
