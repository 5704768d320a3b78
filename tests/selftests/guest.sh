#!/bin/sh
# Runs inside the guest as run.sh of the staged directory (skas0.run=DIR):
# the programs of the plan named by skas0.plan=FILE, one line each:
#   NAME TIMEOUT UID SYSCTLS ARGS...
# UID - : stay root; SYSCTLS - or KEY=VALUE[,KEY=VALUE] under /proc/sys,
# set for that program only.
# Each collection is copied to /tmp first and its programs run there, as
# kselftest runs them from their own directory.
cd "$(dirname "$0")" || exit 1
stage=$(pwd)
plan=
for arg in $(cat /proc/cmdline); do
	case $arg in
	skas0.plan=*) plan=${arg#skas0.plan=} ;;
	esac
done
[ -n "$plan" ] && [ -r "$plan" ] || { echo "SKAS0-ST-NOPLAN $plan"; exit 1; }
# What the programs expect of a distribution's root beyond busybox: the
# host's dynamic loader and libc (exec's dynamic-PIE load_address
# programs), bash (exec's scripts are #!/bin/bash and it checks bash's exit
# codes), a true that is not busybox (exec/non-regular runs /bin/true under
# another name), /dev/fd.
mkdir -p /lib64 /lib/x86_64-linux-gnu
cp host/ld-linux-x86-64.so.2 /lib64/ && cp host/lib*.so* /lib/x86_64-linux-gnu/ &&
	cp host/bash /bin/bash && rm -f /bin/true && cp host/true /bin/true ||
	echo "SKAS0-ST-NOHOSTFILES"
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
ulimit -c 0
here=
while read -r name tmo uid sysctls args; do
	case $name in ''|'#'*) continue ;; esac
	coll=${name%%/*} prog=${name#*/}
	if [ "$coll" != "$here" ]; then
		cd / && rm -rf /tmp/st && cp -a "$stage/bin/$coll" /tmp/st || {
			echo "SKAS0-ST-NOCOPY $coll"; exit 1; }
		chmod -R a+rwX /tmp/st
		cd /tmp/st && here=$coll
	fi
	restore=
	[ "$sysctls" = - ] || for kv in $(echo "$sysctls" | tr , ' '); do
		restore="$restore ${kv%%=*}=$(cat "/proc/sys/${kv%%=*}")"
		echo "${kv#*=}" >"/proc/sys/${kv%%=*}"
	done
	if [ "$uid" = - ]; then
		"$stage/runner" -t "$tmo" "$name" "./$prog" $args </dev/null 2>&1
	else
		"$stage/runner" -t "$tmo" -u "$uid" "$name" "./$prog" $args </dev/null 2>&1
	fi
	for kv in $restore; do echo "${kv#*=}" >"/proc/sys/${kv%%=*}"; done
done < "$plan"
echo "SKAS0-ST-DONE"
