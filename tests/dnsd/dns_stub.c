// SPDX-License-Identifier: BSD-2-Clause
/*
 * dns_stub.c - a tiny upstream resolver for the integration tests, run in a
 * namespace of the test's own, so no test ever sends DNS to the machine's
 * resolver. Written here rather than taken from Debian (dnsmasq, unbound)
 * because the tests need exact behaviour: truncation on demand, silence on
 * demand, and a log of which transport each query used.
 *
 *   dns_stub ADDR PORT
 * answers over UDP and TCP on ADDR:PORT:
 *   NAME.example.   A 203.0.113.N, N = 1 + (length of NAME)
 *   big.example.    A 198.51.100.1 ... 198.51.100.100 (1.6 kB: truncated over
 *                   UDP unless the EDNS size allows it)
 *   slow.example.   no answer at all
 *   anything else   NXDOMAIN
 * and prints "udp NAME" or "tcp NAME" (lowercase) per query, flushed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "wire.h"

static size_t build(const uint8_t *msg, size_t len, bool tcp, uint8_t *out, size_t cap,
		    const char *transport)
{
	static const uint8_t big[] = "\3big\7example";
	static const uint8_t slow[] = "\4slow\7example";
	static const uint8_t suffix[] = "\7example";
	struct dns_query q;
	uint8_t lname[DNS_NAME_MAX];
	char text[1024];
	unsigned int n = 0;
	bool exists;
	size_t limit;
	struct dns_buf b;

	if (dns_query_parse(msg, len, &q) != DNS_P_OK)
		return 0;
	dns_name_lower(lname, q.qname, q.qname_len);
	dns_name_to_text(lname, q.qname_len, text, sizeof(text));
	printf("%s %s\n", transport, text);
	fflush(stdout);
	if (q.qname_len == sizeof(slow) && !memcmp(lname, slow, sizeof(slow)))
		return 0;
	limit = tcp ? cap : dns_udp_limit(&q);
	if (limit > cap)
		limit = cap;
	b = dns_buf_writer(out, limit);
	dns_buf_put_u16(&b, q.id);
	if (q.qname_len == sizeof(big) && !memcmp(lname, big, sizeof(big)))
		n = 100;
	else if (q.qname_len > sizeof(suffix) + 1 &&
		 !memcmp(lname + q.qname_len - sizeof(suffix), suffix, sizeof(suffix)) &&
		 lname[0] + 1 + sizeof(suffix) == q.qname_len)
		n = 1;
	exists = n > 0;
	if (q.qtype != DNS_T_A)
		n = 0; /* NODATA */
	dns_buf_put_u16(&b, DNS_F_QR | DNS_F_RD | DNS_F_RA | (exists ? 0 : DNS_R_NXDOMAIN));
	dns_buf_put_u16(&b, 1);
	dns_buf_put_u16(&b, (uint16_t)n);
	dns_buf_put_u16(&b, 0);
	dns_buf_put_u16(&b, 0);
	dns_buf_put_bytes(&b, q.qname, q.qname_len);
	dns_buf_put_u16(&b, q.qtype);
	dns_buf_put_u16(&b, q.qclass);
	for (unsigned int i = 0; i < n; i++) {
		dns_buf_put_u16(&b, 0xc00c);
		dns_buf_put_u16(&b, DNS_T_A);
		dns_buf_put_u16(&b, DNS_C_IN);
		dns_buf_put_u32(&b, 60);
		dns_buf_put_u16(&b, 4);
		if (n == 1)
			dns_buf_put_u32(&b, 0xcb007100u + 1 + lname[0]); /* 203.0.113.N */
		else
			dns_buf_put_u32(&b, 0xc6336400u + 1 + i); /* 198.51.100.I */
	}
	if (b.err) {
		/* Does not fit: header and question with TC. */
		b = dns_buf_writer(out, limit);
		dns_buf_put_u16(&b, q.id);
		dns_buf_put_u16(&b, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_F_TC);
		dns_buf_put_u16(&b, 1);
		dns_buf_put_u16(&b, 0);
		dns_buf_put_u16(&b, 0);
		dns_buf_put_u16(&b, 0);
		dns_buf_put_bytes(&b, q.qname, q.qname_len);
		dns_buf_put_u16(&b, q.qtype);
		dns_buf_put_u16(&b, q.qclass);
	}
	return b.err ? 0 : b.pos;
}

static void serve_tcp(int fd)
{
	static uint8_t in[2 + DNS_MSG_MAX], out[2 + DNS_MSG_MAX];
	size_t have = 0, want;
	ssize_t r;

	for (;;) {
		want = have < 2 ? 2 : 2 + ((size_t)in[0] << 8 | in[1]);
		if (have >= 2 && have == want) {
			size_t n = build(in + 2, have - 2, true, out + 2, DNS_MSG_MAX, "tcp");

			if (n) {
				out[0] = (uint8_t)(n >> 8);
				out[1] = (uint8_t)n;
				if (write(fd, out, n + 2) < 0)
					break;
			}
			have = 0;
			continue;
		}
		r = read(fd, in + have, want - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	close(fd);
}

int main(int argc, char **argv)
{
	static uint8_t in[DNS_MSG_MAX], out[DNS_MSG_MAX];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int u, t, one = 1;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: dns_stub ADDR PORT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	u = socket(AF_INET, SOCK_DGRAM, 0);
	t = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (u < 0 || t < 0 || bind(u, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    bind(t, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(t, 16) < 0) {
		perror("dns_stub: bind");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		struct pollfd p[2] = {{.fd = u, .events = POLLIN}, {.fd = t, .events = POLLIN}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & POLLIN) {
			struct sockaddr_storage peer;
			socklen_t plen = sizeof(peer);
			ssize_t r = recvfrom(u, in, sizeof(in), 0, (struct sockaddr *)&peer, &plen);
			size_t n;

			if (r > 0 && (n = build(in, (size_t)r, false, out, sizeof(out), "udp")))
				sendto(u, out, n, 0, (struct sockaddr *)&peer, plen);
		}
		if (p[1].revents & POLLIN) {
			int c = accept(t, NULL, NULL);

			/* One client at a time is plenty for the tests. */
			if (c >= 0)
				serve_tcp(c);
		}
	}
}
