#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_crash.sh - a command killed half-way (SIGKILL) leaves nothing that the
# next sluice run cannot clean or finish.
#
# SLUICE_CRASHPOINT makes the CLI kill itself at a named point, as an OOM
# kill or a crash would: after the veth pair exists, after every map entry
# is in place but before the state file names it, after the state file
# dropped an endpoint but before its veth went, after a publish installed
# its mappings but before the state file has them. After each, the next
# command must leave kernel and state in agreement, and traffic must work.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_root

HOST_NS=$T-host
A=$T-a B=$T-b
if ! ns_new "$HOST_NS" "$A" "$B"; then
	echo "integration/$SUITE: could not create namespaces"
	exit 1
fi

# How many sl* veths exist in the host ns, and how many endpoints the state has.
host_veths() { ip -n "$HOST_NS" -o link show type veth | grep -c ': sl'; }
state_eps() { sl -j network inspect front | jq '.endpoints | length'; }
ping_b() { ip netns exec "$A" ping -c 1 -W 1 10.31.0.3 >/dev/null; }
svc_entries() {
	bpftool -j map dump pinned "/sys/fs/bpf/sluice/$SL_INST/sl_svc" 2>/dev/null | jq length
}

# sl_dns_lo on NS's lo: where sluice-dnsd's port is mapped to 53.
dns_lo() { tc -n "$1" filter show dev lo ingress 2>/dev/null | grep -q sl_dns_lo; }

crash() {
	SLUICE_CRASHPOINT=$1 timeout 30 nsenter --net="/run/netns/$HOST_NS" -- "$SLUICE" "${@:2}" \
		>/dev/null 2>&1
	[ $? -eq 137 ]
}

check "up" sl up
check "network create" sl network create front --subnet 10.31.0.0/24
check "connect a" sl network connect front a --netns "/run/netns/$A" --ip 10.31.0.2

# 1. killed right after the veth pair was created
check "connect b killed after the veth" crash connect-after-veth \
	network connect front b --netns "/run/netns/$B" --ip 10.31.0.3
check "the orphan veth exists meanwhile" test "$(host_veths)" -eq 2
check "the state does not name b" test "$(state_eps)" -eq 1
check "connect b again: it removes the orphan first" \
	sl network connect front b --netns "/run/netns/$B" --ip 10.31.0.3
check "one veth per endpoint" test "$(host_veths)" -eq 2
check "a -> b ping" ping_b

# 2. killed with everything in place but the state file
check "disconnect b" sl network disconnect front b
check "connect b killed before the state" crash connect-before-state \
	network connect front b --netns "/run/netns/$B" --ip 10.31.0.3
check "state does not name b" test "$(state_eps)" -eq 1
check "b's lo has sl_dns_lo meanwhile (attached before the state)" dns_lo "$B"
check "a mutating command cleans up (network create)" \
	sl network create spare --subnet 10.32.0.0/24
check "b's orphan veth is gone" test "$(host_veths)" -eq 1
check_fails "and sl_dns_lo is off b's lo (its namespace, from the veth's alias)" dns_lo "$B"
check "a's lo keeps sl_dns_lo (a is connected)" dns_lo "$A"
check "b's map entries are gone (a -> b drops)" bash -c "! ip netns exec $A ping -c 1 -W 1 10.31.0.3"
check "connect b again" sl network connect front b --netns "/run/netns/$B" --ip 10.31.0.3
check "a -> b ping again" ping_b

# 3. killed after the state dropped b but before its veth went
check "disconnect b killed after the state" crash disconnect-after-state \
	network disconnect front b
check "state no longer names b" test "$(state_eps)" -eq 1
check "b's lo still has sl_dns_lo meanwhile" dns_lo "$B"
check "sluice up finishes the disconnect" sl up
check "b's veth is gone" test "$(host_veths)" -eq 1
check_fails "and sl_dns_lo is off b's lo" dns_lo "$B"
check "b's netns has no sluice interface" bash -c "! ip -n $B link show eth0"

# 4. killed after a publish installed its mappings, before the state has them
if command -v bpftool >/dev/null; then
	check "publish killed before the state" crash publish-before-state port publish a 8080:80
	check "a mapping lingers meanwhile" test "$(svc_entries)" -eq 1
	check "port ls shows nothing" test "$(sl -j port ls | jq length)" -eq 0
	check "next mutating command removes it" sl network rm spare
	check "no mapping left" test "$(svc_entries)" -eq 0
	check "publish works" sl port publish a 8080:80
	check "one mapping" test "$(svc_entries)" -eq 1
fi

check "down --purge" sl down --purge
check "nothing left" bash -c "! ls /sys/fs/bpf/sluice/$SL_INST /var/lib/sluice/$SL_INST 2>/dev/null"
summary
