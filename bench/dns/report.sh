#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/dns/report.sh DIR - turn the files bench/dns.sh writes (dns.csv,
# dns-status.csv, dns-env.txt, dns-commands.log) into dns-stats.csv, dns.md
# and dns.png. Safe to run again on old results.
#
# Statistics: per server, query kind and metric, the median, min and max
# over the measured rounds (round >= 1; round 0 is the warm-up). A server or
# kind whose check failed in any round is shown as failed, with no numbers.
# Ratios divide sluice's median by a peer's median from the same run.
set -u
set -o pipefail

DIR=${1:?usage: bench/dns/report.sh RESULTS_DIR}
CSV=$DIR/dns.csv
[ -f "$CSV" ] || { echo "dns report: $CSV is missing" >&2; exit 1; }

# ---- dns-stats.csv: server,kind,metric,n,median,min,max ----------------------
{
	echo "server,kind,metric,n,median,min,max"
	awk -F, 'NR > 1 && $1 >= 1 && $5 != "na" && $5 != "" && $4 != "check" { print $2 "," $3 "," $4 "," $5 }' "$CSV" |
		sort -t, -k1,1 -k2,2 -k3,3 -k4,4g |
		awk -F, '
		function flush() {
			if (key == "") return
			med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s,%d,%.6g,%.6g,%.6g\n", key, n, med, v[1], v[n]
		}
		{ k = $1 "," $2 "," $3
		  if (k != key) { flush(); key = k; n = 0 }
		  v[++n] = $4 + 0 }
		END { flush() }'
} >"$DIR/dns-stats.csv"

declare -A MED MIN MAX N ST WHY ENV
while IFS=, read -r s k m n med mn mx; do
	[ "$s" = server ] && continue
	MED[$s,$k,$m]=$med MIN[$s,$k,$m]=$mn MAX[$s,$k,$m]=$mx N[$s,$k,$m]=$n
done <"$DIR/dns-stats.csv"
SERVERS=()
if [ -f "$DIR/dns-status.csv" ]; then
	while IFS=, read -r s k st why; do
		[ "$s" = server ] && continue
		[ "$k" = setup ] && SERVERS+=("$s")
		ST[$s,$k]=$st
		why=${why#\"}
		WHY[$s,$k]=${why%\"}
	done <"$DIR/dns-status.csv"
fi
if [ -f "$DIR/dns-env.txt" ]; then
	while IFS= read -r line; do
		ENV[${line%%=*}]=${line#*=}
	done <"$DIR/dns-env.txt"
fi
env_() { echo "${ENV[$1]:-?}"; }
RATE=$(env_ rate)

declare -A TITLE=([sluice]="sluice-dnsd" [docker]="Docker embedded DNS" [aardvark]="aardvark-dns")
declare -A PTITLE=([sluice]="sluice-dnsd" [docker]="dockerd" [aardvark]="aardvark-dns")
declare -A KTITLE=([local]="local name (A)" [nx]="missing name (NXDOMAIN)" [ptr]="PTR of a container"
	[fwd]="forwarded name (A)")
KINDS=(local nx ptr fwd)

# ok SERVER ITEM: the server ran and the item passed its checks every round.
ok() { [ "${ST[$1,setup]:-}" = ok ] && [ "${ST[$1,$2]:-}" = ok ]; }

# cell SERVER KIND METRIC DECIMALS [SCALE]: "median (min–max)", or "–".
cell() {
	local s=$1 k=$2 m=$3 d=$4 sc=${5:-1}
	[ -n "${MED[$s,$k,$m]:-}" ] || { echo "–"; return; }
	awk -v a="${MED[$s,$k,$m]}" -v b="${MIN[$s,$k,$m]}" -v c="${MAX[$s,$k,$m]}" -v d="$d" \
		-v n="${N[$s,$k,$m]}" -v sc="$sc" 'BEGIN {
		f = "%." d "f"
		if (n > 1) printf f " (" f "–" f ")\n", a / sc, b / sc, c / sc
		else printf f "\n", a / sc }'
}

# ratio NUM DEN: "×N.NN" or "–".
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a != "" && b + 0 > 0) printf "×%.2f\n", a / b; else print "–" }'
}

# status_text SERVER ITEM
status_text() {
	local s=$1 k=$2
	if [ "${ST[$s,setup]:-}" = skipped ]; then
		echo "skipped: ${WHY[$s,setup]}"
	elif [ "${ST[$s,setup]:-}" != ok ]; then
		echo "**failed**: ${WHY[$s,setup]}"
	else
		echo "**failed**: ${WHY[$s,$k]}"
	fi
}

# md_escape: table cells must not break on "|".
md_escape() { sed 's/|/\\|/g'; }

{
	echo "# DNS: sluice-dnsd, Docker's embedded DNS and aardvark-dns"
	echo
	echo "$(env_ mode) run of $(env_ date) on $(env_ host): kernel $(env_ kernel), $(env_ cpu) ×$(env_ cores)" \
		"cores, commit $(env_ commit). $(env_ rounds) measured round(s) (plus $(env_ warmup_rounds) warm-up)," \
		"the servers interleaved within each round; each figure is the median over the rounds with the" \
		"min–max in parentheses. Same client (dnsperf, one process, in a container's namespace of each" \
		"server) and the same query files for every server. Saturating runs: $(env_ d_sat) s, $(env_ outstanding)" \
		"queries in flight. Latency: $(env_ d_lat) s at $RATE queries/s, every answer timed (dnsperf -v)." \
		"CPU: the server's own cgroup (cpu.stat usage_usec), divided by the answers. Wall time $(env_ wall_s) s;" \
		"load average $(env_ loadavg_start) at the start, $(env_ loadavg_end) at the end (other work on the" \
		"machine moves every figure, the latency tails most)."
	echo
	echo "Versions: $(env_ versions). Binaries: $(env_ dnsd), $(env_ sluice), stub $(env_ stub), $(env_ aardvark)."
	echo
	echo "| server | answers on | CPU and memory of | status |"
	echo "| --- | --- | --- | --- |"
	for s in "${SERVERS[@]}"; do
		case $s in
		sluice) on="127.0.0.11:53 in each container's namespace (one process, sockets in every namespace)"
			proc="sluice-dnsd" ;;
		docker) on="127.0.0.11:53 in each container's namespace (iptables DNAT there to dockerd's socket)"
			proc="dockerd: the resolver is part of the daemon, so RSS/PSS are the whole daemon's (containerd not counted)" ;;
		aardvark) on="the network's gateway 10.214.0.1:53 on the bridge (a veth hop from the container)"
			proc="aardvark-dns" ;;
		*) on="?" proc="?" ;;
		esac
		if [ "${ST[$s,setup]:-}" = ok ]; then st=ok; else st=$(status_text "$s" setup); fi
		echo "| ${TITLE[$s]:-$s} | $on | $proc | $(md_escape <<<"$st") |"
	done
	echo
	echo "## Per server and query"
	echo
	echo "| server | query | queries/s (saturating) | p50 µs @ $RATE/s | p99 µs @ $RATE/s |" \
		"CPU µs per answer (saturating) | CPU µs per answer @ $RATE/s | upstream queries per query |" \
		"expected RCODE, % of answers (saturating) |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for s in "${SERVERS[@]}"; do
		for k in "${KINDS[@]}"; do
			if ! ok "$s" "$k"; then
				echo "| ${TITLE[$s]:-$s} | ${KTITLE[$k]} | $(status_text "$s" "$k" | md_escape) | | | | | | |"
				continue
			fi
			echo "| ${TITLE[$s]:-$s} | ${KTITLE[$k]} | $(cell "$s" "$k" qps 0) | $(cell "$s" "$k" p50_us 0) |" \
				"$(cell "$s" "$k" p99_us 0) | $(cell "$s" "$k" cpu_us_per_answer 2) |" \
				"$(cell "$s" "$k" cpu_us_per_answer_rate 2) | $(cell "$s" "$k" upstream_per_query 2) |" \
				"$(cell "$s" "$k" sat_rcode_ok 1) |"
		done
	done
	echo
	echo "CPU µs per answer is also CPU ms per 1000 answers. Upstream queries per query: what the stub"
	echo "resolver received per query sent (0: answered by the server itself). Expected RCODE: NXDOMAIN for the"
	echo "missing name, NOERROR otherwise."
	echo
	echo "## Per server: memory, and queries lost while a container connects and disconnects"
	echo
	echo "| server | RSS MiB | PSS MiB | lost under churn | answers not NOERROR under churn | connect/disconnect operations per run |" \
		"lost at $RATE/s without churn (local name) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for s in "${SERVERS[@]}"; do
		[ "${ST[$s,setup]:-}" = ok ] || continue
		if ok "$s" churn; then
			lost="$(cell "$s" churn churn_lost 0) of $(awk -v n="${MED[$s,churn,churn_sent]:-0}" \
				'BEGIN { printf "%d", n }') ($(awk -v p="${MED[$s,churn,churn_lost_pct]:-0}" \
				'BEGIN { printf "%.2f", p }') %)"
			bad=$(cell "$s" churn churn_bad_rcode 0)
			ops=$(cell "$s" churn churn_ops 0)
		else
			lost=$(status_text "$s" churn | md_escape) bad="" ops=""
		fi
		if ok "$s" local; then base=$(cell "$s" local rate_lost 0); else base="–"; fi
		echo "| ${TITLE[$s]:-$s} | $(cell "$s" mem rss_kb 1 1024) | $(cell "$s" mem pss_kb 1 1024) | $lost | $bad | $ops | $base |"
	done
	echo
	echo "Churn: dnsperf asks for the local name at $RATE queries/s for $(env_ d_churn) s while a third" \
		"container is connected to and disconnected from the network every $(env_ churn_period_ms) ms (or as fast as" \
		"the engine goes): \`sluice network connect/disconnect\` (a veth, the endpoint, sluice-dnsd's socket in its" \
		"namespace), \`docker network connect/disconnect\` (dockerd does the same with a bridge), and for aardvark-dns" \
		"its network file rewritten with or without the container and SIGHUP, as netavark does (the container's veth" \
		"stays). Lost = sent − answered within $(env_ qtimeout) s."
	echo
	echo "## Ratios within this run: sluice-dnsd / peer (medians)"
	echo
	echo "Queries/s above ×1 and latency or CPU below ×1 favour sluice-dnsd."
	echo
	echo "| query | metric | sluice / Docker | sluice / aardvark |"
	echo "| --- | --- | ---: | ---: |"
	for k in "${KINDS[@]}"; do
		for m in qps p50_us p99_us cpu_us_per_answer cpu_us_per_answer_rate; do
			case $m in
			qps) mt="queries/s (saturating)" ;;
			p50_us) mt="p50 latency" ;;
			p99_us) mt="p99 latency" ;;
			cpu_us_per_answer) mt="CPU per answer (saturating)" ;;
			cpu_us_per_answer_rate) mt="CPU per answer @ $RATE/s" ;;
			esac
			rd="–" ra="–"
			if ok sluice "$k"; then
				ok docker "$k" && rd=$(ratio "${MED[sluice,$k,$m]:-}" "${MED[docker,$k,$m]:-}")
				ok aardvark "$k" && ra=$(ratio "${MED[sluice,$k,$m]:-}" "${MED[aardvark,$k,$m]:-}")
			fi
			echo "| ${KTITLE[$k]} | $mt | $rd | $ra |"
		done
	done
	for m in rss_kb pss_kb; do
		rd="–" ra="–"
		if [ "${ST[sluice,setup]:-}" = ok ]; then
			[ "${ST[docker,setup]:-}" = ok ] && rd=$(ratio "${MED[sluice,mem,$m]:-}" "${MED[docker,mem,$m]:-}")
			[ "${ST[aardvark,setup]:-}" = ok ] && ra=$(ratio "${MED[sluice,mem,$m]:-}" "${MED[aardvark,mem,$m]:-}")
		fi
		mt=RSS
		[ "$m" = pss_kb ] && mt=PSS
		echo "| (process) | $mt | $rd | $ra |"
	done
	echo
	echo "## What differs between the servers"
	echo
	echo "- TTLs: sluice-dnsd 5 s, Docker 600 s, aardvark-dns 86400 s. dnsperf does not cache, so they do not"
	echo "  change these figures; a caching client would ask the peers far less often, and keep stale answers."
	echo "- A missing single-label name: sluice-dnsd and aardvark-dns answer NXDOMAIN themselves; Docker 20.10"
	echo "  forwards it upstream (the stub answers NXDOMAIN), as its upstream column shows."
	echo "- PTR: aardvark-dns 1.4.0 answers a container's PTR (with the root as the owner name) and then also"
	echo "  forwards the same query upstream; the client gets two replies (dnsperf times the first). At"
	echo "  saturation the late second reply (the stub's NXDOMAIN) can reach a new query that reuses the ID: the"
	echo "  share of PTR answers that were not NOERROR is in the last column (the check allows 5 % there, none at"
	echo "  the fixed rate)."
	echo "- Docker's queries go through an iptables DNAT rule in the container's namespace (127.0.0.11:53 to"
	echo "  dockerd's port): that work runs on the client's CPU, not dockerd's. aardvark-dns is reached over the"
	echo "  bridge. sluice-dnsd's socket sits in the container's namespace: plain loopback."
	echo "- Forwarding: each server sends to its own copy of the stub resolver (tests/dnsd/dns_stub) in a"
	echo "  namespace of the run: sluice-dnsd with --upstream, the Docker containers with --dns, aardvark-dns"
	echo "  through the network's DNS server field and a resolv.conf bound over /etc/resolv.conf in its own mount"
	echo "  namespace. The stub answers $(grep -h 'A$' "$DIR/dns-queries/fwd.txt" 2>/dev/null | cut -d' ' -f1) with"
	echo "  203.0.113.4 (documentation range; data only, nothing is sent there)."
	echo "- sluice-dnsd runs with --forward-rate 0: its default (200 forwarded queries/s per container, then"
	echo "  REFUSED) would refuse most of the forwarded runs. Docker and aardvark-dns have no such limit."
	echo "- Client, server and stub share the machine's $(env_ cores) cores; the saturating figures are bounded by"
	echo "  that (dnsperf itself needs one core)."
	echo
	echo "Every server was checked in every round before its runs (dig from its client container: the peer's"
	echo "address, NXDOMAIN, the PTR name, the stub's answer for the forwarded name) and around every run (the"
	echo "expected RCODE in every answer at the fixed rate and in 95 % at saturation, the server's CPU time rose,"
	echo "no upstream query for the local name, an upstream query per forwarded answer, sluice-dnsd's own"
	echo "counters); a connect and a disconnect had to be visible to the client before the rounds, and every"
	echo "connect/disconnect of the churn runs had to succeed. Details: dns-checks.log, dns-runs.log."
	fails=
	for s in "${SERVERS[@]}"; do
		for k in setup "${KINDS[@]}" churn; do
			[ "${ST[$s,$k]:-ok}" = ok ] && continue
			[ "$k" != setup ] && [ "${ST[$s,setup]:-}" != ok ] && continue
			fails+="- ${TITLE[$s]:-$s}, $k: ${ST[$s,$k]}: ${WHY[$s,$k]}"$'\n'
		done
	done
	if [ -n "$fails" ]; then
		echo
		echo "## Not measured"
		echo
		printf '%s' "$fails"
	fi
	echo
	echo "## Commands"
	echo
	echo "Setup, the runs of round 1, and one connect of each server's churn (every command of the run:"
	echo "dns-commands.log)."
	echo
	echo '```'
	awk '/^\[(setup|server|sluice)\]/ && !seen_measure { print; next }
		/^\[measure r1\]/ { seen_measure = 1; print; next }
		/^\[measure r[^1]/ { seen_measure = 1 }' "$DIR/dns-commands.log" 2>/dev/null |
		grep -v -E 'network (connect|disconnect) .*churn' | head -n 150
	grep -m 1 -E '/sluice .*network connect .*churn' "$DIR/dns-commands.log" 2>/dev/null
	grep -m 1 -E 'docker\.sock network connect .*churn' "$DIR/dns-commands.log" 2>/dev/null
	grep -m 1 -e '^\[churn\]' "$DIR/dns-commands.log" 2>/dev/null
	echo '```'
} >"$DIR/dns.md"

# ---- dns.png -------------------------------------------------------------------------
if [ "$(env_ mode)" = smoke ]; then
	exit 0
fi
if ! command -v gnuplot >/dev/null; then
	echo "dns report: gnuplot is missing (apt-get install gnuplot-nox): no plot" >&2
	exit 0
fi
: >"$DIR/dns-cpu.dat"
: >"$DIR/dns-qps.dat"
for s in "${SERVERS[@]}"; do
	if ok "$s" local && [ -n "${MED[$s,local,cpu_us_per_answer]:-}" ]; then
		echo "\"${PTITLE[$s]}\" ${MED[$s,local,cpu_us_per_answer]} ${MIN[$s,local,cpu_us_per_answer]}" \
			"${MAX[$s,local,cpu_us_per_answer]}" >>"$DIR/dns-cpu.dat"
	fi
	line="\"${PTITLE[$s]}\""
	any=
	for k in "${KINDS[@]}"; do
		if ok "$s" "$k" && [ -n "${MED[$s,$k,qps]:-}" ]; then
			line+=" ${MED[$s,$k,qps]} ${MIN[$s,$k,qps]} ${MAX[$s,$k,qps]}"
			any=1
		else
			line+=" 0 0 0"
		fi
	done
	[ -n "$any" ] && echo "$line" >>"$DIR/dns-qps.dat"
done
if [ ! -s "$DIR/dns-cpu.dat" ] && [ ! -s "$DIR/dns-qps.dat" ]; then
	echo "dns report: no measured server: no plot" >&2
	exit 0
fi
gnuplot <<EOF 2>"$DIR/gnuplot-dns.log"
set terminal pngcairo size 1200,520 font 'sans,10'
set output '$DIR/dns.png'
set multiplot layout 1,2 title "DNS servers, $(env_ mode) run $(env_ date), kernel $(env_ kernel), $(env_ cores) cores: median of rounds (bars: min-max)"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set xtics nomirror
set key top right
set title "Server CPU time per local answer (saturating)"
set ylabel 'CPU µs per answer'
plot '$DIR/dns-cpu.dat' using 2:3:4:xtic(1) title 'local name (A)'
set title "Saturating queries per second"
set ylabel 'queries/s'
set key top right
plot '$DIR/dns-qps.dat' using 2:3:4:xtic(1) title 'local', '' using 5:6:7 title 'NXDOMAIN', \
     '' using 8:9:10 title 'PTR', '' using 11:12:13 title 'forwarded'
unset multiplot
EOF
rc=$?
[ -s "$DIR/gnuplot-dns.log" ] || rm -f "$DIR/gnuplot-dns.log"
rm -f "$DIR/dns-cpu.dat" "$DIR/dns-qps.dat"
exit $rc
