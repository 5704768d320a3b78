#!/usr/bin/env bash
# Install what a step needs from Debian, or say exactly what to run.
# usage: scripts/deps.sh [build|test|hosts|llvm|selftests]
#   build  the kernel (missing: fatal)
#   test   what make test uses beyond the build; when it cannot be had,
#          the tests that need it report SKIP with the reason
#   hosts  make test-hosts: QEMU and the tools that unpack Debian kernels
#   llvm   make LLVM=1: clang and lld
#   selftests  make test-selftests: libcap (static) for seccomp_bpf and two
#          mm programs; without it they are reported as not built
set -euo pipefail
what=${1:-build}
need=()
have() { command -v "$1" >/dev/null 2>&1; }
want() { have "$1" || need+=("$2"); }
case $what in
build)
	if [[ ! -e ${KTARBALL:-/usr/src/linux-source-6.12.tar.xz} && -z ${KSRC:-} ]]; then
		if apt-cache show linux-source-6.12 >/dev/null 2>&1; then
			need+=(linux-source-6.12)
		else
			want curl curl		# the pinned kernel.org tarball instead
		fi
	fi
	[[ -x /bin/busybox ]] && ! readelf -l /bin/busybox 2>/dev/null | grep -q INTERP || need+=(busybox-static)
	want gcc gcc; want make make; want flex flex; want bison bison; want bc bc
	want xz xz-utils; want patch patch; want readelf binutils
	[[ -e /usr/include/libelf.h ]] || need+=(libelf-dev)
	;;
test)
	want qemu-x86_64 qemu-user; want strace strace; want setpriv util-linux
	want unshare util-linux; want gcc gcc; want cpio cpio; want mkfs.ext4 e2fsprogs
	want curl curl; want python3 python3
	python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
	;;
hosts)
	want qemu-system-x86_64 qemu-system-x86; want cpio cpio; want modinfo kmod
	want xz xz-utils; want dpkg-deb dpkg
	;;
llvm)
	want clang clang; want ld.lld lld
	;;
selftests)
	[[ -e /usr/include/sys/capability.h ]] || need+=(libcap-dev)
	;;
esac
((${#need[@]})) || exit 0
readarray -t need < <(printf '%s\n' "${need[@]}" | sort -u)

cmd="apt-get install -y ${need[*]}"
if [[ $(id -u) -eq 0 ]]; then sudo=; elif have sudo && sudo -n true 2>/dev/null; then sudo=sudo; else
	echo "skas0: missing ${need[*]}; run: sudo apt-get update && sudo $cmd" >&2
	[[ $what == build || $what == llvm ]] && exit 1
	exit 0
fi
echo "skas0: installing ${need[*]}"
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo $cmd -qq >/dev/null; }; then
	echo "skas0: could not install ${need[*]}" >&2
	[[ $what == build || $what == llvm ]] && exit 1
fi
exit 0
