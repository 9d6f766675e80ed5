// SPDX-License-Identifier: BSD-2-Clause
/*
 * connrate.c - the bench's own TCP load tool: new connections per second
 * (the cost of setting up and tearing down a flow on each path) and 1-byte
 * request/response latency (sockperf's messages are at least 14 bytes).
 *
 *   connrate server -p PORT [-a ADDR] [-m close|echo] [-s SIZE] [-w THREADS]
 *       close: per connection, read a SIZE-byte request, write a SIZE-byte
 *              reply, close (the server closes first, as HTTP/1.0 does, so
 *              TIME_WAIT stays on the server and the client never runs out
 *              of ephemeral ports);
 *       echo:  per connection, send back every byte until the peer closes.
 *   connrate client -a ADDR -p PORT [-t SECONDS] [-c WORKERS] [-s SIZE]
 *       K workers loop connect / write SIZE / read the reply until EOF /
 *       close for SECONDS; prints one line:
 *       conn_per_s=X conns=N errors=E seconds=T workers=K size=S
 *   connrate rr -a ADDR -p PORT [-t SECONDS] [-s SIZE] [-W WARMUP_S]
 *       one connection (TCP_NODELAY) to an echo server, write SIZE bytes and
 *       read SIZE bytes back, timing each round trip; the first WARMUP_S
 *       seconds are discarded; prints one line:
 *       rtt_avg_us=A rtt_p50_us=M rtt_p99_us=P rtt_min_us=L rtt_max_us=H samples=N size=S
 *
 * Exit status: 0 ok, 1 the run failed (nothing measured, or no server),
 * 2 usage. Every wait is bounded: sockets get 2 s send/receive timeouts, so
 * a path that drops packets shows up as errors, not as a hung benchmark.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CR_IO_TIMEOUT_S 2
#define CR_MAX_SIZE	65536
#define CR_MAX_WORKERS	256
#define CR_BACKLOG	4096
#define CR_MAX_SECONDS	3600

struct opts {
	const char *addr;
	int port;
	double seconds;
	double warmup;
	int workers;
	size_t size;
	bool echo;
};

static struct opts o = {
	.addr = NULL,
	.port = 0,
	.seconds = 5,
	.warmup = 0.2,
	.workers = 4,
	.size = 1,
	.echo = false,
};

static struct sockaddr_in dst;
static double deadline; /* CLOCK_MONOTONIC seconds: the client's end */
static atomic_ulong n_conns, n_errors;

static void usage(void)
{
	fprintf(stderr,
		"Usage: connrate server -p PORT [-a ADDR] [-m close|echo] [-s SIZE] [-w THREADS]\n"
		"       connrate client -a ADDR -p PORT [-t SECONDS] [-c WORKERS] [-s SIZE]\n"
		"       connrate rr -a ADDR -p PORT [-t SECONDS] [-s SIZE] [-W WARMUP_S]\n");
	exit(2);
}

static void set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = CR_IO_TIMEOUT_S};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Write all of buf; 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes; 0, or -1 on error, timeout or early EOF. */
static int read_all(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- server ---- */

static int listen_fd = -1;

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg, one = 1;
	char buf[CR_MAX_SIZE];
	ssize_t n;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(fd, buf, (size_t)n))
			break;
	}
	close(fd);
	return NULL;
}

/* close mode: one request, one reply, the server closes first. */
static void *close_worker(void *arg)
{
	char *buf = malloc(o.size);

	(void)arg;
	if (!buf)
		return NULL;
	memset(buf, 'r', o.size);
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				continue;
			break;
		}
		set_timeouts(fd);
		if (read_all(fd, buf, o.size) == 0)
			write_all(fd, buf, o.size);
		close(fd);
	}
	free(buf);
	return NULL;
}

static int run_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	int one = 1;

	if (o.addr && inet_pton(AF_INET, o.addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "connrate: bad address %s\n", o.addr);
		return 2;
	}
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(listen_fd, CR_BACKLOG)) {
		fprintf(stderr, "connrate: listen on %s:%d: %s\n", o.addr ? o.addr : "0.0.0.0",
			o.port, strerror(errno));
		return 1;
	}
	if (o.echo) {
		for (;;) {
			pthread_attr_t at;
			pthread_t t;
			int fd = accept(listen_fd, NULL, NULL);

			if (fd < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				sleep(1); /* out of fds or memory: do not spin */
				continue;
			}
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			pthread_attr_setstacksize(&at, 256 * 1024);
			if (pthread_create(&t, &at, echo_conn, (void *)(intptr_t)fd))
				close(fd);
			pthread_attr_destroy(&at);
		}
	}
	pthread_t t[CR_MAX_WORKERS];

	for (int i = 0; i < o.workers; i++)
		if (pthread_create(&t[i], NULL, close_worker, NULL)) {
			fprintf(stderr, "connrate: start worker: %s\n", strerror(errno));
			return 1;
		}
	for (int i = 0; i < o.workers; i++)
		pthread_join(t[i], NULL);
	return 1;
}

/* ---- client (connection rate) ---- */

static void *client_worker(void *arg)
{
	char *buf = malloc(o.size), sink[CR_MAX_SIZE];

	(void)arg;
	if (!buf)
		return NULL;
	memset(buf, 'q', o.size);
	while (now_s() < deadline) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		size_t got = 0;
		ssize_t n;
		bool ok = false;

		if (fd < 0) {
			atomic_fetch_add(&n_errors, 1);
			usleep(1000);
			continue;
		}
		set_timeouts(fd);
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0 &&
		    write_all(fd, buf, o.size) == 0) {
			/* The reply, then EOF: the server closed first. */
			for (;;) {
				n = read(fd, sink, sizeof(sink));
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				got += (size_t)n;
			}
			ok = n == 0 && got == o.size;
		}
		close(fd);
		atomic_fetch_add(ok ? &n_conns : &n_errors, 1);
	}
	free(buf);
	return NULL;
}

static int run_client(void)
{
	pthread_t t[CR_MAX_WORKERS];
	double start, elapsed;
	unsigned long conns, errs;

	start = now_s();
	deadline = start + o.seconds;
	for (int i = 0; i < o.workers; i++)
		if (pthread_create(&t[i], NULL, client_worker, NULL)) {
			fprintf(stderr, "connrate: start worker: %s\n", strerror(errno));
			return 1;
		}
	for (int i = 0; i < o.workers; i++)
		pthread_join(t[i], NULL);
	elapsed = now_s() - start;
	conns = atomic_load(&n_conns);
	errs = atomic_load(&n_errors);
	printf("conn_per_s=%.1f conns=%lu errors=%lu seconds=%.3f workers=%d size=%zu\n",
	       conns / elapsed, conns, errs, elapsed, o.workers, o.size);
	return conns ? 0 : 1;
}

/* ---- rr (request/response latency on one connection) ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

static int run_rr(void)
{
	char *buf = malloc(o.size), *in = malloc(o.size);
	size_t cap = 1 << 16, n = 0;
	double *rtt = malloc(cap * sizeof(*rtt));
	double start, t0, t1, sum = 0;
	int fd, one = 1;

	if (!buf || !in || !rtt) {
		fprintf(stderr, "connrate: out of memory\n");
		return 1;
	}
	memset(buf, 'p', o.size);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	set_timeouts(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		fprintf(stderr, "connrate: connect %s:%d: %s\n", o.addr, o.port, strerror(errno));
		return 1;
	}
	start = now_s();
	deadline = start + o.warmup + o.seconds;
	for (t0 = start; t0 < deadline; t0 = t1) {
		if (write_all(fd, buf, o.size) || read_all(fd, in, o.size)) {
			fprintf(stderr, "connrate: round trip %zu failed: %s\n", n,
				errno ? strerror(errno) : "connection closed");
			return 1;
		}
		t1 = now_s();
		if (t0 - start < o.warmup)
			continue;
		if (n == cap) {
			double *r = realloc(rtt, 2 * cap * sizeof(*rtt));

			if (!r)
				break;
			rtt = r;
			cap *= 2;
		}
		rtt[n++] = (t1 - t0) * 1e6;
		sum += (t1 - t0) * 1e6;
	}
	close(fd);
	if (!n) {
		fprintf(stderr, "connrate: no round trip measured\n");
		return 1;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	printf("rtt_avg_us=%.3f rtt_p50_us=%.3f rtt_p99_us=%.3f rtt_min_us=%.3f rtt_max_us=%.3f "
	       "samples=%zu size=%zu\n",
	       sum / (double)n, pct(rtt, n, 50), pct(rtt, n, 99), rtt[0], rtt[n - 1], n, o.size);
	free(rtt);
	free(buf);
	free(in);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode;
	int c;

	tool_name = "connrate";
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "a:p:t:c:s:w:W:m:")) != -1) {
		switch (c) {
		case 'a':
			o.addr = optarg;
			break;
		case 'p':
			o.port = (int)num_arg(optarg, 1, 65535, "port");
			break;
		case 't':
			o.seconds = num_arg(optarg, 0.01, CR_MAX_SECONDS, "seconds");
			break;
		case 'W':
			o.warmup = num_arg(optarg, 0, CR_MAX_SECONDS, "warm-up seconds");
			break;
		case 'c':
		case 'w':
			o.workers = (int)num_arg(optarg, 1, CR_MAX_WORKERS, "worker count");
			break;
		case 's':
			o.size = (size_t)num_arg(optarg, 1, CR_MAX_SIZE, "size");
			break;
		case 'm':
			if (!strcmp(optarg, "echo"))
				o.echo = true;
			else if (!strcmp(optarg, "close"))
				o.echo = false;
			else
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o.port)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "server"))
		return run_server();
	if (!o.addr)
		usage();
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "connrate: bad address %s\n", o.addr);
		return 2;
	}
	if (!strcmp(mode, "client"))
		return run_client();
	if (!strcmp(mode, "rr"))
		return run_rr();
	usage();
	return 2;
}
