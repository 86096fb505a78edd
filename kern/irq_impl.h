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
 */
#ifndef KERN_IRQ_IMPL_H
#define KERN_IRQ_IMPL_H

#include <cpu.h>
#include <irq.h>
#include <mutex.h>
#include <spl.h>
#include <types.h>

#include <kern/irq_rules.h>

struct irq_desc;
struct lwp;

/* Latency histograms: bucket i counts values in [2^i, 2^(i+1)) ns (0: 0-1). */
#define IRQ_HIST_BUCKETS	32
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
 * An action: one driver's handlers on a line.  Its thread state ia_state
 * (atomic) has IA_NEED when the thread function is due (set by the flow
 * handler, cleared by the thread as it starts) and IA_ACTIVE while the
 * thread runs it.  The thread function of an action never runs twice at
 * once: in IRQ_MODE_HARD the flow runs it inline only when ia_state is 0,
 * and otherwise hands it to the thread, which drains what was queued
 * before a switch of model (irq_thread.c).
 */
#define IA_NEED		0x1
#define IA_ACTIVE	0x2

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
	volatile unsigned ia_state;	/* IA_NEED | IA_ACTIVE */
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
#define IRQ_MASK_DEAD		0x80	/* every action died of a fault */

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
	volatile unsigned id_threads_active; /* woken thread functions not done */
};

/*
 * irq_desc_create: create the descriptor of irq (or of a free number when
 * irq < 0) for chip, and give it a vector: fixed_vector if not 0 (LAPIC
 * lines), else a free one of its IPL's band.  It starts masked, with no
 * actions, delivered to the boot CPU (the chip routes it there after).
 * Context: thread.  Returns the descriptor or NULL (number taken, out of
 * range, no vector).
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

/* irq_flow_name: "edge", "level", "fasteoi", "percpu". */
const char *irq_flow_name(enum irq_flow flow);

/*
 * The dedicated threads of IRQ_MODE_THREAD (irq_thread.c).
 * irq_thread_create: start action's thread (bound to the line's CPU).
 * irq_thread_wake: make its thread function due (from the flow handler).
 * irq_thread_stop: wait for it to finish what is due, end it and reap it.
 * irq_thread_rebind: move it to ci now.
 */
int irq_thread_create(struct irq_action *ia);
void irq_thread_wake(struct irq_action *ia);
void irq_thread_stop(struct irq_action *ia);
void irq_thread_rebind(struct irq_action *ia, struct cpu_info *ci);

/*
 * irq_run_thread_fn: call ia's thread function, accounted, with the
 * context recorded so that forbidden operations name the handler.
 */
void irq_run_thread_fn(struct irq_action *ia);

/*
 * irq_thread_done: ia's woken ONESHOT thread function finished: clear its
 * bit and unmask the line when it was the last.  Also wakes
 * synchronize_irq waiters.  Context: thread.
 */
void irq_thread_done(struct irq_action *ia);

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
 * ia in hard context or not, into buf; the words of every panic that
 * blames a handler.  irq_hard_culprit: the same for the handler this CPU
 * runs in hard interrupt context; false if none.  Context: any.
 */
void irq_describe(const struct irq_action *ia, bool hard, char *buf,
    size_t size);
bool irq_hard_culprit(char *buf, size_t size);

/* irq_note_interrupt: the unhandled-interrupt rule, after each flow. */
void irq_note_interrupt(struct irq_desc *desc, irqreturn_t ret);

/* irq_boot_mode: the irqmode= boot option (IRQ_MODE_HARD or _THREAD). */
enum irq_mode irq_boot_mode(void);

/*
 * Machine hooks (arch): md_irq_attach gives desc a vector in its IPL's
 * band and routes it; md_irq_detach frees it.
 */
int md_irq_attach(struct irq_desc *desc);
void md_irq_detach(struct irq_desc *desc);
/* md_irq_resend: make desc fire again on its CPU (enable_irq of an edge). */
void md_irq_resend(struct irq_desc *desc);

/* irq_init: the IRQ layer, before any descriptor (kern_main). */
void irq_init(void);


#endif
