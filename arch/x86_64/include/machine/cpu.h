/*
 * cpu.h (x86-64): curcpu() and curlwp through the GS base.
 *
 * Each CPU's IA32_GS_BASE points at its struct cpu_info, whose first two
 * words are a pointer to itself and the current LWP (machine/cpuvar.h), so
 * both are one %gs-relative load.  The kernel has no user mode, so GS is
 * never swapped.
 */
#ifndef MACHINE_CPU_H
#define MACHINE_CPU_H

struct cpu_info;
struct lwp;

static inline struct cpu_info *
curcpu(void)
{
	struct cpu_info *ci;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(ci));
	return ci;
}

static inline struct lwp *
x86_curlwp(void)
{
	struct lwp *l;

	__asm__ volatile("movq %%gs:8, %0" : "=r"(l));
	return l;
}

#define curlwp	(x86_curlwp())

#endif
