/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h - leveled logging and the one error-message slot.
 *
 * Logging: warn, info, debug, verbose; -v raises the level. libbpf's own
 * output is routed through sl_log one level lower than its own level.
 *
 * Errors: a failing function records one line that says what failed, on which
 * object, why and the fix (sl_errf), and returns a negative errno. The CLI
 * prints that line once, as text or JSON. The first error recorded wins until
 * sl_err_clear(), so an undo step that fails cannot hide the real cause.
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdarg.h>

enum sl_log_level {
	SL_LOG_WARN = 0,
	SL_LOG_INFO = 1,
	SL_LOG_DEBUG = 2,
	SL_LOG_VERBOSE = 3,
};

void sl_log_set_level(enum sl_log_level level);
enum sl_log_level sl_log_get_level(void);
void sl_log(enum sl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sl_log with a va_list. */
void sl_vlog(enum sl_log_level level, const char *fmt, va_list ap);
/* Route libbpf's messages into sl_log (log_libbpf.c). */
void sl_log_setup_libbpf(void);

#define sl_warn(...)  sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_info(...)  sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)

/* Record the error line (no trailing newline) and return err (negative errno). */
int sl_errf(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The recorded line, or NULL. */
const char *sl_err_msg(void);
void sl_err_clear(void);

#endif /* SL_LOG_H */
