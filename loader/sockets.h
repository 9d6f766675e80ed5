/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockets.h - who holds a local port: listening TCP and bound UDP sockets of
 * the caller's network namespace, read from /proc/net, and the process that
 * owns one (for error messages that name the holder).
 */
#ifndef SL_SOCKETS_H
#define SL_SOCKETS_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Is a socket of the caller's netns bound to port/proto on addr? A socket
 * bound to 0.0.0.0 or [::] holds the port on every address; addr 0 asks
 * about every address. Returns 1 (and a description like "pid 812 (nginx)"
 * or "socket inode 4711" in holder), 0, or a negative errno.
 */
int sl_port_holder(__u8 proto, __be32 addr, __u16 port, char *holder, size_t len);

/*
 * Mark in bitmap (bit p = port p) every port that some listening TCP (or
 * bound UDP) socket of the caller's netns holds on any address: a cheap
 * first pass before sl_port_holder() for many ports.
 */
void sl_ports_held(__u8 proto, __u8 bitmap[65536 / 8]);

/*
 * Parse one line of /proc/net/{tcp,udp,tcp6,udp6}: the local address (IPv4,
 * or an IPv6 address's last word when it is IPv4-mapped; *any when bound to
 * the wildcard), local port, state and inode. Pure. Returns 0 or -EINVAL
 * (header and malformed lines).
 */
int sl_proc_net_parse(const char *line, int v6, __be32 *addr, int *any, __u16 *port,
		      unsigned int *state, unsigned long *inode);

#endif /* SL_SOCKETS_H */
