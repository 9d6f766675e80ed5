// SPDX-License-Identifier: BSD-2-Clause
/* instance.c - instance paths, the instance lock, privileges and bpffs. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "instance.h"
#include "log.h"
#include "state.h"

static const char *root_from_env(const char *var, const char *dflt)
{
	const char *v = getenv(var);

	return v && *v ? v : dflt;
}

int sl_instance_init(struct sl_instance *inst, const char *name)
{
	const char *pin, *state, *run;
	size_t len = strlen(name);

	memset(inst, 0, sizeof(*inst));
	inst->lock_fd = -1;
	if (len == 0 || len >= SL_INSTANCE_NAME_MAX || !sl_name_valid(name))
		return sl_errf(-EINVAL,
			       "invalid instance name '%s': use 1-%d characters of [A-Za-z0-9_.-], "
			       "starting with a letter or digit",
			       name, SL_INSTANCE_NAME_MAX - 1);
	strcpy(inst->name, name);
	pin = root_from_env("SLUICE_PIN_ROOT", "/sys/fs/bpf/sluice");
	state = root_from_env("SLUICE_STATE_ROOT", "/var/lib/sluice");
	run = root_from_env("SLUICE_RUN_ROOT", "/run/sluice");
	if (strlen(pin) > 400 || strlen(state) > 400 || strlen(run) > 400)
		return sl_errf(-ENAMETOOLONG, "SLUICE_*_ROOT paths are limited to 400 characters");
	snprintf(inst->pin_dir, sizeof(inst->pin_dir), "%s/%s", pin, name);
	snprintf(inst->state_dir, sizeof(inst->state_dir), "%s/%s", state, name);
	snprintf(inst->state_file, sizeof(inst->state_file), "%s/state", inst->state_dir);
	snprintf(inst->run_dir, sizeof(inst->run_dir), "%s/%s", run, name);
	return 0;
}

int sl_mkdirs(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int sl_instance_lock(struct sl_instance *inst)
{
	char path[PATH_MAX + 8];
	int err, fd;

	err = sl_mkdirs(inst->run_dir, 0700);
	if (err)
		return sl_errf(err, "create run directory %s: %s", inst->run_dir, strerror(-err));
	snprintf(path, sizeof(path), "%s/lock", inst->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		return sl_errf(err, "open lock file %s: %s", path, strerror(-err));
	}
	/* Wait a bounded time: a hung command must not block every later one forever. */
	for (int waited_ms = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited_ms += 50) {
		char holder[32] = "?";
		ssize_t n;

		if (errno != EWOULDBLOCK || waited_ms >= SL_LOCK_TIMEOUT_MS) {
			err = errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			n = pread(fd, holder, sizeof(holder) - 1, 0);
			holder[n > 0 ? n : 0] = '\0';
			holder[strcspn(holder, "\n")] = '\0';
			close(fd);
			return sl_errf(
				err,
				"instance '%s' is busy: another sluice command (pid %s) holds %s "
				"— wait for it, or stop that process",
				inst->name, holder[0] ? holder : "?", path);
		}
		usleep(50 * 1000);
	}
	/* Record the holder for the message above (best effort). */
	if (ftruncate(fd, 0) == 0) {
		char pid[32];
		int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

		if (pwrite(fd, pid, len, 0) != len)
			sl_debug("could not record pid in %s\n", path);
	}
	inst->lock_fd = fd;
	return 0;
}

void sl_instance_unlock(struct sl_instance *inst)
{
	if (inst->lock_fd >= 0)
		close(inst->lock_fd);
	inst->lock_fd = -1;
}

int sl_check_privileges(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{CAP_NET_ADMIN, "CAP_NET_ADMIN"},
		{CAP_BPF, "CAP_BPF"},
		{CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
	};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return sl_errf(-errno, "read capabilities: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		int c = need[i].cap;

		if (!(data[c / 32].effective & (1U << (c % 32))))
			return sl_errf(-EPERM,
				       "missing %s: sluice loads BPF programs, changes links and "
				       "enters network namespaces — run it as root",
				       need[i].name);
	}
	return 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

int sl_bpffs_ensure(const struct sl_instance *inst)
{
	char root[PATH_MAX];
	char *slash;
	int err;

	/* The pin root is the parent of the instance's pin dir. */
	snprintf(root, sizeof(root), "%s", inst->pin_dir);
	slash = strrchr(root, '/');
	if (slash && slash != root)
		*slash = '\0';

	/* Walk up to the first existing directory and check its filesystem. */
	{
		char probe[PATH_MAX];

		snprintf(probe, sizeof(probe), "%s", root);
		while ((err = is_bpffs(probe)) == -ENOENT) {
			slash = strrchr(probe, '/');
			if (!slash || slash == probe)
				break;
			*slash = '\0';
		}
		if (err == 1)
			return sl_mkdirs(root, 0700);
		/* Only the standard location is mounted for the user. */
		if (strcmp(probe, "/sys/fs/bpf") != 0 && strncmp(root, "/sys/fs/bpf/", 12) != 0)
			return sl_errf(
				-ENOTSUP,
				"pin root %s is not on a bpffs: mount one there (mount -t bpf "
				"bpf DIR) or unset SLUICE_PIN_ROOT",
				root);
	}
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST)
		return sl_errf(-errno, "create /sys/fs/bpf: %s", strerror(errno));
	if (is_bpffs("/sys/fs/bpf") != 1 && mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		err = -errno;
		return sl_errf(err,
			       "bpffs unavailable: mount -t bpf bpf /sys/fs/bpf failed: %s — is "
			       "/sys mounted read-only (inside 'ip netns exec', use nsenter --net "
			       "instead)?",
			       strerror(-err));
	}
	err = sl_mkdirs(root, 0700);
	if (err)
		return sl_errf(err, "create pin root %s: %s", root, strerror(-err));
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

int sl_rmtree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void sl_crashpoint(const char *name)
{
	const char *want = getenv("SLUICE_CRASHPOINT");

	if (want && !strcmp(want, name))
		raise(SIGKILL);
}

int sl_self_path(char *buf, size_t len, int *dir_len)
{
	ssize_t n = len > 1 ? readlink("/proc/self/exe", buf, len - 1) : -1;
	char *slash;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*dir_len = slash - buf;
	return 0;
}
