// SPDX-License-Identifier: BSD-2-Clause
/* session.c - a command's view of the instance: lock, state, clean-up of leftovers. */
#include <errno.h>
#include <string.h>

#include "ctl.h"
#include "datapath.h"
#include "endpoint.h"
#include "log.h"
#include "nl.h"

int ctl_load(struct ctl *c, struct sl_state *st)
{
	sl_state_init(st);
	return sl_state_load(c->inst.state_file, st);
}

int ctl_begin(struct ctl *c, struct sl_state *st)
{
	int err;

	sl_state_init(st);
	err = sl_check_privileges();
	if (!err)
		err = sl_instance_lock(&c->inst);
	if (!err)
		err = sl_state_load(c->inst.state_file, st);
	if (err) {
		sl_instance_unlock(&c->inst);
		return err;
	}
	ctl_reconcile(c, st);
	return 0;
}

void ctl_reconcile(struct ctl *c, const struct sl_state *st)
{
	struct sl_nl *host = NULL;
	struct sl_dp dp;

	/*
	 * A command killed half-way (SIGKILL) leaves links or map entries the
	 * state does not know: every mutating command first removes them.
	 */
	if (!sl_dp_is_up(&c->inst) || sl_dp_open(&c->inst, &dp)) {
		sl_err_clear();
		return;
	}
	if (sl_nl_open(&host) == 0)
		ep_reconcile(&c->inst, host, &dp, st);
	sl_err_clear();
	sl_nl_close(host);
	sl_dp_close(&dp);
}

int ctl_commit(struct ctl *c, const struct sl_state *st)
{
	return sl_state_save(c->inst.state_file, st);
}

void ctl_end(struct ctl *c, struct sl_state *st)
{
	sl_state_free(st);
	sl_instance_unlock(&c->inst);
}
