#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/report.sh DIR - turn a results directory written by bench/run.sh
# (raw.csv, paths.csv, env.txt, commands.log, checks.log) into stats.csv,
# summary.md and the PNG plots. Safe to run again on old results.
#
# Statistics: for each path and metric, the median, min and max over the
# measured rounds (warm-up excluded) whose tool run and path check passed.
# Ratios divide a path's median by the reference path's median from the same
# run. A path whose check failed in any round shows as failed, with no
# numbers.
set -u
set -o pipefail

DIR=${1:?usage: report.sh RESULTS_DIR}
CSV=$DIR/raw.csv
[ -f "$CSV" ] || { echo "report: $CSV is missing" >&2; exit 1; }

# ---- stats.csv: path,metric,n,median,min,max,failed -----------------------
{
	echo "path,metric,n,median,min,max,failed"
	awk -F, 'NR > 1 && $3 == 0 && $5 != "check" {
		if ($8 == 1 && $6 != "") print $4 "," $5 "," $6; else print $4 "," $5 ",FAIL" }' "$CSV" |
		sort -t, -k1,1 -k2,2 -k3,3g |
		awk -F, '
		function flush() {
			if (key == "") return
			if (n == 0) { printf "%s,0,,,,%d\n", key, nf; return }
			med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s,%d,%.6g,%.6g,%.6g,%d\n", key, n, med, v[1], v[n], nf
		}
		{ k = $1 "," $2
		  if (k != key) { flush(); key = k; n = 0; nf = 0 }
		  if ($3 == "FAIL") nf++; else v[++n] = $3 + 0 }
		END { flush() }'
} >"$DIR/stats.csv"

declare -A MED MIN MAX NOK NFAIL STATUS WHY KIND
while IFS=, read -r p m n med mn mx nf; do
	[ "$p" = path ] && continue
	MED[$p,$m]=$med MIN[$p,$m]=$mn MAX[$p,$m]=$mx NOK[$p,$m]=$n NFAIL[$p,$m]=$nf
done <"$DIR/stats.csv"

# paths.csv: path,status,kind,"reason" (older runs: no kind column, every
# path remote). Remote paths have a client in the client namespace, local
# ones a client process on the host.
PATHS=()
RPATHS=()
LPATHS=()
has_kind=
while IFS= read -r line; do
	p=${line%%,*}
	rest=${line#*,}
	if [ "$p" = path ]; then
		[[ $line == path,status,kind,* ]] && has_kind=1
		continue
	fi
	STATUS[$p]=${rest%%,*}
	rest=${rest#*,}
	KIND[$p]=remote
	if [ -n "$has_kind" ]; then
		KIND[$p]=${rest%%,*}
		rest=${rest#*,}
	fi
	rest=${rest#\"}
	WHY[$p]=${rest%\"}
	PATHS+=("$p")
	if [ "${KIND[$p]}" = local ]; then
		LPATHS+=("$p")
	else
		RPATHS+=("$p")
	fi
done <"$DIR/paths.csv"

envv() { sed -n "s/^$1=//p" "$DIR/env.txt" | head -n 1; }

# The table cells are formatted with bash builtins only (printf does the
# floating point): a report has hundreds of cells, and a fork per cell costs
# seconds on a busy machine.

# _fmt VALUE: REPLY = VALUE with 3 significant digits, no exponent.
_fmt() {
	local v=$1 a
	printf -v v '%.6f' "$v" 2>/dev/null || {
		REPLY=$1
		return
	}
	a=${v#-}
	a=${a%%.*}
	if [ "$a" -ge 100 ]; then
		printf -v REPLY '%.0f' "$v"
	elif [ "$a" -ge 10 ]; then
		printf -v REPLY '%.1f' "$v"
	elif [ "$a" -ge 1 ]; then
		printf -v REPLY '%.2f' "$v"
	else
		printf -v REPLY '%.3f' "$v"
	fi
}
fmt() { # VALUE: _fmt, printed
	_fmt "$1"
	echo "$REPLY"
}

# _fixed VALUE: REPLY = VALUE × 10^6 as an integer (for exact-enough ratios).
_fixed() {
	local v
	printf -v v '%.6f' "$1" 2>/dev/null || v=0.000000
	v=${v/./}
	[[ $v == -* ]] && REPLY=-$((10#${v#-})) || REPLY=$((10#$v))
}

# _cell PATH METRIC: REPLY = "median (min–max)", "failed", or "—".
_cell() {
	local p=$1 m=$2 a b c
	if [ "${STATUS[$p]}" != ok ]; then
		REPLY=${STATUS[$p]}
	elif [ -z "${NOK[$p,$m]:-}" ]; then
		REPLY="—"
	elif [ "${NOK[$p,$m]}" = 0 ]; then
		REPLY=failed
	else
		_fmt "${MED[$p,$m]}"
		a=$REPLY
		_fmt "${MIN[$p,$m]}"
		b=$REPLY
		_fmt "${MAX[$p,$m]}"
		c=$REPLY
		REPLY="$a ($b–$c)"
		[ "${NFAIL[$p,$m]}" != 0 ] && REPLY+=" [${NFAIL[$p,$m]} failed]"
	fi
}
cell() { # PATH METRIC: _cell, printed
	_cell "$1" "$2"
	echo "$REPLY"
}

# _ratio PATH REF METRIC: REPLY = median(PATH) / median(REF), "×1.23", or "—".
_ratio() {
	local p=$1 r=$2 m=$3 a b q
	REPLY="—"
	if [ "${STATUS[$p]:-}" != ok ] || [ "${STATUS[$r]:-}" != ok ] ||
		[ -z "${MED[$p,$m]:-}" ] || [ -z "${MED[$r,$m]:-}" ]; then
		return
	fi
	_fixed "${MED[$p,$m]}"
	a=$REPLY
	_fixed "${MED[$r,$m]}"
	b=$REPLY
	REPLY="—"
	[ "$b" -gt 0 ] || return
	q=$(((a * 1000 / b + 5) / 10)) # hundredths, rounded
	printf -v REPLY '×%d.%02d' $((q / 100)) $((q % 100))
}
ratio() { # PATH REF METRIC: _ratio, printed
	_ratio "$1" "$2" "$3"
	echo "$REPLY"
}

# trow PATH SPEC...: a table row for PATH; SPEC is c:METRIC (a cell),
# r:REF:METRIC (a ratio) or =TEXT (as is).
trow() {
	local p=$1 spec out="| $1 |" m r
	shift
	for spec in "$@"; do
		case $spec in
		c:*) _cell "$p" "${spec#c:}" ;;
		r:*)
			spec=${spec#r:}
			_ratio "$p" "${spec%%:*}" "${spec#*:}"
			;;
		=*) REPLY=${spec#=} ;;
		esac
		out+=" $REPLY |"
	done
	echo "$out"
}

# has PATH METRIC: the path was measured and has a median for the metric.
has() { [ "${STATUS[$1]:-}" = ok ] && [ -n "${MED[$1,$2]:-}" ]; }

# not_measured PATH... METRIC: why a comparison has no numbers.
not_measured() {
	local m=${*: -1} p out=""
	for p in "${@:1:$#-1}"; do
		if [ -z "${STATUS[$p]:-}" ]; then
			out+="$p not run, "
		elif [ "${STATUS[$p]}" != ok ]; then
			out+="$p ${STATUS[$p]}, "
		elif [ -z "${MED[$p,$m]:-}" ]; then
			out+="$p has no $m, "
		fi
	done
	echo "not measured (${out%, })"
}

# goal_ratio PATH REF METRIC WANT: "×R (rounds' extremes ×LO–×HI): met" for
# a higher-is-better metric whose goal is PATH >= WANT × REF. The extremes
# divide PATH's min by REF's max and PATH's max by REF's min: when WANT lies
# between them, the medians alone decide and the rounds did not settle it.
goal_ratio() {
	local p=$1 r=$2 m=$3 want=$4
	if ! has "$p" "$m" || ! has "$r" "$m"; then
		not_measured "$p" "$r" "$m"
		return
	fi
	awk -v a="${MED[$p,$m]}" -v b="${MED[$r,$m]}" -v amin="${MIN[$p,$m]}" -v amax="${MAX[$p,$m]}" \
		-v bmin="${MIN[$r,$m]}" -v bmax="${MAX[$r,$m]}" -v w="$want" 'BEGIN {
		if (b <= 0 || bmax <= 0 || bmin <= 0) { print "—"; exit }
		q = a / b; lo = amin / bmax; hi = amax / bmin
		v = (q >= w) ? "**met**" : "**not met**"
		if (lo < w && hi >= w) v = v " (the rounds straddle the goal: not settled)"
		printf "×%.2f (rounds'"'"' extremes ×%.2f–×%.2f): %s\n", q, lo, hi, v }'
}

# goal_within PATH REF METRIC PCT: lower-is-better metric, goal PATH <= REF
# × (1 + PCT/100). Prints the difference in percent.
goal_within() {
	local p=$1 r=$2 m=$3 pct=$4
	if ! has "$p" "$m" || ! has "$r" "$m"; then
		not_measured "$p" "$r" "$m"
		return
	fi
	awk -v a="${MED[$p,$m]}" -v b="${MED[$r,$m]}" -v amin="${MIN[$p,$m]}" -v amax="${MAX[$p,$m]}" \
		-v bmin="${MIN[$r,$m]}" -v bmax="${MAX[$r,$m]}" -v w="$pct" 'BEGIN {
		if (b <= 0) { print "—"; exit }
		d = 100 * (a / b - 1)
		v = (d <= w) ? "**met**" : "**not met**"
		if (amin <= bmax && bmin <= amax) v = v " (the two min–max ranges overlap)"
		printf "%+.1f %% (%.1f µs vs %.1f µs): %s\n", d, a, b, v }'
}

row() { # CELLS...: a Markdown table row
	local out="|" c
	for c in "$@"; do
		out+=" $c |"
	done
	echo "$out"
}

# warnings: what makes this run's numbers less trustworthy, found in the
# data itself: a busy machine (load average above the core count: other
# work shared the CPUs), CPU steal, metrics whose min-max spread is more than
# half their median, and metrics that failed in some rounds.
warnings() {
	local cores load steal spread w=()
	cores=$(envv cores)
	load=$(awk -F, 'NR > 1 && $5 == "loadavg1" && $3 == 0 { s += $6; n++ } END { if (n) printf "%.1f", s / n }' "$CSV")
	if [ -n "$load" ] && [ -n "$cores" ] && awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c) }'; then
		w+=("the machine was busy: load average $load on $cores cores during the rounds (other work shared the CPUs; CPU-cost columns include it)")
	fi
	steal=$(awk -F, 'NR > 1 && $5 == "steal_pct" && $3 == 0 && $6 > m { m = $6 } END { if (m > 2) print m }' "$CSV")
	[ -n "$steal" ] && w+=("CPU steal up to $steal % in a round")
	spread=$(awk -F, 'NR > 1 && $4 > 0 && ($2 ~ /^(tcp_rr_1_p50|tcp_rr_1k_p50|udp_rr_p50|tput_1|tput_4|conn_rate|udp_pps|udp_wire_pps|udp_drop_pps)$/) &&
		($6 - $5) > 0.5 * $4 { printf "%s%s %s", sep, $1, $2; sep = ", " }' "$DIR/stats.csv")
	[ -n "$spread" ] && w+=("min–max spread above 50 % of the median: $spread")
	# Paths that failed as a whole are listed under Paths; the noise columns
	# fail along with the round they belong to.
	local okp="" p
	for p in "${PATHS[@]}"; do
		[ "${STATUS[$p]}" = ok ] && okp+=" $p"
	done
	spread=$(awk -F, -v ok="$okp " 'NR > 1 && $7 > 0 && index(ok, " " $1 " ") &&
		$2 !~ /^(conn_errors|tcp_retrans|steal_pct|loadavg1)$/ {
		printf "%s%s %s (%d)", sep, $1, $2, $7; sep = ", " }' "$DIR/stats.csv")
	[ -n "$spread" ] && w+=("failed in some rounds (see failures.log): $spread")
	[ ${#w[@]} -eq 0 ] && return
	echo
	echo "**Noise and failures in this run** (read the numbers with these in mind):"
	echo
	for x in "${w[@]}"; do
		echo "- $x"
	done
}

# ---- summary.md ----------------------------------------------------------
{
	echo "# sluice bench: $(envv mode) run of $(envv date)"
	echo
	echo "Kernel $(envv kernel), CPU $(envv cpu), $(envv cores) cores, commit $(envv commit)."
	echo "Rounds: $(envv rounds) (seconds per run). Load average at start $(envv loadavg_start),"
	echo "at end $(envv loadavg_end); wall time $(envv wall_s) s."
	echo "Tools: sockperf $(envv sockperf)."
	echo
	echo "Medians over the measured rounds, with (min–max). Latency is the full round trip in µs"
	echo "(lower is better); throughput in Gbit/s and connections/s (higher is better); CPU in"
	echo "busy-core seconds per unit of work, whole machine (lower is better). Ratios are this"
	echo "path's median divided by the reference path's median in this run."
	echo
	row "path" "TCP RR 1 B p50" "TCP RR 1 B p99" "TCP RR 1 KiB p50" "TCP RR 1 KiB p99" \
		"UDP RR p50" "UDP RR p99" "TCP 1 stream Gbit/s" "TCP 4 streams Gbit/s" "new conn/s" \
		"CPU s/Gbit (1 stream)" "CPU s/1k conn" \
		"RR 1 B p50 vs direct" "1 stream vs direct" "conn/s vs direct" \
		"RR 1 B p50 vs host" "1 stream vs host" "conn/s vs host"
	row "---" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" \
		"---:" "---:" "---:" "---:" "---:" "---:"
	for p in "${RPATHS[@]}"; do
		trow "$p" c:tcp_rr_1_p50 c:tcp_rr_1_p99 c:tcp_rr_1k_p50 c:tcp_rr_1k_p99 \
			c:udp_rr_p50 c:udp_rr_p99 c:tput_1 c:tput_4 c:conn_rate c:cpu_per_gbit_1 c:cpu_per_kconn \
			r:direct:tcp_rr_1_p50 r:direct:tput_1 r:direct:conn_rate \
			r:host:tcp_rr_1_p50 r:host:tput_1 r:host:conn_rate
	done
	if grep -q ',udp_pps,' "$DIR/stats.csv"; then
		echo
		echo "## UDP packet rate, small datagrams"
		echo
		echo "udpflood in the client namespace sends $(envv udp_payload_bytes)-byte datagrams over $(envv udp_flows) flows"
		echo "(source ports) as fast as one thread can, for $(sed -n 's/.*d_udp=\([0-9.]*\).*/\1/p' "$DIR/env.txt") s per run;"
		echo "udpsink in the container counts what arrives. Received packets/s is the forwarded rate"
		echo "(higher is better); loss is (sent − received) / sent. sluice-xdp's client computes"
		echo "checksums in software (TX offload off on its veth: XDP needs complete checksums),"
		echo "which slows its sender: a handicap for that path, not an advantage."
		echo
		row "path" "received pkt/s" "sent pkt/s" "loss %" "vs direct" "vs host" "vs bridge-dnat" "vs sluice-tc"
		row "---" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
		for p in "${RPATHS[@]}"; do
			trow "$p" c:udp_pps c:udp_sent_pps c:udp_loss_pct r:direct:udp_pps r:host:udp_pps \
				r:bridge-dnat:udp_pps r:sluice-tc:udp_pps
		done
	fi
	if grep -q ',udp_wire_pps,' "$DIR/stats.csv"; then
		echo
		echo "## UDP packet rate, frames from the wire"
		echo
		echo "xdpgen in the client namespace puts ready-made $(envv udp_payload_bytes)-byte UDP frames over $(envv udp_flows)"
		echo "flows straight into the receive ring of the path's first interface (ndo_xdp_xmit from"
		echo "BPF_PROG_RUN live frames), as a NIC's DMA would: no socket and no skb on the sending"
		echo "side. That interface's NAPI runs the path on the generator's CPU; forwarded is what"
		echo "reached the server namespace's UDP layer per second (generator on the first CPU,"
		echo "udpsink on the last). \"ns per packet\" is that CPU's time per forwarded packet,"
		echo "generator included. direct's packets go through nothing but the container's own"
		echo "receive, with GRO on (a veth without XDP has NAPI only so): the reference for a"
		echo "path with no datapath. sluice-xdp's container veth receives with XDP (sl_xdp_pass),"
		echo "GRO off, building skbs in bulk, which costs less per packet: it can pass direct."
		echo
		row "path" "forwarded pkt/s" "offered pkt/s" "loss %" "ns per packet" \
			"vs direct" "vs host" "vs bridge-dnat" "vs sluice-tc"
		row "---" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
		for p in "${RPATHS[@]}"; do
			per_pkt="—"
			has "$p" udp_wire_pps && per_pkt=$(awk -v a="${MED[$p,udp_wire_pps]}" 'BEGIN { printf "%.0f", 1e9 / a }')
			trow "$p" c:udp_wire_pps c:udp_wire_offered_pps c:udp_wire_loss_pct "=$per_pkt" \
				r:direct:udp_wire_pps r:host:udp_wire_pps r:bridge-dnat:udp_wire_pps r:sluice-tc:udp_wire_pps
		done
	fi
	if grep -q ',udp_drop_pps,' "$DIR/stats.csv"; then
		echo
		echo "## Dropping a refused source"
		echo
		echo "The same frames, to a port published with --allow $(envv deny_allow) (the client is"
		echo "not in it): packets/s that sluice drops, the drop running on the generator's CPU."
		echo "A run counts only if sluice's drop_not_allowed counter rose by what was sent and"
		echo "nothing reached the container."
		echo
		row "path" "dropped pkt/s" "vs sluice-tc"
		row "---" "---:" "---:"
		for p in "${RPATHS[@]}"; do
			has "$p" udp_drop_pps && trow "$p" c:udp_drop_pps r:sluice-tc:udp_drop_pps
		done
	fi
	if [ ${#LPATHS[@]} -gt 0 ]; then
		echo
		echo "## Local clients (a process on the host)"
		echo
		echo "The client runs in the bench host namespace, inside the cgroup the bench created"
		echo "($(envv local_cgroup)); sluice-socket's hooks are attached to that cgroup, so"
		echo "direct-local's connects pass them too (no mapping matches). direct-local connects to"
		echo "the sluice-socket container's own address (the floor), docker-proxy-local to"
		echo "docker-proxy on 127.0.0.1, sluice-socket to the port published on 127.0.0.1."
		echo
		row "path" "TCP RR 1 B p50" "TCP RR 1 B p99" "TCP RR 1 B avg" "new conn/s" "CPU s/1k conn" \
			"p50 vs direct-local" "p99 vs direct-local" "conn/s vs direct-local"
		row "---" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
		for p in "${LPATHS[@]}"; do
			trow "$p" c:tcp_rr_1_p50 c:tcp_rr_1_p99 c:tcp_rr_1_avg c:conn_rate c:cpu_per_kconn \
				r:direct-local:tcp_rr_1_p50 r:direct-local:tcp_rr_1_p99 r:direct-local:conn_rate
		done
	fi
	if [ -n "${STATUS[sluice-xdp]:-}${STATUS[sluice-socket]:-}" ]; then
		echo
		echo "## Issue goals (noted, not asserted)"
		echo
		if [ -n "${STATUS[sluice-xdp]:-}" ]; then
			echo "- sluice-xdp forwards ≥ 1.5× the UDP packets/s of sluice-tc: $(goal_ratio sluice-xdp sluice-tc udp_pps 1.5)"
			echo "- sluice-xdp forwards ≥ 3× the UDP packets/s of bridge-dnat: $(goal_ratio sluice-xdp bridge-dnat udp_pps 3)"
			if grep -q ',udp_wire_pps,' "$DIR/stats.csv"; then
				echo "- the same with frames from the wire, end to end: $(goal_ratio sluice-xdp sluice-tc udp_wire_pps 1.5) and $(goal_ratio sluice-xdp bridge-dnat udp_wire_pps 3)"
				echo "- the reference of that measure: direct, with no datapath at all, forwards $(ratio direct sluice-tc udp_wire_pps) sluice-tc's packets/s, and sluice-xdp $(ratio sluice-xdp direct udp_wire_pps) direct's"
			fi
			if grep -q ',udp_drop_pps,' "$DIR/stats.csv"; then
				echo "- --allow drops happen in XDP, the cheapest place: sluice-xdp drops $(ratio sluice-xdp sluice-tc udp_drop_pps) the packets/s of sluice-tc"
			fi
		fi
		if [ -n "${STATUS[sluice-socket]:-}" ]; then
			echo "- sluice-socket TCP RR 1 B p50 within 5 % of direct-local: $(goal_within sluice-socket direct-local tcp_rr_1_p50 5)"
			echo "- sluice-socket TCP RR 1 B p99 within 5 % of direct-local: $(goal_within sluice-socket direct-local tcp_rr_1_p99 5)"
			echo "- sluice-socket new conn/s vs direct-local (each connect pays the hook): $(ratio sluice-socket direct-local conn_rate)"
		fi
	fi
	warnings
	echo
	echo "## Detail and noise"
	echo
	echo "Averages, the 4-stream CPU cost, failed connections, TCP retransmissions (all bench"
	echo "namespaces, per round) and CPU steal (% of CPU time, per round) show whether a run was noisy."
	echo
	row "path" "TCP RR 1 B avg" "TCP RR 1 KiB avg" "UDP RR avg" "CPU s/Gbit (4 streams)" \
		"failed conns/round" "TCP retrans/round" "steal %" "load avg (1 min)" "rounds"
	row "---" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
	for p in "${PATHS[@]}"; do
		trow "$p" c:tcp_rr_1_avg c:tcp_rr_1k_avg c:udp_rr_avg c:cpu_per_gbit_4 c:conn_errors \
			c:tcp_retrans c:steal_pct c:loadavg1 "=${NOK[$p,tcp_retrans]:-0}"
	done
	echo
	echo "## Paths"
	echo
	for p in "${PATHS[@]}"; do
		case ${STATUS[$p]} in
		ok) echo "- **$p**: measured; its path check passed in every round (checks.log)." ;;
		skipped) echo "- **$p**: skipped: ${WHY[$p]}" ;;
		*) echo "- **$p**: **FAILED**: ${WHY[$p]}" ;;
		esac
	done
	if [ -s "$DIR/failures.log" ]; then
		echo
		echo "Tool failures (failures.log):"
		echo
		echo '```'
		head -n 20 "$DIR/failures.log"
		echo '```'
	fi
	echo
	echo "## Commands"
	echo
	echo "Every command that built the topology or measured is in commands.log. The client"
	echo "commands of the first measured round:"
	echo
	echo '```'
	grep '^\[round 1 ' "$DIR/commands.log" 2>/dev/null
	echo '```'
	echo
	echo "Files: raw.csv (one row per path × metric × round; warmup=1 rows are discarded),"
	echo "stats.csv, checks.log (counters behind each path check), env.txt, plots: latency.png,"
	echo "throughput.png, connrate.png, udp.png, local.png."
} >"$DIR/summary.md"

# ---- plots ----------------------------------------------------------------
# BENCH_PLOTS=0 (smoke runs): no plots.
[ "${BENCH_PLOTS:-1}" = 0 ] && exit 0
if ! command -v gnuplot >/dev/null; then
	echo "report: gnuplot is missing (apt-get install gnuplot-nox): no plots" >&2
	exit 0
fi

# dat FILE remote|local METRIC...: "path med min max ..." for every measured
# path of that kind that has the first metric.
dat() {
	local f=$1 kind=$2 p m line
	shift 2
	: >"$f"
	for p in "${PATHS[@]}"; do
		[ "${STATUS[$p]}" = ok ] && [ "${KIND[$p]}" = "$kind" ] && [ -n "${MED[$p,$1]:-}" ] || continue
		line="$p"
		for m in "$@"; do
			line+=" ${MED[$p,$m]:-0} ${MIN[$p,$m]:-0} ${MAX[$p,$m]:-0}"
		done
		echo "$line" >>"$f"
	done
}

dat "$DIR/latency.dat" remote tcp_rr_1_p50 tcp_rr_1k_p50 udp_rr_p50
dat "$DIR/throughput.dat" remote tput_1 tput_4
dat "$DIR/connrate.dat" remote conn_rate
dat "$DIR/udp.dat" remote udp_pps
dat "$DIR/local.dat" local tcp_rr_1_p50 tcp_rr_1_p99
if [ ! -s "$DIR/latency.dat" ] && [ ! -s "$DIR/connrate.dat" ] && [ ! -s "$DIR/local.dat" ] &&
	[ ! -s "$DIR/udp.dat" ]; then
	echo "report: no measured path: no plots" >&2
	exit 0
fi

title="$(envv mode) run $(envv date), kernel $(envv kernel), $(envv cores) cores"
common="set terminal pngcairo size 1000,560 font 'sans,10'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
set xtics nomirror
"
# plot DATFILE: the gnuplot commands on stdin, run only when DATFILE has data.
rc=0
plot() {
	local script
	script=$(cat)
	[ -s "$1" ] || return 0
	gnuplot <<EOF 2>>"$DIR/gnuplot.log" || rc=1
$common
$script
EOF
}
plot "$DIR/latency.dat" <<EOF
set output '$DIR/latency.png'
set title "Request/response round trip, median of rounds (bars: min-max)\n$title"
set ylabel 'p50 round trip (µs)'
plot '$DIR/latency.dat' using 2:3:4:xtic(1) title 'TCP 1 B', \
     '' using 5:6:7 title 'TCP 1 KiB', \
     '' using 8:9:10 title 'UDP 14 B'
EOF
plot "$DIR/throughput.dat" <<EOF
set output '$DIR/throughput.png'
set title "TCP throughput client -> server (iperf3), median of rounds (bars: min-max)\n$title"
set ylabel 'Gbit/s'
plot '$DIR/throughput.dat' using 2:3:4:xtic(1) title '1 stream', \
     '' using 5:6:7 title '4 streams'
EOF
plot "$DIR/connrate.dat" <<EOF
set output '$DIR/connrate.png'
set title "New TCP connections per second (connect, request, reply, close), median of rounds\n$title"
set ylabel 'connections/s'
plot '$DIR/connrate.dat' using 2:3:4:xtic(1) title 'connrate, 4 workers'
EOF
plot "$DIR/udp.dat" <<EOF
set output '$DIR/udp.png'
set title "UDP datagrams received per second ($(envv udp_payload_bytes) B payload, $(envv udp_flows) flows), median of rounds (bars: min-max)\n$title"
set ylabel 'packets/s received'
plot '$DIR/udp.dat' using 2:3:4:xtic(1) title 'udpflood -> udpsink'
EOF
plot "$DIR/local.dat" <<EOF
set output '$DIR/local.png'
set title "Local client (a host process): TCP 1 B round trip, median of rounds (bars: min-max)\n$title"
set ylabel 'round trip (µs)'
plot '$DIR/local.dat' using 2:3:4:xtic(1) title 'p50', \
     '' using 5:6:7 title 'p99'
EOF
[ -s "$DIR/gnuplot.log" ] || rm -f "$DIR/gnuplot.log"
exit $rc
