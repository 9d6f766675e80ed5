// SPDX-License-Identifier: BSD-2-Clause
/*
 * portspec.c - Docker `-p` port specs: parse, canonical text, host-port
 * allocation, `docker port` lines.
 *
 * The parser never writes to or reads past the caller's string: it measures
 * it once with strnlen (bounded by SL_PORTSPEC_MAXLEN + 1) and then works on
 * (pointer, length) spans. Only sl_ip4_parse and inet_pton need a NUL, and
 * they get a bounded copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "addr.h"
#include "portspec.h"

/* A piece of the spec; not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/*
 * The quoted spec is capped so that every message fits SL_PORTSPEC_ERRLEN:
 * the quote, at most three field spans of <= SL_PORTSPEC_MAXLEN bytes each,
 * and the fixed text.
 */
#define QUOTE_MAX 200

/* Where a parse error goes, with the spec already escaped for quoting. */
struct perr {
	char *buf;
	size_t len;
	char quote[QUOTE_MAX + 8];
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static struct span span_of(const char *p, size_t n)
{
	struct span sp = {.p = p, .n = n};

	return sp;
}

static bool span_eq(struct span sp, const char *lit)
{
	return sp.n == strlen(lit) && !memcmp(sp.p, lit, sp.n);
}

static bool span_caseeq(struct span sp, const char *lit)
{
	size_t i;

	if (sp.n != strlen(lit))
		return false;
	for (i = 0; i < sp.n; i++)
		if (lower(sp.p[i]) != lit[i])
			return false;
	return true;
}

/* Copy sp into dst as a C string; false when it does not fit. */
static bool span_cstr(struct span sp, char *dst, size_t dstlen)
{
	if (sp.n >= dstlen)
		return false;
	memcpy(dst, sp.p, sp.n);
	dst[sp.n] = '\0';
	return true;
}

static size_t span_count(struct span sp, char c)
{
	size_t i, k = 0;

	for (i = 0; i < sp.n; i++)
		k += sp.p[i] == c;
	return k;
}

/*
 * Escape the spec for a message: printable ASCII as is, '"' and '\\' with a
 * backslash, other bytes as \xNN. Input may be any bytes, so this is what
 * keeps a terminal-control byte in a spec from reaching the user's terminal.
 */
static void quote_spec(struct perr *e, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* A spec over the limit is quoted by its start: enough to recognise it. */
	size_t i, o = 0, show = n > SL_PORTSPEC_MAXLEN ? 40 : n;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 4 > QUOTE_MAX || i == show) {
			memcpy(e->quote + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			e->quote[o++] = '\\';
			e->quote[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			e->quote[o++] = (char)c;
		} else {
			e->quote[o++] = '\\';
			e->quote[o++] = 'x';
			e->quote[o++] = hex[c >> 4];
			e->quote[o++] = hex[c & 15];
		}
	}
	e->quote[o] = '\0';
}

/* Write 'port spec "SPEC": <message>' to the caller's buffer; returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int fail(const struct perr *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e->buf || !e->len)
		return -EINVAL;
	n = snprintf(e->buf, e->len, "port spec \"%s\": ", e->quote);
	if (n >= 0 && (size_t)n < e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * One port, 1..65535. side is "host" or "container". Outcomes, checked in
 * this order so the message names the real problem:
 *   not all digits  -> not a number
 *   value 0         -> port 0 (for the host: "leave it out to allocate")
 *   > 65535         -> out of range (any length: no overflow, digits counted)
 *   leading zero    -> refused, with the number to write instead
 */
static int parse_port(const struct perr *e, const char *side, struct span sp, __u16 *out)
{
	unsigned int v = 0;
	size_t i, z = 0;

	if (sp.n == 0)
		return fail(e, "empty %s port; ports are decimal 1..65535", side);
	for (i = 0; i < sp.n; i++)
		if (!is_digit(sp.p[i]))
			return fail(e, "%s port '%.*s' is not a number; ports are decimal 1..65535",
				    side, (int)sp.n, sp.p);
	while (z < sp.n && sp.p[z] == '0')
		z++;
	if (z == sp.n) {
		if (side[0] == 'h')
			return fail(
				e,
				"host port 0 is not allowed; to have a host port allocated leave "
				"it out: CONTAINER_PORT or HOST_IP::CONTAINER_PORT");
		return fail(e, "container port 0 is not allowed; ports are 1..65535");
	}
	if (sp.n - z > 5)
		return fail(e, "%s port '%.*s' is out of range; ports are 1..65535", side,
			    (int)sp.n, sp.p);
	for (i = z; i < sp.n; i++)
		v = v * 10 + (unsigned int)(sp.p[i] - '0');
	if (v > 65535)
		return fail(e, "%s port %u is out of range; ports are 1..65535", side, v);
	if (z > 0)
		return fail(e, "%s port '%.*s' has a leading zero; write %u", side, (int)sp.n, sp.p,
			    v);
	*out = (__u16)v;
	return 0;
}

/* "A" or "A-B" with A <= B; a single port is the range A-A. */
static int parse_range(const struct perr *e, const char *side, struct span sp, __u16 *first,
		       __u16 *last)
{
	const char *dash = sp.n ? memchr(sp.p, '-', sp.n) : NULL;
	struct span a, b;
	int err;

	if (!dash) {
		err = parse_port(e, side, sp, first);
		if (!err)
			*last = *first;
		return err;
	}
	a = span_of(sp.p, (size_t)(dash - sp.p));
	b = span_of(dash + 1, sp.n - a.n - 1);
	if (a.n == 0)
		return fail(e, "%s port range '%.*s' has no start; write START-END, e.g. 8000-8010",
			    side, (int)sp.n, sp.p);
	if (b.n == 0)
		return fail(e, "%s port range '%.*s' has no end; write START-END, e.g. 8000-8010",
			    side, (int)sp.n, sp.p);
	err = parse_port(e, side, a, first);
	if (!err)
		err = parse_port(e, side, b, last);
	if (err)
		return err;
	if (*last < *first)
		return fail(e, "%s port range %u-%u ends before it starts; write %u-%u", side,
			    *first, *last, *last, *first);
	return 0;
}

/* "port 80" or "range 8000-8010", for messages. */
static const char *range_desc(__u16 first, __u16 last, char *buf, size_t len)
{
	if (first == last)
		snprintf(buf, len, "port %u", first);
	else
		snprintf(buf, len, "range %u-%u", first, last);
	return buf;
}

/* Bracketed IPv6 host address; ip is what is between the brackets. */
static int parse_ip6(const struct perr *e, struct span ip, __u8 out[16])
{
	char buf[INET6_ADDRSTRLEN];
	__be32 a4;

	if (ip.n == 0)
		return fail(e,
			    "empty IPv6 address in '[]'; write e.g. [::1]:8080:80, or [::]:8080:80 "
			    "for every address");
	if (memchr(ip.p, '%', ip.n))
		return fail(e,
			    "IPv6 zone '%.*s' is not supported; bind a global or loopback address",
			    (int)ip.n, ip.p);
	if (span_cstr(ip, buf, sizeof(buf))) {
		if (inet_pton(AF_INET6, buf, out) == 1)
			return 0;
		if (!sl_ip4_parse(buf, &a4))
			return fail(e, "'%s' is IPv4; write it without brackets, e.g. %s:8080:80",
				    buf, buf);
	}
	return fail(e, "'[%.*s]' is not an IPv6 address; write e.g. [::1]:8080:80", (int)ip.n,
		    ip.p);
}

static int parse_ip4(const struct perr *e, struct span ip, __be32 *out)
{
	char buf[SL_IP4_STRLEN];

	if (ip.n == 0)
		return fail(e,
			    "empty host IP before ':'; leave it out (HOST_PORT:CONTAINER_PORT) or "
			    "write one, e.g. 127.0.0.1:8080:80");
	if (span_cstr(ip, buf, sizeof(buf)) && !sl_ip4_parse(buf, out))
		return 0;
	if (span_count(ip, ':') == 0 && span_count(ip, '.') == 0)
		return fail(e,
			    "host IP '%.*s' is not an IPv4 address: three ':'-separated parts mean "
			    "HOST_IP:HOST_PORT:CONTAINER_PORT",
			    (int)ip.n, ip.p);
	return fail(e,
		    "host IP '%.*s' is not an IPv4 address; write a dotted quad without leading "
		    "zeros (127.0.0.1) or an IPv6 address in brackets ([::1])",
		    (int)ip.n, ip.p);
}

/*
 * The host port of a two-part spec. An IPv4 address here means the user
 * wanted IP:CONTAINER_PORT, which Docker does not have: say what to write.
 */
static int parse_host2(const struct perr *e, struct span host, struct span cont, __u16 *first,
		       __u16 *last)
{
	char buf[SL_IP4_STRLEN];
	__be32 a4;

	if (host.n == 0)
		return fail(e,
			    "empty host port before ':'; write %.*s alone to have a host port "
			    "allocated, or HOST_PORT:%.*s",
			    (int)cont.n, cont.p, (int)cont.n, cont.p);
	if (span_cstr(host, buf, sizeof(buf)) && !sl_ip4_parse(buf, &a4))
		return fail(e,
			    "'%s' is an address, not a host port: two parts mean "
			    "HOST_PORT:CONTAINER_PORT; write %s::%.*s to have a host port "
			    "allocated, or %s:HOST_PORT:%.*s",
			    buf, buf, (int)cont.n, cont.p, buf, (int)cont.n, cont.p);
	return parse_range(e, "host", host, first, last);
}

/* "tcp" or "udp", exactly; the rest get a message that says which to use. */
static int parse_proto(const struct perr *e, struct span pr, __u8 *out)
{
	if (span_eq(pr, "tcp")) {
		*out = IPPROTO_TCP;
		return 0;
	}
	if (span_eq(pr, "udp")) {
		*out = IPPROTO_UDP;
		return 0;
	}
	if (pr.n == 0)
		return fail(e,
			    "no protocol after '/'; write /tcp or /udp, or leave it out for tcp");
	if (span_caseeq(pr, "tcp") || span_caseeq(pr, "udp"))
		return fail(e, "protocol '%.*s' must be lowercase: write /%c%c%c", (int)pr.n, pr.p,
			    lower(pr.p[0]), lower(pr.p[1]), lower(pr.p[2]));
	if (span_caseeq(pr, "sctp"))
		return fail(e, "sctp is not supported by sluice; use /tcp or /udp");
	return fail(e, "unknown protocol '%.*s'; use /tcp or /udp (tcp when left out)", (int)pr.n,
		    pr.p);
}

/*
 * Bytes that cannot be in any spec are refused up front, with their offset,
 * so a pasted non-breaking space or a stray newline is named as such rather
 * than reported as "not a number".
 */
static int check_bytes(const struct perr *e, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_blank((char)c))
			return fail(e,
				    "whitespace at offset %zu; write the spec without spaces, e.g. "
				    "127.0.0.1:8080:80/tcp",
				    i);
		if (c < 0x20 || c >= 0x7f)
			return fail(e, "byte 0x%02x at offset %zu is not part of any port spec", c,
				    i);
	}
	return 0;
}

int sl_portspec_parse(const char *s, struct sl_portspec *out, char *err, size_t errlen)
{
	struct perr e = {.buf = err, .len = errlen};
	struct span body, rest, ip = {0}, host = {0}, cont, pr = {0};
	const char *slash, *rb = NULL, *c1, *c2;
	struct sl_portspec ps;
	bool have_ip = false, have_proto = false;
	size_t len, from = 0, nc;
	char d1[24], d2[24];
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !out) {
		quote_spec(&e, "(null)", 6);
		return fail(&e, "no spec given");
	}
	/* Bounded: a huge string costs at most MAXLEN + 1 bytes of reading. */
	len = strnlen(s, SL_PORTSPEC_MAXLEN + 1);
	quote_spec(&e, s, len);
	if (len == 0)
		return fail(&e, "empty; write CONTAINER_PORT, HOST_PORT:CONTAINER_PORT or "
				"HOST_IP:HOST_PORT:CONTAINER_PORT, then optionally /tcp or /udp");
	if (len > SL_PORTSPEC_MAXLEN)
		return fail(&e, "longer than %d bytes; no valid port spec is", SL_PORTSPEC_MAXLEN);
	ret = check_bytes(&e, s, len);
	if (ret)
		return ret;

	memset(&ps, 0, sizeof(ps));
	ps.family = AF_INET;
	ps.proto = IPPROTO_TCP;

	/*
	 * Brackets may only open the spec: elsewhere they are a misplaced IPv6
	 * address, and splitting on ':' would give a confusing message.
	 */
	if (s[0] == '[') {
		rb = memchr(s, ']', len);
		if (!rb)
			return fail(&e, "'[' without ']'; write an IPv6 host address as "
					"[ADDR]:HOST_PORT:CONTAINER_PORT, e.g. [::1]:8080:80");
		from = (size_t)(rb - s) + 1;
	}
	if (memchr(s + from, '[', len - from) || memchr(s + from, ']', len - from))
		return fail(&e, "brackets only go around an IPv6 host address at the start, e.g. "
				"[::1]:8080:80");

	/* The protocol is after the first '/' outside the brackets. */
	slash = memchr(s + from, '/', len - from);
	body = span_of(s, slash ? (size_t)(slash - s) : len);
	if (slash) {
		pr = span_of(slash + 1, len - body.n - 1);
		have_proto = true;
	}

	if (rb) {
		have_ip = true;
		ip = span_of(s + 1, (size_t)(rb - s) - 1);
		rest = span_of(rb + 1, body.n - from);
		if (rest.n == 0 || rest.p[0] != ':')
			return fail(&e,
				    "expected ':' after ']'; write [%.*s]:HOST_PORT:CONTAINER_PORT",
				    (int)ip.n, ip.p);
		rest.p++;
		rest.n--;
		nc = span_count(rest, ':');
		if (nc == 0)
			return fail(&e,
				    "a host IP needs a host port too: write [%.*s]:HOST_PORT:%.*s, "
				    "or [%.*s]::%.*s to have one allocated",
				    (int)ip.n, ip.p, (int)rest.n, rest.p, (int)ip.n, ip.p,
				    (int)rest.n, rest.p);
		if (nc > 1)
			return fail(&e,
				    "too many ':' after [%.*s]; the form is "
				    "[ADDR]:HOST_PORT:CONTAINER_PORT",
				    (int)ip.n, ip.p);
		c1 = memchr(rest.p, ':', rest.n);
		host = span_of(rest.p, (size_t)(c1 - rest.p));
		cont = span_of(c1 + 1, rest.n - host.n - 1);
		ret = parse_ip6(&e, ip, ps.host_ip6);
		if (ret)
			return ret;
		ps.family = AF_INET6;
	} else {
		nc = span_count(body, ':');
		if (nc > 2)
			return fail(&e,
				    "%zu ':'-separated parts, at most 3 "
				    "(HOST_IP:HOST_PORT:CONTAINER_PORT); an IPv6 host address goes "
				    "in brackets, e.g. [::1]:8080:80",
				    nc + 1);
		c1 = nc ? memchr(body.p, ':', body.n) : NULL;
		if (nc == 2) {
			have_ip = true;
			c2 = memchr(c1 + 1, ':', body.n - (size_t)(c1 + 1 - body.p));
			ip = span_of(body.p, (size_t)(c1 - body.p));
			host = span_of(c1 + 1, (size_t)(c2 - c1 - 1));
			cont = span_of(c2 + 1, body.n - (size_t)(c2 + 1 - body.p));
			ret = parse_ip4(&e, ip, &ps.host_ip4);
			if (ret)
				return ret;
		} else if (nc == 1) {
			host = span_of(body.p, (size_t)(c1 - body.p));
			cont = span_of(c1 + 1, body.n - host.n - 1);
			if (cont.n == 0)
				return fail(&e, "empty container port after ':'; write "
						"HOST_PORT:CONTAINER_PORT, e.g. 8080:80");
			ret = parse_host2(&e, host, cont, &ps.host_port_first, &ps.host_port_last);
			if (ret)
				return ret;
		} else {
			cont = body;
		}
	}

	/* With an IP the host port may be empty: "127.0.0.1::80" allocates. */
	if (have_ip && host.n) {
		ret = parse_range(&e, "host", host, &ps.host_port_first, &ps.host_port_last);
		if (ret)
			return ret;
	}
	if (cont.n == 0)
		return fail(&e, "empty container port after the last ':'; the form is "
				"[HOST_IP:][HOST_PORT:]CONTAINER_PORT, e.g. 127.0.0.1:8080:80");
	ret = parse_range(&e, "container", cont, &ps.container_port_first, &ps.container_port_last);
	if (ret)
		return ret;
	if (ps.host_port_first && ps.host_port_last - ps.host_port_first !=
					  ps.container_port_last - ps.container_port_first) {
		unsigned int hn = ps.host_port_last - ps.host_port_first + 1U;
		unsigned int cn = ps.container_port_last - ps.container_port_first + 1U;

		return fail(
			&e,
			"host %s has %u port%s but container %s has %u; map as many host ports "
			"as container ports, or leave the host port out to have them allocated",
			range_desc(ps.host_port_first, ps.host_port_last, d1, sizeof(d1)), hn,
			hn == 1 ? "" : "s",
			range_desc(ps.container_port_first, ps.container_port_last, d2, sizeof(d2)),
			cn);
	}
	if (have_proto) {
		ret = parse_proto(&e, pr, &ps.proto);
		if (ret)
			return ret;
	}
	*out = ps;
	return 0;
}

static const char *proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return NULL;
	}
}

/* Could sl_portspec_parse have produced ps? */
static bool portspec_valid(const struct sl_portspec *ps)
{
	if (ps->family != AF_INET && ps->family != AF_INET6)
		return false;
	if (!proto_name(ps->proto))
		return false;
	if (!ps->container_port_first || ps->container_port_last < ps->container_port_first)
		return false;
	if (!ps->host_port_first && !ps->host_port_last)
		return true;
	return ps->host_port_first && ps->host_port_last >= ps->host_port_first &&
	       ps->host_port_last - ps->host_port_first ==
		       ps->container_port_last - ps->container_port_first;
}

/* "[::1]" or "1.2.3.4"; buf needs INET6_ADDRSTRLEN + 2. */
static const char *ip_fmt(int family, const void *addr, char *buf, size_t len)
{
	__be32 a4;

	if (family == AF_INET) {
		memcpy(&a4, addr, sizeof(a4));
		return sl_ip4_fmt(a4, buf);
	}
	buf[0] = '[';
	if (!inet_ntop(AF_INET6, addr, buf + 1, (socklen_t)(len - 2)))
		return NULL;
	strcat(buf, "]");
	return buf;
}

static void range_fmt(__u16 first, __u16 last, char *buf, size_t len)
{
	if (first == last)
		snprintf(buf, len, "%u", first);
	else
		snprintf(buf, len, "%u-%u", first, last);
}

int sl_portspec_fmt(const struct sl_portspec *ps, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN + 2], host[16] = "", cont[16];
	const void *addr;
	int n;

	if (!ps || !buf || !portspec_valid(ps))
		return -EINVAL;
	addr = ps->family == AF_INET ? (const void *)&ps->host_ip4 : (const void *)ps->host_ip6;
	if (!ip_fmt(ps->family, addr, ip, sizeof(ip)))
		return -EINVAL;
	if (ps->host_port_first)
		range_fmt(ps->host_port_first, ps->host_port_last, host, sizeof(host));
	range_fmt(ps->container_port_first, ps->container_port_last, cont, sizeof(cont));
	n = snprintf(buf, len, "%s:%s:%s/%s", ip, host, cont, proto_name(ps->proto));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

bool sl_portspec_equal(const struct sl_portspec *a, const struct sl_portspec *b)
{
	if (a->family != b->family || a->proto != b->proto ||
	    a->host_port_first != b->host_port_first || a->host_port_last != b->host_port_last ||
	    a->container_port_first != b->container_port_first ||
	    a->container_port_last != b->container_port_last)
		return false;
	if (a->family == AF_INET)
		return a->host_ip4 == b->host_ip4;
	return !memcmp(a->host_ip6, b->host_ip6, sizeof(a->host_ip6));
}

unsigned int sl_portspec_count(const struct sl_portspec *ps)
{
	if (!ps->container_port_first || ps->container_port_last < ps->container_port_first)
		return 0;
	return ps->container_port_last - ps->container_port_first + 1U;
}

/* Decimal 1..65535 at *p, no leading zero; advances *p. */
static int range_num(const char **p, __u16 *out)
{
	const char *s = *p;
	unsigned int v = 0, nd = 0;

	if (*s == '0')
		return -EINVAL;
	while (is_digit(*s)) {
		if (++nd > 5)
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
		s++;
	}
	if (!nd || v > 65535)
		return -EINVAL;
	*p = s;
	*out = (__u16)v;
	return 0;
}

int sl_port_range_parse(const char *text, __u16 *lo, __u16 *hi)
{
	const char *p = text;
	__u16 a, b;

	if (!p || range_num(&p, &a))
		return -EINVAL;
	if (*p != ' ' && *p != '\t')
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (range_num(&p, &b))
		return -EINVAL;
	if (*p == '\n')
		p++;
	if (*p != '\0' || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

int sl_port_range_read(__u16 *lo, __u16 *hi)
{
	char buf[64];
	ssize_t n;
	int fd, err;

	fd = open(SL_PORT_RANGE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return sl_port_range_parse(buf, lo, hi);
}

int sl_port_alloc(__u16 lo, __u16 hi, __u8 proto, unsigned int n,
		  bool (*in_use)(__u16 port, __u8 proto, void *arg), void *arg, __u16 *ports)
{
	unsigned int got = 0;
	__u32 p; /* wider than a port, so the loop ends after 65535 */

	if (!lo || lo > hi || !proto_name(proto) || (n && !ports))
		return -EINVAL;
	if (n == 0)
		return 0;
	if (n > (unsigned int)(hi - lo) + 1U)
		return -ENOSPC;
	for (p = lo; p <= hi && got < n; p++) {
		if (in_use && in_use((__u16)p, proto, arg))
			continue;
		ports[got++] = (__u16)p;
	}
	return got == n ? 0 : -ENOSPC;
}

int sl_port_fmt_docker(__u16 container_port, __u8 proto, int family, const void *host_ip,
		       __u16 host_port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN + 2];
	int n;

	if (!container_port || !host_port || !proto_name(proto) || !host_ip || !buf ||
	    (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (!ip_fmt(family, host_ip, ip, sizeof(ip)))
		return -EINVAL;
	n = snprintf(buf, len, "%u/%s -> %s:%u", container_port, proto_name(proto), ip, host_port);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}
