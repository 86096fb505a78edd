/*
 * test_mutex.c: in-kernel tests of spin and adaptive mutexes.
 *
 * Counting tests run many LWPs on every CPU through one critical section
 * that does a deliberately non-atomic read-modify-write, so a mutex that
 * ever lets two LWPs in loses counts.  Ordering tests need to know that
 * waiters are really blocked before the lock is released; they run every
 * LWP involved on one CPU (the stage CPU) with the case's own thread at the
 * lowest kernel priority, so that when it runs again after yield(), every
 * higher-priority helper on that CPU has run until it blocked or slept.
 *
 * What only panics (recursion, releasing a mutex one does not own,
 * sleeping with a spin mutex held) is left to boot-time death tests.
 */
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <spl.h>
#include <time.h>
#include <types.h>

/* How long a helper waits for a flag: a working lock never needs this. */
#define WAIT_NS		(5 * NS_PER_SEC)

#define HAMMER_PER_CPU	2
#define HAMMER_ITERS	2000
#define HAMMER_YIELD_EVERY 64

/*
 * Counting under contention.
 */
struct hammer {
	kmutex_t hm_lock;
	volatile uint64_t hm_count;	/* hm_lock */
	volatile unsigned hm_inside;	/* atomic: LWPs inside right now */
	volatile unsigned hm_overlaps;	/* atomic: entries that found company */
	volatile unsigned hm_bad_ipl;	/* atomic: spin sections below the IPL */
	bool hm_yield;			/* give up the CPU inside, now and then */
	bool hm_spin;			/* a spin mutex: check the IPL inside */
	volatile unsigned hm_ready;	/* atomic: workers at the start line */
	volatile int hm_go;		/* all start together */
};

static struct hammer hammer;

static void
hammer_worker(void *arg)
{
	struct hammer *h = arg;

	/* Start together: one by one, each would finish before the next began. */
	__atomic_add_fetch(&h->hm_ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->hm_go, __ATOMIC_ACQUIRE))
		yield();
	for (unsigned i = 0; i < HAMMER_ITERS; i++) {
		uint64_t v;

		mutex_enter(&h->hm_lock);
		if (__atomic_add_fetch(&h->hm_inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_add_fetch(&h->hm_overlaps, 1, __ATOMIC_RELAXED);
		if (h->hm_spin && curipl() < IPL_VM)
			__atomic_add_fetch(&h->hm_bad_ipl, 1, __ATOMIC_RELAXED);
		v = h->hm_count;
		for (volatile unsigned d = 0; d < 16; d++)
			continue;
		if (h->hm_yield && i % HAMMER_YIELD_EVERY == 0)
			yield();	/* same-CPU peers now find the owner off CPU */
		h->hm_count = v + 1;
		__atomic_sub_fetch(&h->hm_inside, 1, __ATOMIC_RELAXED);
		mutex_exit(&h->hm_lock);
	}
}

static void
hammer_run(struct ktest *t, kmutex_type_t type, ipl_t ipl, bool yield_inside)
{
	struct lwp *lwps[MAXCPUS * HAMMER_PER_CPU];
	unsigned n = ncpu * HAMMER_PER_CPU;
	char name[24];

	hammer.hm_count = 0;
	hammer.hm_inside = 0;
	hammer.hm_overlaps = 0;
	hammer.hm_bad_ipl = 0;
	hammer.hm_yield = yield_inside;
	hammer.hm_spin = type == MUTEX_SPIN;
	hammer.hm_ready = 0;
	hammer.hm_go = 0;
	mutex_init(&hammer.hm_lock, type, ipl);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "hammer%u", i);
		lwps[i] = ktest_spawn(t, hammer_worker, &hammer, PRI_KERNEL,
		    cpu_lookup(i % ncpu), name);
	}
	while (__atomic_load_n(&hammer.hm_ready, __ATOMIC_ACQUIRE) < n)
		ksleep(NS_PER_MS);
	ktest_set_flag(&hammer.hm_go);
	for (unsigned i = 0; i < n; i++)
		KT_EXPECT_EQ(t, lwp_join(lwps[i]), 0);
	KT_EXPECT_EQ(t, hammer.hm_count, (uint64_t)n * HAMMER_ITERS);
	KT_EXPECT_EQ(t, hammer.hm_overlaps, 0U);
	KT_EXPECT_EQ(t, hammer.hm_bad_ipl, 0U);
	KT_EXPECT_EQ(t, mutex_owner(&hammer.hm_lock), NULL);
	mutex_destroy(&hammer.hm_lock);
}

/* Owners stay on CPU: waiters on other CPUs mostly spin. */
static void
adaptive_mutex_counts_exactly_under_contention_on_all_cpus(struct ktest *t)
{
	hammer_run(t, MUTEX_ADAPTIVE, IPL_NONE, false);
}

/* Owners give up the CPU inside now and then: waiters block, get handoffs. */
static void
adaptive_mutex_counts_exactly_when_owners_give_up_the_cpu_inside(struct ktest *t)
{
	hammer_run(t, MUTEX_ADAPTIVE, IPL_NONE, true);
}

static void
spin_mutex_counts_exactly_under_contention_on_all_cpus(struct ktest *t)
{
	hammer_run(t, MUTEX_SPIN, IPL_VM, false);
}

/*
 * IPL handling of spin mutexes.
 */
static void
spin_mutexes_raise_the_ipl_and_restore_it_at_the_last_release(struct ktest *t)
{
	kmutex_t vm, sched;
	ipl_t before = curipl();

	KT_ASSERT_EQ(t, before, IPL_NONE);
	mutex_init(&vm, MUTEX_DEFAULT, IPL_VM);	/* above soft: a spin mutex */
	mutex_init(&sched, MUTEX_SPIN, IPL_SCHED);
	mutex_enter(&vm);
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	mutex_enter(&sched);
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	mutex_exit(&vm);			/* out of order: still one held */
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	mutex_exit(&sched);
	KT_EXPECT_EQ(t, curipl(), before);
	mutex_destroy(&vm);
	mutex_destroy(&sched);
}

/*
 * tryenter and ownership.
 */
static void
tryenter_self(struct ktest *t, kmutex_type_t type, ipl_t ipl)
{
	kmutex_t m;

	mutex_init(&m, type, ipl);
	KT_EXPECT_TRUE(t, mutex_tryenter(&m));
	KT_EXPECT_TRUE(t, mutex_owned(&m));
	KT_EXPECT_EQ(t, mutex_owner(&m), curlwp);
	KT_EXPECT_FALSE(t, mutex_tryenter(&m));	/* held, if only by us */
	KT_EXPECT_TRUE(t, mutex_owned(&m));
	mutex_exit(&m);
	KT_EXPECT_FALSE(t, mutex_owned(&m));
	KT_EXPECT_EQ(t, mutex_owner(&m), NULL);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	KT_EXPECT_TRUE(t, mutex_tryenter(&m));
	mutex_exit(&m);
	mutex_destroy(&m);
}

static void
mutex_tryenter_takes_a_free_mutex_and_refuses_a_held_one(struct ktest *t)
{
	tryenter_self(t, MUTEX_ADAPTIVE, IPL_NONE);
	tryenter_self(t, MUTEX_SPIN, IPL_VM);
}

struct holder {
	kmutex_t *ho_lock;
	volatile int ho_held;
	volatile int ho_release;
	bool ho_spin_wait;	/* busy-wait for ho_release (spin mutexes) */
};

static struct holder holder;
static kmutex_t shared_mutex;

static void
holder_main(void *arg)
{
	struct holder *h = arg;

	mutex_enter(h->ho_lock);
	ktest_set_flag(&h->ho_held);
	if (h->ho_spin_wait) {
		while (!__atomic_load_n(&h->ho_release, __ATOMIC_ACQUIRE))
			continue;
	} else {
		(void)ktest_wait_flag(&h->ho_release, WAIT_NS);
	}
	mutex_exit(h->ho_lock);
}

static void
holder_start(struct ktest *t, struct holder *h, kmutex_t *m, bool spin_wait,
    struct cpu_info *ci, struct lwp **lp)
{
	h->ho_lock = m;
	h->ho_held = 0;
	h->ho_release = 0;
	h->ho_spin_wait = spin_wait;
	*lp = ktest_spawn(t, holder_main, h, PRI_KERNEL, ci, "holder");
}

static void
adaptive_mutex_tryenter_fails_while_another_lwp_holds_it(struct ktest *t)
{
	struct lwp *l;
	bool got;

	mutex_init(&shared_mutex, MUTEX_ADAPTIVE, IPL_NONE);
	holder_start(t, &holder, &shared_mutex, false, NULL, &l);
	KT_EXPECT_TRUE(t, ktest_wait_flag(&holder.ho_held, WAIT_NS));
	got = mutex_tryenter(&shared_mutex);
	KT_EXPECT_FALSE(t, got);
	if (got)
		mutex_exit(&shared_mutex);
	KT_EXPECT_FALSE(t, mutex_owned(&shared_mutex));
	KT_EXPECT_EQ(t, mutex_owner(&shared_mutex), l);
	ktest_set_flag(&holder.ho_release);
	KT_EXPECT_EQ(t, lwp_join(l), 0);
	KT_EXPECT_TRUE(t, mutex_tryenter(&shared_mutex));
	KT_EXPECT_TRUE(t, mutex_owned(&shared_mutex));
	mutex_exit(&shared_mutex);
	mutex_destroy(&shared_mutex);
}

static void
spin_mutex_tryenter_fails_while_another_cpu_holds_it(struct ktest *t)
{
	struct lwp *l;
	bool got;

	if (ncpu < 2)
		ktest_skip(t, "needs a second CPU to hold the spin mutex");
	lwp_bind(curlwp, cpu_lookup(0));
	mutex_init(&shared_mutex, MUTEX_SPIN, IPL_VM);
	holder_start(t, &holder, &shared_mutex, true, cpu_lookup(1), &l);
	KT_EXPECT_TRUE(t, ktest_wait_flag(&holder.ho_held, WAIT_NS));
	got = mutex_tryenter(&shared_mutex);
	KT_EXPECT_FALSE(t, got);
	if (got)
		mutex_exit(&shared_mutex);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);	/* a failed try lowers it again */
	KT_EXPECT_FALSE(t, mutex_owned(&shared_mutex));
	KT_EXPECT_EQ(t, mutex_owner(&shared_mutex), l);
	ktest_set_flag(&holder.ho_release);
	KT_EXPECT_EQ(t, lwp_join(l), 0);
	KT_EXPECT_TRUE(t, mutex_tryenter(&shared_mutex));
	mutex_exit(&shared_mutex);
	mutex_destroy(&shared_mutex);
}

struct owned_probe {
	kmutex_t *op_lock;
	volatile int op_owned;		/* mutex_owned() as the helper saw it */
	struct lwp *volatile op_owner;	/* mutex_owner() as the helper saw it */
};

static void
owned_probe_main(void *arg)
{
	struct owned_probe *p = arg;

	p->op_owned = mutex_owned(p->op_lock);
	p->op_owner = mutex_owner(p->op_lock);
}

static void
mutex_owned_is_true_only_in_the_holding_lwp(struct ktest *t)
{
	static struct owned_probe probe;
	struct lwp *l;

	mutex_init(&shared_mutex, MUTEX_ADAPTIVE, IPL_NONE);
	KT_EXPECT_FALSE(t, mutex_owned(&shared_mutex));
	mutex_enter(&shared_mutex);
	KT_EXPECT_TRUE(t, mutex_owned(&shared_mutex));
	probe.op_lock = &shared_mutex;
	probe.op_owned = -1;
	probe.op_owner = NULL;
	l = ktest_spawn(t, owned_probe_main, &probe, PRI_KERNEL, NULL,
	    "ownedprobe");
	KT_EXPECT_EQ(t, lwp_join(l), 0);
	KT_EXPECT_EQ(t, probe.op_owned, 0);
	KT_EXPECT_EQ(t, probe.op_owner, curlwp);
	mutex_exit(&shared_mutex);
	KT_EXPECT_FALSE(t, mutex_owned(&shared_mutex));
	mutex_destroy(&shared_mutex);
}

/*
 * Handoff.
 */
struct waiter {
	kmutex_t *w_lock;
	int w_pri;
	volatile int w_rank;		/* order in which it got the lock */
};

static volatile unsigned handoff_seq;

static void
waiter_main(void *arg)
{
	struct waiter *w = arg;

	mutex_enter(w->w_lock);
	w->w_rank = (int)__atomic_fetch_add(&handoff_seq, 1, __ATOMIC_SEQ_CST);
	mutex_exit(w->w_lock);
}

static void
mutex_exit_hands_the_mutex_to_a_blocked_waiter_before_it_runs(struct ktest *t)
{
	static struct waiter w;
	struct lwp *l, *owner;
	bool got;

	lwp_bind(curlwp, ktest_stage_cpu());
	mutex_init(&shared_mutex, MUTEX_ADAPTIVE, IPL_NONE);
	handoff_seq = 0;
	w.w_lock = &shared_mutex;
	w.w_rank = -1;
	mutex_enter(&shared_mutex);
	l = ktest_spawn(t, waiter_main, &w, PRI_KERNEL + 8, ktest_stage_cpu(),
	    "waiter");
	yield();		/* it runs, finds us off CPU and blocks */
	KT_EXPECT_EQ(t, w.w_rank, -1);

	kpreempt_disable();	/* the woken waiter may not run yet */
	mutex_exit(&shared_mutex);
	got = mutex_tryenter(&shared_mutex);
	owner = mutex_owner(&shared_mutex);
	if (got)
		mutex_exit(&shared_mutex);
	kpreempt_enable();

	KT_EXPECT_FALSE(t, got);
	KT_EXPECT_EQ(t, owner, l);
	KT_EXPECT_EQ(t, lwp_join(l), 0);
	KT_EXPECT_EQ(t, w.w_rank, 0);
	mutex_destroy(&shared_mutex);
}

/*
 * Waiters arrive one at a time in the order below (so FIFO and LIFO would
 * both give a different answer) and must get the mutex highest priority
 * first, first come first served among equals.
 */
static const int order_pri[] = {
	PRI_KERNEL + 8, PRI_RT_MIN + 26, PRI_KERNEL + 8, PRI_RT_MIN + 6,
	PRI_RT_MIN + 26, PRI_KERNEL + 18,
};
static const int order_expected_rank[] = { 4, 0, 5, 2, 1, 3 };

static void
mutex_is_handed_to_waiters_in_priority_order(struct ktest *t)
{
	static struct waiter w[nitems(order_pri)];
	struct lwp *hl, *wl[nitems(order_pri)];
	char name[24];

	ktest_stage_enter();
	mutex_init(&shared_mutex, MUTEX_ADAPTIVE, IPL_NONE);
	handoff_seq = 0;
	holder_start(t, &holder, &shared_mutex, false, ktest_stage_cpu(), &hl);
	yield();
	KT_ASSERT_TRUE(t, holder.ho_held);
	for (unsigned i = 0; i < nitems(order_pri); i++) {
		w[i].w_lock = &shared_mutex;
		w[i].w_pri = order_pri[i];
		w[i].w_rank = -1;
		snprintf(name, sizeof(name), "waiter%u/%d", i, order_pri[i]);
		wl[i] = ktest_spawn(t, waiter_main, &w[i], order_pri[i],
		    ktest_stage_cpu(), name);
		yield();	/* it blocks before the next one arrives */
		KT_EXPECT_EQ(t, w[i].w_rank, -1);
	}
	ktest_set_flag(&holder.ho_release);
	KT_EXPECT_EQ(t, lwp_join(hl), 0);
	for (unsigned i = 0; i < nitems(order_pri); i++) {
		KT_EXPECT_EQ(t, lwp_join(wl[i]), 0);
		KT_EXPECT_EQ(t, w[i].w_rank, order_expected_rank[i]);
	}
	mutex_destroy(&shared_mutex);
}

KTEST_SUITE(mutex,
    KTEST_CASE(adaptive_mutex_counts_exactly_under_contention_on_all_cpus),
    KTEST_CASE(adaptive_mutex_counts_exactly_when_owners_give_up_the_cpu_inside),
    KTEST_CASE(spin_mutex_counts_exactly_under_contention_on_all_cpus),
    KTEST_CASE(spin_mutexes_raise_the_ipl_and_restore_it_at_the_last_release),
    KTEST_CASE(mutex_tryenter_takes_a_free_mutex_and_refuses_a_held_one),
    KTEST_CASE(adaptive_mutex_tryenter_fails_while_another_lwp_holds_it),
    KTEST_CASE(spin_mutex_tryenter_fails_while_another_cpu_holds_it),
    KTEST_CASE(mutex_owned_is_true_only_in_the_holding_lwp),
    KTEST_CASE(mutex_exit_hands_the_mutex_to_a_blocked_waiter_before_it_runs),
    KTEST_CASE(mutex_is_handed_to_waiters_in_priority_order));
