// SPDX-License-Identifier: BSD-2-Clause
/* datapath.c - skeleton loading, pinning, tc attachment and map updates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "datapath.h"
#include "log.h"
#include "sl_endpoint.skel.h"

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

int sl_dp_load(const struct sl_instance *inst)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = inst->pin_dir);
	char progs[SL_DIR_MAX + 8], path[PATH_MAX];
	struct sl_endpoint_bpf *skel;
	int err;

	err = sl_mkdirs(inst->pin_dir, 0700);
	if (err)
		return sl_errf(err, "create pin dir %s: %s", inst->pin_dir, strerror(-err));
	pin_path(inst, "progs", progs, sizeof(progs));
	err = sl_mkdirs(progs, 0700);
	if (err)
		return sl_errf(err, "create %s: %s", progs, strerror(-err));

	skel = sl_endpoint_bpf__open_opts(&opts);
	if (!skel)
		return sl_errf(-errno, "open BPF object sl_endpoint: %s", strerror(errno));
	err = sl_endpoint_bpf__load(skel);
	if (err) {
		sl_errf(err,
			"load BPF object sl_endpoint: %s — run with -vv for the verifier log; if "
			"a pinned map is incompatible after an upgrade, run 'sluice down --purge'",
			strerror(-err));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", progs, SL_PROG_ENDPOINT);
	err = pin_replace(skel->progs.sl_ep_ingress, path);
	if (err)
		sl_errf(err, "pin program %s: %s", path, strerror(-err));
out:
	sl_endpoint_bpf__destroy(skel);
	return err;
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
	int err;

	dp->prog_ep = dp->map_endpoints = dp->map_ifaces = dp->map_subnets = dp->map_stats = -1;
	if ((err = open_pin(inst, "progs/" SL_PROG_ENDPOINT, &dp->prog_ep)) ||
	    (err = open_pin(inst, SL_MAP_ENDPOINTS, &dp->map_endpoints)) ||
	    (err = open_pin(inst, SL_MAP_IFACES, &dp->map_ifaces)) ||
	    (err = open_pin(inst, SL_MAP_SUBNETS, &dp->map_subnets)) ||
	    (err = open_pin(inst, SL_MAP_STATS, &dp->map_stats))) {
		sl_dp_close(dp);
		return err;
	}
	return 0;
}

void sl_dp_close(struct sl_dp *dp)
{
	int *fds[] = {&dp->prog_ep, &dp->map_endpoints, &dp->map_ifaces, &dp->map_subnets,
		      &dp->map_stats};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
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
