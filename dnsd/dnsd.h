/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dnsd.h - sluice-dnsd's daemon state, shared by main.c (event loop,
 * reload), listen.c (the sockets inside the containers' namespaces) and
 * forward.c (upstream resolvers).
 *
 * One thread, one epoll set. Every epoll registration carries a struct dns_ev
 * whose kind says which handler owns it.
 */
#ifndef DNSD_H
#define DNSD_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "instance.h"
#include "sluice_abi.h"
#include "wire.h"
#include "zone.h"

/*
 * Containers ask 127.0.0.11:53; sluice-dnsd's sockets are on the inner
 * port, and sl_dns_lo on the container's lo maps one to the other, so port
 * 53 stays free for the container's own use (sluice_abi.h).
 */
#define DNSD_LISTEN_ADDR    "127.0.0.11"
#define DNSD_LISTEN_PORT    SL_DNS_INNER_PORT
#define DNSD_MAX_UPSTREAMS  8
#define DNSD_MAX_TCP	    512 /* client TCP connections, all namespaces */
#define DNSD_MAX_TCP_PER_NS 16
#define DNSD_TCP_IDLE_MS    10000
#define DNSD_MAX_FORWARDS   1024 /* queries in flight upstream, all clients */
#define DNSD_UDP_TRY_MS	    700	 /* one UDP attempt at one upstream */
#define DNSD_TCP_TRY_MS	    1500 /* one TCP exchange with an upstream */
#define DNSD_FORWARD_MS	    2000 /* budget of a forwarded query: then SERVFAIL */
#define DNSD_RATE_DEFAULT   200	 /* forwarded queries per second per container */

enum dns_ev_kind {
	DNS_EV_SIGNAL,
	DNS_EV_INOTIFY,
	DNS_EV_UDP,	   /* a container's UDP socket */
	DNS_EV_TCP_LISTEN, /* a container's TCP listener */
	DNS_EV_TCP_CONN,   /* a client TCP connection */
	DNS_EV_UPSTREAM,   /* a forwarded query's upstream socket */
};

struct dns_ev {
	enum dns_ev_kind kind;
	int fd;
	/*
	 * Freed objects (connections, forwards) are only buried during an
	 * epoll batch and freed after it, so a later event of the same batch
	 * never touches freed memory. The ev is the first member of each.
	 */
	bool dead;
	struct dns_ev *next_dead;
};

/* Token bucket for forwarded queries, per container namespace. */
struct dns_rate {
	uint64_t last_ms;
	double tokens;
};

/* The socket pair inside one container network namespace. */
struct dns_ns {
	struct dns_ev udp, tcp; /* kind DNS_EV_UDP / DNS_EV_TCP_LISTEN */
	struct dns_nsid id;
	const struct dns_view *view; /* in the current zone; NULL = asks, learns nothing */
	char name[64];		     /* a container in it, for logs */
	struct dns_rate rate;
	unsigned int n_tcp;
	bool mark; /* reload: still wanted */
	struct dns_ns *next;
};

struct dns_tcp;
struct dns_fwd;

struct dnsd {
	struct sl_instance inst;
	const char *state_path;
	int epfd, self_netns;
	struct dns_ev sig, ino;
	int ino_wd; /* -1: the state directory is not watched (yet) */
	bool foreground, check_only;

	/* Upstreams: from --upstream, else /etc/resolv.conf; none with --no-upstream. */
	bool no_upstream, upstream_from_cli;
	const char *resolv_conf;
	unsigned int n_upstreams;
	struct sockaddr_storage upstreams[DNSD_MAX_UPSTREAMS];
	socklen_t upstream_len[DNSD_MAX_UPSTREAMS];
	unsigned int rate; /* forwarded queries per second per container; 0 = unlimited */

	struct dns_zone *zone;
	struct dns_ns *ns; /* list */
	unsigned int n_ns;
	unsigned int rot;

	struct dns_tcp *tcp_head, *tcp_tail; /* least recently active first */
	unsigned int n_tcp;
	struct dns_fwd *fwd_head, *fwd_tail; /* by deadline */
	unsigned int n_fwd;

	struct dns_ev *dead;

	uint64_t n_queries, n_local, n_forwarded, n_servfail, n_refused_rate, n_dropped;
	bool stop, reload, reload_upstreams;
};

uint64_t dnsd_now_ms(void);
/* Free the object that starts with ev after the current epoll batch. */
void dnsd_bury(struct dnsd *d, struct dns_ev *ev);
int dnsd_ep_add(struct dnsd *d, struct dns_ev *ev, uint32_t events);
void dnsd_ep_mod(struct dnsd *d, struct dns_ev *ev, uint32_t events);
void dnsd_ep_del(struct dnsd *d, struct dns_ev *ev);

/* listen.c */
int dnsd_reload(struct dnsd *d);
void dnsd_ns_close_all(struct dnsd *d);
void dnsd_udp_ready(struct dnsd *d, struct dns_ns *ns);
void dnsd_tcp_accept(struct dnsd *d, struct dns_ns *ns);
void dnsd_tcp_event(struct dnsd *d, struct dns_tcp *c, uint32_t events);
void dnsd_tcp_expire(struct dnsd *d, uint64_t now);
int dnsd_tcp_next_deadline(struct dnsd *d, uint64_t now);
/*
 * Send an answer to a client: over UDP to peer, or framed on a TCP
 * connection. false when that connection had to be closed (c is freed).
 */
bool dnsd_reply(struct dnsd *d, struct dns_ns *ns, struct dns_tcp *c,
		const struct sockaddr_storage *peer, socklen_t peerlen, const uint8_t *msg,
		size_t len);
/* The dns_tcp of an event (container_of). */
struct dns_tcp *dnsd_tcp_of(struct dns_ev *ev);
/* true once c was closed: its memory stays valid until the epoll batch ends. */
bool dnsd_tcp_dead(const struct dns_tcp *c);

/* forward.c */
int dnsd_upstreams_load(struct dnsd *d, const char *const *cli, unsigned int n_cli);
int dnsd_upstream_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);
/* Forward q (msg, as received) for a client; false when its connection c was closed. */
bool dnsd_forward(struct dnsd *d, struct dns_ns *ns, struct dns_tcp *c,
		  const struct sockaddr_storage *peer, socklen_t peerlen, const struct dns_query *q,
		  const uint8_t *msg, size_t len);
void dnsd_fwd_event(struct dnsd *d, struct dns_ev *ev, uint32_t events);
void dnsd_fwd_expire(struct dnsd *d, uint64_t now);
int dnsd_fwd_next_deadline(struct dnsd *d, uint64_t now);
/* Forget the client side of every forward from ns (closing) or from c (closing). */
void dnsd_fwd_detach(struct dnsd *d, struct dns_ns *ns, struct dns_tcp *c);
void dnsd_fwd_close_all(struct dnsd *d);

#endif /* DNSD_H */
