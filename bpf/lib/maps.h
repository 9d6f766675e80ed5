/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps.h - the endpoint, interface and subnet maps. Pinned by name so that a
 * reload of the programs keeps their contents (see sluice_abi.h for layouts).
 */
#ifndef SL_BPF_MAPS_H
#define SL_BPF_MAPS_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_ENDPOINTS);
	__type(key, struct sl_endpoint_key);
	__type(value, struct sl_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_ENDPOINTS);
	__type(key, struct sl_iface_key);
	__type(value, struct sl_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_NETWORKS);
	__type(key, struct sl_subnet_key);
	__type(value, struct sl_subnet);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_subnets SEC(".maps");

#endif /* SL_BPF_MAPS_H */
