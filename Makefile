# SPDX-License-Identifier: BSD-2-Clause
# sluice - build everything into build/. `make V=1` shows the commands.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/sbin
LIBEXECDIR = $(PREFIX)/libexec/sluice
MANDIR   = $(PREFIX)/share/man

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CFLAGS  ?= -O2 -g
CFLAGS  += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -MMD -MP
CPPFLAGS += -I$(BUILD) -Ibpf -Iloader -Icontrol
LDLIBS  += -lbpf -lelf -lz -lmnl
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(BUILD) -Ibpf

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Delete a target whose recipe failed, so a broken file never looks built.
.DELETE_ON_ERROR:
# Keep BPF objects: skeletons are made from them, tests and bench read them.
.SECONDARY:
.SUFFIXES:

BPF_PROGS := sl_endpoint sl_uplink sl_sock sl_xdp
BPF_OBJS  := $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(BPF_PROGS))
BPF_TEST_OBJS := $(patsubst %,$(BUILD)/bpf/test/%.bpf.o,$(BPF_PROGS))
SKELS     := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))
TEST_SKELS := $(patsubst %,$(BUILD)/test/%.skel.h,$(BPF_PROGS))

LIB_SRCS  := $(wildcard loader/*.c)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libsluice.a

CTL_SRCS  := $(filter-out control/proxy.c control/proxy_wait.c,$(wildcard control/*.c))
CTL_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(CTL_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))

BINS := $(BUILD)/sluice

.PHONY: all clean test test-unit test-bpf test-integration install deps check-deps demo format

all: check-deps $(BINS)

# The packages a fresh Debian 12 machine needs to build and test sluice.
DEPS_BUILD := make gcc libc6-dev clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libmnl-dev pkg-config
DEPS_TEST  := sockperf iperf3 gnuplot-nox iproute2 iputils-ping netcat-openbsd procps util-linux jq nftables iptables bind9-dnsutils ethtool libclang-rt-14-dev docker.io busybox-static dnsperf aardvark-dns
# docker.io brings dockerd, which must not start in the root namespace (it
# would create docker0 and rewrite the firewall): while installing, a
# policy-rc.d refuses every service start (unless the machine has its own).
deps:
	apt-get update
	@p=/usr/sbin/policy-rc.d; ours=; rc=0; \
	if [ ! -e $$p ]; then printf '#!/bin/sh\nexit 101\n' >$$p; chmod 0755 $$p; ours=1; fi; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		$(DEPS_BUILD) $(DEPS_TEST) || rc=$$?; \
	if [ -n "$$ours" ]; then rm -f $$p; fi; exit $$rc

# Name the missing Debian package rather than fail deep inside a compile.
check-deps:
	@missing=""; \
	command -v $(CLANG) >/dev/null || missing="$$missing clang"; \
	command -v $(BPFTOOL) >/dev/null || missing="$$missing bpftool"; \
	command -v $(LLVM_STRIP) >/dev/null || missing="$$missing llvm"; \
	test -f /usr/include/bpf/libbpf.h || missing="$$missing libbpf-dev"; \
	test -f /usr/include/libelf.h || missing="$$missing libelf-dev"; \
	test -f /usr/include/zlib.h || missing="$$missing zlib1g-dev"; \
	test -f /usr/include/libmnl/libmnl.h || missing="$$missing libmnl-dev"; \
	test -r /sys/kernel/btf/vmlinux || { echo "kernel BTF missing: /sys/kernel/btf/vmlinux (need CONFIG_DEBUG_INFO_BTF=y)"; exit 1; }; \
	if [ -n "$$missing" ]; then \
		echo "missing build dependencies; install them with: apt-get install$$missing (or: make deps)"; \
		exit 1; \
	fi

# vmlinux.h is regenerated each build but only replaced when it changed, so
# BPF objects are not rebuilt needlessly.
$(BUILD)/vmlinux.h: FORCE | $(BUILD)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN      $@"; fi

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h bpf/lib/*.h) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/bpf/test/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h bpf/lib/*.h) | $(BUILD)/bpf/test
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DSL_TEST_HOOKS -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/test/%.skel.h: $(BUILD)/bpf/test/%.bpf.o | $(BUILD)/test
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_test > $@

$(BUILD)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/sluice: $(CTL_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB) $(TEST_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD) $(BUILD)/bpf $(BUILD)/bpf/test $(BUILD)/test:
	$(Q)mkdir -p $@

# Tests need root (BPF, netns). Each suite prints "N passed, N failed".
test: all $(UNIT_BINS) $(BPFT_BINS)
	$(Q)tests/run.sh $(BUILD)

test-unit: $(UNIT_BINS)
	$(Q)tests/run.sh $(BUILD) unit

test-bpf: all $(BPFT_BINS)
	$(Q)tests/run.sh $(BUILD) bpf

test-integration: all
	$(Q)tests/run.sh $(BUILD) integration

demo: all
	$(BUILD)/sluice demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/sluice $(DESTDIR)$(BINDIR)/sluice
	install -m 0644 control/sluice.8 $(DESTDIR)$(MANDIR)/man8/sluice.8

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h bpf/lib/*.h loader/*.[ch] control/*.[ch] dnsd/*.[ch] bench/*.c tests/*.h tests/*/*.[ch])

clean:
	rm -rf $(BUILD)

FORCE:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- bench ----
# Benchmarks (bench/README.md): `make bench` quick (about 10 minutes), `make
# bench FULL=1` (more and longer rounds), `make bench SMOKE=1` (under a minute:
# every path built, measured once briefly and checked; "bench-smoke: N passed,
# N failed"). Needs root; installs its tools with `make bench-deps` (apt-get).
# The bench's own tools (bench/*.c: connrate, udpflood, udpsink) build into
# build/bench/.
BENCH_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE
BENCH_MODE := $(if $(filter 1 yes,$(SMOKE)),--smoke,$(if $(filter 1 yes,$(FULL)),--full,--quick))

.PHONY: bench bench-deps

BENCH_TOOLS := $(BUILD)/bench/connrate $(BUILD)/bench/udpflood $(BUILD)/bench/udpsink \
	$(BUILD)/bench/ctfill $(BUILD)/bench/xdpgen

bench: all bench-deps $(BENCH_TOOLS)
	bench/run.sh $(BENCH_MODE) --build $(BUILD)

bench-deps:
	$(Q)bench/deps.sh

# `make test` runs the smoke mode (tests/integration/test_bench_smoke.sh).
test: $(BENCH_TOOLS)
test-integration: $(BENCH_TOOLS)

$(BUILD)/bench/%: bench/%.c bench/tool.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) $< -o $@ -lpthread

# ctfill writes a pinned sl_ct: libbpf and the ABI header (bench/ctscale.sh).
$(BUILD)/bench/ctfill: bench/ctfill.c bench/tool.h bpf/sluice_abi.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) -Ibpf $< -o $@ -lbpf

# xdpgen sends frames with its own XDP program (bench/xdpgen.bpf.c).
$(BUILD)/bench/xdpgen.bpf.o: bench/xdpgen.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/xdpgen.skel.h: $(BUILD)/bench/xdpgen.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xdpgen_bpf > $@

$(BUILD)/bench/xdpgen: bench/xdpgen.c bench/tool.h $(BUILD)/bench/xdpgen.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) -I$(BUILD)/bench $< -o $@ -lbpf

# ---- dnsd ----
# sluice-dnsd (dnsd/): container name resolution per network. Its pure parts
# (wire.c, zone.c) are linked into the golden tests and the fuzzer as well.
DNSD_SRCS := $(wildcard dnsd/*.c)
DNSD_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DNSD_SRCS))
DNSD_PURE := $(BUILD)/dnsd/wire.o $(BUILD)/dnsd/zone.o
DNSDT_SRCS := $(wildcard tests/dnsd/test_*.c)
DNSDT_BINS := $(patsubst tests/dnsd/%.c,$(BUILD)/tests/dnsd/%,$(DNSDT_SRCS))
# A tiny upstream resolver the integration test runs in its own namespace.
DNS_STUB  := $(BUILD)/tests/dnsd/dns_stub

.PHONY: test-dnsd install-dnsd fuzz fuzz-check

all: $(BUILD)/sluice-dnsd
test: $(DNSDT_BINS) $(DNS_STUB)
test-integration: $(DNS_STUB)

# sluice-dnsd needs no library but the C library (no BPF, no netlink, no
# NSS), and links it statically: one resident copy of only the code it runs,
# 0.9 MB RSS where the shared libc's pages alone made 1.3 MB of a 1.7 MB RSS.
# DNSD_LDFLAGS= links it dynamically.
DNSD_LDFLAGS ?= -static
$(BUILD)/sluice-dnsd: $(DNSD_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(DNSD_LDFLAGS) -o $@

$(BUILD)/tests/dnsd/%: tests/dnsd/%.c $(DNSD_PURE) $(LIB)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Idnsd -Itests -DDNS_GOLDEN_DIR='"$(CURDIR)/tests/dnsd/golden"' \
		$(CFLAGS) $< $(DNSD_PURE) $(LIB) $(LDLIBS) -o $@

test-dnsd: $(DNSDT_BINS)
	$(Q)tests/run.sh $(BUILD) dnsd

install: install-dnsd
install-dnsd: $(BUILD)/sluice-dnsd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/sluice-dnsd $(DESTDIR)$(BINDIR)/sluice-dnsd
	install -m 0644 dnsd/sluice-dnsd.8 $(DESTDIR)$(MANDIR)/man8/sluice-dnsd.8

# Every libFuzzer target under ASan and UBSan, FUZZ_TIME seconds each. New
# inputs go to build/fuzz/NAME.work; the committed corpus is only read.
FUZZ_TIME  ?= 60
FUZZ_CC    ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -Iloader -Ibpf -Idnsd -I$(BUILD)
FUZZERS    := fuzz_dns fuzz_state fuzz_portspec
FUZZ_SRCS_fuzz_dns      := dnsd/wire.c dnsd/zone.c loader/state.c loader/addr.c loader/log.c
FUZZ_LIBS_fuzz_dns      := -lbpf
FUZZ_SRCS_fuzz_state    := loader/state.c loader/addr.c loader/log.c
FUZZ_LIBS_fuzz_state    := -lbpf
FUZZ_SRCS_fuzz_portspec := loader/portspec.c loader/addr.c

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard dnsd/*.[ch] loader/*.[ch])
	@mkdir -p $(@D)
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*) -o $@

fuzz-check:
	@rt=$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-$$(uname -m).a); \
	[ -f "$$rt" ] || { echo "libFuzzer runtime missing: apt-get install libclang-rt-14-dev (or: make deps)"; exit 1; }

$(patsubst %,$(BUILD)/fuzz/%,$(FUZZERS)): | fuzz-check

fuzz: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZERS))
	$(Q)set -e; for f in $(FUZZERS); do \
		c=tests/fuzz/corpus/$${f#fuzz_}; w=$(BUILD)/fuzz/$$f.work; \
		d=tests/fuzz/$${f#fuzz_}.dict; mkdir -p $$w; \
		echo "  FUZZ     $$f for $(FUZZ_TIME) s ($$c)"; \
		$(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$$f- \
			$$( [ -f $$d ] && echo -dict=$$d ) $$w $$c 2>$(BUILD)/fuzz/$$f.log || \
			{ tail -n 40 $(BUILD)/fuzz/$$f.log; echo "$$f: crash, see $(BUILD)/fuzz/$$f.log"; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' $(BUILD)/fuzz/$$f.log | tail -n 2; \
	done

# ---- test tools ----
# Small helpers the integration suites run (tests/tools/): sockprobe connects,
# serves and binds, and prints what getpeername()/recvfrom() report.
TOOLS_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE

test: $(BUILD)/tests/tools/sockprobe
test-integration: $(BUILD)/tests/tools/sockprobe

$(BUILD)/tests/tools/sockprobe: tests/tools/sockprobe.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TOOLS_CFLAGS) $< -o $@

# ---- sluice-proxy ----
# sluice-proxy (control/proxy.c): dockerd's --userland-proxy-path, installing
# each binding into the running instance instead of copying bytes. Installed
# to $(LIBEXECDIR); point dockerd at it. tests/tools/fd3run gives a command
# the status pipe on fd 3 that dockerd would (tests/integration/test_proxy.sh);
# tests/integration/test_docker.sh runs the real dockerd with it.
.PHONY: install-proxy

# sluice-proxy-wait (control/proxy_wait.c): what a proxy execs into once its
# mapping is in, a freestanding program of a page or two; built where it has a
# system call shim (x86_64, aarch64). Elsewhere sluice-proxy waits in process.
PROXY_WAIT := $(if $(filter x86_64 aarch64,$(shell uname -m)),$(BUILD)/sluice-proxy-wait)
WAIT_CFLAGS := -Os -Wall -Wextra -Werror -std=gnu11 -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-nostdlib -static -no-pie

all: $(BUILD)/sluice-proxy $(PROXY_WAIT)
# test_docker.sh runs sockprobe inside a busybox image: a static build of it.
PROXY_TEST_TOOLS := $(BUILD)/tests/tools/fd3run $(BUILD)/tests/tools/sockprobe-static
test: $(BUILD)/sluice-proxy $(PROXY_WAIT) $(PROXY_TEST_TOOLS)
test-integration: $(BUILD)/sluice-proxy $(PROXY_WAIT) $(PROXY_TEST_TOOLS)

$(BUILD)/sluice-proxy: $(BUILD)/control/proxy.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/sluice-proxy-wait: control/proxy_wait.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WAIT_CFLAGS) $< -o $@

$(BUILD)/tests/tools/fd3run: tests/tools/fd3run.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TOOLS_CFLAGS) $< -o $@

$(BUILD)/tests/tools/sockprobe-static: tests/tools/sockprobe.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TOOLS_CFLAGS) -static $< -o $@

install: install-proxy
install-proxy: $(BUILD)/sluice-proxy $(PROXY_WAIT)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/sluice-proxy $(PROXY_WAIT) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 control/sluice-proxy.8 $(DESTDIR)$(MANDIR)/man8/sluice-proxy.8

# ---- more bench (defined last: they name tools defined above) ----
# The other comparisons, each with the same SMOKE=1 / FULL=1 modes:
# conntrack scale (bench/ctscale.sh), control-plane scale against dockerd
# (bench/scale.sh), DNS against Docker's and Podman's servers (bench/dns.sh).
# bench-all runs the four one after the other (about 30 minutes quick).
.PHONY: bench-ct bench-scale bench-dns bench-all
bench-ct: all bench-deps $(BENCH_TOOLS)
	bench/ctscale.sh $(BENCH_MODE) --build $(BUILD)
bench-scale: all bench-deps $(BUILD)/sluice-proxy $(PROXY_WAIT) $(BUILD)/tests/tools/sockprobe $(PROXY_TEST_TOOLS)
	bench/scale.sh $(BENCH_MODE) --build $(BUILD)
bench-dns: all bench-deps $(DNS_STUB)
	bench/dns.sh $(BENCH_MODE) --build $(BUILD)
bench-all:
	$(MAKE) bench
	$(MAKE) bench-ct
	$(MAKE) bench-scale
	$(MAKE) bench-dns
