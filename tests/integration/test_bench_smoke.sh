#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_bench_smoke.sh - the bench harness in smoke mode: every path is built,
# carries traffic for a moment, passes its "traffic took this path" check and
# is torn down. No speed is asserted (bench/README.md). Prints the harness's
# own "bench-smoke: N passed, N failed" line.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$(dirname "${SLUICE:-$here/build/sluice}")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "integration/bench_smoke: skipped: needs root"
	exit 77
fi
for tool in sockperf iperf3; do
	if ! command -v "$tool" >/dev/null; then
		echo "integration/bench_smoke: skipped: $tool is missing (make deps)"
		exit 77
	fi
done
cd "$here" && exec bench/run.sh --smoke --build "$build"
