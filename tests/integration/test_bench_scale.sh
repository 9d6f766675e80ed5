#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_bench_scale.sh - bench/scale.sh --smoke: publishing 1 and 100 ports
# with sluice, and 1 through a real dockerd with sluice-proxy and with its
# own docker-proxy, each checked with a connection.
set -u
. "$(dirname "$0")/bench_smoke.sh"
bench_smoke bench_scale bench/scale.sh iptables
