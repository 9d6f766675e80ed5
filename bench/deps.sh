#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/deps.sh - install what the bench needs from Debian (`make bench-deps`):
# sockperf, iperf3, gnuplot-nox, jq and ethtool (sluice-xdp turns TX checksum
# offload off on its client veth), dnsperf and dig (bind9-dnsutils) for the
# DNS bench (bench/dns.sh), then the peers: docker.io (the real
# /usr/sbin/docker-proxy, and dockerd's embedded DNS), busybox-static (the
# DNS bench's container image) and aardvark-dns (Podman's DNS server). Does
# nothing when everything is there.
#
# docker.io brings dockerd, which must not start here: it would create
# docker0 and rewrite the root namespace's firewall. While installing, a
# policy-rc.d that refuses every service start is in place (the machine's
# own, or a temporary one this script removes afterwards). If an optional
# package cannot be installed, the benches report the paths and servers
# that need it as skipped.
set -u

CORE="sockperf iperf3 gnuplot-nox jq ethtool dnsperf bind9-dnsutils"
OPTIONAL="docker.io busybox-static aardvark-dns"

missing() {
	local p out=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=" $p"
	done
	echo "$out"
}

need_core=$(missing $CORE) # word splitting intended
need_opt=$(missing $OPTIONAL)
[ -z "$need_core$need_opt" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "bench-deps: missing:$need_core$need_opt; as root: apt-get install$need_core$need_opt" >&2
	[ -z "$need_core" ]
	exit
fi

policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# bench/deps.sh: no service starts while the bench installs packages\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	ours=1
fi
trap '[ -n "$ours" ] && rm -f "$policy"' EXIT

apt-get update -qq || echo "bench-deps: apt-get update failed; trying the cached lists" >&2
rc=0
if [ -n "$need_core" ]; then
	echo "bench-deps: apt-get install$need_core"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need_core || rc=1
fi
if [ -n "$need_opt" ]; then
	echo "bench-deps: apt-get install$need_opt"
	# One at a time: a peer that cannot be installed does not keep the others out.
	for p in $need_opt; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$p" ||
			echo "bench-deps: $p could not be installed: the paths and DNS servers that need it will be skipped" >&2
	done
fi
exit $rc
