/*
 * test_sched.c: in-kernel tests of the scheduler: preemption on wake-up,
 * creation and priority change, kpreempt_disable, yield, time slices and
 * real-time FIFO order, placement over CPUs and migration of a preempted
 * thread.
 *
 * Every assertion is about order or counts, never about how long
 * something took: TCG is slow and the host is shared.  Where a case needs
 * to know that "enough" time has passed it uses the kernel clock only as a
 * bound on a poll loop, and the assertion is about what happened meanwhile.
 *
 * Order is recorded with a shared sequence counter: each party takes the
 * next number at the point the case is about.  Cases that test what runs
 * on one CPU bind every thread involved to the same CPU, so that nothing
 * but the scheduler decides the order.
 */
#include <condvar.h>
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <spl.h>
#include <time.h>
#include <timer.h>
#include <types.h>

#define PRI_HIGHER	(PRI_KERNEL + 8)	/* above the case thread */

struct order {
	volatile unsigned o_next;
	volatile unsigned o_child;	/* sequence number the child took */
	volatile unsigned o_parent;	/* ... and the parent */
	volatile bool o_go;
	kmutex_t o_lock;
	kcondvar_t o_cv;
};

static unsigned
take_seq(struct order *o)
{
	return __atomic_fetch_add(&o->o_next, 1, __ATOMIC_SEQ_CST);
}

static void
order_init(struct order *o)
{
	o->o_next = 0;
	o->o_child = o->o_parent = ~0U;
	o->o_go = false;
	mutex_init(&o->o_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&o->o_cv, "order");
}

static void
child_takes_seq(void *arg)
{
	struct order *o = arg;

	o->o_child = take_seq(o);
}

static void
creating_higher_priority_thread_on_own_cpu_runs_it_before_creator_continues(
    struct ktest *t)
{
	struct order o;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	l = ktest_spawn(t, child_takes_seq, &o, PRI_HIGHER, ktest_stage_cpu(),
	    "preempt");
	o.o_parent = take_seq(&o);
	lwp_join(l);
	KT_EXPECT_EQ(t, o.o_child, 0U);
	KT_EXPECT_EQ(t, o.o_parent, 1U);
}

static void
waiter_takes_seq(void *arg)
{
	struct order *o = arg;

	mutex_enter(&o->o_lock);
	while (!o->o_go)
		cv_wait(&o->o_cv, &o->o_lock);
	mutex_exit(&o->o_lock);
	o->o_child = take_seq(o);
}

static void
cv_signal_to_higher_priority_waiter_runs_it_before_waker_continues(
    struct ktest *t)
{
	struct order o;
	struct lwp *l;
	unsigned i;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	l = ktest_spawn(t, waiter_takes_seq, &o, PRI_HIGHER, ktest_stage_cpu(),
	    "waiter");
	for (i = 0; i < 1000 && !cv_has_waiters(&o.o_cv); i++)
		ksleep(NS_PER_MS);
	KT_EXPECT_TRUE(t, cv_has_waiters(&o.o_cv));
	mutex_enter(&o.o_lock);
	o.o_go = true;
	cv_signal(&o.o_cv);
	mutex_exit(&o.o_lock);
	o.o_parent = take_seq(&o);
	lwp_join(l);
	KT_EXPECT_EQ(t, o.o_child, 0U);
	KT_EXPECT_EQ(t, o.o_parent, 1U);
}

static void
kpreempt_disable_holds_off_higher_priority_thread_until_enable(struct ktest *t)
{
	struct order o;
	unsigned before, after;
	bool interrupted;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	kpreempt_disable();
	l = ktest_spawn(t, child_takes_seq, &o, PRI_HIGHER, ktest_stage_cpu(),
	    "nopreempt");
	interrupted = ktest_take_interrupt();
	before = take_seq(&o);
	kpreempt_enable();
	after = take_seq(&o);
	lwp_join(l);
	KT_EXPECT_TRUE(t, interrupted);
	KT_EXPECT_EQ(t, before, 0U);
	KT_EXPECT_EQ(t, o.o_child, 1U);
	KT_EXPECT_EQ(t, after, 2U);
}

static void
nested_kpreempt_disable_holds_off_until_outermost_enable(struct ktest *t)
{
	struct order o;
	unsigned inner, outer;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	kpreempt_disable();
	kpreempt_disable();
	l = ktest_spawn(t, child_takes_seq, &o, PRI_HIGHER, ktest_stage_cpu(),
	    "nopreempt2");
	kpreempt_enable();
	inner = take_seq(&o);
	kpreempt_enable();
	outer = take_seq(&o);
	lwp_join(l);
	KT_EXPECT_EQ(t, inner, 0U);
	KT_EXPECT_EQ(t, o.o_child, 1U);
	KT_EXPECT_EQ(t, outer, 2U);
}

static void
woken_rt_thread_of_equal_priority_waits_for_the_running_one(struct ktest *t)
{
	struct order o;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	lwp_set_priority(curlwp, PRI_RT_MIN);
	l = ktest_spawn(t, child_takes_seq, &o, PRI_RT_MIN, ktest_stage_cpu(),
	    "rtequal");
	o.o_parent = take_seq(&o);
	lwp_join(l);
	lwp_set_priority(curlwp, PRI_KERNEL);
	KT_EXPECT_EQ(t, o.o_parent, 0U);
	KT_EXPECT_EQ(t, o.o_child, 1U);
}

static void
yield_runs_a_queued_thread_of_equal_priority(struct ktest *t)
{
	struct order o;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	lwp_set_priority(curlwp, PRI_RT_MIN);
	l = ktest_spawn(t, child_takes_seq, &o, PRI_RT_MIN, ktest_stage_cpu(),
	    "yieldto");
	yield();
	o.o_parent = take_seq(&o);
	lwp_join(l);
	lwp_set_priority(curlwp, PRI_KERNEL);
	KT_EXPECT_EQ(t, o.o_child, 0U);
	KT_EXPECT_EQ(t, o.o_parent, 1U);
}

/*
 * Time slices.  SPIN_WORKERS CPU-bound threads bound to one CPU count
 * loop iterations and never sleep or yield.  A worker that sees another's
 * count change between two of its own iterations was switched out and back
 * in: it counts a resumption.  The checker is a timer event on the same
 * CPU: a timer interrupt returns to the thread it interrupted, whereas a
 * checker thread that woke up there would itself rotate the workers.
 * Workers count resumptions only while the run is on; stopping it lets
 * them all finish.
 */
#define SPIN_WORKERS	3
#define SPIN_POLL_NS	(5 * NS_PER_MS)

struct spin_run {
	volatile uint64_t sr_count[SPIN_WORKERS];
	volatile uint64_t sr_resumed[SPIN_WORKERS];
	volatile bool sr_stop;
	uint64_t sr_final[SPIN_WORKERS];	/* counts when stopped */
	uint64_t sr_want;		/* stop early once all resumed this often */
	unsigned sr_polls, sr_max_polls;
	struct timer_event sr_te;
};

struct spin_worker {
	struct spin_run *sw_run;
	unsigned sw_id;
};

static uint64_t
others_count(struct spin_run *r, unsigned id)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < SPIN_WORKERS; i++)
		if (i != id)
			sum += r->sr_count[i];
	return sum;
}

static void
spin_worker(void *arg)
{
	struct spin_worker *w = arg;
	struct spin_run *r = w->sw_run;
	uint64_t seen = others_count(r, w->sw_id);

	while (!r->sr_stop) {
		uint64_t now;

		r->sr_count[w->sw_id]++;
		now = others_count(r, w->sw_id);
		if (now != seen) {
			seen = now;
			if (!r->sr_stop)
				r->sr_resumed[w->sw_id]++;
		}
	}
}

static bool
all_resumed(struct spin_run *r)
{
	for (unsigned i = 0; i < SPIN_WORKERS; i++)
		if (r->sr_resumed[i] < r->sr_want)
			return false;
	return true;
}

static void
spin_poll(struct timer_event *te, void *arg)
{
	struct spin_run *r = arg;

	if (++r->sr_polls < r->sr_max_polls && !all_resumed(r)) {
		timer_event_arm(te, nanouptime() + SPIN_POLL_NS);
		return;
	}
	for (unsigned i = 0; i < SPIN_WORKERS; i++)
		r->sr_final[i] = r->sr_count[i];
	r->sr_stop = true;
}

/*
 * run_spinners: run SPIN_WORKERS workers at pri on one CPU until every one
 * has resumed want times or max_polls polls have passed.  The case thread
 * sits above them on the same CPU while it creates them, then sleeps.
 */
static void
run_spinners(struct ktest *t, struct spin_run *r, int pri, uint64_t want,
    unsigned max_polls)
{
	struct spin_worker w[SPIN_WORKERS];
	struct lwp *l[SPIN_WORKERS];
	struct cpu_info *ci = ktest_stage_cpu();
	char name[24];

	for (unsigned i = 0; i < SPIN_WORKERS; i++)
		r->sr_count[i] = r->sr_resumed[i] = r->sr_final[i] = 0;
	r->sr_stop = false;
	r->sr_want = want;
	r->sr_polls = 0;
	r->sr_max_polls = max_polls;
	timer_event_init(&r->sr_te, spin_poll, r);

	lwp_bind(curlwp, ci);
	lwp_set_priority(curlwp, pri + 1);
	for (unsigned i = 0; i < SPIN_WORKERS; i++) {
		w[i].sw_run = r;
		w[i].sw_id = i;
		snprintf(name, sizeof(name), "spin%u", i);
		l[i] = ktest_spawn(t, spin_worker, &w[i], pri, ci, name);
	}
	timer_event_arm(&r->sr_te, nanouptime() + SPIN_POLL_NS);
	for (unsigned i = 0; i < SPIN_WORKERS; i++)
		lwp_join(l[i]);
	lwp_set_priority(curlwp, PRI_KERNEL);
	ktest_log(t, "after %u polls: counts %lu %lu %lu, resumed %lu %lu %lu",
	    r->sr_polls, r->sr_final[0], r->sr_final[1], r->sr_final[2],
	    r->sr_resumed[0], r->sr_resumed[1], r->sr_resumed[2]);
}

static void
equal_priority_cpu_bound_threads_on_one_cpu_are_time_sliced(struct ktest *t)
{
	static struct spin_run r;

	/* Up to 2 s of polling; ten quanta are plenty when slicing works. */
	run_spinners(t, &r, PRI_KERNEL, 2, 400);
	for (unsigned i = 0; i < SPIN_WORKERS; i++) {
		KT_EXPECT_GT(t, r.sr_final[i], 0UL);
		KT_EXPECT_GE(t, r.sr_resumed[i], 2UL);
	}
}

static void
rt_threads_of_equal_priority_are_not_time_sliced(struct ktest *t)
{
	static struct spin_run r;

	/* 100 ms, ten quanta: time-slicing would have rotated them. */
	run_spinners(t, &r, PRI_RT_MIN, ~0UL, 20);
	KT_EXPECT_GT(t, r.sr_final[0], 0UL);
	KT_EXPECT_EQ(t, r.sr_resumed[0], 0UL);
	for (unsigned i = 1; i < SPIN_WORKERS; i++)
		KT_EXPECT_EQ(t, r.sr_final[i], 0UL);
}

/*
 * Priority changes of the running thread.  A thread that drops its own
 * priority below a waiting one yields to it at once; one that drops from
 * the real-time band into the time-sliced band, level with a waiting
 * thread, shares the CPU with it from then on (it must not keep running
 * unsliced just because it was real-time when it was switched to).
 */
static void
lowering_own_priority_below_a_queued_thread_runs_it_at_once(struct ktest *t)
{
	struct order o;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	lwp_set_priority(curlwp, PRI_HIGHER + 1);
	l = ktest_spawn(t, child_takes_seq, &o, PRI_HIGHER, ktest_stage_cpu(),
	    "lowered");
	lwp_set_priority(curlwp, PRI_KERNEL);
	o.o_parent = take_seq(&o);
	lwp_join(l);
	KT_EXPECT_EQ(t, o.o_child, 0U);
	KT_EXPECT_EQ(t, o.o_parent, 1U);
}

static void
raising_a_queued_thread_above_the_running_one_runs_it_at_once(struct ktest *t)
{
	struct order o;
	struct lwp *l;

	order_init(&o);
	lwp_bind(curlwp, ktest_stage_cpu());
	l = ktest_spawn(t, child_takes_seq, &o, PRI_KERNEL, ktest_stage_cpu(),
	    "raised");
	lwp_set_priority(l, PRI_HIGHER);
	o.o_parent = take_seq(&o);
	lwp_join(l);
	KT_EXPECT_EQ(t, o.o_child, 0U);
	KT_EXPECT_EQ(t, o.o_parent, 1U);
}

struct counter {
	volatile uint64_t c_count;
	volatile bool c_stop;
};

static void
count_until_stopped(void *arg)
{
	struct counter *c = arg;

	while (!c->c_stop)
		c->c_count++;
}

static void
thread_lowered_from_rt_to_kernel_band_is_time_sliced(struct ktest *t)
{
	static struct counter c;
	uint64_t give_up, seen;
	struct lwp *l;

	c.c_count = 0;
	c.c_stop = false;
	lwp_bind(curlwp, ktest_stage_cpu());
	lwp_set_priority(curlwp, PRI_RT_MIN);
	ksleep(NS_PER_MS);		/* switched back to as a real-time thread */
	l = ktest_spawn(t, count_until_stopped, &c, PRI_KERNEL,
	    ktest_stage_cpu(), "level");
	lwp_set_priority(curlwp, PRI_KERNEL);
	/* CPU-bound, level with l: 1 s is a hundred quanta. */
	give_up = nanouptime() + NS_PER_SEC;
	while (c.c_count == 0 && nanouptime() < give_up)
		continue;
	seen = c.c_count;
	c.c_stop = true;
	lwp_join(l);
	KT_EXPECT_GT(t, seen, 0UL);
}

/*
 * Placement: unbound CPU-bound threads, more than there are CPUs, each
 * record every CPU they find themselves on.
 */
#define SPREAD_ROUNDS	400

static unsigned
count_cpus(uint64_t set)
{
	unsigned n = 0;

	for (; set != 0; set &= set - 1)
		n++;
	return n;
}

struct spread {
	volatile uint64_t sp_cpus;	/* union of every worker's CPUs */
	volatile bool sp_stop;
};

static void
spread_worker(void *arg)
{
	struct spread *s = arg;

	while (!s->sp_stop) {
		uint64_t bit = 1ULL << cpu_number();

		if (!(s->sp_cpus & bit))
			__atomic_fetch_or(&s->sp_cpus, bit, __ATOMIC_RELAXED);
	}
}

static void
unbound_cpu_bound_threads_spread_over_several_cpus(struct ktest *t)
{
	static struct spread s;
	struct lwp *l[2 * MAXCPUS];
	uint64_t all = ncpu >= 64 ? ~0ULL : (1ULL << ncpu) - 1;
	unsigned n = 2 * ncpu, i;

	if (ncpu < 2)
		ktest_skip(t, "needs 2 CPUs");
	s.sp_cpus = 0;
	s.sp_stop = false;
	for (i = 0; i < n; i++)
		l[i] = ktest_spawn(t, spread_worker, &s, PRI_KERNEL, NULL,
		    "spread");
	for (i = 0; i < SPREAD_ROUNDS && s.sp_cpus != all; i++)
		ksleep(5 * NS_PER_MS);
	s.sp_stop = true;
	for (i = 0; i < n; i++)
		lwp_join(l[i]);
	ktest_log(t, "%u workers ran on CPU set %#lx of %u CPUs", n,
	    s.sp_cpus, ncpu);
	KT_EXPECT_GE(t, count_cpus(s.sp_cpus), 2U);
}

/*
 * Migration of a preempted thread.  A CPU-bound thread W runs on CPU X; a
 * real-time hog bound to X preempts it, so W waits on X's run queue, and
 * only then is W unbound.  The case thread sleeps in short steps on CPU Y,
 * so Y keeps going idle, and an idle CPU pulls waiting work from the
 * busiest CPU: W must resume elsewhere while the hog still holds X, and it
 * must find that CPU at IPL_NONE (the level it was preempted at), as any
 * thread resumes.
 */
#define MIGRATE_GIVE_UP	(10 * NS_PER_SEC)

struct migrate {
	unsigned mg_home;		/* CPU X */
	volatile bool mg_started, mg_moved, mg_hogging, mg_hog_done;
	volatile unsigned mg_new_cpu;
	volatile ipl_t mg_ipl_after_move;
	volatile bool mg_moved_while_hogged;
};

static void
migrate_worker(void *arg)
{
	struct migrate *mg = arg;
	uint64_t give_up = nanouptime() + 2 * MIGRATE_GIVE_UP;

	mg->mg_started = true;
	while (nanouptime() < give_up) {
		unsigned c = cpu_number();

		if (c != mg->mg_home) {
			mg->mg_ipl_after_move = curipl();
			mg->mg_new_cpu = c;
			mg->mg_moved_while_hogged = mg->mg_hogging;
			mg->mg_moved = true;
			return;
		}
	}
}

static void
migrate_hog(void *arg)
{
	struct migrate *mg = arg;
	uint64_t give_up = nanouptime() + MIGRATE_GIVE_UP;

	mg->mg_hogging = true;
	while (!mg->mg_moved && nanouptime() < give_up)
		continue;
	mg->mg_hogging = false;
	mg->mg_hog_done = true;
}

static void
preempted_thread_is_pulled_by_an_idle_cpu_and_resumes_at_ipl_none(
    struct ktest *t)
{
	static struct migrate mg;
	struct lwp *w, *hog;
	unsigned i;

	if (ncpu < 2)
		ktest_skip(t, "needs 2 CPUs");
	mg = (struct migrate){ .mg_home = 0, .mg_new_cpu = ~0U,
	    .mg_ipl_after_move = -1 };
	lwp_bind(curlwp, cpu_lookup(1));
	w = ktest_spawn(t, migrate_worker, &mg, PRI_KERNEL, cpu_lookup(0),
	    "migrant");
	for (i = 0; i < 1000 && !mg.mg_started; i++)
		ksleep(NS_PER_MS);
	KT_ASSERT_TRUE(t, mg.mg_started);
	/* W stays bound until the hog has preempted it: only then may it go. */
	hog = ktest_spawn(t, migrate_hog, &mg, PRI_RT_MIN, cpu_lookup(0),
	    "hog");
	while (!mg.mg_hogging && !mg.mg_hog_done)
		continue;
	lwp_bind(w, NULL);
	while (!mg.mg_hog_done)
		ksleep(NS_PER_MS);
	lwp_join(hog);
	lwp_join(w);
	ktest_log(t, "moved %d to cpu %u while hogged %d, at %s",
	    mg.mg_moved, mg.mg_new_cpu, mg.mg_moved_while_hogged,
	    ipl_name(mg.mg_ipl_after_move));
	KT_EXPECT_TRUE(t, mg.mg_moved);
	KT_EXPECT_TRUE(t, mg.mg_moved_while_hogged);
	KT_EXPECT_EQ(t, mg.mg_ipl_after_move, IPL_NONE);
}

KTEST_SUITE(sched,
    KTEST_CASE(creating_higher_priority_thread_on_own_cpu_runs_it_before_creator_continues),
    KTEST_CASE(cv_signal_to_higher_priority_waiter_runs_it_before_waker_continues),
    KTEST_CASE(kpreempt_disable_holds_off_higher_priority_thread_until_enable),
    KTEST_CASE(nested_kpreempt_disable_holds_off_until_outermost_enable),
    KTEST_CASE(woken_rt_thread_of_equal_priority_waits_for_the_running_one),
    KTEST_CASE(yield_runs_a_queued_thread_of_equal_priority),
    KTEST_CASE(equal_priority_cpu_bound_threads_on_one_cpu_are_time_sliced),
    KTEST_CASE(rt_threads_of_equal_priority_are_not_time_sliced),
    KTEST_CASE(lowering_own_priority_below_a_queued_thread_runs_it_at_once),
    KTEST_CASE(raising_a_queued_thread_above_the_running_one_runs_it_at_once),
    KTEST_CASE(thread_lowered_from_rt_to_kernel_band_is_time_sliced),
    KTEST_CASE(unbound_cpu_bound_threads_spread_over_several_cpus),
    KTEST_CASE(preempted_thread_is_pulled_by_an_idle_cpu_and_resumes_at_ipl_none));
