/*
 * test_timer.c: in-kernel tests of per-CPU timer events and of timed
 * sleeps (ksleep), which are built on them.
 *
 * How a case knows an event "would have fired by now" without measuring
 * time: the case thread is bound to the CPU the event is armed on and
 * sleeps until a later deadline.  Its own wake-up is a timer event on the
 * same queue, and a queue runs its events in deadline order, so when the
 * thread runs again every event with an earlier deadline has run.
 *
 * Where a case must know an event is still pending when it looks (just
 * armed, or armed twice), it arms and looks at IPL_HIGH: the event can
 * fire only on this CPU, which takes no interrupt until splx, however long
 * the virtual CPU is descheduled meanwhile.
 *
 * Sleeping threads' deadlines are tens of milliseconds apart so that a
 * slow or descheduled virtual CPU cannot swap them; under icount (one
 * instruction per nanosecond) the gaps cost nothing: idle time is skipped.
 */
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <printf.h>
#include <spl.h>
#include <time.h>
#include <timer.h>
#include <types.h>

#define MS		NS_PER_MS

/* Arm te for deadline and report whether it is pending, atomically. */
static bool
arm_and_check_pending(struct timer_event *te, uint64_t deadline)
{
	ipl_t s = splhigh();
	bool pending;

	timer_event_arm(te, deadline);
	pending = te->te_pending;
	splx(s);
	return pending;
}

struct probe {
	struct timer_event p_te;
	volatile unsigned p_fired;
	volatile unsigned p_cpu;		/* where it last ran */
	volatile bool p_was_intr;
	volatile unsigned p_order;	/* sequence number when it ran */
	unsigned p_rearms;		/* re-arm itself this many times */
	uint64_t p_period;
	volatile unsigned *p_seq;
};

static void
probe_fire(struct timer_event *te, void *arg)
{
	struct probe *p = arg;

	p->p_cpu = cpu_number();
	p->p_was_intr = cpu_intr_p();
	if (p->p_seq != NULL)
		p->p_order = __atomic_fetch_add(p->p_seq, 1, __ATOMIC_RELAXED);
	p->p_fired++;
	if (p->p_rearms > 0) {
		p->p_rearms--;
		timer_event_arm(te, te->te_deadline + p->p_period);
	}
}

static void
probe_init(struct probe *p)
{
	*p = (struct probe){ .p_cpu = ~0U, .p_order = ~0U };
	timer_event_init(&p->p_te, probe_fire, p);
}

static void
armed_event_fires_once_on_the_arming_cpu_in_interrupt_context(struct ktest *t)
{
	struct probe p;

	for (unsigned i = 0; i < ncpu; i++) {
		uint64_t start;

		lwp_bind(curlwp, cpu_lookup(i));
		probe_init(&p);
		start = nanouptime();
		KT_EXPECT_TRUE(t, arm_and_check_pending(&p.p_te, start + MS));
		ksleep_until(start + 20 * MS);
		KT_EXPECT_EQ(t, p.p_fired, 1U);
		KT_EXPECT_EQ(t, p.p_cpu, i);
		KT_EXPECT_TRUE(t, p.p_was_intr);
		KT_EXPECT_FALSE(t, p.p_te.te_pending);
		ksleep_until(start + 40 * MS);
		KT_EXPECT_EQ(t, p.p_fired, 1U);
		(void)timer_event_cancel(&p.p_te);	/* before p goes */
	}
	lwp_bind(curlwp, NULL);
}

static void
cancel_of_a_pending_event_returns_true_and_it_never_fires(struct ktest *t)
{
	struct probe p;
	uint64_t start;
	bool cancelled;
	ipl_t s;

	lwp_bind(curlwp, cpu_lookup(0));
	probe_init(&p);
	start = nanouptime();
	s = splhigh();
	timer_event_arm(&p.p_te, start + 10 * MS);
	cancelled = timer_event_cancel(&p.p_te);
	splx(s);
	KT_EXPECT_TRUE(t, cancelled);
	KT_EXPECT_FALSE(t, p.p_te.te_pending);
	ksleep_until(start + 40 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 0U);
	KT_EXPECT_FALSE(t, timer_event_cancel(&p.p_te));
}

static void
cancel_after_the_event_fired_returns_false(struct ktest *t)
{
	struct probe p;
	uint64_t start;

	lwp_bind(curlwp, cpu_lookup(0));
	probe_init(&p);
	start = nanouptime();
	timer_event_arm(&p.p_te, start + MS);
	ksleep_until(start + 20 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 1U);
	KT_EXPECT_FALSE(t, timer_event_cancel(&p.p_te));
	KT_EXPECT_EQ(t, p.p_fired, 1U);
}

static void
rearming_a_pending_event_later_moves_its_deadline(struct ktest *t)
{
	struct probe p;
	uint64_t start;
	ipl_t s;

	lwp_bind(curlwp, cpu_lookup(ncpu - 1));
	probe_init(&p);
	start = nanouptime();
	s = splhigh();
	timer_event_arm(&p.p_te, start + 10 * MS);
	timer_event_arm(&p.p_te, start + 80 * MS);
	splx(s);
	ksleep_until(start + 40 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 0U);
	KT_EXPECT_TRUE(t, p.p_te.te_pending);
	ksleep_until(start + 120 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 1U);
	(void)timer_event_cancel(&p.p_te);	/* before p goes */
}

static void
rearming_a_pending_event_earlier_fires_it_once_at_the_new_deadline(
    struct ktest *t)
{
	struct probe p;
	uint64_t start;

	lwp_bind(curlwp, cpu_lookup(ncpu - 1));
	probe_init(&p);
	start = nanouptime();
	timer_event_arm(&p.p_te, start + 80 * MS);
	timer_event_arm(&p.p_te, start + 10 * MS);
	ksleep_until(start + 40 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 1U);
	ksleep_until(start + 120 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 1U);
	(void)timer_event_cancel(&p.p_te);	/* before p goes */
}

static void
rearming_from_another_cpu_moves_the_event_to_that_cpu(struct ktest *t)
{
	struct probe p;
	uint64_t start;

	if (ncpu < 2)
		ktest_skip(t, "needs 2 CPUs");
	probe_init(&p);
	lwp_bind(curlwp, cpu_lookup(0));
	start = nanouptime();
	timer_event_arm(&p.p_te, start + 30 * MS);
	lwp_bind(curlwp, cpu_lookup(1));
	timer_event_arm(&p.p_te, start + 30 * MS);
	KT_EXPECT_EQ(t, p.p_te.te_cpu, cpu_lookup(1));
	ksleep_until(start + 60 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 1U);
	KT_EXPECT_EQ(t, p.p_cpu, 1U);
	/* Gone from CPU 0's queue: it does not fire there as well. */
	lwp_bind(curlwp, cpu_lookup(0));
	ksleep_until(start + 90 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 1U);
	(void)timer_event_cancel(&p.p_te);	/* before p goes */
}

/* Deadlines, in units of a gap after the start, in an unsorted order. */
static const unsigned shuffled[] = { 3, 1, 5, 2, 4 };
#define NSHUFFLED	nitems(shuffled)

/* The rank of shuffled[i] among all of them. */
static unsigned
deadline_rank(unsigned i)
{
	unsigned rank = 0;

	for (unsigned j = 0; j < NSHUFFLED; j++)
		rank += shuffled[j] < shuffled[i];
	return rank;
}

static void
events_on_one_cpu_fire_in_deadline_order(struct ktest *t)
{
	struct probe p[NSHUFFLED];
	volatile unsigned seq = 0;
	uint64_t start;
	ipl_t s;

	lwp_bind(curlwp, cpu_lookup(0));
	s = splhigh();		/* none fires before all are armed */
	start = nanouptime();
	for (unsigned i = 0; i < NSHUFFLED; i++) {
		probe_init(&p[i]);
		p[i].p_seq = &seq;
		timer_event_arm(&p[i].p_te, start + shuffled[i] * 20 * MS);
	}
	splx(s);
	ksleep_until(start + 140 * MS);
	for (unsigned i = 0; i < NSHUFFLED; i++) {
		KT_EXPECT_EQ(t, p[i].p_fired, 1U);
		KT_EXPECT_EQ(t, p[i].p_order, deadline_rank(i));
		(void)timer_event_cancel(&p[i].p_te);	/* before p goes */
	}
}

static void
event_function_may_rearm_its_own_event(struct ktest *t)
{
	struct probe p;
	uint64_t start;

	lwp_bind(curlwp, cpu_lookup(0));
	probe_init(&p);
	p.p_rearms = 4;
	p.p_period = 5 * MS;
	start = nanouptime();
	timer_event_arm(&p.p_te, start + 5 * MS);
	ksleep_until(start + 60 * MS);
	KT_EXPECT_EQ(t, p.p_fired, 5U);
	KT_EXPECT_FALSE(t, p.p_te.te_pending);
	(void)timer_event_cancel(&p.p_te);	/* before p goes */
}

/*
 * An event function that re-arms its own event and cancels it again: the
 * cancel finds it pending and does not wait for the function (itself).
 */
struct self_cancel {
	struct timer_event sc_te;
	volatile unsigned sc_runs;
	volatile int sc_first, sc_second;	/* cancel results, -1: not run */
};

static void
cancel_self(struct timer_event *te, void *arg)
{
	struct self_cancel *sc = arg;

	sc->sc_runs++;
	timer_event_arm(te, nanouptime() + 5 * MS);
	sc->sc_first = timer_event_cancel(te);
	sc->sc_second = timer_event_cancel(te);
}

static void
event_function_may_cancel_its_own_event(struct ktest *t)
{
	struct self_cancel sc = { .sc_runs = 0, .sc_first = -1,
	    .sc_second = -1 };
	uint64_t start;

	lwp_bind(curlwp, cpu_lookup(0));
	timer_event_init(&sc.sc_te, cancel_self, &sc);
	start = nanouptime();
	timer_event_arm(&sc.sc_te, start + MS);
	ksleep_until(start + 30 * MS);
	KT_EXPECT_EQ(t, sc.sc_runs, 1U);
	KT_EXPECT_EQ(t, sc.sc_first, 1);
	KT_EXPECT_EQ(t, sc.sc_second, 0);
	KT_EXPECT_FALSE(t, sc.sc_te.te_pending);
	(void)timer_event_cancel(&sc.sc_te);	/* before sc goes */
}

/*
 * Cancelling from another CPU while the function runs: cancel returns only
 * once the function has returned (after it, the event's memory may go).
 */
struct slow_event {
	struct timer_event se_te;
	volatile bool se_entered, se_cancelling, se_finished;
};

static void
slow_fire(struct timer_event *te, void *arg)
{
	struct slow_event *se = arg;

	se->se_entered = true;
	for (unsigned i = 0; i < 10000 && !se->se_cancelling; i++)
		delay_ns(100 * NS_PER_US);
	delay_ns(20 * MS);
	se->se_finished = true;
}

static void
cancel_waits_for_the_function_running_on_another_cpu(struct ktest *t)
{
	static struct slow_event se;
	bool was_pending;
	uint64_t give_up;

	if (ncpu < 2)
		ktest_skip(t, "needs 2 CPUs");
	se = (struct slow_event){ .se_entered = false };
	timer_event_init(&se.se_te, slow_fire, &se);
	lwp_bind(curlwp, cpu_lookup(1));
	timer_event_arm(&se.se_te, nanouptime() + 2 * MS);
	lwp_bind(curlwp, cpu_lookup(0));
	give_up = nanouptime() + 5 * NS_PER_SEC;
	while (!se.se_entered && nanouptime() < give_up)
		continue;
	KT_ASSERT_TRUE(t, se.se_entered);
	se.se_cancelling = true;
	was_pending = timer_event_cancel(&se.se_te);
	KT_EXPECT_TRUE(t, se.se_finished);
	KT_EXPECT_FALSE(t, was_pending);
}

static void
ksleep_sleeps_at_least_the_requested_time(struct ktest *t)
{
	static const uint64_t ns[] = { 0, 1, 999, NS_PER_US, 50 * NS_PER_US,
	    MS, 3 * MS, 10 * MS, 25 * MS };

	for (unsigned cpu = 0; cpu < ncpu; cpu++) {
		lwp_bind(curlwp, cpu_lookup(cpu));
		for (size_t i = 0; i < nitems(ns); i++) {
			uint64_t before = nanouptime(), after, deadline;

			ksleep(ns[i]);
			after = nanouptime();
			KT_EXPECT_GE(t, after, before + ns[i]);
			deadline = after + ns[i];
			ksleep_until(deadline);
			KT_EXPECT_GE(t, nanouptime(), deadline);
		}
	}
	lwp_bind(curlwp, NULL);
}

/*
 * Sleepers with deadlines armed in shuffled order: they must wake in
 * deadline order.  Each takes a sequence number as soon as it runs again.
 */
struct sleeper {
	uint64_t s_deadline;
	volatile unsigned *s_seq;
	volatile unsigned s_order;
};

static void
sleeper(void *arg)
{
	struct sleeper *s = arg;

	ksleep_until(s->s_deadline);
	s->s_order = __atomic_fetch_add(s->s_seq, 1, __ATOMIC_RELAXED);
}

static void
run_sleepers(struct ktest *t, bool one_cpu, uint64_t gap)
{
	struct sleeper s[NSHUFFLED];
	struct lwp *l[NSHUFFLED];
	volatile unsigned seq = 0;
	uint64_t start;
	unsigned i;

	/* Every deadline is well after the last thread has been created. */
	start = nanouptime() + 50 * MS;
	for (i = 0; i < NSHUFFLED; i++) {
		s[i] = (struct sleeper){ start + shuffled[i] * gap, &seq, ~0U };
		l[i] = ktest_spawn(t, sleeper, &s[i], PRI_KERNEL,
		    cpu_lookup(one_cpu ? 0 : i % ncpu), "sleeper");
	}
	for (i = 0; i < NSHUFFLED; i++)
		lwp_join(l[i]);
	for (i = 0; i < NSHUFFLED; i++)
		KT_EXPECT_EQ(t, s[i].s_order, deadline_rank(i));
}

static void
sleepers_on_one_cpu_wake_in_deadline_order(struct ktest *t)
{
	run_sleepers(t, true, 20 * MS);
}

static void
sleepers_on_every_cpu_wake_in_deadline_order(struct ktest *t)
{
	if (ncpu < 2)
		ktest_skip(t, "needs 2 CPUs (one CPU: the case before)");
	/* Wider gaps: different virtual CPUs are descheduled independently. */
	run_sleepers(t, false, 30 * MS);
}

KTEST_SUITE(timer,
    KTEST_CASE(armed_event_fires_once_on_the_arming_cpu_in_interrupt_context),
    KTEST_CASE(cancel_of_a_pending_event_returns_true_and_it_never_fires),
    KTEST_CASE(cancel_after_the_event_fired_returns_false),
    KTEST_CASE(rearming_a_pending_event_later_moves_its_deadline),
    KTEST_CASE(rearming_a_pending_event_earlier_fires_it_once_at_the_new_deadline),
    KTEST_CASE(rearming_from_another_cpu_moves_the_event_to_that_cpu),
    KTEST_CASE(events_on_one_cpu_fire_in_deadline_order),
    KTEST_CASE(event_function_may_rearm_its_own_event),
    KTEST_CASE(event_function_may_cancel_its_own_event),
    KTEST_CASE(cancel_waits_for_the_function_running_on_another_cpu),
    KTEST_CASE(ksleep_sleeps_at_least_the_requested_time),
    KTEST_CASE(sleepers_on_one_cpu_wake_in_deadline_order),
    KTEST_CASE(sleepers_on_every_cpu_wake_in_deadline_order));
