/*
 * irq_thread.c: the dedicated interrupt threads of IRQ_MODE_THREAD.
 *
 * Design.  Every action with a thread function has its own kernel thread,
 * "irq/N-name", created at request time and kept for the action's life
 * whatever its dispatch model (so a switch of model needs no allocation
 * and can happen while interrupts arrive).  It runs at the action's
 * priority, bound to the CPU its line is delivered to; irq_set_affinity
 * moves it at once (sched_rebind), not at its next run as Linux does.
 *
 * The flow handler wakes it (irq_thread_wake): IA_NEED is set, and only
 * the first wake of a batch counts in id_threads_active and sets the
 * action's ONESHOT bit; later ones coalesce, as the thread will look at
 * the device anyway.  The thread turns IA_NEED into IA_ACTIVE, runs the
 * thread function, and in irq_thread_done clears IA_ACTIVE, drops the
 * ONESHOT bit (unmasking the line if it was the last and no flow runs)
 * unless a new wake came meanwhile, and counts itself out of
 * id_threads_active, waking synchronize_irq at zero.
 *
 * irq_run_thread_fn accounts the thread function's time to the action
 * and, when it ran in a thread, its CPU time (not the time it was blocked
 * or preempted) to the line's storm budget (irq_storm.c; in hard context
 * the flow's charge covers it).
 *
 * Lifetime: free_irq unlinks the action and waits for the flow handlers,
 * so nothing wakes the thread any more; irq_thread_stop then sets ia_exit
 * and joins the thread, which leaves only when no work is due.
 *
 * Locking.  ia_state is atomic.  The ONESHOT bit and IRQ_MASK_ONESHOT are
 * changed under id_lock.  The thread sleeps on &ia->ia_state through the
 * sleep queue (wait channel: the action), checking IA_NEED and ia_exit
 * under the chain lock, which
 * the waker takes after setting them: no wake-up is lost.
 */
#include <irq.h>
#include <kassert.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <time.h>

#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>

#include <machine/cpuvar.h>

static bool
has_work_or_exit(struct irq_action *ia)
{
	return (__atomic_load_n(&ia->ia_state, __ATOMIC_ACQUIRE) & IA_NEED) ||
	    ia->ia_exit;
}

static void
thread_wait(struct irq_action *ia)
{
	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(ia);

		if (has_work_or_exit(ia)) {
			sleepq_unlock(sc);
			return;
		}
		sleepq_block(sc, ia, "irqwait", 0);
	}
}

static void
irq_thread_main(void *arg)
{
	struct irq_action *ia = arg;

	for (;;) {
		thread_wait(ia);
		if (!(__atomic_load_n(&ia->ia_state, __ATOMIC_ACQUIRE) & IA_NEED))
			break;		/* ia_exit and nothing due */
		__atomic_fetch_or(&ia->ia_state, IA_ACTIVE, __ATOMIC_ACQ_REL);
		__atomic_fetch_and(&ia->ia_state, ~IA_NEED, __ATOMIC_ACQ_REL);
		irq_run_thread_fn(ia);
		irq_thread_done(ia);
	}
}

int
irq_thread_create(struct irq_action *ia)
{
	char name[LWP_NAME_MAX];

	snprintf(name, sizeof(name), "irq/%d-%s", ia->ia_desc->id_irq,
	    ia->ia_name);
	return lwp_create(irq_thread_main, ia, ia->ia_prio, ia->ia_desc->id_cpu,
	    LWP_JOINABLE, name, &ia->ia_thread);
}

void
irq_thread_wake(struct irq_action *ia)
{
	struct irq_desc *desc = ia->ia_desc;
	unsigned old;

	mutex_enter(&desc->id_lock);
	old = __atomic_fetch_or(&ia->ia_state, IA_NEED, __ATOMIC_ACQ_REL);
	if (!(old & IA_NEED)) {
		__atomic_fetch_add(&desc->id_threads_active, 1, __ATOMIC_RELAXED);
		if (ia->ia_flags & IRQF_ONESHOT)
			desc->id_oneshot |= 1ULL << ia->ia_bit;
	}
	mutex_exit(&desc->id_lock);
	if (!(old & IA_NEED))
		sleepq_wakeup(ia, 1);
}

void
irq_thread_done(struct irq_action *ia)
{
	struct irq_desc *desc = ia->ia_desc;

	mutex_enter(&desc->id_lock);
	__atomic_fetch_and(&ia->ia_state, ~IA_ACTIVE, __ATOMIC_ACQ_REL);
	if (!(ia->ia_state & IA_NEED) && (ia->ia_flags & IRQF_ONESHOT)) {
		desc->id_oneshot &= ~(1ULL << ia->ia_bit);
		if (desc->id_oneshot == 0 && !desc->id_inprogress)
			irq_mask_clear(desc, IRQ_MASK_ONESHOT);
	}
	mutex_exit(&desc->id_lock);
	if (__atomic_sub_fetch(&desc->id_threads_active, 1, __ATOMIC_ACQ_REL) == 0)
		sleepq_wakeup(desc, ~0U);
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
 * What curlwp l has run on its CPU, less the time now: add nanouptime()
 * to get its CPU time (sched.c's account_switch keeps the two fields).
 * Interrupts are off so that no switch falls between the two loads.
 */
static uint64_t
cpu_time_base(const struct lwp *l)
{
	uint64_t was = intr_save();
	uint64_t base = l->l_runtime_ns - l->l_oncpu_since;

	intr_restore(was);
	return base;
}

/*
 * The thread function's time is charged to storm control as CPU time when
 * it runs in a thread (blocked and preempted time are not the source's
 * doing) and by run_actions when it runs in hard context.
 */
void
irq_run_thread_fn(struct irq_action *ia)
{
	struct lwp *l = curlwp;
	bool hard = cpu_intr_p();
	uint64_t base = hard ? 0 : cpu_time_base(l);
	uint64_t t0 = nanouptime(), wake = ia->ia_wake_ns, t1;

	if (!hard) {
		if (wake != 0 && t0 >= wake)
			irq_hist_add(&ia->ia_wake_hist, t0 - wake);
		l->l_irqaction = ia;
	}
	ia->ia_thread_fn(ia->ia_desc->id_irq, ia->ia_dev);
	t1 = nanouptime();
	if (!hard) {
		l->l_irqaction = NULL;
		irq_storm_charge(ia->ia_desc,
		    cpu_time_base(l) - base + (t1 - t0));
	}
	__atomic_fetch_add(&ia->ia_nthread, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ia->ia_thread_ns, t1 - t0, __ATOMIC_RELAXED);
}
