/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nl.h - rtnetlink plumbing with libmnl: veth pairs, links, addresses,
 * routes and neighbours, and network namespace handles. No shelling out.
 *
 * A struct sl_nl is a NETLINK_ROUTE socket bound to the network namespace it
 * was opened in; sl_nl_open_netns() opens one inside another namespace
 * without leaving the caller there. Every call waits for the kernel's ACK.
 * On failure a call records (sl_errf) the operation, the object and the
 * kernel's extack text when there is one, and returns a negative errno.
 */
#ifndef SL_NL_H
#define SL_NL_H

#include <stdbool.h>
#include <linux/types.h>

struct sl_nl;

/* A socket in the caller's current network namespace. */
int sl_nl_open(struct sl_nl **out);
/* A socket in the netns behind netns_fd; the calling thread's netns is unchanged afterwards. */
int sl_nl_open_netns(int netns_fd, struct sl_nl **out);
void sl_nl_close(struct sl_nl *nl);

/*
 * Open a network namespace handle (O_RDONLY|O_CLOEXEC fd; netns.c).
 * sl_netns_open_path: path must exist and be a network namespace (nsfs,
 * NS_GET_NSTYPE == CLONE_NEWNET); errors name the path and say what it is.
 * sl_netns_open_pid: /proc/PID/ns/net; a PID that does not exist is -ESRCH.
 * dev/ino (may be NULL) identify the namespace (fstat of the fd).
 */
int sl_netns_open_path(const char *path, __u64 *dev, __u64 *ino);
int sl_netns_open_pid(int pid, __u64 *dev, __u64 *ino);

struct sl_link_info {
	int ifindex;
	char name[16];
	char alias[256]; /* IFLA_IFALIAS (kernel max IFALIASZ - 1 bytes), "" when unset */
	__u8 mac[6];
	unsigned int mtu;
	bool up;
	char kind[16]; /* IFLA_INFO_KIND ("veth", "bridge", ...), "" when none */
};

/*
 * By name; -ENODEV when there is no such link (one request, no dump). The
 * -ENODEV is recorded like any error: a caller probing for absence clears it.
 */
int sl_nl_link_get(struct sl_nl *nl, const char *name, struct sl_link_info *info);
/*
 * Calls fn for every link of the namespace; stops early when fn returns
 * non-zero (returned). fn must not make requests on nl: the dump is still
 * being read from it.
 */
int sl_nl_link_foreach(struct sl_nl *nl, int (*fn)(const struct sl_link_info *info, void *arg),
		       void *arg);

struct sl_veth_spec {
	const char *name;      /* host side, created in nl's netns */
	const __u8 *mac;       /* host side MAC, or NULL for a random one */
	const char *alias;     /* IFLA_IFALIAS of the host side, or NULL */
	const char *peer_name; /* container side, created directly in peer_netns_fd */
	const __u8 *peer_mac;  /* or NULL */
	int peer_netns_fd;     /* netns for the peer; -1 = same netns as nl */
	unsigned int mtu;      /* both ends; 0 = kernel default */
};

/*
 * Create the pair in one RTM_NEWLINK (the peer is born in its netns, so no
 * half-moved state exists). Neither end is set up. Name clashes on either
 * side are -EEXIST with the kernel's message.
 */
int sl_nl_veth_create(struct sl_nl *nl, const struct sl_veth_spec *spec);
int sl_nl_link_set_up(struct sl_nl *nl, int ifindex);
/* Deleting one end of a veth removes its peer as well. -ENODEV if gone. */
int sl_nl_link_del(struct sl_nl *nl, int ifindex);

/*
 * Add addr/prefixlen to ifindex. noprefixroute: IFA_F_NOPREFIXROUTE (the
 * caller installs its own routes). -EEXIST if present.
 */
int sl_nl_addr_add(struct sl_nl *nl, int ifindex, __be32 addr, unsigned int prefixlen,
		   bool noprefixroute);

/*
 * Add an IPv4 route in the main table: dst/prefixlen (prefixlen 0 = default)
 * via gateway (0 = directly connected, scope link) out of ifindex.
 * -EEXIST if present.
 */
int sl_nl_route_add(struct sl_nl *nl, __be32 dst, unsigned int prefixlen, __be32 gateway,
		    int ifindex);

/* The IPv4 addresses of nl's netns (up to max); returns how many or a negative errno. */
int sl_nl_addr_list(struct sl_nl *nl, __be32 *out, unsigned int max);
/* 1 when addr is assigned to an interface of nl's netns, 0 when not, or a negative errno. */
int sl_nl_addr_is_local(struct sl_nl *nl, __be32 addr);

/* A permanent IPv4 neighbour entry addr -> mac on ifindex (replaces an existing one). */
int sl_nl_neigh_add(struct sl_nl *nl, int ifindex, __be32 addr, const __u8 mac[6]);

/* ---- route lookup (sluice-proxy) ---- */

/*
 * Where the kernel would send a packet to dst (RTM_GETROUTE, as `ip route get`):
 * 0 when dst is on a directly connected network, with the outgoing
 * interface's ifindex and name; -EREMOTE when the route goes through a
 * gateway (ifindex and name still filled); -EADDRNOTAVAIL when dst is an
 * address of nl's own namespace; the kernel's error (-ENETUNREACH, ...) when
 * there is no route. Every failure is recorded naming dst.
 */
int sl_nl_route_oif(struct sl_nl *nl, __be32 dst, int *ifindex, char name[16]);

#endif /* SL_NL_H */
