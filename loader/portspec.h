/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * portspec.h - Docker's `-p` port specs: parsing, canonical text, host-port
 * allocation from the local port range, and `docker port` lines.
 *
 * Grammar (what `docker run -p` takes, minus what sluice refuses):
 *
 *   [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|/udp]
 *
 *   HOST_IP    strict IPv4 dotted quad, or an IPv6 address in brackets
 *              ([::1], [::]); omitted means 0.0.0.0, every host address.
 *   HOST_PORT  1..65535 or a range; empty after HOST_IP ("127.0.0.1::80")
 *              or omitted ("80") means "allocate one per container port".
 *   parts      1 part = container port, 2 = host:container,
 *              3 = ip:host:container, as Docker splits them. So "1.2.3.4:80"
 *              is an error (1.2.3.4 is not a host port), not ip:container.
 *   /proto     lowercase tcp or udp; tcp when left out.
 *
 * Refused where Docker is lenient, because each is more likely a typo than
 * intent: leading zeros ("080"), a host range mapped to a single container
 * port ("8080-8081:80"), an empty host port without an IP (":80"), host
 * port 0, uppercase protocols, and anything longer than
 * SL_PORTSPEC_MAXLEN bytes.
 *
 * The parsers (sl_portspec_parse, sl_port_range_parse) are pure: bytes in,
 * struct out, no I/O, no global state. Only sl_port_range_read touches /proc.
 */
#ifndef SL_PORTSPEC_H
#define SL_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SL_PORTSPEC_MAXLEN    128  /* longest spec accepted, bytes without the NUL */
#define SL_PORTSPEC_STRLEN    80   /* sl_portspec_fmt output incl. NUL (76 needed) */
#define SL_PORT_DOCKER_STRLEN 72   /* sl_port_fmt_docker output incl. NUL (67 needed) */
#define SL_PORTSPEC_ERRLEN    1024 /* room for any parse message, spec quoted */
#define SL_PORT_RANGE_PATH    "/proc/sys/net/ipv4/ip_local_port_range"

struct sl_portspec {
	int family;		    /* AF_INET or AF_INET6 */
	__be32 host_ip4;	    /* AF_INET, network order; 0 = every address of the host */
	__u8 host_ip6[16];	    /* AF_INET6, network order; all zero ([::]) = every address */
	__u16 host_port_first;	    /* host order; first == last == 0: allocate */
	__u16 host_port_last;	    /* host order; last - first == container last - first */
	__u16 container_port_first; /* host order, 1..65535 */
	__u16 container_port_last;  /* host order, >= container_port_first */
	__u8 proto;		    /* IPPROTO_TCP or IPPROTO_UDP */
};

/*
 * Parse a `-p` spec. The unused address field is zeroed, and *out is only
 * written on success. Returns 0, or -EINVAL with one line in err (if err and
 * errlen are non-zero; SL_PORTSPEC_ERRLEN always fits) that quotes the spec,
 * says what is wrong and how to write it.
 */
int sl_portspec_parse(const char *s, struct sl_portspec *out, char *err, size_t errlen);

/*
 * Canonical text that sl_portspec_parse reads back to an equal struct:
 * "0.0.0.0:8080-8081:80-81/tcp", "[::1]:8080:80/udp", "0.0.0.0::80/tcp".
 * Returns 0, -EINVAL for a struct the parser could not have produced, or
 * -ENOSPC when len is too small (SL_PORTSPEC_STRLEN always fits).
 */
int sl_portspec_fmt(const struct sl_portspec *ps, char *buf, size_t len);

/* Same mapping: compares only the fields the family and ports make meaningful. */
bool sl_portspec_equal(const struct sl_portspec *a, const struct sl_portspec *b);

/* The number of ports the spec maps (container ports), 0 for a malformed struct. */
unsigned int sl_portspec_count(const struct sl_portspec *ps);

/*
 * Parse the text of ip_local_port_range ("32768\t60999\n"): two decimals
 * separated by blanks, an optional newline, 1 <= lo <= hi <= 65535.
 * Returns 0 or -EINVAL.
 */
int sl_port_range_parse(const char *text, __u16 *lo, __u16 *hi);

/*
 * Read SL_PORT_RANGE_PATH of the caller's network namespace (Docker reads
 * the same file, in the daemon's). Returns 0, -EINVAL for content that does
 * not parse, or the negative errno of open/read; when that file is missing
 * Docker falls back to 49153..65535, and that choice is left to the caller.
 */
int sl_port_range_read(__u16 *lo, __u16 *hi);

/*
 * Allocate n host ports from [lo, hi] for which in_use(port, proto, arg) is
 * false (in_use may be NULL: nothing is in use). Takes the lowest free ones,
 * ascending, so the result depends only on what is in use. Docker's first
 * allocation is also the bottom of the range, but it then goes round-robin
 * from the last port it handed out, which sluice deliberately does not copy.
 * in_use is where the caller also honours ip_local_reserved_ports. Returns:
 *   0        ports[0..n) filled; n == 0 is a no-op
 *   -EINVAL  lo == 0, lo > hi, proto not TCP/UDP, or ports NULL with n > 0
 *   -ENOSPC  fewer than n free ports in the range (ports[] then unspecified)
 */
int sl_port_alloc(__u16 lo, __u16 hi, __u8 proto, unsigned int n,
		  bool (*in_use)(__u16 port, __u8 proto, void *arg), void *arg, __u16 *ports);

/*
 * A `docker port` line: "80/tcp -> 0.0.0.0:8080", "53/udp -> [::1]:5353".
 * host_ip points to a __be32 (AF_INET) or 16 bytes (AF_INET6). Returns 0,
 * -EINVAL (port 0, unknown family or proto, NULL host_ip) or -ENOSPC
 * (SL_PORT_DOCKER_STRLEN always fits).
 */
int sl_port_fmt_docker(__u16 container_port, __u8 proto, int family, const void *host_ip,
		       __u16 host_port, char *buf, size_t len);

#endif /* SL_PORTSPEC_H */
