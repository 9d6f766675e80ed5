// SPDX-License-Identifier: BSD-2-Clause
/* log.c - leveled logging to stderr and the error-message slot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum sl_log_level log_level = SL_LOG_WARN;
static char err_line[1024];
static int err_set;

void sl_log_set_level(enum sl_log_level level)
{
	log_level = level;
}

enum sl_log_level sl_log_get_level(void)
{
	return log_level;
}

void sl_vlog(enum sl_log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	/* Warnings and notices go to users: say who speaks, as errors do. */
	if (level == SL_LOG_WARN)
		fputs("sluice: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_vlog(level, fmt, ap);
	va_end(ap);
}

int sl_errf(int err, const char *fmt, ...)
{
	va_list ap;

	if (err_set)
		return err;
	va_start(ap, fmt);
	vsnprintf(err_line, sizeof(err_line), fmt, ap);
	va_end(ap);
	err_set = 1;
	return err;
}

const char *sl_err_msg(void)
{
	return err_set ? err_line : NULL;
}

void sl_err_clear(void)
{
	err_set = 0;
	err_line[0] = '\0';
}
