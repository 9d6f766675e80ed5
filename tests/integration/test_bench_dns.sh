#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_bench_dns.sh - bench/dns.sh --smoke: sluice-dnsd, Docker's embedded
# DNS and aardvark-dns each answer every query kind under dnsperf.
set -u
. "$(dirname "$0")/bench_smoke.sh"
bench_smoke bench_dns bench/dns.sh dnsperf dig
