# SPDX-License-Identifier: BSD-2-Clause
# bench_smoke.sh - sourced by the test_bench_*.sh suites: run one of the
# bench's scripts in its smoke mode, which builds its topology, measures
# each thing once for a moment, checks that the traffic or queries took the
# path claimed and cleans up, without asserting any speed (bench/README.md).
# The script prints its own "...: N passed, N failed" line.
#
#   bench_smoke SUITE SCRIPT TOOL...   (TOOLs: commands the script needs)

bench_smoke() {
	local suite=$1 script=$2 here build tool
	shift 2
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	build=$(cd "$(dirname "${SLUICE:-$here/build/sluice}")" && pwd)
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration/$suite: skipped: needs root"
		exit 77
	fi
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "integration/$suite: skipped: $tool is missing (make deps)"
			exit 77
		fi
	done
	cd "$here" && exec "$script" --smoke --build "$build"
}
