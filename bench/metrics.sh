# SPDX-License-Identifier: BSD-2-Clause
# bench/metrics.sh - the measurements. Each runs one client tool in the
# client namespace against the current path's target (T_IP and ports, see
# paths.sh) and emits rows with `emit METRIC VALUE UNIT OK`: every path gets
# the same tools, message sizes and durations.
#
#   tcp_rr_1_{avg,p50,p99}   us    connrate rr, 1-byte request/response, one connection
#   tcp_rr_1k_{avg,p50,p99}  us    sockperf ping-pong --tcp -m 1024 --full-rtt
#   udp_rr_{avg,p50,p99}     us    sockperf ping-pong (UDP) -m 14 --full-rtt (its minimum size)
#   tput_1, tput_4           Gbit/s iperf3 -P 1 / -P 4, client -> server
#   cpu_per_gbit_1/_4        busy-core s per Gbit moved (/proc/stat around iperf3)
#   conn_rate                conn/s connrate client: connect, 64 B request, reply, close
#   conn_errors              failed connections in that run
#   cpu_per_kconn            busy-core s per 1000 connections (/proc/stat around connrate)
#
# D_RR, D_TPUT, D_CONN (seconds) come from the driver's mode.

CONN_SIZE=64
CONN_WORKERS=4

# emit METRIC VALUE UNIT OK: one CSV row for the current path and round.
emit() {
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$(date -u +%FT%TZ)" "$ROUND" "$WARMUP" "$CUR_PATH" \
		"$1" "$2" "$3" "$4" >>"$ROWBUF"
}

# measure TAG CMD...: run a client command in the client namespace, logged,
# with its output in MOUT and its exit status returned. Bounded by timeout.
measure() {
	local tag=$1 bound
	shift
	bound=$(( ${D_MAX:-10} + 20 ))
	local t0=$EPOCHREALTIME rc
	cmdlog "round $ROUND $CUR_PATH $tag" nsenter --net="/run/netns/$CLIENT_NS" -- "${CLIENT_PIN[@]}" "$@"
	MOUT=$(timeout --kill-after=5 "$bound" nsenter --net="/run/netns/$CLIENT_NS" -- "${CLIENT_PIN[@]}" "$@" 2>&1)
	rc=$?
	printf '    # exit %s after %s s\n' "$rc" \
		"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')" >>"$CMDLOG"
	return "$rc"
}

# kv KEY TEXT: the value of KEY=VALUE in TEXT.
kv() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -n 1; }

fail_note() { # METRIC: keep the tool's last words for the log
	printf 'round %s %s %s failed: %s\n' "$ROUND" "$CUR_PATH" "$1" \
		"$(tail -n 3 <<<"$MOUT" | tr '\n' ' ' | cut -c1-300)" >>"$FAILLOG"
}

m_tcp_rr_1() {
	local a p50 p99
	measure tcp_rr_1 "$CONNRATE" rr -a "$T_IP" -p "$T_CE" -s 1 -t "$D_RR" -W 0.2
	a=$(kv rtt_avg_us "$MOUT") p50=$(kv rtt_p50_us "$MOUT") p99=$(kv rtt_p99_us "$MOUT")
	if [ -n "$a" ] && [ -n "$p50" ] && [ -n "$p99" ]; then
		emit tcp_rr_1_avg "$a" us 1
		emit tcp_rr_1_p50 "$p50" us 1
		emit tcp_rr_1_p99 "$p99" us 1
	else
		fail_note tcp_rr_1
		emit tcp_rr_1_avg "" us 0
		emit tcp_rr_1_p50 "" us 0
		emit tcp_rr_1_p99 "" us 0
	fi
}

# sockperf_rr NAME ARGS...: sockperf ping-pong; avg and percentiles of the
# full round trip (--full-rtt), warm-up messages excluded by sockperf itself.
sockperf_rr() {
	local name=$1 a p50 p99 clean
	shift
	measure "$name" sockperf ping-pong -i "$T_IP" -p "$T_SP" -t "$D_RR" --full-rtt "$@"
	clean=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$MOUT")
	a=$(sed -n 's/.*avg-rtt=\([0-9.]*\).*/\1/p' <<<"$clean" | head -n 1)
	p50=$(sed -n 's/.*percentile 50\.000 = *\([0-9.]*\).*/\1/p' <<<"$clean" | head -n 1)
	p99=$(sed -n 's/.*percentile 99\.000 = *\([0-9.]*\).*/\1/p' <<<"$clean" | head -n 1)
	if [ -n "$a" ] && [ -n "$p50" ] && [ -n "$p99" ] && ! grep -qi 'error' <<<"$clean"; then
		emit "${name}_avg" "$a" us 1
		emit "${name}_p50" "$p50" us 1
		emit "${name}_p99" "$p99" us 1
	else
		fail_note "$name"
		emit "${name}_avg" "" us 0
		emit "${name}_p50" "" us 0
		emit "${name}_p99" "" us 0
	fi
}

m_tcp_rr_1k() { sockperf_rr tcp_rr_1k --tcp -m 1024; }
m_udp_rr() { sockperf_rr udp_rr -m 14; }

# m_tput STREAMS
m_tput() {
	local n=$1 c0 c1 bps bytes busy
	c0=$(cpu_snap)
	measure "tput_$n" iperf3 -c "$T_IP" -p "$T_IP3" -t "$D_TPUT" -P "$n" -J
	c1=$(cpu_snap)
	bps=$(jq -r 'if .error then empty else .end.sum_received.bits_per_second // empty end' <<<"$MOUT" 2>/dev/null)
	bytes=$(jq -r 'if .error then empty else .end.sum_received.bytes // empty end' <<<"$MOUT" 2>/dev/null)
	if [ -n "$bps" ] && [ -n "$bytes" ] && [ "${bytes%.*}" -gt 0 ]; then
		busy=$(cpu_busy_s "$c0" "$c1")
		emit "tput_$n" "$(awk -v b="$bps" 'BEGIN { printf "%.3f", b / 1e9 }')" Gbit/s 1
		emit "cpu_per_gbit_$n" "$(awk -v s="$busy" -v B="$bytes" 'BEGIN { printf "%.4f", s / (B * 8 / 1e9) }')" core-s/Gbit 1
	else
		fail_note "tput_$n"
		emit "tput_$n" "" Gbit/s 0
		emit "cpu_per_gbit_$n" "" core-s/Gbit 0
	fi
}

m_conn() {
	local c0 c1 rate conns errs busy
	c0=$(cpu_snap)
	measure conn_rate "$CONNRATE" client -a "$T_IP" -p "$T_CC" -t "$D_CONN" -c "$CONN_WORKERS" -s "$CONN_SIZE"
	c1=$(cpu_snap)
	rate=$(kv conn_per_s "$MOUT") conns=$(kv conns "$MOUT") errs=$(kv errors "$MOUT")
	if [ -n "$rate" ] && [ "${conns:-0}" -gt 0 ]; then
		busy=$(cpu_busy_s "$c0" "$c1")
		emit conn_rate "$rate" conn/s 1
		emit conn_errors "$errs" count 1
		emit cpu_per_kconn "$(awk -v s="$busy" -v n="$conns" 'BEGIN { printf "%.4f", s / (n / 1000) }')" core-s/kconn 1
	else
		fail_note conn_rate
		emit conn_rate "" conn/s 0
		emit conn_errors "${errs:-}" count 0
		emit cpu_per_kconn "" core-s/kconn 0
	fi
}

# The metrics of one path in one round, in this order.
METRICS=(m_tcp_rr_1 m_tcp_rr_1k m_udp_rr "m_tput 1" "m_tput 4" m_conn)
# The warm-up round (discarded): ARP, routes, conntrack, BPF maps, servers and
# page cache warmed by one short run of each kind of traffic. sockperf is
# left out: it warms up by itself and each run costs 2 s of fixed overhead.
WARMUP_METRICS=(m_tcp_rr_1 "m_tput 1" m_conn)
