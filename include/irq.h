/*
 * irq.h: the driver's interrupt API (Linux names and meanings).
 *
 * An interrupt line is an IRQ number.  A driver attaches an action to it:
 * a primary handler, which runs in hard interrupt context, quiets the
 * device and says what happened, and optionally a thread function, which
 * does the rest of the work under a dispatch model:
 *
 *	IRQ_MODE_HARD	the thread function runs right after the primary
 *			handler, in hard interrupt context; it must not block
 *	IRQ_MODE_THREAD	a dedicated kernel thread per action, woken through
 *			the scheduler (Linux's threaded handlers)
 *	IRQ_MODE_LAZY	a per-CPU interrupt thread that borrows the
 *			interrupted LWP's context, pinning it, and becomes a
 *			full thread only if the function blocks (Solaris)
 *	IRQ_MODE_SOURCE	one thread per interrupt source, running every
 *			threaded handler of the line (FreeBSD's ithreads)
 *
 * The model is chosen at request time (IRQF_MODE), for every action by the
 * boot option irqmode=, and can be changed at run time (irq_set_mode) while
 * interrupts arrive.  The same driver code runs under every model.
 *
 * Primary handler: returns IRQ_NONE (not my device), IRQ_HANDLED (done) or
 * IRQ_WAKE_THREAD (run my thread function).  It runs at the line's IPL
 * (IPL_VM for devices) and may take spin mutexes only.
 *
 * Thread function: may block on adaptive mutexes and rwlocks (except in
 * IRQ_MODE_HARD, where blocking panics naming the handler).  cv_wait,
 * timed sleeps and kmem_alloc(KM_SLEEP) panic naming the handler unless
 * the action was requested with IRQF_SLEEPABLE (IRQ_MODE_THREAD only).
 * In IRQ_MODE_LAZY the function runs at IPL_VM (so spin mutexes at
 * IPL_VM are free to take) and a blocked function keeps its line masked
 * until it ends.
 *
 * Priorities: each action has one, an LWP priority (lwp.h).  Handlers
 * sharing a line are called highest priority first (request order among
 * equals), and the action's thread runs at that priority.  The default is
 * IRQ_PRIO_DEFAULT; anything from PRI_KERNEL_MIN up is allowed, so a
 * driver's thread may sit below real-time threads.
 *
 * Affinity: a line is delivered to one CPU of its affinity set; the
 * threads of its actions are bound to that CPU, and move at once when the
 * affinity changes.
 *
 * Errors are negative errno values; each refusal is also logged with the
 * line, the name and the reason.
 */
#ifndef PINWHEEL_IRQ_H
#define PINWHEEL_IRQ_H

#include <cpu.h>
#include <lwp.h>
#include <types.h>

typedef enum irqreturn {
	IRQ_NONE = 0,		/* not from my device */
	IRQ_HANDLED = 1,	/* handled, nothing more to do */
	IRQ_WAKE_THREAD = 2,	/* handled; run the thread function */
} irqreturn_t;

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev);

enum irq_mode {
	IRQ_MODE_DEFAULT = 0,	/* the boot default (irqmode=, else THREAD) */
	IRQ_MODE_HARD,
	IRQ_MODE_THREAD,
	IRQ_MODE_LAZY,
	IRQ_MODE_SOURCE,
	IRQ_NMODES
};

/* Flags for request_threaded_irq (an unsigned long, as in Linux). */
#define IRQF_SHARED	0x0001UL	/* every sharer must say so */
#define IRQF_ONESHOT	0x0002UL	/* keep the line masked until the
					   thread function has finished */
#define IRQF_NO_THREAD	0x0004UL	/* hard context only (the clock) */
#define IRQF_PERCPU	0x0008UL	/* a per-CPU line (LAPIC timer, IPIs) */
#define IRQF_SLEEPABLE	0x0010UL	/* thread function may sleep
					   (IRQ_MODE_THREAD only) */
#define IRQF_NO_AUTOEN	0x0020UL	/* leave disabled: enable_irq later */
#define IRQF_NO_STORM	0x0040UL	/* never throttled by storm control:
					   its handler time is the cost of
					   work the kernel asked for (the
					   console's transmit interrupts) */
#define IRQF_MODE(m)	((unsigned long)(m) << 32)	/* dispatch model */
#define IRQF_PRIO(p)	((unsigned long)(p) << 40)	/* priority, 1..NPRI-1 */

#define IRQ_PRIO_DEFAULT	(PRI_INTR_MIN + 32)

/*
 * request_threaded_irq: attach an action to irq.  handler is the primary
 * (NULL: a default that returns IRQ_WAKE_THREAD, allowed only with
 * IRQF_ONESHOT); thread_fn the thread function (NULL: primary only).  name
 * names the action in messages and tables (kept by pointer); dev is passed
 * to both functions and identifies the action on a shared line.
 * Context: thread; may sleep.  Returns 0, or -EINVAL (bad arguments or
 * flags, NULL primary without ONESHOT), -EBUSY (line taken, or sharers'
 * flags differ), -ENOENT (no such line), -ENOMEM.
 */
int request_threaded_irq(int irq, irq_handler_t handler, irq_handler_t thread_fn,
    unsigned long flags, const char *name, void *dev);

/* request_irq: request_threaded_irq with no thread function. */
static inline int
request_irq(int irq, irq_handler_t handler, unsigned long flags,
    const char *name, void *dev)
{
	return request_threaded_irq(irq, handler, NULL, flags, name, dev);
}

/*
 * free_irq: detach dev's action from irq, after waiting for its primary
 * handler and thread function to finish; the line is shut down when its
 * last action goes.  Context: thread; may sleep.
 */
void free_irq(int irq, void *dev);

/*
 * disable_irq: mask irq (nesting: each call needs an enable_irq) and wait
 * until no handler of it runs.  Context: thread; may sleep.
 * disable_irq_nosync: the same without waiting.  Context: any.
 * enable_irq: undo one disable; the line is unmasked at zero.  Context: any.
 */
void disable_irq(int irq);
void disable_irq_nosync(int irq);
void enable_irq(int irq);

/*
 * synchronize_irq: wait until no primary handler of irq runs on any CPU
 * and no thread function of it is pending or running.  Context: thread;
 * may sleep.
 */
void synchronize_irq(int irq);

/*
 * irq_set_affinity: deliver irq to a CPU of set (the lowest-numbered
 * online one); its actions' threads move there at once.  Context: thread.
 * Returns 0, -EINVAL (no online CPU in set, or a per-CPU line), -ENOENT.
 */
int irq_set_affinity(int irq, const cpuset_t *set);

/*
 * irq_set_priority: change the priority of dev's action on irq: its place
 * among the line's handlers and its thread's priority, at once.
 * Context: thread.  Returns 0, -EINVAL, -ENOENT.
 */
int irq_set_priority(int irq, void *dev, int prio);

/*
 * irq_set_mode: run dev's thread function under mode from the next
 * interrupt on; safe while interrupts arrive (none is lost or run twice).
 * Context: thread; may sleep.  Returns 0, -EINVAL (mode unknown, not
 * implemented, or not allowed for the action), -ENOENT.
 */
int irq_set_mode(int irq, void *dev, enum irq_mode mode);

/* irq_mode_name: "hard", "thread", ... for messages and tables. */
const char *irq_mode_name(enum irq_mode mode);

/*
 * irq_find_dev: the dev of irq's action named name, or with name NULL of
 * its only action; for commands that name actions (the shell).  Returns
 * NULL if there is no such action, or name is NULL and the line has none
 * or several.  The dev stays valid only until its driver frees it.
 * Context: thread.
 */
void *irq_find_dev(int irq, const char *name);

/*
 * irq_note_raise: the caller is about to make irq's source fire; the next
 * primary handler measures raise-to-primary latency from now.  For sources
 * a driver or test triggers itself (edu, self-IPIs).  Context: any.
 */
void irq_note_raise(int irq);

/*
 * irq_print_table: print the interrupt table (per line: chip, trigger,
 * state, per-CPU counts; per action: model, priority, thread, state,
 * counts, time in primary and thread function, latency percentiles).
 * Context: thread.
 */
void irq_print_table(void);

/*
 * irq_print_hist: print irq's latency histograms (irq < 0: every line's)
 * as HIST lines, the machine-readable format docs/interrupts.md defines
 * ("Latency histograms"; tools/plot-latency reads it): one line per
 * histogram that has counted something, with every bucket's count; an
 * empty histogram prints nothing.  Each line is printed by one printf, so
 * no other output splits it.  Context: thread; takes the lock that
 * request_threaded_irq takes.  Returns the number of lines printed, or
 * -ENOENT if irq >= 0 names no line.
 */
int irq_print_hist(int irq);

/*
 * Latency histograms.  Every line keeps one of the time from
 * irq_note_raise to the start of its primary handlers (IRQ_HIST_RAISE;
 * only sources whose raiser calls irq_note_raise count anything), and
 * every action one of the time from the end of the primary handler that
 * returned IRQ_WAKE_THREAD to the start of its thread function in a thread
 * (IRQ_HIST_WAKE; IRQ_MODE_HARD runs the function inline and counts
 * nothing).  Bucket i counts values in [2^i, 2^(i+1)) ns, bucket 0 also
 * 0 ns, the last bucket everything from 2^(IRQ_HIST_BUCKETS-1) ns up.
 * They count from the request (raise: from the line's creation) and are
 * never reset; a model change does not reset them either.
 */
#define IRQ_HIST_BUCKETS	32

enum irq_hist_kind {
	IRQ_HIST_RAISE,		/* the line's: raise to primary */
	IRQ_HIST_WAKE,		/* an action's: primary to thread function */
};

/*
 * irq_get_hist: copy a histogram's bucket counts into buckets: irq's
 * raise histogram (kind IRQ_HIST_RAISE; dev is ignored) or the wake
 * histogram of dev's action on irq (IRQ_HIST_WAKE).  Each bucket is read
 * atomically, but interrupts that arrive meanwhile may be counted in some
 * buckets and not yet in others.  Context: any.  Returns 0, -ENOENT (no
 * such line or action) or -EINVAL (unknown kind).
 */
int irq_get_hist(int irq, void *dev, enum irq_hist_kind kind,
    uint64_t buckets[IRQ_HIST_BUCKETS]);

/* Per-action statistics, for tests and tools (irq_get_stats). */
struct irq_stats {
	uint64_t is_primary;		/* primary handler calls */
	uint64_t is_handled;		/* ... that returned HANDLED or WAKE */
	uint64_t is_woken;		/* returned IRQ_WAKE_THREAD */
	uint64_t is_thread_runs;	/* thread function calls */
	uint64_t is_primary_ns;		/* time in the primary handler */
	uint64_t is_thread_ns;		/* time in the thread function */
	enum irq_mode is_mode;
	int is_prio;
	struct lwp *is_thread;		/* its dedicated thread, or NULL */
};

/*
 * irq_get_stats: copy the statistics of dev's action on irq.
 * Context: any.  Returns 0 or -ENOENT.
 */
int irq_get_stats(int irq, void *dev, struct irq_stats *st);

/*
 * irq_isa: the IRQ number an ISA interrupt (0-15: COM1 is 4, the RTC 8)
 * arrives on, after the firmware's overrides, for request_threaded_irq.
 * Context: any.  Returns the IRQ, or -ENOENT for a bad ISA number.
 */
int irq_isa(unsigned isa_irq);

/*
 * irq_line_count: interrupts taken on irq (all CPUs), and irq_line_disabled:
 * whether the line has been disabled, by disable_irq, by the unhandled-
 * interrupt rule, or because every handler on it died of a fault.
 * Context: any.
 */
uint64_t irq_line_count(int irq);
bool irq_line_disabled(int irq);

/*
 * Storm control (docs/interrupts.md).  A line whose handlers (primary
 * and thread functions, wherever they run) take more than a budget of
 * one CPU's time over a window is throttled: masked, and its handlers run
 * by a polling thread at a bounded rate, in hard interrupt context at the
 * line's IPL, until a window's worth of polls in a row found nothing.
 * Handlers need nothing special for it: the rules of their model hold.
 *
 * irq_line_throttled: whether irq is throttled now.  Context: any.
 */
bool irq_line_throttled(int irq);

struct irq_storm_stats {
	bool iss_throttled;		/* throttled now */
	uint64_t iss_episodes;		/* times it was throttled */
	uint64_t iss_polls;		/* polls that ran its handlers */
	uint64_t iss_busy_polls;	/* ... in which a primary claimed it */
	unsigned iss_usage_pm;		/* handler time in its last complete
					   window, per mille of one CPU */
};

/*
 * irq_get_storm_stats: copy irq's storm-control state and counters.
 * Context: any.  Returns 0 or -ENOENT.
 */
int irq_get_storm_stats(int irq, struct irq_storm_stats *st);

/*
 * irq_set_storm_budget: the share of one CPU, in percent, every line's
 * handlers may take over a window (boot option irq_storm_pct=); 0 or 100
 * turns storm control off (lines already throttled still recover).
 * pct above 100 is an assertion failure.  For tests and benchmarks.
 * Context: any.  Returns the budget it replaces.
 */
unsigned irq_set_storm_budget(unsigned pct);

/*
 * Fault isolation (kern/irq_fault.c; docs/interrupts.md).  A thread
 * function that faults (#PF, #GP, #UD, #DE, #BR, #SS, #AC) or fails a
 * KASSERT while running in thread context, holding no spin lock, kills
 * only its action: the action stops being called, is detached (its line
 * masked meanwhile unless another live action shares it), a report is
 * logged and kept, and the driver's restart hook, if any, is called.  In
 * hard interrupt context the same fault panics, naming the IRQ and the
 * handler.  Soft interrupt handlers are isolated by their dispatcher and
 * reported here too (fi_kind "softint", fi_irq -1).
 */
#define IRQ_FAULT_RING		16	/* reports kept */
#define IRQ_FAULT_MSG_MAX	160

/* What became of a faulted handler. */
enum irq_fault_fate {
	IRQ_FAULT_PENDING,		/* the fault service is still at it */
	IRQ_FAULT_DEAD,			/* detached; it had no restart hook */
	IRQ_FAULT_RESTARTED,		/* detached; its hook re-requested it */
	IRQ_FAULT_RESTART_FAILED,	/* detached; its hook returned an error */
	IRQ_FAULT_KEPT_DEAD,		/* detached; the rate limit refused a
					   restart */
	IRQ_FAULT_FREED,		/* its driver freed it before the service
					   could */
	IRQ_FAULT_REPORTED,		/* not an IRQ action (a soft interrupt):
					   its dispatcher decides */
};

/* The summary of one fault report (irq_fault_get). */
struct irq_fault_info {
	unsigned fi_seq;		/* 0 for the first fault since boot */
	char fi_kind[8];		/* "irq" or "softint" */
	int fi_irq;			/* -1 for a soft interrupt */
	char fi_name[24];		/* the handler's name */
	char fi_model[12];		/* the model it ran under: "thread" ... */
	char fi_fn[48];			/* its function, symbolized */
	unsigned fi_cpu;		/* the CPU it faulted on */
	char fi_lwp[24];		/* the LWP that ran it */
	int fi_vector;			/* exception vector; -1: KASSERT, panic */
	char fi_what[32];		/* "page fault", "divide error",
					   "assertion", "panic()" ... */
	uint64_t fi_pc;			/* faulting instruction (0: KASSERT) */
	uint64_t fi_addr;		/* page fault: the address */
	char fi_msg[IRQ_FAULT_MSG_MAX];	/* the whole message */
	int fi_spinlocks;		/* spin locks held (all at the call) */
	uint64_t fi_ns;			/* nanouptime() of the fault */
	enum irq_fault_fate fi_fate;
};

/* irq_fault_count: faults isolated since boot.  Context: any. */
unsigned irq_fault_count(void);

/*
 * irq_fault_get: copy the report of fault seq (0 .. irq_fault_count()-1)
 * into *out.  Only the last IRQ_FAULT_RING are kept.  Context: any,
 * below IPL_HIGH.  Returns 0, -ENOENT (no such fault yet) or -ERANGE
 * (overwritten since).
 */
int irq_fault_get(unsigned seq, struct irq_fault_info *out);

/*
 * irq_print_faults: print every kept report, oldest first: who, where,
 * what, the fate, the registers and the backtrace.  Context: thread.
 */
void irq_print_faults(void);

/* irq_fault_fate_name: "pending", "dead", "restarted" ... */
const char *irq_fault_fate_name(enum irq_fault_fate fate);

/*
 * A restart hook: called in thread context, with no lock held, after
 * dev's faulted action on irq has been detached.  It may sleep.  It
 * should reset the device and re-request its interrupt with the same dev
 * (request_threaded_irq); it returns the IRQ it re-requested on (irq, or
 * another if it had to allocate new vectors) or a negative errno if the
 * device stays off.  The hook stays registered for the new action.
 */
typedef int (*irq_restart_hook_t)(int irq, void *dev);

/*
 * irq_set_restart_hook: register hook (NULL: none) for dev's action on
 * irq.  Restarts are rate-limited: after irq_restarts= (default 3)
 * restarts within irq_restart_window= seconds (default 60), a further
 * fault leaves the handler dead, with a log line.  Context: thread.
 * Returns 0 or -ENOENT (no such action).
 */
int irq_set_restart_hook(int irq, void *dev, irq_restart_hook_t hook);

#endif
