/*
 * sched.c: the scheduler.
 *
 * Model.  Each CPU has a run queue: one FIFO list per priority (NPRI of
 * them) and a bitmap of the non-empty lists, so the highest runnable
 * priority is found with a few bit scans.  The running LWP is not on the
 * queue.  A CPU runs its highest-priority runnable LWP; among equals in the
 * normal kernel band, a time slice (sched_quantum_ms=, default 10) rotates
 * them; the real-time band is FIFO within a level; the idle LWP runs when
 * nothing else can.  The slice timer runs whenever a CPU runs anything but
 * its idle LWP and looks at the band only when it fires, so an LWP whose
 * priority falls into the kernel band while it runs (an inherited priority
 * given back) is sliced from then on.
 *
 * Switching.  sched_switch() is called at IPL_SCHED with interrupts off by
 * an LWP that is going to sleep (l_stat already LSSLEEP), exiting (LSZOMB)
 * or giving up the CPU (LSONPROC: it is requeued).  It takes the CPU's
 * schedlock, picks the next LWP and calls cpu_switchto with the lock held;
 * the LWP that resumes calls sched_switch_finish(prev), which marks prev's
 * context as saved (l_oncpu = 0) and drops the lock.  A CPU about to run an
 * LWP whose l_oncpu is still set (it is finishing a switch elsewhere) waits
 * for it to clear.  The switch happens with cpu_ipl == IPL_SCHED; each LWP
 * restores its own level after sched_switch returns.
 *
 * Preemption.  Making an LWP runnable (sched_setrunnable) on a CPU whose
 * current LWP has a lower priority sets that CPU's cpu_want_resched (and
 * sends IPI_RESCHED if it is another CPU).  The flag is acted on at the
 * next preemption point of that CPU: return from an interrupt to IPL_NONE,
 * splx() down to IPL_NONE, kpreempt_enable().  So a wake-up or an unlock
 * that readies a higher-priority LWP switches to it before the waker
 * continues.  A CPU holding a spin mutex is never preempted, even one at
 * IPL_NONE: the switch waits for the release of its last spin mutex.
 *
 * Placement and balancing.  A woken LWP goes to the CPU it last ran on if
 * that CPU would run it now, else to an idle CPU, else back to its last
 * CPU.  An idle CPU pulls the highest-priority waiting LWP from the busiest
 * other CPU before halting, and a CPU that preempts an unbound LWP wakes a
 * halted idle CPU to pull it.  Bound LWPs (l_bound) only ever run on their
 * CPU; lwp_bind on oneself migrates through sched_switch_finish.
 *
 * Interrupt threads (kern/intr_lazy.c).  An LWP pinned beneath a lazy
 * interrupt thread (l_pinned_by) is LSONPROC but not the CPU's ci_curlwp
 * and never on a run queue, so no CPU can steal it.  When a pinned
 * interrupt thread blocks (or yields), sched_switch goes back to the LWP
 * it pinned instead of the queue's best, unpinning it: its context is
 * live on this CPU already (l_oncpu stays set throughout).  For preemption
 * the priority of a CPU is that of the LWP at the bottom of its pins: the
 * one that runs once the interrupt threads above it are done.
 *
 * Locking.  cpu_schedlock (a simplelock, interrupts off) covers the run
 * queue, cpu_want_resched and, for LWPs queued or running there, l_stat,
 * l_cpu and l_runq.  Lock order: sleep queue or turnstile lock, then a
 * schedlock; never two schedlocks at once.
 */
#include <cpu.h>
#include <kassert.h>
#include <log.h>
#include <lwp.h>
#include <options.h>
#include <printf.h>
#include <spl.h>
#include <time.h>
#include <timer.h>
#include <trace.h>

#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/simplelock.h>

#include <machine/cpuvar.h>

static uint64_t sched_quantum_ms = 10;
OPTION_U64("sched_quantum_ms", sched_quantum_ms, 1, 1000,
    "time slice among equal-priority kernel threads, in ms");

static void slice_expired(struct timer_event *te, void *arg);

static inline struct cpu_data *
cpudata(struct cpu_info *ci)
{
	return &ci->ci_data;
}

/* Run queue primitives: the CPU's schedlock is held. */

static void
rq_insert(struct runqueue *rq, struct lwp *l, bool at_head)
{
	int pri = l->l_pri;

	KASSERTMSG(!list_on_list(&l->l_runq), "lwp %s already queued", l->l_name);
	if (at_head)
		list_add_head(&rq->rq_queue[pri], &l->l_runq);
	else
		list_add_tail(&rq->rq_queue[pri], &l->l_runq);
	rq->rq_bitmap[pri / 64] |= 1ULL << (pri % 64);
	rq->rq_count++;
}

static void
rq_remove(struct runqueue *rq, struct lwp *l)
{
	int pri = l->l_pri;

	KASSERTMSG(list_on_list(&l->l_runq), "lwp %s not queued", l->l_name);
	list_del_init(&l->l_runq);
	if (list_empty(&rq->rq_queue[pri]))
		rq->rq_bitmap[pri / 64] &= ~(1ULL << (pri % 64));
	rq->rq_count--;
}

static int
rq_highest(const struct runqueue *rq)
{
	for (int w = (int)nitems(rq->rq_bitmap) - 1; w >= 0; w--)
		if (rq->rq_bitmap[w] != 0)
			return w * 64 + 63 - __builtin_clzll(rq->rq_bitmap[w]);
	return -1;
}

static struct lwp *
rq_first(struct runqueue *rq, int pri)
{
	return list_first_entry(&rq->rq_queue[pri], struct lwp, l_runq);
}

void
sched_init_cpu(struct cpu_info *ci)
{
	struct cpu_data *cd = cpudata(ci);

	simple_lock_init(&cd->cpu_schedlock);
	for (int i = 0; i < NPRI; i++)
		list_init(&cd->cpu_rq.rq_queue[i]);
	simple_lock_init(&cd->cpu_timers.tq_lock);
	timer_event_init(&cd->cpu_slice_timer, slice_expired, NULL);
}

void
sched_init(void)
{
	sched_init_cpu(curcpu());
}

static bool
is_timesliced(const struct lwp *l)
{
	return l->l_pri >= PRI_KERNEL_MIN && l->l_pri <= PRI_KERNEL_MAX;
}

static int
curpri(struct cpu_info *ci)
{
	struct lwp *l = ci->ci_curlwp;

	if (l == NULL)
		return PRI_IDLE;
	while (l->l_pinned != NULL)
		l = l->l_pinned;
	return l->l_pri;
}

/*
 * resched: the CPU should reconsider what it runs because an LWP of
 * priority pri was queued there.  Schedlock of ci held.
 */
static void
resched(struct cpu_info *ci, int pri)
{
	struct cpu_data *cd = cpudata(ci);
	bool idle = ci->ci_curlwp == cd->cpu_idlelwp;

	if (pri <= curpri(ci) && !idle)
		return;
	if (cd->cpu_want_resched)
		return;
	cd->cpu_want_resched = true;
	if (ci != curcpu() && ci->ci_running)
		cpu_send_resched(ci);
}


static bool
cpu_is_idle(struct cpu_info *ci)
{
	return ci->ci_running && ci->ci_curlwp == cpudata(ci)->cpu_idlelwp &&
	    cpudata(ci)->cpu_rq.rq_count == 0;
}

static struct cpu_info *
choose_cpu(struct lwp *l)
{
	struct cpu_info *last = l->l_cpu;

	if (l->l_bound != NULL)
		return l->l_bound;
	if (last != NULL && (cpu_is_idle(last) || l->l_pri > curpri(last)))
		return last;
	for (unsigned i = 0; i < ncpu; i++) {
		struct cpu_info *ci = cpu_infos[(cpu_number() + i) % ncpu];

		if (cpu_is_idle(ci))
			return ci;
	}
	return last != NULL ? last : curcpu();
}

/*
 * sched_rebind: bind l to ci and move it there now: off another CPU's run
 * queue if it waits on one; a running l leaves its CPU at that CPU's next
 * preemption point (sched_switch sends it to its bound CPU); a sleeping l
 * wakes up on ci.  Context: thread or interrupt.
 */
void
sched_rebind(struct lwp *l, struct cpu_info *ci)
{
	uint64_t was = intr_save();
	struct cpu_info *old;
	bool moved = false;

	for (;;) {
		old = l->l_cpu;
		simple_lock(&cpudata(old)->cpu_schedlock);
		if (l->l_cpu == old)
			break;
		simple_unlock(&cpudata(old)->cpu_schedlock);
	}
	l->l_bound = ci;
	if (old != ci && l->l_stat == LSRUN) {
		rq_remove(&cpudata(old)->cpu_rq, l);
		l->l_stat = LSIDL;
		moved = true;
	} else if (old != ci && l->l_stat == LSONPROC && old->ci_curlwp == l) {
		cpudata(old)->cpu_want_resched = true;
		if (old != curcpu())
			cpu_send_resched(old);
	}
	simple_unlock(&cpudata(old)->cpu_schedlock);
	if (moved)
		sched_setrunnable(l);
	intr_restore(was);
}

/*
 * sched_setrunnable: put a sleeping or new LWP on a run queue.
 * Context: any; the caller holds the lock that covered l's sleep (or owns
 * the new LWP).
 */
void
sched_setrunnable(struct lwp *l)
{
	uint64_t was = intr_save();
	struct cpu_info *ci = choose_cpu(l);
	struct cpu_data *cd = cpudata(ci);

	KASSERTMSG(l->l_stat == LSSLEEP || l->l_stat == LSIDL,
	    "sched_setrunnable: lwp %s in state %d", l->l_name, l->l_stat);
	simple_lock(&cd->cpu_schedlock);
	l->l_cpu = ci;
	l->l_stat = LSRUN;
	l->l_wchan = NULL;
	rq_insert(&cd->cpu_rq, l, false);
	resched(ci, l->l_pri);
	simple_unlock(&cd->cpu_schedlock);
	intr_restore(was);
}

/* Lock the schedlock of the CPU l is on; l_cpu may change until locked. */
static struct cpu_info *
lock_lwp_cpu(struct lwp *l)
{
	for (;;) {
		struct cpu_info *ci = l->l_cpu;

		simple_lock(&cpudata(ci)->cpu_schedlock);
		if (ci == l->l_cpu)
			return ci;
		simple_unlock(&cpudata(ci)->cpu_schedlock);
	}
}

/*
 * sched_change_pri: set l's effective priority, moving it within its run
 * queue and asking for a reschedule where that changes who should run.
 * Context: interrupts may be on or off; the caller holds turnstile_lock
 * when the change is an inheritance.
 */
void
sched_change_pri(struct lwp *l, int pri)
{
	uint64_t was = intr_save();
	struct cpu_info *ci = lock_lwp_cpu(l);
	struct cpu_data *cd = cpudata(ci);
	bool queued = l->l_stat == LSRUN && list_on_list(&l->l_runq);

	if (queued)
		rq_remove(&cd->cpu_rq, l);
	l->l_pri = pri;
	if (queued) {
		rq_insert(&cd->cpu_rq, l, false);
		resched(ci, pri);
	} else if (l->l_stat == LSONPROC && ci->ci_curlwp == l &&
	    rq_highest(&cd->cpu_rq) > pri) {
		resched(ci, rq_highest(&cd->cpu_rq));
	}
	simple_unlock(&cd->cpu_schedlock);
	intr_restore(was);
}

static void
arm_slice(struct cpu_info *ci, struct lwp *next)
{
	struct cpu_data *cd = cpudata(ci);

	if (next != cd->cpu_idlelwp) {
		timer_event_arm(&cd->cpu_slice_timer,
		    nanouptime() + sched_quantum_ms * NS_PER_MS);
	} else {
		timer_event_cancel(&cd->cpu_slice_timer);
	}
}

/* The time slice of the running LWP is over: rotate if an equal waits. */
static void
slice_expired(struct timer_event *te, void *arg)
{
	struct cpu_info *ci = curcpu();
	struct cpu_data *cd = cpudata(ci);
	struct lwp *l = ci->ci_curlwp;

	simple_lock(&cd->cpu_schedlock);
	if (is_timesliced(l) && rq_highest(&cd->cpu_rq) >= l->l_pri)
		cd->cpu_want_resched = true;
	else if (l != cd->cpu_idlelwp)
		timer_event_arm(te, nanouptime() + sched_quantum_ms * NS_PER_MS);
	simple_unlock(&cd->cpu_schedlock);
}

static struct lwp *
pick_next(struct cpu_info *ci)
{
	struct cpu_data *cd = cpudata(ci);
	int pri = rq_highest(&cd->cpu_rq);
	struct lwp *next;

	if (pri < 0)
		return cd->cpu_idlelwp;
	next = rq_first(&cd->cpu_rq, pri);
	rq_remove(&cd->cpu_rq, next);
	return next;
}

static void
account_switch(struct cpu_info *ci, struct lwp *prev, struct lwp *next)
{
	uint64_t now = nanouptime();
	uint64_t ran = now - prev->l_oncpu_since;

	prev->l_runtime_ns += ran;
	if (prev == cpudata(ci)->cpu_idlelwp)
		cpudata(ci)->cpu_idle_ns += ran;
	next->l_oncpu_since = now;
	next->l_switches++;
	cpudata(ci)->cpu_nswitch++;
}

/*
 * Halted time.  The idle loop stamps cpu_halt_since as it halts; the
 * first of the interrupt that wakes the CPU (irq_dispatch calls
 * sched_halt_end before its handlers run) and the idle loop once the halt
 * returns adds the interval to cpu_halted_ns.  So interrupt handlers, and
 * the lazy threads and soft interrupts that run over the idle LWP without
 * a context switch, count as busy, which the idle LWP's run time does not.
 */
void
sched_halt_end(void)
{
	uint64_t was = intr_save();
	struct cpu_data *cd = cpudata(curcpu());

	if (cd->cpu_halt_since != 0) {
		__atomic_fetch_add(&cd->cpu_halted_ns,
		    nanouptime() - cd->cpu_halt_since, __ATOMIC_RELAXED);
		cd->cpu_halt_since = 0;
	}
	intr_restore(was);
}

uint64_t
sched_halted_ns(struct cpu_info *ci)
{
	struct cpu_data *cd = cpudata(ci);
	uint64_t since = __atomic_load_n(&cd->cpu_halt_since, __ATOMIC_RELAXED);
	uint64_t ns = __atomic_load_n(&cd->cpu_halted_ns, __ATOMIC_RELAXED);
	uint64_t now = nanouptime();

	return since != 0 && now > since ? ns + (now - since) : ns;
}

/* Requeue the outgoing LWP if it is still runnable (preempted, yielded). */
static void
requeue_current(struct cpu_info *ci, struct lwp *l)
{
	if (l->l_stat != LSONPROC || l == cpudata(ci)->cpu_idlelwp)
		return;
	if (l->l_bound != NULL && l->l_bound != ci) {
		l->l_stat = LSIDL;	/* sched_switch_finish moves it */
		return;
	}
	l->l_stat = LSRUN;
	rq_insert(&cpudata(ci)->cpu_rq, l, false);
}

/*
 * The pinned interrupt thread l leaves the CPU: the LWP it pinned runs
 * on, unpinned, and a better LWP queued meanwhile preempts it at its next
 * preemption point.  Schedlock held.
 */
static struct lwp *
unpin(struct cpu_info *ci, struct lwp *l)
{
	struct lwp *p = l->l_pinned;

	KASSERTMSG(p->l_pinned_by == l && p->l_stat == LSONPROC,
	    "unpin: %s is not pinned by %s", p->l_name, l->l_name);
	l->l_pinned = NULL;
	p->l_pinned_by = NULL;
	TRACE_LWP(TRACE_UNPIN, TRACE_UNPIN_BLOCK, l, p->l_lid);
	cpudata(ci)->cpu_want_resched = rq_highest(&cpudata(ci)->cpu_rq) > p->l_pri;
	return p;
}

void
sched_switch(void)
{
	struct cpu_info *ci = curcpu();
	struct cpu_data *cd = cpudata(ci);
	struct lwp *l = ci->ci_curlwp, *next, *prev;

	KASSERTMSG(!intr_enabled(), "sched_switch with interrupts enabled");
	KASSERTMSG(cd->cpu_ipl >= IPL_SCHED, "sched_switch at %s",
	    ipl_name(cd->cpu_ipl));
	KASSERTMSG(cd->cpu_intr_depth == 0, "sched_switch from interrupt context");
	KASSERTMSG(cd->cpu_mtx_count == 0,
	    "lwp %s switching with %d spin mutex(es) held", l->l_name,
	    cd->cpu_mtx_count);

	simple_lock(&cd->cpu_schedlock);
	requeue_current(ci, l);
	if (l->l_pinned != NULL) {
		next = unpin(ci, l);
	} else {
		next = pick_next(ci);
		cd->cpu_want_resched = false;
		if (next == l) {
			l->l_stat = LSONPROC;
			arm_slice(ci, l);	/* a new slice, even if the old one ran out */
			simple_unlock(&cd->cpu_schedlock);
			return;
		}
		while (__atomic_load_n(&next->l_oncpu, __ATOMIC_ACQUIRE))
			cpu_spin_pause();
	}
	next->l_oncpu = 1;
	next->l_stat = LSONPROC;
	next->l_cpu = ci;
	account_switch(ci, l, next);
	arm_slice(ci, next);
	TRACE_LWP(TRACE_SWITCH, l->l_stat, next, 0);
	prev = cpu_switchto(l, next);
	sched_switch_finish(prev);
}

void lwp_exited(struct lwp *l);

/*
 * An LWP was preempted and left waiting on self's queue: wake one halted
 * idle CPU, if any, so that it pulls it instead of waiting for its next
 * interrupt.
 */
static void
kick_idle_cpu(struct cpu_info *self)
{
	for (unsigned i = 0; i < ncpu; i++) {
		struct cpu_info *ci = cpu_infos[i];

		if (ci != self && cpu_is_idle(ci) && cpudata(ci)->cpu_idle) {
			cpu_send_resched(ci);
			return;
		}
	}
}

/*
 * sched_switch_finish: the first thing an LWP does after being switched
 * to: release the switch's lock and let prev go where it is going.
 */
void
sched_switch_finish(struct lwp *prev)
{
	struct cpu_info *ci = curcpu();
	int stat = prev->l_stat;

	__atomic_store_n(&prev->l_oncpu, 0, __ATOMIC_RELEASE);
	simple_unlock(&cpudata(ci)->cpu_schedlock);
	if (stat == LSZOMB)
		lwp_exited(prev);
	else if (stat == LSIDL)
		sched_setrunnable(prev);	/* migrating to its bound CPU */
	else if (stat == LSRUN && prev->l_bound == NULL)
		kick_idle_cpu(ci);
}

/*
 * kpreempt: switch away from the current LWP if the CPU should and may;
 * true if it did.  Context: interrupts off; called at IPL_NONE from
 * preemption points.
 */
bool
kpreempt(void)
{
	struct cpu_info *ci = curcpu();
	struct cpu_data *cd = cpudata(ci);
	ipl_t s = cd->cpu_ipl;

	KASSERT(!intr_enabled());
	if (!cd->cpu_want_resched || ci->ci_curlwp->l_nopreempt != 0 ||
	    s != IPL_NONE || cd->cpu_intr_depth != 0 || cd->cpu_mtx_count != 0)
		return false;
	spl_set(IPL_SCHED);
	sched_switch();
	/* We may resume on another CPU: this sets that one's level. */
	spl_set(s);
	return true;
}

void
yield(void)
{
	ipl_t s = splsched();

	sched_switch();
	splx(s);
}

void
kpreempt_disable(void)
{
	curlwp->l_nopreempt++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void
kpreempt_enable(void)
{
	struct lwp *l = curlwp;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	KASSERTMSG(l->l_nopreempt > 0, "kpreempt_enable without disable in %s",
	    l->l_name);
	if (--l->l_nopreempt == 0) {
		uint64_t was = intr_save();

		if (was)
			kpreempt();
		intr_restore(was);
	}
}


/*
 * steal_from: move the best migratable LWP waiting on victim's run queue
 * to ours.  Interrupts off; we hold no schedlock.
 */
static bool
steal_from(struct cpu_info *self, struct cpu_info *victim)
{
	struct cpu_data *vd = cpudata(victim);
	struct lwp *found = NULL;

	if (vd->cpu_rq.rq_count == 0 || !simple_lock_try(&vd->cpu_schedlock))
		return false;
	for (int pri = rq_highest(&vd->cpu_rq); pri >= 0 && found == NULL; pri--) {
		struct list_head *p;

		list_foreach(p, &vd->cpu_rq.rq_queue[pri]) {
			struct lwp *l = list_entry(p, struct lwp, l_runq);

			if (l->l_bound == NULL && !l->l_oncpu) {
				found = l;
				break;
			}
		}
	}
	if (found != NULL) {
		rq_remove(&vd->cpu_rq, found);
		found->l_cpu = self;
	}
	simple_unlock(&vd->cpu_schedlock);
	if (found == NULL)
		return false;
	simple_lock(&cpudata(self)->cpu_schedlock);
	rq_insert(&cpudata(self)->cpu_rq, found, false);
	simple_unlock(&cpudata(self)->cpu_schedlock);
	return true;
}

static bool
steal(struct cpu_info *self)
{
	struct cpu_info *busiest = NULL;
	unsigned most = 0;

	for (unsigned i = 0; i < ncpu; i++) {
		struct cpu_info *ci = cpu_infos[i];

		if (ci != self && ci->ci_running &&
		    cpudata(ci)->cpu_rq.rq_count > most) {
			most = cpudata(ci)->cpu_rq.rq_count;
			busiest = ci;
		}
	}
	return busiest != NULL && steal_from(self, busiest);
}

/*
 * sched_idle: the idle loop of the CPU, run by its idle LWP.  It halts
 * when there is nothing to run and nothing to steal; any interrupt (a
 * wake-up IPI, a timer) ends the halt.
 */
void
sched_idle(void)
{
	struct cpu_info *ci = curcpu();
	struct cpu_data *cd = cpudata(ci);

	ci->ci_curlwp->l_oncpu_since = nanouptime();
	spl_set(IPL_NONE);
	for (;;) {
		cpu_intr_disable();
		if (cd->cpu_rq.rq_count == 0 && !cd->cpu_want_resched &&
		    !steal(ci)) {
			cd->cpu_idle = true;
			cd->cpu_halt_since = nanouptime();
			cpu_idle_halt();
			sched_halt_end();
			cd->cpu_idle = false;
			continue;
		}
		spl_set(IPL_SCHED);
		sched_switch();
		splx(IPL_NONE);
	}
}

