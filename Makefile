SHELL := /bin/bash
# tamix — build, boot and test.
#
#   make qemu     build the kernel and boot it in QEMU to the shell (SMP=2 MEM=2G)
#   make test     host unit tests, then the QEMU integration tests
#   make kernel   build build/tamix (the TamaGo distribution of Go is needed)
#   make qemu-gdb boot and wait for GDB on localhost:1234
#   make image    tamix.img (legacy BIOS disk) and tamix-efi.img (UEFI, GPT/FAT)
#   make efi      BOOTX64.EFI (UEFI application with the kernel embedded)
#   make bench    tamix against Linux 6.1 (Debian's kernel) on the bench_*
#                 programs in the same QEMU; MODE=icount (default) or wall
#   EXTRA_BIN=dir embeds every static ELF file of dir under /bin as well.

SMP       ?= 2
MEM       ?= 2G
EXTRA_BIN ?=

BUILD   := build
KERNEL  := $(BUILD)/tamix
BINDIR  := kernel/initramfs/bin
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

# The TamaGo distribution: $(TAMAGO), else the one `go tool tamago` keeps in
# the user cache directory (it clones and builds it there when missing).
TAMAGO_TAG  := tamago-go1.26.0
TAMAGO_DIST := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tamago-go/$(TAMAGO_TAG)/bin/go
TAMAGO      ?=
TAMAGO_ENV  := GOOS=tamago GOOSPKG=github.com/usbarmory/tamago GOARCH=amd64
LDFLAGS     := -T 0x10010000 -R 0x1000 -E pvh_start -X main.version=$(VERSION)

QEMU       := qemu-system-x86_64
QEMU_FLAGS := -machine q35,pic=off -cpu max -smp $(SMP) -m $(MEM) -no-reboot -nic none \
              -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none

# Debian packages the build and tests need.
DEBS := qemu-system-x86 musl-tools bsdutils cpio binutils gcc gnu-efi mtools dosfstools ovmf

# Boot images (docs/boot.md): the BIOS loader is GNU as code in boot/bios,
# the UEFI loader C (gnu-efi) and GNU as in boot/efi; tools/mkimage lays out
# the disks.
IMAGE     := tamix.img
EFI_IMAGE := tamix-efi.img
EFI_APP   := BOOTX64.EFI
GORAM_END := 0x20000000
ESP_KIB   := 65536
EFI_INC   := /usr/include/efi
EFI_LIB   := /usr/lib
EFI_CFLAGS := -I$(EFI_INC) -I$(EFI_INC)/x86_64 -O2 -Wall -Werror -fpic -fshort-wchar -fno-stack-protector \
              -fno-strict-aliasing -ffreestanding -mno-red-zone -mgeneral-regs-only -DGNU_EFI_USE_MS_ABI

.PHONY: all kernel user qemu qemu-gdb prof test test-host test-qemu deps clean have-tamago bench bench-deps bench-go linux-initramfs image bios-image efi

all: kernel

deps:
	@missing=""; \
	command -v $(QEMU) >/dev/null || missing="$$missing qemu-system-x86"; \
	command -v musl-gcc >/dev/null || missing="$$missing musl-tools"; \
	command -v script >/dev/null || missing="$$missing bsdutils"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	command -v as >/dev/null && command -v objcopy >/dev/null || missing="$$missing binutils"; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	[ -f $(EFI_LIB)/crt0-efi-x86_64.o ] || missing="$$missing gnu-efi"; \
	command -v mcopy >/dev/null || missing="$$missing mtools"; \
	command -v mkfs.fat >/dev/null || missing="$$missing dosfstools"; \
	[ -f /usr/share/OVMF/OVMF_CODE.fd ] || missing="$$missing ovmf"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "make: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "make: missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

# The vDSO: one PT_LOAD, no relocations (user/vdso/vdso-layout.lds).
VDSO_FLAGS := -O2 -fPIC -shared -nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables \
              -Wl,-T,user/vdso/vdso-layout.lds -Wl,-soname=linux-vdso.so.1 -Wl,--hash-style=both \
              -Wl,--version-script=user/vdso/vdso.lds -Wl,-z,max-page-size=4096 -Wl,--build-id=none

user: deps
	@mkdir -p $(BINDIR)
	@$(MAKE) -s -C user OUT=$(CURDIR)/$(BINDIR)
	@gcc $(VDSO_FLAGS) -o kernel/initramfs/vdso.so user/vdso/vdso.c
	@if [ -n "$(EXTRA_BIN)" ]; then \
		for f in $(EXTRA_BIN)/*; do \
			if [ -f "$$f" ] && head -c 4 "$$f" | grep -q 'ELF'; then cp "$$f" $(BINDIR)/; echo "make: embedding $$f as /bin/$$(basename $$f)"; fi; \
		done; \
	fi

kernel: user
	@mkdir -p $(BUILD)
	@tg="$(TAMAGO)"; \
	if [ -z "$$tg" ]; then tg=$$(go tool -n github.com/usbarmory/tamago/cmd/tamago) || exit 1; fi; \
	if [ -z "$(TAMAGO)" ] && [ ! -x "$(TAMAGO_DIST)" ]; then \
		echo "make: $(TAMAGO_DIST) is missing; asking 'go tool tamago' to build it (needs GitHub, ~5 min)"; \
	fi; \
	$(TAMAGO_ENV) $$tg build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(KERNEL) ./kernel || { \
		if [ -n "$(TAMAGO)" ] || [ -x "$(TAMAGO_DIST)" ]; then exit 1; fi; \
		echo ""; \
		echo "make: could not build the kernel. It needs the TamaGo distribution of Go ($(TAMAGO_TAG))."; \
		echo "  With internet access, 'go tool tamago' clones github.com/usbarmory/tamago-go and builds it"; \
		echo "  into $(dir $(patsubst %/,%,$(dir $(TAMAGO_DIST)))) by itself."; \
		echo "  Offline: build a copy of usbarmory/tamago-go at tag $(TAMAGO_TAG) there (cd src && ./make.bash),"; \
		echo "  or set TAMAGO=/path/to/tamago-go/bin/go."; \
		exit 1; }
	@echo "make: built $(KERNEL) ($$(du -h $(KERNEL) | cut -f1))"

qemu: kernel
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio -kernel $(KERNEL)

qemu-gdb: kernel
	@echo "make: QEMU waits for GDB: gdb $(KERNEL) -ex 'target remote localhost:1234'"
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio -s -S -kernel $(KERNEL)

# image: the legacy BIOS disk image and the UEFI (GPT + FAT ESP) image.
image: bios-image efi
	@rm -f $(BUILD)/esp.fat
	@mkfs.fat -F 32 -s 1 -n TAMIX -C $(BUILD)/esp.fat $(ESP_KIB) >/dev/null
	@mmd -i $(BUILD)/esp.fat ::/EFI ::/EFI/BOOT
	@mcopy -i $(BUILD)/esp.fat $(EFI_APP) ::/EFI/BOOT/BOOTX64.EFI
	@$(BUILD)/mkimage gpt -esp $(BUILD)/esp.fat -o $(EFI_IMAGE)
	@echo "make: built $(EFI_IMAGE) (GPT, FAT32 ESP with \EFI\BOOT\BOOTX64.EFI)"

$(BUILD)/mkimage: $(wildcard tools/mkimage/*.go)
	@mkdir -p $(BUILD)
	@go build -o $@ ./tools/mkimage

bios-image: kernel $(BUILD)/mkimage
	@as --32 -o $(BUILD)/bios.o boot/bios/loader.S
	@ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o $(BUILD)/bios.bin $(BUILD)/bios.o
	@$(BUILD)/mkimage check -kernel $(KERNEL) -max-end $(GORAM_END)
	@$(BUILD)/mkimage bios -loader $(BUILD)/bios.bin -kernel $(KERNEL) -o $(IMAGE)
	@echo "make: built $(IMAGE) (legacy BIOS; dd it to a USB stick, see docs/boot.md)"

efi: kernel $(BUILD)/mkimage
	@$(BUILD)/mkimage check -kernel $(KERNEL) -max-end $(GORAM_END)
	@gcc $(EFI_CFLAGS) -c boot/efi/main.c -o $(BUILD)/efi-main.o
	@as --64 -o $(BUILD)/efi-trampoline.o boot/efi/trampoline.S
	@as --64 -I $(BUILD) -o $(BUILD)/efi-kernel.o boot/efi/kernel.S
	@ld -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds -shared -Bsymbolic -L$(EFI_LIB) \
		$(EFI_LIB)/crt0-efi-x86_64.o $(BUILD)/efi-main.o $(BUILD)/efi-trampoline.o $(BUILD)/efi-kernel.o \
		-o $(BUILD)/bootx64.so -lefi -lgnuefi
	@objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela -j .rel.* -j .rela.* \
		-j .reloc --target efi-app-x86_64 --subsystem=10 $(BUILD)/bootx64.so $(EFI_APP)
	@echo "make: built $(EFI_APP) ($$(du -h $(EFI_APP) | cut -f1), kernel embedded)"

# have-tamago succeeds when a TamaGo distribution is present (nothing is built).
have-tamago:
	@[ -n "$(TAMAGO)" ] && [ -x "$(TAMAGO)" ] || [ -x "$(TAMAGO_DIST)" ]

test: deps
	go vet ./...
	go test -count=1 ./...
	@if $(MAKE) -s have-tamago; then \
		$(MAKE) kernel && $(MAKE) image && $(MAKE) test-qemu; \
	else \
		echo ""; \
		echo "##################################################################"; \
		echo "## make test: the TamaGo distribution ($(TAMAGO_TAG)) is missing:"; \
		echo "## the kernel was NOT built and the QEMU tests did NOT run."; \
		echo "## Run 'make kernel' to see how to get it."; \
		echo "##################################################################"; \
	fi

test-qemu:
	TAMIX_KERNEL=$(CURDIR)/$(KERNEL) TAMIX_IMAGE=$(CURDIR)/$(IMAGE) TAMIX_EFI_IMAGE=$(CURDIR)/$(EFI_IMAGE) TAMIX_USER_BIN=$(CURDIR)/$(BINDIR) go test -count=1 -v -timeout 20m ./tools/qemu/... 2>&1 | tee $(BUILD)/qemu-test.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|qemu_test' ; \
	st=$${PIPESTATUS[0]}; if [ $$st != 0 ]; then \
		echo "make: QEMU tests failed; the failures (full log: $(BUILD)/qemu-test.log):"; \
		grep -E -A30 '^\s+--- FAIL|Error Trace:' $(BUILD)/qemu-test.log | grep -v '^\s*tamix: ' | head -200; fi; exit $$st

# make prof CMD='bench_syscall 1000000': instructions per function while CMD runs.
CMD ?= bench_syscall 1000000
prof: kernel
	go run ./tools/qprof -- '$(CMD)'

# make bench: the same benchmark programs on tamix and on Linux, same QEMU.
# Linux is Debian's linux-image package (6.1, the CFS reference), fetched
# with apt-get download (any user; needs `apt-get update` done once) and
# unpacked with dpkg-deb; its initramfs holds busybox-static (as /sbin/busybox
# and /bin/sh), tools/bench/init.sh as /init and the user programs in /bin.
# MODE=icount (QEMU -icount shift=0,sleep=off: deterministic) or wall;
# BENCH_FLAGS go to tools/bench (e.g. -runs 3, -only syscall,fork, -smp 2).
MODE        ?= icount
BENCH_FLAGS ?=
LINUX_DIR   := $(BUILD)/linux
LINUX_PKG_RE := ^linux-image-6\.1\.[0-9]+-[0-9]+-amd64$$
BUSYBOX     ?= /bin/busybox

bench-deps:
	@missing=""; \
	command -v $(QEMU) >/dev/null || missing="$$missing qemu-system-x86"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "make: bench needs apt-get and dpkg-deb (Debian)"; exit 1; }; \
	file -L $(BUSYBOX) 2>/dev/null | grep -q 'statically linked' || missing="$$missing busybox-static"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "make: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "make: missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

# The newest linux-image-6.1.*-amd64 apt knows of (no -cloud, -rt, -dbg).
$(LINUX_DIR)/vmlinuz:
	@mkdir -p $(LINUX_DIR)
	@pkg=$$(apt-cache search --names-only '$(LINUX_PKG_RE)' | cut -d' ' -f1 | sort -V | tail -1); \
	if [ -z "$$pkg" ] && [ "$$(id -u)" = 0 ]; then apt-get update -qq; \
		pkg=$$(apt-cache search --names-only '$(LINUX_PKG_RE)' | cut -d' ' -f1 | sort -V | tail -1); fi; \
	if [ -z "$$pkg" ]; then echo "make: apt knows no linux-image-6.1.*-amd64 package; run apt-get update (as root) once"; exit 1; fi; \
	echo "make: fetching $$pkg (apt-get download)"; \
	rm -rf $(LINUX_DIR)/deb $(LINUX_DIR)/root && mkdir -p $(LINUX_DIR)/deb && \
	(cd $(LINUX_DIR)/deb && apt-get download -q "$$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed') && \
	dpkg-deb -x $(LINUX_DIR)/deb/$${pkg}_*.deb $(LINUX_DIR)/root && \
	rm -rf $(LINUX_DIR)/root/lib $(LINUX_DIR)/root/usr $(LINUX_DIR)/deb && \
	echo "$$pkg" > $(LINUX_DIR)/PACKAGE && \
	ln -sf $$(cd $(LINUX_DIR) && ls root/boot/vmlinuz-* | head -1) $(LINUX_DIR)/vmlinuz && \
	echo "make: $(LINUX_DIR)/vmlinuz -> $$(readlink $(LINUX_DIR)/vmlinuz)"

# Rebuilt every time (cheap): the user programs may have changed.
linux-initramfs: user bench-deps
	@rm -rf $(LINUX_DIR)/initramfs && mkdir -p $(LINUX_DIR)/initramfs/{bin,sbin,proc,sys,dev,tmp}
	@cp $(BINDIR)/* $(LINUX_DIR)/initramfs/bin/
	@cp $(BUSYBOX) $(LINUX_DIR)/initramfs/sbin/busybox
	@ln -s /sbin/busybox $(LINUX_DIR)/initramfs/bin/sh
	@cp tools/bench/init.sh $(LINUX_DIR)/initramfs/init && chmod 755 $(LINUX_DIR)/initramfs/init
	@(cd $(LINUX_DIR)/initramfs && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n > $(LINUX_DIR)/initramfs.cpio.gz
	@echo "make: built $(LINUX_DIR)/initramfs.cpio.gz ($$(du -h $(LINUX_DIR)/initramfs.cpio.gz | cut -f1))"

bench: bench-deps kernel $(LINUX_DIR)/vmlinuz linux-initramfs
	go run ./tools/bench -mode $(MODE) -tamix $(KERNEL) -linux $(LINUX_DIR)/vmlinuz -initrd $(LINUX_DIR)/initramfs.cpio.gz $(BENCH_FLAGS)
	@$(MAKE) -s bench-go

# Host benchmarks of the pure data structures (CFS, page tables, pipe ring).
bench-go:
	@echo ""; echo "## host go test -bench (data structures)"
	@go test -run '^$$' -bench . -benchtime 2000x ./sched ./mm ./ipc 2>&1 | grep -E '^(Benchmark|ok|FAIL)' | sed -E 's/-[0-9]+ / /'

clean:
	rm -rf $(BUILD) $(BINDIR) kernel/initramfs/vdso.so $(IMAGE) $(EFI_IMAGE) $(EFI_APP)
