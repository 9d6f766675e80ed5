// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy.c - sluice-proxy: a drop-in for dockerd's --userland-proxy-path that
 * installs the binding into the running sluice instance instead of copying
 * bytes, and takes it out again when dockerd stops it.
 *
 * The contract (docker-proxy's):
 *   argv   -proto tcp|udp -host-ip IP -host-port N -container-ip IP
 *          -container-port N [-use-listen-fd]   (Go flag syntax: -f v, -f=v, --f)
 *   fd 3   a pipe: "0\n" in one write once the mapping is in place, or
 *          "1\n<message>" and exit 1; then closed
 *   fd 4   with -use-listen-fd, a socket dockerd bound for us: closed unused
 *   SIGINT/SIGTERM (and SIGHUP)  remove the mapping, exit 0; but a SIGTERM
 *          from dockerd itself (its Pdeathsig: it is exiting) leaves the
 *          mapping for the proxy a restarted dockerd starts, which adopts it
 *
 * One process per binding: single-threaded, nothing allocated while it
 * waits (it sleeps in sigwaitinfo with its heap trimmed). The mapping is a
 * sl_svc entry with SL_SVC_F_EXTERNAL (the uplink DNATs, the host stack
 * routes to the container's bridge, sl_br_ingress on that bridge reverse-NATs
 * the replies) plus a registry record (loader/proxyreg.h) naming this
 * process, so a proxy killed with SIGKILL is noticed and its mapping reaped.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "addr.h"
#include "datapath.h"
#include "instance.h"
#include "log.h"
#include "nl.h"
#include "proxyreg.h"
#include "sockets.h"
#include "state.h"

#define STATUS_FD 3
#define LISTEN_FD 4

static const char usage_text[] =
	"Usage: sluice-proxy -proto { tcp | udp } -host-ip IP -host-port PORT\n"
	"                    -container-ip IP -container-port PORT [-use-listen-fd]\n"
	"dockerd's userland proxy (--userland-proxy-path), served by sluice: the binding\n"
	"is installed into the running sluice instance ($SLUICE_INSTANCE, default\n"
	"\"default\") and removed on SIGINT or SIGTERM. Status on fd 3, which must be a\n"
	"pipe: \"0\\n\" on success, \"1\\n<message>\" and exit 1 on failure.\n";

/* fd 3 is a pipe we may report to. */
static bool status_pipe;

/* The binding, parsed. */
struct binding {
	__u8 proto;
	__be32 host_addr; /* 0 = every address */
	bool host_v6_any; /* -host-ip :: (not served: IPv4-only datapath) */
	__u16 host_port;
	__be32 container_addr;
	__u16 container_port;
	bool use_listen_fd;
};

/* Report the failure on fd 3 (one write) and stderr, and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	int n;

	memcpy(buf, "1\n", 2);
	va_start(ap, fmt);
	n = vsnprintf(buf + 2, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 3)
		n = sizeof(buf) - 3;
	/* If dockerd gave up on us (EPIPE), stderr still says why. */
	if (status_pipe && write(STATUS_FD, buf, n + 2) < 0)
		status_pipe = false;
	fprintf(stderr, "sluice-proxy: %.*s\n", n, buf + 2);
	exit(1);
}

/* ---- arguments (Go's flag package syntax, as dockerd writes them) ---- */

struct args {
	const char *proto, *host_ip, *host_port, *container_ip, *container_port;
	bool use_listen_fd;
};

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i]))
			return *out = true, 0;
		if (!strcmp(v, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

/* Fails (exits) on bad input; -h and -help are handled before. */
static void parse_args(int argc, char **argv, struct args *a)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{"proto", offsetof(struct args, proto)},
		{"host-ip", offsetof(struct args, host_ip)},
		{"host-port", offsetof(struct args, host_port)},
		{"container-ip", offsetof(struct args, container_ip)},
		{"container-port", offsetof(struct args, container_port)},
	};

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		size_t nlen;
		bool found = false;

		if (!strcmp(arg, "--")) {
			if (i + 1 < argc)
				fail("unexpected argument '%s': %s", argv[i + 1],
				     "sluice-proxy takes flags only (see -help)");
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			fail("unexpected argument '%s': sluice-proxy takes flags only (see -help)",
			     arg);
		name = arg + 1 + (arg[1] == '-');
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		if (eq)
			val = eq + 1;
		if (nlen == 13 && !strncmp(name, "use-listen-fd", 13)) {
			if (val && parse_bool(val, &a->use_listen_fd))
				fail("invalid boolean value '%s' for -use-listen-fd", val);
			if (!val)
				a->use_listen_fd = true;
			continue;
		}
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]) && !found; f++) {
			if (strlen(flags[f].name) != nlen || strncmp(flags[f].name, name, nlen))
				continue;
			found = true;
			if (!val) {
				if (i + 1 >= argc)
					fail("flag needs an argument: -%s", flags[f].name);
				val = argv[++i];
			}
			*(const char **)((char *)a + flags[f].off) = val;
		}
		if (!found)
			fail("unknown flag '%s': expected -proto, -host-ip, -host-port, "
			     "-container-ip, -container-port, -use-listen-fd",
			     arg);
	}
}

static __u16 parse_port(const char *flag, const char *s)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p == '0' || !*p)
		fail("invalid -%s '%s': expected a port number 1..65535", flag, s);
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) > 65535)
			fail("invalid -%s '%s': expected a port number 1..65535", flag, s);
	}
	return v;
}

static void check_args(const struct args *a, struct binding *b)
{
	char missing[128] = "";
	struct in6_addr a6;

	if (!a->host_ip)
		strcat(missing, " -host-ip");
	if (!a->host_port)
		strcat(missing, " -host-port");
	if (!a->container_ip)
		strcat(missing, " -container-ip");
	if (!a->container_port)
		strcat(missing, " -container-port");
	if (missing[0])
		fail("missing flag(s)%s: usage: sluice-proxy -proto tcp|udp -host-ip IP "
		     "-host-port PORT -container-ip IP -container-port PORT",
		     missing);
	memset(b, 0, sizeof(*b));
	/* docker-proxy's default protocol. */
	if (!a->proto || !strcmp(a->proto, "tcp"))
		b->proto = IPPROTO_TCP;
	else if (!strcmp(a->proto, "udp"))
		b->proto = IPPROTO_UDP;
	else
		fail("unsupported -proto '%s': sluice serves tcp and udp", a->proto);
	b->host_port = parse_port("host-port", a->host_port);
	b->container_port = parse_port("container-port", a->container_port);
	if (inet_pton(AF_INET6, a->host_ip, &a6) == 1) {
		if (!IN6_IS_ADDR_UNSPECIFIED(&a6))
			fail("IPv6 host address %s is not served: sluice's datapath is IPv4-only; "
			     "publish on an IPv4 address (or on every address)",
			     a->host_ip);
		b->host_v6_any = true;
	} else if (sl_ip4_parse(a->host_ip, &b->host_addr)) {
		fail("invalid -host-ip '%s': expected an IPv4 address (or ::)", a->host_ip);
	}
	/* Nothing is installed for ::, whose container may be an IPv6 one. */
	if (sl_ip4_parse(a->container_ip, &b->container_addr) &&
	    !(b->host_v6_any && inet_pton(AF_INET6, a->container_ip, &a6) == 1))
		fail("invalid -container-ip '%s': expected the container's IPv4 address%s",
		     a->container_ip,
		     inet_pton(AF_INET6, a->container_ip, &a6) == 1 ? " (IPv6 is not served)" : "");
	b->use_listen_fd = a->use_listen_fd;
}

/* ---- while waiting ---- */

/*
 * Become sluice-proxy-wait (control/proxy_wait.c), installed next to this
 * program: the same pid, argv and blocked signals in a process of a page or
 * two, where this one would keep ~170 kB of libraries' private pages for the
 * life of the binding. Returns only if that cannot be done (an architecture
 * it is not built for, a missing file): the caller then waits itself.
 */
static void become_waiter(char **argv, pid_t parent, __u32 id)
{
	char self[PATH_MAX], waiter[PATH_MAX + 32], var[PATH_MAX + 64];
	int dir_len;

	if (sl_self_path(self, sizeof(self), &dir_len))
		return;
	snprintf(waiter, sizeof(waiter), "%.*s/sluice-proxy-wait", dir_len, self);
	snprintf(var, sizeof(var), "%d %u %s", parent, id, self);
	if (setenv("SLUICE_PROXY_WAIT", var, 1))
		return;
	execv(waiter, argv);
	unsetenv("SLUICE_PROXY_WAIT");
	fprintf(stderr, "sluice-proxy: cannot run %s (%s): waiting in this process\n", waiter,
		strerror(errno));
}

/* ---- install and remove ---- */

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* What the registry holds for our binding: conflicts, an identical mapping, used ids. */
struct scan {
	const struct binding *b;
	bool conflict;
	struct sl_proxyreg holder; /* the conflicting record */
	bool takeover;		   /* the same binding, recorded by another proxy (live or dead) */
	struct sl_proxyreg same;
	__u8 used[(SL_PROXY_ID_MAX - SL_PROXY_ID_BASE + 1) / 8];
};

static bool scan_cb(const struct sl_proxyreg *r, bool alive, void *arg)
{
	struct scan *s = arg;
	const struct binding *b = s->b;
	__u32 slot = r->id - SL_PROXY_ID_BASE;

	/*
	 * The very same binding (host side and container): dockerd restarted
	 * and starts its proxies again. The old proxy left the mapping in place
	 * when dockerd died (or is about to), so established flows go on; the
	 * new one adopts it, id and all. The old one, if it still runs, leaves a
	 * record that is no longer its own alone.
	 */
	if (r->proto == b->proto && r->host_port == b->host_port && r->host_addr == b->host_addr &&
	    r->container_addr == b->container_addr && r->container_port == b->container_port) {
		s->takeover = true;
		s->same = *r;
	} else if (!alive) {
		return false; /* reaped */
	} else if (r->proto == b->proto && r->host_port == b->host_port &&
		   (!r->host_addr || !b->host_addr || r->host_addr == b->host_addr) &&
		   !s->conflict) {
		s->conflict = true;
		s->holder = *r;
	}
	s->used[slot / 8] |= 1U << (slot % 8);
	return true;
}

/*
 * Would docker-proxy's bind fail? A test bind (SO_REUSEADDR for TCP, as Go's
 * net.Listen, so TIME_WAIT leftovers do not count) answers in three system
 * calls, where reading /proc/net/tcp costs milliseconds on a busy host.
 */
static bool port_taken(const struct binding *b)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(b->host_port),
				  .sin_addr.s_addr = b->host_addr};
	int one = 1, fd;
	bool taken;

	fd = socket(AF_INET, (b->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return false;
	if (b->proto == IPPROTO_TCP)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	taken = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

/* A CLI mapping of the state file that holds the binding, or NULL. */
static const struct sl_port *state_conflict(const struct sl_state *st, const struct binding *b)
{
	for (unsigned int i = 0; i < st->n_ports; i++) {
		const struct sl_port *p = &st->ports[i];

		if (p->proto == b->proto && p->host_port == b->host_port &&
		    (!p->host_addr || !b->host_addr || p->host_addr == b->host_addr))
			return p;
	}
	return NULL;
}

/* Everything but the datapath: may the binding be served, and through which bridge? */
static int check_binding(const struct sl_instance *inst, const struct sl_dp *dp, struct sl_nl *nl,
			 const struct binding *b, const struct scan *s, bool is_local,
			 struct sl_proxyreg *r)
{
	char ip[SL_IP4_STRLEN], ip2[SL_IP4_STRLEN], holder[128];
	struct sl_endpoint_key ekey = {.addr = b->container_addr};
	const struct sl_port *p;
	struct sl_endpoint ep;
	struct sl_iface ifc;
	struct sl_state st;
	int ifindex, err;
	__u32 idx;

	if ((err = sl_state_load(inst->state_file, &st)))
		return err;
	p = state_conflict(&st, b);
	if (p) {
		err = sl_errf(-EADDRINUSE,
			      "host port %s:%u/%s is already published by container '%s' (sluice "
			      "port publish %s:%u -> %u): unpublish it or pick another host port",
			      sl_ip4_fmt(b->host_addr, ip), b->host_port, proto_name(b->proto),
			      p->container, sl_ip4_fmt(p->host_addr, ip2), p->host_port,
			      p->container_port);
		goto out;
	}
	if (s->conflict) {
		err = sl_errf(-EADDRINUSE,
			      "host port %s:%u/%s is already published by sluice-proxy pid %d "
			      "(%s:%u -> %s:%u): stop that container or pick another host port",
			      sl_ip4_fmt(b->host_addr, ip), b->host_port, proto_name(b->proto),
			      s->holder.pid, sl_ip4_fmt(s->holder.host_addr, ip2),
			      s->holder.host_port, sl_ip4_fmt(s->holder.container_addr, holder),
			      s->holder.container_port);
		goto out;
	}
	if (b->host_addr && !is_local) {
		err = sl_errf(
			-EADDRNOTAVAIL,
			"host address %s is not an address of this host: cannot publish on it",
			sl_ip4_fmt(b->host_addr, ip));
		goto out;
	}
	/* docker-proxy would fail to bind; with -use-listen-fd dockerd's socket holds it. */
	if (!b->use_listen_fd && !s->takeover && port_taken(b)) {
		if (sl_port_holder(b->proto, b->host_addr, b->host_port, holder, sizeof(holder)) !=
		    1)
			snprintf(holder, sizeof(holder), "another process");
		err = sl_errf(
			-EADDRINUSE,
			"host port %s:%u/%s is in use by a local socket of %s: stop it or pick "
			"another host port",
			sl_ip4_fmt(b->host_addr, ip), b->host_port, proto_name(b->proto), holder);
		goto out;
	}
	if (bpf_map_lookup_elem(dp->map_endpoints, &ekey, &ep) == 0) {
		err = sl_errf(-EINVAL,
			      "container address %s is a sluice endpoint: publish its ports with "
			      "'sluice port publish', not through dockerd",
			      sl_ip4_fmt(b->container_addr, ip));
		goto out;
	}
	if ((err = sl_nl_route_oif(nl, b->container_addr, &ifindex, r->bridge)))
		goto out;
	idx = ifindex;
	for (unsigned int i = 0; i < st.n_uplinks; i++)
		if (!strcmp(st.uplinks[i], r->bridge))
			err = -EINVAL;
	if (err || bpf_map_lookup_elem(dp->map_ifaces, &idx, &ifc) == 0) {
		err = sl_errf(-EINVAL,
			      "container address %s is reached through %s, which is a sluice %s, "
			      "not a container bridge",
			      sl_ip4_fmt(b->container_addr, ip), r->bridge,
			      err ? "uplink" : "endpoint");
		goto out;
	}
	err = ifindex;
out:
	sl_state_free(&st);
	return err;
}

/* The lowest proxy id no record uses; 0 when all are taken. */
static __u32 free_id(const struct scan *s)
{
	for (__u32 slot = 0; slot <= SL_PROXY_ID_MAX - SL_PROXY_ID_BASE; slot++)
		if (!(s->used[slot / 8] & (1U << (slot % 8))))
			return SL_PROXY_ID_BASE + slot;
	return 0;
}

/* The host's IPv4 addresses (one dump serves the check and sl_hostaddrs). */
static __be32 host_addrs[SL_MAX_HOSTADDRS];

/* Install the mapping under the instance lock; fills *r (our record). */
static int install(struct sl_instance *inst, const struct binding *b, struct sl_proxyreg *r)
{
	struct sl_svc svc = {.backend_addr = b->container_addr,
			     .backend_port = htons(b->container_port),
			     .flags = SL_SVC_F_EXTERNAL};
	static struct scan s; /* 4 KiB of id bits: not on the stack we keep while waiting */
	struct sl_dp dp = {0};
	struct sl_nl *nl = NULL;
	bool dp_open = false, saved = false, is_local = false;
	int ifindex, n_addrs, err;

	memset(&s, 0, sizeof(s));
	s.b = b;
	memset(r, 0, sizeof(*r));
	r->proto = b->proto;
	r->host_addr = b->host_addr;
	r->host_port = b->host_port;
	r->pid = getpid();
	r->container_addr = b->container_addr;
	r->container_port = b->container_port;
	if ((err = sl_proc_starttime(r->pid, &r->start)))
		return sl_errf(err, "read /proc/%d/stat: %s", r->pid, strerror(-err));

	if ((err = sl_check_privileges()))
		return err;
	if (!sl_dp_is_up(inst))
		return sl_errf(-ENOENT,
			       "sluice is not running: instance '%s' has no datapath at %s — bring "
			       "it up with 'sluice --instance %s up --uplink IFACE' in dockerd's "
			       "network namespace, then start the container again",
			       inst->name, inst->pin_dir, inst->name);
	if ((err = sl_instance_lock(inst)))
		return err;
	if ((err = sl_dp_open(inst, &dp)))
		goto out;
	dp_open = true;
	if ((err = sl_nl_open(&nl)))
		goto out;
	/* Dead owners first (their ports and ids become free), live ones into s. */
	if ((err = sl_proxyreg_reap_scan(inst, &dp, scan_cb, &s)) < 0)
		goto out;
	if ((n_addrs = sl_nl_addr_list(nl, host_addrs, SL_MAX_HOSTADDRS)) < 0) {
		err = n_addrs;
		goto out;
	}
	for (int i = 0; i < n_addrs; i++)
		is_local |= host_addrs[i] == b->host_addr;
	if ((ifindex = check_binding(inst, &dp, nl, b, &s, is_local, r)) < 0) {
		err = ifindex;
		goto out;
	}
	r->id = s.takeover ? s.same.id : free_id(&s);
	if (!r->id) {
		err = sl_errf(-ENOSPC, "no free mapping id: at most %d sluice-proxy mappings",
			      SL_PROXY_ID_MAX - SL_PROXY_ID_BASE + 1);
		goto out;
	}
	if ((err = sl_proxyreg_attach_bridge(inst, ifindex, r->bridge)))
		goto out;
	/* The record first: if we die from here on, the reaper finds the entry. */
	if ((err = sl_proxyreg_save(inst, r)))
		goto out;
	saved = true;
	svc.id = r->id;
	if (!s.takeover && (err = sl_dp_svc_stats_reset(&dp, r->id)))
		goto out;
	if ((err = sl_dp_svc_put(&dp, b->host_addr, b->host_port, b->proto, &svc)))
		goto out;
	if (s.takeover)
		fprintf(stderr,
			"sluice-proxy: took over mapping %u of pid %d (dockerd restarted)\n", r->id,
			s.same.pid);
	/*
	 * Local clients of 0.0.0.0 mappings match the host's addresses, and
	 * dockerd may have added some (docker0's) since `sluice up`. Best effort.
	 */
	if (sl_dp_hostaddrs_sync(&dp, host_addrs, n_addrs))
		fprintf(stderr, "sluice-proxy: warning: %s\n", sl_err_msg());
	sl_err_clear();
	err = 0;
out:
	/* An adopted mapping goes back to its old record; ours goes away. */
	if (err && saved && s.takeover)
		sl_proxyreg_save(inst, &s.same);
	else if (err && saved)
		sl_proxyreg_remove(inst, r);
	sl_nl_close(nl);
	if (dp_open)
		sl_dp_close(&dp);
	sl_instance_unlock(inst);
	return err;
}

/* Take our mapping out again, if it is still ours. */
static void uninstall(struct sl_instance *inst, const struct sl_proxyreg *r)
{
	struct sl_svc_key key = {
		.addr = r->host_addr, .port = htons(r->host_port), .proto = r->proto};
	struct sl_proxyreg cur;
	struct sl_dp dp;
	struct sl_svc svc;
	int err;

	if (sl_instance_lock(inst)) {
		fprintf(stderr, "sluice-proxy: mapping %u left behind: %s\n", r->id, sl_err_msg());
		return;
	}
	err = sl_proxyreg_load(inst, r->proto, r->host_addr, r->host_port, &cur);
	if (!err && (cur.pid != r->pid || cur.start != r->start)) {
		/* Taken over by a newer proxy: it is its mapping now. */
	} else if (sl_dp_is_up(inst) && sl_dp_open(inst, &dp) == 0) {
		if (!err)
			sl_proxyreg_uninstall(inst, &dp, r);
		else if (bpf_map_lookup_elem(dp.map_svc, &key, &svc) == 0 && svc.id == r->id) {
			/* Our record vanished (sluice down --purge): the entry is still ours. */
			bpf_map_delete_elem(dp.map_svc, &key);
			sl_proxyreg_flush_flows(&dp, r->id);
		}
		sl_dp_close(&dp);
	} else if (!err) {
		sl_proxyreg_remove(inst, r);
	}
	sl_err_clear();
	sl_instance_unlock(inst);
}

static const char *instance_name(void)
{
	const char *name = getenv("SLUICE_INSTANCE");

	return name && *name ? name : "default";
}

/*
 * The second life of a waiting proxy: sluice-proxy-wait got a stop request
 * and ran us again with SLUICE_PROXY_STOP=<mapping id>. Same pid, same start
 * time: the registry record names this process, so uninstall() treats the
 * mapping as ours. fd 3 is long closed; errors go to stderr only.
 */
static int stop_mapping(int argc, char **argv, const char *id_text)
{
	struct sl_instance inst;
	struct sl_proxyreg r = {0};
	struct args a = {0};
	struct binding b;
	unsigned long id;
	char *end;
	int err;

	errno = 0;
	id = strtoul(id_text, &end, 10);
	if (errno || *end || id < SL_PROXY_ID_BASE || id > SL_PROXY_ID_MAX) {
		fprintf(stderr,
			"sluice-proxy: SLUICE_PROXY_STOP='%s' is not a mapping id: it is "
			"set by sluice-proxy-wait only\n",
			id_text);
		return 1;
	}
	parse_args(argc, argv, &a);
	check_args(&a, &b);
	r.proto = b.proto;
	r.host_addr = b.host_addr;
	r.host_port = b.host_port;
	r.id = id;
	r.pid = getpid();
	if ((err = sl_proc_starttime(r.pid, &r.start)) ||
	    sl_instance_init(&inst, instance_name())) {
		fprintf(stderr, "sluice-proxy: mapping %lu left behind: %s\n", id,
			sl_err_msg() ? sl_err_msg() : strerror(-err));
		return 1;
	}
	uninstall(&inst, &r);
	return 0;
}

int main(int argc, char **argv)
{
	const char *stop = getenv("SLUICE_PROXY_STOP");
	struct sl_instance inst;
	struct sl_proxyreg r;
	struct args a = {0};
	struct binding b;
	siginfo_t si;
	sigset_t set;
	struct stat sb;
	pid_t parent = getppid(); /* dockerd: when it dies, we are reparented */

	/* Blocked before anything is installed, so a stop request is never lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sl_log_setup_libbpf();

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "-help") ||
		    !strcmp(argv[i], "--h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stderr);
			return 0;
		}
	/* Only a waiter, whose fd 3 is long closed, sets this: never a fresh start. */
	if (stop && fstat(STATUS_FD, &sb) < 0 && errno == EBADF)
		return stop_mapping(argc, argv, stop);
	/* Before any open(): a closed fd 3 would be reused by it. */
	if (fstat(STATUS_FD, &sb) < 0) {
		fprintf(stderr,
			"sluice-proxy: fd 3 is %s: it must be the status pipe dockerd "
			"passes (see -help); nothing installed\n",
			errno == EBADF ? "closed" : "unusable");
		return 1;
	}
	if (!S_ISFIFO(sb.st_mode)) {
		fprintf(stderr, "sluice-proxy: fd 3 is not a pipe: it must be the status pipe "
				"dockerd passes (see -help); nothing installed\n");
		return 1;
	}
	status_pipe = true;
	if (stop)
		fail("SLUICE_PROXY_STOP is set in the environment (sluice-proxy-wait sets it, "
		     "nobody else): unset it in dockerd's environment; nothing installed");
	/*
	 * Whatever else we inherited stays closed: a long-lived proxy holding a
	 * copy of someone's pipe would keep its reader from seeing the end.
	 */
	close_range(LISTEN_FD + 1, ~0U, 0);
	parse_args(argc, argv, &a);
	check_args(&a, &b);
	if (b.use_listen_fd)
		close(LISTEN_FD); /* we never listen: the datapath serves the port */
	/* Pin no directory while we wait (harmless if it fails). */
	if (chdir("/") < 0)
		sl_err_clear();

	if (b.host_v6_any) {
		/* dockerd adds a [::] binding to every 0.0.0.0 one. */
		fprintf(stderr, "sluice-proxy: -host-ip :: is not served (sluice's datapath is "
				"IPv4-only): IPv4 clients are served by the 0.0.0.0 mapping\n");
		memset(&r, 0, sizeof(r));
	} else {
		if (sl_instance_init(&inst, instance_name()) || install(&inst, &b, &r))
			fail("%s", sl_err_msg() ? sl_err_msg() : "installing the mapping failed");
	}

	if (write(STATUS_FD, "0\n", 2) != 2) {
		fprintf(stderr, "sluice-proxy: write status to fd 3: %s\n", strerror(errno));
		if (r.id)
			uninstall(&inst, &r);
		return 1;
	}
	close(STATUS_FD);
	become_waiter(argv, parent, r.id);
	/* Nothing more is allocated: give back what setting up used. */
	malloc_trim(0);

	while (sigwaitinfo(&set, &si) < 0 && errno == EINTR)
		;
	/*
	 * dockerd stops a proxy with SIGINT. A SIGTERM sent by dockerd itself
	 * is its Pdeathsig: it is exiting (the forking thread died first, so
	 * we may not be reparented yet). Its containers may live on
	 * (--live-restore), and a restarted dockerd starts this binding again
	 * and adopts the mapping: leave it, flows and all. If nobody adopts it,
	 * the next sluice-proxy, 'sluice up' or 'sluice port publish' finds its
	 * owner dead and removes it.
	 */
	if (r.id && si.si_signo == SIGTERM &&
	    ((si.si_code == SI_USER && si.si_pid == parent) || getppid() != parent)) {
		fprintf(stderr,
			"sluice-proxy: dockerd is exiting: mapping %u stays for its restart\n",
			r.id);
		return 0;
	}
	if (r.id)
		uninstall(&inst, &r);
	return 0;
}
