#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_proxy.sh - sluice-proxy's contract with dockerd, without dockerd: the
# arguments, the exact bytes on the fd 3 status pipe, signals, conflicts,
# reaping of killed proxies, and that a mapping it installs is served by the
# datapath (remote clients through the uplink, local ones at the socket) to a
# container on a Linux bridge sluice does not manage, as Docker's docker0.
#
#   cl 10.200.0.2 ── cl0 ═ up0 10.200.0.1 ── host ns (sluice, ip_forward=1)
#                                             ├─ br0 10.88.0.1/24 ─ ct  10.88.0.2 (tcp 80, udp 53)
#                                             │                    └ ct2 10.88.0.3 (tcp 80)
#                                             └─ sluice network front 10.77.0.0/24: web (CLI mappings)
#
# Proxies run under tests/tools/fd3run, which gives them a pipe on fd 3 as
# dockerd does and keeps every byte written to it.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root ethtool ss bpftool

HOST_NS=$T-host
CL=$T-cl CT=$T-ct CT2=$T-ct2 WEB=$T-web
BUILD_DIR=$(dirname "$SLUICE")
PROBE=$BUILD_DIR/tests/tools/sockprobe
FD3RUN=$BUILD_DIR/tests/tools/fd3run
PROXY=$BUILD_DIR/sluice-proxy
PIN=/sys/fs/bpf/sluice/$SL_INST
REG=/run/sluice/$SL_INST/proxy
TMPD=$(mktemp -d "/tmp/$T.XXXXXX")
_tmps+=("$TMPD")

for f in "$SLUICE" "$PROXY" "$PROBE" "$FD3RUN"; do
	if [ ! -x "$f" ]; then
		check "$f is built (make test builds it)" false
		summary
	fi
done
if ! ns_new "$HOST_NS" "$CL" "$CT" "$CT2" "$WEB"; then
	check "create the test namespaces" false
	summary
fi

# The uplink with a client behind it (TX offload off: XDP needs full checksums).
# A "docker0": a plain Linux bridge with two containers, routed by the host stack.
topology() {
	ip -n "$HOST_NS" link add up0 type veth peer name cl0 netns "$CL" &&
		ip -n "$HOST_NS" addr add 10.200.0.1/24 dev up0 &&
		ip -n "$HOST_NS" link set up0 up &&
		ip -n "$CL" addr add 10.200.0.2/24 dev cl0 &&
		ip -n "$CL" link set cl0 up &&
		ip -n "$CL" route add default via 10.200.0.1 &&
		ip netns exec "$CL" ethtool -K cl0 tx off >/dev/null &&
		ip -n "$HOST_NS" link add br0 type bridge &&
		ip -n "$HOST_NS" addr add 10.88.0.1/24 dev br0 &&
		ip -n "$HOST_NS" link set br0 up &&
		ip netns exec "$HOST_NS" sysctl -qw net.ipv4.ip_forward=1 || return 1
	local ns ip i=0
	for ns in "$CT" "$CT2"; do
		i=$((i + 1))
		ip=10.88.0.$((i + 1))
		ip -n "$HOST_NS" link add "vct$i" type veth peer name eth0 netns "$ns" &&
			ip -n "$HOST_NS" link set "vct$i" master br0 &&
			ip -n "$HOST_NS" link set "vct$i" up &&
			ip -n "$ns" addr add "$ip/24" dev eth0 &&
			ip -n "$ns" link set eth0 up &&
			ip -n "$ns" route add default via 10.88.0.1 || return 1
	done
}
if ! topology; then
	check "build the uplink, the bridge and its containers" false
	summary
fi

# --- helpers (as in test_ports.sh) ----------------------------------------

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

# reach WHERE ADDR PORT PROTO NAME [SRC]: server NAME answers (and saw SRC).
reach() {
	local out msg=m$RANDOM src=${6:-}
	out=$(run_in "$1" timeout 12 "$PROBE" "$2" "$3" "$4" "$msg" 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" = 0 ] || return 1
	grep -qE "^reply $5 ${src:-[0-9.]+}:[0-9]+ $msg\$" <<<"$out" || {
		echo "expected: reply $5 ${src:-ADDR}:PORT $msg"
		return 1
	}
}

listening() { run_in "$1" ss -Hln "$2" "sport = :$3" | grep -q .; }

# The proxy mappings `port ls` reports, without counters.
proxies_now() {
	sl -j port ls | jq -c '[.[] | select(.container | startswith("(docker)")) | del(.packets, .bytes, .flows)]'
}

# What a refused proxy must leave alone: port ls, the registry, sl_svc.
installed() {
	sl -j port ls | jq -c 'map(del(.packets, .bytes, .flows))'
	ls -A "$REG" 2>/dev/null
	bpftool -j map dump pinned "$PIN/sl_svc" 2>/dev/null | jq -c 'sort_by(.key)'
}

# proxy_start NAME ARGS...: a proxy under fd3run in the host ns, in the
# background; waits for its status bytes. Sets P_PID (the proxy's pid).
proxy_start() {
	local name=$1
	shift
	rm -f "$TMPD/$name".*
	bg nsenter --net="/run/netns/$HOST_NS" -- "$FD3RUN" "$TMPD/$name.st" "$TMPD/$name.pid" \
		"$PROXY" "$@" >"$TMPD/$name.rc" 2>"$TMPD/$name.err"
	wait_for 20 test -e "$TMPD/$name.st" || return 1
	P_PID=$(cat "$TMPD/$name.pid")
	_pids+=("$P_PID")
}

# status_is NAME BYTES: fd 3 carried exactly BYTES (printf format).
status_is() {
	local want
	want=$(mktemp)
	printf "$2" >"$want"
	echo "fd 3 carried:"
	od -c "$TMPD/$1.st"
	echo "expected:"
	od -c "$want"
	cmp -s "$want" "$TMPD/$1.st"
	local rc=$?
	rm -f "$want"
	return $rc
}

# ended NAME WHAT: the proxy ended and fd3run reported WHAT ("exit 0", "signal 9").
ended() {
	wait_for 20 grep -q . "$TMPD/$1.rc" || {
		echo "still running"
		return 1
	}
	echo "ended with: $(cat "$TMPD/$1.rc"); stderr: $(cat "$TMPD/$1.err")"
	[ "$(cat "$TMPD/$1.rc")" = "$2" ]
}

# refused NAME MESSAGE ARGS...: the proxy exits 1 having written exactly
# "1\n" MESSAGE on fd 3, says MESSAGE on stderr, and installs nothing.
refused() {
	local name=$1 msg=$2 before after rc
	shift 2
	before=$(installed)
	rm -f "$TMPD/$name".*
	run_in host timeout 20 "$FD3RUN" "$TMPD/$name.st" "$TMPD/$name.pid" "$PROXY" "$@" \
		>"$TMPD/$name.rc" 2>"$TMPD/$name.err"
	rc=$?
	after=$(installed)
	echo "exit $rc, stderr: $(cat "$TMPD/$name.err")"
	[ "$rc" = 1 ] || return 1
	printf '1\n%s' "$msg" >"$TMPD/$name.want"
	cmp -s "$TMPD/$name.want" "$TMPD/$name.st" || {
		echo "fd 3 carried:"
		od -c "$TMPD/$name.st"
		echo "expected:"
		od -c "$TMPD/$name.want"
		return 1
	}
	grep -qxF "sluice-proxy: $msg" "$TMPD/$name.err" || {
		echo "stderr does not carry the message"
		return 1
	}
	[ "$before" = "$after" ] || {
		echo "something was installed:"
		diff <(echo "$before") <(echo "$after")
		return 1
	}
}

ct_of() { # ct_of ID: conntrack entries of mapping ID
	bpftool -j map dump pinned "$PIN/sl_ct" |
		jq --argjson id "$1" '[.[] | select(.formatted.value.svc_id == $id)] | length'
}

proxy_id() { # proxy_id HOST_PORT PROTO [HOST_IP]
	sl -j port ls | jq -e --argjson p "$1" --arg proto "$2" --arg ip "${3:-0.0.0.0}" \
		'[.[] | select(.host_port == $p and .proto == $proto and .host_ip == $ip and
			(.container | startswith("(docker)"))) | .id] | first'
}

has_proxy() { # has_proxy HOST_PORT PROTO [HOST_IP]: port ls lists the mapping
	local id
	id=$(proxy_id "$@") && [ "$id" != null ]
}

pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }

ARGS_8080=(-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 10.88.0.2 -container-port 80)

# --- servers ----------------------------------------------------------------

bg ip netns exec "$CT" "$PROBE" serve tcp ct 80
bg ip netns exec "$CT" "$PROBE" serve udp ct 53
bg ip netns exec "$CT2" "$PROBE" serve tcp ct2 80
check "servers listen in ct (tcp 80, udp 53) and ct2 (tcp 80)" \
	eval 'wait_for 5 listening ct -t 80 && wait_for 5 listening ct -u 53 && wait_for 5 listening ct2 -t 80'

# --- sluice not up ------------------------------------------------------------

MSG_NOTUP="sluice is not running: instance '$SL_INST' has no datapath at $PIN — bring it up with 'sluice --instance $SL_INST up --uplink IFACE' in dockerd's network namespace, then start the container again"
check "sluice not up: exit 1, fd 3 says how to bring it up, nothing created" \
	eval 'refused notup "$MSG_NOTUP" "${ARGS_8080[@]}" && [ ! -e "$REG" ]'

# --- bring-up ---------------------------------------------------------------

check "up --uplink up0 --xdp off" sl up --uplink up0 --xdp off || summary
check "a sluice network with a CLI mapping: web 9090:80" \
	eval 'sl network create front --subnet 10.77.0.0/24 >/dev/null &&
		sl network connect front web --netns /run/netns/$WEB >/dev/null &&
		sl port publish web 9090:80 >/dev/null'

# --- success ----------------------------------------------------------------

check "tcp 0.0.0.0:8080 -> 10.88.0.2:80: starts" proxy_start p8080 "${ARGS_8080[@]}"
P8080=$P_PID
check "tcp 0.0.0.0:8080: fd 3 carried exactly \"0\\n\"" status_is p8080 '0\n'
check "tcp 0.0.0.0:8080: still running after reporting" kill -0 "$P8080"
ID8080=$(proxy_id 8080 tcp)
check "port ls lists it: (docker) 10.88.0.2:80, 80/tcp -> 0.0.0.0:8080, id $ID8080 >= 32768, owner pid" \
	eval 'sl port ls | grep -qE "^\(docker\) 10\.88\.0\.2:80 +80/tcp -> 0\.0\.0\.0:8080$" &&
		[ "$ID8080" -ge 32768 ] && sl -j port ls | jq -e --argjson p "$P8080" "any(.[]; .proxy_pid == \$p)"'
check "registry record $REG/tcp-0.0.0.0-8080: pid, start time, id, container, bridge" \
	eval 'start=$(awk "{print \$22}" /proc/$P8080/stat) &&
		cat $REG/tcp-0.0.0.0-8080 &&
		[ "$(cat $REG/tcp-0.0.0.0-8080)" = "pid=$P8080 start=$start id=$ID8080 container=10.88.0.2:80 bridge=br0" ]'
check "status counts 1 published port and 1 sluice-proxy mapping, its proxy alive" \
	eval 'sl status | grep -E "^(ports|proxies) " && sl -j status |
		jq -e ".ports == 1 and .proxy_mappings == 1 and .proxy_owners_live == 1"'
check "sl_br_ingress is attached to br0 (tc ingress)" \
	eval 'run_in host tc filter show dev br0 ingress | grep -q sl_br_ingress'
check "sl_svc holds it as an external backend (flags 2)" \
	eval 'bpftool -j map dump pinned $PIN/sl_svc | jq -e --argjson id "$ID8080" "any(.[]; .formatted.value.id == \$id and .formatted.value.flags == 2)"'

check "remote TCP cl -> 10.200.0.1:8080 reaches ct, which sees the client 10.200.0.2" \
	reach cl 10.200.0.1 8080 tcp ct 10.200.0.2
check "local TCP 127.0.0.1:8080 (in the cgroup) reaches ct" reach cg 127.0.0.1 8080 tcp ct
check "local TCP 10.200.0.1:8080 (a host address, in the cgroup) reaches ct" \
	reach cg 10.200.0.1 8080 tcp ct
check "the proxy copies nothing: no socket, only fds 0-2 open (inherited ones closed)" \
	eval 'ls -l /proc/$P8080/fd && [ "$(ls /proc/$P8080/fd | sort -n | tr "\n" " ")" = "0 1 2 " ] &&
		! ls -l /proc/$P8080/fd | grep -q socket:'
check "no socket in the host ns listens on 8080" eval '! run_in host ss -Hlnt "sport = :8080" | grep .'
check "the proxy is single-threaded" grep -qx "Threads:	1" "/proc/$P8080/status"
pss=$(pss_kb "$P8080")
echo "PSS of a waiting sluice-proxy: ${pss} kB (RSS $(awk '/^Rss:/ {print $2}' "/proc/$P8080/smaps_rollup") kB)"
check "PSS of a waiting proxy ${pss} kB < 1024 kB" [ "${pss:-99999}" -lt 1024 ]
# Where sluice-proxy-wait is built (x86_64, aarch64), the waiting process is it.
if [ -x "$BUILD_DIR/sluice-proxy-wait" ]; then
	check "the waiting proxy became sluice-proxy-wait: same pid, comm sluice-proxy, dockerd's argv" \
		eval '[ "$(readlink /proc/$P8080/exe)" = "$(readlink -f $BUILD_DIR/sluice-proxy-wait)" ] &&
			[ "$(cat /proc/$P8080/comm)" = sluice-proxy ] &&
			[ "$(tr "\0" " " </proc/$P8080/cmdline)" = "$PROXY ${ARGS_8080[*]} " ]'
	check "sluice-proxy-wait keeps under 64 kB PSS (${pss} kB)" [ "${pss:-99999}" -lt 64 ]
	check "sluice-proxy-wait run by hand: exit 2, says who runs it" \
		eval 'out=$("$BUILD_DIR/sluice-proxy-wait" 2>&1); rc=$?; echo "$out";
			[ $rc = 2 ] && [ "$out" = "sluice-proxy-wait: started without SLUICE_PROXY_WAIT: it is run by sluice-proxy only" ]'
fi
check "SLUICE_PROXY_STOP in a fresh proxy's environment: refused on fd 3, nothing installed" \
	eval 'SLUICE_PROXY_STOP=$ID8080 refused stopenv "SLUICE_PROXY_STOP is set in the environment (sluice-proxy-wait sets it, nobody else): unset it in dockerd'"'"'s environment; nothing installed" \
		-proto tcp -host-ip 0.0.0.0 -host-port 8086 -container-ip 10.88.0.2 -container-port 80'
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$P8080/status")
for _ in 1 2 3; do reach cl 10.200.0.1 8080 tcp ct >/dev/null; done
sleep 1
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$P8080/status")
check "no memory growth while waiting and serving (VmRSS $rss0 -> $rss1 kB)" [ "$rss1" -le "$rss0" ]

check "udp 0.0.0.0:8082 -> 10.88.0.2:53: \"0\\n\"" \
	eval 'proxy_start p8082 -proto udp -host-ip 0.0.0.0 -host-port 8082 -container-ip 10.88.0.2 -container-port 53 && status_is p8082 "0\n"'
P8082=$P_PID
check "remote UDP cl -> 10.200.0.1:8082 reaches ct, which sees 10.200.0.2" \
	reach cl 10.200.0.1 8082 udp ct 10.200.0.2
check "local UDP 127.0.0.1:8082 (in the cgroup) reaches ct" reach cg 127.0.0.1 8082 udp ct

check "tcp 127.0.0.1:8081 -> 10.88.0.2:80: \"0\\n\"" \
	eval 'proxy_start p8081 -proto tcp -host-ip 127.0.0.1 -host-port 8081 -container-ip 10.88.0.2 -container-port 80 && status_is p8081 "0\n"'
P8081=$P_PID
check "local TCP 127.0.0.1:8081 (in the cgroup) reaches ct" reach cg 127.0.0.1 8081 tcp ct
check_fails "remote cl -> 10.200.0.1:8081 does not (bound to 127.0.0.1)" reach cl 10.200.0.1 8081 tcp ct

before=$(proxies_now)
check "-host-ip :: : \"0\\n\", nothing installed, stderr says IPv6 is not served" \
	eval 'proxy_start p6 -proto tcp -host-ip :: -host-port 8080 -container-ip 10.88.0.2 -container-port 80 &&
		status_is p6 "0\n" && grep -q "IPv4-only" "$TMPD/p6.err" && [ "$(proxies_now)" = "$before" ]'
P6=$P_PID
check "-host-ip :: : SIGINT ends it with exit 0" eval 'kill -INT $P6 && ended p6 "exit 0"'
check "-host-ip :: with an IPv6 container address: \"0\\n\" as well, nothing installed, SIGINT: exit 0" \
	eval 'proxy_start p66 -proto tcp -host-ip :: -host-port 8080 -container-ip fd00::2 -container-port 80 &&
		status_is p66 "0\n" && [ "$(proxies_now)" = "$before" ] && kill -INT $P_PID && ended p66 "exit 0"'

check "-use-listen-fd: accepted, fd 4 closed, \"0\\n\"" \
	eval 'rm -f $TMPD/lfd.*; bg nsenter --net=/run/netns/$HOST_NS -- $FD3RUN $TMPD/lfd.st $TMPD/lfd.pid \
			$PROXY -proto tcp -host-ip 0.0.0.0 -host-port 8083 -container-ip 10.88.0.3 \
			-container-port 80 -use-listen-fd 4</dev/null >$TMPD/lfd.rc 2>$TMPD/lfd.err &&
		wait_for 20 test -e $TMPD/lfd.st && status_is lfd "0\n" &&
		PL=$(cat $TMPD/lfd.pid) && _pids+=("$PL") && [ ! -e /proc/$PL/fd/4 ]'
PL=$(cat "$TMPD/lfd.pid" 2>/dev/null)
check "-use-listen-fd: remote cl -> 10.200.0.1:8083 reaches ct2" reach cl 10.200.0.1 8083 tcp ct2 10.200.0.2

# --- refusals: exact bytes on fd 3, exit 1, nothing installed ----------------

U="usage: sluice-proxy -proto tcp|udp -host-ip IP -host-port PORT -container-ip IP -container-port PORT"
check "unknown flag -bogus" refused bad1 \
	"unknown flag '-bogus': expected -proto, -host-ip, -host-port, -container-ip, -container-port, -use-listen-fd" \
	"${ARGS_8080[@]}" -bogus
check "missing -host-port and -container-ip" refused bad2 "missing flag(s) -host-port -container-ip: $U" \
	-proto tcp -host-ip 0.0.0.0 -container-port 80
check "flag without its value (-container-port at the end)" refused bad3 \
	"flag needs an argument: -container-port" -proto tcp -host-ip 0.0.0.0 -host-port 8090 \
	-container-ip 10.88.0.2 -container-port
check "a positional argument" refused bad4 \
	"unexpected argument 'extra': sluice-proxy takes flags only (see -help)" "${ARGS_8080[@]}" extra
for p in 0 70000 abc 08080 -1; do
	check "bad port -host-port '$p'" refused "badp$p" \
		"invalid -host-port '$p': expected a port number 1..65535" \
		-proto tcp -host-ip 0.0.0.0 -host-port "$p" -container-ip 10.88.0.2 -container-port 80
done
check "bad port -container-port 65536" refused badcp \
	"invalid -container-port '65536': expected a port number 1..65535" \
	-proto tcp -host-ip 0.0.0.0 -host-port 8090 -container-ip 10.88.0.2 -container-port 65536
check "bad proto sctp" refused badproto "unsupported -proto 'sctp': sluice serves tcp and udp" \
	-proto sctp -host-ip 0.0.0.0 -host-port 8090 -container-ip 10.88.0.2 -container-port 80
check "bad -host-ip 10.0.0" refused badhip "invalid -host-ip '10.0.0': expected an IPv4 address (or ::)" \
	-proto tcp -host-ip 10.0.0 -host-port 8090 -container-ip 10.88.0.2 -container-port 80
check "IPv6 host address ::1" refused v6 \
	"IPv6 host address ::1 is not served: sluice's datapath is IPv4-only; publish on an IPv4 address (or on every address)" \
	-proto tcp -host-ip ::1 -host-port 8090 -container-ip 10.88.0.2 -container-port 80
check "IPv6 container address" refused v6c \
	"invalid -container-ip 'fd00::2': expected the container's IPv4 address (IPv6 is not served)" \
	-proto tcp -host-ip 0.0.0.0 -host-port 8090 -container-ip fd00::2 -container-port 80
check "host address the host lacks (10.9.9.9)" refused nolocal \
	"host address 10.9.9.9 is not an address of this host: cannot publish on it" \
	-proto tcp -host-ip 10.9.9.9 -host-port 8090 -container-ip 10.88.0.2 -container-port 80
check "container address without a route (10.1.2.3)" refused noroute \
	"look up the route to 10.1.2.3: Network is unreachable" \
	-proto tcp -host-ip 0.0.0.0 -host-port 8090 -container-ip 10.1.2.3 -container-port 80
check "container address behind the uplink (10.200.0.2)" refused uplink \
	"container address 10.200.0.2 is reached through up0, which is a sluice uplink, not a container bridge" \
	-proto tcp -host-ip 0.0.0.0 -host-port 8090 -container-ip 10.200.0.2 -container-port 80
check "conflict with a CLI mapping (web 0.0.0.0:9090)" refused cli \
	"host port 0.0.0.0:9090/tcp is already published by container 'web' (sluice port publish 0.0.0.0:9090 -> 80): unpublish it or pick another host port" \
	-proto tcp -host-ip 0.0.0.0 -host-port 9090 -container-ip 10.88.0.2 -container-port 80
check "conflict with a CLI mapping from a specific address (10.200.0.1:9090)" refused cli2 \
	"host port 10.200.0.1:9090/tcp is already published by container 'web' (sluice port publish 0.0.0.0:9090 -> 80): unpublish it or pick another host port" \
	-proto tcp -host-ip 10.200.0.1 -host-port 9090 -container-ip 10.88.0.2 -container-port 80
check "conflict with another proxy (10.200.0.1:8080 -> ct2 vs 0.0.0.0:8080 -> ct)" refused other \
	"host port 10.200.0.1:8080/tcp is already published by sluice-proxy pid $P8080 (0.0.0.0:8080 -> 10.88.0.2:80): stop that container or pick another host port" \
	-proto tcp -host-ip 10.200.0.1 -host-port 8080 -container-ip 10.88.0.3 -container-port 80
check "conflict with another proxy (same host side, other container)" refused other2 \
	"host port 0.0.0.0:8080/tcp is already published by sluice-proxy pid $P8080 (0.0.0.0:8080 -> 10.88.0.2:80): stop that container or pick another host port" \
	-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 10.88.0.3 -container-port 80
bg nsenter --net="/run/netns/$HOST_NS" nc -l 6060
check "a local socket holds the port (nc on 6060): refused, names the holder" \
	eval 'wait_for 5 listening host -t 6060 && refused held "host port 0.0.0.0:6060/tcp is in use by a local socket of pid $BG_PID (nc): stop it or pick another host port" \
		-proto tcp -host-ip 0.0.0.0 -host-port 6060 -container-ip 10.88.0.2 -container-port 80'
kill "$BG_PID" 2>/dev/null
check_rejects "CLI: port publish web 8080:80 conflicts with the proxy: names its pid" "1" \
	"sluice-proxy pid $P8080" sl port publish web 8080:80

before=$(installed)
check "fd 3 not a pipe (a file): exit 1, stderr only, the file untouched, nothing installed" \
	eval ': >$TMPD/f3; run_in host "$PROXY" "${ARGS_8080[@]}" 3>$TMPD/f3 2>$TMPD/f3.err; rc=$?;
		cat $TMPD/f3.err; [ $rc = 1 ] && [ ! -s $TMPD/f3 ] &&
		[ "$(cat $TMPD/f3.err)" = "sluice-proxy: fd 3 is not a pipe: it must be the status pipe dockerd passes (see -help); nothing installed" ] &&
		[ "$(installed)" = "$before" ]'
check "fd 3 closed: exit 1, stderr only, nothing installed" \
	eval 'run_in host "$PROXY" "${ARGS_8080[@]}" 3>&- 2>$TMPD/f3c.err; rc=$?;
		cat $TMPD/f3c.err; [ $rc = 1 ] &&
		[ "$(cat $TMPD/f3c.err)" = "sluice-proxy: fd 3 is closed: it must be the status pipe dockerd passes (see -help); nothing installed" ] &&
		[ "$(installed)" = "$before" ]'

# --- XDP on the uplink defers external backends to tc -------------------------

check "up --xdp native: the proxy mappings stay" eval 'sl up --xdp native >/dev/null && has_proxy 8080 tcp && has_proxy 8082 udp'
check "[native] remote TCP cl -> 10.200.0.1:8080 reaches ct, sees 10.200.0.2" \
	reach cl 10.200.0.1 8080 tcp ct 10.200.0.2
check "[native] remote UDP cl -> 10.200.0.1:8082 reaches ct" reach cl 10.200.0.1 8082 udp ct 10.200.0.2
check "up --xdp off" sl up --xdp off

# --- down; up: live proxies get their mappings back ---------------------------

check "down: the datapath is gone" sl down
check "down: sl_br_ingress is detached from br0" \
	eval '! run_in host tc filter show dev br0 ingress | grep sl_br_ingress'
check_fails "after down: cl -> 10.200.0.1:8080 unanswered" reach cl 10.200.0.1 8080 tcp ct
check "up: the live proxies' mappings are back in port ls" \
	eval 'sl up >/dev/null && has_proxy 8080 tcp && has_proxy 8082 udp && has_proxy 8081 tcp 127.0.0.1'
check "after up: remote TCP cl -> 10.200.0.1:8080 reaches ct (sl_br_ingress re-attached)" \
	eval 'run_in host tc filter show dev br0 ingress | grep -q sl_br_ingress &&
		reach cl 10.200.0.1 8080 tcp ct 10.200.0.2'
check "after up: local TCP 127.0.0.1:8081 reaches ct" reach cg 127.0.0.1 8081 tcp ct

# --- stop: SIGTERM and SIGINT remove the mapping and its flows -----------------

check "conntrack holds flows of mapping $ID8080" eval '[ "$(ct_of $ID8080)" -gt 0 ]'
check "SIGTERM: exit 0" eval 'kill -TERM $P8080 && ended p8080 "exit 0"'
check "after SIGTERM: port ls no longer lists 0.0.0.0:8080, registry record gone" \
	eval '! has_proxy 8080 tcp && [ ! -e $REG/tcp-0.0.0.0-8080 ]'
check "after SIGTERM: no conntrack entry of mapping $ID8080" eval '[ "$(ct_of $ID8080)" = 0 ]'
check_fails "after SIGTERM: cl -> 10.200.0.1:8080 unanswered" reach cl 10.200.0.1 8080 tcp ct
check "SIGINT (dockerd's stop) on the 8081 proxy: exit 0, mapping gone" \
	eval 'kill -INT $P8081 && ended p8081 "exit 0" && ! has_proxy 8081 tcp 127.0.0.1'

# --- dockerd exits: its Pdeathsig SIGTERM leaves the mapping for the next one ---

# The proxy's parent stands in for dockerd: it sends the SIGTERM itself, as
# the kernel does for dockerd's Pdeathsig when dockerd exits.
ARGS_8084=(-proto tcp -host-ip 0.0.0.0 -host-port 8084 -container-ip 10.88.0.2 -container-port 80)
rm -f "$TMPD"/pd.*
bg nsenter --net="/run/netns/$HOST_NS" -- "$FD3RUN" "$TMPD/pd.st" "$TMPD/pd.pid" bash -c '
	"$@" 2>"$0.err" & c=$!
	exec 3>&-
	echo $c >"$0.child"
	while [ ! -e "$0.go" ]; do sleep 0.1; done
	kill -TERM $c
	wait $c
	echo $? >"$0.rc"' "$TMPD/pd" "$PROXY" "${ARGS_8084[@]}" >"$TMPD/pd.out"
check "a proxy whose parent plays dockerd: \"0\\n\"" \
	eval 'wait_for 20 test -e $TMPD/pd.st && status_is pd "0\n" && has_proxy 8084 tcp'
PD=$(cat "$TMPD/pd.child" 2>/dev/null)
_pids+=("$PD")
ID8084=$(proxy_id 8084 tcp)
check "remote cl -> 10.200.0.1:8084 reaches ct (a flow of mapping $ID8084)" \
	eval 'reach cl 10.200.0.1 8084 tcp ct 10.200.0.2 && [ "$(ct_of $ID8084)" -gt 0 ]'
check "SIGTERM from its parent (dockerd's Pdeathsig): exit 0, the mapping stays" \
	eval 'touch $TMPD/pd.go && wait_for 20 test -s $TMPD/pd.rc && [ "$(cat $TMPD/pd.rc)" = 0 ] &&
		cat $TMPD/pd.err && grep -q "stays for its restart" $TMPD/pd.err && has_proxy 8084 tcp'
check "... and is still served: remote cl -> 10.200.0.1:8084 reaches ct" \
	reach cl 10.200.0.1 8084 tcp ct 10.200.0.2
check "the restarted dockerd's proxy for the same binding adopts it: same id, flows kept" \
	eval 'proxy_start p8084 "${ARGS_8084[@]}" && status_is p8084 "0\n" && cat $TMPD/p8084.err &&
		[ "$(proxy_id 8084 tcp)" = "$ID8084" ] && [ "$(ct_of $ID8084)" -gt 0 ] &&
		sl -j port ls | jq -e --argjson p "$P_PID" "any(.[]; .proxy_pid == \$p and .host_port == 8084)"'
P8084=$P_PID
check "the adopted mapping serves: remote cl -> 10.200.0.1:8084 reaches ct" \
	reach cl 10.200.0.1 8084 tcp ct 10.200.0.2
check "SIGTERM from elsewhere (an admin, not the parent) removes it" \
	eval 'kill -TERM $P8084 && ended p8084 "exit 0" && ! has_proxy 8084 tcp && [ "$(ct_of $ID8084)" = 0 ]'

# --- SIGKILL: the mapping lingers until the next proxy, up or port publish ----

kill_and_linger() { # kill_and_linger NAME PID PORT PROTO
	kill -KILL "$2" && ended "$1" "signal 9" && has_proxy "$3" "$4"
}
check "SIGKILL the udp 8082 proxy: its mapping lingers" kill_and_linger p8082 "$P8082" 8082 udp
check "... and is still served (remote UDP reaches ct)" reach cl 10.200.0.1 8082 udp ct
check "the next proxy start reaps it (tcp 8080 -> ct2)" \
	eval 'proxy_start p8080b -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 10.88.0.3 -container-port 80 &&
		status_is p8080b "0\n" && ! has_proxy 8082 udp && [ ! -e $REG/udp-0.0.0.0-8082 ]'
P8080B=$P_PID
check "after the reap: cl -> 10.200.0.1:8082/udp unanswered" eval '! reach cl 10.200.0.1 8082 udp ct'
check "the new proxy serves: remote cl -> 10.200.0.1:8080 reaches ct2" \
	reach cl 10.200.0.1 8080 tcp ct2 10.200.0.2
check "SIGKILL it: lingers" kill_and_linger p8080b "$P8080B" 8080 tcp
check "'sluice up' reaps it" eval 'sl up >/dev/null && ! has_proxy 8080 tcp'
check "SIGKILL the -use-listen-fd proxy (8083): lingers" kill_and_linger lfd "$PL" 8083 tcp
check "'sluice port publish' reaps it (and publishes web 8083:80 on the freed port)" \
	eval 'sl port publish web 8083:80 >/dev/null && ! has_proxy 8083 tcp && [ -z "$(ls -A $REG)" ]'
check "port ls: only the CLI mappings are left" \
	eval 'sl -j port ls | jq -e "map(.container) == [\"web\", \"web\"]"'

summary
