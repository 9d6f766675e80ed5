#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh - the benchmark driver: build the topology of namespaces,
# measure every path in interleaved rounds, check that each path's traffic
# took that path, and write the results (raw CSV, summary.md, plots).
#
#   bench/run.sh [--quick | --full | --smoke] [--build DIR] [--out DIR]
#                [--paths "direct host ..."] [--rounds N] [--metrics "conn tput_1 ..."|all]
#
#   --quick  (default, `make bench`)  warm-up + 3 rounds, about 10 minutes
#   --full   (`make bench FULL=1`)    warm-up + 7 rounds, longer runs
#   --smoke  (`make bench SMOKE=1`)   per path 1 s of new connections and
#            0.5 s of UDP packet rate (where the path carries UDP), and the
#            path checks; prints "bench-smoke: N passed, N failed"
#
# Paths: direct host bridge-dnat docker-proxy sluice-tc sluice-xdp (remote
# client) and direct-local docker-proxy-local sluice-socket (local client).
# Metrics: tcp_rr_1 tcp_rr_1k udp_rr tput_1 tput_4 conn udp_pps udp_wire udp_drop (or all).
#
# Results go to bench/results/<date>-<shorthost>/ (smoke: under
# <build>/bench/smoke/). See bench/README.md for the method.
#
# Exit: 0 every path measured and checked; 1 a path failed (the report is
# still written); 2 usage; 77 (smoke) not root or a tool is missing.
set -u
set -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"
. "$BENCH_DIR/paths.sh"
. "$BENCH_DIR/metrics.sh"

bench_args bench "--paths --metrics" "$@"
ONLY_PATHS=${OPT[--paths]:-}
ONLY_METRICS=${OPT[--metrics]:-}

# Durations (seconds) and rounds per mode. Round 0 is the warm-up.
case $MODE in
smoke) WARMUP_ROUNDS=0 ROUNDS=${ROUNDS:-1} D_RR=1 D_TPUT=1 D_CONN=1 D_UDP=0.5
	W_RR=1 W_TPUT=1 W_CONN=1 W_UDP=0.5
	# One tiny measurement of each kind per path: 1 s of new connections
	# (connect, request, reply, close) exercises flow setup, forwarding,
	# replies and teardown on every path; 0.5 s of UDP packet rate the UDP
	# mappings. --metrics all runs every metric once instead. No plots.
	METRICS=(m_conn m_udp_pps m_udp_wire m_udp_drop)
	export BENCH_PLOTS=${BENCH_PLOTS:-0} ;;
quick) WARMUP_ROUNDS=1 ROUNDS=${ROUNDS:-3} D_RR=2 D_TPUT=3 D_CONN=3 D_UDP=2
	W_RR=1 W_TPUT=1 W_CONN=1 W_UDP=1 ;;
full) WARMUP_ROUNDS=1 ROUNDS=${ROUNDS:-7} D_RR=5 D_TPUT=10 D_CONN=5 D_UDP=5
	W_RR=2 W_TPUT=2 W_CONN=2 W_UDP=2 ;;
esac
case $ONLY_METRICS in
"") ;;
all) METRICS=(m_tcp_rr_1 m_tcp_rr_1k m_udp_rr "m_tput 1" "m_tput 4" m_conn m_udp_pps m_udp_wire m_udp_drop) ;;
*)
	METRICS=()
	for m in $ONLY_METRICS; do
		case $m in
		tcp_rr_1 | tcp_rr_1k | udp_rr | conn | udp_pps | udp_wire | udp_drop) METRICS+=("m_$m") ;;
		tput_1 | tput_4) METRICS+=("m_tput ${m#tput_}") ;;
		*) echo "bench: unknown metric '$m' (tcp_rr_1 tcp_rr_1k udp_rr tput_1 tput_4 conn udp_pps udp_wire udp_drop all)" >&2; exit 2 ;;
		esac
	done
	;;
esac
D_MAX=$D_TPUT
# ONE_WAY: every selected metric sends one way only (udp_pps, udp_wire,
# udp_drop), so the sluice paths' checks cannot ask for replies (sl_rose).
ONE_WAY=1
for m in "${METRICS[@]}"; do
	case $m in m_udp_pps | m_udp_wire | m_udp_drop) ;; *) ONE_WAY= ;; esac
done

SLUICE=${SLUICE:-$BUILD_DIR/sluice}
CONNRATE=${CONNRATE:-$BUILD_DIR/bench/connrate}
UDPFLOOD=${UDPFLOOD:-$BUILD_DIR/bench/udpflood}
UDPSINK=${UDPSINK:-$BUILD_DIR/bench/udpsink}
XDPGEN=${XDPGEN:-$BUILD_DIR/bench/xdpgen}

if [ -n "$ONLY_PATHS" ]; then
	sel=()
	for p in $ONLY_PATHS; do
		declare -F "path_${p//-/_}_setup" >/dev/null || { echo "bench: unknown path '$p' (known: ${PATHS[*]})" >&2; exit 2; }
		sel+=("$p")
	done
	PATHS=("${sel[@]}")
fi
# A path none of whose metrics is selected (a local path with --metrics
# tput_1) is left out, and said so.
sel=()
for p in "${PATHS[@]}"; do
	any=
	for m in "${METRICS[@]}"; do
		metric_applies "$p" "$m" && any=1
	done
	if [ -n "$any" ]; then
		sel+=("$p")
	else
		echo "bench: path $p left out: none of the selected metrics applies to it" >&2
	fi
done
PATHS=("${sel[@]}")
[ ${#PATHS[@]} -gt 0 ] || { echo "bench: no path left to measure" >&2; exit 2; }

# ---- preflight ----------------------------------------------------------
[ "$(id -u)" -eq 0 ] || bench_cannot_run "needs root (network namespaces, BPF, iptables)"
for tool in ip nsenter jq sockperf iperf3 timeout awk; do
	command -v "$tool" >/dev/null || bench_cannot_run "$tool is missing: run 'make bench-deps'"
done
for tool in "$CONNRATE" "$UDPFLOOD" "$UDPSINK" "$XDPGEN"; do
	[ -x "$tool" ] || bench_cannot_run "$tool is missing: run 'make bench' (it builds it)"
done
if [[ " ${PATHS[*]} " == *" sluice-xdp "* ]] || [[ " ${METRICS[*]} " == *" m_udp_wire "* || " ${METRICS[*]} " == *" m_udp_drop "* ]]; then
	command -v ethtool >/dev/null || bench_cannot_run "ethtool is missing: run 'make bench-deps'"
fi
mkdir -p /run/netns

bench_out "" raw.csv
CSV=$OUT/raw.csv
CMDLOG=$OUT/commands.log
FAILLOG=$OUT/failures.log
CHECKLOG=$OUT/checks.log
: >"$CMDLOG"
: >"$FAILLOG"
: >"$CHECKLOG"
echo "time,round,warmup,path,metric,value,unit,ok" >"$CSV"

bench_traps
pin_setup
T_START=$SECONDS

# ---- the machine and the software, recorded with the results -------------
commit=$(bench_commit "$REPO")
{
	echo "date=$(date -u +%FT%TZ)"
	echo "host=$shorthost"
	echo "mode=$MODE"
	echo "rounds=$ROUNDS warmup_rounds=$WARMUP_ROUNDS d_rr=$D_RR d_tput=$D_TPUT d_conn=$D_CONN d_udp=$D_UDP"
	bench_machine
	echo "commit=$commit"
	echo "sluice=$SLUICE"
	echo "sockperf=$(pkgver sockperf) iperf3=$(pkgver iperf3) docker.io=$(pkgver docker.io) iptables=$(iptables -V 2>/dev/null)"
	echo "paths=${PATHS[*]}"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "conn_workers=$CONN_WORKERS conn_request_bytes=$CONN_SIZE"
	echo "udp_payload_bytes=$UDP_SIZE"
	echo "udp_flows=$UDP_FLOWS"
	echo "deny_allow=$DENY_ALLOW"
	echo "local_cgroup=$(cgroup2_root 2>/dev/null)/$PFX-clients"
	echo "pinning=client:${CLIENT_PIN[*]:-none} servers:${SERVER_PIN[*]:-none} udp_wire:${WIRE_GEN_PIN[*]:-none}/${WIRE_SINK_PIN[*]:-none}"
} >"$OUT/env.txt"

log "bench ($MODE): ${PATHS[*]}; results in $OUT"

# ---- build ----------------------------------------------------------------
topology_setup || die "could not build the client/host topology (see $CMDLOG)"
for p in "${PATHS[@]}"; do
	PATH_WHY=
	"path_${p//-/_}_setup"
	rc=$?
	case $rc in
	0) PATH_STATUS[$p]=ok ;;
	2) PATH_STATUS[$p]=skipped ;;
	*) PATH_STATUS[$p]=failed PATH_WHY="setup: ${PATH_WHY:-setup failed (exit $rc)}" ;;
	esac
	PATH_REASON[$p]=$PATH_WHY
	[ "${PATH_STATUS[$p]}" = ok ] || log "path $p: ${PATH_STATUS[$p]}${PATH_WHY:+: $PATH_WHY}"
done
# The servers started while the paths were built; a path is ready when those
# of its server namespace (T_SNS of its target) listen.
for p in "${PATHS[@]}"; do
	[ "${PATH_STATUS[$p]}" = ok ] || continue
	PATH_WHY=
	"path_${p//-/_}_target"
	if ! servers_ready "$T_SNS"; then
		PATH_STATUS[$p]=failed
		PATH_REASON[$p]="setup: $PATH_WHY"
	fi
	log "path $p: ${PATH_STATUS[$p]}${PATH_REASON[$p]:+: ${PATH_REASON[$p]}}"
done

# ---- measure: rounds of every path in turn --------------------------------
# run_path PATH: every metric once, between two counter snapshots, then the
# path's check on the difference. Rows are held back until the check says
# whether they count.
run_path() {
	local p=$1 f=${1//-/_} m c0 c1 r0 r1 ok bad
	CUR_PATH=$p
	ROWBUF=$TMPD/rows
	: >"$ROWBUF"
	"path_${f}_target"
	r0=$(retrans_snap)
	c0=$(cpu_snap)
	CHK_BEFORE=$(snap)
	if [ "$WARMUP" = 1 ]; then
		set -- "${WARMUP_METRICS[@]}"
	else
		set -- "${METRICS[@]}"
	fi
	for m in "$@"; do
		metric_applies "$p" "$m" || continue
		$m
	done
	CHK_AFTER=$(snap)
	c1=$(cpu_snap)
	r1=$(retrans_snap)
	CHK_WHY="" CHK_OK=""
	"path_${f}_check"
	# A path that carried no traffic at all has not passed, whatever its counters.
	grep -q ',1$' "$ROWBUF" || CHK_WHY+="no measurement succeeded; "
	# The smoke mode measures to show that each path works: one failed
	# measurement fails the path (full runs report it as noise instead).
	if [ "$MODE" = smoke ]; then
		bad=$(awk -F, '$8 == 0 { printf "%s%s", sep, $5; sep = " " }' "$ROWBUF")
		[ -n "$bad" ] && CHK_WHY+="measurement failed: $bad; "
	fi
	ok=1
	[ -n "$CHK_WHY" ] && ok=0
	printf 'round %s %s: %s | %s%s\n' "$ROUND" "$p" "$([ $ok = 1 ] && echo pass || echo FAIL)" \
		"$CHK_WHY" "$CHK_OK" >>"$CHECKLOG"
	if [ "$ok" = 0 ]; then
		CHECK_FAILED[$p]="round $ROUND: ${CHK_WHY%; }"
		log "path $p round $ROUND: check FAILED: ${CHK_WHY%; }"
	fi
	emit check "$ok" bool 1
	emit tcp_retrans "$((r1 - r0))" segments 1
	emit steal_pct "$(cpu_steal_pct "$c0" "$c1")" pct 1
	emit loadavg1 "$(cut -d' ' -f1 /proc/loadavg)" load 1
	# Rows of a round whose check failed are kept but marked not ok.
	if [ "$ok" = 1 ]; then
		cat "$ROWBUF" >>"$CSV"
	else
		awk -F, 'BEGIN { OFS = "," } $5 != "check" { $8 = 0 } { print }' "$ROWBUF" >>"$CSV"
	fi
}

declare -A CHECK_FAILED
total_rounds=$((WARMUP_ROUNDS + ROUNDS))
for ((ROUND = 1 - WARMUP_ROUNDS; ROUND <= ROUNDS; ROUND++)); do
	if [ "$ROUND" -le 0 ]; then
		WARMUP=1
		sd_rr=$D_RR sd_tput=$D_TPUT sd_conn=$D_CONN sd_udp=$D_UDP
		D_RR=$W_RR D_TPUT=$W_TPUT D_CONN=$W_CONN D_UDP=$W_UDP
	else
		WARMUP=0
	fi
	log "round $ROUND of $ROUNDS$([ $WARMUP = 1 ] && echo ' (warm-up, discarded)')"
	for p in "${PATHS[@]}"; do
		[ "${PATH_STATUS[$p]}" = ok ] || continue
		run_path "$p"
	done
	if [ "$WARMUP" = 1 ]; then
		D_RR=$sd_rr D_TPUT=$sd_tput D_CONN=$sd_conn D_UDP=$sd_udp
	fi
done

# A path whose check failed in any round is reported as failed, with no numbers.
for p in "${PATHS[@]}"; do
	if [ "${PATH_STATUS[$p]}" = ok ] && [ -n "${CHECK_FAILED[$p]:-}" ]; then
		PATH_STATUS[$p]=failed
		PATH_REASON[$p]="check: ${CHECK_FAILED[$p]}"
	fi
done
{
	echo "path,status,kind,reason"
	for p in "${PATHS[@]}"; do
		printf '%s,%s,%s,"%s"\n' "$p" "${PATH_STATUS[$p]}" "$([ -n "${PATH_LOCAL[$p]:-}" ] && echo local || echo remote)" \
			"${PATH_REASON[$p]//\"/\'}"
	done
} >"$OUT/paths.csv"
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
echo "wall_s=$((SECONDS - T_START))" >>"$OUT/env.txt"

# ---- report -------------------------------------------------------------
_cleanup
if "$BENCH_DIR/report.sh" "$OUT"; then
	bench_done
else
	log "report failed"
fi

passed=0 failed=0 skipped=0
for p in "${PATHS[@]}"; do
	case ${PATH_STATUS[$p]} in
	ok) passed=$((passed + 1)) ;;
	skipped) skipped=$((skipped + 1)); echo "$p: skipped: ${PATH_REASON[$p]}" ;;
	*) failed=$((failed + 1)); echo "$p: FAILED: ${PATH_REASON[$p]}" ;;
	esac
done
if [ "$MODE" = smoke ]; then
	echo "bench-smoke: $passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
else
	[ -f "$OUT/summary.md" ] && cat "$OUT/summary.md"
	echo
	echo "bench ($MODE): $passed paths measured, $failed failed, $skipped skipped in $((SECONDS - T_START)) s; results: $OUT"
fi
[ "$failed" -eq 0 ]
