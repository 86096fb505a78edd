/*
 * catch.h: saving a thread's place so that a fault can return to it
 * (arch/x86_64/catch.S), the machine half of fault isolation
 * (kern/isolate.h).
 *
 * cpu_catch_save records the callee-saved registers, the stack pointer
 * and the return address, like setjmp; cpu_catch_resume, called later on
 * the same CPU from deeper in the same stack or from an exception handler
 * on an IST stack, makes cpu_catch_save return a second time, with 1.
 * Nothing else is restored: the interrupt flag, the IPL and the CPU's
 * counts are the caller's business.  The frame that called
 * cpu_catch_save must still be live.
 */
#ifndef MACHINE_CATCH_H
#define MACHINE_CATCH_H

/* Offsets in struct cpu_catch, for catch.S (checked in trap.c). */
#define CC_RBX	0
#define CC_RBP	8
#define CC_R12	16
#define CC_R13	24
#define CC_R14	32
#define CC_R15	40
#define CC_RSP	48
#define CC_RIP	56

#ifndef __ASSEMBLER__
#include <types.h>

struct cpu_catch {
	uint64_t cc_rbx, cc_rbp, cc_r12, cc_r13, cc_r14, cc_r15;
	uint64_t cc_rsp;	/* the caller's stack pointer after the return */
	uint64_t cc_rip;	/* the return address */
};

/* cpu_catch_save: returns 0 now, 1 when cpu_catch_resume(cc) runs. */
int cpu_catch_save(struct cpu_catch *cc) __attribute__((returns_twice));
/* cpu_catch_resume: return 1 from the cpu_catch_save that filled cc. */
__noreturn void cpu_catch_resume(const struct cpu_catch *cc);
#endif

#endif
