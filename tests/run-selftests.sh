#!/usr/bin/env bash
# The Linux 6.12 kernel selftests (x86 64-bit, mm, ptrace, sigaltstack,
# timers, proc, exec, futex, seccomp), built static from the laid-in tree,
# run one by one inside our kernel and inside upstream's, with the same root.
# usage: tests/run-selftests.sh OURS UPSTREAM
# env:   SKAS0_UPSTREAM_ARGS  boot args upstream needs (make: rdinit=/sbin/init)
#        SKAS0_BOOT_ARGS      boot args for ours
#        SELFTESTS_ONLY=REGEX run only the programs whose name matches
#        SELFTESTS_KERNELS="ours upstream"  which kernels to run
#        SELFTESTS_MEM=SIZE   each guest's mem= (default 3G, as the VM
#                             of tests/selftests/native.sh: mm/mremap_test
#                             maps 2 GiB, which 1G refuses)
#        SELFTESTS_PARALLEL=0 one kernel after the other (default: both at
#                             once, each a single-CPU guest: half the time)
# tests/selftests/list names the programs left out (with the reason) and
# those that need a longer limit, another uid or arguments. Results: one
# line per program, `<-- differs` where the kernels' verdicts differ, then
# a summary per kernel. Exit status 0 is PASS, 4 SKIP, anything else FAIL;
# the time limit (60 s unless the list says otherwise) killing it is FAIL.
# The run exits 0 when every kernel booted and ran its programs (their
# verdicts are the report), 1 when a kernel did not boot at all.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[[ $# -eq 2 ]] || { echo "usage: $0 OURS UPSTREAM" >&2; exit 2; }
out=$top/build/selftests
src=$top/build/src
[[ -d $src/tools/testing/selftests/x86 ]] || src=$top/build/upstream-src
sel=$src/tools/testing/selftests
list=$here/selftests/list
stage=$out/stage
mkdir -p "$out"
t0=$(date +%s)

# The kernels are copied first: ./linux may be rebuilt while this runs.
mkdir -p "$out/kernels"
cp -L "$1" "$out/kernels/linux.new" && mv "$out/kernels/linux.new" "$out/kernels/linux" &&
cp -L "$2" "$out/kernels/linux-upstream.new" &&
	mv "$out/kernels/linux-upstream.new" "$out/kernels/linux-upstream" ||
	{ echo "selftests: cannot copy the kernels" >&2; exit 1; }
chmod a+rx "$out/kernels"/*
declare -A kernel=([ours]=$out/kernels/linux [upstream]=$out/kernels/linux-upstream)
declare -A kargs=([ours]=${SKAS0_BOOT_ARGS:-} [upstream]=${SKAS0_UPSTREAM_ARGS:-rdinit=/sbin/init})

# ---------------------------------------------------------------- the list
declare -A skip_reason limit asuser sysctl args
skipped_order=()
while read -r kw name rest; do
	case $kw in
	''|'#'*) continue ;;
	skip) skip_reason[$name]=$rest; skipped_order+=("$name") ;;
	limit) limit[$name]=$rest ;;
	asuser) asuser[$name]=$rest ;;
	sysctl) sysctl[$name]=${sysctl[$name]:+${sysctl[$name]},}$rest ;;
	args) args[$name]=$rest ;;
	*) echo "selftests: $list: unknown keyword $kw" >&2; exit 2 ;;
	esac
done < "$list"

# ---------------------------------------------------------------- build
# 6.12's uapi headers, installed from the tree (the host's are older)
hdr=$out/usr
if [[ ! -e $hdr/.done || $sel/../../../Makefile -nt $hdr/.done ]]; then
	echo "== selftests: installing the 6.12 uapi headers"
	nice -n 10 make -s -C "$src" O="$out/khdr-obj" ARCH=x86 \
		INSTALL_HDR_PATH="$hdr" headers_install >"$out/build-headers.log" 2>&1 &&
		touch "$hdr/.done" || { cat "$out/build-headers.log"; exit 1; }
fi
smake() {	# smake DIR OUTPUT ARGS...: the selftests' own Makefile
	local dir=$1 o=$2; shift 2
	nice -n 10 make -C "$sel/$dir" OUTPUT="$o" KHDR_INCLUDES="-isystem $hdr/include" "$@"
}
# the value of a Makefile variable, with $(OUTPUT)/ stripped
mkvar() {	# mkvar DIR VAR MAKEARGS...
	local dir=$1 var=$2; shift 2
	smake "$dir" "$out/bin/x" -s "$@" --eval "__skas0_print: ; @echo \$($var)" \
		__skas0_print 2>/dev/null | tr ' ' '\n' | sed "s|^$out/bin/x/||" | grep .
}
# collection  directory  variable  extra make arguments
collections=(
	"x86 x86 BINARIES_64 CAN_BUILD_I386=1 CAN_BUILD_X86_64=1"
	"mm mm TEST_GEN_FILES"
	"ptrace ptrace TEST_GEN_PROGS"
	"sigaltstack sigaltstack TEST_GEN_PROGS"
	"timers timers TEST_GEN_PROGS"
	"proc proc TEST_GEN_PROGS"
	"exec exec TEST_GEN_PROGS"
	"futex futex/functional TEST_GEN_PROGS"
	"seccomp seccomp TEST_GEN_PROGS"
)
# x86: the 32-bit-needing pair (ldt_gdt, ptrace_syscall) is built 64-bit
# too, as the Makefile does with a multilib compiler: CAN_BUILD_I386=1 only
# adds them, since just the 64-bit targets are asked for.
programs=()
declare -A notbuilt=()
echo "== selftests: building (static) into $out/bin from $sel"
for c in "${collections[@]}"; do
	read -r coll dir var extra <<<"$c"
	o=$out/bin/$coll
	mkdir -p "$o"
	log=$out/build-$coll.log
	mapfile -t progs < <(mkvar "$dir" "$var" $extra)
	want=() static=() own=()
	for p in "${progs[@]}"; do
		[[ -n ${skip_reason[$coll/$p]+x} ]] && continue
		want+=("$p")
		# exec's load_address programs test the loading of (static) PIEs:
		# they are linked as their Makefile says (the dynamic ones find
		# the host's loader and libc in the guest)
		if [[ $coll/$p == exec/load_address.* ]]; then own+=("$o/$p"); else static+=("$o/$p"); fi
	done
	[[ $coll == exec ]] && mapfile -t -O ${#static[@]} static < <(mkvar exec TEST_GEN_FILES | sed "s|^|$o/|")
	# what the programs read at run time (exec: its Makefile)
	for f in $(mkvar "$dir" TEST_FILES); do
		[[ -f $sel/$dir/$f ]] && cp "$sel/$dir/$f" "$o/"
	done
	: >"$log"
	((${#static[@]})) && smake "$dir" "$o" CC="gcc -static" $extra -k -j2 "${static[@]}" >>"$log" 2>&1
	((${#own[@]})) && smake "$dir" "$o" $extra -B -k -j2 "${own[@]}" >>"$log" 2>&1
	for p in "${want[@]}"; do
		if [[ -f $o/$p && -x $o/$p ]]; then
			programs+=("$coll/$p")
		else
			why=$(grep -m1 -E "(^|/)$p\.c:.*error|error.*$p|cannot find -l" "$log")
			notbuilt[$coll/$p]=${why:-see $log}
		fi
	done
done
gcc -static -O2 -Wall -o "$out/runner" "$here/selftests/runner.c" || exit 1
if [[ -n ${SELFTESTS_ONLY:-} ]]; then
	mapfile -t programs < <(printf '%s\n' "${programs[@]}" | grep -E -- "$SELFTESTS_ONLY")
fi

# ---------------------------------------------------------------- stage
rm -rf "$stage" && mkdir -p "$stage/host"
cp -a "$out/bin" "$stage/bin"
cp "$out/runner" "$stage/runner"
install -m 0755 "$here/selftests/guest.sh" "$stage/run.sh"
# the host's bash and true with their libraries, and its loader (guest.sh)
cp -L /bin/bash /bin/true "$stage/host/"
for f in $(ldd /bin/bash /bin/true | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
	cp -L "$f" "$stage/host/"
done
chmod -R a+rX "$stage"
chmod a+rwx "$stage"		# the per-boot plans
declare -A tmo
for n in "${programs[@]}"; do tmo[$n]=${limit[$n]:-60}; done

# ---------------------------------------------------------------- run
# As root both kernels run as nobody, as run-guest.sh's unprivileged pass,
# with a private HOME (upstream keeps its umid directory in ~/.uml and
# cannot boot without one); otherwise as the invoking user.
if [[ $(id -u) -eq 0 ]]; then
	home=$(mktemp -d /tmp/skas0-selftests-XXXXXX)
	chown nobody:nogroup "$home"
	trap 'rm -rf "$home"' EXIT
	as=(env HOME="$home" setpriv --reuid=nobody --regid=nogroup --clear-groups --)
else
	as=()
fi

# run_kernel K: boots K until every program has a result; a program whose
# boot ended (crash, or the host watchdog) before its result is FAIL.
run_kernel() {
	local k=$1 boot=0 log=$out/$k.log plan left n pid last lastt cur seen lim
	local -a todo=("${programs[@]}")
	local -A got
	local res=$out/$k.results
	: >"$log"; : >"$res"
	while ((${#todo[@]})); do
		boot=$((boot + 1))
		plan=$stage/plan-$k-$boot
		for n in "${todo[@]}"; do
			echo "$n ${tmo[$n]} ${asuser[$n]:--} ${sysctl[$n]:--} ${args[$n]:-}"
		done >"$plan"
		chmod a+r "$plan"
		local blog=$out/$k.boot$boot.log
		"${as[@]}" "${kernel[$k]}" mem="${SELFTESTS_MEM:-3G}" con=null con0=null,fd:1 \
			skas0.run="$stage" skas0.plan="${plan##*/}" ${kargs[$k]} \
			</dev/null >"$blog" 2>&1 &
		pid=$!
		# host watchdog: the guest's runner enforces each limit; this
		# catches a kernel that stops making progress
		last=-1 lastt=$(date +%s) cur=
		while kill -0 "$pid" 2>/dev/null; do
			sleep 2
			seen=$(grep -c -a 'SKAS0-ST-\(BEGIN\|RESULT\)' "$blog")
			if [[ $seen != "$last" ]]; then
				last=$seen lastt=$(date +%s)
				cur=$(grep -a -o 'SKAS0-ST-BEGIN [^ ]*' "$blog" | tail -1 | cut -d' ' -f2 | tr -d '\r')
			fi
			lim=60
			[[ -n $cur ]] && lim=${tmo[$cur]:-60}
			if (($(date +%s) - lastt > lim + 60)); then
				echo "SKAS0-ST-WATCHDOG no progress; killing the kernel" >>"$blog"
				kill -TERM "$pid" 2>/dev/null; sleep 10
				kill -KILL "$pid" 2>/dev/null
				break
			fi
		done
		wait "$pid"; local rc=$?
		# the console's lines end in \r\n
		tr -d '\r' <"$blog" >"$blog.txt" && mv "$blog.txt" "$blog"
		cat "$blog" >>"$log"
		grep -a -o 'SKAS0-ST-RESULT .*' "$blog" | cut -d' ' -f2- >>"$res"
		got=()
		while read -r n _; do got[$n]=1; done <"$res"
		left=()
		for n in "${todo[@]}"; do [[ -n ${got[$n]+x} ]] || left+=("$n"); done
		if ((${#left[@]} == ${#todo[@]})) && ! grep -q -a "SKAS0-ST-BEGIN ${left[0]}\$" "$blog"; then
			# not even the first program began: the boot itself failed
			for n in "${left[@]}"; do echo "$n FAIL no-boot(exit=$rc) 0" >>"$res"; done
			break
		fi
		if ((${#left[@]})); then
			# the first one left began and never ended: the kernel died
			if grep -q -a 'SKAS0-ST-WATCHDOG' "$blog"; then
				echo "${left[0]} FAIL kernel-hung 0" >>"$res"
			else
				echo "${left[0]} FAIL kernel-died(exit=$rc) 0" >>"$res"
			fi
			left=("${left[@]:1}")
		fi
		todo=("${left[@]}")
	done
}

kernels=(${SELFTESTS_KERNELS:-ours upstream})
for k in "${kernels[@]}"; do
	echo "== selftests: ${#programs[@]} programs in $k (${kernel[$k]}${kargs[$k]:+ ${kargs[$k]}})"
done
if [[ ${SELFTESTS_PARALLEL:-1} == 1 ]]; then
	for k in "${kernels[@]}"; do run_kernel "$k" & done
	wait
else
	for k in "${kernels[@]}"; do run_kernel "$k"; done
fi

# ---------------------------------------------------------------- report
declare -A verdict how
for k in "${kernels[@]}"; do
	while read -r n v h s; do
		verdict[$k,$n]=$v how[$k,$n]="$h ${s}s"
	done <"$out/$k.results"
done
declare -A npass nfail nskip
echo
for n in "${programs[@]}"; do
	line=$(printf '%-42s' "$n") vs=()
	for k in "${kernels[@]}"; do
		v=${verdict[$k,$n]:-FAIL} h=${how[$k,$n]:-no-result}
		vs+=("$v")
		case $v in
		PASS) npass[$k]=$((${npass[$k]:-0} + 1)); cell=PASS ;;
		SKIP) nskip[$k]=$((${nskip[$k]:-0} + 1)); cell=SKIP ;;
		*) nfail[$k]=$((${nfail[$k]:-0} + 1)); cell="FAIL(${h% *})" ;;
		esac
		line+=$(printf '  %s=%-22s' "$k" "$cell")
	done
	[[ ${#vs[@]} -eq 2 && ${vs[0]} != "${vs[1]}" ]] && line+="  <-- differs"
	echo "${line%"${line##*[! ]}"}"
done
# the first line that reads as a failure (else the last line) of each FAIL
firstfail() {	# firstfail LOG NAME
	awk -v n="$2" '$0 == "SKAS0-ST-BEGIN " n { on = 1; next }
		on && /^SKAS0-ST-RESULT/ { exit }
		on && !hit && /not ok|\[FAIL\]|FAIL|Bail out|Assertion|Expected|[Ff]ailed|error|segfault/ { hit = $0 }
		on && NF { last = $0 }
		END { print hit != "" ? hit : last }' "$1" | cut -c1-150
}
echo
echo "first failure lines:"
for n in "${programs[@]}"; do
	for k in "${kernels[@]}"; do
		[[ ${verdict[$k,$n]:-FAIL} == FAIL ]] || continue
		printf '  %-40s %-8s %s\n' "$n" "$k" "$(firstfail "$out/$k.log" "$n")"
	done
done
echo
echo "excluded (tests/selftests/list):"
for n in "${skipped_order[@]}"; do printf '  %-40s %s\n' "$n" "${skip_reason[$n]}"; done
if ((${#notbuilt[@]})); then
	echo "not built (counted in neither kernel):"
	for n in "${!notbuilt[@]}"; do printf '  %-40s %s\n' "$n" "${notbuilt[$n]}"; done | sort
fi
echo "logs: $out/{$(IFS=,; echo "${kernels[*]}")}.log"
for k in "${kernels[@]}"; do
	echo "selftests $k: ${npass[$k]:-0} passed, ${nfail[$k]:-0} failed, ${nskip[$k]:-0} skipped"
done
echo "selftests: wall time $(($(date +%s) - t0)) s"
# a kernel that never booted gave no verdict at all: that is no report
status=0
for k in "${kernels[@]}"; do
	if grep -q ' FAIL no-boot' "$out/$k.results"; then
		echo "selftests: $k did not boot (see $out/$k.log)" >&2
		status=1
	fi
done
exit $status
