/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addr.h - IPv4 address and CIDR parsing, formatting and allocation.
 * Pure functions: no I/O, no global state. Addresses are in network byte
 * order (__be32) everywhere.
 */
#ifndef SL_ADDR_H
#define SL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define SL_IP4_STRLEN  16 /* "255.255.255.255" + NUL */
#define SL_CIDR_STRLEN 19 /* "255.255.255.255/32" + NUL */

struct sl_cidr {
	__be32 addr;	/* network address, host bits zero, network order */
	__u8 prefixlen; /* 0..32 */
};

/*
 * Strict dotted quad: exactly four decimal parts 0..255, no leading zeros
 * ("010.1.1.1" is refused: inet_aton would read it as octal), no spaces.
 * Returns 0 or -EINVAL.
 */
int sl_ip4_parse(const char *s, __be32 *out);

/*
 * "A.B.C.D/N" with N in 0..32. Host bits set ("10.1.0.5/24") is -EINVAL:
 * the caller's message can suggest the network address (sl_cidr_network).
 * Returns 0 or -EINVAL.
 */
int sl_cidr_parse(const char *s, struct sl_cidr *out);

/* Netmask for a prefix length, network order. */
__be32 sl_prefix_mask(unsigned int prefixlen);
/* The network address of addr/prefixlen (host bits cleared). */
__be32 sl_cidr_network(__be32 addr, unsigned int prefixlen);
bool sl_cidr_contains(const struct sl_cidr *net, __be32 addr);
bool sl_cidr_overlap(const struct sl_cidr *a, const struct sl_cidr *b);
/* The first usable host address (network + 1), network order. */
__be32 sl_cidr_first_host(const struct sl_cidr *net);
/* Network and broadcast addresses are not usable hosts (for prefix <= 30). */
bool sl_cidr_is_host(const struct sl_cidr *net, __be32 addr);

/* Format into buf (at least SL_IP4_STRLEN / SL_CIDR_STRLEN bytes); returns buf. */
char *sl_ip4_fmt(__be32 addr, char *buf);
char *sl_cidr_fmt(const struct sl_cidr *c, char *buf);

/*
 * Allocate the lowest host address of net that is neither the gateway nor in
 * used[0..n_used). Returns 0 and *out, -ENOSPC when the subnet is full (a /31
 * or /32 has no usable hosts), or -ENOMEM (it needs n_used / 8 bytes).
 */
int sl_addr_alloc(const struct sl_cidr *net, __be32 gateway, const __be32 *used, size_t n_used,
		  __be32 *out);

/* "02:42:0a:01:00:02" -> 6 bytes. Returns 0 or -EINVAL. */
int sl_mac_parse(const char *s, __u8 mac[6]);
/* Needs 18 bytes. Returns buf. */
char *sl_mac_fmt(const __u8 mac[6], char *buf);

#endif /* SL_ADDR_H */
