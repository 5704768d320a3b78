# skas0: a User-Mode Linux 6.12 whose separate-kernel-address-space layer
# (skas/, stub, stub placement, host probes) is ours.
#
#   make            build ./linux (also: make ARCH=um)
#   make run        boot it into a busybox shell
#   make test       host-side stub and probe tests, then the guest suite
#   make test-upstream   the guest suite against unmodified upstream 6.12
#   make test-isolation [KERNEL=upstream]   the host-side isolation checks
#   make bench      ours vs upstream vs host, interleaved
#
# KSRC=DIR uses an unpacked 6.12 tree instead of Debian's linux-source-6.12.

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
KTARBALL ?= /usr/src/linux-source-6.12.tar.xz
KSRC ?=
JOBS ?= $(shell nproc)
MEM ?= 256M

SRC := $(BUILD)/src
OBJ := $(BUILD)/obj
UPSRC := $(BUILD)/upstream-src
UPOBJ := $(BUILD)/upstream-obj
ROOTFS := $(BUILD)/rootfs


OURS := $(shell find arch probes stub ldscripts -type f 2>/dev/null)
PATCHES := $(wildcard patches/*.patch)

.PHONY: all linux run test test-host test-guest test-upstream test-isolation \
	deps clean upstream check-originality bench
all: linux

deps:
	@scripts/deps.sh

# ---------------------------------------------------------------- sources

# a pristine 6.12 tree in DIR
define unpack
	rm -rf $(1) && mkdir -p $(1)
	if [[ -n "$(KSRC)" ]]; then \
		cp -a "$(KSRC)"/. $(1)/; \
	else \
		tar xf $(KTARBALL) -C $(1) --strip-components=1; \
	fi
	grep -q '^PATCHLEVEL = 12$$' $(1)/Makefile || \
		{ echo "skas0: $(1) is not a Linux 6.12 tree" >&2; exit 1; }
endef

$(BUILD)/.src-unpacked: $(PATCHES) scripts/lay-in.sh | deps
	$(call unpack,$(SRC))
	touch $@

$(BUILD)/.src-laid-in: $(BUILD)/.src-unpacked $(OURS)
	scripts/lay-in.sh $(SRC) $(TOP)
	touch $@

$(BUILD)/.upstream-unpacked: | deps
	$(call unpack,$(UPSRC))
	touch $@

# ---------------------------------------------------------------- rootfs

$(BUILD)/.rootfs: rootfs/inittab rootfs/rcS rootfs/devices.list scripts/mkrootfs.sh | deps
	scripts/mkrootfs.sh $(TOP) $(ROOTFS)
	touch $@

# ---------------------------------------------------------------- config

# defconfig plus our fragment, for tree $(1) into objdir $(2)
define configure
	mkdir -p $(2)
	$(MAKE) -s -C $(1) O=$(2) ARCH=um defconfig
	sed 's|@ROOTFS@|$(ROOTFS)|; s|@REPO@|$(TOP)|' kconfig/skas0.config > $(2)/skas0.config
	cd $(2) && $(1)/scripts/kconfig/merge_config.sh -m -O $(2) .config skas0.config >/dev/null
	$(MAKE) -s -C $(1) O=$(2) ARCH=um olddefconfig
endef

$(OBJ)/.config: kconfig/skas0.config $(BUILD)/.src-laid-in $(BUILD)/.rootfs
	$(call configure,$(SRC),$(OBJ))

$(UPOBJ)/.config: kconfig/skas0.config $(BUILD)/.upstream-unpacked $(BUILD)/.rootfs
	$(call configure,$(UPSRC),$(UPOBJ))

# ---------------------------------------------------------------- kernels

linux: $(BUILD)/.src-laid-in $(OBJ)/.config
	$(MAKE) -C $(SRC) O=$(OBJ) ARCH=um -j$(JOBS) linux
	scripts/check-replaced.sh $(SRC) $(OBJ) $(TOP)
	ln -sf $(OBJ)/linux linux

upstream: $(UPOBJ)/.config
	$(MAKE) -C $(UPSRC) O=$(UPOBJ) ARCH=um -j$(JOBS) linux
	ln -sf $(UPOBJ)/linux linux-upstream

# ---------------------------------------------------------------- use

run: linux
	./linux mem=$(MEM)

test: linux
	tests/run-all.sh ./linux

test-host: linux
	tests/run-host.sh $(OBJ)

test-guest: linux
	tests/run-guest.sh ./linux

# KERNEL=upstream points the isolation checks at unmodified 6.12
KERNEL ?= ours
test-isolation: $(if $(filter upstream,$(KERNEL)),upstream,linux)
	tests/run-isolation.sh $(if $(filter upstream,$(KERNEL)),./linux-upstream,./linux)

test-upstream: upstream
	SKAS0_NO_UNPRIVILEGED=1 tests/run-guest.sh ./linux-upstream

bench: linux upstream
	scripts/bench.sh ./linux ./linux-upstream

check-originality:
	../shared/tools/originality-check $(TOP)

clean:
	rm -rf $(BUILD) linux linux-upstream
