/*
 * intr.h: x86-64 interrupt vectors, their IPL bands, and the soft-SPL
 * pending state (intr.c, spl.c).
 */
#ifndef MACHINE_INTR_H
#define MACHINE_INTR_H

#include <spl.h>
#include <types.h>

/*
 * Vector bands.  The priority class of a vector is vector >> 4 (SDM vol. 3
 * §10.8.3.1); each IPL owns whole classes so that one TPR value blocks
 * exactly the bands at or below a level.  0x20-0x2f are the remapped (and
 * masked) 8259s' vectors, which can still deliver spurious interrupts.
 */
#define X86_VM_VEC_FIRST	0x30
#define X86_VM_VEC_LAST		0xcf
#define X86_SCHED_VEC_FIRST	0xd0
#define X86_SCHED_VEC_LAST	0xef
#define X86_HIGH_VEC_FIRST	0xf0
#define X86_HIGH_VEC_LAST	0xfe

/* spl_impl (spl.c): which implementation the boot option chose. */
#define SPL_TPR		0
#define SPL_SOFT	1
extern unsigned spl_impl;

struct cpu_info;
struct trapframe;

/* x86_ipl_of_vector: the IPL of vector's band. */
ipl_t x86_ipl_of_vector(unsigned vector);

/*
 * Soft SPL: the vectors a CPU deferred.  x86_pending_highest finds the
 * highest one whose IPL is above ipl; x86_intr_replay runs it at its level.
 * Interrupts off, on the CPU itself.
 */
bool x86_pending_highest(struct cpu_info *ci, ipl_t ipl, unsigned *vec);
void x86_pending_clear(struct cpu_info *ci, unsigned vec);
void x86_intr_replay(struct cpu_info *ci, unsigned vec);

/*
 * x86_intr_eoi: the LAPIC EOI for the interrupt being handled, unless it
 * is a replay (its EOI was sent when it was deferred).  For chips' ack/eoi.
 */
void x86_intr_eoi(void);

/* x86_vector_resend: make vector fire again on ci (a fixed IPI). */
void x86_vector_resend(struct cpu_info *ci, unsigned vector);

#endif
