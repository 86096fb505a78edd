/*
 * test_trace.c: the trace rings (include/trace.h, kern/trace.c) and the
 * hooks of the interrupt paths.
 *
 * Each case clears the rings, traces a scenario on CPU 0 (the case's
 * thread bound there, self-IPI lines routed there), stops tracing and
 * reads CPU 0's ring.  The hook cases look for their events as an
 * ordered subsequence of the ring: other events (the clock, IPIs) may
 * come in between, but not reorder them.
 */
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <softint.h>
#include <spl.h>
#include <time.h>
#include <trace.h>

#define WAIT_NS		(5ULL * 1000 * 1000 * 1000)
#define NMARKS		100

/* The ring of CPU 0, read after tracing stopped. */
struct capture {
	struct trace_event *c_ev;
	size_t c_n;
	uint64_t c_lost;
};

static void
capture_start(void)
{
	lwp_bind(curlwp, cpu_lookup(0));
	trace_clear();
	trace_start();
}

static void
capture_stop(struct capture *c)
{
	trace_stop();
	c->c_ev = kmem_alloc(TRACE_RING_EVENTS * sizeof(*c->c_ev), KM_SLEEP);
	c->c_n = trace_read(0, c->c_ev, TRACE_RING_EVENTS, &c->c_lost);
}

static void
capture_free(struct capture *c)
{
	kmem_free(c->c_ev, TRACE_RING_EVENTS * sizeof(*c->c_ev));
}

/* Index of the first event at or after from of this type (and action,
 * when act is not 0), or c_n. */
static size_t
find(const struct capture *c, size_t from, unsigned type, uint64_t act)
{
	for (size_t i = from; i < c->c_n; i++) {
		const struct trace_event *e = &c->c_ev[i];

		if (e->te_type == type && (act == 0 || e->te_a1 == act))
			return i;
	}
	return c->c_n;
}

/*
 * Expect types[] in this order in c from `from` on (events of an action
 * that carry it in a1 must carry act); returns the index after the last,
 * or c_n after recording a failure naming the missing type.
 */
static size_t
expect_in_order(struct ktest *t, const struct capture *c, size_t from,
    const unsigned *types, size_t ntypes, uint64_t act)
{
	for (size_t k = 0; k < ntypes; k++) {
		bool by_act = types[k] >= TRACE_PRIMARY_START &&
		    types[k] <= TRACE_THREADFN_END;
		size_t i = find(c, from, types[k], by_act ? act : 0);

		if (i == c->c_n) {
			ktest_fail(t, false, __FILE__, __LINE__,
			    "no %s after event %zu (step %zu of %zu)",
			    trace_type_name(types[k]), from, k + 1, ntypes);
			return c->c_n;
		}
		from = i + 1;
	}
	return from;
}

static void
marks_are_recorded_in_order_with_monotonic_timestamps(struct ktest *t)
{
	struct capture c;
	uint64_t next = 0;

	capture_start();
	for (unsigned i = 0; i < NMARKS; i++)
		TRACE(TRACE_MARK, 7, i, 0);
	capture_stop(&c);
	KT_EXPECT_EQ(t, c.c_lost, 0);
	for (size_t i = 0; i < c.c_n; i++) {
		const struct trace_event *e = &c.c_ev[i];

		if (i > 0)
			KT_EXPECT_GE(t, e->te_tsc, c.c_ev[i - 1].te_tsc);
		if (e->te_type != TRACE_MARK)
			continue;
		KT_EXPECT_EQ(t, e->te_a0, next);
		KT_EXPECT_EQ(t, e->te_arg, 7);
		KT_EXPECT_EQ(t, e->te_lid, lwp_id(curlwp));
		next++;
	}
	KT_EXPECT_EQ(t, next, NMARKS);
	capture_free(&c);
}

static void
a_full_ring_keeps_the_newest_events(struct ktest *t)
{
	const uint64_t total = TRACE_RING_EVENTS + NMARKS;
	struct capture c;
	uint64_t first = ~0ULL, prev = 0, nmarks = 0;
	int s;

	capture_start();
	s = splhigh();		/* nothing else gets in between */
	for (uint64_t i = 0; i < total; i++)
		trace_record(TRACE_MARK, 0, i, 0);
	splx(s);
	capture_stop(&c);
	KT_EXPECT_EQ(t, c.c_n, TRACE_RING_EVENTS);
	KT_EXPECT_GE(t, c.c_lost, NMARKS);
	for (size_t i = 0; i < c.c_n; i++) {
		const struct trace_event *e = &c.c_ev[i];

		if (e->te_type != TRACE_MARK)
			continue;
		if (nmarks++ == 0)
			first = e->te_a0;
		else
			KT_EXPECT_EQ(t, e->te_a0, prev + 1);
		prev = e->te_a0;
	}
	KT_EXPECT_GE(t, first, NMARKS);		/* the oldest were overwritten */
	KT_EXPECT_EQ(t, prev, total - 1);	/* the newest is there */
	capture_free(&c);
}

static void
stop_really_stops(struct ktest *t)
{
	struct capture c;
	size_t before;

	capture_start();
	KT_EXPECT_TRUE(t, trace_enabled());
	trace_stop();
	KT_EXPECT_FALSE(t, trace_enabled());
	c.c_ev = kmem_alloc(TRACE_RING_EVENTS * sizeof(*c.c_ev), KM_SLEEP);
	before = trace_read(0, c.c_ev, TRACE_RING_EVENTS, NULL);
	for (unsigned i = 0; i < NMARKS; i++) {
		TRACE(TRACE_MARK, 0, i, 0);
		trace_record(TRACE_MARK, 0, i, 0);
	}
	yield();
	c.c_n = trace_read(0, c.c_ev, TRACE_RING_EVENTS, &c.c_lost);
	KT_EXPECT_EQ(t, c.c_n, before);
	KT_EXPECT_EQ(t, find(&c, 0, TRACE_MARK, 0), c.c_n);
	capture_free(&c);
}

static void
clear_empties_every_ring(struct ktest *t)
{
	struct trace_event e;

	capture_start();
	TRACE(TRACE_MARK, 0, 1, 0);
	trace_stop();
	KT_EXPECT_GE(t, trace_read(0, &e, 1, NULL), 1);
	trace_clear();
	KT_EXPECT_FALSE(t, trace_enabled());
	for (unsigned i = 0; i < ncpu; i++)
		KT_EXPECT_EQ(t, trace_read(i, &e, 1, NULL), 0);
}

/* Self-IPI lines on CPU 0 whose thread function counts and may block. */
struct tline {
	int tl_irq;
	kmutex_t *tl_lock;
	volatile unsigned tl_done;
};

static irqreturn_t
tline_primary(int irq, void *arg)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
tline_thread_fn(int irq, void *arg)
{
	struct tline *tl = arg;

	if (tl->tl_lock != NULL) {
		mutex_enter(tl->tl_lock);
		mutex_exit(tl->tl_lock);
	}
	__atomic_add_fetch(&tl->tl_done, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static void
tline_open(struct ktest *t, struct tline *tl, enum irq_mode mode)
{
	cpuset_t cpu0 = cpuset_of(0);

	tl->tl_irq = ipisrc_create("trace-test");
	KT_ASSERT_GE(t, tl->tl_irq, 0);
	KT_ASSERT_EQ(t, request_threaded_irq(tl->tl_irq, tline_primary,
	    tline_thread_fn, IRQF_MODE(mode), "trace-test", tl), 0);
	KT_ASSERT_EQ(t, irq_set_affinity(tl->tl_irq, &cpu0), 0);
}

static void
tline_close(struct tline *tl)
{
	free_irq(tl->tl_irq, tl);
	ipisrc_destroy(tl->tl_irq);
}

static bool
tline_wait(struct tline *tl)
{
	uint64_t deadline = nanouptime() + WAIT_NS;

	while (__atomic_load_n(&tl->tl_done, __ATOMIC_ACQUIRE) == 0) {
		if (nanouptime() > deadline)
			return false;
		yield();
	}
	return true;
}

/* Raise a line of this model once, traced; c gets CPU 0's ring. */
static uint64_t
trace_one_interrupt(struct ktest *t, struct tline *tl, enum irq_mode mode,
    struct capture *c)
{
	uint64_t act;

	tline_open(t, tl, mode);
	capture_start();
	if (tl->tl_lock != NULL)
		mutex_enter(tl->tl_lock);
	ipisrc_raise(tl->tl_irq);
	if (tl->tl_lock != NULL)
		mutex_exit(tl->tl_lock);
	KT_EXPECT_TRUE(t, tline_wait(tl));
	capture_stop(c);
	tline_close(tl);
	act = c->c_ev[find(c, 0, TRACE_PRIMARY_START, 0) % c->c_n].te_a1;
	KT_EXPECT_LT(t, find(c, 0, TRACE_PRIMARY_START, 0), c->c_n);
	return act;
}

static void
hard_interrupt_records_entry_primary_thread_fn_exit(struct ktest *t)
{
	static const unsigned want[] = {
		TRACE_IRQ_ENTER, TRACE_PRIMARY_START, TRACE_PRIMARY_END,
		TRACE_THREADFN_START, TRACE_THREADFN_END, TRACE_IRQ_EXIT,
	};
	struct tline tl = { .tl_lock = NULL };
	struct capture c;
	uint64_t act = trace_one_interrupt(t, &tl, IRQ_MODE_HARD, &c);
	size_t i = find(&c, 0, TRACE_IRQ_ENTER, 0);

	while (i < c.c_n && c.c_ev[i].te_arg != tl.tl_irq)
		i = find(&c, i + 1, TRACE_IRQ_ENTER, 0);
	KT_EXPECT_LT(t, i, c.c_n);
	expect_in_order(t, &c, i, want, 6, act);
	i = find(&c, 0, TRACE_PRIMARY_END, act);
	if (i < c.c_n)
		KT_EXPECT_EQ(t, c.c_ev[i].te_a0, IRQ_WAKE_THREAD);
	capture_free(&c);
}

static void
lazy_interrupt_records_primary_pin_thread_fn_unpin(struct ktest *t)
{
	static const unsigned want[] = {
		TRACE_PRIMARY_START, TRACE_PRIMARY_END, TRACE_PIN,
		TRACE_THREADFN_START, TRACE_THREADFN_END, TRACE_UNPIN,
	};
	struct tline tl = { .tl_lock = NULL };
	struct capture c;
	uint64_t act = trace_one_interrupt(t, &tl, IRQ_MODE_LAZY, &c);
	size_t pin = find(&c, 0, TRACE_PIN, 0);
	size_t fn = find(&c, 0, TRACE_THREADFN_START, act);

	expect_in_order(t, &c, 0, want, 6, act);
	if (pin < c.c_n && fn < c.c_n) {
		/* The thread function runs in the thread that pinned us. */
		KT_EXPECT_EQ(t, c.c_ev[pin].te_a1, lwp_id(curlwp));
		KT_EXPECT_EQ(t, c.c_ev[fn].te_lid, c.c_ev[pin].te_a0);
	}
	capture_free(&c);
}

static void
thread_model_records_a_switch_to_the_irq_thread(struct ktest *t)
{
	static const unsigned want[] = {
		TRACE_PRIMARY_END, TRACE_SWITCH, TRACE_THREADFN_START,
		TRACE_THREADFN_END,
	};
	struct tline tl = { .tl_lock = NULL };
	struct capture c;
	uint64_t act = trace_one_interrupt(t, &tl, IRQ_MODE_THREAD, &c);
	size_t end = find(&c, 0, TRACE_PRIMARY_END, act);
	size_t sw = find(&c, end, TRACE_SWITCH, 0);
	size_t fn = find(&c, 0, TRACE_THREADFN_START, act);

	expect_in_order(t, &c, 0, want, 4, act);
	if (sw < c.c_n && fn < c.c_n)
		KT_EXPECT_EQ(t, c.c_ev[fn].te_lid, c.c_ev[sw].te_a0);
	capture_free(&c);
}

static void
blocked_lazy_handler_records_block_unpin_and_wake(struct ktest *t)
{
	static const unsigned want[] = {
		TRACE_PIN, TRACE_THREADFN_START, TRACE_BLOCK, TRACE_UNPIN,
		TRACE_WAKE, TRACE_THREADFN_END,
	};
	kmutex_t lock;
	struct tline tl = { .tl_lock = &lock };
	struct capture c;
	uint64_t act;
	size_t blk, unpin;

	mutex_init(&lock, MUTEX_DEFAULT, IPL_NONE);
	act = trace_one_interrupt(t, &tl, IRQ_MODE_LAZY, &c);
	expect_in_order(t, &c, 0, want, 6, act);
	blk = find(&c, 0, TRACE_BLOCK, 0);
	unpin = find(&c, blk, TRACE_UNPIN, 0);
	if (blk < c.c_n) {
		KT_EXPECT_EQ(t, c.c_ev[blk].te_a0, (uintptr_t)&lock);
		KT_EXPECT_EQ(t, c.c_ev[blk].te_a1, lwp_id(curlwp));
	}
	if (unpin < c.c_n)
		KT_EXPECT_EQ(t, c.c_ev[unpin].te_arg, TRACE_UNPIN_BLOCK);
	capture_free(&c);
}

static volatile unsigned softint_ran;

static void
count_softint(void *arg)
{
	__atomic_add_fetch(&softint_ran, 1, __ATOMIC_RELEASE);
}

static void
soft_interrupt_records_start_and_end(struct ktest *t)
{
	static const unsigned want[] = {
		TRACE_PIN, TRACE_SOFTINT_START, TRACE_SOFTINT_END, TRACE_UNPIN,
	};
	void *si = softint_establish(SOFTINT_BIO | SOFTINT_MPSAFE,
	    count_softint, NULL);
	unsigned before = softint_ran;
	uint64_t deadline = nanouptime() + WAIT_NS;
	struct capture c;
	size_t i;

	KT_ASSERT_NOT_NULL(t, si);
	capture_start();
	softint_schedule(si);
	while (__atomic_load_n(&softint_ran, __ATOMIC_ACQUIRE) == before &&
	    nanouptime() < deadline)
		yield();
	capture_stop(&c);
	softint_disestablish(si);
	expect_in_order(t, &c, 0, want, 4, 0);
	i = find(&c, 0, TRACE_SOFTINT_START, 0);
	if (i < c.c_n) {
		KT_EXPECT_EQ(t, c.c_ev[i].te_a0, (uintptr_t)count_softint);
		KT_EXPECT_EQ(t, c.c_ev[i].te_a1, (uintptr_t)si);
	}
	capture_free(&c);
}

KTEST_SUITE(trace,
    KTEST_CASE(marks_are_recorded_in_order_with_monotonic_timestamps),
    KTEST_CASE(a_full_ring_keeps_the_newest_events),
    KTEST_CASE(stop_really_stops),
    KTEST_CASE(clear_empties_every_ring),
    KTEST_CASE(hard_interrupt_records_entry_primary_thread_fn_exit),
    KTEST_CASE(lazy_interrupt_records_primary_pin_thread_fn_unpin),
    KTEST_CASE(thread_model_records_a_switch_to_the_irq_thread),
    KTEST_CASE(blocked_lazy_handler_records_block_unpin_and_wake),
    KTEST_CASE(soft_interrupt_records_start_and_end));
