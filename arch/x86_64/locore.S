/*
 * locore.S: the first instructions, from the boot loader to C.
 *
 * A Multiboot 1 loader (QEMU -kernel, GRUB) enters start in 32-bit protected
 * mode with paging off, %eax = the Multiboot magic and %ebx = the physical
 * address of the Multiboot information.  We build minimal page tables that
 * map the first GiB twice (identity, and at KERNBASE), enter long mode,
 * jump to the kernel's linked (higher-half) address and call
 * machdep_boot(magic, info).  machdep_boot replaces these page tables with
 * the real ones (pmap.c) at once.
 *
 * Multiboot 1 spec §3.1: the header must be in the first 8 KiB of the file,
 * 32-bit aligned; flag bit 16 says the address fields are valid, so the
 * loader need not understand ELF64.
 */
#include <machine/asm.h>
#include <machine/vmparam.h>

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	((1 << 1) | (1 << 16))	/* memory info, address fields */
#define PHYS(x)		((x) - KERNBASE)

#define CR0_PE		0x00000001
#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define CR4_PGE		0x00000080
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
#define EFER_NXE	0x00000800
#define PG_V		0x001
#define PG_RW		0x002
#define PG_PS		0x080

	.section .multiboot, "a"
	.p2align 2
multiboot_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long PHYS(multiboot_header)	/* header_addr */
	.long PHYS(kernel_start)	/* load_addr */
	.long PHYS(kernel_edata)	/* load_end_addr */
	.long PHYS(kernel_end)		/* bss_end_addr */
	.long PHYS(start)		/* entry_addr */

	.section .text.boot, "ax"
	.code32
	.globl start
start:
	cli
	cld
	movl	%eax, %edi			/* Multiboot magic */
	movl	%ebx, %esi			/* Multiboot info (physical) */
	movl	$PHYS(boot_stack_top), %esp

	/* boot_pml4[0] and [511] -> boot_pdpt; boot_pdpt[0] and [510] -> boot_pd */
	movl	$PHYS(boot_pdpt), %eax
	orl	$(PG_V | PG_RW), %eax
	movl	%eax, PHYS(boot_pml4)
	movl	%eax, PHYS(boot_pml4) + 511 * 8
	movl	$PHYS(boot_pd), %eax
	orl	$(PG_V | PG_RW), %eax
	movl	%eax, PHYS(boot_pdpt)
	movl	%eax, PHYS(boot_pdpt) + 510 * 8
	/* boot_pd: 512 large pages of 2 MiB covering the first GiB */
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$(PG_V | PG_RW | PG_PS), %eax
	movl	%eax, PHYS(boot_pd)(, %ecx, 8)
	incl	%ecx
	cmpl	$512, %ecx
	jne	1b

	movl	%cr4, %eax
	orl	$(CR4_PAE | CR4_PGE), %eax
	movl	%eax, %cr4
	movl	$PHYS(boot_pml4), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PE | CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0

	lgdt	PHYS(boot_gdt_desc)
	ljmp	$GSEL_KCODE, $PHYS(start64)

	.code64
start64:
	movl	$GSEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movabsq	$high64, %rax
	jmp	*%rax
high64:
	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp			/* ends backtraces */
	call	machdep_boot
1:	cli
	hlt
	jmp	1b

	.section .rodata
	.p2align 3
boot_gdt:
	.quad	0
	.quad	0x00209a0000000000		/* 64-bit kernel code */
	.quad	0x0000920000000000		/* kernel data */
boot_gdt_end:
boot_gdt_desc:
	.word	boot_gdt_end - boot_gdt - 1
	.long	PHYS(boot_gdt)

	.bss
	.p2align 12
	.globl boot_pml4
boot_pml4:	.space 4096
boot_pdpt:	.space 4096
boot_pd:	.space 4096
	/* The boot CPU's first stack, with an unmapped guard page below it
	 * once pmap_bootstrap has run (see pmap.c). */
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:	.space 4096
boot_stack:	.space 16384
boot_stack_top:
