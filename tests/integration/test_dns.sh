#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_dns.sh - sluice-dnsd end to end with real clients (dig, and the C
# library's resolver through getent) inside the containers' namespaces:
#
#   host ns (sluice + sluice-dnsd) ── up<pid> ── upstream ns: dns_stub 10.98.0.2:53
#     front 10.21.0.0/24: alpha (alias web), bravo (alias web), delta
#     back  10.22.0.0/24: charlie (alias web), delta (eth1)
#
# Checks: same-network names, aliases in rotating order, NXDOMAIN for names
# of other networks, PTR, NODATA, TCP, the resolver via resolv.conf, forwarding
# to the stub upstream (always --upstream inside the test's namespaces, never
# the machine's resolver), TCP fallback on a large answer, EDNS size, live
# connect/disconnect seen within 100 ms, restart, SIGHUP, malformed input,
# upstream down -> SERVFAIL in bounded time, per-container rate limit, no
# socket outside the containers, the pidfile and -n.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root dig getent unshare

BUILD=$(dirname "$SLUICE")
DNSD=$BUILD/sluice-dnsd
STUB=$BUILD/tests/dnsd/dns_stub
HOST_NS=$T-host
A=$T-alpha B=$T-bravo C=$T-charlie D=$T-delta E=$T-echo U=$T-up
UPL=up$$
PIDFILE=/run/sluice/$SL_INST/dnsd.pid

for f in "$SLUICE" "$DNSD" "$STUB"; do
	if [ ! -x "$f" ]; then
		check "built: $f" false
		summary
	fi
done
if ! ns_new "$HOST_NS" "$A" "$B" "$C" "$D" "$E" "$U"; then
	check "create the test namespaces" false
	summary
fi

# The upstream: a stub resolver in a namespace of its own, reached over a veth.
ip -n "$HOST_NS" link add "$UPL" type veth peer name eth0 netns "$U"
ip -n "$HOST_NS" addr add 10.98.0.1/24 dev "$UPL"
ip -n "$HOST_NS" link set "$UPL" up
ip -n "$U" addr add 10.98.0.2/24 dev eth0
ip -n "$U" link set eth0 up
tmp_file
STUB_LOG=$TMP
bg ip netns exec "$U" "$STUB" 10.98.0.2 53 >"$STUB_LOG" 2>&1
STUB_PID=$BG_PID

# --- helpers --------------------------------------------------------------

# q NS ARGS...: dig inside a container, short timeouts.
q() {
	local ns=$1
	shift
	ip netns exec "$ns" dig +time=2 +tries=1 @127.0.0.11 "$@"
}
short() { q "$@" +short | sort; }
status_is() { # status_is STATUS NS ARGS...
	local want=$1 out
	shift
	out=$(q "$@") || true
	echo "$out"
	grep -q "status: $want," <<<"$out"
}
ms() { date +%s%3N; }

dnsd_pid() { cat "$PIDFILE" 2>/dev/null; }
dnsd_start() { # dnsd_start ARGS...: daemonize; exit 0 means it serves
	local pid
	timeout 20 nsenter --net="/run/netns/$HOST_NS" -- "$DNSD" "$@" || return 1
	pid=$(dnsd_pid) || return 1
	_pids+=("$pid")
	kill -0 "$pid"
}
dnsd_stop() {
	local pid
	pid=$(dnsd_pid) || return 0
	kill -TERM "$pid" 2>/dev/null
	timeout 5 tail --pid="$pid" -f /dev/null
	[ ! -e "$PIDFILE" ]
}

# getent through the C library resolver, with a resolv.conf naming 127.0.0.11
# bind-mounted in a private mount namespace of this command only.
tmp_file
RESOLV=$TMP
printf 'nameserver 127.0.0.11\noptions timeout:2 attempts:1\n' >"$RESOLV"
getent_in() { # getent_in NS NAME
	nsenter --net="/run/netns/$1" -- unshare -m sh -c \
		"mount --bind '$RESOLV' /etc/resolv.conf && getent hosts '$2'"
}

ip_of() { # ip_of NETWORK CONTAINER
	awk -v n="$1" -v c="$2" '$1 == "endpoint" && $2 == n && $3 == c {
		for (i = 4; i <= NF; i++) if ($i ~ /^ip=/) { sub(/^ip=/, "", $i); print $i } }' "$SL_STATE"
}

# --- topology ---------------------------------------------------------------

# `up` may start a dnsd of its own one day; this test runs its own, so ask
# for none when the CLI knows the option.
sl up --no-dns >/dev/null 2>&1 || check "up" sl up || summary
sl network create front --subnet 10.21.0.0/24 >/dev/null
sl network create back --subnet 10.22.0.0/24 >/dev/null
check "connect the containers" eval '
	sl network connect front alpha --netns /run/netns/$A --alias web &&
	sl network connect front bravo --netns /run/netns/$B --alias web &&
	sl network connect back charlie --netns /run/netns/$C --alias web &&
	sl network connect front delta --netns /run/netns/$D &&
	sl network connect back delta --netns /run/netns/$D --ifname eth1' || summary
IP_A=$(ip_of front alpha) IP_B=$(ip_of front bravo) IP_C=$(ip_of back charlie)
IP_DF=$(ip_of front delta) IP_DB=$(ip_of back delta)

check "-n checks the state and exits" eval \
	'nsenter --net=/run/netns/$HOST_NS -- "$DNSD" -n --upstream 10.98.0.2 | grep -q "5 endpoints"'
check_fails "usage error exits 2" eval \
	'"$DNSD" --bogus 2>/dev/null; [ $? -ne 2 ]'
check "dnsd starts as a daemon, writes its pidfile" dnsd_start --upstream 10.98.0.2 || summary
check_fails "a second dnsd for the instance refuses to start" \
	nsenter --net="/run/netns/$HOST_NS" -- "$DNSD" -d --upstream 10.98.0.2

# --- local names -------------------------------------------------------------

check "alpha resolves bravo (same network)" eval '[ "$(short $A bravo)" = "$IP_B" ]'
check "alpha resolves its own name (hostname)" eval '[ "$(short $A alpha)" = "$IP_A" ]'
check "names are case-insensitive" eval '[ "$(short $A BrAvO)" = "$IP_B" ]'
check "NAME.NETWORK resolves" eval '[ "$(short $A bravo.front)" = "$IP_B" ]'
check "alpha gets NXDOMAIN for charlie (other network)" status_is NXDOMAIN "$A" charlie
check "bravo gets NXDOMAIN for charlie too" status_is NXDOMAIN "$B" charlie
check "delta (both networks) resolves charlie and alpha" eval \
	'[ "$(short $D charlie)" = "$IP_C" ] && [ "$(short $D alpha)" = "$IP_A" ]'
check "charlie sees delta's back address only" eval '[ "$(short $C delta)" = "$IP_DB" ]'
check "alias web from alpha: alpha and bravo, never charlie" eval \
	'[ "$(short $A web | tr "\n" " ")" = "$(printf "%s\n" $IP_A $IP_B | sort | tr "\n" " ")" ]'
check "alias web from delta: all three" eval \
	'[ "$(short $D web | wc -l)" = 3 ]'
rr_firsts() {
	local i
	for i in 1 2 3 4; do
		q "$A" web +short | head -n 1
	done | sort -u | wc -l
}
check "alias web rotates (round-robin first address)" eval '[ "$(rr_firsts)" = 2 ]'
check "AAAA for a known name is NODATA" eval \
	'status_is NOERROR $A bravo AAAA && q $A bravo AAAA | grep -q "ANSWER: 0"'
check "unknown single-label name: NXDOMAIN" status_is NXDOMAIN "$A" nosuch
check "PTR of bravo from alpha" eval \
	'[ "$(short $A -x $IP_B)" = "bravo.front." ]'
check "PTR of delta's back address from charlie" eval \
	'[ "$(short $C -x $IP_DB)" = "delta.back." ]'
check "PTR of a free front address: NXDOMAIN" status_is NXDOMAIN "$A" -x 10.21.0.200
check "TTL is 5 s" eval 'q $A bravo +noall +answer | awk "{print \$2}" | grep -qx 5'
check "over TCP" eval '[ "$(short $A bravo +tcp)" = "$IP_B" ]'
check "C library resolver (getent hosts) finds bravo" eval \
	'getent_in $A bravo | grep -q "^$IP_B "'
check_fails "C library resolver does not find charlie from alpha" getent_in "$A" charlie

# --- not an open resolver -------------------------------------------------------

check_fails "nothing answers 127.0.0.11 in the host namespace" \
	ip netns exec "$HOST_NS" dig +time=1 +tries=1 @127.0.0.11 bravo
check "no DNS socket in the host namespace" eval \
	'! ip netns exec $HOST_NS ss -Hlun | grep -q ":53 " && ! ip netns exec $HOST_NS ss -Hltn | grep -q ":53 "'
check_fails "echo (not connected) gets no answer" \
	ip netns exec "$E" dig +time=1 +tries=1 @127.0.0.11 bravo

# --- port 53 stays the container's -----------------------------------------------
# sluice-dnsd listens on 127.0.0.11:53053 and sl_dns_lo on each container's lo
# maps 53 to it, so a container can run a DNS server of its own on port 53.

dns_lo() { tc -n "$1" filter show dev lo ingress 2>/dev/null | grep -q sl_dns_lo; }
check "sl_dns_lo sits on the lo of connected containers (alpha, delta)" eval 'dns_lo $A && dns_lo $D'
check_fails "and not on echo's (not connected)" dns_lo "$E"
bg ip netns exec "$C" "$STUB" 0.0.0.0 53 >/dev/null 2>&1
OWN_PID=$BG_PID
check "charlie runs its own DNS server on 0.0.0.0:53, UDP and TCP" eval \
	'wait_for 5 eval "ip netns exec $C ss -Hlun | grep -q \"0.0.0.0:53 \"" &&
	 ip netns exec $C ss -Hltn | grep -q "0.0.0.0:53 "'
check "charlie still gets sluice's names at 127.0.0.11:53, UDP and TCP" eval \
	'[ "$(short $C delta)" = "$IP_DB" ] && [ "$(short $C delta +tcp)" = "$IP_DB" ]'
check "charlie's own server answers on 127.0.0.1:53 and its address" eval \
	'[ "$(ip netns exec $C dig +time=2 +tries=1 +short @127.0.0.1 foo.example)" = 203.0.113.4 ] &&
	 [ "$(ip netns exec $C dig +time=2 +tries=1 +short @$IP_C foo.example +tcp)" = 203.0.113.4 ]'
kill "$OWN_PID" 2>/dev/null
timeout 5 tail --pid="$OWN_PID" -f /dev/null
check "delta leaves back: sl_dns_lo stays (front is in the same namespace)" eval \
	'sl network disconnect back delta >/dev/null && dns_lo $D && [ "$(short $D alpha)" = "$IP_A" ]'
check "delta joins back again" eval \
	'sl network connect back delta --netns /run/netns/$D --ifname eth1 >/dev/null && dns_lo $D'
IP_DB=$(ip_of back delta)

# --- forwarding -----------------------------------------------------------------

check "forwarded name resolves through the stub upstream" eval \
	'[ "$(short $A www.example)" = "203.0.113.4" ]'
check "forwarded NXDOMAIN" status_is NXDOMAIN "$A" nosuch.invalid
check "dotted name of another network is forwarded, not answered" eval \
	'status_is NXDOMAIN $A bravo.back && grep -q "^udp bravo.back.$" "$STUB_LOG"'
check "TCP fallback: big answer (100 records) arrives whole" eval \
	'q $A big.example | grep -q "ANSWER: 100" && grep -q "^tcp big.example.$" "$STUB_LOG"'
check "EDNS 4096 honoured: big answer over UDP without truncation" eval \
	'q $A big.example +bufsize=4096 +ignore | grep -q "ANSWER: 100" &&
	 ! q $A big.example +bufsize=4096 +ignore | grep -q "flags:.* tc"'
check "no EDNS: truncated at 512 bytes" eval \
	'q $A big.example +noedns +ignore | grep -qE "flags:.* tc"'

# --- robustness -------------------------------------------------------------

garbage() {
	local ns=$1
	shift
	printf "$@" | ip netns exec "$ns" timeout 2 nc -u -w1 127.0.0.11 53 >/dev/null 2>&1
	return 0
}
# A pointer loop, a label > 63, qdcount 0, a 3-byte packet, a response.
garbage "$A" '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01'
garbage "$A" '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x40aaaa\x00\x00\x01\x00\x01'
garbage "$A" '\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
garbage "$A" '\x12\x34\x01'
garbage "$A" '\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01'
check "malformed queries: FORMERR for a compression loop" eval \
	'printf "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01" |
	 ip netns exec $A timeout 3 nc -u -w1 127.0.0.11 53 | od -An -tx1 | tr -d " \n" | grep -q "^123481010000"'
check "still serving after malformed input" eval '[ "$(short $A bravo)" = "$IP_B" ]'

# regress_fwd_reply_closes_conn: a forwarded answer whose TCP client had gone
# closed the connection while relaying it, which freed the forward a second
# time. TCP clients that pipeline forwarded queries and vanish drive that path.
vanishing_tcp_clients() {
	ip netns exec "$A" bash -c '
		www="\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x00\x00\x01\x00\x01"
		big="\x00\x1d\x12\x35\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03big\x07example\x00\x00\x01\x00\x01"
		for i in $(seq 1 30); do
			exec 3<>/dev/tcp/127.0.0.11/53 || exit 1
			printf "$www$big$www$big" >&3
			exec 3>&-
		done'
	sleep 0.5
}
check "regress_fwd_reply_closes_conn: TCP clients vanishing mid-forward" eval \
	'vanishing_tcp_clients && kill -0 $(dnsd_pid) && [ "$(short $A bravo)" = "$IP_B" ]'

# --- live updates -------------------------------------------------------------

check "connect echo: visible to alpha within 100 ms" eval \
	'sl network connect front echo --netns /run/netns/$E --alias web >/dev/null &&
	 sleep 0.1 && [ "$(short $A echo)" = "$(ip_of front echo)" ]'
check "echo can ask right away" eval \
	'sleep 0.1; [ "$(short $E alpha)" = "$IP_A" ]'
check "disconnect bravo: gone for alpha within 100 ms" eval \
	'sl network disconnect front bravo >/dev/null && sleep 0.1 && status_is NXDOMAIN $A bravo'
check "alias web drops bravo's address" eval \
	'! short $A web | grep -qx "$IP_B"'
check "bravo (no network left) has no DNS socket any more" eval \
	'sleep 0.1; ! ip netns exec $B ss -Hlun | grep -q "127.0.0.11:53053 "'
check_fails "nor sl_dns_lo on its lo" dns_lo "$B"
check "reconnect bravo with another alias" eval \
	'sl network connect front bravo --netns /run/netns/$B --alias db >/dev/null && sleep 0.1 &&
	 [ "$(short $A db)" = "$(ip_of front bravo)" ]'
IP_B=$(ip_of front bravo)

check "SIGHUP reloads and keeps serving" eval \
	'kill -HUP $(dnsd_pid) && sleep 0.2 && [ "$(short $A bravo)" = "$IP_B" ]'
check "SIGTERM stops it and removes the pidfile" dnsd_stop
check_fails "stopped: no answer" q "$A" bravo
check "restart rebuilds from the state" eval \
	'dnsd_start --upstream 10.98.0.2 && [ "$(short $A bravo)" = "$IP_B" ] &&
	 [ "$(short $A echo)" = "$(ip_of front echo)" ] && status_is NXDOMAIN $A charlie'

# --- upstream failure -----------------------------------------------------------

servfail_fast() { # servfail_fast LIMIT_MS NAME
	local t0 t1 out
	t0=$(ms)
	out=$(q "$A" "$2" +time=5)
	t1=$(ms)
	echo "$out"
	echo "elapsed $((t1 - t0)) ms"
	grep -q "status: SERVFAIL," <<<"$out" && [ $((t1 - t0)) -lt "$1" ]
}
kill "$STUB_PID"
timeout 5 tail --pid="$STUB_PID" -f /dev/null
check "upstream down (port closed): SERVFAIL within 1 s" servfail_fast 1000 www.example
check "local names still answered with the upstream down" eval '[ "$(short $A alpha)" = "$IP_A" ]'
dnsd_stop
check "unreachable upstream: SERVFAIL within 3 s, never a hang" eval \
	'dnsd_start --upstream 10.98.0.99 && servfail_fast 3000 www.example'
dnsd_stop
bg ip netns exec "$U" "$STUB" 10.98.0.2 53 >"$STUB_LOG" 2>&1
sleep 0.3
check "rate limit: forwarded queries beyond the rate are REFUSED, local ones not" eval '
	dnsd_start --upstream 10.98.0.2 --forward-rate 2 &&
	for i in $(seq 1 12); do echo "www.example"; done >"$RESOLV.batch" &&
	q $A -f "$RESOLV.batch" +time=2 | grep -c "status: REFUSED" | grep -qv "^0$" &&
	[ "$(short $A alpha)" = "$IP_A" ]'
rm -f "$RESOLV.batch"
check "--no-upstream: other names get REFUSED" eval \
	'dnsd_stop && dnsd_start --no-upstream && status_is REFUSED $A www.example &&
	 [ "$(short $A bravo)" = "$IP_B" ]'

check "foreground -d logs to stderr and exits on SIGTERM" eval '
	dnsd_stop &&
	{ nsenter --net=/run/netns/$HOST_NS -- "$DNSD" -d -v --no-upstream 2>"$RESOLV.log" & } &&
	sleep 0.5 && grep -q "serving instance" "$RESOLV.log" &&
	kill -TERM $(dnsd_pid) && sleep 0.3 && [ ! -e "$PIDFILE" ] &&
	grep -q "stopping" "$RESOLV.log"'
rm -f "$RESOLV.log"

check "down takes sl_dns_lo off every container's lo" eval \
	'sl down >/dev/null && ! dns_lo $A && ! dns_lo $B && ! dns_lo $D'
check "up puts it back, and names resolve again" eval \
	'sl up --no-dns >/dev/null && dns_lo $A && dns_lo $D && dnsd_start --no-upstream &&
	 [ "$(short $A bravo)" = "$(ip_of front bravo)" ]'
dnsd_stop

summary
