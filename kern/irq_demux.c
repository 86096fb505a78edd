/*
 * irq_demux.c: child interrupts behind a demultiplexing handler
 * (include/irq_demux.h has the API and the rules a driver sees).
 *
 * Design.  A demux is one action on its parent line (handler
 * demux_primary, thread function demux_thread, dev the demux, requested
 * IRQF_ONESHOT) and an array of child descriptors, made with
 * irq_desc_create like any line but on the "demux" chip, whose mask and
 * unmask call the driver's dmo_mask/dmo_unmask, with IRQ_FLOW_CHILD and
 * no vector.  The children take the parent line's IPL and CPU.
 *
 *  chained  demux_primary asks the driver which children are pending
 *	(dmo_pending) and runs each one's flow with irq_dispatch, in hard
 *	context, exactly as the machine runs a hardware line's: the child's
 *	primaries, then its thread functions under their own models.  The
 *	parent's primary returns IRQ_HANDLED (IRQ_NONE if nothing was
 *	pending), so ONESHOT never holds the line.
 *  nested  demux_primary returns IRQ_WAKE_THREAD when a child is pending:
 *	ONESHOT keeps the parent line masked, which quiets the device for
 *	the CPU (a UART's interrupt identification depends on its interrupt
 *	enables, so quieting it at the device would hide from the child's
 *	handler the very causes it must see).  demux_thread then asks for
 *	the pending children again and runs each one's flow in this thread
 *	(irq_flow_nested, kern/irq_flow.c), for at most NESTED_PASSES
 *	rounds; whatever is still pending then asserts the line again once
 *	ONESHOT unmasks it.
 *
 * Pending children run highest priority first: the child line's
 * id_top_prio, the priority of its best action, kept by irq.c.  A child
 * whose flow cannot run (disabled, held, throttled, dead, or running
 * elsewhere) is handled by the flow's own rules, which mask it through
 * the driver or leave its cause for the flow in progress.
 *
 * A child's model under nested dispatch: none of its own.  The flow runs
 * its thread functions in the demux's thread; irq_set_mode on it is
 * refused (irq_demux_mode_refusal, called by irq.c) and the recorded
 * model applies again once the demux is chained.  The parent's action may
 * not be IRQ_MODE_HARD while nested: its thread function would run the
 * children in hard context.  Should it run in hard context anyway (a
 * wake from nested dispatch that reaches an action made HARD after the
 * switch to chained), it dispatches chained.
 *
 * Lifetime.  Created -> children requested by the driver -> children
 * freed -> destroyed (parent action freed, descriptors destroyed).
 *
 * Locking.  dm_dispatch is written under irq_request_lock (so that it and
 * the parent action's model agree) and read once per interrupt without a
 * lock: a flow that read the old value finishes the old way, and both
 * ways serialise on the child's id_inprogress and the work protocol.
 * Everything else is set at creation.  The driver's callbacks take their
 * own locks; dmo_mask/dmo_unmask run under the child's id_lock, so those
 * locks come after every descriptor lock.
 */
#include <cpu.h>
#include <irq.h>
#include <irq_demux.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <printf.h>
#include <spl.h>

#include <kern/irq_impl.h>

#define NESTED_PASSES	8	/* rounds of the demux's thread function */

struct irq_demux {
	const char *dm_name;
	int dm_parent;
	const struct irq_demux_ops *dm_ops;
	void *dm_arg;
	volatile enum irq_demux_dispatch dm_dispatch;	/* see Locking */
	unsigned dm_n;
	struct irq_desc *dm_child[];	/* dm_n child lines */
};

static const char *const dispatch_names[] = {
	[IRQ_DEMUX_CHAINED] = "chained", [IRQ_DEMUX_NESTED] = "nested",
};

const char *
irq_demux_dispatch_name(enum irq_demux_dispatch dispatch)
{
	return dispatch == IRQ_DEMUX_CHAINED || dispatch == IRQ_DEMUX_NESTED ?
	    dispatch_names[dispatch] : "?";
}

/* The chip: masking a child is the driver's business. */

static void
demux_mask(struct irq_desc *desc)
{
	struct irq_demux *dm = desc->id_demux;

	dm->dm_ops->dmo_mask(dm->dm_arg, desc->id_demux_child);
}

static void
demux_unmask(struct irq_desc *desc)
{
	struct irq_demux *dm = desc->id_demux;

	dm->dm_ops->dmo_unmask(dm->dm_arg, desc->id_demux_child);
}

static const struct irq_chip demux_chip = {
	.ic_name = "demux",
	.ic_mask = demux_mask,
	.ic_unmask = demux_unmask,
};

/* Dispatch. */

static uint32_t
children_mask(const struct irq_demux *dm)
{
	return dm->dm_n == 32 ? ~0U : (1U << dm->dm_n) - 1;
}

/* Ask the driver, at the parent line's IPL (raised if in a thread). */
static uint32_t
pending_children(struct irq_demux *dm)
{
	ipl_t s = splraise(dm->dm_child[0]->id_ipl);
	uint32_t pending = dm->dm_ops->dmo_pending(dm->dm_arg);

	splx(s);
	return pending & children_mask(dm);
}

/* The pending child to run next: best priority, lowest index among equals. */
static unsigned
next_child(const struct irq_demux *dm, uint32_t pending)
{
	unsigned best = (unsigned)__builtin_ctz(pending);

	for (uint32_t p = pending & (pending - 1); p != 0; p &= p - 1) {
		unsigned i = (unsigned)__builtin_ctz(p);

		if (dm->dm_child[i]->id_top_prio >
		    dm->dm_child[best]->id_top_prio)
			best = i;
	}
	return best;
}

static void
run_children(struct irq_demux *dm, uint32_t pending, bool nested)
{
	while (pending != 0) {
		unsigned i = next_child(dm, pending);

		pending &= ~(1U << i);
		if (nested)
			irq_flow_nested(dm->dm_child[i]);
		else
			irq_dispatch(dm->dm_child[i]);
	}
}

static irqreturn_t
demux_primary(int irq, void *arg)
{
	struct irq_demux *dm = arg;
	uint32_t pending = pending_children(dm);

	if (pending == 0)
		return IRQ_NONE;
	if (__atomic_load_n(&dm->dm_dispatch, __ATOMIC_ACQUIRE) ==
	    IRQ_DEMUX_NESTED)
		return IRQ_WAKE_THREAD;
	run_children(dm, pending, false);
	return IRQ_HANDLED;
}

static irqreturn_t
demux_thread(int irq, void *arg)
{
	struct irq_demux *dm = arg;
	bool nested = !cpu_intr_p();

	for (unsigned pass = 0; pass < NESTED_PASSES; pass++) {
		uint32_t pending = pending_children(dm);

		if (pending == 0)
			break;
		run_children(dm, pending, nested);
	}
	return IRQ_HANDLED;
}

/* What irq.c asks. */

struct irq_demux *
irq_demux_of_action(const struct irq_action *ia)
{
	return ia->ia_handler == demux_primary ? ia->ia_dev : NULL;
}

bool
irq_demux_nested(const struct irq_desc *desc)
{
	return desc->id_flow == IRQ_FLOW_CHILD &&
	    desc->id_demux->dm_dispatch == IRQ_DEMUX_NESTED;
}

const char *
irq_demux_mode_refusal(const struct irq_action *ia, enum irq_mode mode)
{
	struct irq_demux *dm = irq_demux_of_action(ia);

	if (dm != NULL && mode == IRQ_MODE_HARD &&
	    dm->dm_dispatch == IRQ_DEMUX_NESTED)
		return "a nested demux runs its children in its thread "
		    "function, which may not run in hard interrupt context";
	if (irq_demux_nested(ia->ia_desc))
		return "a child of a nested demux runs in the demux's thread, "
		    "under no model of its own (make the demux chained first)";
	return NULL;
}

struct irq_desc *
irq_demux_child_desc(const struct irq_demux *dm, unsigned i)
{
	KASSERTMSG(i < dm->dm_n, "demux %s: no child %u (it has %u)",
	    dm->dm_name, i, dm->dm_n);
	return dm->dm_child[i];
}

/* Creating and destroying. */

static int
refuse(const char *name, int parent, int error, const char *why)
{
	kwarn("irq_demux_create: %s on irq %d refused: %s",
	    name != NULL ? name : "?", parent, why);
	return error;
}

static const char *
create_refusal(unsigned n, const struct irq_demux_ops *ops, const char *name,
    unsigned long flags, enum irq_demux_dispatch dispatch)
{
	enum irq_mode mode = (enum irq_mode)((flags >> 32) & 0xff);

	if (name == NULL)
		return "no name";
	if (n == 0 || n > IRQ_DEMUX_MAX)
		return "1 to 32 children";
	if (ops == NULL || ops->dmo_pending == NULL || ops->dmo_mask == NULL ||
	    ops->dmo_unmask == NULL)
		return "incomplete ops";
	if (dispatch != IRQ_DEMUX_CHAINED && dispatch != IRQ_DEMUX_NESTED)
		return "unknown dispatch";
	if (dispatch == IRQ_DEMUX_NESTED && mode == IRQ_MODE_HARD)
		return "a nested demux's thread function may not be "
		    "IRQ_MODE_HARD";
	return NULL;
}

static size_t
demux_size(unsigned n)
{
	return sizeof(struct irq_demux) + n * sizeof(struct irq_desc *);
}

static void
destroy_children(struct irq_demux *dm, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		irq_desc_destroy(dm->dm_child[i]);
}

/* Child i: a line at the parent's IPL, routed with it, masked. */
static int
create_child(struct irq_demux *dm, struct irq_desc *parent, unsigned i)
{
	struct irq_desc *desc;
	char name[24];

	snprintf(name, sizeof(name), "%s #%u", dm->dm_name, i);
	desc = irq_desc_create(-1, &demux_chip, NULL, parent->id_ipl,
	    IRQ_FLOW_CHILD, name, 0);
	if (desc == NULL)
		return -ENOSPC;
	desc->id_demux = dm;
	desc->id_demux_child = i;
	desc->id_cpu = parent->id_cpu;
	desc->id_affinity = parent->id_affinity;
	dm->dm_child[i] = desc;
	return 0;
}

int
irq_demux_create(int parent, unsigned nchildren,
    const struct irq_demux_ops *ops, void *arg, const char *name,
    unsigned long flags, enum irq_demux_dispatch dispatch,
    struct irq_demux **out)
{
	struct irq_desc *pdesc = irq_to_desc(parent);
	struct irq_demux *dm;
	const char *why;
	unsigned made;
	int error = 0;

	KASSERTMSG(!cpu_intr_p(), "irq_demux_create(%s) from interrupt context",
	    name);
	why = create_refusal(nchildren, ops, name, flags, dispatch);
	if (why != NULL)
		return refuse(name, parent, -EINVAL, why);
	if (pdesc == NULL || pdesc->id_flow == IRQ_FLOW_PERCPU)
		return refuse(name, parent, -ENOENT, "no such line");
	if (((flags >> 32) & 0xff) == IRQ_MODE_DEFAULT)
		flags |= IRQF_MODE(IRQ_MODE_THREAD);
	dm = kmem_zalloc(demux_size(nchildren), KM_SLEEP);
	dm->dm_name = name;
	dm->dm_parent = parent;
	dm->dm_ops = ops;
	dm->dm_arg = arg;
	dm->dm_dispatch = dispatch;
	dm->dm_n = nchildren;
	for (made = 0; made < nchildren && error == 0; made++)
		error = create_child(dm, pdesc, made);
	if (error != 0) {
		destroy_children(dm, made - 1);
		kmem_free(dm, demux_size(nchildren));
		return refuse(name, parent, error, "no IRQ numbers left");
	}
	error = request_threaded_irq(parent, demux_primary, demux_thread,
	    flags | IRQF_ONESHOT, name, dm);
	if (error != 0) {
		destroy_children(dm, nchildren);
		kmem_free(dm, demux_size(nchildren));
		return refuse(name, parent, error, "the parent line refused "
		    "its action");
	}
	*out = dm;
	return 0;
}

void
irq_demux_destroy(struct irq_demux *dm)
{
	for (unsigned i = 0; i < dm->dm_n; i++)
		KASSERTMSG(dm->dm_child[i]->id_actions == NULL,
		    "irq_demux_destroy(%s): child %u (irq %d) still has "
		    "actions: free_irq them first", dm->dm_name, i,
		    dm->dm_child[i]->id_irq);
	free_irq(dm->dm_parent, dm);
	destroy_children(dm, dm->dm_n);
	kmem_free(dm, demux_size(dm->dm_n));
}

/* Questions and the switch. */

int
irq_demux_child_irq(const struct irq_demux *dm, unsigned i)
{
	return irq_demux_child_desc(dm, i)->id_irq;
}

int
irq_demux_parent_irq(const struct irq_demux *dm)
{
	return dm->dm_parent;
}

unsigned
irq_demux_nchildren(const struct irq_demux *dm)
{
	return dm->dm_n;
}

const char *
irq_demux_name(const struct irq_demux *dm)
{
	return dm->dm_name;
}

enum irq_demux_dispatch
irq_demux_get_dispatch(const struct irq_demux *dm)
{
	return __atomic_load_n(&dm->dm_dispatch, __ATOMIC_ACQUIRE);
}

struct irq_demux *
irq_demux_of(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_demux *dm = NULL;

	if (desc == NULL)
		return NULL;
	if (desc->id_flow == IRQ_FLOW_CHILD)
		return desc->id_demux;
	irq_request_lock_enter();
	for (struct irq_action *ia = desc->id_actions; ia && dm == NULL;
	    ia = ia->ia_next)
		dm = irq_demux_of_action(ia);
	irq_request_lock_exit();
	return dm;
}

/* Why dm may not dispatch that way now, or NULL.  Request lock held. */
static const char *
dispatch_refusal(struct irq_demux *dm, enum irq_demux_dispatch dispatch)
{
	struct irq_stats st;

	if (dispatch != IRQ_DEMUX_CHAINED && dispatch != IRQ_DEMUX_NESTED)
		return "unknown dispatch";
	if (dispatch == IRQ_DEMUX_NESTED &&
	    irq_get_stats(dm->dm_parent, dm, &st) == 0 &&
	    st.is_mode == IRQ_MODE_HARD)
		return "its thread function is IRQ_MODE_HARD";
	return NULL;
}

int
irq_demux_set_dispatch(struct irq_demux *dm, enum irq_demux_dispatch dispatch)
{
	const char *why;

	irq_request_lock_enter();
	why = dispatch_refusal(dm, dispatch);
	if (why == NULL)
		__atomic_store_n(&dm->dm_dispatch, dispatch, __ATOMIC_RELEASE);
	irq_request_lock_exit();
	if (why == NULL)
		return 0;
	kwarn("irq_demux_set_dispatch: %s: %s refused: %s", dm->dm_name,
	    irq_demux_dispatch_name(dispatch), why);
	return -EINVAL;
}
