/*
 * spl.h: interrupt priority levels (IPL) and the spl functions.
 *
 * A CPU runs at one IPL at a time; raising it holds off every interrupt
 * source at or below the new level on that CPU.  Levels, low to high:
 *
 *	IPL_NONE	threads run here; kernel preemption is allowed only here
 *	IPL_SOFT*	soft interrupt levels (clock, bio, net, serial)
 *	IPL_VM		device interrupts and the memory allocator
 *	IPL_SCHED	the clock and IPIs; scheduler and sleep queue locks
 *	IPL_HIGH	everything blocked
 *
 * splraise(ipl) raises to at least ipl and returns the old level, which the
 * caller hands back to splx() to restore it.  Levels must be restored in
 * LIFO order.  Two implementations are chosen at boot with spl=tpr|soft
 * (arch/x86_64/spl.c): the task priority register, or software deferral
 * of the interrupts that arrive while held off, replayed by splx.  From
 * IPL_SCHED up interrupts are also disabled outright.  Drivers rarely call
 * these: spin mutexes carry their IPL (mutex_init(m, MUTEX_SPIN, IPL_VM)).
 */
#ifndef PINWHEEL_SPL_H
#define PINWHEEL_SPL_H

#include <types.h>

typedef int ipl_t;

#define IPL_NONE	0
#define IPL_SOFTCLOCK	1
#define IPL_SOFTBIO	2
#define IPL_SOFTNET	3
#define IPL_SOFTSERIAL	4
#define IPL_VM		5
#define IPL_SCHED	6
#define IPL_HIGH	7
#define NIPL		8

/* splraise: raise to at least ipl; returns the previous level. Context: any. */
ipl_t splraise(ipl_t ipl);
/* splx: restore a level returned by splraise. Context: any. */
void splx(ipl_t s);
/* curipl: this CPU's current level. */
ipl_t curipl(void);
/* ipl_name: "IPL_VM" and so on, for messages. */
const char *ipl_name(ipl_t ipl);
/* spl_impl_name: the implementation the boot option spl= chose: "tpr" or "soft". */
const char *spl_impl_name(void);

static inline ipl_t splsoftclock(void) { return splraise(IPL_SOFTCLOCK); }
static inline ipl_t splsoftbio(void) { return splraise(IPL_SOFTBIO); }
static inline ipl_t splsoftnet(void) { return splraise(IPL_SOFTNET); }
static inline ipl_t splsoftserial(void) { return splraise(IPL_SOFTSERIAL); }
static inline ipl_t splvm(void) { return splraise(IPL_VM); }
static inline ipl_t splsched(void) { return splraise(IPL_SCHED); }
static inline ipl_t splhigh(void) { return splraise(IPL_HIGH); }

#endif
