#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_ports.sh - published ports end to end through the sluice CLI: the uplink
# datapath in each XDP mode (off = tc only, native, generic), socket-level
# local clients, hairpin, and the refusals of bad or conflicting specs.
#
#   cl  10.200.0.2 ── cl0 ═ up0 10.200.0.1 ─┐
#                                           ├─ host ns (sluice) ── front 10.77.0.0/24: web, app
#   cl2 10.200.1.2 ── cl0 ═ up1 10.200.1.1 ─┘                   └─ back  10.78.0.0/24: db
#
# Every `up` passes --no-dns: web serves UDP on port 53, which sluice-dnsd
# would hold on 127.0.0.11 inside the container (see dnsd's man page).
#
# The published-port suite runs three times (--xdp off, native, generic):
# TCP, UDP, a 100-port range, a random host port, a host-IP binding, --allow,
# the client's real source address seen by the server, unpublish flushing
# its flows, no firewall rule and no proxy process, bind() refused on a
# published port; bad specs are refused once. Then a TCP stream survives live
# XDP mode switches, and (tc mode) local clients at the socket (127.0.0.1, a
# host address, IPv4-mapped IPv6; getpeername/recvfrom show the published
# address), hairpin, `down; up` keeping the mappings, and `up --ct-max` (the
# conntrack table's size: refused values, a custom size, a live instance).
#
# The servers are tests/tools/sockprobe: "serve" answers each line with
# "NAME SRC:PORT LINE" (SRC = the peer the container sees), the client prints
# "reply ..." and "peer ADDR PORT" (getpeername or recvfrom).
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root ethtool nft iptables-save ss bpftool

HOST_NS=$T-host
CL=$T-cl CL2=$T-cl2 WEB=$T-web APP=$T-app DB=$T-db
PROBE=$(dirname "$SLUICE")/tests/tools/sockprobe
PIN=/sys/fs/bpf/sluice/$SL_INST

if [ ! -x "$SLUICE" ] || [ ! -x "$PROBE" ]; then
	check "sluice and sockprobe are built ($SLUICE, $PROBE; make test builds both)" false
	summary
fi
if ! ns_new "$HOST_NS" "$CL" "$CL2" "$WEB" "$APP" "$DB"; then
	check "create the test namespaces" false
	summary
fi

# Two uplinks, each with a client namespace behind it. The clients route
# everything via their uplink, so each can reach both host addresses.
# XDP needs complete checksums and a veth peer offloads them: turn TX
# offload off on the client side, for the tc runs too (identical suites).
uplink() { # UPLINK HOST_IP CLIENT_NS CLIENT_IP
	ip -n "$HOST_NS" link add "$1" type veth peer name cl0 netns "$3" &&
		ip -n "$HOST_NS" addr add "$2/24" dev "$1" &&
		ip -n "$HOST_NS" link set "$1" up &&
		ip -n "$3" addr add "$4/24" dev cl0 &&
		ip -n "$3" link set cl0 up &&
		ip -n "$3" route add default via "$2" &&
		ip netns exec "$3" ethtool -K cl0 tx off >/dev/null
}
if ! uplink up0 10.200.0.1 "$CL" 10.200.0.2 || ! uplink up1 10.200.1.1 "$CL2" 10.200.1.2; then
	check "build the uplinks and client namespaces" false
	summary
fi

# --- helpers --------------------------------------------------------------

# run_in WHERE CMD...: cl, cl2, web, app, db = that namespace; host = the host
# ns outside the test cgroup; cg = the host ns inside $SLUICE_CGROUP (where
# the socket-level hooks apply).
run_in() {
	local where=$1
	shift
	case $where in
	host) nsenter --net="/run/netns/$HOST_NS" -- "$@" ;;
	cg) sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$SLUICE_CGROUP" \
		nsenter --net="/run/netns/$HOST_NS" -- "$@" ;;
	*) ip netns exec "$T-$where" "$@" ;;
	esac
}

# reach WHERE ADDR PORT PROTO NAME [SRC] [PEER]: a reply from server NAME, which
# saw source address SRC (any when empty), and getpeername()/recvfrom() name
# PEER ("ADDR PORT" by default).
reach() {
	local out msg=m$RANDOM src=${6:-} peer=${7:-"$2 $3"}
	out=$(run_in "$1" timeout 12 "$PROBE" "$2" "$3" "$4" "$msg" 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" = 0 ] || return 1
	if [ -n "$src" ]; then
		grep -qE "^reply $5 ${src//./\\.}:[0-9]+ $msg\$" <<<"$out" || {
			echo "expected: reply $5 $src:PORT $msg"
			return 1
		}
	else
		grep -qE "^reply $5 [0-9.]+:[0-9]+ $msg\$" <<<"$out" || {
			echo "expected: reply $5 ADDR:PORT $msg"
			return 1
		}
	fi
	grep -qxF "peer $peer" <<<"$out" || {
		echo "expected: peer $peer"
		return 1
	}
}

# bind_says WHERE ADDR PORT PROTO WORD: sockprobe bind prints WORD (bound, error EPERM).
bind_says() {
	local out
	out=$(run_in "$1" "$PROBE" bind "$2" "$3" "$4")
	echo "$out"
	[ "$out" = "$5" ]
}

rises() { # rises NAME BEFORE
	local now
	now=$(counter "$1") || return 1
	echo "$1: $2 -> $now"
	[ "$now" -gt "$2" ]
}

listening() { run_in "$1" ss -Hln "$2" "sport = :$3" | grep -q .; }

port_id() { # port_id HOST_PORT PROTO [HOST_IP]: the mapping's id from -j port ls
	sl -j port ls | jq -e --argjson p "$1" --arg proto "$2" --arg ip "${3:-0.0.0.0}" \
		'[.[] | select(.host_port == $p and .proto == $proto and .host_ip == $ip) | .id] | first'
}

ct_of() { # ct_of ID: conntrack entries (both directions) of mapping ID, from the pinned map
	bpftool -j map dump pinned "$PIN/sl_ct" |
		jq --argjson id "$1" '[.[] | select(.formatted.value.svc_id == $id)] | length'
}

ct_some() { [ "$(ct_of "$1")" -gt 0 ]; }
ct_none() {
	local n
	n=$(ct_of "$1") || return 1
	echo "entries of mapping $1: $n"
	[ "$n" = 0 ]
}

# Every process in the host ns is one this test started (descends from this
# shell): no docker-proxy, no sluice process serving the ports. sluice-dnsd
# (name resolution, not ports) would be allowed.
only_our_processes() {
	local ino p q comm bad=0
	ino=$(stat -L -c %i "/run/netns/$HOST_NS") || return 1
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$ino" ] || continue
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		[ "$comm" = sluice-dnsd ] && continue
		q=$p
		while [ -n "$q" ] && [ "$q" -gt 1 ] && [ "$q" != $$ ]; do
			q=$(awk '{print $4}' "/proc/$q/stat" 2>/dev/null)
		done
		if [ "$q" != $$ ]; then
			echo "pid $p ($comm) in the host ns is not ours: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
			bad=1
		fi
	done
	[ "$bad" = 0 ]
}

no_firewall() {
	local nft ipt
	nft=$(run_in host nft list ruleset) || return 1
	ipt=$(run_in host iptables-save 2>/dev/null | grep -E '^-A')
	echo "nft: $nft"
	echo "iptables: $ipt"
	[ -z "$nft" ] && [ -z "$ipt" ]
}

no_listener() { # no socket in the host ns holds PORT (tcp and udp)
	! run_in host ss -Hlntu "sport = :$1" | grep .
}

status_mode() { # status_mode MODE: -j status names MODE for the instance and both uplinks
	sl -j status | jq -e --arg m "$1" '.xdp == $m and
		([.uplinks[] | select(.present and .attach == $m) | .name] | sort == ["up0", "up1"])'
}

# The kernel's own view (ip link), independent of sluice: XDP mode per uplink
# (iproute2 reports 1 = driver/native, 2 = skb/generic; none when off).
ip_link_mode() { # ip_link_mode MODE
	local want u got
	case $1 in native) want=1 ;; generic) want=2 ;; *) want=none ;; esac
	for u in up0 up1; do
		got=$(ip -n "$HOST_NS" -j link show dev "$u" | jq -r '.[0].xdp.mode // "none"')
		echo "$u: xdp mode $got (want $want)"
		[ "$got" = "$want" ] || return 1
	done
}

status_cgroup() {
	local cg
	cg=$(sl -j status | jq -r .cgroup) || return 1
	echo "status .cgroup: $cg (expected $SLUICE_CGROUP)"
	[ "$cg" = "$SLUICE_CGROUP" ]
}

# A regular expression matching the string literally.
re_quote() { printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g'; }

ports_now() { sl -j port ls | jq -c 'map(del(.packets, .bytes, .flows))'; }

# --- bring-up -------------------------------------------------------------

check "up --uplink up0 --uplink up1 --xdp off" sl up --no-dns --uplink up0 --uplink up1 --xdp off || summary
check "network create front 10.77.0.0/24 and back 10.78.0.0/24" \
	eval 'sl network create front --subnet 10.77.0.0/24 && sl network create back --subnet 10.78.0.0/24'
J_WEB= J_APP= J_DB=
check "connect web and app to front, db to back" \
	eval 'J_WEB=$(sl -j network connect front web --netns /run/netns/$WEB) &&
		J_APP=$(sl -j network connect front app --netns /run/netns/$APP) &&
		J_DB=$(sl -j network connect back db --netns /run/netns/$DB)'
IP_WEB=$(jq -r .ip <<<"$J_WEB" 2>/dev/null)
IP_APP=$(jq -r .ip <<<"$J_APP" 2>/dev/null)

# The servers: web answers TCP on 80 and on a few ports of the range, UDP on
# 53; db answers TCP on 5432.
RANGE_CHECK=(9000 9033 9066 9099)
bg ip netns exec "$WEB" "$PROBE" serve tcp web 80 "${RANGE_CHECK[@]}"
bg ip netns exec "$WEB" "$PROBE" serve udp web 53
bg ip netns exec "$DB" "$PROBE" serve tcp db 5432
check "servers listen in web and db" \
	eval 'wait_for 5 listening web -t 80 && wait_for 5 listening web -u 53 && wait_for 5 listening db -t 5432'

read -r PORT_LO PORT_HI < <(run_in host cat /proc/sys/net/ipv4/ip_local_port_range)

# --- bad input (once): refused with one line, exit 1 or 2, nothing changed --

bad_input() {
	local s before holder
	before=$(ports_now)
	for s in '80:' ':80' '70000:80' '8080-8081:80' '0:80' 'abc' '1.2.3:80:80' '[::1:80:80' '80/sctp'; do
		check_rejects "malformed spec '$s': exit 2" "2" "port spec \"$(re_quote "$s")\"" \
			sl port publish web "$s"
	done
	check_rejects "unknown container: exit 1" "1" "ghost$$" sl port publish "ghost$$" 8085:80
	check_rejects "overlaps 8080 (held by web): exit 1, names the holder" "1" "'web'" \
		sl port publish app 8080:80
	check_rejects "range overlapping 9000-9099 (held by web): exit 1, names the holder" "1" "'web'" \
		sl port publish app 9090-9110:9090-9110
	check_rejects "10.200.0.1:8080 overlaps 0.0.0.0:8080: exit 1, names the holder" "1" "'web'" \
		sl port publish app 10.200.0.1:8080:80
	check_rejects "host address the host lacks (10.9.9.9:8080:80): exit 1" "1" "10\.9\.9\.9" \
		sl port publish web 10.9.9.9:8080:80
	check_rejects "bad --allow 10.200.1.0/33: exit 2" "2" "10\.200\.1\.0/33" \
		sl port publish web 8086:80 --allow 10.200.1.0/33
	check_rejects "bad --allow bogus: exit 2" "2" "bogus" sl port publish web 8086:80 --allow bogus

	# A local server (outside the test cgroup, so not subject to the bind hook)
	# holds 6060: publishing it must fail and name the process.
	bg nsenter --net="/run/netns/$HOST_NS" nc -l 6060
	holder=$BG_PID
	if wait_for 5 listening host -t 6060; then
		check_rejects "6060 held by a local nc: exit 1, names pid $holder (nc)" "1" \
			"pid $holder \(nc\)" sl port publish web 6060:80
	else
		check "a local nc listens on 6060" false
	fi
	kill "$holder" 2>/dev/null
	check "port ls unchanged by the refused commands" eval '[ "$(ports_now)" = "$before" ]'
}

# --- the published-port suite, once per XDP mode ----------------------------

suite() {
	local m=$1 new0 fwd0 rep0 deny0 flushed0 bind0 rnd id8080 out
	check "[$m] up --uplink up0 --uplink up1 --xdp $m" sl up --no-dns --uplink up0 --uplink up1 --xdp "$m"
	check "[$m] status: xdp $m, attached $m on up0 and up1" status_mode "$m"
	check "[$m] ip link agrees: XDP $m on up0 and up1" ip_link_mode "$m"
	check "[$m] status: the socket hooks' cgroup is still recorded" status_cgroup
	new0=$(counter nat_new) fwd0=$(counter nat_fwd) rep0=$(counter nat_reply)
	deny0=$(counter drop_not_allowed) flushed0=$(counter ct_flushed) bind0=$(counter bind_denied)

	check "[$m] publish web 8080:80 5353:53/udp" sl port publish web 8080:80 5353:53/udp
	check "[$m] publish web 9000-9099:9000-9099" sl port publish web 9000-9099:9000-9099
	out=$(sl -j port publish web 80)
	rnd=$(jq -r '.[0].host_port' <<<"$out" 2>/dev/null)
	check "[$m] publish web 80: a random host port ($rnd) in $PORT_LO-$PORT_HI" \
		eval '[[ $rnd =~ ^[0-9]+$ ]] && [ "$rnd" -ge "$PORT_LO" ] && [ "$rnd" -le "$PORT_HI" ]'
	check "[$m] port ls shows the random port as 80/tcp -> 0.0.0.0:$rnd" \
		eval 'sl -j port ls web | jq -e --argjson p "${rnd:-0}" "any(.[]; .host_port == \$p and .container_port == 80 and .host_ip == \"0.0.0.0\" and .proto == \"tcp\")" &&
			sl port ls web | grep -qxF "80/tcp -> 0.0.0.0:$rnd"'
	check "[$m] publish web 10.200.1.1:7070:80" sl port publish web 10.200.1.1:7070:80
	check "[$m] publish web 7171:80 --allow 10.200.1.0/24" \
		sl port publish web 7171:80 --allow 10.200.1.0/24
	check "[$m] publish db 15432:5432 (a container on the other network)" sl port publish db 15432:5432
	check "[$m] port ls: 106 mappings; the range maps one to one" \
		eval 'sl -j port ls | jq -e "length == 106 and
			([.[] | select(.host_port >= 9000 and .host_port <= 9099 and .proto == \"tcp\" and .container_port == .host_port)] | length == 100)"'

	check "[$m] TCP cl -> 10.200.0.1:8080: web answers, sees the client 10.200.0.2" \
		reach cl 10.200.0.1 8080 tcp web 10.200.0.2
	check "[$m] TCP cl2 -> 10.200.1.1:8080 (every host address): web sees 10.200.1.2" \
		reach cl2 10.200.1.1 8080 tcp web 10.200.1.2
	check "[$m] UDP cl -> 10.200.0.1:5353: web answers, sees 10.200.0.2" \
		reach cl 10.200.0.1 5353 udp web 10.200.0.2
	for p in "${RANGE_CHECK[@]}"; do
		check "[$m] range: TCP cl -> 10.200.0.1:$p" reach cl 10.200.0.1 "$p" tcp web 10.200.0.2
	done
	check_fails "[$m] range: 8999 (below) is not published" reach cl 10.200.0.1 8999 tcp web
	check_fails "[$m] range: 9100 (above) is not published" reach cl 10.200.0.1 9100 tcp web
	check "[$m] random port: TCP cl -> 10.200.0.1:$rnd" reach cl 10.200.0.1 "${rnd:-0}" tcp web 10.200.0.2
	check "[$m] host IP: cl2 -> 10.200.1.1:7070 reaches web" reach cl2 10.200.1.1 7070 tcp web 10.200.1.2
	check_fails "[$m] host IP: cl -> 10.200.0.1:7070 does not" reach cl 10.200.0.1 7070 tcp web
	check_fails "[$m] host IP: cl2 -> 10.200.0.1:7070 does not" reach cl2 10.200.0.1 7070 tcp web
	check "[$m] --allow: cl2 (10.200.1.2) -> 10.200.1.1:7171 allowed" \
		reach cl2 10.200.1.1 7171 tcp web 10.200.1.2
	check_fails "[$m] --allow: cl (10.200.0.2) -> 10.200.0.1:7171 refused" reach cl 10.200.0.1 7171 tcp web
	check "[$m] --allow: drop_not_allowed rises" rises drop_not_allowed "$deny0"
	check "[$m] other network: TCP cl -> 10.200.0.1:15432 reaches db, sees 10.200.0.2" \
		reach cl 10.200.0.1 15432 tcp db 10.200.0.2

	check "[$m] nat_new rises" rises nat_new "$new0"
	check "[$m] nat_fwd rises" rises nat_fwd "$fwd0"
	check "[$m] nat_reply rises" rises nat_reply "$rep0"
	check "[$m] no nft or iptables rule in the host ns" no_firewall
	check "[$m] no socket in the host ns listens on 8080, 5353, 9000 or $rnd" \
		eval 'no_listener 8080 && no_listener 5353 && no_listener 9000 && no_listener "$rnd"'
	check "[$m] no process in the host ns but this test's (no proxy)" only_our_processes

	check "[$m] bind(0.0.0.0:8080/tcp) in the test cgroup: EPERM" bind_says cg 0.0.0.0 8080 tcp "error EPERM"
	check "[$m] bind(10.200.0.1:8080/tcp) in the test cgroup: EPERM" bind_says cg 10.200.0.1 8080 tcp "error EPERM"
	check "[$m] bind(0.0.0.0:5353/udp) in the test cgroup: EPERM" bind_says cg 0.0.0.0 5353 udp "error EPERM"
	check "[$m] bind_denied rises" rises bind_denied "$bind0"

	[ "$m" = off ] && bad_input

	id8080=$(port_id 8080 tcp)
	check "[$m] conntrack holds flows of 8080 (mapping $id8080)" ct_some "${id8080:-0}"
	check "[$m] unpublish web 8080:80" sl port unpublish web 8080:80
	check "[$m] after unpublish: no conntrack entry of mapping $id8080" ct_none "${id8080:-0}"
	check "[$m] ct_flushed rises" rises ct_flushed "$flushed0"
	check_fails "[$m] after unpublish: cl -> 10.200.0.1:8080 unreachable" reach cl 10.200.0.1 8080 tcp web
	check "[$m] after unpublish: the other mappings stay (5353/udp)" \
		reach cl 10.200.0.1 5353 udp web 10.200.0.2
	check "[$m] after unpublish: bind(0.0.0.0:8080/tcp) in the cgroup succeeds" \
		bind_says cg 0.0.0.0 8080 tcp bound
	check "[$m] unpublish web, unpublish db: port ls empty" \
		eval 'sl port unpublish web && sl port unpublish db && sl -j port ls | jq -e "length == 0"'
	check "[$m] stats: no conntrack entry left" eval 'sl -j stats | jq -e ".conntrack.entries == 0"'
	check_fails "[$m] after unpublish: cl -> 10.200.0.1:5353/udp unanswered" reach cl 10.200.0.1 5353 udp web
}

suite off
suite native
suite generic

# --- a TCP stream survives live XDP mode switches ---------------------------

stream() {
	local chunk sent recv stop rx sender fwd i ok=0
	tmp_file
	chunk=$TMP
	tmp_file
	sent=$TMP
	tmp_file
	recv=$TMP
	stop=/tmp/$T.stop
	_tmps+=("$stop")
	head -c 32768 /dev/urandom >"$chunk"
	check "stream: publish web 8090:90" sl port publish web 8090:90 || return
	bg ip netns exec "$WEB" timeout 60 nc -l 90 >"$recv" </dev/null
	rx=$BG_PID
	wait_for 5 listening web -t 90 || {
		check "stream: a server listens on web:90" false
		return
	}
	# 32 KiB every 50 ms until told to stop (at most 30 s), copied to $sent.
	bg ip netns exec "$CL" bash -c 'for ((i = 0; i < 600; i++)); do
			printf "chunk %06d " "$i"; cat "$1"; [ -e "$2" ] && break; sleep 0.05
		done | tee "$3" | timeout 60 nc -N -w 10 10.200.0.1 8090' _ "$chunk" "$stop" "$sent"
	sender=$BG_PID
	check "stream: bytes arrive in web" wait_for 5 test -s "$recv"
	for i in native off generic; do
		fwd=$(counter nat_fwd)
		check "stream: switch live to --xdp $i" sl up --no-dns --xdp "$i"
		check "stream: status shows $i on both uplinks" status_mode "$i"
		sleep 1
		check "stream: nat_fwd rises while in $i" rises nat_fwd "$fwd"
	done
	check "stream: still running after the last switch" kill -0 "$sender"
	touch "$stop"
	timeout 20 tail --pid="$sender" -f /dev/null
	timeout 20 tail --pid="$rx" -f /dev/null
	check "stream: completes with every byte ($(stat -c %s "$sent") sent, $(stat -c %s "$recv") received)" \
		eval '[ "$(stat -c %s "$sent")" -gt 1048576 ] && cmp "$sent" "$recv"'
	check "stream: unpublish web 8090:90" sl port unpublish web 8090:90
}
stream

# --- socket-level local clients (tc mode) ----------------------------------

check "up --xdp off" sl up --no-dns --xdp off
check "publish web 8080:80 5353:53/udp 127.0.0.1:8081:80 127.0.0.1:8081:53/udp" \
	sl port publish web 8080:80 5353:53/udp 127.0.0.1:8081:80 127.0.0.1:8081:53/udp
xl0=$(counter sock_xlate)
check "local TCP 127.0.0.1:8081 (in the cgroup): web answers, getpeername 127.0.0.1 8081" \
	reach cg 127.0.0.1 8081 tcp web
check "local UDP 127.0.0.1:8081 (in the cgroup): web answers, recvfrom 127.0.0.1 8081" \
	reach cg 127.0.0.1 8081 udp web
check "local TCP 10.200.0.1:8080 (host address): getpeername 10.200.0.1 8080" \
	reach cg 10.200.0.1 8080 tcp web
check "local UDP 10.200.0.1:5353 (host address): recvfrom 10.200.0.1 5353" \
	reach cg 10.200.0.1 5353 udp web
check "local TCP 127.0.0.1:8080 (0.0.0.0 mapping via loopback)" reach cg 127.0.0.1 8080 tcp web
check "local TCP [::ffff:127.0.0.1]:8081: getpeername ::ffff:127.0.0.1 8081" \
	reach cg ::ffff:127.0.0.1 8081 tcp web
check "local UDP [::ffff:127.0.0.1]:8081: recvfrom ::ffff:127.0.0.1 8081" \
	reach cg ::ffff:127.0.0.1 8081 udp web
check "sock_xlate rises" rises sock_xlate "$xl0"
check_fails "outside the cgroup: TCP 127.0.0.1:8081 is untouched (nothing listens)" \
	reach host 127.0.0.1 8081 tcp web
check_fails "outside the cgroup: UDP 127.0.0.1:8081 is untouched" reach host 127.0.0.1 8081 udp web
check_fails "127.0.0.1:8081 is not reachable from the client ns via 10.200.0.1:8081" \
	reach cl 10.200.0.1 8081 tcp web
check "bind(127.0.0.1:8081/tcp) in the cgroup: EPERM" bind_says cg 127.0.0.1 8081 tcp "error EPERM"
check "bind(127.0.0.1:8081/tcp) outside the cgroup: allowed" bind_says host 127.0.0.1 8081 tcp bound
# `up` without --cgroup keeps the recorded cgroup; without $SLUICE_CGROUP in
# the environment nothing else could restore it.
check "up twice without \$SLUICE_CGROUP: the recorded cgroup stays" \
	eval 'SLUICE_CGROUP= sl up --no-dns >/dev/null && SLUICE_CGROUP= sl up --no-dns >/dev/null && status_cgroup'
check "... and local TCP 127.0.0.1:8081 (in the cgroup) still reaches web" reach cg 127.0.0.1 8081 tcp web
check "up with \$SLUICE_CGROUP again" eval 'sl up --no-dns >/dev/null && status_cgroup'

# --- hairpin ----------------------------------------------------------------

check "hairpin: app -> 10.200.0.1:8080 reaches web, which sees app ($IP_APP)" \
	reach app 10.200.0.1 8080 tcp web "$IP_APP"
check "hairpin: UDP app -> 10.200.0.1:5353 reaches web" reach app 10.200.0.1 5353 udp web "$IP_APP"
check "hairpin: web -> 10.200.0.1:8080 reaches itself (source: the gateway 10.77.0.1)" \
	reach web 10.200.0.1 8080 tcp web 10.77.0.1
check "hairpin: UDP web -> 10.200.0.1:5353 reaches itself" reach web 10.200.0.1 5353 udp web 10.77.0.1

# --- down; up keeps the mappings -------------------------------------------

before=$(ports_now)
check "down" sl down
check_fails "after down: cl -> 10.200.0.1:8080 unreachable" reach cl 10.200.0.1 8080 tcp web
check "up" sl up --no-dns
check "after up: port ls unchanged" eval '[ "$(ports_now)" = "$before" ]'
check "after up: status xdp off on both uplinks" status_mode off
check "after up: TCP cl -> 10.200.0.1:8080 reaches web" reach cl 10.200.0.1 8080 tcp web 10.200.0.2
check "after up: UDP cl -> 10.200.0.1:5353 reaches web" reach cl 10.200.0.1 5353 udp web 10.200.0.2
check "after up: local TCP 127.0.0.1:8081 (in the cgroup)" reach cg 127.0.0.1 8081 tcp web
check "after up: hairpin app -> 10.200.0.1:8080" reach app 10.200.0.1 8080 tcp web "$IP_APP"

# --- up --ct-max: the conntrack table's size --------------------------------
# A bad size is refused before anything happens. A size is taken when the
# table is created (after down) and `stats` shows the live table's own size;
# a live instance keeps it: up with another size fails and changes nothing,
# up without --ct-max keeps it. It is not in the state: after down, the default.

ct_max_is() { # ct_max_is N: stats and the kernel agree on the table's size
	sl -j stats | jq -e ".conntrack.max == $1" &&
		bpftool -j map show pinned "$PIN/sl_ct" | jq -e ".max_entries == $1"
}
ct_entries() { sl -j stats | jq -e '.conntrack.entries'; }

for v in 1023 16777217 99999999999999999999 4k 0x1000 -4096 ''; do
	check_rejects "up --ct-max '$v': exit 2, names the option and its range" "2" \
		"invalid --ct-max '$(re_quote "$v")'.*1024 to 16777216" sl up --no-dns --ct-max "$v"
done
check "ct-max: the default table has 262144 entries" ct_max_is 262144
check "ct-max: down" sl down
check "ct-max: up --ct-max 4096" sl up --no-dns --ct-max 4096
check "ct-max: stats --json and bpftool show 4096 entries" ct_max_is 4096
check "ct-max: TCP cl -> 10.200.0.1:8080 through the 4096-entry table" \
	reach cl 10.200.0.1 8080 tcp web 10.200.0.2
check "ct-max: the flow's two entries are in the table" eval '[ "$(ct_entries)" -ge 2 ]'
check "ct-max: up --ct-max 4096 again (the same size) is fine" sl up --no-dns --ct-max 4096
ents=$(ct_entries)
check_rejects "ct-max: live instance, up --ct-max 8192: exit 1, says 4096 entries and 'sluice down'" \
	"1" "has 4096 entries.*sluice down" sl up --no-dns --ct-max 8192
check "ct-max: ... the table still has 4096 entries" ct_max_is 4096
check "ct-max: ... and its flows ($ents entries)" eval '[ "$(ct_entries)" = "$ents" ]'
check "ct-max: up without --ct-max keeps 4096" eval 'sl up --no-dns >/dev/null && ct_max_is 4096'
check "ct-max: ... and TCP cl -> 10.200.0.1:8080 still reaches web" \
	reach cl 10.200.0.1 8080 tcp web 10.200.0.2
check "ct-max: down; up: the default 262144 again" \
	eval 'sl down >/dev/null && sl up --no-dns >/dev/null && ct_max_is 262144'

summary
