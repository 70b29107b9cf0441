SHELL := /bin/bash
# tamix — build, boot and test.
#
#   make qemu     build the kernel and boot it in QEMU to the shell (SMP=2 MEM=2G)
#   make test     host unit tests, then the QEMU integration tests
#   make kernel   build build/tamix (the TamaGo distribution of Go is needed)
#   make qemu-gdb boot and wait for GDB on localhost:1234
#   make image    tamix.img (legacy BIOS disk) and tamix-efi.img (UEFI, GPT/FAT)
#   make efi      BOOTX64.EFI (UEFI application with the kernel embedded)
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

.PHONY: all kernel user qemu qemu-gdb test test-host test-qemu deps clean have-tamago image bios-image efi

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

user: deps
	@mkdir -p $(BINDIR)
	@$(MAKE) -s -C user OUT=$(CURDIR)/$(BINDIR)
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
	TAMIX_KERNEL=$(CURDIR)/$(KERNEL) TAMIX_IMAGE=$(CURDIR)/$(IMAGE) TAMIX_EFI_IMAGE=$(CURDIR)/$(EFI_IMAGE) TAMIX_USER_BIN=$(CURDIR)/$(BINDIR) go test -count=1 -v -timeout 20m ./tools/qemu/... 2>&1 | tee $(BUILD)/qemu-test.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|qemu_test' ; exit $${PIPESTATUS[0]}

clean:
	rm -rf $(BUILD) $(BINDIR) $(IMAGE) $(EFI_IMAGE) $(EFI_APP)
