/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sock.h - published ports for local clients, at the socket: a connect() or
 * sendmsg() to a published host address:port is pointed at the container
 * before any packet exists, so nothing is NATed and no proxy copies bytes;
 * getpeername() and recvmsg() show the address the application asked for.
 *
 * The hooks sit on a cgroup, which holds sockets of every network namespace:
 * only sockets of the namespace sluice serves (its netns cookie) are touched.
 */
#ifndef SL_BPF_SOCK_H
#define SL_BPF_SOCK_H

/* Set by the loader: the cookie of the network namespace sluice serves. */
const volatile __u64 sl_host_netns_cookie = 0;

static __always_inline bool sl_sock_ours(struct bpf_sock_addr *ctx)
{
	return bpf_get_netns_cookie(ctx) == sl_host_netns_cookie;
}

/* 127.0.0.0/8 or an address of the host. */
static __always_inline bool sl_host_local(__be32 addr)
{
	return (bpf_ntohl(addr) >> 24) == 127 || sl_is_host_addr(addr);
}

/* The mapping a local client reaches at addr:port/proto, or NULL. */
static __always_inline struct sl_svc *sl_sock_svc(__be32 addr, __be16 port, __u8 proto)
{
	struct sl_svc_key key = {.addr = addr, .port = port, .proto = proto};
	struct sl_svc *svc;

	svc = bpf_map_lookup_elem(&sl_svc, &key);
	if (svc || !sl_host_local(addr))
		return svc;
	key.addr = 0;
	return bpf_map_lookup_elem(&sl_svc, &key);
}

static __always_inline void sl_count_event(enum sl_ctr ctr)
{
	struct sl_pkt none = {0};

	sl_count(ctr, &none);
}

/*
 * Translate the address and port in place when they name a published port whose
 * container is connected; remember the original for the reverse hooks.
 */
static __always_inline void sl_sock_xlate(struct bpf_sock_addr *ctx, __u32 *addr, __u32 *port)
{
	struct sl_sock_rev rev = {.addr = *addr, .port = (__be16)*port};
	struct sl_sock_rev_key rkey = {0};
	struct sl_endpoint_key ekey;
	struct sl_svc *svc;
	__u8 proto = ctx->protocol;

	if (!sl_sock_ours(ctx) || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return;
	svc = sl_sock_svc(*addr, (__be16)*port, proto);
	if (!svc)
		return;
	ekey.addr = svc->backend_addr;
	if (!(svc->flags & SL_SVC_F_EXTERNAL) && !bpf_map_lookup_elem(&sl_endpoints, &ekey))
		return;
	rkey.cookie = bpf_get_socket_cookie(ctx);
	rkey.addr = svc->backend_addr;
	rkey.port = svc->backend_port;
	bpf_map_update_elem(&sl_sock_rev, &rkey, &rev, BPF_ANY);
	*addr = svc->backend_addr;
	*port = svc->backend_port;
	sl_count_event(SL_CTR_SOCK_XLATE);
}

/* Show the published address instead of the container's (getpeername, recvmsg). */
static __always_inline void sl_sock_reverse(struct bpf_sock_addr *ctx, __u32 *addr, __u32 *port)
{
	struct sl_sock_rev_key rkey = {0};
	struct sl_sock_rev *rev;

	if (!sl_sock_ours(ctx))
		return;
	rkey.cookie = bpf_get_socket_cookie(ctx);
	rkey.addr = *addr;
	rkey.port = (__be16)*port;
	rev = bpf_map_lookup_elem(&sl_sock_rev, &rkey);
	if (!rev)
		return;
	*addr = rev->addr;
	*port = rev->port;
}

/* IPv4-mapped IPv6 (::ffff:a.b.c.d): the only IPv6 form published ports serve. */
static __always_inline bool sl_v4mapped(const __u32 *ip6)
{
	return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0xffff);
}

#endif /* SL_BPF_SOCK_H */
