// SPDX-License-Identifier: BSD-2-Clause
/* datapath.c - skeleton loading, pinning, tc attachment and map updates. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/if_link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "datapath.h"
#include "log.h"
#include "sl_endpoint.skel.h"
#include "sl_uplink.skel.h"
#include "sl_sock.skel.h"
#include "sl_xdp.skel.h"

/* One handle and priority for every sluice tc filter, so re-attach replaces. */
#define SL_TC_HANDLE 0x51
#define SL_TC_PRIO   0x51

static void pin_path(const struct sl_instance *inst, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", inst->pin_dir, rel);
}

/*/*
 * Pin next to the final name, then rename over it: the old pin never
 * disappears. (bpffs refuses names with a dot, hence the suffix.)
 */
static int pin_replace(struct bpf_program *prog, const char *path)
{
	char tmp[PATH_MAX + 8];
	int err;

	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	err = bpf_program__pin(prog, tmp);
	if (err)
		return err;
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* max_entries of the map behind fd; a negative errno when the kernel does not say. */
static int map_max_entries(int fd, unsigned int *max)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	*max = info.max_entries;
	return 0;
}

/*
 * The size sl_ct gets in the objects loaded next. libbpf reuses a pinned map
 * only when every parameter matches, and an LRU hash cannot be resized: a
 * pinned table keeps its size (want 0 adopts it, another size is refused);
 * without one, want or SL_CT_MAX.
 */
static int ct_size_resolve(const struct sl_instance *inst, unsigned int want, unsigned int *size)
{
	char path[PATH_MAX];
	unsigned int have = 0;
	int fd, err;

	pin_path(inst, SL_MAP_CT, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno != ENOENT)
			return sl_errf(-errno, "open pinned map %s: %s", path, strerror(errno));
		*size = want ? want : SL_CT_MAX;
		return 0;
	}
	err = map_max_entries(fd, &have);
	close(fd);
	if (err)
		return sl_errf(err, "read the size of %s: %s", path, strerror(-err));
	if (want && want != have)
		return sl_errf(-EEXIST,
			       "the conntrack table of instance '%s' has %u entries, not --ct-max "
			       "%u: its size is fixed while the instance is up; run 'sluice down' "
			       "first (its flows are lost), or leave --ct-max out",
			       inst->name, have, want);
	*size = have;
	return 0;
}

/* Give sl_ct, where obj has it, size entries before load. */
static int ct_size_set(struct bpf_object *obj, unsigned int size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, SL_MAP_CT);

	return map ? bpf_map__set_max_entries(map, size) : 0;
}

/*
 * Open one embedded object (its maps reuse the pins under pin_root_path),
 * load it and pin its programs under progs/ by name. The object is closed afterwards: the pins
 * keep the maps and the program alive.
 */
static int load_object(const struct sl_instance *inst, const char *progs, const char *name,
		       const void *elf, size_t elf_size, unsigned int ct_max)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = inst->pin_dir,
		    .object_name = name);
	struct bpf_program *prog;
	struct bpf_object *obj;
	char path[PATH_MAX];
	int err;

	obj = bpf_object__open_mem(elf, elf_size, &opts);
	if (!obj)
		return sl_errf(-errno, "open BPF object %s: %s", name, strerror(errno));
	err = ct_size_set(obj, ct_max);
	if (err) {
		sl_errf(err, "set the size of %s in %s: %s", SL_MAP_CT, name, strerror(-err));
		goto out;
	}
	err = bpf_object__load(obj);
	if (err) {
		sl_errf(err,
			"load BPF object %s: %s — run with -vvv for the verifier log; if a pinned "
			"map is incompatible after an upgrade, run 'sluice down --purge'",
			name, strerror(-err));
		goto out;
	}
	bpf_object__for_each_program(prog, obj)
	{
		snprintf(path, sizeof(path), "%s/%s", progs, bpf_program__name(prog));
		err = pin_replace(prog, path);
		if (err) {
			sl_errf(err, "pin program %s: %s", path, strerror(-err));
			break;
		}
	}
out:
	bpf_object__close(obj);
	return err;
}

int sl_dp_load(const struct sl_instance *inst)
{
	return sl_dp_load_ct(inst, 0);
}

int sl_dp_load_ct(const struct sl_instance *inst, unsigned int ct_max)
{
	char progs[SL_DIR_MAX + 8];
	const void *elf;
	size_t size;
	int err;

	/* First, so that a size the pinned table cannot take changes nothing. */
	err = ct_size_resolve(inst, ct_max, &ct_max);
	if (err)
		return err;
	err = sl_mkdirs(inst->pin_dir, 0700);
	if (err)
		return sl_errf(err, "create pin dir %s: %s", inst->pin_dir, strerror(-err));
	pin_path(inst, "progs", progs, sizeof(progs));
	err = sl_mkdirs(progs, 0700);
	if (err)
		return sl_errf(err, "create %s: %s", progs, strerror(-err));

	/* The endpoint object creates the shared maps; the uplink object reuses them. */
	elf = sl_endpoint_bpf__elf_bytes(&size);
	err = load_object(inst, progs, "sl_endpoint", elf, size, ct_max);
	if (err)
		return err;
	elf = sl_uplink_bpf__elf_bytes(&size);
	err = load_object(inst, progs, "sl_uplink", elf, size, ct_max);
	if (err)
		return err;
	elf = sl_xdp_bpf__elf_bytes(&size);
	return load_object(inst, progs, "sl_xdp", elf, size, ct_max);
}

bool sl_dp_is_up(const struct sl_instance *inst)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/progs/%s", inst->pin_dir, SL_PROG_ENDPOINT);
	return access(path, F_OK) == 0;
}

static int open_pin(const struct sl_instance *inst, const char *rel, int *fd)
{
	char path[PATH_MAX];

	pin_path(inst, rel, path, sizeof(path));
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		int err = -errno;

		if (err == -ENOENT)
			return sl_errf(err, "instance '%s' is not up (%s missing): run 'sluice up'",
				       inst->name, path);
		return sl_errf(err, "open pinned object %s: %s", path, strerror(-err));
	}
	return 0;
}

int sl_dp_open(const struct sl_instance *inst, struct sl_dp *dp)
{
	static const struct {
		const char *rel;
		size_t off;
	} pins[] = {
		{"progs/" SL_PROG_ENDPOINT, offsetof(struct sl_dp, prog_ep)},
		{"progs/" SL_PROG_UPLINK, offsetof(struct sl_dp, prog_uplink)},
		{"progs/" SL_PROG_XDP_UPLINK, offsetof(struct sl_dp, prog_xdp_uplink)},
		{"progs/" SL_PROG_XDP_PASS, offsetof(struct sl_dp, prog_xdp_pass)},
		{"progs/" SL_PROG_DNS_LO, offsetof(struct sl_dp, prog_dns_lo)},
		{SL_MAP_ENDPOINTS, offsetof(struct sl_dp, map_endpoints)},
		{SL_MAP_IFACES, offsetof(struct sl_dp, map_ifaces)},
		{SL_MAP_SUBNETS, offsetof(struct sl_dp, map_subnets)},
		{SL_MAP_STATS, offsetof(struct sl_dp, map_stats)},
		{SL_MAP_SVC, offsetof(struct sl_dp, map_svc)},
		{SL_MAP_ALLOW, offsetof(struct sl_dp, map_allow)},
		{SL_MAP_CT, offsetof(struct sl_dp, map_ct)},
		{SL_MAP_SVC_STATS, offsetof(struct sl_dp, map_svc_stats)},
		{SL_MAP_HOSTADDRS, offsetof(struct sl_dp, map_hostaddrs)},
	};
	int err = 0;

	for (size_t i = 0; i < SL_DP_NFDS; i++)
		sl_dp_fds(dp)[i] = -1;
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]) && !err; i++)
		err = open_pin(inst, pins[i].rel, (int *)((char *)dp + pins[i].off));
	if (err) {
		sl_dp_close(dp);
		return err;
	}
	return 0;
}

void sl_dp_close(struct sl_dp *dp)
{
	int *fds = sl_dp_fds(dp);

	for (size_t i = 0; i < SL_DP_NFDS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int sl_dp_unpin(const struct sl_instance *inst)
{
	int err = sl_rmtree(inst->pin_dir);

	if (err)
		return sl_errf(err, "remove pins under %s: %s", inst->pin_dir, strerror(-err));
	return 0;
}

int sl_dp_attach_tc_ingress(int ifindex, const char *ifname, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIO,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return sl_errf(err, "create clsact qdisc on %s: %s", ifname, strerror(-err));
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return sl_errf(err, "attach tc ingress program to %s: %s", ifname, strerror(-err));
	return 0;
}

int sl_dp_detach_tc_ingress(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIO);
	int err = bpf_tc_detach(&hook, &opts);

	if (err == -ENOENT || err == -ENODEV || err == -EINVAL)
		return 0;
	return err;
}

static int map_put(int fd, const void *key, const void *val, const char *what)
{
	if (bpf_map_update_elem(fd, key, val, BPF_ANY) < 0)
		return sl_errf(-errno, "update map %s: %s", what, strerror(errno));
	return 0;
}

static int map_del(int fd, const void *key, const char *what)
{
	if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
		return sl_errf(-errno, "delete from map %s: %s", what, strerror(errno));
	return 0;
}

int sl_dp_endpoint_put(const struct sl_dp *dp, __be32 addr, const struct sl_endpoint *ep)
{
	struct sl_endpoint_key key = {.addr = addr};

	return map_put(dp->map_endpoints, &key, ep, SL_MAP_ENDPOINTS);
}

int sl_dp_endpoint_del(const struct sl_dp *dp, __be32 addr)
{
	struct sl_endpoint_key key = {.addr = addr};

	return map_del(dp->map_endpoints, &key, SL_MAP_ENDPOINTS);
}

int sl_dp_iface_put(const struct sl_dp *dp, __u32 ifindex, const struct sl_iface *ifc)
{
	struct sl_iface_key key = {.ifindex = ifindex};

	return map_put(dp->map_ifaces, &key, ifc, SL_MAP_IFACES);
}

int sl_dp_iface_del(const struct sl_dp *dp, __u32 ifindex)
{
	struct sl_iface_key key = {.ifindex = ifindex};

	return map_del(dp->map_ifaces, &key, SL_MAP_IFACES);
}

int sl_dp_subnet_put(const struct sl_dp *dp, __be32 addr, unsigned int prefixlen,
		     const struct sl_subnet *sn)
{
	struct sl_subnet_key key = {.prefixlen = prefixlen, .addr = addr};

	return map_put(dp->map_subnets, &key, sn, SL_MAP_SUBNETS);
}

int sl_dp_subnet_del(const struct sl_dp *dp, __be32 addr, unsigned int prefixlen)
{
	struct sl_subnet_key key = {.prefixlen = prefixlen, .addr = addr};

	return map_del(dp->map_subnets, &key, SL_MAP_SUBNETS);
}

int sl_dp_stats_read(const struct sl_dp *dp, struct sl_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_counter *percpu;

	if (ncpu <= 0)
		return sl_errf(ncpu ? ncpu : -EINVAL, "count possible CPUs: %s", strerror(-ncpu));
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (__u32 i = 0; i < SL_CTR_MAX; i++) {
		out[i].packets = out[i].bytes = 0;
		if (bpf_map_lookup_elem(dp->map_stats, &i, percpu) < 0) {
			int err = -errno;

			free(percpu);
			return sl_errf(err, "read map %s: %s", SL_MAP_STATS, strerror(-err));
		}
		for (int c = 0; c < ncpu; c++) {
			out[i].packets += percpu[c].packets;
			out[i].bytes += percpu[c].bytes;
		}
	}
	free(percpu);
	return 0;
}

int sl_dp_svc_put(const struct sl_dp *dp, __be32 addr, __u16 port, __u8 proto,
		  const struct sl_svc *svc)
{
	struct sl_svc_key key = {.addr = addr, .port = htons(port), .proto = proto};

	return map_put(dp->map_svc, &key, svc, SL_MAP_SVC);
}

int sl_dp_svc_del(const struct sl_dp *dp, __be32 addr, __u16 port, __u8 proto)
{
	struct sl_svc_key key = {.addr = addr, .port = htons(port), .proto = proto};

	return map_del(dp->map_svc, &key, SL_MAP_SVC);
}

static void allow_key(__u32 id, __be32 addr, unsigned int prefixlen, struct sl_allow_key *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = 32 + prefixlen;
	key->id = htonl(id);
	key->addr = addr;
}

int sl_dp_allow_put(const struct sl_dp *dp, __u32 id, __be32 addr, unsigned int prefixlen)
{
	struct sl_allow_key key;
	__u32 one = 1;

	allow_key(id, addr, prefixlen, &key);
	return map_put(dp->map_allow, &key, &one, SL_MAP_ALLOW);
}

int sl_dp_allow_del(const struct sl_dp *dp, __u32 id, __be32 addr, unsigned int prefixlen)
{
	struct sl_allow_key key;

	allow_key(id, addr, prefixlen, &key);
	return map_del(dp->map_allow, &key, SL_MAP_ALLOW);
}

int sl_dp_svc_stats_read(const struct sl_dp *dp, __u32 id, struct sl_svc_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_svc_counter *percpu;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return sl_errf(ncpu ? ncpu : -EINVAL, "count possible CPUs: %s", strerror(-ncpu));
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(dp->map_svc_stats, &id, percpu) < 0) {
		int err = -errno;

		free(percpu);
		return sl_errf(err, "read map %s: %s", SL_MAP_SVC_STATS, strerror(-err));
	}
	for (int c = 0; c < ncpu; c++) {
		out->packets += percpu[c].packets;
		out->bytes += percpu[c].bytes;
		out->flows += percpu[c].flows;
	}
	free(percpu);
	return 0;
}

int sl_dp_svc_stats_reset(const struct sl_dp *dp, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_svc_counter *zero;
	int err = 0;

	if (ncpu <= 0)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(dp->map_svc_stats, &id, zero, BPF_ANY) < 0)
		err = sl_errf(-errno, "reset map %s[%u]: %s", SL_MAP_SVC_STATS, id,
			      strerror(errno));
	free(zero);
	return err;
}

/* Entries per batch of a walk: 4096 conntrack entries are about 200 KiB. */
#define WALK_BATCH 4096

/* The per-key walk, for map types without batch operations (LPM tries). */
static int walk_by_key(int fd, size_t value_size, sl_dp_walk_fn fn, void *arg)
{
	char key[64], value[256];
	void *prev = NULL;
	int rc;

	while (bpf_map_get_next_key(fd, prev, key) == 0) {
		prev = key;
		if (value_size && bpf_map_lookup_elem(fd, key, value) < 0)
			continue;
		if ((rc = fn(key, value_size ? value : NULL, arg)))
			return rc;
	}
	return 0;
}

int sl_dp_map_walk(int fd, size_t key_size, size_t value_size, sl_dp_walk_fn fn, void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t vsize = value_size ? value_size : 1;
	char *keys, *values, token_in[64], token_out[64];
	bool first = true;
	int err = 0, rc = 0;

	if (key_size > 64 || value_size > 256)
		return -EINVAL;
	keys = malloc(WALK_BATCH * key_size);
	values = malloc(WALK_BATCH * vsize);
	if (!keys || !values) {
		free(keys);
		free(values);
		return -ENOMEM;
	}
	/* A million-entry conntrack table is read in ~1 s this way, not ~15. */
	while (!err && !rc) {
		__u32 count = WALK_BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : token_in, token_out, keys, values,
					   &count, &opts);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count && !rc; i++)
			rc = fn(keys + i * key_size, value_size ? values + i * vsize : NULL, arg);
		memcpy(token_in, token_out, sizeof(token_in));
		first = false;
	}
	free(keys);
	free(values);
	if (rc)
		return rc;
	/* ENOENT: the end. No batch support (or a bucket larger than a batch): by key. */
	if (err && first)
		return walk_by_key(fd, value_size, fn, arg);
	return err && err != -ENOENT ? err : 0;
}

struct delete_if {
	bool (*del)(const void *key, const void *value, void *arg);
	void *arg;
	size_t key_size, n, cap;
	char *keys;
};

static int collect_doomed(const void *key, const void *value, void *arg)
{
	struct delete_if *d = arg;

	if (!d->del(key, value, d->arg))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		char *grown = realloc(d->keys, cap * d->key_size);

		if (!grown)
			return -ENOMEM;
		d->keys = grown;
		d->cap = cap;
	}
	memcpy(d->keys + d->n++ * d->key_size, key, d->key_size);
	return 0;
}

int sl_dp_map_delete_if(int fd, size_t key_size, size_t value_size,
			bool (*del)(const void *key, const void *value, void *arg), void *arg)
{
	struct delete_if d = {.del = del, .arg = arg, .key_size = key_size};
	int removed = 0, err;

	/*
	 * Collect first, delete after: deleting during the walk would restart
	 * it. A walk that fails half-way (no memory) still deletes what it found.
	 */
	err = sl_dp_map_walk(fd, key_size, value_size, collect_doomed, &d);
	for (size_t i = 0; i < d.n; i++)
		removed += bpf_map_delete_elem(fd, d.keys + i * key_size) == 0;
	free(d.keys);
	return removed ? removed : err;
}

int sl_dp_stats_add(const struct sl_dp *dp, enum sl_ctr ctr, __u64 packets)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_counter *percpu;
	__u32 key = ctr;
	int err = 0;

	if (ncpu <= 0)
		return -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	/* Only userspace writes these slots, so read-modify-write does not race BPF. */
	if (bpf_map_lookup_elem(dp->map_stats, &key, percpu) < 0) {
		err = -errno;
	} else {
		percpu[0].packets += packets;
		if (bpf_map_update_elem(dp->map_stats, &key, percpu, BPF_EXIST) < 0)
			err = -errno;
	}
	free(percpu);
	return err;
}

static int count_ct(const void *key, const void *value, void *arg)
{
	const struct sl_ct_key *k = key;
	const struct sl_ct *ct = value;
	struct sl_ct_summary *sum = arg;

	sum->entries++;
	if (k->dir == SL_CT_DIR_ORIG && ct->state < SL_CT_STATE_COUNT)
		sum->flows_by_state[ct->state]++;
	return 0;
}

int sl_dp_ct_summary(const struct sl_dp *dp, struct sl_ct_summary *sum)
{
	int err;

	memset(sum, 0, sizeof(*sum));
	/* The live table's own size: `sluice up --ct-max` chose it. */
	err = map_max_entries(dp->map_ct, &sum->max);
	if (err)
		return sl_errf(err, "read the size of %s: %s", SL_MAP_CT, strerror(-err));
	err = sl_dp_map_walk(dp->map_ct, sizeof(struct sl_ct_key), sizeof(struct sl_ct), count_ct,
			     sum);
	if (err)
		return sl_errf(err, "read %s: %s", SL_MAP_CT, strerror(-err));
	return 0;
}

int sl_netns_cookie(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sl_errf(-errno, "socket: %s", strerror(errno));
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		err = sl_errf(-errno, "read the network namespace cookie: %s (needs Linux 5.14)",
			      strerror(errno));
	close(fd);
	return err;
}

/* Attach prog to the cgroup through a pinned link, or swap it into the existing link. */
static int attach_cgroup_link(struct bpf_program *prog, int cgroup_fd, const char *cgroup,
			      const char *path)
{
	struct bpf_link *link = bpf_link__open(path);
	int err;

	if (link) {
		/* A live instance: replace the program atomically, the hook never gaps. */
		err = bpf_link__update_program(link, prog);
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		if (err)
			return sl_errf(err, "update cgroup link %s: %s", path, strerror(-err));
		return 0;
	}
	link = bpf_program__attach_cgroup(prog, cgroup_fd);
	if (!link)
		return sl_errf(-errno, "attach %s to cgroup %s: %s", bpf_program__name(prog),
			       cgroup, strerror(errno));
	err = bpf_link__pin(link, path);
	if (err)
		sl_errf(err, "pin cgroup link %s: %s", path, strerror(-err));
	/* The pin holds the attachment; our handle goes. */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return err;
}

int sl_dp_attach_sock(const struct sl_instance *inst, const char *cgroup)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = inst->pin_dir);
	char links[SL_DIR_MAX + 8], path[PATH_MAX];
	struct sl_sock_bpf *skel;
	struct bpf_program *prog;
	unsigned int ct_max;
	__u64 cookie;
	int err, cgfd;

	err = sl_netns_cookie(&cookie);
	if (err)
		return err;
	cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return sl_errf(-errno,
			       "open cgroup %s: %s — give a cgroup v2 directory with "
			       "--cgroup (e.g. /sys/fs/cgroup/unified) or --cgroup none",
			       cgroup, strerror(errno));
	pin_path(inst, "links", links, sizeof(links));
	err = sl_mkdirs(links, 0700);
	if (err) {
		sl_errf(err, "create %s: %s", links, strerror(-err));
		goto out_fd;
	}
	skel = sl_sock_bpf__open_opts(&opts);
	if (!skel) {
		err = sl_errf(-errno, "open BPF object sl_sock: %s", strerror(errno));
		goto out_fd;
	}
	skel->rodata->sl_host_netns_cookie = cookie;
	/* The object declares sl_ct too: it must match the pinned table to reuse it. */
	if ((err = ct_size_resolve(inst, 0, &ct_max)))
		goto out;
	if ((err = ct_size_set(skel->obj, ct_max))) {
		sl_errf(err, "set the size of %s in sl_sock: %s", SL_MAP_CT, strerror(-err));
		goto out;
	}
	err = sl_sock_bpf__load(skel);
	if (err) {
		sl_errf(err, "load BPF object sl_sock: %s — run with -vvv for the verifier log",
			strerror(-err));
		goto out;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		snprintf(path, sizeof(path), "%s/%s", links, bpf_program__name(prog));
		err = attach_cgroup_link(prog, cgfd, cgroup, path);
		if (err)
			goto out;
	}
out:
	sl_sock_bpf__destroy(skel);
out_fd:
	close(cgfd);
	return err;
}

int sl_dp_detach_sock(const struct sl_instance *inst)
{
	char links[SL_DIR_MAX + 8];
	int err;

	pin_path(inst, "links", links, sizeof(links));
	err = sl_rmtree(links);
	if (err)
		return sl_errf(err, "remove cgroup links under %s: %s", links, strerror(-err));
	return 0;
}

int sl_dp_hostaddrs_sync(const struct sl_dp *dp, const __be32 *addrs, unsigned int n)
{
	__u32 one = 1;
	__be32 key, next;
	void *prev = NULL;

	for (unsigned int i = 0; i < n; i++)
		if (bpf_map_update_elem(dp->map_hostaddrs, &addrs[i], &one, BPF_ANY) < 0)
			return sl_errf(-errno, "update map %s: %s", SL_MAP_HOSTADDRS,
				       strerror(errno));
	/* Drop addresses the host no longer has. */
	while (bpf_map_get_next_key(dp->map_hostaddrs, prev, &next) == 0) {
		bool keep = false;

		key = next;
		for (unsigned int i = 0; i < n && !keep; i++)
			keep = addrs[i] == key;
		if (!keep && bpf_map_delete_elem(dp->map_hostaddrs, &key) == 0)
			continue; /* key deleted: the walk goes on from the same prev */
		prev = &key;
	}
	return 0;
}

const char *sl_xdp_mode_name(enum sl_xdp_mode mode)
{
	return mode == SL_XDP_NATIVE ? "native" : mode == SL_XDP_GENERIC ? "generic" : "off";
}

int sl_xdp_mode_parse(const char *s, enum sl_xdp_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = SL_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = SL_XDP_GENERIC;
	else if (!strcmp(s, "off"))
		*mode = SL_XDP_OFF;
	else
		return -EINVAL;
	return 0;
}

int sl_dp_xdp_attach(int ifindex, const char *ifname, int prog_fd, enum sl_xdp_mode mode)
{
	__u32 flags = mode == SL_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	int err;

	if (mode == SL_XDP_OFF)
		return sl_dp_xdp_detach(ifindex);
	err = bpf_xdp_attach(ifindex, prog_fd, flags, NULL);
	if (err == -EEXIST || err == -EBUSY) {
		/* The other mode holds the device: the tc program serves while we swap. */
		sl_dp_xdp_detach(ifindex);
		err = bpf_xdp_attach(ifindex, prog_fd, flags, NULL);
	}
	if (err == -EOPNOTSUPP && mode == SL_XDP_NATIVE)
		return sl_errf(err,
			       "attach XDP to %s: the driver has no native XDP — use --xdp generic "
			       "or --xdp off",
			       ifname);
	if (err)
		return sl_errf(err, "attach XDP (%s) to %s: %s", sl_xdp_mode_name(mode), ifname,
			       strerror(-err));
	return 0;
}

int sl_dp_xdp_detach(int ifindex)
{
	/* Both modes: whichever is attached goes; nothing attached is fine. */
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	return 0;
}

enum sl_xdp_mode sl_dp_xdp_query(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return SL_XDP_OFF;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		return SL_XDP_NATIVE;
	if (q.attach_mode == XDP_ATTACHED_SKB)
		return SL_XDP_GENERIC;
	return SL_XDP_OFF;
}

/*
 * Run fn(arg) inside the network namespace behind netns_fd and come back:
 * libbpf's tc and XDP attach calls talk netlink in the current namespace.
 */
static int in_netns(int netns_fd, int (*fn)(void *arg), void *arg)
{
	int self, err;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return sl_errf(-errno, "open own netns: %s", strerror(errno));
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = sl_errf(-errno, "enter container netns: %s", strerror(errno));
		close(self);
		return err;
	}
	err = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0)
		err = sl_errf(-errno, "return to own netns: %s", strerror(errno));
	close(self);
	return err;
}

struct netns_attach {
	const char *ifname;
	int ifindex;
	int prog_fd;
};

static int xdp_attach_here(void *arg)
{
	const struct netns_attach *a = arg;
	int err = bpf_xdp_attach(a->ifindex, a->prog_fd, XDP_FLAGS_DRV_MODE, NULL);

	if (err == -EEXIST || err == -EBUSY)
		err = 0; /* something is attached already: NAPI is on either way */
	if (err)
		return sl_errf(err, "attach XDP to container interface %s: %s", a->ifname,
			       strerror(-err));
	return 0;
}

static int xdp_detach_here(void *arg)
{
	const struct netns_attach *a = arg;

	bpf_xdp_detach(a->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	return 0;
}

int sl_dp_xdp_attach_netns(int netns_fd, const char *ifname, int ifindex, int prog_fd)
{
	struct netns_attach a = {ifname, ifindex, prog_fd};

	if (prog_fd < 0)
		return sl_dp_xdp_detach_netns(netns_fd, ifindex);
	return in_netns(netns_fd, xdp_attach_here, &a);
}

int sl_dp_xdp_detach_netns(int netns_fd, int ifindex)
{
	struct netns_attach a = {NULL, ifindex, -1};

	return in_netns(netns_fd, xdp_detach_here, &a);
}

static int tc_attach_here(void *arg)
{
	const struct netns_attach *a = arg;

	return sl_dp_attach_tc_ingress(a->ifindex, a->ifname, a->prog_fd);
}

static int tc_detach_here(void *arg)
{
	const struct netns_attach *a = arg;
	int err = sl_dp_detach_tc_ingress(a->ifindex);

	if (err)
		return sl_errf(err, "detach tc ingress program from %s: %s", a->ifname,
			       strerror(-err));
	return 0;
}

int sl_dp_tc_attach_netns(int netns_fd, const char *ifname, int ifindex, int prog_fd)
{
	struct netns_attach a = {ifname, ifindex, prog_fd};

	return in_netns(netns_fd, tc_attach_here, &a);
}

int sl_dp_tc_detach_netns(int netns_fd, const char *ifname, int ifindex)
{
	struct netns_attach a = {ifname, ifindex, -1};

	return in_netns(netns_fd, tc_detach_here, &a);
}
