// SPDX-License-Identifier: BSD-2-Clause
/*
 * log_libbpf.c - libbpf's messages into sl_log. A file of its own so that
 * programs without BPF (sluice-dnsd) link neither libbpf nor what it needs.
 */
#include <bpf/libbpf.h>

#include "log.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are our info, its info our debug, its debug our verbose. */
	enum sl_log_level ours = level == LIBBPF_WARN	? SL_LOG_INFO
				 : level == LIBBPF_INFO ? SL_LOG_DEBUG
							: SL_LOG_VERBOSE;
	sl_vlog(ours, fmt, ap);
	return 0;
}

void sl_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
