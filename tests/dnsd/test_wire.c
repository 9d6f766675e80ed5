// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_wire.c - unit tests of the wire helpers that the golden files do not
 * reach directly: how the forwarder matches an upstream reply to its query,
 * the name codec (compression chains, text form) and reverse names, and the
 * name table's views.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include "state.h"
#include "test.h"
#include "wire.h"
#include "zone.h"

/* A query for www.Example.com A IN with ID 0x1234, parsed. */
static void make_query(struct dns_query *q)
{
	static const uint8_t msg[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x00, 3,    'w',  'w',  'w',	7,    'E',
				      'x',  'a',  'm',	'p',  'l',  'e',  3,	'c',  'o',
				      'm',  0,	  0x00, 0x01, 0x00, 0x01};

	memset(q, 0, sizeof(*q));
	if (dns_query_parse(msg, sizeof(msg), q) != DNS_P_OK)
		q->qname_len = 0;
}

/* An upstream reply: header with id/flags/qdcount, then the question as given. */
static size_t make_reply(uint8_t *out, uint16_t id, uint16_t flags, uint16_t qdcount,
			 const char *qname, uint16_t qtype)
{
	struct dns_buf b = dns_buf_writer(out, 512);
	uint8_t name[DNS_NAME_MAX];
	size_t nlen;

	dns_buf_put_u16(&b, id);
	dns_buf_put_u16(&b, flags);
	dns_buf_put_u16(&b, qdcount);
	dns_buf_put_u16(&b, 0);
	dns_buf_put_u16(&b, 0);
	dns_buf_put_u16(&b, 0);
	if (qdcount) {
		dns_name_from_text(qname, name, &nlen);
		dns_buf_put_bytes(&b, name, nlen);
		dns_buf_put_u16(&b, qtype);
		dns_buf_put_u16(&b, DNS_C_IN);
	}
	return b.pos;
}

SL_TEST(reply_check_matches)
{
	struct dns_query q;
	uint8_t r[512];
	bool tc = true;
	size_t n;

	make_query(&q);
	SL_ASSERT(q.qname_len > 0, "query parsed");
	n = make_reply(r, 0xbeef, DNS_F_QR | DNS_F_RA, 1, "www.example.com", DNS_T_A);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), 0, "same question, lower case");
	SL_ASSERT(!tc, "not truncated");
	n = make_reply(r, 0xbeef, DNS_F_QR | DNS_F_TC, 1, "WWW.EXAMPLE.COM", DNS_T_A);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), 0, "upper case matches");
	SL_ASSERT(tc, "truncated");
	n = make_reply(r, 0xbeef, DNS_F_QR | DNS_R_FORMERR, 0, NULL, 0);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), 0, "FORMERR without question");
}

SL_TEST(reply_check_rejects)
{
	struct dns_query q;
	uint8_t r[512];
	bool tc;
	size_t n;

	make_query(&q);
	n = make_reply(r, 0xbeef, DNS_F_QR, 1, "www.example.com", DNS_T_A);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeee, &q, &tc), -EBADMSG, "other ID");
	SL_ASSERT_EQ(dns_reply_check(r, n - 1, 0xbeef, &q, &tc), -EBADMSG, "cut short");
	SL_ASSERT_EQ(dns_reply_check(r, 11, 0xbeef, &q, &tc), -EBADMSG, "no header");
	n = make_reply(r, 0xbeef, 0, 1, "www.example.com", DNS_T_A);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), -EBADMSG, "QR clear: a query");
	n = make_reply(r, 0xbeef, DNS_F_QR, 1, "www.example.org", DNS_T_A);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), -EBADMSG, "other name");
	n = make_reply(r, 0xbeef, DNS_F_QR, 1, "www.example.com", DNS_T_AAAA);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), -EBADMSG, "other type");
	n = make_reply(r, 0xbeef, DNS_F_QR, 0, NULL, 0);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), -EBADMSG, "NOERROR without question");
	n = make_reply(r, 0xbeef, DNS_F_QR | 0x1000, 1, "www.example.com", DNS_T_A);
	SL_ASSERT_EQ(dns_reply_check(r, n, 0xbeef, &q, &tc), -EBADMSG, "opcode not QUERY");
}

SL_TEST(name_read_chain)
{
	/* "b.a" at 0, "c" + pointer to 0 at 5, "d" + pointer to 5 at 9: d.c.b.a */
	static const uint8_t m[] = {1, 'b', 1, 'a', 0, 1, 'c', 0xc0, 0, 1, 'd', 0xc0, 5};
	static const uint8_t want[] = {1, 'd', 1, 'c', 1, 'b', 1, 'a', 0};
	struct dns_buf b = dns_buf_reader(m, sizeof(m));
	uint8_t name[DNS_NAME_MAX];
	size_t len = 0;

	dns_buf_seek(&b, 9);
	SL_ASSERT_EQ(dns_name_read(&b, name, &len), 0, "two backward jumps");
	SL_ASSERT_EQ(len, sizeof(want), "length");
	SL_ASSERT(!memcmp(name, want, sizeof(want)), "bytes");
	SL_ASSERT_EQ(b.pos, sizeof(m), "cursor after the first pointer");
}

SL_TEST(name_read_loops)
{
	/* 0: "a" + pointer to 4; 4: pointer to 0: the second jump goes forward of the first target. */
	static const uint8_t loop[] = {1, 'a', 0xc0, 4, 0xc0, 0};
	struct dns_buf b = dns_buf_reader(loop, sizeof(loop));
	uint8_t name[DNS_NAME_MAX];
	size_t len;

	dns_buf_seek(&b, 4);
	SL_ASSERT_EQ(dns_name_read(&b, name, &len), -EBADMSG, "a two-pointer loop is refused");
	SL_ASSERT(b.err, "error is sticky");
}

SL_TEST(text_codec)
{
	uint8_t w[DNS_NAME_MAX];
	char t[64];
	size_t n;

	SL_ASSERT_EQ(dns_name_from_text("a.bc", w, &n), 0, "a.bc");
	SL_ASSERT_EQ(n, 6, "a.bc length");
	SL_ASSERT_EQ(dns_name_from_text("a.bc.", w, &n), 0, "trailing dot");
	SL_ASSERT_EQ(n, 6, "trailing dot length");
	SL_ASSERT_EQ(dns_name_from_text("a..b", w, &n), -EINVAL, "empty label");
	SL_ASSERT_EQ(dns_name_from_text("", w, &n), -EINVAL, "empty");
	SL_ASSERT_EQ(dns_name_from_text("0123456789012345678901234567890123456789012345678901234"
					"567890123",
					w, &n),
		     -EINVAL, "label of 64");
	SL_ASSERT_EQ(dns_name_from_text(".", w, &n), 0, "root");
	SL_ASSERT_EQ(n, 1, "root length");
	dns_name_from_text("a.bc", w, &n);
	dns_name_to_text(w, n, t, sizeof(t));
	SL_ASSERT_STR(t, "a.bc.", "to text");
	dns_name_to_text((const uint8_t *)"\3a.\x01\0", 5, t, sizeof(t));
	SL_ASSERT_STR(t, "a\\046\\001.", "odd bytes escaped");
}

SL_TEST(reverse_names)
{
	uint8_t w[DNS_NAME_MAX];
	uint32_t a = 0;
	size_t n;

	dns_name_from_text("4.0.11.10.in-addr.arpa", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), 0, "decodes");
	SL_ASSERT_EQ(a, inet_addr("10.11.0.4"), "10.11.0.4");
	dns_name_from_text("255.255.255.255.in-addr.arpa", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), 0, "255s");
	dns_name_from_text("256.0.11.10.in-addr.arpa", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), -EINVAL, "octet 256");
	dns_name_from_text("0.11.10.in-addr.arpa", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), -EINVAL, "three octets");
	dns_name_from_text("1.4.0.11.10.in-addr.arpa", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), -EINVAL, "five octets");
	dns_name_from_text("4.0.11.10.in-addr.arpa.x", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), -EINVAL, "suffix after arpa");
	dns_name_from_text("4.0.1a.10.in-addr.arpa", w, &n);
	SL_ASSERT_EQ(dns_name_to_reverse(w, n, &a), -EINVAL, "not decimal");
}

SL_TEST(zone_views)
{
	static const char text[] =
		"# sluice state v1\n"
		"network n1 id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n"
		"network n2 id=2 subnet=10.2.0.0/24 gateway=10.2.0.1\n"
		"endpoint n1 a ip=10.1.0.2 mac=02:00:00:00:00:02 ifname=eth0 host_ifname=h1 "
		"netns=/run/netns/a nsdev=1 nsino=1 alias=a\n"
		"endpoint n2 a ip=10.2.0.2 mac=02:00:00:00:00:03 ifname=eth1 host_ifname=h2 "
		"netns=/run/netns/a nsdev=1 nsino=1\n"
		"endpoint n2 b ip=10.2.0.3 mac=02:00:00:00:00:04 ifname=eth0 host_ifname=h3 "
		"netns=/run/netns/b\n";
	struct dns_nsid ids[3] = {{7, 70}, {7, 70}, {7, 71}};
	const struct dns_view *va, *vb;
	struct dns_zone *z = NULL;
	struct sl_state st;
	uint8_t w[DNS_NAME_MAX];
	uint32_t addrs[4];
	size_t n;

	SL_ASSERT_EQ(sl_state_parse(text, sizeof(text) - 1, &st, NULL, 0), 0, "state parses");
	SL_ASSERT_EQ(dns_zone_build(&st, NULL, &z), 0, "build from the state's ids");
	SL_ASSERT_EQ(dns_zone_n_views(z), 1, "b has no identity: no view");
	va = dns_zone_view(z, (struct dns_nsid){1, 1});
	SL_ASSERT(va != NULL, "a's view");
	dns_name_from_text("a", w, &n);
	SL_ASSERT_EQ(dns_zone_lookup(z, va, w, n, addrs, 4), 2,
		     "a: two networks, alias = name once");
	dns_name_from_text("b", w, &n);
	SL_ASSERT_EQ(dns_zone_lookup(z, va, w, n, addrs, 4), 1, "b is visible to a on n2");
	SL_ASSERT_EQ(addrs[0], inet_addr("10.2.0.3"), "b's address");
	dns_zone_free(z);

	SL_ASSERT_EQ(dns_zone_build(&st, ids, &z), 0, "build with given ids");
	SL_ASSERT_EQ(dns_zone_n_views(z), 2, "two namespaces");
	vb = dns_zone_view(z, (struct dns_nsid){7, 71});
	SL_ASSERT(vb != NULL, "b's view");
	dns_name_from_text("a", w, &n);
	SL_ASSERT_EQ(dns_zone_lookup(z, vb, w, n, addrs, 4), 1, "b sees a on n2 only");
	SL_ASSERT_EQ(addrs[0], inet_addr("10.2.0.2"), "a's n2 address");
	SL_ASSERT(dns_zone_view(z, (struct dns_nsid){1, 1}) == NULL,
		  "the state's ids are not used");
	dns_zone_free(z);
	sl_state_free(&st);
}

int main(void)
{
	SL_RUN(reply_check_matches);
	SL_RUN(reply_check_rejects);
	SL_RUN(name_read_chain);
	SL_RUN(name_read_loops);
	SL_RUN(text_codec);
	SL_RUN(reverse_names);
	SL_RUN(zone_views);
	return sl_test_summary("dnsd/wire");
}
