# SPDX-License-Identifier: BSD-2-Clause
# bench/lib.sh - helpers the bench driver (bench/run.sh) sources: names,
# namespaces, background processes, the command log, the sluice CLI and the
# counters the path checks and the cost metrics read.
#
# Nothing here touches the root network namespace: every link, address,
# route, firewall rule and sysctl is made inside a namespace this run
# created (named slb<PID>-*), and cleanup (trap on EXIT, INT and TERM) stops
# the processes this run started, by PID, purges the sluice instances
# bench<PID> (tc), bench<PID>x (XDP) and bench<PID>s (socket hooks), removes
# the cgroup of the local clients (slb<PID>-clients, a child of the cgroup v2
# root, never the root itself) and deletes the namespaces.

BENCH_PID=$$
PFX=slb$BENCH_PID              # namespace and interface prefix
SL_INST=bench$BENCH_PID        # sluice --instance of sluice-tc
SLX_INST=bench${BENCH_PID}x    # sluice-xdp: its own uplink, so its own instance
SLS_INST=bench${BENCH_PID}s    # sluice-socket: cgroup hooks, no uplink
SL_INSTS=("$SL_INST" "$SLX_INST" "$SLS_INST")
SL_DIRS=()
for _i in "${SL_INSTS[@]}"; do
	SL_DIRS+=("/sys/fs/bpf/sluice/$_i" "/var/lib/sluice/$_i" "/run/sluice/$_i")
done
unset _i

_netns=()     # namespaces we created (deleted on exit)
_pids=()      # processes we started (killed by PID on exit)
_cleaned=
declare -A _sl_touched=() # sluice instances used: purged on exit (sl_touch)
CG_DIR=       # the local clients' cgroup (created by cgroup_setup, removed on exit)
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
	local ns p d rc=$? downs
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
	# Instances the path teardowns did not take down (their pin or state
	# directory is still there), side by side: they are independent.
	if [ -n "${HOST_NS:-}" ] && [ -e "/run/netns/$HOST_NS" ]; then
		downs=()
		for d in "${!_sl_touched[@]}"; do
			[ -e "/sys/fs/bpf/sluice/$d" ] || [ -e "/var/lib/sluice/$d" ] || continue
			timeout 30 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$d" \
				down --purge >/dev/null 2>&1 &
			downs+=("$!")
		done
		for p in "${downs[@]}"; do
			wait "$p"
		done
	fi
	for ns in "${_netns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# Last resort: nothing of these instances may outlive the run.
	if [ ${#_sl_touched[@]} -gt 0 ]; then
		for d in "${SL_DIRS[@]}"; do
			[ -e "$d" ] && rm -rf "$d"
		done
	fi
	cgroup_remove
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	return "$rc"
}

bench_traps() {
	trap _cleanup EXIT
	trap '_cleanup; exit 130' INT
	trap '_cleanup; exit 143' TERM
	TMPD=$(mktemp -d "/tmp/$PFX.XXXXXX") || die "cannot create a scratch directory"
}

# ns_new NAME...: create namespaces with lo up; deleted on exit. Each gets
# an anchor process (sleep, killed on exit) whose /proc/PID/net shows the
# namespace's counters without entering it (NS_ANCHOR).
declare -A NS_ANCHOR
ns_new() {
	local ns
	for ns in "$@"; do
		cmdlog setup ip netns add "$ns"
		ip netns add "$ns" || return 1
		_netns+=("$ns")
		ip -n "$ns" link set lo up || return 1
		nsenter --net="/run/netns/$ns" -- sleep infinity </dev/null >/dev/null 2>&1 &
		NS_ANCHOR[$ns]=$!
		_pids+=("$!")
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

# forget_pid PID: a process this run started has exited and was waited for:
# cleanup must not signal its PID (which the system may give to another).
forget_pid() {
	local p keep=()
	for p in "${_pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	_pids=("${keep[@]}")
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

# listening NS tcp|udp PORT: a TCP socket listens on (a UDP socket is bound
# to) PORT in NS, IPv4 or IPv6 (iperf3 binds [::]), from the namespace's
# /proc/net/{tcp,tcp6,udp,udp6} (see _ns_net).
listening() {
	local hex
	_ns_net "$1"
	[ -n "$REPLY" ] || return 1
	printf -v hex '%04X' "$3"
	local f sl loc rem st rest
	for f in "$REPLY/$2" "$REPLY/${2}6"; do
		[ -r "$f" ] || continue
		while read -r sl loc rem st rest; do
			[ "${loc##*:}" = "$hex" ] || continue
			[ "$2" = udp ] && return 0
			[ "$st" = 0A ] && return 0
		done <"$f"
	done
	return 1
}

# sl_in INSTANCE ARGS...: the sluice CLI in the bench host namespace with
# one of this run's instances. Exit 126/127 means nsenter could not execute
# the binary, which happens while a parallel `make` relinks it: retry then.
sl_in() {
	local rc try inst=$1
	shift
	cmdlog sluice nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$inst" "$@"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		timeout --kill-after=5 30 nsenter --net="/run/netns/$HOST_NS" -- \
			"$SLUICE" --instance "$inst" "$@"
		rc=$?
		[ "$rc" -ne 126 ] && [ "$rc" -ne 127 ] && break
		sleep 1
	done
	return "$rc"
}
# sl_touch INSTANCE: this run is about to create INSTANCE: purge it on exit.
# (In the calling shell: sl_in often runs in a $(...) subshell.)
sl_touch() { _sl_touched[$1]=1; }
# sl ARGS...: the sluice-tc instance.
sl() { sl_in "$SL_INST" "$@"; }

# mem_kb PID...: "PSS RSS" in kB, summed over the processes' smaps_rollup;
# "0 0" for no PID, "na na" when none of them could be read (gone).
mem_kb() {
	[ $# -gt 0 ] || { echo "0 0"; return; }
	printf '/proc/%s/smaps_rollup\n' "$@" | xargs -r cat 2>/dev/null |
		awk '$1 == "Pss:" { p += $2; n++ } $1 == "Rss:" { r += $2 }
			END { if (n) printf "%d %d\n", p, r; else print "na na" }'
}

# ---- the local clients' cgroup -------------------------------------------
# The cgroup v2 root: /sys/fs/cgroup/unified on hybrid hosts (as sluice picks it).
cgroup2_root() {
	local d
	for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && {
			echo "$d"
			return 0
		}
	done
	return 1
}

# cgroup_setup: create slb<PID>-clients under the cgroup v2 root (once). The
# local paths' clients run in it, and only it gets sluice's socket hooks.
cgroup_setup() {
	local root
	[ -n "$CG_DIR" ] && return 0
	root=$(cgroup2_root) || {
		PATH_WHY="no cgroup v2 hierarchy (/sys/fs/cgroup/unified or /sys/fs/cgroup)"
		return 1
	}
	cmdlog setup mkdir "$root/$PFX-clients"
	mkdir "$root/$PFX-clients" || {
		PATH_WHY="cannot create the cgroup $root/$PFX-clients"
		return 1
	}
	CG_DIR=$root/$PFX-clients
}

# cgroup_remove: the cgroup goes once its processes have exited (they are
# all short-lived clients this run started and waited for).
cgroup_remove() {
	local try
	[ -n "$CG_DIR" ] && [ -d "$CG_DIR" ] || return 0
	for try in 1 2 3 4 5 6 7 8 9 10; do
		rmdir "$CG_DIR" 2>/dev/null && break
		sleep 0.5
	done
	CG_DIR=
}

# "${CG_EXEC[@]}" CG CMD...: run CMD as a member of cgroup CG (the shell
# moves itself into it, then execs the command).
CG_EXEC=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"')

# ---- counters ------------------------------------------------------------
# Read between every path's measurements, on a machine whose other users make
# each fork+exec cost tens of milliseconds: the readers below use bash
# builtins on /proc wherever they can. A namespace's own /proc/net files are
# read through its anchor process (ns_new), so no nsenter is needed.

# cpu_snap: "busy total steal" jiffies summed over every CPU (/proc/stat).
# Busy is user+nice+system+irq+softirq; idle and iowait are idle, steal is
# time the hypervisor gave to someone else.
cpu_snap() {
	local tag u n s i w q sq st rest
	read -r tag u n s i w q sq st rest </proc/stat
	echo "$((u + n + s + q + sq)) $((u + n + s + i + w + q + sq + st)) $st"
}

# cpu_busy_s BEFORE AFTER: busy-core seconds between two cpu_snap lines.
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_busy_s() {
	awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { split(a, x, " "); split(b, y, " ");
		printf "%.4f\n", (y[1] - x[1]) / hz }'
}

# cpu_steal_pct BEFORE AFTER: steal as a percentage of all CPU time.
cpu_steal_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
		t = y[2] - x[2]; printf "%.2f\n", (t > 0) ? 100 * (y[3] - x[3]) / t : 0 }'
}

# _ns_net NS: REPLY = the /proc/PID/net directory of NS's anchor ("" if none).
_ns_net() {
	local pid=${NS_ANCHOR[$1]:-}
	REPLY=
	[ -n "$pid" ] && [ -r "/proc/$pid/net/dev" ] && REPLY=/proc/$pid/net
}

# retrans_snap: TCP segments retransmitted, summed over this run's namespaces
# (each namespace's own Tcp RetransSegs in /proc/net/snmp, as nstat reads it).
retrans_snap() {
	local ns sum=0 line i tag names=() vals=()
	for ns in "${_netns[@]}"; do
		_ns_net "$ns"
		[ -n "$REPLY" ] || continue
		names=()
		while IFS= read -r line; do
			[[ $line == Tcp:* ]] || continue
			if [ ${#names[@]} -eq 0 ]; then
				read -r -a names <<<"$line"
			else
				read -r -a vals <<<"$line"
				for i in "${!names[@]}"; do
					[ "${names[$i]}" = RetransSegs ] && sum=$((sum + ${vals[$i]:-0}))
				done
			fi
		done <"$REPLY/snmp"
	done
	echo "$sum"
}

# _link_stats NS: LINK_RX[ifname] and LINK_TX[ifname], packets, from NS's
# /proc/net/dev.
declare -A LINK_RX LINK_TX
_link_stats() {
	local line name f=()
	LINK_RX=() LINK_TX=()
	_ns_net "$1"
	[ -n "$REPLY" ] || return 0
	while IFS= read -r line; do
		[[ $line == *:* ]] || continue
		name=${line%%:*}
		name=${name// /}
		read -r -a f <<<"${line#*:}"
		LINK_RX[$name]=${f[1]}
		LINK_TX[$name]=${f[9]}
	done <"$REPLY/dev"
}

# link_stat NS IFACE rx|tx: packets counted by the interface ("na" if unknown).
link_stat() {
	_link_stats "$1"
	if [ "$3" = rx ]; then
		echo "${LINK_RX[$2]:-na}"
	else
		echo "${LINK_TX[$2]:-na}"
	fi
}

# sl_stats_all: SLC[INSTANCE.COUNTER] = packets of the `sluice -j stats`
# counters nat_new, nat_fwd, nat_reply and sock_xlate of every instance
# that is up ("na" otherwise). The CLI runs for the instances side by side,
# and its JSON is read with bash (jq only if the layout is not the compact
# one expected).
SL_COUNTERS="nat_new nat_fwd nat_reply sock_xlate drop_not_allowed"
declare -A SLC
sl_stats_all() {
	local inst up k out pids=() ws='[[:space:]]*'
	SLC=()
	for inst in "$SL_INST:${SL_UP:-}" "$SLX_INST:${SLX_UP:-}" "$SLS_INST:${SLS_UP:-}"; do
		up=${inst#*:} inst=${inst%%:*}
		for k in $SL_COUNTERS; do
			SLC[$inst.$k]=na
		done
		[ -n "$up" ] || continue
		timeout 20 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$inst" -j stats \
			>"$TMPD/stats.$inst" 2>/dev/null &
		pids+=("$!")
	done
	for k in "${pids[@]}"; do
		wait "$k"
	done
	for inst in "$SL_INST:${SL_UP:-}" "$SLX_INST:${SLX_UP:-}" "$SLS_INST:${SLS_UP:-}"; do
		up=${inst#*:} inst=${inst%%:*}
		[ -n "$up" ] && [ -s "$TMPD/stats.$inst" ] || continue
		out=$(<"$TMPD/stats.$inst")
		for k in $SL_COUNTERS; do
			if [[ $out =~ \"$k\"$ws:$ws\{$ws\"packets\"$ws:$ws([0-9]+) ]]; then
				SLC[$inst.$k]=${BASH_REMATCH[1]}
			else
				SLC[$inst.$k]=$(jq -r --arg k "$k" '.counters[$k].packets // "na"' <<<"$out" 2>/dev/null)
				SLC[$inst.$k]=${SLC[$inst.$k]:-na}
			fi
		done
	done
}

# xdp_redirects NS IFACE: frames the XDP program on IFACE (a veth) redirected,
# the kernel's own count (ethtool -S: rx_queue_N_xdp_redirect summed over
# the queues): evidence that XDP, not the tc program behind it, forwarded.
xdp_redirects() {
	local line k v sum=0 n=0
	while read -r k v; do
		[[ $k =~ ^rx_queue_[0-9]+_xdp_redirect:$ ]] || continue
		sum=$((sum + v))
		n=$((n + 1))
	done < <(in_ns "$1" ethtool -S "$2" 2>/dev/null)
	[ "$n" -gt 0 ] && echo "$sum" || echo na
}

# link_by_alias NS ALIAS: the name of the link whose alias is ALIAS, alone or
# followed by " ns=..." (sluice marks its endpoint veths
# "sluice:INSTANCE:NETWORK/CONTAINER ns=DEV:INO:NETNS_PATH").
link_by_alias() {
	ip -n "$1" -j link show 2>/dev/null |
		jq -r --arg a "$2" '.[] | select(.ifalias == $a or ((.ifalias // "") | startswith($a + " ns="))) | .ifname' |
		head -n 1
}

# ipt_dnat_pkts: packets that hit the DNAT rules of the DOCKER nat chain.
ipt_dnat_pkts() {
	local pk by tgt rest sum=0 n=0
	if [ -z "${IPT_UP:-}" ]; then
		echo na
		return
	fi
	while read -r pk by tgt rest; do
		[ "$tgt" = DNAT ] || continue
		sum=$((sum + pk))
		n=$((n + 1))
	done < <(in_ns "$HOST_NS" iptables -t nat -L DOCKER -v -x -n 2>/dev/null)
	[ "$n" -gt 0 ] && echo "$sum" || echo na
}

# proxy_rchar [PID...]: bytes read by these docker-proxy processes (default:
# the remote path's, PROXY_PIDS).
proxy_rchar() {
	local p k v sum=0 n=0
	[ $# -eq 0 ] && set -- "${PROXY_PIDS[@]}"
	for p in "$@"; do
		[ -r "/proc/$p/io" ] || continue
		while read -r k v; do
			if [ "$k" = rchar: ]; then
				sum=$((sum + v))
				n=$((n + 1))
				break
			fi
		done <"/proc/$p/io"
	done
	[ "$n" -gt 0 ] && echo "$sum" || echo na
}

# proxy_cpu [PID...]: CPU ticks (utime + stime) of these docker-proxy
# processes (default: PROXY_PIDS). Go's io.Copy between TCP sockets uses
# splice(2), which rchar does not count, so CPU time is the stronger sign
# that bytes went through the proxy.
proxy_cpu() {
	local p line f sum=0 n=0
	[ $# -eq 0 ] && set -- "${PROXY_PIDS[@]}"
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		read -r line <"/proc/$p/stat" || continue
		# Fields after the command name (which is in parentheses): state is
		# field 3, utime 14 and stime 15.
		read -r -a f <<<"${line##*) }"
		sum=$((sum + f[11] + f[12]))
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] && echo "$sum" || echo na
}

# snap: every counter a path check looks at, as "key=value ..." on one line.
snap() {
	local s
	sl_stats_all
	s="sl_new=${SLC[$SL_INST.nat_new]} sl_fwd=${SLC[$SL_INST.nat_fwd]} sl_reply=${SLC[$SL_INST.nat_reply]}"
	s+=" slx_new=${SLC[$SLX_INST.nat_new]} slx_fwd=${SLC[$SLX_INST.nat_fwd]} slx_reply=${SLC[$SLX_INST.nat_reply]}"
	s+=" sls_xlate=${SLC[$SLS_INST.sock_xlate]}"
	s+=" ipt_dnat=$(ipt_dnat_pkts)"
	s+=" proxy_rchar=$(proxy_rchar) proxy_cpu=$(proxy_cpu)"
	if [ ${#LPROXY_PIDS[@]} -gt 0 ]; then
		s+=" lproxy_rchar=$(proxy_rchar "${LPROXY_PIDS[@]}") lproxy_cpu=$(proxy_cpu "${LPROXY_PIDS[@]}")"
	else
		s+=" lproxy_rchar=na lproxy_cpu=na"
	fi
	_link_stats "$CLIENT_NS"
	s+=" direct_tx=${LINK_TX[$DIRECT_IF]:-na}"
	_link_stats "$HOST_NS"
	s+=" uplink_rx=${LINK_RX[$UPLINK]:-na} xuplink_rx=${LINK_RX[$XUPLINK]:-na}"
	s+=" bridge_tx=${LINK_TX[$BRIDGE_VETH]:-na}"
	if [ -n "${SOCK_VETH:-}" ]; then
		s+=" sock_tx=${LINK_TX[$SOCK_VETH]:-na}"
	else
		s+=" sock_tx=na"
	fi
	if [ -n "${SLX_UP:-}" ] && [ -n "${XDP_REDIR_STAT:-}" ]; then
		s+=" xdp_redirect=$(xdp_redirects "$HOST_NS" "$XUPLINK")"
	else
		s+=" xdp_redirect=na"
	fi
	echo "$s"
}

# _snapval SNAP KEY: REPLY = the value of KEY in SNAP ("na" if absent).
_snapval() {
	local kv
	REPLY=na
	for kv in $1; do
		if [ "${kv%%=*}" = "$2" ]; then
			REPLY=${kv#*=}
			return
		fi
	done
}

# rose KEY / still KEY: conditions on the snapshots CHK_BEFORE and
# CHK_AFTER; failures are appended to CHK_WHY.
rose() {
	local k a b
	for k in "$@"; do
		_snapval "$CHK_BEFORE" "$k"
		a=$REPLY
		_snapval "$CHK_AFTER" "$k"
		b=$REPLY
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
		_snapval "$CHK_BEFORE" "$k"
		a=$REPLY
		_snapval "$CHK_AFTER" "$k"
		b=$REPLY
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
		_snapval "$CHK_BEFORE" "$k"
		a=$REPLY
		_snapval "$CHK_AFTER" "$k"
		b=$REPLY
		if [ "$a" = "$b" ]; then
			CHK_OK+="$k still $a; "
		else
			CHK_WHY+="$k moved ($a -> $b); "
		fi
	done
}

# _below LIMIT WORD KEY...: the counters moved by less than LIMIT.
_below() {
	local lim=$1 word=$2 k a b
	shift 2
	for k in "$@"; do
		_snapval "$CHK_BEFORE" "$k"
		a=$REPLY
		_snapval "$CHK_AFTER" "$k"
		b=$REPLY
		if [ "$a" = "$b" ] || { [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ $((b - a)) -lt "$lim" ]; }; then
			CHK_OK+="$k $word $a->$b; "
		else
			CHK_WHY+="$k carried traffic ($a -> $b); "
		fi
	done
}

# quiet KEY: a link counter that moved by less than QUIET_PKTS packets (ARP,
# IPv6 neighbour discovery): the measured traffic did not cross that link.
QUIET_PKTS=100
quiet() { _below "$QUIET_PKTS" quiet "$@"; }

# idle KEY: a docker-proxy's rchar that moved by less than IDLE_BYTES. An
# idle proxy's rchar still creeps by a few bytes now and then (seen: 2 to 9
# bytes during another path's measurements, with no packet on the bridge),
# from the Go runtime or the tail of an earlier measurement's connections.
# A measurement through a proxy reads far more (and moves the bridge's
# counters, which the checks watch as well).
IDLE_BYTES=4096
idle() { _below "$IDLE_BYTES" idle "$@"; }

# ---- what a result records about the run ----------------------------------

# bench_commit REPO: the short commit, marked when tracked files have
# uncommitted changes.
bench_commit() {
	local c
	c=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || {
		echo unknown
		return
	}
	if [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		c="$c (with uncommitted changes)"
	fi
	echo "$c"
}

# pkgver PACKAGE: its installed Debian version, or "none".
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }

# bench_machine: kernel, CPU model and core count as key=value lines.
bench_machine() {
	echo "kernel=$(uname -r)"
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "cores=$(nproc)"
}

# ---- options and results: what every bench script shares --------------------

shorthost=$(hostname -s 2>/dev/null || hostname)

# The script's own header comment, from line 3 to its first other line.
bench_usage() {
	awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0" >&2
	exit 2
}

# bench_args NAME "OWN OPTIONS" ARGS...: the options of every bench script:
# --quick (the default), --full, --smoke, --build DIR, --out DIR, --rounds N
# and -h. The script's own options (each taking one value) land in
# OPT[--name]. Sets BENCH_NAME, MODE, BUILD_DIR (absolute), OUT, ROUNDS.
declare -A OPT=()
bench_args() {
	local own=" $2 "
	BENCH_NAME=$1
	shift 2
	MODE=quick BUILD_DIR=$REPO/build OUT= ROUNDS=
	while [ $# -gt 0 ]; do
		case $1 in
		--quick | --full | --smoke) MODE=${1#--} ;;
		--build | --out | --rounds) [ $# -ge 2 ] || bench_usage
			case $1 in
			--build) BUILD_DIR=$2 ;;
			--out) OUT=$2 ;;
			--rounds) ROUNDS=$2 ;;
			esac
			shift ;;
		-h | --help) bench_usage ;;
		*) if [[ $own != *" $1 "* ]] || [ $# -lt 2 ]; then
				echo "$BENCH_NAME: unknown argument '$1'" >&2
				bench_usage
			fi
			OPT[$1]=$2
			shift ;;
		esac
		shift
	done
	case $BUILD_DIR in /*) ;; *) BUILD_DIR=$REPO/$BUILD_DIR ;; esac
	if [ -n "$ROUNDS" ] && ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
		echo "$BENCH_NAME: --rounds wants a positive number" >&2
		exit 2
	fi
}

# bench_cannot_run MESSAGE: a smoke run is skipped (77), any other stops (1).
bench_cannot_run() {
	if [ "$MODE" = smoke ]; then
		echo "$BENCH_NAME-smoke: skipped: $*"
		exit 77
	fi
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

# results_dir BASE NAME: a directory for NAME (a file a run writes) under
# BASE/<date>-<shorthost>: the day's directory when it holds no NAME yet,
# else the first -2, -3, ... that does not. The benches' files of one day
# so sit side by side.
results_dir() {
	local base=$1/$(date -u +%Y-%m-%d)-$shorthost d n=2
	d=$base
	while [ -e "$d/$2" ] || [ -e "$d/${2%.*}.INCOMPLETE" ]; do
		d=$base-$n
		n=$((n + 1))
	done
	echo "$d"
}

# bench_out PREFIX FILE: OUT, unless --out gave it (a smoke run's own
# directory under <build>/bench/smoke/, else results_dir for FILE), created,
# with the marker BENCH_MARK (FILE's stem .INCOMPLETE) in it: bench_done
# removes it once the report is written, so a directory that still has it
# holds a run that was interrupted or crashed.
bench_out() {
	if [ -z "$OUT" ]; then
		if [ "$MODE" = smoke ]; then
			OUT=$BUILD_DIR/bench/smoke/$1$(date -u +%Y-%m-%d-%H%M%S)-$shorthost
		else
			OUT=$(results_dir "$BENCH_DIR/results" "$2")
		fi
	fi
	mkdir -p "$OUT" || die "cannot create $OUT"
	BENCH_MARK=$OUT/${2%.*}.INCOMPLETE
	echo "$BENCH_NAME run started $(date -u +%FT%TZ) (pid $BENCH_PID) did not finish" >"$BENCH_MARK"
}

bench_done() { rm -f "$BENCH_MARK"; }
