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

CTL_SRCS  := $(wildcard control/*.c)
CTL_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(CTL_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))

BINS := $(BUILD)/sluice

.PHONY: all clean test test-unit test-bpf test-integration install deps check-deps demo format

all: check-deps $(BINS)

# The packages a fresh Debian 12 machine needs to build and test sluice.
DEPS_BUILD := make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libmnl-dev pkg-config
DEPS_TEST  := iproute2 iputils-ping netcat-openbsd procps util-linux jq nftables iptables
deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		$(DEPS_BUILD) $(DEPS_TEST)

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
	clang-format -i $(wildcard bpf/*.c bpf/*.h bpf/lib/*.h loader/*.[ch] control/*.[ch] tests/*/*.[ch])

clean:
	rm -rf $(BUILD)

FORCE:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
