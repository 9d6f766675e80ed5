// SPDX-License-Identifier: BSD-2-Clause
/*
 * udpsink.c - the bench's UDP packet-rate receiver: counts the datagrams
 * that reach a server (the container) with recvmmsg(2), nothing else.
 *
 *   udpsink -p PORT [-a ADDR] [-t MAX_SECONDS] [-i IDLE_SECONDS] [-r RCVBUF]
 *       binds ADDR:PORT (default 0.0.0.0), receives until IDLE_SECONDS have
 *       passed without a datagram after the first one, or MAX_SECONDS in
 *       all, or SIGINT/SIGTERM; prints one line:
 *       received=N bytes=B pps=X active_s=T
 *       (pps = N over the time from the first to the last datagram).
 *
 * Started for one measurement and stopped after it, so the count belongs
 * to that measurement alone. RCVBUF (bytes, default 8 MiB, set with
 * SO_RCVBUFFORCE when root) keeps short scheduling gaps of the sink from
 * turning into socket-buffer drops: the loss the bench reports is the
 * path's, as far as a buffer can make it so.
 *
 * Exit status: 0 datagrams were received, 1 none (or a socket error), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define US_BATCH       64
#define US_BUF	       2048
#define US_MAX_SECONDS 3600
#define US_POLL_MS     50 /* receive timeout: how often the stop conditions are checked */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "Usage: udpsink -p PORT [-a ADDR] [-t MAX_SECONDS] [-i IDLE_SECONDS] [-r "
			"RCVBUF]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static char bufs[US_BATCH][US_BUF];
	static struct mmsghdr msgs[US_BATCH];
	static struct iovec iov[US_BATCH];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct timeval tv = {.tv_usec = US_POLL_MS * 1000};
	struct sigaction act = {.sa_handler = on_signal};
	double max_s = 60, idle_s = 0.5, start, first = 0, last = 0, t;
	unsigned long long n = 0, bytes = 0;
	const char *addr = NULL;
	int port = 0, rcvbuf = 8 << 20, fd, c;

	tool_name = "udpsink";
	while ((c = getopt(argc, argv, "a:p:t:i:r:h")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (int)num_arg(optarg, 1, 65535, "port");
			break;
		case 't':
			max_s = num_arg(optarg, 0.1, US_MAX_SECONDS, "seconds");
			break;
		case 'i':
			idle_s = num_arg(optarg, 0.05, US_MAX_SECONDS, "idle seconds");
			break;
		case 'r':
			rcvbuf = (int)num_arg(optarg, 4096, 1 << 30, "receive buffer");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !port)
		usage();
	sa.sin_port = htons((uint16_t)port);
	if (addr && inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "udpsink: bad address %s\n", addr);
		return 2;
	}
	/* No SA_RESTART: a signal ends a blocked recvmmsg with EINTR. */
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "udpsink: socket: %s\n", strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "udpsink: bind %s:%d: %s\n", addr ? addr : "0.0.0.0", port,
			strerror(errno));
		return 1;
	}
	for (int i = 0; i < US_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = US_BUF;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now_s();
	while (!stop) {
		int got = recvmmsg(fd, msgs, US_BATCH, MSG_WAITFORONE, NULL);

		t = now_s();
		if (got > 0) {
			if (!n)
				first = t;
			last = t;
			n += (unsigned long long)got;
			for (int i = 0; i < got; i++)
				bytes += msgs[i].msg_len;
		} else if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			fprintf(stderr, "udpsink: recvmmsg: %s\n", strerror(errno));
			break;
		}
		if (t - start >= max_s || (n && t - last >= idle_s))
			break;
	}
	t = last - first;
	printf("received=%llu bytes=%llu pps=%.0f active_s=%.3f\n", n, bytes, t > 0 ? n / t : 0.0,
	       t);
	fflush(stdout);
	return n ? 0 : 1;
}
