/*
 * ipisrc.h: software-raised interrupt sources, for tests and benchmarks.
 *
 * An ipisrc is an ordinary IRQ line at IPL_VM, with a vector from the
 * device band and the edge flow, whose "device" is the local APIC: raising
 * it sends a fixed IPI with its vector to the CPU the line is routed to (a
 * self-IPI when that is the caller's CPU).  It can be masked like MSI-X: a
 * raise while masked is held as pending and delivered on unmask.  Nothing
 * but the dispatch path is involved, so it measures and tests dispatch
 * alone.  Drivers request it like any line (request_threaded_irq).
 */
#ifndef PINWHEEL_IPISRC_H
#define PINWHEEL_IPISRC_H

#include <types.h>

/*
 * ipisrc_create: a new source named name (kept by pointer).  Returns its
 * IRQ number, or -ENOSPC.  Context: thread.
 */
int ipisrc_create(const char *name);
/*
 * ipisrc_raise: make irq fire once (it coalesces while pending), stamped
 * for the raise-to-primary latency histogram.  Context: any.
 */
void ipisrc_raise(int irq);
/* ipisrc_raised: how many times irq was raised. */
uint64_t ipisrc_raised(int irq);
/* ipisrc_destroy: remove a source that has no actions left.  Context: thread. */
void ipisrc_destroy(int irq);

#endif
