#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/scale/report.sh DIR - scale.md and scale.png from a bench/scale.sh
# run's scale.csv, scale-env.txt and scale-commands.log.
#
# scale.md: one table row per N and system, medians over the rounds whose
# check passed (with min-max when there was more than one round), skipped and
# failed measurements as rows that say so; ratios between the systems at each
# N both measured, computed within the run; how it was measured; the exact
# commands; the machine. scale.png (gnuplot; not when SCALE_PLOTS=0): publish
# wall time against N, log-log, one line per system.
set -u
export LC_ALL=C
DIR=${1:?usage: bench/scale/report.sh DIR}
CSV=$DIR/scale.csv
[ -r "$CSV" ] || { echo "report: no $CSV" >&2; exit 1; }

N_ALL=(1 100 1000 10000)
SYSTEMS=(sluice sluice-proxy docker-proxy)
declare -A LABEL=([sluice]="sluice port publish" [sluice-proxy]="Docker + sluice-proxy"
	[docker-proxy]="Docker (docker-proxy)")
declare -A ENV
while IFS='=' read -r k v; do
	[ -n "$k" ] && ENV[$k]=$v
done <"$DIR/scale-env.txt"
envv() { echo "${ENV[$1]:-?}"; }
P0=${ENV[first_port]:-20000}

# Per system, N and metric: median, min, max and rounds of the rows that
# passed their check; per system and N: status and reason. The note is the
# last field and the only one that may hold commas.
declare -A MED MIN MAX CNT STATUS WHY
while IFS='|' read -r kind sys n metric a b c d; do
	if [ "$kind" = S ]; then
		STATUS[$sys,$n]=$metric
		WHY[$sys,$n]=$a
	else
		MED[$sys,$n,$metric]=$a MIN[$sys,$n,$metric]=$b MAX[$sys,$n,$metric]=$c CNT[$sys,$n,$metric]=$d
	fi
done < <(awk '
	NR == 1 { next }
	{
		line = $0
		for (i = 1; i <= 8; i++) {
			p = index(line, ",")
			f[i] = substr(line, 1, p - 1)
			line = substr(line, p + 1)
		}
		note = line
		gsub(/^"|"$/, "", note)
		gsub(/\|/, "/", note)
		sys = f[2]; n = f[3]; r = f[4]; m = f[5]; v = f[6]; ok = f[8]
		if (m == "status") { print "S|" sys "|" n "|" v "|" note; next }
		if (r == 0 || ok != 1 || v !~ /^-?[0-9.]+$/) next
		k = sys SUBSEP n SUBSEP m
		c = ++cnt[k]
		val[k, c] = v + 0
	}
	END {
		for (k in cnt) {
			c = cnt[k]
			# insertion sort: a few rounds at most
			for (i = 1; i <= c; i++) s[i] = val[k, i]
			for (i = 2; i <= c; i++) {
				x = s[i]
				for (j = i - 1; j >= 1 && s[j] > x; j--) s[j + 1] = s[j]
				s[j + 1] = x
			}
			med = (c % 2) ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
			split(k, kk, SUBSEP)
			printf "V|%s|%s|%s|%s|%s|%s|%d\n", kk[1], kk[2], kk[3], med, s[1], s[c], c
		}
	}' "$CSV")

# fmt_s VALUE: seconds, 3 significant decimals below 10 s.
fmt_s() { awk -v v="$1" 'BEGIN { if (v < 10) printf "%.3f", v; else if (v < 100) printf "%.1f", v; else printf "%.0f", v }'; }
# fmt_kb KB: kB or MiB/GiB.
fmt_kb() {
	awk -v v="$1" 'BEGIN { if (v < 1024) printf "%d kB", v; else if (v < 1048576) printf "%.1f MiB", v / 1024;
		else printf "%.2f GiB", v / 1048576 }'
}
fmt_b() { awk -v v="$1" 'BEGIN { if (v < 1024) printf "%d B", v; else if (v < 1048576) printf "%.1f KiB", v / 1024;
	else printf "%.1f MiB", v / 1048576 }'; }
# cell SYS N METRIC FORMAT: the median (and min-max over several rounds).
cell() {
	local k="$1,$2,$3" f=$4
	[ -n "${MED[$k]:-}" ] || { echo "—"; return; }
	if [ "${CNT[$k]}" -gt 1 ] && [ "${MIN[$k]}" != "${MAX[$k]}" ]; then
		echo "$($f "${MED[$k]}") ($($f "${MIN[$k]}")–$($f "${MAX[$k]}"))"
	else
		$f "${MED[$k]}"
	fi
}
int() { printf '%.0f' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) { print "n/a"; exit } r = a / b; if (r >= 100) printf "×%.0f", r; else if (r >= 1) printf "×%.1f", r; else printf "×%.2f", r }'; }
has() { [ -n "${MED[$1,$2,$3]:-}" ]; }

{
	echo "# Control-plane scale: publishing N TCP ports"
	echo
	echo "$(envv mode) run of $(envv date): kernel $(envv kernel), $(envv cpu), $(envv cores) cores," \
		"$(awk -v k="$(envv mem_total_kb)" 'BEGIN { printf "%.1f GiB", k / 1048576 }') RAM, commit $(envv commit)," \
		"docker.io $(envv docker.io | cut -d' ' -f1)."
	echo
	echo "A range of N host ports 20000..20000+N-1 published to the same container ports (TCP), by"
	echo "\`sluice port publish\` (an instance with one container endpoint), by a real dockerd with"
	echo "\`--userland-proxy-path=sluice-proxy\` and sluice up in its namespace, and by a real dockerd with"
	echo "its default \`docker-proxy\` and iptables (\`docker run -d -p A-B:A-B\`). Medians over the rounds;"
	echo "(min–max) when there were several."
	echo
	echo "| N | system | publish wall time | removal wall time | processes left (proxies / all new) | proxies' total PSS | proxies' total RSS | iptables rules | sluice kernel + files | load | check |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---|"
	for n in "${N_ALL[@]}"; do
		for sys in "${SYSTEMS[@]}"; do
			st=${STATUS[$sys,$n]:-}
			[ -n "$st" ] || continue
			if [ "$st" = skipped ]; then
				echo "| $n | ${LABEL[$sys]} | ${WHY[$sys,$n]} | — | — | — | — | — | — | — | skipped |"
				continue
			fi
			if ! has "$sys" "$n" publish_s; then
				echo "| $n | ${LABEL[$sys]} | failed: ${WHY[$sys,$n]} | — | — | — | — | — | — | — | **failed** |"
				continue
			fi
			pub=$(cell "$sys" "$n" publish_s fmt_s)
			rm_=$(cell "$sys" "$n" unpublish_s fmt_s)
			procs="$(cell "$sys" "$n" proxies int) / $(cell "$sys" "$n" procs_new int)"
			has "$sys" "$n" tasks_new && procs+=" ($(cell "$sys" "$n" tasks_new int) threads)"
			pss=$(cell "$sys" "$n" pss_kb fmt_kb)
			rss=$(cell "$sys" "$n" rss_kb fmt_kb)
			ipt=$(cell "$sys" "$n" ipt_rules int)
			mem="—"
			if has "$sys" "$n" bpf_memlock_b; then
				mem="BPF maps $(fmt_b "${MED[$sys,$n,bpf_memlock_b]}")"
				has "$sys" "$n" bpf_memlock_delta_b && mem+=" (+$(fmt_b "${MED[$sys,$n,bpf_memlock_delta_b]}") by the publish)"
				mem+=", state $(fmt_b "${MED[$sys,$n,state_b]:-0}"), run dir $(fmt_b "${MED[$sys,$n,rundir_b]:-0}")"
			fi
			chk=ok
			[ "$st" = failed ] && chk="**failed**: ${WHY[$sys,$n]}"
			[ "$st" = ok ] && [ "${CNT[$sys,$n,publish_s]}" -gt 1 ] && chk="ok (${CNT[$sys,$n,publish_s]} rounds)"
			load=$(cell "$sys" "$n" loadavg1 echo)
			echo "| $n | ${LABEL[$sys]} | $pub s | $rm_ s | $procs | $pss | $rss | $ipt | $mem | $load | $chk |"
		done
	done
	echo
	echo "## Ratios (within this run)"
	echo
	any=
	for n in "${N_ALL[@]}"; do
		line=
		if has docker-proxy "$n" pss_kb && has sluice-proxy "$n" pss_kb; then
			line+="proxies' total PSS docker-proxy / sluice-proxy $(ratio "${MED[docker-proxy,$n,pss_kb]}" "${MED[sluice-proxy,$n,pss_kb]}")"
			line+=" ($(fmt_kb "${MED[docker-proxy,$n,pss_kb]}") in $(int "${MED[docker-proxy,$n,proxies]}") processes vs"
			line+=" $(fmt_kb "${MED[sluice-proxy,$n,pss_kb]}") in $(int "${MED[sluice-proxy,$n,proxies]}"))"
			if has sluice-proxy "$n" bpf_memlock_b; then
				line+="; with sluice's BPF map memory added to sluice-proxy's side $(ratio "${MED[docker-proxy,$n,pss_kb]}" \
					"$(awk -v a="${MED[sluice-proxy,$n,pss_kb]}" -v b="${MED[sluice-proxy,$n,bpf_memlock_b]}" 'BEGIN { print a + b / 1024 }')")"
			fi
			line+="; \`docker run\` wall time docker-proxy / sluice-proxy $(ratio "${MED[docker-proxy,$n,publish_s]}" "${MED[sluice-proxy,$n,publish_s]}")"
			line+="; \`docker rm -f\` $(ratio "${MED[docker-proxy,$n,unpublish_s]}" "${MED[sluice-proxy,$n,unpublish_s]}")"
		fi
		if has docker-proxy "$n" publish_s && has sluice "$n" publish_s; then
			line+="${line:+; }publish wall time docker-proxy / sluice port publish $(ratio "${MED[docker-proxy,$n,publish_s]}" "${MED[sluice,$n,publish_s]}")"
		fi
		if has sluice-proxy "$n" publish_s && has sluice "$n" publish_s; then
			line+="${line:+; }sluice-proxy / sluice port publish $(ratio "${MED[sluice-proxy,$n,publish_s]}" "${MED[sluice,$n,publish_s]}")"
		fi
		if [ -n "$line" ]; then
			any=1
			if [ "$n" = 1000 ]; then
				echo "- **N = $n**: $line."
			else
				echo "- N = $n: $line."
			fi
		fi
	done
	[ -n "$any" ] || echo "No N was measured by two systems in this run."
	for n in "${N_ALL[@]}"; do
		if has docker-proxy "$n" pss_kb && has sluice-proxy "$n" pss_kb && [ "$n" -ge 100 ]; then
			echo "- Per proxy process at N = $n: docker-proxy $(awk -v p="${MED[docker-proxy,$n,pss_kb]}" -v c="${MED[docker-proxy,$n,proxies]}" 'BEGIN { printf "%d", p / c }') kB PSS," \
				"sluice-proxy $(awk -v p="${MED[sluice-proxy,$n,pss_kb]}" -v c="${MED[sluice-proxy,$n,proxies]}" 'BEGIN { printf "%d", p / c }') kB."
		fi
	done
	echo
	echo "## How it was measured"
	echo
	echo "- load: the 1-minute load average when the measurement was taken (median): the machine is shared,"
	echo "  and Docker's times grow with it."
	echo "- Publish wall time: \`sluice port publish\` or \`docker run -d -p\` from start until the command returns"
	echo "  (including the CLI's own start); removal: \`sluice port unpublish\` or \`docker rm -f\`."
	echo "- Processes left: proxies = docker-proxy or sluice-proxy processes that are children of this run's"
	echo "  dockerd and in its network namespace (compared by nsfs inode); all new = processes in that namespace"
	echo "  after the publish minus before (Docker: the proxies plus the container's shim); threads: tasks"
	echo "  added to dockerd's cgroup (pids.current), what counts against kernel.pid_max."
	echo "- PSS and RSS: sum of Pss and Rss of /proc/PID/smaps_rollup over the proxies, read right after the"
	echo "  publish returned. iptables rules: \`iptables-save | grep -c '^-A'\` inside the namespace."
	echo "- sluice: bytes_memlock of every map pinned by the instance (\`bpftool -j map show pinned\`): hash"
	echo "  maps are preallocated, so this is a fixed cost shared by every port (and by the sluice-proxy rows,"
	echo "  same instance); the state file (/var/lib/sluice/INSTANCE/state) and the run directory"
	echo "  (/run/sluice/INSTANCE: sluice-proxy's registry) after the publish. No sluice process stays running."
	echo "- Check (a measurement counts only when it passed): the mapping count (\`sluice -j port ls\`),"
	echo "  TCP through the first and the last port from a client namespace over the uplink, and through the"
	echo "  last port from a local process on 127.0.0.1 (sluice: in the cgroup of the socket hooks;"
	echo "  stock Docker: served by docker-proxy); after removal no mapping and no proxy is left."
	echo "- dockerd runs in its own namespace with private roots, \`--iptables=true\`, \`--storage-driver vfs\`,"
	echo "  and in a cgroup limited to $(envv dockerd_pids_max) tasks (kernel.pid_max $(envv pid_max)) so that"
	echo "  a docker-proxy per port (7 threads each) cannot exhaust the machine's PIDs."
	echo
	echo "## Commands"
	echo
	echo '```'
	grep -E '^\[setup\] (ip -n [^ ]+ link add|mkdir)|^\[sluice\] .* (up|network) ' "$DIR/scale-commands.log" 2>/dev/null | head -n 8
	grep -E '^\[server\] .*dockerd' "$DIR/scale-commands.log" 2>/dev/null
	for sys in "${SYSTEMS[@]}"; do
		# The commands of round 1 at the largest N this system measured.
		for ((i = ${#N_ALL[@]} - 1; i >= 0; i--)); do
			n=${N_ALL[$i]}
			has "$sys" "$n" publish_s || continue
			if [ "$sys" = sluice ]; then
				grep -E "^\[sluice\] .* port (un)?publish [^ ]+ $P0(-[0-9]+)?:" "$DIR/scale-commands.log" |
					grep -E -- "$( ((n == 1)) && echo "$P0:$P0" || echo "$P0-$((P0 + n - 1)):")" | head -n 2
			else
				grep -F "[$sys N=$n r1 " "$DIR/scale-commands.log"
			fi
			break
		done
	done
	grep -E '^\[check\]' "$DIR/scale-commands.log" 2>/dev/null | head -n 3
	echo 'iptables-save | grep -c "^-A"          # in the namespace, via nsenter --net'
	echo 'cat /proc/PID/smaps_rollup             # for every proxy PID: sum of Pss, Rss'
	echo 'bpftool -j map show pinned /sys/fs/bpf/sluice/INSTANCE/MAP   # bytes_memlock'
	echo '```'
	echo
	echo "Every command of the run, in order: scale-commands.log; raw rows: scale.csv"
	echo "(\`time,system,n,round,metric,value,unit,ok,note\`)."
	echo
	echo "## Environment"
	echo
	echo '```'
	cat "$DIR/scale-env.txt"
	echo '```'
} >"$DIR/scale.md"

# ---- plot ------------------------------------------------------------------------
[ "${SCALE_PLOTS:-1}" = 0 ] && exit 0
if ! command -v gnuplot >/dev/null; then
	echo "report: gnuplot is missing (apt-get install gnuplot-nox): no scale.png" >&2
	exit 0
fi
plots=()
for sys in "${SYSTEMS[@]}"; do
	f=$DIR/scale-$sys.dat
	: >"$f"
	for n in "${N_ALL[@]}"; do
		has "$sys" "$n" publish_s || continue
		echo "$n ${MED[$sys,$n,publish_s]} ${MIN[$sys,$n,publish_s]} ${MAX[$sys,$n,publish_s]}" >>"$f"
	done
	if [ -s "$f" ]; then
		plots+=("'$f' using 1:2:3:4 with yerrorlines lw 2 pt 7 title '${LABEL[$sys]}'")
	else
		rm -f "$f"
	fi
done
[ ${#plots[@]} -gt 0 ] || exit 0
joined=$(printf '%s, ' "${plots[@]}")
gnuplot <<EOF 2>"$DIR/gnuplot.log" || { echo "report: gnuplot failed, see $DIR/gnuplot.log" >&2; exit 1; }
set terminal pngcairo size 900,600 font 'sans,10'
set output '$DIR/scale.png'
set title "Publishing N TCP ports: wall time until the command returns (median; bars: min-max)\n$(envv mode) run $(envv date), kernel $(envv kernel), $(envv cores) cores"
set logscale xy
set xlabel 'published ports N'
set ylabel 'wall time (s)'
set xrange [0.7:14000]
set grid xtics ytics mxtics mytics
set key top left
plot ${joined%, }
EOF
[ -s "$DIR/gnuplot.log" ] || rm -f "$DIR/gnuplot.log"
exit 0
