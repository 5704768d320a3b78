#!/usr/bin/env bash
# The kernel.org path of the build, without the internet: a tarball served
# from 127.0.0.1 must be fetched and accepted when its sha256 matches the
# pin, refused with a clear message when it does not, and nothing may be
# left where the build would take it from.
# usage: tests/run-fetch.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/skas0-fetch-XXXXXX)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/www" "$work/build"
# a small stand-in for the release tarball: what matters is the checking
mkdir -p "$work/src/linux-6.12.99"
printf 'VERSION = 6\nPATCHLEVEL = 12\n' > "$work/src/linux-6.12.99/Makefile"
tar cJf "$work/www/linux-6.12.99.tar.xz" -C "$work/src" linux-6.12.99
good=$(sha256sum "$work/www/linux-6.12.99.tar.xz" | cut -d' ' -f1)
bad=$(printf '%s' "$good" | tr 0-9a-f 1-9a-f0)

if ! command -v python3 >/dev/null; then
	echo "[SKIP] no python3 to serve the tarball from 127.0.0.1"
	summary fetch; exit 0
fi
port=$((20000 + RANDOM % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do
	curl -fs -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1
done
url=http://127.0.0.1:$port/linux-6.12.99.tar.xz
fetch() {	# SHA256: make's fetch of the pinned tarball, into $work/build
	make -s -C "$top" fetch-kernel BUILD="$work/build" KTARBALL="$work/build/dl/linux-6.12.99.tar.xz" \
		KERNEL_VERSION=6.12.99 KERNEL_URL="$url" KERNEL_SHA256="$1" >"$work/out" 2>&1
}
out=$work/build/dl/linux-6.12.99.tar.xz

fetch "$bad"; rc=$?
[[ $rc -ne 0 && ! -e $out && ! -e $out.part ]] && grep -q "not the pinned $bad" "$work/out" &&
	ok "a tarball with the wrong sha256 stops the build: $(grep -o 'skas0: .*pinned' "$work/out" | cut -c1-90)..." ||
	{ fail "wrong sha256: status $rc, $(ls "$work/build/dl" 2>/dev/null)"; cat "$work/out"; }

fetch "$good"; rc=$?
[[ $rc -eq 0 && -e $out ]] && cmp -s "$out" "$work/www/linux-6.12.99.tar.xz" &&
	ok "the pinned tarball is fetched from $url and verified" ||
	{ fail "fetch with the right sha256: status $rc"; cat "$work/out"; }

fetch "$good"; rc=$?
[[ $rc -eq 0 ]] && ! grep -q fetching "$work/out" &&
	ok "a verified tarball is not fetched again" || fail "refetched: status $rc"
summary fetch
[[ $failed -eq 0 ]]
