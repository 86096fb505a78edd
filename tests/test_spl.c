/*
 * test_spl.c: in-kernel tests of interrupt priority levels: splraise and
 * splx, what a raised level holds off (interrupts from IPL_VM up,
 * preemption at every level above IPL_NONE), and spin mutexes, which
 * raise the level and restore it when the CPU's last one is released.
 *
 * Each case binds itself to one CPU: the level is per CPU.
 */
#include <condvar.h>
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <spl.h>
#include <time.h>
#include <timer.h>
#include <types.h>

static void
bind_here(void)
{
	lwp_bind(curlwp, ktest_stage_cpu());
}

static void
splraise_returns_the_old_level_and_splx_restores_it(struct ktest *t)
{
	static const ipl_t levels[] = { IPL_SOFTCLOCK, IPL_SOFTNET, IPL_VM,
	    IPL_SCHED, IPL_HIGH };

	bind_here();
	KT_ASSERT_EQ(t, curipl(), IPL_NONE);
	for (size_t i = 0; i < nitems(levels); i++) {
		ipl_t s = splraise(levels[i]);

		KT_EXPECT_EQ(t, s, IPL_NONE);
		KT_EXPECT_EQ(t, curipl(), levels[i]);
		splx(s);
		KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	}
}

static void
nested_levels_unwind_in_lifo_order_and_never_lower_on_raise(struct ktest *t)
{
	ipl_t s1, s2, s3, s4, s5;

	bind_here();
	s1 = splsoftclock();
	s2 = splsoftnet();
	s3 = splvm();
	s4 = splsched();
	s5 = splraise(IPL_SOFTBIO);	/* lower than current: no change */
	KT_EXPECT_EQ(t, s1, IPL_NONE);
	KT_EXPECT_EQ(t, s2, IPL_SOFTCLOCK);
	KT_EXPECT_EQ(t, s3, IPL_SOFTNET);
	KT_EXPECT_EQ(t, s4, IPL_VM);
	KT_EXPECT_EQ(t, s5, IPL_SCHED);
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	splx(s5);
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	splx(s4);
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	splx(s3);
	KT_EXPECT_EQ(t, curipl(), IPL_SOFTNET);
	splx(s2);
	KT_EXPECT_EQ(t, curipl(), IPL_SOFTCLOCK);
	splx(s1);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
}

static void
count_fire(struct timer_event *te, void *arg)
{
	__atomic_fetch_add((volatile unsigned *)arg, 1, __ATOMIC_RELAXED);
}

/*
 * A timer event already due when armed interrupts at once, unless the
 * level holds it off; then it must arrive when the level comes down.
 */
static void
ipl_sched_holds_off_a_due_timer_interrupt_until_splx(struct ktest *t)
{
	struct timer_event te;
	volatile unsigned fired = 0;
	unsigned while_raised, polls;
	ipl_t s;

	bind_here();
	timer_event_init(&te, count_fire, (void *)&fired);
	s = splsched();
	timer_event_arm(&te, nanouptime());
	delay_ns(10 * NS_PER_MS);
	while_raised = fired;
	splx(s);
	for (polls = 0; polls < 1000 && fired == 0; polls++)
		delay_ns(100 * NS_PER_US);
	(void)timer_event_cancel(&te);
	KT_EXPECT_EQ(t, while_raised, 0U);
	KT_EXPECT_EQ(t, fired, 1U);
}

/*
 * The clock is in the IPL_SCHED band, above IPL_VM: a device-level section
 * does not hold it off, the timer interrupt nests.
 */
static void
ipl_vm_lets_the_clock_interrupt_in(struct ktest *t)
{
	struct timer_event te;
	volatile unsigned fired = 0;
	unsigned polls;
	ipl_t s;

	bind_here();
	timer_event_init(&te, count_fire, (void *)&fired);
	s = splvm();
	timer_event_arm(&te, nanouptime());
	for (polls = 0; polls < 1000 && fired == 0; polls++)
		delay_ns(100 * NS_PER_US);
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	splx(s);
	(void)timer_event_cancel(&te);
	KT_EXPECT_EQ(t, fired, 1U);
}

/*
 * A soft level holds off preemption: a higher-priority thread woken on this
 * CPU runs only when the level drops to IPL_NONE, not when an interrupt
 * returns meanwhile.
 */
struct soft_order {
	kmutex_t so_lock;
	kcondvar_t so_cv;
	bool so_go;
	volatile unsigned so_next, so_child;
};

static void
soft_waiter(void *arg)
{
	struct soft_order *so = arg;

	mutex_enter(&so->so_lock);
	while (!so->so_go)
		cv_wait(&so->so_cv, &so->so_lock);
	mutex_exit(&so->so_lock);
	so->so_child = __atomic_fetch_add(&so->so_next, 1, __ATOMIC_SEQ_CST);
}

static void
soft_level_holds_off_preemption_until_splx_to_none(struct ktest *t)
{
	struct soft_order so = { .so_go = false, .so_next = 0, .so_child = ~0U };
	unsigned raised, lowered;
	bool interrupted;
	struct lwp *l;
	ipl_t s;

	bind_here();
	mutex_init(&so.so_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&so.so_cv, "softorder");
	l = ktest_spawn(t, soft_waiter, &so, PRI_KERNEL + 8, ktest_stage_cpu(),
	    "softwaiter");
	for (unsigned i = 0; i < 1000 && !cv_has_waiters(&so.so_cv); i++)
		ksleep(NS_PER_MS);
	s = splsoftclock();
	mutex_enter(&so.so_lock);
	so.so_go = true;
	cv_signal(&so.so_cv);
	mutex_exit(&so.so_lock);
	interrupted = ktest_take_interrupt();
	raised = __atomic_fetch_add(&so.so_next, 1, __ATOMIC_SEQ_CST);
	splx(s);
	lowered = __atomic_fetch_add(&so.so_next, 1, __ATOMIC_SEQ_CST);
	lwp_join(l);
	KT_EXPECT_TRUE(t, interrupted);
	KT_EXPECT_EQ(t, raised, 0U);
	KT_EXPECT_EQ(t, so.so_child, 1U);
	KT_EXPECT_EQ(t, lowered, 2U);
}

/*
 * A spin mutex at IPL_NONE leaves interrupts on and raises nothing, but
 * its holder must still not be switched away (a spin lock holder that
 * loses its CPU leaves every other CPU spinning).  Another CPU wakes a
 * higher-priority thread onto ours while we hold it; we also take an
 * interrupt, whose return is a preemption point; the woken thread must run
 * only once the mutex is released.
 */
struct none_order {
	kmutex_t no_spin;
	kmutex_t no_lock;
	kcondvar_t no_cv;
	bool no_go;
	volatile bool no_please_wake, no_woken;
	volatile unsigned no_next, no_child;
};

static void
none_waiter(void *arg)
{
	struct none_order *no = arg;

	mutex_enter(&no->no_lock);
	while (!no->no_go)
		cv_wait(&no->no_cv, &no->no_lock);
	mutex_exit(&no->no_lock);
	no->no_child = __atomic_fetch_add(&no->no_next, 1, __ATOMIC_SEQ_CST);
}

static void
none_waker(void *arg)
{
	struct none_order *no = arg;

	while (!no->no_please_wake)
		ksleep(100 * NS_PER_US);
	mutex_enter(&no->no_lock);
	no->no_go = true;
	cv_signal(&no->no_cv);
	mutex_exit(&no->no_lock);
	no->no_woken = true;
}

static void
spin_mutex_at_ipl_none_holds_off_preemption_until_released(struct ktest *t)
{
	static struct none_order no;
	unsigned held, released;
	bool interrupted;
	struct lwp *waiter, *waker;
	ipl_t ipl_held;

	if (ncpu < 2)
		ktest_skip(t, "needs 2 CPUs (a waker on another CPU)");
	no = (struct none_order){ .no_go = false, .no_child = ~0U };
	mutex_init(&no.no_spin, MUTEX_SPIN, IPL_NONE);
	mutex_init(&no.no_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&no.no_cv, "noneorder");
	lwp_bind(curlwp, cpu_lookup(0));
	waiter = ktest_spawn(t, none_waiter, &no, PRI_KERNEL + 8, cpu_lookup(0),
	    "nonewaiter");
	waker = ktest_spawn(t, none_waker, &no, PRI_KERNEL, cpu_lookup(1),
	    "nonewaker");
	for (unsigned i = 0; i < 1000 && !cv_has_waiters(&no.no_cv); i++)
		ksleep(NS_PER_MS);

	mutex_enter(&no.no_spin);
	ipl_held = curipl();
	no.no_please_wake = true;
	for (unsigned i = 0; i < 100000 && !no.no_woken; i++)
		delay_ns(10 * NS_PER_US);
	interrupted = ktest_take_interrupt();
	held = __atomic_fetch_add(&no.no_next, 1, __ATOMIC_SEQ_CST);
	mutex_exit(&no.no_spin);
	released = __atomic_fetch_add(&no.no_next, 1, __ATOMIC_SEQ_CST);

	lwp_join(waiter);
	lwp_join(waker);
	KT_EXPECT_EQ(t, ipl_held, IPL_NONE);
	KT_EXPECT_TRUE(t, no.no_woken);
	KT_EXPECT_TRUE(t, interrupted);
	KT_EXPECT_EQ(t, held, 0U);
	KT_EXPECT_EQ(t, no.no_child, 1U);
	KT_EXPECT_EQ(t, released, 2U);
	mutex_destroy(&no.no_spin);
}

static void
spin_mutex_raises_to_its_ipl_and_release_restores_ipl_none(struct ktest *t)
{
	kmutex_t vm, sched;

	bind_here();
	mutex_init(&vm, MUTEX_SPIN, IPL_VM);
	mutex_init(&sched, MUTEX_DEFAULT, IPL_SCHED);	/* spin: above soft */
	mutex_enter(&vm);
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	KT_EXPECT_TRUE(t, mutex_owned(&vm));
	mutex_exit(&vm);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	mutex_enter(&sched);
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	mutex_exit(&sched);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	mutex_destroy(&vm);
	mutex_destroy(&sched);
}

static void
spin_mutexes_released_out_of_order_restore_ipl_none_after_the_last(
    struct ktest *t)
{
	kmutex_t a, b, hi;

	bind_here();
	mutex_init(&a, MUTEX_SPIN, IPL_VM);
	mutex_init(&b, MUTEX_SPIN, IPL_VM);
	mutex_init(&hi, MUTEX_SPIN, IPL_SCHED);

	mutex_enter(&a);
	mutex_enter(&b);
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	mutex_exit(&a);			/* not LIFO */
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	mutex_exit(&b);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);

	mutex_enter(&a);
	mutex_enter(&hi);
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	mutex_exit(&a);			/* the lower one first */
	KT_EXPECT_EQ(t, curipl(), IPL_SCHED);
	mutex_exit(&hi);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);

	mutex_destroy(&a);
	mutex_destroy(&b);
	mutex_destroy(&hi);
}

static void
spin_mutex_taken_at_a_raised_level_restores_that_level(struct ktest *t)
{
	kmutex_t m;
	ipl_t s;

	bind_here();
	mutex_init(&m, MUTEX_SPIN, IPL_VM);
	s = splsoftnet();
	mutex_enter(&m);
	KT_EXPECT_EQ(t, curipl(), IPL_VM);
	mutex_exit(&m);
	KT_EXPECT_EQ(t, curipl(), IPL_SOFTNET);
	splx(s);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	mutex_destroy(&m);
}

KTEST_SUITE(spl,
    KTEST_CASE(splraise_returns_the_old_level_and_splx_restores_it),
    KTEST_CASE(nested_levels_unwind_in_lifo_order_and_never_lower_on_raise),
    KTEST_CASE(ipl_sched_holds_off_a_due_timer_interrupt_until_splx),
    KTEST_CASE(ipl_vm_lets_the_clock_interrupt_in),
    KTEST_CASE(soft_level_holds_off_preemption_until_splx_to_none),
    KTEST_CASE(spin_mutex_raises_to_its_ipl_and_release_restores_ipl_none),
    KTEST_CASE(spin_mutexes_released_out_of_order_restore_ipl_none_after_the_last),
    KTEST_CASE(spin_mutex_taken_at_a_raised_level_restores_that_level),
    KTEST_CASE(spin_mutex_at_ipl_none_holds_off_preemption_until_released));
