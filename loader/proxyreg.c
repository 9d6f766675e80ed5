// SPDX-License-Identifier: BSD-2-Clause
/* proxyreg.c - the registry of sluice-proxy mappings: records, liveness, reaping. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "addr.h"
#include "log.h"
#include "nl.h"
#include "proxyreg.h"

/* ---- pure parts ---- */

/*
 * A strict decimal at *p (before end): digits only, no sign, no leading zero
 * (but "0" itself), at most max. Advances *p past it. Returns 0 or -EINVAL.
 */
static int parse_dec(const char **p, const char *end, unsigned long long max,
		     unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	if (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

/* "A.B.C.D" at *p, ended by stop (or end); advances past it. */
static int parse_ip(const char **p, const char *end, char stop, __be32 *out)
{
	char ip[SL_IP4_STRLEN];
	const char *s = *p, *e = s;

	while (e < end && *e != stop)
		e++;
	if (e - s <= 0 || (size_t)(e - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, e - s);
	ip[e - s] = '\0';
	if (sl_ip4_parse(ip, out))
		return -EINVAL;
	*p = e;
	return 0;
}

/* Expect the literal lit at *p and skip it. */
static int expect(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return -EINVAL;
	*p += n;
	return 0;
}

/* A Linux interface name: 1..15 bytes, printable, no '/', ':' or space, not "." or "..". */
static bool ifname_valid(const char *s, size_t n)
{
	if (n == 0 || n >= IFNAMSIZ)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : NULL;
}

int sl_proxyreg_name(const struct sl_proxyreg *r, char *buf, size_t len)
{
	char ip[SL_IP4_STRLEN];
	int n;

	if (!proto_name(r->proto) || !r->host_port)
		return -EINVAL;
	n = snprintf(buf, len, "%s-%s-%u", proto_name(r->proto), sl_ip4_fmt(r->host_addr, ip),
		     r->host_port);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

int sl_proxyreg_parse_name(const char *name, struct sl_proxyreg *r)
{
	const char *p = name, *end = name + strlen(name);
	unsigned long long port;
	__u8 proto;
	__be32 addr;

	if (!expect(&p, end, "tcp-"))
		proto = IPPROTO_TCP;
	else if (!expect(&p, end, "udp-"))
		proto = IPPROTO_UDP;
	else
		return -EINVAL;
	if (parse_ip(&p, end, '-', &addr) || expect(&p, end, "-") ||
	    parse_dec(&p, end, 65535, &port) || port == 0 || p != end)
		return -EINVAL;
	r->proto = proto;
	r->host_addr = addr;
	r->host_port = port;
	return 0;
}

int sl_proxyreg_format(const struct sl_proxyreg *r, char *buf, size_t len)
{
	char ip[SL_IP4_STRLEN];
	size_t blen = strnlen(r->bridge, sizeof(r->bridge));
	int n;

	if (r->pid <= 0 || r->id < SL_PROXY_ID_BASE || r->id > SL_PROXY_ID_MAX ||
	    !r->container_port || !ifname_valid(r->bridge, blen))
		return -EINVAL;
	n = snprintf(buf, len, "pid=%d start=%llu id=%u container=%s:%u bridge=%s\n", r->pid,
		     r->start, r->id, sl_ip4_fmt(r->container_addr, ip), r->container_port,
		     r->bridge);
	return n < 0 || (size_t)n >= len ? -EINVAL : n;
}

int sl_proxyreg_parse(const char *buf, size_t len, struct sl_proxyreg *r)
{
	const char *p = buf, *end = buf + len, *name;
	unsigned long long pid, start, id, port;
	__be32 addr;

	if (len && buf[len - 1] == '\n')
		end--;
	if (expect(&p, end, "pid=") || parse_dec(&p, end, INT_MAX, &pid) || pid == 0 ||
	    expect(&p, end, " start=") || parse_dec(&p, end, ULLONG_MAX, &start) ||
	    expect(&p, end, " id=") || parse_dec(&p, end, SL_PROXY_ID_MAX, &id) ||
	    id < SL_PROXY_ID_BASE || expect(&p, end, " container=") ||
	    parse_ip(&p, end, ':', &addr) || expect(&p, end, ":") ||
	    parse_dec(&p, end, 65535, &port) || port == 0 || expect(&p, end, " bridge="))
		return -EINVAL;
	name = p;
	while (p < end && *p != ' ' && *p != '\n' && *p != '\0')
		p++;
	if (p != end || !ifname_valid(name, p - name))
		return -EINVAL;
	r->pid = pid;
	r->start = start;
	r->id = id;
	r->container_addr = addr;
	r->container_port = port;
	memset(r->bridge, 0, sizeof(r->bridge));
	memcpy(r->bridge, name, p - name);
	return 0;
}

int sl_proc_stat_parse(const char *buf, size_t len, char *state, unsigned long long *start)
{
	const char *p = NULL, *end = buf + len;
	unsigned long long v;

	for (size_t i = len; i > 0; i--)
		if (buf[i - 1] == ')') {
			p = buf + i;
			break;
		}
	/* ") S " then fields 4..21, then field 22. */
	if (!p || end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	*state = p[1];
	p += 2;
	for (int field = 4; field <= 22; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field == 22)
			break;
		while (p < end && *p != ' ')
			p++;
	}
	/* Field 22 may be followed by more fields or end the text. */
	if (parse_dec(&p, end, ULLONG_MAX, &v) || (p < end && *p != ' ' && *p != '\n'))
		return -EINVAL;
	*start = v;
	return 0;
}

/* ---- the directory ---- */

void sl_proxyreg_dir(const struct sl_instance *inst, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" SL_PROXYREG_DIR, inst->run_dir);
}

static int record_path(const struct sl_instance *inst, const struct sl_proxyreg *r,
		       const char *suffix, char *buf, size_t len)
{
	char name[SL_PROXYREG_NAME_MAX], dir[PATH_MAX];
	int n;

	if (sl_proxyreg_name(r, name, sizeof(name)))
		return -EINVAL;
	sl_proxyreg_dir(inst, dir, sizeof(dir));
	n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sl_proxyreg_save(const struct sl_instance *inst, const struct sl_proxyreg *r)
{
	char line[SL_PROXYREG_LINE_MAX], path[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	int len, fd, err;

	len = sl_proxyreg_format(r, line, sizeof(line));
	if (len < 0 || record_path(inst, r, "", path, sizeof(path)) ||
	    record_path(inst, r, ".tmp", tmp, sizeof(tmp)))
		return sl_errf(-EINVAL, "proxy registry: invalid record (id %u, bridge '%s')",
			       r->id, r->bridge);
	sl_proxyreg_dir(inst, dir, sizeof(dir));
	if ((err = sl_mkdirs(dir, 0700)))
		return sl_errf(err, "create %s: %s", dir, strerror(-err));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		return sl_errf(err, "create %s: %s", tmp, strerror(-err));
	}
	if (write(fd, line, len) != len) {
		err = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		return sl_errf(err, "write %s: %s", tmp, strerror(-err));
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return sl_errf(err, "rename %s to %s: %s", tmp, path, strerror(-err));
	}
	return 0;
}

/* Read one record file (dirfd-relative name) into *r: 0, -ENOENT, -EINVAL. */
static int read_record(int dirfd, const char *name, struct sl_proxyreg *r)
{
	char buf[SL_PROXYREG_LINE_MAX];
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	if (sl_proxyreg_parse_name(name, r))
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EINVAL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	return sl_proxyreg_parse(buf, n, r);
}

int sl_proxyreg_load(const struct sl_instance *inst, __u8 proto, __be32 host_addr, __u16 port,
		     struct sl_proxyreg *r)
{
	struct sl_proxyreg want = {.proto = proto, .host_addr = host_addr, .host_port = port};
	char name[SL_PROXYREG_NAME_MAX], dir[PATH_MAX];
	int dirfd, err;

	if (sl_proxyreg_name(&want, name, sizeof(name)))
		return -EINVAL;
	sl_proxyreg_dir(inst, dir, sizeof(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -ENOENT;
	err = read_record(dirfd, name, r);
	close(dirfd);
	return err;
}

int sl_proxyreg_remove(const struct sl_instance *inst, const struct sl_proxyreg *r)
{
	char path[PATH_MAX];
	int err;

	if (record_path(inst, r, "", path, sizeof(path)))
		return -EINVAL;
	if (unlink(path) < 0 && errno != ENOENT) {
		err = -errno;
		return sl_errf(err, "remove %s: %s", path, strerror(-err));
	}
	return 0;
}

/*
 * Walk the directory: fn(name, r, err) for every entry that is not a dot
 * file, err = 0 (r valid), -EINVAL (malformed: r holds the host side when the
 * name parsed) or -ENOENT (vanished). Stops on fn's non-zero result.
 */
static int walk(const struct sl_instance *inst,
		int (*fn)(int dirfd, const char *name, const struct sl_proxyreg *r, int err,
			  void *arg),
		void *arg)
{
	struct sl_proxyreg r;
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	sl_proxyreg_dir(inst, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : sl_errf(-errno, "open %s: %s", dir, strerror(errno));
	while (!ret && (de = readdir(d))) {
		int err;

		if (de->d_name[0] == '.')
			continue;
		err = read_record(dirfd(d), de->d_name, &r);
		ret = fn(dirfd(d), de->d_name, &r, err, arg);
	}
	closedir(d);
	return ret;
}

struct foreach_ctx {
	int (*fn)(const struct sl_proxyreg *r, void *arg);
	void *arg;
};

static int foreach_cb(int dirfd, const char *name, const struct sl_proxyreg *r, int err, void *arg)
{
	struct foreach_ctx *ctx = arg;

	(void)dirfd;
	(void)name;
	return err ? 0 : ctx->fn(r, ctx->arg);
}

int sl_proxyreg_foreach(const struct sl_instance *inst,
			int (*fn)(const struct sl_proxyreg *r, void *arg), void *arg)
{
	struct foreach_ctx ctx = {.fn = fn, .arg = arg};

	return walk(inst, foreach_cb, &ctx);
}

/* ---- liveness ---- */

int sl_proc_starttime(int pid, unsigned long long *start)
{
	char path[32], buf[1024], state;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || sl_proc_stat_parse(buf, n, &state, start))
		return -ESRCH;
	/* A killed proxy stays a zombie until dockerd reaps it, which it may never do. */
	if (state == 'Z' || state == 'X' || state == 'x')
		return -ESRCH;
	return 0;
}

bool sl_proxyreg_alive(const struct sl_proxyreg *r)
{
	unsigned long long start;

	return sl_proc_starttime(r->pid, &start) == 0 && start == r->start;
}

struct conflict_ctx {
	__u8 proto;
	__be32 addr;
	__u16 port;
	struct sl_proxyreg *out;
};

static int conflict_cb(const struct sl_proxyreg *r, void *arg)
{
	struct conflict_ctx *c = arg;

	if (r->proto != c->proto || r->host_port != c->port ||
	    (r->host_addr && c->addr && r->host_addr != c->addr) || !sl_proxyreg_alive(r))
		return 0;
	*c->out = *r;
	return 1;
}

int sl_proxyreg_conflict(const struct sl_instance *inst, __u8 proto, __be32 host_addr, __u16 port,
			 struct sl_proxyreg *out)
{
	struct conflict_ctx c = {.proto = proto, .addr = host_addr, .port = port, .out = out};

	return sl_proxyreg_foreach(inst, conflict_cb, &c);
}

/* ---- datapath ---- */

static bool ct_of_id(const void *key, const void *value, void *arg)
{
	const struct sl_ct *ct = value;

	(void)key;
	return ct->svc_id == *(const __u32 *)arg;
}

int sl_proxyreg_flush_flows(const struct sl_dp *dp, __u32 id)
{
	int n = sl_dp_map_delete_if(dp->map_ct, sizeof(struct sl_ct_key), sizeof(struct sl_ct),
				    ct_of_id, &id);

	if (n > 0)
		sl_dp_stats_add(dp, SL_CTR_CT_FLUSHED, n);
	return n;
}

static void svc_key(const struct sl_proxyreg *r, struct sl_svc_key *key)
{
	memset(key, 0, sizeof(*key));
	key->addr = r->host_addr;
	key->port = htons(r->host_port);
	key->proto = r->proto;
}

int sl_proxyreg_uninstall(const struct sl_instance *inst, const struct sl_dp *dp,
			  const struct sl_proxyreg *r)
{
	struct sl_svc_key key;
	struct sl_svc svc;

	svc_key(r, &key);
	if (bpf_map_lookup_elem(dp->map_svc, &key, &svc) == 0 && svc.id == r->id)
		bpf_map_delete_elem(dp->map_svc, &key);
	if (r->id >= SL_PROXY_ID_BASE && r->id <= SL_PROXY_ID_MAX)
		sl_proxyreg_flush_flows(dp, r->id);
	return sl_proxyreg_remove(inst, r);
}

int sl_proxyreg_attach_bridge(const struct sl_instance *inst, int ifindex, const char *ifname)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/progs/%s", inst->pin_dir, SL_PROG_BRIDGE);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		return sl_errf(err, "open pinned program %s: %s%s", path, strerror(-err),
			       err == -ENOENT ? " — run 'sluice up' to load the datapath" : "");
	}
	err = sl_dp_attach_tc_ingress(ifindex, ifname, fd);
	close(fd);
	return err;
}

/* Bridges whose filter `sluice down` removed, by name (a 1000-port range has one). */
struct detach_ctx {
	struct sl_nl *nl;
	unsigned int n;
	char names[8][IFNAMSIZ];
};

static int detach_cb(const struct sl_proxyreg *r, void *arg)
{
	struct detach_ctx *c = arg;
	struct sl_link_info link;

	for (unsigned int i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], r->bridge))
			return 0;
	/* Only a bridge: the name may have been reused by something else. */
	if (sl_nl_link_get(c->nl, r->bridge, &link) || strcmp(link.kind, "bridge") ||
	    sl_dp_detach_tc_ingress(link.ifindex)) {
		sl_err_clear();
		return 0;
	}
	if (c->n < sizeof(c->names) / sizeof(c->names[0]))
		snprintf(c->names[c->n++], IFNAMSIZ, "%s", r->bridge);
	return 0;
}

int sl_proxyreg_detach_bridges(const struct sl_instance *inst, struct sl_nl *nl)
{
	struct detach_ctx c = {.nl = nl};
	int err = sl_proxyreg_foreach(inst, detach_cb, &c);

	return err < 0 ? err : (int)c.n;
}

#define REAP_BRIDGES 8

struct reap_ctx {
	const struct sl_instance *inst;
	const struct sl_dp *dp;
	/* NULL: restore live records; else see every record, true keeps a dead one */
	bool (*visit)(const struct sl_proxyreg *r, bool alive, void *arg);
	void *arg;
	int removed;
	unsigned int n_bridges;
	char bridges[REAP_BRIDGES][IFNAMSIZ];
};

/* A live record: its entry and its bridge program are in place. */
static void reap_keep(struct reap_ctx *c, const struct sl_proxyreg *r)
{
	struct sl_svc want = {.backend_addr = r->container_addr,
			      .backend_port = htons(r->container_port),
			      .flags = SL_SVC_F_EXTERNAL,
			      .id = r->id};
	struct sl_iface ifc;
	struct sl_svc_key key;
	struct sl_svc svc;
	__u32 ifindex;

	svc_key(r, &key);
	/* An entry someone else holds now (a CLI mapping) is left alone. */
	if (bpf_map_lookup_elem(c->dp->map_svc, &key, &svc) < 0 &&
	    bpf_map_update_elem(c->dp->map_svc, &key, &want, BPF_NOEXIST) == 0)
		sl_debug("proxy mapping %u (pid %d) restored\n", r->id, r->pid);
	for (unsigned int i = 0; i < c->n_bridges; i++)
		if (!strcmp(c->bridges[i], r->bridge))
			return;
	if (c->n_bridges < REAP_BRIDGES)
		snprintf(c->bridges[c->n_bridges++], IFNAMSIZ, "%s", r->bridge);
	ifindex = if_nametoindex(r->bridge);
	/* Never over a sluice endpoint's own program (the name may have been reused). */
	if (!ifindex || bpf_map_lookup_elem(c->dp->map_ifaces, &ifindex, &ifc) == 0)
		return;
	if (sl_proxyreg_attach_bridge(c->inst, ifindex, r->bridge))
		sl_warn("warning: proxy mapping %u: %s\n", r->id, sl_err_msg());
	sl_err_clear();
}

static int reap_cb(int dirfd, const char *name, const struct sl_proxyreg *r, int err, void *arg)
{
	struct reap_ctx *c = arg;
	struct sl_proxyreg host;
	struct sl_svc_key key;
	struct sl_svc svc;
	size_t n = strlen(name);
	char base[SL_PROXYREG_NAME_MAX];

	if (err == -ENOENT)
		return 0;
	if (!err) {
		bool alive = sl_proxyreg_alive(r), keep = alive;

		if (c->visit)
			keep = c->visit(r, alive, c->arg) || alive;
		else if (alive)
			reap_keep(c, r);
		if (keep)
			return 0;
		sl_debug("proxy mapping %u: owner pid %d is gone, removing it\n", r->id, r->pid);
		sl_proxyreg_uninstall(c->inst, c->dp, r);
		sl_err_clear();
		c->removed++;
		return 0;
	}
	/* A temporary file of a save that was killed half-way. */
	if (n > 4 && n - 4 < sizeof(base) && !strcmp(name + n - 4, ".tmp")) {
		memcpy(base, name, n - 4);
		base[n - 4] = '\0';
		if (sl_proxyreg_parse_name(base, &host) == 0)
			unlinkat(dirfd, name, 0);
		return 0;
	}
	/* Malformed: its host side still names the entry to take out. */
	memset(&host, 0, sizeof(host));
	if (sl_proxyreg_parse_name(name, &host))
		return 0;
	sl_warn("warning: malformed proxy record %s removed\n", name);
	svc_key(&host, &key);
	if (bpf_map_lookup_elem(c->dp->map_svc, &key, &svc) == 0 && svc.id >= SL_PROXY_ID_BASE) {
		bpf_map_delete_elem(c->dp->map_svc, &key);
		sl_proxyreg_flush_flows(c->dp, svc.id);
	}
	unlinkat(dirfd, name, 0);
	c->removed++;
	return 0;
}

int sl_proxyreg_reap(const struct sl_instance *inst, const struct sl_dp *dp)
{
	struct reap_ctx c = {.inst = inst, .dp = dp};
	int err = walk(inst, reap_cb, &c);

	return err < 0 ? err : c.removed;
}

int sl_proxyreg_reap_scan(const struct sl_instance *inst, const struct sl_dp *dp,
			  bool (*fn)(const struct sl_proxyreg *r, bool alive, void *arg), void *arg)
{
	struct reap_ctx c = {.inst = inst, .dp = dp, .visit = fn, .arg = arg};
	int err = walk(inst, reap_cb, &c);

	return err < 0 ? err : c.removed;
}
