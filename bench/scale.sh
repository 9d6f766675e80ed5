#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/scale.sh - the control-plane scale benchmark: what publishing N TCP
# ports costs (a range, host ports 20000..20000+N-1 to the same container
# ports, N = 1, 100, 1000, 10000) with
#
#   sluice        `sluice port publish ctr 20000-2xxxx:20000-2xxxx` on an
#                 instance with one container endpoint (no dockerd);
#   sluice-proxy  a real dockerd (Debian's docker.io) started with
#                 --userland-proxy-path=<build>/sluice-proxy, sluice up in its
#                 namespace (as tests/integration/test_docker.sh does):
#                 `docker run -d -p 20000-2xxxx:20000-2xxxx`;
#   docker-proxy  the same kind of dockerd with its default userland proxy
#                 /usr/sbin/docker-proxy and iptables, in a namespace of its own.
#
# Measured per N: wall time of the publish (`docker run` until it returns) and
# of its removal (unpublish, `docker rm -f`), the processes it leaves behind
# (proxies: only those of this run's dockerd, in its namespace), their total
# PSS and RSS (/proc/PID/smaps_rollup), iptables rules in that namespace,
# sluice's BPF map memory (bpftool memlock of the pinned maps) and its state
# and registry files. Every measurement is checked: a TCP connection through
# the first and the last published port from a client namespace, and one
# through the last port from a local process (127.0.0.1).
#
#   bench/scale.sh [--quick | --full | --smoke] [--build DIR] [--out DIR]
#
#   --quick  (default) sluice: 3 rounds of every N (medians); Docker (both
#            proxies): N = 1, 100, 1000 once each; N = 10000 through Docker is
#            listed as skipped. Docker's time dominates (its iptables calls
#            per port slow down as the rules grow): 7 minutes in all on a
#            quiet 2-core machine (load 1-2), 21 under a load of 6-9.
#   --full   sluice: 7 rounds; Docker: N = 1 and 100 three times, 1000 and
#            10000 once: hours. Stock docker-proxy at N = 10000 means ~20000
#            processes of 7 threads: see docker_prepare (the PID budget).
#   --smoke  sluice N = 1 and 100, Docker + sluice-proxy N = 1 and stock
#            Docker N = 1 (if dockerd starts), each checked, in well under a
#            minute and a half; prints "bench-scale-smoke: N passed, N failed".
#
# Environment: SCALE_N_SLUICE="1 100", SCALE_N_DOCKER="1 100" measure only
# these N; SCALE_PIDS_MAX sets dockerd's PID budget (default: kernel.pid_max
# minus 8192); SLUICE, SLUICE_PROXY, DOCKER_PROXY: other binaries.
#
# Results: bench/results/<date>-<shorthost>/ (the day's directory, beside
# the other benches' files; smoke: <build>/bench/smoke/...): scale.csv,
# scale.md, scale.png, scale-env.txt, scale-commands.log. bench/scale/report.sh
# DIR rebuilds scale.md and scale.png from them.
#
# Exit: 0 every measurement passed its check (skips allowed, each said);
# 1 one failed (the report is still written); 2 usage; 77 (smoke) cannot run
# at all (not root, a tool or a binary missing).
#
#   client 10.205.0.2 cl0 ═ up0 10.205.0.1  host ns ($PFX-host): sluice bench<PID>
#                                            ├ network scale 10.205.1.0/24: ctr ns 10.205.1.2
#                                            └ dockerd (sluice-proxy), docker0 10.205.8.1/24
#   dkcl   10.205.2.2 cl0 ═ up0 10.205.2.1  dk ns ($PFX-dk): dockerd (docker-proxy),
#                                            docker0 10.205.9.1/24, iptables
#
# Nothing runs or changes in the root namespace: dockerd runs only inside
# its namespace, with private --data-root, --exec-root, --pidfile and socket
# under /tmp/$PFX.dk.*, containers under the cgroup parent $PFX-docker (ours,
# removed on exit), and dockerd itself with its proxies in the cgroups
# $PFX-dockerd (pids and memory: a budget, so that 20000 docker-proxy
# processes cannot take every PID of the machine). Cleanup (exit, Ctrl-C,
# TERM): containers removed, dockerd stopped by PID, anything left in our
# cgroups and namespaces killed by PID, mounts under the private roots
# unmounted, then bench/lib.sh's cleanup (sluice down --purge, namespaces).
set -u
set -o pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"

bench_args bench-scale "" "$@"

# Port counts per system and mode; sluice rounds (medians of them). Docker
# rounds per N: DK_ROUNDS_SMALL for N <= 100, one above.
N_ALL=(1 100 1000 10000)
case $MODE in
smoke) SL_N=(1 100) SL_ROUNDS=${ROUNDS:-1} DK_N=(1) DK_ROUNDS_SMALL=1 ;;
quick) SL_N=(1 100 1000 10000) SL_ROUNDS=${ROUNDS:-3} DK_N=(1 100 1000) DK_ROUNDS_SMALL=1 ;;
full) SL_N=(1 100 1000 10000) SL_ROUNDS=${ROUNDS:-7} DK_N=(1 100 1000 10000) DK_ROUNDS_SMALL=3 ;;
esac
# Overrides (a subset for a quicker look; the PID budget of dockerd).
[ -n "${SCALE_N_SLUICE:-}" ] && read -r -a SL_N <<<"$SCALE_N_SLUICE"
[ -n "${SCALE_N_DOCKER:-}" ] && read -r -a DK_N <<<"$SCALE_N_DOCKER"
for n in "${SL_N[@]}" "${DK_N[@]}"; do
	case " ${N_ALL[*]} " in *" $n "*) ;; *) echo "bench-scale: N must be one of ${N_ALL[*]}, not '$n'" >&2; exit 2 ;; esac
done
SYSTEMS=(sluice sluice-proxy docker-proxy)

SLUICE=${SLUICE:-$BUILD_DIR/sluice}
PROXY=${SLUICE_PROXY:-$BUILD_DIR/sluice-proxy}
PROBE=$BUILD_DIR/tests/tools/sockprobe
PROBE_STATIC=$BUILD_DIR/tests/tools/sockprobe-static
DOCKER_PROXY=${DOCKER_PROXY:-/usr/sbin/docker-proxy}
# Debian's client speaks 20.10's API; another docker CLI on PATH may not.
DOCKER_CLI=/usr/bin/docker
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker 2>/dev/null || echo /usr/bin/docker)

# ---- names and addresses (every one inside this run's namespaces) --------
NET=10.205
HOST_NS=$PFX-host   # sluice instance SL_INST; dockerd with sluice-proxy
CLIENT_NS=$PFX-client
CTR_NS=$PFX-ctr     # the container of `sluice port publish`
DK_NS=$PFX-dk       # dockerd with docker-proxy
DKCL_NS=$PFX-dkcl
HOST_IP=$NET.0.1 CLIENT_IP=$NET.0.2
DK_IP=$NET.2.1 DKCL_IP=$NET.2.2
SL_NET=scale SL_CTR=ctr SL_SUBNET=$NET.1.0/24 SL_CTR_IP=$NET.1.2
BIP_SP=$NET.8.1/24 # docker0 of the sluice-proxy dockerd
BIP_DP=$NET.9.1/24 # docker0 of the docker-proxy dockerd
P0=20000           # first published port
IMAGE=sluice-scale/bb:1
CG_PARENT=$PFX-docker # --cgroup-parent of the containers
DK_CG_NAME=$PFX-dockerd
DK=         # dockerd's private directory (roots, socket, logs)
DK_CGS=()   # the cgroups dockerd and its children run in (the budget)
DOCKERD_PID=
DOCKERD_SYS=
DK_HUNG=    # set when dockerd did not finish a request within its bound
RUN_DIRS=() # directories dockerd/containerd create outside ours, removed if new

# ---- preflight -------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || bench_cannot_run "needs root (network namespaces, BPF, dockerd)"
for tool in ip nsenter jq timeout awk iptables-save; do
	command -v "$tool" >/dev/null || bench_cannot_run "$tool is missing: run 'make bench-deps'"
done
[ -x "$SLUICE" ] || bench_cannot_run "$SLUICE is missing: run 'make'"
[ -x "$PROBE" ] || bench_cannot_run "$PROBE is missing: run 'make $BUILD_DIR/tests/tools/sockprobe' (make test builds it)"
mkdir -p /run/netns

# Docker's systems need docker.io, a static busybox and a static sockprobe;
# without them they are reported as skipped, with this reason.
DOCKER_WHY=
for t in dockerd containerd runc; do
	command -v "$t" >/dev/null || DOCKER_WHY="$t is missing (apt-get install docker.io)"
done
[ -z "$DOCKER_WHY" ] && [ ! -x "$DOCKER_CLI" ] && DOCKER_WHY="no docker CLI (apt-get install docker.io)"
[ -z "$DOCKER_WHY" ] && [ ! -x "$DOCKER_PROXY" ] && DOCKER_WHY="$DOCKER_PROXY is missing (apt-get install docker.io)"
if [ -z "$DOCKER_WHY" ] && { [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; }; then
	DOCKER_WHY="no static /bin/busybox for the image (apt-get install busybox-static)"
fi
[ -z "$DOCKER_WHY" ] && [ ! -x "$PROBE_STATIC" ] &&
	DOCKER_WHY="$PROBE_STATIC is missing (make $PROBE_STATIC; make test builds it)"
[ -z "$DOCKER_WHY" ] && [ ! -x "$PROXY" ] && SP_WHY="$PROXY is missing (run make)"
SP_WHY=${SP_WHY:-$DOCKER_WHY}

bench_out scale- scale.csv
CSV=$OUT/scale.csv
CMDLOG=$OUT/scale-commands.log
FAILLOG=$OUT/scale-failures.log
: >"$CMDLOG"
: >"$FAILLOG"
echo "time,system,n,round,metric,value,unit,ok,note" >"$CSV"

# ---- the docker teardown (lib.sh's _cleanup calls paths_teardown first) ----

# dk ARGS...: the docker CLI against this run's dockerd, bounded by DK_BOUND s.
dk() {
	DOCKER_CONFIG=$DK/cli timeout --kill-after=10 "${DK_BOUND:-60}" \
		"$DOCKER_CLI" -H "unix://$DK/$DOCKERD_SYS/docker.sock" "$@"
}

# dk_long BOUND OUTFILE ARGS...: a docker CLI call that may take minutes, in
# the background and waited for with `wait`: bash runs its INT/TERM traps
# only between foreground commands, but interrupts `wait` at once.
dk_long() {
	local bound=$1 out=$2 pid rc
	shift 2
	DOCKER_CONFIG=$DK/cli timeout --kill-after=10 "$bound" \
		"$DOCKER_CLI" -H "unix://$DK/$DOCKERD_SYS/docker.sock" "$@" >"$out" 2>&1 </dev/null &
	pid=$!
	_pids+=("$pid")
	wait "$pid"
	rc=$?
	forget_pid "$pid"
	return "$rc"
}

# ours_left: PIDs of processes still in our cgroups or our namespaces (they
# are all this run's: dockerd, containerd, shims, containers, proxies),
# except the namespaces' anchors and this shell.
ours_left() {
	local f p ns
	{
		for f in "${DK_CGS[@]/%//cgroup.procs}" /sys/fs/cgroup/*/"$CG_PARENT"/cgroup.procs \
			/sys/fs/cgroup/*/"$CG_PARENT"/*/cgroup.procs; do
			[ -r "$f" ] && cat "$f" 2>/dev/null
		done
		for ns in "$HOST_NS" "$DK_NS"; do
			[ -e "/run/netns/$ns" ] || continue
			ns_pids "$ns"
			printf '%s\n' "${NS_PIDS[@]}"
		done
	} | sort -un | while read -r p; do
		{ [ -n "$p" ] && [ "$p" != "$BENCH_PID" ]; } || continue
		case " ${NS_ANCHOR[*]} " in *" $p "*) continue ;; esac
		echo "$p"
	done
}

dockerd_stop() {
	local p
	[ -n "$DOCKERD_PID" ] || return 0
	if kill -0 "$DOCKERD_PID" 2>/dev/null; then
		dk ps -aq 2>/dev/null | while read -r p; do
			DK_BOUND=300 dk rm -f "$p" >/dev/null 2>&1
		done
		cmdlog dockerd kill "$DOCKERD_PID"
		kill "$DOCKERD_PID" 2>/dev/null
		timeout 60 tail --pid="$DOCKERD_PID" -f /dev/null 2>/dev/null || kill -9 "$DOCKERD_PID" 2>/dev/null
	fi
	wait "$DOCKERD_PID" 2>/dev/null
	forget_pid "$DOCKERD_PID"
	DOCKERD_PID=
}

# docker_kill: dockerd and whatever it started or left (containerd, shims,
# containers, proxies), killed by PID: after a dockerd that died or hung.
docker_kill() {
	local left=()
	if [ -n "$DOCKERD_PID" ]; then
		cmdlog dockerd kill -9 "$DOCKERD_PID"
		kill -9 "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
		forget_pid "$DOCKERD_PID"
		DOCKERD_PID=
	fi
	for _ in 1 2 3; do
		mapfile -t left < <(ours_left)
		[ ${#left[@]} -eq 0 ] && break
		kill -9 "${left[@]}" 2>/dev/null
		sleep 0.5
	done
}

paths_teardown() {
	local d m
	[ -n "$DK" ] || return 0
	# Interrupted: no waiting for dockerd to undo a range port by port.
	[ -n "$INTERRUPTED" ] || dockerd_stop
	docker_kill
	awk -v dk="$DK/" 'index($5, dk) == 1 {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do
			umount -l "$m" 2>/dev/null
		done
	for d in /sys/fs/cgroup/*/"$CG_PARENT"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for d in "${DK_CGS[@]}"; do
		rmdir "$d" 2>/dev/null
	done
	for d in "${RUN_DIRS[@]}"; do
		rmdir "$d" 2>/dev/null
	done
	# Never follow a mount that is still there into another file system.
	rm -rf --one-file-system "$DK" 2>/dev/null
	DK=
}

bench_traps
# As bench_traps, and the docker teardown knows not to wait for dockerd.
INTERRUPTED=
trap 'INTERRUPTED=1; _cleanup; exit 130' INT
trap 'INTERRUPTED=1; _cleanup; exit 143' TERM

# The binaries measured are copied first: a `make` running meanwhile (which
# relinks build/sluice-proxy) cannot make dockerd's fork/exec fail mid-range,
# and every measurement of the run uses the same build. sluice-proxy execs
# sluice-proxy-wait from its own directory: both go together.
BIN=$TMPD/bin
mkdir -p "$BIN" || die "cannot create $BIN"
snap_bin() { # snap_bin PATH: copy PATH into BIN, once it has not changed for 2 s
	local _ age
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		age=$(($(date +%s) - $(stat -c %Y "$1" 2>/dev/null || echo 0)))
		[ "$age" -ge 2 ] && cp "$1" "$BIN/${1##*/}" 2>/dev/null && cmp -s "$1" "$BIN/${1##*/}" && return 0
		sleep 1
	done
	return 1
}
BIN_SUMS=
for f in "$SLUICE" "$PROXY" "${PROXY%/*}/sluice-proxy-wait"; do
	[ -e "$f" ] || continue
	snap_bin "$f" || die "cannot copy $f to $BIN"
	BIN_SUMS+=" ${f##*/}=$(sha256sum "$BIN/${f##*/}" | cut -c1-16)"
done
SLUICE_ORIG=$SLUICE PROXY_ORIG=$PROXY
SLUICE=$BIN/${SLUICE##*/}
[ -x "$PROXY" ] && PROXY=$BIN/${PROXY##*/}

# ---- the machine and the software, recorded with the results --------------
commit=$(bench_commit "$REPO")
PID_MAX=$(cat /proc/sys/kernel/pid_max)
{
	echo "date=$(date -u +%FT%TZ)"
	echo "host=$shorthost"
	echo "mode=$MODE"
	bench_machine
	echo "mem_total_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	echo "pid_max=$PID_MAX"
	echo "commit=$commit"
	echo "sluice=$SLUICE_ORIG ($(stat -c '%s bytes, %y' "$SLUICE_ORIG" 2>/dev/null), run from a copy)"
	echo "sluice_proxy=$PROXY_ORIG ($(stat -c '%s bytes, %y' "$PROXY_ORIG" 2>/dev/null || echo missing), run from a copy)"
	echo "sha256_16=${BIN_SUMS# }"
	echo "docker.io=$(pkgver docker.io) containerd=$(pkgver containerd) runc=$(pkgver runc) iptables=$(iptables -V 2>/dev/null)"
	echo "docker_proxy=$DOCKER_PROXY"
	echo "sluice_n=${SL_N[*]} sluice_rounds=$SL_ROUNDS docker_n=${DK_N[*]} docker_rounds_small=$DK_ROUNDS_SMALL"
	echo "first_port=$P0"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/scale-env.txt"

log "bench-scale ($MODE): results in $OUT"
T_START=$SECONDS

# ---- helpers ----------------------------------------------------------------

# ns_pids NS: NS_PIDS = the processes whose network namespace is NS (bash's
# -ef compares the nsfs inodes; no fork per process).
ns_pids() {
	local p ref=/run/netns/$1
	NS_PIDS=()
	for p in /proc/[0-9]*; do
		[[ $p/ns/net -ef $ref ]] && NS_PIDS+=("${p#/proc/}")
	done
}

# proxy_scan NS COMM: PROXIES = the processes named COMM in NS that are
# children of this run's dockerd; STRAY = other docker-proxy/sluice-proxy
# processes in NS (there should be none).
proxy_scan() {
	local p c line f
	PROXIES=() STRAY=()
	ns_pids "$1"
	for p in "${NS_PIDS[@]}"; do
		read -r c <"/proc/$p/comm" 2>/dev/null || continue
		case $c in docker-proxy | sluice-proxy | sluice-proxy-w*) ;; *) continue ;; esac
		read -r line <"/proc/$p/stat" 2>/dev/null || continue
		read -r -a f <<<"${line##*) }"
		# A waiting sluice-proxy may be sluice-proxy-wait (it names itself sluice-proxy).
		if [[ $c == "$2"* ]] && [ "${f[1]}" = "$DOCKERD_PID" ]; then
			PROXIES+=("$p")
		else
			STRAY+=("$p:$c")
		fi
	done
}

no_proxies() { # no_proxies NS COMM: none of this dockerd's COMM processes is left in NS
	proxy_scan "$1" "$2"
	[ ${#PROXIES[@]} -eq 0 ]
}

# ipt_rules NS: rules (-A lines of iptables-save) in NS.
ipt_rules() {
	local n
	n=$(timeout 60 nsenter --net="/run/netns/$1" -- iptables-save 2>/dev/null | grep -c '^-A')
	echo "${n:-0}"
}

# sl_memlock: bytes of kernel memory charged to the instance's pinned maps
# (bpftool's bytes_memlock), "na" without bpftool.
sl_memlock() {
	local m sum=0 b
	command -v bpftool >/dev/null || { echo na; return; }
	for m in "/sys/fs/bpf/sluice/$SL_INST"/*; do
		[ -f "$m" ] || continue
		b=$(timeout 10 bpftool -j map show pinned "$m" 2>/dev/null | jq -r '.bytes_memlock // 0' 2>/dev/null)
		sum=$((sum + ${b:-0}))
	done
	echo "$sum"
}
file_bytes() { stat -c %s "$1" 2>/dev/null || echo 0; }
dir_bytes() { du -sb "$1" 2>/dev/null | awk '{ print $1 }' || echo 0; }
dir_bytes_or0() { [ -d "$1" ] && dir_bytes "$1" || echo 0; }

# secs T0 T1: seconds between two $EPOCHREALTIME values, 3 decimals.
secs() {
	local us=$((${2/./} - ${1/./}))
	printf '%d.%03d' $((us / 1000000)) $(((us % 1000000) / 1000))
}

# emit SYSTEM N ROUND METRIC VALUE UNIT OK [NOTE]
emit() {
	local ts note=${8:-}
	TZ=UTC printf -v ts '%(%Y-%m-%dT%H:%M:%SZ)T' -1
	note=${note//\"/\'}
	printf '%s,%s,%s,%s,%s,%s,%s,%s,"%s"\n' "$ts" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$note" >>"$CSV"
}

# reach WHERE ADDR PORT NAME: a TCP connection through ADDR:PORT reaches the
# server NAME. WHERE: a namespace, or "local:NS" for a process of NS (of the
# host namespace: in the clients' cgroup, where sluice's socket hooks apply).
reach() {
	local where=$1 out msg=m$RANDOM cmd
	if [ "$where" = "local:$HOST_NS" ]; then
		cmd=("${CG_EXEC[@]}" "$CG_DIR" nsenter --net="/run/netns/$HOST_NS" -- timeout 12 "$PROBE" "$2" "$3" tcp "$msg")
	elif [[ $where == local:* ]]; then
		cmd=(nsenter --net="/run/netns/${where#local:}" -- timeout 12 "$PROBE" "$2" "$3" tcp "$msg")
	else
		cmd=(nsenter --net="/run/netns/$where" -- timeout 12 "$PROBE" "$2" "$3" tcp "$msg")
	fi
	cmdlog "check" "${cmd[@]}"
	out=$("${cmd[@]}" 2>&1)
	[[ $out == *"reply $4 "*" $msg"* ]] && return 0
	REACH_WHY+="$where -> $2:$3: ${out:-no output} "
	return 1
}

# reach_all N NAME CLIENT_NS HOST_IP HOST_NS: first and last port from the
# client namespace, the last from a local process.
reach_all() {
	local last=$((P0 + $1 - 1))
	REACH_WHY=
	reach "$3" "$4" "$P0" "$2" && reach "$3" "$4" "$last" "$2" && reach "local:$5" 127.0.0.1 "$last" "$2"
}

fail_note() { printf '%s %s N=%s round %s: %s\n' "$(date +%H:%M:%S)" "$1" "$2" "$3" "$4" >>"$FAILLOG"; }

declare -A RESULT REASON # per "system N": ok | failed | skipped, and why
result() {               # result SYSTEM N ok|failed|skipped REASON
	local k="$1 $2"
	case ${RESULT[$k]:-} in failed) return ;; esac
	RESULT[$k]=$3
	REASON[$k]=$4
}

# ---- topology -----------------------------------------------------------------

# uplink HOST_NS HOST_IP CLIENT_NS CLIENT_IP: a veth between a host namespace
# (up0) and its client namespace (cl0).
uplink() {
	ipn "$1" link add up0 type veth peer name cl0 netns "$3" || return 1
	ipn "$1" addr add "$2/24" dev up0 || return 1
	ipn "$1" link set up0 up || return 1
	ipn "$3" addr add "$4/24" dev cl0 || return 1
	ipn "$3" link set cl0 up || return 1
}

sluice_setup() {
	local out last=$((P0 + 10000 - 1)) ports=() n
	ns_new "$HOST_NS" "$CLIENT_NS" "$CTR_NS" || return 1
	uplink "$HOST_NS" "$HOST_IP" "$CLIENT_NS" "$CLIENT_IP" || return 1
	cgroup_setup || {
		SETUP_WHY=$PATH_WHY
		return 1
	}
	sl_touch "$SL_INST"
	# No DNS daemon: containers here resolve nothing, and a persistent
	# process would blur the process counts.
	out=$(sl up --uplink up0 --xdp off --cgroup "$CG_DIR" --no-dns 2>&1) || {
		SETUP_WHY="sluice up failed: $out"
		return 1
	}
	if ! out=$(sl network create "$SL_NET" --subnet "$SL_SUBNET" 2>&1) ||
		! out=$(sl network connect "$SL_NET" "$SL_CTR" --netns "/run/netns/$CTR_NS" --ip "$SL_CTR_IP" 2>&1); then
		SETUP_WHY="sluice network create/connect failed: $out"
		return 1
	fi
	# The container answers on the first and the last port of every N.
	for n in "${N_ALL[@]}"; do
		[ "$n" -gt 1 ] && ports+=("$((P0 + n - 1))")
	done
	bg_ns "$CTR_NS" "$TMPD/ctr.log" "$PROBE" serve tcp "$SL_CTR" "$P0" "${ports[@]}"
	wait_for 5 listening "$CTR_NS" tcp "$last" || {
		SETUP_WHY="sockprobe does not listen in $CTR_NS: $(tail -n 2 "$TMPD/ctr.log")"
		return 1
	}
}

# ---- sluice: port publish / unpublish ----------------------------------------

# sluice_measure N ROUND [warmup]
sluice_measure() {
	local n=$1 r=$2 warm=${3:-} a=$P0 b=$((P0 + $1 - 1)) spec t0 t1 out rc why="" ok=1
	local n0 n1 m0 m1 maps left st rd ipt load
	spec="$a-$b:$a-$b"
	[ "$n" = 1 ] && spec="$a:$a"
	ns_pids "$HOST_NS"
	n0=${#NS_PIDS[@]}
	m0=$(sl_memlock)
	t0=$EPOCHREALTIME
	sl_in "$SL_INST" port publish "$SL_CTR" "$spec" >/dev/null 2>"$TMPD/err"
	rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" != 0 ]; then
		why="sluice port publish $SL_CTR $spec: exit $rc: $(head -c 300 "$TMPD/err")"
		[ -n "$warm" ] && return 1
		fail_note sluice "$n" "$r" "$why"
		emit sluice "$n" "$r" publish_s "$(secs "$t0" "$t1")" s 0 "$why"
		result sluice "$n" failed "$why"
		return 1
	fi
	ns_pids "$HOST_NS"
	n1=${#NS_PIDS[@]}
	m1=$(sl_memlock)
	maps=$(sl -j port ls "$SL_CTR" 2>/dev/null | jq length 2>/dev/null)
	st=$(file_bytes "/var/lib/sluice/$SL_INST/state")
	rd=$(dir_bytes_or0 "/run/sluice/$SL_INST")
	ipt=$(ipt_rules "$HOST_NS")
	read -r load _ </proc/loadavg
	[ "${maps:-0}" = "$n" ] || why+="port ls shows ${maps:-?} mappings, not $n; "
	[ "$n1" -eq "$n0" ] || why+="processes in the host namespace: $n0 before, $n1 after; "
	reach_all "$n" "$SL_CTR" "$CLIENT_NS" "$HOST_IP" "$HOST_NS" || why+="$REACH_WHY; "
	local t2 t3 rc2
	t2=$EPOCHREALTIME
	sl_in "$SL_INST" port unpublish "$SL_CTR" "$spec" >/dev/null 2>"$TMPD/err"
	rc2=$?
	t3=$EPOCHREALTIME
	[ "$rc2" = 0 ] || why+="unpublish: exit $rc2: $(head -c 200 "$TMPD/err"); "
	left=$(sl -j port ls "$SL_CTR" 2>/dev/null | jq length 2>/dev/null)
	[ "${left:-x}" = 0 ] || why+="after unpublish port ls shows ${left:-?} mappings; "
	[ -n "$warm" ] && { [ -z "$why" ] || log "sluice warm-up: $why"; return 0; }
	[ -n "$why" ] && ok=0
	emit sluice "$n" "$r" publish_s "$(secs "$t0" "$t1")" s "$ok"
	emit sluice "$n" "$r" unpublish_s "$(secs "$t2" "$t3")" s "$ok"
	emit sluice "$n" "$r" procs_new "$((n1 - n0))" count "$ok"
	emit sluice "$n" "$r" proxies 0 count "$ok"
	emit sluice "$n" "$r" pss_kb 0 kB "$ok"
	emit sluice "$n" "$r" rss_kb 0 kB "$ok"
	emit sluice "$n" "$r" ipt_rules "$ipt" count "$ok"
	emit sluice "$n" "$r" mappings "${maps:-0}" count "$ok"
	emit sluice "$n" "$r" bpf_memlock_b "$m1" bytes "$ok"
	[[ $m0 =~ ^[0-9]+$ && $m1 =~ ^[0-9]+$ ]] && emit sluice "$n" "$r" bpf_memlock_delta_b "$((m1 - m0))" bytes "$ok"
	emit sluice "$n" "$r" state_b "$st" bytes "$ok"
	emit sluice "$n" "$r" rundir_b "$rd" bytes "$ok"
	emit sluice "$n" "$r" loadavg1 "$load" load "$ok"
	emit sluice "$n" "$r" check "$ok" bool 1 "${why%; }"
	if [ "$ok" = 1 ]; then
		result sluice "$n" ok ""
	else
		fail_note sluice "$n" "$r" "${why%; }"
		result sluice "$n" failed "round $r: ${why%; }"
	fi
	log "sluice N=$n round $r: publish $(secs "$t0" "$t1") s, unpublish $(secs "$t2" "$t3") s$([ "$ok" = 1 ] || echo ": FAILED: ${why%; }")"
}

# ---- Docker ------------------------------------------------------------------

# docker_prepare: private directories, the image's root file system and the
# cgroups that bound dockerd and everything it starts (PIDs, memory). A
# docker-proxy has 7 threads: 20000 of them would need 140000 PIDs, more
# than kernel.pid_max (32768 here), and would starve the whole machine.
# dockerd's cgroup may use all PIDs but 8192 (and 3/4 of the available
# memory); past that, the failure is dockerd's and is reported as such.
DK_PIDS_MAX=
DK_MEM_MAX=
docker_prepare() {
	local d a root
	for d in /run/docker/plugins /run/docker /run/containerd/s /run/containerd; do
		[ -e "$d" ] || RUN_DIRS+=("$d")
	done
	# Short: unix socket paths under it must stay below 108 bytes.
	DK=$(mktemp -d "/tmp/$PFX.dk.XXXX") || return 1
	mkdir -p "$DK/cli" "$DK/rootfs/bin" "$DK/rootfs/tmp" || return 1
	# The key path keeps dockerd from writing /etc/docker/key.json.
	printf '{"deprecated-key-path": "%s/key.json"}\n' "$DK" >"$DK/daemon.json"
	cp /bin/busybox "$DK/rootfs/bin/busybox" && cp "$PROBE_STATIC" "$DK/rootfs/bin/sockprobe" || return 1
	for a in sh sleep cat; do ln -s busybox "$DK/rootfs/bin/$a"; done
	tar -C "$DK/rootfs" -cf "$DK/rootfs.tar" . || return 1
	DK_PIDS_MAX=${SCALE_PIDS_MAX:-$((PID_MAX - 8192))}
	[ "$DK_PIDS_MAX" -lt 256 ] && DK_PIDS_MAX=256
	DK_MEM_MAX=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024 * 3 / 4))
	DK_CGS=()
	if [ "$(stat -f -c %T /sys/fs/cgroup/pids 2>/dev/null)" = cgroupfs ]; then
		# cgroup v1 controllers (this hybrid hierarchy)
		mkdir "/sys/fs/cgroup/pids/$DK_CG_NAME" && DK_CGS+=("/sys/fs/cgroup/pids/$DK_CG_NAME") &&
			echo "$DK_PIDS_MAX" >"/sys/fs/cgroup/pids/$DK_CG_NAME/pids.max" || return 1
		if [ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ] &&
			mkdir "/sys/fs/cgroup/memory/$DK_CG_NAME"; then
			DK_CGS+=("/sys/fs/cgroup/memory/$DK_CG_NAME")
			echo "$DK_MEM_MAX" >"/sys/fs/cgroup/memory/$DK_CG_NAME/memory.limit_in_bytes" || return 1
		fi
	elif root=$(cgroup2_root) && grep -qw pids "$root/cgroup.subtree_control" 2>/dev/null; then
		mkdir "$root/$DK_CG_NAME" && DK_CGS+=("$root/$DK_CG_NAME") &&
			echo "$DK_PIDS_MAX" >"$root/$DK_CG_NAME/pids.max" || return 1
		[ -e "$root/$DK_CG_NAME/memory.max" ] && echo "$DK_MEM_MAX" >"$root/$DK_CG_NAME/memory.max"
	else
		log "no pids cgroup controller: dockerd runs without a PID budget"
		DK_PIDS_MAX=none
	fi
	for d in "${DK_CGS[@]}"; do cmdlog setup mkdir "$d"; done
	{
		echo "dockerd_pids_max=$DK_PIDS_MAX"
		echo "dockerd_mem_max_bytes=$DK_MEM_MAX"
		echo "dockerd_cgroups=${DK_CGS[*]}"
	} >>"$OUT/scale-env.txt"
}

# dockerd_start sp|dp: dockerd in its namespace (sp: HOST_NS with
# sluice-proxy; dp: DK_NS with docker-proxy), iptables on, private roots.
dockerd_start() {
	local sys=$1 ns bip proxy cmd=() i
	case $sys in
	sp) ns=$HOST_NS bip=$BIP_SP proxy=$PROXY ;;
	dp) ns=$DK_NS bip=$BIP_DP proxy=$DOCKER_PROXY ;;
	esac
	DOCKERD_SYS=$sys
	mkdir -p "$DK/$sys"
	# Join the budget cgroups, then exec dockerd (same PID all along).
	for i in "${DK_CGS[@]}"; do
		cmd+=("${CG_EXEC[@]}" "$i")
	done
	# sluice-proxy finds its instance in the environment dockerd passes on.
	[ "$sys" = sp ] && cmd+=(env SLUICE_INSTANCE="$SL_INST")
	cmd+=(dockerd --config-file "$DK/daemon.json"
		--data-root "$DK/$sys/d" --exec-root "$DK/$sys/e" --pidfile "$DK/$sys/dockerd.pid"
		-H "unix://$DK/$sys/docker.sock" --userland-proxy-path="$proxy" --iptables=true
		--bip "$bip" --cgroup-parent "/$CG_PARENT" --storage-driver vfs)
	bg_ns "$ns" "$TMPD/dockerd-$sys.log" "${cmd[@]}"
	DOCKERD_PID=$BG_PID
	i=$((SECONDS + 40))
	while [ "$SECONDS" -lt "$i" ]; do
		DK_BOUND=10 dk version >/dev/null 2>&1 && break
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.2
	done
	if ! DK_BOUND=10 dk version >/dev/null 2>&1; then
		SETUP_WHY="dockerd does not start in $ns: $(tail -n 3 "$TMPD/dockerd-$sys.log" | tr '\n' ' ' | cut -c1-400)"
		return 1
	fi
	[[ /proc/$DOCKERD_PID/ns/net -ef /run/netns/$ns ]] || {
		SETUP_WHY="dockerd (pid $DOCKERD_PID) is not in $ns"
		return 1
	}
	cmdlog setup "${DOCKER_CLI##*/}" -H "unix://$DK/$sys/docker.sock" import "$DK/rootfs.tar" "$IMAGE"
	DK_BOUND=60 dk import "$DK/rootfs.tar" "$IMAGE" >/dev/null 2>"$TMPD/err" || {
		SETUP_WHY="docker import failed: $(head -c 300 "$TMPD/err")"
		return 1
	}
}

# docker_measure sluice-proxy|docker-proxy N ROUND
docker_measure() {
	local sys=$1 n=$2 r=$3 a=$P0 b=$((P0 + $2 - 1)) ns cl ip comm name spec ports=()
	local t0 t1 t2 t3 rc out why="" ok=1 n0 n1 nprox exe pss rss ipt dpss load maps m st rd bound hits0 tasks0 tasks1
	case $sys in
	sluice-proxy) ns=$HOST_NS cl=$CLIENT_NS ip=$HOST_IP comm=sluice-proxy ;;
	docker-proxy) ns=$DK_NS cl=$DKCL_NS ip=$DK_IP comm=docker-proxy ;;
	esac
	name=scale$n-$r
	spec="$a-$b:$a-$b" ports=("$a" "$b")
	[ "$n" = 1 ] && spec="$a:$a" ports=("$a")
	# dockerd's per-port iptables calls slow down as the rules grow (about
	# 5 minutes for 1000 ports on a busy 2-core machine): a generous bound.
	bound=$((300 + n * 7 / 10))
	ns_pids "$ns"
	n0=${#NS_PIDS[@]}
	hits0=$(budget_hits)
	tasks0=$(budget_tasks)
	cmdlog "$sys N=$n r$r publish" "${DOCKER_CLI##*/}" -H "unix://$DK/$DOCKERD_SYS/docker.sock" run -d \
		--name "$name" -p "$spec" "$IMAGE" /bin/sockprobe serve tcp "$name" "${ports[@]}"
	t0=$EPOCHREALTIME
	dk_long "$bound" "$TMPD/dk.out" run -d --name "$name" -p "$spec" "$IMAGE" /bin/sockprobe serve tcp "$name" "${ports[@]}"
	rc=$?
	out=$(<"$TMPD/dk.out")
	t1=$EPOCHREALTIME
	if [ "$rc" != 0 ]; then
		why="docker run -p $spec failed (exit $rc) after $(secs "$t0" "$t1") s: $(tail -n 2 <<<"$out" | tr '\n' ' ' | cut -c1-400)"
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && why="docker run -p $spec did not return within $bound s"
		proxy_scan "$ns" "$comm"
		why+=" ($(cut -d' ' -f1 /proc/loadavg) load; ${#PROXIES[@]} $comm processes running then)"
		m=$(budget_hits)
		[ "${m:-0}" -gt "$hits0" ] && why+="; dockerd's cgroup refused $((m - hits0)) forks: its PID budget of $DK_PIDS_MAX tasks was reached (kernel.pid_max $PID_MAX)"
		fail_note "$sys" "$n" "$r" "$why"
		emit "$sys" "$n" "$r" publish_s "$(secs "$t0" "$t1")" s 0 "$why"
		emit "$sys" "$n" "$r" check 0 bool 1 "$why"
		result "$sys" "$n" failed "$why"
		log "$sys N=$n round $r: FAILED: $why"
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			DK_HUNG=1 # dockerd is still at it: the caller kills it
		else
			dk_long "$bound" /dev/null rm -f "$name" || DK_HUNG=1
		fi
		return 1
	fi
	proxy_scan "$ns" "$comm"
	nprox=${#PROXIES[@]}
	tasks1=$(budget_tasks)
	exe=
	[ "$nprox" -gt 0 ] && exe=$(readlink "/proc/${PROXIES[0]}/exe" 2>/dev/null)
	read -r pss rss < <(mem_kb "${PROXIES[@]}")
	ns_pids "$ns"
	n1=${#NS_PIDS[@]}
	ipt=$(ipt_rules "$ns")
	read -r dpss _ < <(mem_kb "$DOCKERD_PID")
	read -r load _ </proc/loadavg
	[ "$nprox" -ge "$n" ] || why+="$nprox $comm processes for $n ports; "
	[ ${#STRAY[@]} -eq 0 ] || why+="other proxy processes in $ns: ${STRAY[*]:0:5}; "
	if [ "$sys" = sluice-proxy ]; then
		maps=$(sl -j port ls 2>/dev/null | jq '[.[] | select(.container | startswith("(docker)"))] | length' 2>/dev/null)
		[ "${maps:-0}" = "$n" ] || why+="sluice port ls shows ${maps:-?} dockerd mappings, not $n; "
		m=$(sl_memlock)
		st=$(file_bytes "/var/lib/sluice/$SL_INST/state")
		rd=$(dir_bytes_or0 "/run/sluice/$SL_INST")
	fi
	reach_all "$n" "$name" "$cl" "$ip" "$ns" || why+="$REACH_WHY; "
	cmdlog "$sys N=$n r$r remove" "${DOCKER_CLI##*/}" -H "unix://$DK/$DOCKERD_SYS/docker.sock" rm -f "$name"
	t2=$EPOCHREALTIME
	dk_long "$bound" "$TMPD/dk.out" rm -f "$name"
	rc=$?
	out=$(<"$TMPD/dk.out")
	t3=$EPOCHREALTIME
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why+="docker rm -f did not return within $bound s; "
		DK_HUNG=1
	elif [ "$rc" != 0 ]; then
		why+="docker rm -f: exit $rc: $(tail -n 1 <<<"$out"); "
	fi
	wait_for 20 no_proxies "$ns" "$comm" ||
		why+="${#PROXIES[@]} $comm processes left 20 s after docker rm; "
	[ -n "$why" ] && ok=0
	emit "$sys" "$n" "$r" publish_s "$(secs "$t0" "$t1")" s "$ok"
	emit "$sys" "$n" "$r" unpublish_s "$(secs "$t2" "$t3")" s "$ok"
	emit "$sys" "$n" "$r" procs_new "$((n1 - n0))" count "$ok"
	emit "$sys" "$n" "$r" proxies "$nprox" count "$ok" "${exe:+executable of the first: $exe}"
	emit "$sys" "$n" "$r" pss_kb "$pss" kB "$ok"
	emit "$sys" "$n" "$r" rss_kb "$rss" kB "$ok"
	emit "$sys" "$n" "$r" ipt_rules "$ipt" count "$ok"
	emit "$sys" "$n" "$r" dockerd_pss_kb "$dpss" kB "$ok"
	emit "$sys" "$n" "$r" loadavg1 "$load" load "$ok"
	[ -n "$tasks0" ] && [ -n "$tasks1" ] && emit "$sys" "$n" "$r" tasks_new "$((tasks1 - tasks0))" count "$ok"
	if [ "$sys" = sluice-proxy ]; then
		emit "$sys" "$n" "$r" mappings "${maps:-0}" count "$ok"
		emit "$sys" "$n" "$r" bpf_memlock_b "$m" bytes "$ok"
		emit "$sys" "$n" "$r" state_b "$st" bytes "$ok"
		emit "$sys" "$n" "$r" rundir_b "$rd" bytes "$ok"
	fi
	emit "$sys" "$n" "$r" check "$ok" bool 1 "${why%; }"
	if [ "$ok" = 1 ]; then
		result "$sys" "$n" ok ""
	else
		fail_note "$sys" "$n" "$r" "${why%; }"
		result "$sys" "$n" failed "round $r: ${why%; }"
	fi
	log "$sys N=$n round $r: docker run $(secs "$t0" "$t1") s, $nprox proxies, PSS ${pss} kB, $ipt iptables rules, rm $(secs "$t2" "$t3") s$([ "$ok" = 1 ] || echo ": FAILED: ${why%; }")"
}

# budget_tasks: tasks (threads) in dockerd's cgroup now ("" without one).
budget_tasks() {
	local d
	for d in "${DK_CGS[@]}"; do
		[ -r "$d/pids.current" ] && { cat "$d/pids.current"; return; }
	done
	echo ""
}

# budget_hits: forks dockerd's PID budget refused so far (pids.events).
budget_hits() {
	local d k v
	for d in "${DK_CGS[@]}"; do
		[ -r "$d/pids.events" ] || continue
		while read -r k v; do
			[ "$k" = max ] && { echo "$v"; return; }
		done <"$d/pids.events"
	done
	echo 0
}

# docker_system sluice-proxy|docker-proxy: dockerd up, every N, dockerd down.
docker_system() {
	local sys=$1 tag n m r rounds why=
	case $sys in sluice-proxy) tag=sp why=$SP_WHY ;; *) tag=dp why=$DOCKER_WHY ;; esac
	if [ -z "$why" ] && [ -z "$DK" ]; then
		SETUP_WHY=
		docker_prepare || why="cannot prepare dockerd's directories and cgroups: ${SETUP_WHY:-see the log}"
	fi
	if [ -z "$why" ]; then
		SETUP_WHY=
		log "$sys: starting dockerd"
		dockerd_start "$tag" || why=$SETUP_WHY
	fi
	if [ -n "$why" ]; then
		for n in "${DK_N[@]}"; do
			result "$sys" "$n" skipped "$why"
			emit "$sys" "$n" 0 status skipped text 1 "$why"
		done
		log "$sys: skipped: $why"
		[ -n "$DOCKERD_PID" ] && dockerd_stop
		return
	fi
	for n in "${DK_N[@]}"; do
		rounds=1
		[ "$n" -le 100 ] && rounds=$DK_ROUNDS_SMALL
		for ((r = 1; r <= rounds; r++)); do
			DK_HUNG=
			docker_measure "$sys" "$n" "$r"
			why=
			if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
				why="dockerd (pid $DOCKERD_PID) died at N=$n: $(tail -n 3 "$TMPD/dockerd-$tag.log" | tr '\n' ' ' | cut -c1-400)"
			elif [ -n "$DK_HUNG" ]; then
				why="dockerd was still busy with N=$n past the bound: stopped (kill -9) with everything it started"
			fi
			if [ -n "$why" ]; then
				log "$sys: $why"
				fail_note "$sys" "$n" "$r" "$why"
				result "$sys" "$n" failed "$why"
				break 2
			fi
		done
	done
	cp "$TMPD/dockerd-$tag.log" "$OUT/scale-dockerd-$sys.log" 2>/dev/null
	if [ -n "$why" ]; then
		docker_kill
		# The larger N were not tried: said so, with the reason.
		for m in "${DK_N[@]}"; do
			[ "$m" -gt "$n" ] && result "$sys" "$m" failed "not measured: $why"
		done
	else
		dockerd_stop
	fi
}

# ---- run -------------------------------------------------------------------------

SETUP_WHY=
if ! sluice_setup; then
	why="setup: ${SETUP_WHY:-could not build the namespaces (see $CMDLOG)}"
	[ "$MODE" = smoke ] && [ -z "$SETUP_WHY" ] && bench_cannot_run "$why"
	for n in "${SL_N[@]}"; do result sluice "$n" failed "$why"; done
	for n in "${DK_N[@]}"; do result sluice-proxy "$n" failed "$why"; done
	log "$why"
else
	# One discarded publish/unpublish warms the binary, the maps and the caches.
	sluice_measure 1 0 warmup
	for ((r = 1; r <= SL_ROUNDS; r++)); do
		for n in "${SL_N[@]}"; do
			sluice_measure "$n" "$r"
		done
	done
	# The standalone mappings are gone; dockerd joins the same namespace and instance.
	docker_system sluice-proxy
fi
if [ -z "$DOCKER_WHY" ]; then
	if ns_new "$DK_NS" "$DKCL_NS" && uplink "$DK_NS" "$DK_IP" "$DKCL_NS" "$DKCL_IP"; then
		docker_system docker-proxy
	else
		for n in "${DK_N[@]}"; do result docker-proxy "$n" failed "setup: the namespaces $DK_NS, $DKCL_NS"; done
	fi
else
	docker_system docker-proxy
fi

# N = 10000 (and any N) left out of this mode: said, never a silent gap.
for sys in sluice-proxy docker-proxy; do
	for n in "${N_ALL[@]}"; do
		[ -n "${RESULT[$sys $n]:-}" ] && continue
		[ "$MODE" = smoke ] && continue
		if [ "$sys" = docker-proxy ]; then
			why="skipped in quick mode: stock Docker would start ~$((2 * n)) docker-proxy processes ($((14 * n)) threads, more than kernel.pid_max $PID_MAX; ~$((n * 3 / 2000)) GB PSS at the N=1000 rate); run --full"
		else
			why="skipped in quick mode: dockerd would start ~$((2 * n)) sluice-proxy processes and write ~$((n * 3)) iptables rules one call at a time (slower as they grow); run --full"
		fi
		result "$sys" "$n" skipped "$why"
		emit "$sys" "$n" 0 status skipped text 1 "$why"
	done
done
for sys in "${SYSTEMS[@]}"; do
	for n in "${N_ALL[@]}"; do
		k="$sys $n"
		[ -n "${RESULT[$k]:-}" ] || continue
		[ "${RESULT[$k]}" = skipped ] && continue
		emit "$sys" "$n" 0 status "${RESULT[$k]}" text 1 "${REASON[$k]}"
	done
done
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/scale-env.txt"
echo "wall_s=$((SECONDS - T_START))" >>"$OUT/scale-env.txt"

# ---- report --------------------------------------------------------------------
_cleanup
[ -s "$FAILLOG" ] || rm -f "$FAILLOG"
if SCALE_PLOTS=$([ "$MODE" = smoke ] && echo 0 || echo 1) "$BENCH_DIR/scale/report.sh" "$OUT"; then
	bench_done
else
	log "report failed"
fi

passed=0 failed=0 skipped=0 skip_why=
for sys in "${SYSTEMS[@]}"; do
	for n in "${N_ALL[@]}"; do
		k="$sys $n"
		case ${RESULT[$k]:-} in
		ok) passed=$((passed + 1)) ;;
		failed) failed=$((failed + 1)); echo "$sys N=$n: FAILED: ${REASON[$k]}" ;;
		skipped)
			[ "$MODE" = smoke ] || continue
			skipped=$((skipped + 1))
			skip_why="${REASON[$k]}"
			echo "$sys N=$n: skipped: ${REASON[$k]}"
			;;
		esac
	done
done
if [ "$MODE" = smoke ]; then
	echo "bench-scale-smoke: $passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped ($skip_why)")"
else
	[ -f "$OUT/scale.md" ] && cat "$OUT/scale.md"
	echo
	echo "bench-scale ($MODE): $passed measured, $failed failed in $((SECONDS - T_START)) s; results: $OUT"
fi
[ "$failed" -eq 0 ]
