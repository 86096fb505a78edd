/*
 * edu.h: QEMU's educational PCI device (1234:11e8), driven by dev/edu.c,
 * the worked example of the interrupt API (irq.h).  This header is what
 * tests and benchmarks use to make edu interrupt and to count.
 *
 * The device: one 1 MiB memory BAR; a 32-bit interrupt status register
 * that a write to its raise register ORs bits into and a write to its ack
 * register clears bits from; an interrupt whenever a raise leaves the
 * status non-zero: an MSI message per raise when MSI is on, else INTA,
 * asserted while the status is non-zero (a level line, shared on q35 by
 * every function of the slot).
 *
 * Work.  Each status bit is a kind of work.  edu_raise(e, bits) counts one
 * raise of each bit and writes the raise register; the primary handler
 * acks what it finds and queues it; the thread function completes it and
 * counts it as handled.  A bit raised again before a handler acked it is
 * merged by the device, so a caller that wants "every raise seen exactly
 * once" to mean raised == handled per bit raises a bit again only after
 * it was handled (tests/test_edu.c does).  Work still pending when the
 * interrupt is freed (or requested anew) is counted as discarded, so
 * raised == handled + discarded whenever nothing is in flight.
 *
 * The action's dev cookie is the struct edu: use it with irq_set_mode,
 * irq_set_priority and irq_get_stats on edu_irq(e).
 */
#ifndef PINWHEEL_EDU_H
#define PINWHEEL_EDU_H

#include <types.h>

#define EDU_IRQ_BITS	32		/* bits of the status register */

struct edu;

/*
 * edu_init: find every edu function, map and check it, and request its
 * interrupt: MSI, or INTx with edu_irq=intx on the command line (or when
 * the function has no MSI).  Context: thread, once at boot (main.c).
 */
void edu_init(void);

/* edu_count: instances attached.  edu_get: instance i, or NULL. */
unsigned edu_count(void);
struct edu *edu_get(unsigned i);
/* edu_name: its PCI address, "0000:00:05.0". */
const char *edu_name(const struct edu *e);

/*
 * edu_request_irq: attach e's interrupt as type (PCI_IRQ_INTX or
 * PCI_IRQ_MSI, pci.h) with flags (IRQF_*, irq.h, including IRQF_MODE and
 * IRQF_PRIO; IRQF_SHARED is added for INTx), after freeing what it had.
 * With IRQF_ONESHOT the primary only says whether the device interrupts
 * and the thread function acks (see dev/edu.c).  Pending status is
 * discarded first.  Context: thread; sleeps.  Returns 0 or the -errno of
 * pci_alloc_irq_vectors or request_threaded_irq (e is then detached).
 */
int edu_request_irq(struct edu *e, unsigned type, unsigned long flags);

/*
 * edu_free_irq: free e's action and vectors; the device can no longer
 * interrupt (INTx disabled) and its pending status is discarded.
 * Context: thread; sleeps.
 */
void edu_free_irq(struct edu *e);

/*
 * For code that installs its own handlers on an edu interrupt (the
 * benchmarks, kern/bench_irq.c).  edu_open_vector: detach the driver's
 * action and give e one vector of type (PCI_IRQ_INTX or PCI_IRQ_MSI)
 * with no action on it; returns its IRQ number or -errno.  edu_ack, from
 * such a primary handler: read the status, ack it and count it handled;
 * returns false if the device had not interrupted.  edu_close_vector:
 * give the vector back once the caller's action is freed (edu_request_irq
 * attaches the driver again).  Context: thread, except edu_ack (any).
 */
int edu_open_vector(struct edu *e, unsigned type);
bool edu_ack(struct edu *e);
void edu_close_vector(struct edu *e);

/* edu_irq: the IRQ number in use, or -1.  edu_irq_type: PCI_IRQ_*, or 0. */
int edu_irq(const struct edu *e);
unsigned edu_irq_type(const struct edu *e);

/*
 * edu_raise: make e interrupt with these status bits: count a raise of
 * each, note the raise for latency (irq_note_raise) and write the raise
 * register.  Context: any.
 */
void edu_raise(struct edu *e, uint32_t bits);

/* edu_status: the device's interrupt status register now.  Context: any. */
uint32_t edu_status(struct edu *e);

/*
 * edu_raised, edu_handled, edu_discarded: raises of bit so far, units of
 * it the thread function has completed, and units thrown away unhandled
 * by edu_free_irq (all only grow).  edu_last_cpu: the CPU whose primary
 * handler last found work, or -1.  Context: any.
 */
uint64_t edu_raised(const struct edu *e, unsigned bit);
uint64_t edu_handled(const struct edu *e, unsigned bit);
uint64_t edu_discarded(const struct edu *e, unsigned bit);
int edu_last_cpu(const struct edu *e);
/* edu_outstanding: raises of bit neither handled nor discarded yet. */
uint64_t edu_outstanding(const struct edu *e, unsigned bit);

/*
 * Storms, for storm control's tests and benchmarks.  edu_storm_start:
 * raise bit now, and raise it again every time a handler completes it,
 * so that each interrupt causes the next, n raises in all (0: until
 * edu_storm_stop); e must not be storming already.  edu_storm_stop: no
 * more raises, except at most one a handler is making now (handled as
 * usual).  edu_storming: raises are still to come.  A storm raises its
 * bit only once its last raise was completed, so raised == handled +
 * discarded holds for it as for edu_raise.  Context: any.
 */
void edu_storm_start(struct edu *e, unsigned bit, uint64_t n);
void edu_storm_stop(struct edu *e);
bool edu_storming(const struct edu *e);

#endif
