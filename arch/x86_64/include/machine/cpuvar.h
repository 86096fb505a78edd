/*
 * cpuvar.h: struct cpu_info for x86-64 (kernel-internal).
 *
 * The first two words are read by assembly through %gs (CPU_SELF,
 * CPU_CURLWP in machine/asm.h).  ci_data is the machine-independent part
 * (kern/lwp_impl.h), the rest belongs to the machine layer.
 */
#ifndef MACHINE_CPUVAR_H
#define MACHINE_CPUVAR_H

#include <cpu.h>
#include <kern/lwp_impl.h>
#include <types.h>

struct x86_tss {
	uint32_t tss_rsvd0;
	uint64_t tss_rsp[3];
	uint64_t tss_rsvd1;
	uint64_t tss_ist[7];
	uint64_t tss_rsvd2;
	uint16_t tss_rsvd3;
	uint16_t tss_iobase;
} __packed;

#define IST_NMI		1
#define IST_DF		2
#define IST_MC		3
#define IST_PF		4
#define NIST		4
#define IST_STACK_SIZE	(8 * 1024)

struct cpu_info {
	struct cpu_info *ci_self;	/* CPU_SELF */
	struct lwp *volatile ci_curlwp;	/* CPU_CURLWP */
	unsigned ci_index;		/* 0..ncpu-1 */
	uint32_t ci_apicid;
	bool ci_boot;			/* the boot processor */
	volatile bool ci_running;	/* finished its startup */
	struct cpu_data ci_data;
	uint64_t ci_gdt[5] __aligned(16);	/* null, code, data, TSS (2) */
	struct x86_tss ci_tss __aligned(16);
	vaddr_t ci_ist[NIST];		/* top of each IST stack */
	uint64_t ci_ipending[4];	/* soft SPL: deferred vectors (intr.c) */
	int ci_intr_replay;		/* the innermost interrupt handled is
					   a replayed one: its EOI was sent */
	bool ci_intr_open;		/* hard interrupt handler running with
					   interrupts enabled (intr.c) */
};

/*
 * curcpu_intr_depth: this CPU's hard interrupt nesting in one %gs-relative
 * load, so it is right even if the caller could be preempted and moved.
 */
static inline int
curcpu_intr_depth(void)
{
	int v;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(v) : "i"(
	    offsetof(struct cpu_info, ci_data) +
	    offsetof(struct cpu_data, cpu_intr_depth)));
	return v;
}

void cpu_attach_boot(void);
struct cpu_info *cpu_alloc(unsigned index, uint32_t apicid);
void cpu_init_tables(struct cpu_info *ci);

#endif
