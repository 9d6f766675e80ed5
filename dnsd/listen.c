// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen.c - the UDP and TCP sockets on 127.0.0.11 (DNSD_LISTEN_PORT, which
 * sl_dns_lo shows the container as port 53) inside every connected
 * container's network namespace, and the reload that keeps them and the name
 * table in step with the state file.
 *
 * A socket is opened from the daemon's single thread: setns() into the
 * container's namespace, socket(), bind(), setns() back. A socket stays in
 * the namespace it was created in, so all of them live in one epoll set, and
 * the socket a query arrives on says which namespace, and so which networks,
 * asked. Containers that share a namespace share one pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "dns_log.h"
#include "dnsd.h"
#include "nl.h"
#include "state.h"

#define UDP_BATCH     32
#define UDP_ROUNDS    4 /* batches per wakeup, so one busy namespace cannot starve others */
#define TCP_OUT_LIMIT (256 << 10) /* a client that does not read its answers is cut off */

struct dns_tcp {
	struct dns_ev ev;
	struct dns_ns *ns;
	struct dns_tcp *prev, *next;
	uint64_t deadline;
	uint8_t *in, *out;
	size_t in_len, in_cap, out_len, out_off, out_cap;
};

_Static_assert(offsetof(struct dns_tcp, ev) == 0, "dnsd_bury frees the ev's address");

struct dns_tcp *dnsd_tcp_of(struct dns_ev *ev)
{
	return (struct dns_tcp *)((char *)ev - offsetof(struct dns_tcp, ev));
}

bool dnsd_tcp_dead(const struct dns_tcp *c)
{
	return c->ev.dead;
}

static struct dns_ns *ns_find(struct dns_ns *list, struct dns_nsid id)
{
	for (; list; list = list->next)
		if (list->id.dev == id.dev && list->id.ino == id.ino)
			return list;
	return NULL;
}

/* Bind one socket to 127.0.0.11:DNSD_LISTEN_PORT in the current namespace. */
static int bind_listener(int type)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DNSD_LISTEN_PORT)};
	int fd, one = 1, err;

	inet_pton(AF_INET, DNSD_LISTEN_ADDR, &sin.sin_addr);
	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* FREEBIND: bind even while lo is still down; answers flow once it is up. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Open the socket pair inside the namespace behind nsfd. */
static struct dns_ns *ns_open(struct dnsd *d, int nsfd, struct dns_nsid id, const char *name)
{
	struct dns_ns *ns = calloc(1, sizeof(*ns));
	int udp = -1, tcp = -1, err = 0;

	if (!ns)
		return NULL;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		dns_warn("container %s: cannot enter its network namespace (setns)", name);
		free(ns);
		return NULL;
	}
	udp = bind_listener(SOCK_DGRAM);
	if (udp < 0)
		err = udp;
	else if ((tcp = bind_listener(SOCK_STREAM)) < 0)
		err = tcp;
	/* Back home before anything else: every other socket belongs to our namespace. */
	if (setns(d->self_netns, CLONE_NEWNET) < 0) {
		dns_warn("cannot return to the daemon's own network namespace (setns)");
		exit(1);
	}
	if (err) {
		errno = -err;
		dns_warn("container %s: cannot listen on %s:%d in its namespace%s", name,
			 DNSD_LISTEN_ADDR, DNSD_LISTEN_PORT,
			 err == -EADDRINUSE ? " (something else holds that port there)" : "");
		if (udp >= 0)
			close(udp);
		free(ns);
		return NULL;
	}
	ns->udp = (struct dns_ev){.kind = DNS_EV_UDP, .fd = udp};
	ns->tcp = (struct dns_ev){.kind = DNS_EV_TCP_LISTEN, .fd = tcp};
	ns->id = id;
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	return ns;
}

static void tcp_close(struct dnsd *d, struct dns_tcp *c);

static void ns_free(struct dnsd *d, struct dns_ns *ns)
{
	struct dns_tcp *c, *next;

	dnsd_fwd_detach(d, ns, NULL);
	for (c = d->tcp_head; c; c = next) {
		next = c->next;
		if (c->ns == ns)
			tcp_close(d, c);
	}
	close(ns->udp.fd);
	close(ns->tcp.fd);
	free(ns);
}

static void ns_free_list(struct dnsd *d, struct dns_ns *list)
{
	struct dns_ns *next;

	for (; list; list = next) {
		next = list->next;
		ns_free(d, list);
	}
}

void dnsd_ns_close_all(struct dnsd *d)
{
	ns_free_list(d, d->ns);
	d->ns = NULL;
	d->n_ns = 0;
}

/*
 * Which namespace an endpoint is in: the state's identity when we already
 * serve it, else what its path opens to. *fd is the opened namespace, or -1.
 */
static struct dns_nsid endpoint_ns(struct dnsd *d, struct dns_ns *fresh, const struct sl_ep *ep,
				   int *fd)
{
	struct dns_nsid id = {ep->nsdev, ep->nsino}, none = {0, 0};
	__u64 dev, ino;

	*fd = -1;
	if ((id.dev || id.ino) && (ns_find(d->ns, id) || ns_find(fresh, id)))
		return id;
	*fd = sl_netns_open_path(ep->netns, &dev, &ino);
	if (*fd < 0) {
		dns_debug("container %s on %s: %s; its names are served, it cannot ask",
			  ep->container, ep->network, sl_err_msg() ? sl_err_msg() : "no netns");
		sl_err_clear();
		*fd = -1;
		return none;
	}
	if ((id.dev || id.ino) && (id.dev != dev || id.ino != ino)) {
		/* A reused /proc/PID or a re-created netns file: not the container we knew. */
		dns_warnx("container %s on %s: %s is now another network namespace; not serving "
			  "it until it is connected again",
			  ep->container, ep->network, ep->netns);
		close(*fd);
		*fd = -1;
		return none;
	}
	return (struct dns_nsid){dev, ino};
}

int dnsd_reload(struct dnsd *d)
{
	struct dns_ns *fresh = NULL, *ns, **pp;
	struct dns_nsid *ids = NULL;
	struct dns_zone *z = NULL, *old;
	struct sl_state st;
	unsigned int i;
	int err, fd;

	err = sl_state_load(d->state_path, &st);
	if (err) {
		dns_warn_sl(d->zone ? "reload: keeping the previous names"
				    : "cannot load the state");
		return err;
	}
	ids = calloc(st.n_endpoints ? st.n_endpoints : 1, sizeof(*ids));
	if (!ids) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < st.n_endpoints; i++) {
		const struct sl_ep *ep = &st.endpoints[i];

		ids[i] = endpoint_ns(d, fresh, ep, &fd);
		if (fd < 0)
			continue;
		if (!ns_find(d->ns, ids[i]) && !ns_find(fresh, ids[i]) && !d->check_only) {
			ns = ns_open(d, fd, ids[i], ep->container);
			if (ns) {
				ns->next = fresh;
				fresh = ns;
			}
		}
		close(fd);
	}
	err = dns_zone_build(&st, ids, &z);
	if (err) {
		dns_warnx("reload: cannot build the name table: %s; keeping the previous one",
			  strerror(-err));
		ns_free_list(d, fresh);
		goto out;
	}

	/* Everything is ready: swap. Nothing above touched what is serving. */
	old = d->zone;
	d->zone = z;
	for (pp = &d->ns; (ns = *pp);) {
		ns->view = dns_zone_view(z, ns->id);
		if (ns->view) {
			pp = &ns->next;
			continue;
		}
		dns_info("container %s: no longer connected, closing its DNS sockets", ns->name);
		*pp = ns->next;
		d->n_ns--;
		ns_free(d, ns);
	}
	while ((ns = fresh)) {
		fresh = ns->next;
		ns->view = dns_zone_view(z, ns->id);
		if (dnsd_ep_add(d, &ns->udp, EPOLLIN) || dnsd_ep_add(d, &ns->tcp, EPOLLIN)) {
			dns_warn("container %s: epoll", ns->name);
			ns_free(d, ns);
			continue;
		}
		ns->next = d->ns;
		d->ns = ns;
		d->n_ns++;
		dns_info("container %s: listening on %s:%d in its namespace (asked on port %d)",
			 ns->name, DNSD_LISTEN_ADDR, DNSD_LISTEN_PORT, SL_DNS_PORT);
	}
	dns_zone_free(old);
	dns_info("state: %u networks, %u endpoints, %u names; serving %u namespaces", st.n_networks,
		 st.n_endpoints, dns_zone_n_names(z), d->n_ns);
out:
	free(ids);
	sl_state_free(&st);
	return err;
}

/* --- queries ------------------------------------------------------------ */

static const char *rcode_name(unsigned int rcode)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "rcode > 5";
}

/* One line per query at -vvv; nothing is formatted below that level. */
static void log_query(struct dns_ns *ns, const struct dns_query *q, enum dns_verdict v,
		      const uint8_t *out, size_t outlen, bool tcp)
{
	char name[1024];
	const char *what;

	if (sl_log_get_level() < SL_LOG_VERBOSE)
		return;
	dns_name_to_text(q->qname, q->qname_len, name, sizeof(name));
	if (v == DNS_V_FORWARD)
		what = "forward";
	else if (v == DNS_V_DROP || outlen < 4)
		what = "drop";
	else
		what = rcode_name(out[3] & 0xf);
	dns_verbose("%s %s: %s type %u -> %s", ns->name, tcp ? "tcp" : "udp",
		    q->qname_len ? name : "(no question)", q->qtype, what);
}

static enum dns_verdict answer(struct dnsd *d, struct dns_ns *ns, bool tcp, const uint8_t *msg,
			       size_t len, struct dns_query *q, uint8_t *out, size_t cap,
			       size_t *outlen)
{
	struct dns_ctx ctx = {
		.zone = d->zone,
		.view = ns->view,
		.rot = d->rot++,
		.upstream = d->n_upstreams > 0,
		.tcp = tcp,
	};
	enum dns_verdict v = dns_respond(&ctx, msg, len, q, out, cap, outlen);

	d->n_queries++;
	if (v == DNS_V_ANSWER)
		d->n_local++;
	else if (v == DNS_V_DROP)
		d->n_dropped++;
	log_query(ns, q, v, out, *outlen, tcp);
	return v;
}

void dnsd_udp_ready(struct dnsd *d, struct dns_ns *ns)
{
	static uint8_t rx[UDP_BATCH][DNS_EDNS_SIZE];
	static uint8_t tx[UDP_BATCH][DNS_MSG_MAX];
	static struct sockaddr_storage peers[UDP_BATCH];
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec iin[UDP_BATCH], iout[UDP_BATCH];
	struct dns_query q;
	int n, i, n_out;

	for (int round = 0; round < UDP_ROUNDS; round++) {
		for (i = 0; i < UDP_BATCH; i++) {
			iin[i] = (struct iovec){rx[i], sizeof(rx[i])};
			in[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &peers[i],
							     .msg_namelen = sizeof(peers[i]),
							     .msg_iov = &iin[i],
							     .msg_iovlen = 1}};
		}
		n = recvmmsg(ns->udp.fd, in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		n_out = 0;
		for (i = 0; i < n; i++) {
			size_t outlen;
			enum dns_verdict v;

			if (in[i].msg_hdr.msg_flags & MSG_TRUNC) {
				d->n_dropped++; /* larger than any query we accept */
				continue;
			}
			v = answer(d, ns, false, rx[i], in[i].msg_len, &q, tx[n_out],
				   sizeof(tx[n_out]), &outlen);
			if (v == DNS_V_FORWARD) {
				dnsd_forward(d, ns, NULL, &peers[i], in[i].msg_hdr.msg_namelen, &q,
					     rx[i], in[i].msg_len);
				continue;
			}
			if (v != DNS_V_ANSWER)
				continue;
			iout[n_out] = (struct iovec){tx[n_out], outlen};
			out[n_out] =
				(struct mmsghdr){.msg_hdr = {
							 .msg_name = &peers[i],
							 .msg_namelen = in[i].msg_hdr.msg_namelen,
							 .msg_iov = &iout[n_out],
							 .msg_iovlen = 1,
						 }};
			n_out++;
		}
		/* A full socket buffer drops answers, as a full network would: the client retries. */
		if (n_out)
			sendmmsg(ns->udp.fd, out, (unsigned int)n_out, MSG_DONTWAIT);
		if (n < UDP_BATCH)
			return;
	}
}

/* --- TCP clients -------------------------------------------------------- */

static void lru_unlink(struct dnsd *d, struct dns_tcp *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		d->tcp_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		d->tcp_tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_touch(struct dnsd *d, struct dns_tcp *c)
{
	if (d->tcp_tail != c) {
		lru_unlink(d, c);
		c->prev = d->tcp_tail;
		if (d->tcp_tail)
			d->tcp_tail->next = c;
		else
			d->tcp_head = c;
		d->tcp_tail = c;
	}
	c->deadline = dnsd_now_ms() + DNSD_TCP_IDLE_MS;
}

static void tcp_close(struct dnsd *d, struct dns_tcp *c)
{
	dnsd_fwd_detach(d, NULL, c);
	lru_unlink(d, c);
	close(c->ev.fd);
	c->ns->n_tcp--;
	d->n_tcp--;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	dnsd_bury(d, &c->ev);
}

void dnsd_tcp_accept(struct dnsd *d, struct dns_ns *ns)
{
	struct dns_tcp *c;
	int fd;

	fd = accept4(ns->tcp.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (d->n_tcp >= DNSD_MAX_TCP || ns->n_tcp >= DNSD_MAX_TCP_PER_NS) {
		dns_debug("container %s: too many TCP connections, refusing one", ns->name);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->ev = (struct dns_ev){.kind = DNS_EV_TCP_CONN, .fd = fd};
	c->ns = ns;
	if (dnsd_ep_add(d, &c->ev, EPOLLIN)) {
		close(fd);
		free(c);
		return;
	}
	ns->n_tcp++;
	d->n_tcp++;
	c->prev = d->tcp_tail;
	if (d->tcp_tail)
		d->tcp_tail->next = c;
	else
		d->tcp_head = c;
	d->tcp_tail = c;
	c->deadline = dnsd_now_ms() + DNSD_TCP_IDLE_MS;
}

/* Write what is queued; false when the connection had to be closed. */
static bool tcp_flush(struct dnsd *d, struct dns_tcp *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->ev.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (w <= 0) {
			tcp_close(d, c);
			return false;
		}
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		dnsd_ep_mod(d, &c->ev, EPOLLIN);
	} else {
		dnsd_ep_mod(d, &c->ev, EPOLLIN | EPOLLOUT);
	}
	return true;
}

/* Queue a framed answer on c (and try to send it); false when c was closed. */
static bool tcp_queue(struct dnsd *d, struct dns_tcp *c, const uint8_t *msg, size_t len)
{
	size_t need = c->out_len + 2 + len;

	if (len > DNS_MSG_MAX || need - c->out_off > TCP_OUT_LIMIT) {
		dns_debug("container %s: TCP client does not read its answers, closing",
			  c->ns->name);
		tcp_close(d, c);
		return false;
	}
	if (c->out_off && need > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		need = c->out_len + 2 + len;
	}
	if (need > c->out_cap) {
		size_t cap = need < 1024 ? 1024 : need * 2;
		uint8_t *p = realloc(c->out, cap);

		if (!p) {
			tcp_close(d, c);
			return false;
		}
		c->out = p;
		c->out_cap = cap;
	}
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, msg, len);
	c->out_len += 2 + len;
	return tcp_flush(d, c);
}

bool dnsd_reply(struct dnsd *d, struct dns_ns *ns, struct dns_tcp *c,
		const struct sockaddr_storage *peer, socklen_t peerlen, const uint8_t *msg,
		size_t len)
{
	if (c)
		return tcp_queue(d, c, msg, len);
	if (ns)
		sendto(ns->udp.fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)peer, peerlen);
	return true;
}

/* Answer every complete query in the input buffer; false when c was closed. */
static bool tcp_process(struct dnsd *d, struct dns_tcp *c)
{
	static uint8_t out[DNS_MSG_MAX];
	struct dns_query q;
	size_t off = 0, mlen, outlen;
	enum dns_verdict v;

	while (c->in_len - off >= 2) {
		mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (c->in_len - off - 2 < mlen)
			break;
		v = answer(d, c->ns, true, c->in + off + 2, mlen, &q, out, sizeof(out), &outlen);
		off += 2 + mlen;
		if (v == DNS_V_FORWARD) {
			if (!dnsd_forward(d, c->ns, c, NULL, 0, &q, c->in + off - mlen, mlen))
				return false;
		} else if (v == DNS_V_ANSWER && !tcp_queue(d, c, out, outlen)) {
			return false;
		}
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return true;
}

void dnsd_tcp_event(struct dnsd *d, struct dns_tcp *c, uint32_t events)
{
	if (events & EPOLLOUT) {
		if (!tcp_flush(d, c))
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	lru_touch(d, c);
	for (;;) {
		ssize_t r;

		/* Room for the message being read, up to the largest one there can be. */
		if (c->in_cap - c->in_len < 4096 && c->in_cap < 2 + DNS_MSG_MAX) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			uint8_t *p;

			if (cap > 2 + DNS_MSG_MAX)
				cap = 2 + DNS_MSG_MAX;
			p = realloc(c->in, cap);
			if (!p) {
				tcp_close(d, c);
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		r = recv(c->ev.fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			tcp_close(d, c);
			return;
		}
		c->in_len += (size_t)r;
		if (!tcp_process(d, c))
			return;
	}
}

void dnsd_tcp_expire(struct dnsd *d, uint64_t now)
{
	while (d->tcp_head && d->tcp_head->deadline <= now) {
		dns_debug("container %s: idle TCP connection closed", d->tcp_head->ns->name);
		tcp_close(d, d->tcp_head);
	}
}

int dnsd_tcp_next_deadline(struct dnsd *d, uint64_t now)
{
	if (!d->tcp_head)
		return -1;
	return d->tcp_head->deadline <= now ? 0 : (int)(d->tcp_head->deadline - now);
}
