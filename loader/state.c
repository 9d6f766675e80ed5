// SPDX-License-Identifier: BSD-2-Clause
/* state.c - the state file: parse and validate, format, atomic load and save. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "state.h"

#define SL_STATE_HEADER	    "# sluice state v1"
#define SL_STATE_HEADER_PFX "# sluice state v"
/*
 * endpoint + 2 names + 7 keys + SL_MAX_ALIASES aliases is 18, port + 2 names
 * + 4 keys + SL_MAX_PORT_ALLOW allows is 15; leave room.
 */
#define MAX_FIELDS 32
/* Port ids and port numbers are 1..65535. */
#define PORT_MAX 65535
/* A quoted value in a message: at most QUOTE_SRC bytes of it, escaped. */
#define QUOTE_SRC 48
#define QUOTE_LEN (QUOTE_SRC * 4 + 8)

static const char fix_hint[] = "fix or remove the line, or run 'sluice down --purge' to start over";

void sl_state_init(struct sl_state *st)
{
	memset(st, 0, sizeof(*st));
}

void sl_state_free(struct sl_state *st)
{
	free(st->networks);
	free(st->endpoints);
	free(st->ports);
	sl_state_init(st);
}

/* --- field validators; each reads at most its field's array size ---------- */

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '-');
}

bool sl_name_valid(const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < SL_NAME_MAX; i++) {
		if (name[i] == '\0')
			return i > 0;
		if (!name_char(name[i], i == 0))
			return false;
	}
	return false; /* no NUL within SL_NAME_MAX bytes: too long */
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or space. */
static bool ifname_valid(const char *s)
{
	size_t i;

	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < SL_IFNAME_MAX; i++) {
		if (s[i] == '\0')
			return i > 0;
		if (s[i] == '/' || s[i] == ':' || is_space(s[i]))
			return false;
	}
	return false;
}

/* Absolute, non-empty, no whitespace (it is a space-separated field), < SL_NETNS_MAX. */
static bool netns_valid(const char *s)
{
	size_t i;

	if (s[0] != '/')
		return false;
	for (i = 0; i < SL_NETNS_MAX; i++) {
		if (s[i] == '\0')
			return true;
		if (is_space(s[i]))
			return false;
	}
	return false;
}

/* Strict decimal: digits only, no sign, no leading zero, no overflow. */
static int parse_u64(const char *s, __u64 *out)
{
	__u64 v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (__u64)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (__u64)(*s - '0');
	}
	*out = v;
	return 0;
}

/* --- growable arrays ------------------------------------------------------ */

static int grow(void **arr, unsigned int *cap, unsigned int need, size_t elem)
{
	unsigned int ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > UINT_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if ((size_t)ncap > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct sl_network *sl_state_add_network(struct sl_state *st, const struct sl_network *n)
{
	void *arr = st->networks;

	if (st->n_networks == UINT_MAX ||
	    grow(&arr, &st->cap_networks, st->n_networks + 1, sizeof(*st->networks)))
		return NULL;
	st->networks = arr;
	st->networks[st->n_networks] = *n;
	return &st->networks[st->n_networks++];
}

struct sl_ep *sl_state_add_endpoint(struct sl_state *st, const struct sl_ep *ep)
{
	void *arr = st->endpoints;

	if (st->n_endpoints == UINT_MAX ||
	    grow(&arr, &st->cap_endpoints, st->n_endpoints + 1, sizeof(*st->endpoints)))
		return NULL;
	st->endpoints = arr;
	st->endpoints[st->n_endpoints] = *ep;
	return &st->endpoints[st->n_endpoints++];
}

struct sl_port *sl_state_add_port(struct sl_state *st, const struct sl_port *p)
{
	void *arr = st->ports;

	if (st->n_ports == UINT_MAX ||
	    grow(&arr, &st->cap_ports, st->n_ports + 1, sizeof(*st->ports)))
		return NULL;
	st->ports = arr;
	st->ports[st->n_ports] = *p;
	return &st->ports[st->n_ports++];
}

void sl_state_del_network(struct sl_state *st, unsigned int idx)
{
	if (idx >= st->n_networks)
		return;
	memmove(&st->networks[idx], &st->networks[idx + 1],
		(st->n_networks - idx - 1) * sizeof(*st->networks));
	st->n_networks--;
}

void sl_state_del_endpoint(struct sl_state *st, unsigned int idx)
{
	if (idx >= st->n_endpoints)
		return;
	memmove(&st->endpoints[idx], &st->endpoints[idx + 1],
		(st->n_endpoints - idx - 1) * sizeof(*st->endpoints));
	st->n_endpoints--;
}

void sl_state_del_port(struct sl_state *st, unsigned int idx)
{
	if (idx >= st->n_ports)
		return;
	memmove(&st->ports[idx], &st->ports[idx + 1], (st->n_ports - idx - 1) * sizeof(*st->ports));
	st->n_ports--;
}

struct sl_network *sl_state_network(struct sl_state *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->n_networks; i++)
		if (!strcmp(st->networks[i].name, name))
			return &st->networks[i];
	return NULL;
}

struct sl_network *sl_state_network_by_id(struct sl_state *st, __u32 id)
{
	unsigned int i;

	for (i = 0; i < st->n_networks; i++)
		if (st->networks[i].id == id)
			return &st->networks[i];
	return NULL;
}

struct sl_ep *sl_state_endpoint(struct sl_state *st, const char *network, const char *container)
{
	unsigned int i;

	for (i = 0; i < st->n_endpoints; i++)
		if (!strcmp(st->endpoints[i].network, network) &&
		    !strcmp(st->endpoints[i].container, container))
			return &st->endpoints[i];
	return NULL;
}

/* The answer is in 1..n+1 (pigeonhole), so only ids up to n+1 matter. */
__u32 sl_state_next_network_id(const struct sl_state *st)
{
	__u32 cand;
	unsigned int i;

	for (cand = 1; cand != 0; cand++) {
		for (i = 0; i < st->n_networks; i++)
			if (st->networks[i].id == cand)
				break;
		if (i == st->n_networks)
			return cand;
	}
	return 0; /* unreachable: at most UINT_MAX networks, 2^32 - 1 ids */
}

/* A bitmap of the ids in use: O(n) plus a fixed 8 KiB scan. */
__u32 sl_state_next_port_id(const struct sl_state *st)
{
	enum { BITS = 8 * sizeof(unsigned long) };
	unsigned long used[(PORT_MAX + 1 + BITS - 1) / BITS];
	unsigned int i, w, b;
	__u32 id;

	memset(used, 0, sizeof(used));
	used[0] = 1; /* id 0 is never handed out */
	for (i = 0; i < st->n_ports; i++) {
		id = st->ports[i].id;
		if (id <= PORT_MAX)
			used[id / BITS] |= 1UL << (id % BITS);
	}
	for (w = 0; w < sizeof(used) / sizeof(used[0]); w++) {
		if (used[w] == ~0UL)
			continue;
		for (b = 0; b < BITS; b++) {
			id = w * BITS + b;
			if (id > PORT_MAX)
				return 0;
			if (!(used[w] & (1UL << b)))
				return id;
		}
	}
	return 0; /* all 65535 ids taken */
}

static bool port_equal(const struct sl_port *x, const struct sl_port *y)
{
	unsigned int j;

	if (strncmp(x->container, y->container, SL_NAME_MAX) ||
	    strncmp(x->network, y->network, SL_NAME_MAX) || x->id != y->id ||
	    x->proto != y->proto || x->host_addr != y->host_addr || x->host_port != y->host_port ||
	    x->container_port != y->container_port || x->n_allow != y->n_allow)
		return false;
	for (j = 0; j < x->n_allow && j < SL_MAX_PORT_ALLOW; j++)
		if (x->allow[j].addr != y->allow[j].addr ||
		    x->allow[j].prefixlen != y->allow[j].prefixlen)
			return false;
	return true;
}

bool sl_state_equal(const struct sl_state *a, const struct sl_state *b)
{
	unsigned int i, j;

	if (a->n_networks != b->n_networks || a->n_endpoints != b->n_endpoints ||
	    a->n_ports != b->n_ports || a->n_uplinks != b->n_uplinks)
		return false;
	for (i = 0; i < a->n_networks; i++) {
		const struct sl_network *x = &a->networks[i], *y = &b->networks[i];

		if (strncmp(x->name, y->name, SL_NAME_MAX) || x->id != y->id ||
		    x->subnet.addr != y->subnet.addr ||
		    x->subnet.prefixlen != y->subnet.prefixlen || x->gateway != y->gateway ||
		    x->internal != y->internal)
			return false;
	}
	for (i = 0; i < a->n_endpoints; i++) {
		const struct sl_ep *x = &a->endpoints[i], *y = &b->endpoints[i];

		if (strncmp(x->network, y->network, SL_NAME_MAX) ||
		    strncmp(x->container, y->container, SL_NAME_MAX) || x->addr != y->addr ||
		    memcmp(x->mac, y->mac, 6) || strncmp(x->ifname, y->ifname, SL_IFNAME_MAX) ||
		    strncmp(x->host_ifname, y->host_ifname, SL_IFNAME_MAX) ||
		    strncmp(x->netns, y->netns, SL_NETNS_MAX) || x->nsdev != y->nsdev ||
		    x->nsino != y->nsino || x->n_aliases != y->n_aliases)
			return false;
		for (j = 0; j < x->n_aliases && j < SL_MAX_ALIASES; j++)
			if (strncmp(x->aliases[j], y->aliases[j], SL_NAME_MAX))
				return false;
	}
	for (i = 0; i < a->n_ports; i++)
		if (!port_equal(&a->ports[i], &b->ports[i]))
			return false;
	for (i = 0; i < a->n_uplinks && i < SL_STATE_MAX_UPLINKS; i++)
		if (strncmp(a->uplinks[i], b->uplinks[i], SL_IFNAME_MAX))
			return false;
	return strncmp(a->cgroup, b->cgroup, SL_NETNS_MAX) == 0 &&
	       strncmp(a->xdp, b->xdp, sizeof(a->xdp)) == 0;
}

/* --- parser --------------------------------------------------------------- */

struct parser {
	struct sl_state st;
	unsigned int *net_line, *ep_line, *port_line; /* source line of each record */
	unsigned int cap_net_line, cap_ep_line, cap_port_line;
	unsigned int *id_owner; /* port id -> index + 1 of the port using it; lazy */
	unsigned int uplink_line[SL_STATE_MAX_UPLINKS];
	unsigned int cgroup_line;
	unsigned int xdp_line;
	unsigned int lineno;
	char *err;
	size_t errlen;
};

/* Record "line N: <what>" in the caller's buffer; returns -EINVAL. */
static int __attribute__((format(printf, 2, 3))) perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "line %u: ", p->lineno);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Quote a value for a message: the input is arbitrary bytes, so anything not
 * printable ASCII is escaped and long values are cut, keeping the message on
 * one readable line.
 */
static const char *quote(char dst[QUOTE_LEN], const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	dst[o++] = '"';
	for (i = 0; s[i] && i < QUOTE_SRC; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	if (s[i]) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}

/* Split "key=value"; returns the value, or NULL when there is no '='. */
static char *split_kv(char *tok)
{
	char *eq = strchr(tok, '=');

	if (!eq)
		return NULL;
	*eq = '\0';
	return eq + 1;
}

/*
 * The error for a CIDR field (who's field, e.g. "network a" and "subnet")
 * that does not parse, with a hint when only host bits are wrong.
 */
static int bad_cidr(struct parser *p, const char *who, const char *field, const char *val)
{
	char q[QUOTE_LEN], ip[SL_IP4_STRLEN], addr[SL_IP4_STRLEN];
	const char *slash = strchr(val, '/');
	struct sl_cidr c;
	__be32 a;
	size_t n;
	char plen[4];

	if (slash && (n = (size_t)(slash - val)) < sizeof(addr) &&
	    strlen(slash + 1) < sizeof(plen)) {
		memcpy(addr, val, n);
		addr[n] = '\0';
		strcpy(plen, slash + 1);
		/* Re-parse with a zero address to validate the prefix on its own. */
		if (!sl_ip4_parse(addr, &a) && snprintf(ip, sizeof(ip), "0.0.0.0/%s", plen) > 0 &&
		    !sl_cidr_parse(ip, &c))
			return perr(p, "%s: %s %s has host bits set (did you mean %s/%u?)", who,
				    field, quote(q, val),
				    sl_ip4_fmt(sl_cidr_network(a, c.prefixlen), ip), c.prefixlen);
	}
	return perr(p, "%s: bad %s %s (expected A.B.C.D/N with N in 0..32)", who, field,
		    quote(q, val));
}

static int bad_subnet(struct parser *p, const char *net, const char *val)
{
	char who[SL_NAME_MAX + 16];

	snprintf(who, sizeof(who), "network %s", net);
	return bad_cidr(p, who, "subnet", val);
}

static int track_line(unsigned int **arr, unsigned int *cap, unsigned int idx, unsigned int line)
{
	void *a = *arr;

	if (grow(&a, cap, idx + 1, sizeof(**arr)))
		return -ENOMEM;
	*arr = a;
	(*arr)[idx] = line;
	return 0;
}

static int nomem(struct parser *p)
{
	perr(p, "out of memory");
	return -ENOMEM;
}

/* network NAME id=N subnet=A.B.C.D/N gateway=A.B.C.D [internal] */
static int parse_network(struct parser *p, char **tok, unsigned int ntok)
{
	bool have_id = false, have_subnet = false, have_gw = false, have_internal = false;
	char q[QUOTE_LEN], ip[SL_IP4_STRLEN], cidr[SL_CIDR_STRLEN], cidr2[SL_CIDR_STRLEN];
	struct sl_network n;
	unsigned int i;
	__u64 v;
	char *val;

	memset(&n, 0, sizeof(n));
	if (ntok < 2)
		return perr(p, "network: missing name");
	if (!sl_name_valid(tok[1]))
		return perr(p,
			    "bad network name %s (names are [A-Za-z0-9][A-Za-z0-9_.-]*, at most %d "
			    "bytes)",
			    quote(q, tok[1]), SL_NAME_MAX - 1);
	strcpy(n.name, tok[1]);

	for (i = 2; i < ntok; i++) {
		if (!strcmp(tok[i], "internal")) {
			if (have_internal)
				return perr(p, "network %s: duplicate internal flag", n.name);
			have_internal = true;
			n.internal = true;
			continue;
		}
		val = split_kv(tok[i]);
		if (!val)
			return perr(p, "network %s: unknown field %s", n.name, quote(q, tok[i]));
		if (!strcmp(tok[i], "id")) {
			if (have_id)
				return perr(p, "network %s: duplicate id=", n.name);
			have_id = true;
			if (parse_u64(val, &v) || v == 0 || v > UINT32_MAX)
				return perr(p, "network %s: bad id %s (expected 1..4294967295)",
					    n.name, quote(q, val));
			n.id = (__u32)v;
		} else if (!strcmp(tok[i], "subnet")) {
			if (have_subnet)
				return perr(p, "network %s: duplicate subnet=", n.name);
			have_subnet = true;
			if (sl_cidr_parse(val, &n.subnet))
				return bad_subnet(p, n.name, val);
		} else if (!strcmp(tok[i], "gateway")) {
			if (have_gw)
				return perr(p, "network %s: duplicate gateway=", n.name);
			have_gw = true;
			if (sl_ip4_parse(val, &n.gateway))
				return perr(p, "network %s: bad gateway %s (expected A.B.C.D)",
					    n.name, quote(q, val));
		} else {
			val[-1] = '='; /* quote the whole field */
			return perr(p, "network %s: unknown field %s", n.name, quote(q, tok[i]));
		}
	}
	if (!have_id)
		return perr(p, "network %s: missing id=", n.name);
	if (!have_subnet)
		return perr(p, "network %s: missing subnet=", n.name);
	if (!have_gw)
		return perr(p, "network %s: missing gateway=", n.name);
	if (!sl_cidr_contains(&n.subnet, n.gateway))
		return perr(p, "network %s: gateway %s is outside subnet %s", n.name,
			    sl_ip4_fmt(n.gateway, ip), sl_cidr_fmt(&n.subnet, cidr));
	if (!sl_cidr_is_host(&n.subnet, n.gateway))
		return perr(p,
			    "network %s: gateway %s is not a host address of %s (network or "
			    "broadcast address, or a subnet smaller than /30)",
			    n.name, sl_ip4_fmt(n.gateway, ip), sl_cidr_fmt(&n.subnet, cidr));

	if (p->st.n_networks >= SL_STATE_MAX_NETWORKS)
		return perr(p, "too many networks (at most %d)", SL_STATE_MAX_NETWORKS);
	/* At most 4096 networks: the quadratic checks stay cheap. */
	for (i = 0; i < p->st.n_networks; i++) {
		const struct sl_network *o = &p->st.networks[i];

		if (!strcmp(o->name, n.name))
			return perr(p, "network %s: duplicate network name (first on line %u)",
				    n.name, p->net_line[i]);
		if (o->id == n.id)
			return perr(p, "network %s: id %u already used by network %s on line %u",
				    n.name, n.id, o->name, p->net_line[i]);
		if (sl_cidr_overlap(&o->subnet, &n.subnet))
			return perr(p,
				    "network %s: subnet %s overlaps subnet %s of network %s on "
				    "line %u",
				    n.name, sl_cidr_fmt(&n.subnet, cidr),
				    sl_cidr_fmt(&o->subnet, cidr2), o->name, p->net_line[i]);
	}
	if (track_line(&p->net_line, &p->cap_net_line, p->st.n_networks, p->lineno) ||
	    !sl_state_add_network(&p->st, &n))
		return nomem(p);
	return 0;
}

/*
 * endpoint NETWORK CONTAINER ip= mac= ifname= host_ifname= netns=
 *          [nsdev= nsino=] [alias=]...
 * Only the record's own syntax is checked here; its network and the
 * uniqueness rules are checked once the whole file is read.
 */
static int parse_endpoint(struct parser *p, char **tok, unsigned int ntok)
{
	bool have_ip = false, have_mac = false, have_if = false, have_hif = false;
	bool have_netns = false, have_dev = false, have_ino = false;
	char q[QUOTE_LEN];
	struct sl_ep *ep;
	unsigned int i, j;
	const char *what;
	char *val;

	/* struct sl_ep is ~4.6 KiB; keep it off the stack. */
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return nomem(p);
	if (ntok < 3) {
		perr(p, "endpoint: expected NETWORK CONTAINER and fields");
		goto bad;
	}
	for (i = 1; i <= 2; i++) {
		if (!sl_name_valid(tok[i])) {
			perr(p,
			     "endpoint: bad %s name %s (names are [A-Za-z0-9][A-Za-z0-9_.-]*, at "
			     "most %d bytes)",
			     i == 1 ? "network" : "container", quote(q, tok[i]), SL_NAME_MAX - 1);
			goto bad;
		}
	}
	strcpy(ep->network, tok[1]);
	strcpy(ep->container, tok[2]);

	for (i = 3; i < ntok; i++) {
		val = split_kv(tok[i]);
		if (!val) {
			perr(p, "endpoint %s/%s: unknown field %s", ep->network, ep->container,
			     quote(q, tok[i]));
			goto bad;
		}
		what = tok[i];
		if (!strcmp(what, "ip")) {
			if (have_ip)
				goto dup;
			have_ip = true;
			if (sl_ip4_parse(val, &ep->addr))
				goto bad_val;
		} else if (!strcmp(what, "mac")) {
			if (have_mac)
				goto dup;
			have_mac = true;
			if (sl_mac_parse(val, ep->mac))
				goto bad_val;
		} else if (!strcmp(what, "ifname")) {
			if (have_if)
				goto dup;
			have_if = true;
			if (!ifname_valid(val))
				goto bad_val;
			strcpy(ep->ifname, val);
		} else if (!strcmp(what, "host_ifname")) {
			if (have_hif)
				goto dup;
			have_hif = true;
			if (!ifname_valid(val))
				goto bad_val;
			strcpy(ep->host_ifname, val);
		} else if (!strcmp(what, "netns")) {
			if (have_netns)
				goto dup;
			have_netns = true;
			if (!netns_valid(val))
				goto bad_val;
			strcpy(ep->netns, val);
		} else if (!strcmp(what, "nsdev")) {
			if (have_dev)
				goto dup;
			have_dev = true;
			if (parse_u64(val, &ep->nsdev))
				goto bad_val;
		} else if (!strcmp(what, "nsino")) {
			if (have_ino)
				goto dup;
			have_ino = true;
			if (parse_u64(val, &ep->nsino))
				goto bad_val;
		} else if (!strcmp(what, "alias")) {
			if (!sl_name_valid(val))
				goto bad_val;
			if (ep->n_aliases >= SL_MAX_ALIASES) {
				perr(p, "endpoint %s/%s: more than %d aliases", ep->network,
				     ep->container, SL_MAX_ALIASES);
				goto bad;
			}
			for (j = 0; j < ep->n_aliases; j++) {
				if (!strcmp(ep->aliases[j], val)) {
					perr(p, "endpoint %s/%s: duplicate alias %s", ep->network,
					     ep->container, quote(q, val));
					goto bad;
				}
			}
			strcpy(ep->aliases[ep->n_aliases++], val);
		} else {
			val[-1] = '='; /* quote the whole field */
			perr(p, "endpoint %s/%s: unknown field %s", ep->network, ep->container,
			     quote(q, what));
			goto bad;
		}
	}
	what = !have_ip	     ? "ip"
	       : !have_mac   ? "mac"
	       : !have_if    ? "ifname"
	       : !have_hif   ? "host_ifname"
	       : !have_netns ? "netns"
			     : NULL;
	if (what) {
		perr(p, "endpoint %s/%s: missing %s=", ep->network, ep->container, what);
		goto bad;
	}
	if (have_dev != have_ino) {
		perr(p, "endpoint %s/%s: nsdev= and nsino= go together", ep->network,
		     ep->container);
		goto bad;
	}
	if (p->st.n_endpoints >= SL_STATE_MAX_ENDPOINTS) {
		perr(p, "too many endpoints (at most %d)", SL_STATE_MAX_ENDPOINTS);
		goto bad;
	}
	if (track_line(&p->ep_line, &p->cap_ep_line, p->st.n_endpoints, p->lineno) ||
	    !sl_state_add_endpoint(&p->st, ep)) {
		free(ep);
		return nomem(p);
	}
	free(ep);
	return 0;

dup:
	perr(p, "endpoint %s/%s: duplicate %s=", ep->network, ep->container, what);
	goto bad;
bad_val:
	perr(p, "endpoint %s/%s: bad %s %s", ep->network, ep->container, what, quote(q, val));
bad:
	free(ep);
	return -EINVAL;
}

/* A port number: strict decimal 1..65535. */
static int parse_portnum(const char *s, __u16 *out)
{
	__u64 v;

	if (parse_u64(s, &v) || v == 0 || v > PORT_MAX)
		return -EINVAL;
	*out = (__u16)v;
	return 0;
}

/* "A.B.C.D:PORT": a strict dotted quad (0.0.0.0 allowed) and a port number. */
static int parse_hostport(const char *s, __be32 *addr, __u16 *port)
{
	const char *colon = strchr(s, ':');
	char a[SL_IP4_STRLEN];
	size_t n;

	if (!colon || (n = (size_t)(colon - s)) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, n);
	a[n] = '\0';
	if (sl_ip4_parse(a, addr) || parse_portnum(colon + 1, port))
		return -EINVAL;
	return 0;
}

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : NULL;
}

/*
 * port CONTAINER NETWORK id=N proto=tcp|udp host=A.B.C.D:PORT container_port=PORT
 *      [allow=CIDR]...
 * The record's own syntax and its id are checked here; its endpoint and host
 * port conflicts once the whole file is read (the endpoint may come later).
 */
static int parse_port(struct parser *p, char **tok, unsigned int ntok)
{
	bool have_id = false, have_proto = false, have_host = false, have_cport = false;
	char q[QUOTE_LEN], who[2 * SL_NAME_MAX + 8];
	const struct sl_port *o;
	struct sl_cidr c;
	struct sl_port pt;
	unsigned int i, j;
	const char *what;
	char *val;
	__u64 v;

	memset(&pt, 0, sizeof(pt));
	if (ntok < 3)
		return perr(p, "port: expected CONTAINER NETWORK and fields");
	for (i = 1; i <= 2; i++)
		if (!sl_name_valid(tok[i]))
			return perr(p,
				    "port: bad %s name %s (names are [A-Za-z0-9][A-Za-z0-9_.-]*, "
				    "at most %d bytes)",
				    i == 1 ? "container" : "network", quote(q, tok[i]),
				    SL_NAME_MAX - 1);
	strcpy(pt.container, tok[1]);
	strcpy(pt.network, tok[2]);
	snprintf(who, sizeof(who), "port %s %s", pt.container, pt.network);

	for (i = 3; i < ntok; i++) {
		val = split_kv(tok[i]);
		if (!val)
			return perr(p, "%s: unknown field %s", who, quote(q, tok[i]));
		what = tok[i];
		if (!strcmp(what, "id")) {
			if (have_id)
				goto dup;
			have_id = true;
			if (parse_u64(val, &v) || v == 0 || v > PORT_MAX)
				return perr(p, "%s: bad id %s (expected 1..%d)", who, quote(q, val),
					    PORT_MAX);
			pt.id = (__u32)v;
		} else if (!strcmp(what, "proto")) {
			if (have_proto)
				goto dup;
			have_proto = true;
			if (!strcmp(val, "tcp"))
				pt.proto = IPPROTO_TCP;
			else if (!strcmp(val, "udp"))
				pt.proto = IPPROTO_UDP;
			else
				return perr(p, "%s: bad proto %s (expected tcp or udp)", who,
					    quote(q, val));
		} else if (!strcmp(what, "host")) {
			if (have_host)
				goto dup;
			have_host = true;
			if (parse_hostport(val, &pt.host_addr, &pt.host_port))
				return perr(p,
					    "%s: bad host %s (expected A.B.C.D:PORT with PORT in "
					    "1..%d; 0.0.0.0:PORT for every address)",
					    who, quote(q, val), PORT_MAX);
		} else if (!strcmp(what, "container_port")) {
			if (have_cport)
				goto dup;
			have_cport = true;
			if (parse_portnum(val, &pt.container_port))
				return perr(p, "%s: bad container_port %s (expected 1..%d)", who,
					    quote(q, val), PORT_MAX);
		} else if (!strcmp(what, "allow")) {
			if (sl_cidr_parse(val, &c))
				return bad_cidr(p, who, "allow", val);
			if (pt.n_allow >= SL_MAX_PORT_ALLOW)
				return perr(p, "%s: more than %d allow= CIDRs", who,
					    SL_MAX_PORT_ALLOW);
			for (j = 0; j < pt.n_allow; j++)
				if (pt.allow[j].addr == c.addr &&
				    pt.allow[j].prefixlen == c.prefixlen)
					return perr(p, "%s: duplicate allow %s", who,
						    quote(q, val));
			pt.allow[pt.n_allow++] = c;
		} else {
			val[-1] = '='; /* quote the whole field */
			return perr(p, "%s: unknown field %s", who, quote(q, what));
		}
	}
	what = !have_id	     ? "id"
	       : !have_proto ? "proto"
	       : !have_host  ? "host"
	       : !have_cport ? "container_port"
			     : NULL;
	if (what)
		return perr(p, "%s: missing %s=", who, what);

	if (p->st.n_ports >= SL_STATE_MAX_PORTS)
		return perr(p, "too many ports (at most %d)", SL_STATE_MAX_PORTS);
	if (!p->id_owner) {
		p->id_owner = calloc(PORT_MAX + 1, sizeof(*p->id_owner));
		if (!p->id_owner)
			return nomem(p);
	}
	if (p->id_owner[pt.id]) {
		o = &p->st.ports[p->id_owner[pt.id] - 1];
		return perr(p, "%s: id %u already used by port %s %s on line %u", who, pt.id,
			    o->container, o->network, p->port_line[p->id_owner[pt.id] - 1]);
	}
	if (track_line(&p->port_line, &p->cap_port_line, p->st.n_ports, p->lineno) ||
	    !sl_state_add_port(&p->st, &pt))
		return nomem(p);
	p->id_owner[pt.id] = p->st.n_ports;
	return 0;

dup:
	return perr(p, "%s: duplicate %s=", who, what);
}

/* uplink IFNAME */
static int parse_uplink(struct parser *p, char **tok, unsigned int ntok)
{
	struct sl_state *st = &p->st;
	char q[QUOTE_LEN];
	unsigned int i;

	if (ntok != 2)
		return perr(p, "uplink: expected exactly one interface name");
	if (!ifname_valid(tok[1]))
		return perr(p, "uplink: bad interface name %s (1..15 bytes, no '/', ':' or space)",
			    quote(q, tok[1]));
	for (i = 0; i < st->n_uplinks; i++)
		if (!strcmp(st->uplinks[i], tok[1]))
			return perr(p, "uplink %s: duplicate (first on line %u)", tok[1],
				    p->uplink_line[i]);
	if (st->n_uplinks >= SL_STATE_MAX_UPLINKS)
		return perr(p, "too many uplinks (at most %d)", SL_STATE_MAX_UPLINKS);
	p->uplink_line[st->n_uplinks] = p->lineno;
	strcpy(st->uplinks[st->n_uplinks++], tok[1]);
	return 0;
}

/* cgroup PATH (at most one) */
static int parse_cgroup(struct parser *p, char **tok, unsigned int ntok)
{
	char q[QUOTE_LEN];

	if (ntok != 2)
		return perr(p, "cgroup: expected exactly one path");
	if (!netns_valid(tok[1]))
		return perr(p, "cgroup: bad path %s (absolute, no spaces, < %d bytes)",
			    quote(q, tok[1]), SL_NETNS_MAX);
	if (p->cgroup_line)
		return perr(p, "cgroup: duplicate (first on line %u)", p->cgroup_line);
	p->cgroup_line = p->lineno;
	strcpy(p->st.cgroup, tok[1]);
	return 0;
}

static bool xdp_mode_valid(const char *m)
{
	return !strcmp(m, "native") || !strcmp(m, "generic") || !strcmp(m, "off");
}

/* xdp native|generic|off (at most one; absent = not chosen yet) */
static int parse_xdp(struct parser *p, char **tok, unsigned int ntok)
{
	char q[QUOTE_LEN];

	if (ntok != 2 || !xdp_mode_valid(tok[1]))
		return perr(p, "xdp: expected 'native', 'generic' or 'off', got %s",
			    ntok > 1 ? quote(q, tok[1]) : "nothing");
	if (p->xdp_line)
		return perr(p, "xdp: duplicate (first on line %u)", p->xdp_line);
	p->xdp_line = p->lineno;
	strcpy(p->st.xdp, tok[1]);
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	char *tok[MAX_FIELDS], *s = line, *sp;
	unsigned int ntok = 0;
	char q[QUOTE_LEN];

	/* Fields are separated by exactly one space; an empty field is an error. */
	for (;;) {
		if (ntok == MAX_FIELDS)
			return perr(p, "too many fields (at most %d)", MAX_FIELDS);
		sp = strchr(s, ' ');
		if (sp == s || *s == '\0')
			return perr(p, "empty field (fields are separated by one space, "
				       "no leading or trailing space)");
		tok[ntok++] = s;
		if (!sp)
			break;
		*sp = '\0';
		s = sp + 1;
	}
	if (!strcmp(tok[0], "network"))
		return parse_network(p, tok, ntok);
	if (!strcmp(tok[0], "endpoint"))
		return parse_endpoint(p, tok, ntok);
	if (!strcmp(tok[0], "port"))
		return parse_port(p, tok, ntok);
	if (!strcmp(tok[0], "uplink"))
		return parse_uplink(p, tok, ntok);
	if (!strcmp(tok[0], "cgroup"))
		return parse_cgroup(p, tok, ntok);
	if (!strcmp(tok[0], "xdp"))
		return parse_xdp(p, tok, ntok);
	return perr(p,
		    "unknown record %s (expected network, endpoint, port, uplink, cgroup or "
		    "xdp)",
		    quote(q, tok[0]));
}

struct ep_ref {
	const struct sl_ep *ep;
	unsigned int line;
};

static int cmp_net_name(const void *a, const void *b)
{
	const struct sl_network *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int cmp_line(const struct ep_ref *x, const struct ep_ref *y)
{
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ep_ref *x = a, *y = b;
	__u32 ax = ntohl(x->ep->addr), ay = ntohl(y->ep->addr);

	return ax != ay ? (ax < ay ? -1 : 1) : cmp_line(x, y);
}

static int cmp_pair(const void *a, const void *b)
{
	const struct ep_ref *x = a, *y = b;
	int r = strcmp(x->ep->network, y->ep->network);

	if (!r)
		r = strcmp(x->ep->container, y->ep->container);
	return r ? r : cmp_line(x, y);
}

static int cmp_hif(const void *a, const void *b)
{
	const struct ep_ref *x = a, *y = b;
	int r = strcmp(x->ep->host_ifname, y->ep->host_ifname);

	return r ? r : cmp_line(x, y);
}

/*
 * Sort refs by key then line; return the index of the duplicate on the
 * earliest line (its first occurrence is at index - 1), or -1.
 */
static long first_dup(struct ep_ref *refs, unsigned int n, int (*cmp)(const void *, const void *))
{
	struct ep_ref a, b;
	long best = -1;
	unsigned int i;

	qsort(refs, n, sizeof(*refs), cmp);
	for (i = 1; i < n; i++) {
		/* Equal keys: compare with the lines masked out. */
		a = refs[i - 1];
		b = refs[i];
		a.line = b.line = 0;
		if (cmp(&a, &b) == 0 && (best < 0 || refs[i].line < refs[best].line))
			best = i;
	}
	return best;
}

/*
 * Checks across records, once the whole file is read (networks may follow
 * their endpoints in a hand-edited file). Sorting keeps this O(n log n) for
 * 65536 endpoints.
 */
static int check_endpoints(struct parser *p)
{
	char ip[SL_IP4_STRLEN], cidr[SL_CIDR_STRLEN];
	const struct sl_network **byname = NULL, **hit, *keyp;
	struct sl_network key_net;
	struct sl_state *st = &p->st;
	struct ep_ref *refs = NULL;
	const struct sl_ep *ep, *o;
	int ret = 0;
	unsigned int i;
	long d;

	if (!st->n_endpoints)
		return 0;
	byname = calloc(st->n_networks + 1, sizeof(*byname));
	refs = calloc(st->n_endpoints, sizeof(*refs));
	if (!byname || !refs) {
		ret = nomem(p);
		goto out;
	}
	for (i = 0; i < st->n_networks; i++)
		byname[i] = &st->networks[i];
	qsort(byname, st->n_networks, sizeof(*byname), cmp_net_name);

	memset(&key_net, 0, sizeof(key_net));
	keyp = &key_net;
	for (i = 0; i < st->n_endpoints; i++) {
		ep = &st->endpoints[i];
		p->lineno = p->ep_line[i];
		strcpy(key_net.name, ep->network);
		hit = bsearch(&keyp, byname, st->n_networks, sizeof(*byname), cmp_net_name);
		if (!hit) {
			ret = perr(p, "endpoint %s/%s: unknown network %s", ep->network,
				   ep->container, ep->network);
			goto out;
		}
		if (!sl_cidr_contains(&(*hit)->subnet, ep->addr)) {
			ret = perr(p,
				   "endpoint %s/%s: address %s is outside subnet %s of network %s",
				   ep->network, ep->container, sl_ip4_fmt(ep->addr, ip),
				   sl_cidr_fmt(&(*hit)->subnet, cidr), ep->network);
			goto out;
		}
		if (ep->addr == (*hit)->gateway) {
			ret = perr(p, "endpoint %s/%s: address %s is the gateway of network %s",
				   ep->network, ep->container, sl_ip4_fmt(ep->addr, ip),
				   ep->network);
			goto out;
		}
		if (!sl_cidr_is_host(&(*hit)->subnet, ep->addr)) {
			ret = perr(p,
				   "endpoint %s/%s: address %s is the network or broadcast "
				   "address of %s",
				   ep->network, ep->container, sl_ip4_fmt(ep->addr, ip),
				   sl_cidr_fmt(&(*hit)->subnet, cidr));
			goto out;
		}
		refs[i].ep = ep;
		refs[i].line = p->ep_line[i];
	}

	d = first_dup(refs, st->n_endpoints, cmp_addr);
	if (d >= 0) {
		ep = refs[d].ep;
		o = refs[d - 1].ep;
		p->lineno = refs[d].line;
		ret = perr(p, "endpoint %s/%s: address %s already used by %s/%s on line %u",
			   ep->network, ep->container, sl_ip4_fmt(ep->addr, ip), o->network,
			   o->container, refs[d - 1].line);
		goto out;
	}
	d = first_dup(refs, st->n_endpoints, cmp_pair);
	if (d >= 0) {
		ep = refs[d].ep;
		p->lineno = refs[d].line;
		ret = perr(p, "endpoint %s/%s: duplicate endpoint (first on line %u)", ep->network,
			   ep->container, refs[d - 1].line);
		goto out;
	}
	d = first_dup(refs, st->n_endpoints, cmp_hif);
	if (d >= 0) {
		ep = refs[d].ep;
		o = refs[d - 1].ep;
		p->lineno = refs[d].line;
		ret = perr(p, "endpoint %s/%s: host_ifname %s already used by %s/%s on line %u",
			   ep->network, ep->container, ep->host_ifname, o->network, o->container,
			   refs[d - 1].line);
		goto out;
	}
out:
	free(byname);
	free(refs);
	return ret;
}

static int cmp_ep_pair(const void *a, const void *b)
{
	const struct sl_ep *const *x = a, *const *y = b;
	int r = strcmp((*x)->network, (*y)->network);

	return r ? r : strcmp((*x)->container, (*y)->container);
}

struct port_ref {
	const struct sl_port *pt;
	unsigned int line;
};

/* By (proto, host port, host address, line): 0.0.0.0 leads each (proto, port). */
static int cmp_port_ref(const void *a, const void *b)
{
	const struct port_ref *x = a, *y = b;
	__u32 ax = ntohl(x->pt->host_addr), ay = ntohl(y->pt->host_addr);

	if (x->pt->proto != y->pt->proto)
		return x->pt->proto < y->pt->proto ? -1 : 1;
	if (x->pt->host_port != y->pt->host_port)
		return x->pt->host_port < y->pt->host_port ? -1 : 1;
	if (ax != ay)
		return ax < ay ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * The host port conflict on the earliest line: sets *at to the ref on that
 * line and *with to the earliest earlier ref it conflicts with, or returns
 * false. refs are sorted by cmp_port_ref, so one pass finds it: within a
 * (proto, port) group, a wildcard conflicts with every other member (the
 * group's earliest line is its partner), a specific address with the
 * earliest member of its own address and the earliest wildcard.
 */
static bool first_conflict(const struct port_ref *refs, unsigned int n, long *at, long *with)
{
	unsigned int g, e, i, k, m;
	long first, wild, cand;

	*at = *with = -1;
	for (g = 0; g < n; g = e) {
		first = g;
		for (e = g + 1; e < n && refs[e].pt->proto == refs[g].pt->proto &&
				refs[e].pt->host_port == refs[g].pt->host_port;
		     e++)
			if (refs[e].line < refs[first].line)
				first = e;
		/* Lines ascend within one address: the first wildcard is the earliest. */
		wild = refs[g].pt->host_addr == 0 ? (long)g : -1;
		for (i = g; i < e; i = k) {
			for (k = i + 1; k < e && refs[k].pt->host_addr == refs[i].pt->host_addr;
			     k++)
				;
			for (m = i; m < k; m++) {
				cand = -1;
				if (refs[m].pt->host_addr == 0) {
					if (first != (long)m)
						cand = first;
				} else {
					if (m != i)
						cand = i;
					if (wild >= 0 && refs[wild].line < refs[m].line &&
					    (cand < 0 || refs[wild].line < refs[cand].line))
						cand = wild;
				}
				if (cand >= 0 && (*at < 0 || refs[m].line < refs[*at].line)) {
					*at = m;
					*with = cand;
				}
			}
		}
	}
	return *at >= 0;
}

/*
 * Checks across ports, once the whole file (and check_endpoints) is done:
 * each port's endpoint exists, and no two ports claim one host port. Both
 * sort, so 65535 ports stay O(n log n).
 */
static int check_ports(struct parser *p)
{
	char ip[SL_IP4_STRLEN], ip2[SL_IP4_STRLEN];
	const struct sl_ep **eps = NULL, **hit, *keyp;
	const struct sl_port *pt, *o;
	struct sl_state *st = &p->st;
	struct port_ref *refs = NULL;
	struct sl_ep *key = NULL;
	unsigned int i;
	long at, with;
	int ret = 0;

	if (!st->n_ports)
		return 0;
	eps = calloc(st->n_endpoints + 1, sizeof(*eps));
	refs = calloc(st->n_ports, sizeof(*refs));
	key = calloc(1, sizeof(*key)); /* ~4.6 KiB: off the stack */
	if (!eps || !refs || !key) {
		ret = nomem(p);
		goto out;
	}
	for (i = 0; i < st->n_endpoints; i++)
		eps[i] = &st->endpoints[i];
	qsort(eps, st->n_endpoints, sizeof(*eps), cmp_ep_pair);

	keyp = key;
	for (i = 0; i < st->n_ports; i++) {
		pt = &st->ports[i];
		strcpy(key->network, pt->network);
		strcpy(key->container, pt->container);
		hit = bsearch(&keyp, eps, st->n_endpoints, sizeof(*eps), cmp_ep_pair);
		if (!hit) {
			p->lineno = p->port_line[i];
			ret = perr(p,
				   "port %s %s: no endpoint %s/%s (container %s is not on network "
				   "%s)",
				   pt->container, pt->network, pt->network, pt->container,
				   pt->container, pt->network);
			goto out;
		}
		refs[i].pt = pt;
		refs[i].line = p->port_line[i];
	}

	qsort(refs, st->n_ports, sizeof(*refs), cmp_port_ref);
	if (first_conflict(refs, st->n_ports, &at, &with)) {
		pt = refs[at].pt;
		o = refs[with].pt;
		p->lineno = refs[at].line;
		ret = perr(p,
			   "port %s %s: host %s:%u/%s conflicts with host %s:%u/%s of port %s %s "
			   "on line %u",
			   pt->container, pt->network, sl_ip4_fmt(pt->host_addr, ip), pt->host_port,
			   proto_name(pt->proto), sl_ip4_fmt(o->host_addr, ip2), o->host_port,
			   proto_name(o->proto), o->container, o->network, refs[with].line);
		goto out;
	}
out:
	free(key);
	free(eps);
	free(refs);
	return ret;
}

static int check_header(struct parser *p, const char *line)
{
	char q[QUOTE_LEN];

	if (!strcmp(line, SL_STATE_HEADER))
		return 0;
	if (!strncmp(line, SL_STATE_HEADER_PFX, strlen(SL_STATE_HEADER_PFX)))
		return perr(p, "unsupported state file version %s (this sluice reads v1)",
			    quote(q, line));
	return perr(p, "not a sluice state file: expected \"%s\", found %s", SL_STATE_HEADER,
		    quote(q, line));
}

int sl_state_parse(const char *buf, size_t len, struct sl_state *st, char *err, size_t errlen)
{
	const char *pos, *end, *nl;
	struct parser p;
	char *line = NULL;
	size_t n;
	int ret = 0;

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	sl_state_init(st);

	p.lineno = 1;
	if (len == 0) {
		ret = perr(&p, "empty file: expected the header \"%s\"", SL_STATE_HEADER);
		goto out;
	}
	if (len > SL_STATE_FILE_MAX) {
		ret = perr(&p, "file larger than %d MiB", SL_STATE_FILE_MAX >> 20);
		goto out;
	}
	line = malloc(SL_STATE_LINE_MAX + 1);
	if (!line) {
		ret = nomem(&p);
		goto out;
	}
	/* Only now: buf may be NULL when len is 0, and NULL + 0 is undefined. */
	pos = buf;
	end = buf + len;
	for (p.lineno = 1; pos < end; p.lineno++) {
		/* buf is not NUL-terminated: every access is bounded by end. */
		nl = memchr(pos, '\n', (size_t)(end - pos));
		n = nl ? (size_t)(nl - pos) : (size_t)(end - pos);
		if (memchr(pos, '\0', n)) {
			ret = perr(&p, "NUL byte in line (file corrupted)");
			goto out;
		}
		if (n > SL_STATE_LINE_MAX) {
			ret = perr(&p, "line longer than %d bytes", SL_STATE_LINE_MAX);
			goto out;
		}
		memcpy(line, pos, n);
		line[n] = '\0';
		pos = nl ? nl + 1 : end;
		if (n && line[n - 1] == '\r') {
			ret = perr(&p, "line ends in a carriage return (DOS line endings; convert "
				       "the file with dos2unix)");
			goto out;
		}

		if (p.lineno == 1)
			ret = check_header(&p, line);
		else if (n == 0 || line[0] == '#')
			continue; /* blank line or comment */
		else
			ret = parse_line(&p, line);
		if (ret)
			goto out;
	}
	ret = check_endpoints(&p);
	if (!ret)
		ret = check_ports(&p);
out:
	free(line);
	free(p.net_line);
	free(p.ep_line);
	free(p.port_line);
	free(p.id_owner);
	if (ret) {
		sl_state_free(&p.st);
		return ret;
	}
	*st = p.st;
	return 0;
}

/* --- formatter ------------------------------------------------------------ */

struct strbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t ncap;
	char *np;
	int n;

	if (sb->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->err = -EINVAL;
			return;
		}
		if ((size_t)n < sb->cap - sb->len) {
			sb->len += (size_t)n;
			return;
		}
		ncap = sb->cap * 2;
		while (ncap - sb->len <= (size_t)n)
			ncap *= 2;
		np = realloc(sb->p, ncap);
		if (!np) {
			sb->err = -ENOMEM;
			return;
		}
		sb->p = np;
		sb->cap = ncap;
	}
}

/* Only fields that parse back are written: no value can break a line. */
static bool network_fmt_ok(const struct sl_network *n)
{
	return sl_name_valid(n->name) && n->subnet.prefixlen <= 32 &&
	       sl_cidr_network(n->subnet.addr, n->subnet.prefixlen) == n->subnet.addr;
}

static bool ep_fmt_ok(const struct sl_ep *ep)
{
	unsigned int i;

	if (!sl_name_valid(ep->network) || !sl_name_valid(ep->container) ||
	    !ifname_valid(ep->ifname) || !ifname_valid(ep->host_ifname) ||
	    !netns_valid(ep->netns) || ep->n_aliases > SL_MAX_ALIASES)
		return false;
	for (i = 0; i < ep->n_aliases; i++)
		if (!sl_name_valid(ep->aliases[i]))
			return false;
	return true;
}

static bool port_fmt_ok(const struct sl_port *pt)
{
	unsigned int i;

	if (!sl_name_valid(pt->container) || !sl_name_valid(pt->network) || pt->id == 0 ||
	    pt->id > PORT_MAX || !proto_name(pt->proto) || !pt->host_port || !pt->container_port ||
	    pt->n_allow > SL_MAX_PORT_ALLOW)
		return false;
	for (i = 0; i < pt->n_allow; i++)
		if (pt->allow[i].prefixlen > 32 ||
		    sl_cidr_network(pt->allow[i].addr, pt->allow[i].prefixlen) != pt->allow[i].addr)
			return false;
	return true;
}

int sl_state_format(const struct sl_state *st, char **out, size_t *outlen)
{
	char ip[SL_IP4_STRLEN], cidr[SL_CIDR_STRLEN], mac[18];
	struct strbuf sb = {0};
	unsigned int i, j;

	*out = NULL;
	*outlen = 0;
	if (st->n_networks > SL_STATE_MAX_NETWORKS || st->n_endpoints > SL_STATE_MAX_ENDPOINTS ||
	    st->n_ports > SL_STATE_MAX_PORTS || st->n_uplinks > SL_STATE_MAX_UPLINKS)
		return -EINVAL;
	sb.cap = 256;
	sb.p = malloc(sb.cap);
	if (!sb.p)
		return -ENOMEM;

	sb_printf(&sb, "%s\n", SL_STATE_HEADER);
	for (i = 0; i < st->n_networks; i++) {
		const struct sl_network *n = &st->networks[i];

		if (!network_fmt_ok(n)) {
			sb.err = -EINVAL;
			break;
		}
		sb_printf(&sb, "network %s id=%u subnet=%s gateway=%s%s\n", n->name, n->id,
			  sl_cidr_fmt(&n->subnet, cidr), sl_ip4_fmt(n->gateway, ip),
			  n->internal ? " internal" : "");
	}
	for (i = 0; i < st->n_endpoints && !sb.err; i++) {
		const struct sl_ep *ep = &st->endpoints[i];

		if (!ep_fmt_ok(ep)) {
			sb.err = -EINVAL;
			break;
		}
		sb_printf(&sb, "endpoint %s %s ip=%s mac=%s ifname=%s host_ifname=%s netns=%s",
			  ep->network, ep->container, sl_ip4_fmt(ep->addr, ip),
			  sl_mac_fmt(ep->mac, mac), ep->ifname, ep->host_ifname, ep->netns);
		/* 0 means unknown: both are written when either is known. */
		if (ep->nsdev || ep->nsino)
			sb_printf(&sb, " nsdev=%llu nsino=%llu", (unsigned long long)ep->nsdev,
				  (unsigned long long)ep->nsino);
		for (j = 0; j < ep->n_aliases; j++)
			sb_printf(&sb, " alias=%s", ep->aliases[j]);
		sb_printf(&sb, "\n");
	}
	for (i = 0; i < st->n_ports && !sb.err; i++) {
		const struct sl_port *pt = &st->ports[i];

		if (!port_fmt_ok(pt)) {
			sb.err = -EINVAL;
			break;
		}
		sb_printf(&sb, "port %s %s id=%u proto=%s host=%s:%u container_port=%u",
			  pt->container, pt->network, pt->id, proto_name(pt->proto),
			  sl_ip4_fmt(pt->host_addr, ip), pt->host_port, pt->container_port);
		for (j = 0; j < pt->n_allow; j++)
			sb_printf(&sb, " allow=%s", sl_cidr_fmt(&pt->allow[j], cidr));
		sb_printf(&sb, "\n");
	}
	for (i = 0; i < st->n_uplinks && !sb.err; i++) {
		if (!ifname_valid(st->uplinks[i])) {
			sb.err = -EINVAL;
			break;
		}
		sb_printf(&sb, "uplink %s\n", st->uplinks[i]);
	}
	if (st->cgroup[0] && !sb.err) {
		if (!netns_valid(st->cgroup))
			sb.err = -EINVAL;
		else
			sb_printf(&sb, "cgroup %s\n", st->cgroup);
	}
	if (st->xdp[0] && !sb.err) {
		if (!xdp_mode_valid(st->xdp))
			sb.err = -EINVAL;
		else
			sb_printf(&sb, "xdp %s\n", st->xdp);
	}
	if (sb.err) {
		free(sb.p);
		return sb.err;
	}
	*out = sb.p;
	*outlen = sb.len;
	return 0;
}

/* --- load and save -------------------------------------------------------- */

int sl_state_load(const char *path, struct sl_state *st)
{
	char err[512];
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	struct stat sb;
	ssize_t r;
	int fd, ret;

	sl_state_init(st);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			return 0; /* first run: nothing to restore */
		return sl_errf(ret,
			       "state file %s: cannot open: %s — check the path and its "
			       "permissions, or run 'sluice down --purge' to start over",
			       path, strerror(-ret));
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		sl_errf(ret, "state file %s: cannot stat: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = sl_errf(-EINVAL,
			      "state file %s: not a regular file — remove it, or run 'sluice "
			      "down --purge' to start over",
			      path);
		goto out;
	}
	/* Read at most one byte past the cap: enough to know the file is too big. */
	for (;;) {
		if (len > SL_STATE_FILE_MAX) {
			ret = sl_errf(
				-EFBIG,
				"state file %s: larger than %d MiB, not a sluice state file — "
				"remove it, or run 'sluice down --purge' to start over",
				path, SL_STATE_FILE_MAX >> 20);
			goto out;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > (size_t)SL_STATE_FILE_MAX + 1)
				cap = (size_t)SL_STATE_FILE_MAX + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = sl_errf(-ENOMEM, "state file %s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			sl_errf(ret, "state file %s: read failed: %s", path, strerror(-ret));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	ret = sl_state_parse(buf, len, st, err, sizeof(err));
	if (ret)
		sl_errf(ret, "state file %s: %s — %s", path, err, fix_hint);
out:
	close(fd);
	free(buf);
	return ret;
}

/* mkdir -p with mode 0700 for the components that are missing. */
static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	struct stat sb;
	size_t i, n = strlen(dir);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST) {
			int e = errno;

			/* EACCES/EROFS on a directory that exists is fine. */
			if (stat(tmp, &sb) || !S_ISDIR(sb.st_mode))
				return -e;
		}
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int sl_state_save(const char *path, const struct sl_state *st)
{
	char tmp[PATH_MAX], dir[PATH_MAX], err[512];
	const char *slash, *what = NULL;
	bool tmp_made = false;
	struct sl_state chk;
	char *text = NULL;
	int fd = -1, ret;
	size_t len;

	ret = sl_state_format(st, &text, &len);
	if (ret)
		return sl_errf(ret,
			       "state file %s: cannot serialize the state: %s — this is a bug "
			       "in sluice; the old file is kept",
			       path, strerror(-ret));
	/*
	 * Refuse to write what load would refuse: a bad record on disk would
	 * make the instance unrecoverable after a reboot.
	 */
	ret = sl_state_parse(text, len, &chk, err, sizeof(err));
	sl_state_free(&chk);
	if (ret) {
		sl_errf(ret,
			"state file %s: refusing to write an inconsistent state (%s) — this is "
			"a bug in sluice; the old file is kept",
			path, err);
		goto out;
	}

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		ret = sl_errf(-ENAMETOOLONG, "state file %s: path too long", path);
		goto out;
	}
	slash = strrchr(path, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	ret = mkdir_p(dir);
	if (ret) {
		sl_errf(ret,
			"state file %s: cannot create directory %s: %s — create it or choose "
			"another state directory",
			path, dir, strerror(-ret));
		goto out;
	}

	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		what = "create";
		goto fail;
	}
	tmp_made = true;
	ret = write_all(fd, text, len);
	if (ret) {
		what = "write";
		goto fail;
	}
	if (fsync(fd)) {
		ret = -errno;
		what = "fsync";
		goto fail;
	}
	/* close() can report a deferred write error (NFS): check it. */
	ret = close(fd);
	fd = -1;
	if (ret) {
		ret = -errno;
		what = "close";
		goto fail;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		what = "rename";
		goto fail;
	}
	tmp_made = false;

	/* The rename is durable only once the directory entry is on disk. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		ret = -errno;
		sl_errf(ret,
			"state file %s: written, but fsync of directory %s failed: %s — the "
			"update may be lost on a crash",
			path, dir, strerror(-ret));
		goto out;
	}
	ret = 0;
	goto out;

fail:
	sl_errf(ret, "state file %s: cannot %s %s: %s — check free space and permissions of %s",
		path, what, tmp, strerror(-ret), dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	free(text);
	return ret;
}
