// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_network.c - `sluice network create|rm|ls|inspect|connect|disconnect`.
 *
 * Each mutating command validates everything against the state first, then
 * applies: datapath maps and links, then the state file last. A failure
 * undoes what was applied, so a failed command changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "datapath.h"
#include "endpoint.h"
#include "log.h"
#include "nl.h"
#include "out.h"
#include "ports.h"

static void usage_network(void)
{
	fprintf(stderr,
		"Usage: sluice network create NAME --subnet CIDR [--gateway IP] [--internal]\n"
		"       sluice network rm NAME\n"
		"       sluice network ls\n"
		"       sluice network inspect NAME\n"
		"       sluice network connect NETWORK CONTAINER { --netns PATH | --pid PID }\n"
		"                              [--ip IP] [--ifname NAME] [--alias NAME]...\n"
		"       sluice network disconnect NETWORK CONTAINER\n"
		"\n"
		"NAME, CONTAINER := [A-Za-z0-9][A-Za-z0-9_.-]* (at most 63 characters)\n"
		"CIDR := A.B.C.D/N with the host bits zero, N <= 30; subnets may not overlap\n"
		"The gateway defaults to the subnet's first address; --ip defaults to the lowest\n"
		"free address. --internal: containers reach each other but nothing outside.\n");
}

/* getopt_long over argv[1..]; returns the index of the first positional argument. */
#define NET_OPTS_END                                                                               \
	{                                                                                          \
		NULL, 0, NULL, 0                                                                   \
	}

static int parse_opts(int argc, char **argv, const struct option *opts,
		      int (*fn)(int opt, const char *arg, void *ctx), void *ctx)
{
	int opt, err;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (opt == '?')
			return -ctl_usage("unknown option '%s': see 'sluice network --help'",
					  argv[optind - 1]);
		if (opt == ':')
			return -ctl_usage("option '%s' needs a value: see 'sluice network --help'",
					  argv[optind - 1]);
		err = fn(opt, optarg, ctx);
		if (err)
			return -err;
	}
	return optind;
}

static int want_positional(int argc, int first, int n, const char *grammar)
{
	if (argc - first != n)
		return ctl_usage("%s arguments: usage: sluice network %s",
				 argc - first < n ? "missing" : "too many", grammar);
	return 0;
}

static int check_name(const char *what, const char *name)
{
	if (!sl_name_valid(name))
		return sl_errf(-EINVAL,
			       "invalid %s name '%s': use 1-%d characters of [A-Za-z0-9_.-], "
			       "starting with a letter or digit",
			       what, name, SL_NAME_MAX - 1);
	return 0;
}

static struct sl_network *need_network(struct sl_state *st, const char *name)
{
	struct sl_network *n = sl_state_network(st, name);

	if (!n)
		sl_errf(-ENOENT, "network '%s' does not exist: see 'sluice network ls'", name);
	return n;
}

/* Open the instance's datapath when it is up; *up tells. */
static int open_dp_if_up(struct ctl *c, struct sl_dp *dp, bool *up)
{
	*up = sl_dp_is_up(&c->inst);
	if (!*up)
		return 0;
	return sl_dp_open(&c->inst, dp);
}

static int require_up(struct ctl *c, struct sl_dp *dp)
{
	if (!sl_dp_is_up(&c->inst))
		return sl_errf(-ENOTCONN, "instance '%s' is not up: run 'sluice up' first",
			       c->inst.name);
	return sl_dp_open(&c->inst, dp);
}

/* ---- create ---- */

struct create_args {
	const char *subnet, *gateway;
	bool internal;
};

static int create_opt(int opt, const char *arg, void *ctx)
{
	struct create_args *a = ctx;

	switch (opt) {
	case 's':
		a->subnet = arg;
		break;
	case 'g':
		a->gateway = arg;
		break;
	case 'i':
		a->internal = true;
		break;
	}
	return 0;
}

static int validate_subnet(const struct sl_state *st, const char *text, struct sl_cidr *out)
{
	char buf[SL_CIDR_STRLEN], other[SL_CIDR_STRLEN];
	__be32 addr;

	if (sl_cidr_parse(text, out)) {
		const char *slash = strchr(text, '/');
		char ip[SL_IP4_STRLEN + 1];
		size_t iplen = slash ? (size_t)(slash - text) : 0;
		unsigned long plen;
		char *end;

		/* Host bits set: suggest the network address. */
		if (slash && iplen < sizeof(ip)) {
			memcpy(ip, text, iplen);
			ip[iplen] = '\0';
			plen = strtoul(slash + 1, &end, 10);
			if (!sl_ip4_parse(ip, &addr) && *end == '\0' && end != slash + 1 &&
			    plen <= 32) {
				struct sl_cidr n = {sl_cidr_network(addr, plen), plen};

				return sl_errf(-EINVAL,
					       "invalid subnet '%s': host bits are set — did you "
					       "mean %s?",
					       text, sl_cidr_fmt(&n, buf));
			}
		}
		return sl_errf(-EINVAL, "invalid subnet '%s': expected A.B.C.D/N, e.g. 10.1.0.0/24",
			       text);
	}
	if (out->prefixlen > 30)
		return sl_errf(
			-EINVAL,
			"subnet %s is too small: it needs room for a gateway and at least one "
			"container (use /30 or larger)",
			sl_cidr_fmt(out, buf));
	for (unsigned int i = 0; i < st->n_networks; i++) {
		if (sl_cidr_overlap(out, &st->networks[i].subnet))
			return sl_errf(-EEXIST,
				       "subnet %s overlaps %s of network '%s': choose a subnet "
				       "outside it",
				       sl_cidr_fmt(out, buf),
				       sl_cidr_fmt(&st->networks[i].subnet, other),
				       st->networks[i].name);
	}
	return 0;
}

static int network_create(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"subnet", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"internal", no_argument, NULL, 'i'},
		NET_OPTS_END,
	};
	struct create_args a = {0};
	struct sl_network net = {0};
	char buf[SL_CIDR_STRLEN], gw[SL_IP4_STRLEN];
	struct sl_dp dp = {0};
	struct sl_state st;
	bool up = false;
	int first, err;

	first = parse_opts(argc, argv, opts, create_opt, &a);
	if (first < 0)
		return -first;
	if ((err = want_positional(argc, first, 1,
				   "create NAME --subnet CIDR [--gateway IP] [--internal]")))
		return err;
	if (!a.subnet)
		return ctl_usage(
			"missing --subnet CIDR: usage: sluice network create NAME --subnet "
			"CIDR [--gateway IP] [--internal]");
	if ((err = check_name("network", argv[first])))
		return err;

	err = ctl_begin(c, &st);
	if (err)
		goto out;
	if (sl_state_network(&st, argv[first])) {
		err = sl_errf(-EEXIST,
			      "network '%s' already exists: pick another name or 'sluice "
			      "network rm %s' first",
			      argv[first], argv[first]);
		goto out;
	}
	if ((err = validate_subnet(&st, a.subnet, &net.subnet)))
		goto out;
	net.gateway = sl_cidr_first_host(&net.subnet);
	if (a.gateway) {
		if (sl_ip4_parse(a.gateway, &net.gateway)) {
			err = sl_errf(-EINVAL, "invalid gateway '%s': expected an IPv4 address",
				      a.gateway);
			goto out;
		}
		if (!sl_cidr_contains(&net.subnet, net.gateway) ||
		    !sl_cidr_is_host(&net.subnet, net.gateway)) {
			err = sl_errf(-EINVAL,
				      "gateway %s is not a host address of subnet %s: pick one "
				      "inside it (not the network or broadcast address)",
				      a.gateway, sl_cidr_fmt(&net.subnet, buf));
			goto out;
		}
	}
	snprintf(net.name, sizeof(net.name), "%s", argv[first]);
	net.internal = a.internal;
	net.id = sl_state_next_network_id(&st);
	if (!sl_state_add_network(&st, &net)) {
		err = sl_errf(-ENOMEM, "out of memory");
		goto out;
	}

	if ((err = open_dp_if_up(c, &dp, &up)))
		goto out;
	if (up) {
		struct sl_subnet sn = {.net_id = net.id,
				       .flags = net.internal ? SL_NET_F_INTERNAL : 0};

		err = sl_dp_subnet_put(&dp, net.subnet.addr, net.subnet.prefixlen, &sn);
		if (err)
			goto out;
	}
	err = ctl_commit(c, &st);
	if (err) {
		if (up)
			sl_dp_subnet_del(&dp, net.subnet.addr, net.subnet.prefixlen);
		goto out;
	}
	out_obj_open(NULL);
	out_str("name", "network %s created: ", net.name);
	out_u64("id", NULL, net.id);
	out_str("subnet", "subnet %s", sl_cidr_fmt(&net.subnet, buf));
	out_str("gateway", ", gateway %s", sl_ip4_fmt(net.gateway, gw));
	out_bool("internal", NULL, net.internal);
	out_text("%s\n", net.internal ? ", internal" : "");
	out_obj_close();
out:
	if (up)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

/* ---- rm ---- */

static int no_opt(int opt, const char *arg, void *ctx)
{
	(void)opt;
	(void)arg;
	(void)ctx;
	return 0;
}

static int network_rm(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {NET_OPTS_END};
	struct sl_dp dp = {0};
	struct sl_network *net;
	struct sl_network copy;
	struct sl_state st;
	unsigned int used = 0;
	bool up = false;
	int first, err;

	first = parse_opts(argc, argv, opts, no_opt, NULL);
	if (first < 0)
		return -first;
	if ((err = want_positional(argc, first, 1, "rm NAME")))
		return err;
	err = ctl_begin(c, &st);
	if (err)
		goto out;
	net = need_network(&st, argv[first]);
	if (!net) {
		err = -ENOENT;
		goto out;
	}
	for (unsigned int i = 0; i < st.n_endpoints; i++)
		used += !strcmp(st.endpoints[i].network, net->name);
	if (used) {
		err = sl_errf(-EBUSY,
			      "network '%s' has %u endpoint(s): disconnect them first (sluice "
			      "network disconnect %s CONTAINER)",
			      net->name, used, net->name);
		goto out;
	}
	copy = *net;
	sl_state_del_network(&st, net - st.networks);
	err = ctl_commit(c, &st);
	if (err)
		goto out;
	/* The state no longer has it; a failure below is cleaned by the next run. */
	if ((err = open_dp_if_up(c, &dp, &up)))
		goto out;
	if (up)
		sl_dp_subnet_del(&dp, copy.subnet.addr, copy.subnet.prefixlen);
	out_obj_open(NULL);
	out_str("removed", "network %s removed\n", copy.name);
	out_obj_close();
out:
	if (up)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

/* ---- ls / inspect ---- */

static unsigned int count_endpoints(const struct sl_state *st, const char *network)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < st->n_endpoints; i++)
		n += !strcmp(st->endpoints[i].network, network);
	return n;
}

static int network_ls(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {NET_OPTS_END};
	char sub[SL_CIDR_STRLEN], gw[SL_IP4_STRLEN];
	struct sl_state st;
	int first, err;

	first = parse_opts(argc, argv, opts, no_opt, NULL);
	if (first < 0)
		return -first;
	if ((err = want_positional(argc, first, 0, "ls")))
		return err;
	err = ctl_load(c, &st);
	if (err)
		goto out;
	out_text("%-20s %-5s %-18s %-15s %-8s %s\n", "NAME", "ID", "SUBNET", "GATEWAY", "INTERNAL",
		 "ENDPOINTS");
	out_arr_open(NULL);
	for (unsigned int i = 0; i < st.n_networks; i++) {
		const struct sl_network *n = &st.networks[i];

		out_obj_open(NULL);
		out_str("name", "%-20s ", n->name);
		out_u64("id", "%-5llu ", n->id);
		out_str("subnet", "%-18s ", sl_cidr_fmt(&n->subnet, sub));
		out_str("gateway", "%-15s ", sl_ip4_fmt(n->gateway, gw));
		out_bool("internal", "%-8s ", n->internal);
		out_u64("endpoints", "%llu\n", count_endpoints(&st, n->name));
		out_obj_close();
	}
	out_arr_close();
out:
	sl_state_free(&st);
	return err;
}

static void print_endpoint(const struct sl_ep *ep, unsigned int prefixlen)
{
	char ip[SL_IP4_STRLEN], mac[18];

	out_obj_open(NULL);
	out_str("container", "  %-20s ", ep->container);
	out_str("ip", "%s", sl_ip4_fmt(ep->addr, ip));
	out_text("/%u ", prefixlen);
	out_str("mac", "%s ", sl_mac_fmt(ep->mac, mac));
	out_str("ifname", "%s ", ep->ifname);
	out_str("host_ifname", "host %s ", ep->host_ifname);
	out_str("netns", "netns %s", ep->netns);
	out_arr_open("aliases");
	for (unsigned int a = 0; a < ep->n_aliases; a++)
		out_str(NULL, a ? ",%s" : " aliases %s", ep->aliases[a]);
	out_arr_close();
	out_text("\n");
	out_obj_close();
}

static int network_inspect(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {NET_OPTS_END};
	char sub[SL_CIDR_STRLEN], gw[SL_IP4_STRLEN];
	const struct sl_network *n;
	struct sl_state st;
	int first, err;

	first = parse_opts(argc, argv, opts, no_opt, NULL);
	if (first < 0)
		return -first;
	if ((err = want_positional(argc, first, 1, "inspect NAME")))
		return err;
	err = ctl_load(c, &st);
	if (err)
		goto out;
	n = need_network(&st, argv[first]);
	if (!n) {
		err = -ENOENT;
		goto out;
	}
	out_obj_open(NULL);
	out_str("name", "network %s\n", n->name);
	out_u64("id", "  id       %llu\n", n->id);
	out_str("subnet", "  subnet   %s\n", sl_cidr_fmt(&n->subnet, sub));
	out_str("gateway", "  gateway  %s\n", sl_ip4_fmt(n->gateway, gw));
	out_bool("internal", "  internal %s\n", n->internal);
	out_text("  endpoints:\n");
	out_arr_open("endpoints");
	for (unsigned int i = 0; i < st.n_endpoints; i++)
		if (!strcmp(st.endpoints[i].network, n->name))
			print_endpoint(&st.endpoints[i], n->subnet.prefixlen);
	out_arr_close();
	out_obj_close();
out:
	sl_state_free(&st);
	return err;
}

/* ---- connect ---- */

struct connect_args {
	const char *netns, *ip, *ifname;
	int pid;
	bool have_pid;
	unsigned int n_aliases;
	const char *aliases[SL_MAX_ALIASES];
};

static int connect_opt(int opt, const char *arg, void *ctx)
{
	struct connect_args *a = ctx;
	char *end;
	long v;

	switch (opt) {
	case 'n':
		a->netns = arg;
		break;
	case 'p':
		v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end || v <= 0 || v > 0x3fffffff)
			return ctl_usage("invalid --pid '%s': expected a process id", arg);
		a->pid = v;
		a->have_pid = true;
		break;
	case 'a':
		if (a->n_aliases >= SL_MAX_ALIASES)
			return ctl_usage("too many --alias options (at most %d)", SL_MAX_ALIASES);
		a->aliases[a->n_aliases++] = arg;
		break;
	case 'i':
		a->ip = arg;
		break;
	case 'f':
		a->ifname = arg;
		break;
	}
	return 0;
}

/* Choose or check the endpoint's address. */
static int pick_address(const struct sl_state *st, const struct sl_network *net, const char *ip,
			__be32 *out)
{
	char sub[SL_CIDR_STRLEN];
	__be32 *used;
	unsigned int n = 0;
	int err;

	if (ip) {
		if (sl_ip4_parse(ip, out))
			return sl_errf(-EINVAL, "invalid --ip '%s': expected an IPv4 address", ip);
		if (!sl_cidr_contains(&net->subnet, *out) || !sl_cidr_is_host(&net->subnet, *out))
			return sl_errf(-EINVAL,
				       "--ip %s is not a host address of network '%s' (%s): pick "
				       "one inside the subnet",
				       ip, net->name, sl_cidr_fmt(&net->subnet, sub));
		if (*out == net->gateway)
			return sl_errf(
				-EADDRINUSE,
				"--ip %s is the gateway of network '%s': pick another address", ip,
				net->name);
		for (unsigned int i = 0; i < st->n_endpoints; i++)
			if (st->endpoints[i].addr == *out)
				return sl_errf(
					-EADDRINUSE,
					"--ip %s is already used by container '%s' on network "
					"'%s': pick another address or omit --ip",
					ip, st->endpoints[i].container, st->endpoints[i].network);
		return 0;
	}
	used = calloc(st->n_endpoints + 1, sizeof(*used));
	if (!used)
		return -ENOMEM;
	for (unsigned int i = 0; i < st->n_endpoints; i++)
		if (!strcmp(st->endpoints[i].network, net->name))
			used[n++] = st->endpoints[i].addr;
	err = sl_addr_alloc(&net->subnet, net->gateway, used, n, out);
	free(used);
	if (err)
		return sl_errf(
			-ENOSPC,
			"network '%s' (%s) has no free address: remove an endpoint or create "
			"a larger network",
			net->name, sl_cidr_fmt(&net->subnet, sub));
	return 0;
}

/* true when the container's netns already has a link called name. */
static bool netns_has_link(int nsfd, const char *name)
{
	struct sl_link_info li;
	struct sl_nl *cnl;
	bool has;

	if (sl_nl_open_netns(nsfd, &cnl)) {
		sl_err_clear();
		return false; /* the veth creation reports a clash itself */
	}
	has = sl_nl_link_get(cnl, name, &li) == 0;
	sl_err_clear();
	sl_nl_close(cnl);
	return has;
}

/*
 * The container-side name: --ifname, or the lowest ethN neither this
 * container's endpoints nor its netns use.
 */
static int pick_ifname(const struct sl_state *st, const char *container, const char *want, int nsfd,
		       char out[SL_IFNAME_MAX])
{
	if (want) {
		size_t len = strlen(want);

		if (len == 0 || len >= SL_IFNAME_MAX || strchr(want, '/') || strchr(want, ' ') ||
		    strchr(want, ':') || !strcmp(want, ".") || !strcmp(want, ".."))
			return sl_errf(
				-EINVAL,
				"invalid --ifname '%s': use 1-15 characters without '/', ':' "
				"or spaces",
				want);
		for (unsigned int i = 0; i < st->n_endpoints; i++)
			if (!strcmp(st->endpoints[i].container, container) &&
			    !strcmp(st->endpoints[i].ifname, want))
				return sl_errf(-EEXIST,
					       "container '%s' already has %s (network '%s'): pick "
					       "another --ifname",
					       container, want, st->endpoints[i].network);
		snprintf(out, SL_IFNAME_MAX, "%s", want);
		return 0;
	}
	for (unsigned int n = 0; n < 1000; n++) {
		bool taken = false;

		snprintf(out, SL_IFNAME_MAX, "eth%u", n);
		for (unsigned int i = 0; i < st->n_endpoints && !taken; i++)
			taken = !strcmp(st->endpoints[i].container, container) &&
				!strcmp(st->endpoints[i].ifname, out);
		if (!taken && !netns_has_link(nsfd, out))
			return 0;
	}
	return sl_errf(-ENOSPC, "container '%s' has too many interfaces", container);
}

static int network_connect(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"netns", required_argument, NULL, 'n'}, {"pid", required_argument, NULL, 'p'},
		{"ip", required_argument, NULL, 'i'},	 {"ifname", required_argument, NULL, 'f'},
		{"alias", required_argument, NULL, 'a'}, NET_OPTS_END,
	};
	static const char grammar[] = "connect NETWORK CONTAINER { --netns PATH | --pid PID } "
				      "[--ip IP] [--ifname NAME] [--alias NAME]...";
	struct connect_args a = {0};
	char ip[SL_IP4_STRLEN], mac[18];
	struct sl_ep ep = {0};
	struct sl_link_info li;
	struct sl_network *net;
	struct sl_nl *host = NULL;
	struct sl_dp dp = {0};
	struct sl_state st;
	bool dp_open = false;
	int first, err, nsfd = -1;

	first = parse_opts(argc, argv, opts, connect_opt, &a);
	if (first < 0)
		return -first;
	if ((err = want_positional(argc, first, 2, grammar)))
		return err;
	if (!a.netns == !a.have_pid)
		return ctl_usage("give exactly one of --netns PATH or --pid PID: usage: sluice "
				 "network %s",
				 grammar);
	if ((err = check_name("container", argv[first + 1])))
		return err;
	for (unsigned int i = 0; i < a.n_aliases; i++)
		if ((err = check_name("alias", a.aliases[i])))
			return err;

	err = ctl_begin(c, &st);
	if (err)
		goto out;
	if ((err = require_up(c, &dp)))
		goto out;
	dp_open = true;
	if ((err = sl_nl_open(&host)))
		goto out;

	net = need_network(&st, argv[first]);
	if (!net) {
		err = -ENOENT;
		goto out;
	}
	snprintf(ep.network, sizeof(ep.network), "%s", net->name);
	snprintf(ep.container, sizeof(ep.container), "%s", argv[first + 1]);
	if (sl_state_endpoint(&st, ep.network, ep.container)) {
		err = sl_errf(-EEXIST,
			      "container '%s' is already connected to network '%s': disconnect it "
			      "first",
			      ep.container, ep.network);
		goto out;
	}
	if (a.netns &&
	    (strlen(a.netns) >= SL_NETNS_MAX || a.netns[0] != '/' || strchr(a.netns, ' '))) {
		err = sl_errf(-EINVAL,
			      "--netns '%s': give an absolute path without spaces, shorter than %d "
			      "characters (e.g. /run/netns/NAME)",
			      a.netns, SL_NETNS_MAX);
		goto out;
	}
	if (a.netns) {
		nsfd = sl_netns_open_path(a.netns, &ep.nsdev, &ep.nsino);
		snprintf(ep.netns, sizeof(ep.netns), "%s", a.netns);
	} else {
		nsfd = sl_netns_open_pid(a.pid, &ep.nsdev, &ep.nsino);
		snprintf(ep.netns, sizeof(ep.netns), "/proc/%d/ns/net", a.pid);
	}
	if (nsfd < 0) {
		err = nsfd;
		goto out;
	}
	/* One container name is one namespace, across all its networks. */
	for (unsigned int i = 0; i < st.n_endpoints; i++) {
		const struct sl_ep *o = &st.endpoints[i];

		if (!strcmp(o->container, ep.container) && o->nsino &&
		    (o->nsino != ep.nsino || o->nsdev != ep.nsdev)) {
			err = sl_errf(-EINVAL,
				      "container '%s' is already connected from another network "
				      "namespace (%s): use another container name",
				      ep.container, o->netns);
			goto out;
		}
	}
	if ((err = pick_address(&st, net, a.ip, &ep.addr)) ||
	    (err = pick_ifname(&st, ep.container, a.ifname, nsfd, ep.ifname)))
		goto out;
	ep_host_ifname(&c->inst, ep.network, ep.container, ep.host_ifname);
	if (sl_nl_link_get(host, ep.host_ifname, &li) == 0) {
		err = sl_errf(-EEXIST,
			      "host interface %s (for %s/%s) already exists and is not sluice's: "
			      "remove it or use another container name",
			      ep.host_ifname, ep.network, ep.container);
		goto out;
	}
	sl_err_clear();
	{
		__u8 hmac[6];

		ep_macs(ep.addr, ep.mac, hmac);
	}
	ep.n_aliases = a.n_aliases;
	for (unsigned int i = 0; i < a.n_aliases; i++)
		snprintf(ep.aliases[i], SL_NAME_MAX, "%s", a.aliases[i]);

	err = ep_plumb(&c->inst, host, &dp, net, &ep, nsfd, ctl_xdp_on(&st));
	if (err)
		goto out;
	/* The gateway address is the host's now: containers' hairpin traffic matches it. */
	if ((err = sync_hostaddrs(host, &dp)) || (err = ep_dns_lo_attach(&dp, &ep, nsfd))) {
		ep_unplumb(host, &dp, &ep);
		ep_dns_lo_release(&st, &ep);
		goto out;
	}
	sl_crashpoint("connect-before-state");
	if (!sl_state_add_endpoint(&st, &ep)) {
		err = sl_errf(-ENOMEM, "out of memory");
		ep_unplumb(host, &dp, &ep);
		ep_dns_lo_release(&st, &ep);
		goto out;
	}
	err = ctl_commit(c, &st);
	if (err) {
		ep_unplumb(host, &dp, &ep);
		ep_dns_lo_release(&st, &ep);
		goto out;
	}
	out_obj_open(NULL);
	out_str("container", "%s", ep.container);
	out_str("network", " connected to %s: ", ep.network);
	out_str("ifname", "%s ", ep.ifname);
	out_str("ip", "%s", sl_ip4_fmt(ep.addr, ip));
	out_text("/%u", net->subnet.prefixlen);
	out_str("mac", " mac %s", sl_mac_fmt(ep.mac, mac));
	out_str("host_ifname", " (host side %s)\n", ep.host_ifname);
	out_obj_close();
out:
	if (nsfd >= 0)
		close(nsfd);
	sl_nl_close(host);
	if (dp_open)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

/* ---- disconnect ---- */

static int network_disconnect(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {NET_OPTS_END};
	struct sl_nl *host = NULL;
	struct sl_dp dp = {0};
	struct sl_ep *ep, copy;
	struct sl_port *ports = NULL;
	struct sl_state st;
	bool up = false;
	int first, err, n_ports = 0;

	first = parse_opts(argc, argv, opts, no_opt, NULL);
	if (first < 0)
		return -first;
	if ((err = want_positional(argc, first, 2, "disconnect NETWORK CONTAINER")))
		return err;
	err = ctl_begin(c, &st);
	if (err)
		goto out;
	if (!need_network(&st, argv[first])) {
		err = -ENOENT;
		goto out;
	}
	ep = sl_state_endpoint(&st, argv[first], argv[first + 1]);
	if (!ep) {
		err = sl_errf(
			-ENOENT,
			"container '%s' is not connected to network '%s': see 'sluice network "
			"inspect %s'",
			argv[first + 1], argv[first], argv[first]);
		goto out;
	}
	copy = *ep;
	sl_state_del_endpoint(&st, ep - st.endpoints);
	/* Its published ports go with it, as Docker's go with a stopped container. */
	n_ports = ports_take_endpoint(&st, copy.network, copy.container, &ports);
	if (n_ports < 0) {
		err = sl_errf(n_ports, "out of memory");
		goto out;
	}
	/* State first: if we die below, the next run removes the orphaned veth. */
	if ((err = ctl_commit(c, &st)))
		goto out;
	if ((err = open_dp_if_up(c, &dp, &up)))
		goto out;
	if ((err = sl_nl_open(&host)))
		goto out;
	sl_crashpoint("disconnect-after-state");
	if (up)
		ports_unapply_all(&dp, ports, n_ports);
	err = ep_unplumb(host, up ? &dp : NULL, &copy);
	if (err)
		goto out;
	/* The endpoint is gone either way: a program left on lo only earns a warning. */
	if (ep_dns_lo_release(&st, &copy)) {
		sl_warn("warning: container %s: sl_dns_lo stays on its lo (%s); 'tc filter del "
			"dev lo ingress' in its namespace removes it\n",
			copy.container, sl_err_msg());
		sl_err_clear();
	}
	out_obj_open(NULL);
	out_str("container", "%s", copy.container);
	out_str("network", " disconnected from %s", copy.network);
	out_u64("ports_unpublished", n_ports ? " (%llu published port(s) removed)" : NULL, n_ports);
	out_text("\n");
	out_obj_close();
out:
	free(ports);
	sl_nl_close(host);
	if (up)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

static const struct ctl_cmd network_cmds[] = {
	{"create", network_create},
	{"rm", network_rm},
	{"ls", network_ls},
	{"list", network_ls},
	{"inspect", network_inspect},
	{"connect", network_connect},
	{"disconnect", network_disconnect},
	{NULL, NULL},
};

int cmd_network(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && ctl_wants_help(argc - 1, argv + 1)) {
		usage_network();
		return 0;
	}
	return ctl_dispatch(c, network_cmds, "network command", argc - 1, argv + 1, usage_network);
}
