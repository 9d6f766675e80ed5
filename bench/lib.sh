# SPDX-License-Identifier: BSD-2-Clause
# bench/lib.sh - helpers the bench driver (bench/run.sh) sources: names,
# namespaces, background processes, the command log, the sluice CLI and the
# counters the path checks and the cost metrics read.
#
# Nothing here touches the root network namespace: every link, address,
# route, firewall rule and sysctl is made inside a namespace this run
# created (named slb<PID>-*), and cleanup (trap on EXIT, INT and TERM) stops
# the processes this run started, by PID, purges the sluice instance
# bench<PID> and deletes the namespaces.

BENCH_PID=$$
PFX=slb$BENCH_PID              # namespace and interface prefix
SL_INST=bench$BENCH_PID        # sluice --instance
SL_DIRS=("/sys/fs/bpf/sluice/$SL_INST" "/var/lib/sluice/$SL_INST" "/run/sluice/$SL_INST")

_netns=()     # namespaces we created (deleted on exit)
_pids=()      # processes we started (killed by PID on exit)
_cleaned=
_sl_touched=  # the sluice instance was used: purge it on exit
TMPD=         # scratch directory of this run (removed on exit)
CMDLOG=/dev/null # every command that shapes or measures traffic, one a line
RUNLOG=/dev/stderr

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "bench: $*"
	exit 1
}

# cmdlog TAG CMD...: append the exact command (shell-quoted) to the command log.
cmdlog() {
	local tag=$1
	shift
	printf '[%s] %s\n' "$tag" "$(printf '%q ' "$@")" >>"$CMDLOG"
}

# in_ns NS CMD...: run CMD in namespace NS. nsenter (not `ip netns exec`)
# keeps the mount namespace, so /sys/fs/bpf stays visible to the CLI.
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# x TAG NS CMD...: log the command, then run it in NS.
x() {
	local tag=$1 ns=$2
	shift 2
	cmdlog "$tag" nsenter --net="/run/netns/$ns" -- "$@"
	in_ns "$ns" "$@"
}

_cleanup() {
	local ns p d rc=$?
	[ -n "$_cleaned" ] && return
	_cleaned=1
	trap - INT TERM
	# Path teardowns first (they know what they started), then the rest.
	if declare -F paths_teardown >/dev/null; then
		paths_teardown >/dev/null 2>&1
	fi
	for p in "${_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${_pids[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null
	done
	if [ -n "$_sl_touched" ] && [ -n "${HOST_NS:-}" ] && [ -e "/run/netns/$HOST_NS" ]; then
		timeout 30 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$SL_INST" \
			down --purge >/dev/null 2>&1
	fi
	for ns in "${_netns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# Last resort: nothing of this instance may outlive the run.
	if [ -n "$_sl_touched" ]; then
		for d in "${SL_DIRS[@]}"; do
			[ -e "$d" ] && rm -rf "$d"
		done
	fi
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	return "$rc"
}

bench_traps() {
	trap _cleanup EXIT
	trap '_cleanup; exit 130' INT
	trap '_cleanup; exit 143' TERM
	TMPD=$(mktemp -d "/tmp/$PFX.XXXXXX") || die "cannot create a scratch directory"
}

# ns_new NAME...: create namespaces with lo up; deleted on exit.
ns_new() {
	local ns
	for ns in "$@"; do
		cmdlog setup ip netns add "$ns"
		ip netns add "$ns" || return 1
		_netns+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
}

# ipn NS ARGS...: `ip -n NS ARGS`, logged.
ipn() {
	cmdlog setup ip -n "$@"
	ip -n "$@"
}

# bg_ns NS LOGFILE CMD...: start CMD in NS in the background (BG_PID is
# the command's own PID: nsenter execs it), killed by PID on exit.
bg_ns() {
	local ns=$1 out=$2
	shift 2
	cmdlog server nsenter --net="/run/netns/$ns" -- "$@"
	nsenter --net="/run/netns/$ns" -- "$@" >>"$out" 2>&1 </dev/null &
	BG_PID=$!
	_pids+=("$BG_PID")
}

# stop_pid PID: stop one process this run started.
stop_pid() {
	kill "$1" 2>/dev/null
	timeout 5 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null
}

wait_for() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# listening NS tcp|udp PORT
listening() {
	local f=-t
	[ "$2" = udp ] && f=-u
	in_ns "$1" ss -Hln "$f" "sport = :$3" 2>/dev/null | grep -q .
}

# sl ARGS...: the sluice CLI in the bench host namespace with this run's
# instance. Exit 126/127 means nsenter could not execute the binary, which
# happens while a parallel `make` relinks it: retry then.
sl() {
	local rc try
	_sl_touched=1
	cmdlog sluice nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$SL_INST" "$@"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		timeout --kill-after=5 30 nsenter --net="/run/netns/$HOST_NS" -- \
			"$SLUICE" --instance "$SL_INST" "$@"
		rc=$?
		[ "$rc" -ne 126 ] && [ "$rc" -ne 127 ] && break
		sleep 1
	done
	return "$rc"
}

# ---- counters ------------------------------------------------------------

# cpu_snap: "busy total steal" jiffies summed over every CPU (/proc/stat).
# Busy is user+nice+system+irq+softirq; idle and iowait are idle, steal is
# time the hypervisor gave to someone else.
cpu_snap() {
	awk '$1 == "cpu" { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9, $9; exit }' /proc/stat
}

# cpu_busy_s BEFORE AFTER: busy-core seconds between two cpu_snap lines.
cpu_busy_s() {
	local hz
	hz=$(getconf CLK_TCK)
	awk -v a="$1" -v b="$2" -v hz="$hz" 'BEGIN { split(a, x, " "); split(b, y, " ");
		printf "%.4f\n", (y[1] - x[1]) / hz }'
}

# cpu_steal_pct BEFORE AFTER: steal as a percentage of all CPU time.
cpu_steal_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
		t = y[2] - x[2]; printf "%.2f\n", (t > 0) ? 100 * (y[3] - x[3]) / t : 0 }'
}

# retrans_snap: TCP segments retransmitted, summed over this run's namespaces
# (nstat reads the namespace's own SNMP counters; -s keeps no history).
retrans_snap() {
	local ns sum=0 v
	for ns in "${_netns[@]}"; do
		v=$(in_ns "$ns" nstat -asz TcpRetransSegs 2>/dev/null | awk '$1 == "TcpRetransSegs" { print $2 }')
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# link_stat NS IFACE rx|tx: packets counted by the interface.
link_stat() {
	ip -n "$1" -j -s link show dev "$2" 2>/dev/null | jq -r ".[0].stats64.$3.packets // \"na\"" 2>/dev/null ||
		echo na
}

# sl_counter NAME: packets of a `sluice -j stats` counter ("na" when sluice is not up).
sl_counters() {
	local out
	if [ -z "${SL_UP:-}" ]; then
		echo "na na na"
		return
	fi
	out=$(timeout 20 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$SL_INST" -j stats 2>/dev/null) ||
		{
			echo "na na na"
			return
		}
	jq -r '[.counters.nat_new.packets, .counters.nat_fwd.packets, .counters.nat_reply.packets] |
		map(if . == null then "na" else tostring end) | join(" ")' <<<"$out" 2>/dev/null || echo "na na na"
}

# ipt_dnat_pkts: packets that hit the DNAT rules of the DOCKER nat chain.
ipt_dnat_pkts() {
	if [ -z "${IPT_UP:-}" ]; then
		echo na
		return
	fi
	in_ns "$HOST_NS" iptables -t nat -L DOCKER -v -x -n 2>/dev/null |
		awk '$3 == "DNAT" { s += $1; n++ } END { if (n) print s; else print "na" }'
}

# proxy_rchar: bytes read by every docker-proxy process of this run.
proxy_rchar() {
	local p v sum=0 n=0
	for p in "${PROXY_PIDS[@]}"; do
		v=$(awk '$1 == "rchar:" { print $2 }' "/proc/$p/io" 2>/dev/null)
		[ -n "$v" ] || continue
		sum=$((sum + v))
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] && echo "$sum" || echo na
}

# proxy_cpu: CPU ticks (utime + stime) of every docker-proxy process of this
# run. Go's io.Copy between TCP sockets uses splice(2), which rchar does not
# count, so CPU time is the stronger sign that bytes went through the proxy.
proxy_cpu() {
	local p v sum=0 n=0
	for p in "${PROXY_PIDS[@]}"; do
		v=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null)
		[ -n "$v" ] || continue
		sum=$((sum + v))
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] && echo "$sum" || echo na
}

# snap: every counter a path check looks at, as "key=value ..." on one line.
snap() {
	local s a b c
	read -r a b c <<<"$(sl_counters)"
	s="sl_new=$a sl_fwd=$b sl_reply=$c"
	s+=" ipt_dnat=$(ipt_dnat_pkts)"
	s+=" proxy_rchar=$(proxy_rchar) proxy_cpu=$(proxy_cpu)"
	s+=" direct_tx=$(link_stat "$CLIENT_NS" "$DIRECT_IF" tx)"
	s+=" uplink_rx=$(link_stat "$HOST_NS" "$UPLINK" rx)"
	s+=" bridge_tx=$(link_stat "$HOST_NS" "$BRIDGE_VETH" tx)"
	echo "$s"
}

_snapval() { # SNAP KEY
	local kv
	for kv in $1; do
		[ "${kv%%=*}" = "$2" ] && {
			echo "${kv#*=}"
			return
		}
	done
	echo na
}

# rose KEY / still KEY: conditions on the snapshots CHK_BEFORE and
# CHK_AFTER; failures are appended to CHK_WHY.
rose() {
	local k a b
	for k in "$@"; do
		a=$(_snapval "$CHK_BEFORE" "$k")
		b=$(_snapval "$CHK_AFTER" "$k")
		if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ "$b" -gt "$a" ]; then
			CHK_OK+="$k $a->$b; "
		else
			CHK_WHY+="$k did not rise ($a -> $b); "
		fi
	done
}
# rose_any KEY...: at least one of the keys rose.
rose_any() {
	local k a b seen=""
	for k in "$@"; do
		a=$(_snapval "$CHK_BEFORE" "$k")
		b=$(_snapval "$CHK_AFTER" "$k")
		seen+="$k $a->$b, "
		if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ "$b" -gt "$a" ]; then
			CHK_OK+="${seen%, }; "
			return
		fi
	done
	CHK_WHY+="none of $* rose (${seen%, }); "
}
still() {
	local k a b
	for k in "$@"; do
		a=$(_snapval "$CHK_BEFORE" "$k")
		b=$(_snapval "$CHK_AFTER" "$k")
		if [ "$a" = "$b" ]; then
			CHK_OK+="$k still $a; "
		else
			CHK_WHY+="$k moved ($a -> $b); "
		fi
	done
}

# quiet KEY: a link counter that moved by less than QUIET_PKTS packets (ARP,
# IPv6 neighbour discovery): the measured traffic did not cross that link.
QUIET_PKTS=100
quiet() {
	local k a b
	for k in "$@"; do
		a=$(_snapval "$CHK_BEFORE" "$k")
		b=$(_snapval "$CHK_AFTER" "$k")
		if [ "$a" = "$b" ] || { [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ $((b - a)) -lt "$QUIET_PKTS" ]; }; then
			CHK_OK+="$k quiet $a->$b; "
		else
			CHK_WHY+="$k carried traffic ($a -> $b); "
		fi
	done
}
