#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_docker.sh - the real dockerd (Debian's docker.io 20.10) with
# --userland-proxy-path=sluice-proxy: Docker's -p forms are served by the
# sluice datapath, and no docker-proxy ever runs.
#
#   cl 10.202.0.2 ── cl0 ═ up0 10.202.0.1 ── host ns: sluice + dockerd ── docker0 10.90.0.1/24
#
# dockerd runs inside the test's host namespace (never the root one) with
# private --data-root, --exec-root, --pidfile, socket and cgroup parent; the
# image is a busybox rootfs (docker import) with a static sockprobe, whose
# servers report the source address they see. Run 1 (--iptables=true,
# --live-restore): -p 8080:80, -p 127.0.0.1:8081:80 and -p 8082:53/udp, from
# a remote client and from host processes; the flows go through sluice, not
# Docker's DNAT rules; a container's port unreachable reaches the client; a dockerd restart keeps the mappings and its new
# proxies adopt them; docker stop/rm removes them. Run 2 (--iptables=false,
# nothing but sluice can serve): the same forms and -p 20000-20999:20000-20999
# (2000 proxies: the range is here because Docker's own per-port iptables
# calls would take minutes with --iptables=true).
# Skips (77) only when docker.io cannot be installed or dockerd cannot start.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root ss

HOST_NS=$T-host
CL=$T-cl
BUILD_DIR=$(dirname "$SLUICE")
PROXY=$BUILD_DIR/sluice-proxy
PROBE=$BUILD_DIR/tests/tools/sockprobe
PROBE_STATIC=$BUILD_DIR/tests/tools/sockprobe-static
REG=/run/sluice/$SL_INST/proxy
# Short: unix socket paths under it must stay below 108 bytes.
DK=$(mktemp -d "/tmp/$T.XXXX")
_tmps+=("$DK")
CG_PARENT=$T-docker
DOCKERD_PID=
MONITOR_PID=

for f in "$SLUICE" "$PROXY" "$PROBE" "$PROBE_STATIC"; do
	if [ ! -x "$f" ]; then
		check "$f is built (make test-integration builds it)" false
		summary
	fi
done

# --- docker.io and busybox-static: install them when missing ------------------

if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null ||
	! command -v runc >/dev/null || [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
	echo "installing docker.io busybox-static (apt-get)"
	# The package's dockerd must not start in the root namespace (it would
	# create docker0 and rewrite the firewall): refuse service starts, as
	# `make deps` does, unless the machine has its own policy.
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d &&
			policy=/usr/sbin/policy-rc.d
	fi
	timeout 200 env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		docker.io busybox-static >"$DK/apt.log" 2>&1 || tail -n 5 "$DK/apt.log"
	[ -n "$policy" ] && rm -f "$policy"
fi
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
	echo "integration/$SUITE: skipped: docker.io could not be installed (apt-get install docker.io)"
	exit 77
fi
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
	echo "integration/$SUITE: skipped: busybox-static could not be installed (a static /bin/busybox)"
	exit 77
fi
# Debian's client speaks 20.10's API; another docker CLI on PATH may not.
DOCKER_CLI=/usr/bin/docker
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker)
dk() { timeout 120 "$DOCKER_CLI" -H "unix://$DK/docker.sock" "$@"; }

# Directories dockerd and containerd create outside ours, removed if they were not there.
RUN_DIRS=()
for d in /run/docker/plugins /run/docker /run/containerd/s /run/containerd; do
	[ -e "$d" ] || RUN_DIRS+=("$d")
done

# --- cleanup: containers, dockerd, mounts, cgroups, then lib.sh's --------------

docker_cleanup() {
	local p d m
	[ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null
	if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		# --live-restore keeps containers past dockerd: remove them first.
		dk ps -aq 2>/dev/null | xargs -r timeout 60 "$DOCKER_CLI" -H "unix://$DK/docker.sock" rm -f >/dev/null 2>&1
		kill "$DOCKERD_PID" 2>/dev/null
		timeout 30 tail --pid="$DOCKERD_PID" -f /dev/null || kill -9 "$DOCKERD_PID" 2>/dev/null
	fi
	# Anything left in our cgroup parent (containers of a dockerd that died)
	# and every process running from our private directories (containerd,
	# shims, sluice-proxy started by this dockerd) is ours: stop it by pid.
	for p in $(cat /sys/fs/cgroup/*/"$CG_PARENT"/*/cgroup.procs 2>/dev/null) \
		$(pgrep -f -- "$DK/" 2>/dev/null); do
		[ "$p" != $$ ] && kill -9 "$p" 2>/dev/null
	done
	sleep 0.5
	for m in $(awk -v dk="$DK" 'index($5, dk) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	for d in /sys/fs/cgroup/*/"$CG_PARENT"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for d in "${RUN_DIRS[@]}"; do
		rmdir "$d" 2>/dev/null
	done
}
trap 'docker_cleanup; _cleanup' EXIT
trap 'docker_cleanup; _cleanup; exit 130' INT
trap 'docker_cleanup; _cleanup; exit 143' TERM

if ! ns_new "$HOST_NS" "$CL"; then
	check "create the test namespaces" false
	summary
fi
if ! { ip -n "$HOST_NS" link add up0 type veth peer name cl0 netns "$CL" &&
	ip -n "$HOST_NS" addr add 10.202.0.1/24 dev up0 &&
	ip -n "$HOST_NS" link set up0 up &&
	ip -n "$CL" addr add 10.202.0.2/24 dev cl0 &&
	ip -n "$CL" link set cl0 up &&
	ip -n "$CL" route add default via 10.202.0.1; }; then
	check "build the uplink and the client namespace" false
	summary
fi

# --- helpers ----------------------------------------------------------------

run_in() {
	local where=$1
	shift
	case $where in
	host) nsenter --net="/run/netns/$HOST_NS" -- "$@" ;;
	cg) sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$SLUICE_CGROUP" \
		nsenter --net="/run/netns/$HOST_NS" -- "$@" ;;
	cl) ip netns exec "$CL" "$@" ;;
	ctr:*) # the image's copy, inside the container (dk bounds the time)
		[ "$1" = timeout ] && shift 2
		local bin=$1
		shift
		dk exec "${where#ctr:}" "/bin/${bin##*/}" "$@" ;;
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

# The proxy mappings `sluice port ls` reports: "HOST_IP:PORT/PROTO ID PID" per line.
proxies() {
	sl -j port ls | jq -r '.[] | select(.container | startswith("(docker)")) |
		"\(.host_ip):\(.host_port)/\(.proto) \(.id) \(.proxy_pid)"'
}
n_proxies() { proxies | grep -c .; }
has() { proxies | grep -q "^$1 "; } # has HOST_IP:PORT/PROTO
id_of() { proxies | awk -v k="$1" '$1 == k {print $2}'; }
pid_of() { proxies | awk -v k="$1" '$1 == k {print $3}'; }

flows_of() { # flows_of ID: flows sluice counted for the mapping
	sl -j port ls | jq --argjson id "$1" '[.[] | select(.id == $id) | .flows] | first // 0'
}

# dockerd's children are containerd and sluice-proxy processes only.
children_ok() {
	local c
	c=$(ps --ppid "$DOCKERD_PID" -o comm= | sort | uniq -c)
	echo "$c"
	! grep -qvE ' (containerd|sluice-proxy)$' <<<"$c" && grep -q sluice-proxy <<<"$c"
}

start_dockerd() { # start_dockerd LOG [DOCKERD OPTIONS...]
	local log=$1 i
	shift
	bg nsenter --net="/run/netns/$HOST_NS" -- dockerd \
		--config-file "$DK/daemon.json" --data-root "$DK/d" --exec-root "$DK/e" \
		--pidfile "$DK/dockerd.pid" -H "unix://$DK/docker.sock" \
		--userland-proxy-path="$PROXY" --bip 10.90.0.1/24 --cgroup-parent "/$CG_PARENT" \
		--storage-driver vfs "$@" >"$DK/$log" 2>&1
	DOCKERD_PID=$BG_PID
	for ((i = 0; i < 150; i++)); do
		dk version >/dev/null 2>&1 && return 0
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.2
	done
	tail -n 15 "$DK/$log"
	return 1
}

stop_dockerd() {
	kill "$DOCKERD_PID" 2>/dev/null
	timeout 30 tail --pid="$DOCKERD_PID" -f /dev/null
}

# --- sluice, then dockerd in the host namespace --------------------------------

check "sluice up --uplink up0 (in the host namespace)" sl up --uplink up0 --xdp off || summary
# The key path keeps dockerd from writing /etc/docker/key.json.
printf '{"deprecated-key-path": "%s/key.json"}\n' "$DK" >"$DK/daemon.json"

# Watch for a docker-proxy in our namespace for the whole run.
NS_INO=$(stat -L -c %i "/run/netns/$HOST_NS")
bg bash -c 'while :; do
	for p in $(pgrep -x docker-proxy); do
		[ "$(stat -L -c %i /proc/$p/ns/net 2>/dev/null)" = "$1" ] &&
			echo "$p $(tr "\0" " " </proc/$p/cmdline)" >>"$2"
	done
	sleep 0.2
done' _ "$NS_INO" "$DK/docker-proxy.seen"
MONITOR_PID=$BG_PID

if ! start_dockerd dockerd1.log --iptables=true --live-restore; then
	echo "integration/$SUITE: skipped: dockerd does not start here (log above)"
	exit 77
fi
check "dockerd runs in the test's host namespace, not the root one" \
	eval '[ "$(stat -L -c %i /proc/$DOCKERD_PID/ns/net)" = "$NS_INO" ]'

# A busybox rootfs with a static sockprobe as the image.
mkdir -p "$DK/rootfs/bin" "$DK/rootfs/tmp"
cp /bin/busybox "$DK/rootfs/bin/busybox"
cp "$PROBE_STATIC" "$DK/rootfs/bin/sockprobe"
for a in sh nc httpd sleep cat ls; do ln -s busybox "$DK/rootfs/bin/$a"; done
check "docker import a busybox image" \
	eval 'tar -C "$DK/rootfs" -cf "$DK/rootfs.tar" . && dk import "$DK/rootfs.tar" sluice-test/bb:1 >/dev/null'

run() { # run NAME ARGS...: a detached container of the test image
	local name=$1
	shift
	dk run -d --name "$name" "$@" >/dev/null
}

# --- run 1: --iptables=true --live-restore ------------------------------------------

check "run web -p 8080:80 -p 127.0.0.1:8081:80" \
	run web -p 8080:80 -p 127.0.0.1:8081:80 sluice-test/bb:1 /bin/sockprobe serve tcp web 80
check "run dns -p 8082:53/udp" run dns -p 8082:53/udp sluice-test/bb:1 /bin/sockprobe serve udp dns 53
check "docker port web: 80/tcp -> 0.0.0.0:8080 and 127.0.0.1:8081" \
	eval 'dk port web | tee /dev/stderr | grep -qxF "80/tcp -> 0.0.0.0:8080" && dk port web | grep -qxF "80/tcp -> 127.0.0.1:8081"'
check "sluice port ls: the 3 dockerd mappings" \
	eval 'proxies; [ "$(n_proxies)" = 3 ] && has 0.0.0.0:8080/tcp && has 127.0.0.1:8081/tcp && has 0.0.0.0:8082/udp'
check "sluice port ls names the containers: (docker) IP:PORT" \
	eval 'sl port ls | grep -E "^\(docker\) 10\.90\.0\.[0-9]+:80 +80/tcp -> 0\.0\.0\.0:8080$"'
check "dockerd's children are containerd and sluice-proxy only" children_ok
# docker-proxy processes of other namespaces (a benchmark's) are not ours to judge.
ours_docker_proxy() {
	local p
	for p in $(pgrep -x docker-proxy); do
		[ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$NS_INO" ] && echo "docker-proxy pid $p"
	done
}
check "no docker-proxy process in the test's namespace" eval '[ -z "$(ours_docker_proxy)" ]'
check "the [::] bindings got a proxy that installed nothing" \
	eval 'pgrep -f -- "$PROXY -proto tcp -host-ip :: -host-port 8080 " >/dev/null && ! proxies | grep -q ":::"'

ID8080=$(id_of 0.0.0.0:8080/tcp)
nat0=$(counter nat_new)
check "remote TCP cl -> 10.202.0.1:8080 reaches web, which sees the client 10.202.0.2" \
	reach cl 10.202.0.1 8080 tcp web 10.202.0.2
check "remote UDP cl -> 10.202.0.1:8082 reaches dns, which sees 10.202.0.2" \
	reach cl 10.202.0.1 8082 udp dns 10.202.0.2
check_fails "remote cl -> 10.202.0.1:8081 does not (bound to 127.0.0.1)" reach cl 10.202.0.1 8081 tcp web
check "local TCP 127.0.0.1:8081 (a host process in the cgroup) reaches web" reach cg 127.0.0.1 8081 tcp web
check "local TCP 127.0.0.1:8080 reaches web" reach cg 127.0.0.1 8080 tcp web
check "local TCP 10.202.0.1:8080 (the host's address) reaches web" reach cg 10.202.0.1 8080 tcp web
check "local UDP 127.0.0.1:8082 reaches dns" reach cg 127.0.0.1 8082 udp dns
# Hairpin: containers on docker0 reaching published ports by a host address.
# sl_br_ingress DNATs them and source-NATs them to that address (docker-proxy
# would connect from the gateway instead).
check "hairpin: dns (on docker0) -> 10.202.0.1:8080 reaches web, which sees 10.202.0.1" \
	reach ctr:dns 10.202.0.1 8080 tcp web 10.202.0.1
check "hairpin: dns -> the gateway 10.90.0.1:8080 (a host address) reaches web" \
	reach ctr:dns 10.90.0.1 8080 tcp web 10.90.0.1
check "hairpin to itself: web -> 10.202.0.1:8080 reaches web" reach ctr:web 10.202.0.1 8080 tcp web
check "hairpin UDP: web -> 10.202.0.1:8082 reaches dns" reach ctr:web 10.202.0.1 8082 udp dns 10.202.0.1
check_fails "hairpin: dns -> 10.202.0.1:8081 does not (bound to 127.0.0.1)" \
	reach ctr:dns 10.202.0.1 8081 tcp web
check "sluice served them: nat_new rose, mapping $ID8080 counted flows" \
	eval 'now=$(counter nat_new); f=$(flows_of "$ID8080"); echo "nat_new $nat0 -> $now, flows $f";
		[ "$now" -gt "$nat0" ] && [ "$f" -gt 0 ]'
check "Docker's own DNAT rule for 8080 saw no packet (sluice DNATs first)" \
	eval 'run_in host iptables -t nat -L DOCKER -v -x -n | tee /dev/stderr |
		awk "/dpt:8080 / {print \$1}" | grep -qx 0'
# ICMP errors: a UDP port published to a container where nothing listens.
# Its kernel's port unreachable reaches the client only as from
# 10.202.0.1:8085 (sl_br_ingress translates it); untranslated, the client's
# connected socket never hears of it and times out.
icmp0=$(counter icmp_out)
check "run closed -p 8085:5454/udp (nothing listens on 5454/udp in it)" \
	run closed -p 8085:5454/udp sluice-test/bb:1 /bin/sockprobe serve tcp closed 80
check "remote UDP cl -> 10.202.0.1:8085 gets ECONNREFUSED: closed's port unreachable, translated" \
	eval 'run_in cl timeout 12 "$PROBE" udpconn 10.202.0.1 8085 | tee /dev/stderr |
		grep -qx "error ECONNREFUSED" && now=$(counter icmp_out) &&
		echo "icmp_out $icmp0 -> $now" && [ "$now" -gt "$icmp0" ]'
check "docker rm -f closed: its mapping is gone" \
	eval 'dk rm -f closed >/dev/null && ! has 0.0.0.0:8085/udp'

# dockerd restarts with live containers (--live-restore): its exiting
# proxies leave the mappings, flows keep going, and the restarted dockerd's
# new proxies adopt them.
PID8080=$(pid_of 0.0.0.0:8080/tcp)
check "dockerd stops (live-restore): web and dns keep running" stop_dockerd
check "while dockerd is down: the mappings stay" \
	eval 'has 0.0.0.0:8080/tcp && has 127.0.0.1:8081/tcp && has 0.0.0.0:8082/udp'
check "while dockerd is down: remote cl -> 10.202.0.1:8080 still reaches web" \
	reach cl 10.202.0.1 8080 tcp web 10.202.0.2
check "dockerd starts again" start_dockerd dockerd1b.log --iptables=true --live-restore
check "after the restart: the same 3 mappings (same ids), owned by new proxies" \
	eval 'proxies; [ "$(n_proxies)" = 3 ] && [ "$(id_of 0.0.0.0:8080/tcp)" = "$ID8080" ] &&
		[ "$(pid_of 0.0.0.0:8080/tcp)" != "$PID8080" ] &&
		ps --ppid "$DOCKERD_PID" -o pid= | grep -qw "$(pid_of 0.0.0.0:8080/tcp)"'
check "after the restart: remote TCP 8080 and UDP 8082 reach their containers" \
	eval 'reach cl 10.202.0.1 8080 tcp web 10.202.0.2 && reach cl 10.202.0.1 8082 udp dns 10.202.0.2'
check "after the restart: local TCP 127.0.0.1:8081 reaches web" reach cg 127.0.0.1 8081 tcp web

check "docker stop web: its 2 mappings and registry records are gone" \
	eval 'dk stop -t 1 web >/dev/null && ! has 0.0.0.0:8080/tcp && ! has 127.0.0.1:8081/tcp &&
		[ ! -e $REG/tcp-0.0.0.0-8080 ] && [ ! -e $REG/tcp-127.0.0.1-8081 ] && has 0.0.0.0:8082/udp'
check_fails "after stop: cl -> 10.202.0.1:8080 unanswered" reach cl 10.202.0.1 8080 tcp web
check "docker rm -f web dns: no mapping left" \
	eval 'dk rm -f web dns >/dev/null && [ "$(n_proxies)" = 0 ] && [ -z "$(ls -A $REG)" ]'
check "dockerd stops" stop_dockerd

# --- run 2: --iptables=false: nothing but sluice can serve the ports -------------

run_in host iptables -t nat -F
run_in host iptables -t nat -X
run_in host iptables -F
run_in host iptables -X
run_in host iptables -P FORWARD ACCEPT
check "dockerd --iptables=false starts" start_dockerd dockerd2.log --iptables=false
check "run web2 -p 8080:80 -p 127.0.0.1:8081:80, dns2 -p 8082:53/udp" \
	eval 'run web2 -p 8080:80 -p 127.0.0.1:8081:80 sluice-test/bb:1 /bin/sockprobe serve tcp web2 80 &&
		run dns2 -p 8082:53/udp sluice-test/bb:1 /bin/sockprobe serve udp dns2 53'
check "[no iptables] no NAT rule in the host namespace" \
	eval '! run_in host iptables-save -t nat | grep -- "-A "'
check "[no iptables] remote TCP cl -> 10.202.0.1:8080 reaches web2, sees 10.202.0.2" \
	reach cl 10.202.0.1 8080 tcp web2 10.202.0.2
check "[no iptables] remote UDP cl -> 10.202.0.1:8082 reaches dns2" \
	reach cl 10.202.0.1 8082 udp dns2 10.202.0.2
check "[no iptables] local TCP 127.0.0.1:8081 reaches web2" reach cg 127.0.0.1 8081 tcp web2
check "[no iptables] hairpin: dns2 -> 10.202.0.1:8080 reaches web2, which sees 10.202.0.1" \
	reach ctr:dns2 10.202.0.1 8080 tcp web2 10.202.0.1
check "[no iptables] hairpin to itself: dns2 -> 10.202.0.1:8082/udp reaches dns2" \
	reach ctr:dns2 10.202.0.1 8082 udp dns2 10.202.0.1
check "[no iptables] dockerd's children are containerd and sluice-proxy only" children_ok
# dockerd starts one proxy per port of a range (and one more for [::]).
s=$SECONDS
check "[no iptables] run range -p 20000-20999:20000-20999 (1000 proxies, and 1000 for [::])" \
	run range -p 20000-20999:20000-20999 sluice-test/bb:1 /bin/sockprobe serve tcp range 20000 20500 20999
echo "    (docker run of the range took $((SECONDS - s)) s)"
check "[no iptables] sluice port ls: 1003 dockerd mappings, 20000..20999 among them" \
	eval 'n=$(n_proxies); echo "$n mappings"; [ "$n" = 1003 ] && has 0.0.0.0:20000/tcp &&
		has 0.0.0.0:20999/tcp && [ "$(proxies | grep -c "^0\.0\.0\.0:20[0-9]*/tcp ")" = 1000 ]'
for p in 20000 20500 20999; do
	check "[no iptables] remote TCP cl -> 10.202.0.1:$p (range) reaches range, sees 10.202.0.2" \
		reach cl 10.202.0.1 "$p" tcp range 10.202.0.2
done
check "[no iptables] local TCP 127.0.0.1:20500 (range) reaches range" reach cg 127.0.0.1 20500 tcp range
check "[no iptables] hairpin: web2 -> 10.202.0.1:20999 (range) reaches range" \
	reach ctr:web2 10.202.0.1 20999 tcp range 10.202.0.1
pss=$(awk '/^Pss:/ {print $2}' "/proc/$(pid_of 0.0.0.0:20500/tcp)/smaps_rollup" 2>/dev/null)
echo "    PSS of one of the range's waiting sluice-proxy processes: ${pss:-?} kB"
check "[no iptables] a waiting proxy of the range: PSS ${pss:-?} kB < 1024 kB" [ "${pss:-99999}" -lt 1024 ]
check "[no iptables] no docker-proxy process in the test's namespace" eval '[ -z "$(ours_docker_proxy)" ]'
s=$SECONDS
check "[no iptables] docker rm -f range: its 1000 mappings are gone" \
	eval 'dk rm -f range >/dev/null && [ "$(n_proxies)" = 3 ] && ! has 0.0.0.0:20500/tcp'
echo "    (docker rm of the range took $((SECONDS - s)) s)"
check_fails "[no iptables] after rm: cl -> 10.202.0.1:20500 unanswered" reach cl 10.202.0.1 20500 tcp range
check "[no iptables] docker stop web2 dns2: no mapping left" \
	eval 'dk stop -t 1 web2 dns2 >/dev/null && [ "$(n_proxies)" = 0 ]'
check_fails "[no iptables] after stop: cl -> 10.202.0.1:8080 unanswered" reach cl 10.202.0.1 8080 tcp web2
dk rm -f web2 dns2 >/dev/null 2>&1

check "no docker-proxy ran in the test's namespace at any time" \
	eval 'cat "$DK/docker-proxy.seen" 2>/dev/null; [ ! -s "$DK/docker-proxy.seen" ]'

summary
