/*
 * timer.c: per-CPU one-shot timer events (see include/timer.h).
 *
 * Design.  Each CPU keeps a list of armed events sorted by deadline
 * (struct timer_queue in its cpu_data) and programs its timer hardware for
 * the head only, so a CPU takes a timer interrupt only when something is
 * due: there is no periodic tick, and an idle CPU with nothing armed sleeps
 * until an IPI.  The interrupt handler runs every event whose deadline has
 * passed, with the queue unlocked while each function runs (so a function
 * may re-arm its own event), then reprograms the hardware.  Lists are
 * short (sleeping LWPs on this CPU, the slice timer), so a sorted list
 * beats a heap here.
 *
 * Locking.  tq_lock (simplelock, interrupts off) covers the CPU's list,
 * te_next, te_pending and te_cpu of events on it.  te_running is set by
 * the CPU running the function; timer_event_cancel waits for it to clear.
 */
#include <cpu.h>
#include <kassert.h>
#include <time.h>
#include <timer.h>

#include <kern/lwp_impl.h>
#include <kern/main.h>

#include <kern/md.h>

#include <machine/cpuvar.h>

void
timer_event_init(struct timer_event *te, timer_func_t func, void *arg)
{
	te->te_next = NULL;
	te->te_deadline = 0;
	te->te_func = func;
	te->te_arg = arg;
	te->te_cpu = NULL;
	te->te_pending = false;
	te->te_running = false;
}

static struct timer_queue *
tq_of(struct cpu_info *ci)
{
	return &ci->ci_data.cpu_timers;
}

/* Program the hardware for the head of the queue.  tq_lock held. */
static void
tq_reprogram(struct timer_queue *tq)
{
	uint64_t deadline = tq->tq_head != NULL ? tq->tq_head->te_deadline : 0;

	if (deadline == tq->tq_programmed)
		return;
	tq->tq_programmed = deadline;
	cpu_timer_program(deadline);
}

static void
tq_unlink(struct timer_queue *tq, struct timer_event *te)
{
	struct timer_event **pp = &tq->tq_head;

	while (*pp != te) {
		KASSERTMSG(*pp != NULL, "timer event %p not on its queue", te);
		pp = &(*pp)->te_next;
	}
	*pp = te->te_next;
	te->te_next = NULL;
	te->te_pending = false;
	te->te_cpu = NULL;
}

/* Lock the queue te is on, if any; returns it locked, or NULL. */
static struct timer_queue *
lock_event_queue(struct timer_event *te)
{
	for (;;) {
		struct cpu_info *ci = te->te_cpu;

		if (ci == NULL)
			return NULL;
		simple_lock(&tq_of(ci)->tq_lock);
		if (te->te_cpu == ci)
			return tq_of(ci);
		simple_unlock(&tq_of(ci)->tq_lock);
	}
}

bool
timer_event_cancel(struct timer_event *te)
{
	uint64_t was = intr_save();
	struct timer_queue *tq = lock_event_queue(te);
	bool pending = false;

	if (tq != NULL) {
		pending = te->te_pending;
		tq_unlink(tq, te);
		simple_unlock(&tq->tq_lock);
	}
	intr_restore(was);
	/* Wait for a running function, unless we are that function. */
	while (__atomic_load_n(&te->te_running, __ATOMIC_ACQUIRE) &&
	    !(cpu_intr_p() && tq_of(curcpu())->tq_running == te))
		cpu_spin_pause();
	return pending;
}

void
timer_event_arm(struct timer_event *te, uint64_t deadline)
{
	uint64_t was;
	struct timer_queue *tq, *old;
	struct timer_event **pp;

	KASSERTMSG(te->te_func != NULL, "timer event %p not initialised", te);
	was = intr_save();
	old = lock_event_queue(te);
	if (old != NULL) {
		tq_unlink(old, te);
		simple_unlock(&old->tq_lock);
	}
	tq = tq_of(curcpu());
	simple_lock(&tq->tq_lock);
	te->te_deadline = deadline;
	for (pp = &tq->tq_head; *pp != NULL && (*pp)->te_deadline <= deadline;
	    pp = &(*pp)->te_next)
		;
	te->te_next = *pp;
	*pp = te;
	te->te_pending = true;
	te->te_cpu = curcpu();
	tq_reprogram(tq);
	simple_unlock(&tq->tq_lock);
	intr_restore(was);
}

/* Run every due event.  Hard interrupt context, interrupts off. */
static void
timer_intr(void)
{
	struct timer_queue *tq = tq_of(curcpu());
	struct timer_event *te;

	simple_lock(&tq->tq_lock);
	tq->tq_programmed = 0;		/* the one-shot has fired */
	while ((te = tq->tq_head) != NULL && te->te_deadline <= nanouptime()) {
		tq_unlink(tq, te);
		te->te_running = true;
		tq->tq_running = te;
		simple_unlock(&tq->tq_lock);
		te->te_func(te, te->te_arg);
		simple_lock(&tq->tq_lock);
		tq->tq_running = NULL;
		__atomic_store_n(&te->te_running, false, __ATOMIC_RELEASE);
	}
	tq_reprogram(tq);
	simple_unlock(&tq->tq_lock);
}

void
timer_init(void)
{
	cpu_timer_establish(timer_intr);
}
