// SPDX-License-Identifier: BSD-2-Clause
/* nl.c - rtnetlink over libmnl: veth pairs, links, addresses, routes, neighbours, netns fds. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "log.h"
#include "nl.h"

/*
 * Replies are read into a buffer larger than MNL_SOCKET_BUFFER_SIZE: the
 * kernel sizes dump chunks up to 32 KiB once it has seen a large enough
 * reader, and a smaller buffer would truncate them (libmnl >= 1.0.5 calls
 * this MNL_SOCKET_DUMP_SIZE; Debian 12 ships 1.0.4).
 */
#define NL_RECV_SIZE 32768L

/* Longest alias that survives a round trip through struct sl_link_info. */
#define NL_ALIAS_MAX (sizeof(((struct sl_link_info *)0)->alias) - 1)

struct sl_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	/* A request was abandoned half-way: its leftover replies must be drained. */
	bool dirty;
	/* The kernel's extack text for the last request, "" when none. */
	char ext[256];
	char *sbuf;
	size_t slen;
	char *rbuf;
	size_t rlen;
};

/* State of one request while its replies are read. */
struct nl_ctx {
	struct sl_nl *nl;
	int err; /* from NLMSG_ERROR or NLMSG_DONE, negative errno */
	mnl_cb_t data_cb;
	void *data;
};

/* Copy a string attribute, which may lack its NUL, into buf. */
static void attr_str(const struct nlattr *attr, char *buf, size_t size)
{
	size_t len = mnl_attr_get_payload_len(attr);

	if (len > size - 1)
		len = size - 1;
	len = strnlen(mnl_attr_get_payload(attr), len);
	memcpy(buf, mnl_attr_get_payload(attr), len);
	buf[len] = '\0';
}

/* Keep the NLMSGERR_ATTR_MSG of an error/done message that starts off bytes into the payload. */
static void nl_extack(struct sl_nl *nl, const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(attr, nlh, off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
			attr_str(attr, nl->ext, sizeof(nl->ext));
	}
}

static int nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ctx *ctx = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		ctx->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	/* Without NETLINK_CAP_ACK (old kernels) the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	nl_extack(ctx->nl, nlh, off);
	if (e->error == 0) {
		/* A plain ACK can still carry a warning. */
		if (ctx->nl->ext[0])
			sl_debug("netlink: kernel: %s\n", ctx->nl->ext);
		return MNL_CB_STOP;
	}
	ctx->err = e->error;
	return MNL_CB_ERROR;
}

/* NLMSG_DONE ends a dump; an error that cut the dump short is an int in its payload. */
static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ctx *ctx = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return MNL_CB_STOP;
	nl_extack(ctx->nl, nlh, sizeof(int));
	ctx->err = err;
	return MNL_CB_ERROR;
}

static int nl_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ctx *ctx = data;

	return ctx->data_cb ? ctx->data_cb(nlh, ctx->data) : MNL_CB_OK;
}

/*
 * Our own control table replaces libmnl's, which drops the extack. Not
 * const: libmnl 1.0.4 takes a plain pointer.
 */
static mnl_cb_t nl_ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = nl_noop_cb,
	[NLMSG_ERROR] = nl_error_cb,
	[NLMSG_DONE] = nl_done_cb,
	[NLMSG_OVERRUN] = nl_noop_cb,
};

/*
 * Replies of a request that was abandoned half-way (a dump cut short by a
 * receive error) would otherwise be read as the answer to the next one. Each
 * recv also makes the kernel queue the next dump chunk, so this reads to the end.
 */
static void nl_drain(struct sl_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);

	for (;;) {
		if (recv(fd, nl->rbuf, nl->rlen, MSG_DONTWAIT) < 0 && errno != ENOBUFS &&
		    errno != EINTR)
			break;
	}
	nl->dirty = false;
}

/* A request buffer with its header; the caller adds the family header and attributes. */
static struct nlmsghdr *nl_msg(struct sl_nl *nl, __u16 type, __u16 flags)
{
	struct nlmsghdr *nlh;

	memset(nl->sbuf, 0, nl->slen);
	nlh = mnl_nlmsg_put_header(nl->sbuf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/*
 * Send nlh and read replies, passing data messages to data_cb, until the
 * ACK, the end of a dump or an error. Returns 0 or a negative errno; the
 * kernel's extack text, if any, is left in nl->ext. Records nothing: the
 * caller knows what the request was about.
 */
static int nl_talk(struct sl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t data_cb, void *data)
{
	struct nl_ctx ctx = {.nl = nl, .data_cb = data_cb, .data = data};
	ssize_t n;
	int ret;

	if (nl->dirty)
		nl_drain(nl);
	nl->ext[0] = '\0';
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->rbuf, nl->rlen);
		if (n < 0) {
			ret = -errno;
			nl->dirty = true;
			return ret;
		}
		errno = 0;
		ret = mnl_cb_run2(nl->rbuf, n, nlh->nlmsg_seq, nl->portid, nl_data_cb, &ctx,
				  nl_ctl_cbs, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (ret == MNL_CB_STOP)
		return 0;
	if (ctx.err)
		return ctx.err;
	/* libmnl refused a message (wrong seq, interrupted dump) or a callback failed. */
	ret = errno ? -errno : -EPROTO;
	nl->dirty = true;
	return ret;
}

/*
 * Record "WHAT: reason (kernel: "extack") — hint" and return err. nl may be
 * NULL when the failure did not come from a netlink reply.
 */
static int nl_fail(struct sl_nl *nl, int err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int nl_fail(struct sl_nl *nl, int err, const char *hint, const char *fmt, ...)
{
	const char *ext = nl && nl->ext[0] ? nl->ext : NULL;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!hint && (err == -EPERM || err == -EACCES))
		hint = "needs CAP_NET_ADMIN (run as root)";
	return sl_errf(err, "%s: %s%s%s%s%s%s", what, strerror(-err), ext ? " (kernel: \"" : "",
		       ext ? ext : "", ext ? "\")" : "", hint ? " — " : "", hint ? hint : "");
}

static int check_ifname(const char *name, const char *what)
{
	if (!name || !name[0])
		return sl_errf(-EINVAL, "%s: no interface name given", what);
	if (strlen(name) >= IFNAMSIZ)
		return sl_errf(-EINVAL, "%s: interface name %s is too long (at most %d characters)",
			       what, name, IFNAMSIZ - 1);
	return 0;
}

static int nl_open_here(struct sl_nl **out)
{
	struct sl_nl *nl;
	int one = 1, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return sl_errf(-ENOMEM, "open netlink socket: %s", strerror(ENOMEM));
	nl->slen = MNL_SOCKET_BUFFER_SIZE;
	nl->rlen = MNL_SOCKET_BUFFER_SIZE > NL_RECV_SIZE ? MNL_SOCKET_BUFFER_SIZE : NL_RECV_SIZE;
	nl->sbuf = malloc(nl->slen);
	nl->rbuf = malloc(nl->rlen);
	if (!nl->sbuf || !nl->rbuf) {
		err = sl_errf(-ENOMEM, "open netlink socket: %s", strerror(ENOMEM));
		goto err_free;
	}
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		sl_errf(err, "open netlink socket: %s", strerror(-err));
		goto err_free;
	}
	/*
	 * Best effort: extack only makes messages better, and a capped ACK
	 * keeps the echoed request out of error replies.
	 */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		sl_errf(err, "bind netlink socket: %s", strerror(-err));
		goto err_close;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	*out = nl;
	return 0;

err_close:
	mnl_socket_close(nl->sock);
err_free:
	free(nl->rbuf);
	free(nl->sbuf);
	free(nl);
	return err;
}

int sl_nl_open(struct sl_nl **out)
{
	*out = NULL;
	return nl_open_here(out);
}

/* "net:[4026532281]" for messages, from the fd's /proc link. */
static const char *ns_fd_name(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n <= 0) {
		snprintf(buf, size, "fd %d", fd);
		return buf;
	}
	buf[n] = '\0';
	return buf;
}

int sl_nl_open_netns(int netns_fd, struct sl_nl **out)
{
	char name[64];
	int self, err, rerr;

	*out = NULL;
	/* thread-self: setns() moves only this thread, so save this thread's netns. */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		return sl_errf(err, "open /proc/thread-self/ns/net: %s", strerror(-err));
	}
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return sl_errf(err, "enter netns %s: %s%s",
			       ns_fd_name(netns_fd, name, sizeof(name)), strerror(-err),
			       err == -EINVAL  ? " — not a network namespace fd"
			       : err == -EPERM ? " — needs CAP_SYS_ADMIN (run as root)"
					       : "");
	}
	/* The socket stays bound to the netns it was created in. */
	err = nl_open_here(out);
	if (setns(self, CLONE_NEWNET) < 0) {
		rerr = -errno;
		close(self);
		sl_nl_close(*out);
		*out = NULL;
		return sl_errf(rerr,
			       "return to the original netns after opening a socket in %s: %s — "
			       "this thread is left in the wrong namespace",
			       ns_fd_name(netns_fd, name, sizeof(name)), strerror(-rerr));
	}
	close(self);
	return err;
}

void sl_nl_close(struct sl_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->rbuf);
	free(nl->sbuf);
	free(nl);
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	/* Attributes newer than our headers are skipped, not an error. */
	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int link_parse(const struct nlmsghdr *nlh, struct sl_link_info *info)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) != MNL_CB_OK)
		return -EBADMSG;
	memset(info, 0, sizeof(*info));
	info->ifindex = ifi->ifi_index;
	info->up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_IFNAME])
		attr_str(tb[IFLA_IFNAME], info->name, sizeof(info->name));
	if (tb[IFLA_IFALIAS])
		attr_str(tb[IFLA_IFALIAS], info->alias, sizeof(info->alias));
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(info->mac))
		memcpy(info->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(info->mac));
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		info->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_LINKINFO]) {
		mnl_attr_for_each_nested(attr, tb[IFLA_LINKINFO])
		{
			if (mnl_attr_get_type(attr) == IFLA_INFO_KIND)
				attr_str(attr, info->kind, sizeof(info->kind));
		}
	}
	return 0;
}

struct link_get_ctx {
	struct sl_link_info *info;
	bool found;
};

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_get_ctx *ctx = data;

	if (link_parse(nlh, ctx->info) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ctx->found = true;
	return MNL_CB_OK;
}

/* One link by name (ifindex 0) or by ifindex; records nothing. */
static int link_query(struct sl_nl *nl, const char *name, int ifindex, struct sl_link_info *info)
{
	struct link_get_ctx ctx = {.info = info};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	nlh = nl_msg(nl, RTM_GETLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Statistics are the bulk of a link message and we never read them. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = nl_talk(nl, nlh, link_get_cb, &ctx);
	if (!err && !ctx.found)
		err = -ENODEV;
	return err;
}

/* The name of ifindex for a message, keeping the extack of the request that failed. */
static const char *nl_ifname(struct sl_nl *nl, int ifindex, char *buf, size_t size)
{
	struct sl_link_info info;
	char ext[sizeof(nl->ext)];

	memcpy(ext, nl->ext, sizeof(ext));
	if (link_query(nl, NULL, ifindex, &info) == 0)
		snprintf(buf, size, "%s", info.name);
	else
		snprintf(buf, size, "ifindex %d", ifindex);
	memcpy(nl->ext, ext, sizeof(ext));
	return buf;
}

int sl_nl_link_get(struct sl_nl *nl, const char *name, struct sl_link_info *info)
{
	int err;

	err = check_ifname(name, "look up link");
	if (err)
		return err;
	err = link_query(nl, name, 0, info);
	if (err == -ENODEV)
		return sl_errf(err, "link %s does not exist", name);
	if (err)
		return nl_fail(nl, err, NULL, "look up link %s", name);
	return 0;
}

struct link_foreach_ctx {
	int (*fn)(const struct sl_link_info *info, void *arg);
	void *arg;
	int ret;
};

static int link_foreach_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_foreach_ctx *ctx = data;
	struct sl_link_info info;

	/* After fn asked to stop, the rest of the dump is still read so the socket stays in sync. */
	if (ctx->ret)
		return MNL_CB_OK;
	if (link_parse(nlh, &info) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ctx->ret = ctx->fn(&info, ctx->arg);
	return MNL_CB_OK;
}

int sl_nl_link_foreach(struct sl_nl *nl, int (*fn)(const struct sl_link_info *info, void *arg),
		       void *arg)
{
	struct link_foreach_ctx ctx = {.fn = fn, .arg = arg};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	nlh = nl_msg(nl, RTM_GETLINK, NLM_F_DUMP);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = nl_talk(nl, nlh, link_foreach_cb, &ctx);
	if (err == -EINTR)
		return nl_fail(nl, err, "links changed during the dump, retry", "dump links");
	if (err)
		return nl_fail(nl, err, NULL, "dump links");
	return ctx.ret;
}

static int link_del(struct sl_nl *nl, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = nl_msg(nl, RTM_DELLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nl_talk(nl, nlh, NULL, NULL);
}

static int link_set_alias(struct sl_nl *nl, int ifindex, const char *alias)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = nl_msg(nl, RTM_SETLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_talk(nl, nlh, NULL, NULL);
}

/*
 * The product finds its own links by alias after a crash, so the alias must
 * really be there. Kernels ignore IFLA_IFALIAS on RTM_NEWLINK (it is applied
 * only when changing an existing link), so set it separately when missing.
 */
static int veth_ensure_alias(struct sl_nl *nl, const struct sl_veth_spec *spec)
{
	struct sl_link_info info;
	int err;

	err = link_query(nl, spec->name, 0, &info);
	if (err)
		return nl_fail(nl, err, NULL, "look up new veth %s", spec->name);
	if (strcmp(info.alias, spec->alias) == 0)
		return 0;
	err = link_set_alias(nl, info.ifindex, spec->alias);
	if (err)
		return nl_fail(nl, err, NULL, "set alias \"%s\" on %s", spec->alias, spec->name);
	err = link_query(nl, spec->name, 0, &info);
	if (err)
		return nl_fail(nl, err, NULL, "look up new veth %s", spec->name);
	if (strcmp(info.alias, spec->alias) != 0)
		return sl_errf(-EIO, "set alias \"%s\" on %s: the kernel kept \"%s\"", spec->alias,
			       spec->name, info.alias);
	return 0;
}

static void veth_put_end(struct nlmsghdr *nlh, const char *name, const __u8 *mac, unsigned int mtu)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
}

int sl_nl_veth_create(struct sl_nl *nl, const struct sl_veth_spec *spec)
{
	struct nlattr *linkinfo, *data, *peer;
	struct sl_link_info info;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	err = check_ifname(spec->name, "create veth");
	if (!err)
		err = check_ifname(spec->peer_name, "create veth");
	if (err)
		return err;
	if (spec->alias && strlen(spec->alias) > NL_ALIAS_MAX)
		return sl_errf(-EINVAL,
			       "create veth %s: alias \"%s\" is too long (at most %zu bytes)",
			       spec->name, spec->alias, NL_ALIAS_MAX);

	nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	veth_put_end(nlh, spec->name, spec->mac, spec->mtu);
	if (spec->alias && spec->alias[0])
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, spec->alias);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is described like a whole link: an ifinfomsg, then its attributes. */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	veth_put_end(nlh, spec->peer_name, spec->peer_mac, spec->mtu);
	if (spec->peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, spec->peer_netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);

	err = nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return nl_fail(nl, err,
			       err == -EEXIST
				       ? "pick another --ifname or disconnect the old endpoint"
				       : NULL,
			       "create veth %s <-> %s", spec->name, spec->peer_name);
	if (!spec->alias || !spec->alias[0])
		return 0;
	err = veth_ensure_alias(nl, spec);
	if (err) {
		/* Without its alias the pair could not be found again: do not leave it behind. */
		if (link_query(nl, spec->name, 0, &info) == 0)
			link_del(nl, info.ifindex);
		return err;
	}
	return 0;
}

int sl_nl_link_set_up(struct sl_nl *nl, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	char name[32];
	int err;

	nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return nl_fail(nl, err, NULL, "set link %s up",
			       nl_ifname(nl, ifindex, name, sizeof(name)));
	return 0;
}

int sl_nl_link_del(struct sl_nl *nl, int ifindex)
{
	int err;

	err = link_del(nl, ifindex);
	if (err == -ENODEV)
		return sl_errf(err, "delete link ifindex %d: it does not exist", ifindex);
	if (err) {
		char name[32];

		return nl_fail(nl, err, NULL, "delete link %s",
			       nl_ifname(nl, ifindex, name, sizeof(name)));
	}
	return 0;
}

int sl_nl_addr_add(struct sl_nl *nl, int ifindex, __be32 addr, unsigned int prefixlen,
		   bool noprefixroute)
{
	char a[INET_ADDRSTRLEN], name[32];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int err;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (prefixlen > 32)
		return sl_errf(-EINVAL, "add address %s/%u: prefix length must be 0..32", a,
			       prefixlen);
	nlh = nl_msg(nl, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	/* IFA_F_NOPREFIXROUTE does not fit the 8-bit ifa_flags. */
	mnl_attr_put_u32(nlh, IFA_FLAGS, noprefixroute ? IFA_F_NOPREFIXROUTE : 0);
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return nl_fail(nl, err, NULL, "add address %s/%u on %s", a, prefixlen,
			       nl_ifname(nl, ifindex, name, sizeof(name)));
	return 0;
}

int sl_nl_route_add(struct sl_nl *nl, __be32 dst, unsigned int prefixlen, __be32 gateway,
		    int ifindex)
{
	char d[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN + 5] = "", name[32];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	inet_ntop(AF_INET, &dst, d, sizeof(d));
	if (gateway) {
		strcpy(gw, " via ");
		inet_ntop(AF_INET, &gateway, gw + 5, sizeof(gw) - 5);
	}
	if (prefixlen > 32)
		return sl_errf(-EINVAL, "add route %s/%u%s: prefix length must be 0..32", d,
			       prefixlen, gw);
	nlh = nl_msg(nl, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = prefixlen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	if (gateway) {
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
		/*
		 * The gateway is in no on-link prefix (addresses are added
		 * with NOPREFIXROUTE), so tell the kernel it is reachable
		 * on this link anyway.
		 */
		rtm->rtm_flags = RTNH_F_ONLINK;
	} else {
		rtm->rtm_scope = RT_SCOPE_LINK;
	}
	if (prefixlen)
		mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
	if (gateway)
		mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gateway), &gateway);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return nl_fail(nl, err, err == -ENETDOWN ? "bring the link up first" : NULL,
			       "add route %s/%u%s dev %s", d, prefixlen, gw,
			       nl_ifname(nl, ifindex, name, sizeof(name)));
	return 0;
}

int sl_nl_neigh_add(struct sl_nl *nl, int ifindex, __be32 addr, const __u8 mac[6])
{
	char a[INET_ADDRSTRLEN], name[32];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	nlh = nl_msg(nl, RTM_NEWNEIGH, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, sizeof(addr), &addr);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err) {
		inet_ntop(AF_INET, &addr, a, sizeof(a));
		return nl_fail(nl, err, NULL,
			       "add neighbour %s lladdr %02x:%02x:%02x:%02x:%02x:%02x on %s", a,
			       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			       nl_ifname(nl, ifindex, name, sizeof(name)));
	}
	return 0;
}

struct addr_list_ctx {
	__be32 *out;
	unsigned int max, n;
};

static int addr_list_attr_cb(const struct nlattr *attr, void *data)
{
	struct addr_list_ctx *ctx = data;

	/* IFA_LOCAL is the interface's own address (IFA_ADDRESS the peer's on p2p links). */
	if (mnl_attr_get_type(attr) == IFA_LOCAL && mnl_attr_get_payload_len(attr) == 4 &&
	    ctx->n < ctx->max)
		ctx->out[ctx->n++] = *(__be32 *)mnl_attr_get_payload(attr);
	return MNL_CB_OK;
}

static int addr_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	if (ifa->ifa_family == AF_INET)
		mnl_attr_parse(nlh, sizeof(*ifa), addr_list_attr_cb, data);
	return MNL_CB_OK;
}

int sl_nl_addr_list(struct sl_nl *nl, __be32 *out, unsigned int max)
{
	struct addr_list_ctx ctx = {.out = out, .max = max};
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int err;

	nlh = nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	err = nl_talk(nl, nlh, addr_list_cb, &ctx);
	if (err)
		return nl_fail(nl, err, NULL, "dump addresses");
	return ctx.n;
}

int sl_nl_addr_is_local(struct sl_nl *nl, __be32 addr)
{
	__be32 addrs[1024];
	int n = sl_nl_addr_list(nl, addrs, 1024);

	for (int i = 0; i < n; i++)
		if (addrs[i] == addr)
			return 1;
	return n < 0 ? n : 0;
}

/* ---- route lookup (sluice-proxy) ---- */

struct route_get_ctx {
	bool found;
	__u8 type;    /* RTN_* */
	int oif;      /* RTA_OIF, 0 when absent */
	bool gateway; /* RTA_GATEWAY or RTA_VIA present */
};

static int route_get_attr_cb(const struct nlattr *attr, void *data)
{
	struct route_get_ctx *ctx = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ctx->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
	case RTA_VIA:
		ctx->gateway = true;
		break;
	}
	return MNL_CB_OK;
}

static int route_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_get_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	ctx->found = true;
	ctx->type = rtm->rtm_type;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_get_attr_cb, ctx) < 0 ? MNL_CB_ERROR
									     : MNL_CB_OK;
}

int sl_nl_route_oif(struct sl_nl *nl, __be32 dst, int *ifindex, char name[16])
{
	struct route_get_ctx ctx = {0};
	struct sl_link_info info;
	char d[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	inet_ntop(AF_INET, &dst, d, sizeof(d));
	*ifindex = 0;
	name[0] = '\0';
	nlh = nl_msg(nl, RTM_GETROUTE, NLM_F_ACK);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
	err = nl_talk(nl, nlh, route_get_cb, &ctx);
	if (err)
		return nl_fail(nl, err, NULL, "look up the route to %s", d);
	if (!ctx.found || !ctx.oif)
		return sl_errf(-ENETUNREACH, "look up the route to %s: no outgoing interface", d);
	*ifindex = ctx.oif;
	if (link_query(nl, NULL, ctx.oif, &info) == 0)
		snprintf(name, IFNAMSIZ, "%s", info.name);
	else
		return nl_fail(nl, -ENODEV, NULL, "look up the route to %s: interface %d", d,
			       ctx.oif);
	if (ctx.type == RTN_LOCAL)
		return sl_errf(-EADDRNOTAVAIL, "%s is an address of this host, not a container", d);
	if (ctx.type != RTN_UNICAST)
		return sl_errf(-ENETUNREACH,
			       "look up the route to %s: not a unicast route (type %u)", d,
			       ctx.type);
	if (ctx.gateway)
		return sl_errf(-EREMOTE,
			       "%s is not on a network of this host: its route goes through a "
			       "gateway on %s",
			       d, name);
	return 0;
}
