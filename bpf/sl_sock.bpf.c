// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_sock.bpf.c - cgroup socket hooks: local clients of published ports
 * (connect, sendmsg, recvmsg, getpeername; IPv4 and IPv4-mapped IPv6), and
 * bind() refused on published host ports so no local server silently
 * shadows a mapping. Each hook returns 1 (carry on) except a refused bind.
 */
#include "common.h"
#include "lib/sock.h"

/*
 * ctx->user_ip4/user_port may only be accessed as whole 32-bit words: copy
 * them out, translate, copy back.
 */
#define SL_XLATE4(ctx, fn)                                                                         \
	do {                                                                                       \
		__u32 a_ = ctx->user_ip4, p_ = ctx->user_port;                                     \
		fn(ctx, &a_, &p_);                                                                 \
		ctx->user_ip4 = a_;                                                                \
		ctx->user_port = p_;                                                               \
	} while (0)

#define SL_XLATE6(ctx, fn)                                                                         \
	do {                                                                                       \
		__u32 ip6_[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],             \
				 ctx->user_ip6[3]};                                                \
		__u32 a_ = ip6_[3], p_ = ctx->user_port;                                           \
		if (sl_v4mapped(ip6_)) {                                                           \
			fn(ctx, &a_, &p_);                                                         \
			ctx->user_ip6[3] = a_;                                                     \
			ctx->user_port = p_;                                                       \
		}                                                                                  \
	} while (0)

SEC("cgroup/connect4")
int sl_connect4(struct bpf_sock_addr *ctx)
{
	SL_XLATE4(ctx, sl_sock_xlate);
	return 1;
}

SEC("cgroup/sendmsg4")
int sl_sendmsg4(struct bpf_sock_addr *ctx)
{
	SL_XLATE4(ctx, sl_sock_xlate);
	return 1;
}

SEC("cgroup/recvmsg4")
int sl_recvmsg4(struct bpf_sock_addr *ctx)
{
	SL_XLATE4(ctx, sl_sock_reverse);
	return 1;
}

SEC("cgroup/getpeername4")
int sl_getpeer4(struct bpf_sock_addr *ctx)
{
	SL_XLATE4(ctx, sl_sock_reverse);
	return 1;
}

SEC("cgroup/connect6")
int sl_connect6(struct bpf_sock_addr *ctx)
{
	SL_XLATE6(ctx, sl_sock_xlate);
	return 1;
}

SEC("cgroup/sendmsg6")
int sl_sendmsg6(struct bpf_sock_addr *ctx)
{
	SL_XLATE6(ctx, sl_sock_xlate);
	return 1;
}

SEC("cgroup/recvmsg6")
int sl_recvmsg6(struct bpf_sock_addr *ctx)
{
	SL_XLATE6(ctx, sl_sock_reverse);
	return 1;
}

SEC("cgroup/getpeername6")
int sl_getpeer6(struct bpf_sock_addr *ctx)
{
	SL_XLATE6(ctx, sl_sock_reverse);
	return 1;
}

/*
 * A bind() to a published host address:port (or to any address on a port
 * published on 0.0.0.0) fails with EPERM: the mapping holds the port, as
 * docker-proxy's listening socket did.
 */
SEC("cgroup/bind4")
int sl_bind4(struct bpf_sock_addr *ctx)
{
	struct sl_svc_key key = {.addr = ctx->user_ip4,
				 .port = (__be16)ctx->user_port,
				 .proto = (__u8)ctx->protocol};

	if (!sl_sock_ours(ctx) || !key.port)
		return 1;
	if (bpf_map_lookup_elem(&sl_svc, &key))
		goto deny;
	key.addr = 0;
	if (bpf_map_lookup_elem(&sl_svc, &key))
		goto deny;
	return 1;
deny:
	sl_count_event(SL_CTR_BIND_DENIED);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
