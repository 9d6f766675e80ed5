#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_bench_smoke.sh - bench/run.sh --smoke: every datapath path is built,
# carries traffic for a moment and passes its "took this path" check.
set -u
. "$(dirname "$0")/bench_smoke.sh"
bench_smoke bench_smoke bench/run.sh sockperf iperf3
