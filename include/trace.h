/*
 * trace.h: interrupt tracing, a per-CPU ring of timestamped events.
 *
 * While tracing is on, the interrupt paths record what they do into a ring
 * of their CPU: hard interrupt entry and exit, primary handler and thread
 * function start and end, soft interrupt start and end, context switches,
 * lazy pinning and unpinning, and blocking on and waking from a mutex or
 * rwlock (docs/tracing.md lists every event and its arguments).  Each
 * event carries the cycle counter (cpu_cycles(), the TSC), its type, the
 * id of the LWP that was curlwp (lwp_id) and up to three arguments.  A
 * ring keeps the newest TRACE_RING_EVENTS events of its CPU; older ones
 * are overwritten and counted as lost.
 *
 * The hooks in the kernel are one line each, TRACE(...) or TRACE_LWP(...):
 * with tracing off they cost a load of trace_on and a not-taken branch;
 * their arguments are evaluated only when tracing is on.
 *
 * trace_dump prints the rings in the text format of docs/tracing.md, which
 * tools/trace2json turns into Chrome trace event JSON (Perfetto,
 * chrome://tracing).  The boot option trace=on starts tracing before
 * run= runs; run=trace:demo captures a dump of the four dispatch models.
 *
 * Locking: a ring is written only by its own CPU, with interrupts off
 * (kern/trace.c says why); the control functions below are for thread
 * context and serialize among themselves.
 */
#ifndef PINWHEEL_TRACE_H
#define PINWHEEL_TRACE_H

#include <types.h>

struct lwp;

/* The events; docs/tracing.md gives each one's arguments. */
enum trace_type {
	TRACE_NONE = 0,
	TRACE_IRQ_ENTER,	/* arg: irq; a0: vector */
	TRACE_IRQ_EXIT,		/* arg: irq; a0: vector */
	TRACE_PRIMARY_START,	/* arg: irq; a0: handler; a1: action */
	TRACE_PRIMARY_END,	/* arg: irq; a0: irqreturn_t; a1: action */
	TRACE_THREADFN_START,	/* arg: irq; a0: thread fn; a1: action */
	TRACE_THREADFN_END,	/* arg: irq; a0: thread fn; a1: action */
	TRACE_SOFTINT_START,	/* arg: ipl; a0: handler; a1: softint */
	TRACE_SOFTINT_END,	/* arg: ipl; a0: handler; a1: softint */
	TRACE_SWITCH,		/* arg: old l_stat; a0: next LWP's id */
	TRACE_PIN,		/* a0: interrupt thread's id; a1: pinned id */
	TRACE_UNPIN,		/* arg: TRACE_UNPIN_*; a0, a1: as TRACE_PIN */
	TRACE_BLOCK,		/* arg: queue; a0: lock; a1: owner id */
	TRACE_WAKE,		/* arg: queue; a0: woken id; a1: lock */
	TRACE_MARK,		/* arg, a0, a1: the caller's (tests, benches) */
	TRACE_NTYPES
};

/* Why an unpin happened. */
#define TRACE_UNPIN_RETURN	0	/* the interrupt thread finished */
#define TRACE_UNPIN_BLOCK	1	/* it blocked: the pinned LWP resumes */

/* Events a ring keeps per CPU (a power of two). */
#define TRACE_RING_EVENTS	4096

struct trace_event {
	uint64_t te_tsc;	/* cpu_cycles() when recorded */
	uint32_t te_lid;	/* lwp_id(curlwp) */
	uint16_t te_type;	/* enum trace_type */
	uint16_t te_arg;	/* small argument: irq, ipl, state, why */
	uint64_t te_a0, te_a1;	/* arguments, by type */
};

/* Whether tracing is on; read by the hooks (use trace_enabled()). */
extern volatile bool trace_on;

/*
 * TRACE: record an event of this CPU if tracing is on.  The arguments
 * (pointers or integers) are evaluated only then.  Context: any.
 */
#define TRACE(type, arg, a0, a1) do {					\
	if (__predict_false(trace_on))					\
		trace_record((type), (arg), (uint64_t)(uintptr_t)(a0),	\
		    (uint64_t)(uintptr_t)(a1));				\
} while (0)

/*
 * TRACE_LWP: TRACE with a0 the id of the LWP l, whose name the trace
 * remembers for the dump.  Context: any.
 */
#define TRACE_LWP(type, arg, l, a1) do {				\
	if (__predict_false(trace_on))					\
		trace_record_lwp((type), (arg), (l),			\
		    (uint64_t)(uintptr_t)(a1));				\
} while (0)

/*
 * trace_record: append an event to this CPU's ring (overwriting the
 * oldest when full), stamped with cpu_cycles() and curlwp's id; does
 * nothing if tracing is off (also when it went off after the caller
 * looked).  trace_record_lwp: the same with a0 = lwp_id(l), remembering
 * l's name.  Context: any, interrupts on or off; never blocks.
 */
void trace_record(unsigned type, unsigned arg, uint64_t a0, uint64_t a1);
void trace_record_lwp(unsigned type, unsigned arg, const struct lwp *l,
    uint64_t a1);

/*
 * trace_start: turn tracing on (allocating the rings the first time);
 * new events append to what the rings hold.  trace_stop: turn it off and
 * wait until no CPU is still writing an event, so that the rings can be
 * read.  Context: thread; trace_start may sleep for memory, trace_stop
 * waits for a cross call.
 */
void trace_start(void);
void trace_stop(void);

/* trace_enabled: whether tracing is on.  Context: any. */
static inline bool
trace_enabled(void)
{
	return trace_on;
}

/*
 * trace_clear: empty every ring (and the lost counts).  If tracing was
 * on it is stopped around the clear and started again.  Context: thread.
 */
void trace_clear(void);

/*
 * trace_dump: print every ring, oldest event first, in the text format of
 * docs/tracing.md (lines starting "TRACE ").  Tracing is stopped first
 * (a ring cannot be read while its CPU writes it); it stays off.
 * Context: thread.
 */
void trace_dump(void);

/*
 * trace_read: copy the newest events of CPU cpu's ring, at most max,
 * oldest first, into out; returns how many.  *lost (if not NULL) gets
 * how many events the ring overwrote since the last clear.  Tracing must
 * be off (asserted).  Context: thread.
 */
size_t trace_read(unsigned cpu, struct trace_event *out, size_t max,
    uint64_t *lost);

/* trace_type_name: "irq_enter", ... as in the dump; "?" if unknown. */
const char *trace_type_name(unsigned type);

/*
 * trace_boot: set the trace up, and start tracing if the boot option
 * trace=on says so.  Called once by the main thread before run= runs.
 * Context: thread.
 */
void trace_boot(void);

#endif
