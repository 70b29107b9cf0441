/* The kernel ELF, embedded in BOOTX64.EFI (assembled with -I build). */
	.section .rodata
	.balign	4096
	.globl	kernel_elf, kernel_elf_end
kernel_elf:
	.incbin	"tamix"
kernel_elf_end:

	.section .note.GNU-stack,"",@progbits
