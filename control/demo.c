// SPDX-License-Identifier: BSD-2-Clause
/* demo.c - `sluice demo`: placeholder until the demo lands. */
#include <errno.h>

#include "ctl.h"
#include "log.h"

int cmd_demo(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return sl_errf(-ENOSYS, "demo is not built yet");
}
