// SPDX-License-Identifier: BSD-2-Clause
/*
 * netns.c - network namespace handles (declared in nl.h). Apart from the
 * netlink code so that a program that only enters namespaces (sluice-dnsd)
 * links without libmnl.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>

#include "log.h"
#include "nl.h"

static const char *mode_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISFIFO(mode))
		return "a fifo";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a namespace file";
}

static const char *ns_type_name(int type)
{
	switch (type) {
	case CLONE_NEWNS:
		return "a mount namespace";
	case CLONE_NEWUTS:
		return "a uts namespace";
	case CLONE_NEWIPC:
		return "an ipc namespace";
	case CLONE_NEWUSER:
		return "a user namespace";
	case CLONE_NEWPID:
		return "a pid namespace";
	case CLONE_NEWCGROUP:
		return "a cgroup namespace";
	case CLONE_NEWTIME:
		return "a time namespace";
	default:
		return "another kind of namespace";
	}
}

/*
 * Open path and make sure it is a network namespace. Failures of open() are
 * returned unrecorded (the caller knows how to name them); a file that is
 * not a net namespace is recorded as -EINVAL. Returns the fd.
 */
static int netns_open_checked(const char *path, __u64 *dev, __u64 *ino)
{
	struct stat st;
	int fd, type, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return sl_errf(err, "stat netns %s: %s", path, strerror(-err));
	}
	/* ENOTTY means the file is not on nsfs at all. */
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return sl_errf(-EINVAL, "%s is not a network namespace (it is %s)", path,
			       type < 0 ? mode_name(st.st_mode) : ns_type_name(type));
	}
	if (dev)
		*dev = st.st_dev;
	if (ino)
		*ino = st.st_ino;
	return fd;
}

int sl_netns_open_path(const char *path, __u64 *dev, __u64 *ino)
{
	const char *base;
	struct stat st;
	int fd, err;

	/* stat first: opening a fifo or device just to reject it could block or have effects. */
	if (stat(path, &st) < 0) {
		err = -errno;
		if (err == -ENOENT) {
			base = strrchr(path, '/');
			base = base ? base + 1 : path;
			return sl_errf(err,
				       "netns %s does not exist — create it (ip netns add %s) or "
				       "pass --pid",
				       path, base);
		}
		return sl_errf(err, "netns %s: %s", path, strerror(-err));
	}
	if (!S_ISREG(st.st_mode))
		return sl_errf(-EINVAL, "%s is not a network namespace (it is %s)", path,
			       mode_name(st.st_mode));
	fd = netns_open_checked(path, dev, ino);
	if (fd == -ENOENT)
		return sl_errf(fd, "netns %s disappeared while opening it", path);
	if (fd < 0)
		return sl_errf(fd, "open netns %s: %s%s", path, strerror(-fd),
			       fd == -EACCES ? " — run as root" : "");
	return fd;
}

int sl_netns_open_pid(int pid, __u64 *dev, __u64 *ino)
{
	char path[64];
	int fd;

	if (pid <= 0)
		return sl_errf(-EINVAL, "invalid pid %d — must be a positive process id", pid);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return sl_errf(-ESRCH, "process %d does not exist", pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = netns_open_checked(path, dev, ino);
	/* /proc/PID exists but its namespace links do not: a zombie, or it just exited. */
	if (fd == -ENOENT)
		return sl_errf(-ESRCH, "process %d has exited (no network namespace left)", pid);
	if (fd < 0)
		return sl_errf(fd, "open netns of process %d (%s): %s%s", pid, path, strerror(-fd),
			       fd == -EACCES ? " — run as root" : "");
	return fd;
}
