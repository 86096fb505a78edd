/*
 * irq.c: the generic IRQ layer: descriptors, the request API, the rules
 * of interrupt context, the unhandled-interrupt rule and the table.
 *
 * Design.  An IRQ number names a descriptor (struct irq_desc, irq_impl.h)
 * made by an interrupt chip driver: IOAPIC inputs keep their GSI as
 * number, MSI vectors and LAPIC lines take free numbers from
 * IRQ_FIRST_DYNAMIC up.  A descriptor carries the line state and a list
 * of actions, one per driver (request_threaded_irq), kept in priority
 * order; dispatch reads an immutable, NULL-terminated snapshot array of
 * that list (id_snap), which every change replaces.  The flow handlers are
 * in irq_flow.c, the dedicated threads in irq_thread.c.
 *
 * Life of an action: requested (validated, thread created, linked, line
 * started if first) -> dispatched under its model, which irq_set_mode may
 * change at any time -> freed (unlinked, flows drained, thread stopped).
 *
 * Rules of interrupt context (irq_forbid_block, irq_forbid_sleep): in
 * hard interrupt context nothing may block or sleep; a thread function
 * running in an interrupt thread may block on mutexes and rwlocks (the
 * turnstile lends it its priority) but not sleep (cv_wait, timed sleeps,
 * kmem_alloc(KM_SLEEP)) unless its action has IRQF_SLEEPABLE.  Breaking a
 * rule panics with the IRQ, the handler's name and function, and the
 * model.
 *
 * Faulted handlers (irq_fault.c): an action whose thread function faulted
 * is marked dead, its line masked (IRQ_MASK_DEAD) while only dead actions
 * are left on it, and detached by the fault service (irq_remove_dead,
 * which shares action_detach with free_irq).  free_irq of an action the
 * service has detached does nothing.
 *
 * The table (irq_print_table) is for people; irq_print_hist prints the
 * latency histograms as HIST lines for tools (docs/interrupts.md).
 *
 * Unhandled interrupts: of every 100,000 interrupts of a line, if 99,900
 * or more found no handler claiming them, the line is masked for good
 * (IRQ_MASK_UNHANDLED) with a log line naming it and its handlers.
 *
 * Storm control (irq_storm.c): a line whose handlers take more than a
 * budget of CPU time is masked (IRQ_MASK_THROTTLED) and polled until it
 * calms down; free_irq of its last action takes it out of that and waits
 * for the poller to let go of it.
 *
 * Demux children (irq_demux.c) are descriptors like any other, without a
 * vector; here they differ only in that a child of a nested demux has no
 * model of its own (irq_set_mode refuses, the table says "nested"), that
 * a nested demux's parent action may not be HARD, and that children
 * follow their parent line's affinity.  A nested child's primary runs in
 * the demux's thread marked in l_irqnested, so that blocking in it
 * panics as in hard context, and its thread function may not sleep.
 *
 * Locking.  irq_request_lock (adaptive) serialises every change to the
 * set of actions and their attributes (request, free, mode, priority,
 * affinity); id_lock (spin, IPL_HIGH) covers a line's state and is taken
 * inside it.  A replaced snapshot is freed only after the flow that might
 * read it has finished (wait_flow: id_flow_gen moves on, or no flow runs).
 * Per-CPU lines run their flow on every CPU at once without id_inprogress,
 * so their single action is set once and never replaced or freed.
 * irq_descs[] entries are written under irq_request_lock and read
 * locklessly: descriptors are never freed while the kernel runs, except
 * MSI ones after their line is shut down and drained.
 */
#include <cpu.h>
#include <irq.h>
#include <irq_demux.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <options.h>
#include <printf.h>
#include <string.h>
#include <time.h>

#include <kern/irq_impl.h>
#include <kern/ksyms.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/panic_impl.h>

#include <machine/cpuvar.h>

#define IRQ_FIRST_DYNAMIC	64
#define UNHANDLED_WINDOW	100000
#define UNHANDLED_LIMIT		99900

static struct irq_desc *volatile irq_descs[NR_IRQS];
static kmutex_t irq_request_lock;
static unsigned irq_seq;		/* irq_request_lock */

/* The words, in enum irq_mode order from IRQ_MODE_HARD. */
static const char *const mode_words[] = {
	"hard", "thread", "lazy", "source", NULL,
};
static unsigned boot_mode_word = 1;
OPTION_CHOICE("irqmode", boot_mode_word, mode_words,
    "dispatch model of thread functions requested without one: hard, "
    "thread, lazy or source");

static const char *const mode_names[IRQ_NMODES] = {
	[IRQ_MODE_DEFAULT] = "default", [IRQ_MODE_HARD] = "hard",
	[IRQ_MODE_THREAD] = "thread", [IRQ_MODE_LAZY] = "lazy",
	[IRQ_MODE_SOURCE] = "source",
};

const char *
irq_mode_name(enum irq_mode mode)
{
	return mode >= 0 && mode < IRQ_NMODES ? mode_names[mode] : "?";
}

enum irq_mode
irq_boot_mode(void)
{
	return (enum irq_mode)(IRQ_MODE_HARD + boot_mode_word);
}

void
irq_init(void)
{
	mutex_init(&irq_request_lock, MUTEX_DEFAULT, IPL_NONE);
	irq_storm_init();
	irq_fault_init();
}

void
irq_request_lock_enter(void)
{
	mutex_enter(&irq_request_lock);
}

void
irq_request_lock_exit(void)
{
	mutex_exit(&irq_request_lock);
}

/* Histograms. */

void
irq_hist_add(struct irq_hist *h, uint64_t ns)
{
	unsigned b = ns < 2 ? 0 : 63 - (unsigned)__builtin_clzll(ns);

	if (b >= IRQ_HIST_BUCKETS)
		b = IRQ_HIST_BUCKETS - 1;
	__atomic_fetch_add(&h->ih_bucket[b], 1, __ATOMIC_RELAXED);
}

uint64_t
irq_hist_count(const struct irq_hist *h)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < IRQ_HIST_BUCKETS; b++)
		n += h->ih_bucket[b];
	return n;
}

uint64_t
irq_hist_percentile(const struct irq_hist *h, unsigned pct)
{
	uint64_t n = irq_hist_count(h), seen = 0;
	uint64_t want = (n * pct + 99) / 100;

	if (n == 0)
		return 0;
	for (unsigned b = 0; b < IRQ_HIST_BUCKETS; b++) {
		seen += h->ih_bucket[b];
		if (seen >= want && seen > 0)
			return 2ULL << b;
	}
	return 2ULL << (IRQ_HIST_BUCKETS - 1);
}

/* Descriptors. */

struct irq_desc *
irq_to_desc(int irq)
{
	return irq >= 0 && irq < NR_IRQS ? irq_descs[irq] : NULL;
}

static int
free_irq_number(void)
{
	for (int irq = IRQ_FIRST_DYNAMIC; irq < NR_IRQS; irq++)
		if (irq_descs[irq] == NULL)
			return irq;
	return -1;
}

struct irq_desc *
irq_desc_create(int irq, const struct irq_chip *chip, void *chip_data,
    ipl_t ipl, enum irq_flow flow, const char *name, unsigned fixed_vector)
{
	struct irq_desc *desc;

	mutex_enter(&irq_request_lock);
	if (irq < 0)
		irq = free_irq_number();
	if (irq < 0 || irq >= NR_IRQS || irq_descs[irq] != NULL) {
		mutex_exit(&irq_request_lock);
		return NULL;
	}
	desc = kmem_zalloc(sizeof(*desc), KM_SLEEP);
	mutex_init(&desc->id_lock, MUTEX_SPIN, IPL_HIGH);
	desc->id_irq = irq;
	desc->id_ipl = ipl;
	desc->id_chip = chip;
	desc->id_chip_data = chip_data;
	desc->id_flow = flow;
	desc->id_trigger = flow == IRQ_FLOW_LEVEL ? IRQ_TRIGGER_LEVEL :
	    IRQ_TRIGGER_EDGE;
	strlcpy(desc->id_name, name, sizeof(desc->id_name));
	desc->id_vector = fixed_vector;
	desc->id_mask = IRQ_MASK_SHUTDOWN;
	desc->id_chip_masked = chip->ic_mask != NULL;
	desc->id_cpu = cpu_lookup(0);
	desc->id_affinity = cpuset_of(0);
	if (flow != IRQ_FLOW_CHILD && md_irq_attach(desc) != 0) {
		mutex_exit(&irq_request_lock);
		kmem_free(desc, sizeof(*desc));
		return NULL;
	}
	irq_descs[irq] = desc;
	mutex_exit(&irq_request_lock);
	return desc;
}

void
irq_desc_destroy(struct irq_desc *desc)
{
	mutex_enter(&irq_request_lock);
	KASSERTMSG(desc->id_actions == NULL,
	    "irq_desc_destroy: irq %d still has actions", desc->id_irq);
	irq_descs[desc->id_irq] = NULL;
	if (desc->id_flow != IRQ_FLOW_CHILD)
		md_irq_detach(desc);
	mutex_exit(&irq_request_lock);
	kmem_free(desc, sizeof(*desc));
}

/*
 * wait_flow: wait until no flow handler of desc that started before now
 * is still running (it may be reading a replaced snapshot).
 */
static void
wait_flow(struct irq_desc *desc)
{
	uint64_t gen = __atomic_load_n(&desc->id_flow_gen, __ATOMIC_ACQUIRE);

	while (desc->id_inprogress &&
	    __atomic_load_n(&desc->id_flow_gen, __ATOMIC_ACQUIRE) == gen)
		cpu_spin_pause();
}

/* Actions and snapshots: irq_request_lock held. */

static unsigned
count_actions(const struct irq_desc *desc)
{
	unsigned n = 0;

	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		n++;
	return n;
}

static struct irq_action *
find_action(struct irq_desc *desc, void *dev)
{
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		if (ia->ia_dev == dev)
			return ia;
	return NULL;
}

void *
irq_find_dev(int irq, const char *name)
{
	struct irq_desc *desc = irq_to_desc(irq);
	void *dev = NULL;
	unsigned n = 0;

	if (desc == NULL)
		return NULL;
	mutex_enter(&irq_request_lock);
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next) {
		if (name == NULL || strcmp(ia->ia_name, name) == 0) {
			dev = ia->ia_dev;
			n++;
		}
	}
	mutex_exit(&irq_request_lock);
	return n == 1 || (name != NULL && n > 0) ? dev : NULL;
}

bool
irq_action_runs_before(const struct irq_action *a, const struct irq_action *b)
{
	return a->ia_prio > b->ia_prio ||
	    (a->ia_prio == b->ia_prio && a->ia_seq < b->ia_seq);
}

/* Link ia in priority order.  id_lock held. */
static void
link_action(struct irq_desc *desc, struct irq_action *ia)
{
	struct irq_action **pp = &desc->id_actions;

	while (*pp != NULL && irq_action_runs_before(*pp, ia))
		pp = &(*pp)->ia_next;
	ia->ia_next = *pp;
	*pp = ia;
}

static void
unlink_action(struct irq_desc *desc, struct irq_action *ia)
{
	struct irq_action **pp = &desc->id_actions;

	while (*pp != ia)
		pp = &(*pp)->ia_next;
	*pp = ia->ia_next;
	ia->ia_next = NULL;
}

struct snapshot {
	struct irq_action **s_array;
	size_t s_size;
};

/* A snapshot array for n actions (allocated before taking id_lock). */
static struct snapshot
snap_alloc(unsigned n)
{
	struct snapshot s = { NULL, (n + 1) * sizeof(struct irq_action *) };

	if (n > 0)
		s.s_array = kmem_zalloc(s.s_size, KM_SLEEP);
	return s;
}

/*
 * Publish s as desc's snapshot, filled from the list; returns the old
 * one.  id_lock held.
 */
static struct irq_action *const *
snap_publish(struct irq_desc *desc, struct snapshot s)
{
	struct irq_action *const *old = desc->id_snap;
	unsigned i = 0;

	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		s.s_array[i++] = ia;
	if (s.s_array != NULL)
		s.s_array[i] = NULL;
	desc->id_top_prio = desc->id_actions != NULL ?
	    desc->id_actions->ia_prio : 0;
	__atomic_store_n(&desc->id_snap, s.s_array, __ATOMIC_RELEASE);
	return old;
}

static void
snap_free(struct irq_desc *desc, struct irq_action *const *old, unsigned n)
{
	if (old == NULL)
		return;
	wait_flow(desc);
	kmem_free((void *)old, (n + 1) * sizeof(struct irq_action *));
}

/* Requests. */

#define IRQF_MODE_BITS(f)	((unsigned)(((f) >> 32) & 0xff))
#define IRQF_PRIO_BITS(f)	((int)(((f) >> 40) & 0xff))
#define IRQF_LOW_BITS(f)	((f) & 0xffffffffUL)
#define IRQF_KNOWN	(IRQF_SHARED | IRQF_ONESHOT | IRQF_NO_THREAD | \
			 IRQF_PERCPU | IRQF_SLEEPABLE | IRQF_NO_AUTOEN | \
			 IRQF_NO_STORM)
/* Flags every sharer of a line must agree on. */
#define IRQF_LINE	(IRQF_SHARED | IRQF_ONESHOT | IRQF_PERCPU)

static int
refuse(int irq, const char *name, int error, const char *why)
{
	kwarn("request_irq: irq %d (%s) refused: %s", irq,
	    name != NULL ? name : "?", why);
	return error;
}

/* Is a mode implemented, and allowed for these flags? */
static const char *
mode_refusal(enum irq_mode mode, unsigned long flags)
{
	if (mode <= IRQ_MODE_DEFAULT || mode >= IRQ_NMODES)
		return "unknown dispatch model";
	if (mode != IRQ_MODE_HARD && (flags & (IRQF_NO_THREAD | IRQF_PERCPU)))
		return "IRQF_NO_THREAD and IRQF_PERCPU actions stay in hard "
		    "context";
	if (mode != IRQ_MODE_THREAD && (flags & IRQF_SLEEPABLE))
		return "IRQF_SLEEPABLE needs IRQ_MODE_THREAD";
	return NULL;
}

/* Why a request cannot be granted, or NULL; *error: its errno. */
static const char *
request_refusal(struct irq_desc *desc, irq_handler_t handler,
    irq_handler_t thread_fn, unsigned long flags, void *dev, int prio,
    enum irq_mode mode, int *error)
{
	*error = -EINVAL;
	if (IRQF_LOW_BITS(flags) & ~IRQF_KNOWN)
		return "unknown IRQF_ flags";
	if (handler == NULL && thread_fn == NULL)
		return "no handler and no thread function";
	if (handler == NULL && !(flags & IRQF_ONESHOT))
		return "a NULL primary handler needs IRQF_ONESHOT (a level "
		    "line would storm until the thread ran)";
	if ((flags & IRQF_SHARED) && dev == NULL)
		return "IRQF_SHARED needs a dev cookie";
	if ((flags & IRQF_SLEEPABLE) && thread_fn == NULL)
		return "IRQF_SLEEPABLE without a thread function";
	if ((flags & IRQF_PERCPU) && thread_fn != NULL)
		return "a per-CPU line cannot have a thread function";
	if (((flags & IRQF_PERCPU) != 0) != (desc->id_flow == IRQ_FLOW_PERCPU))
		return "IRQF_PERCPU must match the line (per-CPU lines only)";
	if (prio < PRI_KERNEL_MIN || prio >= NPRI)
		return "priority out of range";
	if (desc->id_actions != NULL) {
		*error = -EBUSY;
		if (flags & IRQF_PERCPU)
			return "per-CPU lines are not shared";
		if (!(flags & desc->id_flags & IRQF_SHARED))
			return "line is taken and not shared by both";
		if ((flags & IRQF_LINE) != (desc->id_flags & IRQF_LINE))
			return "flags mismatch with the line's other handlers "
			    "(IRQF_SHARED, IRQF_ONESHOT, IRQF_PERCPU must agree)";
		if (find_action(desc, dev) != NULL)
			return "dev already has an action on this line";
		if (count_actions(desc) >= MAX_LINE_ACTIONS)
			return "too many actions on the line";
	}
	*error = -EINVAL;
	return mode_refusal(mode, flags);
}

/* The model of an action requested without one. */
static enum irq_mode
default_mode(unsigned long flags, bool threaded)
{
	if (!threaded || (flags & (IRQF_NO_THREAD | IRQF_PERCPU)))
		return IRQ_MODE_HARD;
	if (flags & IRQF_SLEEPABLE)
		return IRQ_MODE_THREAD;
	return irq_boot_mode();
}

static irqreturn_t
default_primary(int irq, void *dev)
{
	return IRQ_WAKE_THREAD;
}

static unsigned
free_oneshot_bit(const struct irq_desc *desc)
{
	uint64_t used = 0;

	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		used |= 1ULL << ia->ia_bit;
	return (unsigned)__builtin_ctzll(~used);
}

static struct irq_action *
action_alloc(struct irq_desc *desc, irq_handler_t handler,
    irq_handler_t thread_fn, unsigned long flags, const char *name, void *dev,
    int prio, enum irq_mode mode)
{
	struct irq_action *ia = kmem_zalloc(sizeof(*ia), KM_SLEEP);

	ia->ia_desc = desc;
	ia->ia_handler = handler != NULL ? handler : default_primary;
	ia->ia_thread_fn = thread_fn;
	ia->ia_dev = dev;
	ia->ia_name = name;
	ia->ia_flags = IRQF_LOW_BITS(flags);
	ia->ia_seq = irq_seq++;
	ia->ia_bit = free_oneshot_bit(desc);
	ia->ia_prio = prio;
	ia->ia_mode = mode;
	irq_work_init(ia);
	return ia;
}

static void
line_startup(struct irq_desc *desc, unsigned long flags)
{
	desc->id_flags = flags & IRQF_LINE;
	desc->id_unh_total = desc->id_unh_none = 0;
	if (flags & IRQF_NO_AUTOEN)
		desc->id_depth = 1;
	desc->id_pending_edge = false;
	if (desc->id_flow != IRQ_FLOW_PERCPU && desc->id_chip->ic_set_affinity)
		desc->id_chip->ic_set_affinity(desc, desc->id_cpu);
	/* A stray interrupt while it had no actions left DISABLED set. */
	irq_mask_clear(desc, IRQ_MASK_SHUTDOWN | IRQ_MASK_DISABLED);
}

/* The priority of the line's source thread: its best action's. */
static int
source_prio(const struct irq_desc *desc, const struct irq_action *extra)
{
	int prio = extra != NULL ? extra->ia_prio : PRI_KERNEL_MIN;

	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		if (ia->ia_thread_fn != NULL && ia->ia_prio > prio)
			prio = ia->ia_prio;
	return prio;
}

/* The actions of the line changed: the source thread follows.  Request lock. */
static void
source_prio_update(struct irq_desc *desc)
{
	if (desc->id_srcthread != NULL)
		lwp_set_priority(desc->id_srcthread, source_prio(desc, NULL));
}

/* Threads an action of this model needs.  Request lock held. */
static int
start_model_threads(struct irq_desc *desc, struct irq_action *ia,
    enum irq_mode mode)
{
	if (mode != IRQ_MODE_SOURCE)
		return 0;
	return irq_source_thread_start(desc, source_prio(desc, ia));
}

int
request_threaded_irq(int irq, irq_handler_t handler, irq_handler_t thread_fn,
    unsigned long flags, const char *name, void *dev)
{
	struct irq_desc *desc = irq_to_desc(irq);
	enum irq_mode mode = IRQF_MODE_BITS(flags);
	int prio = IRQF_PRIO_BITS(flags) ? IRQF_PRIO_BITS(flags) : IRQ_PRIO_DEFAULT;
	struct irq_action *ia, *const *old;
	struct snapshot snap;
	const char *why;
	unsigned n;
	int error;

	KASSERTMSG(!cpu_intr_p(), "request_threaded_irq(%d, %s) from interrupt "
	    "context", irq, name);
	if (desc == NULL)
		return refuse(irq, name, -ENOENT, "no such IRQ");
	if (name == NULL)
		return refuse(irq, name, -EINVAL, "no name");
	if (mode == IRQ_MODE_DEFAULT)
		mode = default_mode(flags, thread_fn != NULL);
	if (thread_fn != NULL)
		irq_fault_service_start();
	mutex_enter(&irq_request_lock);
	why = request_refusal(desc, handler, thread_fn, flags, dev, prio, mode,
	    &error);
	if (why != NULL) {
		mutex_exit(&irq_request_lock);
		return refuse(irq, name, error, why);
	}
	ia = action_alloc(desc, handler, thread_fn, flags, name, dev, prio, mode);
	if (thread_fn != NULL && ((error = irq_thread_create(ia)) != 0 ||
	    (error = start_model_threads(desc, ia, mode)) != 0)) {
		if (ia->ia_thread != NULL)
			irq_thread_stop(ia);
		mutex_exit(&irq_request_lock);
		kmem_free(ia, sizeof(*ia));
		return refuse(irq, name, error, "cannot create its thread");
	}
	n = count_actions(desc);
	snap = snap_alloc(n + 1);
	mutex_enter(&desc->id_lock);
	link_action(desc, ia);
	old = snap_publish(desc, snap);
	if (ia->ia_thread_fn != NULL)
		desc->id_nthreaded++;
	if (n == 0)
		line_startup(desc, flags);
	irq_update_dead_mask(desc);
	mutex_exit(&desc->id_lock);
	snap_free(desc, old, n);
	source_prio_update(desc);
	mutex_exit(&irq_request_lock);
	return 0;
}

/*
 * Unlink ia, wait until no flow can see it, stop its thread: free_irq but
 * for freeing ia.  irq_request_lock held.
 */
static void
action_detach(struct irq_desc *desc, struct irq_action *ia)
{
	unsigned n = count_actions(desc);
	struct snapshot snap = snap_alloc(n - 1);
	struct irq_action *const *old;
	bool stormed = false;

	mutex_enter(&desc->id_lock);
	unlink_action(desc, ia);
	old = snap_publish(desc, snap);
	if (ia->ia_thread_fn != NULL)
		desc->id_nthreaded--;
	if (n == 1) {
		irq_mask_set(desc, IRQ_MASK_SHUTDOWN);
		desc->id_depth = 0;
		desc->id_pending_edge = false;
		irq_mask_clear(desc, IRQ_MASK_DISABLED | IRQ_MASK_UNHANDLED);
		stormed = irq_storm_shutdown(desc);
	}
	irq_update_dead_mask(desc);
	mutex_exit(&desc->id_lock);
	snap_free(desc, old, n);	/* no flow sees ia any more */
	irq_wait_threads(desc, ia);	/* nor any runner */
	if (stormed)
		irq_storm_sync();	/* nor the poller desc */
	if (ia->ia_thread != NULL)
		irq_thread_stop(ia);
	if (n == 1)
		irq_source_thread_stop(desc);
	else
		source_prio_update(desc);
	irq_fault_unqueue(ia);		/* nothing can queue it now */
}

void
free_irq(int irq, void *dev)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_action *ia;

	KASSERTMSG(!cpu_intr_p(), "free_irq(%d) from interrupt context", irq);
	KASSERTMSG(desc != NULL, "free_irq: no IRQ %d", irq);
	KASSERTMSG(desc->id_flow != IRQ_FLOW_PERCPU,
	    "free_irq: IRQ %d (%s) is a per-CPU line, never freed", irq,
	    desc->id_name);
	mutex_enter(&irq_request_lock);
	ia = find_action(desc, dev);
	if (ia == NULL && irq_fault_detached(irq, dev)) {
		/* It died of a fault and the fault service detached it. */
		irq_fault_forget(irq, dev);
		mutex_exit(&irq_request_lock);
		return;
	}
	KASSERTMSG(ia != NULL, "free_irq: IRQ %d has no action for dev %p",
	    irq, dev);
	action_detach(desc, ia);
	irq_fault_forget(irq, dev);
	mutex_exit(&irq_request_lock);
	kmem_free(ia, sizeof(*ia));
}

bool
irq_remove_dead(int irq, void *dev)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_action *ia;

	if (desc == NULL)
		return false;
	mutex_enter(&irq_request_lock);
	ia = find_action(desc, dev);
	if (ia != NULL && ia->ia_dead)
		action_detach(desc, ia);
	else
		ia = NULL;
	mutex_exit(&irq_request_lock);
	if (ia != NULL)
		kmem_free(ia, sizeof(*ia));
	return ia != NULL;
}

void
irq_update_dead_mask(struct irq_desc *desc)
{
	bool live = false;

	KASSERT(mutex_owned(&desc->id_lock));
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		live |= !ia->ia_dead;
	if (desc->id_actions != NULL && !live)
		irq_mask_set(desc, IRQ_MASK_DEAD);
	else if (desc->id_mask & IRQ_MASK_DEAD)
		irq_mask_clear(desc, IRQ_MASK_DEAD);
}

/* Enable and disable (lazy: see irq_flow.c). */

void
disable_irq_nosync(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	KASSERTMSG(desc != NULL, "disable_irq: no IRQ %d", irq);
	mutex_enter(&desc->id_lock);
	desc->id_depth++;
	mutex_exit(&desc->id_lock);
}

void
disable_irq(int irq)
{
	disable_irq_nosync(irq);
	synchronize_irq(irq);
}

void
enable_irq(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	KASSERTMSG(desc != NULL, "enable_irq: no IRQ %d", irq);
	mutex_enter(&desc->id_lock);
	KASSERTMSG(desc->id_depth > 0, "enable_irq: IRQ %d (%s) is not disabled",
	    irq, desc->id_name);
	if (--desc->id_depth == 0)
		irq_mask_clear(desc, IRQ_MASK_DISABLED);	/* resends */
	mutex_exit(&desc->id_lock);
}

void
synchronize_irq(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	KASSERTMSG(desc != NULL, "synchronize_irq: no IRQ %d", irq);
	KASSERTMSG(!cpu_intr_p(), "synchronize_irq(%d) from interrupt context",
	    irq);
	wait_flow(desc);
	irq_wait_threads(desc, NULL);
}

/* Run-time attributes. */

/* Move a line's threads to ci.  irq_request_lock held. */
static void
line_rebind(struct irq_desc *desc, struct cpu_info *ci)
{
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		if (ia->ia_thread != NULL)
			irq_thread_rebind(ia, ci);
	if (desc->id_srcthread != NULL)
		sched_rebind(desc->id_srcthread, ci);
}

/*
 * The children of every demux on desc go where desc goes: their
 * functions run where the parent's interrupt is taken.  Request lock held.
 */
static void
children_follow(struct irq_desc *desc, const cpuset_t *set,
    struct cpu_info *ci)
{
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next) {
		struct irq_demux *dm = irq_demux_of_action(ia);

		for (unsigned i = 0; dm != NULL &&
		    i < irq_demux_nchildren(dm); i++) {
			struct irq_desc *child = irq_demux_child_desc(dm, i);

			mutex_enter(&child->id_lock);
			child->id_affinity = *set;
			child->id_cpu = ci;
			mutex_exit(&child->id_lock);
			line_rebind(child, ci);
		}
	}
}

int
irq_set_affinity(int irq, const cpuset_t *set)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct cpu_info *ci = NULL;
	int error = 0;

	if (desc == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < ncpu && ci == NULL; i++)
		if (cpuset_has(set, i))
			ci = cpu_lookup(i);
	if (ci == NULL || desc->id_flow == IRQ_FLOW_PERCPU ||
	    desc->id_chip->ic_set_affinity == NULL)
		return -EINVAL;
	mutex_enter(&irq_request_lock);
	mutex_enter(&desc->id_lock);
	error = desc->id_chip->ic_set_affinity(desc, ci);
	if (error == 0) {
		desc->id_affinity = *set;
		desc->id_cpu = ci;
	}
	mutex_exit(&desc->id_lock);
	if (error == 0) {
		line_rebind(desc, ci);
		children_follow(desc, set, ci);
	}
	mutex_exit(&irq_request_lock);
	return error;
}

int
irq_set_priority(int irq, void *dev, int prio)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_action *ia, *const *old;
	struct snapshot snap;
	unsigned n;

	if (desc == NULL)
		return -ENOENT;
	if (prio < PRI_KERNEL_MIN || prio >= NPRI ||
	    desc->id_flow == IRQ_FLOW_PERCPU)
		return -EINVAL;
	mutex_enter(&irq_request_lock);
	ia = find_action(desc, dev);
	if (ia == NULL) {
		mutex_exit(&irq_request_lock);
		return -ENOENT;
	}
	n = count_actions(desc);
	snap = snap_alloc(n);
	mutex_enter(&desc->id_lock);
	unlink_action(desc, ia);
	ia->ia_prio = prio;
	link_action(desc, ia);
	old = snap_publish(desc, snap);
	mutex_exit(&desc->id_lock);
	snap_free(desc, old, n);
	if (ia->ia_thread != NULL)
		lwp_set_priority(ia->ia_thread, prio);
	source_prio_update(desc);
	mutex_exit(&irq_request_lock);
	return 0;
}

int
irq_set_mode(int irq, void *dev, enum irq_mode mode)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_action *ia;
	const char *why;

	if (desc == NULL)
		return -ENOENT;
	mutex_enter(&irq_request_lock);
	ia = find_action(desc, dev);
	if (ia == NULL) {
		mutex_exit(&irq_request_lock);
		return -ENOENT;
	}
	if (mode == IRQ_MODE_DEFAULT)
		mode = irq_boot_mode();
	why = mode_refusal(mode, ia->ia_flags);
	if (why == NULL && ia->ia_thread_fn == NULL && mode != IRQ_MODE_HARD)
		why = "the action has no thread function";
	if (why == NULL)
		why = irq_demux_mode_refusal(ia, mode);
	if (why == NULL && start_model_threads(desc, ia, mode) != 0)
		why = "cannot create the line's source thread";
	if (why != NULL) {
		mutex_exit(&irq_request_lock);
		kwarn("irq_set_mode: irq %d %s: %s refused: %s", irq,
		    ia->ia_name, irq_mode_name(mode), why);
		return -EINVAL;
	}
	/* The flow reads it once per interrupt; see run_or_wake. */
	__atomic_store_n(&ia->ia_mode, mode, __ATOMIC_RELEASE);
	mutex_exit(&irq_request_lock);
	return 0;
}

void
irq_note_raise(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	if (desc != NULL)
		__atomic_store_n(&desc->id_raise_ns, nanouptime(),
		    __ATOMIC_RELAXED);
}

/* The unhandled-interrupt rule.  id_lock held. */
void
irq_note_interrupt(struct irq_desc *desc, irqreturn_t ret)
{
	if (ret == IRQ_NONE)
		desc->id_unh_none++;
	if (++desc->id_unh_total < UNHANDLED_WINDOW)
		return;
	if (desc->id_unh_none >= UNHANDLED_LIMIT) {
		irq_mask_set(desc, IRQ_MASK_UNHANDLED);
		kerr("irq %d (%s): nobody cared for %u of the last %u "
		    "interrupts; line disabled (handlers: %s%s)", desc->id_irq,
		    desc->id_name, desc->id_unh_none, desc->id_unh_total,
		    desc->id_actions ? desc->id_actions->ia_name : "none",
		    desc->id_actions && desc->id_actions->ia_next ? ", ..." : "");
	}
	desc->id_unh_total = desc->id_unh_none = 0;
}

/* The rules of interrupt context. */

static const char *const mode_upper[IRQ_NMODES] = {
	[IRQ_MODE_DEFAULT] = "DEFAULT", [IRQ_MODE_HARD] = "HARD",
	[IRQ_MODE_THREAD] = "THREAD", [IRQ_MODE_LAZY] = "LAZY",
	[IRQ_MODE_SOURCE] = "SOURCE",
};

/* The function to name: the primary in hard context if it is alone. */
static void *
described_fn(const struct irq_action *ia, enum irq_where where)
{
	if (where == IRQ_WHERE_NESTED_PRIMARY ||
	    (where == IRQ_WHERE_HARD && ia->ia_thread_fn == NULL))
		return (void *)ia->ia_handler;
	return (void *)ia->ia_thread_fn;
}

static const char *
described_mode(const struct irq_action *ia, enum irq_where where)
{
	switch (where) {
	case IRQ_WHERE_HARD:
		return ia->ia_mode == IRQ_MODE_HARD ? "HARD" : "HARD primary";
	case IRQ_WHERE_NESTED_PRIMARY:
		return "NESTED primary";
	case IRQ_WHERE_NESTED:
		return "NESTED";
	case IRQ_WHERE_THREAD:
		break;
	}
	return mode_upper[ia->ia_mode];
}

void
irq_describe(const struct irq_action *ia, enum irq_where where, char *buf,
    size_t size)
{
	static const char *const place[] = {
		[IRQ_WHERE_HARD] = "hard interrupt context",
		[IRQ_WHERE_THREAD] = "interrupt thread",
		[IRQ_WHERE_NESTED_PRIMARY] = "demux thread",
		[IRQ_WHERE_NESTED] = "demux thread",
	};
	char fn[64];

	ksym_format((uintptr_t)described_fn(ia, where), fn, sizeof(fn));
	snprintf(buf, size, "irq %d handler \"%s\" (%s, IRQ_MODE_%s, %s)",
	    ia->ia_desc->id_irq, ia->ia_name, fn, described_mode(ia, where),
	    place[where]);
}

bool
irq_hard_culprit(char *buf, size_t size)
{
	uint64_t was = intr_save();
	struct cpu_data *cd = &curcpu()->ci_data;
	struct irq_action *ia = cd->cpu_intr_depth > 0 ?
	    cd->cpu_intr_action : NULL;
	struct lwp *l = curlwp;

	intr_restore(was);
	if (ia == NULL && l != NULL && l->l_irqnested_primary) {
		irq_describe(l->l_irqnested, IRQ_WHERE_NESTED_PRIMARY, buf, size);
		return true;
	}
	if (ia == NULL)
		return false;
	irq_describe(ia, IRQ_WHERE_HARD, buf, size);
	return true;
}

/* A broken rule panics even inside isolate_call (kern/isolate.h). */
static void __noreturn
rule_broken(struct irq_action *ia, enum irq_where where, const char *what,
    const char *obj, const char *why)
{
	char who[160];

	if (ia == NULL)
		panic_nocatch("%s%s%s in hard interrupt context: %s", what,
		    obj ? " " : "", obj ? obj : "", why);
	irq_describe(ia, where, who, sizeof(who));
	panic_nocatch("%s: %s%s%s: %s", who, what, obj ? " " : "",
	    obj ? obj : "", why);
}

void
irq_forbid_block(const char *what, const char *obj)
{
	uint64_t was = intr_save();
	struct cpu_data *cd = &curcpu()->ci_data;
	int depth = cd->cpu_intr_depth;
	struct irq_action *ia = cd->cpu_intr_action;

	intr_restore(was);
	if (depth > 0)
		rule_broken(ia, IRQ_WHERE_HARD, what, obj, "nothing may block "
		    "in hard interrupt context");
	if (curlwp->l_irqnested != NULL && curlwp->l_irqnested_primary)
		rule_broken(curlwp->l_irqnested, IRQ_WHERE_NESTED_PRIMARY, what,
		    obj, "a primary handler may not block, also where a "
		    "nested demux runs it in its thread");
}

void
irq_forbid_sleep(const char *what, const char *obj)
{
	struct irq_action *ia;

	irq_forbid_block(what, obj);
	if (curlwp->l_softint != NULL) {
		char desc[80];

		panic("soft interrupt handler %s: %s%s%s: soft interrupt "
		    "handlers may block only on mutexes and rwlocks",
		    softint_describe(curlwp->l_softint, desc, sizeof(desc)),
		    what, obj ? " " : "", obj ? obj : "");
	}
	if (curlwp->l_irqnested != NULL)
		rule_broken(curlwp->l_irqnested, IRQ_WHERE_NESTED, what, obj,
		    "the children of a nested demux may block only on mutexes "
		    "and rwlocks, whatever their flags");
	ia = curlwp->l_irqaction;
	if (ia != NULL && !(ia->ia_flags & IRQF_SLEEPABLE))
		rule_broken(ia, IRQ_WHERE_THREAD, what, obj, "interrupt threads "
		    "may block only on mutexes and rwlocks (request with "
		    "IRQF_SLEEPABLE in IRQ_MODE_THREAD to sleep)");
}

/* Statistics and the table. */

int
irq_get_stats(int irq, void *dev, struct irq_stats *st)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_action *ia;

	if (desc == NULL)
		return -ENOENT;
	mutex_enter(&desc->id_lock);
	ia = find_action(desc, dev);
	if (ia != NULL) {
		st->is_primary = ia->ia_nprimary;
		st->is_handled = ia->ia_nhandled;
		st->is_woken = ia->ia_nwoken;
		st->is_thread_runs = ia->ia_nthread;
		st->is_primary_ns = ia->ia_primary_ns;
		st->is_thread_ns = ia->ia_thread_ns;
		st->is_mode = ia->ia_mode;
		st->is_prio = ia->ia_prio;
		st->is_thread = ia->ia_thread;
	}
	mutex_exit(&desc->id_lock);
	return ia != NULL ? 0 : -ENOENT;
}

uint64_t
irq_line_count(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	uint64_t n = 0;

	if (desc != NULL)
		for (unsigned i = 0; i < ncpu; i++)
			n += desc->id_count[i];
	return n;
}

bool
irq_line_disabled(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	return desc != NULL && (desc->id_depth > 0 ||
	    (desc->id_mask & (IRQ_MASK_UNHANDLED | IRQ_MASK_DEAD)));
}

static const char *
line_state(const struct irq_desc *desc)
{
	if (desc->id_mask & IRQ_MASK_UNHANDLED)
		return "dead";
	if (desc->id_mask & IRQ_MASK_DEAD)
		return "faulted";
	if (desc->id_depth > 0)
		return "disabled";
	if (desc->id_mask & IRQ_MASK_SHUTDOWN)
		return "off";
	if (desc->id_mask & IRQ_MASK_THROTTLED)
		return "throttled";
	if (desc->id_chip_masked)
		return "masked";
	return "enabled";
}

static const char *
action_state(const struct irq_action *ia)
{
	unsigned st = ia->ia_work.iw_state;

	if (ia->ia_dead)
		return "dead";
	if (ia->ia_blocked)
		return "blocked";
	if (st & IW_ACTIVE)
		return "running";
	if (st & IW_NEED)
		return "due";
	return "idle";
}

static uint64_t
avg(uint64_t total, uint64_t n)
{
	return n != 0 ? total / n : 0;
}

static void
print_action(const struct irq_action *ia)
{
	printf("      %-12s %-6s %4d %-8s %-16s primary %lu (avg %lu ns, "
	    "%lu handled)", ia->ia_name, irq_demux_nested(ia->ia_desc) ?
	    "nested" : irq_mode_name(ia->ia_mode),
	    ia->ia_prio, action_state(ia),
	    ia->ia_thread ? lwp_name(ia->ia_thread) : "-", ia->ia_nprimary,
	    avg(ia->ia_primary_ns, ia->ia_nprimary), ia->ia_nhandled);
	if (ia->ia_thread_fn != NULL)
		printf(" thread fn %lu (avg %lu ns)", ia->ia_nthread,
		    avg(ia->ia_thread_ns, ia->ia_nthread));
	if (irq_hist_count(&ia->ia_wake_hist) != 0)
		printf(" wake->thread p50 %lu p99 %lu ns",
		    irq_hist_percentile(&ia->ia_wake_hist, 50),
		    irq_hist_percentile(&ia->ia_wake_hist, 99));
	printf("\n");
}

static void
print_line(struct irq_desc *desc)
{
	char route[8];

	if (desc->id_flow == IRQ_FLOW_PERCPU)
		strlcpy(route, "all", sizeof(route));
	else
		snprintf(route, sizeof(route), "cpu%u", cpu_index(desc->id_cpu));
	printf("%4d %-7s %-16s %-7s %-9s %-9s %-5s", desc->id_irq,
	    desc->id_chip->ic_name, desc->id_name, irq_flow_name(desc->id_flow),
	    ipl_name(desc->id_ipl), line_state(desc), route);
	for (unsigned i = 0; i < ncpu; i++)
		printf(" %9lu", desc->id_count[i]);
	if (irq_hist_count(&desc->id_raise_hist) != 0)
		printf("  raise->prim p50 %lu p99 %lu ns",
		    irq_hist_percentile(&desc->id_raise_hist, 50),
		    irq_hist_percentile(&desc->id_raise_hist, 99));
	if (desc->id_storm_episodes != 0)
		printf("  storms %lu (polls %lu, %lu with work)",
		    desc->id_storm_episodes, desc->id_storm_polls,
		    desc->id_storm_busy_polls);
	printf("\n");
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		print_action(ia);
}

void
irq_print_table(void)
{
	printf(" IRQ chip    source           flow    IPL       state     route");
	for (unsigned i = 0; i < ncpu; i++)
		printf("      CPU%u", i);
	printf("\n      action       model  prio state    thread\n");
	mutex_enter(&irq_request_lock);
	for (int irq = 0; irq < NR_IRQS; irq++) {
		struct irq_desc *desc = irq_descs[irq];

		if (desc != NULL && (desc->id_actions != NULL ||
		    irq_line_count(irq) != 0))
			print_line(desc);
	}
	mutex_exit(&irq_request_lock);
}

/*
 * Latency histograms, machine-readable: HIST lines (docs/interrupts.md,
 * "Latency histograms").  A line is built in a buffer and printed by one
 * printf, so other CPUs' output cannot split it.
 */

#define HIST_LINE_MAX	1024	/* 32 buckets of 20 digits fit */
#define HIST_WORD_MAX	64	/* action names, joined for a line */

static const char *const hist_kind_words[] = {
	[IRQ_HIST_RAISE] = "raise", [IRQ_HIST_WAKE] = "wake",
};

/* Each bucket read once, atomically: what the line prints is consistent. */
static void
hist_snapshot(const struct irq_hist *h, struct irq_hist *out)
{
	for (unsigned b = 0; b < IRQ_HIST_BUCKETS; b++)
		out->ih_bucket[b] = __atomic_load_n(&h->ih_bucket[b],
		    __ATOMIC_RELAXED);
}

int
irq_get_hist(int irq, void *dev, enum irq_hist_kind kind,
    uint64_t buckets[IRQ_HIST_BUCKETS])
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_action *ia;
	struct irq_hist h;

	if (kind != IRQ_HIST_RAISE && kind != IRQ_HIST_WAKE)
		return -EINVAL;
	if (desc == NULL)
		return -ENOENT;
	if (kind == IRQ_HIST_RAISE) {
		hist_snapshot(&desc->id_raise_hist, &h);
	} else {
		mutex_enter(&desc->id_lock);
		ia = find_action(desc, dev);
		if (ia != NULL)
			hist_snapshot(&ia->ia_wake_hist, &h);
		mutex_exit(&desc->id_lock);
		if (ia == NULL)
			return -ENOENT;
	}
	memcpy(buckets, h.ih_bucket, sizeof(h.ih_bucket));
	return 0;
}

/*
 * Append name to word (of HIST_WORD_MAX) as part of one field value:
 * blanks, '=', ',' and control characters become '_', so a parser can
 * split the line at blanks and each field at its first '='.
 */
static void
hist_word_append(char *word, const char *name)
{
	size_t n = strlen(word);

	for (; *name != '\0' && n + 1 < HIST_WORD_MAX; name++)
		word[n++] = (*name <= ' ' || *name == '=' || *name == ',' ||
		    *name == 0x7f) ? '_' : *name;
	word[n] = '\0';
}

/*
 * Print src as a HIST line into buf (HIST_LINE_MAX), unless it is empty.
 * Returns 1 if it printed, 0 if not.
 */
static int
print_hist_line(char *buf, int irq, enum irq_hist_kind kind,
    const char *action, const char *model, const struct irq_hist *src)
{
	struct irq_hist h;
	size_t len;

	hist_snapshot(src, &h);
	if (irq_hist_count(&h) == 0)
		return 0;
	len = (size_t)snprintf(buf, HIST_LINE_MAX, "HIST irq=%d kind=%s "
	    "action=%s model=%s unit=ns count=%lu p50=%lu p99=%lu buckets=",
	    irq, hist_kind_words[kind], action, model, irq_hist_count(&h),
	    irq_hist_percentile(&h, 50), irq_hist_percentile(&h, 99));
	for (unsigned b = 0; b < IRQ_HIST_BUCKETS && len < HIST_LINE_MAX; b++)
		len += (size_t)snprintf(buf + len, HIST_LINE_MAX - len, "%s%lu",
		    b == 0 ? "" : ",", h.ih_bucket[b]);
	printf("%s\n", buf);
	return 1;
}

/* The line's raise histogram, then each action's wake histogram. */
static int
print_line_hists(char *buf, struct irq_desc *desc)
{
	char actions[HIST_WORD_MAX] = "", word[HIST_WORD_MAX];
	int n;

	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next) {
		if (actions[0] != '\0')
			hist_word_append(actions, "+");
		hist_word_append(actions, ia->ia_name);
	}
	n = print_hist_line(buf, desc->id_irq, IRQ_HIST_RAISE,
	    actions[0] != '\0' ? actions : "-", "-", &desc->id_raise_hist);
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next) {
		word[0] = '\0';
		hist_word_append(word, ia->ia_name);
		n += print_hist_line(buf, desc->id_irq, IRQ_HIST_WAKE, word,
		    irq_mode_name(ia->ia_mode), &ia->ia_wake_hist);
	}
	return n;
}

int
irq_print_hist(int irq)
{
	int first = irq < 0 ? 0 : irq, last = irq < 0 ? NR_IRQS - 1 : irq;
	char *buf;
	int n = 0;

	if (irq >= 0 && irq_to_desc(irq) == NULL)
		return -ENOENT;
	buf = kmem_alloc(HIST_LINE_MAX, KM_SLEEP);
	mutex_enter(&irq_request_lock);
	for (int i = first; i <= last; i++) {
		struct irq_desc *desc = irq_descs[i];

		if (desc != NULL)
			n += print_line_hists(buf, desc);
	}
	mutex_exit(&irq_request_lock);
	kmem_free(buf, HIST_LINE_MAX);
	return n;
}
