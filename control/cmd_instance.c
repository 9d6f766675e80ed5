// SPDX-License-Identifier: BSD-2-Clause
/* cmd_instance.c - `sluice up|down|status|stats`: the instance's lifecycle. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <arpa/inet.h>

#include "ctl.h"
#include "datapath.h"
#include "endpoint.h"
#include "log.h"
#include "nl.h"
#include "out.h"
#include "ports.h"
#include "proxyreg.h"

static void usage_up(void)
{
	fprintf(stderr,
		"Usage: sluice up [--uplink IFACE]... [--xdp { native | generic | off }]\n"
		"                 [--cgroup { PATH | root | none }]\n"
		"                 [--no-dns | --dns-upstream { IP[:PORT] | none }...]\n"
		"                 [--ct-max ENTRIES]\n"
		"Load (or reload) the datapath, keeping the pinned maps, and restore every\n"
		"network, endpoint and published port of the state file. Safe to run again.\n"
		"  --uplink  interfaces where remote clients reach published ports\n"
		"            (replaces the recorded list; default: keep it)\n"
		"  --xdp     XDP fast path on the uplinks in front of tc; default: the\n"
		"            recorded mode, else native where the driver supports it\n"
		"  --cgroup  cgroup v2 directory whose processes reach published ports at the\n"
		"            socket (localhost, host addresses); 'root' = the whole host (the\n"
		"            cgroup v2 root), 'none' detaches. Default: the recorded one, else\n"
		"            $SLUICE_CGROUP, else none.\n"
		"  --no-dns  do not start sluice-dnsd (container names on 127.0.0.11)\n"
		"  --dns-upstream  where dnsd forwards other names (default: "
		"$SLUICE_DNS_UPSTREAM,\n"
		"            else /etc/resolv.conf); 'none' answers local names only\n"
		"  --ct-max  size of the conntrack table in entries, two per flow (%u..%u,\n"
		"            default %u); set when the table is created: a live instance\n"
		"            keeps its size until 'sluice down'\n",
		SL_CT_MAX_MIN, SL_CT_MAX_MAX, SL_CT_MAX);
}

static void usage_down(void)
{
	fprintf(stderr,
		"Usage: sluice down [--purge]\n"
		"Remove every endpoint's veth and the pinned datapath. The state file stays,\n"
		"so 'sluice up' restores the topology; --purge deletes it too.\n");
}

/* Simple option loop for commands with only a few flags. */
static int opt_loop(int argc, char **argv, const struct option *opts, const char *help_cmd,
		    int (*fn)(int opt, const char *arg, void *ctx), void *ctx)
{
	int opt, err;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (opt == '?')
			return -ctl_usage("unknown option '%s': see 'sluice %s --help'",
					  argv[optind - 1], help_cmd);
		if (opt == ':')
			return -ctl_usage("option '%s' needs a value: see 'sluice %s --help'",
					  argv[optind - 1], help_cmd);
		if ((err = fn(opt, optarg, ctx)))
			return -err;
	}
	if (optind != argc)
		return -ctl_usage("unexpected argument '%s': see 'sluice %s --help'", argv[optind],
				  help_cmd);
	return 0;
}

struct up_args {
	unsigned int n_uplinks;
	const char *uplinks[SL_STATE_MAX_UPLINKS];
	const char *cgroup;
	const char *xdp;
	bool no_dns;
	unsigned int n_dns;
	const char *dns[SL_MAX_DNS_UPSTREAMS];
	unsigned int ct_max; /* 0: the pinned table's size, else SL_CT_MAX */
};

static int up_opt(int opt, const char *arg, void *ctx)
{
	struct up_args *a = ctx;
	enum sl_xdp_mode mode;

	if (opt == 'n')
		a->no_dns = true;
	if (opt == 't') {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		if (arg[0] < '0' || arg[0] > '9' || *end || errno || v < SL_CT_MAX_MIN ||
		    v > SL_CT_MAX_MAX)
			return ctl_usage(
				"invalid --ct-max '%s': give the conntrack table's size in "
				"entries (two per flow), %u to %u; default %u",
				arg, SL_CT_MAX_MIN, SL_CT_MAX_MAX, SL_CT_MAX);
		a->ct_max = v;
	}
	if (opt == 'd') {
		if (a->n_dns >= SL_MAX_DNS_UPSTREAMS)
			return ctl_usage("too many --dns-upstream options (at most %d)",
					 SL_MAX_DNS_UPSTREAMS);
		a->dns[a->n_dns++] = arg;
	}
	if (opt == 'x') {
		if (sl_xdp_mode_parse(arg, &mode))
			return ctl_usage("invalid --xdp '%s': expected native, generic or off",
					 arg);
		a->xdp = arg;
	}
	if (opt == 'c') {
		if (strcmp(arg, "none") && strcmp(arg, "root") &&
		    (arg[0] != '/' || strlen(arg) >= SL_NETNS_MAX || strchr(arg, ' ')))
			return ctl_usage("invalid --cgroup '%s': give an absolute path without "
					 "spaces, 'root' or 'none'",
					 arg);
		a->cgroup = arg;
	}
	if (opt == 'u') {
		if (a->n_uplinks >= SL_STATE_MAX_UPLINKS)
			return ctl_usage("too many --uplink options (at most %d)",
					 SL_STATE_MAX_UPLINKS);
		a->uplinks[a->n_uplinks++] = arg;
	}
	return 0;
}

/*
 * Install every mapping of the state (their endpoints were just restored).
 * A mapping whose endpoint is gone is dropped from the state with a warning;
 * mappings the state no longer has went in ep_reconcile.
 */
static int restore_ports(const struct sl_dp *dp, struct sl_state *st)
{
	for (unsigned int i = 0; i < st->n_ports;) {
		if (port_apply(dp, st, &st->ports[i]) == 0) {
			i++;
			continue;
		}
		sl_warn("warning: %s\n", sl_err_msg());
		sl_err_clear();
		sl_state_del_port(st, i);
	}
	return 0;
}

/* The cgroup v2 root: /sys/fs/cgroup/unified on hybrid hosts, else /sys/fs/cgroup. */
static const char *cgroup2_root(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

/* Attach (or swap, or detach) the socket-level hooks and record the cgroup. */
static int up_cgroup(struct ctl *c, struct sl_state *st, const char *want)
{
	const char *env = getenv("SLUICE_CGROUP");
	const char *cg;
	int err;

	if (want)
		cg = want;
	else if (st->cgroup[0])
		cg = st->cgroup;
	else if (env && *env)
		cg = env;
	else
		cg = "none";
	/* Host-wide hooks are an explicit choice: they see every process of the machine. */
	if (!strcmp(cg, "root"))
		cg = cgroup2_root();
	if (!strcmp(cg, "none")) {
		st->cgroup[0] = '\0';
		return sl_dp_detach_sock(&c->inst);
	}
	/* Moving to another cgroup: the old links go first. */
	if (st->cgroup[0] && strcmp(st->cgroup, cg) && (err = sl_dp_detach_sock(&c->inst)))
		return err;
	err = sl_dp_attach_sock(&c->inst, cg);
	if (!err && cg != st->cgroup)
		snprintf(st->cgroup, sizeof(st->cgroup), "%s", cg);
	return err;
}

int sync_hostaddrs(struct sl_nl *host, const struct sl_dp *dp)
{
	__be32 addrs[SL_MAX_HOSTADDRS];
	int n = sl_nl_addr_list(host, addrs, SL_MAX_HOSTADDRS);

	if (n < 0)
		return n;
	return sl_dp_hostaddrs_sync(dp, addrs, n);
}

static bool uplink_listed(const struct up_args *a, const char *name)
{
	for (unsigned int i = 0; i < a->n_uplinks; i++)
		if (!strcmp(a->uplinks[i], name))
			return true;
	return false;
}

static void detach_uplink(struct sl_nl *host, const char *name)
{
	struct sl_link_info li;

	if (sl_nl_link_get(host, name, &li) == 0) {
		sl_dp_xdp_detach(li.ifindex);
		sl_dp_detach_tc_ingress(li.ifindex);
	}
	sl_err_clear();
}

/*
 * Bring back one endpoint after a reload or a `down`: refresh it when its
 * veth exists, rebuild it otherwise. False when its container is gone for
 * good (the caller drops it from the state).
 */
static bool restore_endpoint(struct ctl *c, struct sl_nl *host, const struct sl_dp *dp,
			     const struct sl_network *net, const struct sl_ep *ep, bool xdp)
{
	struct sl_nl *cnl = NULL;
	int fd, err;

	fd = ep_netns_open(ep);
	if (fd < 0) {
		sl_warn("warning: endpoint %s/%s removed: its container is gone (%s)\n",
			ep->network, ep->container, sl_err_msg());
		sl_err_clear();
		return false;
	}
	err = ep_refresh(host, dp, net, ep);
	if (err == -ENODEV) {
		sl_err_clear();
		err = ep_plumb(&c->inst, host, dp, net, ep, fd, xdp);
	} else if (!err && !(err = sl_nl_open_netns(fd, &cnl))) {
		err = ep_set_xdp_pass(cnl, dp, ep, fd, xdp);
		sl_nl_close(cnl);
	}
	if (!err)
		err = ep_dns_lo_attach(dp, ep, fd);
	close(fd);
	if (err) {
		sl_warn("warning: endpoint %s/%s not restored: %s\n", ep->network, ep->container,
			sl_err_msg());
		sl_err_clear();
	}
	return true;
}

/*
 * Attach the uplink programs: tc always (it serves every published port and
 * is the fallback), XDP in front of it as chosen. tc goes first, so a mode
 * change never leaves a window without a program answering. Records the
 * resolved XDP mode in the state.
 */
static int up_uplinks(struct sl_nl *host, const struct sl_dp *dp, struct sl_state *st,
		      const char *want_xdp)
{
	enum sl_xdp_mode mode = SL_XDP_NATIVE, was;
	bool fallback = false;
	struct sl_link_info li;
	int err;

	if (want_xdp)
		sl_xdp_mode_parse(want_xdp, &mode);
	else if (st->xdp[0])
		sl_xdp_mode_parse(st->xdp, &mode);
	else
		fallback = true; /* default: native where the driver has it, else off */

	for (unsigned int i = 0; i < st->n_uplinks; i++) {
		if (sl_nl_link_get(host, st->uplinks[i], &li)) {
			sl_warn("warning: uplink %s is gone: published ports are not served on "
				"it\n",
				st->uplinks[i]);
			sl_err_clear();
			continue;
		}
		if ((err = sl_dp_attach_tc_ingress(li.ifindex, li.name, dp->prog_uplink)))
			return err;
		/*
		 * XDP needs complete checksums, and a veth hands over its peer's
		 * offloaded (partial) ones: by default a veth uplink keeps the tc path.
		 */
		if (fallback && !strcmp(li.kind, "veth") && mode != SL_XDP_OFF) {
			sl_warn("notice: uplink %s is a veth: published ports use the tc path "
				"(XDP needs complete checksums; --xdp native forces it when the "
				"peer does not offload them)\n",
				li.name);
			mode = SL_XDP_OFF;
			for (unsigned int j = 0; j < i; j++)
				if (!sl_nl_link_get(host, st->uplinks[j], &li))
					sl_dp_xdp_detach(li.ifindex);
			sl_err_clear();
			if (sl_nl_link_get(host, st->uplinks[i], &li)) {
				sl_err_clear();
				continue;
			}
		}
		was = sl_dp_xdp_query(li.ifindex);
		err = sl_dp_xdp_attach(li.ifindex, li.name, dp->prog_xdp_uplink, mode);
		if (err == -EOPNOTSUPP && fallback) {
			sl_warn("notice: %s has no native XDP: published ports use the tc path "
				"(--xdp generic forces XDP in skb mode)\n",
				li.name);
			sl_err_clear();
			mode = SL_XDP_OFF;
			/* Earlier uplinks got native XDP: take it off again, one mode for all. */
			for (unsigned int j = 0; j < i; j++)
				if (!sl_nl_link_get(host, st->uplinks[j], &li))
					sl_dp_xdp_detach(li.ifindex);
			sl_err_clear();
			continue;
		}
		if (err)
			return err;
		/*
		 * XDP sees frames as the wire delivers them, with complete checksums.
		 * A veth hands over its peer's offloaded (partial) checksums instead,
		 * which the rewrite cannot tell apart.
		 */
		if (mode != SL_XDP_OFF && mode != was && !strcmp(li.kind, "veth"))
			sl_warn("notice: uplink %s is a veth: XDP needs complete checksums, so its "
				"peer must not offload them (ethtool -K PEER tx off)\n",
				li.name);
	}
	snprintf(st->xdp, sizeof(st->xdp), "%s", sl_xdp_mode_name(mode));
	return 0;
}

int cmd_up(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"uplink", required_argument, NULL, 'u'},
		{"cgroup", required_argument, NULL, 'c'},
		{"xdp", required_argument, NULL, 'x'},
		{"no-dns", no_argument, NULL, 'n'},
		{"dns-upstream", required_argument, NULL, 'd'},
		{"ct-max", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct up_args a = {0};
	struct sl_nl *host = NULL;
	struct sl_dp dp = {0};
	struct sl_link_info li;
	struct sl_state st;
	bool dp_open = false;
	int err;

	if (ctl_wants_help(argc, argv)) {
		usage_up();
		return 0;
	}
	err = opt_loop(argc, argv, opts, "up", up_opt, &a);
	if (err)
		return -err;
	err = ctl_begin(c, &st);
	if (err)
		goto out;
	if ((err = sl_nl_open(&host)))
		goto out;
	for (unsigned int i = 0; i < a.n_uplinks; i++) {
		if (sl_nl_link_get(host, a.uplinks[i], &li)) {
			sl_err_clear();
			err = sl_errf(-ENODEV,
				      "uplink %s does not exist in this network namespace: check "
				      "'ip link' and the --uplink name",
				      a.uplinks[i]);
			goto out;
		}
	}
	if ((err = sl_bpffs_ensure(&c->inst)) || (err = sl_dp_load_ct(&c->inst, a.ct_max)) ||
	    (err = sl_dp_open(&c->inst, &dp)))
		goto out;
	dp_open = true;

	for (unsigned int i = 0; i < st.n_networks; i++) {
		const struct sl_network *n = &st.networks[i];
		struct sl_subnet sn = {.net_id = n->id,
				       .flags = n->internal ? SL_NET_F_INTERNAL : 0};

		if ((err = sl_dp_subnet_put(&dp, n->subnet.addr, n->subnet.prefixlen, &sn)))
			goto out;
	}
	if (a.n_uplinks) {
		/* The new list replaces the old one: detach from uplinks no longer named. */
		for (unsigned int i = 0; i < st.n_uplinks; i++)
			if (!uplink_listed(&a, st.uplinks[i]))
				detach_uplink(host, st.uplinks[i]);
		st.n_uplinks = a.n_uplinks;
		for (unsigned int i = 0; i < a.n_uplinks; i++)
			snprintf(st.uplinks[i], SL_IFNAME_MAX, "%s", a.uplinks[i]);
	}
	if ((err = up_uplinks(host, &dp, &st, a.xdp)))
		goto out;
	for (unsigned int i = 0; i < st.n_endpoints;) {
		struct sl_ep *ep = &st.endpoints[i];

		if (restore_endpoint(c, host, &dp, sl_state_network(&st, ep->network), ep,
				     ctl_xdp_on(&st)))
			i++;
		else
			sl_state_del_endpoint(&st, i);
	}
	ep_reconcile(&c->inst, host, &dp, &st);
	if ((err = restore_ports(&dp, &st)))
		goto out;
	sl_proxyreg_reap(&c->inst, &dp); /* sluice-proxy: dead owners out, live mappings back */
	if ((err = up_cgroup(c, &st, a.cgroup)) || (err = sync_hostaddrs(host, &dp)))
		goto out;
	if ((err = ctl_commit(c, &st)))
		goto out;
	if (a.no_dns && a.n_dns)
		sl_warn("warning: --dns-upstream ignored with --no-dns\n");
	if (!a.no_dns) {
		const char *env = getenv("SLUICE_DNS_UPSTREAM");

		/* The datapath is up either way: a DNS failure is reported, not undone. */
		if (!a.n_dns && env && *env)
			a.dns[a.n_dns++] = env;
		if (ctl_dnsd_start(c, a.dns, a.n_dns)) {
			sl_warn("warning: %s\n", sl_err_msg());
			sl_err_clear();
		}
	}
	out_obj_open(NULL);
	out_str("instance", "sluice instance '%s' up: ", c->inst.name);
	out_u64("networks", "%llu network(s), ", st.n_networks);
	out_u64("endpoints", "%llu endpoint(s)\n", st.n_endpoints);
	out_str("pin_dir", NULL, c->inst.pin_dir);
	out_obj_close();
out:
	sl_nl_close(host);
	if (dp_open)
		sl_dp_close(&dp);
	ctl_end(c, &st);
	return err;
}

static int down_opt(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt == 'p')
		*(bool *)ctx = true;
	return 0;
}

int cmd_down(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"purge", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	struct sl_nl *host = NULL;
	struct sl_state st;
	unsigned int removed = 0;
	bool purge = false;
	int err;

	if (ctl_wants_help(argc, argv)) {
		usage_down();
		return 0;
	}
	err = opt_loop(argc, argv, opts, "down", down_opt, &purge);
	if (err)
		return -err;
	err = ctl_begin(c, &st);
	if (err && !(purge && sl_state_network(&st, "") == NULL && err == -EINVAL))
		goto out;
	/* --purge must work even on a corrupt state file: that is its job. */
	sl_err_clear();
	if (ctl_dnsd_stop(c)) {
		sl_warn("warning: %s\n", sl_err_msg());
		sl_err_clear();
	}
	if ((err = sl_nl_open(&host)))
		goto out;
	for (unsigned int i = 0; i < st.n_endpoints; i++) {
		const struct sl_ep *ep = &st.endpoints[i];
		struct sl_state rest = {.endpoints = st.endpoints + i + 1,
					.n_endpoints = st.n_endpoints - i - 1};

		if (ep_unplumb(host, NULL, ep))
			sl_warn("warning: %s\n", sl_err_msg());
		else
			removed++;
		sl_err_clear();
		/* The last endpoint of each namespace takes sl_dns_lo with it. */
		if (ep_dns_lo_release(&rest, ep))
			sl_warn("warning: %s\n", sl_err_msg());
		sl_err_clear();
	}
	for (unsigned int i = 0; i < st.n_uplinks; i++)
		detach_uplink(host, st.uplinks[i]);
	/* Docker's bridges too: sluice-proxy attached sl_br_ingress there. */
	if (sl_proxyreg_detach_bridges(&c->inst, host) < 0) {
		sl_warn("warning: %s\n",
			sl_err_msg() ? sl_err_msg() : "cannot read the proxy registry");
		sl_err_clear();
	}
	/* Leftovers of killed runs go too: nothing of this instance stays attached. */
	{
		struct sl_state none;

		sl_state_init(&none);
		ep_reconcile(&c->inst, host, NULL, &none);
		sl_state_free(&none);
	}
	if ((err = sl_dp_unpin(&c->inst)))
		goto out;
	if (purge) {
		if ((err = sl_rmtree(c->inst.state_dir)) || (err = sl_rmtree(c->inst.run_dir))) {
			sl_errf(err, "remove %s: %s", c->inst.state_dir, strerror(-err));
			goto out;
		}
	}
	out_obj_open(NULL);
	out_str("instance", "sluice instance '%s' down", c->inst.name);
	out_u64("endpoints_removed", ": %llu endpoint(s) removed", removed);
	out_bool("purged", NULL, purge);
	out_text("%s\n", purge ? ", state purged" : "; 'sluice up' restores them");
	out_obj_close();
out:
	sl_nl_close(host);
	ctl_end(c, &st);
	return err;
}

/* sluice-proxy mappings, and how many of their owners live. */
struct proxy_count {
	unsigned long long n, live;
};

static int count_proxy(const struct sl_proxyreg *r, void *arg)
{
	struct proxy_count *pc = arg;

	pc->n++;
	pc->live += sl_proxyreg_alive(r);
	return 0;
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct proxy_count proxies = {0};
	struct sl_nl *host = NULL;
	struct sl_state st;
	unsigned int live = 0;
	bool up;
	int err;

	if (ctl_wants_help(argc, argv)) {
		fprintf(stderr,
			"Usage: sluice status\n"
			"The instance: whether it is up, its directories, cgroup, XDP mode,\n"
			"networks, endpoints (and how many have their veth), published ports,\n"
			"sluice-proxy mappings (and how many proxies live), uplinks and how\n"
			"their programs are attached.\n");
		return 0;
	}
	if (argc > 1)
		return ctl_usage("unexpected argument '%s': usage: sluice status", argv[1]);
	err = ctl_load(c, &st);
	if (err)
		goto out;
	up = sl_dp_is_up(&c->inst);
	if (sl_nl_open(&host) == 0) {
		struct sl_link_info li;

		for (unsigned int i = 0; i < st.n_endpoints; i++)
			live += sl_nl_link_get(host, st.endpoints[i].host_ifname, &li) == 0;
		sl_err_clear();
	}
	out_obj_open(NULL);
	out_str("instance", "instance   %s\n", c->inst.name);
	out_bool("up", "up         %s\n", up);
	out_u64("abi_version", "abi        %llu\n", SLUICE_ABI_VERSION);
	out_str("pin_dir", "pin dir    %s\n", c->inst.pin_dir);
	out_str("cgroup", "cgroup     %s\n", st.cgroup[0] ? st.cgroup : "(none)");
	out_str("state_file", "state file %s\n", c->inst.state_file);
	out_u64("networks", "networks   %llu\n", st.n_networks);
	out_u64("endpoints", "endpoints  %llu", st.n_endpoints);
	out_u64("endpoints_live", " (%llu with their veth present)\n", live);
	out_str("xdp", "xdp        %s\n", st.xdp[0] ? st.xdp : "(not chosen)");
	out_u64("ports", "ports      %llu published with 'sluice port publish'\n", st.n_ports);
	if (sl_proxyreg_foreach(&c->inst, count_proxy, &proxies) < 0)
		sl_err_clear();
	out_u64("proxy_mappings", "proxies    %llu sluice-proxy mapping(s)", proxies.n);
	out_u64("proxy_owners_live", ", %llu with their proxy alive\n", proxies.live);
	out_arr_open("uplinks");
	out_text("uplinks   ");
	for (unsigned int i = 0; i < st.n_uplinks; i++) {
		struct sl_link_info li;
		bool present = host && sl_nl_link_get(host, st.uplinks[i], &li) == 0;

		sl_err_clear();
		out_obj_open(NULL);
		out_str("name", " %s", st.uplinks[i]);
		out_bool("present", NULL, present);
		out_str("attach", " (%s)",
			!present ? "missing"
			: !up	 ? "down"
				 : sl_xdp_mode_name(sl_dp_xdp_query(li.ifindex)));
		out_obj_close();
	}
	out_text("%s\n", st.n_uplinks ? "" : " (none)");
	out_arr_close();
	out_obj_close();
out:
	sl_nl_close(host);
	sl_state_free(&st);
	return err;
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = SL_CTR_NAMES;
	static const char *const states[SL_CT_STATE_COUNT] = {"new", "established", "closing",
							      "closed"};
	struct sl_counter ctr[SL_CTR_MAX];
	struct sl_ct_summary ct;
	long long evicted;
	struct sl_dp dp;
	int err;

	_Static_assert(sizeof(names) / sizeof(names[0]) == SL_CTR_MAX, "a counter has no name");
	if (ctl_wants_help(argc, argv)) {
		fprintf(stderr, "Usage: sluice stats\n"
				"Packets and bytes per datapath outcome, summed over CPUs.\n");
		return 0;
	}
	if (argc > 1)
		return ctl_usage("unexpected argument '%s': usage: sluice stats", argv[1]);
	err = sl_dp_open(&c->inst, &dp);
	if (err)
		return err;
	err = sl_dp_stats_read(&dp, ctr);
	if (!err)
		err = sl_dp_ct_summary(&dp, &ct);
	sl_dp_close(&dp);
	if (err)
		return err;
	/*
	 * The LRU map evicts silently; what was created and not removed by
	 * expiry, reuse or userspace, and is not live, was evicted.
	 */
	evicted = 2 * (long long)(ctr[SL_CTR_NAT_NEW].packets - ctr[SL_CTR_CT_EXPIRED].packets -
				  ctr[SL_CTR_CT_REUSED].packets) -
		  (long long)ctr[SL_CTR_CT_FLUSHED].packets - ct.entries;
	if (evicted < 0)
		evicted = 0;
	out_obj_open(NULL);
	out_text("%-18s %12s %14s\n", "COUNTER", "PACKETS", "BYTES");
	out_obj_open("counters");
	for (int i = 0; i < SL_CTR_MAX; i++) {
		out_obj_open(names[i]);
		out_text("%-18s ", names[i]);
		out_u64("packets", "%12llu ", ctr[i].packets);
		out_u64("bytes", "%14llu\n", ctr[i].bytes);
		out_obj_close();
	}
	out_obj_close();
	out_obj_open("conntrack");
	out_u64("entries", "\nconntrack %llu", ct.entries);
	out_u64("max", " of %llu entries", ct.max);
	out_u64("fill_pct", " (%llu%% full)", ct.max ? 100ULL * ct.entries / ct.max : 0);
	out_u64("evicted", ", %llu evicted\n", evicted);
	out_obj_open("flows");
	out_text("flows    ");
	for (int i = 0; i < SL_CT_STATE_COUNT; i++) {
		out_text(" %s", states[i]);
		out_u64(states[i], " %llu", ct.flows_by_state[i]);
	}
	out_text("\n");
	out_obj_close();
	out_obj_close();
	out_obj_close();
	return 0;
}
