/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - constants that vmlinux.h cannot give us (they are #defines in
 * the uapi headers, and vmlinux.h must not be mixed with the linux uapi headers).
 */
#ifndef SL_BPF_COMPAT_H
#define SL_BPF_COMPAT_H

#define ETH_ALEN   6
#define ETH_HLEN   14
#define ETH_P_IP   0x0800
#define ETH_P_ARP  0x0806
#define ETH_P_IPV6 0x86DD

#define IP_MF	  0x2000
#define IP_OFFSET 0x1FFF

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#endif /* SL_BPF_COMPAT_H */
