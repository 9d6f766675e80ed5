// SPDX-License-Identifier: BSD-2-Clause
/* endpoint.c - plumbing of one endpoint, and clean-up after a killed run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "endpoint.h"
#include "log.h"

/* FNV-1a: a stable, short host-side name that is the same on every run. */
static __u32 fnv1a(const char *s, __u32 h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void ep_host_ifname(const struct sl_instance *inst, const char *network, const char *container,
		    char out[SL_IFNAME_MAX])
{
	__u32 h = 2166136261u;

	h = fnv1a(inst->name, h);
	h = fnv1a("/", h);
	h = fnv1a(network, h);
	h = fnv1a("/", h);
	h = fnv1a(container, h);
	snprintf(out, SL_IFNAME_MAX, "sl%08x", h);
}

/*
 * The alias marks a link as this instance's, so a later run can find
 * leftovers. It also names the container's namespace (" ns=DEV:INO:PATH"):
 * a run killed before its state named the endpoint, or after the state
 * dropped it, leaves sl_dns_lo on that namespace's lo, and the alias is the
 * only record left of where. An alias too long for that keeps the names only.
 */
#define EP_ALIAS_PREFIX "sluice:"
#define EP_ALIAS_NS	" ns="

void ep_alias(const struct sl_instance *inst, const struct sl_ep *ep, char *out, size_t len)
{
	int n = snprintf(out, len, EP_ALIAS_PREFIX "%s:%s/%s" EP_ALIAS_NS "%llu:%llu:%s",
			 inst->name, ep->network, ep->container, (unsigned long long)ep->nsdev,
			 (unsigned long long)ep->nsino, ep->netns);

	if (n < 0 || (size_t)n >= len)
		snprintf(out, len, EP_ALIAS_PREFIX "%s:%s/%s", inst->name, ep->network,
			 ep->container);
}

/* The namespace an alias names (ep_alias), into gone's netns fields; false: none. */
static bool ep_alias_netns(const char *alias, struct sl_ep *gone)
{
	const char *p = strstr(alias, EP_ALIAS_NS);
	unsigned long long dev, ino;
	int path = 0;

	if (!p || sscanf(p, EP_ALIAS_NS "%llu:%llu:%n", &dev, &ino, &path) != 2 || !path ||
	    p[path] != '/')
		return false;
	gone->nsdev = dev;
	gone->nsino = ino;
	snprintf(gone->netns, sizeof(gone->netns), "%s", p + path);
	return true;
}

void ep_macs(__be32 addr, __u8 container_mac[6], __u8 host_mac[6])
{
	container_mac[0] = 0x02;
	container_mac[1] = 0x42;
	memcpy(container_mac + 2, &addr, 4);
	host_mac[0] = 0x02;
	host_mac[1] = 0x5c;
	memcpy(host_mac + 2, &addr, 4);
}

static int ep_maps_put(const struct sl_dp *dp, const struct sl_network *net, const struct sl_ep *ep,
		       int host_ifindex)
{
	struct sl_endpoint val = {.ifindex = host_ifindex, .net_id = net->id};
	struct sl_iface ifc = {
		.net_id = net->id,
		.addr = ep->addr,
		.flags = net->internal ? SL_NET_F_INTERNAL : 0,
		.gateway = net->gateway,
	};
	int err;

	ep_macs(ep->addr, val.mac, val.gw_mac);
	err = sl_dp_iface_put(dp, host_ifindex, &ifc);
	if (!err)
		err = sl_dp_endpoint_put(dp, ep->addr, &val);
	return err;
}

static int ep_maps_del(const struct sl_dp *dp, const struct sl_ep *ep, int host_ifindex)
{
	int err = sl_dp_endpoint_del(dp, ep->addr);

	if (host_ifindex > 0) {
		int e2 = sl_dp_iface_del(dp, host_ifindex);

		if (!err)
			err = e2;
	}
	return err;
}

/* Inside the container: address, neighbour for the gateway, routes. */
static int ep_plumb_container(struct sl_nl *cnl, const struct sl_network *net,
			      const struct sl_ep *ep, const __u8 host_mac[6])
{
	struct sl_link_info li, lo;
	int err;

	err = sl_nl_link_get(cnl, ep->ifname, &li);
	if (err)
		return err;
	if (!sl_nl_link_get(cnl, "lo", &lo) && !lo.up)
		sl_nl_link_set_up(cnl, lo.ifindex);
	if ((err = sl_nl_addr_add(cnl, li.ifindex, ep->addr, net->subnet.prefixlen, true)) ||
	    (err = sl_nl_link_set_up(cnl, li.ifindex)) ||
	    (err = sl_nl_neigh_add(cnl, li.ifindex, net->gateway, host_mac)) ||
	    (err = sl_nl_route_add(cnl, net->subnet.addr, net->subnet.prefixlen, net->gateway,
				   li.ifindex)))
		return err;
	/* The first network a container joins gives it its default route. */
	if (!net->internal) {
		err = sl_nl_route_add(cnl, 0, 0, net->gateway, li.ifindex);
		if (err == -EEXIST) {
			sl_err_clear();
			err = 0;
		}
	}
	return err;
}

/* On the host: the gateway address, the route and neighbour for the container. */
static int ep_plumb_host(struct sl_nl *host, const struct sl_network *net, const struct sl_ep *ep,
			 int ifindex, const __u8 container_mac[6])
{
	int err;

	if ((err = sl_nl_addr_add(host, ifindex, net->gateway, 32, true)) ||
	    (err = sl_nl_link_set_up(host, ifindex)) ||
	    (err = sl_nl_neigh_add(host, ifindex, ep->addr, container_mac)) ||
	    (err = sl_nl_route_add(host, ep->addr, 32, 0, ifindex)))
		return err;
	return 0;
}

int ep_set_xdp_pass(struct sl_nl *cnl, const struct sl_dp *dp, const struct sl_ep *ep, int netns_fd,
		    bool on)
{
	struct sl_link_info li;
	int err;

	err = sl_nl_link_get(cnl, ep->ifname, &li);
	if (err)
		return err;
	if (on)
		return sl_dp_xdp_attach_netns(netns_fd, ep->ifname, li.ifindex, dp->prog_xdp_pass);
	return sl_dp_xdp_detach_netns(netns_fd, li.ifindex);
}

/* lo is ifindex 1 (LOOPBACK_IFINDEX) in every network namespace. */
#define EP_LO_IFINDEX 1

int ep_dns_lo_attach(const struct sl_dp *dp, const struct sl_ep *ep, int netns_fd)
{
	char why[256];
	int err = sl_dp_tc_attach_netns(netns_fd, "lo", EP_LO_IFINDEX, dp->prog_dns_lo);

	if (!err)
		return 0;
	/* The first error recorded wins: take it over with the container's name. */
	snprintf(why, sizeof(why), "%s", sl_err_msg() ? sl_err_msg() : strerror(-err));
	sl_err_clear();
	return sl_errf(err,
		       "container %s (%s): cannot put sl_dns_lo on its lo, which its DNS at "
		       "127.0.0.11:53 needs: %s",
		       ep->container, ep->netns, why);
}

int ep_netns_open(const struct sl_ep *ep)
{
	__u64 dev = 0, ino = 0;
	int fd;

	fd = sl_netns_open_path(ep->netns, &dev, &ino);
	if (fd >= 0 && ep->nsino && (dev != ep->nsdev || ino != ep->nsino)) {
		close(fd);
		fd = sl_errf(-ESTALE, "%s is now another namespace", ep->netns);
	}
	return fd;
}

static bool ep_same_netns(const struct sl_ep *a, const struct sl_ep *b)
{
	if (a->nsino && b->nsino)
		return a->nsdev == b->nsdev && a->nsino == b->nsino;
	return !strcmp(a->netns, b->netns);
}

int ep_dns_lo_release(const struct sl_state *st, const struct sl_ep *gone)
{
	int fd, err;

	for (unsigned int i = 0; i < st->n_endpoints; i++) {
		const struct sl_ep *ep = &st->endpoints[i];

		if ((strcmp(ep->network, gone->network) ||
		     strcmp(ep->container, gone->container)) &&
		    ep_same_netns(ep, gone))
			return 0;
	}
	fd = ep_netns_open(gone);
	if (fd < 0) {
		sl_err_clear();
		return 0;
	}
	err = sl_dp_tc_detach_netns(fd, "lo", EP_LO_IFINDEX);
	close(fd);
	return err;
}

int ep_plumb(const struct sl_instance *inst, struct sl_nl *host, const struct sl_dp *dp,
	     const struct sl_network *net, const struct sl_ep *ep, int netns_fd, bool xdp)
{
	__u8 cmac[6], hmac[6];
	char alias[256];
	struct sl_veth_spec spec = {
		.name = ep->host_ifname,
		.mac = hmac,
		.alias = alias,
		.peer_name = ep->ifname,
		.peer_mac = cmac,
		.peer_netns_fd = netns_fd,
	};
	struct sl_link_info li = {0};
	struct sl_nl *cnl = NULL;
	int err;

	ep_macs(ep->addr, cmac, hmac);
	ep_alias(inst, ep, alias, sizeof(alias));

	err = sl_nl_veth_create(host, &spec);
	if (err)
		return err;
	sl_crashpoint("connect-after-veth");
	err = sl_nl_link_get(host, ep->host_ifname, &li);
	if (err)
		goto undo;
	err = sl_nl_open_netns(netns_fd, &cnl);
	if (err)
		goto undo;
	if ((err = ep_plumb_container(cnl, net, ep, hmac)) ||
	    (err = ep_set_xdp_pass(cnl, dp, ep, netns_fd, xdp)) ||
	    (err = ep_plumb_host(host, net, ep, li.ifindex, cmac)) ||
	    (err = sl_dp_attach_tc_ingress(li.ifindex, ep->host_ifname, dp->prog_ep)) ||
	    (err = ep_maps_put(dp, net, ep, li.ifindex)))
		goto undo;
	sl_nl_close(cnl);
	return 0;
undo:
	/* Deleting the host end removes the peer, its addresses and routes too. */
	sl_nl_close(cnl);
	ep_maps_del(dp, ep, li.ifindex);
	if (sl_nl_link_get(host, ep->host_ifname, &li) == 0)
		sl_nl_link_del(host, li.ifindex);
	return err;
}

int ep_refresh(struct sl_nl *host, const struct sl_dp *dp, const struct sl_network *net,
	       const struct sl_ep *ep)
{
	struct sl_link_info li;
	int err;

	err = sl_nl_link_get(host, ep->host_ifname, &li);
	if (err)
		return err;
	err = sl_dp_attach_tc_ingress(li.ifindex, ep->host_ifname, dp->prog_ep);
	if (!err)
		err = ep_maps_put(dp, net, ep, li.ifindex);
	return err;
}

int ep_unplumb(struct sl_nl *host, const struct sl_dp *dp, const struct sl_ep *ep)
{
	struct sl_link_info li;
	int ifindex = 0, err;

	if (sl_nl_link_get(host, ep->host_ifname, &li) == 0)
		ifindex = li.ifindex;
	else
		sl_err_clear();
	if (dp)
		ep_maps_del(dp, ep, ifindex);
	if (!ifindex)
		return 0;
	err = sl_nl_link_del(host, ifindex);
	if (err == -ENODEV) {
		sl_err_clear();
		err = 0;
	}
	return err;
}

/* Orphan links one run removes; a later run takes any beyond. */
#define EP_RECONCILE_MAX 256

struct reconcile_orphan {
	int ifindex;
	char alias[256];
};

struct reconcile_ctx {
	const struct sl_instance *inst;
	const struct sl_state *st;
	struct reconcile_orphan *orphans; /* EP_RECONCILE_MAX per run */
	int n_orphans;
	int *owned; /* ifindexes of the links that endpoints of st own */
	unsigned int n_owned;
};

static bool state_has_host_ifname(const struct sl_state *st, const char *name)
{
	for (unsigned int i = 0; i < st->n_endpoints; i++)
		if (!strcmp(st->endpoints[i].host_ifname, name))
			return true;
	return false;
}

static int find_orphan_link(const struct sl_link_info *li, void *arg)
{
	struct reconcile_ctx *rc = arg;
	char prefix[64];

	snprintf(prefix, sizeof(prefix), EP_ALIAS_PREFIX "%s:", rc->inst->name);
	if (strncmp(li->alias, prefix, strlen(prefix)) != 0)
		return 0;
	if (state_has_host_ifname(rc->st, li->name)) {
		if (rc->n_owned < rc->st->n_endpoints)
			rc->owned[rc->n_owned++] = li->ifindex;
		return 0;
	}
	if (rc->n_orphans < EP_RECONCILE_MAX) {
		rc->orphans[rc->n_orphans].ifindex = li->ifindex;
		snprintf(rc->orphans[rc->n_orphans].alias, sizeof(rc->orphans[0].alias), "%s",
			 li->alias);
		rc->n_orphans++;
	}
	return 0;
}

/* Map entries no longer backed by the state (what a killed run left). */
static bool stale_endpoint(const void *key, const void *value, void *arg)
{
	const struct sl_endpoint_key *k = key;
	const struct sl_state *st = arg;

	(void)value;
	for (unsigned int i = 0; i < st->n_endpoints; i++)
		if (st->endpoints[i].addr == k->addr)
			return false;
	return true;
}

static bool stale_iface(const void *key, const void *value, void *arg)
{
	const struct sl_iface_key *k = key;
	const struct reconcile_ctx *rc = arg;

	(void)value;
	for (unsigned int i = 0; i < rc->n_owned; i++)
		if (rc->owned[i] == (int)k->ifindex)
			return false;
	return true;
}

static bool stale_subnet(const void *key, const void *value, void *arg)
{
	const struct sl_subnet_key *k = key;
	const struct sl_state *st = arg;

	(void)value;
	for (unsigned int i = 0; i < st->n_networks; i++)
		if (st->networks[i].subnet.addr == k->addr &&
		    st->networks[i].subnet.prefixlen == k->prefixlen)
			return false;
	return true;
}

/*
 * The state's published ports as sorted sl_svc keys, so each map entry is
 * checked in O(log n): every mutating command runs this, with up to 65535
 * mappings.
 */
struct svc_keys {
	struct sl_svc_key *keys;
	unsigned int n;
};

static int svc_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sl_svc_key));
}

/* Published ports the state does not have; sluice-proxy's (external) are its own. */
static bool stale_svc(const void *key, const void *value, void *arg)
{
	const struct sl_svc *v = value;
	const struct svc_keys *sk = arg;

	if (v->flags & SL_SVC_F_EXTERNAL)
		return false;
	return !bsearch(key, sk->keys, sk->n, sizeof(*sk->keys), svc_key_cmp);
}

static int prune_svc(const struct sl_dp *dp, const struct sl_state *st)
{
	struct svc_keys sk = {.keys = calloc(st->n_ports + 1, sizeof(*sk.keys))};
	int removed;

	if (!sk.keys)
		return 0; /* out of memory: leave the map alone, the next run retries */
	for (; sk.n < st->n_ports; sk.n++) {
		sk.keys[sk.n].addr = st->ports[sk.n].host_addr;
		sk.keys[sk.n].port = htons(st->ports[sk.n].host_port);
		sk.keys[sk.n].proto = st->ports[sk.n].proto;
	}
	qsort(sk.keys, sk.n, sizeof(*sk.keys), svc_key_cmp);
	removed = sl_dp_map_delete_if(dp->map_svc, sizeof(struct sl_svc_key), sizeof(struct sl_svc),
				      stale_svc, &sk);
	free(sk.keys);
	return removed > 0 ? removed : 0;
}

int ep_reconcile(const struct sl_instance *inst, struct sl_nl *host, const struct sl_dp *dp,
		 const struct sl_state *st)
{
	struct reconcile_ctx rc = {.inst = inst, .st = st};
	int removed = 0, err;

	rc.owned = calloc(st->n_endpoints + 1, sizeof(*rc.owned));
	rc.orphans = calloc(EP_RECONCILE_MAX, sizeof(*rc.orphans));
	if (!rc.owned || !rc.orphans) {
		free(rc.owned);
		free(rc.orphans);
		return -ENOMEM;
	}
	err = sl_nl_link_foreach(host, find_orphan_link, &rc);
	if (err < 0) {
		free(rc.owned);
		free(rc.orphans);
		return err;
	}
	for (int i = 0; i < rc.n_orphans; i++) {
		struct sl_ep gone = {0};

		/* Its namespace's lo keeps sl_dns_lo unless an endpoint still lives there. */
		if (ep_alias_netns(rc.orphans[i].alias, &gone))
			ep_dns_lo_release(st, &gone);
		sl_dp_detach_tc_ingress(rc.orphans[i].ifindex);
		if (sl_nl_link_del(host, rc.orphans[i].ifindex) == 0)
			removed++;
		sl_err_clear();
	}
	if (dp) {
		removed += sl_dp_map_delete_if(dp->map_endpoints, sizeof(struct sl_endpoint_key), 0,
					       stale_endpoint, (void *)st);
		removed += sl_dp_map_delete_if(dp->map_ifaces, sizeof(struct sl_iface_key), 0,
					       stale_iface, &rc);
		removed += sl_dp_map_delete_if(dp->map_subnets, sizeof(struct sl_subnet_key), 0,
					       stale_subnet, (void *)st);
		removed += prune_svc(dp, st);
	}
	free(rc.owned);
	free(rc.orphans);
	if (removed)
		sl_info("removed %d object(s) left behind by an interrupted run\n", removed);
	return removed;
}
