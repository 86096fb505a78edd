/*
 * timer.h: per-CPU one-shot timer events.
 *
 * Each CPU keeps its armed events ordered by deadline and programs its own
 * timer hardware (the LAPIC timer, in TSC-deadline mode when the CPU has
 * it) for the earliest one; a CPU with nothing armed takes no timer
 * interrupt at all.  An event's function runs in hard interrupt context on
 * the CPU that armed it, at IPL_SCHED, once per arming.
 *
 * Locking: each CPU's queue has a spin mutex at IPL_HIGH.  An event may be
 * cancelled from any CPU; timer_event_cancel() waits for a running
 * function to return, so after it the event's memory may be freed.
 */
#ifndef PINWHEEL_TIMER_H
#define PINWHEEL_TIMER_H

#include <types.h>

struct cpu_info;
struct timer_event;
typedef void (*timer_func_t)(struct timer_event *, void *);

struct timer_event {
	struct timer_event *te_next;	/* queue link (owner CPU's lock) */
	uint64_t te_deadline;		/* nanouptime() to fire at */
	timer_func_t te_func;
	void *te_arg;
	struct cpu_info *volatile te_cpu;	/* where armed, or NULL */
	volatile bool te_pending;
	volatile bool te_running;
};

/* timer_event_init: set the function and argument.  Context: any. */
void timer_event_init(struct timer_event *te, timer_func_t func, void *arg);
/*
 * timer_event_arm: (re)arm on the calling CPU for an absolute deadline in
 * nanouptime() units; a deadline already past fires at once.
 * Context: any.  Re-arming a pending event moves it.
 */
void timer_event_arm(struct timer_event *te, uint64_t deadline);
/*
 * timer_event_cancel: disarm.  Returns true if the event was pending (and
 * now will not run).  Waits for a running function to finish unless called
 * from that function.  Context: any except holding a lock the function takes.
 */
bool timer_event_cancel(struct timer_event *te);

#endif
