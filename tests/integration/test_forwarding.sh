#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_forwarding.sh - container-to-container forwarding and isolation, end
# to end through the sluice CLI, on a topology of network namespaces:
#
#   host ns (sluice runs here) ── up<pid> ── ext (10.99.0.2, "the outside")
#     front 10.11.0.0/24: alpha, bravo        back 10.12.0.0/24: charlie, bravo (eth1)
#     priv  10.15.0.0/24 --internal: int1, int2
#     alloc 10.14.0.0/29 gateway .2: delta, foxtrot    tiny 10.13.0.0/30: delta
#
# Checks forwarding (ICMP, TCP), isolation and its counters, the absence of a
# bridge and of firewall rules, the container's addresses, routes and
# neighbour, --internal, restore after down/up, disconnect, address
# allocation, and that bad input is refused with one line and changes nothing.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root nft iptables-save ss

HOST_NS=$T-host
A=$T-alpha B=$T-bravo C=$T-charlie D=$T-delta F=$T-foxtrot
I1=$T-int1 I2=$T-int2 E=$T-ext
UPL=up$$

if [ ! -x "$SLUICE" ]; then
	check "sluice binary exists at $SLUICE" false
	summary
fi
if ! ns_new "$HOST_NS" "$A" "$B" "$C" "$D" "$F" "$I1" "$I2" "$E"; then
	check "create the test namespaces" false
	summary
fi

# The outside: a plain routed veth from the test's host ns to ext. The host ns
# forwards (its own sysctl, not the machine's).
ip netns exec "$HOST_NS" sysctl -qw net.ipv4.ip_forward=1
ip -n "$HOST_NS" link add "$UPL" type veth peer name eth0 netns "$E"
ip -n "$HOST_NS" addr add 10.99.0.1/24 dev "$UPL"
ip -n "$HOST_NS" link set "$UPL" up
ip -n "$E" addr add 10.99.0.2/24 dev eth0
ip -n "$E" link set eth0 up
ip -n "$E" route add default via 10.99.0.1

# charlie is joined by --pid: a process living in its namespace.
bg nsenter --net="/run/netns/$C" sleep 600
C_PID=$BG_PID

# --- helpers --------------------------------------------------------------

jf() { jq -r "$2" <<<"$1"; }

# connect VAR NETWORK CONTAINER ARGS...: -j network connect, JSON kept in VAR.
connect() {
	local var=$1 out
	shift
	out=$(sl -j network connect "$@") || {
		echo "$out"
		return 1
	}
	printf -v "$var" '%s' "$out"
	jq -e . <<<"$out"
}

pings() { ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2"; }
no_ping() { ! ip netns exec "$1" ping -q -c 1 -W 1 "$2"; }

rises() { # rises NAME BEFORE
	local now
	now=$(counter "$1") || return 1
	echo "$1: $2 -> $now"
	[ "$now" -gt "$2" ]
}

links() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }
has_link() { links "$1" | grep -qx "$2"; }
no_link() { ! has_link "$1" "$2"; }
only_lo() { [ "$(links "$1")" = lo ]; }
all_only_lo() {
	local n
	for n in "$@"; do
		only_lo "$n" || return 1
	done
}
no_sl_links() { ! links "$HOST_NS" | grep -E '^sl'; }

listening() { ip netns exec "$1" ss -Hln "$2" "sport = :$3" | grep -q .; }

# tcp_ok SRC DST_NS DST_IP: 1 MiB over TCP arrives intact.
tcp_ok() {
	local src=$1 dst=$2 ip=$3 in out pid
	tmp_file
	in=$TMP
	tmp_file
	out=$TMP
	head -c 1048576 /dev/urandom >"$in"
	bg ip netns exec "$dst" timeout 20 nc -l "$ip" 5000 >"$out" </dev/null
	pid=$BG_PID
	wait_for 5 listening "$dst" -t 5000 || return 1
	ip netns exec "$src" timeout 15 nc -N -w 5 "$ip" 5000 <"$in" || return 1
	timeout 10 tail --pid="$pid" -f /dev/null
	cmp "$in" "$out"
}

# udp_arrives SRC DST_NS DST_IP [TRIES]: a datagram from SRC reaches a
# listener (sent up to TRIES times, 5 by default, one second apart).
udp_arrives() {
	local src=$1 dst=$2 ip=$3 tries=${4:-5} out i
	tmp_file
	out=$TMP
	bg ip netns exec "$dst" timeout 8 nc -u -l "$ip" 7000 >"$out" </dev/null
	wait_for 5 listening "$dst" -u 7000 || return 1
	for ((i = 0; i < tries; i++)); do
		echo "hello-$$" | ip netns exec "$src" timeout 3 nc -u -w 1 "$ip" 7000
		grep -q "hello-$$" "$out" && return 0
	done
	return 1
}

# The container side of an endpoint: address/prefix, subnet route via the
# gateway, and a permanent neighbour entry for the gateway with the MAC of
# the host-side veth.
ns_addr_ok() { # NS IFNAME IP PREFIX
	ip -n "$1" -j addr show dev "$2" |
		jq -e --arg ip "$3" --argjson p "$4" \
			'[.[0].addr_info[] | select(.family == "inet" and .local == $ip and .prefixlen == $p)] | length == 1'
}
ns_route_ok() { # NS DST GW IFNAME
	ip -n "$1" -j route show |
		jq -e --arg d "$2" --arg g "$3" --arg i "$4" \
			'[.[] | select(.dst == $d and .gateway == $g and .dev == $i)] | length == 1'
}
ns_neigh_ok() { # NS IFNAME GW HOST_IFNAME
	local mac
	mac=$(ip -n "$HOST_NS" -j link show dev "$4" | jq -r '.[0].address') || return 1
	ip -n "$1" -j neigh show "$3" dev "$2" |
		jq -e --arg m "$mac" '.[0].lladdr == $m and (.[0].state | index("PERMANENT"))'
}
ns_mac_ok() { # NS IFNAME MAC
	ip -n "$1" -j link show dev "$2" | jq -e --arg m "$3" '.[0].address == $m'
}
host_veth_ok() { # HOST_IFNAME
	[[ $1 =~ ^sl[0-9a-f]+$ ]] || return 1
	ip -n "$HOST_NS" -d -j link show dev "$1" |
		jq -e '.[0].linkinfo.info_kind == "veth" and (.[0].flags | index("UP"))'
}

in_net() { # IP PREFIX (the first three octets, for /24 and smaller)
	[[ $1 == "$2".* ]]
}

# --- bring-up -------------------------------------------------------------

check "up" sl up || summary
check "status: up, instance $SL_INST, empty" \
	eval 'sl -j status | jq -e --arg i "$SL_INST" ".up == true and .instance == \$i and .networks == 0 and .endpoints == 0"'
check "--instance selects the instance" \
	eval 'env -u SLUICE_INSTANCE timeout 30 nsenter --net=/run/netns/$HOST_NS -- $SLUICE --instance $SL_INST -j status |
		jq -e --arg i "$SL_INST" ".instance == \$i and .up == true"'
check "pins under /sys/fs/bpf/sluice/$SL_INST" test -d "/sys/fs/bpf/sluice/$SL_INST"

check "network create front" sl network create front --subnet 10.11.0.0/24
check "network create back" sl network create back --subnet 10.12.0.0/24
check "network ls: front and back, default gateways, not internal" \
	eval 'sl -j network ls | jq -e "
		(length == 2) and
		(.[] | select(.name == \"front\") | .subnet == \"10.11.0.0/24\" and .gateway == \"10.11.0.1\" and .internal == false and .endpoints == 0) and
		(.[] | select(.name == \"back\") | .subnet == \"10.12.0.0/24\" and .gateway == \"10.12.0.1\" and .endpoints == 0)"'
check "network ls (text) names both" eval 'sl network ls | grep -q front && sl network ls | grep -q back'

J_A= J_B= J_C=
check "connect alpha to front (auto address)" connect J_A front alpha --netns "/run/netns/$A"
check "connect bravo to front --ip 10.11.0.20 --alias api --alias www" \
	connect J_B front bravo --netns "/run/netns/$B" --ip 10.11.0.20 --alias api --alias www
check "connect charlie to back --pid" connect J_C back charlie --pid "$C_PID"

IP_A=$(jf "$J_A" .ip) IP_B=$(jf "$J_B" .ip) IP_C=$(jf "$J_C" .ip)
HIF_A=$(jf "$J_A" .host_ifname) HIF_B=$(jf "$J_B" .host_ifname) HIF_C=$(jf "$J_C" .host_ifname)

check "connect -j: network, container, ifname eth0" \
	eval '[ "$(jf "$J_A" ".network + \" \" + .container + \" \" + .ifname")" = "front alpha eth0" ] &&
		[ "$(jf "$J_C" ".network + \" \" + .container + \" \" + .ifname")" = "back charlie eth0" ]'
check "alpha's auto address is in front and not the gateway ($IP_A)" \
	eval 'in_net "$IP_A" 10.11.0 && [ "$IP_A" != 10.11.0.1 ] && [ "$IP_A" != 10.11.0.0 ] && [ "$IP_A" != 10.11.0.255 ]'
check "bravo got the requested address" test "$IP_B" = 10.11.0.20
check "charlie's auto address is in back ($IP_C)" eval 'in_net "$IP_C" 10.12.0 && [ "$IP_C" != 10.12.0.1 ]'

check "alpha: eth0 has $IP_A/24" ns_addr_ok "$A" eth0 "$IP_A" 24
check "charlie: eth0 has $IP_C/24" ns_addr_ok "$C" eth0 "$IP_C" 24
check "alpha: eth0 MAC is the reported one" ns_mac_ok "$A" eth0 "$(jf "$J_A" .mac)"
check "alpha: route 10.11.0.0/24 via 10.11.0.1 dev eth0" ns_route_ok "$A" 10.11.0.0/24 10.11.0.1 eth0
check "alpha: default via 10.11.0.1 dev eth0" ns_route_ok "$A" default 10.11.0.1 eth0
check "charlie: default via 10.12.0.1 dev eth0" ns_route_ok "$C" default 10.12.0.1 eth0
check "alpha: permanent neighbour 10.11.0.1 = host veth MAC" ns_neigh_ok "$A" eth0 10.11.0.1 "$HIF_A"
check "host side veths exist, named sl<hex>, up" \
	eval 'host_veth_ok "$HIF_A" && host_veth_ok "$HIF_B" && host_veth_ok "$HIF_C"'
check "status counts 2 networks, 3 endpoints" \
	eval 'sl -j status | jq -e ".networks == 2 and .endpoints == 3"'
check "network inspect front lists alpha and bravo" \
	eval 'sl -j network inspect front | jq -e --arg a "$IP_A" --arg h "$HIF_A" "
		.name == \"front\" and .subnet == \"10.11.0.0/24\" and .gateway == \"10.11.0.1\" and
		(.endpoints | length == 2) and
		(.endpoints[] | select(.container == \"alpha\") | .ip == \$a and .ifname == \"eth0\" and .host_ifname == \$h) and
		(.endpoints[] | select(.container == \"bravo\") | .ip == \"10.11.0.20\" and .aliases == [\"api\", \"www\"])"'

# --- same network: forwarded by the datapath ------------------------------

fwd0=$(counter fwd_local || echo 0)
check "ping alpha -> bravo (same network)" pings "$A" "$IP_B"
check "ping bravo -> alpha" pings "$B" "$IP_A"
check "fwd_local rises" rises fwd_local "$fwd0"
check "TCP alpha -> bravo: 1 MiB arrives intact" tcp_ok "$A" "$B" "$IP_B"
check "TCP bravo -> alpha: 1 MiB arrives intact" tcp_ok "$B" "$A" "$IP_A"

check "UDP alpha -> bravo arrives" udp_arrives "$A" "$B" "$IP_B"
check "ping alpha -> bravo with 4000-byte (fragmented) packets" \
	ip netns exec "$A" ping -q -c 2 -i 0.2 -W 1 -s 4000 "$IP_B"
check "ping alpha -> its gateway (the host)" pings "$A" 10.11.0.1
check "ping host ns -> alpha" pings "$HOST_NS" "$IP_A"

noep0=$(counter drop_no_endpoint || echo 0)
check "ping alpha -> unused front address fails" no_ping "$A" 10.11.0.99
check "drop_no_endpoint rises" rises drop_no_endpoint "$noep0"

# --- other network: isolated ----------------------------------------------

iso0=$(counter drop_isolated || echo 0)
check "ping alpha -> charlie (other network) fails" no_ping "$A" "$IP_C"
check "ping charlie -> bravo (other network) fails" no_ping "$C" "$IP_B"
check "drop_isolated rises" rises drop_isolated "$iso0"
# A container using an address it was not given is dropped at its veth.
ip -n "$A" addr add 10.11.0.50/32 dev eth0
spoof0=$(counter drop_spoofed || echo 0)
check "ping alpha -> bravo from an address alpha was not given fails" \
	eval '! ip netns exec "$A" ping -q -c 2 -i 0.2 -W 1 -I 10.11.0.50 "$IP_B"'
check "drop_spoofed rises" rises drop_spoofed "$spoof0"
ip -n "$A" addr del 10.11.0.50/32 dev eth0
check "stats (text) names the counters" eval 'sl stats | grep -q fwd_local && sl stats | grep -q drop_isolated'
check "stats -j has all nine counters" \
	eval 'sl -j stats | jq -e ".counters | [.fwd_local, .pass_host, .pass_not_ip, .pass_no_iface, .drop_isolated,
		.drop_no_endpoint, .drop_spoofed, .drop_malformed, .drop_internal] | all(.packets >= 0 and .bytes >= 0)"'

# --- no bridge, no firewall rules ----------------------------------------

check "no bridge device in the host ns" eval '[ -z "$(ip -n "$HOST_NS" -d link show type bridge)" ]'
check "no nft ruleset in the host ns" eval '[ -z "$(ip netns exec "$HOST_NS" nft list ruleset)" ]'
check "no iptables rules in the host ns" eval '! ip netns exec "$HOST_NS" iptables-save | grep -E "^-A"'

# --- one container on two networks ---------------------------------------

J_B2=
check "connect bravo to back too" connect J_B2 back bravo --netns "/run/netns/$B"
IP_B2=$(jf "$J_B2" .ip)
check "bravo's second interface is eth1 with $IP_B2/24" \
	eval '[ "$(jf "$J_B2" .ifname)" = eth1 ] && in_net "$IP_B2" 10.12.0 && ns_addr_ok "$B" eth1 "$IP_B2" 24'
check "bravo: route 10.12.0.0/24 via 10.12.0.1 dev eth1" ns_route_ok "$B" 10.12.0.0/24 10.12.0.1 eth1
check "bravo: default route stays via front (10.11.0.1 dev eth0), only one" \
	eval 'ns_route_ok "$B" default 10.11.0.1 eth0 &&
		[ "$(ip -n "$B" -j route show default | jq length)" = 1 ]'
check "ping bravo -> charlie via eth1" pings "$B" "$IP_C"
check "ping charlie -> bravo's back address" pings "$C" "$IP_B2"
check "ping bravo -> alpha still works" pings "$B" "$IP_A"
check "ping alpha -> charlie still fails" no_ping "$A" "$IP_C"
check "ping alpha -> bravo's back address fails" no_ping "$A" "$IP_B2"
check "network ls: front 2 endpoints, back 2" \
	eval 'sl -j network ls | jq -e "(.[] | select(.name == \"front\") | .endpoints == 2) and (.[] | select(.name == \"back\") | .endpoints == 2)"'

# --- leaving the networks: normal vs --internal ---------------------------

host0=$(counter pass_host || echo 0)
check "UDP alpha -> outside (10.99.0.2) arrives" udp_arrives "$A" "$E" 10.99.0.2
check "pass_host rises" rises pass_host "$host0"

check "network create priv --internal" sl network create priv --subnet 10.15.0.0/24 --internal
check "network ls shows priv internal" \
	eval 'sl -j network ls | jq -e ".[] | select(.name == \"priv\") | .internal == true"'
J_I1= J_I2=
check "connect int1 and int2 to priv" \
	eval 'connect J_I1 priv int1 --netns /run/netns/$I1 && connect J_I2 priv int2 --netns /run/netns/$I2'
check "ping int1 -> int2 (internal peers)" pings "$I1" "$(jf "$J_I2" .ip)"
check_fails "UDP int1 -> outside does not arrive" udp_arrives "$I1" "$E" 10.99.0.2 2
# Whether an internal network gives a default route is policy; the datapath
# must hold even when the container routes outward via the gateway itself.
ip -n "$I1" route replace default via 10.15.0.1 dev eth0 onlink 2>/dev/null
int0=$(counter drop_internal || echo 0)
check_fails "UDP int1 -> outside via its own default route does not arrive" \
	udp_arrives "$I1" "$E" 10.99.0.2 2
check "drop_internal rises" rises drop_internal "$int0"

# --- address allocation -------------------------------------------------

check "network create alloc /29 --gateway 10.14.0.2" \
	sl network create alloc --subnet 10.14.0.0/29 --gateway 10.14.0.2
J_D= J_F=
check "connect delta and foxtrot to alloc" \
	eval 'connect J_D alloc delta --netns /run/netns/$D && connect J_F alloc foxtrot --netns /run/netns/$F'
check "auto addresses skip the gateway ($(jf "$J_D" .ip), $(jf "$J_F" .ip))" \
	eval 'a=$(jf "$J_D" .ip) b=$(jf "$J_F" .ip); in_net "$a" 10.14.0 && in_net "$b" 10.14.0 &&
		[ "$a" != 10.14.0.2 ] && [ "$b" != 10.14.0.2 ] && [ "$a" != "$b" ] &&
		[ "$a" != 10.14.0.0 ] && [ "$b" != 10.14.0.0 ] && [ "$a" != 10.14.0.7 ] && [ "$b" != 10.14.0.7 ]'
check "delta: route 10.14.0.0/29 via 10.14.0.2" ns_route_ok "$D" 10.14.0.0/29 10.14.0.2 eth0
check "ping delta -> foxtrot" pings "$D" "$(jf "$J_F" .ip)"
check "network create tiny /30" sl network create tiny --subnet 10.13.0.0/30
J_T=
check "connect delta to tiny gets the one free address 10.13.0.2" \
	eval 'connect J_T tiny delta --netns /run/netns/$D && [ "$(jf "$J_T" .ip)" = 10.13.0.2 ] &&
		[ "$(jf "$J_T" .ifname)" = eth1 ]'

# --- concurrent connects: each one a transaction --------------------------

check "network create crowd" sl network create crowd --subnet 10.20.0.0/24
par_connect() {
	local i pids=() rc=0
	for i in 1 2 3 4 5 6; do
		ns_new "$T-p$i" || return 1
	done
	for i in 1 2 3 4 5 6; do
		sl network connect crowd "p$i" --netns "/run/netns/$T-p$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	return $rc
}
check "6 parallel connects succeed" par_connect
check "all 6 listed with distinct addresses" \
	eval 'sl -j network inspect crowd | jq -e "(.endpoints | length == 6) and ([.endpoints[].ip] | unique | length == 6)"'
crowd_addrs_ok() {
	local e
	for e in $(sl -j network inspect crowd | jq -r '.endpoints[] | .container + "=" + .ip'); do
		ns_addr_ok "$T-${e%%=*}" eth0 "${e#*=}" 24 || return 1
	done
}
check "each of the 6 has its own address in its namespace" crowd_addrs_ok
check "ping p1 -> p6" pings "$T-p1" "$(sl -j network inspect crowd | jq -r '.endpoints[] | select(.container == "p6") | .ip')"

# --- bad input: refused, one line naming the object, nothing changed ------

tmp_file
REGULAR=$TMP
NOPID=999999
while [ -e "/proc/$NOPID" ]; do NOPID=$((NOPID - 1)); done

check_rejects "connect to an unknown network" "1 2" "nosuch$$" \
	sl network connect "nosuch$$" delta --netns "/run/netns/$D"
check_rejects "inspect an unknown network" "1 2" "nosuch$$" sl network inspect "nosuch$$"
check_rejects "rm an unknown network" "1 2" "nosuch$$" sl network rm "nosuch$$"
check_rejects "disconnect an unknown container" "1 2" "ghost$$" sl network disconnect front "ghost$$"
check_rejects "disconnect from an unknown network" "1 2" "nosuch$$" sl network disconnect "nosuch$$" alpha
check_rejects "duplicate network name" "1 2" "front" sl network create front --subnet 10.16.0.0/24
check_rejects "malformed subnet 10.1.0.0/33" "1 2" "10\.1\.0\.0/33" sl network create bad1 --subnet 10.1.0.0/33
check_rejects "malformed subnet 10.1.0.5/24 (host bits)" "1 2" "10\.1\.0\.5/24" \
	sl network create bad2 --subnet 10.1.0.5/24
check_rejects "malformed subnet bogus" "1 2" "bogus" sl network create bad3 --subnet bogus
check_rejects "overlapping subnet (inside front)" "1 2" "10\.11\.0\.128/25|front" \
	sl network create ovl --subnet 10.11.0.128/25
check_rejects "overlapping subnet (around front)" "1 2" "10\.0\.0\.0/8|front" \
	sl network create ovl --subnet 10.0.0.0/8
check_rejects "gateway outside the subnet" "1 2" "10\.18\.0\.1" \
	sl network create gwbad --subnet 10.17.0.0/24 --gateway 10.18.0.1
check_rejects "--ip outside the subnet" "1 2" "10\.12\.0\.50" \
	sl network connect front foxtrot --netns "/run/netns/$F" --ip 10.12.0.50
check_rejects "--ip already in use" "1 2" "10\.11\.0\.20" \
	sl network connect front foxtrot --netns "/run/netns/$F" --ip 10.11.0.20
check_rejects "--ip equal to the gateway" "1 2" "10\.11\.0\.1\b" \
	sl network connect front foxtrot --netns "/run/netns/$F" --ip 10.11.0.1
check_rejects "subnet exhausted (tiny /30)" "1 2" "tiny|10\.13\.0\.0/30" \
	sl network connect tiny foxtrot --netns "/run/netns/$F"
check_rejects "container already on the network" "1 2" "alpha" \
	sl network connect front alpha --netns "/run/netns/$A"
check_rejects "--netns path missing" "1 2" "/run/netns/$T-missing" \
	sl network connect front foxtrot --netns "/run/netns/$T-missing"
check_rejects "--netns is a regular file" "1 2" "$REGULAR" \
	sl network connect front foxtrot --netns "$REGULAR"
check_rejects "--pid that does not exist" "1 2" "$NOPID" \
	sl network connect front foxtrot --pid "$NOPID"
check_rejects "--ifname of 16 characters" "1 2" "abcdefghijklmnop" \
	sl network connect front foxtrot --netns "/run/netns/$F" --ifname abcdefghijklmnop
check_rejects "--ifname already taken in the container" "1 2" "eth0" \
	sl network connect back alpha --netns "/run/netns/$A" --ifname eth0
check_rejects "network rm with endpoints" "1 2" "front" sl network rm front
check_rejects "missing network name" "2" "." sl network create
check_rejects "missing --subnet" "2" "." sl network create lonely
check_rejects "connect without a container" "2" "." sl network connect front
check_rejects "connect without --netns or --pid" "2" "." sl network connect front foxtrot
check_rejects "unknown command" "2" "frobnicate" sl frobnicate
check_rejects "unknown network command" "2" "frobnicate" sl network frobnicate
check "errors with -j are JSON on stdout" \
	eval 'out=$(sl -j network inspect nosuch$$ 2>/dev/null); rc=$?; echo "$out";
		[ "$rc" = 1 ] && jq -e --arg n "nosuch$$" ".error | type == \"string\" and contains(\$n)" <<<"$out"'

# --- down / up: state survives ---------------------------------------------

before_front=$(sl -j network inspect front)
before_back=$(sl -j network inspect back)
check "down" sl down
check "status after down: not up" eval 'sl -j status | jq -e ".up == false"'
check "after down: no sl* veth in the host ns" no_sl_links
check "after down: containers lost their sluice interfaces" \
	eval 'only_lo "$A" && only_lo "$B" && only_lo "$C" && only_lo "$I1"'
check "after down: the state file is kept" test -s "$SL_STATE"
check "after down: no pins left" eval '[ -z "$(ls -A "/sys/fs/bpf/sluice/$SL_INST" 2>/dev/null)" ]'
check "up restores" sl up
check "status after up: 6 networks, 15 endpoints" \
	eval 'sl -j status | jq -e ".up == true and .networks == 6 and .endpoints == 15"'
check "front restored identically" eval '[ "$(sl -j network inspect front)" = "$before_front" ]'
check "back restored identically" eval '[ "$(sl -j network inspect back)" = "$before_back" ]'
check "alpha: same address after up" ns_addr_ok "$A" eth0 "$IP_A" 24
check "bravo: both interfaces back" \
	eval 'ns_addr_ok "$B" eth0 10.11.0.20 24 && ns_addr_ok "$B" eth1 "$IP_B2" 24'
check "charlie (--pid) restored" ns_addr_ok "$C" eth0 "$IP_C" 24
check "alpha: routes and neighbour restored" \
	eval 'ns_route_ok "$A" default 10.11.0.1 eth0 && ns_route_ok "$A" 10.11.0.0/24 10.11.0.1 eth0 &&
		ns_neigh_ok "$A" eth0 10.11.0.1 "$(jf "$J_A" .host_ifname)"'
check "ping alpha -> bravo after up" pings "$A" "$IP_B"
check "TCP alpha -> bravo after up" tcp_ok "$A" "$B" "$IP_B"
check "ping bravo -> charlie after up" pings "$B" "$IP_C"
check "ping alpha -> charlie still fails after up" no_ping "$A" "$IP_C"
check "internal still internal after up" \
	eval 'pings "$I1" "$(jf "$J_I2" .ip)" && ! udp_arrives "$I1" "$E" 10.99.0.2 2'

fwd1=$(counter fwd_local || echo 0)
check "up again on a live instance" sl up
check "up again keeps the counters" eval '[ "$(counter fwd_local)" -ge "$fwd1" ] && [ "$fwd1" -gt 0 ]'
check "up again keeps the endpoints" eval '[ "$(sl -j network inspect front)" = "$before_front" ]'
check "ping alpha -> bravo after up again" pings "$A" "$IP_B"
check "ping alpha -> charlie still fails after up again" no_ping "$A" "$IP_C"

# --- disconnect ------------------------------------------------------------

HIF_B=$(sl -j network inspect front | jq -r '.endpoints[] | select(.container == "bravo") | .host_ifname')
check "disconnect bravo from front" sl network disconnect front bravo
check "bravo's eth0 is gone, eth1 stays" eval 'no_link "$B" eth0 && has_link "$B" eth1'
check "bravo's front host veth ($HIF_B) is gone" no_link "$HOST_NS" "$HIF_B"
check "ping alpha -> bravo's old address fails" no_ping "$A" 10.11.0.20
check "ping bravo -> charlie still works" pings "$B" "$IP_C"
check "front lists alpha only" \
	eval 'sl -j network inspect front | jq -e "[.endpoints[].container] == [\"alpha\"]"'
check "disconnect delta from tiny" sl network disconnect tiny delta
check "network rm tiny (empty)" sl network rm tiny
check "network ls no longer lists tiny" eval '! sl -j network ls | jq -e ".[] | select(.name == \"tiny\")"'
J_F2=
check "a disconnected address is free again (foxtrot, --ifname front0)" \
	eval 'connect J_F2 front foxtrot --netns /run/netns/$F --ip 10.11.0.20 --ifname front0 &&
		[ "$(jf "$J_F2" .ifname)" = front0 ] && ns_addr_ok "$F" front0 10.11.0.20 24 &&
		ns_route_ok "$F" 10.11.0.0/24 10.11.0.1 front0 && pings "$F" "$IP_A"'

# --- a container that goes away --------------------------------------------

G=$T-golf H=$T-hotel
ns_new "$G" "$H"
J_G= J_H=
check "connect golf and hotel to front" \
	eval 'connect J_G front golf --netns /run/netns/$G && connect J_H front hotel --netns /run/netns/$H'
ip netns del "$G"
check "disconnect golf after its netns is gone" sl network disconnect front golf
check "golf's host veth is gone and front no longer lists it" \
	eval 'no_link "$HOST_NS" "$(jf "$J_G" .host_ifname)" &&
		sl -j network inspect front | jq -e "all(.endpoints[]; .container != \"golf\")"'
ip netns del "$H"
check "down, then up with hotel's netns gone, succeeds" eval 'sl down && sl up'
check "the other endpoints work after that up" pings "$F" "$IP_A"

# --- down --purge leaves nothing ------------------------------------------

check "down --purge" sl down --purge
check "after purge: no sl* veth in the host ns" no_sl_links
check "after purge: containers have only lo" \
	all_only_lo "$A" "$B" "$C" "$D" "$F" "$I1" "$I2" "$T-p1" "$T-p6"
check "after purge: no pins, state or run dir" \
	eval '! ls -d "${SL_DIRS[@]}" 2>/dev/null'

summary
