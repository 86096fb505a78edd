/*
 * test_lazy.c: IRQ_MODE_LAZY's pinning: what happens when a lazy
 * interrupt thread blocks, and what the LWP it pinned looks like to
 * others (kern/intr_lazy.c), on self-IPI sources (include/ipisrc.h).
 *
 * Every scenario runs on the stage CPU (ktest.h), so the order in which
 * its threads run is the scheduler's alone.
 */
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <time.h>

#define WAIT_NS		(20ULL * 1000 * 1000 * 1000)
#define HOLDER_PRI	(PRI_KERNEL_MIN + 4)

/* A lazy source whose thread function may take a mutex first. */
struct lsrc {
	int ls_irq;
	kmutex_t *ls_lock;		/* taken by the thread function if set */
	volatile int ls_entered;	/* the thread function started */
	volatile unsigned ls_done;
	volatile int *ls_watch;		/* sampled when the function ends */
	volatile int ls_watch_at_end;
	struct lwp *volatile ls_pinned;	/* what the function's thread pinned */
};

static irqreturn_t
lsrc_primary(int irq, void *arg)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
lsrc_thread(int irq, void *arg)
{
	struct lsrc *s = arg;

	s->ls_pinned = lwp_pinned(curlwp);
	ktest_set_flag(&s->ls_entered);
	if (s->ls_lock != NULL) {
		mutex_enter(s->ls_lock);
		mutex_exit(s->ls_lock);
	}
	if (s->ls_watch != NULL)
		s->ls_watch_at_end = *s->ls_watch;
	__atomic_fetch_add(&s->ls_done, 1, __ATOMIC_ACQ_REL);
	return IRQ_HANDLED;
}

static void
lsrc_start(struct ktest *t, struct lsrc *s, const char *name)
{
	cpuset_t set = cpuset_of(cpu_index(ktest_stage_cpu()));

	s->ls_irq = ipisrc_create(name);
	KT_ASSERT_GE(t, s->ls_irq, 0);
	KT_ASSERT_EQ(t, irq_set_affinity(s->ls_irq, &set), 0);
	KT_ASSERT_EQ(t, request_threaded_irq(s->ls_irq, lsrc_primary,
	    lsrc_thread, IRQF_MODE(IRQ_MODE_LAZY), name, s), 0);
}

static void
lsrc_stop(struct lsrc *s)
{
	free_irq(s->ls_irq, s);
	ipisrc_destroy(s->ls_irq);
}

static bool
wait_done(struct lsrc *s, unsigned want)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += 1000000) {
		if (__atomic_load_n(&s->ls_done, __ATOMIC_ACQUIRE) >= want)
			return true;
		ksleep(1000000);
	}
	return false;
}

/* The low-priority holder: takes the mutex, sleeps until told, lets go. */
struct holder {
	kmutex_t hd_lock;
	volatile int hd_holding, hd_release, hd_after_unlock;
	int hd_pri_after_unlock;
};

static void
holder_main(void *arg)
{
	struct holder *h = arg;

	mutex_enter(&h->hd_lock);
	ktest_set_flag(&h->hd_holding);
	ktest_wait_flag(&h->hd_release, WAIT_NS);
	mutex_exit(&h->hd_lock);
	h->hd_pri_after_unlock = lwp_priority(curlwp);
	ktest_set_flag(&h->hd_after_unlock);
}

/*
 * Busy-wait for a flag that a self-IPI's handler sets, so the interrupt
 * finds this thread running (a sleep would let the idle LWP be pinned).
 */
static bool
spin_until(volatile int *flag)
{
	for (unsigned i = 0; i < 20000000; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		delay_ns(100);
	}
	return false;
}

static void
a_blocked_lazy_handler_boosts_the_holder_and_finishes_first(struct ktest *t)
{
	struct holder h = { 0 };
	struct lsrc a = { 0 }, b = { 0 };
	struct lwp *holder;

	mutex_init(&h.hd_lock, MUTEX_DEFAULT, IPL_NONE);
	ktest_stage_enter();
	lsrc_start(t, &a, "blocker");
	lsrc_start(t, &b, "bystander");
	a.ls_lock = &h.hd_lock;
	a.ls_watch = &h.hd_after_unlock;
	holder = ktest_spawn(t, holder_main, &h, HOLDER_PRI, ktest_stage_cpu(),
	    "holder");
	while (!h.hd_holding)
		yield();

	/* A's function runs pinned over us and blocks: we resume. */
	ipisrc_raise(a.ls_irq);
	KT_ASSERT_TRUE(t, spin_until(&a.ls_entered));
	KT_EXPECT_EQ(t, (void *)a.ls_pinned, (void *)curlwp);
	KT_EXPECT_EQ(t, (void *)lwp_pinned_by(curlwp), NULL);
	KT_EXPECT_EQ(t, a.ls_done, 0U);
	KT_EXPECT_EQ(t, lwp_priority(holder), IRQ_PRIO_DEFAULT);

	/* Another source of the level on this CPU is served meanwhile. */
	ipisrc_raise(b.ls_irq);
	KT_EXPECT_TRUE(t, wait_done(&b, 1));
	KT_EXPECT_EQ(t, a.ls_done, 0U);
	KT_EXPECT_EQ(t, (void *)b.ls_pinned, (void *)curlwp);

	/* The unlock hands the mutex over; A's thread runs before the holder. */
	ktest_set_flag(&h.hd_release);
	KT_EXPECT_TRUE(t, wait_done(&a, 1));
	lwp_join(holder);
	KT_EXPECT_EQ(t, a.ls_watch_at_end, 0);
	KT_EXPECT_EQ(t, h.hd_pri_after_unlock, HOLDER_PRI);
	lsrc_stop(&a);
	lsrc_stop(&b);
	mutex_destroy(&h.hd_lock);
}

/* A waiter on another CPU blocks, not spins, on an owner that is pinned. */
struct spin_probe {
	kmutex_t sp_lock;
	struct lwp *volatile sp_waiter;
	volatile int sp_go, sp_saw_waiter_asleep, sp_done;
};

static void
waiter_main(void *arg)
{
	struct spin_probe *p = arg;

	ktest_wait_flag(&p->sp_go, WAIT_NS);
	mutex_enter(&p->sp_lock);
	mutex_exit(&p->sp_lock);
}

static struct spin_probe *probe;

static irqreturn_t
probe_thread(int irq, void *arg)
{
	struct spin_probe *p = probe;

	ktest_set_flag(&p->sp_go);
	for (unsigned i = 0; i < 2000000 && !p->sp_saw_waiter_asleep; i++) {
		if (lwp_is_sleeping(p->sp_waiter, &p->sp_lock))
			p->sp_saw_waiter_asleep = 1;
		delay_ns(1000);
	}
	ktest_set_flag(&p->sp_done);
	return IRQ_HANDLED;
}

static void
a_waiter_blocks_instead_of_spinning_on_a_pinned_owner(struct ktest *t)
{
	struct spin_probe p = { 0 };
	struct cpu_info *stage = ktest_stage_cpu(), *other = cpu_lookup(0);
	cpuset_t set = cpuset_of(cpu_index(stage));
	int irq;

	if (ncpu < 2)
		ktest_skip(t, "needs two CPUs");
	mutex_init(&p.sp_lock, MUTEX_DEFAULT, IPL_NONE);
	probe = &p;
	lwp_bind(curlwp, stage);
	irq = ipisrc_create("probe");
	KT_ASSERT_GE(t, irq, 0);
	KT_ASSERT_EQ(t, irq_set_affinity(irq, &set), 0);
	KT_ASSERT_EQ(t, request_threaded_irq(irq, lsrc_primary, probe_thread,
	    IRQF_MODE(IRQ_MODE_LAZY), "probe", &p), 0);
	p.sp_waiter = ktest_spawn(t, waiter_main, &p, PRI_KERNEL, other,
	    "waiter");
	mutex_enter(&p.sp_lock);
	ipisrc_raise(irq);	/* the probe runs pinned over us, the owner */
	KT_EXPECT_TRUE(t, spin_until(&p.sp_done));
	mutex_exit(&p.sp_lock);
	lwp_join(p.sp_waiter);
	KT_EXPECT_TRUE(t, p.sp_saw_waiter_asleep);
	free_irq(irq, &p);
	ipisrc_destroy(irq);
	mutex_destroy(&p.sp_lock);
}

KTEST_SUITE(lazy,
    KTEST_CASE(a_blocked_lazy_handler_boosts_the_holder_and_finishes_first),
    KTEST_CASE(a_waiter_blocks_instead_of_spinning_on_a_pinned_owner));
