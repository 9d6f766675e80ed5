// SPDX-License-Identifier: BSD-2-Clause
/*
 * xdpgen.c - the bench's line-rate UDP source: frames handed to a veth the
 * way a NIC hands them to its driver, without a socket or an skb on the
 * sending side, so the receiving side's datapath is what runs out of CPU.
 *
 *   xdpgen -i IFACE -m DST_MAC -a DST_ADDR -p PORT [-t SECONDS] [-f FLOWS]
 *          [-s SIZE] [-b BATCH]
 *       sends UDP/IPv4 frames of SIZE payload bytes from IFACE's first IPv4
 *       address and MAC to DST_ADDR:PORT at DST_MAC, source ports rotating
 *       over FLOWS flows, for SECONDS; prints one line:
 *       sent=N pps=X seconds=T flows=F size=S
 *
 * It runs xdpgen.bpf.c with BPF_PROG_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES, Linux 5.18): XDP_TX from there transmits on
 * IFACE with ndo_xdp_xmit, which on a veth queues the frame on the peer's
 * NAPI ring. The peer must have NAPI: an XDP program attached, or GRO on
 * (ethtool -K PEER gro on). "sent" counts frames the program emitted; a
 * frame the peer's ring had no room for is counted there, not here (the
 * receiver's count is the measurement).
 *
 * Exit status: 0 ok, 1 error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tool.h"
#include "xdpgen.skel.h"

#define XG_HDR_LEN     42
#define XG_MAX_SIZE    1472
#define XG_MAX_FLOWS   65535
#define XG_SPORT_BASE  10000
#define XG_MAX_SECONDS 3600
#define XG_REPEAT      (1u << 16) /* frames per BPF_PROG_RUN call */
#define XG_SLOT_S      0.001	  /* with -r: one call per millisecond */

static void usage(void)
{
	fprintf(stderr,
		"Usage: xdpgen -i IFACE -m DST_MAC -a DST_ADDR -p PORT [-t SECONDS] [-f FLOWS] "
		"[-s SIZE] [-b BATCH]\n");
	exit(2);
}

static uint16_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

/* IFACE's MAC and first IPv4 address. */
static int iface_addrs(const char *ifname, uint8_t mac[6], struct in_addr *ip)
{
	struct ifaddrs *ifa, *i;
	struct ifreq ifr = {0};
	int fd, found = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i && !found; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, ifname)) {
			*ip = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			found = 1;
		}
	freeifaddrs(ifa);
	if (!found)
		errno = EADDRNOTAVAIL;
	return found ? 0 : -1;
}

int main(int argc, char **argv)
{
	static uint8_t frame[XG_HDR_LEN + XG_MAX_SIZE];
	const char *ifname = NULL, *dst_mac = NULL, *dst_addr = NULL;
	double seconds = 5, rate = 0, start, t;
	int port = 0, flows = 64, batch = 64, c, err;
	size_t size = 64, len;
	uint8_t smac[6], dmac[6];
	struct in_addr saddr, daddr;
	struct xdpgen_bpf *skel;
	unsigned long long sent = 0;
	uint32_t sum;
	uint16_t ulen, ipcs, ucs;
	unsigned int ifindex;

	tool_name = "xdpgen";
	while ((c = getopt(argc, argv, "i:m:a:p:t:f:s:b:r:")) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			dst_mac = optarg;
			break;
		case 'a':
			dst_addr = optarg;
			break;
		case 'p':
			port = num_arg(optarg, 1, 65535, "port");
			break;
		case 't':
			seconds = num_arg(optarg, 0.1, XG_MAX_SECONDS, "seconds");
			break;
		case 'f':
			flows = num_arg(optarg, 1, XG_MAX_FLOWS - XG_SPORT_BASE, "flows");
			break;
		case 's':
			size = num_arg(optarg, 1, XG_MAX_SIZE, "size");
			break;
		case 'b':
			batch = num_arg(optarg, 1, 256, "batch");
			break;
		case 'r':
			rate = num_arg(optarg, 1000, 100e6, "rate");
			break;
		default:
			usage();
		}
	}
	if (!ifname || !dst_mac || !dst_addr || !port || optind != argc)
		usage();
	if (parse_mac(dst_mac, dmac) < 0) {
		fprintf(stderr, "xdpgen: bad MAC address '%s' (want xx:xx:xx:xx:xx:xx)\n", dst_mac);
		return 2;
	}
	if (inet_pton(AF_INET, dst_addr, &daddr) != 1) {
		fprintf(stderr, "xdpgen: bad IPv4 address '%s'\n", dst_addr);
		return 2;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex || iface_addrs(ifname, smac, &saddr) < 0) {
		fprintf(stderr,
			"xdpgen: interface %s: %s (an interface of this network namespace, "
			"with an IPv4 address)\n",
			ifname, strerror(errno));
		return 1;
	}

	/* The template: Ethernet, IPv4 (no options, DF), UDP, zero payload. */
	len = XG_HDR_LEN + size;
	ulen = 8 + size;
	memcpy(frame, dmac, 6);
	memcpy(frame + 6, smac, 6);
	frame[12] = 0x08, frame[13] = 0x00;
	frame[14] = 0x45;
	*(uint16_t *)(frame + 16) = htons(20 + ulen);
	frame[20] = 0x40; /* DF */
	frame[22] = 64;	  /* TTL */
	frame[23] = IPPROTO_UDP;
	memcpy(frame + 26, &saddr, 4);
	memcpy(frame + 30, &daddr, 4);
	ipcs = ~csum_add(0, frame + 14, 20);
	*(uint16_t *)(frame + 24) = htons(ipcs);
	*(uint16_t *)(frame + 34) = htons(XG_SPORT_BASE);
	*(uint16_t *)(frame + 36) = htons(port);
	*(uint16_t *)(frame + 38) = htons(ulen);
	/* UDP checksum: pseudo-header (addresses, protocol, length) + UDP. */
	sum = csum_add(0, frame + 26, 8) + IPPROTO_UDP + ulen;
	ucs = ~csum_add(sum, frame + 34, ulen);
	if (!ucs)
		ucs = 0xffff;
	*(uint16_t *)(frame + 40) = htons(ucs);

	skel = xdpgen_bpf__open();
	if (!skel) {
		fprintf(stderr, "xdpgen: opening the BPF program: %s\n", strerror(errno));
		return 1;
	}
	memcpy((void *)skel->rodata->xg_hdr, frame, sizeof(skel->rodata->xg_hdr));
	skel->rodata->xg_sport_base = XG_SPORT_BASE;
	skel->rodata->xg_csum_base = htons(ucs);
	skel->rodata->xg_flows = flows;
	err = xdpgen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xdpgen: loading the BPF program: %s\n", strerror(-err));
		xdpgen_bpf__destroy(skel);
		return 1;
	}

	struct xdp_md ctx_in = {.data_end = len, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in), .repeat = XG_REPEAT,
		    .batch_size = batch, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	int prog_fd = bpf_program__fd(skel->progs.xdpgen);

	/* With a rate: XG_SLOT_S worth of frames per call, then a sleep to the next slot. */
	if (rate)
		opts.repeat = rate * XG_SLOT_S;
	start = now_s();
	do {
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err) {
			fprintf(stderr, "xdpgen: BPF_PROG_RUN (live frames) on %s: %s\n", ifname,
				strerror(errno));
			xdpgen_bpf__destroy(skel);
			return 1;
		}
		sent += opts.repeat;
		t = now_s() - start;
		if (rate && sent / rate > t) {
			struct timespec ts = {0, (long)((sent / rate - t) * 1e9)};

			nanosleep(&ts, NULL);
			t = now_s() - start;
		}
	} while (t < seconds);
	printf("sent=%llu pps=%.0f seconds=%.3f flows=%d size=%zu\n", sent, sent / t, t, flows,
	       size);
	xdpgen_bpf__destroy(skel);
	return 0;
}
