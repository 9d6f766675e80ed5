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

declare -A MED MIN MAX NOK NFAIL STATUS WHY
while IFS=, read -r p m n med mn mx nf; do
	[ "$p" = path ] && continue
	MED[$p,$m]=$med MIN[$p,$m]=$mn MAX[$p,$m]=$mx NOK[$p,$m]=$n NFAIL[$p,$m]=$nf
done <"$DIR/stats.csv"

PATHS=()
while IFS= read -r line; do
	p=${line%%,*}
	[ "$p" = path ] && continue
	rest=${line#*,}
	STATUS[$p]=${rest%%,*}
	w=${rest#*,}
	w=${w#\"}
	WHY[$p]=${w%\"}
	PATHS+=("$p")
done <"$DIR/paths.csv"

envv() { sed -n "s/^$1=//p" "$DIR/env.txt" | head -n 1; }

fmt() { # VALUE: 3 significant digits, no exponent
	awk -v v="$1" 'BEGIN { a = v < 0 ? -v : v
		if (a >= 100) printf "%.0f", v; else if (a >= 10) printf "%.1f", v;
		else if (a >= 1) printf "%.2f", v; else printf "%.3f", v }'
}

# cell PATH METRIC: "median (min–max)", "failed", or "—".
cell() {
	local p=$1 m=$2 s
	if [ "${STATUS[$p]}" != ok ]; then
		echo "${STATUS[$p]}"
		return
	fi
	if [ -z "${NOK[$p,$m]:-}" ]; then
		echo "—"
		return
	fi
	if [ "${NOK[$p,$m]}" = 0 ]; then
		echo "failed"
		return
	fi
	s="$(fmt "${MED[$p,$m]}") ($(fmt "${MIN[$p,$m]}")–$(fmt "${MAX[$p,$m]}"))"
	[ "${NFAIL[$p,$m]}" != 0 ] && s+=" [${NFAIL[$p,$m]} failed]"
	echo "$s"
}

# ratio PATH REF METRIC: median(PATH) / median(REF), "×1.23".
ratio() {
	local p=$1 r=$2 m=$3
	if [ "${STATUS[$p]:-}" != ok ] || [ "${STATUS[$r]:-}" != ok ] ||
		[ -z "${MED[$p,$m]:-}" ] || [ -z "${MED[$r,$m]:-}" ]; then
		echo "—"
		return
	fi
	awk -v a="${MED[$p,$m]}" -v b="${MED[$r,$m]}" 'BEGIN { if (b > 0) printf "×%.2f", a / b; else print "—" }'
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
	spread=$(awk -F, 'NR > 1 && $4 > 0 && ($2 ~ /^(tcp_rr_1_p50|tcp_rr_1k_p50|udp_rr_p50|tput_1|tput_4|conn_rate)$/) &&
		($6 - $5) > 0.5 * $4 { printf "%s%s %s", sep, $1, $2; sep = ", " }' "$DIR/stats.csv")
	[ -n "$spread" ] && w+=("min–max spread above 50 % of the median: $spread")
	spread=$(awk -F, 'NR > 1 && $7 > 0 && $2 !~ /^(conn_errors)$/ { printf "%s%s %s (%d)", sep, $1, $2, $7; sep = ", " }' "$DIR/stats.csv")
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
	for p in "${PATHS[@]}"; do
		row "$p" "$(cell "$p" tcp_rr_1_p50)" "$(cell "$p" tcp_rr_1_p99)" \
			"$(cell "$p" tcp_rr_1k_p50)" "$(cell "$p" tcp_rr_1k_p99)" \
			"$(cell "$p" udp_rr_p50)" "$(cell "$p" udp_rr_p99)" \
			"$(cell "$p" tput_1)" "$(cell "$p" tput_4)" "$(cell "$p" conn_rate)" \
			"$(cell "$p" cpu_per_gbit_1)" "$(cell "$p" cpu_per_kconn)" \
			"$(ratio "$p" direct tcp_rr_1_p50)" "$(ratio "$p" direct tput_1)" "$(ratio "$p" direct conn_rate)" \
			"$(ratio "$p" host tcp_rr_1_p50)" "$(ratio "$p" host tput_1)" "$(ratio "$p" host conn_rate)"
	done
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
		row "$p" "$(cell "$p" tcp_rr_1_avg)" "$(cell "$p" tcp_rr_1k_avg)" "$(cell "$p" udp_rr_avg)" \
			"$(cell "$p" cpu_per_gbit_4)" "$(cell "$p" conn_errors)" "$(cell "$p" tcp_retrans)" \
			"$(cell "$p" steal_pct)" "$(cell "$p" loadavg1)" "${NOK[$p,tcp_retrans]:-0}"
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
	echo "throughput.png, connrate.png."
} >"$DIR/summary.md"

# ---- plots ----------------------------------------------------------------
if ! command -v gnuplot >/dev/null; then
	echo "report: gnuplot is missing (apt-get install gnuplot-nox): no plots" >&2
	exit 0
fi

# dat FILE METRIC...: "path med min max ..." for every measured path.
dat() {
	local f=$1 p m line
	shift
	: >"$f"
	for p in "${PATHS[@]}"; do
		[ "${STATUS[$p]}" = ok ] || continue
		line="$p"
		for m in "$@"; do
			line+=" ${MED[$p,$m]:-0} ${MIN[$p,$m]:-0} ${MAX[$p,$m]:-0}"
		done
		echo "$line" >>"$f"
	done
}

dat "$DIR/latency.dat" tcp_rr_1_p50 tcp_rr_1k_p50 udp_rr_p50
dat "$DIR/throughput.dat" tput_1 tput_4
dat "$DIR/connrate.dat" conn_rate
if [ ! -s "$DIR/latency.dat" ]; then
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
gnuplot <<EOF 2>>"$DIR/gnuplot.log"
$common
set output '$DIR/latency.png'
set title "Request/response round trip, median of rounds (bars: min-max)\n$title"
set ylabel 'p50 round trip (µs)'
plot '$DIR/latency.dat' using 2:3:4:xtic(1) title 'TCP 1 B', \
     '' using 5:6:7 title 'TCP 1 KiB', \
     '' using 8:9:10 title 'UDP 14 B'
set output '$DIR/throughput.png'
set title "TCP throughput client -> server (iperf3), median of rounds (bars: min-max)\n$title"
set ylabel 'Gbit/s'
plot '$DIR/throughput.dat' using 2:3:4:xtic(1) title '1 stream', \
     '' using 5:6:7 title '4 streams'
set output '$DIR/connrate.png'
set title "New TCP connections per second (connect, request, reply, close), median of rounds\n$title"
set ylabel 'connections/s'
plot '$DIR/connrate.dat' using 2:3:4:xtic(1) title 'connrate, 4 workers'
EOF
rc=$?
[ -s "$DIR/gnuplot.log" ] || rm -f "$DIR/gnuplot.log"
exit $rc
