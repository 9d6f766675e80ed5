// SPDX-License-Identifier: BSD-2-Clause
/* test_state.c - unit tests for loader/state.c: format, validation, corruption, save/load. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "state.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HDR	      "# sluice state v1\n"
#define NET_A	      "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n"
#define NET_B	      "network b id=2 subnet=10.2.0.0/24 gateway=10.2.0.1\n"
#define EP(net, ctr, ip, hif)                                                                      \
	"endpoint " net " " ctr " ip=" ip " mac=02:42:0a:01:00:02 ifname=eth0 host_ifname=" hif    \
	" netns=/run/netns/" ctr "\n"
/* Ports start on line 4 after PHDR: c1 on a at 10.1.0.2, c2 on a at 10.1.0.3. */
#define PHDR		 HDR NET_A EP("a", "c1", "10.1.0.2", "h1")
#define PORT(ctr, rest)	 "port " ctr " a " rest "\n"
#define TCP(host, cport) "proto=tcp host=" host " container_port=" cport

/* A canonical file: exactly what sl_state_format writes. */
static const char real[] =
	"# sluice state v1\n"
	"network frontend id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n"
	"network backend id=7 subnet=10.2.0.0/16 gateway=10.2.0.1 internal\n"
	"endpoint frontend web ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=eth0 "
	"host_ifname=sl1a2b3c netns=/run/netns/web nsdev=4 nsino=4026532281 alias=www "
	"alias=web.local\n"
	"endpoint frontend api ip=10.1.0.3 mac=02:42:0a:01:00:03 ifname=eth0 "
	"host_ifname=sl4d5e6f netns=/proc/1234/ns/net\n"
	"endpoint backend api ip=10.2.0.2 mac=02:42:0a:02:00:02 ifname=eth1 "
	"host_ifname=sl7a8b9c netns=/proc/1234/ns/net alias=api-internal\n"
	"port web frontend id=1 proto=tcp host=0.0.0.0:8080 container_port=80\n"
	"port web frontend id=2 proto=udp host=0.0.0.0:8080 container_port=80 allow=10.0.0.0/8 "
	"allow=192.168.1.7/32\n"
	"port api frontend id=5 proto=tcp host=127.0.0.1:9000 container_port=9000\n"
	"port api backend id=3 proto=tcp host=192.168.1.10:9000 container_port=9000 "
	"allow=0.0.0.0/0\n"
	"uplink eth0\n"
	"uplink bond0.100\n";

static __be32 ip(const char *s)
{
	__be32 a = 0;

	sl_ip4_parse(s, &a);
	return a;
}

/* Parse len bytes from an exact-size heap copy, so an over-read is a real one. */
static int parse_exact(const char *text, size_t len, struct sl_state *st, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	ret = sl_state_parse(copy, len, st, err, errlen);
	free(copy);
	return ret;
}

/* Ports a and b claim the same host port (the parser's conflict rule). */
static bool port_conflict(const struct sl_port *a, const struct sl_port *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (a->host_addr == b->host_addr || !a->host_addr || !b->host_addr);
}

/* The invariants a parsed state must hold whatever the input was (small states: O(n^2)). */
static bool state_sane(struct sl_state *st)
{
	unsigned int i, j;

	if (st->n_networks > SL_STATE_MAX_NETWORKS || st->n_endpoints > SL_STATE_MAX_ENDPOINTS ||
	    st->n_ports > SL_STATE_MAX_PORTS || st->n_uplinks > SL_STATE_MAX_UPLINKS)
		return false;
	for (i = 0; i < st->n_ports; i++) {
		const struct sl_port *pt = &st->ports[i];

		if (!sl_state_endpoint(st, pt->network, pt->container) || !pt->id ||
		    pt->id > 65535 || (pt->proto != IPPROTO_TCP && pt->proto != IPPROTO_UDP) ||
		    !pt->host_port || !pt->container_port || pt->n_allow > SL_MAX_PORT_ALLOW)
			return false;
		for (j = 0; j < i; j++)
			if (st->ports[j].id == pt->id || port_conflict(&st->ports[j], pt))
				return false;
	}
	for (i = 0; i < st->n_endpoints; i++) {
		const struct sl_ep *ep = &st->endpoints[i];
		struct sl_network *n = sl_state_network(st, ep->network);

		if (!n || !sl_cidr_contains(&n->subnet, ep->addr) || ep->addr == n->gateway ||
		    !sl_cidr_is_host(&n->subnet, ep->addr) || ep->n_aliases > SL_MAX_ALIASES)
			return false;
	}
	for (i = 0; i < st->n_networks; i++)
		if (!st->networks[i].id ||
		    !sl_cidr_is_host(&st->networks[i].subnet, st->networks[i].gateway))
			return false;
	return true;
}

static bool state_empty(const struct sl_state *st)
{
	return !st->n_networks && !st->n_endpoints && !st->n_ports && !st->n_uplinks &&
	       !st->networks && !st->endpoints && !st->ports;
}

SL_TEST(parse_real)
{
	struct sl_state st;
	struct sl_network *n;
	struct sl_port *pt;
	struct sl_ep *ep;
	char err[256];

	SL_ASSERT_EQ(sl_state_parse(real, strlen(real), &st, err, sizeof(err)), 0, "parse");
	SL_ASSERT_STR(err, "", "no error message");
	SL_ASSERT_EQ(st.n_networks, 2, "networks");
	SL_ASSERT_EQ(st.n_endpoints, 3, "endpoints");
	SL_ASSERT_EQ(st.n_uplinks, 2, "uplinks");

	n = sl_state_network(&st, "backend");
	SL_ASSERT(n != NULL, "backend found");
	if (n) {
		SL_ASSERT_EQ(n->id, 7, "backend id");
		SL_ASSERT_EQ(n->subnet.addr, ip("10.2.0.0"), "backend subnet");
		SL_ASSERT_EQ(n->subnet.prefixlen, 16, "backend prefix");
		SL_ASSERT_EQ(n->gateway, ip("10.2.0.1"), "backend gateway");
		SL_ASSERT(n->internal, "backend internal");
	}
	SL_ASSERT(sl_state_network_by_id(&st, 1) == &st.networks[0], "by id");
	SL_ASSERT(sl_state_network_by_id(&st, 3) == NULL, "absent id");
	SL_ASSERT(!st.networks[0].internal, "frontend not internal");

	ep = sl_state_endpoint(&st, "frontend", "web");
	SL_ASSERT(ep != NULL, "web found");
	if (ep) {
		SL_ASSERT_EQ(ep->addr, ip("10.1.0.2"), "web ip");
		SL_ASSERT_EQ(ep->mac[5], 0x02, "web mac");
		SL_ASSERT_STR(ep->ifname, "eth0", "web ifname");
		SL_ASSERT_STR(ep->host_ifname, "sl1a2b3c", "web host ifname");
		SL_ASSERT_STR(ep->netns, "/run/netns/web", "web netns");
		SL_ASSERT_EQ(ep->nsdev, 4, "web nsdev");
		SL_ASSERT_EQ(ep->nsino, 4026532281ULL, "web nsino");
		SL_ASSERT_EQ(ep->n_aliases, 2, "web aliases");
		SL_ASSERT_STR(ep->aliases[1], "web.local", "web alias order");
	}
	ep = sl_state_endpoint(&st, "backend", "api");
	SL_ASSERT(ep && ep->nsdev == 0 && ep->nsino == 0, "unknown netns identity is 0");
	SL_ASSERT(sl_state_endpoint(&st, "backend", "web") == NULL, "absent endpoint");
	SL_ASSERT_STR(st.uplinks[1], "bond0.100", "uplink");

	SL_ASSERT_EQ(st.n_ports, 4, "ports");
	pt = &st.ports[0];
	SL_ASSERT(!strcmp(pt->container, "web") && !strcmp(pt->network, "frontend"),
		  "port 1 endpoint");
	SL_ASSERT(pt->id == 1 && pt->proto == IPPROTO_TCP && pt->host_addr == 0 &&
			  pt->host_port == 8080 && pt->container_port == 80 && pt->n_allow == 0,
		  "port 1 fields");
	pt = &st.ports[1];
	SL_ASSERT(pt->proto == IPPROTO_UDP && pt->host_port == 8080, "udp on the same port");
	SL_ASSERT_EQ(pt->n_allow, 2, "allow count");
	SL_ASSERT(pt->allow[0].addr == ip("10.0.0.0") && pt->allow[0].prefixlen == 8 &&
			  pt->allow[1].addr == ip("192.168.1.7") && pt->allow[1].prefixlen == 32,
		  "allow CIDRs in order");
	pt = &st.ports[3];
	SL_ASSERT(pt->id == 3 && pt->host_addr == ip("192.168.1.10") && pt->host_port == 9000 &&
			  pt->container_port == 9000,
		  "specific host address");
	SL_ASSERT(pt->n_allow == 1 && pt->allow[0].prefixlen == 0, "allow 0.0.0.0/0");
	sl_state_free(&st);
	SL_ASSERT(state_empty(&st), "free leaves it empty");
}

SL_TEST(round_trip)
{
	struct sl_state st, st2;
	size_t len;
	char *out;

	SL_ASSERT_EQ(sl_state_parse(real, strlen(real), &st, NULL, 0), 0, "parse");
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), 0, "format");
	SL_ASSERT_EQ(len, strlen(real), "same length");
	SL_ASSERT_STR(out, real, "format(parse(x)) == x");
	SL_ASSERT_EQ(sl_state_parse(out, len, &st2, NULL, 0), 0, "parse again");
	SL_ASSERT(sl_state_equal(&st, &st2), "parse(format(st)) == st");
	free(out);
	sl_state_free(&st2);

	/* A valid last line without its '\n' is accepted. */
	SL_ASSERT_EQ(sl_state_parse(real, strlen(real) - 1, &st2, NULL, 0), 0, "no final newline");
	SL_ASSERT(sl_state_equal(&st, &st2), "same state");
	sl_state_free(&st2);
	sl_state_free(&st);
}

SL_TEST(build_and_round_trip)
{
	struct sl_network n = {.id = 3, .internal = true};
	struct sl_ep ep;
	struct sl_port pt;
	struct sl_state st, st2;
	size_t len;
	char *out;

	sl_state_init(&st);
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), 0, "format empty");
	SL_ASSERT_STR(out, HDR, "empty state is the header");
	SL_ASSERT_EQ(sl_state_parse(out, len, &st2, NULL, 0), 0, "parse empty");
	SL_ASSERT(state_empty(&st2), "empty");
	free(out);

	strcpy(n.name, "n0");
	sl_cidr_parse("192.168.0.0/30", &n.subnet);
	n.gateway = ip("192.168.0.1");
	SL_ASSERT(sl_state_add_network(&st, &n) != NULL, "add network");

	memset(&ep, 0, sizeof(ep));
	strcpy(ep.network, "n0");
	strcpy(ep.container, "c-0_x.y");
	ep.addr = ip("192.168.0.2");
	sl_mac_parse("AA:bb:cc:dd:ee:ff", ep.mac);
	strcpy(ep.ifname, "eth0");
	strcpy(ep.host_ifname, "0123456789abcde"); /* 15 bytes: the longest */
	strcpy(ep.netns, "/proc/1/ns/net");
	ep.nsdev = 0; /* one of the two known: both are written */
	ep.nsino = 18446744073709551615ULL;
	ep.n_aliases = SL_MAX_ALIASES;
	for (unsigned int i = 0; i < SL_MAX_ALIASES; i++)
		snprintf(ep.aliases[i], SL_NAME_MAX, "alias%u", i);
	SL_ASSERT(sl_state_add_endpoint(&st, &ep) != NULL, "add endpoint");
	strcpy(st.uplinks[st.n_uplinks++], "enp0s31f6");

	memset(&pt, 0, sizeof(pt));
	strcpy(pt.container, "c-0_x.y");
	strcpy(pt.network, "n0");
	pt.id = 65535;
	pt.proto = IPPROTO_UDP;
	pt.host_addr = ip("10.9.8.7");
	pt.host_port = 65535;
	pt.container_port = 1;
	pt.n_allow = SL_MAX_PORT_ALLOW;
	for (unsigned int i = 0; i < SL_MAX_PORT_ALLOW; i++) {
		static const char *const allow[SL_MAX_PORT_ALLOW] = {
			"0.0.0.0/0",	 "172.16.0.0/13", "172.16.0.0/14", "172.16.0.0/15",
			"172.16.0.0/16", "172.16.0.0/17", "172.16.0.0/18", "172.16.0.0/19"};

		SL_ASSERT_EQ(sl_cidr_parse(allow[i], &pt.allow[i]), 0, "allow CIDR");
	}
	SL_ASSERT(sl_state_add_port(&st, &pt) != NULL, "add port");

	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), 0, "format");
	SL_ASSERT(strstr(out, "\nport c-0_x.y n0 id=65535 proto=udp host=10.9.8.7:65535 "
			      "container_port=1 allow=0.0.0.0/0 allow=172.16.0.0/13 ") != NULL,
		  "port line in canonical field order");
	SL_ASSERT(strstr(out, " allow=172.16.0.0/19\nuplink enp0s31f6\n") != NULL,
		  "ports before uplinks");
	SL_ASSERT(strstr(out, " nsdev=0 nsino=18446744073709551615 alias=alias0") != NULL,
		  "nsdev/nsino written together");
	SL_ASSERT(strstr(out, "mac=aa:bb:cc:dd:ee:ff") != NULL, "mac lower case");
	SL_ASSERT_EQ(sl_state_parse(out, len, &st2, NULL, 0), 0, "parse");
	SL_ASSERT(sl_state_equal(&st, &st2), "parse(format(st)) == st");
	free(out);
	sl_state_free(&st2);

	/* format refuses a field that would break the line structure. */
	strcpy(st.endpoints[0].netns, "/run/netns/a\nnetwork x");
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "newline in netns");
	strcpy(st.endpoints[0].netns, "/run/netns/a");
	strcpy(st.networks[0].name, "a b");
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "space in name");
	strcpy(st.networks[0].name, "n0");
	st.endpoints[0].n_aliases = SL_MAX_ALIASES + 1;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "too many aliases");
	st.endpoints[0].n_aliases = 0;
	memset(st.endpoints[0].ifname, 'x', sizeof(st.endpoints[0].ifname)); /* no NUL */
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "unterminated ifname");
	strcpy(st.endpoints[0].ifname, "eth0");
	st.ports[0].proto = IPPROTO_ICMP;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "proto not tcp/udp");
	st.ports[0].proto = IPPROTO_TCP;
	st.ports[0].host_port = 0;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "host port 0");
	st.ports[0].host_port = 80;
	st.ports[0].container_port = 0;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "container port 0");
	st.ports[0].container_port = 80;
	st.ports[0].id = 65536;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "id out of range");
	st.ports[0].id = 1;
	st.ports[0].n_allow = SL_MAX_PORT_ALLOW + 1;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "too many allows");
	st.ports[0].n_allow = 1;
	st.ports[0].allow[0].addr = ip("10.0.0.1");
	st.ports[0].allow[0].prefixlen = 8;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "allow with host bits");
	st.ports[0].allow[0].prefixlen = 33;
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "allow prefix 33");
	st.ports[0].allow[0].prefixlen = 32;
	strcpy(st.ports[0].network, "n 0");
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), -EINVAL, "space in port network");
	strcpy(st.ports[0].network, "n0");
	SL_ASSERT_EQ(sl_state_format(&st, &out, &len), 0, "fixed again");
	free(out);
	sl_state_free(&st);
}

struct bad_case {
	const char *name;
	const char *text;
	unsigned int line;
	const char *substr; /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{"empty file", "", 1, "header"},
	{"no header", NET_A, 1, "not a sluice state file"},
	{"newer version", "# sluice state v2\n", 1, "version"},
	{"header not first", "\n" HDR, 1, "not a sluice state file"},
	{"header cut", "# sluice st", 1, "not a sluice state file"},
	{"CRLF header", "# sluice state v1\r\n", 1, "dos2unix"},
	{"CRLF record", HDR "uplink eth0\r\n", 2, "carriage return"},
	{"unknown record", HDR "netwerk a\n", 2, "netwerk"},
	{"double space", HDR "network a  id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "empty"},
	{"trailing space", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1 \n", 2, "empty"},
	{"leading space", HDR " network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "empty"},
	{"tab", HDR "network\ta id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "record"},
	{"spaces only", HDR "   \n", 2, "empty"},
	{"network no name", HDR "network\n", 2, "name"},
	{"bad network name", HDR "network -a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2,
	 "\"-a\""},
	{"network name too long",
	 HDR "network aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa id=1 "
	     "subnet=10.1.0.0/24 gateway=10.1.0.1\n",
	 2, "name"},
	{"id 0", HDR "network a id=0 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "id"},
	{"id leading zero", HDR "network a id=01 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "id"},
	{"id too big", HDR "network a id=4294967296 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2,
	 "id"},
	{"id negative", HDR "network a id=-1 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "id"},
	{"missing id", HDR "network a subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2, "missing id"},
	{"id twice", HDR "network a id=1 id=2 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 2,
	 "duplicate id"},
	{"bad subnet", HDR "network a id=1 subnet=10.1.0.300/24 gateway=10.1.0.1\n", 2,
	 "network a: bad subnet \"10.1.0.300/24\""},
	{"subnet host bits", HDR "network a id=1 subnet=10.1.0.5/24 gateway=10.1.0.1\n", 2,
	 "did you mean 10.1.0.0/24"},
	{"subnet prefix 33", HDR "network a id=1 subnet=10.1.0.0/33 gateway=10.1.0.1\n", 2,
	 "bad subnet"},
	{"missing subnet", HDR "network a id=1 gateway=10.1.0.1\n", 2, "missing subnet"},
	{"bad gateway", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1.1\n", 2,
	 "bad gateway"},
	{"missing gateway", HDR "network a id=1 subnet=10.1.0.0/24\n", 2, "missing gateway"},
	{"gateway outside", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.1.1\n", 2,
	 "outside"},
	{"gateway is network", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.0\n", 2,
	 "not a host"},
	{"gateway is broadcast", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.255\n", 2,
	 "not a host"},
	{"/31 network", HDR "network a id=1 subnet=10.1.0.0/31 gateway=10.1.0.1\n", 2,
	 "not a host"},
	{"internal twice",
	 HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1 internal "
	     "internal\n",
	 2, "internal"},
	{"internal=1", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1 internal=1\n", 2,
	 "unknown field \"internal=1\""},
	{"unknown network field",
	 HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1 mtu=9000\n", 2,
	 "unknown field \"mtu=9000\""},
	{"bare word", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1 external\n", 2,
	 "unknown field"},
	{"duplicate network id", HDR NET_A "network b id=1 subnet=10.2.0.0/24 gateway=10.2.0.1\n",
	 3, "id 1 already used by network a on line 2"},
	{"duplicate network name", HDR NET_A "network a id=2 subnet=10.2.0.0/24 gateway=10.2.0.1\n",
	 3, "duplicate network name"},
	{"identical subnets", HDR NET_A "network b id=2 subnet=10.1.0.0/24 gateway=10.1.0.1\n", 3,
	 "overlaps"},
	{"nested subnets",
	 HDR NET_A "\n# comment\nnetwork b id=2 subnet=10.0.0.0/8 gateway=10.2.0.1\n", 5,
	 "overlaps subnet 10.1.0.0/24 of network a on line 2"},
	{"too many fields",
	 HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.0.1 a a a a a a a a a a a a a a a a a "
	     "a a a a a a a a a a a a a\n",
	 2, "too many fields"},
	{"endpoint unknown network", HDR NET_A EP("b", "c1", "10.1.0.2", "h1"), 3,
	 "unknown network b"},
	{"endpoint outside subnet", HDR NET_A NET_B EP("a", "c1", "10.2.0.2", "h1"), 4,
	 "outside subnet 10.1.0.0/24"},
	{"endpoint is gateway", HDR NET_A EP("a", "c1", "10.1.0.1", "h1"), 3, "gateway"},
	{"endpoint is network address", HDR NET_A EP("a", "c1", "10.1.0.0", "h1"), 3,
	 "network or broadcast"},
	{"endpoint is broadcast", HDR NET_A EP("a", "c1", "10.1.0.255", "h1"), 3,
	 "network or broadcast"},
	{"duplicate address",
	 HDR NET_A EP("a", "c1", "10.1.0.2", "h1") EP("a", "c2", "10.1.0.3", "h2")
		 EP("a", "c3", "10.1.0.2", "h3"),
	 5, "already used by a/c1 on line 3"},
	{"duplicate endpoint",
	 HDR NET_A EP("a", "c1", "10.1.0.2", "h1") EP("a", "c1", "10.1.0.3", "h2"), 4,
	 "duplicate endpoint (first on line 3)"},
	{"duplicate host_ifname",
	 HDR NET_A EP("a", "c1", "10.1.0.2", "h1") EP("a", "c2", "10.1.0.3", "h1"), 4,
	 "host_ifname h1 already used by a/c1 on line 3"},
	{"earliest duplicate reported",
	 HDR NET_A EP("a", "c1", "10.1.0.9", "h1") EP("a", "c2", "10.1.0.3", "h2")
		 EP("a", "c3", "10.1.0.3", "h3") EP("a", "c4", "10.1.0.9", "h4"),
	 5, "10.1.0.3"},
	{"endpoint too short", HDR NET_A "endpoint a\n", 3, "endpoint"},
	{"bad container name", HDR NET_A EP("a", "c/1", "10.1.0.2", "h1"), 3, "container name"},
	{"bad ip", HDR NET_A EP("a", "c1", "10.1.0.02", "h1"), 3, "bad ip"},
	{"host_ifname too long", HDR NET_A EP("a", "c1", "10.1.0.2", "0123456789abcdef"), 3,
	 "bad host_ifname"},
	{"host_ifname with colon", HDR NET_A EP("a", "c1", "10.1.0.2", "h:1"), 3,
	 "bad host_ifname"},
	{"empty host_ifname", HDR NET_A EP("a", "c1", "10.1.0.2", ""), 3, "bad host_ifname"},
	{"ifname with slash",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e/0 host_ifname=h "
		   "netns=/x\n",
	 3, "bad ifname"},
	{"relative netns",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=run/netns/c\n",
	 3, "bad netns"},
	{"empty netns",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=\n",
	 3, "bad netns"},
	{"bad mac",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00 ifname=e0 host_ifname=h "
		   "netns=/x\n",
	 3, "bad mac"},
	{"missing mac", HDR NET_A "endpoint a c ip=10.1.0.2 ifname=e0 host_ifname=h netns=/x\n", 3,
	 "missing mac"},
	{"missing netns",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h\n", 3,
	 "missing netns"},
	{"ip twice",
	 HDR NET_A "endpoint a c ip=10.1.0.2 ip=10.1.0.3 mac=02:42:0a:01:00:02 ifname=e0 "
		   "host_ifname=h netns=/x\n",
	 3, "duplicate ip"},
	{"nsdev alone",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=/x nsdev=4\n",
	 3, "together"},
	{"nsino overflow",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=/x nsdev=4 nsino=18446744073709551616\n",
	 3, "bad nsino"},
	{"nine aliases",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=/x alias=a1 alias=a2 alias=a3 alias=a4 alias=a5 alias=a6 alias=a7 "
		   "alias=a8 alias=a9\n",
	 3, "more than 8 aliases"},
	{"bad alias",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=/x alias=.a\n",
	 3, "bad alias"},
	{"duplicate alias",
	 HDR NET_A "endpoint a c ip=10.1.0.2 mac=02:42:0a:01:00:02 ifname=e0 host_ifname=h "
		   "netns=/x alias=www alias=www\n",
	 3, "duplicate alias"},
	{"endpoint flag", HDR NET_A "endpoint a c ip=10.1.0.2 internal\n", 3, "unknown field"},
	{"uplink no name", HDR "uplink\n", 2, "uplink"},
	{"uplink two names", HDR "uplink eth0 eth1\n", 2, "uplink"},
	{"uplink too long", HDR "uplink 0123456789abcdef\n", 2, "bad interface name"},
	{"uplink duplicate", HDR "uplink eth0\nuplink eth1\nuplink eth0\n", 4,
	 "duplicate (first on line 2)"},
	{"port too short", PHDR "port c1\n", 4, "port: expected"},
	{"port bad container name", PHDR "port -c a id=1 " TCP("0.0.0.0:80", "80") "\n", 4,
	 "bad container name \"-c\""},
	{"port bad network name", PHDR "port c1 a/b id=1 " TCP("0.0.0.0:80", "80") "\n", 4,
	 "bad network name"},
	{"port container name too long",
	 PHDR "port aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa a id=1 " TCP(
		 "0.0.0.0:80", "80") "\n",
	 4, "container name"},
	{"port unknown endpoint", PHDR PORT("c9", "id=1 " TCP("0.0.0.0:80", "80")), 4,
	 "port c9 a: no endpoint a/c9"},
	{"port container on another network",
	 HDR NET_A NET_B EP("a", "c1", "10.1.0.2", "h1") "port c1 b id=1 " TCP("0.0.0.0:80",
									       "80") "\n",
	 5, "no endpoint b/c1"},
	{"port without any endpoint", HDR NET_A PORT("c1", "id=1 " TCP("0.0.0.0:80", "80")), 3,
	 "no endpoint a/c1"},
	{"port unknown endpoint after good ones",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80"))
		 PORT("c2", "id=2 " TCP("0.0.0.0:81", "80")),
	 5, "no endpoint a/c2"},
	{"port id 0", PHDR PORT("c1", "id=0 " TCP("0.0.0.0:80", "80")), 4, "bad id \"0\""},
	{"port id 65536", PHDR PORT("c1", "id=65536 " TCP("0.0.0.0:80", "80")), 4,
	 "bad id \"65536\" (expected 1..65535)"},
	{"port id leading zero", PHDR PORT("c1", "id=01 " TCP("0.0.0.0:80", "80")), 4, "bad id"},
	{"port id sign", PHDR PORT("c1", "id=+1 " TCP("0.0.0.0:80", "80")), 4, "bad id"},
	{"port id empty", PHDR PORT("c1", "id= " TCP("0.0.0.0:80", "80")), 4, "bad id"},
	{"port missing id", PHDR PORT("c1", TCP("0.0.0.0:80", "80")), 4, "missing id="},
	{"port id twice", PHDR PORT("c1", "id=1 id=2 " TCP("0.0.0.0:80", "80")), 4,
	 "duplicate id="},
	{"port duplicate id",
	 PHDR EP("a", "c2", "10.1.0.3", "h2") PORT("c1", "id=7 " TCP("0.0.0.0:80", "80")) PORT(
		 "c2", "id=8 " TCP("0.0.0.0:81", "80")) PORT("c2", "id=7 " TCP("0.0.0.0:82", "80")),
	 7, "port c2 a: id 7 already used by port c1 a on line 5"},
	{"port duplicate id before its endpoint",
	 HDR NET_A PORT("c1", "id=3 " TCP("0.0.0.0:80", "80"))
		 PORT("c1", "id=3 " TCP("0.0.0.0:81", "80")) EP("a", "c1", "10.1.0.2", "h1"),
	 4, "id 3 already used by port c1 a on line 3"},
	{"port proto upper case",
	 PHDR PORT("c1", "id=1 proto=TCP host=0.0.0.0:80 container_port=80"), 4,
	 "bad proto \"TCP\" (expected tcp or udp)"},
	{"port proto sctp", PHDR PORT("c1", "id=1 proto=sctp host=0.0.0.0:80 container_port=80"), 4,
	 "bad proto"},
	{"port proto number", PHDR PORT("c1", "id=1 proto=6 host=0.0.0.0:80 container_port=80"), 4,
	 "bad proto"},
	{"port missing proto", PHDR PORT("c1", "id=1 host=0.0.0.0:80 container_port=80"), 4,
	 "missing proto="},
	{"port proto twice",
	 PHDR PORT("c1", "id=1 proto=tcp proto=udp host=0.0.0.0:80 container_port=80"), 4,
	 "duplicate proto="},
	{"port host without port", PHDR PORT("c1", "id=1 " TCP("10.0.0.1", "80")), 4,
	 "bad host \"10.0.0.1\""},
	{"port host empty port", PHDR PORT("c1", "id=1 " TCP("10.0.0.1:", "80")), 4, "bad host"},
	{"port host port 0", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:0", "80")), 4, "bad host"},
	{"port host port 65536", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:65536", "80")), 4,
	 "bad host \"0.0.0.0:65536\""},
	{"port host port leading zero", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:080", "80")), 4,
	 "bad host"},
	{"port host port sign", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:+80", "80")), 4, "bad host"},
	{"port host port hex", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:0x50", "80")), 4, "bad host"},
	{"port host two colons", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80:81", "80")), 4,
	 "bad host"},
	{"port host bad address", PHDR PORT("c1", "id=1 " TCP("10.0.0.256:80", "80")), 4,
	 "bad host"},
	{"port host short address", PHDR PORT("c1", "id=1 " TCP("10.0.0:80", "80")), 4, "bad host"},
	{"port host long address", PHDR PORT("c1", "id=1 " TCP("100.100.100.100.1:80", "80")), 4,
	 "bad host"},
	{"port host no address", PHDR PORT("c1", "id=1 " TCP(":80", "80")), 4, "bad host"},
	{"port host IPv6", PHDR PORT("c1", "id=1 " TCP("[::]:80", "80")), 4, "bad host"},
	{"port missing host", PHDR PORT("c1", "id=1 proto=tcp container_port=80"), 4,
	 "missing host="},
	{"port host twice",
	 PHDR PORT("c1", "id=1 proto=tcp host=0.0.0.0:80 host=0.0.0.0:81 container_port=80"), 4,
	 "duplicate host="},
	{"port container_port 0", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "0")), 4,
	 "bad container_port \"0\""},
	{"port container_port 65536", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "65536")), 4,
	 "bad container_port"},
	{"port container_port leading zero", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "080")), 4,
	 "bad container_port"},
	{"port container_port range", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80-81")), 4,
	 "bad container_port"},
	{"port missing container_port", PHDR PORT("c1", "id=1 proto=tcp host=0.0.0.0:80"), 4,
	 "missing container_port="},
	{"port container_port twice",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " container_port=81"), 4,
	 "duplicate container_port="},
	{"port bad allow", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " allow=10.0.0.0/33"), 4,
	 "port c1 a: bad allow \"10.0.0.0/33\""},
	{"port allow without prefix",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " allow=10.0.0.1"), 4, "bad allow"},
	{"port allow empty", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " allow="), 4,
	 "bad allow"},
	{"port allow host bits",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " allow=10.1.2.3/16"), 4,
	 "allow \"10.1.2.3/16\" has host bits set (did you mean 10.1.0.0/16?)"},
	{"port nine allows",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " allow=10.0.0.0/8 allow=10.0.0.0/9 "
							 "allow=10.0.0.0/10 allow=10.0.0.0/11 "
							 "allow=10.0.0.0/12 allow=10.0.0.0/13 "
							 "allow=10.0.0.0/14 allow=10.0.0.0/15 "
							 "allow=10.0.0.0/16"),
	 4, "more than 8 allow= CIDRs"},
	{"port duplicate allow",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " allow=10.0.0.0/8 allow=192.168.0.0/16 "
							 "allow=10.0.0.0/8"),
	 4, "duplicate allow \"10.0.0.0/8\""},
	{"port unknown field", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " mode=nat"), 4,
	 "port c1 a: unknown field \"mode=nat\""},
	{"port bare word", PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80") " udp"), 4,
	 "unknown field \"udp\""},
	{"port same address conflict",
	 PHDR EP("a", "c2", "10.1.0.3", "h2") PORT("c1", "id=1 " TCP("10.0.0.1:80", "80"))
		 PORT("c2", "id=2 " TCP("10.0.0.1:80", "8080")),
	 6,
	 "port c2 a: host 10.0.0.1:80/tcp conflicts with host 10.0.0.1:80/tcp of port c1 a on "
	 "line 5"},
	{"port wildcard after specific",
	 PHDR PORT("c1", "id=1 " TCP("10.0.0.1:80", "80"))
		 PORT("c1", "id=2 " TCP("0.0.0.0:80", "81")),
	 5, "host 0.0.0.0:80/tcp conflicts with host 10.0.0.1:80/tcp of port c1 a on line 4"},
	{"port specific after wildcard",
	 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80"))
		 PORT("c1", "id=2 " TCP("10.0.0.1:80", "81")),
	 5, "host 10.0.0.1:80/tcp conflicts with host 0.0.0.0:80/tcp of port c1 a on line 4"},
	{"port two wildcards",
	 PHDR PORT("c1", "id=1 proto=udp host=0.0.0.0:53 container_port=53")
		 PORT("c1", "id=2 proto=udp host=0.0.0.0:53 container_port=5353"),
	 5, "host 0.0.0.0:53/udp conflicts with host 0.0.0.0:53/udp of port c1 a on line 4"},
	{"port earliest conflict reported",
	 PHDR PORT("c1", "id=1 " TCP("10.0.0.9:90", "80"))
		 PORT("c1", "id=2 " TCP("10.0.0.1:80", "80"))
			 PORT("c1", "id=3 " TCP("10.0.0.2:80", "80"))
				 PORT("c1", "id=4 " TCP("0.0.0.0:80", "80"))
					 PORT("c1", "id=5 " TCP("10.0.0.9:90", "80")),
	 7, "host 0.0.0.0:80/tcp conflicts with host 10.0.0.1:80/tcp of port c1 a on line 5"},
	{"port conflict names the earliest partner",
	 PHDR PORT("c1", "id=1 " TCP("10.0.0.2:80", "80"))
		 PORT("c1", "id=2 " TCP("0.0.0.0:80", "80"))
			 PORT("c1", "id=3 " TCP("10.0.0.2:80", "80")),
	 5, "with host 10.0.0.2:80/tcp of port c1 a on line 4"},
	{"port conflict before its endpoint",
	 HDR NET_A PORT("c1", "id=1 " TCP("0.0.0.0:80", "80"))
		 PORT("c1", "id=2 " TCP("0.0.0.0:80", "80")) EP("a", "c1", "10.1.0.2", "h1"),
	 4, "conflicts with host 0.0.0.0:80/tcp of port c1 a on line 3"},
	{"truncated port", PHDR PORT("c1", "id=1 proto=tcp host=0.0.0.0:80 container_po"), 4,
	 "unknown field"},
	{"truncated record", HDR "network a id=1 subnet=10.1.0.0/24 gatew", 2, "unknown field"},
	{"truncated value", HDR "network a id=1 subnet=10.1.0.0/24 gateway=10.1.", 2,
	 "bad gateway"},
};

SL_TEST(validation_errors)
{
	char err[512], want[32], what[1024];
	struct sl_state st;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		err[0] = '\0';
		ret = parse_exact(c->text, strlen(c->text), &st, err, sizeof(err));
		snprintf(what, sizeof(what), "%s: -EINVAL", c->name);
		SL_ASSERT_EQ(ret, -EINVAL, what);
		snprintf(want, sizeof(want), "line %u: ", c->line);
		snprintf(what, sizeof(what), "%s: message starts with \"%s\" [%s]", c->name, want,
			 err);
		SL_ASSERT(!strncmp(err, want, strlen(want)), what);
		snprintf(what, sizeof(what), "%s: message has \"%s\" [%s]", c->name, c->substr,
			 err);
		SL_ASSERT(strstr(err, c->substr) != NULL, what);
		SL_ASSERT(!strchr(err, '\n'), "message is one line");
		snprintf(what, sizeof(what), "%s: state left empty", c->name);
		SL_ASSERT(state_empty(&st), what);
	}
}

SL_TEST(accepted_variants)
{
	static const char comments[] = HDR "\n# a comment\n\n" NET_A "#network x\n"
					   "uplink eth0\n\n";
	static const char ep_first[] = HDR EP("a", "c1", "10.1.0.2", "h1") NET_A;
	static const char slash30[] = HDR "network a id=1 subnet=10.1.0.0/30 gateway=10.1.0.2\n" EP(
		"a", "c1", "10.1.0.1", "h1");
	static const char any_order[] =
		HDR "network a gateway=10.1.0.1 internal subnet=10.1.0.0/24 id=4294967295\n"
		    "endpoint a c alias=x netns=/x nsino=0 host_ifname=h ifname=e0 nsdev=0 "
		    "mac=02:42:0A:01:00:02 ip=10.1.0.2\n";
	static const char same_container[] =
		HDR NET_A NET_B EP("a", "c1", "10.1.0.2", "h1") EP("b", "c1", "10.2.0.2", "h2");
	static const char port_first[] =
		HDR "port c1 a allow=10.0.0.0/8 container_port=80 host=10.0.0.1:8080 proto=udp "
		    "id=65535\n" EP("a", "c1", "10.1.0.2", "h1") NET_A;
	struct sl_state st;
	char err[256];

	SL_ASSERT_EQ(sl_state_parse(comments, strlen(comments), &st, err, sizeof(err)), 0,
		     "comments and blank lines");
	SL_ASSERT(st.n_networks == 1 && st.n_uplinks == 1, "records read");
	sl_state_free(&st);
	SL_ASSERT_EQ(sl_state_parse(ep_first, strlen(ep_first), &st, err, sizeof(err)), 0,
		     "endpoint before its network");
	sl_state_free(&st);
	SL_ASSERT_EQ(sl_state_parse(slash30, strlen(slash30), &st, err, sizeof(err)), 0,
		     "/30 with gateway on the second host");
	sl_state_free(&st);
	SL_ASSERT_EQ(sl_state_parse(any_order, strlen(any_order), &st, err, sizeof(err)), 0,
		     "fields in any order");
	SL_ASSERT(st.n_networks == 1 && st.networks[0].internal && st.networks[0].id == 4294967295U,
		  "fields read");
	sl_state_free(&st);
	SL_ASSERT_EQ(sl_state_parse(same_container, strlen(same_container), &st, err, sizeof(err)),
		     0, "one container on two networks");
	sl_state_free(&st);
	SL_ASSERT_EQ(sl_state_parse(port_first, strlen(port_first), &st, err, sizeof(err)), 0,
		     "port before its endpoint and network, fields in any order");
	SL_ASSERT(st.n_ports == 1 && st.ports[0].id == 65535 && st.ports[0].proto == IPPROTO_UDP &&
			  st.ports[0].host_addr == ip("10.0.0.1") &&
			  st.ports[0].host_port == 8080 && st.ports[0].container_port == 80 &&
			  st.ports[0].n_allow == 1,
		  "port fields read");
	sl_state_free(&st);
}

/* Which host port claims coexist: only same proto, same port and overlapping addresses clash. */
SL_TEST(port_conflicts)
{
	static const struct {
		const char *name, *text;
		int ret;
		unsigned int line, with;
	} cases[] = {
		{"same port, different specific addresses",
		 PHDR PORT("c1", "id=1 " TCP("10.0.0.1:80", "80"))
			 PORT("c1", "id=2 " TCP("10.0.0.2:80", "80"))
				 PORT("c1", "id=3 " TCP("127.0.0.1:80", "80")),
		 0, 0, 0},
		{"tcp and udp on one wildcard port",
		 PHDR PORT("c1", "id=1 proto=tcp host=0.0.0.0:53 container_port=53")
			 PORT("c1", "id=2 proto=udp host=0.0.0.0:53 container_port=53"),
		 0, 0, 0},
		{"udp wildcard, tcp specific",
		 PHDR PORT("c1", "id=1 proto=udp host=0.0.0.0:53 container_port=53")
			 PORT("c1", "id=2 proto=tcp host=10.0.0.1:53 container_port=53"),
		 0, 0, 0},
		{"different host ports, same container port",
		 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80"))
			 PORT("c1", "id=2 " TCP("0.0.0.0:81", "80")),
		 0, 0, 0},
		{"specific then wildcard",
		 PHDR PORT("c1", "id=1 " TCP("10.0.0.1:80", "80"))
			 PORT("c1", "id=2 " TCP("0.0.0.0:80", "80")),
		 -EINVAL, 5, 4},
		{"wildcard then specific",
		 PHDR PORT("c1", "id=1 " TCP("0.0.0.0:80", "80"))
			 PORT("c1", "id=2 " TCP("10.0.0.1:80", "80")),
		 -EINVAL, 5, 4},
		{"same specific address",
		 PHDR PORT("c1", "id=1 " TCP("10.0.0.1:80", "80"))
			 PORT("c1", "id=2 " TCP("10.0.0.2:80", "80"))
				 PORT("c1", "id=3 " TCP("10.0.0.1:80", "81")),
		 -EINVAL, 6, 4},
		{"a wildcard among many specifics",
		 PHDR PORT("c1", "id=1 " TCP("10.0.0.3:80", "80"))
			 PORT("c1", "id=2 " TCP("10.0.0.1:80", "80"))
				 PORT("c1", "id=3 " TCP("10.0.0.2:80", "80"))
					 PORT("c1", "id=4 " TCP("0.0.0.0:80", "80")),
		 -EINVAL, 7, 4},
	};
	char err[512], want[64], what[1024];
	struct sl_state st;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		err[0] = '\0';
		ret = parse_exact(cases[i].text, strlen(cases[i].text), &st, err, sizeof(err));
		snprintf(what, sizeof(what), "%s [%s]", cases[i].name, err);
		SL_ASSERT_EQ(ret, cases[i].ret, what);
		if (ret == 0) {
			SL_ASSERT(state_sane(&st), what);
			sl_state_free(&st);
			continue;
		}
		snprintf(want, sizeof(want), "line %u: ", cases[i].line);
		SL_ASSERT(!strncmp(err, want, strlen(want)), what);
		snprintf(want, sizeof(want), "conflicts with host");
		SL_ASSERT(strstr(err, want) != NULL, what);
		snprintf(want, sizeof(want), "on line %u", cases[i].with);
		SL_ASSERT(strstr(err, want) != NULL, what);
	}
}

/* The NUL is never taken as the end of the line or of the buffer. */
SL_TEST(nul_bytes)
{
	char buf[sizeof(real)], err[256];
	struct sl_state st;
	size_t pos, len = strlen(real);
	const char *line3 = strstr(real, "network backend");

	memcpy(buf, real, len);
	pos = (size_t)(line3 - real) + 10;
	buf[pos] = '\0';
	SL_ASSERT_EQ(parse_exact(buf, len, &st, err, sizeof(err)), -EINVAL, "NUL mid-line");
	SL_ASSERT(!strncmp(err, "line 3: ", 8), "names line 3");
	SL_ASSERT(strstr(err, "NUL") != NULL, "says NUL");
	SL_ASSERT(state_empty(&st), "empty");

	/* A NUL right after a valid file: still refused, not silently cut. */
	memcpy(buf, real, len);
	buf[len] = '\0';
	SL_ASSERT_EQ(parse_exact(buf, len + 1, &st, err, sizeof(err)), -EINVAL, "trailing NUL");
	SL_ASSERT_EQ(parse_exact("\0\0\0\0", 4, &st, err, sizeof(err)), -EINVAL, "all NUL");
	SL_ASSERT_EQ(sl_state_parse(NULL, 0, &st, err, sizeof(err)), -EINVAL, "NULL, 0");
}

SL_TEST(truncated_everywhere)
{
	size_t len = strlen(real), cut;
	unsigned int ok = 0, bad = 0, other = 0, insane = 0, unclean = 0;
	struct sl_state st;
	char err[256];
	int ret;

	for (cut = 0; cut <= len; cut++) {
		ret = parse_exact(real, cut, &st, err, sizeof(err));
		if (ret == 0) {
			ok++;
			if (!state_sane(&st))
				insane++;
			sl_state_free(&st);
		} else if (ret == -EINVAL) {
			bad++;
			if (!state_empty(&st) || strncmp(err, "line ", 5))
				unclean++;
		} else {
			other++;
		}
	}
	SL_ASSERT_EQ(other, 0, "only 0 or -EINVAL");
	SL_ASSERT_EQ(insane, 0, "accepted states are consistent");
	SL_ASSERT_EQ(unclean, 0, "rejected: empty state and a line number");
	SL_ASSERT(ok > 0 && bad > 0, "some cuts are valid, some are not");
	/* Cut inside the header: never accepted. */
	SL_ASSERT_EQ(parse_exact(real, 10, &st, err, sizeof(err)), -EINVAL, "cut in header");
}

/* Returns 1 when the parser misbehaved; counts accepted inputs in *accepted. */
static unsigned int check_random(const char *buf, size_t len, unsigned int *accepted)
{
	struct sl_state st;
	char err[256];
	int ret;

	ret = parse_exact(buf, len, &st, err, sizeof(err));
	if (ret == 0) {
		bool sane = state_sane(&st);

		(*accepted)++;
		sl_state_free(&st);
		return sane ? 0 : 1;
	}
	return ret == -EINVAL && state_empty(&st) ? 0 : 1;
}

SL_TEST(garbage)
{
	unsigned int i, j, failures = 0, accepted = 0;
	size_t len, hlen = strlen(HDR), rlen = strlen(real);
	char buf[1024];

	srand(12345);
	for (i = 0; i < 3000; i++) {
		len = (size_t)rand() % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (char)(rand() & 0xff);
		failures += check_random(buf, len, &accepted);
		/* Same after a valid header, so the record parser sees it too. */
		if (len > hlen)
			memcpy(buf, HDR, hlen);
		failures += check_random(buf, len, &accepted);
	}
	accepted = 0;
	/* Mutations of a valid file reach deeper: flip, insert NUL/space/newline. */
	for (i = 0; i < 20000; i++) {
		static const char sub[] = {'\0', ' ', '\n', '=', '/', '.', '0', '9', '#', 'a'};

		memcpy(buf, real, rlen);
		len = rlen;
		for (j = 0; j < 1 + (unsigned int)rand() % 3; j++) {
			size_t pos = (size_t)rand() % len;

			if (rand() & 1)
				buf[pos] = sub[(unsigned int)rand() % sizeof(sub)];
			else
				buf[pos] = (char)(rand() & 0xff);
		}
		if (rand() & 1)
			len = (size_t)rand() % (len + 1);
		failures += check_random(buf, len, &accepted);
	}
	SL_ASSERT_EQ(failures, 0, "garbage: -EINVAL and empty, or a consistent state");
	SL_ASSERT(accepted > 0, "some mutations still parse (the test reaches the checks)");
}

SL_TEST(limits)
{
	size_t cap = 16 << 20, len = 0;
	char *buf = malloc(cap), err[256];
	struct sl_state st;
	unsigned int i;
	int ret;

	if (!buf) {
		SL_ASSERT(0, "malloc");
		return;
	}
	/* SL_STATE_MAX_NETWORKS non-overlapping /24s, then one more. */
	len = (size_t)sprintf(buf, HDR);
	for (i = 0; i <= SL_STATE_MAX_NETWORKS; i++)
		len += (size_t)sprintf(
			buf + len, "network n%u id=%u subnet=10.%u.%u.0/24 gateway=10.%u.%u.1\n", i,
			i + 1, i >> 8, i & 0xff, i >> 8, i & 0xff);
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, -EINVAL, "too many networks");
	snprintf(buf, 64, "line %u: too many networks", SL_STATE_MAX_NETWORKS + 2);
	SL_ASSERT(!strncmp(err, buf, strlen(buf)), "names the first network too many");

	/* SL_STATE_MAX_ENDPOINTS endpoints in one /8 parse (and quickly); one more does not. */
	len = (size_t)sprintf(buf, HDR "network big id=1 subnet=10.0.0.0/8 gateway=10.0.0.1\n");
	for (i = 0; i < SL_STATE_MAX_ENDPOINTS; i++)
		len += (size_t)sprintf(buf + len,
				       "endpoint big c%u ip=10.%u.%u.%u mac=02:00:00:00:00:01 "
				       "ifname=eth0 host_ifname=h%u netns=/proc/%u/ns/net\n",
				       i, 1 + (i >> 16), (i >> 8) & 0xff, i & 0xff, i, i + 1);
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, 0, "65536 endpoints");
	SL_ASSERT_EQ(st.n_endpoints, SL_STATE_MAX_ENDPOINTS, "all read");
	sl_state_free(&st);
	len += (size_t)sprintf(buf + len, "endpoint big extra ip=10.200.0.1 mac=02:00:00:00:00:01 "
					  "ifname=eth0 host_ifname=hx netns=/x\n");
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, -EINVAL, "too many endpoints");
	SL_ASSERT(strstr(err, "too many endpoints") != NULL, "says so");

	/* SL_STATE_MAX_PORTS ports (every id, every host port) parse; one more does not. */
	len = (size_t)sprintf(buf, PHDR);
	for (i = 1; i <= SL_STATE_MAX_PORTS; i++)
		len += (size_t)sprintf(
			buf + len, "port c1 a id=%u proto=tcp host=0.0.0.0:%u container_port=80\n",
			i, i);
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, 0, "65535 ports");
	SL_ASSERT_EQ(st.n_ports, SL_STATE_MAX_PORTS, "all ports read");
	sl_state_free(&st);
	len += (size_t)sprintf(buf + len, "port c1 a id=1 proto=udp host=0.0.0.0:1 "
					  "container_port=80\n");
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, -EINVAL, "too many ports");
	snprintf(buf, 64, "line %u: too many ports", SL_STATE_MAX_PORTS + 4);
	SL_ASSERT(!strncmp(err, buf, strlen(buf)), "names the first port too many");

	/* 17 uplinks. */
	len = (size_t)sprintf(buf, HDR);
	for (i = 0; i <= SL_STATE_MAX_UPLINKS; i++)
		len += (size_t)sprintf(buf + len, "uplink eth%u\n", i);
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, -EINVAL, "too many uplinks");
	SL_ASSERT(!strncmp(err, "line 18: too many uplinks", 25), "names line 18");

	/* A line longer than SL_STATE_LINE_MAX. */
	len = (size_t)sprintf(buf, HDR "# ");
	memset(buf + len, 'x', SL_STATE_LINE_MAX);
	len += SL_STATE_LINE_MAX;
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	SL_ASSERT_EQ(ret, -EINVAL, "line too long");
	SL_ASSERT(!strncmp(err, "line 2: line longer", 19), "names line 2");
	free(buf);
}

SL_TEST(add_del_keep_order)
{
	struct sl_network n = {.id = 1};
	struct sl_port pt;
	struct sl_ep ep;
	struct sl_state st;
	unsigned int i;

	sl_state_init(&st);
	for (i = 0; i < 20; i++) {
		snprintf(n.name, sizeof(n.name), "n%u", i);
		n.id = i + 1;
		SL_ASSERT(sl_state_add_network(&st, &n) == &st.networks[i], "add returns slot");
	}
	SL_ASSERT(st.cap_networks >= 20 && st.cap_networks <= 32, "grown by doubling");
	sl_state_del_network(&st, 0);
	sl_state_del_network(&st, 5);  /* n6 */
	sl_state_del_network(&st, 17); /* the last one, n19 */
	sl_state_del_network(&st, 17); /* out of range: nothing */
	SL_ASSERT_EQ(st.n_networks, 17, "three removed");
	SL_ASSERT_STR(st.networks[0].name, "n1", "first");
	SL_ASSERT_STR(st.networks[4].name, "n5", "before the gap");
	SL_ASSERT_STR(st.networks[5].name, "n7", "after the gap");
	SL_ASSERT_STR(st.networks[16].name, "n18", "last");

	memset(&ep, 0, sizeof(ep));
	for (i = 0; i < 3; i++) {
		snprintf(ep.container, sizeof(ep.container), "c%u", i);
		sl_state_add_endpoint(&st, &ep);
	}
	memset(&pt, 0, sizeof(pt));
	strcpy(pt.container, "c1");
	for (i = 0; i < 12; i++) {
		pt.id = i + 1;
		SL_ASSERT(sl_state_add_port(&st, &pt) == &st.ports[i], "add port returns slot");
	}
	sl_state_del_endpoint(&st, 1);
	SL_ASSERT_EQ(st.n_endpoints, 2, "endpoint removed");
	SL_ASSERT_STR(st.endpoints[1].container, "c2", "order kept");
	SL_ASSERT_EQ(st.n_ports, 12, "deleting an endpoint does not cascade to its ports");
	sl_state_del_port(&st, 0);
	sl_state_del_port(&st, 4); /* id 6 */
	sl_state_del_port(&st, 9); /* the last one, id 12 */
	sl_state_del_port(&st, 9); /* out of range: nothing */
	SL_ASSERT_EQ(st.n_ports, 9, "three ports removed");
	SL_ASSERT(st.ports[0].id == 2 && st.ports[3].id == 5 && st.ports[4].id == 7 &&
			  st.ports[8].id == 11,
		  "port order kept");
	sl_state_free(&st);
	SL_ASSERT(state_empty(&st), "freed");
}

SL_TEST(next_network_id)
{
	struct sl_network n = {.id = 0};
	struct sl_state st;
	static const __u32 ids[] = {2, 3, 5};
	unsigned int i;

	sl_state_init(&st);
	SL_ASSERT_EQ(sl_state_next_network_id(&st), 1, "empty: 1");
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		snprintf(n.name, sizeof(n.name), "n%u", ids[i]);
		n.id = ids[i];
		sl_state_add_network(&st, &n);
	}
	SL_ASSERT_EQ(sl_state_next_network_id(&st), 1, "1 is free");
	n.id = 1;
	sl_state_add_network(&st, &n);
	SL_ASSERT_EQ(sl_state_next_network_id(&st), 4, "fills the gap at 4");
	n.id = 4;
	sl_state_add_network(&st, &n);
	SL_ASSERT_EQ(sl_state_next_network_id(&st), 6, "1..5 used: 6");
	sl_state_del_network(&st, 1); /* id 3 */
	SL_ASSERT_EQ(sl_state_next_network_id(&st), 3, "a freed id is reused");
	sl_state_free(&st);
}

SL_TEST(next_port_id)
{
	struct sl_port pt;
	struct sl_state st;
	static const __u32 ids[] = {2, 3, 5, 0, 70000}; /* 0 and 70000: out of range, ignored */
	unsigned int i;

	memset(&pt, 0, sizeof(pt));
	sl_state_init(&st);
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 1, "empty: 1");
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		pt.id = ids[i];
		sl_state_add_port(&st, &pt);
	}
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 1, "1 is free");
	pt.id = 1;
	sl_state_add_port(&st, &pt);
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 4, "fills the gap at 4");
	pt.id = 4;
	sl_state_add_port(&st, &pt);
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 6, "1..5 used: 6");
	sl_state_del_port(&st, 1); /* id 3 */
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 3, "a freed id is reused");
	sl_state_free(&st);

	/* Every id but one taken (in reverse, so order does not matter), then all. */
	for (i = 65535; i >= 1; i--) {
		pt.id = i;
		if (i != 64)
			sl_state_add_port(&st, &pt);
	}
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 64, "the one gap, on a word boundary");
	pt.id = 64;
	sl_state_add_port(&st, &pt);
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 0, "all 65535 taken: 0");
	sl_state_del_port(&st, 0); /* id 65535 */
	SL_ASSERT_EQ(sl_state_next_port_id(&st), 65535, "the highest id");
	sl_state_free(&st);
}

/* Port checks stay O(n log n): 10 000 port lines, half of them on one host port. */
SL_TEST(ports_10k)
{
	size_t cap = 4 << 20, len;
	char *buf = malloc(cap), err[256];
	struct timespec t0, t1;
	struct sl_state st;
	unsigned int i;
	int ret;

	if (!buf) {
		SL_ASSERT(0, "malloc");
		return;
	}
	len = (size_t)sprintf(buf, HDR "network big id=1 subnet=10.0.0.0/16 gateway=10.0.0.1\n");
	for (i = 0; i < 100; i++)
		len += (size_t)sprintf(buf + len,
				       "endpoint big c%u ip=10.0.1.%u mac=02:00:00:00:00:01 "
				       "ifname=eth0 host_ifname=h%u netns=/proc/%u/ns/net\n",
				       i, i + 1, i, i + 1);
	for (i = 0; i < 10000; i++) {
		if (i & 1) /* udp 53 on 5000 distinct specific addresses: one big group */
			len += (size_t)sprintf(buf + len,
					       "port c%u big id=%u proto=udp host=127.%u.%u.1:53 "
					       "container_port=53 allow=192.168.%u.0/24\n",
					       i % 100, 10000 - i, i >> 8, i & 0xff, i & 0xff);
		else /* tcp on 5000 wildcard ports */
			len += (size_t)sprintf(buf + len,
					       "port c%u big id=%u proto=tcp host=0.0.0.0:%u "
					       "container_port=80\n",
					       i % 100, 10000 - i, 20000 + i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = sl_state_parse(buf, len, &st, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	SL_ASSERT_EQ(ret, 0, "10 000 ports parse");
	SL_ASSERT_EQ(st.n_ports, 10000, "all read");
	printf("  ports_10k: %zu bytes parsed in %.2f ms\n", len,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	sl_state_free(&st);
	free(buf);
}

/* --- save and load ------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *read_all(const char *path)
{
	static char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		perror("write");
	close(fd);
}

SL_TEST(save_load)
{
	char dir[] = "/tmp/sluice-test-state-XXXXXX";
	char sub[128], path[192], tmp[256];
	struct sl_state st, st2;
	const char *msg, *content;
	struct stat sb;
	ino_t ino;
	int ret;

	if (!mkdtemp(dir)) {
		SL_ASSERT(0, "mkdtemp");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/var/lib/sluice", dir);
	snprintf(path, sizeof(path), "%s/state", sub);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	/* Missing file (and missing directory): an empty state. */
	sl_err_clear();
	SL_ASSERT_EQ(sl_state_load(path, &st), 0, "missing file");
	SL_ASSERT(state_empty(&st), "missing file is empty");
	SL_ASSERT(sl_err_msg() == NULL, "no error for a missing file");

	/* Save creates the parent directories, 0700, and the file, 0600. */
	SL_ASSERT_EQ(sl_state_parse(real, strlen(real), &st, NULL, 0), 0, "parse");
	SL_ASSERT_EQ(sl_state_save(path, &st), 0, "save");
	SL_ASSERT(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
		  "directory created 0700");
	SL_ASSERT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "file is 0600");
	ino = sb.st_ino;
	SL_ASSERT(access(tmp, F_OK) != 0, "no temp file left");
	content = read_all(path);
	SL_ASSERT_STR(content, real, "file is the canonical text");
	SL_ASSERT_EQ(sl_state_load(path, &st2), 0, "load");
	SL_ASSERT(sl_state_equal(&st, &st2), "load(save(st)) == st");
	sl_state_free(&st2);

	/* A port left on a deleted endpoint is refused: nothing cascades. */
	sl_state_del_endpoint(&st, 0);
	sl_err_clear();
	SL_ASSERT_EQ(sl_state_save(path, &st), -EINVAL, "port on a deleted endpoint refused");
	msg = sl_err_msg();
	SL_ASSERT(msg && strstr(msg, "no endpoint frontend/web"), "says which endpoint");

	/* A second save replaces the file by rename: a new inode. */
	sl_state_del_port(&st, 0);
	sl_state_del_port(&st, 0);
	SL_ASSERT_EQ(sl_state_save(path, &st), 0, "save again");
	SL_ASSERT(stat(path, &sb) == 0 && sb.st_ino != ino, "replaced by rename");
	SL_ASSERT_EQ(sl_state_load(path, &st2), 0, "load again");
	SL_ASSERT_EQ(st2.n_endpoints, 2, "update visible");
	SL_ASSERT_EQ(st2.n_ports, 2, "ports kept");
	sl_state_free(&st2);
	content = read_all(path);
	SL_ASSERT(content && !strstr(content, "web"), "old record gone");

	/* The temp file cannot be created: error, old file untouched. */
	SL_ASSERT_EQ(mkdir(tmp, 0700), 0, "block the temp path");
	sl_err_clear();
	ret = sl_state_save(path, &(struct sl_state){0});
	SL_ASSERT(ret < 0, "save fails");
	msg = sl_err_msg();
	SL_ASSERT(msg && strstr(msg, path), "message names the file");
	SL_ASSERT_EQ(sl_state_load(path, &st2), 0, "old file still loads");
	SL_ASSERT_EQ(st2.n_endpoints, 2, "old content kept");
	sl_state_free(&st2);
	rmdir(tmp);

	/* An inconsistent state is not written. */
	st.endpoints[1].addr = st.endpoints[0].addr;
	strcpy(st.endpoints[1].network, st.endpoints[0].network);
	sl_err_clear();
	SL_ASSERT_EQ(sl_state_save(path, &st), -EINVAL, "inconsistent state refused");
	msg = sl_err_msg();
	SL_ASSERT(msg && strstr(msg, path) && strstr(msg, "already used"), "says why");
	SL_ASSERT(access(tmp, F_OK) != 0, "no temp file left");
	SL_ASSERT_EQ(sl_state_load(path, &st2), 0, "old file still loads");
	SL_ASSERT_EQ(st2.n_endpoints, 2, "old content kept");
	sl_state_free(&st2);
	sl_state_free(&st);

	/* A corrupt file: the message names the file, the line and the fix. */
	write_file(path, HDR NET_A "network b id=2 subnet=10.1.0.300/24 gateway=10.1.0.1\n");
	sl_err_clear();
	SL_ASSERT_EQ(sl_state_load(path, &st), -EINVAL, "corrupt file");
	SL_ASSERT(state_empty(&st), "corrupt: empty state");
	msg = sl_err_msg();
	SL_ASSERT(msg && strstr(msg, path), "message names the file");
	SL_ASSERT(msg && strstr(msg, "line 3: network b: bad subnet \"10.1.0.300/24\""),
		  "and the line");
	SL_ASSERT(msg && strstr(msg, "sluice down --purge"), "and the fix");

	/* Larger than the cap (a sparse file): refused, naming the file. */
	{
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

		SL_ASSERT(fd >= 0 && ftruncate(fd, (off_t)SL_STATE_FILE_MAX + 1) == 0, "big file");
		if (fd >= 0)
			close(fd);
	}
	sl_err_clear();
	SL_ASSERT_EQ(sl_state_load(path, &st), -EFBIG, "too big");
	SL_ASSERT(state_empty(&st), "too big: empty state");
	msg = sl_err_msg();
	SL_ASSERT(msg && strstr(msg, path), "message names the file");

	/* Not a file: the message names it. */
	unlink(path);
	SL_ASSERT_EQ(mkdir(path, 0700), 0, "a directory in the way");
	sl_err_clear();
	SL_ASSERT(sl_state_load(path, &st) < 0, "directory refused");
	msg = sl_err_msg();
	SL_ASSERT(msg && strstr(msg, path), "message names the path");
	rmdir(path);

	/* Unreadable (only meaningful without CAP_DAC_OVERRIDE). */
	if (geteuid() != 0) {
		write_file(path, real);
		chmod(path, 0);
		sl_err_clear();
		SL_ASSERT_EQ(sl_state_load(path, &st), -EACCES, "unreadable");
		msg = sl_err_msg();
		SL_ASSERT(msg && strstr(msg, path), "message names the file");
	}

	/* A relative path with no directory part saves into the cwd. */
	{
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) && chdir(sub) == 0) {
			sl_state_init(&st);
			SL_ASSERT_EQ(sl_state_save("rel", &st), 0, "relative path");
			SL_ASSERT(access("rel", F_OK) == 0, "written in cwd");
			SL_ASSERT(chdir(cwd) == 0, "chdir back");
		}
	}
	sl_err_clear();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	SL_RUN(parse_real);
	SL_RUN(round_trip);
	SL_RUN(build_and_round_trip);
	SL_RUN(validation_errors);
	SL_RUN(accepted_variants);
	SL_RUN(port_conflicts);
	SL_RUN(nul_bytes);
	SL_RUN(truncated_everywhere);
	SL_RUN(garbage);
	SL_RUN(limits);
	SL_RUN(add_del_keep_order);
	SL_RUN(next_network_id);
	SL_RUN(next_port_id);
	SL_RUN(ports_10k);
	SL_RUN(save_load);
	return sl_test_summary("test_state");
}
