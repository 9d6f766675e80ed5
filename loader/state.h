/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * state.h - the instance's state file: networks, endpoints, published ports
 * and uplinks, so that `sluice up` can rebuild the topology after `down` or a
 * reboot.
 *
 * The kernel (pinned maps) holds the live truth; this file is what to
 * restore. It is a line-based text file, one record per line, written
 * atomically (temp file, fsync, rename, fsync of the directory):
 *
 *   # sluice state v1
 *   network NAME id=N subnet=A.B.C.D/N gateway=A.B.C.D [internal]
 *   endpoint NETWORK CONTAINER ip=A.B.C.D mac=MAC ifname=IF host_ifname=IF netns=PATH
 *            [nsdev=DEV nsino=INO] [alias=NAME]...      (all on one line)
 *   port CONTAINER NETWORK id=N proto=tcp|udp host=A.B.C.D:PORT container_port=PORT
 *            [allow=A.B.C.D/N]...                        (all on one line)
 *   uplink IFNAME
 *   cgroup PATH          (the cgroup the socket-level hooks are attached to)
 *   xdp native|generic|off  (XDP mode on the uplinks; absent = not chosen yet)
 *
 * Names (networks, containers, aliases) match [A-Za-z0-9][A-Za-z0-9_.-]*
 * and are at most SL_NAME_MAX-1 bytes. Fields after a record's names may come
 * in any order; sl_state_format writes them in the order shown, and writes
 * records grouped in the order shown.
 *
 * A port publishes host A.B.C.D:PORT (0.0.0.0: every host address) to
 * container_port on the address of endpoint (NETWORK, CONTAINER), which must
 * be in the file (before or after the port line). Its id (1..65535) is unique;
 * ports are strict decimals 1..65535; up to SL_MAX_PORT_ALLOW distinct allow=
 * CIDRs restrict the sources (none: everyone). Two ports with the same proto
 * and host port conflict when their host addresses are equal or either is
 * 0.0.0.0.
 */
#ifndef SL_STATE_H
#define SL_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"

#define SL_NAME_MAX	       64 /* including NUL */
#define SL_IFNAME_MAX	       16 /* IFNAMSIZ, including NUL */
#define SL_MAX_ALIASES	       8
#define SL_NETNS_MAX	       256 /* netns path, including NUL */
#define SL_STATE_MAX_NETWORKS  4096
#define SL_STATE_MAX_ENDPOINTS 65536
#define SL_STATE_MAX_UPLINKS   16
#define SL_MAX_PORT_ALLOW      8 /* --allow CIDRs per mapping */
#define SL_STATE_MAX_PORTS     65535
#define SL_STATE_LINE_MAX      8192	  /* longest record line, without '\n' */
#define SL_STATE_FILE_MAX      (64 << 20) /* bytes; larger is not a state file */

struct sl_network {
	char name[SL_NAME_MAX];
	__u32 id; /* 1.., unique in the instance; the datapath's net_id */
	struct sl_cidr subnet;
	__be32 gateway;
	bool internal;
};

struct sl_ep {
	char network[SL_NAME_MAX];
	char container[SL_NAME_MAX];
	__be32 addr;
	__u8 mac[6];			 /* container side */
	char ifname[SL_IFNAME_MAX];	 /* inside the container, e.g. eth0 */
	char host_ifname[SL_IFNAME_MAX]; /* host side veth */
	char netns[SL_NETNS_MAX];	 /* /run/netns/NAME or /proc/PID/ns/net */
	__u64 nsdev, nsino;		 /* identity of that netns when connected; 0 = unknown */
	unsigned int n_aliases;
	char aliases[SL_MAX_ALIASES][SL_NAME_MAX];
};

/*
 * One published host port: host address:port/proto -> a container's port on
 * one of its endpoints.
 */
struct sl_port {
	char container[SL_NAME_MAX];
	char network[SL_NAME_MAX]; /* with container: the endpoint whose address serves it */
	__u32 id;		   /* 1..65535, unique: the datapath's mapping id */
	__u8 proto;		   /* IPPROTO_TCP or IPPROTO_UDP */
	__be32 host_addr;	   /* network order; 0 = every address of the host */
	__u16 host_port;	   /* host order, 1..65535 */
	__u16 container_port;	   /* host order, 1..65535 */
	unsigned int n_allow;
	struct sl_cidr allow[SL_MAX_PORT_ALLOW]; /* sources admitted; none = everyone */
};

struct sl_state {
	unsigned int n_networks, n_endpoints, n_uplinks;
	struct sl_network *networks; /* heap arrays, grown as needed */
	struct sl_ep *endpoints;
	char uplinks[SL_STATE_MAX_UPLINKS][SL_IFNAME_MAX];
	char cgroup[SL_NETNS_MAX]; /* "" = socket-level hooks not attached */
	char xdp[8];		   /* "native", "generic", "off" or "" (not chosen yet) */
	unsigned int cap_networks, cap_endpoints;
	unsigned int n_ports, cap_ports;
	struct sl_port *ports;
};

void sl_state_init(struct sl_state *st);
void sl_state_free(struct sl_state *st);

/* true when name is a valid network/container/alias name. */
bool sl_name_valid(const char *name);

/*
 * Parse a whole state file from memory. Pure and bounds-checked: any
 * malformed, truncated or inconsistent input (unknown record, bad field,
 * duplicate network name or id, endpoint on an unknown network, address
 * outside its subnet, port on a missing endpoint, duplicate port id, host
 * port conflict, ...) returns -EINVAL (-ENOMEM) with a message naming
 * the line number in err (errlen bytes; err may be NULL). *st is overwritten,
 * not freed: pass an uninitialized or empty state. On error *st is left empty.
 */
int sl_state_parse(const char *buf, size_t len, struct sl_state *st, char *err, size_t errlen);

/*
 * Serialize; *out is malloc'ed, NUL-terminated, *outlen excludes the NUL.
 * Returns -EINVAL when a record has a field that would not parse back (bad
 * name, ifname, path, prefix or count), so a line can never be injected.
 */
int sl_state_format(const struct sl_state *st, char **out, size_t *outlen);

/* true when a and b hold the same records in the same order. */
bool sl_state_equal(const struct sl_state *a, const struct sl_state *b);

/*
 * Load from path; a missing file is an empty state. Errors are recorded with
 * sl_errf naming the file and the line, and the fix. *st as for parse.
 */
int sl_state_load(const char *path, struct sl_state *st);
/*
 * Atomic write: path.tmp, fsync, rename, fsync directory; the parent directory
 * is created (0700) if missing. A state that would not load back is refused
 * (-EINVAL). On failure the old file is untouched and path.tmp removed.
 */
int sl_state_save(const char *path, const struct sl_state *st);

/* Lookups return NULL when absent. Pointers are invalidated by add and del. */
struct sl_network *sl_state_network(struct sl_state *st, const char *name);
struct sl_network *sl_state_network_by_id(struct sl_state *st, __u32 id);
struct sl_ep *sl_state_endpoint(struct sl_state *st, const char *network, const char *container);

/*
 * Append (copying *n / *ep / *p); returns the stored element or NULL on
 * ENOMEM. Nothing is validated here: sl_state_save refuses a state that
 * would not load back.
 */
struct sl_network *sl_state_add_network(struct sl_state *st, const struct sl_network *n);
struct sl_ep *sl_state_add_endpoint(struct sl_state *st, const struct sl_ep *ep);
struct sl_port *sl_state_add_port(struct sl_state *st, const struct sl_port *p);
/*
 * Remove by index, keeping the order of the others. Nothing cascades:
 * deleting an endpoint leaves its ports, which the caller removes (a port
 * whose endpoint is missing makes the state unsaveable).
 */
void sl_state_del_network(struct sl_state *st, unsigned int idx);
void sl_state_del_endpoint(struct sl_state *st, unsigned int idx);
void sl_state_del_port(struct sl_state *st, unsigned int idx);

/* The lowest id not used by any network (1..). */
__u32 sl_state_next_network_id(const struct sl_state *st);
/* The lowest port id in 1..65535 not used by any port; 0 when all are taken. */
__u32 sl_state_next_port_id(const struct sl_state *st);

#endif /* SL_STATE_H */
