/*
 * irq_flow.c: flow handlers, and running a line's actions.
 *
 * Design.  The machine layer calls irq_dispatch(desc) in hard interrupt
 * context at the line's IPL.  The descriptor's flow handler talks to the
 * chip (ack, mask, EOI) in the way the source's trigger needs, then runs
 * every action's primary handler in priority order (run_actions):
 *
 *  edge	ack first, so a new edge can be latched meanwhile; an edge that
 *		comes while another CPU is handling the line is marked
 *		pending and that CPU runs the handlers again (IOAPIC edge).
 *  level	mask and ack first, unmask at the end, when a line still
 *		asserted fires again (IOAPIC level).
 *  fasteoi	one EOI at the end; the source is masked while handling only
 *		for ONESHOT lines; pending edges are rerun as with edge (MSI).
 *  percpu	a per-CPU source (LAPIC timer, IPIs): no line state, no
 *		lock, EOI at the end.
 *  child	a demux child (irq_demux.c), dispatched by its parent's
 *		handler: no chip work while handling (masking a child quiets
 *		its device, whose handler must still see the cause); like a
 *		level source it holds its request while masked, so nothing is
 *		resent.  From the parent's primary it runs in hard context
 *		(irq_dispatch, chained); from a nested demux's thread it runs
 *		in that thread (irq_flow_nested): the primaries at the line's
 *		IPL, marked in l_irqnested so that blocking panics as in
 *		hard context, and every thread function they ask for right
 *		after the flow in the same thread, whatever its model, on the
 *		work protocol (irq_nested_due, irq_nested_run).  The flow
 *		itself holds id_inprogress only while the primaries run, as
 *		in hard context, so free_irq's wait for it never waits for a
 *		thread function that blocks.
 *
 * A primary that returns IRQ_WAKE_THREAD gets its thread function run
 * under the action's dispatch model (run_or_wake): IRQ_MODE_HARD calls it
 * right there, in hard context, unless its work is not idle (then it goes
 * to the action's thread, so the function never runs twice at once and
 * work stays in order); the threaded models hand it to their runner
 * (irq_thread_wake, irq_thread.c: the action's thread, a lazy interrupt
 * thread of this CPU, or the line's source thread).  A woken ONESHOT
 * action keeps the line masked (IRQ_MASK_ONESHOT) until its thread
 * function finishes.
 *
 * Disabling is lazy (Linux's): disable_irq only counts; an interrupt that
 * arrives while the line is disabled masks it then and is remembered, and
 * enable_irq unmasks it and, for sources that do not hold their request
 * (everything but level lines), makes it fire again.
 *
 * Masking is advisory: a chip may be unable to mask a source (MSI without
 * per-vector masking, msi.c), and a delivery may already be on its way
 * when the mask is set.  So a delivery that finds the line masked for
 * ONESHOT or for good runs no handler either: it is remembered
 * (id_pending_edge), and when the last mask reason goes (irq_mask_clear)
 * a source that does not hold its request is made to fire again
 * (resend_held).  A flow also stops rerunning its handlers for edges that
 * came meanwhile once a ONESHOT thread function is due.
 *
 * Storm control (irq_storm.c).  run_actions charges the time of its
 * primaries, and of thread functions it runs inline, to the line with the
 * timestamps it takes anyway; each flow ends with irq_storm_check, which
 * may throttle the line (IRQ_MASK_THROTTLED).  A throttled line is held
 * like a ONESHOT one: deliveries run no handler, and the storm poller
 * runs them instead through irq_flow_poll, which claims the line as a
 * flow does (id_inprogress), so synchronize_irq, free_irq and the rule
 * "never on two CPUs at once" cover polls too.
 *
 * Locking.  id_lock (spin, IPL_HIGH) covers the line state: id_mask,
 * id_inprogress, id_pending_edge, id_oneshot.  It is dropped while the
 * handlers run.  Handlers of one line never run on two CPUs at once
 * (id_inprogress), so the snapshot of actions a flow reads stays valid
 * until the flow ends; writers publish a new snapshot under id_lock and
 * free the old one after id_flow_gen has moved on (irq.c).
 */
#include <cpu.h>
#include <irq.h>
#include <kassert.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <time.h>
#include <trace.h>

#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>

#include <machine/cpuvar.h>

static struct cpu_data *
this_cpu_data(void)
{
	return &curcpu()->ci_data;
}

void
irq_mask_set(struct irq_desc *desc, unsigned reason)
{
	KASSERT(mutex_owned(&desc->id_lock));
	desc->id_mask |= reason;
	if (!desc->id_chip_masked && desc->id_chip->ic_mask != NULL) {
		desc->id_chip->ic_mask(desc);
		desc->id_chip_masked = true;
	}
}

/*
 * Make a delivery that flow_begin held again, now that nothing masks the
 * line: not for level sources (still asserted if they still want
 * service) nor while a flow runs (it reruns the handlers).  id_lock held.
 */
static void
resend_held(struct irq_desc *desc)
{
	if (!desc->id_pending_edge || desc->id_inprogress ||
	    desc->id_flow == IRQ_FLOW_LEVEL || desc->id_flow == IRQ_FLOW_PERCPU ||
	    desc->id_flow == IRQ_FLOW_CHILD)
		return;
	desc->id_pending_edge = false;
	md_irq_resend(desc);
}

void
irq_mask_clear(struct irq_desc *desc, unsigned reason)
{
	KASSERT(mutex_owned(&desc->id_lock));
	desc->id_mask &= ~reason;
	if (desc->id_mask != 0)
		return;
	if (desc->id_chip_masked) {
		desc->id_chip->ic_unmask(desc);
		desc->id_chip_masked = false;
	}
	resend_held(desc);
}

static void
chip_ack(struct irq_desc *desc)
{
	if (desc->id_chip->ic_ack != NULL)
		desc->id_chip->ic_ack(desc);
}

static void
chip_eoi(struct irq_desc *desc)
{
	if (desc->id_chip->ic_eoi != NULL)
		desc->id_chip->ic_eoi(desc);
}

static void
add_stat(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/*
 * Thread functions a nested flow owes a run after it ends (irq_flow_nested);
 * each is due, so none can be freed before it is run.
 */
struct nested_runs {
	unsigned nr_n;
	struct irq_action *nr_ia[MAX_LINE_ACTIONS];
};

/*
 * Run the thread function now (HARD), leave it to the nested flow's
 * thread (nested), or hand it to its runner.
 */
static void
run_or_wake(struct irq_action *ia, struct nested_runs *nested)
{
	if (nested != NULL) {
		if (!irq_nested_due(ia))
			return;		/* merged, or its runner has it */
		KASSERTMSG(nested->nr_n < MAX_LINE_ACTIONS, "irq %d (%s): more "
		    "than %u thread functions owed by one nested flow",
		    ia->ia_desc->id_irq, ia->ia_desc->id_name, MAX_LINE_ACTIONS);
		nested->nr_ia[nested->nr_n++] = ia;
		return;
	}
	if (ia->ia_mode == IRQ_MODE_HARD &&
	    __atomic_load_n(&ia->ia_work.iw_state, __ATOMIC_ACQUIRE) == 0) {
		irq_run_thread_fn(ia);
		return;
	}
	irq_thread_wake(ia);
}

/*
 * Call ia's primary: here, or (nested) in a demux's thread at the line's
 * IPL, marked so that blocking panics naming it.
 */
static irqreturn_t
call_primary(struct irq_desc *desc, struct irq_action *ia, bool nested)
{
	struct lwp *l = curlwp;
	irqreturn_t r;
	ipl_t s;

	if (!nested)
		return ia->ia_handler(desc->id_irq, ia->ia_dev);
	s = splraise(desc->id_ipl);
	l->l_irqnested = ia;
	l->l_irqnested_primary = true;
	r = ia->ia_handler(desc->id_irq, ia->ia_dev);
	l->l_irqnested_primary = false;
	l->l_irqnested = NULL;
	splx(s);
	return r;
}

/*
 * The primary handlers, highest priority first; returns their OR and in
 * *now the time they ended.  The whole, thread functions run inline
 * included, is charged to the line's storm budget (irq_storm.c).  In hard
 * context the CPU records the action it runs (cpu_intr_action, for the
 * rules' messages); a nested flow runs in a thread that may move between
 * CPUs, and marks its primaries in its LWP instead (call_primary).
 */
static irqreturn_t
run_actions(struct irq_desc *desc, uint64_t *now, struct nested_runs *nested)
{
	struct cpu_data *cd = nested == NULL ? this_cpu_data() : NULL;
	struct irq_action *saved = cd != NULL ? cd->cpu_intr_action : NULL;
	struct irq_action *const *snap = desc->id_snap;
	uint64_t raised = __atomic_exchange_n(&desc->id_raise_ns, 0,
	    __ATOMIC_RELAXED);
	uint64_t t0 = nanouptime(), t1, start = t0;
	irqreturn_t all = IRQ_NONE;

	if (raised != 0 && t0 >= raised)
		irq_hist_add(&desc->id_raise_hist, t0 - raised);
	for (; snap != NULL && *snap != NULL; snap++, t0 = t1) {
		struct irq_action *ia = *snap;
		irqreturn_t r;

		if (ia->ia_dead) {	/* its thread function faulted */
			t1 = t0;
			continue;
		}
		if (cd != NULL)
			cd->cpu_intr_action = ia;
		TRACE(TRACE_PRIMARY_START, desc->id_irq, ia->ia_handler, ia);
		r = call_primary(desc, ia, nested != NULL);
		TRACE(TRACE_PRIMARY_END, desc->id_irq, r, ia);
		KASSERTMSG((r & ~(IRQ_HANDLED | IRQ_WAKE_THREAD)) == 0,
		    "irq %d handler %s returned %#x", desc->id_irq,
		    ia->ia_name, (unsigned)r);
		KASSERTMSG(!(r & IRQ_WAKE_THREAD) || ia->ia_thread_fn != NULL,
		    "irq %d handler %s returned IRQ_WAKE_THREAD but has no "
		    "thread function", desc->id_irq, ia->ia_name);
		t1 = nanouptime();
		add_stat(&ia->ia_nprimary, 1);
		add_stat(&ia->ia_primary_ns, t1 - t0);
		if (r != IRQ_NONE)
			add_stat(&ia->ia_nhandled, 1);
		if (r & IRQ_WAKE_THREAD) {
			add_stat(&ia->ia_nwoken, 1);
			ia->ia_wake_ns = t1;
			run_or_wake(ia, nested);
			t1 = nanouptime();
		}
		all |= r;
	}
	if (cd != NULL)
		cd->cpu_intr_action = saved;
	if (desc->id_flow != IRQ_FLOW_PERCPU)
		irq_storm_charge(desc, t0 - start);
	*now = t0;
	return all;
}

/*
 * May this flow run the handlers?  No if the line has no actions (shut
 * down: the delivery is dropped, as nobody can handle it), another CPU is
 * running them (an edge is then left pending for it), the line is
 * disabled (masked, remembered for enable_irq), or it is masked for
 * ONESHOT or for good: the chip could not mask the source, or the
 * delivery was already on its way; it is held, and resent when the mask
 * goes (resend_held).  id_lock held.
 */
static bool
flow_begin(struct irq_desc *desc)
{
	if (desc->id_snap == NULL)
		return false;
	if (desc->id_inprogress) {
		desc->id_pending_edge = true;
		return false;
	}
	if (desc->id_depth > 0) {
		desc->id_pending_edge = true;
		irq_mask_set(desc, IRQ_MASK_DISABLED);
		return false;
	}
	if (desc->id_mask & (IRQ_MASK_ONESHOT | IRQ_MASK_UNHANDLED |
	    IRQ_MASK_BLOCKED | IRQ_MASK_THROTTLED | IRQ_MASK_DEAD)) {
		desc->id_pending_edge = true;
		return false;
	}
	desc->id_inprogress = 1;
	return true;
}

/*
 * Run the handlers, again while edges come in meanwhile, until the line
 * is disabled, held for ONESHOT, dead or throttled.  Returns true if the
 * storm check throttled it (irq_storm_kick is due).  id_lock held.
 */
static bool
flow_run(struct irq_desc *desc, struct nested_runs *nested)
{
	bool throttled = false;

	do {
		irqreturn_t ret;
		uint64_t now;

		desc->id_pending_edge = false;
		mutex_exit(&desc->id_lock);
		ret = run_actions(desc, &now, nested);
		mutex_enter(&desc->id_lock);
		irq_note_interrupt(desc, ret);
		throttled |= irq_storm_check(desc, now);
	} while (desc->id_pending_edge && desc->id_depth == 0 &&
	    desc->id_oneshot == 0 &&
	    !(desc->id_mask &
	    (IRQ_MASK_UNHANDLED | IRQ_MASK_THROTTLED | IRQ_MASK_DEAD)));
	return throttled;
}

/* The end of a flow: keep a ONESHOT line masked while threads are due. */
static void
flow_end(struct irq_desc *desc)
{
	if (desc->id_oneshot != 0)
		irq_mask_set(desc, IRQ_MASK_ONESHOT);
	irq_mask_clear(desc, IRQ_MASK_FLOW);
	desc->id_inprogress = 0;
	__atomic_fetch_add(&desc->id_flow_gen, 1, __ATOMIC_RELEASE);
}

/* The line was just throttled: wake the poller, id_lock dropped. */
static void
kick_if(bool throttled)
{
	if (throttled)
		irq_storm_kick();
}

static void
handle_edge(struct irq_desc *desc)
{
	bool throttled = false;

	mutex_enter(&desc->id_lock);
	chip_ack(desc);
	if (flow_begin(desc)) {
		throttled = flow_run(desc, NULL);
		flow_end(desc);
	}
	mutex_exit(&desc->id_lock);
	kick_if(throttled);
}

static void
handle_level(struct irq_desc *desc)
{
	bool throttled = false;

	mutex_enter(&desc->id_lock);
	irq_mask_set(desc, IRQ_MASK_FLOW);
	chip_ack(desc);
	if (flow_begin(desc)) {
		throttled = flow_run(desc, NULL);
		flow_end(desc);
	} else if (!desc->id_inprogress) {
		irq_mask_clear(desc, IRQ_MASK_FLOW);	/* its other reasons stay */
	}
	mutex_exit(&desc->id_lock);
	kick_if(throttled);
}

static void
handle_fasteoi(struct irq_desc *desc)
{
	bool throttled = false;

	mutex_enter(&desc->id_lock);
	if (flow_begin(desc)) {
		if (desc->id_flags & IRQF_ONESHOT)
			irq_mask_set(desc, IRQ_MASK_FLOW);
		throttled = flow_run(desc, NULL);
		flow_end(desc);
	}
	mutex_exit(&desc->id_lock);
	chip_eoi(desc);
	kick_if(throttled);
}

static void
handle_percpu(struct irq_desc *desc)
{
	uint64_t now;

	run_actions(desc, &now, NULL);
	chip_eoi(desc);
}

/* A demux child, from its parent's primary in hard context (chained). */
static void
handle_child(struct irq_desc *desc)
{
	bool throttled = false;

	mutex_enter(&desc->id_lock);
	if (flow_begin(desc)) {
		throttled = flow_run(desc, NULL);
		flow_end(desc);
	}
	mutex_exit(&desc->id_lock);
	kick_if(throttled);
}

void
irq_flow_nested(struct irq_desc *desc)
{
	struct nested_runs runs = { .nr_n = 0 };
	bool throttled = false;

	KASSERTMSG(!cpu_intr_p() && desc->id_flow == IRQ_FLOW_CHILD,
	    "irq_flow_nested: irq %d (%s, %s flow)%s", desc->id_irq,
	    desc->id_name, irq_flow_name(desc->id_flow),
	    cpu_intr_p() ? " in hard interrupt context" : "");
	irq_nested_begin(desc);
	mutex_enter(&desc->id_lock);
	desc->id_count[cpu_number()]++;
	if (flow_begin(desc)) {
		throttled = flow_run(desc, &runs);
		flow_end(desc);
	}
	mutex_exit(&desc->id_lock);
	kick_if(throttled);
	for (unsigned i = 0; i < runs.nr_n; i++)
		irq_nested_run(runs.nr_ia[i]);
	irq_nested_end(desc);
}

/*
 * May the poller run the handlers?  As flow_begin, except that the line
 * is throttled (which is why it polls) and a delivery held meanwhile is
 * serviced by this poll: the handlers look at the device anyway.
 * id_lock held.
 */
static bool
poll_begin(struct irq_desc *desc)
{
	if (!(desc->id_mask & IRQ_MASK_THROTTLED) || desc->id_snap == NULL ||
	    desc->id_inprogress || desc->id_depth > 0 ||
	    (desc->id_mask & (IRQ_MASK_ONESHOT | IRQ_MASK_UNHANDLED)))
		return false;
	desc->id_pending_edge = false;
	desc->id_inprogress = 1;
	return true;
}

void
irq_flow_poll(struct irq_desc *desc)
{
	irqreturn_t ret;
	uint64_t now;

	KASSERTMSG(cpu_intr_p() && curipl() >= desc->id_ipl,
	    "irq_flow_poll: irq %d (%s) polled outside hard context at %s",
	    desc->id_irq, desc->id_name, ipl_name(desc->id_ipl));
	mutex_enter(&desc->id_lock);
	if (!poll_begin(desc)) {
		mutex_exit(&desc->id_lock);
		return;
	}
	mutex_exit(&desc->id_lock);
	ret = run_actions(desc, &now, NULL);
	mutex_enter(&desc->id_lock);
	flow_end(desc);
	irq_storm_polled(desc, ret, now);
	mutex_exit(&desc->id_lock);
}

void
irq_dispatch(struct irq_desc *desc)
{
	if (__predict_false(this_cpu_data()->cpu_halt_since != 0))
		sched_halt_end();	/* this interrupt woke its CPU */
	desc->id_count[cpu_number()]++;
	switch (desc->id_flow) {
	case IRQ_FLOW_EDGE:
		handle_edge(desc);
		break;
	case IRQ_FLOW_LEVEL:
		handle_level(desc);
		break;
	case IRQ_FLOW_FASTEOI:
		handle_fasteoi(desc);
		break;
	case IRQ_FLOW_PERCPU:
		handle_percpu(desc);
		break;
	case IRQ_FLOW_CHILD:
		handle_child(desc);
		break;
	}
}

const char *
irq_flow_name(enum irq_flow flow)
{
	static const char *const names[] = {
		[IRQ_FLOW_EDGE] = "edge", [IRQ_FLOW_LEVEL] = "level",
		[IRQ_FLOW_FASTEOI] = "fasteoi", [IRQ_FLOW_PERCPU] = "percpu",
		[IRQ_FLOW_CHILD] = "child",
	};

	return names[flow];
}

/* Soft SPL: hold the source until the level comes down (intr.c). */
void
irq_defer(struct irq_desc *desc)
{
	if (desc->id_flow == IRQ_FLOW_PERCPU)
		return;
	mutex_enter(&desc->id_lock);
	irq_mask_set(desc, IRQ_MASK_DEFERRED);
	mutex_exit(&desc->id_lock);
}

void
irq_replay(struct irq_desc *desc)
{
	if (desc->id_flow == IRQ_FLOW_PERCPU)
		return;
	mutex_enter(&desc->id_lock);
	irq_mask_clear(desc, IRQ_MASK_DEFERRED);
	mutex_exit(&desc->id_lock);
}
