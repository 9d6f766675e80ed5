// SPDX-License-Identifier: BSD-2-Clause
/*
 * forward.c - names that are not local go to the host's upstream resolvers.
 *
 * A forwarded query gets a fresh random ID and a fresh socket (so a fresh
 * random source port) in the daemon's own namespace, connected to one
 * upstream. A reply counts only when it comes from that upstream (connected
 * socket), carries that ID and repeats the question; anything else is
 * ignored, as spoofing. Per query:
 *   UDP attempt: DNSD_UDP_TRY_MS, then the next upstream; an ICMP refusal
 *                (ECONNREFUSED) moves on at once
 *   truncated reply, client on UDP: relayed with TC: the client retries
 *                over TCP, and that query goes to the upstream over TCP
 *   truncated reply, client on TCP: the same upstream again over TCP
 *   budget:      DNSD_FORWARD_MS (a TCP retry may extend it by one TCP
 *                attempt); then, or when every attempt failed, SERVFAIL.
 *                glibc and dig wait 5 s per try, so a SERVFAIL always comes
 *                before the client gives up: never a hang.
 * Each container namespace has a token bucket (--forward-rate per second,
 * burst of twice that): beyond it forwarded queries get REFUSED at once;
 * local names are never limited.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "dns_log.h"
#include "dnsd.h"

struct dns_fwd {
	struct dns_ev ev; /* the upstream socket; fd -1 between attempts */
	struct dns_fwd *prev, *next;
	uint64_t deadline; /* of this attempt */
	uint64_t give_up;  /* of the whole query */
	struct dns_ns *ns;
	struct dns_tcp *conn; /* NULL: the client is on UDP at peer */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct dns_query q;
	uint16_t client_id, id;
	unsigned int attempt, up;
	bool tcp, tcp_sent;
	uint8_t *msg; /* the query as we send it, our ID in it */
	size_t len;
	uint8_t *rbuf; /* TCP: the reply being read (2-byte length first) */
	size_t rlen;
};

_Static_assert(offsetof(struct dns_fwd, ev) == 0, "dnsd_bury frees the ev's address");

static struct dns_fwd *fwd_of(struct dns_ev *ev)
{
	return (struct dns_fwd *)((char *)ev - offsetof(struct dns_fwd, ev));
}

/* --- upstream list ------------------------------------------------------- */

int dnsd_upstream_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *end;
	unsigned long p = 53;
	char *ep;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		const char *colon = strchr(text, ':');

		/* One colon: IPv4:PORT. More: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			if ((size_t)(colon - text) >= sizeof(host))
				return -EINVAL;
			memcpy(host, text, (size_t)(colon - text));
			host[colon - text] = '\0';
			port = colon + 1;
		} else {
			if (strlen(text) >= sizeof(host))
				return -EINVAL;
			strcpy(host, text);
		}
	}
	if (port) {
		errno = 0;
		p = strtoul(port, &ep, 10);
		if (!*port || *ep || errno || p < 1 || p > 65535 || port[0] == '0')
			return -EINVAL;
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
	}
	return 0;
}

static void upstream_fmt(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, cap, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, cap, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* 127.0.0.11 is where we listen inside containers: as an upstream it would be a loop. */
static bool is_ourselves(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	struct in_addr self;

	inet_pton(AF_INET, DNSD_LISTEN_ADDR, &self);
	return ss->ss_family == AF_INET && s4->sin_addr.s_addr == self.s_addr;
}

int dnsd_upstreams_load(struct dnsd *d, const char *const *cli, unsigned int n_cli)
{
	struct sockaddr_storage ups[DNSD_MAX_UPSTREAMS];
	socklen_t lens[DNSD_MAX_UPSTREAMS];
	unsigned int n = 0, i;
	char line[512], fmt[64];
	FILE *f;

	if (d->no_upstream) {
		d->n_upstreams = 0;
		return 0;
	}
	if (n_cli) {
		for (i = 0; i < n_cli; i++) {
			if (n == DNSD_MAX_UPSTREAMS)
				return sl_errf(-EINVAL, "at most %d --upstream resolvers",
					       DNSD_MAX_UPSTREAMS);
			if (dnsd_upstream_parse(cli[i], &ups[n], &lens[n]))
				return sl_errf(-EINVAL,
					       "bad --upstream '%s': use IP or IP:PORT (IPv6: "
					       "[ADDR]:PORT)",
					       cli[i]);
			n++;
		}
	} else {
		f = fopen(d->resolv_conf, "re");
		if (!f) {
			dns_warn("cannot read %s; names that are not local get REFUSED",
				 d->resolv_conf);
		} else {
			while (fgets(line, sizeof(line), f)) {
				char *tok = strtok(line, " \t\r\n"), *addr, *pct;

				if (!tok || strcmp(tok, "nameserver"))
					continue;
				addr = strtok(NULL, " \t\r\n");
				if (!addr)
					continue;
				pct = strchr(addr, '%'); /* fe80::1%eth0: the scope is not kept */
				if (pct)
					*pct = '\0';
				if (n == DNSD_MAX_UPSTREAMS ||
				    dnsd_upstream_parse(addr, &ups[n], &lens[n]))
					continue;
				/* "IP:PORT" is not resolv.conf syntax: port 53 always. */
				if (ups[n].ss_family == AF_INET)
					((struct sockaddr_in *)&ups[n])->sin_port = htons(53);
				if (is_ourselves(&ups[n])) {
					dns_warnx("%s lists %s, which is this daemon inside "
						  "containers; skipped",
						  d->resolv_conf, DNSD_LISTEN_ADDR);
					continue;
				}
				n++;
			}
			fclose(f);
		}
	}
	if (!n && !d->no_upstream)
		dns_warnx("no upstream resolvers; names that are not local get REFUSED");
	/* Parsed fully: swap. */
	memcpy(d->upstreams, ups, sizeof(ups[0]) * n);
	memcpy(d->upstream_len, lens, sizeof(lens[0]) * n);
	d->n_upstreams = n;
	for (i = 0; i < n; i++) {
		upstream_fmt(&ups[i], fmt, sizeof(fmt));
		dns_info("upstream %u: %s", i + 1, fmt);
	}
	return 0;
}

/* --- the deadline list --------------------------------------------------- */

static void fwd_unlink(struct dnsd *d, struct dns_fwd *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else if (d->fwd_head == f)
		d->fwd_head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else if (d->fwd_tail == f)
		d->fwd_tail = f->prev;
	f->prev = f->next = NULL;
}

/* Insert by deadline, from the tail: attempts mostly have the same length. */
static void fwd_link(struct dnsd *d, struct dns_fwd *f)
{
	struct dns_fwd *p = d->fwd_tail;

	while (p && p->deadline > f->deadline)
		p = p->prev;
	f->prev = p;
	f->next = p ? p->next : d->fwd_head;
	if (f->next)
		f->next->prev = f;
	else
		d->fwd_tail = f;
	if (p)
		p->next = f;
	else
		d->fwd_head = f;
}

static void fwd_close_sock(struct dnsd *d, struct dns_fwd *f)
{
	(void)d;
	if (f->ev.fd >= 0)
		close(f->ev.fd); /* close() also takes it out of the epoll set */
	f->ev.fd = -1;
}

static void fwd_free(struct dnsd *d, struct dns_fwd *f)
{
	fwd_unlink(d, f);
	fwd_close_sock(d, f);
	free(f->msg);
	free(f->rbuf);
	f->msg = f->rbuf = NULL;
	f->ns = NULL;
	f->conn = NULL;
	d->n_fwd--;
	dnsd_bury(d, &f->ev);
}

/* --- one forwarded query -------------------------------------------------- */

static void fwd_finish(struct dnsd *d, struct dns_fwd *f, uint8_t *reply, size_t len)
{
	uint8_t small[DNS_MSG_MAX < 1024 ? DNS_MSG_MAX : 1024];
	struct dns_ns *ns = f->ns;
	struct dns_tcp *conn = f->conn;

	/*
	 * Off every list before replying: a reply that closes the client's
	 * connection detaches the forwards of that connection, and this one
	 * must not be freed twice (found by a stress run; the integration
	 * suite's regress_fwd_reply_closes_conn drives that path).
	 */
	fwd_unlink(d, f);
	f->ns = NULL;
	f->conn = NULL;
	if (!conn && !ns) {
		fwd_free(d, f); /* the client is gone */
		return;
	}
	if (reply) {
		reply[0] = (uint8_t)(f->client_id >> 8);
		reply[1] = (uint8_t)f->client_id;
		/* An upstream that ignored the size the client gave: truncate it ourselves. */
		if (!conn && len > dns_udp_limit(&f->q)) {
			len = dns_reply_empty(&f->q, DNS_R_NOERROR, DNS_F_TC | DNS_F_RA, small,
					      sizeof(small));
			reply = small;
		}
	} else {
		d->n_servfail++;
		len = dns_reply_empty(&f->q, DNS_R_SERVFAIL, DNS_F_RA, small, sizeof(small));
		reply = small;
	}
	if (len)
		dnsd_reply(d, ns, conn, &f->peer, f->peerlen, reply, len);
	fwd_free(d, f);
}

static int fwd_start(struct dnsd *d, struct dns_fwd *f);

/* This attempt failed: the next upstream, or SERVFAIL. */
static void fwd_next(struct dnsd *d, struct dns_fwd *f)
{
	uint64_t now = dnsd_now_ms();
	unsigned int max = d->n_upstreams < 2 ? 2 : d->n_upstreams;

	fwd_close_sock(d, f);
	for (;;) {
		f->attempt++;
		if (f->attempt >= max || now >= f->give_up || !d->n_upstreams) {
			fwd_finish(d, f, NULL, 0);
			return;
		}
		f->up = (f->up + 1) % d->n_upstreams;
		if (!fwd_start(d, f))
			return;
	}
}

/* Open a socket to upstream f->up and send (UDP) or connect (TCP). */
static int fwd_start(struct dnsd *d, struct dns_fwd *f)
{
	const struct sockaddr_storage *up = &d->upstreams[f->up % DNSD_MAX_UPSTREAMS];
	uint64_t now = dnsd_now_ms();
	int fd;

	if (f->up >= d->n_upstreams)
		return -ENOENT; /* a SIGHUP took the upstreams away */
	fd = socket(up->ss_family,
		    (f->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	f->ev = (struct dns_ev){.kind = DNS_EV_UPSTREAM, .fd = fd};
	if (connect(fd, (const struct sockaddr *)up, d->upstream_len[f->up]) < 0 &&
	    errno != EINPROGRESS) {
		fwd_close_sock(d, f);
		return -errno;
	}
	if (!f->tcp && send(fd, f->msg, f->len, MSG_DONTWAIT) < 0) {
		fwd_close_sock(d, f);
		return -errno;
	}
	f->tcp_sent = false;
	f->rlen = 0;
	if (dnsd_ep_add(d, &f->ev, f->tcp ? EPOLLOUT : EPOLLIN)) {
		fwd_close_sock(d, f);
		return -ENOMEM;
	}
	fwd_unlink(d, f);
	f->deadline = now + (f->tcp ? DNSD_TCP_TRY_MS : DNSD_UDP_TRY_MS);
	if (f->deadline > f->give_up)
		f->deadline = f->give_up;
	fwd_link(d, f);
	return 0;
}

static bool rate_ok(struct dnsd *d, struct dns_ns *ns)
{
	uint64_t now = dnsd_now_ms();
	double burst = 2.0 * d->rate;

	if (!d->rate)
		return true;
	if (!ns->rate.last_ms)
		ns->rate.tokens = burst;
	else
		ns->rate.tokens += (double)(now - ns->rate.last_ms) * d->rate / 1000.0;
	if (ns->rate.tokens > burst)
		ns->rate.tokens = burst;
	ns->rate.last_ms = now;
	if (ns->rate.tokens < 1.0)
		return false;
	ns->rate.tokens -= 1.0;
	return true;
}

bool dnsd_forward(struct dnsd *d, struct dns_ns *ns, struct dns_tcp *c,
		  const struct sockaddr_storage *peer, socklen_t peerlen, const struct dns_query *q,
		  const uint8_t *msg, size_t len)
{
	uint8_t reply[1024];
	struct dns_fwd *f;
	size_t rlen;
	uint16_t id;

	if (!rate_ok(d, ns)) {
		d->n_refused_rate++;
		dns_debug("container %s: over %u forwarded queries/s, refusing", ns->name, d->rate);
		rlen = dns_reply_empty(q, DNS_R_REFUSED, DNS_F_RA, reply, sizeof(reply));
		return rlen ? dnsd_reply(d, ns, c, peer, peerlen, reply, rlen) : true;
	}
	f = d->n_fwd < DNSD_MAX_FORWARDS ? calloc(1, sizeof(*f)) : NULL;
	if (f)
		f->msg = malloc(len);
	if (!f || !f->msg) {
		if (f)
			free(f);
		d->n_servfail++;
		rlen = dns_reply_empty(q, DNS_R_SERVFAIL, DNS_F_RA, reply, sizeof(reply));
		return rlen ? dnsd_reply(d, ns, c, peer, peerlen, reply, rlen) : true;
	}
	d->n_fwd++;
	d->n_forwarded++;
	memcpy(f->msg, msg, len);
	f->len = len;
	f->ev.fd = -1;
	f->ns = ns;
	f->conn = c;
	if (peer) {
		memcpy(&f->peer, peer, peerlen);
		f->peerlen = peerlen;
	}
	f->q = *q;
	f->client_id = q->id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(dnsd_now_ms() ^ (uintptr_t)f);
	f->id = id;
	f->msg[0] = (uint8_t)(id >> 8);
	f->msg[1] = (uint8_t)id;
	f->up = 0;
	f->give_up = dnsd_now_ms() + DNSD_FORWARD_MS;
	/* Spread load over the upstreams only on failure: the first is preferred, like glibc. */
	if (fwd_start(d, f))
		fwd_next(d, f); /* may answer SERVFAIL at once, and that may close c */
	return !c || !dnsd_tcp_dead(c);
}

/* A complete reply in buf: relay it, or go on waiting when it is not ours. */
static void fwd_got(struct dnsd *d, struct dns_fwd *f, uint8_t *buf, size_t n)
{
	bool tc;

	if (dns_reply_check(buf, n, f->id, &f->q, &tc)) {
		dns_debug("upstream reply that does not match the query; ignored");
		if (f->tcp)
			fwd_next(d, f); /* a TCP stream has no second chance */
		return;
	}
	if (tc && !f->tcp && f->conn) {
		/* The client is on TCP and can take it all: ask the same upstream over TCP. */
		uint64_t now = dnsd_now_ms();

		fwd_close_sock(d, f);
		f->tcp = true;
		if (f->give_up < now + DNSD_TCP_TRY_MS)
			f->give_up = now + DNSD_TCP_TRY_MS;
		if (fwd_start(d, f))
			fwd_next(d, f);
		return;
	}
	fwd_finish(d, f, buf, n);
}

static void fwd_tcp_event(struct dnsd *d, struct dns_fwd *f, uint32_t events)
{
	int err = 0;
	socklen_t elen = sizeof(err);
	ssize_t r;

	if (!f->tcp_sent) {
		uint8_t *frame;

		if (getsockopt(f->ev.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err ||
		    (events & EPOLLERR)) {
			fwd_next(d, f);
			return;
		}
		frame = malloc(f->len + 2);
		if (!frame) {
			fwd_next(d, f);
			return;
		}
		frame[0] = (uint8_t)(f->len >> 8);
		frame[1] = (uint8_t)f->len;
		memcpy(frame + 2, f->msg, f->len);
		/* One small write into an empty socket buffer: it fits whole or fails. */
		r = send(f->ev.fd, frame, f->len + 2, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(frame);
		if (r != (ssize_t)(f->len + 2)) {
			fwd_next(d, f);
			return;
		}
		f->tcp_sent = true;
		dnsd_ep_mod(d, &f->ev, EPOLLIN);
		return;
	}
	if (!f->rbuf) {
		f->rbuf = malloc(2 + DNS_MSG_MAX);
		if (!f->rbuf) {
			fwd_next(d, f);
			return;
		}
	}
	for (;;) {
		size_t want = f->rlen < 2 ? 2 : 2 + ((size_t)f->rbuf[0] << 8 | f->rbuf[1]);

		if (f->rlen >= 2 && f->rlen == want) {
			fwd_got(d, f, f->rbuf + 2, f->rlen - 2);
			return;
		}
		r = recv(f->ev.fd, f->rbuf + f->rlen, want - f->rlen, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			fwd_next(d, f);
			return;
		}
		f->rlen += (size_t)r;
	}
}

void dnsd_fwd_event(struct dnsd *d, struct dns_ev *ev, uint32_t events)
{
	static uint8_t buf[DNS_MSG_MAX];
	struct dns_fwd *f = fwd_of(ev);
	ssize_t n;

	if (f->tcp) {
		fwd_tcp_event(d, f, events);
		return;
	}
	n = recv(f->ev.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* ECONNREFUSED: the ICMP port unreachable of a resolver that is down. */
		dns_debug("upstream %u: %s", f->up + 1, strerror(errno));
		fwd_next(d, f);
		return;
	}
	/* f may be gone after this; a stray reply leaves it waiting (epoll is level-triggered). */
	fwd_got(d, f, buf, (size_t)n);
}

void dnsd_fwd_expire(struct dnsd *d, uint64_t now)
{
	while (d->fwd_head && d->fwd_head->deadline <= now) {
		dns_debug("upstream %u: no answer in time", d->fwd_head->up + 1);
		fwd_next(d, d->fwd_head);
	}
}

int dnsd_fwd_next_deadline(struct dnsd *d, uint64_t now)
{
	if (!d->fwd_head)
		return -1;
	return d->fwd_head->deadline <= now ? 0 : (int)(d->fwd_head->deadline - now);
}

void dnsd_fwd_detach(struct dnsd *d, struct dns_ns *ns, struct dns_tcp *c)
{
	struct dns_fwd *f, *next;

	for (f = d->fwd_head; f; f = next) {
		next = f->next;
		if ((ns && f->ns == ns) || (c && f->conn == c))
			fwd_free(d, f);
	}
}

void dnsd_fwd_close_all(struct dnsd *d)
{
	while (d->fwd_head)
		fwd_free(d, d->fwd_head);
}
