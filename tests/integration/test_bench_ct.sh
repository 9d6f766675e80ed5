#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_bench_ct.sh - bench/ctscale.sh --smoke: the published-port path at 0
# and 10k synthetic tracked flows, and the fill really in the table.
set -u
. "$(dirname "$0")/bench_smoke.sh"
bench_smoke bench_ct bench/ctscale.sh sockperf iperf3
