// SPDX-License-Identifier: BSD-2-Clause
/* dns_log.c - sluice-dnsd logging: stderr in the foreground, syslog once detached. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "dns_log.h"

static const char *log_ident = "sluice-dnsd";
static int detached;

void dns_log_init(const char *ident, enum sl_log_level level)
{
	log_ident = ident;
	sl_log_set_level(level);
}

/* stderr, once detached: anything printed to it (libsluice's sl_log) becomes a syslog line. */
static ssize_t syslog_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	syslog(LOG_INFO, "%.*s", (int)(len && buf[len - 1] == '\n' ? len - 1 : len), buf);
	return (ssize_t)len;
}

void dns_log_detach(void)
{
	static cookie_io_functions_t io = {.write = syslog_write};
	FILE *f;

	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	f = fopencookie(NULL, "w", io);
	if (f) {
		setvbuf(f, NULL, _IOLBF, 0);
		stderr = f;
	}
	detached = 1;
}

static void vlog(enum sl_log_level level, int err, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG};
	char line[1024];
	int n;

	if (level > sl_log_get_level())
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (err && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(err));
	if (detached)
		syslog(prio[level], "%s", line);
	else
		fprintf(stderr, "%s: %s\n", log_ident, line);
}

#define DEFINE_LOG(fn, level, with_errno)                                                          \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
                                                                                                   \
		va_start(ap, fmt);                                                                 \
		vlog(level, with_errno ? saved : 0, fmt, ap);                                      \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

DEFINE_LOG(dns_warn, SL_LOG_WARN, 1)
DEFINE_LOG(dns_warnx, SL_LOG_WARN, 0)
DEFINE_LOG(dns_info, SL_LOG_INFO, 0)
DEFINE_LOG(dns_debug, SL_LOG_DEBUG, 0)
DEFINE_LOG(dns_verbose, SL_LOG_VERBOSE, 0)

void dns_warn_sl(const char *what)
{
	const char *msg = sl_err_msg();

	dns_warnx("%s: %s", what, msg ? msg : "failed");
	sl_err_clear();
}
