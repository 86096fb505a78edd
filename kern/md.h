/*
 * md.h: what the machine-independent kernel needs from the machine layer.
 *
 * Every architecture provides these (x86-64: machine/cpufunc.h for the
 * inline ones, the rest in arch/x86_64/).  MI code includes this header
 * instead of reaching for a particular CPU's registers or devices.
 */
#ifndef KERN_MD_H
#define KERN_MD_H

#include <types.h>

#include <machine/cpufunc.h>	/* intr_save, intr_restore, intr_enabled */

struct cpu_info;
struct trapframe;

/* Interrupts on this CPU. */
static inline void cpu_intr_disable(void) { x86_cli(); }
static inline void cpu_intr_enable(void) { x86_sti(); }
/* cpu_spin_pause: a hint inside spin-wait loops. */
static inline void cpu_spin_pause(void) { x86_pause(); }
/* cpu_idle_halt: enable interrupts and wait for one, atomically. */
static inline void cpu_idle_halt(void) { x86_sti_hlt(); }

/* cpu_timer_program: one-shot timer interrupt at a nanouptime() deadline; 0 stops it. */
void cpu_timer_program(uint64_t deadline);
/* cpu_timer_establish: the function the timer interrupt calls. */
void cpu_timer_establish(void (*fn)(void));
/* cpu_send_resched, cpu_send_xcall: IPIs to another CPU. */
void cpu_send_resched(struct cpu_info *ci);
void cpu_send_xcall(struct cpu_info *ci);
/* cpu_xcall_establish: the function IPI_CALL calls on the target. */
void cpu_xcall_establish(void (*fn)(void));
/* cpu_ready: the CPU has finished starting and takes IPIs. */
bool cpu_ready(const struct cpu_info *ci);

/*
 * The IPL machinery (spl.h has the public half).  spl_set: make ipl this
 * CPU's level, in software and hardware, without replaying deferred
 * interrupts or preempting; interrupts off.  spl_lower: the body of splx
 * with interrupts off: set the level, replay what it unblocks and, at
 * IPL_NONE when preempt, take a due preemption.
 */
#include <spl.h>
void spl_set(ipl_t ipl);
void spl_lower(ipl_t s, bool preempt);

#endif
