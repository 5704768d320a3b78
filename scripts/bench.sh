#!/usr/bin/env bash
# make bench: ours in fast mode and in ptrace mode vs unmodified upstream
# 6.12 (as is, and pinned to one CPU with taskset) vs the host, interleaved.
# Prints a table and writes build/bench/results.txt (figure kernel median),
# then what each figure cost in the layer's counters (/proc/skas0).
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
kargs=()	# extra kernel arguments (skas0.mode= for ours)
guest_run() {	# guest_run KERNEL [PREFIX...]
	local kernel=$1 t0 line; shift
	t0=$EPOCHREALTIME
	timeout "${gtimeout:-600}" "$@" "$kernel" mem="${gmem:-512M}" con=null con0=null,fd:1 rdinit=/sbin/init skas0.run="$work" \
		"${kargs[@]}" </dev/null 2>&1 | while IFS= read -r line; do
		line=${line%$'\r'}	# the guest console ends lines with CRLF
		case $line in
		BENCH-BOOTED*) awk -v a="$t0" -v b="$EPOCHREALTIME" \
				'BEGIN { printf "BENCH boot_to_init %.3f\n", (b - a) * 1e6 }' ;;
		BENCH\ *|BENCHC\ *|BENCH-FAILED*) echo "$line" ;;
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
	for k in fast ptrace upstream upstream_pinned host; do
		say "round $r/$rounds: $k"
		case $k in
		fast|ptrace) kargs=(skas0.mode=$k); guest_run "$ours"; kargs=() ;;
		upstream) guest_run "$upstream" ;;
		# upstream with all its processes on one CPU, as ours keeps
		# itself (skas0.pin): what is left is the design, not placement
		upstream_pinned) guest_run "$upstream" taskset -c 0 ;;
		host) "$work/bench"; "$work/bench" --time compile_12_files sh -c "$compile" ;;
		esac | tee >(awk -v k="$k" '$1 == "BENCHC" { $1 = k; print }' > "$work/counters-$k.txt") |
			awk -v k="$k" '$1 == "BENCH" { print $2, k, $3 }' >> "$raw"
	done
done

# The second workload (BENCH_TINYCONFIG=0 skips it; one round, ours in both modes
# and the host: it takes minutes each): Linux 6.12 tinyconfig, make -j1
# vmlinux, the source on a read-only hostfs mount, the objects in the
# guest's tmpfs; on the host under taskset -c 0 with the objects in a
# tmpfs-backed directory as far as the host has one.
if [[ ${BENCH_TINYCONFIG:-1} == 1 ]]; then
	ksrc=$top/build/src
	tiny="make -s O=/mnt/tiny ARCH=x86_64 tinyconfig >/dev/null && make -s -j1 O=/mnt/tiny ARCH=x86_64 vmlinux"
	# gcc's temporary files go to the tmpfs too: the host's /tmp is read-only here
	cat > "$work/run.sh" <<GUEST
mkdir -p /hostro && mount -r -t hostfs -o / none /hostro &&
	mount -t tmpfs -o size=400m none /hostro/mnt && mkdir -p /hostro/mnt/tmp &&
	./bench --time tinyconfig_vmlinux chroot /hostro /bin/sh -c "export TMPDIR=/mnt/tmp && cd $ksrc && $tiny" ||
	echo "BENCH-FAILED tinyconfig_vmlinux: exit \$?"
GUEST
	for k in fast ptrace host; do
		say "tinyconfig vmlinux: $k"
		case $k in
		fast|ptrace) kargs=(skas0.mode=$k); gmem=1536M gtimeout=1200 guest_run "$ours" |
				tee >(grep BENCH-FAILED >&2); kargs=() ;;
		host)	hobj=$(mktemp -d /dev/shm/skas0-tiny-XXXXXX)
			taskset -c 0 "$work/bench" --time tinyconfig_vmlinux sh -c \
				"cd $ksrc && ${tiny//\/mnt\/tiny/$hobj/tiny}"
			rm -rf "$hobj" ;;
		esac | awk -v k="$k" '$1 == "BENCH" { print $2, k, $3 }' >> "$raw"
	done
fi

# host syscalls made by the kernel process per guest event
# (hostsc_*), and by every host process of the boot: the kernel's and the
# backing processes' (hostsc_all_*)
count() {	# KERNEL INHERIT MODE N [ARGS...] -> host syscalls
	local kernel=$1 inherit=$2; shift 2
	printf './bench %s %s\n' "$1" "$2" > "$work/run.sh"; shift 2
	perf stat $inherit -x, -e raw_syscalls:sys_enter -o "$work/perf.txt" -- \
		"$kernel" mem=512M con=null con0=null,fd:1 rdinit=/sbin/init skas0.run="$work" "$@" \
		</dev/null >/dev/null 2>&1
	awk -F, '/raw_syscalls/ { print $1 }' "$work/perf.txt"
}
if perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
	for k in fast ptrace upstream; do
		kernel=$ours args=(skas0.mode=$k)
		[[ $k == upstream ]] && kernel=$upstream args=()
		for ev in getppid:null_syscall faults:write_fault; do
			mode=${ev%%:*} fig=${ev#*:}
			for scope in --no-inherit:hostsc "":hostsc_all; do
				say "host syscalls per $fig: $k (${scope#*:})"
				c0=$(count "$kernel" "${scope%%:*}" "--$mode" 0 "${args[@]}")
				c1=$(count "$kernel" "${scope%%:*}" "--$mode" 20000 "${args[@]}")
				awk -v f="${scope#*:}_$fig" -v k="$k" -v a="$c0" -v b="$c1" \
					'BEGIN { if (a != "" && b != "") printf "%s %s %.2f\n", f, k, (b - a) / 20000 }' >> "$raw"
			done
		done
	done
else
	say "perf cannot count raw_syscalls:sys_enter here: syscall counts skipped"
fi

# Scale: 10 idle kernels at once.  CPU they burn while idle, and host
# processes each one keeps.  Every kernel runs in its own session.
scale() {	# KERNEL LABEL [ARGS...]
	local kernel=$1 label=$2 n=10 idle=30 sids=() i t0 t1 procs
	mkdir -p "$work/idle"
	printf 'sleep %d\n' $((idle + 30)) > "$work/idle/run.sh"
	for i in $(seq $n); do
		setsid "$kernel" mem=64M con=null con0=null,fd:1 rdinit=/sbin/init skas0.run="$work/idle" \
			"${@:3}" </dev/null >/dev/null 2>&1 &
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
	for k in fast ptrace; do
		say "scale: 10 idle kernels for 30 s (ours, $k)"
		scale "$ours" "$k" skas0.mode=$k
	done
	say "scale: 10 idle kernels for 30 s (upstream)"
	scale "$upstream" upstream
fi

fi	# BENCH_TABLE_ONLY

# medians and ratios
sort -k1,1 -k2,2 -k3,3g "$raw" | awk '
	function r(a, b) { return (a != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	function d(x) { return x == "" ? "-" : x }
	{ key = $1 " " $2; v[key, ++n[key]] = $3; figs[$1] = 1 }
	END {
		for (key in n) { m = n[key]; med[key] = (m % 2) ? v[key, (m + 1) / 2] : (v[key, m / 2] + v[key, m / 2 + 1]) / 2 }
		printf "%-28s %12s %12s %12s %12s %12s %8s %8s %9s %9s\n", "figure (us/op)", "fast", "ptrace", "upstream", "up-pinned", "host", "fast/ptr", "ptr/up", "fast/host", "ptr/host"
		for (f in figs) {
			o = med[f " fast"]; t = med[f " ptrace"]; u = med[f " upstream"]; p = med[f " upstream_pinned"]; h = med[f " host"]
			printf "%-28s %12s %12s %12s %12s %12s %8s %8s %9s %9s\n", f, d(o), d(t), d(u), d(p), d(h),
				r(o, t), r(t, u), r(o, h), r(t, h)
			if (o != "") print f, "fast", o > "'"$work"'/results.txt"
			if (t != "") print f, "ptrace", t > "'"$work"'/results.txt"
			if (u != "") print f, "upstream", u > "'"$work"'/results.txt"
			if (p != "") print f, "upstream_pinned", p > "'"$work"'/results.txt"
			if (h != "") print f, "host", h > "'"$work"'/results.txt"
		}
	}' | (read -r hdr; echo "$hdr"; sort)
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d); rounds: $rounds; raw: $raw"
for k in fast ptrace; do
	[[ -s $work/counters-$k.txt ]] || continue
	echo "per operation, /proc/skas0, $k mode (last round):"
	sed 's/^/  /' "$work/counters-$k.txt"
done
