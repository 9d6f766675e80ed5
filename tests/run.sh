#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run.sh BUILD [unit|bpf|dnsd|integration]... - run the test suites, each
# under a time bound, and print one closing "N passed, N failed" line.
#
# A suite is a binary (build/tests/<kind>/test_*) or a script
# (tests/integration/test_*.sh). Its own summary line "...: N passed, N failed"
# is added up; a suite that dies without one counts as one failure.
# Exit 77 from a suite means "skipped: feature missing" and is reported.
set -u
build=${1:?usage: tests/run.sh BUILD [unit|bpf|dnsd|integration]...}
shift
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(unit bpf dnsd integration)
here=$(cd "$(dirname "$0")" && pwd)

passed=0 failed=0 skipped=0
run_suite() {
	local name=$1 limit=$2
	shift 2
	local out rc line p f
	echo "=== $name"
	out=$(mktemp)
	timeout --kill-after=10 "$limit" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ "$rc" -eq 77 ]; then
		echo "--- $name: SKIPPED (feature missing)"
		skipped=$((skipped + 1))
		return
	fi
	if [ -z "$line" ]; then
		echo "--- $name: died without a summary (exit $rc)"
		failed=$((failed + 1))
		return
	fi
	p=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	f=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "--- $name: exit $rc with no failed test counted"
		failed=$((failed + 1))
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "--- $name: TIMED OUT after $limit"
	fi
}

for kind in "${kinds[@]}"; do
	case $kind in
	unit | bpf | dnsd)
		for t in "$build"/tests/"$kind"/test_*; do
			[ -x "$t" ] || continue
			run_suite "$kind/$(basename "$t")" 120 "$t"
		done
		;;
	integration)
		for t in "$here"/integration/test_*.sh; do
			[ -f "$t" ] || continue
			run_suite "integration/$(basename "$t")" 300 \
				env SLUICE="$(cd "$build" && pwd)/sluice" bash "$t"
		done
		;;
	*)
		echo "unknown test kind: $kind (expected unit, bpf, dnsd or integration)" >&2
		exit 2
		;;
	esac
done

echo
if [ "$skipped" -gt 0 ]; then
	echo "total: $passed passed, $failed failed, $skipped skipped"
else
	echo "total: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
