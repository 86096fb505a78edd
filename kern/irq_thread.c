/*
 * irq_thread.c: running thread functions outside hard interrupt context,
 * in the three threaded models.
 *
 * Design.  An action's thread function is due when its primary returned
 * IRQ_WAKE_THREAD.  Who runs it depends on the action's model, read once
 * per interrupt (irq_set_mode may change it at any time):
 *
 *  IRQ_MODE_THREAD  the action's own kernel thread, "irq/N-name", created
 *	at request time for every action with a thread function and kept
 *	whatever its model, bound to the line's CPU, at the action's
 *	priority (irq_set_affinity moves it at once, not at its next run as
 *	Linux does).
 *  IRQ_MODE_LAZY  a lazy interrupt thread of the IPL_VM level of the CPU
 *	that took the interrupt (kern/intr_lazy.c): it borrows the context of
 *	the interrupted LWP, pinning it, and takes the action's priority while
 *	it runs the function.  If the function blocks, the thread becomes a
 *	full LWP and the line is masked (IRQ_MASK_BLOCKED) until the function
 *	finishes, so the source cannot pile up work behind it, while other
 *	lines of the level keep being served by spare threads.
 *  IRQ_MODE_SOURCE  one thread per line, "irq/N-src" (FreeBSD's ithreads),
 *	created when the first action of the line takes the model: every due
 *	thread function of the line runs in it, highest action priority first,
 *	at the highest priority of the line's actions.
 *
 * All three follow the work protocol of kern/intr_lazy.h on the action's
 * ia_work, so a function never runs twice at once and every due run
 * happens exactly once whichever runner gets it, also across a change of
 * model: irq_thread_wake marks it due and hands it to the runner of the
 * current model only if nobody had it; a runner claims it, runs it, and
 * runs it again if it became due meanwhile.  IRQ_MODE_HARD runs it inline
 * in the flow when the work is idle, else hands it to the action's thread.
 *
 * irq_run_thread_fn accounts the thread function's time to the action
 * and, when it ran in a thread, its CPU time (not the time it was blocked
 * or preempted) to the line's storm budget (irq_storm.c; in hard context
 * the flow's charge covers it).
 *
 * Faults: in thread context (every threaded model) the thread function
 * runs under a catch (irq_run_isolated, irq_fault.c).  If it faults, the
 * action dies and irq_run_isolated returns as if it had finished, so the
 * runner's accounting and work protocol go on as usual (a pinned LWP
 * beneath a lazy thread resumes as after any run); the fault service
 * then detaches the action (from its own thread, never from a runner).
 * A dead action's thread function is never called again.
 *
 * Queue entries (a CPU's level queue, a line's source queue) carry
 * IW_QUEUED, which the runner that popped the entry clears only after its
 * claim, so free_irq (which waits for the work to be idle) cannot free an
 * action a runner is about to look at; a hand-off skipped meanwhile
 * because the entry was still queued is made again by that runner.
 *
 * Nested runs.  A nested demux's thread runs a child line's flow itself
 * (irq_flow_nested) and, after it, the thread functions its primaries
 * asked for, whatever their models: irq_nested_due marks the work due as
 * a wake would, but hands it to nobody, and irq_nested_run claims and
 * runs it in the calling thread (if another runner took it meanwhile,
 * that runner runs it).  The thread function is then marked in
 * l_irqnested (it may not sleep) and runs under its own catch, so a
 * fault kills the child, not the demux.  irq_nested_begin/end count the
 * flow as one due function of the line, so that free_irq cannot free an
 * action between the flow and the run the flow owes it.
 *
 * Accounting: id_threads_active counts due or running functions of the
 * line (one per IW_NEED that was set from clear, and one per nested flow
 * in progress); synchronize_irq waits for zero.  A ONESHOT action's bit
 * in id_oneshot is set with IW_NEED and cleared when its work goes idle,
 * unmasking the line after the last.
 *
 * Locking.  ia_work.iw_state is atomic.  The ONESHOT bits, the source
 * queue and IRQ_MASK_BLOCKED are changed under id_lock.  Threads sleep
 * through sleep queues (channels: the action for its thread, the line for
 * its source thread and for synchronize_irq and free_irq), checking their
 * condition under the chain lock that the waker takes after changing it:
 * no wake-up is lost.
 */
#include <irq.h>
#include <kassert.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <time.h>
#include <trace.h>

#include <kern/intr_lazy.h>
#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>

#include <machine/cpuvar.h>

static struct irq_action *
work_action(struct intr_work *iw)
{
	return container_of(iw, struct irq_action, ia_work);
}

static unsigned
work_state(const struct irq_action *ia)
{
	return __atomic_load_n(&ia->ia_work.iw_state, __ATOMIC_ACQUIRE);
}

/* Wake synchronize_irq and free_irq, if any waits, to look again. */
static void
wake_waiters(struct irq_desc *desc)
{
	if (__atomic_load_n(&desc->id_waiters, __ATOMIC_SEQ_CST) != 0)
		sleepq_wakeup(desc, ~0U);
}

/* One due function of the line is done (or was merged into another). */
static void
count_done(struct irq_desc *desc)
{
	__atomic_sub_fetch(&desc->id_threads_active, 1, __ATOMIC_SEQ_CST);
	wake_waiters(desc);
}

/* The work went idle: drop its ONESHOT bit, unmasking after the last. */
static void
oneshot_done(struct irq_desc *desc, unsigned bit)
{
	mutex_enter(&desc->id_lock);
	desc->id_oneshot &= ~(1ULL << bit);
	if (desc->id_oneshot == 0 && !desc->id_inprogress)
		irq_mask_clear(desc, IRQ_MASK_ONESHOT);
	mutex_exit(&desc->id_lock);
}

/*
 * Run a claimed action's function until it is no longer due.  For a
 * ONESHOT action the release happens under id_lock, so that a new wake
 * (which sets IW_NEED and the bit under it too) cannot slip between.
 */
static void run_fn(struct irq_action *ia, bool nested);

static void
run_claimed(struct irq_action *ia, bool nested)
{
	struct irq_desc *desc = ia->ia_desc;
	bool oneshot = (ia->ia_flags & IRQF_ONESHOT) != 0;
	unsigned bit = ia->ia_bit;
	bool again;

	do {
		run_fn(ia, nested);
		if (oneshot)
			mutex_enter(&desc->id_lock);
		again = intr_work_release(&ia->ia_work);
		if (oneshot) {
			mutex_exit(&desc->id_lock);
			if (!again)
				oneshot_done(desc, bit);
		}
		count_done(desc);
	} while (again);
}

static void source_queue(struct irq_action *ia);

/* Give due work to the runner of the action's model. */
static void
hand_off(struct irq_action *ia)
{
	switch (ia->ia_mode) {
	case IRQ_MODE_LAZY:
		intr_lazy_queue(curcpu(), ia->ia_desc->id_ipl, &ia->ia_work);
		break;
	case IRQ_MODE_SOURCE:
		source_queue(ia);
		break;
	default:
		sleepq_wakeup(ia, 1);
		break;
	}
}

/*
 * Make ia's thread function due; returns the state it had.  If it was
 * due already, the new wake merges into that run (IW_NEED in the result).
 */
static unsigned
make_due(struct irq_action *ia)
{
	struct irq_desc *desc = ia->ia_desc;
	bool oneshot = (ia->ia_flags & IRQF_ONESHOT) != 0;
	unsigned old;

	/* Counted before IW_NEED can be seen, so a runner never underflows. */
	__atomic_fetch_add(&desc->id_threads_active, 1, __ATOMIC_SEQ_CST);
	if (oneshot)
		mutex_enter(&desc->id_lock);
	old = __atomic_fetch_or(&ia->ia_work.iw_state, IW_NEED,
	    __ATOMIC_ACQ_REL);
	if (oneshot) {
		if (!(old & IW_NEED))
			desc->id_oneshot |= 1ULL << ia->ia_bit;
		mutex_exit(&desc->id_lock);
	}
	if (old & IW_NEED)
		count_done(desc);	/* merged into the pending run */
	return old;
}

void
irq_thread_wake(struct irq_action *ia)
{
	if (!(make_due(ia) & (IW_NEED | IW_ACTIVE)))
		hand_off(ia);
}

/* Nested runs (a nested demux's thread; irq_flow.c). */

void
irq_nested_begin(struct irq_desc *desc)
{
	__atomic_fetch_add(&desc->id_threads_active, 1, __ATOMIC_SEQ_CST);
}

void
irq_nested_end(struct irq_desc *desc)
{
	count_done(desc);
}

bool
irq_nested_due(struct irq_action *ia)
{
	return !(make_due(ia) & (IW_NEED | IW_ACTIVE));
}

void
irq_nested_run(struct irq_action *ia)
{
	if (intr_work_claim(&ia->ia_work))
		run_claimed(ia, true);
}

/*
 * A runner popped ia from a queue: claim and run it, then drop the queue
 * mark; a hand-off skipped while it was marked is made again here.
 */
static void
run_queued(struct irq_action *ia)
{
	struct irq_desc *desc = ia->ia_desc;

	if (intr_work_claim(&ia->ia_work))
		run_claimed(ia, false);
	switch (intr_work_unqueue(&ia->ia_work)) {
	case IW_REQUEUE:
		hand_off(ia);
		break;
	case IW_WENT_IDLE:
		wake_waiters(desc);	/* ia may be freed from here on */
		break;
	case IW_TAKEN:
		break;
	}
}

/* IRQ_MODE_LAZY: the lazy interrupt thread's side (kern/intr_lazy.c). */

static void
lazy_run(struct intr_work *iw)
{
	struct irq_action *ia = work_action(iw);
	struct lwp *t = curlwp;

	t->l_base_pri = t->l_pri = ia->ia_prio;
	run_queued(ia);
	if (ia->ia_blocked) {
		struct irq_desc *desc = ia->ia_desc;

		mutex_enter(&desc->id_lock);
		ia->ia_blocked = false;
		if (--desc->id_nblocked == 0)
			irq_mask_clear(desc, IRQ_MASK_BLOCKED);
		mutex_exit(&desc->id_lock);
	}
}

/* Its pinned thread blocked: hold the line until the function ends. */
static void
lazy_blocked(struct intr_work *iw)
{
	struct irq_action *ia = work_action(iw);
	struct irq_desc *desc = ia->ia_desc;

	mutex_enter(&desc->id_lock);
	if (!ia->ia_blocked) {
		ia->ia_blocked = true;
		desc->id_nblocked++;
		irq_mask_set(desc, IRQ_MASK_BLOCKED);
	}
	mutex_exit(&desc->id_lock);
}

static const struct intr_work_ops lazy_ops = {
	.iwo_run = lazy_run,
	.iwo_blocked = lazy_blocked,
};

void
irq_work_init(struct irq_action *ia)
{
	intr_work_init(&ia->ia_work, &lazy_ops);
}

/* IRQ_MODE_THREAD: the action's own thread. */

static bool
claimable_or_exit(struct irq_action *ia)
{
	return (work_state(ia) & (IW_NEED | IW_ACTIVE)) == IW_NEED ||
	    ia->ia_exit;
}

static void
irq_thread_main(void *arg)
{
	struct irq_action *ia = arg;

	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(ia);

		if (!claimable_or_exit(ia)) {
			sleepq_block(sc, ia, "irqwait", 0);
			continue;
		}
		sleepq_unlock(sc);
		if (intr_work_claim(&ia->ia_work))
			run_claimed(ia, false);
		else if (ia->ia_exit)
			break;
	}
}

int
irq_thread_create(struct irq_action *ia)
{
	char name[LWP_NAME_MAX];

	snprintf(name, sizeof(name), "irq/%d-%s", ia->ia_desc->id_irq,
	    ia->ia_name);
	return lwp_create(irq_thread_main, ia, ia->ia_prio, ia->ia_desc->id_cpu,
	    LWP_JOINABLE | LWP_INTR, name, &ia->ia_thread);
}

void
irq_thread_stop(struct irq_action *ia)
{
	struct sleepq_chain *sc = sleepq_lock(ia);

	ia->ia_exit = true;
	sleepq_unlock(sc);
	sleepq_wakeup(ia, 1);
	lwp_join(ia->ia_thread);
	ia->ia_thread = NULL;
}

void
irq_thread_rebind(struct irq_action *ia, struct cpu_info *ci)
{
	sched_rebind(ia->ia_thread, ci);
}

/*
 * IRQ_MODE_SOURCE: the line's thread.  Its queue (id_srcq, linked through
 * iw_next) is under id_lock; the thread takes the highest-priority entry.
 */

static void
source_queue(struct irq_action *ia)
{
	struct irq_desc *desc = ia->ia_desc;

	if (__atomic_fetch_or(&ia->ia_work.iw_state, IW_QUEUED,
	    __ATOMIC_ACQ_REL) & IW_QUEUED)
		return;
	mutex_enter(&desc->id_lock);
	ia->ia_work.iw_next = desc->id_srcq;
	desc->id_srcq = &ia->ia_work;
	mutex_exit(&desc->id_lock);
	sleepq_wakeup(&desc->id_srcq, 1);
}

/* The best queued action, off the queue, or NULL.  id_lock held. */
static struct irq_action *
source_pop(struct irq_desc *desc)
{
	struct intr_work **best = NULL;

	for (struct intr_work **pp = &desc->id_srcq; *pp; pp = &(*pp)->iw_next)
		if (best == NULL || irq_action_runs_before(work_action(*pp),
		    work_action(*best)))
			best = pp;
	if (best == NULL)
		return NULL;
	struct intr_work *iw = *best;

	*best = iw->iw_next;
	return work_action(iw);
}

static bool
source_idle(struct irq_desc *desc)
{
	return desc->id_srcq == NULL;
}

static void
source_thread_main(void *arg)
{
	struct irq_desc *desc = arg;

	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(&desc->id_srcq);
		struct irq_action *ia;

		if (source_idle(desc) && !desc->id_src_exit) {
			sleepq_block(sc, &desc->id_srcq, "irqsrc", 0);
			continue;
		}
		sleepq_unlock(sc);
		mutex_enter(&desc->id_lock);
		ia = source_pop(desc);
		mutex_exit(&desc->id_lock);
		if (ia == NULL)
			break;		/* asked to exit, nothing queued */
		run_queued(ia);
	}
}

int
irq_source_thread_start(struct irq_desc *desc, int prio)
{
	char name[LWP_NAME_MAX];

	if (desc->id_srcthread != NULL)
		return 0;
	desc->id_src_exit = false;
	snprintf(name, sizeof(name), "irq/%d-src", desc->id_irq);
	return lwp_create(source_thread_main, desc, prio, desc->id_cpu,
	    LWP_JOINABLE | LWP_INTR, name, &desc->id_srcthread);
}

void
irq_source_thread_stop(struct irq_desc *desc)
{
	struct sleepq_chain *sc;

	if (desc->id_srcthread == NULL)
		return;
	sc = sleepq_lock(&desc->id_srcq);
	desc->id_src_exit = true;
	sleepq_unlock(sc);
	sleepq_wakeup(&desc->id_srcq, 1);
	lwp_join(desc->id_srcthread);
	desc->id_srcthread = NULL;
}

/* Waiting for a line's functions (synchronize_irq) or one action (free_irq). */

static bool
line_idle(struct irq_desc *desc)
{
	return __atomic_load_n(&desc->id_threads_active, __ATOMIC_SEQ_CST) == 0;
}

void
irq_wait_threads(struct irq_desc *desc, struct irq_action *ia)
{
	__atomic_fetch_add(&desc->id_waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(desc);

		if (line_idle(desc) && (ia == NULL || work_state(ia) == 0)) {
			sleepq_unlock(sc);
			break;
		}
		sleepq_block(sc, desc, ia != NULL ? "irqfree" : "irqsync", 0);
	}
	__atomic_fetch_sub(&desc->id_waiters, 1, __ATOMIC_SEQ_CST);
}

/*
 * What curlwp l has run on its CPU, less the time now: add nanouptime()
 * to get its CPU time (sched.c's account_switch keeps the two fields).
 * Interrupts are off so that no switch falls between the two loads,
 * unless l is a lazy interrupt thread still pinning its LWP: it runs
 * above IPL_NONE, so only its own blocking could switch it.
 */
static uint64_t
cpu_time_base(const struct lwp *l)
{
	uint64_t was, base;

	if (l->l_pinned != NULL)	/* nothing switches it: no race */
		return l->l_runtime_ns - l->l_oncpu_since;
	was = intr_save();
	base = l->l_runtime_ns - l->l_oncpu_since;
	intr_restore(was);
	return base;
}

/*
 * The thread function's time is charged to storm control as CPU time when
 * it runs in a thread (blocked and preempted time are not the source's
 * doing) and by run_actions when it runs in hard context.  A nested run
 * is marked in l_irqnested and restores what the demux's own thread
 * function had recorded.
 */
static void
run_fn(struct irq_action *ia, bool nested)
{
	struct lwp *l = curlwp;
	bool hard = cpu_intr_p();
	uint64_t base = hard ? 0 : cpu_time_base(l);
	uint64_t t0 = nanouptime(), wake = ia->ia_wake_ns, t1;
	struct irq_action *outer = l->l_irqaction, *outer_nested = l->l_irqnested;

	if (hard) {
		TRACE(TRACE_THREADFN_START, ia->ia_desc->id_irq,
		    ia->ia_thread_fn, ia);
		ia->ia_thread_fn(ia->ia_desc->id_irq, ia->ia_dev);
		t1 = nanouptime();
	} else {
		if (ia->ia_dead)
			return;		/* it faulted: never again */
		if (wake != 0 && t0 >= wake)
			irq_hist_add(&ia->ia_wake_hist, t0 - wake);
		l->l_irqaction = ia;
		if (nested)
			l->l_irqnested = ia;
		TRACE(TRACE_THREADFN_START, ia->ia_desc->id_irq,
		    ia->ia_thread_fn, ia);
		irq_run_isolated(ia);
		t1 = nanouptime();
		l->l_irqnested = outer_nested;
		l->l_irqaction = outer;
		irq_storm_charge(ia->ia_desc,
		    cpu_time_base(l) - base + (t1 - t0));
	}
	TRACE(TRACE_THREADFN_END, ia->ia_desc->id_irq, ia->ia_thread_fn,
	    ia);
	__atomic_fetch_add(&ia->ia_nthread, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ia->ia_thread_ns, t1 - t0, __ATOMIC_RELAXED);
}

void
irq_run_thread_fn(struct irq_action *ia)
{
	run_fn(ia, false);
}
