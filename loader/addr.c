// SPDX-License-Identifier: BSD-2-Clause
/* addr.c - strict IPv4/CIDR/MAC parsing, formatting and host allocation. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include "addr.h"

/*
 * Parse one decimal part 0..max at *s, advancing *s past it. No sign, no
 * leading zero unless the part is exactly "0", at most as many digits as
 * max has (so the value cannot overflow before the range check).
 * Returns 0, or -EINVAL with *s unspecified.
 */
static int parse_dec_part(const char **s, unsigned int max, unsigned int *out)
{
	const char *p = *s;
	unsigned int v = 0, ndig = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return -EINVAL; /* leading zero: inet_aton would read octal */
	while (*p >= '0' && *p <= '9') {
		if (++ndig > 3)
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
		p++;
	}
	if (v > max)
		return -EINVAL;
	*s = p;
	*out = v;
	return 0;
}

/* Dotted quad at *s, advancing *s to the first byte after it. */
static int parse_quad(const char **s, __u32 *host)
{
	const char *p = *s;
	unsigned int part;
	__u32 v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (*p != '.')
				return -EINVAL;
			p++;
		}
		if (parse_dec_part(&p, 255, &part))
			return -EINVAL;
		v = (v << 8) | part;
	}
	*s = p;
	*host = v;
	return 0;
}

int sl_ip4_parse(const char *s, __be32 *out)
{
	__u32 host;

	if (!s || parse_quad(&s, &host) || *s != '\0')
		return -EINVAL;
	*out = htonl(host);
	return 0;
}

int sl_cidr_parse(const char *s, struct sl_cidr *out)
{
	unsigned int plen;
	__u32 host;

	if (!s || parse_quad(&s, &host) || *s != '/')
		return -EINVAL;
	s++;
	if (parse_dec_part(&s, 32, &plen) || *s != '\0')
		return -EINVAL;
	/* Host bits set is refused rather than silently masked: it is a typo. */
	if (host & ~ntohl(sl_prefix_mask(plen)))
		return -EINVAL;
	out->addr = htonl(host);
	out->prefixlen = (__u8)plen;
	return 0;
}

__be32 sl_prefix_mask(unsigned int prefixlen)
{
	/* A shift by 32 is undefined in C, so /0 is special. */
	if (prefixlen == 0)
		return 0;
	if (prefixlen > 32)
		prefixlen = 32;
	return htonl(~(__u32)0 << (32 - prefixlen));
}

__be32 sl_cidr_network(__be32 addr, unsigned int prefixlen)
{
	return addr & sl_prefix_mask(prefixlen);
}

bool sl_cidr_contains(const struct sl_cidr *net, __be32 addr)
{
	return sl_cidr_network(addr, net->prefixlen) == net->addr;
}

/* CIDR blocks are either nested or disjoint: overlap == one holds the other. */
bool sl_cidr_overlap(const struct sl_cidr *a, const struct sl_cidr *b)
{
	unsigned int plen = a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen;

	return sl_cidr_network(a->addr, plen) == sl_cidr_network(b->addr, plen);
}

__be32 sl_cidr_first_host(const struct sl_cidr *net)
{
	return htonl(ntohl(net->addr) + 1);
}

/* Host-order network and broadcast address of net. */
static void cidr_range(const struct sl_cidr *net, __u32 *lo, __u32 *hi)
{
	__u32 mask = ntohl(sl_prefix_mask(net->prefixlen));

	*lo = ntohl(net->addr) & mask;
	*hi = *lo | ~mask;
}

bool sl_cidr_is_host(const struct sl_cidr *net, __be32 addr)
{
	__u32 lo, hi, a = ntohl(addr);

	/* /31 and /32 have no network/broadcast pair to spare: no usable hosts. */
	if (net->prefixlen > 30 || !sl_cidr_contains(net, addr))
		return false;
	cidr_range(net, &lo, &hi);
	return a != lo && a != hi;
}

char *sl_ip4_fmt(__be32 addr, char *buf)
{
	__u32 a = ntohl(addr);

	snprintf(buf, SL_IP4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
	return buf;
}

char *sl_cidr_fmt(const struct sl_cidr *c, char *buf)
{
	/* Clamped so a corrupt prefix cannot overflow "A.B.C.D/NN". */
	unsigned int plen = c->prefixlen > 32 ? 32 : c->prefixlen;
	char ip[SL_IP4_STRLEN];

	snprintf(buf, SL_CIDR_STRLEN, "%s/%u", sl_ip4_fmt(c->addr, ip), plen);
	return buf;
}

/*
 * By pigeonhole the answer is among the first n_used + 2 hosts (gateway and
 * used can take at most n_used + 1 of them), so a bitmap of that window finds
 * it in O(n) without sorting. Returns 0, -ENOSPC or -ENOMEM.
 */
int sl_addr_alloc(const struct sl_cidr *net, __be32 gateway, const __be32 *used, size_t n_used,
		  __be32 *out)
{
	__u32 lo, hi, first, last, a;
	unsigned char *taken;
	size_t window, i;
	int err = -ENOSPC;

	if (net->prefixlen > 30)
		return -ENOSPC;
	cidr_range(net, &lo, &hi);
	first = lo + 1;
	last = hi - 1;
	if (n_used > SIZE_MAX / 2 - 8)
		return -ENOMEM;
	window = n_used + 2;
	if ((__u64)window > (__u64)last - first + 1)
		window = (size_t)((__u64)last - first + 1);
	taken = calloc((window + 7) / 8, 1);
	if (!taken)
		return -ENOMEM;

	a = ntohl(gateway);
	if (a >= first && a - first < window)
		taken[(a - first) / 8] |= 1u << ((a - first) % 8);
	for (i = 0; i < n_used; i++) {
		a = ntohl(used[i]);
		if (a >= first && a - first < window)
			taken[(a - first) / 8] |= 1u << ((a - first) % 8);
	}
	for (i = 0; i < window; i++) {
		if (!(taken[i / 8] & (1u << (i % 8)))) {
			*out = htonl(first + (__u32)i);
			err = 0;
			break;
		}
	}
	free(taken);
	return err;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sl_mac_parse(const char *s, __u8 mac[6])
{
	__u8 tmp[6];
	int i, h, l;

	if (!s)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		/* Checking s[0] before s[1] never reads past the NUL. */
		h = hexval(s[0]);
		if (h < 0)
			return -EINVAL;
		l = hexval(s[1]);
		if (l < 0)
			return -EINVAL;
		tmp[i] = (__u8)(h << 4 | l);
		s += 2;
		if (*s != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		s++;
	}
	for (i = 0; i < 6; i++)
		mac[i] = tmp[i];
	return 0;
}

char *sl_mac_fmt(const __u8 mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}
