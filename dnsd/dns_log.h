/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dns_log.h - sluice-dnsd's logging: stderr until the daemon detaches, syslog
 * (daemon facility) after. Levels are loader/log.h's, raised by each -v.
 * dns_warn() appends the current errno's text, dns_warnx() does not (the
 * OpenBSD log_warn/log_warnx split); the others never do.
 */
#ifndef DNS_LOG_H
#define DNS_LOG_H

#include "log.h" /* loader/log.h: the levels and the error slot */

void dns_log_init(const char *ident, enum sl_log_level level);
/* From now on write to syslog; stderr (and what loader code prints to it) goes there too. */
void dns_log_detach(void);

void dns_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dns_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dns_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dns_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dns_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log the loader's recorded error line (sl_err_msg) with a prefix, and clear it. */
void dns_warn_sl(const char *what);

#endif /* DNS_LOG_H */
