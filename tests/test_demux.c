/*
 * test_demux.c: child interrupts behind a demultiplexing handler
 * (kern/irq_demux.c, include/irq_demux.h), both ways: chained and nested.
 *
 * The first cases drive the IRQ layer alone: a software "card" whose
 * interrupt line is a self-IPI source (include/ipisrc.h) and whose four
 * sources are bits in a word.  Posting work to child i adds units and
 * sets its cause bit, then raises the parent; a child's primary takes
 * the bit and the units, its thread function completes them and records
 * where it ran.  Masking a child at this "device" keeps its cause and
 * raises the parent again on unmask, as a UART does.  Posting one unit
 * at a time and waiting for it makes every count exact: the parent line's
 * and action's, and each child line's and action's.
 *
 * The last cases run the same checks on QEMU's pci-serial-4x (dev/puc.c):
 * its 16550s in loopback (MCR bit 4) receive what they send, so distinct
 * byte counts sent on distinct ports must come back intact on the right
 * port, counted on that port's child line only, under chained dispatch
 * with each child model and under nested dispatch.  They skip without
 * the card (tools/boot --device pci-serial-4x).
 *
 * Waits are bounded counts of 1 ms sleeps; nothing depends on time.
 */
#include <com.h>
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <irq_demux.h>
#include <kassert.h>
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <puc.h>
#include <spl.h>
#include <string.h>
#include <time.h>
#include <tty.h>

#define WAIT_NS		(30ULL * NS_PER_SEC)
#define NKIDS		4
#define NOINLINE	__attribute__((noinline))

struct fdev;

struct kid {
	struct fdev *k_dev;
	unsigned k_bit;
	volatile unsigned k_posted;	/* units posted, not yet taken */
	volatile unsigned k_queued;	/* taken by the primary */
	volatile unsigned k_done;	/* completed by the thread function */
	volatile unsigned k_inside, k_max_inside;
	volatile unsigned k_hard_runs, k_pinned_runs;
	volatile bool k_prim_hard;	/* the last primary ran in hard context */
	volatile int k_prim_ipl;	/* ... at this level */
	volatile unsigned k_prim_stamp;	/* order of the last primary */
	struct lwp *volatile k_lwp;	/* the last thread function's LWP */
	volatile bool k_fault;		/* the next thread function faults */
	volatile bool k_storm;		/* each thread function posts again */
};

struct fdev {
	int f_parent;
	struct irq_demux *f_dm;
	int f_irq[NKIDS];
	volatile uint32_t f_cause;	/* atomic: children with a cause */
	volatile uint32_t f_masked;	/* atomic: children masked */
	volatile unsigned f_stamp;	/* atomic: primaries so far */
	struct kid f_kid[NKIDS];
};

static const char *const kid_names[NKIDS] = { "kid0", "kid1", "kid2", "kid3" };

/* The "device". */

static uint32_t
fdev_pending(void *arg)
{
	struct fdev *f = arg;

	return __atomic_load_n(&f->f_cause, __ATOMIC_ACQUIRE) &
	    ~__atomic_load_n(&f->f_masked, __ATOMIC_ACQUIRE);
}

static void
fdev_mask(void *arg, unsigned i)
{
	struct fdev *f = arg;

	__atomic_fetch_or(&f->f_masked, 1U << i, __ATOMIC_ACQ_REL);
}

/* A source unmasked with its cause still set asserts the line again. */
static void
fdev_unmask(void *arg, unsigned i)
{
	struct fdev *f = arg;

	__atomic_fetch_and(&f->f_masked, ~(1U << i), __ATOMIC_ACQ_REL);
	if (__atomic_load_n(&f->f_cause, __ATOMIC_ACQUIRE) & (1U << i))
		ipisrc_raise(f->f_parent);
}

static const struct irq_demux_ops fdev_ops = {
	.dmo_pending = fdev_pending,
	.dmo_mask = fdev_mask,
	.dmo_unmask = fdev_unmask,
};

static void
post(struct kid *k, unsigned units)
{
	struct fdev *f = k->k_dev;

	__atomic_fetch_add(&k->k_posted, units, __ATOMIC_ACQ_REL);
	__atomic_fetch_or(&f->f_cause, 1U << k->k_bit, __ATOMIC_ACQ_REL);
	if (!(__atomic_load_n(&f->f_masked, __ATOMIC_ACQUIRE) &
	    (1U << k->k_bit)))
		ipisrc_raise(f->f_parent);
}

static NOINLINE void
fault_here(void)
{
	volatile uintptr_t null = 0;

	(void)*(volatile int *)null;
}

static irqreturn_t
kid_primary(int irq, void *arg)
{
	struct kid *k = arg;
	struct fdev *f = k->k_dev;
	unsigned n;

	if (!(__atomic_fetch_and(&f->f_cause, ~(1U << k->k_bit),
	    __ATOMIC_ACQ_REL) & (1U << k->k_bit)))
		return IRQ_NONE;
	k->k_prim_hard = cpu_intr_p();
	k->k_prim_ipl = curipl();
	k->k_prim_stamp = __atomic_add_fetch(&f->f_stamp, 1, __ATOMIC_ACQ_REL);
	n = __atomic_exchange_n(&k->k_posted, 0, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&k->k_queued, n, __ATOMIC_ACQ_REL);
	return n != 0 ? IRQ_WAKE_THREAD : IRQ_HANDLED;
}

static irqreturn_t
kid_thread(int irq, void *arg)
{
	struct kid *k = arg;
	unsigned in = __atomic_add_fetch(&k->k_inside, 1, __ATOMIC_ACQ_REL);

	if (in > k->k_max_inside)
		k->k_max_inside = in;
	if (k->k_fault) {
		k->k_fault = false;
		fault_here();
	}
	if (cpu_intr_p())
		k->k_hard_runs++;
	else if (lwp_pinned(curlwp) != NULL)
		k->k_pinned_runs++;
	k->k_lwp = curlwp;
	__atomic_fetch_add(&k->k_done,
	    __atomic_exchange_n(&k->k_queued, 0, __ATOMIC_ACQ_REL),
	    __ATOMIC_ACQ_REL);
	__atomic_sub_fetch(&k->k_inside, 1, __ATOMIC_ACQ_REL);
	if (k->k_storm)
		post(k, 1);
	return IRQ_HANDLED;
}

static struct fdev *
fdev_new(struct ktest *t, enum irq_demux_dispatch dispatch,
    const enum irq_mode modes[NKIDS])
{
	struct fdev *f = kmem_zalloc(sizeof(*f), KM_SLEEP);

	f->f_parent = ipisrc_create("fdev");
	KT_ASSERT_GE(t, f->f_parent, 0);
	KT_ASSERT_EQ(t, irq_demux_create(f->f_parent, NKIDS, &fdev_ops, f,
	    "fdev", 0, dispatch, &f->f_dm), 0);
	for (unsigned i = 0; i < NKIDS; i++) {
		struct kid *k = &f->f_kid[i];

		k->k_dev = f;
		k->k_bit = i;
		f->f_irq[i] = irq_demux_child_irq(f->f_dm, i);
		KT_ASSERT_EQ(t, request_threaded_irq(f->f_irq[i], kid_primary,
		    kid_thread, IRQF_MODE(modes[i]), kid_names[i], k), 0);
	}
	return f;
}

/* Free what is left: a child that died was detached already. */
static void
fdev_free(struct fdev *f)
{
	for (unsigned i = 0; i < NKIDS; i++)
		free_irq(f->f_irq[i], &f->f_kid[i]);
	irq_demux_destroy(f->f_dm);
	ipisrc_destroy(f->f_parent);
	kmem_free(f, sizeof(*f));
}

static bool
wait_for(volatile unsigned *v, unsigned want)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += NS_PER_MS) {
		if (__atomic_load_n(v, __ATOMIC_ACQUIRE) >= want)
			return true;
		ksleep(NS_PER_MS);
	}
	return *v >= want;
}

/*
 * Wait until dev's primary on irq ran want times.  Then its flows are
 * claimed or over, so that synchronize_irq waits for the rest: the line
 * count alone is bumped before a flow claims the line.
 */
static bool
wait_primaries(int irq, void *dev, uint64_t want)
{
	struct irq_stats st;

	for (uint64_t slept = 0; slept < WAIT_NS; slept += NS_PER_MS) {
		if (irq_get_stats(irq, dev, &st) == 0 && st.is_primary >= want)
			return true;
		ksleep(NS_PER_MS);
	}
	return false;
}

/* Post n units to k one at a time, each completed before the next. */
static void
post_each(struct ktest *t, struct kid *k, unsigned n)
{
	unsigned done = k->k_done;

	for (unsigned i = 1; i <= n; i++) {
		post(k, 1);
		KT_ASSERT_TRUE(t, wait_for(&k->k_done, done + i));
	}
}

/* Child i gets 10 * (i + 1) posts: every count says which port it was. */
static unsigned
posts_for(unsigned i)
{
	return 10 * (i + 1);
}

static void
post_distinct(struct ktest *t, struct fdev *f)
{
	for (unsigned i = 0; i < NKIDS; i++)
		post_each(t, &f->f_kid[i], posts_for(i));
}

static uint64_t
total_posts(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < NKIDS; i++)
		n += posts_for(i);
	return n;
}

/* Each child's line and action counted exactly its own posts. */
static void
expect_child_counts(struct ktest *t, struct fdev *f)
{
	for (unsigned i = 0; i < NKIDS; i++) {
		struct irq_stats st;

		synchronize_irq(f->f_irq[i]);	/* runs are counted as they end */
		KT_EXPECT_EQ(t, f->f_kid[i].k_done, posts_for(i));
		KT_EXPECT_EQ(t, f->f_kid[i].k_max_inside, 1U);
		KT_EXPECT_EQ(t, irq_line_count(f->f_irq[i]), posts_for(i));
		KT_ASSERT_EQ(t, irq_get_stats(f->f_irq[i], &f->f_kid[i], &st),
		    0);
		KT_EXPECT_EQ(t, st.is_primary, posts_for(i));
		KT_EXPECT_EQ(t, st.is_woken, posts_for(i));
		KT_EXPECT_EQ(t, st.is_thread_runs, posts_for(i));
	}
}

static const enum irq_mode four_models[NKIDS] = {
	IRQ_MODE_HARD, IRQ_MODE_THREAD, IRQ_MODE_LAZY, IRQ_MODE_SOURCE,
};
static const enum irq_mode all_thread[NKIDS] = {
	IRQ_MODE_THREAD, IRQ_MODE_THREAD, IRQ_MODE_THREAD, IRQ_MODE_THREAD,
};

static bool
name_is(const struct lwp *l, const char *want)
{
	return l != NULL && strcmp(lwp_name(l), want) == 0;
}

static void
expect_own_models(struct ktest *t, struct fdev *f)
{
	struct irq_stats st;
	char src[24];

	KT_EXPECT_EQ(t, f->f_kid[0].k_hard_runs, posts_for(0));
	KT_ASSERT_EQ(t, irq_get_stats(f->f_irq[1], &f->f_kid[1], &st), 0);
	KT_EXPECT_EQ(t, (void *)f->f_kid[1].k_lwp, (void *)st.is_thread);
	KT_EXPECT_EQ(t, f->f_kid[2].k_pinned_runs, posts_for(2));
	snprintf(src, sizeof(src), "irq/%d-src", f->f_irq[3]);
	KT_EXPECT_TRUE(t, name_is(f->f_kid[3].k_lwp, src));
	for (unsigned i = 0; i < NKIDS; i++)
		KT_EXPECT_TRUE(t, f->f_kid[i].k_prim_hard);
}

static void
chained_children_run_under_their_own_models(struct ktest *t)
{
	struct fdev *f = fdev_new(t, IRQ_DEMUX_CHAINED, all_thread);
	struct irq_stats st;

	for (unsigned i = 0; i < NKIDS; i++)
		KT_ASSERT_EQ(t, irq_set_mode(f->f_irq[i], &f->f_kid[i],
		    four_models[i]), 0);
	post_distinct(t, f);
	expect_own_models(t, f);
	expect_child_counts(t, f);
	KT_EXPECT_TRUE(t, wait_primaries(f->f_parent, f->f_dm, total_posts()));
	synchronize_irq(f->f_parent);
	KT_EXPECT_EQ(t, irq_line_count(f->f_parent), total_posts());
	KT_ASSERT_EQ(t, irq_get_stats(f->f_parent, f->f_dm, &st), 0);
	KT_EXPECT_EQ(t, st.is_primary, total_posts());
	KT_EXPECT_EQ(t, st.is_handled, total_posts());
	KT_EXPECT_EQ(t, st.is_woken, 0U);
	KT_EXPECT_EQ(t, st.is_thread_runs, 0U);
	fdev_free(f);
}

static void
nested_children_run_in_the_demux_thread(struct ktest *t)
{
	struct fdev *f = fdev_new(t, IRQ_DEMUX_NESTED, four_models);
	struct irq_stats st;

	post_distinct(t, f);
	KT_ASSERT_EQ(t, irq_get_stats(f->f_parent, f->f_dm, &st), 0);
	for (unsigned i = 0; i < NKIDS; i++) {
		struct kid *k = &f->f_kid[i];

		KT_EXPECT_FALSE(t, k->k_prim_hard);
		KT_EXPECT_EQ(t, k->k_prim_ipl, IPL_VM);
		KT_EXPECT_EQ(t, k->k_hard_runs, 0U);
		KT_EXPECT_EQ(t, k->k_pinned_runs, 0U);
		KT_EXPECT_EQ(t, (void *)k->k_lwp, (void *)st.is_thread);
	}
	expect_child_counts(t, f);
	/*
	 * The parent line is held (ONESHOT) while the thread runs its
	 * rounds, and a round may serve a post whose raise is held: the
	 * source keeps one pending delivery, so raises merge and the parent
	 * sees at most one interrupt per post, some finding nothing pending
	 * (they do not wake the thread).  The children's counts are exact.
	 */
	synchronize_irq(f->f_parent);
	KT_ASSERT_EQ(t, irq_get_stats(f->f_parent, f->f_dm, &st), 0);
	KT_EXPECT_LE(t, irq_line_count(f->f_parent), total_posts());
	KT_EXPECT_LE(t, st.is_primary, irq_line_count(f->f_parent));
	KT_EXPECT_GT(t, st.is_woken, 0U);
	KT_EXPECT_LE(t, st.is_woken, st.is_primary);
	KT_EXPECT_EQ(t, st.is_thread_runs, st.is_woken);
	fdev_free(f);
}

static void
a_nested_child_has_no_model_of_its_own(struct ktest *t)
{
	struct fdev *f = fdev_new(t, IRQ_DEMUX_NESTED, all_thread);
	struct irq_stats st;

	KT_EXPECT_EQ(t, irq_set_mode(f->f_irq[1], &f->f_kid[1], IRQ_MODE_LAZY),
	    -EINVAL);
	KT_EXPECT_EQ(t, irq_set_mode(f->f_parent, f->f_dm, IRQ_MODE_HARD),
	    -EINVAL);
	KT_ASSERT_EQ(t, irq_demux_set_dispatch(f->f_dm, IRQ_DEMUX_CHAINED), 0);
	KT_EXPECT_EQ(t, irq_set_mode(f->f_irq[1], &f->f_kid[1], IRQ_MODE_LAZY),
	    0);
	KT_ASSERT_EQ(t, irq_set_mode(f->f_parent, f->f_dm, IRQ_MODE_HARD), 0);
	KT_EXPECT_EQ(t, irq_demux_set_dispatch(f->f_dm, IRQ_DEMUX_NESTED),
	    -EINVAL);
	KT_EXPECT_EQ(t, irq_demux_get_dispatch(f->f_dm), IRQ_DEMUX_CHAINED);
	post_each(t, &f->f_kid[1], 5);
	KT_EXPECT_EQ(t, f->f_kid[1].k_pinned_runs, 5U);
	KT_ASSERT_EQ(t, irq_get_stats(f->f_irq[1], &f->f_kid[1], &st), 0);
	KT_EXPECT_EQ(t, st.is_mode, IRQ_MODE_LAZY);
	KT_EXPECT_EQ(t, (void *)irq_demux_of(f->f_irq[2]), (void *)f->f_dm);
	KT_EXPECT_EQ(t, (void *)irq_demux_of(f->f_parent), (void *)f->f_dm);
	fdev_free(f);
}

static void
priority_orders_the_pending_children(struct ktest *t,
    enum irq_demux_dispatch dispatch)
{
	struct fdev *f = fdev_new(t, dispatch, all_thread);
	static const int prio[NKIDS] = { 170, 200, 180, 210 };
	static const unsigned order[NKIDS] = { 3, 1, 2, 0 };

	for (unsigned i = 0; i < NKIDS; i++) {
		struct irq_stats st;

		KT_ASSERT_EQ(t, irq_set_priority(f->f_irq[i], &f->f_kid[i],
		    prio[i]), 0);
		KT_ASSERT_EQ(t, irq_get_stats(f->f_irq[i], &f->f_kid[i], &st),
		    0);
		KT_EXPECT_EQ(t, lwp_base_priority(st.is_thread), prio[i]);
	}
	/* Every cause set before one raise: one dispatch sees all four. */
	__atomic_store_n(&f->f_masked, ~0U, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < NKIDS; i++)
		post(&f->f_kid[i], 1);
	__atomic_store_n(&f->f_masked, 0, __ATOMIC_RELEASE);
	ipisrc_raise(f->f_parent);
	for (unsigned i = 0; i < NKIDS; i++)
		KT_ASSERT_TRUE(t, wait_for(&f->f_kid[i].k_done, 1));
	for (unsigned n = 0; n < NKIDS; n++)
		KT_EXPECT_EQ(t, f->f_kid[order[n]].k_prim_stamp, n + 1);
	fdev_free(f);
}

static void
chained_children_run_highest_priority_first(struct ktest *t)
{
	priority_orders_the_pending_children(t, IRQ_DEMUX_CHAINED);
}

static void
nested_children_run_highest_priority_first(struct ktest *t)
{
	priority_orders_the_pending_children(t, IRQ_DEMUX_NESTED);
}

static void
masked_child_does_not_stop_the_others(struct ktest *t,
    enum irq_demux_dispatch dispatch)
{
	struct fdev *f = fdev_new(t, dispatch, four_models);
	struct kid *held = &f->f_kid[1];

	disable_irq(f->f_irq[1]);
	post(held, 7);
	for (unsigned i = 0; i < NKIDS; i++)
		if (i != 1)
			post_each(t, &f->f_kid[i], posts_for(i));
	KT_EXPECT_EQ(t, held->k_done, 0U);
	KT_EXPECT_EQ(t, held->k_posted, 7U);
	KT_EXPECT_TRUE(t, irq_line_disabled(f->f_irq[1]));
	KT_EXPECT_FALSE(t, irq_line_disabled(f->f_irq[0]));
	enable_irq(f->f_irq[1]);
	KT_EXPECT_TRUE(t, wait_for(&held->k_done, 7));
	KT_EXPECT_EQ(t, held->k_posted, 0U);
	fdev_free(f);
}

static void
a_disabled_chained_child_does_not_stop_the_others(struct ktest *t)
{
	masked_child_does_not_stop_the_others(t, IRQ_DEMUX_CHAINED);
}

static void
a_disabled_nested_child_does_not_stop_the_others(struct ktest *t)
{
	masked_child_does_not_stop_the_others(t, IRQ_DEMUX_NESTED);
}

/* Fault isolation: one child's thread function faults. */

static bool
fault_decided(unsigned seq, struct irq_fault_info *fi)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += NS_PER_MS) {
		if (irq_fault_get(seq, fi) == 0 &&
		    fi->fi_fate != IRQ_FAULT_PENDING)
			return true;
		ksleep(NS_PER_MS);
	}
	return false;
}

static void
a_faulting_child_dies_alone(struct ktest *t, enum irq_demux_dispatch dispatch,
    const char *model)
{
	struct fdev *f = fdev_new(t, dispatch, all_thread);
	unsigned seq = irq_fault_count();
	struct irq_fault_info fi;
	struct irq_stats st;

	f->f_kid[2].k_fault = true;
	post(&f->f_kid[2], 1);
	KT_ASSERT_TRUE(t, fault_decided(seq, &fi));
	KT_EXPECT_EQ(t, fi.fi_irq, f->f_irq[2]);
	KT_EXPECT_STREQ(t, fi.fi_name, "kid2");
	KT_EXPECT_STREQ(t, fi.fi_model, model);
	KT_EXPECT_STREQ(t, fi.fi_what, "page fault");
	KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_DEAD);
	KT_EXPECT_EQ(t, irq_get_stats(f->f_irq[2], &f->f_kid[2], &st), -ENOENT);
	for (unsigned i = 0; i < NKIDS; i++)
		if (i != 2)
			post_each(t, &f->f_kid[i], posts_for(i));
	KT_ASSERT_EQ(t, irq_get_stats(f->f_parent, f->f_dm, &st), 0);
	KT_EXPECT_FALSE(t, irq_line_disabled(f->f_parent));
	KT_EXPECT_EQ(t, irq_fault_count(), seq + 1);
	fdev_free(f);
}

static void
a_fault_in_a_chained_child_kills_only_that_child(struct ktest *t)
{
	a_faulting_child_dies_alone(t, IRQ_DEMUX_CHAINED, "thread");
}

static void
a_fault_in_a_nested_child_kills_only_that_child(struct ktest *t)
{
	a_faulting_child_dies_alone(t, IRQ_DEMUX_NESTED, "nested");
}

/*
 * Storm control: one child storms (each run posts again).  It is
 * throttled and polled, its siblings are not and keep working (the parent
 * line may be throttled too: its time includes its children's), and it
 * recovers once the storm stops.
 */

#define STORM_PCT	5

static bool
wait_throttled(int irq, bool want)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += NS_PER_MS) {
		if (irq_line_throttled(irq) == want)
			return true;
		ksleep(NS_PER_MS);
	}
	return false;
}

static void
a_storming_child_is_throttled_and_the_others_work(struct ktest *t,
    enum irq_demux_dispatch dispatch)
{
	struct fdev *f = fdev_new(t, dispatch, all_thread);
	struct kid *storm = &f->f_kid[1];
	unsigned old = irq_set_storm_budget(STORM_PCT);
	struct irq_storm_stats st;

	storm->k_storm = true;
	post(storm, 1);
	KT_EXPECT_TRUE(t, wait_throttled(f->f_irq[1], true));
	post(&f->f_kid[0], 5);
	post(&f->f_kid[3], 5);
	KT_EXPECT_TRUE(t, wait_for(&f->f_kid[0].k_done, 5));
	KT_EXPECT_TRUE(t, wait_for(&f->f_kid[3].k_done, 5));
	storm->k_storm = false;
	KT_EXPECT_TRUE(t, wait_throttled(f->f_irq[1], false));
	irq_set_storm_budget(old);	/* before anything that may end the case */
	KT_ASSERT_EQ(t, irq_get_storm_stats(f->f_irq[1], &st), 0);
	KT_EXPECT_GE(t, st.iss_episodes, 1U);
	KT_EXPECT_GT(t, st.iss_polls, 0U);
	for (unsigned i = 0; i < NKIDS; i++) {
		KT_ASSERT_EQ(t, irq_get_storm_stats(f->f_irq[i], &st), 0);
		if (i != 1)
			KT_EXPECT_EQ(t, st.iss_episodes, 0U);
	}
	post_each(t, storm, 3);
	fdev_free(f);
}

static void
a_storming_chained_child_is_throttled_the_others_work(struct ktest *t)
{
	a_storming_child_is_throttled_and_the_others_work(t, IRQ_DEMUX_CHAINED);
}

static void
a_storming_nested_child_is_throttled_the_others_work(struct ktest *t)
{
	a_storming_child_is_throttled_and_the_others_work(t, IRQ_DEMUX_NESTED);
}

/* Switching while work arrives: a raiser posts, the case switches. */

#define SWITCH_POSTS	300

struct raiser_arg {
	struct fdev *ra_f;
	volatile int ra_done;
};

static void
raiser(void *arg)
{
	struct raiser_arg *ra = arg;

	for (unsigned n = 0; n < SWITCH_POSTS; n++) {
		post(&ra->ra_f->f_kid[n % NKIDS], 1);
		if (n % 8 == 0)
			ksleep(NS_PER_MS);
	}
	ktest_set_flag(&ra->ra_done);
}

static void
switching_dispatch_while_work_arrives_loses_nothing(struct ktest *t)
{
	struct fdev *f = fdev_new(t, IRQ_DEMUX_CHAINED, four_models);
	struct raiser_arg ra = { .ra_f = f };
	struct lwp *l = ktest_spawn(t, raiser, &ra, PRI_KERNEL, NULL, "raiser");
	unsigned flips = 0;

	while (!__atomic_load_n(&ra.ra_done, __ATOMIC_ACQUIRE)) {
		enum irq_demux_dispatch d = flips++ % 2 ? IRQ_DEMUX_CHAINED :
		    IRQ_DEMUX_NESTED;

		KT_EXPECT_EQ(t, irq_demux_set_dispatch(f->f_dm, d), 0);
		ksleep(2 * NS_PER_MS);
	}
	lwp_join(l);
	for (unsigned i = 0; i < NKIDS; i++) {
		KT_EXPECT_TRUE(t, wait_for(&f->f_kid[i].k_done,
		    SWITCH_POSTS / NKIDS));
		KT_EXPECT_EQ(t, f->f_kid[i].k_done, SWITCH_POSTS / NKIDS);
		KT_EXPECT_EQ(t, f->f_kid[i].k_max_inside, 1U);
	}
	KT_EXPECT_GT(t, flips, 1U);
	fdev_free(f);
}

static void
a_child_line_refuses_affinity_and_follows_its_parent(struct ktest *t)
{
	struct fdev *f = fdev_new(t, IRQ_DEMUX_CHAINED, all_thread);
	unsigned last = ncpu - 1;
	cpuset_t set = cpuset_of(last);
	struct irq_stats st;

	KT_EXPECT_EQ(t, irq_set_affinity(f->f_irq[0], &set), -EINVAL);
	KT_ASSERT_EQ(t, irq_set_affinity(f->f_parent, &set), 0);
	post_each(t, &f->f_kid[0], 3);
	KT_ASSERT_EQ(t, irq_get_stats(f->f_irq[0], &f->f_kid[0], &st), 0);
	KT_EXPECT_EQ(t, cpu_index(lwp_cpu(st.is_thread)), last);
	KT_EXPECT_EQ(t, cpu_index(lwp_cpu(f->f_kid[0].k_lwp)), last);
	fdev_free(f);
}

/*
 * The pci-serial-4x card (dev/puc.c), its ports in loopback: port i sends
 * port_bytes(i) bytes of its own pattern and must read exactly them back,
 * counted on its own child line and action.
 */

#define PORTS		4

struct port_run {
	struct com *pr_sc;
	struct tty *pr_tp;
	int pr_irq;
	unsigned pr_n;			/* bytes sent this round */
	struct com_stats pr_cs;		/* counters before the round */
	uint64_t pr_line;
	struct irq_stats pr_st;
};

static unsigned
port_bytes(unsigned i)
{
	return 256 * (i + 1) - i;
}

static uint8_t
pattern(unsigned i, unsigned j)
{
	return (uint8_t)(j * 7 + i * 61 + (j >> 8));
}

static struct com *
port_or_skip(struct ktest *t, unsigned i)
{
	struct com *sc = puc_port(0, i);

	if (sc == NULL || puc_nports(0) < PORTS)
		ktest_skip(t, "no pci-serial-4x card (tools/boot --device "
		    "pci-serial-4x)");
	return sc;
}

static void
port_begin(struct ktest *t, struct port_run *pr, unsigned i)
{
	pr->pr_sc = port_or_skip(t, i);
	pr->pr_tp = com_tty(pr->pr_sc);
	pr->pr_irq = com_irq(pr->pr_sc);
	tty_set_mode(pr->pr_tp, 0);
	com_set_loopback(pr->pr_sc, true);
}

static void
port_end(struct port_run *pr)
{
	com_set_loopback(pr->pr_sc, false);
	tty_set_mode(pr->pr_tp, TTY_CANON | TTY_ECHO);
}

static void
port_snapshot(struct ktest *t, struct port_run *pr)
{
	com_get_stats(pr->pr_sc, &pr->pr_cs);
	pr->pr_line = irq_line_count(pr->pr_irq);
	KT_ASSERT_EQ(t, irq_get_stats(pr->pr_irq, pr->pr_sc, &pr->pr_st), 0);
}

static void
port_send(struct port_run *pr, unsigned i, unsigned n)
{
	char buf[64];

	pr->pr_n = n;
	for (unsigned j = 0; j < n; j += sizeof(buf)) {
		unsigned k, m = n - j < sizeof(buf) ? n - j : sizeof(buf);

		for (k = 0; k < m; k++)
			buf[k] = (char)pattern(i, j + k);
		tty_write(pr->pr_tp, buf, m);
	}
}

static bool
port_received(struct port_run *pr)
{
	struct com_stats cs;

	com_get_stats(pr->pr_sc, &cs);
	return cs.cs_rx - pr->pr_cs.cs_rx >= pr->pr_n;
}

static bool
wait_received(struct port_run *pr)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += NS_PER_MS) {
		if (port_received(pr))
			return true;
		ksleep(NS_PER_MS);
	}
	return port_received(pr);
}

/* Read the round's bytes back (they are all there) and check them. */
static void
port_check_data(struct ktest *t, struct port_run *pr, unsigned i)
{
	uint8_t buf[128];
	unsigned got = 0, bad = 0;

	while (got < pr->pr_n) {
		int n = tty_read(pr->pr_tp, buf, MIN(sizeof(buf),
		    pr->pr_n - got));

		for (int k = 0; k < n; k++)
			bad += buf[k] != pattern(i, got + (unsigned)k);
		got += (unsigned)n;
	}
	KT_EXPECT_EQ(t, bad, 0U);
}

/* The round moved exactly pr_n bytes on this port, through its child. */
static void
port_check_counts(struct ktest *t, struct port_run *pr)
{
	struct com_stats cs;
	struct irq_stats st;

	synchronize_irq(pr->pr_irq);	/* runs are counted as they end */
	com_get_stats(pr->pr_sc, &cs);
	KT_EXPECT_EQ(t, cs.cs_rx - pr->pr_cs.cs_rx, pr->pr_n);
	KT_EXPECT_EQ(t, cs.cs_tx - pr->pr_cs.cs_tx, pr->pr_n);
	KT_EXPECT_EQ(t, cs.cs_overruns - pr->pr_cs.cs_overruns, 0U);
	KT_ASSERT_EQ(t, irq_get_stats(pr->pr_irq, pr->pr_sc, &st), 0);
	if (pr->pr_n == 0) {
		KT_EXPECT_EQ(t, irq_line_count(pr->pr_irq), pr->pr_line);
		KT_EXPECT_EQ(t, st.is_primary, pr->pr_st.is_primary);
		return;
	}
	KT_EXPECT_GT(t, irq_line_count(pr->pr_irq), pr->pr_line);
	KT_EXPECT_GT(t, st.is_handled, pr->pr_st.is_handled);
	KT_EXPECT_GT(t, st.is_thread_runs, pr->pr_st.is_thread_runs);
}

/* One round: the ports in sending send port_bytes(i) each, at once. */
static void
card_round(struct ktest *t, struct port_run pr[PORTS], uint32_t sending)
{
	for (unsigned i = 0; i < PORTS; i++)
		port_snapshot(t, &pr[i]);
	for (unsigned i = 0; i < PORTS; i++)
		port_send(&pr[i], i, (sending & (1U << i)) ? port_bytes(i) : 0);
	for (unsigned i = 0; i < PORTS; i++) {
		KT_ASSERT_TRUE(t, wait_received(&pr[i]));
		port_check_data(t, &pr[i], i);
		port_check_counts(t, &pr[i]);
	}
}

/* Rounds on every port, then on ports 1 and 3 only, dispatched so. */
static void
card_loopback(struct ktest *t, enum irq_demux_dispatch dispatch,
    enum irq_mode mode)
{
	struct port_run pr[PORTS];
	struct irq_demux *dm;
	struct irq_stats st0, st;
	int parent;

	for (unsigned i = 0; i < PORTS; i++)
		port_begin(t, &pr[i], i);
	dm = irq_demux_of(pr[0].pr_irq);
	KT_ASSERT_NOT_NULL(t, dm);
	parent = irq_demux_parent_irq(dm);
	KT_ASSERT_EQ(t, irq_demux_set_dispatch(dm, IRQ_DEMUX_CHAINED), 0);
	for (unsigned i = 0; i < PORTS; i++)
		KT_ASSERT_EQ(t, irq_set_mode(pr[i].pr_irq, pr[i].pr_sc, mode), 0);
	KT_ASSERT_EQ(t, irq_demux_set_dispatch(dm, dispatch), 0);
	KT_ASSERT_EQ(t, irq_get_stats(parent, dm, &st0), 0);
	card_round(t, pr, 0xf);
	card_round(t, pr, 0xa);
	KT_ASSERT_EQ(t, irq_get_stats(parent, dm, &st), 0);
	KT_EXPECT_GT(t, st.is_handled, st0.is_handled);
	if (dispatch == IRQ_DEMUX_NESTED)
		KT_EXPECT_GT(t, st.is_thread_runs, st0.is_thread_runs);
	else
		KT_EXPECT_EQ(t, st.is_thread_runs, st0.is_thread_runs);
	KT_EXPECT_EQ(t, irq_demux_set_dispatch(dm, IRQ_DEMUX_CHAINED), 0);
	for (unsigned i = 0; i < PORTS; i++)
		port_end(&pr[i]);
}

static void
card_chained_hard_ports_keep_their_own_bytes_and_counts(struct ktest *t)
{
	card_loopback(t, IRQ_DEMUX_CHAINED, IRQ_MODE_HARD);
}

static void
card_chained_thread_ports_keep_their_own_bytes_and_counts(struct ktest *t)
{
	card_loopback(t, IRQ_DEMUX_CHAINED, IRQ_MODE_THREAD);
}

static void
card_chained_lazy_ports_keep_their_own_bytes_and_counts(struct ktest *t)
{
	card_loopback(t, IRQ_DEMUX_CHAINED, IRQ_MODE_LAZY);
}

static void
card_chained_source_ports_keep_their_own_bytes_and_counts(struct ktest *t)
{
	card_loopback(t, IRQ_DEMUX_CHAINED, IRQ_MODE_SOURCE);
}

static void
card_nested_ports_keep_their_own_bytes_and_counts(struct ktest *t)
{
	card_loopback(t, IRQ_DEMUX_NESTED, IRQ_MODE_THREAD);
}

/* Port 1's child disabled: the others finish, it does once enabled. */
static void
card_disabled_port(struct ktest *t, enum irq_demux_dispatch dispatch)
{
	struct port_run pr[PORTS];
	struct irq_demux *dm;
	struct com_stats cs;

	for (unsigned i = 0; i < PORTS; i++)
		port_begin(t, &pr[i], i);
	dm = irq_demux_of(pr[0].pr_irq);
	KT_ASSERT_EQ(t, irq_demux_set_dispatch(dm, dispatch), 0);
	disable_irq(pr[1].pr_irq);
	for (unsigned i = 0; i < PORTS; i++) {
		port_snapshot(t, &pr[i]);
		port_send(&pr[i], i, port_bytes(i));
	}
	for (unsigned i = 0; i < PORTS; i++) {
		if (i == 1)
			continue;
		KT_ASSERT_TRUE(t, wait_received(&pr[i]));
		port_check_data(t, &pr[i], i);
	}
	com_get_stats(pr[1].pr_sc, &cs);
	KT_EXPECT_EQ(t, cs.cs_rx - pr[1].pr_cs.cs_rx, 0U);
	KT_EXPECT_TRUE(t, irq_line_disabled(pr[1].pr_irq));
	enable_irq(pr[1].pr_irq);
	KT_ASSERT_TRUE(t, wait_received(&pr[1]));
	port_check_data(t, &pr[1], 1);
	KT_EXPECT_EQ(t, irq_demux_set_dispatch(dm, IRQ_DEMUX_CHAINED), 0);
	for (unsigned i = 0; i < PORTS; i++)
		port_end(&pr[i]);
}

static void
card_a_disabled_port_does_not_stop_the_others_chained(struct ktest *t)
{
	card_disabled_port(t, IRQ_DEMUX_CHAINED);
}

static void
card_a_disabled_port_does_not_stop_the_others_nested(struct ktest *t)
{
	card_disabled_port(t, IRQ_DEMUX_NESTED);
}

KTEST_SUITE(demux,
    KTEST_CASE(chained_children_run_under_their_own_models),
    KTEST_CASE(nested_children_run_in_the_demux_thread),
    KTEST_CASE(a_nested_child_has_no_model_of_its_own),
    KTEST_CASE(chained_children_run_highest_priority_first),
    KTEST_CASE(nested_children_run_highest_priority_first),
    KTEST_CASE(a_disabled_chained_child_does_not_stop_the_others),
    KTEST_CASE(a_disabled_nested_child_does_not_stop_the_others),
    KTEST_CASE(a_fault_in_a_chained_child_kills_only_that_child),
    KTEST_CASE(a_fault_in_a_nested_child_kills_only_that_child),
    KTEST_CASE(a_storming_chained_child_is_throttled_the_others_work),
    KTEST_CASE(a_storming_nested_child_is_throttled_the_others_work),
    KTEST_CASE(switching_dispatch_while_work_arrives_loses_nothing),
    KTEST_CASE(a_child_line_refuses_affinity_and_follows_its_parent),
    KTEST_CASE(card_chained_hard_ports_keep_their_own_bytes_and_counts),
    KTEST_CASE(card_chained_thread_ports_keep_their_own_bytes_and_counts),
    KTEST_CASE(card_chained_lazy_ports_keep_their_own_bytes_and_counts),
    KTEST_CASE(card_chained_source_ports_keep_their_own_bytes_and_counts),
    KTEST_CASE(card_nested_ports_keep_their_own_bytes_and_counts),
    KTEST_CASE(card_a_disabled_port_does_not_stop_the_others_chained),
    KTEST_CASE(card_a_disabled_port_does_not_stop_the_others_nested));
