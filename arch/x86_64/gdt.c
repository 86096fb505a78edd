/*
 * gdt.c: segment descriptors, the TSS and the IDT.
 *
 * Design.  Long mode ignores segmentation except for the code segment's
 * L bit and the TSS, so each CPU has a five-slot GDT (null, kernel code,
 * kernel data, its TSS) and a TSS used only for its IST stacks: NMI, double
 * fault, machine check and page fault each run on a stack of their own, so
 * that a kernel stack overflow (a page fault on the guard page) can still
 * be reported (SDM vol. 3 §6.14.5).  One IDT serves every CPU; all gates
 * are interrupt gates (IF cleared on entry).
 *
 * Locking: none; tables are built before the CPU uses them and not changed.
 */
#include <kassert.h>
#include <kmem.h>
#include <string.h>

#include <machine/asm.h>
#include <machine/cpuvar.h>
#include <machine/gdt.h>

struct gate {
	uint16_t g_off0;
	uint16_t g_sel;
	uint8_t g_ist;
	uint8_t g_type;
	uint16_t g_off1;
	uint32_t g_off2;
	uint32_t g_rsvd;
} __packed;

struct region {
	uint16_t limit;
	uint64_t base;
} __packed;

#define GATE_INTR	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define STUB_SIZE	16	/* vectors.S aligns each stub to 16 bytes */

static struct gate idt[256] __aligned(16);
extern char x86_vector_stubs[];

static void
set_gate(unsigned vec, unsigned ist)
{
	uintptr_t off = (uintptr_t)x86_vector_stubs + vec * STUB_SIZE;

	idt[vec] = (struct gate){
		.g_off0 = off & 0xffff,
		.g_sel = GSEL_KCODE,
		.g_ist = ist,
		.g_type = GATE_INTR,
		.g_off1 = (off >> 16) & 0xffff,
		.g_off2 = off >> 32,
	};
}

void
idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, 0);
	set_gate(2, IST_NMI);
	set_gate(8, IST_DF);
	set_gate(14, IST_PF);
	set_gate(18, IST_MC);
}

static void
load_idt(void)
{
	struct region r = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" :: "m"(r));
}

static void
set_tss_descriptor(struct cpu_info *ci)
{
	uint64_t base = (uint64_t)&ci->ci_tss;
	uint64_t limit = sizeof(ci->ci_tss) - 1;

	/* SDM §7.2.3: a 16-byte system descriptor, type 9 (available TSS). */
	ci->ci_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	    (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
	    (((base >> 24) & 0xff) << 56);
	ci->ci_gdt[4] = base >> 32;
}

/*
 * gdt_load: give the calling CPU its GDT, TSS and the IDT.  The IST stacks
 * must already be allocated (cpu_init_tables).
 */
void
gdt_load(struct cpu_info *ci)
{
	struct region r = { sizeof(ci->ci_gdt) - 1, (uint64_t)ci->ci_gdt };

	ci->ci_gdt[0] = 0;
	ci->ci_gdt[1] = 0x00209a0000000000ULL;	/* 64-bit code */
	ci->ci_gdt[2] = 0x0000920000000000ULL;	/* data */
	for (unsigned i = 0; i < NIST; i++)
		ci->ci_tss.tss_ist[i] = ci->ci_ist[i];
	ci->ci_tss.tss_iobase = sizeof(ci->ci_tss);
	set_tss_descriptor(ci);
	__asm__ volatile(
	    "lgdt %0\n\t"
	    "pushq %1\n\t"
	    "leaq 1f(%%rip), %%rax\n\t"
	    "pushq %%rax\n\t"
	    "lretq\n"
	    "1:\n\t"
	    "movl %2, %%eax\n\t"
	    "movl %%eax, %%ds\n\t"
	    "movl %%eax, %%es\n\t"
	    "movl %%eax, %%ss\n\t"
	    "ltr %w3"
	    :: "m"(r), "i"(GSEL_KCODE), "i"(GSEL_KDATA), "r"(GSEL_TSS)
	    : "rax", "memory");
	load_idt();
}
