// SPDX-License-Identifier: BSD-2-Clause
/* dnsd_ctl.c - start and stop the instance's sluice-dnsd from `up` and `down`. */
#include <errno.h>
#include <limits.h>
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
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(out, len, "sluice-dnsd");
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(out, len, "%s/sluice-dnsd", self);
	if (access(out, X_OK))
		snprintf(out, len, "sluice-dnsd");
}

int ctl_dnsd_start(struct ctl *c, const char *const *upstreams, unsigned int n_upstreams)
{
	const char *argv[DNSD_MAX_ARGS];
	char path[PATH_MAX];
	unsigned int argc = 0;
	int status;
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
	char path[SL_DIR_MAX + 16], buf[32];
	struct timespec tick = {.tv_nsec = 50 * 1000 * 1000};
	FILE *f;
	long pid;

	snprintf(path, sizeof(path), "%s/dnsd.pid", c->inst.run_dir);
	f = fopen(path, "re");
	if (!f)
		return 0; /* not running */
	pid = fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, 10) : 0;
	fclose(f);
	if (pid <= 1 || kill(pid, SIGTERM) < 0)
		return 0; /* stale pidfile: the daemon is gone */
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		nanosleep(&tick, NULL);
	if (kill(pid, 0) == 0)
		return sl_errf(-ETIMEDOUT, "sluice-dnsd (pid %ld) did not stop within 5 s", pid);
	return 0;
}
