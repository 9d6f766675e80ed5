/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl.h - shared pieces of the `sluice` CLI: the command context, the
 * command tables and argument helpers.
 */
#ifndef SL_CTL_H
#define SL_CTL_H

#include <stdbool.h>

#include "instance.h"
#include "state.h"

/* Command results besides 0 and -errno: a usage error exits 2. */
#define CTL_USAGE 2

struct ctl {
	struct sl_instance inst;
	const char *prog; /* argv[0] for help */
};

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
};

/*
 * Find argv[0] in a NULL-terminated table: an exact name, or an unambiguous
 * prefix. Returns the command, or NULL after recording a usage error.
 */
const struct ctl_cmd *ctl_lookup(const struct ctl_cmd *table, const char *what, const char *word);
/* Dispatch argv[0] through table; argc == 0 prints help via help(). */
int ctl_dispatch(struct ctl *c, const struct ctl_cmd *table, const char *what, int argc,
		 char **argv, void (*help)(void));

/* Record a usage error (exit 2). */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* true when argv has -h/--help (the command then prints its help and returns 0). */
bool ctl_wants_help(int argc, char **argv);

/*
 * Load the state under the instance lock. Mutating commands call
 * ctl_begin() (lock, load, reconcile leftovers of a killed run) and
 * ctl_commit() to save atomically.
 */
int ctl_begin(struct ctl *c, struct sl_state *st);
int ctl_commit(struct ctl *c, const struct sl_state *st);
/* Remove links and map entries that no record of st owns (leftovers of a killed run). */
void ctl_reconcile(struct ctl *c, const struct sl_state *st);
void ctl_end(struct ctl *c, struct sl_state *st);
/* Read-only: load without the lock (the file is replaced atomically). */
int ctl_load(struct ctl *c, struct sl_state *st);

/* The instance runs XDP on its uplinks (state records native or generic). */
static inline bool ctl_xdp_on(const struct sl_state *st)
{
	return st->xdp[0] && st->xdp[0] != 'o';
}

/* Refresh sl_hostaddrs from the host netns's addresses. */
struct sl_nl;
struct sl_dp;
int sync_hostaddrs(struct sl_nl *host, const struct sl_dp *dp);

/* The instance's sluice-dnsd: started by `up`, stopped by `down`. */
#define SL_MAX_DNS_UPSTREAMS 4
int ctl_dnsd_start(struct ctl *c, const char *const *upstreams, unsigned int n_upstreams);
int ctl_dnsd_stop(struct ctl *c);

/* Commands. */
int cmd_up(struct ctl *c, int argc, char **argv);
int cmd_down(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
int cmd_network(struct ctl *c, int argc, char **argv);
int cmd_port(struct ctl *c, int argc, char **argv);
int cmd_demo(struct ctl *c, int argc, char **argv);

#endif /* SL_CTL_H */
