// SPDX-License-Identifier: BSD-2-Clause
/*
 * zone.c - the name table and the views, built from a parsed state.
 *
 * Three hash tables, all chained and sized to a power of two at build time:
 * names (lowercase wire form -> the (network, address) pairs that carry it),
 * addresses (-> network and PTR target) and views (netns identity -> the
 * networks of its endpoints). Nothing is changed after the build, so the
 * daemon can keep answering from the old table until the new one is whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "state.h"
#include "wire.h"
#include "zone.h"

struct zrec {
	unsigned int net; /* index into zone->nets */
	uint32_t addr;	  /* network order */
};

struct zname {
	struct zname *next;
	uint32_t hash;
	unsigned int n, cap;
	struct zrec *recs; /* in state order */
	size_t len;
	uint8_t name[]; /* lowercase wire form */
};

struct zaddr {
	struct zaddr *next;
	uint32_t addr;
	unsigned int net;
	size_t tlen;
	uint8_t target[]; /* "container.network." in wire form, case as configured */
};

struct znet {
	uint32_t subnet; /* network order */
	uint32_t mask;	 /* network order */
};

struct dns_view {
	struct dns_view *next;
	struct dns_nsid id;
	unsigned int n, cap;
	unsigned int *nets; /* sorted, unique indexes into zone->nets */
	char name[SL_NAME_MAX];
};

struct dns_zone {
	unsigned int n_nets;
	struct znet *nets;
	unsigned int name_mask, addr_mask, view_mask;
	struct zname **names;
	struct zaddr **addrs;
	struct dns_view **views;
	unsigned int n_names, n_views;
	struct dns_view **view_list; /* for iteration */
};

/* FNV-1a: names are short and chosen by the operator, not by the asker. */
static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static uint32_t hash_u64(uint64_t a, uint64_t b)
{
	uint64_t k[2] = {a, b};

	return hash_bytes((const uint8_t *)k, sizeof(k));
}

static unsigned int pow2_at_least(unsigned int n)
{
	unsigned int p = 16;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

static struct zname *name_find(const struct dns_zone *z, const uint8_t *name, size_t len,
			       uint32_t h)
{
	struct zname *e;

	for (e = z->names[h & z->name_mask]; e; e = e->next)
		if (e->hash == h && e->len == len && !memcmp(e->name, name, len))
			return e;
	return NULL;
}

/* Add (net, addr) under a dotted name; names that are not DNS names are skipped. */
static int name_add(struct dns_zone *z, const char *text, unsigned int net, uint32_t addr)
{
	uint8_t wire[DNS_NAME_MAX];
	struct zname *e;
	size_t len;
	uint32_t h;

	if (dns_name_from_text(text, wire, &len))
		return 0;
	dns_name_lower(wire, wire, len);
	h = hash_bytes(wire, len);
	e = name_find(z, wire, len, h);
	if (!e) {
		e = calloc(1, sizeof(*e) + len);
		if (!e)
			return -ENOMEM;
		e->hash = h;
		e->len = len;
		memcpy(e->name, wire, len);
		e->next = z->names[h & z->name_mask];
		z->names[h & z->name_mask] = e;
		z->n_names++;
	}
	for (unsigned int i = 0; i < e->n; i++)
		if (e->recs[i].net == net && e->recs[i].addr == addr)
			return 0; /* an alias equal to the container name */
	if (e->n == e->cap) {
		unsigned int cap = e->cap ? e->cap * 2 : 2;
		struct zrec *r = realloc(e->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		e->recs = r;
		e->cap = cap;
	}
	e->recs[e->n++] = (struct zrec){.net = net, .addr = addr};
	return 0;
}

/* The name and its NAME.NETWORK form (Docker resolves both). */
static int name_add_both(struct dns_zone *z, const char *name, const char *network,
			 unsigned int net, uint32_t addr)
{
	char full[2 * SL_NAME_MAX];
	int err;

	err = name_add(z, name, net, addr);
	if (err)
		return err;
	snprintf(full, sizeof(full), "%s.%s", name, network);
	return name_add(z, full, net, addr);
}

static int addr_add(struct dns_zone *z, const struct sl_ep *ep, unsigned int net)
{
	char text[2 * SL_NAME_MAX];
	uint8_t wire[DNS_NAME_MAX];
	uint32_t h = hash_bytes((const uint8_t *)&ep->addr, 4);
	struct zaddr *a;
	size_t len;

	snprintf(text, sizeof(text), "%s.%s", ep->container, ep->network);
	if (dns_name_from_text(text, wire, &len))
		return 0;
	a = calloc(1, sizeof(*a) + len);
	if (!a)
		return -ENOMEM;
	a->addr = ep->addr;
	a->net = net;
	a->tlen = len;
	memcpy(a->target, wire, len);
	a->next = z->addrs[h & z->addr_mask];
	z->addrs[h & z->addr_mask] = a;
	return 0;
}

static struct dns_view *view_find(const struct dns_zone *z, struct dns_nsid id)
{
	struct dns_view *v;

	for (v = z->views[hash_u64(id.dev, id.ino) & z->view_mask]; v; v = v->next)
		if (v->id.dev == id.dev && v->id.ino == id.ino)
			return v;
	return NULL;
}

static int view_add(struct dns_zone *z, struct dns_nsid id, unsigned int net, const char *name)
{
	uint32_t h = hash_u64(id.dev, id.ino);
	struct dns_view *v = view_find(z, id);
	unsigned int i;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		v->id = id;
		snprintf(v->name, sizeof(v->name), "%s", name);
		v->next = z->views[h & z->view_mask];
		z->views[h & z->view_mask] = v;
		z->n_views++;
	}
	/* Keep nets sorted and unique: lookups search it for every record. */
	for (i = 0; i < v->n && v->nets[i] < net; i++)
		;
	if (i < v->n && v->nets[i] == net)
		return 0;
	if (v->n == v->cap) {
		unsigned int cap = v->cap ? v->cap * 2 : 4;
		unsigned int *n = realloc(v->nets, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		v->nets = n;
		v->cap = cap;
	}
	memmove(v->nets + i + 1, v->nets + i, (v->n - i) * sizeof(*v->nets));
	v->nets[i] = net;
	v->n++;
	return 0;
}

static bool view_has(const struct dns_view *v, unsigned int net)
{
	unsigned int lo = 0, hi = v->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (v->nets[mid] == net)
			return true;
		if (v->nets[mid] < net)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int network_index(const struct sl_state *st, const char *name, unsigned int *idx)
{
	for (unsigned int i = 0; i < st->n_networks; i++) {
		if (!strcmp(st->networks[i].name, name)) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

int dns_zone_build(const struct sl_state *st, const struct dns_nsid *ids, struct dns_zone **out)
{
	unsigned int i, j, net, nsz;
	struct dns_zone *z;
	int err = -ENOMEM;

	*out = NULL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	nsz = pow2_at_least(st->n_endpoints * 4);
	z->name_mask = nsz - 1;
	z->addr_mask = pow2_at_least(st->n_endpoints) - 1;
	z->view_mask = pow2_at_least(st->n_endpoints) - 1;
	z->names = calloc(z->name_mask + 1, sizeof(*z->names));
	z->addrs = calloc(z->addr_mask + 1, sizeof(*z->addrs));
	z->views = calloc(z->view_mask + 1, sizeof(*z->views));
	z->nets = calloc(st->n_networks ? st->n_networks : 1, sizeof(*z->nets));
	if (!z->names || !z->addrs || !z->views || !z->nets)
		goto fail;
	z->n_nets = st->n_networks;
	for (i = 0; i < st->n_networks; i++) {
		const struct sl_network *n = &st->networks[i];
		unsigned int p = n->subnet.prefixlen;
		uint32_t mask = p ? htonl(~0u << (32 - p)) : 0;

		z->nets[i] = (struct znet){.subnet = n->subnet.addr & mask, .mask = mask};
	}

	for (i = 0; i < st->n_endpoints; i++) {
		const struct sl_ep *ep = &st->endpoints[i];
		struct dns_nsid id = ids ? ids[i] : (struct dns_nsid){ep->nsdev, ep->nsino};

		if (network_index(st, ep->network, &net))
			continue; /* the state parser refuses this; be safe anyway */
		if ((err = name_add_both(z, ep->container, ep->network, net, ep->addr)))
			goto fail;
		for (j = 0; j < ep->n_aliases && j < SL_MAX_ALIASES; j++)
			if ((err = name_add_both(z, ep->aliases[j], ep->network, net, ep->addr)))
				goto fail;
		if ((err = addr_add(z, ep, net)))
			goto fail;
		if ((id.dev || id.ino) && (err = view_add(z, id, net, ep->container)))
			goto fail;
	}

	z->view_list = calloc(z->n_views ? z->n_views : 1, sizeof(*z->view_list));
	if (!z->view_list) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0, j = 0; i <= z->view_mask; i++)
		for (struct dns_view *v = z->views[i]; v; v = v->next)
			z->view_list[j++] = v;
	*out = z;
	return 0;

fail:
	dns_zone_free(z);
	return err;
}

void dns_zone_free(struct dns_zone *z)
{
	unsigned int i;

	if (!z)
		return;
	for (i = 0; z->names && i <= z->name_mask; i++) {
		struct zname *e = z->names[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e->recs);
			free(e);
		}
	}
	for (i = 0; z->addrs && i <= z->addr_mask; i++) {
		struct zaddr *a = z->addrs[i], *next;

		for (; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	for (i = 0; z->views && i <= z->view_mask; i++) {
		struct dns_view *v = z->views[i], *next;

		for (; v; v = next) {
			next = v->next;
			free(v->nets);
			free(v);
		}
	}
	free(z->names);
	free(z->addrs);
	free(z->views);
	free(z->view_list);
	free(z->nets);
	free(z);
}

const struct dns_view *dns_zone_view(const struct dns_zone *z, struct dns_nsid id)
{
	return z ? view_find(z, id) : NULL;
}

unsigned int dns_zone_n_views(const struct dns_zone *z)
{
	return z ? z->n_views : 0;
}

const struct dns_view *dns_zone_view_at(const struct dns_zone *z, unsigned int i)
{
	return z && i < z->n_views ? z->view_list[i] : NULL;
}

struct dns_nsid dns_view_id(const struct dns_view *v)
{
	return v->id;
}

const char *dns_view_name(const struct dns_view *v)
{
	return v->name;
}

unsigned int dns_zone_n_names(const struct dns_zone *z)
{
	return z ? z->n_names : 0;
}

int dns_zone_lookup(const struct dns_zone *z, const struct dns_view *v, const uint8_t *name,
		    size_t len, uint32_t *addrs, unsigned int max)
{
	const struct zname *e = name_find(z, name, len, hash_bytes(name, len));
	unsigned int n = 0, i, k;

	if (!e || !v)
		return -ENOENT;
	for (i = 0; i < e->n; i++) {
		bool dup = false;

		if (!view_has(v, e->recs[i].net))
			continue;
		/* A container on two shared networks has two addresses; equal ones count once. */
		for (k = 0; k < n && k < max; k++)
			if (addrs[k] == e->recs[i].addr)
				dup = true;
		if (dup)
			continue;
		if (n < max)
			addrs[n] = e->recs[i].addr;
		n++;
	}
	return n ? (int)n : -ENOENT;
}

int dns_zone_ptr(const struct dns_zone *z, const struct dns_view *v, uint32_t addr,
		 const uint8_t **target, size_t *target_len)
{
	const struct zaddr *a;
	unsigned int i;

	if (!v)
		return -ESRCH;
	for (a = z->addrs[hash_bytes((const uint8_t *)&addr, 4) & z->addr_mask]; a; a = a->next) {
		if (a->addr == addr && view_has(v, a->net)) {
			*target = a->target;
			*target_len = a->tlen;
			return 0;
		}
	}
	for (i = 0; i < v->n; i++) {
		const struct znet *n = &z->nets[v->nets[i]];

		if ((addr & n->mask) == n->subnet)
			return -ENOENT;
	}
	return -ESRCH;
}
