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
 * Lifetime: free_irq unlinks the action and waits for the flow handlers,
 * so nothing wakes the thread any more; irq_thread_stop then sets ia_exit
 * and joins the thread, which leaves only when no work is due.
 *
 * Faults: in thread context the thread function runs under a catch
 * (irq_run_isolated, irq_fault.c).  If it faults, the action dies and
 * irq_run_isolated returns as if it had finished, so the accounting below
 * runs as usual; the thread then idles until the fault service detaches
 * the action and stops it (from the service thread, never from itself).
 * A dead action's thread function is never called again.
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

void
irq_run_thread_fn(struct irq_action *ia)
{
	struct lwp *l = curlwp;
	bool hard = cpu_intr_p();
	uint64_t t0 = nanouptime(), wake = ia->ia_wake_ns;

	if (hard) {
		ia->ia_thread_fn(ia->ia_desc->id_irq, ia->ia_dev);
	} else {
		if (ia->ia_dead)
			return;		/* it faulted: never again */
		if (wake != 0 && t0 >= wake)
			irq_hist_add(&ia->ia_wake_hist, t0 - wake);
		l->l_irqaction = ia;
		irq_run_isolated(ia);
		l->l_irqaction = NULL;
	}
	__atomic_fetch_add(&ia->ia_nthread, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ia->ia_thread_ns, nanouptime() - t0,
	    __ATOMIC_RELAXED);
}
