#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/ctscale.sh - conntrack scale (issue 7): how sluice's tc data plane
# forwards with 0, 100k and 1M tracked flows in its conntrack table.
#
#   bench/ctscale.sh [--quick | --full | --smoke] [--build DIR] [--out DIR]
#
#   --quick  (default)  1 warm-up + 3 rounds, about 4-5 minutes
#   --full              1 warm-up + 7 rounds, longer measurements
#   --smoke             10k flows; one short measurement at 0 and at 10k and
#                       every check; prints "bench-ctscale-smoke: N passed,
#                       N failed"
#
# The topology is bench/run.sh's sluice-tc path (bench/paths.sh): a client
# namespace behind the uplink of a bench host namespace, sluice instance
# bench<PID> on that uplink (tc, no XDP, no socket hooks), one container
# with the servers, published on host ports 41111 (sockperf), 35201 (iperf3)
# and 37001 (connrate). The instance comes up with `--ct-max` large enough
# for 1M flows and what the measurements add (4194304 entries; smoke
# 131072). Each round walks the fill levels upwards on the same table:
# build/bench/ctfill adds the synthetic flows the next level needs (clients
# in 198.18.0.0/15, both entries of each flow as the datapath writes them),
# the bench's own closed flows of earlier measurements are removed, then at
# that level: TCP request/response latency (sockperf ping-pong --tcp, 1 KiB,
# p50/p99), new TCP connections per second (connrate), TCP throughput
# (iperf3, one stream); at the end of a round the synthetic flows go again.
#
# Checks, per round and level (a failed one drops that round's numbers):
# ctfill finds every entry it wrote in the table; after the measurements
# `sluice stats` shows at least the level's entries (and a table of
# --ct-max entries), ctfill still finds every synthetic flow (none was
# evicted), nat_new rose by at least the connections connrate made and
# nat_fwd and nat_reply rose (the traffic took sluice's path). Once, a
# connection from a synthetic flow's own address and port is forwarded by
# that flow's entries (nat_fwd and nat_reply rise, nat_new does not).
# `sluice stats` walks the whole table in batches (about 0.7 s at 2M
# entries here): it runs once per level, its counters serving as the next
# level's "before".
#
# Results: bench/results/<date>-<shorthost>/ as run.sh names it (smoke:
# <build>/bench/smoke/ctscale-<time>-<host>/), or --out DIR: ctscale.csv
# (one row per round, level and metric), ctscale.md (medians with min-max,
# ratios to the 0-flow row of the same run, the table's memory, the
# commands, kernel/CPU/commit), ctscale.png when gnuplot is there,
# ctscale-checks.log and ctscale-commands.log.
#
# Exit: 0 every check passed; 1 a check failed (the report is still
# written); 2 usage; 77 (smoke) or 1 cannot run here (not root, a tool or
# build missing).
set -u
set -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"
. "$BENCH_DIR/paths.sh"
. "$BENCH_DIR/metrics.sh"

bench_args bench-ctscale "" "$@"

# Fill levels (synthetic flows), rounds and durations (seconds) per mode.
case $MODE in
smoke) LEVELS=(0 10000) ROUNDS=${ROUNDS:-1} WARMUP_ROUNDS=0 CT_MAX=131072 D_RR=1 D_CONN=1 D_TPUT=1 ;;
quick) LEVELS=(0 100000 1000000) ROUNDS=${ROUNDS:-3} WARMUP_ROUNDS=1 CT_MAX=4194304 D_RR=2 D_CONN=3 D_TPUT=3 ;;
full) LEVELS=(0 100000 1000000) ROUNDS=${ROUNDS:-7} WARMUP_ROUNDS=1 CT_MAX=4194304 D_RR=5 D_CONN=5 D_TPUT=10 ;;
esac
W_RR=1 W_CONN=1 W_TPUT=1 # the warm-up's
D_MAX=$D_TPUT

SLUICE=${SLUICE:-$BUILD_DIR/sluice}
CONNRATE=${CONNRATE:-$BUILD_DIR/bench/connrate}
CTFILL=${CTFILL:-$BUILD_DIR/bench/ctfill}
CT_PIN=${SLUICE_PIN_ROOT:-/sys/fs/bpf/sluice}/$SL_INST/sl_ct
SYNTH_NET=198.18.0.0/15    # ctfill's clients (RFC 2544 benchmarking range)
PROBE_IP=198.18.0.1        # synthetic flow 0: client 198.18.0.1:1024
PROBE_PORT=1024
OWN_NET=$NET.0.0/24        # the bench's real client ($CLIENT_IP)

# ---- preflight ----------------------------------------------------------
[ "$(id -u)" -eq 0 ] || bench_cannot_run "needs root (network namespaces, BPF)"
for tool in ip nsenter jq sockperf iperf3 nc timeout awk; do
	command -v "$tool" >/dev/null || bench_cannot_run "$tool is missing: run 'make bench-deps'"
done
[ -x "$SLUICE" ] || bench_cannot_run "$SLUICE is missing: run 'make'"
for tool in "$CONNRATE" "$CTFILL"; do
	[ -x "$tool" ] || bench_cannot_run "$tool is missing: run 'make $(realpath --relative-to="$REPO" "$tool" 2>/dev/null || echo "$tool")'"
done
"$SLUICE" up --help 2>&1 | grep -q -- '--ct-max' || bench_cannot_run "$SLUICE has no 'up --ct-max'"
mkdir -p /run/netns

bench_out ctscale- ctscale.csv
CSV=$OUT/ctscale.csv
CMDLOG=$OUT/ctscale-commands.log
CHECKLOG=$OUT/ctscale-checks.log
FAILLOG=$OUT/ctscale-failures.log
: >"$CMDLOG"
: >"$CHECKLOG"
: >"$FAILLOG"
echo "time,round,warmup,flows,metric,value,unit,ok" >"$CSV"

bench_traps
T_START=$SECONDS
START_DATE=$(date -u +%FT%TZ)
COMMIT=$(bench_commit "$REPO")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- checks ---------------------------------------------------------------
NPASS=0
NFAIL=0
# verdict NAME WHY: one check, passed when WHY is empty (logged either way).
verdict() {
	if [ -z "$2" ]; then
		NPASS=$((NPASS + 1))
		printf 'ok   %s\n' "$1" >>"$CHECKLOG"
		[ "$MODE" = smoke ] && echo "ok   $1"
		return 0
	fi
	NFAIL=$((NFAIL + 1))
	printf 'FAIL %s: %s\n' "$1" "${2%; }" >>"$CHECKLOG"
	log "ctscale: FAIL $1: ${2%; }"
	return 1
}

# ct_snap: one `sluice -j stats` of the instance: SNAP=(nat_new nat_fwd
# nat_reply entries max) and SNAP_S, the seconds it took (it walks the
# whole table). Bounded well above what 2M entries take.
SNAP=()
PREV=() # the latest snapshot: the next level's "before"
ct_snap() {
	local t0=$EPOCHREALTIME out
	cmdlog stats nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" --instance "$SL_INST" -j stats
	out=$(timeout --kill-after=5 120 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" \
		--instance "$SL_INST" -j stats 2>&1)
	SNAP_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	printf '    # %s s\n' "$SNAP_S" >>"$CMDLOG"
	read -r -a SNAP < <(jq -r '[.counters.nat_new.packets, .counters.nat_fwd.packets,
		.counters.nat_reply.packets, .conntrack.entries, .conntrack.max] | map(tostring) | join(" ")' \
		<<<"$out" 2>/dev/null)
	if [ ${#SNAP[@]} -ne 5 ]; then
		SNAP=(na na na na na)
		SNAP_WHY="sluice -j stats failed: $(head -c 200 <<<"$out")"
		return 1
	fi
}

# ctf MODE ARGS...: build/bench/ctfill on the instance's table (it only
# opens the pinned map: no namespace needed); CTF_OUT is its output.
ctf() {
	local t0=$EPOCHREALTIME rc
	cmdlog ctfill "$CTFILL" "$@"
	CTF_OUT=$(timeout --kill-after=5 120 "$CTFILL" "$@" 2>&1)
	rc=$?
	printf '    # exit %s after %s s: %s\n' "$rc" \
		"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')" \
		"$(head -c 300 <<<"$CTF_OUT" | tr '\n' ' ')" >>"$CMDLOG"
	return "$rc"
}

# ---- the topology: bench/run.sh's sluice-tc path, with --ct-max ---------
ctscale_setup() {
	local out ifx
	topology_setup || {
		PATH_WHY="could not build the client/host topology (see $CMDLOG)"
		return 1
	}
	ns_new "$SLUICE_NS" || return 1
	sl_touch "$SL_INST"
	out=$(sl up --uplink "$UPLINK" --xdp off --cgroup none --no-dns --ct-max "$CT_MAX" 2>&1) || {
		PATH_WHY="sluice up --uplink $UPLINK --xdp off --cgroup none --no-dns --ct-max $CT_MAX failed: ${out:-no message}"
		return 1
	}
	SL_UP=1
	sl_container "$SL_INST" bench ctr "$SLUICE_SUBNET" "$SLUICE_NS" "$SLUICE_CTR_IP" || return 1
	sl_publish "$SL_INST" ctr "" "$OFF_SLUICE" "tcp:$P_SP" "tcp:$P_IP3" "tcp:$P_CC" || return 1
	servers_start "$SLUICE_NS"
	servers_ready "$SLUICE_NS" || return 1
	path_sluice_tc_target
	# What the datapath would write for a client of the sockperf mapping:
	# the mapping's id, the uplink's ifindex, the client's and our MAC.
	SVC_ID=$(sl -j port ls | jq -r --argjson p "$T_SP" \
		'[.[] | select(.host_port == $p and .proto == "tcp") | .id][0] // empty')
	ifx=$(ip -n "$HOST_NS" -j link show "$UPLINK" | jq -r '.[0] | "\(.ifindex) \(.address)"')
	UPLINK_IFINDEX=${ifx%% *} UPLINK_MAC=${ifx#* }
	CLIENT_MAC=$(ip -n "$CLIENT_NS" -j link show eth0 | jq -r '.[0].address')
	[[ $SVC_ID =~ ^[0-9]+$ && $UPLINK_IFINDEX =~ ^[0-9]+$ && -n $CLIENT_MAC ]] || {
		PATH_WHY="cannot read the mapping id of $T_SP/tcp ('$SVC_ID'), the uplink or the client's MAC"
		return 1
	}
	FILL_ARGS=(-d "$HOST_IP:$T_SP" -b "$SLUICE_CTR_IP:$P_SP" -p tcp -c "$SYNTH_NET" -s "$SVC_ID"
		-i "$UPLINK_IFINDEX" -m "$CLIENT_MAC" -M "$UPLINK_MAC")
}

# ---- the table -------------------------------------------------------------
HAVE=0 # synthetic flows in the table
# table_to FLOWS: the bench's own closed flows out (they wait for their
# timeout otherwise, and would pile up level after level), then synthetic
# flows added (or all removed) to make FLOWS. FILL_S, FILL_N: the fill's
# seconds and flows (0 when none was needed). WHY on failure.
table_to() {
	local want=$1
	FILL_S=0 FILL_N=0
	ctf clear "$CT_PIN" -c "$OWN_NET" || {
		WHY+="ctfill clear -c $OWN_NET failed: $CTF_OUT; "
		return 1
	}
	if [ "$want" -lt "$HAVE" ]; then
		ctf clear "$CT_PIN" -c "$SYNTH_NET" || {
			WHY+="ctfill clear failed: $CTF_OUT; "
			return 1
		}
		HAVE=0
	fi
	[ "$want" -gt "$HAVE" ] || return 0
	ctf fill "$CT_PIN" -n $((want - HAVE)) -f "$HAVE" "${FILL_ARGS[@]}" || {
		WHY+="ctfill fill to $want flows failed: $CTF_OUT; "
		return 1
	}
	FILL_S=$(kv seconds "$CTF_OUT") FILL_N=$((want - HAVE))
	HAVE=$want
}

# synth_count: SYNTH = synthetic flows ctfill finds; MEMLOCK = the map's memlock.
synth_count() {
	SYNTH=na MEMLOCK=na
	ctf count "$CT_PIN" -c "$SYNTH_NET" || return 1
	SYNTH=$(kv flows "$CTF_OUT") MEMLOCK=$(kv memlock "$CTF_OUT")
}

# ---- one fill level in one round ------------------------------------------
# Rows wait in ROWBUF until the checks say whether they count.
run_level() {
	local L=$1 conns=0 b=() a=() why="" wfill wpath dnew name
	CUR_PATH=$L
	ROWBUF=$TMPD/rows
	: >"$ROWBUF"
	name="round $ROUND, $L flows"
	[ "$WARMUP" = 1 ] && name="warm-up, $L flows"
	WHY=""
	table_to "$L"
	why+=$WHY
	[ "$FILL_N" -gt 0 ] && emit fill_s "$FILL_S" s 1 && emit fill_flows "$FILL_N" flows 1
	# The counters before: the previous level's snapshot (filling and
	# clearing move none), so that `sluice stats`, which walks the whole
	# table, runs once per level. ctfill fill has checked that every entry
	# it wrote is in the table.
	if [ "${PREV[0]:-na}" = na ]; then
		ct_snap || why+="$SNAP_WHY; "
		PREV=("${SNAP[@]}")
	fi
	if [ -n "${PROBE_PENDING:-}" ] && [ "$L" -gt 0 ] && [ -z "$why" ]; then
		probe_synthetic
		PROBE_PENDING=
	fi
	b=("${PREV[@]}")

	m_tcp_rr_1k
	m_conn
	conns=$(kv conns "$MOUT")
	m_tput 1

	# Three verdicts: the level was there, the traffic took sluice's path,
	# the measurements ran. The level's rows count only when all passed.
	ct_snap || why+="$SNAP_WHY; "
	a=("${SNAP[@]}")
	PREV=("${SNAP[@]}")
	emit ct_entries_after "${a[3]}" entries 1
	emit ct_max "${a[4]}" entries 1
	emit stats_s "$SNAP_S" s 1
	[ "${a[4]}" = "$CT_MAX" ] || why+="sluice stats shows a table of ${a[4]} entries, not --ct-max $CT_MAX; "
	[[ ${a[3]} =~ ^[0-9]+$ ]] && [ "${a[3]}" -ge $((2 * L)) ] ||
		why+="sluice stats shows ${a[3]} conntrack entries, fewer than the level's $((2 * L)); "
	synth_count || why+="ctfill count failed: $CTF_OUT; "
	emit ct_memlock "$MEMLOCK" bytes 1
	[ "$SYNTH" = "$L" ] || why+="ctfill finds $SYNTH synthetic flows after the measurements, not $L (evicted?); "
	verdict "$name: the fill is in the table (sluice stats ${a[3]} entries of ${a[4]}, ctfill $SYNTH flows)" "$why"
	wfill=$why

	# Every new connection was a new flow of the datapath (nat_new), packets
	# went in (nat_fwd) and back (nat_reply).
	why="" dnew=?
	[[ ${conns:-} =~ ^[0-9]+$ ]] || conns=0
	if [[ ${b[0]}${a[0]}${b[1]}${a[1]}${b[2]}${a[2]} =~ ^[0-9]+$ ]]; then
		dnew=$((a[0] - b[0]))
		[ "$conns" -gt 0 ] && [ "$dnew" -ge "$conns" ] ||
			why+="nat_new rose by $dnew, less than the $conns connections connrate made; "
		[ "${a[1]}" -gt "${b[1]}" ] || why+="nat_fwd did not rise (${b[1]} -> ${a[1]}); "
		[ "${a[2]}" -gt "${b[2]}" ] || why+="nat_reply did not rise (${b[2]} -> ${a[2]}); "
		emit nat_new_delta "$dnew" count 1
	else
		why+="no counters to compare (${b[*]} -> ${a[*]}); "
	fi
	verdict "$name: the traffic took sluice's path (nat_new +$dnew for $conns connections; nat_fwd, nat_reply rose)" "$why"
	wpath=$why

	why=""
	grep -q ',tcp_rr_1k_p50,,\|,conn_rate,,\|,tput_1,,' "$ROWBUF" &&
		why+="a measurement failed (see ctscale-failures.log); "
	verdict "$name: latency, connections and throughput measured" "$why"

	if [ -z "$wfill$wpath$why" ]; then
		emit check 1 bool 1
		cat "$ROWBUF" >>"$CSV"
	else
		emit check 0 bool 1
		awk -F, 'BEGIN { OFS = "," } $5 != "check" { $8 = 0 } { print }' "$ROWBUF" >>"$CSV"
	fi
}

# probe_synthetic: a connection from synthetic flow 0's own address and port
# (added to the client for this alone) must ride on that flow's entries:
# forwarded (nat_fwd) and answered (nat_reply) with no new flow (nat_new),
# so the entries ctfill writes are ones the datapath uses as its own.
probe_synthetic() {
	local b a why="" rc
	ipn "$CLIENT_NS" addr add "$PROBE_IP/32" dev eth0 || {
		verdict "a synthetic flow's entries forward its packets" "cannot add $PROBE_IP to the client"
		return
	}
	b=("${PREV[@]}")
	x probe "$CLIENT_NS" timeout 10 nc -z -w 3 -s "$PROBE_IP" -p "$PROBE_PORT" "$HOST_IP" "$T_SP" \
		>/dev/null 2>&1
	rc=$?
	ct_snap
	a=("${SNAP[@]}")
	PREV=("${SNAP[@]}")
	ipn "$CLIENT_NS" addr del "$PROBE_IP/32" dev eth0
	[ "$rc" = 0 ] || why+="nc -s $PROBE_IP -p $PROBE_PORT $HOST_IP $T_SP failed (exit $rc); "
	if [[ ${b[0]}${a[0]}${b[1]}${a[1]}${b[2]}${a[2]} =~ ^[0-9]+$ ]]; then
		[ "${a[0]}" = "${b[0]}" ] || why+="nat_new rose (${b[0]} -> ${a[0]}): a new flow, not the synthetic one; "
		[ "${a[1]}" -gt "${b[1]}" ] || why+="nat_fwd did not rise; "
		[ "${a[2]}" -gt "${b[2]}" ] || why+="nat_reply did not rise; "
	else
		why+="no counters to check; "
	fi
	verdict "a connection from synthetic flow 0 ($PROBE_IP:$PROBE_PORT) rides on its entries" "$why"
}

# ---- run ------------------------------------------------------------------
log "ctscale ($MODE): levels ${LEVELS[*]} flows, $ROUNDS rounds, --ct-max $CT_MAX; results in $OUT"
PATH_WHY=
if ! ctscale_setup; then
	verdict "setup" "$PATH_WHY"
	SETUP_FAILED=1
else
	verdict "setup: sluice up --ct-max $CT_MAX, container, ports, servers" ""
	SETUP_FAILED=
fi

if [ -z "$SETUP_FAILED" ]; then
	PROBE_PENDING=1
	for ((ROUND = 1 - WARMUP_ROUNDS; ROUND <= ROUNDS; ROUND++)); do
		if [ "$ROUND" -le 0 ]; then
			# Warm-up (discarded): ARP, the servers, the maps, at 0 flows.
			WARMUP=1
			sd=("$D_RR" "$D_CONN" "$D_TPUT")
			D_RR=$W_RR D_CONN=$W_CONN D_TPUT=$W_TPUT
			log "warm-up (discarded): 0 flows"
			run_level 0
			D_RR=${sd[0]} D_CONN=${sd[1]} D_TPUT=${sd[2]}
			continue
		fi
		WARMUP=0
		for L in "${LEVELS[@]}"; do
			log "round $ROUND of $ROUNDS: $L flows"
			run_level "$L"
		done
	done
	# The synthetic flows go again (sluice down would drop them too).
	if [ "$HAVE" -gt 0 ]; then
		WHY=""
		ctf clear "$CT_PIN" -c "$SYNTH_NET" || WHY="ctfill clear failed: $CTF_OUT"
		synth_count
		[ -z "$WHY" ] && [ "$SYNTH" != 0 ] && WHY="ctfill count finds $SYNTH synthetic flows after clear"
		verdict "ctfill clear removes every synthetic flow" "$WHY"
	fi
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
WALL=$((SECONDS - T_START))
_cleanup

# ---- report -------------------------------------------------------------
# STATS[flows,metric] = "n median min max" over the measured rounds whose
# checks passed.
declare -A STATS
while read -r f m n med mn mx; do
	STATS[$f,$m]="$n $med $mn $mx"
done < <(awk -F, 'NR > 1 && $3 == 0 && $8 == 1 && $6 != "" { print $4, $5, $6 }' "$CSV" |
	sort -k1,1n -k2,2 -k3,3g |
	awk 'function flush() { if (key == "") return
			med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			print key, n, med, v[1], v[n] }
		{ k = $1 " " $2; if (k != key) { flush(); key = k; n = 0 } v[++n] = $3 + 0 }
		END { flush() }')

# cell FLOWS METRIC FMT: "median (min–max)" or "–".
cell() {
	local s=${STATS[$1,$2]:-}
	if [ -z "$s" ]; then
		printf -- '–'
		return
	fi
	set -- $s "$3"
	if [ "$1" -gt 1 ]; then
		printf "$5 ($5–$5)" "$2" "$3" "$4"
	else
		printf "$5" "$2"
	fi
}
med() { local s=${STATS[$1,$2]:-}; [ -n "$s" ] && set -- $s && echo "$2"; }
# ratio FLOWS METRIC: this level's median over the 0-flow row's.
ratio() {
	local a b
	a=$(med "$1" "$2") b=$(med "${LEVELS[0]}" "$2")
	if [ -n "$a" ] && [ -n "$b" ]; then
		awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "×%.2f", a / b; else printf "–" }'
	else
		printf -- '–'
	fi
}
mib() { awk -v b="${1:-}" 'BEGIN { if (b == "" || b == "na") printf "–"; else printf "%.0f MiB", b / 1048576 }'; }
human() { awk -v n="$1" 'BEGIN { if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6;
	else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }'; }

MD=$OUT/ctscale.md
{
	echo "# sluice conntrack scale: 0 to $(human "${LEVELS[-1]}") tracked flows"
	echo
	warm=
	[ "$WARMUP_ROUNDS" -gt 0 ] && warm=", after a warm-up at 0 flows (discarded)"
	echo "$START_DATE, $shorthost, mode $MODE: $ROUNDS round(s) over the fill levels ${LEVELS[*]}" \
		"(each round fills the same table upwards)$warm; median (min–max) of the rounds whose checks" \
		"passed. The sluice tc path (bench/run.sh's sluice-tc): remote client namespace → uplink" \
		"(tc DNAT) → container; \`sluice up --ct-max $CT_MAX\`."
	echo
	echo "| tracked flows | table entries (stats, after) | TCP RR 1 KiB p50 µs | TCP RR 1 KiB p99 µs | new conn/s | TCP Gbit/s (1 stream) | ct map memory | \`sluice stats\` s |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for L in "${LEVELS[@]}"; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$L" \
			"$(cell "$L" ct_entries_after '%.0f')" \
			"$(cell "$L" tcp_rr_1k_p50 '%.1f')" "$(cell "$L" tcp_rr_1k_p99 '%.1f')" \
			"$(cell "$L" conn_rate '%.0f')" "$(cell "$L" tput_1 '%.2f')" \
			"$(mib "$(med "$L" ct_memlock)")" "$(cell "$L" stats_s '%.2f')"
	done
	echo
	echo "Ratios to the 0-flow row (medians of this run; latency ×1.10 = 10 % longer, conn/s and Gbit/s ×0.90 = 10 % fewer):"
	echo
	echo "| tracked flows | RR p50 | RR p99 | conn/s | Gbit/s |"
	echo "| ---: | ---: | ---: | ---: | ---: |"
	for L in "${LEVELS[@]:1}"; do
		printf '| %s | %s | %s | %s | %s |\n' "$L" "$(ratio "$L" tcp_rr_1k_p50)" \
			"$(ratio "$L" tcp_rr_1k_p99)" "$(ratio "$L" conn_rate)" "$(ratio "$L" tput_1)"
	done
	echo
	ml=$(med "${LEVELS[0]}" ct_memlock)
	echo "- **Table**: \`sl_ct\`, an LRU hash of $CT_MAX entries (\`--ct-max\`, two per flow)," \
		"$(mib "$ml") by the kernel's count (memlock in fdinfo)$(
			[ -n "$ml" ] && awk -v b="$ml" -v n="$CT_MAX" 'BEGIN { printf ", %.0f bytes an entry", b / n }'):" \
		"preallocated when it is created, so the same at every fill level."
	echo "- **Fill**: build/bench/ctfill, flows of clients in $SYNTH_NET to $HOST_IP:$T_SP" \
		"(mapping $SVC_ID, DNAT to $SLUICE_CTR_IP:$P_SP), ESTABLISHED, both entries as the datapath" \
		"writes them, added per round in steps of $(for L in "${LEVELS[@]:1}"; do
			printf '%s flows in %s s, ' "$(med "$L" fill_flows)" "$(med "$L" fill_s)"; done | sed 's/, $//')" \
		"(medians). The bench's own closed flows are removed before each level, the synthetic ones after each round."
	echo "- **Table entries** are \`sluice stats\`' count after the level's measurements: the fill plus" \
		"the level's own connections (closed flows wait for their 120 s timeout)." \
		"\`sluice stats\` walks the whole table (batched lookups), hence its time."
	echo "- **Checks**: $NPASS passed, $NFAIL failed (ctscale-checks.log). ctfill checks that every entry" \
		"it wrote is in the table; per round and level, after the measurements, sluice stats shows at least" \
		"the level's entries in a table of --ct-max entries and ctfill still finds every synthetic flow" \
		"(none evicted), nat_new rose by at least connrate's connections, nat_fwd and nat_reply rose;" \
		"once, a connection from synthetic flow 0's address and port was forwarded by that flow's entries" \
		"(nat_fwd and nat_reply rose, nat_new did not)."
	echo
	echo "## Commands"
	echo
	echo '```'
	grep -E '^\[setup\]|^\[sluice\] .* (up|port publish|network (create|connect)) ' "$CMDLOG" | head -n 20
	grep -E "^\[(round 1 |ctfill|probe)" "$CMDLOG" | awk '!seen[$0]++' | head -n 20
	echo '```'
	echo
	echo "## Run"
	echo
	echo '```'
	echo "date=$START_DATE host=$shorthost mode=$MODE wall_s=$WALL"
	bench_machine
	echo "commit=$COMMIT"
	echo "levels=${LEVELS[*]} rounds=$ROUNDS warmup_rounds=$WARMUP_ROUNDS d_rr=$D_RR d_conn=$D_CONN d_tput=$D_TPUT"
	echo "ct_max=$CT_MAX conn_workers=$CONN_WORKERS conn_request_bytes=$CONN_SIZE"
	echo "sockperf=$(dpkg-query -W -f='${Version}' sockperf 2>/dev/null) iperf3=$(dpkg-query -W -f='${Version}' iperf3 2>/dev/null)"
	echo "loadavg_start=$LOAD_START loadavg_end=$LOAD_END"
	echo '```'
	if [ "$NFAIL" -gt 0 ]; then
		echo
		echo "## Failed checks"
		echo
		grep '^FAIL' "$CHECKLOG" | sed 's/^/- /'
	fi
} >"$MD"

# ctscale.png: the medians per level with min–max bars (not for smoke runs).
if [ "$MODE" != smoke ] && command -v gnuplot >/dev/null; then
	dat=$OUT/.ctscale-plot.dat
	for L in "${LEVELS[@]}"; do
		printf '%s' "$(human "$L")"
		for m in tcp_rr_1k_p50 tcp_rr_1k_p99 conn_rate tput_1; do
			s=${STATS[$L,$m]:-"0 0 0 0"}
			set -- $s
			printf ' %s %s %s' "$2" "$3" "$4"
		done
		echo
	done >"$dat"
	timeout 60 gnuplot <<EOF 2>>"$FAILLOG" || log "ctscale: gnuplot failed (see $FAILLOG)"
set terminal pngcairo size 1200,400 font ",10"
set output "$OUT/ctscale.png"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6 border -1
set key top left
set xlabel "tracked flows"
set yrange [0:*]
set multiplot layout 1,3 title "sluice tc path with a filled conntrack table (median, min-max)"
set title "TCP RR 1 KiB (us)"
plot "$dat" using 2:3:4:xtic(1) title "p50", "" using 5:6:7 title "p99"
set title "new connections/s"
plot "$dat" using 8:9:10:xtic(1) title "conn/s"
set title "TCP throughput, 1 stream (Gbit/s)"
plot "$dat" using 11:12:13:xtic(1) title "Gbit/s"
unset multiplot
EOF
	rm -f "$dat"
fi
bench_done

if [ "$MODE" = smoke ]; then
	echo "bench-ctscale-smoke: $NPASS passed, $NFAIL failed"
else
	cat "$MD"
	echo
	echo "bench ctscale ($MODE): $NPASS checks passed, $NFAIL failed in $WALL s; results: $OUT"
fi
[ "$NFAIL" -eq 0 ]
