/*
 * mptramp.S: where application processors start.
 *
 * smp.c copies this code to MPTRAMP_PADDR (a page below 1 MiB) and sends
 * INIT-SIPI-SIPI with that page as the start vector (SDM vol. 3 §8.4.4).
 * The AP starts in real mode at MPTRAMP_PADDR, enters protected mode, then
 * long mode on page tables that identity-map this page (pmap_mptramp_cr3),
 * and jumps to the kernel's ap_entry on the stack smp.c left in the
 * parameter block at the end of the code.  Everything here is addressed
 * relative to the page, since it runs at a different address than linked.
 */
#include <machine/asm.h>

#define REL(x)		((x) - mptramp_start + MPTRAMP_PADDR)

	.section .rodata
	.p2align 12
	.globl mptramp_start, mptramp_end
	.globl mptramp_cr3, mptramp_stack, mptramp_entry, mptramp_arg
mptramp_start:
	.code16
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	REL(mptramp_gdt_desc)
	movl	%cr0, %eax
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$GSEL_KCODE32, $REL(mptramp32)

	.code32
mptramp32:
	movl	$GSEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$0xa0, %eax			/* PAE | PGE */
	movl	%eax, %cr4
	movl	REL(mptramp_cr3), %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER */
	rdmsr
	orl	$0x900, %eax			/* LME | NXE */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010000, %eax		/* PG | WP */
	movl	%eax, %cr0
	ljmpl	$GSEL_KCODE, $REL(mptramp64)

	.code64
mptramp64:
	movq	REL(mptramp_stack), %rsp
	movq	REL(mptramp_arg), %rdi
	movq	REL(mptramp_entry), %rax
	xorl	%ebp, %ebp
	jmp	*%rax

	.p2align 3
mptramp_gdt:
	.quad	0
	.quad	0x00209a0000000000		/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: data, flat (32-bit needs the limit) */
	.quad	0x00cf9a000000ffff		/* 0x18: 32-bit code, flat */
mptramp_gdt_desc:
	.word	mptramp_gdt_desc - mptramp_gdt - 1
	.long	REL(mptramp_gdt)
	.p2align 3
mptramp_cr3:	.quad 0
mptramp_stack:	.quad 0
mptramp_entry:	.quad 0
mptramp_arg:	.quad 0
mptramp_end:
