/*
 * irq_fault.c: fault isolation and restart for interrupt handlers.
 *
 * Catching.  isolate_call (kern/isolate.h) arms a catch in the calling
 * LWP: a record on its own stack (struct isolate_catch) holding the
 * machine's saved registers (cpu_catch_save, machine/catch.h), the CPU
 * state to come back to and the caller's idea of who runs.  l_catch points
 * at the innermost one; each links the one it hides.  An exception
 * (trap.c calls isolate_trap) or a panic or failed KASSERT (panic.c calls
 * isolate_panic) looks at curlwp's catch and takes it only if the CPU is
 * in thread context (cpu_intr_depth 0), holds exactly the spin locks it
 * held at the call, is not panicking already, and is not running a
 * primary handler for a nested demux (l_irqnested_primary: primaries are
 * trusted as in hard context, and unwinding out of the child's flow would
 * leave it claimed for good).  Then, with interrupts
 * off and the catch unhooked (a fault while reporting panics), it fills
 * the report in the catch record, which lives above everything the fault
 * left on the stack, and resumes the saved registers: isolate_call
 * returns a second time, from any stack, including an exception's IST
 * stack, which is simply abandoned.  Back in isolate_call the CPU state
 * is put back (spin-lock count and saved IPL, preemption-disable count, a
 * console section left open, the IPL with spl_lower so that spl=soft
 * replays what was deferred meanwhile, the interrupt flag), the report is
 * copied into the ring and logged, and returned.
 *
 * The ring keeps the last IRQ_FAULT_RING reports, each with the registers
 * and backtrace; irq_fault_count counts all.
 *
 * Interrupt actions.  irq_run_isolated runs a thread function in thread
 * context under a catch.  On a fault the action dies: ia_dead is set under
 * id_lock (run_actions skips its primary, irq_run_thread_fn its thread
 * function), the line is masked (IRQ_MASK_DEAD) if no live action is
 * left on it, and the action is queued for the fault service thread.
 * irq_run_isolated then returns normally, so the thread that ran it does
 * its accounting (IA_ACTIVE, ONESHOT, synchronize_irq) as after any run.
 * The service thread, in plain thread context, detaches the dead action
 * (irq_remove_dead: unlink, new snapshot, wait for flows, stop the
 * action's thread, which leaves its loop by itself since it is idle, and
 * free it), then calls the driver's restart hook if the rate limit allows,
 * itself under a catch (a hook that faults fails the restart).
 *
 * Restart records.  Hooks and restart times are kept per (irq, dev) in
 * struct restart_rec, apart from the action, so that they outlive its
 * death and apply to the action the hook requests anew; a hook that
 * returns another IRQ moves its record there.  free_irq of a live action
 * forgets its record; free_irq of an action the service already detached
 * is allowed and does nothing else.
 *
 * Locking.  ring_lock (spin, IPL_HIGH) covers the ring and fault_total.
 * svc_lock (adaptive) covers the service queue (ia_fault_* of queued
 * actions) and svc_started; the queue holds actions that are still
 * linked, and free_irq unqueues one before freeing it.  rec_lock
 * (adaptive) covers the records.  Order: irq_request_lock, then svc_lock
 * or rec_lock; none of these is held while a hook runs.  l_catch and the
 * catch records are touched only by their own LWP.
 */
#include <cons.h>
#include <condvar.h>
#include <cpu.h>
#include <irq.h>
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
#include <kern/isolate.h>
#include <kern/ksyms.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/panic_impl.h>

#include <machine/cpuvar.h>

#define RESTARTS_MAX	16	/* most restarts irq_restarts= may allow */

static uint64_t restart_max = 3;
OPTION_U64("irq_restarts", restart_max, 0, RESTARTS_MAX,
    "restarts of a faulting interrupt handler allowed within "
    "irq_restart_window seconds; a further fault leaves it dead");
static uint64_t restart_window_s = 60;
OPTION_U64("irq_restart_window", restart_window_s, 1, 86400,
    "seconds over which irq_restarts counts a handler's restarts");

struct isolate_catch {
	struct cpu_catch ic_regs;
	struct isolate_catch *ic_prev;
	const struct fault_who *ic_who;
	int ic_mtx_count;		/* the CPU's, at the call */
	ipl_t ic_oldspl;
	ipl_t ic_ipl;
	uint64_t ic_intr;		/* interrupts were enabled */
	int ic_nopreempt;		/* the LWP's */
	struct fault_report ic_report;	/* filled at the fault */
};

static kmutex_t ring_lock;
static struct fault_report ring[IRQ_FAULT_RING];	/* ring_lock */
static unsigned fault_total;				/* ring_lock */

/* Catching. */

static void
catch_arm(struct isolate_catch *c, struct lwp *l, const struct fault_who *who)
{
	uint64_t was = intr_save();
	struct cpu_data *cd = &curcpu()->ci_data;

	KASSERTMSG(cd->cpu_intr_depth == 0, "isolate_call(%s %d %s) in hard "
	    "interrupt context", who->fw_kind, who->fw_irq, who->fw_name);
	KASSERTMSG(!cons_held(), "isolate_call(%s %d %s) inside a console "
	    "section", who->fw_kind, who->fw_irq, who->fw_name);
	c->ic_who = who;
	c->ic_mtx_count = cd->cpu_mtx_count;
	c->ic_oldspl = cd->cpu_mtx_oldspl;
	c->ic_ipl = cd->cpu_ipl;
	c->ic_intr = was;
	c->ic_nopreempt = l->l_nopreempt;
	c->ic_prev = l->l_catch;
	l->l_catch = c;
	intr_restore(was);
}

/*
 * The catch that may take a fault now, unhooked, or NULL.  Interrupts
 * are off.
 */
static struct isolate_catch *
catch_take(void)
{
	struct cpu_data *cd = &curcpu()->ci_data;
	struct lwp *l = curlwp;
	struct isolate_catch *c = l != NULL ? l->l_catch : NULL;

	if (c == NULL || cd->cpu_intr_depth != 0 || panic_in_progress() ||
	    cd->cpu_mtx_count != c->ic_mtx_count || l->l_irqnested_primary)
		return NULL;
	l->l_catch = NULL;
	return c;
}

static void
report_begin(struct isolate_catch *c, const char *what, int vector)
{
	struct fault_report *r = &c->ic_report;
	struct irq_fault_info *fi = &r->fr_info;
	const struct fault_who *w = c->ic_who;

	memset(r, 0, sizeof(*r));
	strlcpy(fi->fi_kind, w->fw_kind, sizeof(fi->fi_kind));
	fi->fi_irq = w->fw_irq;
	strlcpy(fi->fi_name, w->fw_name, sizeof(fi->fi_name));
	strlcpy(fi->fi_model, w->fw_model, sizeof(fi->fi_model));
	ksym_format((uintptr_t)w->fw_fn, fi->fi_fn, sizeof(fi->fi_fn));
	fi->fi_cpu = cpu_number();
	strlcpy(fi->fi_lwp, curlwp->l_name, sizeof(fi->fi_lwp));
	fi->fi_vector = vector;
	strlcpy(fi->fi_what, what, sizeof(fi->fi_what));
	fi->fi_spinlocks = curcpu()->ci_data.cpu_mtx_count;
	fi->fi_ns = nanouptime();
	fi->fi_fate = strcmp(w->fw_kind, "irq") == 0 ? IRQ_FAULT_PENDING :
	    IRQ_FAULT_REPORTED;
}

void
isolate_trap(struct trapframe *tf, const char *what, uint64_t addr,
    const char *msg)
{
	struct isolate_catch *c = catch_take();
	struct fault_report *r;

	if (c == NULL)
		return;
	r = &c->ic_report;
	report_begin(c, what, (int)tf->tf_vector);
	r->fr_info.fi_pc = tf->tf_rip;
	r->fr_info.fi_addr = addr;
	strlcpy(r->fr_info.fi_msg, msg, sizeof(r->fr_info.fi_msg));
	r->fr_has_frame = true;
	r->fr_frame = *tf;
	r->fr_npc = cpu_backtrace_collect(tf->tf_rip, tf->tf_rbp, r->fr_pc,
	    FAULT_BT_MAX);
	cpu_catch_resume(&c->ic_regs);
}

void
isolate_panic(const char *what, uint64_t fp, const char *fmt, va_list ap)
{
	uint64_t was = intr_save();
	struct isolate_catch *c = catch_take();
	struct fault_report *r;

	if (c == NULL) {
		intr_restore(was);
		return;
	}
	r = &c->ic_report;
	report_begin(c, what, -1);
	vsnprintf(r->fr_info.fi_msg, sizeof(r->fr_info.fi_msg), fmt, ap);
	r->fr_npc = cpu_backtrace_collect(0, fp, r->fr_pc, FAULT_BT_MAX);
	cpu_catch_resume(&c->ic_regs);
}

/* Back from a fault: the CPU and LWP state of the call.  Interrupts off. */
static void
catch_restore(struct isolate_catch *c, struct lwp *l)
{
	struct cpu_data *cd = &curcpu()->ci_data;

	KASSERT(!intr_enabled());
	cd->cpu_mtx_count = c->ic_mtx_count;
	cd->cpu_mtx_oldspl = c->ic_oldspl;
	l->l_nopreempt = c->ic_nopreempt;
	l->l_catch = c->ic_prev;
	cons_abandon();
	spl_lower(c->ic_ipl, false);
	intr_restore(c->ic_intr);
}

static void report_log(const struct fault_report *r);

/* Keep r in the ring; returns its copy there. */
static const struct fault_report *
ring_add(struct fault_report *r)
{
	struct fault_report *slot;

	mutex_enter(&ring_lock);
	r->fr_info.fi_seq = fault_total++;
	slot = &ring[r->fr_info.fi_seq % IRQ_FAULT_RING];
	*slot = *r;
	mutex_exit(&ring_lock);
	return slot;
}

const struct fault_report *
isolate_call(void (*fn)(void *), void *arg, const struct fault_who *who)
{
	struct lwp *l = curlwp;
	struct isolate_catch c;
	const struct fault_report *r;

	catch_arm(&c, l, who);
	if (cpu_catch_save(&c.ic_regs) == 0) {
		fn(arg);
		l->l_catch = c.ic_prev;
		return NULL;
	}
	catch_restore(&c, l);
	r = ring_add(&c.ic_report);
	report_log(&c.ic_report);
	return r;
}

/* Reports. */

static void
print_backtrace(const struct fault_report *r)
{
	char buf[96];

	printf("backtrace:\n");
	for (unsigned i = 0; i < r->fr_npc; i++) {
		uint64_t pc = r->fr_pc[i];
		/* A return address names its call site one byte before. */
		uint64_t at = i == 0 && r->fr_has_frame ? pc : pc - 1;

		printf("    #%u %#lx %s\n", i, pc, ksym_format(at, buf,
		    sizeof(buf)));
	}
}

static void
report_headline(const struct irq_fault_info *fi, char *buf, size_t size)
{
	if (fi->fi_irq >= 0)
		snprintf(buf, size, "%s %d handler \"%s\" (%s, model %s, cpu%u, "
		    "lwp %s)", fi->fi_kind, fi->fi_irq, fi->fi_name, fi->fi_fn,
		    fi->fi_model, fi->fi_cpu, fi->fi_lwp);
	else
		snprintf(buf, size, "%s handler \"%s\" (%s, model %s, cpu%u, "
		    "lwp %s)", fi->fi_kind, fi->fi_name, fi->fi_fn,
		    fi->fi_model, fi->fi_cpu, fi->fi_lwp);
}

static void
report_details(const struct fault_report *r)
{
	if (r->fr_info.fi_spinlocks > 0)
		printf("%d spin lock(s) held at the call stay held\n",
		    r->fr_info.fi_spinlocks);
	if (r->fr_has_frame)
		cpu_print_regs(&r->fr_frame, r->fr_info.fi_addr);
	print_backtrace(r);
}

/* Trap and KASSERT messages say what they are; panic() messages do not. */
static const char *
msg_prefix(const struct irq_fault_info *fi)
{
	return strcmp(fi->fi_what, "panic()") == 0 ? "panic(): " : "";
}

/* The report, at once: the headline in the log, then the details. */
static void
report_log(const struct fault_report *r)
{
	const struct irq_fault_info *fi = &r->fr_info;
	char who[160];

	report_headline(fi, who, sizeof(who));
	kerr("fault #%u isolated: %s: %s%s", fi->fi_seq, who, msg_prefix(fi),
	    fi->fi_msg);
	report_details(r);
}

unsigned
irq_fault_count(void)
{
	return __atomic_load_n(&fault_total, __ATOMIC_ACQUIRE);
}

/* Copy report seq out of the ring (whole, or just its info).  */
static int
ring_get(unsigned seq, struct fault_report *r, struct irq_fault_info *fi)
{
	int error = 0;

	mutex_enter(&ring_lock);
	if (seq >= fault_total)
		error = -ENOENT;
	else if (fault_total - seq > IRQ_FAULT_RING)
		error = -ERANGE;
	else if (r != NULL)
		*r = ring[seq % IRQ_FAULT_RING];
	else
		*fi = ring[seq % IRQ_FAULT_RING].fr_info;
	mutex_exit(&ring_lock);
	return error;
}

int
irq_fault_get(unsigned seq, struct irq_fault_info *out)
{
	return ring_get(seq, NULL, out);
}

static void
set_fate(unsigned seq, enum irq_fault_fate fate)
{
	mutex_enter(&ring_lock);
	if (seq < fault_total && fault_total - seq <= IRQ_FAULT_RING)
		ring[seq % IRQ_FAULT_RING].fr_info.fi_fate = fate;
	mutex_exit(&ring_lock);
}

const char *
irq_fault_fate_name(enum irq_fault_fate fate)
{
	static const char *const names[] = {
		[IRQ_FAULT_PENDING] = "pending", [IRQ_FAULT_DEAD] = "dead",
		[IRQ_FAULT_RESTARTED] = "restarted",
		[IRQ_FAULT_RESTART_FAILED] = "restart failed",
		[IRQ_FAULT_KEPT_DEAD] = "kept dead (rate limit)",
		[IRQ_FAULT_FREED] = "freed by its driver",
		[IRQ_FAULT_REPORTED] = "reported to its dispatcher",
	};

	return (unsigned)fate < nitems(names) ? names[fate] : "?";
}

void
irq_print_faults(void)
{
	struct fault_report *r = kmem_alloc(sizeof(*r), KM_SLEEP);
	unsigned total = irq_fault_count();
	unsigned first = total > IRQ_FAULT_RING ? total - IRQ_FAULT_RING : 0;
	char who[160];

	printf("%u handler fault(s) isolated since boot", total);
	printf(total > IRQ_FAULT_RING ? ", the last %u kept:\n" : "\n",
	    IRQ_FAULT_RING);
	for (unsigned seq = first; seq < total; seq++) {
		if (ring_get(seq, r, NULL) != 0)
			continue;
		report_headline(&r->fr_info, who, sizeof(who));
		printf("#%u at %lu ms: %s\n    %s%s\n    fate: %s\n", seq,
		    r->fr_info.fi_ns / NS_PER_MS, who, msg_prefix(&r->fr_info),
		    r->fr_info.fi_msg, irq_fault_fate_name(r->fr_info.fi_fate));
		report_details(r);
	}
	kmem_free(r, sizeof(*r));
}

/* Interrupt actions: the fault service and its queue. */

static kmutex_t svc_lock;
static kcondvar_t svc_cv;
static struct irq_action *svc_head, *svc_tail;	/* svc_lock */
static bool svc_started;			/* svc_lock */

static void
call_thread_fn(void *arg)
{
	struct irq_action *ia = arg;

	(void)ia->ia_thread_fn(ia->ia_desc->id_irq, ia->ia_dev);
}

/* The model a thread function runs under in this thread. */
static const char *
model_here(const struct irq_action *ia)
{
	if (curlwp->l_irqnested == ia)
		return "nested";
	return curlwp == ia->ia_thread ? irq_mode_name(IRQ_MODE_THREAD) :
	    irq_mode_name(ia->ia_mode);
}

static void
action_kill(struct irq_action *ia)
{
	struct irq_desc *desc = ia->ia_desc;

	mutex_enter(&desc->id_lock);
	ia->ia_dead = true;
	irq_update_dead_mask(desc);
	mutex_exit(&desc->id_lock);
}

static void
svc_enqueue(struct irq_action *ia, const struct fault_report *r)
{
	mutex_enter(&svc_lock);
	KASSERTMSG(!ia->ia_fault_queued, "irq %d handler %s queued twice for "
	    "the fault service", ia->ia_desc->id_irq, ia->ia_name);
	ia->ia_fault_seq = r->fr_info.fi_seq;
	ia->ia_fault_cpu = r->fr_info.fi_cpu;
	ia->ia_fault_model = model_here(ia);
	ia->ia_fault_queued = true;
	ia->ia_fault_next = NULL;
	if (svc_tail != NULL)
		svc_tail->ia_fault_next = ia;
	else
		svc_head = ia;
	svc_tail = ia;
	cv_signal(&svc_cv);
	mutex_exit(&svc_lock);
}

void
irq_run_isolated(struct irq_action *ia)
{
	struct fault_who who = {
		.fw_kind = "irq", .fw_irq = ia->ia_desc->id_irq,
		.fw_name = ia->ia_name, .fw_model = model_here(ia),
		.fw_fn = (void *)ia->ia_thread_fn,
	};
	const struct fault_report *r = isolate_call(call_thread_fn, ia, &who);

	if (r == NULL)
		return;
	action_kill(ia);
	svc_enqueue(ia, r);
}

void
irq_fault_unqueue(struct irq_action *ia)
{
	struct irq_action **pp, *prev = NULL;

	mutex_enter(&svc_lock);
	for (pp = &svc_head; *pp != NULL; prev = *pp, pp = &(*pp)->ia_fault_next) {
		if (*pp != ia)
			continue;
		*pp = ia->ia_fault_next;
		if (svc_tail == ia)
			svc_tail = prev;
		ia->ia_fault_queued = false;
		break;
	}
	mutex_exit(&svc_lock);
}

/* What the service needs of a dead action, copied while it is queued. */
struct svc_job {
	int sj_irq;
	void *sj_dev;
	char sj_name[24];
	const char *sj_model;
	unsigned sj_cpu;
	unsigned sj_seq;
};

static void
svc_take(struct svc_job *j)
{
	struct irq_action *ia;

	mutex_enter(&svc_lock);
	while (svc_head == NULL)
		cv_wait(&svc_cv, &svc_lock);
	ia = svc_head;
	svc_head = ia->ia_fault_next;
	if (svc_head == NULL)
		svc_tail = NULL;
	ia->ia_fault_queued = false;
	j->sj_irq = ia->ia_desc->id_irq;
	j->sj_dev = ia->ia_dev;
	strlcpy(j->sj_name, ia->ia_name, sizeof(j->sj_name));
	j->sj_model = ia->ia_fault_model;
	j->sj_cpu = ia->ia_fault_cpu;
	j->sj_seq = ia->ia_fault_seq;
	mutex_exit(&svc_lock);
}

/* Restart records. */

struct restart_rec {
	struct restart_rec *rr_next;
	int rr_irq;
	void *rr_dev;
	irq_restart_hook_t rr_hook;
	uint64_t rr_when[RESTARTS_MAX];	/* recent restarts, oldest first */
	unsigned rr_n;
	bool rr_detached;		/* its action was detached, not freed */
	bool rr_restarting;		/* its hook runs now */
};

static kmutex_t rec_lock;
static struct restart_rec *recs;	/* rec_lock */

static struct restart_rec *
rec_find(int irq, void *dev)
{
	for (struct restart_rec *rr = recs; rr != NULL; rr = rr->rr_next)
		if (rr->rr_irq == irq && rr->rr_dev == dev)
			return rr;
	return NULL;
}

/* The record of (irq, dev), made if need be.  rec_lock held. */
static struct restart_rec *
rec_get(int irq, void *dev)
{
	struct restart_rec *rr = rec_find(irq, dev);

	if (rr != NULL)
		return rr;
	rr = kmem_zalloc(sizeof(*rr), KM_SLEEP);
	rr->rr_irq = irq;
	rr->rr_dev = dev;
	rr->rr_next = recs;
	recs = rr;
	return rr;
}

static void
rec_drop(struct restart_rec *rr)
{
	struct restart_rec **pp = &recs;

	while (*pp != rr)
		pp = &(*pp)->rr_next;
	*pp = rr->rr_next;
	kmem_free(rr, sizeof(*rr));
}

int
irq_set_restart_hook(int irq, void *dev, irq_restart_hook_t hook)
{
	struct irq_stats st;

	if (irq_get_stats(irq, dev, &st) != 0)
		return -ENOENT;
	mutex_enter(&rec_lock);
	rec_get(irq, dev)->rr_hook = hook;
	mutex_exit(&rec_lock);
	return 0;
}

void
irq_fault_forget(int irq, void *dev)
{
	struct restart_rec *rr;

	mutex_enter(&rec_lock);
	rr = rec_find(irq, dev);
	if (rr != NULL && !rr->rr_restarting)
		rec_drop(rr);
	mutex_exit(&rec_lock);
}

bool
irq_fault_detached(int irq, void *dev)
{
	struct restart_rec *rr;
	bool detached;

	mutex_enter(&rec_lock);
	rr = rec_find(irq, dev);
	detached = rr != NULL && rr->rr_detached;
	mutex_exit(&rec_lock);
	return detached;
}

void
irq_restart_limit(unsigned *max, uint64_t *window_ns)
{
	*max = (unsigned)restart_max;
	*window_ns = restart_window_s * NS_PER_SEC;
}

/* Restarts of rr within the window before now, forgetting older ones. */
static unsigned
recent_restarts(struct restart_rec *rr, uint64_t now)
{
	uint64_t window = restart_window_s * NS_PER_SEC;
	unsigned old = 0;

	while (old < rr->rr_n && now - rr->rr_when[old] >= window)
		old++;
	memmove(rr->rr_when, rr->rr_when + old,
	    (rr->rr_n - old) * sizeof(rr->rr_when[0]));
	rr->rr_n -= old;
	return rr->rr_n;
}

/*
 * May the job's handler restart now?  Returns its hook, counted as a
 * restart, or NULL with *fate saying why not.
 */
static irq_restart_hook_t
restart_allowed(const struct svc_job *j, enum irq_fault_fate *fate)
{
	struct restart_rec *rr;
	irq_restart_hook_t hook = NULL;
	uint64_t now = nanouptime();

	mutex_enter(&rec_lock);
	rr = rec_get(j->sj_irq, j->sj_dev);
	rr->rr_detached = true;
	if (rr->rr_hook == NULL) {
		*fate = IRQ_FAULT_DEAD;
	} else if (recent_restarts(rr, now) >= restart_max) {
		*fate = IRQ_FAULT_KEPT_DEAD;
	} else {
		hook = rr->rr_hook;
		rr->rr_when[rr->rr_n++] = now;
		rr->rr_restarting = true;
	}
	mutex_exit(&rec_lock);
	return hook;
}

/* The hook returned ret: a new IRQ (the record moves there) or -errno. */
static void
restart_done(const struct svc_job *j, int ret)
{
	struct restart_rec *rr;

	mutex_enter(&rec_lock);
	rr = rec_find(j->sj_irq, j->sj_dev);
	KASSERTMSG(rr != NULL && rr->rr_restarting, "irq %d handler %s: "
	    "restart record lost", j->sj_irq, j->sj_name);
	rr->rr_restarting = false;
	if (ret >= 0) {
		rr->rr_irq = ret;
		rr->rr_detached = false;
	}
	mutex_exit(&rec_lock);
}

struct hook_call {
	irq_restart_hook_t hc_hook;
	int hc_irq;
	void *hc_dev;
	int hc_ret;
};

static void
call_hook(void *arg)
{
	struct hook_call *hc = arg;

	hc->hc_ret = hc->hc_hook(hc->hc_irq, hc->hc_dev);
}

/* The driver's hook is driver code too: a fault in it fails the restart. */
static int
run_hook(const struct svc_job *j, irq_restart_hook_t hook)
{
	struct hook_call hc = { hook, j->sj_irq, j->sj_dev, 0 };
	struct fault_who who = {
		.fw_kind = "irq", .fw_irq = j->sj_irq, .fw_name = j->sj_name,
		.fw_model = "restart", .fw_fn = (void *)hook,
	};
	const struct fault_report *r = isolate_call(call_hook, &hc, &who);

	if (r == NULL)
		return hc.hc_ret;
	set_fate(r->fr_info.fi_seq, IRQ_FAULT_RESTART_FAILED);
	return -EIO;
}

static enum irq_fault_fate
restart(const struct svc_job *j)
{
	enum irq_fault_fate fate = IRQ_FAULT_RESTARTED;
	irq_restart_hook_t hook = restart_allowed(j, &fate);
	int ret;

	if (hook == NULL)
		return fate;
	ret = run_hook(j, hook);
	restart_done(j, ret);
	if (ret < 0) {
		kerr("irq %d handler \"%s\" (model %s, cpu%u): restart hook "
		    "failed (%d); the handler stays dead", j->sj_irq,
		    j->sj_name, j->sj_model, j->sj_cpu, ret);
		return IRQ_FAULT_RESTART_FAILED;
	}
	knotice("irq %d handler \"%s\" (model %s, cpu%u): restarted after "
	    "fault #%u, on irq %d", j->sj_irq, j->sj_name, j->sj_model,
	    j->sj_cpu, j->sj_seq, ret);
	return IRQ_FAULT_RESTARTED;
}

static void
svc_do(const struct svc_job *j)
{
	enum irq_fault_fate fate;

	if (!irq_remove_dead(j->sj_irq, j->sj_dev)) {
		set_fate(j->sj_seq, IRQ_FAULT_FREED);
		return;
	}
	fate = restart(j);
	if (fate == IRQ_FAULT_DEAD)
		kerr("irq %d handler \"%s\" (model %s, cpu%u): detached after "
		    "fault #%u; no restart hook, it stays dead", j->sj_irq,
		    j->sj_name, j->sj_model, j->sj_cpu, j->sj_seq);
	if (fate == IRQ_FAULT_KEPT_DEAD)
		kerr("irq %d handler \"%s\" (model %s, cpu%u): fault #%u after "
		    "%lu restarts within %lu s; it stays dead", j->sj_irq,
		    j->sj_name, j->sj_model, j->sj_cpu, j->sj_seq, restart_max,
		    restart_window_s);
	set_fate(j->sj_seq, fate);
}

static void
svc_main(void *arg)
{
	struct svc_job j;

	for (;;) {
		svc_take(&j);
		svc_do(&j);
	}
}

void
irq_fault_service_start(void)
{
	int error = 0;

	mutex_enter(&svc_lock);
	if (!svc_started)
		error = lwp_create(svc_main, NULL, PRI_INTR_MIN, NULL, 0,
		    "irqfault", NULL);
	if (error == 0)
		svc_started = true;
	mutex_exit(&svc_lock);
	if (error != 0)
		kerr("irq: cannot start the fault service thread (%d); faulted "
		    "handlers will stay attached and dead", error);
}

void
irq_fault_init(void)
{
	mutex_init(&ring_lock, MUTEX_SPIN, IPL_HIGH);
	mutex_init(&svc_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&svc_cv, "irqfault");
	mutex_init(&rec_lock, MUTEX_DEFAULT, IPL_NONE);
}
