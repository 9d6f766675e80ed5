// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_dns.c - libFuzzer target for sluice-dnsd's parser and answer builder
 * (dnsd/wire.c) over a fixed name table (dnsd/zone.c).
 *
 * Input: byte 0 picks the context (bit 0 TCP, bit 1 forwarding available,
 * bits 2-4 the asking container, bits 5-7 the rotation), byte 1 the output
 * capacity (0: the full 65535, else 12 + 16 * n), the rest is the query.
 * Checks, each an abort():
 *   - nothing is read or written out of bounds (ASan) or undefined (UBSan)
 *   - an answer is at least a header, never longer than the capacity, nor
 *     than 512 / the EDNS size over UDP; it echoes the ID, has QR set, and is
 *     a well-formed message whose sections end exactly at its end
 *   - an answer to a query with a question passes dns_reply_check
 *   - forwarding is only asked for when upstreams are available
 * The same bytes also go through dns_reply_check (the upstream reply path)
 * and the reverse-name decoder.
 *
 *   make fuzz FUZZ_TIME=60      (all fuzzers; corpus tests/fuzz/corpus/dns)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "wire.h"
#include "zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone_text[] =
	"# sluice state v1\n"
	"network front id=1 subnet=10.11.0.0/24 gateway=10.11.0.1\n"
	"network back id=2 subnet=10.12.0.0/24 gateway=10.12.0.1\n"
	"network other id=3 subnet=10.13.0.0/24 gateway=10.13.0.1\n"
	"endpoint front alpha ip=10.11.0.2 mac=02:42:0a:0b:00:02 ifname=eth0 host_ifname=h1 "
	"netns=/run/netns/a nsdev=4 nsino=1 alias=web\n"
	"endpoint front bravo ip=10.11.0.3 mac=02:42:0a:0b:00:03 ifname=eth0 host_ifname=h2 "
	"netns=/run/netns/b nsdev=4 nsino=2 alias=web alias=db\n"
	"endpoint back bravo ip=10.12.0.3 mac=02:42:0a:0c:00:03 ifname=eth1 host_ifname=h3 "
	"netns=/run/netns/b nsdev=4 nsino=2\n"
	"endpoint back charlie ip=10.12.0.4 mac=02:42:0a:0c:00:04 ifname=eth0 host_ifname=h4 "
	"netns=/run/netns/c nsdev=4 nsino=3 alias=web alias=Mixed.Case\n"
	"endpoint other secret ip=10.13.0.5 mac=02:42:0a:0d:00:05 ifname=eth0 host_ifname=h5 "
	"netns=/run/netns/d nsdev=4 nsino=4 alias=hidden\n";

static struct dns_zone *zone;
static struct sl_state state;
static uint8_t out[DNS_MSG_MAX];

static void setup(void)
{
	char err[256];

	if (sl_state_parse(zone_text, sizeof(zone_text) - 1, &state, err, sizeof(err)) ||
	    dns_zone_build(&state, NULL, &zone))
		abort();
}

/* Walk a built message: every section must parse and end exactly at len. */
static void check_well_formed(const uint8_t *msg, size_t len)
{
	struct dns_buf b = dns_buf_reader(msg, len);
	uint8_t name[DNS_NAME_MAX];
	uint16_t counts[4];
	size_t nlen;

	dns_buf_skip(&b, 4);
	for (int i = 0; i < 4; i++)
		counts[i] = dns_buf_get_u16(&b);
	if (b.err)
		abort();
	for (unsigned int i = 0; i < counts[0]; i++) {
		if (dns_name_read(&b, name, &nlen))
			abort();
		dns_buf_skip(&b, 4);
	}
	for (unsigned int i = 0; i < (unsigned int)counts[1] + counts[2] + counts[3]; i++) {
		if (dns_name_read(&b, name, &nlen))
			abort();
		dns_buf_skip(&b, 8);
		dns_buf_skip(&b, dns_buf_get_u16(&b));
	}
	if (b.err || b.pos != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query q, pq;
	struct dns_ctx ctx;
	enum dns_verdict v;
	size_t cap, outlen, limit;
	const uint8_t *msg;
	uint32_t addr;
	bool tc;

	if (!zone)
		setup();
	if (size < 2)
		return 0;
	ctx = (struct dns_ctx){
		.zone = zone,
		.tcp = data[0] & 1,
		.upstream = data[0] & 2,
		.rot = data[0] >> 5,
	};
	/* Asker: 0 none, 1..4 the four namespaces of the table, 5..7 unknown. */
	ctx.view = dns_zone_view(zone, (struct dns_nsid){4, (data[0] >> 2) & 7});
	cap = data[1] ? DNS_HDR_LEN + 16u * data[1] : sizeof(out);
	msg = data + 2;
	size -= 2;

	v = dns_respond(&ctx, msg, size, &q, out, cap, &outlen);
	switch (v) {
	case DNS_V_DROP:
		if (outlen)
			abort();
		break;
	case DNS_V_FORWARD:
		if (!ctx.upstream || outlen || !q.qname_len)
			abort();
		break;
	case DNS_V_ANSWER:
		if (outlen < DNS_HDR_LEN || outlen > cap)
			abort();
		if (out[0] != msg[0] || out[1] != msg[1] || !(out[2] & 0x80))
			abort();
		limit = ctx.tcp					      ? DNS_MSG_MAX
			: dns_query_parse(msg, size, &pq) == DNS_P_OK ? dns_udp_limit(&pq)
								      : DNS_UDP_MIN;
		if (outlen > limit)
			abort();
		check_well_formed(out, outlen);
		if (q.qname_len && dns_reply_check(out, outlen, q.id, &q, &tc))
			abort();
		break;
	}

	/* The upstream path: any bytes as a reply to the query we parsed (or a fixed one). */
	if (q.qname_len == 0) {
		memset(&q, 0, sizeof(q));
		q.qname[0] = 0;
		q.qname_len = 1;
		q.qtype = DNS_T_A;
		q.qclass = DNS_C_IN;
	}
	if (size >= 2)
		(void)dns_reply_check(msg, size, (uint16_t)(msg[0] << 8 | msg[1]), &q, &tc);
	if (size <= DNS_NAME_MAX && dns_name_to_reverse(msg, size, &addr) == 0 && size < 16)
		abort(); /* the shortest reverse name is 1.1.1.1.in-addr.arpa: 22 bytes */
	return 0;
}
