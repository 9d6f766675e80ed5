/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common.h - what every sluice BPF program includes, in dependency order:
 * maps first, then the helpers that use them.
 */
#ifndef SL_BPF_COMMON_H
#define SL_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sluice_abi.h"
#include "lib/compat.h"
#include "lib/ctx.h"
#include "lib/parse.h"
#include "lib/flow.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/svc.h"
#include "lib/ct.h"
#include "lib/redirect.h"
#include "lib/local_fwd.h"
#include "lib/publish.h"
#include "lib/csum.h"
#include "lib/icmp.h"

const volatile __u32 sl_abi_version = SLUICE_ABI_VERSION;

#endif /* SL_BPF_COMMON_H */
