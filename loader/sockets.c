// SPDX-License-Identifier: BSD-2-Clause
/* sockets.c - find the local socket holding a port, and its process. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "sockets.h"

#define TCP_LISTEN_STATE 0x0A

int sl_proc_net_parse(const char *line, int v6, __be32 *addr, int *any, __u16 *port,
		      unsigned int *state, unsigned long *inode)
{
	char local[64], remote[64];
	unsigned int w[4], p;
	unsigned long ino;
	int n;

	/* "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 4711 ..." */
	n = sscanf(line, " %*u: %63[0-9A-Fa-f:] %63[0-9A-Fa-f:] %x %*s %*s %*s %*u %*d %lu", local,
		   remote, state, &ino);
	if (n != 4)
		return -EINVAL;
	if (!v6) {
		if (sscanf(local, "%8x:%4x", &w[0], &p) != 2 || strlen(local) != 13)
			return -EINVAL;
		/* The kernel prints the raw 32-bit word: on this host it is the __be32 as stored. */
		*addr = w[0];
		*any = w[0] == 0;
	} else {
		if (sscanf(local, "%8x%8x%8x%8x:%4x", &w[0], &w[1], &w[2], &w[3], &p) != 5 ||
		    strlen(local) != 37)
			return -EINVAL;
		*any = !w[0] && !w[1] && !w[2] && !w[3];
		/* ::ffff:a.b.c.d holds IPv4 a.b.c.d; other IPv6 addresses hold no IPv4 port. */
		if (!*any && !(w[0] == 0 && w[1] == 0 && w[2] == htonl(0xffff)))
			return -ENOENT;
		*addr = w[3];
	}
	*port = p;
	*inode = ino;
	return 0;
}

/* "pid N (comm)" of the process with socket inode, or "socket inode N". */
static void describe_owner(unsigned long inode, char *out, size_t len)
{
	char want[64], path[600], link[64], comm[64] = "?";
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	FILE *f;

	snprintf(out, len, "socket inode %lu", inode);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	proc = opendir("/proc");
	if (!proc)
		return;
	while ((pe = readdir(proc))) {
		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", pe->d_name);
			f = fopen(path, "re");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(f);
			}
			snprintf(out, len, "pid %s (%s)", pe->d_name, comm);
			closedir(fds);
			closedir(proc);
			return;
		}
		closedir(fds);
	}
	closedir(proc);
}

static int scan_file(const char *file, int v6, bool tcp, __be32 addr, __u16 port,
		     unsigned long *inode)
{
	char line[512];
	FILE *f = fopen(file, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int state;
		__be32 a;
		__u16 p;
		int any;

		if (sl_proc_net_parse(line, v6, &a, &any, &p, &state, inode))
			continue;
		if (p != port || (tcp && state != TCP_LISTEN_STATE))
			continue;
		if (any || !addr || a == addr) {
			fclose(f);
			return 1;
		}
	}
	fclose(f);
	return 0;
}

int sl_port_holder(__u8 proto, __be32 addr, __u16 port, char *holder, size_t len)
{
	bool tcp = proto == IPPROTO_TCP;
	unsigned long inode = 0;
	int ret;

	ret = scan_file(tcp ? "/proc/net/tcp" : "/proc/net/udp", 0, tcp, addr, port, &inode);
	if (ret == 0)
		ret = scan_file(tcp ? "/proc/net/tcp6" : "/proc/net/udp6", 1, tcp, addr, port,
				&inode);
	if (ret == 1)
		describe_owner(inode, holder, len);
	return ret;
}

static void mark_file(const char *file, int v6, bool tcp, __u8 *bitmap)
{
	char line[512];
	FILE *f = fopen(file, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long inode;
		unsigned int state;
		__be32 a;
		__u16 p;
		int any;

		if (sl_proc_net_parse(line, v6, &a, &any, &p, &state, &inode))
			continue;
		if (!tcp || state == TCP_LISTEN_STATE)
			bitmap[p / 8] |= 1U << (p % 8);
	}
	fclose(f);
}

void sl_ports_held(__u8 proto, __u8 bitmap[65536 / 8])
{
	bool tcp = proto == IPPROTO_TCP;

	memset(bitmap, 0, 65536 / 8);
	mark_file(tcp ? "/proc/net/tcp" : "/proc/net/udp", 0, tcp, bitmap);
	mark_file(tcp ? "/proc/net/tcp6" : "/proc/net/udp6", 1, tcp, bitmap);
}
