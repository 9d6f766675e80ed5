// SPDX-License-Identifier: BSD-2-Clause
/* test_addr.c - unit tests for loader/addr.c: strict parsing, CIDR maths, allocation. */
#include <errno.h>
#include <arpa/inet.h>

#include "addr.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A case that must be refused; designated so -Wextra sees every field set. */
#define BAD(s)                                                                                     \
	{                                                                                          \
		.in = s, .ret = -EINVAL                                                            \
	}

static __be32 ip(const char *s)
{
	__be32 a = 0;

	if (sl_ip4_parse(s, &a))
		printf("  bad test address %s\n", s);
	return a;
}

static struct sl_cidr cidr(const char *s)
{
	struct sl_cidr c = {0};

	if (sl_cidr_parse(s, &c))
		printf("  bad test subnet %s\n", s);
	return c;
}

struct ip_case {
	const char *in;
	int ret;
	__u32 host; /* expected value, host order, when ret == 0 */
};

static const struct ip_case ip_cases[] = {
	{"10.1.0.1", 0, 0x0a010001},
	{"0.0.0.0", 0, 0},
	{"255.255.255.255", 0, 0xffffffff},
	{"192.168.100.200", 0, 0xc0a864c8},
	{"1.0.10.100", 0, 0x01000a64},
	BAD("010.1.0.1"), /* leading zero: octal for inet_aton */
	BAD("10.1.0.01"),
	BAD("00.1.2.3"),
	BAD("1.2.3"),
	BAD("1.2.3.4.5"),
	BAD("256.1.1.1"),
	BAD("1.1.1.256"),
	BAD("1000.1.1.1"),
	BAD("4294967297.1.1.1"),
	BAD(" 1.2.3.4"),
	BAD("1.2.3.4 "),
	BAD("1.2.3.4\n"),
	BAD("1.2. 3.4"),
	BAD(""),
	BAD("a.b.c.d"),
	BAD("1.2.3.4/24"),
	BAD("1..2.3"),
	BAD(".1.2.3"),
	BAD("1.2.3."),
	BAD("+1.2.3.4"),
	BAD("-1.2.3.4"),
	BAD("0x1.2.3.4"),
	BAD("1.2.3.4x"),
	BAD("16909060"), /* inet_aton's single-number form */
};

SL_TEST(ip4_parse_table)
{
	char what[96];
	unsigned int i;
	__be32 a;
	int ret;

	for (i = 0; i < ARRAY_SIZE(ip_cases); i++) {
		const struct ip_case *c = &ip_cases[i];

		a = htonl(0xdeadbeef);
		ret = sl_ip4_parse(c->in, &a);
		snprintf(what, sizeof(what), "sl_ip4_parse(\"%s\")", c->in);
		SL_ASSERT_EQ(ret, c->ret, what);
		if (c->ret == 0)
			SL_ASSERT_EQ(ntohl(a), c->host, what);
		else
			SL_ASSERT_EQ(ntohl(a), 0xdeadbeef, "output untouched on error");
	}
	SL_ASSERT_EQ(sl_ip4_parse(NULL, &a), -EINVAL, "NULL string");
}

struct cidr_case {
	const char *in;
	int ret;
	__u32 host;
	unsigned int plen;
};

static const struct cidr_case cidr_cases[] = {
	{"10.1.0.0/24", 0, 0x0a010000, 24},
	{"0.0.0.0/0", 0, 0, 0},
	{"10.1.0.5/32", 0, 0x0a010005, 32},
	{"10.1.0.4/31", 0, 0x0a010004, 31},
	{"172.16.0.0/12", 0, 0xac100000, 12},
	BAD("10.1.0.5/24"), /* host bits set */
	BAD("10.1.0.1/31"), /* host bits set */
	BAD("1.0.0.0/0"),   /* host bits set */
	BAD("1.2.3.4/33"),
	BAD("1.2.3.4/100"),
	BAD("10.1.0.0/024"), /* leading zero in prefix */
	BAD("10.1.0.0/00"),
	BAD("10.1.0.0/"),
	BAD("10.1.0.0"),
	BAD("10.1.0.0/24 "),
	BAD(" 10.1.0.0/24"),
	BAD("10.1.0.0 /24"),
	BAD("10.1.0.0/ 24"),
	BAD("10.1.0.0/24/24"),
	BAD("10.1.0.0/-1"),
	BAD("10.1.0.0/+24"),
	BAD("010.1.0.0/24"),
	BAD("10.1.0/24"),
	BAD("/24"),
	BAD(""),
	BAD("a.b.c.d/8"),
};

SL_TEST(cidr_parse_table)
{
	struct sl_cidr c;
	char what[96];
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cidr_cases); i++) {
		const struct cidr_case *t = &cidr_cases[i];

		memset(&c, 0, sizeof(c));
		ret = sl_cidr_parse(t->in, &c);
		snprintf(what, sizeof(what), "sl_cidr_parse(\"%s\")", t->in);
		SL_ASSERT_EQ(ret, t->ret, what);
		if (t->ret == 0) {
			SL_ASSERT_EQ(ntohl(c.addr), t->host, what);
			SL_ASSERT_EQ(c.prefixlen, t->plen, what);
		}
	}
}

struct mac_case {
	const char *in;
	int ret;
	__u8 mac[6];
};

static const struct mac_case mac_cases[] = {
	{"02:42:0a:01:00:02", 0, {0x02, 0x42, 0x0a, 0x01, 0x00, 0x02}},
	{"FF:ff:Aa:bB:00:9f", 0, {0xff, 0xff, 0xaa, 0xbb, 0x00, 0x9f}},
	{"00:00:00:00:00:00", 0, {0}},
	BAD("02:42:0a:01:00"),
	BAD("02:42:0a:01:00:02:03"),
	BAD("02:42:0a:01:00:02:"),
	BAD("2:42:0a:01:00:02"),
	BAD("002:42:0a:01:00:02"),
	BAD("02-42-0a-01-00-02"),
	BAD("0242.0a01.0002"),
	BAD("02:42:0a:01:00:0g"),
	BAD("02:42:0a:01:00:0"),
	BAD("02:42:0a:01:00:02 "),
	BAD(" 02:42:0a:01:00:02"),
	BAD("02::0a:01:00:02"),
	BAD(""),
};

SL_TEST(mac_parse_table)
{
	__u8 mac[6];
	char what[96];
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(mac_cases); i++) {
		const struct mac_case *t = &mac_cases[i];

		memset(mac, 0xee, sizeof(mac));
		ret = sl_mac_parse(t->in, mac);
		snprintf(what, sizeof(what), "sl_mac_parse(\"%s\")", t->in);
		SL_ASSERT_EQ(ret, t->ret, what);
		if (t->ret == 0)
			SL_ASSERT(!memcmp(mac, t->mac, 6), what);
		else
			SL_ASSERT(mac[0] == 0xee && mac[5] == 0xee, "output untouched on error");
	}
}

SL_TEST(format)
{
	__u8 mac[6] = {0x02, 0x42, 0x0a, 0xff, 0x00, 0x9f};
	char buf[SL_CIDR_STRLEN], mbuf[18];
	struct sl_cidr c;

	SL_ASSERT_STR(sl_ip4_fmt(ip("10.1.0.1"), buf), "10.1.0.1", "ip4 fmt");
	SL_ASSERT_STR(sl_ip4_fmt(ip("255.255.255.255"), buf), "255.255.255.255", "ip4 fmt max");
	SL_ASSERT_STR(sl_ip4_fmt(0, buf), "0.0.0.0", "ip4 fmt zero");
	c = cidr("10.1.0.0/24");
	SL_ASSERT_STR(sl_cidr_fmt(&c, buf), "10.1.0.0/24", "cidr fmt");
	c = cidr("0.0.0.0/0");
	SL_ASSERT_STR(sl_cidr_fmt(&c, buf), "0.0.0.0/0", "cidr fmt /0");
	c.addr = ip("255.255.255.255");
	c.prefixlen = 32;
	SL_ASSERT_STR(sl_cidr_fmt(&c, buf), "255.255.255.255/32", "cidr fmt longest");
	SL_ASSERT_STR(sl_mac_fmt(mac, mbuf), "02:42:0a:ff:00:9f", "mac fmt lower case");
	SL_ASSERT_EQ(sl_mac_parse(mbuf, mac), 0, "mac round trip");
}

SL_TEST(masks)
{
	SL_ASSERT_EQ(ntohl(sl_prefix_mask(0)), 0, "/0");
	SL_ASSERT_EQ(ntohl(sl_prefix_mask(1)), 0x80000000u, "/1");
	SL_ASSERT_EQ(ntohl(sl_prefix_mask(24)), 0xffffff00u, "/24");
	SL_ASSERT_EQ(ntohl(sl_prefix_mask(31)), 0xfffffffeu, "/31");
	SL_ASSERT_EQ(ntohl(sl_prefix_mask(32)), 0xffffffffu, "/32");
	SL_ASSERT_EQ(sl_cidr_network(ip("10.1.0.5"), 24), ip("10.1.0.0"), "network of /24");
	SL_ASSERT_EQ(sl_cidr_network(ip("10.1.0.5"), 0), 0, "network of /0");
	SL_ASSERT_EQ(sl_cidr_network(ip("10.1.0.5"), 32), ip("10.1.0.5"), "network of /32");
}

SL_TEST(contains)
{
	struct sl_cidr n24 = cidr("10.1.0.0/24"), all = cidr("0.0.0.0/0"), h = cidr("10.1.0.7/32");

	SL_ASSERT(sl_cidr_contains(&n24, ip("10.1.0.0")), "network address");
	SL_ASSERT(sl_cidr_contains(&n24, ip("10.1.0.255")), "broadcast address");
	SL_ASSERT(sl_cidr_contains(&n24, ip("10.1.0.77")), "host");
	SL_ASSERT(!sl_cidr_contains(&n24, ip("10.1.1.0")), "next subnet");
	SL_ASSERT(!sl_cidr_contains(&n24, ip("10.0.255.255")), "previous subnet");
	SL_ASSERT(sl_cidr_contains(&all, ip("255.255.255.255")), "/0 holds everything");
	SL_ASSERT(sl_cidr_contains(&h, ip("10.1.0.7")), "/32 holds itself");
	SL_ASSERT(!sl_cidr_contains(&h, ip("10.1.0.6")), "/32 only itself");
}

struct overlap_case {
	const char *a, *b;
	bool overlap;
};

static const struct overlap_case overlap_cases[] = {
	{"10.1.0.0/24", "10.1.0.0/24", true},	 /* identical */
	{"10.0.0.0/8", "10.1.0.0/24", true},	 /* nested */
	{"10.1.0.0/24", "10.0.0.0/8", true},	 /* nested, other order */
	{"10.1.0.0/24", "10.1.0.128/25", true},	 /* nested upper half */
	{"10.1.0.0/24", "10.1.1.0/24", false},	 /* adjacent */
	{"10.1.0.0/25", "10.1.0.128/25", false}, /* adjacent halves */
	{"10.1.0.0/24", "192.168.0.0/16", false},
	{"0.0.0.0/0", "192.168.0.0/16", true}, /* /0 holds everything */
	{"0.0.0.0/0", "0.0.0.0/0", true},
	{"10.1.0.5/32", "10.1.0.0/24", true},
	{"10.1.0.5/32", "10.1.0.6/32", false},
};

SL_TEST(overlap_table)
{
	struct sl_cidr a, b;
	char what[96];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(overlap_cases); i++) {
		const struct overlap_case *t = &overlap_cases[i];

		a = cidr(t->a);
		b = cidr(t->b);
		snprintf(what, sizeof(what), "overlap(%s, %s)", t->a, t->b);
		SL_ASSERT_EQ(sl_cidr_overlap(&a, &b), t->overlap, what);
		SL_ASSERT_EQ(sl_cidr_overlap(&b, &a), t->overlap, what);
	}
}

SL_TEST(is_host)
{
	struct sl_cidr n24 = cidr("10.1.0.0/24"), n30 = cidr("10.1.0.4/30");
	struct sl_cidr n31 = cidr("10.1.0.4/31"), n32 = cidr("10.1.0.4/32");
	struct sl_cidr all = cidr("0.0.0.0/0");

	SL_ASSERT(!sl_cidr_is_host(&n24, ip("10.1.0.0")), "network address");
	SL_ASSERT(!sl_cidr_is_host(&n24, ip("10.1.0.255")), "broadcast address");
	SL_ASSERT(sl_cidr_is_host(&n24, ip("10.1.0.1")), "first host");
	SL_ASSERT(sl_cidr_is_host(&n24, ip("10.1.0.254")), "last host");
	SL_ASSERT(!sl_cidr_is_host(&n24, ip("10.1.1.1")), "outside");
	SL_ASSERT(sl_cidr_is_host(&n30, ip("10.1.0.5")), "/30 first");
	SL_ASSERT(sl_cidr_is_host(&n30, ip("10.1.0.6")), "/30 second");
	SL_ASSERT(!sl_cidr_is_host(&n30, ip("10.1.0.7")), "/30 broadcast");
	SL_ASSERT(!sl_cidr_is_host(&n31, ip("10.1.0.4")), "/31 has no hosts");
	SL_ASSERT(!sl_cidr_is_host(&n31, ip("10.1.0.5")), "/31 has no hosts");
	SL_ASSERT(!sl_cidr_is_host(&n32, ip("10.1.0.4")), "/32 has no hosts");
	SL_ASSERT(sl_cidr_is_host(&all, ip("1.2.3.4")), "/0 host");
	SL_ASSERT(!sl_cidr_is_host(&all, ip("0.0.0.0")), "/0 network");
	SL_ASSERT(!sl_cidr_is_host(&all, ip("255.255.255.255")), "/0 broadcast");
	SL_ASSERT_EQ(sl_cidr_first_host(&n24), ip("10.1.0.1"), "first host");
}

SL_TEST(alloc)
{
	struct sl_cidr n24 = cidr("10.1.0.0/24"), n30 = cidr("10.1.0.4/30");
	struct sl_cidr n31 = cidr("10.1.0.4/31"), n32 = cidr("10.1.0.4/32");
	__be32 used[4], out;

	SL_ASSERT_EQ(sl_addr_alloc(&n24, ip("10.1.0.254"), NULL, 0, &out), 0, "empty /24");
	SL_ASSERT_EQ(out, ip("10.1.0.1"), "first host");

	SL_ASSERT_EQ(sl_addr_alloc(&n24, ip("10.1.0.1"), NULL, 0, &out), 0, "skip gateway");
	SL_ASSERT_EQ(out, ip("10.1.0.2"), "after gateway");

	used[0] = ip("10.1.0.3");
	used[1] = ip("10.1.0.2");
	used[2] = ip("192.168.0.2"); /* outside: ignored */
	SL_ASSERT_EQ(sl_addr_alloc(&n24, ip("10.1.0.1"), used, 3, &out), 0, "skip used");
	SL_ASSERT_EQ(out, ip("10.1.0.4"), "after used");

	used[0] = ip("10.1.0.2");
	used[1] = ip("10.1.0.4");
	SL_ASSERT_EQ(sl_addr_alloc(&n24, ip("10.1.0.1"), used, 2, &out), 0, "fill a gap");
	SL_ASSERT_EQ(out, ip("10.1.0.3"), "lowest free");

	/* A /30 has two hosts: the gateway takes one, an endpoint the other. */
	SL_ASSERT_EQ(sl_addr_alloc(&n30, ip("10.1.0.5"), NULL, 0, &out), 0, "/30 one left");
	SL_ASSERT_EQ(out, ip("10.1.0.6"), "/30 last host");
	used[0] = out;
	SL_ASSERT_EQ(sl_addr_alloc(&n30, ip("10.1.0.5"), used, 1, &out), -ENOSPC, "/30 full");
	/* Never the broadcast address. */
	used[0] = ip("10.1.0.5");
	used[1] = ip("10.1.0.6");
	SL_ASSERT_EQ(sl_addr_alloc(&n30, 0, used, 2, &out), -ENOSPC, "/30 full, no gateway");

	SL_ASSERT_EQ(sl_addr_alloc(&n31, 0, NULL, 0, &out), -ENOSPC, "/31 has no hosts");
	SL_ASSERT_EQ(sl_addr_alloc(&n32, 0, NULL, 0, &out), -ENOSPC, "/32 has no hosts");
}

SL_TEST(alloc_many)
{
	struct sl_cidr n16 = cidr("10.2.0.0/16");
	static __be32 used[65533];
	unsigned int i;
	__be32 out;

	/* Every host but the gateway (10.2.0.1) and 10.2.200.7, in reverse order. */
	for (i = 0; i < 65533; i++)
		used[i] = htonl(0x0a02fffeu - i);
	for (i = 0; i < 65533; i++)
		if (used[i] == ip("10.2.200.7"))
			used[i] = ip("10.2.0.1"); /* duplicates are harmless */
	SL_ASSERT_EQ(sl_addr_alloc(&n16, ip("10.2.0.1"), used, 65533, &out), 0, "one left");
	SL_ASSERT_EQ(out, ip("10.2.200.7"), "the only free host");
	used[0] = ip("10.2.200.7");
	used[1] = ip("10.2.255.254"); /* keep the last host taken */
	/* used[0] was 10.2.255.254; moved to used[1], whose 10.2.255.253 is now free. */
	SL_ASSERT_EQ(sl_addr_alloc(&n16, ip("10.2.0.1"), used, 65533, &out), 0, "freed one");
	SL_ASSERT_EQ(out, ip("10.2.255.253"), "freed host found");
}

int main(void)
{
	SL_RUN(ip4_parse_table);
	SL_RUN(cidr_parse_table);
	SL_RUN(mac_parse_table);
	SL_RUN(format);
	SL_RUN(masks);
	SL_RUN(contains);
	SL_RUN(overlap_table);
	SL_RUN(is_host);
	SL_RUN(alloc);
	SL_RUN(alloc_many);
	return sl_test_summary("test_addr");
}
