// SPDX-License-Identifier: BSD-2-Clause
/*
 * sockprobe.c - a tiny socket probe for the published-port integration tests
 * (tests/integration/test_ports.sh, test_icmp.sh). What nc cannot show: the
 * address getpeername()/recvfrom() report, the errno of a refused bind(),
 * which source address a server saw, the error an ICMP message raised on a
 * connected socket, and how many bytes a bulk transfer delivered in time.
 *
 *   sockprobe ADDR PORT tcp|udp [MESSAGE]
 *       TCP: connect (3 s bound), send "MESSAGE\n", print the line received
 *       and getpeername(). UDP: an unconnected socket, sendto(), recvfrom()
 *       (retried 3 times, 1 s each), print the line and the recvfrom source.
 *       ADDR is IPv4 or IPv6 (::ffff:a.b.c.d for IPv4-mapped). Output:
 *           reply <the line the server sent>
 *           peer <address> <port>
 *       Exit 0 when a reply arrived, 1 otherwise (the reason on stderr).
 *   sockprobe serve tcp|udp NAME PORT...
 *       Listen on 0.0.0.0:PORT for each PORT; answer every line (one per TCP
 *       connection, one per datagram) with "NAME SRC_ADDR:SRC_PORT LINE",
 *       where SRC is the peer the server sees. Runs until killed.
 *   sockprobe bind ADDR PORT tcp|udp
 *       bind() (and listen() for TCP) and report "bound" or "error ERRNONAME"
 *       (e.g. EPERM). Exit 0 when bound, 1 otherwise.
 *   sockprobe udpconn ADDR PORT [MESSAGE]
 *       A connected UDP socket: send "MESSAGE\n", wait 1 s for an answer,
 *       3 times. Only a connected socket learns of an ICMP error the kernel
 *       matched to it (port unreachable: ECONNREFUSED). Prints one of
 *           reply <the line the server sent>
 *           error <ERRNO NAME>         (from send() or recv())
 *           timeout
 *       Exit 0 when a reply arrived, 1 otherwise.
 *   sockprobe bulkserve PORT BYTES
 *       Listen on 0.0.0.0:PORT/tcp; send every connection BYTES bytes, then
 *       close. Each connection gets a child bounded to 30 s, which dies with
 *       the server. Runs until killed.
 *   sockprobe bulkget ADDR PORT SECS
 *       Connect (3 s bound) and read until EOF or SECS seconds pass. Prints
 *           bytes <count received>
 *           eof | timeout | error <ERRNO NAME>
 *       Exit 0 at EOF, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS    64
#define LINE_MAX_LEN 512

static int usage(void)
{
	fprintf(stderr, "usage: sockprobe ADDR PORT tcp|udp [MESSAGE]\n"
			"       sockprobe serve tcp|udp NAME PORT...\n"
			"       sockprobe bind ADDR PORT tcp|udp\n"
			"       sockprobe udpconn ADDR PORT [MESSAGE]\n"
			"       sockprobe bulkserve PORT BYTES\n"
			"       sockprobe bulkget ADDR PORT SECS\n");
	return 2;
}

static int parse_proto(const char *s, int *type)
{
	if (!strcmp(s, "tcp"))
		*type = SOCK_STREAM;
	else if (!strcmp(s, "udp"))
		*type = SOCK_DGRAM;
	else
		return -1;
	return 0;
}

static int parse_port(const char *s, unsigned short *port)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

/* IPv4 or IPv6 text into a sockaddr; returns its length or 0. */
static socklen_t parse_addr(const char *s, unsigned short port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	return 0;
}

static void fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len, unsigned *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, buf, len);
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len);
		*port = ntohs(sin6->sin6_port);
	} else {
		snprintf(buf, len, "family-%d", ss->ss_family);
		*port = 0;
	}
}

static void set_timeout(int fd, int secs)
{
	struct timeval tv = {.tv_sec = secs};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * A socket of type for ADDR:PORT, that address in dst and dlen: the fd; -2
 * for a bad address or port (the caller shows the usage); -1 when socket()
 * failed (said on stderr).
 */
static int addr_socket(const char *addr, const char *port_s, int type, struct sockaddr_storage *dst,
		       socklen_t *dlen)
{
	unsigned short port;
	int fd;

	if (parse_port(port_s, &port))
		return -2;
	*dlen = parse_addr(addr, port, dst);
	if (!*dlen)
		return -2;
	fd = socket(dst->ss_family, type, 0);
	if (fd < 0)
		perror("sockprobe: socket");
	return fd;
}

/* connect() bounded by secs; 0 or -errno. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int secs)
{
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t elen = sizeof(err);
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, len) == 0)
		goto done;
	if (errno != EINPROGRESS)
		return -errno;
	if (poll(&p, 1, secs * 1000) <= 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -errno;
	if (err)
		return -err;
done:
	fcntl(fd, F_SETFL, flags);
	return 0;
}

/* Read up to a newline (not kept) or EOF; returns the length or -1. */
static ssize_t read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

static int probe(const char *addr, const char *port_s, const char *proto, const char *msg)
{
	struct sockaddr_storage dst, peer;
	socklen_t dlen, plen = sizeof(peer);
	char line[LINE_MAX_LEN], out[LINE_MAX_LEN + 2], pbuf[INET6_ADDRSTRLEN];
	unsigned pport;
	int type, fd, err;
	ssize_t n = -1;

	if (parse_proto(proto, &type))
		return usage();
	fd = addr_socket(addr, port_s, type, &dst, &dlen);
	if (fd == -2)
		return usage();
	if (fd < 0)
		return 1;
	snprintf(out, sizeof(out), "%s\n", msg);
	set_timeout(fd, type == SOCK_STREAM ? 3 : 1);
	if (type == SOCK_STREAM) {
		err = connect_timeout(fd, (struct sockaddr *)&dst, dlen, 3);
		if (err) {
			fprintf(stderr, "sockprobe: connect %s %s/tcp: %s\n", addr, port_s,
				strerror(-err));
			return 1;
		}
		if (write(fd, out, strlen(out)) < 0) {
			perror("sockprobe: write");
			return 1;
		}
		n = read_line(fd, line, sizeof(line));
		if (n <= 0) {
			fprintf(stderr, "sockprobe: no reply from %s %s/tcp%s%s\n", addr, port_s,
				n < 0 ? ": " : " (EOF)", n < 0 ? strerror(errno) : "");
			return 1;
		}
		if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) {
			perror("sockprobe: getpeername");
			return 1;
		}
	} else {
		for (int i = 0; i < 3 && n <= 0; i++) {
			if (sendto(fd, out, strlen(out), 0, (struct sockaddr *)&dst, dlen) < 0) {
				perror("sockprobe: sendto");
				return 1;
			}
			plen = sizeof(peer);
			n = recvfrom(fd, line, sizeof(line) - 1, 0, (struct sockaddr *)&peer,
				     &plen);
		}
		if (n <= 0) {
			fprintf(stderr, "sockprobe: no reply from %s %s/udp: %s\n", addr, port_s,
				n < 0 ? strerror(errno) : "empty datagram");
			return 1;
		}
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
	}
	fmt_addr(&peer, pbuf, sizeof(pbuf), &pport);
	printf("reply %s\npeer %s %u\n", line, pbuf, pport);
	close(fd);
	return 0;
}

static void answer(int fd, const char *name, const struct sockaddr_storage *from, socklen_t flen,
		   const char *line, int dgram)
{
	char buf[LINE_MAX_LEN + 128], abuf[INET6_ADDRSTRLEN];
	unsigned port;
	int n;

	fmt_addr(from, abuf, sizeof(abuf), &port);
	n = snprintf(buf, sizeof(buf), "%s %s:%u %s\n", name, abuf, port, line);
	if (n < 0 || n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (dgram)
		(void)!sendto(fd, buf, n, 0, (const struct sockaddr *)from, flen);
	else
		(void)!write(fd, buf, n);
}

static int serve(const char *proto, const char *name, int nports, char **ports)
{
	struct pollfd pfd[MAX_PORTS];
	int type, one = 1;

	if (parse_proto(proto, &type) || nports < 1 || nports > MAX_PORTS)
		return usage();
	for (int i = 0; i < nports; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		unsigned short port;

		if (parse_port(ports[i], &port))
			return usage();
		sin.sin_port = htons(port);
		pfd[i].fd = socket(AF_INET, type, 0);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0 ||
		    setsockopt(pfd[i].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(pfd[i].fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    (type == SOCK_STREAM && listen(pfd[i].fd, 64) < 0)) {
			fprintf(stderr, "sockprobe: serve %s/%s: %s\n", ports[i], proto,
				strerror(errno));
			return 1;
		}
	}
	for (;;) {
		if (poll(pfd, nports, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("sockprobe: poll");
			return 1;
		}
		for (int i = 0; i < nports; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			char line[LINE_MAX_LEN];

			if (!(pfd[i].revents & POLLIN))
				continue;
			if (type == SOCK_DGRAM) {
				ssize_t n = recvfrom(pfd[i].fd, line, sizeof(line) - 1, 0,
						     (struct sockaddr *)&from, &flen);

				if (n < 0)
					continue;
				line[n] = '\0';
				line[strcspn(line, "\n")] = '\0';
				answer(pfd[i].fd, name, &from, flen, line, 1);
			} else {
				int c = accept(pfd[i].fd, (struct sockaddr *)&from, &flen);

				if (c < 0)
					continue;
				/* One line per connection; a silent client costs at most 2 s. */
				set_timeout(c, 2);
				if (read_line(c, line, sizeof(line)) >= 0)
					answer(c, name, &from, flen, line, 0);
				close(c);
			}
		}
	}
}

static int try_bind(const char *addr, const char *port_s, const char *proto)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int type, fd;

	if (parse_proto(proto, &type))
		return usage();
	fd = addr_socket(addr, port_s, type, &ss, &len);
	if (fd == -2)
		return usage();
	if (fd < 0)
		return 1;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1) < 0)) {
		int e = errno;

		printf("error %s\n", e == EPERM	       ? "EPERM"
				     : e == EADDRINUSE ? "EADDRINUSE"
				     : e == EACCES     ? "EACCES"
						       : strerror(e));
		return 1;
	}
	printf("bound\n");
	close(fd);
	return 0;
}

/* The symbolic name of the errors the tests look for; strerror() otherwise. */
static const char *errno_name(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ENETUNREACH:
		return "ENETUNREACH";
	case ECONNRESET:
		return "ECONNRESET";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EMSGSIZE:
		return "EMSGSIZE";
	case EPERM:
		return "EPERM";
	default:
		return strerror(e);
	}
}

static int udpconn(const char *addr, const char *port_s, const char *msg)
{
	struct sockaddr_storage dst;
	char line[LINE_MAX_LEN], out[LINE_MAX_LEN + 2];
	socklen_t dlen;
	int fd;

	fd = addr_socket(addr, port_s, SOCK_DGRAM, &dst, &dlen);
	if (fd == -2)
		return usage();
	if (fd < 0)
		return 1;
	snprintf(out, sizeof(out), "%s\n", msg);
	set_timeout(fd, 1);
	if (connect(fd, (struct sockaddr *)&dst, dlen) < 0) {
		printf("error %s\n", errno_name(errno));
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		ssize_t n;

		/* A pending ICMP error may surface on send() as well as recv(). */
		if (send(fd, out, strlen(out), 0) < 0) {
			printf("error %s\n", errno_name(errno));
			return 1;
		}
		n = recv(fd, line, sizeof(line) - 1, 0);
		if (n >= 0) {
			line[n] = '\0';
			line[strcspn(line, "\n")] = '\0';
			printf("reply %s\n", line);
			close(fd);
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			printf("error %s\n", errno_name(errno));
			return 1;
		}
	}
	printf("timeout\n");
	return 1;
}

/* One connection of bulkserve: BYTES bytes, then close (the kernel sends the rest and FIN). */
static void bulk_send(int c, unsigned long bytes)
{
	char buf[16384];

	memset(buf, 'x', sizeof(buf));
	/* A black-holed path must not keep the child: at most 30 s, each write 20 s. */
	alarm(30);
	set_timeout(c, 20);
	while (bytes > 0) {
		size_t chunk = bytes < sizeof(buf) ? bytes : sizeof(buf);
		ssize_t n = write(c, buf, chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		bytes -= (unsigned long)n;
	}
	close(c);
}

static int bulkserve(const char *port_s, const char *bytes_s)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	unsigned long bytes;
	unsigned short port;
	char *end;
	pid_t server = getpid();
	int fd, one = 1;

	bytes = strtoul(bytes_s, &end, 10);
	if (parse_port(port_s, &port) || !*bytes_s || *end)
		return usage();
	sin.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "sockprobe: bulkserve %s/tcp: %s\n", port_s, strerror(errno));
		return 1;
	}
	/* Children reap themselves; one stuck transfer never delays the next. */
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		pid_t pid;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("sockprobe: accept");
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			/* Dies with the server, which the tests stop by its PID. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != server)
				_exit(0);
			close(fd);
			bulk_send(c, bytes);
			_exit(0);
		}
		if (pid < 0)
			perror("sockprobe: fork");
		close(c);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int bulkget(const char *addr, const char *port_s, const char *secs_s)
{
	struct sockaddr_storage dst;
	unsigned long long got = 0;
	long long deadline;
	socklen_t dlen;
	char buf[65536], *end;
	unsigned long secs;
	int fd, err;

	secs = strtoul(secs_s, &end, 10);
	if (!*secs_s || *end || secs == 0 || secs > 3600)
		return usage();
	fd = addr_socket(addr, port_s, SOCK_STREAM, &dst, &dlen);
	if (fd == -2)
		return usage();
	if (fd < 0)
		return 1;
	deadline = now_ms() + (long long)secs * 1000;
	err = connect_timeout(fd, (struct sockaddr *)&dst, dlen, 3);
	if (err) {
		printf("bytes 0\nerror %s\n", errno_name(-err));
		return 1;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			printf("bytes %llu\ntimeout\n", got);
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			printf("bytes %llu\nerror %s\n", got, errno_name(errno));
			return 1;
		}
		if (n == 0)
			break;
		got += (unsigned long long)n;
	}
	printf("bytes %llu\neof\n", got);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3], argc - 4, argv + 4);
	if (argc == 5 && !strcmp(argv[1], "bind"))
		return try_bind(argv[2], argv[3], argv[4]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "udpconn"))
		return udpconn(argv[2], argv[3], argc == 5 ? argv[4] : "hello");
	if (argc == 4 && !strcmp(argv[1], "bulkserve"))
		return bulkserve(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "bulkget"))
		return bulkget(argv[2], argv[3], argv[4]);
	if (argc == 4 || argc == 5)
		return probe(argv[1], argv[2], argv[3], argc == 5 ? argv[4] : "hello");
	return usage();
}
