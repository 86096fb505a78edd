/*
 * irq_impl.h: interrupt descriptors and interrupt chips, the interface
 * between the generic IRQ layer (kern/irq.c, kern/irq_flow.c) and the
 * machine's interrupt controllers (arch/x86_64/ioapic.c, msi.c, lapic.c).
 *
 * A chip driver creates one descriptor per source it owns with
 * irq_desc_create, choosing the IRQ number (GSIs keep theirs) or taking a
 * free one, the IPL the source runs at, its trigger and its flow handler.
 * The machine layer gives the descriptor a CPU vector (md_irq_attach) and
 * calls irq_dispatch when that vector fires.
 *
 * Chip operations are called with the descriptor's id_lock held (a spin
 * mutex at IPL_HIGH, so interrupts are off), from any CPU; a chip that
 * needs its own lock for shared registers (the IOAPIC's index/data
 * window) takes it inside.  ic_ack and ic_eoi are also called without
 * id_lock from the flow handlers, on the CPU that took the interrupt.
 *
 * A child line of a demultiplexer (kern/irq_demux.c) has no vector: its
 * chip is the "demux" chip, whose mask and unmask call back into the
 * driver, its flow IRQ_FLOW_CHILD, and it is dispatched by its parent's
 * handler, never by the machine.
 */
#ifndef KERN_IRQ_IMPL_H
#define KERN_IRQ_IMPL_H

#include <cpu.h>
#include <irq.h>
#include <mutex.h>
#include <spl.h>
#include <types.h>

#include <kern/intr_lazy.h>
#include <kern/irq_rules.h>

struct irq_desc;
struct lwp;

#define NR_IRQS		256		/* IRQ numbers 0..NR_IRQS-1 */
#define MAX_LINE_ACTIONS	64		/* per line: bits of id_oneshot */

/*
 * Latency histograms (IRQ_HIST_BUCKETS and the bucket rule are in irq.h):
 * bucket i counts values in [2^i, 2^(i+1)) ns (0: 0-1).
 */
struct irq_hist {
	uint64_t ih_bucket[IRQ_HIST_BUCKETS];
};

/* irq_hist_add: count ns.  Context: any; atomic. */
void irq_hist_add(struct irq_hist *h, uint64_t ns);
/* irq_hist_percentile: upper bound of the bucket holding the pct-th percentile, 0 if empty. */
uint64_t irq_hist_percentile(const struct irq_hist *h, unsigned pct);
/* irq_hist_count: values counted. */
uint64_t irq_hist_count(const struct irq_hist *h);

/*
 * An action: one driver's handlers on a line.  Its thread function's
 * state is ia_work (kern/intr_lazy.h's work protocol: IW_NEED when due,
 * IW_ACTIVE while a runner has it, IW_QUEUED on a queue), shared by
 * every model's runner, so the function never runs twice at once: in
 * IRQ_MODE_HARD the flow runs it inline only when the work is idle, and
 * otherwise hands it to the action's thread (irq_thread.c).
 */
struct irq_action {
	struct irq_action *ia_next;	/* id_actions, in priority order */
	struct irq_desc *ia_desc;
	irq_handler_t ia_handler;
	irq_handler_t ia_thread_fn;	/* NULL: primary only */
	void *ia_dev;
	const char *ia_name;
	unsigned long ia_flags;		/* IRQF_*, without mode and priority */
	unsigned ia_seq;		/* request order, breaks priority ties */
	unsigned ia_bit;		/* its bit in id_oneshot */
	volatile int ia_prio;
	volatile enum irq_mode ia_mode;

	struct lwp *ia_thread;		/* its thread (thread function only) */
	struct intr_work ia_work;	/* its thread function's state */
	bool ia_blocked;		/* LAZY: blocked, line masked (id_lock) */
	volatile bool ia_exit;		/* free_irq tells the thread to end */
	volatile uint64_t ia_wake_ns;	/* when the thread was last woken */

	/*
	 * Fault isolation (irq_fault.c).  ia_dead is set once, under
	 * id_lock, when the thread function faulted: from then on neither
	 * handler is called.  The fault service queue links dead actions
	 * until it detaches them (its lock covers the other fields).
	 */
	volatile bool ia_dead;
	bool ia_fault_queued;
	struct irq_action *ia_fault_next;
	unsigned ia_fault_seq;		/* its report (irq_fault_get) */
	unsigned ia_fault_cpu;
	const char *ia_fault_model;

	/* Statistics (atomic adds; read without locks). */
	uint64_t ia_nprimary, ia_nhandled, ia_nwoken, ia_nthread;
	uint64_t ia_primary_ns, ia_thread_ns;
	struct irq_hist ia_wake_hist;	/* primary end to thread function start */
};

struct irq_chip {
	const char *ic_name;
	/* Mask and unmask the source (NULL: it cannot be masked). */
	void (*ic_mask)(struct irq_desc *);
	void (*ic_unmask)(struct irq_desc *);
	/* ic_ack: acknowledge at the start (edge, level flows). */
	void (*ic_ack)(struct irq_desc *);
	/* ic_eoi: end of interrupt (fasteoi, per-CPU flows). */
	void (*ic_eoi)(struct irq_desc *);
	/* ic_set_affinity: deliver to ci from now on; returns 0 or -errno. */
	int (*ic_set_affinity)(struct irq_desc *, struct cpu_info *ci);
};

enum irq_flow {
	IRQ_FLOW_EDGE,		/* ack first; replay an edge that came meanwhile */
	IRQ_FLOW_LEVEL,		/* mask and ack first, unmask at the end */
	IRQ_FLOW_FASTEOI,	/* one EOI at the end; mask first if ONESHOT */
	IRQ_FLOW_PERCPU,	/* per-CPU source: no line state, EOI at the end */
	IRQ_FLOW_CHILD,		/* a demux child: no vector, no ack or EOI, not
				   masked while handling; holds its request
				   while masked, like a level source */
};

enum irq_trigger { IRQ_TRIGGER_EDGE, IRQ_TRIGGER_LEVEL };
enum irq_polarity { IRQ_POLARITY_HIGH, IRQ_POLARITY_LOW };

/*
 * Reasons a line is masked; the chip is masked while any is set
 * (irq_mask_set / irq_mask_clear under id_lock).
 */
#define IRQ_MASK_DISABLED	0x01	/* disable_irq depth > 0 */
#define IRQ_MASK_ONESHOT	0x02	/* ONESHOT thread functions pending */
#define IRQ_MASK_FLOW		0x04	/* level flow: while handling */
#define IRQ_MASK_DEFERRED	0x08	/* soft SPL: pending until splx */
#define IRQ_MASK_UNHANDLED	0x10	/* nobody cared: disabled for good */
#define IRQ_MASK_SHUTDOWN	0x20	/* no actions */
#define IRQ_MASK_BLOCKED	0x40	/* a LAZY thread function blocked */
#define IRQ_MASK_THROTTLED	0x80	/* storm: the poller services it */
#define IRQ_MASK_DEAD		0x100	/* every action died of a fault */

struct irq_desc {
	kmutex_t id_lock;		/* spin, IPL_HIGH: the fields below */
	int id_irq;
	ipl_t id_ipl;			/* level the primaries run at */
	const struct irq_chip *id_chip;
	void *id_chip_data;		/* the chip's (IOAPIC pin, MSI entry...) */
	enum irq_flow id_flow;
	enum irq_trigger id_trigger;
	enum irq_polarity id_polarity;
	char id_name[24];		/* "ioapic0 pin 11", "msi 0000:00:05.0 #0" */
	unsigned id_vector;		/* the machine's vector (md_irq_attach) */

	/* Actions: a list for updates, a sorted snapshot for dispatch. */
	struct irq_action *id_actions;	/* id_lock, and id_request_lock */
	struct irq_action *const *volatile id_snap;	/* read in dispatch */
	volatile int id_top_prio;	/* highest action priority (id_lock
					   to write; a demux orders its
					   children by it) */
	unsigned long id_flags;		/* IRQF_* common to all sharers */
	unsigned id_nthreaded;		/* actions with a thread function */

	unsigned id_mask;		/* IRQ_MASK_* reasons */
	bool id_chip_masked;		/* the chip is masked now */
	unsigned id_depth;		/* disable_irq nesting */
	bool id_pending_edge;		/* edge flow: came while in progress */
	volatile unsigned id_inprogress; /* CPUs in the flow handler now */
	uint64_t id_oneshot;		/* bit per action: ONESHOT thread due */

	cpuset_t id_affinity;		/* requested */
	struct cpu_info *id_cpu;	/* effective (not for per-CPU lines) */

	/* Unhandled-interrupt rule (irq.c note_interrupt). */
	unsigned id_unh_total;
	unsigned id_unh_none;

	/* Statistics: per CPU counts; raise stamp for latency. */
	uint64_t id_count[MAXCPUS];	/* written by their CPU only */
	volatile uint64_t id_raise_ns;	/* irq_note_raise, 0 = none */
	struct irq_hist id_raise_hist;	/* raise to primary handler */
	volatile uint64_t id_flow_gen;	/* flow handler runs completed */
	volatile unsigned id_threads_active; /* due thread functions not done */
	volatile unsigned id_waiters;	/* in synchronize_irq / free_irq */
	unsigned id_nblocked;		/* LAZY functions blocked (id_lock) */

	/* IRQ_MODE_SOURCE: the line's thread and its queue (id_lock). */
	struct lwp *id_srcthread;
	struct intr_work *id_srcq;
	volatile bool id_src_exit;

	/* Storm control (irq_storm.c). */
	uint64_t id_storm_ns;		/* atomic: handler time this window */
	uint64_t id_storm_start;	/* id_lock: when the window began */
	unsigned id_storm_runs;		/* id_lock: handler runs this window */
	unsigned id_storm_usage;	/* id_lock: last window, per mille */
	unsigned id_storm_idle;		/* id_lock: polls in a row with no work */
	uint64_t id_storm_episodes;	/* id_lock: times throttled */
	uint64_t id_storm_polls;	/* id_lock: polls that ran the handlers */
	uint64_t id_storm_busy_polls;	/* id_lock: ... and found work */
	uint64_t id_storm_since;	/* id_lock: when throttled */

	/* A demux child (IRQ_FLOW_CHILD): set at creation, then constant. */
	struct irq_demux *id_demux;	/* the demux it belongs to */
	unsigned id_demux_child;	/* its index there */
};

/*
 * irq_desc_create: create the descriptor of irq (or of a free number when
 * irq < 0) for chip, and give it a vector: fixed_vector if not 0 (LAPIC
 * lines), else a free one of its IPL's band; IRQ_FLOW_CHILD lines get
 * none.  It starts masked, with no actions, delivered to the boot CPU
 * (the chip routes it there after).  Context: thread.  Returns the
 * descriptor or NULL (number taken, out of range, no vector).
 */
struct irq_desc *irq_desc_create(int irq, const struct irq_chip *chip,
    void *chip_data, ipl_t ipl, enum irq_flow flow, const char *name,
    unsigned fixed_vector);
/* irq_desc_destroy: remove a descriptor that has no actions (MSI teardown). */
void irq_desc_destroy(struct irq_desc *desc);
/* irq_to_desc: the descriptor of irq, or NULL. */
struct irq_desc *irq_to_desc(int irq);

/*
 * irq_dispatch: the machine layer's call when desc's vector fires, at
 * desc->id_ipl, in hard interrupt context.  Runs the flow handler.
 */
void irq_dispatch(struct irq_desc *desc);

/*
 * irq_defer: soft SPL: desc fired while the CPU's level blocks it; mask it
 * (if the chip can) until irq_replay.  irq_replay: run it now at its level.
 * Context: hard interrupt entry / splx, interrupts off.
 */
void irq_defer(struct irq_desc *desc);
void irq_replay(struct irq_desc *desc);

/* Mask reasons, under id_lock. */
void irq_mask_set(struct irq_desc *desc, unsigned reason);
void irq_mask_clear(struct irq_desc *desc, unsigned reason);

/* irq_flow_name: "edge", "level", "fasteoi", "percpu", "child". */
const char *irq_flow_name(enum irq_flow flow);

/*
 * Running thread functions (irq_thread.c).
 * irq_work_init: set up an action's work state (before it is linked).
 * irq_thread_create: start the action's own thread (bound to the line's CPU).
 * irq_thread_wake: make its thread function due and hand it to the runner
 *   of its model (from the flow handler).
 * irq_thread_stop: end the action's thread and reap it (work idle).
 * irq_thread_rebind: move it to ci now.
 * irq_source_thread_start: the line's IRQ_MODE_SOURCE thread, at prio,
 *   if it has none.  irq_source_thread_stop: end it (nothing queued).
 * irq_wait_threads: wait until no thread function of the line is due or
 *   running and, if ia is not NULL, ia's work is idle.  Context: thread.
 */
void irq_work_init(struct irq_action *ia);
int irq_thread_create(struct irq_action *ia);
void irq_thread_wake(struct irq_action *ia);
void irq_thread_stop(struct irq_action *ia);
void irq_thread_rebind(struct irq_action *ia, struct cpu_info *ci);
int irq_source_thread_start(struct irq_desc *desc, int prio);
void irq_source_thread_stop(struct irq_desc *desc);
void irq_wait_threads(struct irq_desc *desc, struct irq_action *ia);

/*
 * irq_run_thread_fn: call ia's thread function, accounted, with the
 * context recorded so that forbidden operations name the handler.
 */
void irq_run_thread_fn(struct irq_action *ia);

/*
 * Nested runs (a nested demux's thread runs a child line's handlers,
 * irq_flow_nested).  irq_nested_begin: the line's functions are not idle
 * until irq_nested_end, so that free_irq and synchronize_irq wait for the
 * runs the flow owes.  irq_nested_due: during the flow, ia's primary
 * asked for its thread function: mark it due; true if the caller owes it
 * a run (nobody was running it), which it makes after the flow with
 * irq_nested_run (in this thread, unless another runner took it
 * meanwhile).  Context: thread.
 */
void irq_nested_begin(struct irq_desc *desc);
void irq_nested_end(struct irq_desc *desc);
bool irq_nested_due(struct irq_action *ia);
void irq_nested_run(struct irq_action *ia);

/* irq_action_runs_before: a's handlers run before b's (priority, then age). */
bool irq_action_runs_before(const struct irq_action *a,
    const struct irq_action *b);

/*
 * Fault isolation (irq_fault.c).  irq_run_isolated: run ia's thread
 * function under a catch; if it faults, the action dies (marked, its line
 * masked unless another live action shares it, queued for the fault
 * service) and this returns normally.  Context: thread.
 */
void irq_run_isolated(struct irq_action *ia);
/* irq_fault_init: the fault ring and service state (irq_init). */
void irq_fault_init(void);
/* irq_fault_service_start: start the fault service thread if not yet.  Context: thread. */
void irq_fault_service_start(void);
/*
 * irq_fault_unqueue: free_irq is about to free ia: take it off the fault
 * service's queue.  irq_fault_forget: dev's action on irq was freed by
 * its driver: drop its restart hook and history.  irq_fault_detached:
 * was dev's action on irq detached by the fault service (so free_irq
 * has nothing to do)?  Context: thread, irq_request_lock held.
 */
void irq_fault_unqueue(struct irq_action *ia);
void irq_fault_forget(int irq, void *dev);
bool irq_fault_detached(int irq, void *dev);
/*
 * irq_remove_dead: detach and free dev's action on irq if it is dead
 * (the fault service's free_irq).  Returns whether it did.  Context:
 * thread; takes irq_request_lock.
 */
bool irq_remove_dead(int irq, void *dev);
/* irq_update_dead_mask: IRQ_MASK_DEAD iff actions remain and all are dead.  id_lock held. */
void irq_update_dead_mask(struct irq_desc *desc);
/*
 * irq_describe: `irq N handler "name" (fn+0x0, IRQ_MODE_X, where)` for
 * ia running where, into buf; the words of every panic that blames a
 * handler.  irq_hard_culprit: the same for the handler this CPU runs in
 * hard interrupt context, or the primary a nested demux runs in this
 * thread; false if none.  Context: any.
 */
enum irq_where {
	IRQ_WHERE_HARD,			/* hard interrupt context */
	IRQ_WHERE_THREAD,		/* an interrupt thread */
	IRQ_WHERE_NESTED_PRIMARY,	/* a nested demux's thread: primary */
	IRQ_WHERE_NESTED,		/* ... thread function */
};
void irq_describe(const struct irq_action *ia, enum irq_where where,
    char *buf, size_t size);
bool irq_hard_culprit(char *buf, size_t size);

/* irq_note_interrupt: the unhandled-interrupt rule, after each flow. */
void irq_note_interrupt(struct irq_desc *desc, irqreturn_t ret);

/* irq_boot_mode: the model the irqmode= boot option names. */
enum irq_mode irq_boot_mode(void);

/*
 * Machine hooks (arch): md_irq_attach gives desc a vector in its IPL's
 * band and routes it; md_irq_detach frees it.
 */
int md_irq_attach(struct irq_desc *desc);
void md_irq_detach(struct irq_desc *desc);
/* md_irq_resend: make desc fire again on its CPU (enable_irq of an edge). */
void md_irq_resend(struct irq_desc *desc);

/*
 * md_irq_poll_enter: from a thread at a level below ipl, enter hard
 * interrupt context at ipl on this CPU as a delivery of a source at ipl
 * would (the interrupt depth counted, the level raised, interrupts
 * enabled below IPL_SCHED); the storm poller runs a line's handlers so.
 * Returns the level to give md_irq_poll_exit, which leaves it again.
 * The caller must not block or switch in between.
 */
ipl_t md_irq_poll_enter(ipl_t ipl);
void md_irq_poll_exit(ipl_t s);

/*
 * Storm control (irq_storm.c).
 * irq_storm_charge: add ns of handler time to desc's window.  Context:
 * any; atomic.  Per-CPU lines are not charged.
 * irq_storm_check: at the end of a flow (id_lock held, hard context),
 * close the window if it is over; throttle the line if its handlers took
 * more than the budget.  Returns true if it throttled: the caller then
 * calls irq_storm_kick once id_lock is dropped, to wake the poller.
 * irq_storm_polled: after the poller ran the handlers (id_lock held):
 * count the poll and unthrottle the line once it has been quiet.
 * irq_storm_shutdown: desc's last action goes (id_lock held): forget its
 * storm; irq_storm_sync then waits until the poller cannot be looking at
 * desc any more (thread context, id_lock not held).
 */
void irq_storm_charge(struct irq_desc *desc, uint64_t ns);
bool irq_storm_check(struct irq_desc *desc, uint64_t now);
void irq_storm_kick(void);
void irq_storm_polled(struct irq_desc *desc, irqreturn_t ret, uint64_t now);
bool irq_storm_shutdown(struct irq_desc *desc);
void irq_storm_sync(void);
/* irq_storm_init: start the poller (irq_init). */
void irq_storm_init(void);

/*
 * irq_flow_nested: run a child line's flow in the calling thread, for a
 * nested demux: as a flow would, but its primaries run here, at the
 * line's IPL and marked so that blocking panics naming them, and the
 * thread functions they ask for run here too, after the flow, whatever
 * the actions' models.  Context: thread (a nested demux's thread function).
 */
void irq_flow_nested(struct irq_desc *desc);

/*
 * Demultiplexers (irq_demux.c).  irq_demux_of_action: the demux whose
 * parent action ia is, or NULL.  irq_demux_mode_refusal: why ia may not
 * take mode now (a nested demux's parent action may not be HARD, a child
 * of a nested demux has no model of its own), or NULL.  irq_demux_nested:
 * desc is a child of a demux that dispatches nested.  irq_demux_child_desc:
 * child i's descriptor.  Context: any; the refusal with irq_request_lock
 * held.
 */
struct irq_demux;
struct irq_demux *irq_demux_of_action(const struct irq_action *ia);
const char *irq_demux_mode_refusal(const struct irq_action *ia,
    enum irq_mode mode);
bool irq_demux_nested(const struct irq_desc *desc);
struct irq_desc *irq_demux_child_desc(const struct irq_demux *dm, unsigned i);

/*
 * irq_request_lock_enter, irq_request_lock_exit: the lock that serialises
 * every change to actions and their attributes (irq.c), for irq_demux.c's
 * changes of dispatch.  Context: thread.
 */
void irq_request_lock_enter(void);
void irq_request_lock_exit(void);

/*
 * irq_flow_poll: run a throttled line's handlers once, as a flow would,
 * unless they run elsewhere now or the line is disabled or held for
 * ONESHOT.  Context: the storm poller, between md_irq_poll_enter and
 * md_irq_poll_exit at the line's IPL.
 */
void irq_flow_poll(struct irq_desc *desc);

/* irq_init: the IRQ layer, before any descriptor (kern_main). */
void irq_init(void);


#endif
