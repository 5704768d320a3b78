#!/usr/bin/env bash
# make bench: ours vs unmodified upstream 6.12 (as is, and pinned to one CPU
# with taskset) vs the host, interleaved.
# Prints a table and writes build/bench/results.txt (figure kernel median).
# usage: scripts/bench.sh OURS UPSTREAM   (ROUNDS=3 by default)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ours=$(readlink -f "$1") upstream=$(readlink -f "$2")
rounds=${ROUNDS:-3}
work=$top/build/bench
mkdir -p "$work"
raw=$work/raw.txt
say() { echo "bench: $*" >&2; }
if [[ ${BENCH_TABLE_ONLY:-0} == 1 ]]; then	# reprint the table of the last run
	say "table from $raw"
else
: > "$raw"
gcc -static -O2 -pthread -o "$work/bench" "$top/tests/bench/bench.c" || exit 1

# boot KERNEL with run.sh; stdout: guest lines, plus boot_to_init measured here
guest_run() {	# guest_run KERNEL [PREFIX...]
	local kernel=$1 t0 line; shift
	t0=$EPOCHREALTIME
	timeout 600 "$@" "$kernel" mem=512M con=null con0=null,fd:1 rdinit=/sbin/init skas0.run="$work" \
		</dev/null 2>&1 | while IFS= read -r line; do
		line=${line%$'\r'}	# the guest console ends lines with CRLF
		case $line in
		BENCH-BOOTED*) awk -v a="$t0" -v b="$EPOCHREALTIME" \
				'BEGIN { printf "BENCH boot_to_init %.3f\n", (b - a) * 1e6 }' ;;
		BENCH\ *) echo "$line" ;;
		esac
	done
}

# the compile workload: the host's gcc, run inside the guest from a hostfs root
src=$work/compile-src
rm -rf "$src"; mkdir -p "$src"
for i in $(seq 12); do
	{
		echo "#include <stdio.h>"; echo "#include <stdlib.h>"; echo "#include <string.h>"
		for j in $(seq 40); do
			echo "int f${i}_$j(int *a, int n) { int s = 0; for (int k = 0; k < n; k++) s += a[k] * $j ^ (s >> 3); return s + (int)strlen(\"x$j\"); }"
		done
	} > "$src/unit$i.c"
done
compile="cd $src && rm -f *.o && gcc -O2 -c unit*.c"
cat > "$work/run.sh" <<GUEST
echo BENCH-BOOTED
./bench
mkdir -p /host && mount -t hostfs -o / none /host &&
	./bench --time compile_12_files chroot /host /bin/sh -c "$compile"
GUEST
for r in $(seq "$rounds"); do
	for k in ours upstream upstream_pinned host; do
		say "round $r/$rounds: $k"
		case $k in
		ours) guest_run "$ours" ;;
		upstream) guest_run "$upstream" ;;
		# upstream with all its processes on one CPU, as ours keeps
		# itself (skas0.pin): what is left is the design, not placement
		upstream_pinned) guest_run "$upstream" taskset -c 0 ;;
		host) "$work/bench"; "$work/bench" --time compile_12_files sh -c "$compile" ;;
		esac | awk -v k="$k" '$1 == "BENCH" { print $2, k, $3 }' >> "$raw"
	done
done

# host syscalls made by the kernel process per guest event
count() {	# KERNEL MODE N -> host syscalls of the kernel process
	printf './bench %s %s\n' "$2" "$3" > "$work/run.sh"
	perf stat --no-inherit -x, -e raw_syscalls:sys_enter -o "$work/perf.txt" -- \
		"$1" mem=512M con=null con0=null,fd:1 rdinit=/sbin/init skas0.run="$work" </dev/null >/dev/null 2>&1
	awk -F, '/raw_syscalls/ { print $1 }' "$work/perf.txt"
}
if perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
	for k in ours upstream; do
		kernel=$ours; [[ $k == upstream ]] && kernel=$upstream
		for ev in getppid:null_syscall faults:write_fault; do
			mode=${ev%%:*} fig=${ev#*:}
			say "host syscalls per $fig: $k"
			c0=$(count "$kernel" "--$mode" 0)
			c1=$(count "$kernel" "--$mode" 20000)
			awk -v f="hostsc_$fig" -v k="$k" -v a="$c0" -v b="$c1" \
				'BEGIN { if (a != "" && b != "") printf "%s %s %.2f\n", f, k, (b - a) / 20000 }' >> "$raw"
		done
	done
else
	say "perf cannot count raw_syscalls:sys_enter here: syscall counts skipped"
fi

# Scale: 10 idle kernels at once.  CPU they burn while idle, and host
# processes each one keeps.  Every kernel runs in its own session.
scale() {	# KERNEL LABEL
	local kernel=$1 label=$2 n=10 idle=30 sids=() i t0 t1 procs
	mkdir -p "$work/idle"
	printf 'sleep %d\n' $((idle + 30)) > "$work/idle/run.sh"
	for i in $(seq $n); do
		setsid "$kernel" mem=64M con=null con0=null,fd:1 rdinit=/sbin/init skas0.run="$work/idle" \
			</dev/null >/dev/null 2>&1 &
		sids+=($!)
		disown $!	# no "Killed" notice when they are stopped below
	done
	sleep 15
	members() {	# pids of every process in our sessions
		cat /proc/[0-9]*/stat 2>/dev/null | awk -v s=" ${sids[*]} " '
			{ pid = $1; sub(/^.*\) /, ""); if (index(s, " " $4 " ")) print pid }'
	}
	cpu_ns() {	# CPU time of all their threads in ns: sum_exec_runtime
		# (ms, from /proc/PID/task/TID/sched) where the host has it, as
		# idle kernels use well under one clock tick in 30 s; else ticks
		members | while read -r p; do
			if [[ -r /proc/$p/sched ]]; then
				cat /proc/"$p"/task/*/sched 2>/dev/null |
					awk '/^se.sum_exec_runtime/ { printf "%.0f\n", $3 * 1e6 }'
			else
				awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, "");
					printf "%.0f\n", ($12 + $13) * 1e9 / hz }' "/proc/$p/stat" 2>/dev/null
			fi
		done | awk '{ t += $1 } END { printf "%.0f\n", t }'
	}
	procs=$(members | wc -l)
	t0=$(cpu_ns); sleep $idle; t1=$(cpu_ns)
	{ kill -9 "${sids[@]}"; wait; } 2>/dev/null
	for i in "${sids[@]}"; do pkill -9 -s "$i" 2>/dev/null; done

	awk -v a="$t0" -v b="$t1" -v n=$n -v t=$idle -v k="$label" \
		'BEGIN { printf "idle_cpu_percent_per_kernel %s %.4f\n", k, (b - a) / 1e9 / t / n * 100 }' >> "$raw"
	echo "host_processes_per_kernel $label $((procs / n))" >> "$raw"
}
if [[ ${BENCH_SCALE:-1} == 1 ]]; then
	say "scale: 10 idle kernels for 30 s (ours)"
	scale "$ours" ours
	say "scale: 10 idle kernels for 30 s (upstream)"
	scale "$upstream" upstream
fi

fi	# BENCH_TABLE_ONLY

# medians and ratios
sort -k1,1 -k2,2 -k3,3g "$raw" | awk '
	{ key = $1 " " $2; v[key, ++n[key]] = $3; figs[$1] = 1 }
	END {
		for (key in n) { m = n[key]; med[key] = (m % 2) ? v[key, (m + 1) / 2] : (v[key, m / 2] + v[key, m / 2 + 1]) / 2 }
		printf "%-24s %12s %12s %12s %12s %8s %8s %9s\n", "figure (us/op)", "ours", "upstream", "up-pinned", "host", "ours/up", "ours/pin", "ours/host"
		for (f in figs) {
			o = med[f " ours"]; u = med[f " upstream"]; p = med[f " upstream_pinned"]; h = med[f " host"]
			printf "%-24s %12s %12s %12s %12s %8s %8s %9s\n", f, o, u, (p == "" ? "-" : p), (h == "" ? "-" : h),
				(u > 0 ? sprintf("%.2f", o / u) : "-"), (p > 0 ? sprintf("%.2f", o / p) : "-"),
				(h > 0 ? sprintf("%.2f", o / h) : "-")
			print f, "ours", o > "'"$work"'/results.txt"
			print f, "upstream", u > "'"$work"'/results.txt"
			if (p != "") print f, "upstream_pinned", p > "'"$work"'/results.txt"
			if (h != "") print f, "host", h > "'"$work"'/results.txt"
		}
	}' | (read -r hdr; echo "$hdr"; sort)
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d); rounds: $rounds; raw: $raw"
