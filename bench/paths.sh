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
#
# Every container namespace (and the host ns for `host`) runs the same
# servers on the same ports: sockperf (TCP and UDP) on 11111, iperf3 on
# 5201, connrate close-server on 7001 and echo-server on 7002. A path's
# published host ports are those plus a per-path offset.
#
# A path is a set of functions, path_<id>_{setup,target,check,teardown}
# (<id> = the name with '-' as '_'), and one entry in PATHS. setup returns 0
# (ready), 1 (failed) or 2 (skipped), with the reason in PATH_WHY; target
# sets T_IP and the ports T_SP (sockperf), T_IP3 (iperf3), T_CC (connrate
# close), T_CE (connrate echo); check compares the snapshots CHK_BEFORE and
# CHK_AFTER with rose/still (lib.sh). To add a path (sluice-xdp,
# sluice-socket), write those four functions and add it to PATHS.

PATHS=(direct host bridge-dnat docker-proxy sluice-tc)

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

# Server ports inside every server namespace.
P_SP=11111 # sockperf sr, TCP and UDP
P_IP3=5201 # iperf3 -s
P_CC=7001  # connrate server -m close
P_CE=7002  # connrate server -m echo
# Host-port offsets of the published paths.
OFF_BRIDGE=10000
OFF_PROXY=20000
OFF_SLUICE=30000

declare -A PATH_STATUS PATH_REASON SERVERS_IN
PROXY_PIDS=()
SL_UP=
IPT_UP=

targets_at() { # IP OFFSET
	T_IP=$1
	T_SP=$((P_SP + $2)) T_IP3=$((P_IP3 + $2)) T_CC=$((P_CC + $2)) T_CE=$((P_CE + $2))
}

# CPU placement (opt-in, BENCH_PIN=1): the client tools on the first CPU and
# every server on the last one, the same for every path, as if client and
# server were two machines. Unpinned, a round trip is ~18 us when the
# scheduler puts both ends on one CPU and ~30 us when not. Pinning is off by
# default because the bench machine is shared: a pinned task cannot move
# away from a CPU someone else's build is using, and round trips then grow
# to ~125 us (measured). Proxies and the kernel's packet work are never pinned.
CLIENT_PIN=()
SERVER_PIN=()
pin_setup() {
	local list r cpus=()
	[ "${BENCH_PIN:-0}" = 1 ] || return
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
	CLIENT_PIN=(taskset -c "${cpus[0]}")
	SERVER_PIN=(taskset -c "${cpus[${#cpus[@]} - 1]}")
}

# servers_start NS: the same servers in every server namespace (once).
servers_start() {
	local ns=$1 log=$TMPD/servers-$1.log
	[ -n "${SERVERS_IN[$ns]:-}" ] && return 0
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" sockperf sr --tcp -p "$P_SP"
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" sockperf sr -p "$P_SP"
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" iperf3 -s -p "$P_IP3"
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" "$CONNRATE" server -p "$P_CC" -m close -s "$CONN_SIZE" -w 8
	bg_ns "$ns" "$log" "${SERVER_PIN[@]}" "$CONNRATE" server -p "$P_CE" -m echo
	if ! wait_for 10 listening "$ns" tcp "$P_SP" || ! wait_for 5 listening "$ns" udp "$P_SP" ||
		! wait_for 5 listening "$ns" tcp "$P_IP3" || ! wait_for 5 listening "$ns" tcp "$P_CC" ||
		! wait_for 5 listening "$ns" tcp "$P_CE"; then
		PATH_WHY="servers did not start in $ns: $(tail -n 3 "$log" | tr '\n' ' ')"
		return 1
	fi
	SERVERS_IN[$ns]=1
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
path_direct_target() { targets_at "$DIRECT_IP" 0; }
path_direct_check() {
	rose direct_tx
	still sl_new sl_fwd sl_reply ipt_dnat proxy_rchar
	quiet uplink_rx bridge_tx
}
path_direct_teardown() { :; }

# ---- host: the server in the host namespace (docker --network host) -------
path_host_setup() { servers_start "$HOST_NS"; }
path_host_target() { targets_at "$HOST_IP" 0; }
path_host_check() {
	rose uplink_rx
	still sl_new sl_fwd sl_reply ipt_dnat proxy_rchar
	quiet direct_tx bridge_tx
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
	for p in tcp:$P_SP udp:$P_SP tcp:$P_IP3 tcp:$P_CC tcp:$P_CE; do
		proto=${p%%:*} p=${p#*:}
		echo "-A POSTROUTING -s $c/32 -d $c/32 -p $proto -m $proto --dport $p -j MASQUERADE"
	done
	echo "-A DOCKER -i $br -j RETURN"
	for p in tcp:$P_SP udp:$P_SP tcp:$P_IP3 tcp:$P_CC tcp:$P_CE; do
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
	for p in tcp:$P_SP udp:$P_SP tcp:$P_IP3 tcp:$P_CC tcp:$P_CE; do
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
path_bridge_dnat_target() { targets_at "$HOST_IP" "$OFF_BRIDGE"; }
path_bridge_dnat_check() {
	rose ipt_dnat bridge_tx
	still sl_new sl_fwd sl_reply proxy_rchar
	quiet direct_tx
}
path_bridge_dnat_teardown() { :; }

# ---- docker-proxy: the real userland proxy, one process per binding -------
DOCKER_PROXY=${DOCKER_PROXY:-/usr/sbin/docker-proxy}

# proxy_start PROTO HOST_PORT CONTAINER_PORT: fd 3 is a pipe (a FIFO here)
# on which docker-proxy writes "0\n" once it listens, or "1\n<message>".
proxy_start() {
	local proto=$1 hp=$2 cp=$3 fifo=$TMPD/proxy-$1-$2 st="" msg="" pid
	mkfifo "$fifo" || return 1
	cmdlog setup nsenter --net="/run/netns/$HOST_NS" -- "$DOCKER_PROXY" -proto "$proto" \
		-host-ip "$HOST_IP" -host-port "$hp" -container-ip "$BRIDGE_CTR_IP" -container-port "$cp" "3>pipe"
	nsenter --net="/run/netns/$HOST_NS" -- "$DOCKER_PROXY" -proto "$proto" -host-ip "$HOST_IP" \
		-host-port "$hp" -container-ip "$BRIDGE_CTR_IP" -container-port "$cp" \
		3>"$fifo" >>"$TMPD/proxy.log" 2>&1 </dev/null &
	pid=$!
	_pids+=("$pid")
	{
		IFS= read -r -t 5 st
		IFS= read -r -t 1 msg
	} <"$fifo"
	if [ "$st" != 0 ]; then
		PATH_WHY="docker-proxy -proto $proto -host-port $hp did not report 0 on fd 3 (got '${st}${msg:+ $msg}'): $(tail -n 2 "$TMPD/proxy.log" | tr '\n' ' ')"
		return 1
	fi
	PROXY_PIDS+=("$pid")
}

path_docker_proxy_setup() {
	local p proto
	if [ ! -x "$DOCKER_PROXY" ]; then
		PATH_WHY="$DOCKER_PROXY is missing (Debian package docker.io; make bench-deps)"
		return 2
	fi
	bridge_setup || return 1
	for p in tcp:$P_SP udp:$P_SP tcp:$P_IP3 tcp:$P_CC tcp:$P_CE; do
		proto=${p%%:*} p=${p#*:}
		proxy_start "$proto" $((p + OFF_PROXY)) "$p" || return 1
	done
}
path_docker_proxy_target() { targets_at "$HOST_IP" "$OFF_PROXY"; }
path_docker_proxy_check() {
	# The proxy's own I/O: rchar counts its read()s (UDP, and TCP before Go
	# switches to splice(2), which rchar does not see), CPU time counts the
	# spliced TCP copies; either rising means bytes went through it.
	rose_any proxy_rchar proxy_cpu
	rose bridge_tx
	still sl_new sl_fwd sl_reply ipt_dnat
	quiet direct_tx
}
path_docker_proxy_teardown() {
	local p
	# dockerd stops its proxies with SIGINT.
	for p in "${PROXY_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null
	done
	for p in "${PROXY_PIDS[@]}"; do
		stop_pid "$p"
	done
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
	out=$(sl "${args[@]}" 2>&1) || {
		PATH_WHY="sluice ${args[*]} failed (exit $?): ${out:-no message}"
		return 1
	}
	SL_UP=1
	out=$(sl network create bench --subnet "$SLUICE_SUBNET" 2>&1) || {
		PATH_WHY="sluice network create failed: $out"
		return 1
	}
	out=$(sl network connect bench ctr --netns "/run/netns/$SLUICE_NS" --ip "$SLUICE_CTR_IP" 2>&1) || {
		PATH_WHY="sluice network connect failed: $out"
		return 1
	}
	out=$(sl port publish ctr $((P_SP + OFF_SLUICE)):$P_SP $((P_SP + OFF_SLUICE)):$P_SP/udp \
		$((P_IP3 + OFF_SLUICE)):$P_IP3 $((P_CC + OFF_SLUICE)):$P_CC $((P_CE + OFF_SLUICE)):$P_CE 2>&1) || {
		PATH_WHY="sluice port publish failed: $out"
		return 1
	}
	servers_start "$SLUICE_NS"
}
path_sluice_tc_target() { targets_at "$HOST_IP" "$OFF_SLUICE"; }
path_sluice_tc_check() {
	rose sl_new sl_fwd sl_reply
	still ipt_dnat proxy_rchar
	quiet direct_tx bridge_tx
}
path_sluice_tc_teardown() {
	[ -n "$SL_UP" ] && sl down --purge >/dev/null 2>&1
	SL_UP=
}

paths_teardown() {
	local p
	for p in "${PATHS[@]}"; do
		"path_${p//-/_}_teardown"
	done
}
