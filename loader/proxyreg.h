/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxyreg.h - the registry of sluice-proxy mappings.
 *
 * dockerd starts one sluice-proxy per published binding and owns those
 * mappings (it starts them again after a restart), so they are not in the
 * state file. Each lives as one file under the instance's run directory:
 *
 *   <run dir>/proxy/<tcp|udp>-<A.B.C.D>-<PORT>        (the host side)
 *
 * holding one line:
 *
 *   pid=<pid> start=<ticks> id=<id> container=<A.B.C.D>:<PORT> bridge=<ifname>
 *
 * pid and start (field 22 of /proc/PID/stat: clock ticks after boot) name the
 * owning process, so a reused pid is not mistaken for the owner; id is the
 * mapping id (SL_PROXY_ID_BASE..SL_PROXY_ID_MAX: the CLI's own mappings use
 * 1..SL_PROXY_ID_BASE-1); container is the backend; bridge is the interface
 * that routes to it, where sl_br_ingress is attached. Fields come in that
 * order, separated by one space; ports are strict decimals 1..65535.
 *
 * Files are replaced atomically (write NAME.tmp, rename), and every change is
 * made under the instance lock. A record whose owner is dead (pid gone, a
 * zombie, or alive with another start time) is reaped: its sl_svc entry and
 * its conntrack entries are removed with it.
 */
#ifndef SL_PROXYREG_H
#define SL_PROXYREG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "datapath.h"
#include "instance.h"
#include "nl.h"

#define SL_PROXY_ID_BASE 32768 /* first mapping id of sluice-proxy mappings */
#define SL_PROXY_ID_MAX	 65535 /* last one (SL_MAX_SVC - 1) */
#define SL_PROXYREG_DIR	 "proxy"
/* "udp-255.255.255.255-65535" + NUL */
#define SL_PROXYREG_NAME_MAX 32
/* The longest record line, '\n' and NUL included. */
#define SL_PROXYREG_LINE_MAX 160

_Static_assert(SL_PROXY_ID_MAX < SL_MAX_SVC, "proxy ids index sl_svc_stats");

struct sl_proxyreg {
	/* The host side, from the file name. */
	__u8 proto;	  /* IPPROTO_TCP or IPPROTO_UDP */
	__be32 host_addr; /* network order; 0 = every address of the host */
	__u16 host_port;  /* host order, 1..65535 */
	/* The file's line. */
	int pid;		  /* owning sluice-proxy */
	unsigned long long start; /* its start time: /proc/PID/stat field 22, clock ticks */
	__u32 id;		  /* SL_PROXY_ID_BASE..SL_PROXY_ID_MAX */
	__be32 container_addr;	  /* network order */
	__u16 container_port;	  /* host order, 1..65535 */
	char bridge[16];	  /* IFNAMSIZ, NUL-terminated, no spaces */
};

/* ---- pure: names and lines (no I/O) ---- */

/* "tcp-0.0.0.0-8080" into buf (SL_PROXYREG_NAME_MAX bytes). Returns 0 or -EINVAL. */
int sl_proxyreg_name(const struct sl_proxyreg *r, char *buf, size_t len);
/* The host side from a file name; -EINVAL unless it is exactly what sl_proxyreg_name writes. */
int sl_proxyreg_parse_name(const char *name, struct sl_proxyreg *r);
/*
 * The line, '\n'-terminated, into buf (SL_PROXYREG_LINE_MAX bytes). Returns
 * its length, or -EINVAL when a field would not parse back (bad id, port,
 * pid or bridge name).
 */
int sl_proxyreg_format(const struct sl_proxyreg *r, char *buf, size_t len);
/*
 * Parse a line (len bytes, one optional trailing '\n', no NUL needed) into the
 * line's fields of *r (the host side is left alone). Returns 0 or -EINVAL.
 */
int sl_proxyreg_parse(const char *buf, size_t len, struct sl_proxyreg *r);
/*
 * From the text of /proc/PID/stat: the state letter (field 3) and the start
 * time (field 22). The command name may hold spaces and parentheses: fields
 * are counted after its last ')'. Returns 0 or -EINVAL.
 */
int sl_proc_stat_parse(const char *buf, size_t len, char *state, unsigned long long *start);

/* ---- the registry directory (callers that change it hold the instance lock) ---- */

/* <run dir>/proxy into buf. */
void sl_proxyreg_dir(const struct sl_instance *inst, char *buf, size_t len);
/* Write (or atomically replace) the record's file, creating the directory. */
int sl_proxyreg_save(const struct sl_instance *inst, const struct sl_proxyreg *r);
/* The record for a host side: 0, -ENOENT when there is none, -EINVAL when malformed. */
int sl_proxyreg_load(const struct sl_instance *inst, __u8 proto, __be32 host_addr, __u16 port,
		     struct sl_proxyreg *r);
/* Remove the record's file (missing is fine). */
int sl_proxyreg_remove(const struct sl_instance *inst, const struct sl_proxyreg *r);
/*
 * Call fn for every well-formed record (a missing directory has none); stops
 * when fn returns non-zero, which is returned. Malformed files are skipped.
 */
int sl_proxyreg_foreach(const struct sl_instance *inst,
			int (*fn)(const struct sl_proxyreg *r, void *arg), void *arg);

/* The start time of a live process; -ESRCH when it is gone or a zombie. */
int sl_proc_starttime(int pid, unsigned long long *start);
/* true when the record's owner still runs (same pid, same start time, not a zombie). */
bool sl_proxyreg_alive(const struct sl_proxyreg *r);
/*
 * The live record that holds proto/port on host_addr (equal addresses, or
 * either one 0.0.0.0) into *out: returns 1, 0 when none, or a negative errno.
 */
int sl_proxyreg_conflict(const struct sl_instance *inst, __u8 proto, __be32 host_addr, __u16 port,
			 struct sl_proxyreg *out);

/* ---- the datapath side ---- */

/*
 * Take a mapping out: its sl_svc entry (only while that entry still carries
 * r->id: a newer owner's entry stays), its conntrack entries, its file.
 */
int sl_proxyreg_uninstall(const struct sl_instance *inst, const struct sl_dp *dp,
			  const struct sl_proxyreg *r);
/* Delete every conntrack entry of mapping id; returns how many (counted as ct_flushed). */
int sl_proxyreg_flush_flows(const struct sl_dp *dp, __u32 id);
/* Attach the pinned sl_br_ingress to the bridge (idempotent: replaces sluice's filter). */
int sl_proxyreg_attach_bridge(const struct sl_instance *inst, int ifindex, const char *ifname);
/*
 * Detach sl_br_ingress from the bridges of the registry's records (`sluice
 * down`). The records stay: `sluice up` attaches it again (sl_proxyreg_reap).
 * Returns how many bridges, or a negative errno.
 */
int sl_proxyreg_detach_bridges(const struct sl_instance *inst, struct sl_nl *nl);
/*
 * Reconcile the registry with the datapath; the caller holds the instance
 * lock and has dp open. Records whose owner is dead are uninstalled, and so
 * are malformed files (their entry only when its id is a proxy id). Live
 * records get their sl_svc entry back when it is missing (after `sluice
 * down; up`, or `up` dropping entries the state file does not list) and
 * sl_br_ingress attached to their bridge again. Returns how many records were
 * removed, or a negative errno.
 */
int sl_proxyreg_reap(const struct sl_instance *inst, const struct sl_dp *dp);
/*
 * The same pass for a new proxy, in one walk of the registry (which counts
 * when dockerd starts a proxy per port of a 1000-port range): fn sees every
 * well-formed record with its owner's liveness; a dead one is uninstalled as
 * above unless fn returns true (the new proxy adopts it: dockerd restarted
 * and starts the same binding again). Nothing is restored: `sluice up` does.
 */
int sl_proxyreg_reap_scan(const struct sl_instance *inst, const struct sl_dp *dp,
			  bool (*fn)(const struct sl_proxyreg *r, bool alive, void *arg),
			  void *arg);

#endif /* SL_PROXYREG_H */
