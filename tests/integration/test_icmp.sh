#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_icmp.sh - ICMP errors of published-port flows, translated the way
# netfilter's conntrack does for Docker's DNAT, in each uplink mode (--xdp
# off = tc only, native, generic):
#
#   cl 10.200.0.2 ── cl0 ═ rc0 10.200.0.1 ─ rt ─ rh0 10.201.0.1 ═ up0 10.201.0.2 ── host ns (sluice)
#       MTU 1500          MTU 1280                                                    └ icmpnet 10.79.0.0/24: web
#
# Outbound (icmp_out): the client sends from a connected UDP socket to a
# published port nobody listens on; web's kernel answers port unreachable
# about client -> web:PORT. Only if sluice rewrites it to come from (and quote)
# 10.201.0.2:PORT can the client's kernel match it to the socket, which then
# reports ECONNREFUSED; untranslated, the error is dropped on the way or
# matches no socket, and the client times out.
#
# Inbound (icmp_in): path MTU discovery through a published TCP port. The
# client's own link has MTU 1500, so it advertises MSS 1460 and web sends
# 1500-byte segments with DF; the router's link towards the client has MTU
# 1280 and answers them with frag-needed to 10.201.0.2. Only if sluice
# delivers that into web (outer destination and quoted source rewritten) does
# web's TCP lower its MSS; otherwise the transfer stalls (a PMTU black hole).
# The router forwards GRO/GSO packets as they come: the kernel checks each
# segment's length against the MTU and still sends frag-needed.
#
# Each mode uses its own host ports and starts with empty path-MTU caches, so
# no mode passes on what an earlier one learned.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root ethtool ss

HOST_NS=$T-host
CL=$T-cl RT=$T-rt WEB=$T-web
PROBE=$(dirname "$SLUICE")/tests/tools/sockprobe
BULK=262144 # bytes web's server sends per connection

if [ ! -x "$SLUICE" ] || [ ! -x "$PROBE" ]; then
	check "sluice and sockprobe are built ($SLUICE, $PROBE; make test builds both)" false
	summary
fi
if ! ns_new "$HOST_NS" "$CL" "$RT" "$WEB"; then
	check "create the test namespaces" false
	summary
fi

# A routed hop between the client and the host, so that ICMP errors come from
# a third party (the router) and cross the uplink like any remote client's.
# XDP needs complete checksums and a veth peer offloads them: TX offload off
# on up0's peer (rh0), for the tc run too (identical runs).
topology() {
	ip -n "$CL" link add cl0 type veth peer name rc0 netns "$RT" &&
		ip -n "$RT" link add rh0 type veth peer name up0 netns "$HOST_NS" &&
		ip -n "$CL" addr add 10.200.0.2/24 dev cl0 &&
		ip -n "$CL" link set cl0 up &&
		ip -n "$CL" route add default via 10.200.0.1 &&
		ip -n "$RT" addr add 10.200.0.1/24 dev rc0 &&
		ip -n "$RT" link set rc0 mtu 1280 up &&
		ip -n "$RT" addr add 10.201.0.1/24 dev rh0 &&
		ip -n "$RT" link set rh0 up &&
		ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1 &&
		ip netns exec "$RT" ethtool -K rh0 tx off >/dev/null &&
		ip -n "$HOST_NS" addr add 10.201.0.2/24 dev up0 &&
		ip -n "$HOST_NS" link set up0 up &&
		ip -n "$HOST_NS" route add 10.200.0.0/24 via 10.201.0.1 &&
		# The kernel's own black-hole probing would rescue a stalled
		# transfer without any ICMP; it is off by default, keep it so.
		ip netns exec "$WEB" sysctl -qw net.ipv4.tcp_mtu_probing=0
}
if ! topology; then
	check "build the client, router and host namespaces" false
	summary
fi

# --- helpers --------------------------------------------------------------

rises() { # rises NAME BEFORE
	local now
	now=$(counter "$1") || return 1
	echo "$1: $2 -> $now"
	[ "$now" -gt "$2" ]
}

listening() { ip netns exec "$1" ss -Hln "$2" "sport = :$3" | grep -q .; }

# refused PORT: the client's connected UDP socket to 10.201.0.2:PORT reports
# ECONNREFUSED (a timeout means the port unreachable never matched it).
refused() {
	local out
	out=$(ip netns exec "$CL" timeout 10 "$PROBE" udpconn 10.201.0.2 "$1" "icmp$RANDOM")
	echo "client: $out"
	[ "$out" = "error ECONNREFUSED" ]
}

# transfer PORT: every byte of web's bulk answer via 10.201.0.2:PORT arrives
# within 10 s (a PMTU black hole stalls it after the first window).
transfer() {
	local out
	out=$(ip netns exec "$CL" timeout 15 "$PROBE" bulkget 10.201.0.2 "$1" 10)
	echo "client: $(tr '\n' ' ' <<<"$out")(want bytes $BULK eof)"
	[ "$out" = "$(printf 'bytes %s\neof' "$BULK")" ]
}

# web_pmtu MTU: web's route to the client carries the path MTU it learned.
web_pmtu() {
	local out
	out=$(ip -n "$WEB" route get 10.200.0.2)
	echo "$out"
	grep -qw "mtu $1" <<<"$out"
}

# Path-MTU state lives in each namespace's route exceptions: flush them all.
flush_pmtu() {
	local ns
	for ns in "$WEB" "$HOST_NS" "$RT" "$CL"; do
		ip -n "$ns" route flush cache || return 1
	done
	! web_pmtu 1280
}

stats_line() { # stats_line NAME: `sluice stats` has "NAME PACKETS BYTES", PACKETS > 0
	local line
	line=$(sl stats | grep -E "^$1 ")
	echo "${line:-sluice stats has no line $1}"
	grep -qE "^$1 +[1-9][0-9]* +[1-9][0-9]*\$" <<<"$line"
}

# --- bring-up -------------------------------------------------------------

check "up --uplink up0 --xdp off" sl up --no-dns --uplink up0 --xdp off || summary
check "network create icmpnet 10.79.0.0/24, connect web" \
	eval 'sl network create icmpnet --subnet 10.79.0.0/24 >/dev/null &&
		sl network connect icmpnet web --netns /run/netns/$WEB >/dev/null'
bg ip netns exec "$WEB" "$PROBE" bulkserve 80 "$BULK"
check "web's bulk server listens on 80/tcp" wait_for 5 listening "$WEB" -t 80

# --- each mode --------------------------------------------------------------

# mode MODE UDP_PORT TCP_PORT: UDP_PORT/udp is published to the same port in
# web, where nothing listens; TCP_PORT to web's bulk server on 80.
mode() {
	local m=$1 u=$2 t=$3 out0 in0
	check "[$m] up --uplink up0 --xdp $m" sl up --no-dns --uplink up0 --xdp "$m"
	check "[$m] no path MTU cached anywhere (web's route to the client has none)" flush_pmtu
	check "[$m] publish web $u:$u/udp $t:80" sl port publish web "$u:$u/udp" "$t:80"
	out0=$(counter icmp_out)
	check "[$m] UDP to 10.201.0.2:$u (closed in web): the client's connected socket gets ECONNREFUSED" \
		refused "$u"
	check "[$m] icmp_out rises" rises icmp_out "${out0:-0}"
	in0=$(counter icmp_in)
	check "[$m] TCP via 10.201.0.2:$t over the 1280-byte hop: all $BULK bytes within 10 s" \
		transfer "$t"
	check "[$m] web learned path MTU 1280 towards the client (frag-needed delivered)" web_pmtu 1280
	check "[$m] icmp_in rises" rises icmp_in "${in0:-0}"
	check "[$m] unpublish web" sl port unpublish web
}

mode off 5301 8001
mode native 5302 8002
mode generic 5303 8003

check "stats names icmp_in with its packets and bytes" stats_line icmp_in
check "stats names icmp_out with its packets and bytes" stats_line icmp_out
check "stats --json has counters.icmp_in and counters.icmp_out" \
	eval 'sl -j stats | jq -e ".counters.icmp_in.packets > 0 and .counters.icmp_out.packets > 0"'

summary
