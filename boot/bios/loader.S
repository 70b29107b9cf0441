/*
 * tamix legacy BIOS loader: a master boot record and a second stage, in one
 * flat binary linked at 0x7c00 (GNU as, 16- and 32-bit code; see the
 * Makefile's image target and docs/boot.md).
 *
 *   LBA 0          MBR: loads the second stage with INT 13h AH=42h
 *   LBA 1..        second stage (this file after the first 512 bytes); its
 *                  header (magic "TAMIXLDR") is filled in by tools/mkimage
 *   LBA 2048..     the kernel's PT_LOAD segments, each padded to a sector
 *
 * The second stage enables A20, reads the E820 memory map, loads each kernel
 * segment 127 sectors at a time into a bounce buffer at 0x10000 and copies it
 * to its physical address from 32-bit protected mode (entered and left for
 * every chunk, so no unreal-mode assumption about the BIOS), then builds a
 * Xen PVH struct hvm_start_info at 0x1000 with the memory map right after it
 * (0x1040..), masks the 8259 PIC, zeroes the segments' BSS and jumps to the
 * kernel's PVH entry in 32-bit protected mode (paging off, flat segments,
 * interrupts off, EBX = 0x1000) exactly as QEMU's -kernel PVH path does.
 *
 * Low memory used: 0x1000-0x3fff start_info and map (kept until the kernel
 * has read them), 0x7c00.. this loader and its stack below 0x7c00,
 * 0x10000-0x1fdff bounce buffer.
 */

	.set	START_INFO, 0x1000
	.set	MEMMAP, 0x1040
	.set	MAX_E820, 128		/* 128 * 24 bytes: 0x1040-0x283f */
	.set	BOUNCE_SEG, 0x1000	/* bounce buffer at linear 0x10000 */
	.set	BOUNCE, 0x10000
	.set	CHUNK, 127		/* sectors per INT 13h read (a common BIOS limit) */
	.set	MAX_SEGS, 8
	.set	COM1, 0x3f8

	.code16
	.text
	.globl	_start
_start:
	jmp	mbr_main
	nop
	/* Room for a BIOS parameter block: some BIOSes write one over these
	 * bytes when they boot a USB stick as a "floppy". */
	.fill	0x5a - 3, 1, 0

mbr_main:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	ljmp	$0, $1f			/* some BIOSes jump to 07c0:0000 */
1:	sti
	cld
	movb	%dl, boot_drive

	movb	$0x41, %ah		/* INT 13h extensions present? */
	movw	$0x55aa, %bx
	int	$0x13
	jc	no_ext
	cmpw	$0xaa55, %bx
	jne	no_ext
	testb	$1, %cl			/* bit 0: packet calls (AH=42h) */
	jz	no_ext

	movw	$stage2_dap, %si
	movb	$0x42, %ah
	movb	boot_drive, %dl
	int	$0x13
	jc	mbr_disk_err
	cmpl	$0x52444c58, stage2_magic + 4	/* "XLDR": the stage really is there */
	jne	mbr_disk_err
	jmp	stage2

no_ext:
	movw	$msg_noext, %si
	jmp	die
mbr_disk_err:
	movw	$msg_mbr_disk, %si
die:
	call	puts
1:	cli
	hlt
	jmp	1b

/* puts prints the NUL-terminated string at DS:SI on the screen (INT 10h)
 * and on COM1. */
puts:
	pushw	%ax
	pushw	%bx
	pushw	%cx
	pushw	%dx
1:	lodsb
	testb	%al, %al
	jz	3f
	movb	%al, %bl
	movw	$COM1 + 5, %dx		/* wait (bounded) for THR empty */
	movw	$0xffff, %cx
2:	inb	%dx, %al
	testb	$0x20, %al
	loopz	2b
	movw	$COM1, %dx
	movb	%bl, %al
	outb	%al, %dx
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	jmp	1b
3:	popw	%dx
	popw	%cx
	popw	%bx
	popw	%ax
	ret

msg_noext:	.asciz	"tamix: BIOS has no INT 13h extensions\r\n"
msg_mbr_disk:	.asciz	"tamix: cannot read the loader\r\n"
boot_drive:	.byte	0

	.balign	4
stage2_dap:
	.byte	0x10, 0
	.word	(stage2_end - stage2) / 512	/* sectors */
	.word	stage2, 0			/* buffer 0000:7e00 */
	.quad	1				/* LBA */

	.org	0x1b8			/* disk signature and partition table (mkimage) */
	.fill	0x1fe - 0x1b8, 1, 0
	.byte	0x55, 0xaa

/* ---------------------------------------------------------------- stage 2 */
stage2:
	jmp	stage2_main
	.balign	8
stage2_magic:
	.ascii	"TAMIXLDR"
	/* Filled in by tools/mkimage. */
hdr_version:	.long	1
hdr_max_segs:	.long	MAX_SEGS
hdr_entry:	.long	0		/* kernel PVH entry (physical) */
hdr_nsegs:	.long	0
hdr_segs:				/* {lba, sectors, dest, zero bytes after the data} */
	.fill	MAX_SEGS * 16, 1, 0

stage2_main:
	call	serial_init
	movw	$msg_hello, %si
	call	puts

	call	enable_a20
	jnc	1f
	movw	$msg_a20, %si
	jmp	die
1:
	call	read_e820
	call	load_kernel
	jmp	enter_kernel

/* serial_init sets COM1 to 115200 8N1 with FIFOs (the kernel does it again). */
serial_init:
	movw	$COM1 + 1, %dx
	xorb	%al, %al
	outb	%al, %dx		/* IER: no interrupts */
	movw	$COM1 + 3, %dx
	movb	$0x80, %al
	outb	%al, %dx		/* DLAB */
	movw	$COM1, %dx
	movb	$1, %al
	outb	%al, %dx		/* divisor 1: 115200 baud */
	incw	%dx
	xorb	%al, %al
	outb	%al, %dx
	movw	$COM1 + 3, %dx
	movb	$0x03, %al
	outb	%al, %dx		/* 8N1 */
	decw	%dx
	movb	$0xc7, %al
	outb	%al, %dx		/* FIFO on, cleared */
	movw	$COM1 + 4, %dx
	movb	$0x03, %al
	outb	%al, %dx		/* DTR, RTS */
	ret

/* enable_a20 returns with CF clear once A20 is on: already on, else the BIOS
 * (INT 15h AX=2401h), else "fast A20" (port 0x92), else the keyboard
 * controller. */
enable_a20:
	call	a20_on
	jnz	9f
	movw	$0x2401, %ax
	int	$0x15
	call	a20_on
	jnz	9f
	inb	$0x92, %al
	testb	$2, %al
	jnz	1f
	orb	$2, %al
	andb	$0xfe, %al		/* never set bit 0: it resets the machine */
	outb	%al, $0x92
1:	call	a20_on
	jnz	9f
	call	kbc_wait
	movb	$0xd1, %al		/* write output port */
	outb	%al, $0x64
	call	kbc_wait
	movb	$0xdf, %al		/* A20 on */
	outb	%al, $0x60
	call	kbc_wait
	call	a20_on
	jnz	9f
	stc
	ret
9:	clc
	ret

kbc_wait:
	movw	$0xffff, %cx
1:	inb	$0x64, %al
	testb	$2, %al
	loopnz	1b
	ret

/* a20_on clears ZF when A20 is enabled: 0000:0500 and ffff:0510 (1 MiB
 * higher) are then different bytes. */
a20_on:
	pushw	%es
	pushw	%ax
	pushw	%bx
	movw	$0xffff, %ax
	movw	%ax, %es
	movb	0x500, %bl		/* save both */
	movb	%es:0x510, %bh
	movb	$0x00, 0x500
	movb	$0xff, %es:0x510
	movb	0x500, %al		/* 0xff when the write wrapped around */
	movb	%bh, %es:0x510
	movb	%bl, 0x500
	cmpb	$0xff, %al		/* ZF set: wrapped, A20 off */
	popw	%bx
	popw	%ax
	popw	%es
	ret

/* read_e820 stores the INT 15h E820 map as hvm_memmap_table_entry records
 * ({addr, size u64; type, reserved u32}) at MEMMAP and their count in
 * e820_count. With no E820 the count stays 0 and the kernel falls back to
 * the CMOS. */
read_e820:
	movw	$MEMMAP, %di
	xorl	%ebx, %ebx
	xorw	%bp, %bp
1:	movl	$0xe820, %eax
	movl	$24, %ecx
	movl	$0x534d4150, %edx	/* "SMAP" */
	movl	$1, 20(%di)		/* ACPI 3.0 attributes: valid unless told otherwise */
	int	$0x15
	jc	3f
	cmpl	$0x534d4150, %eax
	jne	3f
	cmpb	$20, %cl
	jbe	2f
	testb	$1, 20(%di)		/* attribute bit 0 clear: ignore the entry */
	jz	4f
2:	movl	$0, 20(%di)
	addw	$24, %di
	incw	%bp
	cmpw	$MAX_E820, %bp
	jae	3f
4:	testl	%ebx, %ebx
	jnz	1b
3:	movw	%bp, e820_count
	testw	%bp, %bp
	jnz	5f
	movw	$msg_noe820, %si
	call	puts
5:	ret

/* load_kernel reads every segment of the header's table to its address. */
load_kernel:
	movw	$hdr_segs, %si
	movw	hdr_nsegs, %cx
1:	testw	%cx, %cx
	jz	9f
	pushw	%cx
	pushw	%si
	movl	(%si), %eax
	movl	%eax, dap_lba
	movl	4(%si), %eax
	movl	%eax, seg_left
	movl	8(%si), %eax
	movl	%eax, copy_dst
2:	movl	seg_left, %eax
	testl	%eax, %eax
	jz	8f
	cmpl	$CHUNK, %eax
	jbe	3f
	movl	$CHUNK, %eax
3:	movw	%ax, dap_count
	subl	%eax, seg_left
	shll	$9, %eax
	movl	%eax, copy_len
	movb	$3, retries
4:	movw	$dap, %si
	movb	$0x42, %ah
	movb	boot_drive, %dl
	int	$0x13
	jnc	5f
	decb	retries
	jz	disk_err
	xorb	%ah, %ah		/* reset the disk and retry */
	movb	boot_drive, %dl
	int	$0x13
	jmp	4b
5:	call	pm_copy
	movzwl	dap_count, %eax
	addl	%eax, dap_lba
	movl	copy_len, %eax
	addl	%eax, copy_dst
	jmp	2b
8:	popw	%si
	popw	%cx
	addw	$16, %si
	decw	%cx
	jmp	1b
9:	movw	$msg_loaded, %si
	call	puts
	ret

disk_err:
	movw	$msg_disk, %si
	jmp	die

/* pm_copy copies copy_len bytes from the bounce buffer to copy_dst in 32-bit
 * protected mode and comes back to real mode. */
pm_copy:
	cli
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	ljmpl	$0x08, $pm_copy32
	.code32
pm_copy32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movl	$BOUNCE, %esi
	movl	copy_dst, %edi
	movl	copy_len, %ecx
	shrl	$2, %ecx
	cld
	rep movsl
	ljmp	$0x18, $pm_copy16
	.code16
pm_copy16:
	movw	$0x20, %ax		/* 64 KiB limits again before real mode */
	movw	%ax, %ds
	movw	%ax, %es
	movl	%cr0, %eax
	andb	$0xfe, %al
	movl	%eax, %cr0
	ljmp	$0, $1f
1:	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	sti
	ret

/* enter_kernel builds start_info, masks the 8259, enters 32-bit protected
 * mode, zeroes BSS and jumps to the PVH entry. */
enter_kernel:
	movw	$START_INFO, %di
	movw	$(MEMMAP - START_INFO) / 2, %cx
	xorw	%ax, %ax
	rep stosw
	movl	$0x336ec578, START_INFO		/* magic */
	movl	$1, START_INFO + 4		/* version */
	movl	$MEMMAP, START_INFO + 40	/* memmap_paddr */
	movzwl	e820_count, %eax
	movl	%eax, START_INFO + 48		/* memmap_entries */

	cli
	movb	$0xff, %al		/* mask both 8259s */
	outb	%al, $0xa1
	outb	%al, $0x21
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	ljmpl	$0x08, $enter32
	.code32
enter32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$0x7c00, %esp
	cld
	movl	$hdr_segs, %esi		/* zero what follows each segment's data */
	movl	hdr_nsegs, %edx
1:	testl	%edx, %edx
	jz	2f
	movl	4(%esi), %edi
	shll	$9, %edi
	addl	8(%esi), %edi
	movl	12(%esi), %ecx
	xorl	%eax, %eax
	rep stosb
	addl	$16, %esi
	decl	%edx
	jmp	1b
2:	movl	hdr_entry, %eax
	movl	$START_INFO, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmp	*%eax
	.code16

	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08 code, 32-bit, flat */
	.quad	0x00cf92000000ffff	/* 0x10 data, 32-bit, flat */
	.quad	0x00009a000000ffff	/* 0x18 code, 16-bit, 64 KiB */
	.quad	0x000092000000ffff	/* 0x20 data, 16-bit, 64 KiB */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.balign	4
dap:
	.byte	0x10, 0
dap_count:	.word	0
	.word	0, BOUNCE_SEG		/* buffer BOUNCE_SEG:0000 */
dap_lba:	.quad	0

seg_left:	.long	0
copy_dst:	.long	0
copy_len:	.long	0
e820_count:	.word	0
retries:	.byte	0

msg_hello:	.asciz	"tamix: BIOS loader\r\n"
msg_a20:	.asciz	"tamix: cannot enable A20\r\n"
msg_noe820:	.asciz	"tamix: no E820 memory map\r\n"
msg_disk:	.asciz	"tamix: disk read error\r\n"
msg_loaded:	.asciz	"tamix: kernel loaded\r\n"

	.balign	512
stage2_end:

	.section .note.GNU-stack,"",@progbits
