#!/usr/bin/env bash
# Run a command on another host kernel: one of Debian's stock kernels, in
# QEMU (TCG: no hardware virtualisation needed), with this machine's root
# file system shared read-only and the checkout read-write, so the command
# sees the same programs and paths as here.
#
#   scripts/host-vm.sh prepare KERNEL      fetch and unpack it (once)
#   scripts/host-vm.sh run KERNEL CMD...   boot it, run CMD as root in
#                                          $PWD, power off; CMD's status
#
# KERNEL is 6.1 (bookworm's linux-image-amd64) or 6.12
# (linux-image-6.12-amd64).  HOSTVM_MEM (default 3G) and HOSTVM_CPUS
# (default: this machine's) size the VM; HOSTVM_TIMEOUT (default 1800 s)
# bounds the run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
hosts=$top/build/hosts

meta_package() {
	case $1 in
	6.1) echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	*) echo "host-vm: unknown kernel '$1' (6.1 or 6.12)" >&2; return 1 ;;
	esac
}

# modules NAME... with their dependencies, each after what it needs
module_order() {
	local moddir=$1; shift
	local -A seen=()
	local out=()
	visit() {
		local m=$1 f deps d
		[[ -n ${seen[$m]:-} ]] && return
		seen[$m]=1
		f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
		[[ -n $f ]] || return 0		# built in
		deps=$(modinfo -F depends "$f" 2>/dev/null | tr ',' ' ')
		for d in $deps; do visit "$d"; done
		out+=("$f")
	}
	for m in "$@"; do visit "$m"; done
	printf '%s\n' "${out[@]}"
}

prepare() {
	local k=$1 dir=$hosts/$1 meta pkg deb root version
	# ready, and in the layout of this script (modules/, not initrd/)
	[[ -e $dir/ready && -e $dir/modules/order ]] && return 0
	command -v qemu-system-x86_64 >/dev/null || { echo "host-vm: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; return 1; }
	meta=$(meta_package "$k")
	pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image/ {print $2; exit}')
	[[ -n $pkg ]] || { echo "host-vm: apt knows no $meta here" >&2; return 1; }
	rm -rf "$dir"; mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ echo "host-vm: apt-get download $pkg failed" >&2; return 1; }
	deb=$(ls "$dir"/deb/*.deb)
	root=$dir/pkg
	dpkg-deb -x "$deb" "$root"
	version=$(ls "$root/lib/modules")
	cp "$root/boot/vmlinuz-$version" "$dir/vmlinuz"
	mkdir -p "$dir/modules"
	module_order "$root/lib/modules/$version" virtio_pci 9pnet_virtio 9p |
	while read -r f; do
		case $f in
		*.xz) xz -dc "$f" > "$dir/modules/$(basename "$f" .xz)" ;;
		*) cp "$f" "$dir/modules/" ;;
		esac
		basename "${f%.xz}" >> "$dir/modules/order"
	done
	echo "$pkg ($version)" > "$dir/ready"
	rm -rf "$dir/deb" "$root" "$dir/initrd"
}

# A busybox initramfs, made afresh for each run: load the 9p modules, share
# in the host root and the checkout, chroot there and run the command the
# kernel command line names.
make_initrd() {
	local d=$1 modules=$2
	rm -rf "$d"
	mkdir -p "$d"/{bin,dev,proc,sys,host}
	cp -r "$modules" "$d/modules"
	cp /bin/busybox "$d/bin/busybox"
	for app in sh mount insmod mkdir chroot poweroff cat sleep sed; do
		ln -s busybox "$d/bin/$app"
	done
	cat > "$d/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m; done
cmd=$(sed -n 's/.*hostvm.cmd=\([^ ]*\).*/\1/p' /proc/cmdline)
repo=$(sed -n 's/.*hostvm.repo=\([^ ]*\).*/\1/p' /proc/cmdline)
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /host || {
	echo "host-vm: cannot share the host's files in"; poweroff -f; }
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
for t in /tmp /run /dev/shm /root /var/tmp; do mount -t tmpfs tmpfs "/host$t"; done
# the checkout last, read-write, wherever it is (also under /tmp)
mkdir -p "/host$repo" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 repo "/host$repo" || {
	echo "host-vm: cannot share $repo in"; poweroff -f; }
echo "host-vm: $(cat /proc/version)"
chroot /host /bin/sh -c "$cmd"
echo "host-vm: status $?"
poweroff -f
INIT
	chmod +x "$d/init"
}

run() {
	local k=$1 dir=$hosts/$1 script log; shift
	prepare "$k"
	make_initrd "$dir/initrd" "$dir/modules"
	(cd "$dir/initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$dir/initrd.gz"
	script=$top/build/hosts/cmd-$k.sh
	{
		echo '#!/bin/sh'
		echo "cd '$PWD' || exit 125"
		printf 'exec'; printf ' %q' "$@"; echo
	} > "$script"
	chmod +x "$script"
	log=$top/build/hosts/console-$k.log
	timeout "${HOSTVM_TIMEOUT:-1800}" qemu-system-x86_64 -accel tcg \
		-cpu max -smp "${HOSTVM_CPUS:-$(nproc)}" -m "${HOSTVM_MEM:-3G}" \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$dir/vmlinuz" -initrd "$dir/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 hostvm.cmd=$script hostvm.repo=$top" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$top",mount_tag=repo,security_model=none,multidevs=remap \
		</dev/null 2>&1 | tr -d '\r' | tee "$log"
	status=$(sed -n 's/^host-vm: status \([0-9]*\)$/\1/p' "$log" | tail -1)
	return "${status:-124}"
}

case ${1:-} in
prepare) prepare "$2" ;;
run) shift; run "$@" ;;
*) echo "usage: $0 prepare KERNEL | run KERNEL CMD..." >&2; exit 2 ;;
esac
