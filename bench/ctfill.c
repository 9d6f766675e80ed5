// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctfill.c - the bench's conntrack filler: puts synthetic flows into a live
 * instance's pinned conntrack map (sl_ct), so that forwarding can be measured
 * with 0, 100k or 1M tracked flows (bench/ctscale.sh).
 *
 *   ctfill fill MAP -n FLOWS -d HOST_IP:PORT -b BACKEND_IP:PORT [-f FIRST]
 *               [-p tcp|udp] [-c CLIENT_NET/LEN] [-s SVC_ID] [-i IFINDEX]
 *               [-m PEER_MAC] [-M HOST_MAC] [-B BATCH]
 *       adds flows FIRST .. FIRST+FLOWS-1 (FIRST 0 by default; a table filled
 *       progressively takes the next numbers), both entries of each exactly
 *       as the datapath writes them (bpf/lib/publish.h, sl_ct_create) for a
 *       client that reached the published HOST_IP:PORT and was DNATed to
 *       BACKEND_IP:PORT of mapping SVC_ID. The flows are ESTABLISHED, last
 *       seen now on bpf_ktime_get_coarse_ns()'s clock: TCP ones live 5 days, UDP
 *       ones 180 s. Flow i comes from client address NET + 1 + i / 64512,
 *       port 1024 + i % 64512; NET is 198.18.0.0/15 unless -c says otherwise,
 *       the range RFC 2544 sets aside for benchmarks, which no real client of
 *       the bench uses: no synthetic key can be a real flow's. The REPLY
 *       entry carries IFINDEX (the uplink) and the client's and our MAC, as a
 *       reply would use them (defaults 0, 02:00:00:00:00:01, :02). Refuses
 *       when the map cannot take the entries without evicting, and fails
 *       unless every entry written, and every earlier one, is there after.
 *   ctfill count MAP [-c CLIENT_NET/LEN]
 *   ctfill clear MAP [-c CLIENT_NET/LEN]
 *       count, or delete, the entries of the flows of clients in NET: ORIG
 *       entries from, REPLY entries to, an address in NET (the synthetic ones
 *       by default; the bench also clears its own client's closed flows
 *       between fill levels). `sluice down` drops everything with the map.
 *
 * Each mode prints one line of key=value pairs:
 *   fill:  flows=N entries=E seconds=T entries_per_s=R present=P total=A
 *          max_entries=M memlock=B batched=0|1
 *   count: flows=F entries=E total=A max_entries=M memlock=B seconds=T
 *   clear: deleted=E flows=F total=A max_entries=M memlock=B seconds=T
 * present and entries count the entries of NET's clients found in the map,
 * total every entry; memlock is the kernel's figure for the map (fdinfo),
 * in bytes. Writes and walks are batched (one system call per 8192 entries)
 * where the kernel can.
 *
 * Exit status: 0 ok, 1 failed, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "sluice_abi.h"
#include "tool.h"

#define CF_PORT_BASE   1024
#define CF_PORTS       (65536 - CF_PORT_BASE) /* client ports per client address */
#define CF_BATCH       8192		      /* entries per batch syscall */
#define CF_MAX_FLOWS   (8U << 20)	      /* 16M entries: sluice's --ct-max limit */
#define CF_DEFAULT_NET "198.18.0.0/15"
#define CF_ENOTSUPP    524 /* the kernel's ENOTSUPP: no batch operation for this map */

struct opts {
	unsigned long flows, first;
	__be32 host_addr, backend_addr;
	__be16 host_port, backend_port;
	__u8 proto;
	__u32 net, mask; /* client network, host order */
	__u32 svc_id, ifindex;
	__u8 peer_mac[6], host_mac[6];
	__u32 batch;
	bool have_dst, have_backend;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: ctfill fill MAP -n FLOWS -d HOST_IP:PORT -b BACKEND_IP:PORT [-f FIRST]\n"
		"                   [-p tcp|udp] [-c CLIENT_NET/LEN] [-s SVC_ID] [-i IFINDEX]\n"
		"                   [-m PEER_MAC] [-M HOST_MAC] [-B BATCH]\n"
		"       ctfill count MAP [-c CLIENT_NET/LEN]\n"
		"       ctfill clear MAP [-c CLIENT_NET/LEN]\n"
		"MAP is a pinned sl_ct, e.g. /sys/fs/bpf/sluice/INSTANCE/sl_ct.\n");
	exit(2);
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v <= max;
}

static bool parse_addr_port(const char *s, __be32 *addr, __be16 *port)
{
	char buf[64], *colon;
	unsigned long p;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	colon = strrchr(buf, ':');
	if (!colon)
		return false;
	*colon = '\0';
	if (inet_pton(AF_INET, buf, addr) != 1 || !parse_ulong(colon + 1, 65535, &p) || !p)
		return false;
	*port = htons(p);
	return true;
}

static bool parse_net(const char *s, __u32 *net, __u32 *mask)
{
	char buf[64], *slash;
	unsigned long len;
	struct in_addr a;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	/* At least /8 and at most /30: room for the network and one client. */
	if (inet_pton(AF_INET, buf, &a) != 1 || !parse_ulong(slash + 1, 30, &len) || len < 8)
		return false;
	*mask = ~0U << (32 - len);
	*net = ntohl(a.s_addr) & *mask;
	return true;
}

static bool parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return false;
		mac[i] = b[i];
	}
	return true;
}

static bool in_net(const struct opts *o, __be32 addr)
{
	return (ntohl(addr) & o->mask) == o->net;
}

/* A synthetic entry: ORIG from a client of the network, REPLY to one. */
static bool synthetic(const struct opts *o, const struct sl_ct_key *k)
{
	return k->dir == SL_CT_DIR_ORIG ? in_net(o, k->saddr) : in_net(o, k->daddr);
}

/* The kernel's memory figure for the map, from our fd's fdinfo (0 if absent). */
static unsigned long long memlock_of(int fd)
{
	unsigned long long v = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

struct walk {
	unsigned long total, synth;
	unsigned long in_range; /* synthetic entries of flows first .. first+flows-1 */
	bool collect;		/* keep the synthetic keys (clear) */
	struct sl_ct_key *keep; /* the synthetic keys found */
	size_t n_keep, cap_keep;
};

static bool no_batch(int err)
{
	return err == EINVAL || err == EOPNOTSUPP || err == CF_ENOTSUPP;
}

/* The synthetic flow number of an entry (ULONG_MAX: none of ours). */
static unsigned long flow_of(const struct opts *o, const struct sl_ct_key *k)
{
	__be32 client = k->dir == SL_CT_DIR_ORIG ? k->saddr : k->daddr;
	__u16 port = ntohs(k->dir == SL_CT_DIR_ORIG ? k->sport : k->dport);
	__u32 host = ntohl(client) - o->net;

	if (host == 0 || port < CF_PORT_BASE)
		return ULONG_MAX;
	return (unsigned long)(host - 1) * CF_PORTS + (port - CF_PORT_BASE);
}

/* Count one entry; collect its key when it is synthetic and asked for. */
static int visit(const struct opts *o, struct walk *w, const struct sl_ct_key *k)
{
	unsigned long f;

	w->total++;
	if (!synthetic(o, k))
		return 0;
	w->synth++;
	f = flow_of(o, k);
	if (f != ULONG_MAX && f >= o->first && f - o->first < o->flows)
		w->in_range++;
	if (!w->collect)
		return 0;
	if (w->n_keep == w->cap_keep) {
		size_t cap = w->cap_keep ? 2 * w->cap_keep : 65536;
		struct sl_ct_key *nk = realloc(w->keep, cap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		w->keep = nk;
		w->cap_keep = cap;
	}
	w->keep[w->n_keep++] = *k;
	return 0;
}

/*
 * Visit every entry with batched lookups (one syscall per CF_BATCH entries;
 * 2M entries one by one would take seconds). Falls back to get_next_key
 * where the kernel has no batch lookup for the map.
 */
static int walk_map(int fd, const struct opts *o, struct walk *w)
{
	struct sl_ct_key *keys = calloc(CF_BATCH, sizeof(*keys));
	struct sl_ct *vals = calloc(CF_BATCH, sizeof(*vals));
	__u64 in_tok = 0, out_tok = 0;
	bool first = true, done = false;
	int err = 0;

	w->total = w->synth = w->in_range = w->n_keep = 0;
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done && !err) {
		__u32 n = CF_BATCH;

		if (bpf_map_lookup_batch(fd, first ? NULL : &in_tok, &out_tok, keys, vals, &n,
					 NULL) < 0) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			done = true; /* the last batch: n holds what it returned */
		}
		first = false;
		in_tok = out_tok;
		for (__u32 i = 0; i < n && !err; i++)
			err = visit(o, w, &keys[i]);
	}
	if (err < 0 && first && no_batch(-err)) {
		/* No batch lookup for this map: the plain walk. */
		struct sl_ct_key k, next;
		void *prev = NULL;

		err = 0;
		while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			err = visit(o, w, &k);
		}
	}
out:
	free(keys);
	free(vals);
	return err;
}

/* Flow i: the two entries sl_ct_create writes for it. */
static void make_flow(const struct opts *o, unsigned long i, __u64 now, struct sl_ct_key *ok,
		      struct sl_ct *ov, struct sl_ct_key *rk, struct sl_ct *rv)
{
	__be32 client = htonl(o->net + 1 + (o->first + i) / CF_PORTS);
	__be16 cport = htons(CF_PORT_BASE + (o->first + i) % CF_PORTS);
	__u8 state = SL_CT_STATE_ESTABLISHED;

	memset(ok, 0, sizeof(*ok));
	memset(ov, 0, sizeof(*ov));
	memset(rk, 0, sizeof(*rk));
	memset(rv, 0, sizeof(*rv));
	*ok = (struct sl_ct_key){.saddr = client,
				 .daddr = o->host_addr,
				 .sport = cport,
				 .dport = o->host_port,
				 .proto = o->proto,
				 .dir = SL_CT_DIR_ORIG};
	*ov = (struct sl_ct){.last_seen = now,
			     .nat_addr = o->backend_addr,
			     .nat_port = o->backend_port,
			     .state = state,
			     .svc_id = o->svc_id};
	*rk = (struct sl_ct_key){.saddr = o->backend_addr,
				 .daddr = client,
				 .sport = o->backend_port,
				 .dport = cport,
				 .proto = o->proto,
				 .dir = SL_CT_DIR_REPLY};
	*rv = (struct sl_ct){.last_seen = now,
			     .nat_addr = o->host_addr,
			     .nat_port = o->host_port,
			     .state = state,
			     .svc_id = o->svc_id,
			     .ifindex = o->ifindex};
	memcpy(rv->peer_mac, o->peer_mac, 6);
	memcpy(rv->host_mac, o->host_mac, 6);
}

/* Write n entries, batched where the kernel can; the count written is returned. */
static long write_entries(int fd, const struct sl_ct_key *keys, const struct sl_ct *vals, __u32 n,
			  bool *batch_ok)
{
	__u32 done = n;

	if (*batch_ok) {
		if (bpf_map_update_batch(fd, keys, vals, &done, NULL) == 0)
			return n;
		if (!no_batch(errno))
			return -errno;
		*batch_ok = false; /* plain updates from now on */
		if (done > n)
			done = 0;
	} else {
		done = 0;
	}
	for (__u32 i = done; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY) < 0)
			return -errno;
	return n;
}

static int do_fill(int fd, const struct opts *o, __u32 max_entries)
{
	struct sl_ct_key *keys = calloc(o->batch, sizeof(*keys));
	struct sl_ct *vals = calloc(o->batch, sizeof(*vals));
	unsigned long entries = 2 * o->flows, written = 0, before, again;
	bool batch_ok = true;
	struct walk w = {0};
	double t0, t1;
	struct timespec ts;
	__u64 now;
	int err;

	if (!keys || !vals) {
		fprintf(stderr, "ctfill: out of memory\n");
		return 1;
	}
	err = walk_map(fd, o, &w);
	if (err) {
		fprintf(stderr, "ctfill: read the map: %s\n", strerror(-err));
		return 1;
	}
	/*
	 * An LRU map that is full evicts: the fill would push out real flows or
	 * its own. Entries of these flows already there are only overwritten.
	 */
	before = w.synth;
	again = w.in_range;
	if (w.total - again + entries > max_entries) {
		fprintf(stderr,
			"ctfill: %lu more entries do not fit: the map has %u entries, %lu of them "
			"used; make it larger (sluice up --ct-max) or fill fewer\n",
			entries - again, max_entries, w.total);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* bpf_ktime_get_coarse_ns()'s clock */
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	t0 = now_s();
	for (unsigned long i = 0; i < o->flows;) {
		__u32 n = 0;
		long r;

		/* REPLY first, then ORIG, as the datapath writes them. */
		for (; n + 2 <= o->batch && i < o->flows; i++, n += 2)
			make_flow(o, i, now, &keys[n + 1], &vals[n + 1], &keys[n], &vals[n]);
		r = write_entries(fd, keys, vals, n, &batch_ok);
		if (r < 0) {
			fprintf(stderr, "ctfill: update the map after %lu entries: %s\n", written,
				strerror(-r));
			return 1;
		}
		written += r;
	}
	t1 = now_s();
	err = walk_map(fd, o, &w);
	if (err) {
		fprintf(stderr, "ctfill: read the map back: %s\n", strerror(-err));
		return 1;
	}
	printf("flows=%lu entries=%lu seconds=%.3f entries_per_s=%.0f present=%lu total=%lu "
	       "max_entries=%u memlock=%llu batched=%d\n",
	       o->flows, written, t1 - t0, t1 > t0 ? written / (t1 - t0) : 0.0, w.synth, w.total,
	       max_entries, memlock_of(fd), batch_ok);
	free(keys);
	free(vals);
	/* Every entry written is there, and none of the earlier ones went. */
	if (w.in_range != entries || w.synth != before - again + entries) {
		fprintf(stderr,
			"ctfill: %lu of the %lu entries written are in the map, %lu synthetic in "
			"all (expected %lu): the LRU evicted some\n",
			w.in_range, entries, w.synth, before - again + entries);
		return 1;
	}
	return 0;
}

static int do_count(int fd, const struct opts *o, __u32 max_entries)
{
	struct walk w = {0};
	double t0 = now_s();
	int err = walk_map(fd, o, &w);

	if (err) {
		fprintf(stderr, "ctfill: read the map: %s\n", strerror(-err));
		return 1;
	}
	printf("flows=%lu entries=%lu total=%lu max_entries=%u memlock=%llu seconds=%.3f\n",
	       w.synth / 2, w.synth, w.total, max_entries, memlock_of(fd), now_s() - t0);
	return 0;
}

static int do_clear(int fd, const struct opts *o, __u32 max_entries)
{
	struct walk w = {0};
	double t0 = now_s();
	size_t deleted = 0;
	bool batch_ok = true;
	int err;

	w.collect = true;
	err = walk_map(fd, o, &w);
	if (err) {
		fprintf(stderr, "ctfill: read the map: %s\n", strerror(-err));
		return 1;
	}
	while (deleted < w.n_keep) {
		__u32 n = w.n_keep - deleted > CF_BATCH ? CF_BATCH : w.n_keep - deleted;
		__u32 done = n;

		if (batch_ok && bpf_map_delete_batch(fd, &w.keep[deleted], &done, NULL) == 0) {
			deleted += n;
			continue;
		}
		if (batch_ok && !no_batch(errno) && errno != ENOENT) {
			fprintf(stderr, "ctfill: delete: %s\n", strerror(errno));
			return 1;
		}
		/* One by one: an entry the LRU or the datapath removed meanwhile is fine. */
		batch_ok = false;
		for (__u32 i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, &w.keep[deleted + i]) < 0 && errno != ENOENT) {
				fprintf(stderr, "ctfill: delete: %s\n", strerror(errno));
				return 1;
			}
		deleted += n;
	}
	printf("deleted=%zu flows=%zu total=%lu max_entries=%u memlock=%llu seconds=%.3f\n",
	       deleted, deleted / 2, w.total - deleted, max_entries, memlock_of(fd), now_s() - t0);
	free(w.keep);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.proto = IPPROTO_TCP,
			 .batch = CF_BATCH,
			 .peer_mac = {0x02, 0, 0, 0, 0, 0x01},
			 .host_mac = {0x02, 0, 0, 0, 0, 0x02}};
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	const char *mode, *path;
	unsigned long v;
	int opt, fd, rc;

	tool_name = "ctfill";
	if (argc < 3)
		usage();
	mode = argv[1];
	path = argv[2];
	parse_net(CF_DEFAULT_NET, &o.net, &o.mask);
	optind = 3;
	while ((opt = getopt(argc, argv, "n:f:d:b:p:c:s:i:m:M:B:")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_ulong(optarg, CF_MAX_FLOWS, &v) || !v)
				usage();
			o.flows = v;
			break;
		case 'f':
			if (!parse_ulong(optarg, CF_MAX_FLOWS, &v))
				usage();
			o.first = v;
			break;
		case 'd':
			if (!parse_addr_port(optarg, &o.host_addr, &o.host_port))
				usage();
			o.have_dst = true;
			break;
		case 'b':
			if (!parse_addr_port(optarg, &o.backend_addr, &o.backend_port))
				usage();
			o.have_backend = true;
			break;
		case 'p':
			if (!strcmp(optarg, "tcp"))
				o.proto = IPPROTO_TCP;
			else if (!strcmp(optarg, "udp"))
				o.proto = IPPROTO_UDP;
			else
				usage();
			break;
		case 'c':
			if (!parse_net(optarg, &o.net, &o.mask))
				usage();
			break;
		case 's':
			if (!parse_ulong(optarg, UINT32_MAX, &v))
				usage();
			o.svc_id = v;
			break;
		case 'i':
			if (!parse_ulong(optarg, UINT32_MAX, &v))
				usage();
			o.ifindex = v;
			break;
		case 'm':
			if (!parse_mac(optarg, o.peer_mac))
				usage();
			break;
		case 'M':
			if (!parse_mac(optarg, o.host_mac))
				usage();
			break;
		case 'B':
			if (!parse_ulong(optarg, 1U << 20, &v) || v < 2)
				usage();
			o.batch = v & ~1UL; /* whole flows */
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (strcmp(mode, "fill") && strcmp(mode, "count") && strcmp(mode, "clear"))
		usage();
	if (!strcmp(mode, "fill")) {
		if (!o.flows || !o.have_dst || !o.have_backend)
			usage();
		/* The clients must stay inside the network, short of its broadcast address. */
		if ((o.first + o.flows - 1) / CF_PORTS + 2 > (__u64)~o.mask) {
			fprintf(stderr,
				"ctfill: %lu flows need more client addresses than -c gives\n",
				o.flows);
			return 2;
		}
	}

	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "ctfill: open pinned map %s: %s (is the instance up?)\n", path,
			strerror(errno));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		fprintf(stderr, "ctfill: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	if (info.key_size != sizeof(struct sl_ct_key) || info.value_size != sizeof(struct sl_ct)) {
		fprintf(stderr,
			"ctfill: %s is no sl_ct of this ABI (key %u B, value %u B; want %zu, "
			"%zu)\n",
			path, info.key_size, info.value_size, sizeof(struct sl_ct_key),
			sizeof(struct sl_ct));
		close(fd);
		return 1;
	}
	if (!strcmp(mode, "fill"))
		rc = do_fill(fd, &o, info.max_entries);
	else if (!strcmp(mode, "count"))
		rc = do_count(fd, &o, info.max_entries);
	else
		rc = do_clear(fd, &o, info.max_entries);
	close(fd);
	return rc;
}
