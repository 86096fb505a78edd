/*
 * test_softint.c: soft interrupts (include/softint.h): delivery, levels,
 * scheduling from hard interrupt context under a spin mutex, other CPUs,
 * blocking handlers and softint_disestablish.
 */
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <softint.h>
#include <spl.h>
#include <time.h>

#define WAIT_NS		(20ULL * 1000 * 1000 * 1000)

struct counter {
	volatile unsigned c_runs;
	volatile unsigned c_in_hard;	/* runs in hard interrupt context */
	volatile unsigned c_pinned;	/* runs borrowing a context */
	volatile int c_cpu;
	kmutex_t *c_block_on;		/* taken first, if set */
	volatile int c_entered;
};

static void
count_run(void *arg)
{
	struct counter *c = arg;

	ktest_set_flag(&c->c_entered);
	if (c->c_block_on != NULL) {
		mutex_enter(c->c_block_on);
		mutex_exit(c->c_block_on);
	}
	if (cpu_intr_p())
		c->c_in_hard++;
	if (lwp_pinned(curlwp) != NULL)
		c->c_pinned++;
	c->c_cpu = (int)cpu_number();
	__atomic_fetch_add(&c->c_runs, 1, __ATOMIC_ACQ_REL);
}

static bool
wait_runs(struct counter *c, unsigned want)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += 1000000) {
		if (__atomic_load_n(&c->c_runs, __ATOMIC_ACQUIRE) >= want)
			return true;
		ksleep(1000000);
	}
	return false;
}

static void
each_schedule_runs_the_handler_once(struct ktest *t)
{
	struct counter c = { 0 };
	void *si = softint_establish(SOFTINT_NET | SOFTINT_MPSAFE, count_run,
	    &c);

	KT_ASSERT_NOT_NULL(t, si);
	for (unsigned i = 0; i < 200; i++) {
		softint_schedule(si);
		KT_ASSERT_TRUE(t, wait_runs(&c, i + 1));
	}
	ksleep(2 * 1000 * 1000);
	KT_EXPECT_EQ(t, c.c_runs, 200U);
	KT_EXPECT_EQ(t, softint_runs(si), 200U);
	KT_EXPECT_EQ(t, c.c_in_hard, 0U);
	KT_EXPECT_EQ(t, c.c_pinned, 200U);
	softint_disestablish(si);
}

static void
schedules_before_it_runs_are_merged(struct ktest *t)
{
	struct counter c = { 0 };
	void *si = softint_establish(SOFTINT_BIO | SOFTINT_MPSAFE, count_run,
	    &c);
	ipl_t s;

	KT_ASSERT_NOT_NULL(t, si);
	s = splsoftserial();
	for (unsigned i = 0; i < 5; i++)
		softint_schedule(si);
	KT_EXPECT_EQ(t, c.c_runs, 0U);
	splx(s);
	KT_EXPECT_EQ(t, c.c_runs, 1U);
	softint_disestablish(si);
}

/* Levels: pending soft interrupts run highest level first. */
static volatile unsigned order_next;
static volatile unsigned order_seen[4];

static void
record_order(void *arg)
{
	unsigned level = (unsigned)(uintptr_t)arg;

	order_seen[level] = ++order_next;
}

static void
pending_levels_run_highest_first_at_splx(struct ktest *t)
{
	static const unsigned levels[] = {
		SOFTINT_CLOCK, SOFTINT_SERIAL, SOFTINT_BIO, SOFTINT_NET,
	};
	void *si[4];
	ipl_t s;

	order_next = 0;
	for (unsigned i = 0; i < 4; i++) {
		si[i] = softint_establish(levels[i] | SOFTINT_MPSAFE,
		    record_order, (void *)(uintptr_t)levels[i]);
		KT_ASSERT_NOT_NULL(t, si[i]);
	}
	s = splvm();
	for (unsigned i = 0; i < 4; i++)
		softint_schedule(si[i]);
	KT_EXPECT_EQ(t, order_next, 0U);
	splx(s);
	KT_EXPECT_EQ(t, order_seen[SOFTINT_SERIAL], 1U);
	KT_EXPECT_EQ(t, order_seen[SOFTINT_NET], 2U);
	KT_EXPECT_EQ(t, order_seen[SOFTINT_BIO], 3U);
	KT_EXPECT_EQ(t, order_seen[SOFTINT_CLOCK], 4U);
	for (unsigned i = 0; i < 4; i++)
		softint_disestablish(si[i]);
}

/* A primary handler schedules it holding a spin mutex at IPL_VM. */
struct from_hard {
	kmutex_t fh_lock;
	void *fh_si;
	volatile unsigned fh_scheduled;
};

static irqreturn_t
schedule_from_primary(int irq, void *arg)
{
	struct from_hard *fh = arg;

	mutex_enter(&fh->fh_lock);
	softint_schedule(fh->fh_si);
	fh->fh_scheduled++;
	mutex_exit(&fh->fh_lock);
	return IRQ_HANDLED;
}

static void
scheduling_from_hard_context_with_a_spin_mutex_held(struct ktest *t)
{
	struct counter c = { 0 };
	struct from_hard fh = { 0 };
	int irq = ipisrc_create("softsrc");

	KT_ASSERT_GE(t, irq, 0);
	mutex_init(&fh.fh_lock, MUTEX_SPIN, IPL_VM);
	fh.fh_si = softint_establish(SOFTINT_SERIAL | SOFTINT_MPSAFE,
	    count_run, &c);
	KT_ASSERT_NOT_NULL(t, fh.fh_si);
	KT_ASSERT_EQ(t, request_irq(irq, schedule_from_primary,
	    IRQF_MODE(IRQ_MODE_HARD), "softsrc", &fh), 0);
	for (unsigned i = 0; i < 100; i++) {
		ipisrc_raise(irq);
		KT_ASSERT_TRUE(t, wait_runs(&c, i + 1));
	}
	KT_EXPECT_EQ(t, fh.fh_scheduled, 100U);
	KT_EXPECT_EQ(t, c.c_runs, 100U);
	KT_EXPECT_EQ(t, c.c_in_hard, 0U);
	free_irq(irq, &fh);
	ipisrc_destroy(irq);
	softint_disestablish(fh.fh_si);
	mutex_destroy(&fh.fh_lock);
}

static void
schedule_cpu_runs_it_on_that_cpu(struct ktest *t)
{
	struct counter c = { 0 };
	void *si = softint_establish(SOFTINT_CLOCK | SOFTINT_MPSAFE, count_run,
	    &c);

	KT_ASSERT_NOT_NULL(t, si);
	for (unsigned i = 0; i < ncpu; i++) {
		softint_schedule_cpu(si, cpu_lookup(i));
		KT_ASSERT_TRUE(t, wait_runs(&c, i + 1));
		KT_EXPECT_EQ(t, c.c_cpu, (int)i);
	}
	softint_disestablish(si);
}

/* A blocked handler holds back neither its level nor softint_disestablish's wait. */
struct dis_case {
	void *dc_si;
	volatile int dc_returned;
	volatile unsigned dc_runs_at_return;
	struct counter *dc_counter;
};

static void
disestablisher(void *arg)
{
	struct dis_case *dc = arg;

	softint_disestablish(dc->dc_si);
	dc->dc_runs_at_return = dc->dc_counter->c_runs;
	ktest_set_flag(&dc->dc_returned);
}

static void
disestablish_waits_for_a_running_handler(struct ktest *t)
{
	struct counter blocked = { 0 }, other = { 0 };
	struct dis_case dc = { .dc_counter = &blocked };
	void *si_other;
	struct lwp *d;
	kmutex_t m;

	mutex_init(&m, MUTEX_DEFAULT, IPL_NONE);
	blocked.c_block_on = &m;
	dc.dc_si = softint_establish(SOFTINT_NET | SOFTINT_MPSAFE, count_run,
	    &blocked);
	si_other = softint_establish(SOFTINT_NET | SOFTINT_MPSAFE, count_run,
	    &other);
	KT_ASSERT_NOT_NULL(t, dc.dc_si);
	KT_ASSERT_NOT_NULL(t, si_other);
	mutex_enter(&m);
	softint_schedule(dc.dc_si);		/* runs at once and blocks */
	KT_ASSERT_TRUE(t, ktest_wait_flag(&blocked.c_entered, WAIT_NS));
	softint_schedule(si_other);		/* a spare thread runs it */
	KT_EXPECT_TRUE(t, wait_runs(&other, 1));
	d = ktest_spawn(t, disestablisher, &dc, PRI_KERNEL, NULL, "dis");
	ksleep(20 * 1000 * 1000);
	KT_EXPECT_EQ(t, dc.dc_returned, 0);
	mutex_exit(&m);
	lwp_join(d);
	KT_EXPECT_EQ(t, dc.dc_returned, 1);
	KT_EXPECT_EQ(t, dc.dc_runs_at_return, 1U);
	softint_disestablish(si_other);
	mutex_destroy(&m);
}

static void
bad_flags_are_refused(struct ktest *t)
{
	KT_EXPECT_NULL(t, softint_establish(7, count_run, NULL));
	KT_EXPECT_NULL(t, softint_establish(SOFTINT_NET | 0x8000, count_run,
	    NULL));
	KT_EXPECT_NULL(t, softint_establish(SOFTINT_NET, NULL, NULL));
}

KTEST_SUITE(softint,
    KTEST_CASE(each_schedule_runs_the_handler_once),
    KTEST_CASE(schedules_before_it_runs_are_merged),
    KTEST_CASE(pending_levels_run_highest_first_at_splx),
    KTEST_CASE(scheduling_from_hard_context_with_a_spin_mutex_held),
    KTEST_CASE(schedule_cpu_runs_it_on_that_cpu),
    KTEST_CASE(disestablish_waits_for_a_running_handler),
    KTEST_CASE(bad_flags_are_refused));
