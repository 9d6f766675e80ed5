/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zone.h - the name table of one sluice instance, built from its state, and
 * the views: which networks each container's network namespace is on.
 *
 * Every endpoint (network N, container C, address A, aliases X...) gives the
 * names C, X..., C.N and X.N, each with address A on network N. A client's
 * view is the set of networks of the endpoints in its namespace; a lookup
 * only returns what lies on a network of the asker's view, so a container
 * never learns a name or an address of a network it is not connected to.
 *
 * Names are compared case-insensitively (ASCII) in wire form, so "a.b" (two
 * labels) never matches a label that holds a literal dot. A table is
 * immutable once built: the daemon builds a new one and swaps it in.
 */
#ifndef DNS_ZONE_H
#define DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_state;

/* A network namespace's identity: st_dev and st_ino of its nsfs inode; {0, 0} = unknown. */
struct dns_nsid {
	uint64_t dev, ino;
};

struct dns_zone;
struct dns_view;

/*
 * Build the table from st. ids, when not NULL, has one identity per endpoint
 * of st (same index): the endpoints with the same non-zero identity form one
 * view. With ids NULL the state's own nsdev/nsino are used. An endpoint with
 * an unknown identity still has its names served, but cannot ask. Names that
 * cannot be written as a DNS name ("a..b") are skipped. 0 or -ENOMEM.
 */
int dns_zone_build(const struct sl_state *st, const struct dns_nsid *ids, struct dns_zone **out);
void dns_zone_free(struct dns_zone *z);

/* The view of a namespace, or NULL when no endpoint of the table is in it. */
const struct dns_view *dns_zone_view(const struct dns_zone *z, struct dns_nsid id);
unsigned int dns_zone_n_views(const struct dns_zone *z);
const struct dns_view *dns_zone_view_at(const struct dns_zone *z, unsigned int i);
struct dns_nsid dns_view_id(const struct dns_view *v);
/* A container name in the view, for log messages. */
const char *dns_view_name(const struct dns_view *v);
/* How many distinct names the table holds (for log messages). */
unsigned int dns_zone_n_names(const struct dns_zone *z);

/*
 * Look up name (wire form, lowercase, ending in the root label) for view v.
 * Returns the number of distinct IPv4 addresses (network order) the name has
 * on the networks of v, storing the first max of them in addrs in table order,
 * or -ENOENT when the name has none there (unknown or not visible: the same).
 */
int dns_zone_lookup(const struct dns_zone *z, const struct dns_view *v, const uint8_t *name,
		    size_t len, uint32_t *addrs, unsigned int max);

/*
 * Reverse lookup of addr (network order) for view v:
 *   0        the address is an endpoint on a network of v; *target is its
 *            name in wire form ("container.network."), *target_len its length
 *   -ENOENT  the address is in the subnet of a network of v, but no endpoint
 *   -ESRCH   the address is in no subnet of v: not ours to answer
 */
int dns_zone_ptr(const struct dns_zone *z, const struct dns_view *v, uint32_t addr,
		 const uint8_t **target, size_t *target_len);

#endif /* DNS_ZONE_H */
