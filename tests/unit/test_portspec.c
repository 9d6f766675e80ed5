// SPDX-License-Identifier: BSD-2-Clause
/* test_portspec.c - unit tests for loader/portspec.c: -p parsing, canonical form, allocation. */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include "addr.h"
#include "portspec.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

struct good_case {
	const char *in;
	const char *ip; /* expected host address as text; "[...]" for IPv6 */
	__u16 hf, hl;	/* host ports; 0, 0 = allocate */
	__u16 cf, cl;	/* container ports */
	__u8 proto;
	const char *canon; /* sl_portspec_fmt of the result */
};

static const struct good_case good_cases[] = {
	{"80", "0.0.0.0", 0, 0, 80, 80, TCP, "0.0.0.0::80/tcp"},
	{"80/tcp", "0.0.0.0", 0, 0, 80, 80, TCP, "0.0.0.0::80/tcp"},
	{"53/udp", "0.0.0.0", 0, 0, 53, 53, UDP, "0.0.0.0::53/udp"},
	{"8080:80", "0.0.0.0", 8080, 8080, 80, 80, TCP, "0.0.0.0:8080:80/tcp"},
	{"5353:53/udp", "0.0.0.0", 5353, 5353, 53, 53, UDP, "0.0.0.0:5353:53/udp"},
	{"127.0.0.1:8080:80", "127.0.0.1", 8080, 8080, 80, 80, TCP, "127.0.0.1:8080:80/tcp"},
	{"127.0.0.1::80", "127.0.0.1", 0, 0, 80, 80, TCP, "127.0.0.1::80/tcp"},
	{"0.0.0.0:1:1", "0.0.0.0", 1, 1, 1, 1, TCP, "0.0.0.0:1:1/tcp"},
	{"65535:65535/udp", "0.0.0.0", 65535, 65535, 65535, 65535, UDP, "0.0.0.0:65535:65535/udp"},
	{"8000-8010", "0.0.0.0", 0, 0, 8000, 8010, TCP, "0.0.0.0::8000-8010/tcp"},
	{"8000-8010:8000-8010", "0.0.0.0", 8000, 8010, 8000, 8010, TCP,
	 "0.0.0.0:8000-8010:8000-8010/tcp"},
	{"8080-8081:80-81", "0.0.0.0", 8080, 8081, 80, 81, TCP, "0.0.0.0:8080-8081:80-81/tcp"},
	{"10.0.0.1:9000-9001:80-81/udp", "10.0.0.1", 9000, 9001, 80, 81, UDP,
	 "10.0.0.1:9000-9001:80-81/udp"},
	{"127.0.0.1::8000-8001", "127.0.0.1", 0, 0, 8000, 8001, TCP, "127.0.0.1::8000-8001/tcp"},
	{"80-80", "0.0.0.0", 0, 0, 80, 80, TCP, "0.0.0.0::80/tcp"}, /* one-port range */
	{"8080-8080:80-80", "0.0.0.0", 8080, 8080, 80, 80, TCP, "0.0.0.0:8080:80/tcp"},
	{"1-65535", "0.0.0.0", 0, 0, 1, 65535, TCP, "0.0.0.0::1-65535/tcp"},
	{"[::1]:8080:80", "[::1]", 8080, 8080, 80, 80, TCP, "[::1]:8080:80/tcp"},
	{"[::1]:5353:53/udp", "[::1]", 5353, 5353, 53, 53, UDP, "[::1]:5353:53/udp"},
	{"[2001:db8::1]:8080:80", "[2001:db8::1]", 8080, 8080, 80, 80, TCP,
	 "[2001:db8::1]:8080:80/tcp"},
	{"[::]:8080:80", "[::]", 8080, 8080, 80, 80, TCP, "[::]:8080:80/tcp"},
	{"[::1]::80", "[::1]", 0, 0, 80, 80, TCP, "[::1]::80/tcp"},
	{"[2001:DB8:0:0:0:0:0:1]:1-2:3-4/udp", "[2001:db8::1]", 1, 2, 3, 4, UDP,
	 "[2001:db8::1]:1-2:3-4/udp"},
	{"[::ffff:10.0.0.1]:80:80", "[::ffff:10.0.0.1]", 80, 80, 80, 80, TCP,
	 "[::ffff:10.0.0.1]:80:80/tcp"},
};

/* The expected struct of a good case. */
static struct sl_portspec want(const struct good_case *c)
{
	struct sl_portspec ps;
	char buf[INET6_ADDRSTRLEN];
	size_t n = strlen(c->ip);

	memset(&ps, 0, sizeof(ps));
	if (c->ip[0] == '[') {
		ps.family = AF_INET6;
		memcpy(buf, c->ip + 1, n - 2);
		buf[n - 2] = '\0';
		if (inet_pton(AF_INET6, buf, ps.host_ip6) != 1)
			printf("  bad test address %s\n", c->ip);
	} else {
		ps.family = AF_INET;
		if (sl_ip4_parse(c->ip, &ps.host_ip4))
			printf("  bad test address %s\n", c->ip);
	}
	ps.host_port_first = c->hf;
	ps.host_port_last = c->hl;
	ps.container_port_first = c->cf;
	ps.container_port_last = c->cl;
	ps.proto = c->proto;
	return ps;
}

SL_TEST(parse_good)
{
	char err[SL_PORTSPEC_ERRLEN], buf[SL_PORTSPEC_STRLEN], what[160];
	struct sl_portspec ps, w;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];

		memset(&ps, 0xa5, sizeof(ps));
		snprintf(what, sizeof(what), "sl_portspec_parse(\"%s\")", c->in);
		ret = sl_portspec_parse(c->in, &ps, err, sizeof(err));
		SL_ASSERT_EQ(ret, 0, what);
		if (ret) {
			printf("    %s\n", err);
			continue;
		}
		SL_ASSERT_STR(err, "", "err empty on success");
		w = want(c);
		SL_ASSERT_EQ(ps.family, w.family, what);
		SL_ASSERT_EQ(ntohl(ps.host_ip4), ntohl(w.host_ip4), what);
		SL_ASSERT(!memcmp(ps.host_ip6, w.host_ip6, 16), what);
		SL_ASSERT_EQ(ps.host_port_first, c->hf, what);
		SL_ASSERT_EQ(ps.host_port_last, c->hl, what);
		SL_ASSERT_EQ(ps.container_port_first, c->cf, what);
		SL_ASSERT_EQ(ps.container_port_last, c->cl, what);
		SL_ASSERT_EQ(ps.proto, c->proto, what);
		SL_ASSERT(sl_portspec_equal(&ps, &w), what);
		SL_ASSERT_EQ(sl_portspec_count(&ps), c->cl - c->cf + 1, what);
		SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), 0, what);
		SL_ASSERT_STR(buf, c->canon, what);
	}
}

struct bad_case {
	const char *in;
	const char *msg; /* the error must contain this */
};

static const struct bad_case bad_cases[] = {
	{"", "empty; write CONTAINER_PORT"},
	{"80:", "empty container port after ':'"},
	{":80", "empty host port before ':'; write 80 alone"},
	{"70000:80", "host port 70000 is out of range"},
	{"80:70000", "container port 70000 is out of range"},
	{"99999999999999999999:80", "host port '99999999999999999999' is out of range"},
	{"8080-8081:80", "host range 8080-8081 has 2 ports but container port 80 has 1"},
	{"80:8000-8001", "host port 80 has 1 port but container range 8000-8001 has 2"},
	{"8000-8002:9000-9001", "host range 8000-8002 has 3 ports but container range"},
	{"0:80", "host port 0 is not allowed; to have a host port allocated leave it out"},
	{"80:0", "container port 0 is not allowed"},
	{"0", "container port 0 is not allowed"},
	{"000", "container port 0 is not allowed"},
	{"0-80", "container port 0 is not allowed"},
	{"80-0", "container port 0 is not allowed"},
	{"abc", "container port 'abc' is not a number"},
	{"080", "container port '080' has a leading zero; write 80"},
	{"08080:80", "host port '08080' has a leading zero; write 8080"},
	{"+80", "container port '+80' is not a number"},
	{"1.2.3:80:80", "host IP '1.2.3' is not an IPv4 address"},
	{"010.0.0.1:80:80", "host IP '010.0.0.1' is not an IPv4 address"},
	{"256.0.0.1:80:80", "host IP '256.0.0.1' is not an IPv4 address"},
	{"localhost:80:80", "host IP 'localhost' is not an IPv4 address"},
	{"[::1:80:80", "'[' without ']'"},
	{"[::1]:80", "a host IP needs a host port too: write [::1]:HOST_PORT:80, or [::1]::80"},
	{"[::1]8080:80", "expected ':' after ']'"},
	{"[::1]", "expected ':' after ']'"},
	{"[::1]:1:2:3", "too many ':' after [::1]"},
	{"[]:80:80", "empty IPv6 address in '[]'"},
	{"[::g]:80:80", "'[::g]' is not an IPv6 address"},
	{"[1.2.3.4]:80:80", "'1.2.3.4' is IPv4; write it without brackets"},
	{"[fe80::1%eth0]:80:80", "IPv6 zone 'fe80::1%eth0' is not supported"},
	{"[::1/64]:80:80", "'[::1/64]' is not an IPv6 address"},
	{"80:[::1]:80", "brackets only go around an IPv6 host address at the start"},
	{"[::1]]:80:80", "brackets only go around"},
	{"::1:80:80", "5 ':'-separated parts, at most 3"},
	{"1:2:3:4:5", "5 ':'-separated parts"},
	{"::80", "empty host IP before ':'"},
	{":80:80", "empty host IP before ':'"},
	{"1.2.3.4:80:", "empty container port after the last ':'"},
	{"80/sctp", "sctp is not supported by sluice; use /tcp or /udp"},
	{"80/SCTP", "sctp is not supported by sluice"},
	{"80/", "no protocol after '/'; write /tcp or /udp"},
	{"80/tcpx", "unknown protocol 'tcpx'; use /tcp or /udp"},
	{"80/TCP", "protocol 'TCP' must be lowercase: write /tcp"},
	{"80/Udp", "protocol 'Udp' must be lowercase: write /udp"},
	{"80/tcp/udp", "unknown protocol 'tcp/udp'"},
	{"/tcp", "empty container port"},
	{"8080:80:90", "three ':'-separated parts mean HOST_IP:HOST_PORT:CONTAINER_PORT"},
	{"1.2.3.4:80", "'1.2.3.4' is an address, not a host port"},
	{"1.2.3.4:80", "write 1.2.3.4::80 to have a host port allocated"},
	{"90-80", "container port range 90-80 ends before it starts; write 80-90"},
	{"9000-8000:80-81", "host port range 9000-8000 ends before it starts"},
	{"-80", "container port range '-80' has no start"},
	{"80-", "container port range '80-' has no end"},
	{"-", "has no start"},
	{"80--81", "container port '-81' is not a number"},
	{"80-81-82", "container port '81-82' is not a number"},
	{" 80", "whitespace at offset 0"},
	{"80 ", "whitespace at offset 2"},
	{"8080: 80", "whitespace at offset 5"},
	{"80\n", "whitespace at offset 2"},
	{"80\t:80", "whitespace at offset 2"},
	{"80x", "container port '80x' is not a number"},
	{"80:80x", "container port '80x' is not a number"},
	{"80\x01", "byte 0x01 at offset 2"},
	{"80\xc2\xa0", "byte 0xc2 at offset 2"},
	{"80\x1b[31m", "port spec \"80\\x1b[31m\""}, /* escaped in the quote */
	{"8\"0", "port spec \"8\\\"0\""},
};

SL_TEST(parse_bad)
{
	char err[SL_PORTSPEC_ERRLEN], what[160];
	struct sl_portspec ps, orig;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		memset(&ps, 0xa5, sizeof(ps));
		orig = ps;
		err[0] = 'X';
		err[1] = '\0';
		snprintf(what, sizeof(what), "sl_portspec_parse(\"%s\") is -EINVAL", c->in);
		ret = sl_portspec_parse(c->in, &ps, err, sizeof(err));
		SL_ASSERT_EQ(ret, -EINVAL, what);
		SL_ASSERT(!memcmp(&ps, &orig, sizeof(ps)), "output untouched on error");
		snprintf(what, sizeof(what), "error of \"%s\" contains \"%s\"", c->in, c->msg);
		SL_ASSERT(strstr(err, c->msg) != NULL, what);
		SL_ASSERT(strncmp(err, "port spec \"", 11) == 0, "error quotes the spec");
		SL_ASSERT(strchr(err, '\n') == NULL, "error is one line");
		if (!strstr(err, c->msg))
			printf("    got: %s\n", err);
	}
}

SL_TEST(parse_limits)
{
	char err[SL_PORTSPEC_ERRLEN], small[16], s[SL_PORTSPEC_MAXLEN + 2];
	struct sl_portspec ps;
	char *big;

	/* Exactly MAXLEN bytes is read (and refused for what it is, not its length). */
	memset(s, '1', SL_PORTSPEC_MAXLEN);
	s[SL_PORTSPEC_MAXLEN] = '\0';
	SL_ASSERT_EQ(sl_portspec_parse(s, &ps, err, sizeof(err)), -EINVAL, "128 digits");
	SL_ASSERT(strstr(err, "is out of range") != NULL, "128 digits: out of range");
	s[SL_PORTSPEC_MAXLEN] = '1';
	s[SL_PORTSPEC_MAXLEN + 1] = '\0';
	SL_ASSERT_EQ(sl_portspec_parse(s, &ps, err, sizeof(err)), -EINVAL, "129 bytes");
	SL_ASSERT(strstr(err, "longer than 128 bytes") != NULL, "129 bytes: too long");
	SL_ASSERT(strstr(err, "...\"") != NULL, "long spec quoted shortened");

	/* A megabyte string is refused without reading it all (ASan checks the bound). */
	big = malloc(1 << 20);
	SL_ASSERT(big != NULL, "malloc");
	if (big) {
		memset(big, '8', (1 << 20) - 1);
		big[(1 << 20) - 1] = '\0';
		SL_ASSERT_EQ(sl_portspec_parse(big, &ps, err, sizeof(err)), -EINVAL, "1 MiB");
		free(big);
	}

	/* The longest valid spelling is far below MAXLEN, so no real spec is cut off. */
	SL_ASSERT_EQ(sl_portspec_parse("[0000:0000:0000:0000:0000:ffff:255.255.255.255]:"
				       "65534-65535:65534-65535/udp",
				       &ps, err, sizeof(err)),
		     0, "longest spelling");
	SL_ASSERT_EQ(ps.host_ip6[15], 255, "longest spelling: address");

	/* Small and absent error buffers: truncated, NUL-terminated, no crash. */
	memset(small, 'X', sizeof(small));
	SL_ASSERT_EQ(sl_portspec_parse("abc", &ps, small, sizeof(small)), -EINVAL, "small err");
	SL_ASSERT_EQ(strlen(small), sizeof(small) - 1, "small err truncated");
	SL_ASSERT_EQ(sl_portspec_parse("abc", &ps, NULL, 0), -EINVAL, "NULL err");
	small[0] = 'X';
	SL_ASSERT_EQ(sl_portspec_parse("abc", &ps, small, 1), -EINVAL, "1-byte err");
	SL_ASSERT_EQ(small[0], '\0', "1-byte err is empty string");
	SL_ASSERT_EQ(sl_portspec_parse(NULL, &ps, err, sizeof(err)), -EINVAL, "NULL spec");
	SL_ASSERT_EQ(sl_portspec_parse("80", NULL, err, sizeof(err)), -EINVAL, "NULL out");

	/* The worst case message still fits SL_PORTSPEC_ERRLEN. */
	memset(s, 0x01, SL_PORTSPEC_MAXLEN);
	s[SL_PORTSPEC_MAXLEN] = '\0';
	SL_ASSERT_EQ(sl_portspec_parse(s, &ps, err, sizeof(err)), -EINVAL, "control bytes");
	SL_ASSERT(strlen(err) < sizeof(err) - 1, "worst message fits");
	SL_ASSERT(strstr(err, "byte 0x01 at offset 0") != NULL, "control bytes named");
}

SL_TEST(fmt_round_trip)
{
	char buf[SL_PORTSPEC_STRLEN], err[SL_PORTSPEC_ERRLEN], what[160];
	struct sl_portspec ps, back;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		snprintf(what, sizeof(what), "round trip of \"%s\"", good_cases[i].in);
		ps = want(&good_cases[i]);
		SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), 0, what);
		SL_ASSERT_EQ(sl_portspec_parse(buf, &back, err, sizeof(err)), 0, what);
		SL_ASSERT(sl_portspec_equal(&ps, &back), what);
	}

	/* The longest canonical form fits SL_PORTSPEC_STRLEN. */
	memset(&ps, 0, sizeof(ps));
	ps.family = AF_INET6;
	memset(ps.host_ip6, 0xff, 16);
	ps.host_port_first = 65534;
	ps.host_port_last = 65535;
	ps.container_port_first = 65534;
	ps.container_port_last = 65535;
	ps.proto = UDP;
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), 0, "longest form");
	SL_ASSERT_STR(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65534-65535:65534-65535/udp",
		      "longest form text");
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, strlen(buf)), -ENOSPC, "one byte short");
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, 0), -ENOSPC, "zero length");

	/* Structs the parser cannot produce are refused. */
	ps.proto = 132; /* sctp */
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), -EINVAL, "bad proto");
	ps.proto = TCP;
	ps.family = AF_UNIX;
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), -EINVAL, "bad family");
	ps.family = AF_INET;
	ps.host_port_last = 65534; /* host range 1 port, container range 2 */
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), -EINVAL, "length mismatch");
	ps.host_port_first = ps.host_port_last = 0;
	ps.container_port_first = 0;
	SL_ASSERT_EQ(sl_portspec_fmt(&ps, buf, sizeof(buf)), -EINVAL, "container port 0");
	SL_ASSERT_EQ(sl_portspec_count(&ps), 0, "count of a malformed struct");
}

SL_TEST(equal)
{
	struct sl_portspec a, b;
	char err[SL_PORTSPEC_ERRLEN];

	SL_ASSERT_EQ(sl_portspec_parse("80", &a, err, sizeof(err)), 0, "parse 80");
	SL_ASSERT_EQ(sl_portspec_parse("0.0.0.0::80/tcp", &b, err, sizeof(err)), 0, "parse canon");
	SL_ASSERT(sl_portspec_equal(&a, &b), "80 == 0.0.0.0::80/tcp");
	SL_ASSERT_EQ(sl_portspec_parse("80/udp", &b, err, sizeof(err)), 0, "parse udp");
	SL_ASSERT(!sl_portspec_equal(&a, &b), "tcp != udp");
	SL_ASSERT_EQ(sl_portspec_parse("[::]::80", &b, err, sizeof(err)), 0, "parse [::]");
	SL_ASSERT(!sl_portspec_equal(&a, &b), "0.0.0.0 != [::]");
	SL_ASSERT_EQ(sl_portspec_parse("81:80", &b, err, sizeof(err)), 0, "parse 81:80");
	SL_ASSERT(!sl_portspec_equal(&a, &b), "allocate != 81");
}

/* in_use callback over a bitmap of taken ports, per protocol. */
struct taken {
	unsigned char tcp[65536 / 8];
	unsigned char udp[65536 / 8];
	unsigned int calls;
};

static void take(struct taken *t, __u8 proto, __u16 port)
{
	unsigned char *m = proto == TCP ? t->tcp : t->udp;

	m[port / 8] |= (unsigned char)(1u << (port % 8));
}

static bool taken_in_use(__u16 port, __u8 proto, void *arg)
{
	struct taken *t = arg;
	unsigned char *m = proto == TCP ? t->tcp : t->udp;

	t->calls++;
	return m[port / 8] & (1u << (port % 8));
}

SL_TEST(alloc)
{
	static struct taken t;
	__u16 ports[8];

	memset(&t, 0, sizeof(t));
	SL_ASSERT_EQ(sl_port_alloc(32768, 60999, TCP, 3, taken_in_use, &t, ports), 0, "3 free");
	SL_ASSERT_EQ(ports[0], 32768, "lowest first");
	SL_ASSERT_EQ(ports[1], 32769, "then next");
	SL_ASSERT_EQ(ports[2], 32770, "then next");

	take(&t, TCP, 32768);
	take(&t, TCP, 32770);
	take(&t, UDP, 32769);
	SL_ASSERT_EQ(sl_port_alloc(32768, 60999, TCP, 3, taken_in_use, &t, ports), 0, "skip used");
	SL_ASSERT_EQ(ports[0], 32769, "skips 32768");
	SL_ASSERT_EQ(ports[1], 32771, "skips 32770");
	SL_ASSERT_EQ(ports[2], 32772, "next free");
	SL_ASSERT_EQ(sl_port_alloc(32768, 60999, UDP, 2, taken_in_use, &t, ports), 0, "udp");
	SL_ASSERT_EQ(ports[0], 32768, "udp: tcp ports do not count");
	SL_ASSERT_EQ(ports[1], 32770, "udp: skips udp 32769");

	/* Exhaustion: range of 4, 2 taken. */
	memset(&t, 0, sizeof(t));
	take(&t, TCP, 100);
	take(&t, TCP, 102);
	SL_ASSERT_EQ(sl_port_alloc(100, 103, TCP, 2, taken_in_use, &t, ports), 0, "exactly 2 free");
	SL_ASSERT_EQ(ports[0], 101, "first free");
	SL_ASSERT_EQ(ports[1], 103, "last free");
	SL_ASSERT_EQ(sl_port_alloc(100, 103, TCP, 3, taken_in_use, &t, ports), -ENOSPC,
		     "3 of 2 free");
	take(&t, TCP, 101);
	take(&t, TCP, 103);
	SL_ASSERT_EQ(sl_port_alloc(100, 103, TCP, 1, taken_in_use, &t, ports), -ENOSPC, "all used");

	/* n larger than the range fails without asking in_use. */
	t.calls = 0;
	SL_ASSERT_EQ(sl_port_alloc(100, 103, TCP, 5, taken_in_use, &t, ports), -ENOSPC,
		     "n > range");
	SL_ASSERT_EQ(t.calls, 0, "n > range: in_use not called");

	/* The top of the port space: the loop must end at 65535. */
	memset(&t, 0, sizeof(t));
	take(&t, TCP, 65534);
	SL_ASSERT_EQ(sl_port_alloc(65533, 65535, TCP, 2, taken_in_use, &t, ports), 0, "top");
	SL_ASSERT_EQ(ports[0], 65533, "top: 65533");
	SL_ASSERT_EQ(ports[1], 65535, "top: 65535");
	SL_ASSERT_EQ(sl_port_alloc(65535, 65535, TCP, 1, NULL, NULL, ports), 0, "single port");
	SL_ASSERT_EQ(ports[0], 65535, "single port 65535");
	SL_ASSERT_EQ(sl_port_alloc(65535, 65535, TCP, 2, NULL, NULL, ports), -ENOSPC,
		     "single port, n 2");
	SL_ASSERT_EQ(sl_port_alloc(1, 65535, UDP, 8, NULL, NULL, ports), 0, "NULL in_use");
	SL_ASSERT_EQ(ports[7], 8, "NULL in_use: 1..8");

	/* Arguments. */
	SL_ASSERT_EQ(sl_port_alloc(100, 103, TCP, 0, taken_in_use, &t, NULL), 0, "n 0");
	SL_ASSERT_EQ(sl_port_alloc(0, 103, TCP, 1, NULL, NULL, ports), -EINVAL, "lo 0");
	SL_ASSERT_EQ(sl_port_alloc(200, 100, TCP, 1, NULL, NULL, ports), -EINVAL, "lo > hi");
	SL_ASSERT_EQ(sl_port_alloc(100, 200, 132, 1, NULL, NULL, ports), -EINVAL, "sctp");
	SL_ASSERT_EQ(sl_port_alloc(100, 200, TCP, 1, NULL, NULL, NULL), -EINVAL, "ports NULL");
}

SL_TEST(alloc_for_spec)
{
	char err[SL_PORTSPEC_ERRLEN];
	struct sl_portspec ps;
	__u16 ports[11];

	/* "8000-8010": each container port gets its own allocated host port. */
	SL_ASSERT_EQ(sl_portspec_parse("8000-8010", &ps, err, sizeof(err)), 0, "parse");
	SL_ASSERT_EQ(sl_portspec_count(&ps), 11, "11 ports");
	SL_ASSERT_EQ(
		sl_port_alloc(49153, 65535, ps.proto, sl_portspec_count(&ps), NULL, NULL, ports), 0,
		"alloc 11");
	SL_ASSERT_EQ(ports[10], 49163, "11th port");
}

struct range_case {
	const char *in;
	int ret;
	__u16 lo, hi;
};

static const struct range_case range_cases[] = {
	{"32768\t60999\n", 0, 32768, 60999},
	{"32768\t60999", 0, 32768, 60999},
	{"1024 65535\n", 0, 1024, 65535},
	{"1 1\n", 0, 1, 1},
	{"40000  \t 40010\n", 0, 40000, 40010},
	{"60999\t32768\n", -EINVAL, 0, 0},
	{"0\t100\n", -EINVAL, 0, 0},
	{"100\t65536\n", -EINVAL, 0, 0},
	{"32768\n", -EINVAL, 0, 0},
	{"32768\t60999\n\n", -EINVAL, 0, 0},
	{"32768\t60999 x", -EINVAL, 0, 0},
	{"032768\t60999", -EINVAL, 0, 0},
	{" 32768\t60999", -EINVAL, 0, 0},
	{"-1\t60999", -EINVAL, 0, 0},
	{"", -EINVAL, 0, 0},
	{"9999999999\t1", -EINVAL, 0, 0},
};

SL_TEST(range_parse)
{
	char what[96];
	unsigned int i;
	__u16 lo, hi;

	for (i = 0; i < ARRAY_SIZE(range_cases); i++) {
		const struct range_case *c = &range_cases[i];

		lo = hi = 7;
		snprintf(what, sizeof(what), "sl_port_range_parse(case %u)", i);
		SL_ASSERT_EQ(sl_port_range_parse(c->in, &lo, &hi), c->ret, what);
		if (c->ret == 0) {
			SL_ASSERT_EQ(lo, c->lo, what);
			SL_ASSERT_EQ(hi, c->hi, what);
		} else {
			SL_ASSERT(lo == 7 && hi == 7, "output untouched on error");
		}
	}
	SL_ASSERT_EQ(sl_port_range_parse(NULL, &lo, &hi), -EINVAL, "NULL");
}

SL_TEST(range_read)
{
	__u16 lo = 0, hi = 0;
	int ret = sl_port_range_read(&lo, &hi);

	/* Only where /proc is mounted; the content itself is checked by range_parse. */
	if (ret == -ENOENT)
		return;
	SL_ASSERT_EQ(ret, 0, "read " SL_PORT_RANGE_PATH);
	SL_ASSERT(lo >= 1 && lo <= hi, "sane range");
}

SL_TEST(fmt_docker)
{
	__u8 lo6[16] = {[15] = 1}, any6[16] = {0};
	char buf[SL_PORT_DOCKER_STRLEN];
	__be32 any = 0, lo = htonl(0x7f000001);
	__u8 all6[16];

	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_INET, &any, 8080, buf, sizeof(buf)), 0, "v4");
	SL_ASSERT_STR(buf, "80/tcp -> 0.0.0.0:8080", "v4 any");
	SL_ASSERT_EQ(sl_port_fmt_docker(53, UDP, AF_INET, &lo, 5353, buf, sizeof(buf)), 0, "v4 lo");
	SL_ASSERT_STR(buf, "53/udp -> 127.0.0.1:5353", "v4 lo text");
	SL_ASSERT_EQ(sl_port_fmt_docker(53, UDP, AF_INET6, lo6, 5353, buf, sizeof(buf)), 0, "v6");
	SL_ASSERT_STR(buf, "53/udp -> [::1]:5353", "v6 lo text");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_INET6, any6, 32768, buf, sizeof(buf)), 0,
		     "v6 any");
	SL_ASSERT_STR(buf, "80/tcp -> [::]:32768", "v6 any text");

	memset(all6, 0xff, sizeof(all6));
	SL_ASSERT_EQ(sl_port_fmt_docker(65535, UDP, AF_INET6, all6, 65535, buf, sizeof(buf)), 0,
		     "longest");
	SL_ASSERT_STR(buf, "65535/udp -> [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
		      "longest text");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_INET, &any, 8080, buf, 22), -ENOSPC,
		     "one byte short");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_INET, &any, 8080, buf, 23), 0, "exact fit");
	SL_ASSERT_EQ(sl_port_fmt_docker(0, TCP, AF_INET, &any, 8080, buf, sizeof(buf)), -EINVAL,
		     "container port 0");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_INET, &any, 0, buf, sizeof(buf)), -EINVAL,
		     "host port 0");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, 132, AF_INET, &any, 80, buf, sizeof(buf)), -EINVAL,
		     "sctp");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_UNIX, &any, 80, buf, sizeof(buf)), -EINVAL,
		     "family");
	SL_ASSERT_EQ(sl_port_fmt_docker(80, TCP, AF_INET, NULL, 80, buf, sizeof(buf)), -EINVAL,
		     "NULL ip");
}

int main(void)
{
	SL_RUN(parse_good);
	SL_RUN(parse_bad);
	SL_RUN(parse_limits);
	SL_RUN(fmt_round_trip);
	SL_RUN(equal);
	SL_RUN(alloc);
	SL_RUN(alloc_for_spec);
	SL_RUN(range_parse);
	SL_RUN(range_read);
	SL_RUN(fmt_docker);
	return sl_test_summary("portspec");
}
