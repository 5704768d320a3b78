#!/usr/bin/env bash
# A smoke run on the host kernel we are on (make test-hosts runs it inside a
# VM per host kernel, as root): the boot probes and their host-setting cases
# (vm.memfd_noexec, the uml_dir fallback, Yama 0, 1 and 2), a few guest
# programs as an unprivileged user (signals, threads, FP state across exec,
# a debugger's view, other syscall ABIs), then Yama ptrace_scope 3, which
# cannot be undone until the host reboots, so it comes last.
# usage: tests/run-host-kernel.sh KERNEL
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$(readlink -f "$1")
echo "== host kernel $(uname -r)"

out=$(mktemp)
"$here/run-probes.sh" "$kernel" 2>&1 | tee "$out"
count_log "$out"

work=$(mktemp -d /tmp/skas0-smoke-XXXXXX)
mkdir -p "$work/run/helpers"
cp "$kernel" "$work/linux"
stage=$top/build/guest-tests
for t in signals threads fpexec fpdebug tracing; do
	cp "$stage/bin/$t" "$work/run/"
done
cp "$stage/helpers/"* "$work/run/helpers/"
gcc -static -O2 -o "$work/run/abi32" "$here/isolation/abi32.c" || fail "building abi32"
printf 'for t in signals threads fpexec fpdebug tracing abi32; do ./$t; done\necho SMOKE-DONE\n' > "$work/run/run.sh"
chmod -R a+rX "$work"
as_user=()
[[ $(id -u) -eq 0 ]] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
timeout 900 "${as_user[@]}" env -u HOME "$work/linux" mem=256M con=null con0=null,fd:1 \
	skas0.run="$work/run" </dev/null >"$out" 2>&1
rc=$?
grep -E '^\[(OK|FAIL)\]' "$out"
count_log "$out"
grep -q SMOKE-DONE "$out" && [[ $rc -eq 0 ]] && ok "guest smoke run as ${as_user:+nobody}: kernel powered off" ||
	{ fail "guest smoke run: status $rc"; tail -20 "$out"; }

if [[ -e /proc/sys/kernel/yama/ptrace_scope && $(id -u) -eq 0 ]]; then
	echo 3 > /proc/sys/kernel/yama/ptrace_scope
	for who in nobody root; do
		pre=()
		[[ $who == nobody ]] && pre=("${as_user[@]}")
		timeout 120 "${pre[@]}" env -u HOME "$work/linux" mem=64M con=null con0=null,fd:1 \
			</dev/null >"$out" 2>&1
		rc=$?
		[[ $rc -eq 1 ]] && grep -q "ptrace_scope is 3" "$out" && grep -q "reboot" "$out" &&
			ok "Yama ptrace_scope=3 as $who: refused, exit 1, with the fix ($(grep -m1 -o 'failed: .*' "$out" | cut -c1-60)...)" ||
			{ fail "Yama ptrace_scope=3 as $who: status $rc"; tail -3 "$out"; }
	done
fi
rm -rf "$work" "$out"
summary "host $(uname -r)"
[[ $failed -eq 0 ]]
