/*
 * isolate.h: running a handler so that its faults kill only the handler
 * (kern/irq_fault.c has the design).
 *
 * isolate_call(fn, arg, who) runs fn(arg) with a catch armed in the
 * calling LWP (l_catch).  If fn, or anything it calls, takes an exception
 * (#DE, #BR, #UD, #SS, #GP, #PF, #AC) or fails a KASSERT or calls panic(),
 * and at that moment
 *
 *	- the CPU is not in hard interrupt context (cpu_intr_depth == 0),
 *	- it holds no more spin locks than at the call (cpu_mtx_count), and
 *	- no panic is in progress,
 *
 * the stack is unwound to isolate_call, which restores the CPU's state
 * from the call (spin-lock count and saved IPL, the IPL itself, the
 * interrupt flag, the LWP's preemption-disable count, a console section
 * left open), logs a report and returns it.  Otherwise the kernel panics
 * as it always did.  Catches nest: an inner isolate_call restores the
 * outer one when it returns.
 *
 * What unwinding cannot undo: adaptive mutexes and rwlocks fn held stay
 * held by the calling LWP, memory it allocated leaks, and a device it was
 * programming is left as it was.  The caller must treat the handler as
 * dead (irq_fault.c does, for interrupt actions) and leave its locks
 * alone.
 *
 * Panics that report a broken rule of context (irq.c's rule_broken) are
 * not caught (panic_nocatch, panic_impl.h): they are the kernel's
 * contract with every handler, proved by death tests.
 */
#ifndef KERN_ISOLATE_H
#define KERN_ISOLATE_H

#include <irq.h>
#include <types.h>

#include <machine/catch.h>
#include <machine/frame.h>

#define FAULT_BT_MAX	16	/* return addresses kept in a report */
#define FAULT_MSG_MAX	IRQ_FAULT_MSG_MAX

/* Who runs under a catch, for the report.  Strings are copied. */
struct fault_who {
	const char *fw_kind;	/* "irq" or "softint" */
	int fw_irq;		/* the IRQ, or -1 */
	const char *fw_name;	/* the handler's name */
	const char *fw_model;	/* "thread", "lazy", "source", "softint" ... */
	void *fw_fn;		/* the handler's function, symbolized */
};

/*
 * A fault report.  The public summary of it is struct irq_fault_info
 * (irq.h); this adds the registers and the backtrace.
 */
struct fault_report {
	struct irq_fault_info fr_info;
	bool fr_has_frame;		/* fr_frame is the faulting context */
	struct trapframe fr_frame;
	uint64_t fr_pc[FAULT_BT_MAX];	/* [0] the faulting pc if fr_has_frame,
					   then return addresses */
	unsigned fr_npc;
};

/*
 * isolate_call: run fn(arg) under a catch (see above).  Returns NULL if fn
 * returned, else the report of its fault, logged already and kept in the
 * ring of irq_fault_get; the pointer stays valid until IRQ_FAULT_RING
 * further faults have been recorded.
 * Context: thread (cpu_intr_depth 0, asserted), any IPL, spin locks held
 * at the call stay held; fn may block and sleep if the caller may.
 */
const struct fault_report *isolate_call(void (*fn)(void *), void *arg,
    const struct fault_who *who);

/*
 * isolate_trap: the exception of tf (what: its name; addr: the page
 * fault's address; msg: the whole description) happened; if a
 * catch can take it, unwind there and never return.  Returns otherwise
 * (the caller panics).  Called by the machine's trap handler with
 * interrupts off.
 */
void isolate_trap(struct trapframe *tf, const char *what, uint64_t addr,
    const char *msg);

/*
 * isolate_panic: panic() or a failed KASSERT (what: "panic()" or
 * "assertion") with this message, called from the function whose frame
 * pointer is fp (the backtrace starts at its caller); unwind to a catch if
 * one can take it, else return (the caller panics).  ap is consumed.
 */
void isolate_panic(const char *what, uint64_t fp, const char *fmt,
    va_list ap);

/* The restart rate limit in force (boot options irq_restarts=, irq_restart_window=). */
void irq_restart_limit(unsigned *max, uint64_t *window_ns);

#endif
