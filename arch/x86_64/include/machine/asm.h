/*
 * asm.h: assembler helpers and constants shared between C and assembly.
 */
#ifndef MACHINE_ASM_H
#define MACHINE_ASM_H

#define ENTRY(name)	.globl name; .type name, @function; .p2align 4; name:
#define END(name)	.size name, . - name

/* Segment selectors (see gdt.c). */
#define GSEL_KCODE	0x08
#define GSEL_KDATA	0x10
#define GSEL_TSS	0x18
#define GSEL_KCODE32	0x18	/* AP trampoline only */

/* struct cpu_info offsets used by assembly (checked in machdep.c). */
#define CPU_SELF	0
#define CPU_CURLWP	8

/* struct lwp offsets used by assembly (checked in machdep.c). */
#define LWP_MD_RSP	0

/* Trampoline for application processors (see mptramp.S). */
#define MPTRAMP_PADDR	0x8000

#endif
