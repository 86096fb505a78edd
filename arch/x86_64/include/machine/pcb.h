/*
 * pcb.h: the machine-dependent part of an LWP.
 *
 * Only the stack pointer is kept: cpu_switchto pushes the callee-saved
 * registers on the LWP's own stack.  No FPU state: kernel code uses no
 * floating point or SSE.
 */
#ifndef MACHINE_PCB_H
#define MACHINE_PCB_H

#include <types.h>

struct md_lwp {
	uint64_t md_rsp;	/* saved stack pointer (LWP_MD_RSP) */
};

struct lwp;
struct lwp *cpu_switchto(struct lwp *old, struct lwp *new);
/* cpu_intr_switch: run a lazy interrupt thread pinned over pinned (vectors.S). */
struct lwp *cpu_intr_switch(struct lwp *pinned, struct lwp *t, vaddr_t sp);
void cpu_lwp_init(struct lwp *l, void (*func)(void *), void *arg);

#endif
