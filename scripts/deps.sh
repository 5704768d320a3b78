#!/usr/bin/env bash
# Install what the build needs from Debian, or say exactly what to run.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
[[ -e ${KTARBALL:-/usr/src/linux-source-6.12.tar.xz} || -n ${KSRC:-} ]] || need+=(linux-source-6.12)
[[ -x /bin/busybox ]] && ! readelf -l /bin/busybox 2>/dev/null | grep -q INTERP || need+=(busybox-static)
have gcc || need+=(gcc)
have make || need+=(make)
have flex || need+=(flex)
have bison || need+=(bison)
have bc || need+=(bc)
have xz || need+=(xz-utils)
have patch || need+=(patch)
have readelf || need+=(binutils)
[[ -e /usr/include/libelf.h ]] || need+=(libelf-dev)
((${#need[@]})) || exit 0

cmd="apt-get install -y ${need[*]}"
if [[ $(id -u) -eq 0 ]]; then sudo=; elif have sudo && sudo -n true 2>/dev/null; then sudo=sudo; else
	echo "skas0: missing build dependencies; run: sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "skas0: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo $cmd
