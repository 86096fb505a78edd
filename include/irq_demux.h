/*
 * irq_demux.h: child interrupts behind a demultiplexing handler
 * (kern/irq_demux.c; docs/interrupts.md, "Demultiplexing").
 *
 * A device that funnels several sources into one interrupt line (a
 * multiport serial card: four UARTs on one PCI INTx pin) is driven as a
 * demux: one parent action on the line, whose handler asks the driver
 * which sources are pending and dispatches each as its own child IRQ.
 * Every child is a real IRQ number with its own descriptor (chip "demux",
 * flow "child"), so request_threaded_irq, free_irq, disable_irq,
 * enable_irq, synchronize_irq, irq_set_mode, irq_set_priority,
 * irq_get_stats, irq_line_count, the interrupt table, storm control and
 * fault isolation work on a child as on a hardware line.  Masking a child
 * calls back into the driver (dmo_mask), which quiets that source at the
 * device; the others keep interrupting.  A child's affinity is its
 * parent's (irq_set_affinity on a child is refused; on the parent, the
 * children's threads follow).
 *
 * Two ways to dispatch, chosen per demux and switchable at run time
 * (irq_demux_set_dispatch), neither losing nor doubling work:
 *
 *  IRQ_DEMUX_CHAINED  the parent's primary handler, in hard interrupt
 *	context, runs each pending child's flow: the child's primary runs
 *	right there, and its thread function under the child's own model
 *	(inline in IRQ_MODE_HARD, its own thread, a lazy interrupt thread,
 *	or the child's source thread).
 *  IRQ_DEMUX_NESTED  the parent's primary only sees that a child is
 *	pending and returns IRQ_WAKE_THREAD; the parent line stays masked
 *	(the parent action is IRQF_ONESHOT) until the parent's thread
 *	function, in thread context, has run each pending child's primary
 *	and then its thread function itself (Linux's handle_nested_irq).
 *	A child then has no model of its own: whatever its recorded model,
 *	its thread function runs in the demux's thread, and irq_set_mode on
 *	it is refused until the demux is chained again (the recorded model
 *	then applies again; the table shows "nested" meanwhile).  Its
 *	primary runs at the line's IPL and may not block (a panic names it,
 *	as in hard context); its thread function may block on mutexes and
 *	rwlocks but never sleep, whatever its flags; a fault in the thread
 *	function kills only that child.  The parent's action may take any
 *	threaded model (the demux's thread is then its own thread, a lazy
 *	interrupt thread or the line's source thread) but not IRQ_MODE_HARD.
 *
 * Either way pending children are run highest priority first (the
 * priority of a child's best action; lowest index among equals), and the
 * counts are kept on both sides: the parent line counts its interrupts
 * and its action its primary calls (and, nested, its thread function
 * runs, whose time includes its children's); each child line counts its
 * dispatches, on the CPU that ran them, and its actions their own calls
 * and times.  A throttled child is polled like any line: by the storm
 * poller, in hard context, its thread function under its recorded model,
 * whatever the dispatch.
 *
 * Every sharer of a parent line must agree on IRQF_ONESHOT, so a demux
 * shares its line only with other ONESHOT actions (give the device a line
 * of its own).
 */
#ifndef PINWHEEL_IRQ_DEMUX_H
#define PINWHEEL_IRQ_DEMUX_H

#include <irq.h>
#include <types.h>

#define IRQ_DEMUX_MAX	32	/* children of one demux at most */

struct irq_demux;

enum irq_demux_dispatch {
	IRQ_DEMUX_CHAINED,	/* children run from the parent's primary */
	IRQ_DEMUX_NESTED,	/* children run in the parent's thread */
};

/* What the driver does for its demux; arg is irq_demux_create's. */
struct irq_demux_ops {
	/*
	 * dmo_pending: bit i set if child i has a cause pending at the
	 * device now.  It may have side effects the child's handler must
	 * then see (a UART's IIR read clears a transmitter interrupt: latch
	 * it).  Context: the parent's primary (hard interrupt context) or
	 * the demux's thread, at the parent line's IPL; must not block.
	 */
	uint32_t (*dmo_pending)(void *arg);
	/*
	 * dmo_mask, dmo_unmask: stop child's source from asserting the
	 * parent line, and let it again (it must keep its cause, so that it
	 * asserts again at once if it still has one: children hold their
	 * request like level sources).  Children start masked, so the
	 * driver must create its sources quiet.  Context: any, with
	 * interrupts off and the child's descriptor lock held; must not
	 * block, sleep or print.
	 */
	void (*dmo_mask)(void *arg, unsigned child);
	void (*dmo_unmask)(void *arg, unsigned child);
};

/*
 * irq_demux_create: nchildren child IRQs (1..IRQ_DEMUX_MAX) behind the
 * line parent, dispatched the way dispatch says, and the parent action
 * that dispatches them, named name (kept by pointer), requested with
 * flags (IRQF_SHARED, IRQF_PRIO, IRQF_MODE: the model of the parent's
 * thread function, default IRQ_MODE_THREAD) plus IRQF_ONESHOT.  The
 * children have no actions yet: the driver requests them with
 * irq_demux_child_irq's numbers.  Context: thread; may sleep.  Returns 0
 * and *out, or -EINVAL (bad arguments, HARD with NESTED), -ENOENT (no
 * such line), -ENOSPC (no IRQ numbers left), or request_threaded_irq's
 * error for the parent; each refusal is logged with the reason.
 */
int irq_demux_create(int parent, unsigned nchildren,
    const struct irq_demux_ops *ops, void *arg, const char *name,
    unsigned long flags, enum irq_demux_dispatch dispatch,
    struct irq_demux **out);

/*
 * irq_demux_destroy: free the parent action and the children's
 * descriptors; every child's actions must have been freed (an assertion
 * names the child).  Context: thread; may sleep.
 */
void irq_demux_destroy(struct irq_demux *dm);

/* irq_demux_child_irq: child i's IRQ number.  Context: any. */
int irq_demux_child_irq(const struct irq_demux *dm, unsigned i);
/* irq_demux_parent_irq: the parent line.  Context: any. */
int irq_demux_parent_irq(const struct irq_demux *dm);
/* irq_demux_nchildren: how many children.  Context: any. */
unsigned irq_demux_nchildren(const struct irq_demux *dm);
/* irq_demux_name: the name given at creation.  Context: any. */
const char *irq_demux_name(const struct irq_demux *dm);

/*
 * irq_demux_of: the demux irq is a child of, else the first demux whose
 * parent is irq, else NULL.  Context: thread.
 */
struct irq_demux *irq_demux_of(int irq);

/*
 * irq_demux_set_dispatch: dispatch the children the other way from the
 * next parent interrupt on; work in flight finishes where it started.
 * Context: thread.  Returns 0, or -EINVAL (NESTED while the parent's
 * action is IRQ_MODE_HARD), logged.
 */
int irq_demux_set_dispatch(struct irq_demux *dm,
    enum irq_demux_dispatch dispatch);

/* irq_demux_get_dispatch: how the children are dispatched.  Context: any. */
enum irq_demux_dispatch irq_demux_get_dispatch(const struct irq_demux *dm);

/* irq_demux_dispatch_name: "chained" or "nested". */
const char *irq_demux_dispatch_name(enum irq_demux_dispatch dispatch);

#endif
