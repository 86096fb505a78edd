/*
 * softint.h: soft interrupts (NetBSD's names and meanings).
 *
 * A soft interrupt is a handler that hard interrupt code (or anything
 * else) schedules to run soon, at a soft interrupt level, outside hard
 * interrupt context: the bottom half of a split driver.  Four levels,
 * lowest first: SOFTINT_CLOCK (IPL_SOFTCLOCK), SOFTINT_BIO, SOFTINT_NET,
 * SOFTINT_SERIAL (IPL_SOFTSERIAL).  Each CPU has interrupt threads per
 * level that run them lazily: when the CPU's level drops below the soft
 * interrupt's (splx, the return from an interrupt), a thread borrows the
 * context of whatever runs there, pinning it, exactly as IRQ_MODE_LAZY
 * does (kern/intr_lazy.c).  Pending soft interrupts of a CPU run highest
 * level first; a handler runs at its level, so lower levels wait for it.
 *
 * Rules for a handler: it may block on adaptive mutexes and rwlocks (its
 * thread then becomes a full thread and a spare one serves the level), but
 * must not sleep (cv_wait, timed sleeps, kmem_alloc(KM_SLEEP)): that panics
 * naming the handler.  A handler never runs twice at once on one CPU; it
 * may run on several CPUs at once if scheduled on several, unless it was
 * established without SOFTINT_MPSAFE (then all its runs, on every CPU, are
 * serialised by one global mutex, the stand-in for a kernel lock).
 * Scheduling an already pending handler does nothing more: it runs once.
 */
#ifndef PINWHEEL_SOFTINT_H
#define PINWHEEL_SOFTINT_H

#include <cpu.h>
#include <types.h>

#define SOFTINT_CLOCK	0x0
#define SOFTINT_BIO	0x1
#define SOFTINT_NET	0x2
#define SOFTINT_SERIAL	0x3
#define SOFTINT_LVLMASK	0xff
#define SOFTINT_MPSAFE	0x100

/*
 * softint_establish: a soft interrupt at the level in flags (SOFTINT_*,
 * optionally | SOFTINT_MPSAFE) running func(arg).  Returns its cookie, or
 * NULL with a log line for bad flags.  Context: thread.
 */
void *softint_establish(unsigned flags, void (*func)(void *), void *arg);

/*
 * softint_schedule: make the handler run on this CPU once the CPU's
 * level drops below its level.  Context: any, including hard interrupt
 * context and with spin mutexes held; from thread context at a lower
 * level it may run before softint_schedule returns.
 */
void softint_schedule(void *cookie);

/*
 * softint_schedule_cpu: the same on ci (an IPI tells another CPU).
 * Context: any.
 */
void softint_schedule_cpu(void *cookie, struct cpu_info *ci);

/*
 * softint_disestablish: wait until the handler is neither pending nor
 * running on any CPU, then free it.  The caller must have stopped
 * scheduling it.  Context: thread.
 */
void softint_disestablish(void *cookie);

/* softint_runs: how many times the handler has run, on all CPUs. */
uint64_t softint_runs(void *cookie);

/*
 * softint_faulted: whether the handler was killed by a fault (an
 * exception or a failed KASSERT in it; the report is kept with the
 * interrupt handlers', irq_fault_get, kind "softint").  A killed handler
 * is never called again; *dropped (if not NULL) gets the due runs skipped
 * since.  Context: any.
 */
bool softint_faulted(void *cookie, uint64_t *dropped);

#endif
