// SPDX-License-Identifier: BSD-2-Clause
/*
 * udpflood.c - the bench's UDP packet-rate sender: small datagrams as fast
 * as one thread can send them, spread over many flows (one socket, one
 * source port each), so that per-flow state (conntrack, sluice's NAT table,
 * docker-proxy's per-client sockets) is exercised as with many clients.
 *
 *   udpflood -a ADDR -p PORT [-t SECONDS] [-f FLOWS] [-s SIZE] [-b BATCH]
 *       FLOWS connected UDP sockets (ephemeral source ports) to ADDR:PORT;
 *       round robin, BATCH datagrams of SIZE bytes per sendmmsg(2), for
 *       SECONDS; prints one line:
 *       sent=N pps=X errors=E seconds=T flows=F size=S batch=B
 *
 * The payload starts with the flow number and a sequence number (host
 * order; only for debugging with tcpdump). Send errors (ENOBUFS when a queue
 * is full, ECONNREFUSED after an ICMP port unreachable) are counted and the
 * loop goes on: what was not sent is not counted as sent.
 *
 * Exit status: 0 ok, 1 nothing could be sent, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define UF_MAX_FLOWS   1024
#define UF_MAX_BATCH   256
#define UF_MAX_SIZE    1472 /* one Ethernet frame, no fragments */
#define UF_MAX_SECONDS 3600

static void usage(void)
{
	fprintf(stderr,
		"Usage: udpflood -a ADDR -p PORT [-t SECONDS] [-f FLOWS] [-s SIZE] [-b BATCH]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static char bufs[UF_MAX_BATCH][UF_MAX_SIZE];
	static struct mmsghdr msgs[UF_MAX_BATCH];
	static struct iovec iov[UF_MAX_BATCH];
	static int fds[UF_MAX_FLOWS];
	struct sockaddr_in dst = {.sin_family = AF_INET};
	const char *addr = NULL;
	double seconds = 5, start, deadline, t;
	int port = 0, flows = 64, batch = 32, c;
	size_t size = 64;
	unsigned long long sent = 0, errs = 0;
	uint32_t seq = 0;

	tool_name = "udpflood";
	while ((c = getopt(argc, argv, "a:p:t:f:s:b:h")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (int)num_arg(optarg, 1, 65535, "port");
			break;
		case 't':
			seconds = num_arg(optarg, 0.01, UF_MAX_SECONDS, "seconds");
			break;
		case 'f':
			flows = (int)num_arg(optarg, 1, UF_MAX_FLOWS, "flow count");
			break;
		case 's':
			size = (size_t)num_arg(optarg, 8, UF_MAX_SIZE, "size");
			break;
		case 'b':
			batch = (int)num_arg(optarg, 1, UF_MAX_BATCH, "batch");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !addr || !port)
		usage();
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "udpflood: bad address %s\n", addr);
		return 2;
	}
	for (int i = 0; i < flows; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&dst, sizeof(dst))) {
			fprintf(stderr, "udpflood: socket %d to %s:%d: %s\n", i, addr, port,
				strerror(errno));
			return 1;
		}
	}
	for (int i = 0; i < batch; i++) {
		memset(bufs[i], 'u', size);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now_s();
	deadline = start + seconds;
	for (int f = 0;; f = (f + 1) % flows) {
		int n;

		if ((f & 7) == 0 && now_s() >= deadline)
			break;
		for (int i = 0; i < batch; i++) {
			uint32_t hdr[2] = {(uint32_t)f, seq++};

			memcpy(bufs[i], hdr, sizeof(hdr));
		}
		n = sendmmsg(fds[f], msgs, (unsigned int)batch, 0);
		if (n < 0) {
			errs++;
			/* A full queue: let the receiving side run before trying again. */
			if (errno == ENOBUFS || errno == EAGAIN)
				sched_yield();
			continue;
		}
		sent += (unsigned long long)n;
		if (n < batch)
			errs++;
	}
	t = now_s() - start;
	printf("sent=%llu pps=%.0f errors=%llu seconds=%.3f flows=%d size=%zu batch=%d\n", sent,
	       sent / t, errs, t, flows, size, batch);
	return sent ? 0 : 1;
}
