/*
 * intr_lazy.c: lazy interrupt threads that pin the LWP they interrupt.
 *
 * Design.  Every CPU has interrupt threads for each level from
 * IPL_SOFTCLOCK to IPL_VM (struct intr_level in cpu_data): the soft
 * interrupt levels run soft interrupt handlers (softint.c), IPL_VM runs
 * the thread functions of IRQ_MODE_LAZY actions.  Work is queued on a
 * CPU's level queue (intr_lazy_queue) and runs when that CPU's level
 * drops below the queue's: spl_lower (splx, and the return from every
 * interrupt) asks intr_lazy_due and calls intr_lazy_run, outside hard
 * interrupt context and with no spin lock held.
 *
 * Pinning.  intr_lazy_run takes a parked thread T of the level and
 * switches to it with cpu_intr_switch: only the stack pointer and curlwp
 * change (no scheduler, no run queue, no FPU or address space to swap).
 * The LWP P that was running stays LSONPROC on this CPU beneath T
 * (P->l_pinned_by = T, T->l_pinned = P), so it cannot run elsewhere or be
 * stolen, and since it is not ci_curlwp it is not "running" for adaptive
 * mutex spinners (lwp_running), which block instead of spinning on an
 * owner that cannot move.  T raises the level to its own, enables
 * interrupts and drains its queue.  When the queue is empty T parks itself
 * again and cpu_intr_switch returns to P: that is the whole fast path.
 *
 * Blocking.  If a handler blocks (an adaptive mutex or rwlock: the rules
 * of kern/irq.c forbid any other sleep), sched_switch sees T->l_pinned
 * and switches back to P instead of picking from the run queue: T becomes
 * an ordinary LWP asleep on a turnstile, lending its priority to the lock
 * holder, and P resumes inside intr_lazy_run (cpu_intr_switch "returns"
 * through cpu_switchto's frame, which has the same layout).  P finishes
 * the switch, tells the work's owner (iwo_blocked: an IRQ masks the
 * blocked handler's own source) and goes on.  Unlike illumos and NetBSD,
 * whose blocked interrupt thread holds its level on that CPU, the next
 * work of the level takes a spare thread from the pool: the pool grows on
 * demand (the grower thread) up to intr_threads_max per level per CPU,
 * and a dispatch that finds every thread blocked leaves the work queued
 * until one comes back, with a log line.  When the blocked thread is
 * handed its lock it is made runnable at its (interrupt) priority, so it
 * preempts whatever runs on its CPU, finishes as a full LWP, drains its
 * queue and parks with an ordinary context switch.
 *
 * Nesting.  T runs at its level with interrupts on; an interrupt of a
 * higher level may run its own lazy work on top of T (T is then the P of
 * that dispatch).  Work of a level never runs over a context at or above
 * that level, holding a spin lock, or in hard interrupt context; it waits
 * for the next spl_lower that allows it.
 *
 * Locking.  A level has two queues.  Work queued on its own CPU (the
 * common case: a hard interrupt handing its thread function over, a soft
 * interrupt scheduled here) goes on the local queue, which only that CPU
 * touches, with interrupts off: no lock.  Other CPUs append to the remote
 * queue under il_lock (a simplelock, interrupts off), and the level's
 * threads splice it onto the local queue when they find it non-empty.
 * cpu_lazy_pending has a bit per level with work on either queue, set
 * with an atomic OR after the work is linked and read locklessly by its
 * CPU; the popper that empties both clears it and then looks at the
 * remote queue again, so a remote append racing with the clear sets it
 * again (both sides are sequentially consistent).  The parked-thread list and
 * the counters belong to the CPU and are touched with interrupts off on
 * it; il_want_grow is atomic (the grower clears it).  A parked thread's
 * old stack frames are dead: the next dispatch starts it afresh at the
 * top of its stack, which is safe once its l_oncpu is clear (the switch
 * away from it finished), asserted by pool_take.
 */
#include <cpu.h>
#include <irq.h>
#include <kassert.h>
#include <log.h>
#include <lwp.h>
#include <options.h>
#include <printf.h>
#include <time.h>
#include <trace.h>

#include <kern/intr_lazy.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/simplelock.h>

#include <machine/cpuvar.h>
#include <machine/pcb.h>
#include <machine/vmparam.h>

#define INITIAL_THREADS	2	/* per level per CPU: one to run, one spare */

static uint64_t intr_threads_max = 8;
OPTION_U64("intr_threads_max", intr_threads_max, INITIAL_THREADS, 64,
    "lazy interrupt threads per level per CPU at most (the pool grows to "
    "it while handlers block)");

static bool grow_wanted;		/* atomic; also the grower's wait channel */

/* The priority a level's threads park at (an IRQ action sets its own). */
static int
level_pri(ipl_t ipl)
{
	static const int pri[INTR_LAZY_NLEVELS] = {
		[IPL_SOFTCLOCK - INTR_LAZY_IPL_MIN] = PRI_SOFTINT_MIN,
		[IPL_SOFTBIO - INTR_LAZY_IPL_MIN] = PRI_SOFTINT_MIN + 8,
		[IPL_SOFTNET - INTR_LAZY_IPL_MIN] = PRI_SOFTINT_MIN + 16,
		[IPL_SOFTSERIAL - INTR_LAZY_IPL_MIN] = PRI_SOFTINT_MIN + 24,
		[IPL_VM - INTR_LAZY_IPL_MIN] = IRQ_PRIO_DEFAULT,
	};

	return pri[ipl - INTR_LAZY_IPL_MIN];
}

static struct intr_level *
level_of(struct cpu_info *ci, ipl_t ipl)
{
	KASSERTMSG(ipl >= INTR_LAZY_IPL_MIN && ipl <= INTR_LAZY_IPL_MAX,
	    "intr_lazy: no interrupt threads at %s", ipl_name(ipl));
	return &ci->ci_data.cpu_ilevel[ipl - INTR_LAZY_IPL_MIN];
}

/* The work protocol. */

void
intr_work_init(struct intr_work *iw, const struct intr_work_ops *ops)
{
	iw->iw_next = NULL;
	iw->iw_state = 0;
	iw->iw_ops = ops;
}

bool
intr_work_due(struct intr_work *iw)
{
	unsigned old = __atomic_fetch_or(&iw->iw_state, IW_NEED,
	    __ATOMIC_ACQ_REL);

	return (old & (IW_NEED | IW_ACTIVE)) == 0;
}

bool
intr_work_claim(struct intr_work *iw)
{
	unsigned old = __atomic_load_n(&iw->iw_state, __ATOMIC_ACQUIRE);

	do {
		if ((old & IW_ACTIVE) || !(old & IW_NEED))
			return false;
	} while (!__atomic_compare_exchange_n(&iw->iw_state, &old,
	    (old & ~IW_NEED) | IW_ACTIVE, false, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE));
	return true;
}

bool
intr_work_release(struct intr_work *iw)
{
	unsigned old = __atomic_load_n(&iw->iw_state, __ATOMIC_ACQUIRE);
	unsigned new;

	do {
		KASSERTMSG(old & IW_ACTIVE, "intr_work_release: %p not claimed",
		    iw);
		new = (old & IW_NEED) ? old & ~IW_NEED : old & ~IW_ACTIVE;
	} while (!__atomic_compare_exchange_n(&iw->iw_state, &old, new, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return (old & IW_NEED) != 0;
}

bool
intr_work_idle(const struct intr_work *iw)
{
	return __atomic_load_n(&iw->iw_state, __ATOMIC_ACQUIRE) == 0;
}

enum intr_work_next
intr_work_unqueue(struct intr_work *iw)
{
	unsigned old = __atomic_fetch_and(&iw->iw_state, ~IW_QUEUED,
	    __ATOMIC_SEQ_CST);

	KASSERTMSG(old & IW_QUEUED, "intr_work_unqueue: %p not queued", iw);
	if ((old & (IW_NEED | IW_ACTIVE)) == IW_NEED)
		return IW_REQUEUE;
	return old == IW_QUEUED ? IW_WENT_IDLE : IW_TAKEN;
}

/* Level queues. */

static uint32_t
level_bit(const struct intr_level *il)
{
	return 1U << il->il_ipl;
}

static void
link_tail(struct intr_work **head, struct intr_work **tail,
    struct intr_work *iw)
{
	iw->iw_next = NULL;
	if (*tail != NULL)
		(*tail)->iw_next = iw;
	else
		__atomic_store_n(head, iw, __ATOMIC_SEQ_CST);
	*tail = iw;
}

static void
set_pending(struct cpu_info *ci, struct intr_level *il)
{
	__atomic_fetch_or(&ci->ci_data.cpu_lazy_pending, level_bit(il),
	    __ATOMIC_SEQ_CST);
}

void
intr_lazy_queue(struct cpu_info *ci, ipl_t ipl, struct intr_work *iw)
{
	struct intr_level *il = level_of(ci, ipl);
	uint64_t was;

	if (__atomic_fetch_or(&iw->iw_state, IW_QUEUED, __ATOMIC_ACQ_REL) &
	    IW_QUEUED)
		return;
	was = intr_save();
	if (ci == curcpu()) {
		link_tail(&il->il_head, &il->il_tail, iw);
		set_pending(ci, il);
	} else {
		simple_lock(&il->il_lock);
		link_tail(&il->il_rhead, &il->il_rtail, iw);
		set_pending(ci, il);
		simple_unlock(&il->il_lock);
		cpu_send_resched(ci);
	}
	intr_restore(was);
}

/* Move what other CPUs queued to the end of the local queue. */
static void
splice_remote(struct intr_level *il)
{
	simple_lock(&il->il_lock);
	if (il->il_tail != NULL)
		il->il_tail->iw_next = il->il_rhead;
	else
		il->il_head = il->il_rhead;
	il->il_tail = il->il_rtail;
	__atomic_store_n(&il->il_rhead, NULL, __ATOMIC_SEQ_CST);
	il->il_rtail = NULL;
	simple_unlock(&il->il_lock);
}

static bool
remote_queued(struct intr_level *il)
{
	return __atomic_load_n(&il->il_rhead, __ATOMIC_SEQ_CST) != NULL;
}

/*
 * level_pop: the first queued work, off the queue, or NULL.  IW_QUEUED
 * stays set: the work's iwo_run clears it once it no longer touches the
 * work.  Its CPU, at the level.
 */
static struct intr_work *
level_pop(struct intr_level *il)
{
	uint64_t was = intr_save();
	struct intr_work *iw;

	KASSERTMSG(il->il_cpu == curcpu(), "intr_lazy: cpu%u pops the %s "
	    "queue of cpu%u", cpu_index(curcpu()), ipl_name(il->il_ipl),
	    cpu_index(il->il_cpu));
	if (il->il_head == NULL && remote_queued(il))
		splice_remote(il);
	iw = il->il_head;
	if (iw != NULL) {
		il->il_head = iw->iw_next;
		if (il->il_head == NULL)
			il->il_tail = NULL;
	}
	if (il->il_head == NULL) {
		__atomic_fetch_and(&il->il_cpu->ci_data.cpu_lazy_pending,
		    ~level_bit(il), __ATOMIC_SEQ_CST);
		if (remote_queued(il))
			set_pending(il->il_cpu, il);
	}
	intr_restore(was);
	return iw;
}

static bool
level_pending(const struct intr_level *il)
{
	return (__atomic_load_n(&il->il_cpu->ci_data.cpu_lazy_pending,
	    __ATOMIC_ACQUIRE) & level_bit(il)) != 0;
}

/* Run everything queued at the level: an interrupt thread, at its level. */
static void
drain(struct intr_level *il)
{
	struct lwp *t = curlwp;
	struct intr_work *iw;

	while (level_pending(il) && (iw = level_pop(il)) != NULL) {
		t->l_iwork = iw;
		iw->iw_ops->iwo_run(iw);
		t->l_iwork = NULL;
	}
}

/* The pool of parked threads: its CPU only, interrupts off. */

static struct lwp *
pool_take(struct intr_level *il)
{
	struct lwp *t = il->il_idle;

	if (t == NULL) {
		il->il_starved++;
		return NULL;
	}
	KASSERTMSG(!t->l_oncpu, "intr_lazy: parked %s still on a CPU",
	    t->l_name);
	il->il_idle = t->l_pool_next;
	il->il_nidle--;
	return t;
}

static void
pool_put(struct intr_level *il, struct lwp *t)
{
	t->l_pool_next = il->il_idle;
	il->il_idle = t;
	il->il_nidle++;
}

/* The state of a parked thread (shown by ps as asleep on its level). */
static void
mark_parked(struct intr_level *il, struct lwp *t)
{
	t->l_stat = LSSLEEP;
	t->l_wchan = il;
	t->l_wmesg = "intrpool";
	t->l_base_pri = t->l_pri = il->il_pri;
}

/* Starvation is counted where it happens and told once a thread can. */
static void
tell_starvation(struct intr_level *il)
{
	uint64_t n = il->il_starved;

	il->il_starved_told = n;
	kwarn("intr: cpu%u %s: all %u interrupt threads were blocked, work "
	    "waited for one (%lu times so far; intr_threads_max=%lu)",
	    cpu_index(il->il_cpu), ipl_name(il->il_ipl), il->il_nthreads, n,
	    intr_threads_max);
}

static inline void
report_starvation(struct intr_level *il)
{
	if (__predict_false(il->il_starved != il->il_starved_told))
		tell_starvation(il);
}

/*
 * A full (unpinned) interrupt thread: drain the level until nothing is
 * left, then park with an ordinary switch.  At the level, interrupts on.
 */
static void __noreturn
finish_and_park(struct intr_level *il)
{
	struct lwp *t = curlwp;

	for (;;) {
		drain(il);
		report_starvation(il);
		(void)splsched();
		if (!level_pending(il))
			break;
		splx(il->il_ipl);
	}
	mark_parked(il, t);
	pool_put(il, t);
	sched_switch();
	panic("intr_lazy: parked thread %s resumed", t->l_name);
}

/*
 * intr_lazy_thread_start: what a dispatched thread runs, on a fresh
 * stack, from cpu_intr_switch: interrupts off, curlwp already t.
 */
void
intr_lazy_thread_start(struct lwp *t)
{
	struct intr_level *il = t->l_ilevel;

	spl_set(il->il_ipl);
	cpu_intr_enable();
	drain(il);
	report_starvation(il);
	if (t->l_pinned == NULL)
		finish_and_park(il);	/* it blocked on the way */
	cpu_intr_disable();
	mark_parked(il, t);
	pool_put(il, t);
	t->l_oncpu = 0;
}

/* Run t pinned over the current LWP; back here when it parks or blocks. */
static void
pin_and_run(struct cpu_info *ci, struct intr_level *il, struct lwp *t)
{
	struct lwp *p = ci->ci_curlwp, *prev;

	t->l_pinned = p;
	p->l_pinned_by = t;
	t->l_stat = LSONPROC;
	t->l_wchan = NULL;
	t->l_oncpu = 1;
	t->l_oncpu_since = nanouptime();	/* its CPU time, if it blocks */
	il->il_runs++;
	TRACE_LWP(TRACE_PIN, 0, t, p->l_lid);
	prev = cpu_intr_switch(p, t, t->l_stack + KSTACK_SIZE);
	if (prev == NULL) {
		p->l_pinned_by = NULL;
		TRACE_LWP(TRACE_UNPIN, TRACE_UNPIN_RETURN, t, p->l_lid);
		return;
	}
	/* t blocked: sched_switch unpinned us and switched back here. */
	sched_switch_finish(prev);
	il->il_blocks++;
	if (prev->l_iwork != NULL && prev->l_iwork->iw_ops->iwo_blocked)
		prev->l_iwork->iw_ops->iwo_blocked(prev->l_iwork);
	if (il->il_nidle == 0 && il->il_nthreads < intr_threads_max) {
		__atomic_store_n(&il->il_want_grow, true, __ATOMIC_RELEASE);
		__atomic_store_n(&grow_wanted, true, __ATOMIC_RELEASE);
		sleepq_wakeup(&grow_wanted, 1);
	}
}

bool
intr_lazy_due(ipl_t s)
{
	return (curcpu()->ci_data.cpu_lazy_pending >> (s + 1)) != 0;
}

bool
intr_lazy_run(ipl_t s)
{
	struct cpu_info *ci = curcpu();
	uint32_t pend = ci->ci_data.cpu_lazy_pending >> (s + 1) << (s + 1);

	KASSERT(!intr_enabled());
	while (pend != 0) {
		ipl_t ipl = 31 - __builtin_clz(pend);
		struct intr_level *il = level_of(ci, ipl);
		struct lwp *t = pool_take(il);

		if (t != NULL) {
			pin_and_run(ci, il, t);
			return true;
		}
		pend &= ~level_bit(il);
	}
	return false;
}

/* Creating threads: at boot, and by the grower when handlers block. */

static void
thread_born(void *arg)
{
	struct intr_level *il = arg;

	curlwp->l_ilevel = il;
	(void)splraise(il->il_ipl);
	finish_and_park(il);
}

static int
add_thread(struct intr_level *il)
{
	static const char *const level_names[INTR_LAZY_NLEVELS] = {
		"softclk", "softbio", "softnet", "softser", "vm",
	};
	char name[LWP_NAME_MAX];
	int error;

	snprintf(name, sizeof(name), "intr%u/%s.%u", cpu_index(il->il_cpu),
	    level_names[il->il_ipl - INTR_LAZY_IPL_MIN], il->il_nthreads);
	error = lwp_create(thread_born, il, il->il_pri, il->il_cpu, LWP_INTR,
	    name, NULL);
	if (error == 0)
		__atomic_fetch_add(&il->il_nthreads, 1, __ATOMIC_RELAXED);
	return error;
}

static void
grow_pools(void)
{
	for (unsigned i = 0; i < ncpu; i++) {
		for (ipl_t ipl = INTR_LAZY_IPL_MIN; ipl <= INTR_LAZY_IPL_MAX;
		    ipl++) {
			struct intr_level *il = level_of(cpu_lookup(i), ipl);

			if (!__atomic_exchange_n(&il->il_want_grow, false,
			    __ATOMIC_ACQ_REL))
				continue;
			if (il->il_nthreads < intr_threads_max &&
			    add_thread(il) != 0)
				kwarn("intr: cpu%u %s: cannot add an interrupt "
				    "thread", i, ipl_name(ipl));
		}
	}
}

static void
grower_main(void *arg)
{
	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(&grow_wanted);

		if (!__atomic_exchange_n(&grow_wanted, false, __ATOMIC_ACQ_REL)) {
			sleepq_block(sc, &grow_wanted, "intrgrow", 0);
			continue;
		}
		sleepq_unlock(sc);
		grow_pools();
	}
}

static void
init_cpu(struct cpu_info *ci)
{
	for (ipl_t ipl = INTR_LAZY_IPL_MIN; ipl <= INTR_LAZY_IPL_MAX; ipl++) {
		struct intr_level *il = level_of(ci, ipl);

		simple_lock_init(&il->il_lock);
		il->il_cpu = ci;
		il->il_ipl = ipl;
		il->il_pri = level_pri(ipl);
		for (unsigned n = 0; n < INITIAL_THREADS; n++)
			if (add_thread(il) != 0)
				panic("intr: cannot create the interrupt threads "
				    "of cpu%u", cpu_index(ci));
	}
}

void
intr_lazy_init(void)
{
	for (unsigned i = 0; i < ncpu; i++)
		init_cpu(cpu_lookup(i));
	if (lwp_create(grower_main, NULL, PRI_INTR_MAX, NULL, 0, "intrgrow",
	    NULL) != 0)
		panic("intr: cannot create the grower thread");
}
