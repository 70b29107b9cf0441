/*
 * tamix UEFI loader: from the firmware's 64-bit long mode to the kernel's PVH
 * entry in 32-bit protected mode with paging off (GNU as). main.c copies this
 * position-independent code below 256 MiB (identity-mapped by the firmware)
 * and calls it after ExitBootServices:
 *
 *	void trampoline(uint64 entry, uint64 start_info)	// rdi, rsi
 *
 * Steps: interrupts off; CR4.PCIDE off (paging cannot be disabled with it);
 * load a GDT with flat 32-bit code (0x08) and data (0x10); far return into
 * the 32-bit code segment (compatibility mode); paging off, which leaves long
 * mode; EFER (LME, NXE) cleared; CR4 = 0 and CR0 = PE|ET as at a PVH entry
 * (TamaGo's cpuinit takes CR4.PAE|PGE to mean "already in long mode");
 * both 8259s masked; EBX = start_info; jump to the entry.
 */
	.text
	.globl	trampoline_start, trampoline_end
	.code64
trampoline_start:
	cli
	cld
	movq	%cr4, %rax
	andq	$~(1 << 17), %rax	/* PCIDE */
	movq	%rax, %cr4

	leaq	gdt(%rip), %rax
	subq	$16, %rsp
	movw	$(gdt_end - gdt - 1), (%rsp)
	movq	%rax, 2(%rsp)
	lgdt	(%rsp)

	leaq	compat(%rip), %rax
	pushq	$0x08
	pushq	%rax
	lretq

	.code32
compat:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss

	movl	%cr0, %eax
	andl	$0x7fffffff, %eax	/* paging off: long mode becomes inactive */
	movl	%eax, %cr0

	movl	$0xc0000080, %ecx	/* EFER: LME, NXE, SCE off */
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	movl	%eax, %cr4
	movl	$0x11, %eax		/* CR0: PE, ET; caches on */
	movl	%eax, %cr0

	movb	$0xff, %al		/* mask both 8259s */
	outb	%al, $0xa1
	outb	%al, $0x21

	movl	%esi, %ebx		/* start_info */
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	xorl	%ebp, %ebp
	jmp	*%edi

	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08 code, 32-bit, flat */
	.quad	0x00cf92000000ffff	/* 0x10 data, 32-bit, flat */
gdt_end:
trampoline_end:

	.section .note.GNU-stack,"",@progbits
