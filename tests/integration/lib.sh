# SPDX-License-Identifier: BSD-2-Clause
# tests/integration/lib.sh - helpers shared by the netns integration suites.
#
# Source it from tests/integration/test_<suite>.sh. It gives the suite:
#   T, SL_INST         unique prefix for names (slt<PID>) and sluice instance (t<PID>)
#   ns_new NAME...     create network namespaces (lo up), deleted on exit
#   HOST_NS            the namespace playing the host; `sl` runs the CLI there
#   sl ARGS...         the sluice CLI in HOST_NS with this test's instance (30 s bound)
#   bg CMD...          start a background process (BG_PID), killed by PID on exit
#   tmp_file           a temporary file (TMP), removed on exit
#   wait_for SECS CMD  poll until CMD succeeds or SECS pass
#   counter NAME       packets of a `sluice stats` counter
#   check NAME CMD...        "ok  NAME" when CMD succeeds, else "FAIL NAME"
#   check_fails NAME CMD...  the same when CMD fails
#   check_rejects NAME RCS PATTERN CMD...
#                      CMD (a CLI call) must exit with one of RCS ("1 2"), print
#                      one line "sluice: ..." on stderr matching PATTERN (grep -E)
#                      and change nothing (see snapshot)
#   summary            "integration/<suite>: N passed, N failed"; exit 1 on failure
#   skip_unless_root   exit 77 when not root or a tool is missing
#
# Nothing here touches the root network namespace: every link, address, route
# and sysctl lives in a namespace the suite created, and cleanup runs on EXIT,
# INT and TERM.

SUITE=${SUITE:-$(basename "$0" .sh)}
SUITE=${SUITE#test_}
T=slt$$
SL_INST=t$$
export SLUICE_INSTANCE=$SL_INST
if [ -z "${SLUICE:-}" ]; then
	SLUICE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/sluice
fi
HOST_NS=
# The socket-level hooks attach to a cgroup; tests give them one of their own
# (never the machine's root cgroup). The CLI takes it from SLUICE_CGROUP.
SL_CGROUP_ROOT=$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null | grep -q cgroup2 &&
	echo /sys/fs/cgroup/unified || echo /sys/fs/cgroup)
export SLUICE_CGROUP=$SL_CGROUP_ROOT/sluice-test-$T
mkdir -p "$SLUICE_CGROUP" 2>/dev/null
# `sluice up` starts sluice-dnsd; tests never let it forward anywhere (a DNS
# suite that needs forwarding passes --dns-upstream to its own stub).
export SLUICE_DNS_UPSTREAM=none
SL_DIRS=("/sys/fs/bpf/sluice/$SL_INST" "/var/lib/sluice/$SL_INST" "/run/sluice/$SL_INST")
SL_STATE=/var/lib/sluice/$SL_INST/state

_passed=0
_failed=0
_netns=()
_pids=()
_tmps=()
_cleaned=

skip_unless_root() {
	local tool
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration/$SUITE: skipped: needs root"
		exit 77
	fi
	for tool in ip nsenter jq timeout ping nc "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "integration/$SUITE: skipped: $tool is missing"
			exit 77
		fi
	done
}

_cleanup() {
	local ns p d
	[ -n "$_cleaned" ] && return
	_cleaned=1
	if [ -n "$HOST_NS" ] && [ -e "/run/netns/$HOST_NS" ] && [ -x "$SLUICE" ]; then
		sl down --purge >/dev/null 2>&1
	fi
	for p in "${_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for ns in "${_netns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for p in "${_pids[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null
	done
	# Last resort: nothing of this instance may outlive the test.
	for d in "${SL_DIRS[@]}"; do
		[ -e "$d" ] && rm -rf "$d"
	done
	[ ${#_tmps[@]} -gt 0 ] && rm -rf "${_tmps[@]}"
	# Processes a test moved into its cgroup are gone by now (killed above).
	[ -d "$SLUICE_CGROUP" ] && rmdir "$SLUICE_CGROUP" 2>/dev/null
}
trap _cleanup EXIT
trap '_cleanup; exit 130' INT
trap '_cleanup; exit 143' TERM

ns_new() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" || return 1
		_netns+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
}

# The CLI never exits 126/127 itself: those mean nsenter could not execute
# it, which happens while a parallel `make` relinks the binary. Retry then.
sl() {
	local rc try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		timeout --kill-after=5 30 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" "$@"
		rc=$?
		[ "$rc" -ne 126 ] && [ "$rc" -ne 127 ] && break
		sleep 1
	done
	return "$rc"
}

bg() {
	"$@" &
	BG_PID=$!
	_pids+=("$BG_PID")
}

tmp_file() {
	TMP=$(mktemp "/tmp/$T.XXXXXX")
	_tmps+=("$TMP")
}

wait_for() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

counter() {
	local v
	v=$(sl -j stats | jq -e ".counters.$1.packets") || return 1
	echo "$v"
}

_report() {
	local ok=$1 name=$2 log=$3
	if [ "$ok" = 1 ]; then
		echo "ok  $name"
		_passed=$((_passed + 1))
	else
		echo "FAIL $name"
		[ -s "$log" ] && sed -e 's/^/     | /' "$log" | head -n 20
		_failed=$((_failed + 1))
	fi
}

check() {
	local name=$1 log ok=0
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 && ok=1
	_report "$ok" "$name" "$log"
	rm -f "$log"
	[ "$ok" = 1 ]
}

check_fails() {
	local name=$1 log ok=0
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 || ok=1
	_report "$ok" "$name" "$log"
	rm -f "$log"
	[ "$ok" = 1 ]
}

# What a rejected command must leave alone: the networks and endpoints the
# CLI reports, the state file, the contents of the pinned maps (but counters
# and flow tables, *_ct and *_rev, which traffic changes), and the links, IPv4
# addresses and routes of every test namespace.
snapshot() {
	local ns n m ls
	ls=$(sl -j network ls)
	echo "$ls"
	for n in $(jq -r '.[].name' <<<"$ls" 2>/dev/null); do
		sl -j network inspect "$n"
	done
	echo "--- state"
	cat "$SL_STATE" 2>/dev/null
	if command -v bpftool >/dev/null; then
		for m in "/sys/fs/bpf/sluice/$SL_INST"/*; do
			[ -f "$m" ] || continue
			case ${m##*/} in *stats* | *_ct | *_rev) continue ;; esac
			printf '{"map":"%s","dump":' "${m##*/}"
			bpftool -j map dump pinned "$m" 2>/dev/null || printf 'null'
			printf '}\n'
		done | jq -c '.map as $m | (.dump // [] | sort_by(.key)[] | [$m, .key, .value]), [$m]' 2>&1
	fi
	for ns in "${_netns[@]}"; do
		echo "--- $ns"
		printf 'link show\naddr show\nroute show\n' |
			ip -n "$ns" -4 -o -batch - 2>/dev/null | sed -E 's/^[0-9]+: ([^:]+): .*(link\/[a-z]+).*/\1 \2/'
	done
}

check_rejects() {
	local name=$1 rcs=$2 pat=$3 log before after out err rc ok=1
	shift 3
	log=$(mktemp)
	before=$(snapshot 2>&1)
	out=$(mktemp)
	err=$(mktemp)
	"$@" >"$out" 2>"$err"
	rc=$?
	after=$(snapshot 2>&1)
	{
		echo "command: $*"
		echo "exit $rc; stdout:"
		cat "$out"
		echo "stderr:"
		cat "$err"
	} >"$log"
	if [[ " $rcs " != *" $rc "* ]]; then
		echo "expected exit in {$rcs}" >>"$log"
		ok=0
	fi
	if [ "$(wc -l <"$err")" -ne 1 ] || ! grep -q '^sluice: ' "$err"; then
		echo "expected exactly one line 'sluice: ...' on stderr" >>"$log"
		ok=0
	elif ! grep -qE -- "$pat" "$err"; then
		echo "expected the error to name /$pat/" >>"$log"
		ok=0
	fi
	if [ "$before" != "$after" ]; then
		echo "something changed:" >>"$log"
		diff <(echo "$before") <(echo "$after") >>"$log"
		ok=0
	fi
	_report "$ok" "$name" "$log"
	rm -f "$log" "$out" "$err"
	[ "$ok" = 1 ]
}

summary() {
	echo "integration/$SUITE: $_passed passed, $_failed failed"
	[ "$_failed" -eq 0 ]
	exit
}
