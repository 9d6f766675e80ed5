# SPDX-License-Identifier: BSD-2-Clause
# bench/paths.sh - the topology and the paths under test.
#
#   client ns ── eth0 10.201.0.2 ═══ uplink 10.201.0.1 ── host ns
#      └─ dir0 10.201.9.1 ═══ eth0 10.201.9.2  direct ns        (direct)
#   host ns: servers on its own addresses                        (host)
#   host ns: bridge 10.201.1.1/24 ── veth ── bridge ns 10.201.1.2
#            + iptables DNAT/MASQUERADE as Docker 20.10 writes   (bridge-dnat)
#            + /usr/sbin/docker-proxy per port, no DNAT rule     (docker-proxy)
#   host ns: sluice instance bench<PID>, network 10.201.2.0/24,
#            sluice ns 10.201.2.2 connected and published         (sluice-tc)
#   client ns ── eth1 10.201.3.2 ═══ xdp uplink 10.201.3.1 ── host ns:
#            sluice instance bench<PID>x, XDP native on that uplink,
#            network 10.201.4.0/24, xdp ns 10.201.4.2             (sluice-xdp)
#   host ns, local clients in the cgroup slb<PID>-clients:
#            sluice instance bench<PID>s (socket hooks on that cgroup),
#            network 10.201.5.0/24, sock ns 10.201.5.2, published on
#            127.0.0.1 only                                       (sluice-socket)
#            the same container by its address                    (direct-local)
#            docker-proxy on 127.0.0.1 to the bridge container    (docker-proxy-local)
#
# Every container namespace (and the host ns for `host`) runs the same
# servers on the same ports: sockperf (TCP and UDP) on 11111, iperf3 on
# 5201, connrate close-server on 7001 and echo-server on 7002; the UDP
# packet-rate sink (udpsink) on 9001 is started for each measurement. A
# path's published host ports are those plus a per-path offset.
#
# A path is a set of functions, path_<id>_{setup,target,check,teardown}
# (<id> = the name with '-' as '_'), and one entry in PATHS. setup returns 0
# (ready), 1 (failed) or 2 (skipped), with the reason in PATH_WHY; target
# sets T_IP and the ports T_SP (sockperf), T_IP3 (iperf3), T_CC (connrate
# close), T_CE (connrate echo), T_UP (udpsink), the server namespace T_SNS
# (where udpsink runs) and where the client runs (T_CNS, T_CWRAP); check
# compares the snapshots CHK_BEFORE and CHK_AFTER with rose/still (lib.sh).
# Local paths (PATH_LOCAL) have a client on the host and run only the
# metrics in LOCAL_METRICS (metrics.sh).

PATHS=(direct host bridge-dnat docker-proxy sluice-tc sluice-xdp direct-local docker-proxy-local sluice-socket)
declare -A PATH_LOCAL=([direct-local]=1 [docker-proxy-local]=1 [sluice-socket]=1)

NET=10.201
CLIENT_NS=$PFX-client
HOST_NS=$PFX-host
UPLINK=${PFX}up # host side of the client's veth
CLIENT_IP=$NET.0.2
HOST_IP=$NET.0.1
DIRECT_NS=$PFX-direct
DIRECT_IF=dir0 # client side of the direct veth
DIRECT_CLIENT_IP=$NET.9.1
DIRECT_IP=$NET.9.2
BRIDGE_NS=$PFX-bridge
BRIDGE=${PFX}br
BRIDGE_VETH=${PFX}vb
BRIDGE_GW=$NET.1.1
BRIDGE_CTR_IP=$NET.1.2
BRIDGE_SUBNET=$NET.1.0/24
SLUICE_NS=$PFX-sluice
SLUICE_SUBNET=$NET.2.0/24
SLUICE_CTR_IP=$NET.2.2
XDP_NS=$PFX-xdp
XUPLINK=${PFX}ux # host side of the client's second veth (XDP)
XCLIENT_IF=eth1
XCLIENT_IP=$NET.3.2
XHOST_IP=$NET.3.1
XDP_NET=benchx
XDP_CTR=xctr
XDP_SUBNET=$NET.4.0/24
XDP_CTR_IP=$NET.4.2
SOCK_NS=$PFX-sock
SOCK_NET=benchs
SOCK_CTR=sctr
SOCK_SUBNET=$NET.5.0/24
SOCK_CTR_IP=$NET.5.2
LOCALHOST=127.0.0.1

# Server ports inside every server namespace.
P_SP=11111 # sockperf sr, TCP and UDP
P_IP3=5201 # iperf3 -s
P_CC=7001  # connrate server -m close
P_CE=7002  # connrate server -m echo
P_US=9001  # udpsink (UDP packet rate), started per measurement
# udp_drop (sluice paths): published with an --allow list that leaves the
# client out, so every packet to it is dropped by sluice. The allowed range
# is a documentation prefix: a filter entry, never a destination.
P_DENY=9002
DENY_ALLOW=198.51.100.0/24
# What a published path maps: PROTO:CONTAINER_PORT.
PUB_PORTS="tcp:$P_SP udp:$P_SP tcp:$P_IP3 tcp:$P_CC tcp:$P_CE udp:$P_US"
# Host-port offsets of the published paths. Local paths use offsets too: a
# connection the socket hooks fail to translate then finds no listener
# (refused, the measurement fails) instead of the host's own servers.
OFF_BRIDGE=10000
OFF_PROXY=20000
OFF_SLUICE=30000
OFF_XDP=35000
OFF_SOCK=40000

declare -A PATH_STATUS PATH_REASON SERVERS_IN
PROXY_PIDS=()  # docker-proxy on the host address (docker-proxy)
LPROXY_PIDS=() # docker-proxy on 127.0.0.1 (docker-proxy-local)
SL_UP=
SLX_UP=
SLS_UP=
SOCK_VETH=
IPT_UP=
XDP_REDIR_STAT=

# targets_at IP OFFSET SERVER_NS: the ports of a target, a client in the
# client namespace (local_client changes that).
targets_at() {
	T_IP=$1
	T_SP=$((P_SP + $2)) T_IP3=$((P_IP3 + $2)) T_CC=$((P_CC + $2)) T_CE=$((P_CE + $2))
	T_UP=$((P_US + $2))
	T_SNS=$3
	T_CNS=$CLIENT_NS
	T_CWRAP=()
	# udp_wire: the client's interface and its peer (the path's first hop).
	T_GIF=eth0 T_GPEER=$UPLINK T_GPEER_NS=$HOST_NS
	# udp_drop: the denied port and the sluice instance that drops (sluice paths).
	T_DP="" T_DINST=""
}
# local_client: the client is a process of the bench host namespace, in the
# cgroup that sluice-socket's hooks are attached to.
local_client() {
	T_CNS=$HOST_NS
	T_CWRAP=("${CG_EXEC[@]}" "$CG_DIR")
}

# CPU placement (opt-in, BENCH_PIN=1): the client tools on the first CPU and
# every server on the last one, the same for every path, as if client and
# server were two machines. Unpinned, a round trip is ~18 us when the
# scheduler puts both ends on one CPU and ~30 us when not. Pinning is off by
# default because the bench machine is shared: a pinned task cannot move
# away from a CPU someone else's build is using, and round trips then grow
# to ~125 us (measured). Proxies and the kernel's packet work are never pinned.
# udp_wire always pins its generator and sink apart (WIRE_*_PIN, metrics.sh).
CLIENT_PIN=()
SERVER_PIN=()
WIRE_GEN_PIN=()
WIRE_SINK_PIN=()
pin_setup() {
	local list r cpus=()
	command -v taskset >/dev/null || return
	# The CPUs this process may use, e.g. "0-1" or "0,2,4-5".
	list=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
	for r in ${list//,/ }; do
		if [[ $r == *-* ]]; then
			cpus+=($(seq "${r%-*}" "${r#*-}"))
		else
			cpus+=("$r")
		fi
	done
	[ ${#cpus[@]} -ge 2 ] || return
	WIRE_GEN_PIN=(taskset -c "${cpus[0]}")
	WIRE_SINK_PIN=(taskset -c "${cpus[${#cpus[@]} - 1]}")
	[ "${BENCH_PIN:-0}" = 1 ] || return
	CLIENT_PIN=("${WIRE_GEN_PIN[@]}")
	SERVER_PIN=("${WIRE_SINK_PIN[@]}")
}

# servers_start NS: the same servers in every server namespace (once). They
# start while the other paths are built; the driver waits for them with
# servers_ready before the first round.
servers_start() {
	local ns=$1 log=$TMPD/servers-$1.log
	[ -n "${SERVERS_IN[$ns]:-}" ] && return 0
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" sockperf sr --tcp -p "$P_SP"
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" sockperf sr -p "$P_SP"
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" iperf3 -s -p "$P_IP3"
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" "$CONNRATE" server -p "$P_CC" -m close -s "$CONN_SIZE" -w 8
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" "$CONNRATE" server -p "$P_CE" -m echo
	SERVERS_IN[$ns]=started
}

# servers_ready NS: the servers of NS listen (0), or PATH_WHY says which did not.
servers_ready() {
	local ns=$1 log=$TMPD/servers-$1.log
	case ${SERVERS_IN[$ns]:-} in
	ready) return 0 ;;
	failed) ;;
	started)
		if wait_for 10 listening "$ns" tcp "$P_SP" && wait_for 5 listening "$ns" udp "$P_SP" &&
			wait_for 5 listening "$ns" tcp "$P_IP3" && wait_for 5 listening "$ns" tcp "$P_CC" &&
			wait_for 5 listening "$ns" tcp "$P_CE"; then
			SERVERS_IN[$ns]=ready
			return 0
		fi
		SERVERS_IN[$ns]=failed
		;;
	*) PATH_WHY="no servers were started in $ns (a bug of the bench)"; return 1 ;;
	esac
	PATH_WHY="servers did not start in $ns: $(tail -n 3 "$log" | tr '\n' ' ')"
	return 1
}

# The client, the host and the uplink between them: shared by every path.
topology_setup() {
	ns_new "$CLIENT_NS" "$HOST_NS" || return 1
	ipn "$HOST_NS" link add "$UPLINK" type veth peer name eth0 netns "$CLIENT_NS" || return 1
	ipn "$HOST_NS" addr add "$HOST_IP/24" dev "$UPLINK" || return 1
	ipn "$HOST_NS" link set "$UPLINK" up || return 1
	ipn "$CLIENT_NS" addr add "$CLIENT_IP/24" dev eth0 || return 1
	ipn "$CLIENT_NS" link set eth0 up || return 1
	# Docker turns forwarding on; this is the bench host namespace's own sysctl.
	x setup "$HOST_NS" sysctl -qw net.ipv4.ip_forward=1 || return 1
	wait_for 5 in_ns "$CLIENT_NS" ping -c 1 -W 1 "$HOST_IP" >/dev/null
}

# ---- direct: client <-> container over one veth pair (the floor) ----------
path_direct_setup() {
	ns_new "$DIRECT_NS" || return 1
	ipn "$CLIENT_NS" link add "$DIRECT_IF" type veth peer name eth0 netns "$DIRECT_NS" || return 1
	ipn "$CLIENT_NS" addr add "$DIRECT_CLIENT_IP/30" dev "$DIRECT_IF" || return 1
	ipn "$CLIENT_NS" link set "$DIRECT_IF" up || return 1
	ipn "$DIRECT_NS" addr add "$DIRECT_IP/30" dev eth0 || return 1
	ipn "$DIRECT_NS" link set eth0 up || return 1
	servers_start "$DIRECT_NS"
}
path_direct_target() {
	targets_at "$DIRECT_IP" 0 "$DIRECT_NS"
	T_GIF=$DIRECT_IF T_GPEER=eth0 T_GPEER_NS=$DIRECT_NS
}
# sl_rose NEW FWD REPLY: a sluice path's counters rose: all three, or, when
# the metrics send one way only (ONE_WAY, run.sh), NEW or FWD.
sl_rose() {
	if [ -n "${ONE_WAY:-}" ]; then
		rose_any "$1" "$2"
	else
		rose "$@"
	fi
}
# still_sluice [tc] [xdp] [sock]: the sluice instances NOT named did not move.
still_sluice() {
	[[ " $* " == *" tc "* ]] || still sl_new sl_fwd sl_reply
	[[ " $* " == *" xdp "* ]] || still slx_new slx_fwd slx_reply
	[[ " $* " == *" sock "* ]] || still sls_xlate
}
path_direct_check() {
	rose direct_tx
	still_sluice
	still ipt_dnat
	idle proxy_rchar lproxy_rchar
	quiet uplink_rx xuplink_rx bridge_tx sock_tx
}
path_direct_teardown() { :; }

# ---- host: the server in the host namespace (docker --network host) -------
path_host_setup() { servers_start "$HOST_NS"; }
path_host_target() { targets_at "$HOST_IP" 0 "$HOST_NS"; }
path_host_check() {
	rose uplink_rx
	still_sluice
	still ipt_dnat
	idle proxy_rchar lproxy_rchar
	quiet direct_tx xuplink_rx bridge_tx sock_tx
}
path_host_teardown() { :; }

# ---- bridge-dnat: Docker's default, reproduced in the host namespace ------
# The container behind a Linux bridge that holds the gateway address, and
# the iptables rules Docker 20.10 writes for `docker run -p` with its default
# bridge: DOCKER chains in nat (PREROUTING and OUTPUT), MASQUERADE for the
# subnet and the per-port hairpin, FORWARD policy DROP with the DOCKER,
# DOCKER-USER and isolation chains. Conntrack follows from the nat table.
bridge_setup() {
	[ -n "${BRIDGE_UP:-}" ] && return 0
	ns_new "$BRIDGE_NS" || return 1
	ipn "$HOST_NS" link add "$BRIDGE" type bridge || return 1
	ipn "$HOST_NS" addr add "$BRIDGE_GW/24" dev "$BRIDGE" || return 1
	ipn "$HOST_NS" link set "$BRIDGE" up || return 1
	ipn "$HOST_NS" link add "$BRIDGE_VETH" type veth peer name eth0 netns "$BRIDGE_NS" || return 1
	ipn "$HOST_NS" link set "$BRIDGE_VETH" master "$BRIDGE" up || return 1
	ipn "$BRIDGE_NS" addr add "$BRIDGE_CTR_IP/24" dev eth0 || return 1
	ipn "$BRIDGE_NS" link set eth0 up || return 1
	ipn "$BRIDGE_NS" route add default via "$BRIDGE_GW" || return 1
	servers_start "$BRIDGE_NS" || return 1
	BRIDGE_UP=1
}

docker_rules() {
	local br=$BRIDGE c=$BRIDGE_CTR_IP p proto hp
	echo "*nat"
	echo ":PREROUTING ACCEPT [0:0]"
	echo ":INPUT ACCEPT [0:0]"
	echo ":OUTPUT ACCEPT [0:0]"
	echo ":POSTROUTING ACCEPT [0:0]"
	echo ":DOCKER - [0:0]"
	echo "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER"
	echo "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER"
	echo "-A POSTROUTING -s $BRIDGE_SUBNET ! -o $br -j MASQUERADE"
	for p in $PUB_PORTS; do
		proto=${p%%:*} p=${p#*:}
		echo "-A POSTROUTING -s $c/32 -d $c/32 -p $proto -m $proto --dport $p -j MASQUERADE"
	done
	echo "-A DOCKER -i $br -j RETURN"
	for p in $PUB_PORTS; do
		proto=${p%%:*} p=${p#*:} hp=$((${p#*:} + OFF_BRIDGE))
		echo "-A DOCKER ! -i $br -p $proto -m $proto --dport $hp -j DNAT --to-destination $c:$p"
	done
	echo "COMMIT"
	echo "*filter"
	echo ":INPUT ACCEPT [0:0]"
	echo ":FORWARD DROP [0:0]"
	echo ":OUTPUT ACCEPT [0:0]"
	echo ":DOCKER - [0:0]"
	echo ":DOCKER-ISOLATION-STAGE-1 - [0:0]"
	echo ":DOCKER-ISOLATION-STAGE-2 - [0:0]"
	echo ":DOCKER-USER - [0:0]"
	echo "-A FORWARD -j DOCKER-USER"
	echo "-A FORWARD -j DOCKER-ISOLATION-STAGE-1"
	echo "-A FORWARD -o $br -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
	echo "-A FORWARD -o $br -j DOCKER"
	echo "-A FORWARD -i $br ! -o $br -j ACCEPT"
	echo "-A FORWARD -i $br -o $br -j ACCEPT"
	for p in $PUB_PORTS; do
		proto=${p%%:*} p=${p#*:}
		echo "-A DOCKER -d $c/32 ! -i $br -o $br -p $proto -m $proto --dport $p -j ACCEPT"
	done
	echo "-A DOCKER-ISOLATION-STAGE-1 -i $br ! -o $br -j DOCKER-ISOLATION-STAGE-2"
	echo "-A DOCKER-ISOLATION-STAGE-1 -j RETURN"
	echo "-A DOCKER-ISOLATION-STAGE-2 -o $br -j DROP"
	echo "-A DOCKER-ISOLATION-STAGE-2 -j RETURN"
	echo "-A DOCKER-USER -j RETURN"
	echo "COMMIT"
}

path_bridge_dnat_setup() {
	bridge_setup || return 1
	command -v iptables-restore >/dev/null || {
		PATH_WHY="iptables-restore is missing (apt-get install iptables)"
		return 1
	}
	docker_rules >"$TMPD/docker.rules"
	cmdlog setup nsenter --net="/run/netns/$HOST_NS" -- iptables-restore "<$TMPD/docker.rules"
	sed 's/^/    /' "$TMPD/docker.rules" >>"$CMDLOG"
	in_ns "$HOST_NS" iptables-restore <"$TMPD/docker.rules" 2>"$TMPD/ipt.err" || {
		PATH_WHY="iptables-restore in $HOST_NS failed: $(head -c 300 "$TMPD/ipt.err")"
		return 1
	}
	IPT_UP=1
	[ "$(ipt_dnat_pkts)" = 0 ] || {
		PATH_WHY="the DNAT rules are not readable with iptables -t nat -L DOCKER -v -x"
		return 1
	}
}
path_bridge_dnat_target() { targets_at "$HOST_IP" "$OFF_BRIDGE" "$BRIDGE_NS"; }
path_bridge_dnat_check() {
	rose ipt_dnat bridge_tx
	still_sluice
	idle proxy_rchar lproxy_rchar
	quiet direct_tx xuplink_rx sock_tx
}
path_bridge_dnat_teardown() { :; }

# ---- docker-proxy: the real userland proxy, one process per binding -------
DOCKER_PROXY=${DOCKER_PROXY:-/usr/sbin/docker-proxy}

# proxies_start HOST_IP PROTO:PORT...: one docker-proxy per binding, host
# port PORT + OFF_PROXY on HOST_IP to the bridge container's PORT, started
# side by side (PROXY_STARTED: their PIDs). fd 3 is a pipe (a FIFO here) on
# which docker-proxy writes "0\n" once it listens, or "1\n<message>". The
# bench holds each FIFO open read-write, so no open blocks.
proxies_start() {
	local hip=$1 p proto hp fifo fd fds=() descs=() i st msg rc=0
	shift
	PROXY_STARTED=()
	for p in "$@"; do
		proto=${p%%:*} p=${p#*:} hp=$((${p#*:} + OFF_PROXY))
		fifo=$TMPD/proxy-$proto-$hip-$hp
		mkfifo "$fifo" || return 1
		exec {fd}<>"$fifo"
		fds+=("$fd")
		descs+=("-proto $proto -host-ip $hip -host-port $hp")
		cmdlog setup nsenter --net="/run/netns/$HOST_NS" -- "$DOCKER_PROXY" -proto "$proto" \
			-host-ip "$hip" -host-port "$hp" -container-ip "$BRIDGE_CTR_IP" -container-port "$p" "3>pipe"
		nsenter --net="/run/netns/$HOST_NS" -- "$DOCKER_PROXY" -proto "$proto" -host-ip "$hip" \
			-host-port "$hp" -container-ip "$BRIDGE_CTR_IP" -container-port "$p" \
			3>"$fifo" >>"$TMPD/proxy.log" 2>&1 </dev/null &
		_pids+=("$!")
		PROXY_STARTED+=("$!")
	done
	for i in "${!fds[@]}"; do
		st="" msg=""
		fd=${fds[$i]}
		IFS= read -r -t 5 -u "$fd" st
		if [ "$st" != 0 ]; then
			IFS= read -r -t 1 -u "$fd" msg
			[ "$rc" = 0 ] && PATH_WHY="docker-proxy ${descs[$i]} did not report 0 on fd 3 (got '${st}${msg:+ $msg}'): $(tail -n 2 "$TMPD/proxy.log" | tr '\n' ' ')"
			rc=1
		fi
		exec {fd}<&-
	done
	return "$rc"
}

# proxies_stop PID...: dockerd stops its proxies with SIGINT.
proxies_stop() {
	local p
	for p in "$@"; do
		kill -INT "$p" 2>/dev/null
	done
	for p in "$@"; do
		stop_pid "$p"
	done
}

path_docker_proxy_setup() {
	local rc
	if [ ! -x "$DOCKER_PROXY" ]; then
		PATH_WHY="$DOCKER_PROXY is missing (Debian package docker.io; make bench-deps)"
		return 2
	fi
	bridge_setup || return 1
	proxies_start "$HOST_IP" $PUB_PORTS
	rc=$?
	PROXY_PIDS+=("${PROXY_STARTED[@]}")
	return "$rc"
}
path_docker_proxy_target() { targets_at "$HOST_IP" "$OFF_PROXY" "$BRIDGE_NS"; }
path_docker_proxy_check() {
	# The proxy's own I/O: rchar counts its read()s (UDP, and TCP before Go
	# switches to splice(2), which rchar does not see), CPU time counts the
	# spliced TCP copies; either rising means bytes went through it.
	rose_any proxy_rchar proxy_cpu
	rose bridge_tx
	still_sluice
	still ipt_dnat
	idle lproxy_rchar
	quiet direct_tx xuplink_rx sock_tx
}
path_docker_proxy_teardown() {
	proxies_stop "${PROXY_PIDS[@]}"
	PROXY_PIDS=()
}

# ---- sluice-tc: tc programs on the uplink and the container's veth --------
path_sluice_tc_setup() {
	local out args
	if [ ! -x "$SLUICE" ]; then
		PATH_WHY="$SLUICE is missing (run make)"
		return 1
	fi
	ns_new "$SLUICE_NS" || return 1
	# This path measures the tc programs: no XDP in front of them (sluice-xdp
	# is its own path), no socket-level hooks.
	args=(up --uplink "$UPLINK")
	"$SLUICE" up --help 2>&1 | grep -q -- '--xdp' && args+=(--xdp off)
	"$SLUICE" up --help 2>&1 | grep -q -- '--cgroup' && args+=(--cgroup none)
	sl_touch "$SL_INST"
	out=$(sl "${args[@]}" 2>&1) || {
		PATH_WHY="sluice ${args[*]} failed (exit $?): ${out:-no message}"
		return 1
	}
	SL_UP=1
	sl_container "$SL_INST" bench ctr "$SLUICE_SUBNET" "$SLUICE_NS" "$SLUICE_CTR_IP" || return 1
	sl_publish "$SL_INST" ctr "" "$OFF_SLUICE" $PUB_PORTS || return 1
	sl_publish_denied "$SL_INST" ctr "$OFF_SLUICE" || return 1
	servers_start "$SLUICE_NS"
}
path_sluice_tc_target() {
	targets_at "$HOST_IP" "$OFF_SLUICE" "$SLUICE_NS"
	T_DP=$((P_DENY + OFF_SLUICE)) T_DINST=$SL_INST
}
path_sluice_tc_check() {
	sl_rose sl_new sl_fwd sl_reply
	still_sluice tc
	still ipt_dnat
	idle proxy_rchar lproxy_rchar
	quiet direct_tx xuplink_rx bridge_tx sock_tx
}
path_sluice_tc_teardown() {
	[ -n "$SL_UP" ] && sl_down_bg "$SL_INST"
	SL_UP=
}

# sl_container INSTANCE NETWORK CONTAINER SUBNET NS IP: a sluice network with
# one container (namespace NS) at IP.
sl_container() {
	local inst=$1 net=$2 ctr=$3 subnet=$4 ns=$5 ip=$6 out
	out=$(sl_in "$inst" network create "$net" --subnet "$subnet" 2>&1) || {
		PATH_WHY="sluice --instance $inst network create $net failed: $out"
		return 1
	}
	out=$(sl_in "$inst" network connect "$net" "$ctr" --netns "/run/netns/$ns" --ip "$ip" 2>&1) || {
		PATH_WHY="sluice --instance $inst network connect $net $ctr failed: $out"
		return 1
	}
}

# sl_publish INSTANCE CONTAINER HOST_IP OFFSET PROTO:PORT...: publish each
# container port on host port PORT + OFFSET (on HOST_IP only when given).
sl_publish() {
	local inst=$1 ctr=$2 hip=$3 off=$4 p proto specs=() out
	shift 4
	for p in "$@"; do
		proto=${p%%:*} p=${p#*:}
		specs+=("${hip:+$hip:}$((p + off)):$p/$proto")
	done
	out=$(sl_in "$inst" port publish "$ctr" "${specs[@]}" 2>&1) || {
		PATH_WHY="sluice --instance $inst port publish $ctr ${specs[*]} failed: $out"
		return 1
	}
}

# sl_publish_denied INSTANCE CONTAINER OFFSET: udp_drop's port, P_DENY/udp
# on P_DENY + OFFSET, allowed only from DENY_ALLOW (not the client).
sl_publish_denied() {
	local out spec="$((P_DENY + $3)):$P_DENY/udp"
	out=$(sl_in "$1" port publish "$2" "$spec" --allow "$DENY_ALLOW" 2>&1) || {
		PATH_WHY="sluice --instance $1 port publish $2 $spec --allow $DENY_ALLOW failed: $out"
		return 1
	}
}

# sl_uplink_attach INSTANCE IFACE: how sluice says its programs sit on that
# uplink (`sluice -j status`: native, generic, tc, ...), "?" when unknown.
sl_uplink_attach() {
	local out
	out=$(timeout 20 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$1" -j status 2>/dev/null)
	jq -r --arg u "$2" '[.uplinks[]? | select(.name == $u) | .attach][0] // "?"' <<<"$out" 2>/dev/null || echo "?"
}

# ---- sluice-xdp: XDP (native) on a second uplink, in front of tc -----------
# Two instances cannot share an uplink (their tc filters would replace each
# other), so this path has its own veth pair from the client, its own
# instance, network and container. XDP sees frames before anything fills in
# a checksum, and a veth peer leaves TCP/UDP checksums to "hardware"
# (CHECKSUM_PARTIAL): TX checksum offload is off on the client's end of this
# pair, so the client computes every checksum in software (and sends no TSO
# super-segments). That costs the client CPU on this path only: a handicap
# for sluice-xdp, not an advantage.
path_sluice_xdp_setup() {
	local out mode
	if [ ! -x "$SLUICE" ]; then
		PATH_WHY="$SLUICE is missing (run make)"
		return 1
	fi
	command -v ethtool >/dev/null || {
		PATH_WHY="ethtool is missing (apt-get install ethtool; make bench-deps)"
		return 1
	}
	ns_new "$XDP_NS" || return 1
	ipn "$HOST_NS" link add "$XUPLINK" type veth peer name "$XCLIENT_IF" netns "$CLIENT_NS" || return 1
	ipn "$HOST_NS" addr add "$XHOST_IP/24" dev "$XUPLINK" || return 1
	ipn "$HOST_NS" link set "$XUPLINK" up || return 1
	ipn "$CLIENT_NS" addr add "$XCLIENT_IP/24" dev "$XCLIENT_IF" || return 1
	ipn "$CLIENT_NS" link set "$XCLIENT_IF" up || return 1
	x setup "$CLIENT_NS" ethtool -K "$XCLIENT_IF" tx off >/dev/null 2>"$TMPD/ethtool.err" || {
		PATH_WHY="ethtool -K $XCLIENT_IF tx off failed: $(head -c 200 "$TMPD/ethtool.err")"
		return 1
	}
	sl_touch "$SLX_INST"
	out=$(sl_in "$SLX_INST" up --uplink "$XUPLINK" --xdp native --cgroup none 2>&1) || {
		PATH_WHY="sluice --instance $SLX_INST up --uplink $XUPLINK --xdp native --cgroup none failed: ${out:-no message}"
		return 1
	}
	SLX_UP=1
	mode=$(sl_uplink_attach "$SLX_INST" "$XUPLINK")
	[ "$mode" = native ] || {
		PATH_WHY="sluice -j status shows '$mode' on $XUPLINK, not native XDP"
		return 1
	}
	sl_container "$SLX_INST" "$XDP_NET" "$XDP_CTR" "$XDP_SUBNET" "$XDP_NS" "$XDP_CTR_IP" || return 1
	sl_publish "$SLX_INST" "$XDP_CTR" "" "$OFF_XDP" $PUB_PORTS || return 1
	sl_publish_denied "$SLX_INST" "$XDP_CTR" "$OFF_XDP" || return 1
	servers_start "$XDP_NS" || return 1
	wait_for 5 in_ns "$CLIENT_NS" ping -c 1 -W 1 "$XHOST_IP" >/dev/null || {
		PATH_WHY="the client cannot ping $XHOST_IP over the XDP uplink"
		return 1
	}
	# The veth's own count of XDP redirects, when this kernel shows it.
	[[ $(xdp_redirects "$HOST_NS" "$XUPLINK") =~ ^[0-9]+$ ]] && XDP_REDIR_STAT=1
	return 0
}
path_sluice_xdp_target() {
	targets_at "$XHOST_IP" "$OFF_XDP" "$XDP_NS"
	T_GIF=$XCLIENT_IF T_GPEER=$XUPLINK
	T_DP=$((P_DENY + OFF_XDP)) T_DINST=$SLX_INST
}
path_sluice_xdp_check() {
	local mode
	sl_rose slx_new slx_fwd slx_reply
	[ -n "$XDP_REDIR_STAT" ] && rose xdp_redirect
	mode=$(sl_uplink_attach "$SLX_INST" "$XUPLINK")
	if [ "$mode" = native ]; then
		CHK_OK+="$XUPLINK attach native; "
	else
		CHK_WHY+="sluice -j status shows '$mode' on $XUPLINK, not native; "
	fi
	still_sluice xdp
	still ipt_dnat
	idle proxy_rchar lproxy_rchar
	quiet direct_tx uplink_rx bridge_tx sock_tx
}
path_sluice_xdp_teardown() {
	[ -n "$SLX_UP" ] && sl_down_bg "$SLX_INST"
	SLX_UP=
}

# ---- local clients: a process on the host reaches a container --------------
# The client runs in the bench host namespace, in the cgroup slb<PID>-clients
# (created by the bench under the cgroup v2 root; never the root itself).
# sluice-socket: instance bench<PID>s with its socket hooks on that cgroup
# and ports published on 127.0.0.1 only; connect(127.0.0.1:47002) is sent
# straight to the container by the connect4 hook. direct-local: the same
# container by its own address (the floor for a local client; its connects
# pass the same hooks, which find no mapping). docker-proxy-local:
# docker-proxy bound to 127.0.0.1, as Docker does for a local client of a
# published port (the nat OUTPUT rule skips 127.0.0.0/8).
sock_setup() {
	local out cg
	[ -n "${SOCK_READY:-}" ] && return 0
	if [ ! -x "$SLUICE" ]; then
		PATH_WHY="$SLUICE is missing (run make)"
		return 1
	fi
	cgroup_setup || return 1
	ns_new "$SOCK_NS" || return 1
	sl_touch "$SLS_INST"
	out=$(sl_in "$SLS_INST" up --xdp off --cgroup "$CG_DIR" 2>&1) || {
		PATH_WHY="sluice --instance $SLS_INST up --xdp off --cgroup $CG_DIR failed: ${out:-no message}"
		return 1
	}
	SLS_UP=1
	cg=$(sl_in "$SLS_INST" -j status 2>/dev/null | jq -r '.cgroup // empty' 2>/dev/null)
	[ "$cg" = "$CG_DIR" ] || {
		PATH_WHY="sluice -j status shows cgroup '$cg', not $CG_DIR"
		return 1
	}
	sl_container "$SLS_INST" "$SOCK_NET" "$SOCK_CTR" "$SOCK_SUBNET" "$SOCK_NS" "$SOCK_CTR_IP" || return 1
	sl_publish "$SLS_INST" "$SOCK_CTR" "$LOCALHOST" "$OFF_SOCK" tcp:$P_SP tcp:$P_IP3 tcp:$P_CC tcp:$P_CE ||
		return 1
	SOCK_VETH=$(link_by_alias "$HOST_NS" "sluice:$SLS_INST:$SOCK_NET/$SOCK_CTR")
	[ -n "$SOCK_VETH" ] || {
		PATH_WHY="no link with alias sluice:$SLS_INST:$SOCK_NET/$SOCK_CTR in $HOST_NS (the container's veth)"
		return 1
	}
	servers_start "$SOCK_NS" || return 1
	SOCK_READY=1
}
sock_teardown() {
	[ -n "$SLS_UP" ] && sl_down_bg "$SLS_INST"
	SLS_UP=
	SOCK_READY=
}
# The checks every local path shares: nothing crossed the remote paths' links.
local_quiet() {
	still_sluice sock
	still ipt_dnat
	idle proxy_rchar
	quiet uplink_rx xuplink_rx direct_tx
}

path_direct_local_setup() { sock_setup; }
path_direct_local_target() {
	targets_at "$SOCK_CTR_IP" 0 "$SOCK_NS"
	local_client
}
path_direct_local_check() {
	rose sock_tx
	still sls_xlate
	idle lproxy_rchar
	quiet bridge_tx
	local_quiet
}
path_direct_local_teardown() { sock_teardown; }

path_sluice_socket_setup() { sock_setup; }
path_sluice_socket_target() {
	targets_at "$LOCALHOST" "$OFF_SOCK" "$SOCK_NS"
	local_client
}
path_sluice_socket_check() {
	rose sls_xlate sock_tx
	idle lproxy_rchar
	quiet bridge_tx
	local_quiet
}
path_sluice_socket_teardown() { sock_teardown; }

path_docker_proxy_local_setup() {
	local rc
	if [ ! -x "$DOCKER_PROXY" ]; then
		PATH_WHY="$DOCKER_PROXY is missing (Debian package docker.io; make bench-deps)"
		return 2
	fi
	cgroup_setup || return 1
	bridge_setup || return 1
	proxies_start "$LOCALHOST" tcp:$P_CC tcp:$P_CE
	rc=$?
	LPROXY_PIDS+=("${PROXY_STARTED[@]}")
	return "$rc"
}
path_docker_proxy_local_target() {
	targets_at "$LOCALHOST" "$OFF_PROXY" "$BRIDGE_NS"
	local_client
}
path_docker_proxy_local_check() {
	rose_any lproxy_rchar lproxy_cpu
	rose bridge_tx
	still sls_xlate
	quiet sock_tx
	local_quiet
}
path_docker_proxy_local_teardown() {
	proxies_stop "${LPROXY_PIDS[@]}"
	LPROXY_PIDS=()
}

# sl_down_bg INSTANCE: `sluice down --purge` in the background (the
# instances are independent; paths_teardown waits for all of them).
SL_DOWN_PIDS=()
sl_down_bg() {
	sl_in "$1" down --purge >/dev/null 2>&1 &
	SL_DOWN_PIDS+=("$!")
}

paths_teardown() {
	local p
	for p in "${PATHS[@]}"; do
		"path_${p//-/_}_teardown"
	done
	for p in "${SL_DOWN_PIDS[@]}"; do
		wait "$p"
	done
	SL_DOWN_PIDS=()
}
