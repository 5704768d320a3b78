# Shared by the test runners: where things are, counting and reporting.
# Source it as: . "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
passed=0 failed=0
ok() { echo "[OK]   $*"; passed=$((passed + 1)); }
# fail MSG: with $lastlog set (a runner's last boot console), its end too,
# so that a CI log says why
fail() {
	echo "[FAIL] $*"; failed=$((failed + 1))
	[[ -n ${lastlog:-} && -e $lastlog ]] && tail -15 "$lastlog" | sed 's/^/    | /'
	return 0
}
# count_log FILE: add the [OK]/[FAIL] lines of a log to the totals
count_log() {
	local o f
	o=$(grep -c '^\[OK\]' "$1" || true)
	f=$(grep -c '^\[FAIL\]' "$1" || true)
	passed=$((passed + o)) failed=$((failed + f))
}
summary() { echo "$1: $passed passed, $failed failed"; }
