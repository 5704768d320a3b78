#!/bin/sh
# Runs inside the guest (rootfs rcS, skas0.run=DIR): every test program in
# bin/ (each prints [OK]/[FAIL] lines, counted by the host), then strace from the host's /usr if the host root is reachable.
cd "$(dirname "$0")"
for t in bin/*; do
	echo "== $t"
	"./$t" || echo "[FAIL] $t exited with status $?"
done
if [ -x /host/usr/bin/strace ] || { mkdir -p /host && mount -t hostfs -o / none /host 2>/dev/null; }; then
	if [ -x /host/usr/bin/strace ]; then
		echo "== strace (host binary, via hostfs)"
		out=$(chroot /host /usr/bin/strace -f -e trace=execve,exit_group /bin/true 2>&1)
		if echo "$out" | grep -q "+++ exited with 0 +++"; then
			echo "[OK]   strace traced /bin/true to completion"
		else
			echo "[FAIL] strace: $out"
		fi
	fi
fi
echo "SKAS0-GUEST-SUITE-DONE"
