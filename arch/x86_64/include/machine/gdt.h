/*
 * gdt.h: descriptor tables (gdt.c).
 */
#ifndef MACHINE_GDT_H
#define MACHINE_GDT_H

struct cpu_info;

/* idt_init: fill the shared IDT (boot CPU, once). */
void idt_init(void);
/* gdt_load: load this CPU's GDT, TSS and the IDT. */
void gdt_load(struct cpu_info *ci);

#endif
