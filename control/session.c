// SPDX-License-Identifier: BSD-2-Clause
/* session.c - a command's view of the instance: lock, state, clean-up of leftovers. */
#include <errno.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

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
	if (err)
		sl_instance_unlock(&c->inst);
	return err;
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
