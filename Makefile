# skas0: a User-Mode Linux 6.12 whose separate-kernel-address-space layer
# (skas/, stub, stub placement, host probes) is ours.
#
#   make            build ./linux (also: make ARCH=um)
#   make run        boot it into a busybox shell
#   make test       host-side stub and probe tests, then the guest suite
#                   [MODES="fast ptrace"]: the skas0 modes the isolation and
#                   guest suites run in (default both)
#   make test-upstream   the guest suite against unmodified upstream 6.12
#   make test-isolation [KERNEL=upstream]   the host-side isolation checks
#   make test-hosts the probes and a guest smoke run on Debian's host
#                   kernels 6.1 and 6.12, in QEMU
#   make test-container   the whole suite as in a Docker container (noexec
#                   64 MB /dev/shm, Docker's seccomp profile, nobody)
#   make bench      ours vs upstream vs host, interleaved
#   make test-selftests   the 6.12 kernel selftests in ours and in upstream
#
# KSRC=DIR uses an unpacked 6.12 tree instead of Debian's linux-source-6.12,
# KTARBALL=FILE a tarball; without either, where Debian's package cannot be
# had, the release pinned in scripts/kernel-source.pin is fetched.

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
include scripts/kernel-source.pin
# Debian's linux-source-6.12 when it is (or can be) installed; else the
# pinned kernel.org release, fetched and checked into $(BUILD)/dl.
DEBIAN_TARBALL := /usr/src/linux-source-6.12.tar.xz
FETCHED_TARBALL := $(BUILD)/dl/linux-$(KERNEL_VERSION).tar.xz
KTARBALL ?= $(if $(or $(wildcard $(DEBIAN_TARBALL)),$(shell apt-cache show linux-source-6.12 >/dev/null 2>&1 && echo y)),$(DEBIAN_TARBALL),$(FETCHED_TARBALL))
KSRC ?=
JOBS ?= $(shell nproc)
MEM ?= 256M

# gcc and clang (LLVM=1) builds keep objects and configs apart
TOOLCHAIN := $(if $(LLVM),-llvm)
SRC := $(BUILD)/src
OBJ := $(BUILD)/obj$(TOOLCHAIN)
UPSRC := $(BUILD)/upstream-src
UPOBJ := $(BUILD)/upstream-obj$(TOOLCHAIN)
ROOTFS := $(BUILD)/rootfs


OURS := $(shell find arch probes stub ldscripts -type f 2>/dev/null)
PATCHES := $(wildcard patches/*.patch)

.PHONY: FORCE all linux run test test-host test-guest test-upstream test-isolation \
	test-hosts test-container deps test-deps fetch-kernel clean upstream check-originality bench \
	test-selftests
all: linux

deps:
	@scripts/deps.sh build
	$(if $(LLVM),@scripts/deps.sh llvm)

$(FETCHED_TARBALL):
	scripts/fetch-kernel.sh "$(KERNEL_URL)" "$(KERNEL_SHA256)" $@

# the kernel source, when it comes from a tarball
fetch-kernel: $(if $(KSRC),,$(if $(filter $(FETCHED_TARBALL),$(KTARBALL)),$(FETCHED_TARBALL)))

test-deps:
	@scripts/deps.sh test

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

# The tree is unpacked again only when the patches change in content, not
# in mtime: a fresh checkout, or a CI cache restored under it, touches them.
PATCH_STAMP := $(BUILD)/.patches.sha256
$(PATCH_STAMP): FORCE
	@mkdir -p $(BUILD)
	@sha256sum $(PATCHES) scripts/lay-in.sh | cmp -s - $@ || \
		sha256sum $(PATCHES) scripts/lay-in.sh > $@

$(BUILD)/.src-unpacked: $(PATCH_STAMP) | deps fetch-kernel
	$(call unpack,$(SRC))
	touch $@

$(BUILD)/.src-laid-in: $(BUILD)/.src-unpacked $(OURS)
	scripts/lay-in.sh $(SRC) $(TOP)
	touch $@

$(BUILD)/.upstream-unpacked: | deps fetch-kernel
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

test: linux test-deps
	$(if $(MODES),SKAS0_MODES="$(MODES)") tests/run-all.sh ./linux

test-host: linux
	tests/run-host.sh $(OBJ)

test-guest: linux
	tests/run-guest.sh ./linux

# KERNEL=upstream points the isolation checks at unmodified 6.12
KERNEL ?= ours
# upstream's init is the embedded root's /sbin/init only when told (rdinit=)
UPSTREAM_ARGS := rdinit=/sbin/init
test-isolation: $(if $(filter upstream,$(KERNEL)),upstream,linux) test-deps
	$(if $(filter upstream,$(KERNEL)),SKAS0_BOOT_ARGS=$(UPSTREAM_ARGS)) \
	tests/run-isolation.sh $(if $(filter upstream,$(KERNEL)),./linux-upstream,./linux)

test-upstream: upstream test-deps
	SKAS0_NO_UNPRIVILEGED=1 SKAS0_BOOT_ARGS=$(UPSTREAM_ARGS) tests/run-guest.sh ./linux-upstream

test-hosts: linux test-deps
	@scripts/deps.sh hosts
	tests/run-hosts.sh ./linux

test-container: linux test-deps
	tests/run-container.sh ./linux

bench: linux upstream
	scripts/bench.sh ./linux ./linux-upstream

test-selftests: linux upstream test-deps
	@scripts/deps.sh selftests
	SKAS0_UPSTREAM_ARGS=$(UPSTREAM_ARGS) tests/run-selftests.sh ./linux ./linux-upstream

check-originality:
	../shared/tools/originality-check $(TOP)

clean:
	rm -rf $(BUILD) linux linux-upstream
