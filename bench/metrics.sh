# SPDX-License-Identifier: BSD-2-Clause
# bench/metrics.sh - the measurements. Each runs one client tool in the
# client namespace (local paths: the host namespace, in the clients' cgroup)
# against the current path's target (T_IP and ports, see paths.sh) and emits
# rows with `emit METRIC VALUE UNIT OK`: every path gets the same tools,
# message sizes and durations.
#
#   tcp_rr_1_{avg,p50,p99}   us    connrate rr, 1-byte request/response, one connection
#   tcp_rr_1k_{avg,p50,p99}  us    sockperf ping-pong --tcp -m 1024 --full-rtt
#   udp_rr_{avg,p50,p99}     us    sockperf ping-pong (UDP) -m 14 --full-rtt (its minimum size)
#   tput_1, tput_4           Gbit/s iperf3 -P 1 / -P 4, client -> server
#   cpu_per_gbit_1/_4        busy-core s per Gbit moved (/proc/stat around iperf3)
#   conn_rate                conn/s connrate client: connect, 64 B request, reply, close
#   conn_errors              failed connections in that run
#   cpu_per_kconn            busy-core s per 1000 connections (/proc/stat around connrate)
#   udp_pps                  pkt/s  udpflood (64 B datagrams, 64 flows) -> udpsink: datagrams
#                                   the server received per second (forwarded packet rate)
#   udp_sent_pps             pkt/s  what udpflood sent per second
#   udp_loss_pct             %      (sent - received) / sent
#   udp_wire_pps             pkt/s  xdpgen frames (64 B payload, 64 flows) put straight
#                                   into the path's receive ring, as a NIC would: the
#                                   datagrams that reached the server namespace's UDP
#                                   layer per second (forwarded packet rate)
#   udp_wire_offered_pps     pkt/s  what xdpgen sent per second
#   udp_wire_loss_pct        %      (sent - forwarded) / sent
#   udp_drop_pps             pkt/s  sluice paths: xdpgen frames to a port whose --allow
#                                   list refuses the client, dropped per second
#
# D_RR, D_TPUT, D_CONN, D_UDP (seconds) come from the driver's mode.

CONN_SIZE=64
CONN_WORKERS=4
UDP_SIZE=64   # payload bytes per datagram
UDP_FLOWS=64  # source ports (one socket each)

# Local paths (a client process on the host) run these metrics only.
LOCAL_METRICS=" m_tcp_rr_1 m_conn "
# metric_applies PATH METRIC
metric_applies() {
	[ -z "${PATH_LOCAL[$1]:-}" ] || [[ $LOCAL_METRICS == *" ${2%% *} "* ]]
}

# emit METRIC VALUE UNIT OK: one CSV row for the current path and round.
emit() {
	local ts
	TZ=UTC printf -v ts '%(%Y-%m-%dT%H:%M:%SZ)T' -1
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$ts" "$ROUND" "$WARMUP" "$CUR_PATH" \
		"$1" "$2" "$3" "$4" >>"$ROWBUF"
}

# measure TAG CMD...: run a client command in the client namespace, logged,
# with its output in MOUT and its exit status returned. Bounded by timeout.
measure() {
	local tag=$1 bound
	shift
	bound=$(( ${D_MAX:-10} + 20 ))
	local t0=$EPOCHREALTIME rc
	cmdlog "round $ROUND $CUR_PATH $tag" nsenter --net="/run/netns/$T_CNS" -- "${T_CWRAP[@]}" "${CLIENT_PIN[@]}" "$@"
	MOUT=$(timeout --kill-after=5 "$bound" nsenter --net="/run/netns/$T_CNS" -- "${T_CWRAP[@]}" \
		"${CLIENT_PIN[@]}" "$@" 2>&1)
	rc=$?
	printf '    # exit %s after %s s\n' "$rc" \
		"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')" >>"$CMDLOG"
	return "$rc"
}

# kv KEY TEXT: the value of the first KEY=VALUE (a number) in TEXT.
kv() { [[ $2 =~ (^|[^a-z_])$1=([0-9.]*) ]] && echo "${BASH_REMATCH[2]}"; }

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

# udp_sink_run TAG CLIENT...: udpsink in the path's server namespace for
# one measurement, CLIENT (in the client namespace, through `measure`)
# once it listens; the sink's line in SOUT. The sink exits 0.3 s after the
# last datagram, or D_UDP + 4-5 s after its start if nothing ever came (and
# `timeout` stops it a little later if it hangs): the wait is bounded.
udp_sink_run() {
	local tag=$1 out=$TMPD/udpsink.out pid sink d=${D_UDP%.*}
	shift
	: >"$out"
	sink=(timeout --kill-after=2 $((${d:-0} + 9)) "${SERVER_PIN[@]}" "$UDPSINK" -p "$P_US" -t $((${d:-0} + 5)) -i 0.3)
	cmdlog "round $ROUND $CUR_PATH $tag (server)" nsenter --net="/run/netns/$T_SNS" -- "${sink[@]}"
	nsenter --net="/run/netns/$T_SNS" -- "${sink[@]}" >"$out" 2>&1 </dev/null &
	pid=$!
	_pids+=("$pid")
	if wait_for 3 listening "$T_SNS" udp "$P_US"; then
		measure "$tag" "$@"
	else
		MOUT="udpsink did not start in $T_SNS"
	fi
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
	SOUT=$(cat "$out")
	printf '    # udpsink: %s\n' "$(tr '\n' ' ' <<<"$SOUT" | cut -c1-200)" >>"$CMDLOG"
}

# udp_rows RATE_ROW SENT_ROW LOSS_ROW RATE SENT_PPS SENT ARRIVED: the rows of
# a packet-rate measurement (ARRIVED of SENT made it, at RATE per second),
# or its failure when SENT or ARRIVED is not a positive count.
udp_rows() {
	local ok=0 loss=""
	if [[ $6 =~ ^[0-9]+$ && $7 =~ ^[0-9]+$ ]] && [ "$6" -gt 0 ] && [ "$7" -gt 0 ] && [ -n "$4" ]; then
		ok=1
		loss=$(awk -v s="$6" -v r="$7" 'BEGIN { printf "%.2f", 100 * (s - r) / s }')
	else
		fail_note "${1%_pps}"
	fi
	emit "$1" "$([ $ok = 1 ] && echo "$4")" pkt/s "$ok"
	emit "$2" "$5" pkt/s "$ok"
	emit "$3" "$loss" pct "$ok"
}

# m_udp_pps: the forwarded packet rate of small datagrams sent through
# sockets: udpflood sends UDP_SIZE-byte datagrams over UDP_FLOWS source
# ports for D_UDP seconds (may be a fraction of a second) as fast as one
# thread can, udpsink counts what arrives.
m_udp_pps() {
	udp_sink_run udp_pps "$UDPFLOOD" -a "$T_IP" -p "$T_UP" -t "$D_UDP" -f "$UDP_FLOWS" -s "$UDP_SIZE"
	MOUT+=$'\n'"udpsink: $SOUT"
	udp_rows udp_pps udp_sent_pps udp_loss_pct "$(kv pps "$SOUT")" "$(kv pps "$MOUT")" \
		"$(kv sent "$MOUT")" "$(kv received "$SOUT")"
}

# udp_in NS: the datagrams NS's UDP layer took in, queued or dropped for a
# full socket buffer (InDatagrams + RcvbufErrors of /proc/net/snmp).
udp_in() {
	in_ns "$1" cat /proc/net/snmp | awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $2 + $6; n++ }
		END { exit n != 1 }'
}

# wire_begin: what xdpgen needs of the path's first interface (T_GPEER in
# T_GPEER_NS): its MAC address in WIRE_MAC, and NAPI, which a veth has with
# XDP or with GRO on: GRO is switched on until wire_end (WIRE_GRO holds the
# setting to restore). 1, with MOUT saying why, when either is missing.
wire_begin() {
	WIRE_MAC=$(ip -n "$T_GPEER_NS" -j link show "$T_GPEER" 2>/dev/null | jq -r '.[0].address // empty' 2>/dev/null)
	WIRE_GRO=$(in_ns "$T_GPEER_NS" ethtool -k "$T_GPEER" 2>/dev/null | awk '$1 == "generic-receive-offload:" { print $2 }')
	if [ -z "$WIRE_MAC" ] || [ -z "$WIRE_GRO" ]; then
		MOUT="no MAC address or GRO state for $T_GPEER in $T_GPEER_NS"
		return 1
	fi
	[ "$WIRE_GRO" = on ] || x udp_wire "$T_GPEER_NS" ethtool -K "$T_GPEER" gro on
}
wire_end() {
	[ "$WIRE_GRO" = on ] || x udp_wire "$T_GPEER_NS" ethtool -K "$T_GPEER" gro off
}

# m_udp_wire: the forwarded packet rate when frames arrive as from a NIC.
# udpflood's datagrams cost the client a socket send and an skb each, and a
# veth peer with XDP copies each into an XDP buffer: that measures the
# sender as much as the path. xdpgen (bench/xdpgen.c) instead puts
# ready-made frames into the receive ring of the path's first interface
# (T_GPEER, the peer of the client's T_GIF) with ndo_xdp_xmit, as a NIC's
# DMA does, and that interface's NAPI runs the path: XDP, or an skb and the
# stack. A veth has NAPI with XDP or with GRO on: GRO is switched on for
# the measurement and back off after. Generator and NAPI share a CPU, so
# the rate is what one CPU forwards with a generator's share in it. The
# generator runs on the first CPU and udpsink on the last, always: left to
# the scheduler, the sink sometimes shares the generator's CPU and the
# rate of one run differs from the next by ×2 (measured). The count is
# taken where the path ends, at the server namespace's UDP layer (udpsink
# reads the port; what its buffer could not hold counts too).
m_udp_wire() {
	local in0 in1 fwd="" rate=""
	local -a CLIENT_PIN=("${WIRE_GEN_PIN[@]}") SERVER_PIN=("${WIRE_SINK_PIN[@]}")
	if ! wire_begin; then
		udp_rows udp_wire_pps udp_wire_offered_pps udp_wire_loss_pct "" "" "" ""
		return
	fi
	in0=$(udp_in "$T_SNS")
	udp_sink_run udp_wire "$XDPGEN" -i "$T_GIF" -m "$WIRE_MAC" -a "$T_IP" -p "$T_UP" \
		-t "$D_UDP" -f "$UDP_FLOWS" -s "$UDP_SIZE"
	in1=$(udp_in "$T_SNS")
	wire_end
	MOUT+=$'\n'"UDP in $T_SNS: $in0 -> $in1; udpsink: $SOUT"
	printf '    # UDP in %s: %s -> %s\n' "$T_SNS" "$in0" "$in1" >>"$CMDLOG"
	if [ -n "$in0" ] && [ -n "$in1" ] && [ -n "$(kv seconds "$MOUT")" ]; then
		fwd=$((in1 - in0))
		rate=$(awk -v f="$fwd" -v t="$(kv seconds "$MOUT")" 'BEGIN { printf "%.0f", f / t }')
	fi
	udp_rows udp_wire_pps udp_wire_offered_pps udp_wire_loss_pct "$rate" "$(kv pps "$MOUT")" \
		"$(kv sent "$MOUT")" "$fwd"
}

# m_udp_drop (the sluice paths, T_DP set): how fast the path throws away
# what its --allow list refuses, the flood a published port must shrug off.
# xdpgen sends frames as for udp_wire, to T_DP, published with an --allow
# list that leaves the client out. The drop runs in the NAPI poll on the
# generator's CPU, so the rate xdpgen keeps is the rate the drop keeps up
# with. It counts only if sluice's drop_not_allowed rose by at least 99 %
# of what was sent and nothing reached the server namespace's UDP layer.
m_udp_drop() {
	[ -n "$T_DP" ] || return 0
	local -a CLIENT_PIN=("${WIRE_GEN_PIN[@]}")
	local d0 d1 in0 in1 sent ok=0
	if wire_begin; then
		sl_stats_all
		d0=${SLC[$T_DINST.drop_not_allowed]}
		in0=$(udp_in "$T_SNS")
		measure udp_drop "$XDPGEN" -i "$T_GIF" -m "$WIRE_MAC" -a "$T_IP" -p "$T_DP" \
			-t "$D_UDP" -f "$UDP_FLOWS" -s "$UDP_SIZE"
		in1=$(udp_in "$T_SNS")
		sl_stats_all
		d1=${SLC[$T_DINST.drop_not_allowed]}
		wire_end
		sent=$(kv sent "$MOUT")
		MOUT+=$'\n'"drop_not_allowed $d0 -> $d1; UDP in $T_SNS: $in0 -> $in1"
		if [[ $d0 =~ ^[0-9]+$ && $d1 =~ ^[0-9]+$ && $sent =~ ^[0-9]+$ ]] && [ "$sent" -gt 0 ] &&
			[ $((d1 - d0)) -ge $((sent * 99 / 100)) ] && [ -n "$in0" ] && [ "$in1" = "$in0" ]; then
			ok=1
		fi
	fi
	[ $ok = 1 ] || fail_note udp_drop
	emit udp_drop_pps "$([ $ok = 1 ] && kv pps "$MOUT")" pkt/s "$ok"
}

# The metrics of one path in one round, in this order.
METRICS=(m_tcp_rr_1 m_tcp_rr_1k m_udp_rr "m_tput 1" "m_tput 4" m_conn m_udp_pps m_udp_wire m_udp_drop)
# The warm-up round (discarded): ARP, routes, conntrack, BPF maps, servers and
# page cache warmed by one short run of each kind of traffic. sockperf is
# left out: it warms up by itself and each run costs 2 s of fixed overhead.
WARMUP_METRICS=(m_tcp_rr_1 "m_tput 1" m_conn m_udp_pps m_udp_wire)
