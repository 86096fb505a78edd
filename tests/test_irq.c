/*
 * test_irq.c: the generic IRQ layer and the four dispatch models (hard,
 * thread, lazy, source), on self-IPI sources (include/ipisrc.h).
 *
 * Most cases count work, not interrupts: a source's raiser adds units to
 * s_posted before raising; the primary handler takes them all (a raise
 * that finds them taken returns IRQ_NONE) and the thread function
 * completes them.  Raises coalesce, units may not: "exactly once" means
 * every unit is completed once, by one run of the thread function at a
 * time.
 */
#include <condvar.h>
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <spl.h>
#include <string.h>
#include <time.h>
#include <timer.h>

#define WAIT_NS		(20ULL * 1000 * 1000 * 1000)

struct src {
	int s_irq;
	volatile unsigned s_posted;	/* units raised, not yet taken */
	volatile unsigned s_queued;	/* taken by a primary, for the thread */
	volatile unsigned s_done;	/* completed by the thread function */
	volatile unsigned s_inside;	/* thread functions running now */
	volatile unsigned s_max_inside;
	volatile unsigned s_hard_runs, s_thread_runs;
	volatile unsigned s_pinned_runs;	/* of which borrowing a context */
	volatile int s_prim_cpu, s_thread_cpu;
	struct lwp *volatile s_thread_lwp;
	kmutex_t *s_block_on;		/* thread function takes it if set */
	volatile int s_blocking;	/* it is about to */
};

static irqreturn_t
src_primary(int irq, void *arg)
{
	struct src *s = arg;
	unsigned n = __atomic_exchange_n(&s->s_posted, 0, __ATOMIC_ACQ_REL);

	s->s_prim_cpu = (int)cpu_number();
	if (n == 0)
		return IRQ_NONE;
	__atomic_fetch_add(&s->s_queued, n, __ATOMIC_ACQ_REL);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
src_thread(int irq, void *arg)
{
	struct src *s = arg;
	unsigned in = __atomic_add_fetch(&s->s_inside, 1, __ATOMIC_ACQ_REL);
	kmutex_t *m = s->s_block_on;

	if (in > s->s_max_inside)
		s->s_max_inside = in;
	if (m != NULL) {
		ktest_set_flag(&s->s_blocking);
		mutex_enter(m);
		mutex_exit(m);
	}
	if (cpu_intr_p()) {
		s->s_hard_runs++;
	} else {
		s->s_thread_runs++;
		s->s_thread_lwp = curlwp;
		if (lwp_pinned(curlwp) != NULL)
			s->s_pinned_runs++;
	}
	s->s_thread_cpu = (int)cpu_number();
	__atomic_fetch_add(&s->s_done,
	    __atomic_exchange_n(&s->s_queued, 0, __ATOMIC_ACQ_REL),
	    __ATOMIC_ACQ_REL);
	__atomic_sub_fetch(&s->s_inside, 1, __ATOMIC_ACQ_REL);
	return IRQ_HANDLED;
}

static void
src_post(struct src *s, unsigned units)
{
	__atomic_fetch_add(&s->s_posted, units, __ATOMIC_ACQ_REL);
	ipisrc_raise(s->s_irq);
}

/* Wait until *v == want (sleeping a millisecond at a time). */
static bool
wait_for(volatile unsigned *v, unsigned want)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += 1000000) {
		if (__atomic_load_n(v, __ATOMIC_ACQUIRE) == want)
			return true;
		ksleep(1000000);
	}
	return *v == want;
}

static struct src *
src_new(struct ktest *t, unsigned long flags)
{
	struct src *s = kmem_zalloc(sizeof(*s), KM_SLEEP);

	s->s_irq = ipisrc_create("test");
	KT_ASSERT_GE(t, s->s_irq, 0);
	KT_ASSERT_EQ(t, request_threaded_irq(s->s_irq, src_primary, src_thread,
	    flags, "test", s), 0);
	return s;
}

static void
src_free(struct src *s)
{
	free_irq(s->s_irq, s);
	ipisrc_destroy(s->s_irq);
	kmem_free(s, sizeof(*s));
}

static irqreturn_t nop_primary(int irq, void *arg) { return IRQ_HANDLED; }
static irqreturn_t nop_thread(int irq, void *arg) { return IRQ_HANDLED; }

static void
misuse_is_refused_with_an_error(struct ktest *t)
{
	int irq = ipisrc_create("refusals");
	int a, b;

	KT_ASSERT_GE(t, irq, 0);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, NULL, nop_thread, 0, "x", &a),
	    -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, NULL, NULL, IRQF_ONESHOT,
	    "x", &a), -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, NULL,
	    IRQF_SHARED, "x", NULL), -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, nop_thread,
	    IRQF_PERCPU, "x", &a), -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, nop_thread,
	    IRQF_SLEEPABLE | IRQF_MODE(IRQ_MODE_HARD), "x", &a), -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, nop_thread,
	    IRQF_NO_THREAD | IRQF_MODE(IRQ_MODE_THREAD), "x", &a), -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, nop_thread,
	    IRQF_PRIO(NPRI), "x", &a), -EINVAL);
	KT_EXPECT_EQ(t, request_threaded_irq(-1, nop_primary, NULL, 0, "x",
	    &a), -ENOENT);
	KT_ASSERT_EQ(t, request_threaded_irq(irq, nop_primary, NULL,
	    IRQF_SHARED, "a", &a), 0);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, NULL, 0, "b",
	    &b), -EBUSY);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, NULL,
	    IRQF_SHARED | IRQF_ONESHOT, "b", &b), -EBUSY);
	KT_EXPECT_EQ(t, request_threaded_irq(irq, nop_primary, NULL,
	    IRQF_SHARED, "a again", &a), -EBUSY);
	KT_EXPECT_EQ(t, irq_set_mode(irq, &a, IRQ_MODE_THREAD), -EINVAL);
	KT_EXPECT_EQ(t, irq_set_mode(irq, &a, IRQ_MODE_LAZY), -EINVAL);
	KT_EXPECT_EQ(t, irq_set_mode(irq, &b, IRQ_MODE_HARD), -ENOENT);
	KT_EXPECT_EQ(t, irq_set_priority(irq, &a, 0), -EINVAL);
	free_irq(irq, &a);
	ipisrc_destroy(irq);
}

/* Post n units one raise at a time, waiting for each to complete. */
static void
post_one_by_one(struct ktest *t, struct src *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		src_post(s, 1);
		KT_ASSERT_TRUE(t, wait_for(&s->s_done, i + 1));
	}
}

static void
hard_model_runs_the_thread_function_in_hard_context(struct ktest *t)
{
	struct src *s = src_new(t, IRQF_MODE(IRQ_MODE_HARD));
	struct irq_stats st;

	post_one_by_one(t, s, 100);
	KT_EXPECT_EQ(t, s->s_hard_runs, 100U);
	KT_EXPECT_EQ(t, s->s_thread_runs, 0U);
	KT_ASSERT_EQ(t, irq_get_stats(s->s_irq, s, &st), 0);
	KT_EXPECT_EQ(t, st.is_mode, IRQ_MODE_HARD);
	KT_EXPECT_EQ(t, st.is_primary, 100U);
	KT_EXPECT_EQ(t, st.is_woken, 100U);
	KT_EXPECT_EQ(t, st.is_thread_runs, 100U);
	KT_EXPECT_EQ(t, irq_line_count(s->s_irq), 100U);
	src_free(s);
}

static void
thread_model_runs_the_thread_function_in_its_own_thread(struct ktest *t)
{
	struct src *s = src_new(t, IRQF_MODE(IRQ_MODE_THREAD));
	struct irq_stats st;

	post_one_by_one(t, s, 100);
	KT_EXPECT_EQ(t, s->s_hard_runs, 0U);
	KT_EXPECT_EQ(t, s->s_thread_runs, 100U);
	KT_ASSERT_EQ(t, irq_get_stats(s->s_irq, s, &st), 0);
	KT_EXPECT_EQ(t, st.is_mode, IRQ_MODE_THREAD);
	KT_EXPECT_EQ(t, st.is_thread_runs, 100U);
	KT_EXPECT_EQ(t, (void *)s->s_thread_lwp, (void *)st.is_thread);
	KT_EXPECT_EQ(t, lwp_base_priority(st.is_thread), IRQ_PRIO_DEFAULT);
	src_free(s);
}

static bool
name_starts(const struct lwp *l, const char *prefix)
{
	return l != NULL && strncmp(lwp_name(l), prefix, strlen(prefix)) == 0;
}

static void
lazy_model_runs_the_thread_function_pinned_over_the_interrupted_lwp(
    struct ktest *t)
{
	struct src *s = src_new(t, IRQF_MODE(IRQ_MODE_LAZY));
	struct irq_stats st;

	post_one_by_one(t, s, 100);
	KT_EXPECT_EQ(t, s->s_hard_runs, 0U);
	KT_EXPECT_EQ(t, s->s_thread_runs, 100U);
	KT_EXPECT_EQ(t, s->s_pinned_runs, 100U);
	KT_EXPECT_TRUE(t, name_starts(s->s_thread_lwp, "intr"));
	KT_ASSERT_EQ(t, irq_get_stats(s->s_irq, s, &st), 0);
	KT_EXPECT_EQ(t, st.is_mode, IRQ_MODE_LAZY);
	KT_EXPECT_EQ(t, st.is_thread_runs, 100U);
	src_free(s);
}

static void
source_model_runs_the_thread_function_in_the_line_thread(struct ktest *t)
{
	struct src *s = src_new(t, IRQF_MODE(IRQ_MODE_SOURCE));
	char want[24];

	post_one_by_one(t, s, 100);
	snprintf(want, sizeof(want), "irq/%d-src", s->s_irq);
	KT_EXPECT_EQ(t, s->s_hard_runs, 0U);
	KT_EXPECT_EQ(t, s->s_thread_runs, 100U);
	KT_EXPECT_EQ(t, s->s_pinned_runs, 0U);
	KT_EXPECT_TRUE(t, name_starts(s->s_thread_lwp, want));
	src_free(s);
}

/* Load: one source per CPU, raisers on every CPU posting to all of them. */
#define LOAD_POSTS	300

struct load {
	struct src *l_src[MAXCPUS];
	unsigned l_nsrc;
};

static void
raiser(void *arg)
{
	struct load *ld = arg;

	for (unsigned i = 0; i < LOAD_POSTS; i++)
		for (unsigned j = 0; j < ld->l_nsrc; j++)
			src_post(ld->l_src[j], 1);
}

static void
every_unit_completes_once_under_load(struct ktest *t, enum irq_mode mode)
{
	struct load *ld = kmem_zalloc(sizeof(*ld), KM_SLEEP);
	struct lwp *r[MAXCPUS];

	ld->l_nsrc = ncpu;
	for (unsigned i = 0; i < ncpu; i++) {
		cpuset_t set = cpuset_of(i);

		ld->l_src[i] = src_new(t, IRQF_MODE(mode));
		KT_ASSERT_EQ(t, irq_set_affinity(ld->l_src[i]->s_irq, &set), 0);
	}
	for (unsigned i = 0; i < ncpu; i++)
		r[i] = ktest_spawn(t, raiser, ld, PRI_KERNEL, cpu_lookup(i),
		    "raiser");
	for (unsigned i = 0; i < ncpu; i++)
		lwp_join(r[i]);
	for (unsigned i = 0; i < ncpu; i++) {
		struct src *s = ld->l_src[i];

		KT_EXPECT_TRUE(t, wait_for(&s->s_done, LOAD_POSTS * ncpu));
		KT_EXPECT_EQ(t, s->s_posted, 0U);
		KT_EXPECT_EQ(t, s->s_max_inside, 1U);
		KT_EXPECT_EQ(t, s->s_prim_cpu, (int)i);
		src_free(s);
	}
	kmem_free(ld, sizeof(*ld));
}

static void
hard_model_completes_every_unit_once_under_load(struct ktest *t)
{
	every_unit_completes_once_under_load(t, IRQ_MODE_HARD);
}

static void
thread_model_completes_every_unit_once_under_load(struct ktest *t)
{
	every_unit_completes_once_under_load(t, IRQ_MODE_THREAD);
}

static void
lazy_model_completes_every_unit_once_under_load(struct ktest *t)
{
	every_unit_completes_once_under_load(t, IRQ_MODE_LAZY);
}

static void
source_model_completes_every_unit_once_under_load(struct ktest *t)
{
	every_unit_completes_once_under_load(t, IRQ_MODE_SOURCE);
}

/* Switch models back and forth while a raiser posts. */
struct poster {
	struct src *p_src;
	volatile int p_stop;
	unsigned p_posts;
};

static void
post_until_stopped(void *arg)
{
	struct poster *p = arg;

	while (!p->p_stop) {
		src_post(p->p_src, 1);
		p->p_posts++;
		delay_ns(20 * 1000);
	}
}

static void
switching_models_while_interrupts_arrive_loses_and_duplicates_none(
    struct ktest *t)
{
	struct src *s = src_new(t, IRQF_MODE(IRQ_MODE_HARD));
	struct poster p = { .p_src = s };
	struct lwp *l = ktest_spawn(t, post_until_stopped, &p, PRI_KERNEL,
	    NULL, "poster");

	static const enum irq_mode cycle[] = {
		IRQ_MODE_THREAD, IRQ_MODE_LAZY, IRQ_MODE_HARD, IRQ_MODE_SOURCE,
		IRQ_MODE_LAZY, IRQ_MODE_THREAD, IRQ_MODE_SOURCE, IRQ_MODE_HARD,
	};

	for (unsigned i = 0; i < 48; i++) {
		KT_EXPECT_EQ(t, irq_set_mode(s->s_irq, s,
		    cycle[i % nitems(cycle)]), 0);
		ksleep(1000 * 1000);
	}
	ktest_set_flag(&p.p_stop);
	lwp_join(l);
	KT_EXPECT_TRUE(t, wait_for(&s->s_done, p.p_posts));
	KT_EXPECT_EQ(t, s->s_posted, 0U);
	KT_EXPECT_EQ(t, s->s_max_inside, 1U);
	KT_EXPECT_GT(t, s->s_hard_runs, 0U);
	KT_EXPECT_GT(t, s->s_thread_runs, 0U);
	KT_EXPECT_GT(t, s->s_pinned_runs, 0U);
	src_free(s);
}

/* ONESHOT: the source stays masked until the thread function is done. */
static void
oneshot_keeps_the_source_masked_until_the_thread_function_ends(
    struct ktest *t)
{
	kmutex_t m;
	struct src *s;

	mutex_init(&m, MUTEX_DEFAULT, IPL_NONE);
	s = src_new(t, IRQF_ONESHOT | IRQF_MODE(IRQ_MODE_THREAD));
	s->s_block_on = &m;
	mutex_enter(&m);
	src_post(s, 1);
	KT_ASSERT_TRUE(t, ktest_wait_flag(&s->s_blocking, WAIT_NS));
	for (unsigned i = 0; i < 5; i++)
		src_post(s, 1);
	ksleep(10 * 1000 * 1000);
	KT_EXPECT_EQ(t, irq_line_count(s->s_irq), 1U);
	KT_EXPECT_EQ(t, s->s_posted, 5U);
	s->s_block_on = NULL;
	mutex_exit(&m);
	KT_EXPECT_TRUE(t, wait_for(&s->s_done, 6));
	KT_EXPECT_EQ(t, irq_line_count(s->s_irq), 2U);
	src_free(s);
	mutex_destroy(&m);
}

/* synchronize_irq, disable_irq and free_irq against a blocked thread. */
enum sync_op { SYNC_SYNCHRONIZE, SYNC_DISABLE, SYNC_FREE };

struct sync_case {
	struct src *sc_src;
	enum sync_op sc_op;
	volatile int sc_returned;
	unsigned sc_done_at_return;
};

static void
sync_waiter(void *arg)
{
	struct sync_case *sc = arg;

	switch (sc->sc_op) {
	case SYNC_SYNCHRONIZE:
		synchronize_irq(sc->sc_src->s_irq);
		break;
	case SYNC_DISABLE:
		disable_irq(sc->sc_src->s_irq);
		break;
	case SYNC_FREE:
		free_irq(sc->sc_src->s_irq, sc->sc_src);
		break;
	}
	sc->sc_done_at_return = sc->sc_src->s_done;
	ktest_set_flag(&sc->sc_returned);
}

static void
waits_for_a_function_blocked_on_a_mutex(struct ktest *t, enum sync_op op,
    enum irq_mode mode)
{
	struct sync_case sc = { .sc_op = op };
	struct lwp *w;
	kmutex_t m;

	mutex_init(&m, MUTEX_DEFAULT, IPL_NONE);
	sc.sc_src = src_new(t, IRQF_MODE(mode));
	sc.sc_src->s_block_on = &m;
	mutex_enter(&m);
	src_post(sc.sc_src, 1);
	KT_ASSERT_TRUE(t, ktest_wait_flag(&sc.sc_src->s_blocking, WAIT_NS));
	w = ktest_spawn(t, sync_waiter, &sc, PRI_KERNEL, NULL, "sync");
	ksleep(20 * 1000 * 1000);
	KT_EXPECT_EQ(t, sc.sc_returned, 0);
	mutex_exit(&m);
	lwp_join(w);
	KT_EXPECT_EQ(t, sc.sc_returned, 1);
	KT_EXPECT_EQ(t, sc.sc_done_at_return, 1U);
	if (op == SYNC_DISABLE) {
		KT_EXPECT_TRUE(t, irq_line_disabled(sc.sc_src->s_irq));
		src_post(sc.sc_src, 1);
		ksleep(5 * 1000 * 1000);
		KT_EXPECT_EQ(t, sc.sc_src->s_done, 1U);
		enable_irq(sc.sc_src->s_irq);
		KT_EXPECT_TRUE(t, wait_for(&sc.sc_src->s_done, 2));
	}
	if (op == SYNC_FREE) {
		ipisrc_destroy(sc.sc_src->s_irq);
		kmem_free(sc.sc_src, sizeof(*sc.sc_src));
	} else {
		src_free(sc.sc_src);
	}
	mutex_destroy(&m);
}

/* The threaded models, for the cases that hold for every one of them. */
static const enum irq_mode threaded_models[] = {
	IRQ_MODE_THREAD, IRQ_MODE_LAZY, IRQ_MODE_SOURCE,
};

static void
waits_in_every_threaded_model(struct ktest *t, enum sync_op op)
{
	for (unsigned i = 0; i < nitems(threaded_models); i++)
		waits_for_a_function_blocked_on_a_mutex(t, op,
		    threaded_models[i]);
}

static void
synchronize_irq_waits_for_a_thread_function_blocked_on_a_mutex(
    struct ktest *t)
{
	waits_in_every_threaded_model(t, SYNC_SYNCHRONIZE);
}

static void
disable_irq_waits_for_a_thread_function_and_enable_delivers_the_held_one(
    struct ktest *t)
{
	waits_in_every_threaded_model(t, SYNC_DISABLE);
}

static void
free_irq_waits_for_a_thread_function_blocked_on_a_mutex(struct ktest *t)
{
	waits_in_every_threaded_model(t, SYNC_FREE);
}

/* An interrupt held off by splraise is delivered once, at splx. */
static void
an_interrupt_held_off_by_splvm_arrives_once_at_splx(struct ktest *t)
{
	struct src *s = src_new(t, IRQF_MODE(IRQ_MODE_HARD));
	cpuset_t set;
	unsigned while_raised;
	ipl_t ipl;

	lwp_bind(curlwp, cpu_lookup(0));
	set = cpuset_of(0);
	KT_ASSERT_EQ(t, irq_set_affinity(s->s_irq, &set), 0);
	ipl = splvm();
	src_post(s, 1);
	delay_ns(5 * 1000 * 1000);
	while_raised = s->s_done;
	splx(ipl);
	KT_EXPECT_EQ(t, while_raised, 0U);
	KT_EXPECT_EQ(t, s->s_done, 1U);
	KT_EXPECT_EQ(t, irq_line_count(s->s_irq), 1U);
	lwp_bind(curlwp, NULL);
	src_free(s);
}

/*
 * A clock interrupt that nests in the handler of an interrupt held off by
 * splvm must get its EOI like any other.  With spl=soft the held-off one
 * is replayed by splx, with interrupts enabled; were the nested one's EOI
 * skipped as the replay's is, its in-service bit would stay set and the
 * LAPIC would hold off every vector up to its class (the clock, the IPIs,
 * every device) on that CPU for good.
 */
struct nest {
	volatile unsigned n_calls;
	volatile unsigned n_clock;
};

static void
count_clock(struct timer_event *te, void *arg)
{
	__atomic_fetch_add((volatile unsigned *)arg, 1, __ATOMIC_RELAXED);
}

/* Take one clock interrupt inside the primary handler. */
static irqreturn_t
primary_taking_a_clock_interrupt(int irq, void *arg)
{
	struct nest *n = arg;
	struct timer_event te;

	timer_event_init(&te, count_clock, (void *)&n->n_clock);
	timer_event_arm(&te, nanouptime());
	for (unsigned i = 0; i < 10000 && n->n_clock == 0; i++)
		delay_ns(100 * NS_PER_US);
	(void)timer_event_cancel(&te);
	n->n_calls++;
	return IRQ_HANDLED;
}

static void
a_clock_interrupt_nested_in_one_held_off_by_splvm_is_acknowledged(
    struct ktest *t)
{
	struct nest n = { 0 };
	int irq = ipisrc_create("nest");
	cpuset_t set;
	ipl_t s;

	KT_ASSERT_GE(t, irq, 0);
	lwp_bind(curlwp, ktest_stage_cpu());
	set = cpuset_of(cpu_index(ktest_stage_cpu()));
	KT_ASSERT_EQ(t, request_irq(irq, primary_taking_a_clock_interrupt,
	    IRQF_MODE(IRQ_MODE_HARD), "nest", &n), 0);
	KT_ASSERT_EQ(t, irq_set_affinity(irq, &set), 0);
	s = splvm();
	ipisrc_raise(irq);
	splx(s);
	KT_EXPECT_EQ(t, n.n_calls, 1U);
	KT_EXPECT_EQ(t, n.n_clock, 1U);
	KT_EXPECT_TRUE(t, ktest_take_interrupt());
	ipisrc_raise(irq);
	KT_EXPECT_TRUE(t, wait_for(&n.n_calls, 2));
	lwp_bind(curlwp, NULL);
	free_irq(irq, &n);
	ipisrc_destroy(irq);
}

/* Shared line: handlers run highest priority first; the knob reorders. */
struct order {
	volatile unsigned o_n;
	char o_seq[8];
};

struct sharer {
	struct order *sh_order;
	char sh_id;
};

static irqreturn_t
record_order(int irq, void *arg)
{
	struct sharer *sh = arg;
	unsigned i = __atomic_fetch_add(&sh->sh_order->o_n, 1, __ATOMIC_ACQ_REL);

	if (i < sizeof(sh->sh_order->o_seq))
		sh->sh_order->o_seq[i] = sh->sh_id;
	return IRQ_HANDLED;
}

static void
shared_handlers_run_in_priority_order_and_the_knob_reorders_them(
    struct ktest *t)
{
	struct order o = { 0 };
	struct sharer a = { &o, 'a' }, b = { &o, 'b' };
	int irq = ipisrc_create("shared");
	struct irq_stats st;

	KT_ASSERT_GE(t, irq, 0);
	KT_ASSERT_EQ(t, request_threaded_irq(irq, record_order, nop_thread,
	    IRQF_SHARED | IRQF_PRIO(170), "a", &a), 0);
	KT_ASSERT_EQ(t, request_threaded_irq(irq, record_order, nop_thread,
	    IRQF_SHARED | IRQF_PRIO(200), "b", &b), 0);
	ipisrc_raise(irq);
	KT_ASSERT_TRUE(t, wait_for(&o.o_n, 2));
	KT_EXPECT_EQ(t, o.o_seq[0], 'b');
	KT_EXPECT_EQ(t, o.o_seq[1], 'a');
	KT_ASSERT_EQ(t, irq_set_priority(irq, &a, 210), 0);
	ipisrc_raise(irq);
	KT_ASSERT_TRUE(t, wait_for(&o.o_n, 4));
	KT_EXPECT_EQ(t, o.o_seq[2], 'a');
	KT_EXPECT_EQ(t, o.o_seq[3], 'b');
	KT_ASSERT_EQ(t, irq_get_stats(irq, &a, &st), 0);
	KT_EXPECT_EQ(t, st.is_prio, 210);
	KT_EXPECT_EQ(t, lwp_base_priority(st.is_thread), 210);
	free_irq(irq, &a);
	free_irq(irq, &b);
	ipisrc_destroy(irq);
}

/* Affinity: the primary and the thread function follow the line. */
static void
affinity_moves_the_line_and_its_thread(struct ktest *t)
{
	struct src *s;

	if (ncpu < 2)
		ktest_skip(t, "needs two CPUs");
	s = src_new(t, IRQF_MODE(IRQ_MODE_THREAD));
	for (unsigned round = 0; round < 4; round++) {
		unsigned cpu = (round + 1) % 2;
		cpuset_t set = cpuset_of(cpu);

		KT_ASSERT_EQ(t, irq_set_affinity(s->s_irq, &set), 0);
		src_post(s, 1);
		KT_ASSERT_TRUE(t, wait_for(&s->s_done, round + 1));
		KT_EXPECT_EQ(t, s->s_prim_cpu, (int)cpu);
		KT_EXPECT_EQ(t, s->s_thread_cpu, (int)cpu);
	}
	src_free(s);
}

/* The unhandled-interrupt rule. */
struct unh {
	volatile unsigned u_calls;
	unsigned u_handle_first;
};

static irqreturn_t
mostly_unhandled(int irq, void *arg)
{
	struct unh *u = arg;
	unsigned n = __atomic_add_fetch(&u->u_calls, 1, __ATOMIC_ACQ_REL);

	return n <= u->u_handle_first ? IRQ_HANDLED : IRQ_NONE;
}

/* Raise irq n times, each once the previous one has been taken. */
static bool
raise_n(int irq, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t before = irq_line_count(irq);

		ipisrc_raise(irq);
		for (unsigned spins = 0; irq_line_count(irq) == before; spins++)
			if (spins > 100 * 1000 * 1000)
				return false;
	}
	return true;
}

static bool
unhandled_rule(struct ktest *t, unsigned handled)
{
	struct unh u = { 0, handled };
	int irq = ipisrc_create("unhandled");
	bool disabled;

	KT_ASSERT_GE(t, irq, 0);
	KT_ASSERT_EQ(t, request_irq(irq, mostly_unhandled, IRQF_MODE(IRQ_MODE_HARD),
	    "deaf", &u), 0);
	lwp_bind(curlwp, cpu_lookup(0));
	KT_EXPECT_TRUE(t, raise_n(irq, 99999));
	KT_EXPECT_FALSE(t, irq_line_disabled(irq));
	KT_EXPECT_TRUE(t, raise_n(irq, 1));
	disabled = irq_line_disabled(irq);
	/* A dead line takes no more interrupts, a live one does. */
	ipisrc_raise(irq);
	ksleep(5 * 1000 * 1000);
	KT_EXPECT_EQ(t, u.u_calls, disabled ? 100000U : 100001U);
	lwp_bind(curlwp, NULL);
	free_irq(irq, &u);
	ipisrc_destroy(irq);
	return disabled;
}

static void
line_with_99900_of_100000_unhandled_is_disabled(struct ktest *t)
{
	KT_EXPECT_TRUE(t, unhandled_rule(t, 100));
}

static void
line_with_99899_of_100000_unhandled_stays_enabled(struct ktest *t)
{
	KT_EXPECT_FALSE(t, unhandled_rule(t, 101));
}

/* A line is off until its first request, which delivers what was held. */
static void
a_raise_before_the_first_request_is_delivered_by_it(struct ktest *t)
{
	struct src *s = kmem_zalloc(sizeof(*s), KM_SLEEP);

	s->s_irq = ipisrc_create("early");
	KT_ASSERT_GE(t, s->s_irq, 0);
	__atomic_fetch_add(&s->s_posted, 1, __ATOMIC_ACQ_REL);
	ipisrc_raise(s->s_irq);
	ksleep(2 * 1000 * 1000);
	KT_EXPECT_EQ(t, irq_line_count(s->s_irq), 0U);
	KT_ASSERT_EQ(t, request_threaded_irq(s->s_irq, src_primary, src_thread,
	    IRQF_MODE(IRQ_MODE_THREAD), "early", s), 0);
	KT_EXPECT_TRUE(t, wait_for(&s->s_done, 1));
	KT_EXPECT_EQ(t, irq_line_count(s->s_irq), 1U);
	src_free(s);
}

/* A thread function that opted in may sleep. */
static irqreturn_t
sleepy_thread(int irq, void *arg)
{
	ksleep(1000 * 1000);
	ktest_set_flag(arg);
	return IRQ_HANDLED;
}

static void
sleepable_thread_function_may_sleep(struct ktest *t)
{
	volatile int slept = 0;
	int irq = ipisrc_create("sleepy");

	KT_ASSERT_GE(t, irq, 0);
	KT_ASSERT_EQ(t, request_threaded_irq(irq, NULL, sleepy_thread,
	    IRQF_ONESHOT | IRQF_SLEEPABLE, "sleepy", (void *)&slept), 0);
	ipisrc_raise(irq);
	KT_EXPECT_TRUE(t, ktest_wait_flag(&slept, WAIT_NS));
	free_irq(irq, (void *)&slept);
	ipisrc_destroy(irq);
}

/*
 * Latency histograms.  The raiser runs on the line's CPU, so the raise
 * stamp and the primary read one CPU's clock, and posts one unit at a
 * time, so every raise is one interrupt and one thread function run.
 */
#define HIST_RAISES	40

/* The sum of a histogram's buckets, read through irq_get_hist. */
static uint64_t
hist_total(struct ktest *t, int irq, void *dev, enum irq_hist_kind kind)
{
	uint64_t b[IRQ_HIST_BUCKETS], n = 0;

	KT_ASSERT_EQ(t, irq_get_hist(irq, dev, kind, b), 0);
	for (unsigned i = 0; i < IRQ_HIST_BUCKETS; i++)
		n += b[i];
	return n;
}

static struct src *
hist_src_on_cpu0(struct ktest *t, enum irq_mode mode)
{
	cpuset_t cpu0 = cpuset_of(0);
	struct src *s;

	lwp_bind(curlwp, cpu_lookup(0));
	s = src_new(t, IRQF_MODE(mode));
	KT_ASSERT_EQ(t, irq_set_affinity(s->s_irq, &cpu0), 0);
	return s;
}

static void
histograms_count_every_interrupt_in_the_threaded_models(struct ktest *t)
{
	static const enum irq_mode modes[] = {
		IRQ_MODE_THREAD, IRQ_MODE_LAZY, IRQ_MODE_SOURCE,
	};

	for (size_t i = 0; i < nitems(modes); i++) {
		struct src *s = hist_src_on_cpu0(t, modes[i]);
		struct irq_stats st;

		post_one_by_one(t, s, HIST_RAISES);
		KT_ASSERT_EQ(t, irq_get_stats(s->s_irq, s, &st), 0);
		KT_EXPECT_EQ(t, st.is_primary, HIST_RAISES);
		KT_EXPECT_EQ(t, st.is_thread_runs, HIST_RAISES);
		KT_EXPECT_EQ(t, hist_total(t, s->s_irq, NULL, IRQ_HIST_RAISE),
		    HIST_RAISES);
		KT_EXPECT_EQ(t, hist_total(t, s->s_irq, s, IRQ_HIST_WAKE),
		    HIST_RAISES);
		/* One HIST line for the line's raises, one for the wakes. */
		KT_EXPECT_EQ(t, irq_print_hist(s->s_irq), 2);
		src_free(s);
	}
}

static void
an_empty_histogram_is_not_printed(struct ktest *t)
{
	struct src *s = hist_src_on_cpu0(t, IRQ_MODE_HARD);
	uint64_t b[IRQ_HIST_BUCKETS];
	int other, irq;

	KT_EXPECT_EQ(t, hist_total(t, s->s_irq, NULL, IRQ_HIST_RAISE), 0U);
	KT_EXPECT_EQ(t, hist_total(t, s->s_irq, s, IRQ_HIST_WAKE), 0U);
	KT_EXPECT_EQ(t, irq_print_hist(s->s_irq), 0);
	/* The hard model runs the thread function inline: no wake counted. */
	post_one_by_one(t, s, HIST_RAISES);
	KT_EXPECT_EQ(t, hist_total(t, s->s_irq, NULL, IRQ_HIST_RAISE),
	    HIST_RAISES);
	KT_EXPECT_EQ(t, hist_total(t, s->s_irq, s, IRQ_HIST_WAKE), 0U);
	KT_EXPECT_EQ(t, irq_print_hist(s->s_irq), 1);
	KT_EXPECT_EQ(t, irq_get_hist(s->s_irq, &other, IRQ_HIST_WAKE, b),
	    -ENOENT);
	KT_EXPECT_EQ(t, irq_get_hist(s->s_irq, s, (enum irq_hist_kind)7, b),
	    -EINVAL);
	irq = s->s_irq;
	src_free(s);
	KT_EXPECT_EQ(t, irq_get_hist(irq, NULL, IRQ_HIST_RAISE, b), -ENOENT);
	KT_EXPECT_EQ(t, irq_print_hist(irq), -ENOENT);
}

/* q35's firmware routes ISA IRQ 0 (the PIT) to GSI 2; the rest 1:1. */
static void
isa_irqs_map_through_the_overrides(struct ktest *t)
{
	KT_EXPECT_EQ(t, irq_isa(0), 2);
	KT_EXPECT_EQ(t, irq_isa(4), 4);
	KT_EXPECT_EQ(t, irq_isa(8), 8);
	KT_EXPECT_EQ(t, irq_isa(16), -ENOENT);
}

KTEST_SUITE(irq,
    KTEST_CASE(misuse_is_refused_with_an_error),
    KTEST_CASE(isa_irqs_map_through_the_overrides),
    KTEST_CASE(hard_model_runs_the_thread_function_in_hard_context),
    KTEST_CASE(thread_model_runs_the_thread_function_in_its_own_thread),
    KTEST_CASE(lazy_model_runs_the_thread_function_pinned_over_the_interrupted_lwp),
    KTEST_CASE(source_model_runs_the_thread_function_in_the_line_thread),
    KTEST_CASE(hard_model_completes_every_unit_once_under_load),
    KTEST_CASE(thread_model_completes_every_unit_once_under_load),
    KTEST_CASE(lazy_model_completes_every_unit_once_under_load),
    KTEST_CASE(source_model_completes_every_unit_once_under_load),
    KTEST_CASE(switching_models_while_interrupts_arrive_loses_and_duplicates_none),
    KTEST_CASE(oneshot_keeps_the_source_masked_until_the_thread_function_ends),
    KTEST_CASE(synchronize_irq_waits_for_a_thread_function_blocked_on_a_mutex),
    KTEST_CASE(disable_irq_waits_for_a_thread_function_and_enable_delivers_the_held_one),
    KTEST_CASE(free_irq_waits_for_a_thread_function_blocked_on_a_mutex),
    KTEST_CASE(an_interrupt_held_off_by_splvm_arrives_once_at_splx),
    KTEST_CASE(a_clock_interrupt_nested_in_one_held_off_by_splvm_is_acknowledged),
    KTEST_CASE(shared_handlers_run_in_priority_order_and_the_knob_reorders_them),
    KTEST_CASE(affinity_moves_the_line_and_its_thread),
    KTEST_CASE(line_with_99900_of_100000_unhandled_is_disabled),
    KTEST_CASE(line_with_99899_of_100000_unhandled_stays_enabled),
    KTEST_CASE(a_raise_before_the_first_request_is_delivered_by_it),
    KTEST_CASE(sleepable_thread_function_may_sleep),
    KTEST_CASE(histograms_count_every_interrupt_in_the_threaded_models),
    KTEST_CASE(an_empty_histogram_is_not_printed));
