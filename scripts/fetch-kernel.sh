#!/usr/bin/env bash
# Fetch the pinned kernel.org tarball and check it before anything uses it.
# usage: scripts/fetch-kernel.sh URL SHA256 OUT
# OUT appears only once its sha256 matches; a mismatch stops with a message.
set -euo pipefail
url=$1 want=$2 out=$3
mkdir -p "$(dirname "$out")"
part=$out.part
rm -f "$part"
echo "skas0: fetching $url"
if command -v curl >/dev/null; then
	curl -fL --retry 3 --proto '=https,http' -o "$part" "$url"
elif command -v wget >/dev/null; then
	wget -q -O "$part" "$url"
else
	echo "skas0: neither curl nor wget is installed to fetch $url (apt-get install curl)" >&2
	exit 1
fi
got=$(sha256sum "$part" | cut -d' ' -f1)
if [[ $got != "$want" ]]; then
	rm -f "$part"
	echo "skas0: $(basename "$out") from $url has sha256 $got, not the pinned $want (scripts/kernel-source.pin): refusing to build from it" >&2
	exit 1
fi
mv "$part" "$out"
echo "skas0: $(basename "$out") verified (sha256 $want)"
