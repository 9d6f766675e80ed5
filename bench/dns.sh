#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/dns.sh - the DNS benchmark: sluice-dnsd against Docker's embedded DNS
# (the real dockerd of Debian's docker.io) and aardvark-dns (Debian's, the
# resolver of Podman's netavark networks), in one run, with the same query
# files and the same client (dnsperf).
#
#   bench/dns.sh [--quick | --full | --smoke] [--build DIR] [--out DIR]
#                [--servers "sluice docker aardvark"] [--rounds N]
#
#   --quick  (default)  warm-up + 3 rounds of 2-3 s runs, about 5 minutes
#   --full              warm-up + 5 rounds of 5-10 s runs, about 20 minutes
#   --smoke             200 queries of each kind per server at a fixed rate,
#                       0.3 s saturating, 1.5 s of connect/disconnect, every
#                       check; under a minute. Prints
#                       "bench-dns-smoke: N passed, N failed[, N skipped]"
#
# Query kinds (one query file each): local (A of a container on the asker's
# network), nx (a missing single-label name: NXDOMAIN), ptr (PTR of a
# container's address), fwd (a name only the upstream knows; the upstream is
# a stub resolver in a namespace of this run, never the machine's resolver).
# Per server and kind: saturating queries/s, p50/p99 latency at a fixed
# rate, server CPU time per answer; per server: RSS/PSS and the queries
# lost while another container connects and disconnects. See
# bench/dns/README.md for the topology, the checks and the method.
#
# Results: bench/results/<date>-<shorthost>/dns.{csv,md,png} and dns-*
# (smoke: <build>/bench/smoke/dns-<time>-<shorthost>/). Exit: 0 every
# server that could run was measured and passed its checks (a peer that
# cannot run here is reported as skipped, with the reason); 1 a server or a
# query kind failed; 2 usage; 77 (smoke) not root or a tool is missing.
set -u
set -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"

bench_args bench-dns "--servers" "$@"
ONLY_SERVERS=${OPT[--servers]:-}

# Durations (seconds) per mode: saturating runs (D_SAT; W_SAT in the
# warm-up round, which runs nothing else), fixed-rate latency runs (D_LAT at
# RATE queries/s), connect/disconnect churn (D_CHURN at RATE queries/s).
case $MODE in
smoke) WARMUP_ROUNDS=0 ROUNDS=${ROUNDS:-1} D_SAT=0.3 D_LAT=0.5 D_CHURN=1.5 W_SAT=0 RATE=400 ;;
quick) WARMUP_ROUNDS=1 ROUNDS=${ROUNDS:-3} D_SAT=2.5 D_LAT=2 D_CHURN=3 W_SAT=0.5 RATE=2000 ;;
full) WARMUP_ROUNDS=1 ROUNDS=${ROUNDS:-5} D_SAT=10 D_LAT=5 D_CHURN=10 W_SAT=2 RATE=2000 ;;
esac
OUTSTANDING=100   # dnsperf -q of the saturating runs
QTIMEOUT=1        # dnsperf -t: a query unanswered after 1 s counts as lost
CHURN_PERIOD_US=250000 # one connect or disconnect every 250 ms, or as fast as the engine goes
KINDS=(local nx ptr fwd)

SERVERS=(sluice docker aardvark)
if [ -n "$ONLY_SERVERS" ]; then
	sel=()
	for s in $ONLY_SERVERS; do
		case $s in
		sluice | docker | aardvark) sel+=("$s") ;;
		*) echo "bench-dns: unknown server '$s' (sluice docker aardvark)" >&2; exit 2 ;;
		esac
	done
	SERVERS=("${sel[@]}")
fi

SLUICE=${SLUICE:-$BUILD_DIR/sluice}
DNSD=${DNSD:-$BUILD_DIR/sluice-dnsd}
STUB=${DNS_STUB:-$BUILD_DIR/tests/dnsd/dns_stub}
if [ -z "${AARDVARK:-}" ]; then
	AARDVARK=/usr/libexec/podman/aardvark-dns
	[ -x "$AARDVARK" ] || AARDVARK=/usr/lib/podman/aardvark-dns # Debian's path
fi
# Debian's client speaks 20.10's API; another docker CLI on PATH may not.
DOCKER_CLI=/usr/bin/docker
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker 2>/dev/null || echo /usr/bin/docker)

# ---- preflight ----------------------------------------------------------
[ "$(id -u)" -eq 0 ] || bench_cannot_run "needs root (network namespaces, BPF, dockerd)"
for tool in ip nsenter unshare timeout awk sort dnsperf dig; do
	command -v "$tool" >/dev/null || bench_cannot_run "$tool is missing: run 'bench/deps.sh' (dnsperf, bind9-dnsutils)"
done
if [[ " ${SERVERS[*]} " == *" sluice "* ]]; then
	for f in "$SLUICE" "$DNSD"; do
		[ -x "$f" ] || bench_cannot_run "$f is missing: run 'make'"
	done
fi
[ -x "$STUB" ] || bench_cannot_run "$STUB is missing: run 'make test' (it builds the stub resolver)"
cgroup2_root >/dev/null || bench_cannot_run "no cgroup v2 hierarchy (the servers' CPU time is read from their cgroups)"
mkdir -p /run/netns

bench_out dns- dns.csv
mkdir -p "$OUT/dns-queries" || die "cannot create $OUT/dns-queries"
CSV=$OUT/dns.csv
CMDLOG=$OUT/dns-commands.log
CHECKLOG=$OUT/dns-checks.log
RUNLOG_DP=$OUT/dns-runs.log
: >"$CMDLOG"
: >"$CHECKLOG"
: >"$RUNLOG_DP"
echo "round,server,kind,metric,value,unit" >"$CSV"

# ---- names and addresses (every one inside this run's namespaces) --------
STUB_NS=$PFX-stub                                         # the upstream stubs
SL_NS=$PFX-slh SL_C=$PFX-slc SL_P=$PFX-slp SL_X=$PFX-slx # sluice host and containers
DK_NS=$PFX-dkh                                            # dockerd's host
AV_NS=$PFX-avh AV_C=$PFX-avc AV_P=$PFX-avp AV_X=$PFX-avx # aardvark's host and containers
HOST_NS=$SL_NS # lib.sh's cleanup runs `sluice down --purge` there
NET=dnsb       # the network's name with every server
FWD_NAME=www.example
FWD_ADDR=203.0.113.4 # dns_stub's canned answer for a 3-letter label (data only: nothing is sent there)

declare -A S_STATUS S_WHY S_NET S_ADDR S_PID S_CG S_PEER S_CHURN_IP S_STUB S_STUBLOG S_PROC
S_PROC=([sluice]=sluice-dnsd [docker]=dockerd [aardvark]=aardvark-dns)
S_PEER=([sluice]=10.211.0.3 [docker]=10.215.0.3 [aardvark]=10.214.0.3)
S_CHURN_IP=([sluice]=10.211.0.4 [docker]=10.215.0.4 [aardvark]=10.214.0.4)
S_STUB=([sluice]=10.213.1.2 [docker]=10.213.2.2 [aardvark]=10.213.3.2)
declare -A WANT=([local]=NOERROR [nx]=NXDOMAIN [ptr]=NOERROR [fwd]=NOERROR) # the expected RCODE
declare -A QFILE
declare -A K_FAIL # "server,kind" -> the first failed check (kind: setup, local..fwd, churn)

DNS_CGS=()    # cgroups this run created (removed on exit, children first)
DK=           # dockerd's private directory
DOCKERD_PID=
DK_CG_CTRD=
RUN_DIRS=()   # directories dockerd/containerd create outside DK, removed if they were not there

# ---- helpers --------------------------------------------------------------

# dns_cg NAME: a cgroup v2 child of the root for one server process, so its
# CPU time is read from cpu.stat (usage_usec: every thread, exited ones too,
# in microseconds). REPLY is its path; removed on exit.
dns_cg() {
	local root
	root=$(cgroup2_root) || return 1
	REPLY=$root/$PFX-$1
	cmdlog setup mkdir "$REPLY"
	mkdir "$REPLY" || return 1
	DNS_CGS+=("$REPLY")
}

# cg_usec CG: CPU microseconds the cgroup's processes used ("na" if unknown).
cg_usec() {
	local k v
	while read -r k v; do
		if [ "$k" = usage_usec ]; then
			echo "$v"
			return
		fi
	done <"$1/cpu.stat" 2>/dev/null
	echo na
}

# cg_reap DIR: kill (by PID) every process left in the cgroup DIR and its
# children, then remove them, deepest first. Only cgroups this run created.
cg_reap() {
	local d=$1 f p
	[ -d "$d" ] || return 0
	for _ in 1 2 3 4 5; do
		local left=
		while IFS= read -r f; do
			while read -r p; do
				[ -n "$p" ] && [ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null && left=1
			done <"$f"
		done < <(find "$d" -name cgroup.procs 2>/dev/null)
		[ -z "$left" ] && break
		sleep 0.3
	done
	find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	[ ! -d "$d" ]
}

# bg_cg CG NS LOG CMD...: start CMD in cgroup CG and namespace NS in the
# background (BG_PID is the command's own PID), killed by PID on exit.
bg_cg() {
	local cg=$1 ns=$2 out=$3
	shift 3
	cmdlog server "${CG_EXEC[@]}" "$cg" nsenter --net="/run/netns/$ns" -- "$@"
	"${CG_EXEC[@]}" "$cg" nsenter --net="/run/netns/$ns" -- "$@" >>"$out" 2>&1 </dev/null &
	BG_PID=$!
	_pids+=("$BG_PID")
}

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth between two of our namespaces.
veth_pair() {
	ipn "$1" link add "$2" type veth peer name "$5" netns "$4" &&
		ipn "$1" addr add "$3" dev "$2" && ipn "$1" link set "$2" up &&
		ipn "$4" addr add "$6" dev "$5" && ipn "$4" link set "$5" up
}

# q SERVER DIG-ARGS...: dig from the server's client container, bounded.
q() {
	local s=$1
	shift
	timeout 8 nsenter --net="${S_NET[$s]}" -- dig +time=2 +tries=1 @"${S_ADDR[$s]}" "$@" 2>&1
}
# q_short SERVER ARGS...: the answers, on one line. q_status: the RCODE.
q_short() {
	local out
	out=$(q "$@" +short)
	out=${out//$'\n'/ }
	echo "${out% }"
}
q_status() {
	local out
	out=$(q "$@")
	[[ $out =~ status:\ ([A-Z]+), ]] && echo "${BASH_REMATCH[1]}"
}

# us SECONDS: microseconds (SECONDS may be fractional).
us() { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000000 }'; }
now_us() { echo "${EPOCHREALTIME/./}"; }

# emit ROUND SERVER KIND METRIC VALUE UNIT: one row of dns.csv (held in
# ROWBUF until the measurement's checks are known).
emit() { printf '%s,%s,%s,%s,%s,%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$ROWBUF"; }

# fail SERVER KIND WHY: remember the first failure of a server's kind.
fail() {
	[ -n "${K_FAIL[$1,$2]:-}" ] || K_FAIL[$1,$2]="round $ROUND: $3"
	log "$1 $2: check FAILED: $3"
}

# ---- the upstream: one stub resolver per server, in a namespace of our own ---
stubs_setup() {
	local s
	ns_new "$STUB_NS" || return 1
	for s in sluice docker aardvark; do
		S_STUBLOG[$s]=$TMPD/stub.$s.log
		: >"${S_STUBLOG[$s]}"
	done
}
# stub_start SERVER HOSTNS: a veth HOSTNS <-> stub namespace (10.213.N.0/30)
# and the stub on the namespace's end.
stub_start() {
	local s=$1 hns=$2 addr=${S_STUB[$1]} net
	net=${addr%.*}
	veth_pair "$hns" up0 "$net.1/30" "$STUB_NS" "up-$s" "$addr/30" || return 1
	bg_ns "$STUB_NS" "${S_STUBLOG[$s]}" "$STUB" "$addr" 53
	wait_for 5 listening "$STUB_NS" udp 53
}
stub_lines() { local n; n=$(wc -l <"${S_STUBLOG[$1]}" 2>/dev/null) && echo "$n" || echo 0; }

# ---- sluice-dnsd --------------------------------------------------------------
DNSD_LOG=
srv_sluice_setup() {
	local out
	ns_new "$SL_NS" "$SL_C" "$SL_P" "$SL_X" || return 1
	stub_start sluice "$SL_NS" || { S_WHY[sluice]="the stub resolver did not start"; return 1; }
	sl_touch "$SL_INST"
	out=$(sl up --no-dns --xdp off --cgroup none 2>&1) || {
		S_WHY[sluice]="sluice up failed: $out"
		return 1
	}
	out=$(sl network create "$NET" --subnet 10.211.0.0/24 2>&1) &&
		out=$(sl network connect "$NET" client --netns "/run/netns/$SL_C" --ip 10.211.0.2 2>&1) &&
		out=$(sl network connect "$NET" peer --netns "/run/netns/$SL_P" --ip "${S_PEER[sluice]}" 2>&1) || {
		S_WHY[sluice]="sluice network create/connect failed: $out"
		return 1
	}
	dns_cg dnsd || { S_WHY[sluice]="cannot create a cgroup for sluice-dnsd"; return 1; }
	S_CG[sluice]=$REPLY
	DNSD_LOG=$TMPD/dnsd.log
	# -d: foreground, logs to stderr; -v: info, so SIGUSR1's counters are
	# logged. --forward-rate 0: the default 200 forwarded queries/s per
	# container would answer most of a saturating run REFUSED.
	bg_cg "${S_CG[sluice]}" "$SL_NS" "$DNSD_LOG" "$DNSD" --instance "$SL_INST" -d -v \
		--upstream "${S_STUB[sluice]}" --forward-rate 0
	S_PID[sluice]=$BG_PID
	S_NET[sluice]=/run/netns/$SL_C
	S_ADDR[sluice]=127.0.0.11
	if ! wait_for 10 eval '[ "$(q_short sluice peer)" = "${S_PEER[sluice]}" ]'; then
		S_WHY[sluice]="sluice-dnsd does not answer: $(tail -n 3 "$DNSD_LOG" | tr '\n' ' ')"
		return 1
	fi
}
srv_sluice_churn() {
	if [ "$1" = connect ]; then
		sl network connect "$NET" churn --netns "/run/netns/$SL_X" --ip "${S_CHURN_IP[sluice]}" >/dev/null 2>&1
	else
		sl network disconnect "$NET" churn >/dev/null 2>&1
	fi
}
# dnsd_counters: DC[queries local forwarded] from the line SIGUSR1 makes
# sluice-dnsd log (read with bash: no process to start).
declare -A DC
_dnsd_last() { # REPLY: the last counter line of the log; n: how many there are
	local line
	n=0 REPLY=
	while IFS= read -r line; do
		[[ $line == "sluice-dnsd: queries "* ]] && { n=$((n + 1)); REPLY=$line; }
	done <"$DNSD_LOG"
}
dnsd_counters() {
	local n n0 re='queries ([0-9]+): local ([0-9]+), forwarded ([0-9]+)'
	DC=([queries]=na [local]=na [forwarded]=na)
	_dnsd_last
	n0=$n
	kill -USR1 "${S_PID[sluice]}" 2>/dev/null || return 1
	for _ in {1..20}; do
		_dnsd_last
		[ "$n" -gt "$n0" ] && break
		sleep 0.02
	done
	[[ $REPLY =~ $re ]] && [ "$n" -gt "$n0" ] || return 1
	DC=([queries]=${BASH_REMATCH[1]} [local]=${BASH_REMATCH[2]} [forwarded]=${BASH_REMATCH[3]})
}

# ---- Docker's embedded DNS: the real dockerd in a namespace of its own -----------
dk() { timeout 60 "$DOCKER_CLI" -H "unix://$DK/docker.sock" "$@"; }
dkl() { # dk, logged
	cmdlog setup "$DOCKER_CLI" -H "unix://$DK/docker.sock" "$@"
	dk "$@"
}
# srv_docker_start: start dockerd in the background (the other servers are
# set up while it starts); srv_docker_setup waits for it.
DOCKER_START_RC=
srv_docker_start() {
	local d p
	if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null ||
		! command -v runc >/dev/null || [ ! -x "$DOCKER_CLI" ]; then
		S_WHY[docker]="docker.io is not installed (bench/deps.sh installs it)"
		return 2
	fi
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		S_WHY[docker]="no static /bin/busybox for the image (apt-get install busybox-static)"
		return 2
	fi
	for d in /run/docker/plugins /run/docker /run/containerd/s /run/containerd; do
		[ -e "$d" ] || RUN_DIRS+=("$d")
	done
	# Short: containerd's unix sockets under it must stay below 108 bytes.
	DK=$TMPD/dk
	mkdir -p "$DK" || return 1
	ns_new "$DK_NS" || return 1
	stub_start docker "$DK_NS" || { S_WHY[docker]="the stub resolver did not start"; return 1; }
	dns_cg dockerd || { S_WHY[docker]="cannot create a cgroup for dockerd"; return 1; }
	S_CG[docker]=$REPLY
	dns_cg containerd || { S_WHY[docker]="cannot create a cgroup for containerd"; return 1; }
	DK_CG_CTRD=$REPLY
	# The key path keeps dockerd from writing /etc/docker/key.json.
	printf '{"deprecated-key-path": "%s/key.json"}\n' "$DK" >"$DK/daemon.json"
	bg_cg "${S_CG[docker]}" "$DK_NS" "$DK/dockerd.log" dockerd \
		--config-file "$DK/daemon.json" --data-root "$DK/d" --exec-root "$DK/e" \
		--pidfile "$DK/dockerd.pid" -H "unix://$DK/docker.sock" --bip 10.216.0.1/24 \
		--cgroup-parent "/$PFX-docker" --storage-driver vfs
	DOCKERD_PID=$BG_PID
	# The image's root: a static busybox.
	mkdir -p "$DK/rootfs/bin" || return 1
	cp /bin/busybox "$DK/rootfs/bin/busybox" || return 1
	for p in sh sleep; do ln -sf busybox "$DK/rootfs/bin/$p"; done
	tar -C "$DK/rootfs" -cf "$DK/rootfs.tar" . || return 1
}
srv_docker_setup() {
	local i p out ns_ino
	[ "${DOCKER_START_RC:-1}" = 0 ] || return "${DOCKER_START_RC:-1}"
	# The socket appears when dockerd is nearly ready: wait for it without
	# starting a process per try, then ask the API.
	for ((i = 0; i < 300; i++)); do
		[ -S "$DK/docker.sock" ] && break
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	for ((i = 0; i < 50; i++)); do
		dk version >/dev/null 2>&1 && break
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.2
	done
	if ! dk version >/dev/null 2>&1; then
		S_WHY[docker]="dockerd does not start here: $(tail -n 3 "$DK/dockerd.log" | tr '\n' ' ')"
		return 2
	fi
	ns_ino=$(stat -L -c %i "/run/netns/$DK_NS")
	if [ "$(stat -L -c %i "/proc/$DOCKERD_PID/ns/net" 2>/dev/null)" != "$ns_ino" ]; then
		S_WHY[docker]="dockerd is not in its own namespace $DK_NS"
		return 1
	fi
	S_PID[docker]=$DOCKERD_PID
	# containerd (dockerd's child) and the shims it starts go to a cgroup of
	# their own: dockerd's holds dockerd alone, whose CPU time is measured.
	for p in $(ps --ppid "$DOCKERD_PID" -o pid= 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = containerd ] && echo "$p" >"$DK_CG_CTRD/cgroup.procs"
	done
	out=$(dkl import "$DK/rootfs.tar" dnsbench/busybox:1 2>&1) || {
		S_WHY[docker]="docker import of a busybox image failed: $out"
		return 1
	}
	out=$({ dkl network create --subnet 10.215.0.0/24 "$NET" &&
		dkl network create --subnet 10.215.1.0/24 "${NET}2"; } 2>&1) || {
		S_WHY[docker]="docker network create failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
		return 1
	}
	# The three containers start side by side (each docker run takes a second or more).
	local spec name ip net pids=() bad=
	for spec in "client 10.215.0.2 $NET" "peer ${S_PEER[docker]} $NET" "churn 10.215.1.4 ${NET}2"; do
		read -r name ip net <<<"$spec"
		dkl run -d --name "$name" --network "$net" --ip "$ip" --dns "${S_STUB[docker]}" \
			dnsbench/busybox:1 sleep 86400 >"$DK/run.$name.log" 2>&1 &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do
		wait "$p" || bad=1
	done
	if [ -n "$bad" ]; then
		S_WHY[docker]="docker run failed: $(cat "$DK"/run.*.log | tail -n 2 | tr '\n' ' ')"
		return 1
	fi
	p=$(dk inspect -f '{{.State.Pid}}' client 2>/dev/null)
	[[ $p =~ ^[1-9][0-9]*$ ]] || { S_WHY[docker]="no PID for the client container"; return 1; }
	S_NET[docker]=/proc/$p/ns/net
	S_ADDR[docker]=127.0.0.11
	if ! wait_for 10 eval '[ "$(q_short docker peer)" = "${S_PEER[docker]}" ]'; then
		S_WHY[docker]="the embedded DNS does not answer: $(q docker peer | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
}
srv_docker_churn() {
	if [ "$1" = connect ]; then
		dkl network connect --ip "${S_CHURN_IP[docker]}" "$NET" churn >/dev/null 2>&1
	else
		dkl network disconnect "$NET" churn >/dev/null 2>&1
	fi
}
docker_teardown() {
	local d m
	if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		dk ps -aq 2>/dev/null | xargs -r timeout 60 "$DOCKER_CLI" -H "unix://$DK/docker.sock" rm -f >/dev/null 2>&1
		kill "$DOCKERD_PID" 2>/dev/null
		timeout 30 tail --pid="$DOCKERD_PID" -f /dev/null || kill -9 "$DOCKERD_PID" 2>/dev/null
	fi
	DOCKERD_PID=
	# What is left in the cgroups we gave dockerd, containerd and the
	# containers (shims, containers of a dockerd that died) is ours: by PID.
	for d in "${DNS_CGS[@]}" /sys/fs/cgroup/*/"$PFX-docker"; do
		case $d in */"$PFX-dockerd" | */"$PFX-containerd" | */"$PFX-docker") cg_reap "$d" ;; esac
	done
	if [ -n "$DK" ]; then
		for m in $(awk -v dk="$DK" 'index($5, dk) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
			umount -l "$m" 2>/dev/null
		done
	fi
	for d in "${RUN_DIRS[@]}"; do
		rmdir "$d" 2>/dev/null
	done
}

# ---- aardvark-dns: configured by hand, as netavark does for Podman ------------
AV_DIR=
AV_IDS=()
# av_config [churn]: the network's config file (first line: the address it
# listens on, the gateway, then the network's DNS server: our stub; then one
# line per container: ID IPv4 IPv6 NAMES), written beside the config
# directory and renamed into it, so aardvark never reads half a file.
av_config() {
	{
		echo "10.214.0.1 ${S_STUB[aardvark]}"
		echo "${AV_IDS[0]} 10.214.0.2  client"
		echo "${AV_IDS[1]} ${S_PEER[aardvark]}  peer"
		if [ "${1:-}" = churn ]; then
			echo "${AV_IDS[2]} ${S_CHURN_IP[aardvark]}  churn"
		fi
	} >"$AV_DIR/$NET.next" && mv -f "$AV_DIR/$NET.next" "$AV_DIR/cfg/$NET"
}
srv_aardvark_setup() {
	local i ns pid
	if [ ! -x "$AARDVARK" ]; then
		S_WHY[aardvark]="aardvark-dns is not installed (apt-get install aardvark-dns)"
		return 2
	fi
	ns_new "$AV_NS" "$AV_C" "$AV_P" "$AV_X" || return 1
	stub_start aardvark "$AV_NS" || { S_WHY[aardvark]="the stub resolver did not start"; return 1; }
	ipn "$AV_NS" link add br0 type bridge && ipn "$AV_NS" addr add 10.214.0.1/24 dev br0 &&
		ipn "$AV_NS" link set br0 up || return 1
	i=2
	for ns in "$AV_C" "$AV_P" "$AV_X"; do
		ipn "$AV_NS" link add "veth$i" type veth peer name eth0 netns "$ns" &&
			ipn "$AV_NS" link set "veth$i" master br0 up &&
			ipn "$ns" addr add "10.214.0.$i/24" dev eth0 && ipn "$ns" link set eth0 up || return 1
		i=$((i + 1))
	done
	AV_DIR=$TMPD/av
	mkdir -p "$AV_DIR/cfg" || return 1
	AV_IDS=()
	for i in 1 2 3; do
		AV_IDS+=("$(printf '%s%060x' dbe0 "$i")") # 64 hex digits, like a container ID
	done
	av_config || return 1
	# Its resolv.conf names our stub (belt and braces: the network's DNS
	# server above already replaces the host's resolvers): bound over
	# /etc/resolv.conf in a private mount namespace of aardvark's own.
	printf 'nameserver %s\n' "${S_STUB[aardvark]}" >"$AV_DIR/resolv.conf"
	dns_cg aardvark || { S_WHY[aardvark]="cannot create a cgroup for aardvark-dns"; return 1; }
	S_CG[aardvark]=$REPLY
	# `run` forks the server and returns when it is ready; the server writes
	# its PID to aardvark.pid in the config directory. Podman passes -p 53.
	local cmd=("${CG_EXEC[@]}" "${S_CG[aardvark]}" timeout 20 nsenter --net="/run/netns/$AV_NS" --
		unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$AV_DIR/resolv.conf"
		"$AARDVARK" --config "$AV_DIR/cfg" -p 53 run)
	cmdlog server "${cmd[@]}"
	"${cmd[@]}" >>"$AV_DIR/start.log" 2>&1 </dev/null || {
		S_WHY[aardvark]="aardvark-dns run failed: $(tail -n 2 "$AV_DIR/start.log" | tr '\n' ' ')"
		return 1
	}
	pid=$(cat "$AV_DIR/cfg/aardvark.pid" 2>/dev/null)
	[[ $pid =~ ^[1-9][0-9]*$ ]] && kill -0 "$pid" 2>/dev/null || {
		S_WHY[aardvark]="aardvark-dns wrote no live PID to $AV_DIR/cfg/aardvark.pid"
		return 1
	}
	_pids+=("$pid")
	S_PID[aardvark]=$pid
	S_NET[aardvark]=/run/netns/$AV_C
	S_ADDR[aardvark]=10.214.0.1
	if [ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]; then
		S_WHY[aardvark]="aardvark-dns runs in the machine's mount namespace (its resolv.conf would be the host's)"
		return 1
	fi
	if ! wait_for 10 eval '[ "$(q_short aardvark peer)" = "${S_PEER[aardvark]}" ]'; then
		S_WHY[aardvark]="aardvark-dns does not answer: $(q aardvark peer | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
}
srv_aardvark_churn() {
	local c=
	[ "$1" = connect ] && c=churn
	printf '[churn] rewrite %s%s, then kill -HUP %s\n' "$AV_DIR/cfg/$NET" "${c:+ (with the churn container)}" \
		"${S_PID[aardvark]}" >>"$CMDLOG"
	av_config $c && kill -HUP "${S_PID[aardvark]}"
}

# _gone PID: the process has exited (or is a zombie waiting to be reaped).
_gone() {
	local line
	read -r line <"/proc/$1/stat" 2>/dev/null || return 0
	line=${line##*) }
	[ "${line:0:1}" = Z ]
}

# Called first by lib.sh's cleanup (on exit, Ctrl-C, TERM): what the servers
# started, then their cgroups. lib.sh then stops the remaining processes by
# PID, runs `sluice down --purge` and deletes the namespaces.
paths_teardown() {
	local s d p
	[ -n "${S_PID[aardvark]:-}" ] && kill "${S_PID[aardvark]}" 2>/dev/null
	docker_teardown
	# The rest (sluice-dnsd, the stubs, the namespaces' anchors, a churn
	# loop) at once: every one is a child of this shell but aardvark-dns
	# (a daemon: polled). lib.sh then has none left to wait for one by one.
	kill "${_pids[@]}" 2>/dev/null
	for p in "${_pids[@]}"; do
		# A child stays a zombie (its PID taken) until waited for.
		for _ in {1..50}; do
			_gone "$p" && break
			sleep 0.1
		done
		_gone "$p" || kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_pids=()
	for d in "${DNS_CGS[@]}"; do
		cg_reap "$d"
	done
}

# ---- checks: every server really answers, and right -----------------------------
# answer_check SERVER: the four kinds by dig, from the client container.
answer_check() {
	local s=$1 a why=
	a=$(q_short "$s" peer)
	[ "$a" = "${S_PEER[$s]}" ] || why+="peer A is '$a', not ${S_PEER[$s]}; "
	a=$(q_status "$s" nosuch)
	[ "$a" = NXDOMAIN ] || why+="nosuch gets '$a', not NXDOMAIN; "
	a=$(q_short "$s" -x "${S_PEER[$s]}")
	[[ $a =~ (^| )peer(\.|$) ]] || why+="PTR of ${S_PEER[$s]} is '$a', not peer[.$NET]; "
	a=$(q_short "$s" "$FWD_NAME")
	[ "$a" = "$FWD_ADDR" ] || why+="$FWD_NAME is '$a', not the stub's $FWD_ADDR; "
	printf 'round %s %s answers: %s\n' "$ROUND" "$s" "${why:-ok}" >>"$CHECKLOG"
	why=${why//;; /} # dig's error lines, kept short in the report
	[ ${#why} -le 300 ] || why="${why:0:300}..."
	ANS_WHY=$why
	[ -z "$why" ]
}

# churn_visible SERVER: a connect is seen by the client's resolver, and so is
# the disconnect (the name is gone: NXDOMAIN).
churn_visible() {
	local s=$1 why=
	"srv_${s}_churn" connect || why+="connect failed; "
	wait_for 5 eval '[ "$(q_short $s churn)" = "${S_CHURN_IP[$s]}" ]' ||
		why+="churn not resolved after the connect ($(q_short "$s" churn)); "
	"srv_${s}_churn" disconnect || why+="disconnect failed; "
	wait_for 5 eval '[ "$(q_status $s churn)" = NXDOMAIN ]' ||
		why+="churn still resolved after the disconnect ($(q_status "$s" churn)); "
	printf 'setup %s churn visible: %s\n' "$s" "${why:-ok}" >>"$CHECKLOG"
	ANS_WHY=$why
	[ -z "$why" ]
}

# ---- measurements ------------------------------------------------------------------
# dnsperf_run SERVER OUTFILE ARGS...: dnsperf from the server's client, bounded.
DP_TMAX=$(awk -v a="$D_SAT" -v b="$D_LAT" -v c="$D_CHURN" 'BEGIN { m = a; if (b > m) m = b; if (c > m) m = c; printf "%d\n", m + 20 }')
dnsperf_run() {
	local s=$1 out=$2
	shift 2
	local cmd=(dnsperf -s "${S_ADDR[$s]}" "$@")
	cmdlog "measure r$ROUND" nsenter --net="${S_NET[$s]}" -- "${cmd[@]}"
	timeout --kill-after=5 "$DP_TMAX" nsenter --net="${S_NET[$s]}" -- "${cmd[@]}" >"$out" 2>&1
}

# dp_parse FILE RCODE [CPU_US TICKS STUB]: DP[...] from dnsperf's output, in
# one awk (on a busy machine every process started costs): sent, completed,
# lost, qps, want (answers with RCODE), okpct (their share), lostpct; with
# -v output p50, p99, avg (µs, over the answered queries, from a 1 µs
# histogram: dnsperf prints microseconds); with the server's CPU time
# (cgroup µs, process ticks) and the stub's query count: cpu_pa and
# stat_pa (CPU µs per answer), upq (upstream queries per query sent).
declare -A DP
DP_AWK='
	/^> / { if ($2 != "T" && $2 != "I") { v = int($NF * 1000000 + 0.5); h[v]++; nl++; sum += v
			if (nl == 1 || v > vmax) vmax = v; if (nl == 1 || v < vmin) vmin = v }; next }
	/Queries sent:/ { s = $3 } /Queries completed:/ { c = $3 } /Queries lost:/ { l = $3 }
	/Queries per second:/ { qps = $4 }
	/Response codes:/ { for (i = 3; i < NF; i += 3) if ($i == want) w = $(i + 1) }
	function pick(q,   need, n, x) {
		need = int(nl * q); if (need < nl * q) need++; if (need < 1) need = 1
		for (x = vmin; x <= vmax; x++) { n += h[x]; if (n >= need) return x }
		return vmax
	}
	function num(x) { return x ~ /^[0-9.]+$/ }
	function div(a, b, f) { return (num(a) && num(b) && b > 0) ? sprintf(f, a / b) : "na" }
	END {
		if (s == "") s = "na"; if (c == "") c = "na"; if (l == "") l = "na"; if (qps == "") qps = "na"
		w += 0
		if (nl > 0) { p50 = pick(0.50); p99 = pick(0.99); avg = sprintf("%.1f", sum / nl) }
		else { p50 = "na"; p99 = "na"; avg = "na" }
		printf "%s %s %s %s %s %s %s %s %s %s %s %s %s\n", s, c, l, qps, w,
			div(100 * w, c, "%.2f"), div(100 * l, s, "%.2f"), p50, p99, avg,
			div(cpu, c, "%.3f"), (num(tk) ? div(tk * 1000000 / hz, c, "%.3f") : "na"),
			(num(stub) ? div(stub, s, "%.3f") : "na")
	}'
dp_parse() {
	local v=()
	read -r -a v <<<"$(awk -v want="$2" -v cpu="${3:-na}" -v tk="${4:-na}" -v stub="${5:-na}" \
		-v hz="$CLK_TCK" "$DP_AWK" "$1")"
	DP=([sent]=${v[0]:-na} [completed]=${v[1]:-na} [lost]=${v[2]:-na} [qps]=${v[3]:-na}
		[want]=${v[4]:-0} [okpct]=${v[5]:-na} [lostpct]=${v[6]:-na} [p50]=${v[7]:-na}
		[p99]=${v[8]:-na} [avg]=${v[9]:-na} [cpu_pa]=${v[10]:-na} [stat_pa]=${v[11]:-na}
		[upq]=${v[12]:-na})
}

# snap_srv SERVER: CPU of the server's cgroup (µs) and process (ticks),
# sluice-dnsd's own query counters.
snap_srv() {
	local s=$1
	SN_CG=$(cg_usec "${S_CG[$s]}")
	SN_TK=$(proxy_cpu "${S_PID[$s]}")
	SN_DQ=na SN_DL=na SN_DF=na
	if [ "$s" = sluice ] && dnsd_counters; then
		SN_DQ=${DC[queries]} SN_DL=${DC[local]} SN_DF=${DC[forwarded]}
	fi
}

# measure SERVER KIND PHASE DURATION: one dnsperf run (PHASE sat: as fast as
# the server answers, OUTSTANDING in flight; rate: RATE queries/s, every
# answer's latency) between two snapshots, then its checks. Rows go to
# ROWBUF; failures to K_FAIL.
measure() {
	local s=$1 k=$2 ph=$3 d=$4 out=$TMPD/dnsperf.out why='' rc
	local cg0 tk0 dq0 dl0 df0 stub cpu=na ticks=na minpct=99 n
	snap_srv "$s"
	cg0=$SN_CG tk0=$SN_TK dq0=$SN_DQ dl0=$SN_DL df0=$SN_DF
	: >"${S_STUBLOG[$s]}"
	if [ "$ph" = sat ]; then
		dnsperf_run "$s" "$out" -d "${QFILE[$s,$k]}" -l "$d" -q "$OUTSTANDING" -t "$QTIMEOUT"
	else
		dnsperf_run "$s" "$out" -d "${QFILE[$s,$k]}" -l "$d" -Q "$RATE" -t "$QTIMEOUT" -v
	fi
	rc=$?
	stub=$(stub_lines "$s")
	snap_srv "$s"
	if [[ $cg0 =~ ^[0-9]+$ && $SN_CG =~ ^[0-9]+$ ]] && [ "$SN_CG" -gt "$cg0" ]; then
		cpu=$((SN_CG - cg0))
	else
		why+="${S_PROC[$s]}'s CPU time did not rise ($cg0 -> $SN_CG µs); "
	fi
	[[ $tk0 =~ ^[0-9]+$ && $SN_TK =~ ^[0-9]+$ ]] && ticks=$((SN_TK - tk0))
	dp_parse "$out" "${WANT[$k]}" "$cpu" "$ticks" "$stub"
	{
		printf '== round %s %s %s %s (exit %s)\n' "$ROUND" "$s" "$k" "$ph" "$rc"
		sed -n '/^Statistics:/,$p' "$out" | grep -v '^> '
	} >>"$RUNLOG_DP"

	[ "$rc" = 0 ] || why+="dnsperf exited $rc; "
	n=${DP[completed]}
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { why+="no answer (completed $n); "; n=0; }
	# At the fixed rate every answer must be right. At saturation 95 %: a
	# duplicate reply (aardvark-dns answers a PTR and forwards it as well)
	# can arrive after dnsperf reused the query's ID for a new query, which
	# then takes it; the share is reported (sat_rcode_ok).
	[ "$ph" = sat ] && minpct=95
	[[ ${DP[okpct]} =~ ^[0-9]+ ]] && [ "${BASH_REMATCH[0]}" -ge "$minpct" ] ||
		why+="only ${DP[okpct]} % of the answers are ${WANT[$k]}; "
	case $k in
	local)
		[ "$stub" = 0 ] || why+="the upstream saw $stub queries for a local name; " ;;
	fwd)
		# Every NOERROR answer for the name can only come from our stub.
		[ $((stub * 100)) -ge $((DP[want] * 99)) ] ||
			why+="the stub saw $stub queries for ${DP[want]} forwarded answers; " ;;
	esac
	if [ "$s" = sluice ]; then
		if [[ $dq0 =~ ^[0-9]+$ && $SN_DQ =~ ^[0-9]+$ ]]; then
			[ $((SN_DQ - dq0)) -ge "$n" ] ||
				why+="sluice-dnsd counted $((SN_DQ - dq0)) queries for $n answers; "
			if [ "$k" = fwd ]; then
				[ $((SN_DF - df0)) -ge "${DP[want]}" ] ||
					why+="sluice-dnsd forwarded $((SN_DF - df0)) for ${DP[want]} answers; "
			else
				[ $((SN_DL - dl0)) -ge "$n" ] ||
					why+="sluice-dnsd answered $((SN_DL - dl0)) locally for $n answers; "
			fi
		else
			why+="sluice-dnsd's counters (SIGUSR1) could not be read; "
		fi
	fi

	local r=$ROUND
	if [ "$ph" = sat ]; then
		emit "$r" "$s" "$k" qps "${DP[qps]}" queries/s
		emit "$r" "$s" "$k" sat_sent "${DP[sent]}" queries
		emit "$r" "$s" "$k" sat_lost "${DP[lost]}" queries
		emit "$r" "$s" "$k" sat_rcode_ok "${DP[okpct]}" pct
		emit "$r" "$s" "$k" cpu_us_per_answer "${DP[cpu_pa]}" us
		emit "$r" "$s" "$k" cpu_stat_us_per_answer "${DP[stat_pa]}" us
		emit "$r" "$s" "$k" upstream_per_query "${DP[upq]}" ratio
	else
		emit "$r" "$s" "$k" p50_us "${DP[p50]}" us
		emit "$r" "$s" "$k" p99_us "${DP[p99]}" us
		emit "$r" "$s" "$k" avg_us "${DP[avg]}" us
		emit "$r" "$s" "$k" rate_sent "${DP[sent]}" queries
		emit "$r" "$s" "$k" rate_lost "${DP[lost]}" queries
		emit "$r" "$s" "$k" rate_rcode_ok "${DP[okpct]}" pct
		emit "$r" "$s" "$k" cpu_us_per_answer_rate "${DP[cpu_pa]}" us
	fi
	printf 'round %s %s %s %s: %s | completed %s, %s %s, cpu %s µs, stub %s, dnsd q %s->%s\n' \
		"$ROUND" "$s" "$k" "$ph" "${why:-pass}" "${DP[completed]}" "${WANT[$k]}" "${DP[want]}" \
		"$cpu" "$stub" "$dq0" "$SN_DQ" >>"$CHECKLOG"
	[ -z "$why" ] && return 0
	fail "$s" "$k" "$ph: ${why%; }"
	return 1
}

# churn_loop SERVER SECONDS OUTFILE: connect and disconnect the churn
# container, one operation per CHURN_PERIOD_US, for SECONDS; ends
# disconnected. Writes "operations failures" to OUTFILE.
churn_loop() {
	local s=$1 end next ops=0 fails=0 st=0 now
	now=$(now_us)
	end=$((now + $(us "$2")))
	next=$now
	while [ "$now" -lt "$end" ]; do
		if [ "$st" = 0 ]; then
			"srv_${s}_churn" connect || fails=$((fails + 1))
			st=1
		else
			"srv_${s}_churn" disconnect || fails=$((fails + 1))
			st=0
		fi
		ops=$((ops + 1))
		next=$((next + CHURN_PERIOD_US))
		now=$(now_us)
		if [ "$next" -gt "$now" ]; then
			sleep "$(awk -v u=$((next - now)) 'BEGIN { printf "%.3f\n", u / 1e6 }')"
			now=$(now_us)
		fi
	done
	if [ "$st" = 1 ]; then
		"srv_${s}_churn" disconnect || fails=$((fails + 1))
		ops=$((ops + 1))
	fi
	echo "$ops $fails" >"$3"
}

# measure_churn SERVER: RATE queries/s of the local name for D_CHURN seconds
# while the churn container connects and disconnects.
measure_churn() {
	local s=$1 out=$TMPD/dnsperf.out why='' rc cpid ops=0 fails=0
	: >"$TMPD/churn.res"
	churn_loop "$s" "$(awk -v d="$D_CHURN" 'BEGIN { print d - 0.3 }')" "$TMPD/churn.res" &
	cpid=$!
	_pids+=("$cpid")
	dnsperf_run "$s" "$out" -d "${QFILE[$s,local]}" -l "$D_CHURN" -Q "$RATE" -t "$QTIMEOUT"
	rc=$?
	wait "$cpid"
	forget_pid "$cpid"
	read -r ops fails <"$TMPD/churn.res" 2>/dev/null
	dp_parse "$out" NOERROR
	{
		printf '== round %s %s churn (exit %s, %s connect/disconnect operations, %s failed)\n' \
			"$ROUND" "$s" "$rc" "${ops:-?}" "${fails:-?}"
		sed -n '/^Statistics:/,$p' "$out"
	} >>"$RUNLOG_DP"
	[ "$rc" = 0 ] || why+="dnsperf exited $rc; "
	[[ ${DP[completed]} =~ ^[0-9]+$ ]] && [ "${DP[completed]}" -gt 0 ] || why+="no answer; "
	[ "${ops:-0}" -ge 2 ] || why+="only ${ops:-0} connect/disconnect operations ran; "
	[ "${fails:-1}" = 0 ] || why+="${fails:-?} connect/disconnect operations failed; "
	emit "$ROUND" "$s" churn churn_sent "${DP[sent]}" queries
	emit "$ROUND" "$s" churn churn_lost "${DP[lost]}" queries
	emit "$ROUND" "$s" churn churn_lost_pct "${DP[lostpct]}" pct
	if [[ ${DP[completed]} =~ ^[0-9]+$ ]]; then
		emit "$ROUND" "$s" churn churn_bad_rcode $((DP[completed] - DP[want])) queries
	fi
	emit "$ROUND" "$s" churn churn_ops "${ops:-0}" operations
	printf 'round %s %s churn: %s | sent %s lost %s, ops %s failed %s\n' "$ROUND" "$s" "${why:-pass}" \
		"${DP[sent]}" "${DP[lost]}" "${ops:-?}" "${fails:-?}" >>"$CHECKLOG"
	[ -z "$why" ] && return 0
	fail "$s" churn "${why%; }"
	return 1
}

# run_server SERVER: one round of one server: the answer check, each kind
# (saturating, then at the fixed rate), the churn run, the memory.
run_server() {
	local s=$1 k ok pss rss
	log "round $ROUND: $s"
	ROWBUF=$TMPD/rows
	: >"$ROWBUF"
	if ! answer_check "$s"; then
		fail "$s" setup "answers: ${ANS_WHY%; }"
		emit "$ROUND" "$s" setup check 0 bool
		cat "$ROWBUF" >>"$CSV"
		return
	fi
	for k in "${KINDS[@]}"; do
		ok=1
		if [ "$ROUND" -le 0 ]; then
			measure "$s" "$k" sat "$W_SAT" || ok=0
		else
			measure "$s" "$k" sat "$D_SAT" || ok=0
			measure "$s" "$k" rate "$D_LAT" || ok=0
		fi
		emit "$ROUND" "$s" "$k" check "$ok" bool
	done
	if [ "$ROUND" -ge 1 ]; then
		ok=1
		measure_churn "$s" || ok=0
		emit "$ROUND" "$s" churn check "$ok" bool
		read -r pss rss < <(mem_kb "${S_PID[$s]}")
		emit "$ROUND" "$s" mem rss_kb "$rss" kB
		emit "$ROUND" "$s" mem pss_kb "$pss" kB
	fi
	cat "$ROWBUF" >>"$CSV"
}

# ---- run --------------------------------------------------------------------------
bench_traps
T_START=$SECONDS
commit=$(bench_commit "$REPO")
{
	echo "date=$(date -u +%FT%TZ)"
	echo "host=$shorthost"
	echo "mode=$MODE"
	echo "rounds=$ROUNDS"
	echo "warmup_rounds=$WARMUP_ROUNDS"
	echo "d_sat=$D_SAT"
	echo "d_lat=$D_LAT"
	echo "d_churn=$D_CHURN"
	echo "w_sat=$W_SAT"
	echo "rate=$RATE"
	echo "outstanding=$OUTSTANDING"
	echo "qtimeout=$QTIMEOUT"
	echo "churn_period_ms=$((CHURN_PERIOD_US / 1000))"
	bench_machine
	echo "commit=$commit"
	echo "sluice=$SLUICE"
	echo "dnsd=$DNSD"
	echo "stub=$STUB"
	echo "aardvark=$AARDVARK"
	echo "versions=dnsperf $(pkgver dnsperf), docker.io $(pkgver docker.io), containerd $(pkgver containerd), aardvark-dns $(pkgver aardvark-dns), busybox-static $(pkgver busybox-static)"
	echo "servers=${SERVERS[*]}"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/dns-env.txt"

log "bench-dns ($MODE): ${SERVERS[*]}; results in $OUT"

# Query files: the same for every server but PTR, which asks for the
# server's own peer address.
printf 'peer A\n' >"$OUT/dns-queries/local.txt"
printf 'nosuch A\n' >"$OUT/dns-queries/nx.txt"
printf '%s A\n' "$FWD_NAME" >"$OUT/dns-queries/fwd.txt"
for s in "${SERVERS[@]}"; do
	IFS=. read -r o1 o2 o3 o4 <<<"${S_PEER[$s]}"
	printf '%s.%s.%s.%s.in-addr.arpa PTR\n' "$o4" "$o3" "$o2" "$o1" >"$OUT/dns-queries/ptr-$s.txt"
	for k in local nx fwd; do
		QFILE[$s,$k]=$OUT/dns-queries/$k.txt
	done
	QFILE[$s,ptr]=$OUT/dns-queries/ptr-$s.txt
done

stubs_setup || die "cannot create the stub namespace"
if [[ " ${SERVERS[*]} " == *" docker "* ]]; then
	log "starting dockerd"
	srv_docker_start
	DOCKER_START_RC=$?
fi
for s in "${SERVERS[@]}"; do
	S_WHY[$s]=
	log "setting up $s"
	"srv_${s}_setup"
	case $? in
	0) S_STATUS[$s]=ok ;;
	2) S_STATUS[$s]=skipped ;;
	*) S_STATUS[$s]=failed S_WHY[$s]=${S_WHY[$s]:-"setup failed at a step with no message (see dns-commands.log)"} ;;
	esac
	ROUND=setup
	if [ "${S_STATUS[$s]}" = ok ] && ! churn_visible "$s"; then
		S_STATUS[$s]=failed S_WHY[$s]="connect/disconnect: ${ANS_WHY%; }"
	fi
	[ "${S_STATUS[$s]}" = failed ] && K_FAIL[$s,setup]=${S_WHY[$s]}
	log "$s: ${S_STATUS[$s]}${S_WHY[$s]:+: ${S_WHY[$s]}}"
done

for ((ROUND = 1 - WARMUP_ROUNDS; ROUND <= ROUNDS; ROUND++)); do
	log "round $ROUND of $ROUNDS$([ "$ROUND" -le 0 ] && echo ' (warm-up, discarded)')"
	# Servers in turn, starting one further each round.
	n=${#SERVERS[@]}
	for ((i = 0; i < n; i++)); do
		s=${SERVERS[$(((i + ROUND + n) % n))]}
		[ "${S_STATUS[$s]}" = ok ] || continue
		run_server "$s"
	done
done
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/dns-env.txt"
echo "wall_s=$((SECONDS - T_START))" >>"$OUT/dns-env.txt"

# ---- status, report ----------------------------------------------------------------
ITEMS=(setup "${KINDS[@]}" churn)
{
	echo "server,item,status,reason"
	for s in "${SERVERS[@]}"; do
		for k in "${ITEMS[@]}"; do
			if [ "${S_STATUS[$s]}" = skipped ]; then
				st=skipped why=${S_WHY[$s]}
			elif [ -n "${K_FAIL[$s,$k]:-}" ]; then
				st=failed why=${K_FAIL[$s,$k]}
			elif [ "${S_STATUS[$s]}" != ok ]; then
				st=failed why="setup failed"
			else
				st=ok why=
			fi
			printf '%s,%s,%s,"%s"\n' "$s" "$k" "$st" "${why//\"/\'}"
		done
	done
} >"$OUT/dns-status.csv"
[ -n "$DNSD_LOG" ] && cp "$DNSD_LOG" "$OUT/dns-sluice-dnsd.log" 2>/dev/null
[ -n "$DK" ] && [ -f "$DK/dockerd.log" ] && tail -n 200 "$DK/dockerd.log" >"$OUT/dns-dockerd.log" 2>/dev/null
log "cleaning up"
_cleanup
log "report"
if "$BENCH_DIR/dns/report.sh" "$OUT"; then
	bench_done
else
	log "report failed"
fi

passed=0 failed=0 skipped=0
while IFS=, read -r s k st why; do
	[ "$s" = server ] && continue
	case $st in
	ok) passed=$((passed + 1)) ;;
	skipped)
		# A server that cannot run here counts once.
		if [ "$k" = setup ]; then
			skipped=$((skipped + 1))
			echo "$s: skipped: ${why//\"/}"
		fi
		;;
	*)
		failed=$((failed + 1))
		echo "$s $k: FAILED: ${why//\"/}"
		;;
	esac
done <"$OUT/dns-status.csv"
if [ "$MODE" = smoke ]; then
	echo "bench-dns-smoke: $passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
else
	[ -f "$OUT/dns.md" ] && cat "$OUT/dns.md"
	echo
	echo "bench-dns ($MODE): $passed checks passed, $failed failed, $skipped servers skipped in $((SECONDS - T_START)) s; results: $OUT"
fi
[ "$failed" -eq 0 ]
