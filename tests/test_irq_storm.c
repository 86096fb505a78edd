/*
 * test_irq_storm.c: storm control (kern/irq_storm.c) on an edu device
 * that raises interrupts in a loop (edu_storm_start: each interrupt the
 * handlers complete causes the next), over INTx and MSI, under every
 * dispatch model of storm_models[].
 *
 * Needs one edu function; skips cleanly without it:
 *
 *	tools/boot --device edu -- run=ktest:irq_storm
 *
 * The storm runs on the last CPU, the only one at 1 CPU, where without
 * storm control nothing else would ever run there again.  The cases set a
 * low budget (irq_set_storm_budget) so that any storm is over it, and put
 * the boot budget back before they end.
 *
 * Counting.  No assertion depends on how long anything took.  Waits are
 * bounded by a number of 1 ms sleeps (WAIT_ROUNDS), only so that a broken
 * kernel fails a case instead of hanging it.  While a line is throttled
 * its primary runs only from the poller (one call per poll, give or take
 * the one poll in progress when sampled), and a normal-priority thread on
 * the storm's CPU keeps counting.  The storm raises its bit only once the
 * last raise was handled, so raised == handled + discarded at the end
 * means every raise was handled exactly once.
 *
 * Locking: the counter thread and the case share c_count and c_stop, both
 * atomic; everything else is the drivers' and the IRQ layer's.
 */
#include <cpu.h>
#include <edu.h>
#include <ipisrc.h>
#include <irq.h>
#include <ktest.h>
#include <lwp.h>
#include <pci.h>
#include <time.h>

#define WAIT_ROUNDS	30000		/* 1 ms sleeps: 30 s at least */
#define STORM_PCT	2		/* a budget every storm is over */
#define STORM_BIT	3
#define NORMAL_BIT	4
#define PROGRESS_POLLS	20		/* polls watched while throttled */
#define NORMAL_RAISES	20
#define BOUNDED_STORM	300		/* raises of a storm left alone */

/* The models the storm runs under. */
static const enum irq_mode storm_models[] = {
	IRQ_MODE_HARD, IRQ_MODE_THREAD, IRQ_MODE_LAZY, IRQ_MODE_SOURCE,
};
#define NMODELS	(sizeof(storm_models) / sizeof(storm_models[0]))

static struct edu *
edu_or_skip(struct ktest *t)
{
	struct edu *e = edu_get(0);

	if (e == NULL)
		ktest_skip(t, "no edu device (tools/boot --device edu)");
	return e;
}

/* e alone on its line (the others detached), on the last CPU. */
static int
attach_alone(struct ktest *t, struct edu *e, unsigned type, enum irq_mode mode)
{
	cpuset_t set = cpuset_of(ncpu - 1);

	for (unsigned i = 1; i < edu_count(); i++)
		edu_free_irq(edu_get(i));
	KT_ASSERT_EQ(t, edu_request_irq(e, type, IRQF_MODE(mode)), 0);
	KT_ASSERT_EQ(t, irq_set_affinity(edu_irq(e), &set), 0);
	return edu_irq(e);
}

/* Back to what the driver does at boot. */
static void
leave(struct ktest *t)
{
	for (unsigned i = 0; i < edu_count(); i++)
		KT_EXPECT_EQ(t, edu_request_irq(edu_get(i), PCI_IRQ_MSI, 0), 0);
}

/* Sleep 1 ms at a time until cond(arg) holds; false if it never did. */
static bool
wait_for(bool (*cond)(const void *), const void *arg)
{
	for (unsigned i = 0; i < WAIT_ROUNDS; i++) {
		if (cond(arg))
			return true;
		ksleep(NS_PER_MS);
	}
	return cond(arg);
}

static bool
throttled(const void *irq)
{
	return irq_line_throttled(*(const int *)irq);
}

static bool
unthrottled(const void *irq)
{
	return !irq_line_throttled(*(const int *)irq);
}

struct bit_of {
	struct edu *b_edu;
	unsigned b_bit;
};

static bool
caught_up(const void *arg)
{
	const struct bit_of *b = arg;

	return edu_outstanding(b->b_edu, b->b_bit) == 0;
}

static bool
storm_ended(const void *e)
{
	return !edu_storming(e);
}

static struct irq_storm_stats
storm_stats(struct ktest *t, int irq)
{
	struct irq_storm_stats st;

	KT_EXPECT_EQ(t, irq_get_storm_stats(irq, &st), 0);
	return st;
}

static uint64_t
primary_calls(struct ktest *t, struct edu *e)
{
	struct irq_stats st;

	KT_EXPECT_EQ(t, irq_get_stats(edu_irq(e), e, &st), 0);
	return st.is_primary;
}

struct polls_past {
	int p_irq;
	uint64_t p_polls;
};

static bool
polled_past(const void *arg)
{
	const struct polls_past *p = arg;
	struct irq_storm_stats st;

	return irq_get_storm_stats(p->p_irq, &st) == 0 && st.iss_polls >= p->p_polls;
}

/* A normal-priority thread on the storm's CPU, counting while it runs. */
struct counter {
	uint64_t c_count;		/* atomic */
	volatile int c_stop;
};

static void
count_until_stopped(void *arg)
{
	struct counter *c = arg;

	while (!__atomic_load_n(&c->c_stop, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&c->c_count, 1, __ATOMIC_RELAXED);
}

static uint64_t
count_of(struct counter *c)
{
	return __atomic_load_n(&c->c_count, __ATOMIC_RELAXED);
}

/* Raise bit once and wait until it was handled. */
static void
raise_and_wait(struct ktest *t, struct edu *e, unsigned bit)
{
	struct bit_of b = { e, bit };

	edu_raise(e, 1U << bit);
	KT_EXPECT_TRUE(t, wait_for(caught_up, &b));
}

/*
 * While throttled, over PROGRESS_POLLS polls: the poller keeps handling
 * the storm, the primary runs only from it (as many calls as polls, give
 * or take the two a racing read can miss), deliveries are bounded by it
 * (INTx is masked: none, give or take one on its way; MSI cannot be: one
 * held delivery per poll's raise), and the counter on the CPU counts.
 */
static void
expect_polled_while_throttled(struct ktest *t, struct edu *e, unsigned type,
    struct counter *c)
{
	int irq = edu_irq(e);
	struct irq_storm_stats st0 = storm_stats(t, irq), st1;
	uint64_t handled0 = edu_handled(e, STORM_BIT), prim0 = primary_calls(t, e);
	uint64_t line0 = irq_line_count(irq), count0 = count_of(c);
	struct polls_past p = { irq, st0.iss_polls + PROGRESS_POLLS };
	uint64_t polls, prims, line;

	KT_EXPECT_TRUE(t, wait_for(polled_past, &p));
	st1 = storm_stats(t, irq);
	polls = st1.iss_polls - st0.iss_polls;
	prims = primary_calls(t, e) - prim0;
	line = irq_line_count(irq) - line0;
	KT_EXPECT_TRUE(t, st1.iss_throttled);
	KT_EXPECT_GE(t, polls, (uint64_t)PROGRESS_POLLS);
	KT_EXPECT_GT(t, st1.iss_busy_polls, st0.iss_busy_polls);
	KT_EXPECT_GT(t, edu_handled(e, STORM_BIT), handled0);
	/*
	 * Polls and primary calls are read one after the other, at the start
	 * and at the end, while the poller runs on another CPU: a poll can
	 * fall between the two reads at each end, so they may differ by two.
	 */
	KT_EXPECT_LE(t, prims, polls + 2);
	KT_EXPECT_LE(t, polls, prims + 2);
	KT_EXPECT_LE(t, line, type == PCI_IRQ_INTX ? 1 : polls + 2);
	KT_EXPECT_GT(t, count_of(c), count0);
}

/* After the storm: delivered again, not polled, each raise once. */
static void
expect_delivered_again(struct ktest *t, struct edu *e)
{
	int irq = edu_irq(e);
	struct irq_storm_stats st0 = storm_stats(t, irq), st1;
	uint64_t line0 = irq_line_count(irq);

	for (unsigned i = 0; i < NORMAL_RAISES; i++)
		raise_and_wait(t, e, NORMAL_BIT);
	st1 = storm_stats(t, irq);
	KT_EXPECT_FALSE(t, st1.iss_throttled);
	KT_EXPECT_EQ(t, st1.iss_polls, st0.iss_polls);
	KT_EXPECT_GE(t, irq_line_count(irq) - line0, (uint64_t)NORMAL_RAISES);
	KT_EXPECT_EQ(t, edu_outstanding(e, NORMAL_BIT), 0ULL);
}

static void
storm_is_throttled_polled_and_recovers(struct ktest *t, struct edu *e,
    unsigned type, enum irq_mode mode)
{
	int irq = attach_alone(t, e, type, mode);
	struct bit_of storm = { e, STORM_BIT };
	struct counter c = { 0 };
	struct irq_storm_stats st0 = storm_stats(t, irq);
	unsigned boot_pct = irq_set_storm_budget(STORM_PCT);
	struct lwp *l;

	ktest_log(t, "%s, %s model", type == PCI_IRQ_MSI ? "MSI" : "INTx",
	    irq_mode_name(mode));
	l = ktest_spawn(t, count_until_stopped, &c, PRI_KERNEL,
	    cpu_lookup(ncpu - 1), "counter");
	edu_storm_start(e, STORM_BIT, 0);
	KT_EXPECT_TRUE(t, wait_for(throttled, &irq));
	expect_polled_while_throttled(t, e, type, &c);
	edu_storm_stop(e);
	KT_EXPECT_TRUE(t, wait_for(unthrottled, &irq));
	KT_EXPECT_TRUE(t, wait_for(caught_up, &storm));
	irq_set_storm_budget(boot_pct);
	KT_EXPECT_EQ(t, storm_stats(t, irq).iss_episodes, st0.iss_episodes + 1);
	expect_delivered_again(t, e);
	ktest_set_flag(&c.c_stop);
	lwp_join(l);
}

static void
storm_on(struct ktest *t, unsigned type)
{
	struct edu *e = edu_or_skip(t);

	for (unsigned m = 0; m < NMODELS && !ktest_failed(t); m++)
		storm_is_throttled_polled_and_recovers(t, e, type,
		    storm_models[m]);
	leave(t);
}

static void
intx_storm_is_throttled_polled_and_recovers(struct ktest *t)
{
	storm_on(t, PCI_IRQ_INTX);
}

static void
msi_storm_is_throttled_polled_and_recovers(struct ktest *t)
{
	storm_on(t, PCI_IRQ_MSI);
}

/*
 * With storm control off the same storm, bounded, runs to its end on the
 * line: never throttled, never polled, every raise handled once.  (So the
 * throttling above is the budget's doing.)
 */
static void
storm_control_off_leaves_a_bounded_storm_alone(struct ktest *t)
{
	struct edu *e = edu_or_skip(t);
	struct bit_of storm = { e, STORM_BIT };

	for (unsigned m = 0; m < NMODELS; m++) {
		int irq = attach_alone(t, e, PCI_IRQ_MSI, storm_models[m]);
		struct irq_storm_stats st0 = storm_stats(t, irq), st1;
		uint64_t raised0 = edu_raised(e, STORM_BIT);
		unsigned boot_pct = irq_set_storm_budget(0);

		edu_storm_start(e, STORM_BIT, BOUNDED_STORM);
		KT_EXPECT_TRUE(t, wait_for(storm_ended, e));
		KT_EXPECT_TRUE(t, wait_for(caught_up, &storm));
		irq_set_storm_budget(boot_pct);
		st1 = storm_stats(t, irq);
		KT_EXPECT_EQ(t, edu_raised(e, STORM_BIT) - raised0,
		    (uint64_t)BOUNDED_STORM);
		KT_EXPECT_EQ(t, st1.iss_episodes, st0.iss_episodes);
		KT_EXPECT_EQ(t, st1.iss_polls, st0.iss_polls);
	}
	leave(t);
}

/*
 * One slow run is not a storm.  Under the lowest budget, a quick run
 * closes the line's first window, then one primary takes three windows'
 * worth of time: the window it closes was nearly all handler time, but
 * with fewer than STORM_MIN_RUNS runs in it the line is not throttled.
 * Runs on a self-IPI line, so no device is needed.
 */
#define SLOW_RUN_NS	(30 * NS_PER_MS)	/* the default window is 10 ms */

static unsigned slow_calls;	/* atomic: calls that have returned */

static irqreturn_t
slow_second(int irq, void *arg)
{
	if (__atomic_load_n(&slow_calls, __ATOMIC_RELAXED) == 1) {
		uint64_t end = nanouptime() + SLOW_RUN_NS;

		while (nanouptime() < end)
			continue;
	}
	__atomic_add_fetch(&slow_calls, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static bool
slow_calls_reached(const void *n)
{
	return __atomic_load_n(&slow_calls, __ATOMIC_RELAXED) >=
	    *(const unsigned *)n;
}

static void
one_slow_run_is_not_a_storm(struct ktest *t)
{
	int irq = ipisrc_create("slow");
	unsigned boot_pct = irq_set_storm_budget(1);
	struct irq_storm_stats st;

	KT_ASSERT_GE(t, irq, 0);
	__atomic_store_n(&slow_calls, 0, __ATOMIC_RELAXED);
	KT_ASSERT_EQ(t, request_threaded_irq(irq, slow_second, NULL,
	    IRQF_MODE(IRQ_MODE_HARD), "slow", &slow_calls), 0);
	for (unsigned n = 1; n <= 2; n++) {
		ipisrc_raise(irq);
		KT_EXPECT_TRUE(t, wait_for(slow_calls_reached, &n));
	}
	synchronize_irq(irq);	/* the flow's storm check is done too */
	irq_set_storm_budget(boot_pct);
	st = storm_stats(t, irq);
	KT_EXPECT_GE(t, st.iss_usage_pm, 500U);	/* the window was busy */
	KT_EXPECT_EQ(t, st.iss_episodes, 0UL);
	KT_EXPECT_FALSE(t, irq_line_throttled(irq));
	free_irq(irq, &slow_calls);
	ipisrc_destroy(irq);
}

/*
 * free_irq on a throttled line: the line leaves storm control (for MSI its
 * descriptor is destroyed, which must not happen under the poller), what
 * was in flight is discarded, and the next request gets a working line.
 */
static void
free_irq_of_a_throttled_line_leaves_it_usable(struct ktest *t)
{
	struct edu *e = edu_or_skip(t);
	struct bit_of storm = { e, STORM_BIT };
	unsigned types[] = { PCI_IRQ_INTX, PCI_IRQ_MSI };

	for (unsigned i = 0; i < 2; i++) {
		int irq = attach_alone(t, e, types[i], IRQ_MODE_HARD);
		unsigned boot_pct = irq_set_storm_budget(STORM_PCT);

		edu_storm_start(e, STORM_BIT, 0);
		KT_EXPECT_TRUE(t, wait_for(throttled, &irq));
		edu_free_irq(e);
		edu_storm_stop(e);
		irq_set_storm_budget(boot_pct);
		KT_EXPECT_FALSE(t, irq_line_throttled(irq));
		KT_EXPECT_EQ(t, edu_outstanding(e, STORM_BIT), 0ULL);
		irq = attach_alone(t, e, types[i], IRQ_MODE_HARD);
		KT_EXPECT_FALSE(t, irq_line_throttled(irq));
		KT_EXPECT_TRUE(t, wait_for(caught_up, &storm));
		raise_and_wait(t, e, NORMAL_BIT);
	}
	leave(t);
}

KTEST_SUITE(irq_storm,
    KTEST_CASE(intx_storm_is_throttled_polled_and_recovers),
    KTEST_CASE(msi_storm_is_throttled_polled_and_recovers),
    KTEST_CASE(storm_control_off_leaves_a_bounded_storm_alone),
    KTEST_CASE(one_slow_run_is_not_a_storm),
    KTEST_CASE(free_irq_of_a_throttled_line_leaves_it_usable));
