/*
 * tamix UEFI loader (BOOTX64.EFI), built with Debian's gnu-efi.
 *
 * The kernel ELF is embedded (kernel.S). The loader copies its PT_LOAD
 * segments to their physical addresses (AllocatePages at fixed addresses),
 * finds the ACPI RSDP in the configuration table, converts the firmware's
 * memory map to E820 entries in a Xen PVH struct hvm_start_info, calls
 * ExitBootServices, and enters the kernel's PVH entry in 32-bit protected
 * mode through trampoline.S: exactly the hand-over of QEMU's -kernel path and
 * of the BIOS loader, so the kernel has a single entry path.
 *
 * Messages go to the firmware console before ExitBootServices and to COM1
 * after it.
 */
#include <efi.h>
#include <efilib.h>

extern const UINT8 kernel_elf[], kernel_elf_end[];
extern const UINT8 trampoline_start[], trampoline_end[];

/* Low memory the kernel uses before it reads start_info (TamaGo's page
 * tables, AP trampoline, EBX slot): start_info must not be there. The
 * kernel leaves RAM below its Go RAM (0x10000000) alone, so the loader's
 * page goes just below it. */
#define LOW_MAX 0x0fffffffULL

struct hvm_start_info {
	UINT32 magic;
	UINT32 version;
	UINT32 flags;
	UINT32 nr_modules;
	UINT64 modlist_paddr;
	UINT64 cmdline_paddr;
	UINT64 rsdp_paddr;
	UINT64 memmap_paddr;
	UINT32 memmap_entries;
	UINT32 reserved;
};

struct e820 {
	UINT64 addr, size;
	UINT32 type, reserved;
};

/* The loader's page block: start_info, the E820 map, then the trampoline. */
#define BLOCK_PAGES 4
#define MAP_OFF 0x40
#define TRAMP_OFF 0x3000
#define MAX_E820 ((TRAMP_OFF - MAP_OFF) / sizeof(struct e820))

typedef struct {
	UINT8 ident[16];
	UINT16 type, machine;
	UINT32 version;
	UINT64 entry, phoff, shoff;
	UINT32 flags;
	UINT16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} Elf64_Ehdr;

typedef struct {
	UINT32 type, flags;
	UINT64 offset, vaddr, paddr, filesz, memsz, align;
} Elf64_Phdr;

#define PT_LOAD 1
#define PT_NOTE 4

static void outb(UINT16 port, UINT8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static UINT8 inb(UINT16 port)
{
	UINT8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void com1(const char *s)
{
	for (; *s; s++) {
		for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
			;
		outb(0x3f8, *s);
	}
}

static UINT32 e820_type(UINT32 efi)
{
	switch (efi) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiConventionalMemory:
		return 1; /* RAM */
	case EfiACPIReclaimMemory:
		return 3;
	case EfiACPIMemoryNVS:
		return 4;
	case EfiUnusableMemory:
		return 5;
	default: /* reserved, runtime services, MMIO, PAL code, persistent */
		return 2;
	}
}

/* convert writes the E820 form of the firmware map; it must not call boot
 * services (it runs between GetMemoryMap and ExitBootServices). */
static UINT32 convert(struct e820 *out, EFI_MEMORY_DESCRIPTOR *map, UINTN size, UINTN dsize)
{
	UINT32 n = 0;
	for (UINTN off = 0; off + dsize <= size; off += dsize) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + off);
		UINT64 len = d->NumberOfPages << 12;
		UINT32 t = e820_type(d->Type);
		if (len == 0)
			continue;
		if (n > 0 && out[n - 1].type == t && out[n - 1].addr + out[n - 1].size == d->PhysicalStart) {
			out[n - 1].size += len;
			continue;
		}
		if (n == MAX_E820)
			break;
		out[n].addr = d->PhysicalStart;
		out[n].size = len;
		out[n].type = t;
		out[n].reserved = 0;
		n++;
	}
	return n;
}

/* pvh_entry returns XEN_ELFNOTE_PHYS32_ENTRY from the kernel's notes, or 0. */
static UINT64 pvh_entry(const UINT8 *p, UINT64 n)
{
	while (n >= 12) {
		UINT32 nsz = *(UINT32 *)p, dsz = *(UINT32 *)(p + 4), type = *(UINT32 *)(p + 8);
		UINT64 doff = 12 + ((nsz + 3) & ~3U), end = doff + ((dsz + 3) & ~3U);
		if (end > n)
			return 0;
		if (nsz == 4 && CompareMem((void *)(p + 12), "Xen", 4) == 0 && type == 18)
			return dsz == 8 ? *(UINT64 *)(p + doff) : *(UINT32 *)(p + doff);
		p += end;
		n -= end;
	}
	return 0;
}

static EFI_STATUS fail(EFI_STATUS st, CHAR16 *what)
{
	Print(L"tamix: %s: %r\n", what, st);
	Print(L"tamix: UEFI loader gives up\n");
	return st;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_STATUS s;

	InitializeLib(image, st);
	Print(L"tamix: UEFI loader\n");

	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)kernel_elf;
	UINT64 elf_size = kernel_elf_end - kernel_elf;
	if (elf_size < sizeof(*eh) || CompareMem((void *)eh->ident, "\177ELF\2\1", 6) != 0 || eh->machine != 62 ||
	    eh->phoff + (UINT64)eh->phnum * sizeof(Elf64_Phdr) > elf_size)
		return fail(EFI_LOAD_ERROR, L"the embedded kernel is not an x86-64 ELF64 file");
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(kernel_elf + eh->phoff);

	/* One allocation for the span of all PT_LOAD segments. */
	UINT64 lo = ~0ULL, hi = 0, entry = eh->entry;
	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type == PT_NOTE && ph[i].offset + ph[i].filesz <= elf_size) {
			UINT64 e = pvh_entry(kernel_elf + ph[i].offset, ph[i].filesz);
			if (e)
				entry = e;
		}
		if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
			continue;
		if (ph[i].filesz > ph[i].memsz || ph[i].offset + ph[i].filesz > elf_size)
			return fail(EFI_LOAD_ERROR, L"bad kernel segment");
		if (ph[i].paddr < lo)
			lo = ph[i].paddr;
		if (ph[i].paddr + ph[i].memsz > hi)
			hi = ph[i].paddr + ph[i].memsz;
	}
	if (hi == 0 || hi > 0x100000000ULL || entry >= 0x100000000ULL)
		return fail(EFI_LOAD_ERROR, L"the kernel is not loadable below 4 GiB");
	lo &= ~0xfffULL;
	hi = (hi + 0xfff) & ~0xfffULL;
	EFI_PHYSICAL_ADDRESS at = lo;
	s = uefi_call_wrapper(bs->AllocatePages, 4, AllocateAddress, EfiLoaderData, (hi - lo) >> 12, &at);
	if (EFI_ERROR(s)) {
		Print(L"tamix: the firmware holds memory in 0x%lx-0x%lx, where the kernel must be loaded\n", lo, hi);
		return fail(s, L"AllocatePages at the kernel's address");
	}
	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
			continue;
		UINT8 *dst = (UINT8 *)(UINTN)ph[i].paddr;
		CopyMem(dst, (void *)(kernel_elf + ph[i].offset), ph[i].filesz);
		SetMem(dst + ph[i].filesz, ph[i].memsz - ph[i].filesz, 0);
	}

	EFI_PHYSICAL_ADDRESS blk = LOW_MAX;
	s = uefi_call_wrapper(bs->AllocatePages, 4, AllocateMaxAddress, EfiLoaderCode, BLOCK_PAGES, &blk);
	if (EFI_ERROR(s))
		return fail(s, L"AllocatePages for start_info below 256 MiB");
	UINT8 *block = (UINT8 *)(UINTN)blk;
	SetMem(block, BLOCK_PAGES * 4096, 0);
	struct hvm_start_info *si = (struct hvm_start_info *)block;
	struct e820 *map = (struct e820 *)(block + MAP_OFF);
	UINTN tsize = trampoline_end - trampoline_start;
	if (tsize > BLOCK_PAGES * 4096 - TRAMP_OFF)
		return fail(EFI_BUFFER_TOO_SMALL, L"trampoline too large");
	CopyMem(block + TRAMP_OFF, (void *)trampoline_start, tsize);

	si->magic = 0x336ec578;
	si->version = 1;
	si->memmap_paddr = blk + MAP_OFF;
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (CompareGuid(&t->VendorGuid, &acpi20) == 0)
			si->rsdp_paddr = (UINTN)t->VendorTable;
		else if (si->rsdp_paddr == 0 && CompareGuid(&t->VendorGuid, &acpi10) == 0)
			si->rsdp_paddr = (UINTN)t->VendorTable;
	}
	if (si->rsdp_paddr == 0)
		Print(L"tamix: no ACPI RSDP in the configuration table\n");
	Print(L"tamix: kernel 0x%lx-0x%lx, entry 0x%lx, start_info 0x%lx, RSDP 0x%lx\n", lo, hi, entry, blk,
	      si->rsdp_paddr);

	/* The memory map, with room for what allocating its buffer adds. */
	UINTN msize = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *mm = NULL;
	s = uefi_call_wrapper(bs->GetMemoryMap, 5, &msize, mm, &key, &dsize, &dver);
	if (s != EFI_BUFFER_TOO_SMALL)
		return fail(s, L"GetMemoryMap");
	UINTN mcap = msize + 16 * dsize;
	s = uefi_call_wrapper(bs->AllocatePool, 3, EfiLoaderData, mcap, (void **)&mm);
	if (EFI_ERROR(s))
		return fail(s, L"AllocatePool for the memory map");

	for (int tries = 0;; tries++) {
		msize = mcap;
		s = uefi_call_wrapper(bs->GetMemoryMap, 5, &msize, mm, &key, &dsize, &dver);
		if (EFI_ERROR(s)) {
			if (tries == 0)
				return fail(s, L"GetMemoryMap");
			break; /* boot services may be half gone: only COM1 is left */
		}
		si->memmap_entries = convert(map, mm, msize, dsize);
		s = uefi_call_wrapper(bs->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(s))
			break;
		if (tries == 0)
			Print(L"tamix: ExitBootServices: %r; retrying with a fresh memory map\n", s);
		if (tries == 8)
			break;
	}
	if (EFI_ERROR(s)) {
		com1("tamix: ExitBootServices failed; halting\r\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}

	com1("tamix: boot services exited, entering the kernel\r\n");
	void (*tramp)(UINT64 entry, UINT64 start_info) = (void *)(block + TRAMP_OFF);
	tramp(entry, blk);
	return EFI_LOAD_ERROR; /* not reached */
}
