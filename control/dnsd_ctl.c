// SPDX-License-Identifier: BSD-2-Clause
/* dnsd_ctl.c - start and stop the instance's sluice-dnsd from `up` and `down`. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ctl.h"
#include "log.h"

#define DNSD_MAX_ARGS (8 + 2 * SL_MAX_DNS_UPSTREAMS)

/* sluice-dnsd next to this binary (a build tree or one install prefix), else PATH. */
static void dnsd_path(char *out, size_t len)
{
	char self[PATH_MAX - 16];
	int dir_len;

	if (sl_self_path(self, sizeof(self), &dir_len) == 0) {
		snprintf(out, len, "%.*s/sluice-dnsd", dir_len, self);
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "sluice-dnsd");
}

/* The running daemon's pid from its pidfile, or 0. */
static long dnsd_pid(struct ctl *c, char *path, size_t len)
{
	char buf[32];
	FILE *f;
	long pid;

	snprintf(path, len, "%s/dnsd.pid", c->inst.run_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	pid = fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, 10) : 0;
	fclose(f);
	return pid > 1 && kill(pid, 0) == 0 ? pid : 0;
}

/* Gone, or exited and waiting to be reaped by whoever adopted it (state Z). */
static bool dnsd_exited(long pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	if (kill(pid, 0) < 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && (p[2] == 'Z' || p[2] == 'X');
}

/* Does the running daemon have exactly these options (argv[1..])? */
static bool same_options(long pid, const char *const *opts, unsigned int n)
{
	char path[64], buf[4096];
	size_t len, off = 0;
	unsigned int i = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	off = strlen(buf) + 1; /* skip argv[0]: the path may differ */
	for (; off < len && i < n; i++) {
		if (strcmp(buf + off, opts[i]))
			return false;
		off += strlen(buf + off) + 1;
	}
	return i == n && off >= len;
}

int ctl_dnsd_start(struct ctl *c, const char *const *upstreams, unsigned int n_upstreams)
{
	const char *argv[DNSD_MAX_ARGS];
	char path[PATH_MAX], pidfile[SL_DIR_MAX + 16];
	unsigned int argc = 0;
	int status, err;
	long running;
	pid_t pid;

	dnsd_path(path, sizeof(path));
	argv[argc++] = path;
	argv[argc++] = "--instance";
	argv[argc++] = c->inst.name;
	for (unsigned int i = 0; i < n_upstreams && argc < DNSD_MAX_ARGS - 2; i++) {
		if (!strcmp(upstreams[i], "none")) {
			argv[argc++] = "--no-upstream";
			continue;
		}
		argv[argc++] = "--upstream";
		argv[argc++] = upstreams[i];
	}
	argv[argc] = NULL;

	/*
	 * Running already: keep it (it follows the state file by itself) unless
	 * other upstreams were asked for, then restart it with them.
	 */
	running = dnsd_pid(c, pidfile, sizeof(pidfile));
	if (running && (!n_upstreams || same_options(running, argv + 1, argc - 1)))
		return 0;
	if (running && (err = ctl_dnsd_stop(c)))
		return err;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return sl_errf(-errno, "start sluice-dnsd: fork: %s", strerror(errno));
	if (pid == 0) {
		/* The instance lock is ours, not the daemon's. */
		sl_instance_unlock(&c->inst);
		execvp(path, (char *const *)argv);
		fprintf(stderr, "sluice: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	/* It daemonizes and exits 0 once it serves (or "already runs"). */
	if (waitpid(pid, &status, 0) < 0)
		return sl_errf(-errno, "start sluice-dnsd: wait: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return sl_errf(-EIO,
			       "sluice-dnsd did not start (exit %d): container names will not "
			       "resolve — see its message above, or run 'sluice up --no-dns'",
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

int ctl_dnsd_stop(struct ctl *c)
{
	struct timespec tick = {.tv_nsec = 50 * 1000 * 1000};
	char pidfile[SL_DIR_MAX + 16];
	long pid = dnsd_pid(c, pidfile, sizeof(pidfile));

	if (!pid || kill(pid, SIGTERM) < 0)
		return 0; /* not running, or a stale pidfile */
	for (int i = 0; i < 100 && !dnsd_exited(pid); i++)
		nanosleep(&tick, NULL);
	if (!dnsd_exited(pid))
		return sl_errf(-ETIMEDOUT, "sluice-dnsd (pid %ld) did not stop within 5 s", pid);
	return 0;
}
