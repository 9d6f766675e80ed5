// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_port.c - `sluice port publish|unpublish|ls`: Docker's -p, served by
 * the uplink tc program instead of iptables DNAT and docker-proxy.
 *
 * publish validates every spec of the command (syntax, host address,
 * conflicts with other mappings and with local sockets), allocates host
 * ports, installs all mappings and only then writes the state: a range is
 * all or nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "ctl.h"
#include "datapath.h"
#include "log.h"
#include "nl.h"
#include "out.h"
#include "ports.h"
#include "portspec.h"
#include "proxyreg.h"
#include "sockets.h"

#define MAX_SPECS 64

static void usage_port(void)
{
	fprintf(stderr,
		"Usage: sluice port publish CONTAINER SPEC... [--allow CIDR]... [--network NAME]\n"
		"       sluice port unpublish CONTAINER [SPEC...]\n"
		"       sluice port ls [CONTAINER]\n"
		"\n"
		"SPEC := [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|/udp]   (Docker's "
		"-p)\n"
		"  8080:80          host port 8080 on every host address -> container port 80/tcp\n"
		"  127.0.0.1:8080:80  only that host address\n"
		"  80  or  127.0.0.1::80   a free host port from ip_local_port_range\n"
		"  8000-8010:8000-8010/udp  ranges map one to one and must have equal length\n"
		"--allow CIDR   only these source networks may connect (default: everyone)\n"
		"--network NAME the container's network whose address serves the ports\n"
		"               (default: the first network it joined)\n");
}

/* ---- the set of host ports in use: existing mappings plus this command's ---- */

struct port_table {
	/* head[proto_idx][port] = 1 + index into ports[], 0 = none; next[] chains. */
	unsigned int *head[2];
	unsigned int *next;
	const struct sl_port **ports;
	unsigned int n, cap;
	__u8 held[2][65536 / 8]; /* ports held by local sockets (any address) */
};

static int proto_idx(__u8 proto)
{
	return proto == IPPROTO_UDP;
}

static int table_init(struct port_table *t, unsigned int cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->head[0] = calloc(65536, sizeof(unsigned int));
	t->head[1] = calloc(65536, sizeof(unsigned int));
	t->next = calloc(cap, sizeof(unsigned int));
	t->ports = calloc(cap, sizeof(*t->ports));
	if (!t->head[0] || !t->head[1] || !t->next || !t->ports)
		return -ENOMEM;
	sl_ports_held(IPPROTO_TCP, t->held[0]);
	sl_ports_held(IPPROTO_UDP, t->held[1]);
	return 0;
}

static void table_free(struct port_table *t)
{
	free(t->head[0]);
	free(t->head[1]);
	free(t->next);
	free(t->ports);
}

static void table_add(struct port_table *t, const struct sl_port *p)
{
	unsigned int *h = &t->head[proto_idx(p->proto)][p->host_port];

	if (t->n >= t->cap)
		return;
	t->ports[t->n] = p;
	t->next[t->n] = *h;
	*h = ++t->n;
}

/* The mapping that already holds addr:port/proto, or NULL. */
static const struct sl_port *table_conflict(const struct port_table *t, __u8 proto, __be32 addr,
					    __u16 port)
{
	for (unsigned int i = t->head[proto_idx(proto)][port]; i; i = t->next[i - 1]) {
		const struct sl_port *p = t->ports[i - 1];

		if (!p->host_addr || !addr || p->host_addr == addr)
			return p;
	}
	return NULL;
}

struct alloc_ctx {
	const struct port_table *t;
	__be32 addr;
};

static bool port_busy(__u16 port, __u8 proto, void *arg)
{
	const struct alloc_ctx *a = arg;

	return table_conflict(a->t, proto, a->addr, port) ||
	       (a->t->held[proto_idx(proto)][port / 8] & (1U << (port % 8)));
}

/* Why addr:port/proto cannot be published, as an error; 0 when it can. */
static int check_free(const struct port_table *t, __u8 proto, __be32 addr, __u16 port)
{
	const char *pname = proto == IPPROTO_UDP ? "udp" : "tcp";
	char ip[SL_IP4_STRLEN], holder[128];
	const struct sl_port *p;

	p = table_conflict(t, proto, addr, port);
	if (p)
		return sl_errf(-EADDRINUSE,
			       "host port %s:%u/%s is already published by container '%s' "
			       "(%s:%u -> %u): unpublish it first or pick another host port",
			       sl_ip4_fmt(addr, ip), port, pname, p->container,
			       sl_ip4_fmt(p->host_addr, ip), p->host_port, p->container_port);
	if ((t->held[proto_idx(proto)][port / 8] & (1U << (port % 8))) &&
	    sl_port_holder(proto, addr, port, holder, sizeof(holder)) == 1)
		return sl_errf(-EADDRINUSE,
			       "host port %s:%u/%s is in use by a local socket of %s: stop it or "
			       "pick another host port",
			       sl_ip4_fmt(addr, ip), port, pname, holder);
	return 0;
}

/* A live sluice-proxy mapping (dockerd's) holding addr:port/proto, as an error. */
static int check_proxy(const struct sl_instance *inst, __u8 proto, __be32 addr, __u16 port)
{
	char ip[SL_IP4_STRLEN], cip[SL_IP4_STRLEN];
	struct sl_proxyreg r;

	if (sl_proxyreg_conflict(inst, proto, addr, port, &r) != 1)
		return 0;
	return sl_errf(-EADDRINUSE,
		       "host port %s:%u/%s is already published by dockerd (sluice-proxy pid %d, "
		       "-> %s:%u): stop that container or pick another host port",
		       sl_ip4_fmt(addr, ip), port, proto == IPPROTO_UDP ? "udp" : "tcp", r.pid,
		       sl_ip4_fmt(r.container_addr, cip), r.container_port);
}

/* ---- publish ---- */

struct publish_args {
	const char *network;
	unsigned int n_allow;
	struct sl_cidr allow[SL_MAX_PORT_ALLOW];
};

static int publish_opt(struct publish_args *a, int opt, const char *arg)
{
	char buf[SL_CIDR_STRLEN];

	if (opt == 'n') {
		a->network = arg;
		return 0;
	}
	if (a->n_allow >= SL_MAX_PORT_ALLOW)
		return ctl_usage("too many --allow options (at most %d)", SL_MAX_PORT_ALLOW);
	if (sl_cidr_parse(arg, &a->allow[a->n_allow])) {
		const char *slash = strchr(arg, '/');
		__be32 addr;

		if (!slash && !sl_ip4_parse(arg, &addr))
			return ctl_usage("invalid --allow '%s': give a CIDR, e.g. %s/32", arg, arg);
		return ctl_usage("invalid --allow '%s': expected a CIDR like 10.0.0.0/8 with the "
				 "host bits zero",
				 arg);
	}
	for (unsigned int i = 0; i < a->n_allow; i++)
		if (a->allow[i].addr == a->allow[a->n_allow].addr &&
		    a->allow[i].prefixlen == a->allow[a->n_allow].prefixlen)
			return ctl_usage("--allow %s given twice", sl_cidr_fmt(&a->allow[i], buf));
	a->n_allow++;
	return 0;
}

/* The endpoint that serves the container's ports. */
static const struct sl_ep *serving_endpoint(struct sl_state *st, const char *container,
					    const char *network)
{
	if (network) {
		const struct sl_ep *ep = sl_state_endpoint(st, network, container);

		if (!ep)
			sl_errf(-ENOENT,
				"container '%s' is not connected to network '%s': see 'sluice "
				"network "
				"inspect %s'",
				container, network, network);
		return ep;
	}
	for (unsigned int i = 0; i < st->n_endpoints; i++)
		if (!strcmp(st->endpoints[i].container, container))
			return &st->endpoints[i];
	sl_errf(-ENOENT,
		"container '%s' is not connected to any network: run 'sluice network connect "
		"NETWORK %s --netns PATH' first",
		container, container);
	return NULL;
}

/* Check a spec's host address: IPv4, and an address of this host unless 0.0.0.0. */
static int check_host_addr(struct sl_nl *host, const char *text, const struct sl_portspec *ps)
{
	char ip[SL_IP4_STRLEN];
	int local;

	if (ps->family != AF_INET)
		return sl_errf(-EAFNOSUPPORT,
			       "port spec \"%s\": IPv6 host addresses cannot be served yet (the "
			       "datapath is IPv4-only): publish on an IPv4 address or omit it",
			       text);
	if (!ps->host_ip4)
		return 0;
	local = sl_nl_addr_is_local(host, ps->host_ip4);
	if (local < 0)
		return local;
	if (!local)
		return sl_errf(
			-EADDRNOTAVAIL,
			"port spec \"%s\": %s is not an address of this host: use one of its "
			"addresses (ip -4 addr) or omit it for every address",
			text, sl_ip4_fmt(ps->host_ip4, ip));
	return 0;
}

static void print_mapping(const struct sl_port *p, bool with_container)
{
	char line[SL_PORT_DOCKER_STRLEN], ip[SL_IP4_STRLEN], cidr[SL_CIDR_STRLEN];

	sl_port_fmt_docker(p->container_port, p->proto, AF_INET, &p->host_addr, p->host_port, line,
			   sizeof(line));
	out_obj_open(NULL);
	out_str("container", with_container ? "%-20s " : NULL, p->container);
	out_str("network", NULL, p->network);
	out_u64("id", NULL, p->id);
	out_str("proto", NULL, p->proto == IPPROTO_UDP ? "udp" : "tcp");
	out_u64("container_port", NULL, p->container_port);
	out_str("host_ip", NULL, sl_ip4_fmt(p->host_addr, ip));
	out_u64("host_port", NULL, p->host_port);
	out_text("%s", line);
	out_arr_open("allow");
	for (unsigned int i = 0; i < p->n_allow; i++)
		out_str(NULL, i ? ",%s" : " (allow %s", sl_cidr_fmt(&p->allow[i], cidr));
	out_arr_close();
	out_text("%s", p->n_allow ? ")" : "");
}

static int port_publish(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"allow", required_argument, NULL, 'a'},
		{"network", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct sl_portspec specs[MAX_SPECS];
	const char *spec_text[MAX_SPECS];
	struct publish_args a = {0};
	struct port_table table = {0};
	struct sl_port *added = NULL;
	unsigned int n_specs = 0, n_added = 0, total = 0, n_applied = 0;
	__u8 *ids_used = NULL;
	__u32 next_id = 1;
	__u16 lo, hi;
	struct sl_nl *host = NULL;
	struct sl_dp dp = {0};
	const struct sl_ep *ep;
	struct sl_state st;
	bool dp_open = false;
	int opt, err;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (opt == '?')
			return ctl_usage("unknown option '%s': see 'sluice port --help'",
					 argv[optind - 1]);
		if (opt == ':')
			return ctl_usage("option '%s' needs a value", argv[optind - 1]);
		if ((err = publish_opt(&a, opt, optarg)))
			return err;
	}
	if (argc - optind < 2)
		return ctl_usage("missing arguments: usage: sluice port publish CONTAINER SPEC... "
				 "[--allow CIDR]... [--network NAME]");
	if (argc - optind - 1 > MAX_SPECS)
		return ctl_usage("too many specs (at most %d per command): use ranges", MAX_SPECS);
	for (int i = optind + 1; i < argc; i++) {
		char msg[SL_PORTSPEC_ERRLEN];

		if (sl_portspec_parse(argv[i], &specs[n_specs], msg, sizeof(msg)))
			return ctl_usage("%s", msg);
		spec_text[n_specs] = argv[i];
		total += sl_portspec_count(&specs[n_specs]);
		n_specs++;
	}

	err = ctl_begin(c, &st);
	if (err)
		goto out;
	if ((err = sl_dp_open(&c->inst, &dp)))
		goto out;
	dp_open = true;
	sl_proxyreg_reap(&c->inst, &dp); /* sluice-proxy mappings of dead owners free their ports */
	if ((err = sl_nl_open(&host)))
		goto out;
	ep = serving_endpoint(&st, argv[optind], a.network);
	if (!ep) {
		err = -ENOENT;
		goto out;
	}
	if (st.n_ports + total > SL_STATE_MAX_PORTS) {
		err = sl_errf(-ENOSPC, "publishing %u more ports exceeds the limit of %d", total,
			      SL_STATE_MAX_PORTS);
		goto out;
	}
	for (unsigned int i = 0; i < n_specs; i++)
		if ((err = check_host_addr(host, spec_text[i], &specs[i])))
			goto out;
	/* Local clients match 0.0.0.0 mappings on the host's current addresses. */
	if ((err = sync_hostaddrs(host, &dp)))
		goto out;
	if (sl_port_range_read(&lo, &hi)) {
		/* Docker's fallback when the sysctl cannot be read. */
		lo = 49153;
		hi = 65535;
	}

	added = calloc(total, sizeof(*added));
	ids_used = calloc(1, SL_PORT_ID_BITMAP_BYTES);
	if (!added || !ids_used || (err = table_init(&table, st.n_ports + total))) {
		err = sl_errf(-ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < st.n_ports; i++) {
		table_add(&table, &st.ports[i]);
		ids_used[st.ports[i].id / 8] |= 1U << (st.ports[i].id % 8);
	}

	/* Validate and expand every spec before touching anything. */
	for (unsigned int s = 0; s < n_specs; s++) {
		const struct sl_portspec *ps = &specs[s];
		unsigned int n = sl_portspec_count(ps);
		__u16 *hports = calloc(n, sizeof(*hports));
		struct alloc_ctx actx = {.t = &table, .addr = ps->host_ip4};

		if (!hports) {
			err = -ENOMEM;
			goto out;
		}
		if (ps->host_port_first) {
			for (unsigned int k = 0; k < n; k++)
				hports[k] = ps->host_port_first + k;
		} else if (sl_port_alloc(lo, hi, ps->proto, n, port_busy, &actx, hports)) {
			free(hports);
			err = sl_errf(-ENOSPC,
				      "port spec \"%s\": no %u free host port(s) left in %u-%u "
				      "(ip_local_port_range): give host ports explicitly",
				      spec_text[s], n, lo, hi);
			goto out;
		}
		for (unsigned int k = 0; k < n; k++) {
			struct sl_port *p = &added[n_added];

			if ((err = check_free(&table, ps->proto, ps->host_ip4, hports[k])) ||
			    (err = check_proxy(&c->inst, ps->proto, ps->host_ip4, hports[k]))) {
				free(hports);
				goto out;
			}
			while (next_id < 65536 && (ids_used[next_id / 8] & (1U << (next_id % 8))))
				next_id++;
			if (next_id >= SL_PROXY_ID_BASE) {
				free(hports);
				err = sl_errf(-ENOSPC, "no free mapping id: at most %d mappings",
					      SL_PROXY_ID_BASE - 1);
				goto out;
			}
			ids_used[next_id / 8] |= 1U << (next_id % 8);
			snprintf(p->container, sizeof(p->container), "%s", ep->container);
			snprintf(p->network, sizeof(p->network), "%s", ep->network);
			p->id = next_id;
			p->proto = ps->proto;
			p->host_addr = ps->host_ip4;
			p->host_port = hports[k];
			p->container_port = ps->container_port_first + k;
			p->n_allow = a.n_allow;
			memcpy(p->allow, a.allow, sizeof(a.allow));
			table_add(&table, p);
			n_added++;
		}
		free(hports);
	}

	/* Apply: datapath first, then the state; undo the datapath if the state fails. */
	for (; n_applied < n_added; n_applied++)
		if ((err = port_apply(&dp, &st, &added[n_applied])))
			goto undo;
	sl_crashpoint("publish-before-state");
	for (unsigned int i = 0; i < n_added; i++)
		if (!sl_state_add_port(&st, &added[i])) {
			err = sl_errf(-ENOMEM, "out of memory");
			goto undo;
		}
	if ((err = ctl_commit(c, &st)))
		goto undo;

	out_arr_open(NULL);
	for (unsigned int i = 0; i < n_added; i++) {
		print_mapping(&added[i], false);
		out_text("\n");
		out_obj_close();
	}
	out_arr_close();
	goto out;
undo:
	for (unsigned int i = 0; i < n_applied; i++)
		port_unapply(&dp, &added[i]);
out:
	table_free(&table);
	free(added);
	free(ids_used);
	sl_nl_close(host);
	if (dp_open)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

/* ---- unpublish ---- */

static bool spec_matches(const struct sl_portspec *ps, const struct sl_port *p)
{
	unsigned int off;

	if (ps->proto != p->proto || p->container_port < ps->container_port_first ||
	    p->container_port > ps->container_port_last)
		return false;
	off = p->container_port - ps->container_port_first;
	if (ps->host_port_first && p->host_port != ps->host_port_first + off)
		return false;
	if (ps->family == AF_INET && ps->host_ip4 && ps->host_ip4 != p->host_addr)
		return false;
	return true;
}

static int port_unpublish(struct ctl *c, int argc, char **argv)
{
	struct sl_portspec specs[MAX_SPECS];
	struct sl_port *gone = NULL;
	unsigned int n_specs = 0, n_gone = 0;
	struct sl_dp dp = {0};
	struct sl_state st;
	bool dp_open = false;
	int err;

	if (argc < 2)
		return ctl_usage(
			"missing CONTAINER: usage: sluice port unpublish CONTAINER [SPEC...]");
	if (argc - 2 > MAX_SPECS)
		return ctl_usage("too many specs (at most %d per command)", MAX_SPECS);
	for (int i = 2; i < argc; i++) {
		char msg[SL_PORTSPEC_ERRLEN];

		if (argv[i][0] == '-')
			return ctl_usage("unknown option '%s': see 'sluice port --help'", argv[i]);
		if (sl_portspec_parse(argv[i], &specs[n_specs++], msg, sizeof(msg)))
			return ctl_usage("%s", msg);
	}
	err = ctl_begin(c, &st);
	if (err)
		goto out;
	gone = calloc(st.n_ports + 1, sizeof(*gone));
	if (!gone) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < st.n_ports;) {
		const struct sl_port *p = &st.ports[i];
		bool match = !strcmp(p->container, argv[1]) && !n_specs;

		for (unsigned int s = 0; s < n_specs && !match; s++)
			match = !strcmp(p->container, argv[1]) && spec_matches(&specs[s], p);
		if (!match) {
			i++;
			continue;
		}
		gone[n_gone++] = *p;
		sl_state_del_port(&st, i);
	}
	if (!n_gone) {
		err = sl_errf(-ENOENT,
			      "container '%s' has no published port%s: see 'sluice port ls %s'",
			      argv[1], n_specs ? " matching the given specs" : "s", argv[1]);
		goto out;
	}
	/* State first: if we die below, the next 'sluice up' removes the stale entries. */
	if ((err = ctl_commit(c, &st)))
		goto out;
	if (sl_dp_is_up(&c->inst)) {
		if ((err = sl_dp_open(&c->inst, &dp)))
			goto out;
		dp_open = true;
		ports_unapply_all(&dp, gone, n_gone);
	}
	out_obj_open(NULL);
	out_str("container", "%s: ", argv[1]);
	out_u64("unpublished", "%llu port(s) unpublished\n", n_gone);
	out_obj_close();
out:
	free(gone);
	if (dp_open)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

/* ---- ls ---- */

/* `port ls`: a sluice-proxy mapping, shown as container "(docker) IP:PORT". */
static int ls_proxy(const struct sl_proxyreg *r, void *arg)
{
	const struct sl_dp *dp = arg;
	struct sl_port p = {.id = r->id,
			    .proto = r->proto,
			    .host_addr = r->host_addr,
			    .host_port = r->host_port,
			    .container_port = r->container_port};
	struct sl_svc_counter ctr = {0};
	char ip[SL_IP4_STRLEN];

	snprintf(p.container, sizeof(p.container), "(docker) %s:%u",
		 sl_ip4_fmt(r->container_addr, ip), r->container_port);
	snprintf(p.network, sizeof(p.network), "%s", r->bridge);
	print_mapping(&p, true);
	out_u64("proxy_pid", NULL, r->pid);
	if (dp && sl_dp_svc_stats_read(dp, r->id, &ctr) == 0 && sl_log_get_level() > 0)
		out_text("  packets %llu bytes %llu flows %llu", (unsigned long long)ctr.packets,
			 (unsigned long long)ctr.bytes, (unsigned long long)ctr.flows);
	sl_err_clear();
	out_u64("packets", NULL, ctr.packets);
	out_u64("bytes", NULL, ctr.bytes);
	out_u64("flows", NULL, ctr.flows);
	out_text("\n");
	out_obj_close();
	return 0;
}

static int port_ls(struct ctl *c, int argc, char **argv)
{
	const char *container = argc > 1 ? argv[1] : NULL;
	struct sl_dp dp = {0};
	struct sl_state st;
	bool up = false;
	int err;

	if (argc > 2)
		return ctl_usage("too many arguments: usage: sluice port ls [CONTAINER]");
	err = ctl_load(c, &st);
	if (err)
		goto out;
	up = sl_dp_is_up(&c->inst) && sl_dp_open(&c->inst, &dp) == 0;
	sl_err_clear();
	out_arr_open(NULL);
	for (unsigned int i = 0; i < st.n_ports; i++) {
		const struct sl_port *p = &st.ports[i];
		struct sl_svc_counter ctr = {0};

		if (container && strcmp(p->container, container))
			continue;
		print_mapping(p, !container);
		if (up && sl_dp_svc_stats_read(&dp, p->id, &ctr) == 0 && sl_log_get_level() > 0)
			out_text("  packets %llu bytes %llu flows %llu",
				 (unsigned long long)ctr.packets, (unsigned long long)ctr.bytes,
				 (unsigned long long)ctr.flows);
		sl_err_clear();
		out_u64("packets", NULL, ctr.packets);
		out_u64("bytes", NULL, ctr.bytes);
		out_u64("flows", NULL, ctr.flows);
		out_text("\n");
		out_obj_close();
	}
	if (!container)
		sl_proxyreg_foreach(&c->inst, ls_proxy, up ? &dp : NULL);
	out_arr_close();
out:
	if (up)
		sl_dp_close(&dp);
	sl_state_free(&st);
	return err;
}

static const struct ctl_cmd port_cmds[] = {
	{"publish", port_publish},
	{"unpublish", port_unpublish},
	{"ls", port_ls},
	{"list", port_ls},
	{NULL, NULL},
};

int cmd_port(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && ctl_wants_help(argc - 1, argv + 1)) {
		usage_port();
		return 0;
	}
	return ctl_dispatch(c, port_cmds, "port command", argc - 1, argv + 1, usage_port);
}
