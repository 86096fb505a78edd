/*
 * test_irq_fault.c: fault isolation and restart of interrupt handlers
 * (kern/irq_fault.c; docs/interrupts.md, "Fault isolation and restart").
 *
 * The first cases drive the catch itself (isolate_call, kern/isolate.h):
 * what it reports and what it puts back.  The rest run a faulting thread
 * function on a self-IPI line (include/ipisrc.h) shared with a healthy
 * handler, under every threaded model in `models`, for each way to die
 * (NULL dereference, divide by zero, failed KASSERT): the system goes on,
 * the report names the line, the handler and the fault, the healthy
 * handler keeps working, a restart hook runs and its new handler works,
 * a hook that faults fails the restart without harm, and the rate limit
 * leaves a handler that keeps faulting dead.  A lazy thread function that
 * faults lets the LWP it pinned resume.  Soft interrupt handlers die the
 * same way, alone, through the real dispatcher.  A fault in hard context
 * must panic instead: that is the death test crash:irq_hard_fault
 * (tools/check).
 *
 * Waits count events (faults recorded, fates decided, units done); they
 * are bounded only so that a lost event fails the case instead of hanging
 * it.  The rate-limit case skips (rather than fails) if its faults took
 * longer than the restart window, which would make the limit not apply.
 */
#include <ipisrc.h>
#include <irq.h>
#include <kassert.h>
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <softint.h>
#include <spl.h>
#include <string.h>
#include <time.h>

#include <kern/isolate.h>

#define WAIT_NS		(20ULL * NS_PER_SEC)
#define NOINLINE	__attribute__((noinline))

/*
 * The models whose thread functions run in thread context, where a fault
 * is isolated; every case below runs under each.
 */
static const enum irq_mode models[] = {
	IRQ_MODE_THREAD, IRQ_MODE_LAZY, IRQ_MODE_SOURCE,
};

enum fault_kind { FK_NONE, FK_NULL, FK_DIV0, FK_KASSERT };

static const char *const kind_what[] = {
	[FK_NULL] = "page fault", [FK_DIV0] = "divide error",
	[FK_KASSERT] = "assertion",
};
static const int kind_vector[] = {
	[FK_NULL] = 14, [FK_DIV0] = 0, [FK_KASSERT] = -1,
};

static NOINLINE void
fault(enum fault_kind k)
{
	volatile uintptr_t null = 0;
	volatile int zero = 0, ten = 10, x = 0;

	switch (k) {
	case FK_NULL:
		x = *(volatile int *)null;
		break;
	case FK_DIV0:
		x = ten / zero;	/* 1 / zero compiles without idiv */
		break;
	case FK_KASSERT:
		KASSERTMSG(zero == 1, "test: deliberate assertion");
		break;
	case FK_NONE:
		break;
	}
	(void)x;
}

static bool
contains(const char *s, const char *sub)
{
	size_t n = strlen(sub);

	for (; *s != '\0'; s++)
		if (strncmp(s, sub, n) == 0)
			return true;
	return false;
}

/* Wait (bounded) until cond(arg) holds. */
static bool
wait_until(bool (*cond)(const void *), const void *arg)
{
	for (uint64_t slept = 0; slept < WAIT_NS; slept += NS_PER_MS) {
		if (cond(arg))
			return true;
		ksleep(NS_PER_MS);
	}
	return cond(arg);
}

static bool
fault_recorded(const void *arg)
{
	return irq_fault_count() > *(const unsigned *)arg;
}

static bool
fate_decided(const void *arg)
{
	struct irq_fault_info fi;

	return irq_fault_get(*(const unsigned *)arg, &fi) == 0 &&
	    fi.fi_fate != IRQ_FAULT_PENDING;
}

/* The report of fault seq, once its fate is decided. */
static void
get_decided(struct ktest *t, unsigned seq, struct irq_fault_info *fi)
{
	KT_ASSERT_TRUE(t, wait_until(fault_recorded, &seq));
	KT_ASSERT_TRUE(t, wait_until(fate_decided, &seq));
	KT_ASSERT_EQ(t, irq_fault_get(seq, fi), 0);
}

/* The catch itself. */

static const struct fault_who softint_who = {
	.fw_kind = "softint", .fw_irq = -1, .fw_name = "testsoft",
	.fw_model = "softint", .fw_fn = (void *)fault,
};

static void
set_flag(void *arg)
{
	*(volatile int *)arg = 1;
}

static void
isolate_call_returns_null_when_nothing_faults(struct ktest *t)
{
	volatile int ran = 0;
	unsigned n0 = irq_fault_count();

	KT_EXPECT_NULL(t, isolate_call(set_flag, (void *)&ran, &softint_who));
	KT_EXPECT_EQ(t, ran, 1);
	KT_EXPECT_EQ(t, irq_fault_count(), n0);
}

/* Raise the IPL and disable preemption, then fault: both come back. */
static void
raise_then_fault(void *arg)
{
	(void)splvm();
	kpreempt_disable();
	fault(*(enum fault_kind *)arg);
}

static void
check_report(struct ktest *t, const struct irq_fault_info *fi,
    enum fault_kind k)
{
	KT_EXPECT_STREQ(t, fi->fi_what, kind_what[k]);
	KT_EXPECT_EQ(t, fi->fi_vector, kind_vector[k]);
	if (k == FK_NULL)
		KT_EXPECT_EQ(t, fi->fi_addr, 0U);
	if (k == FK_KASSERT)
		KT_EXPECT_TRUE(t, contains(fi->fi_msg,
		    "test: deliberate assertion"));
	else
		KT_EXPECT_NE(t, fi->fi_pc, 0U);
}

static void
a_caught_fault_is_reported_and_the_ipl_restored(struct ktest *t)
{
	for (enum fault_kind k = FK_NULL; k <= FK_KASSERT; k++) {
		unsigned n0 = irq_fault_count();
		const struct fault_report *r;
		struct irq_fault_info fi;

		r = isolate_call(raise_then_fault, &k, &softint_who);
		KT_ASSERT_NOT_NULL(t, r);
		KT_EXPECT_EQ(t, curipl(), IPL_NONE);
		KT_EXPECT_EQ(t, irq_fault_count(), n0 + 1);
		KT_ASSERT_EQ(t, irq_fault_get(n0, &fi), 0);
		KT_EXPECT_EQ(t, r->fr_info.fi_seq, n0);
		KT_EXPECT_STREQ(t, fi.fi_kind, "softint");
		KT_EXPECT_EQ(t, fi.fi_irq, -1);
		KT_EXPECT_STREQ(t, fi.fi_name, "testsoft");
		KT_EXPECT_EQ(t, fi.fi_cpu, cpu_number());
		KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_REPORTED);
		KT_EXPECT_GT(t, r->fr_npc, 1U);
		check_report(t, &fi, k);
	}
	/* Preemption works again: a yield to nobody returns. */
	yield();
}

struct nest {
	const struct fault_report *n_inner;
	volatile int n_after_inner;
};

static void
fault_div0(void *arg)
{
	fault(FK_DIV0);
}

static void
inner_then_fault(void *arg)
{
	struct nest *n = arg;

	n->n_inner = isolate_call(fault_div0, NULL, &softint_who);
	n->n_after_inner = 1;
	fault(FK_NULL);
}

static void
nested_catches_each_take_their_own_fault(struct ktest *t)
{
	struct nest n = { NULL, 0 };
	const struct fault_report *outer;

	outer = isolate_call(inner_then_fault, &n, &softint_who);
	KT_ASSERT_NOT_NULL(t, n.n_inner);
	KT_ASSERT_NOT_NULL(t, outer);
	KT_EXPECT_EQ(t, n.n_after_inner, 1);
	KT_EXPECT_EQ(t, n.n_inner->fr_info.fi_vector, 0);
	KT_EXPECT_EQ(t, outer->fr_info.fi_vector, 14);
	KT_EXPECT_EQ(t, outer->fr_info.fi_seq, n.n_inner->fr_info.fi_seq + 1);
	KT_EXPECT_NULL(t, isolate_call(set_flag, (void *)&n.n_after_inner,
	    &softint_who));
}

static void
fault_null(void *arg)
{
	fault(FK_NULL);
}

static void
a_spin_lock_held_at_the_call_stays_held_and_counted(struct ktest *t)
{
	kmutex_t m;
	const struct fault_report *r;

	mutex_init(&m, MUTEX_SPIN, IPL_VM);
	mutex_enter(&m);
	r = isolate_call(fault_null, NULL, &softint_who);
	KT_EXPECT_TRUE(t, mutex_owned(&m));
	KT_EXPECT_GE(t, curipl(), IPL_VM);	/* the ring's lock raised it */
	mutex_exit(&m);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	KT_ASSERT_NOT_NULL(t, r);
	KT_EXPECT_EQ(t, r->fr_info.fi_spinlocks, 1);
	mutex_destroy(&m);
}

/* Handlers on a shared line. */

struct handler {
	volatile unsigned h_posted;	/* units raised, not yet taken */
	volatile unsigned h_queued;	/* taken by the primary */
	volatile unsigned h_done;	/* completed by the thread function */
	volatile enum fault_kind h_kind;	/* how its thread function dies */
	volatile unsigned h_hook_calls;
	enum fault_kind h_kind_after_restart;
	enum irq_mode h_mode;
	unsigned long h_flags;
};

static irqreturn_t
h_primary(int irq, void *arg)
{
	struct handler *h = arg;
	unsigned n = __atomic_exchange_n(&h->h_posted, 0, __ATOMIC_ACQ_REL);

	if (n == 0)
		return IRQ_NONE;
	__atomic_fetch_add(&h->h_queued, n, __ATOMIC_ACQ_REL);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
h_thread(int irq, void *arg)
{
	struct handler *h = arg;

	fault(h->h_kind);
	__atomic_fetch_add(&h->h_done,
	    __atomic_exchange_n(&h->h_queued, 0, __ATOMIC_ACQ_REL),
	    __ATOMIC_ACQ_REL);
	return IRQ_HANDLED;
}

static int
h_request(int irq, struct handler *h, const char *name)
{
	return request_threaded_irq(irq, h_primary, h_thread,
	    h->h_flags | IRQF_MODE(h->h_mode), name, h);
}

/* The restart hook: "reset the device", request again. */
static int
h_restart(int irq, void *arg)
{
	struct handler *h = arg;
	int error;

	h->h_hook_calls++;
	h->h_kind = h->h_kind_after_restart;
	h->h_queued = 0;	/* the work the fault lost is discarded */
	error = h_request(irq, h, "bad");
	if (error == 0)
		error = irq_set_restart_hook(irq, h, h_restart);
	return error == 0 ? irq : error;
}

static void
post(int irq, struct handler *h)
{
	__atomic_fetch_add(&h->h_posted, 1, __ATOMIC_ACQ_REL);
	ipisrc_raise(irq);
}

struct goal {
	volatile unsigned *g_count;
	unsigned g_want;
};

static bool
reached(const void *arg)
{
	const struct goal *g = arg;

	return __atomic_load_n(g->g_count, __ATOMIC_ACQUIRE) >= g->g_want;
}

/* Post n units to h one at a time; each must complete, once. */
static void
works(struct ktest *t, int irq, struct handler *h, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct goal g = { &h->h_done, h->h_done + 1 };

		post(irq, h);
		KT_ASSERT_TRUE(t, wait_until(reached, &g));
		KT_ASSERT_EQ(t, h->h_done, g.g_want);
	}
}

struct line {
	int l_irq;
	struct handler l_good, l_bad;
};

static struct line *
line_new(struct ktest *t, enum irq_mode mode, enum fault_kind kind)
{
	struct line *ln = kmem_zalloc(sizeof(*ln), KM_SLEEP);

	ln->l_irq = ipisrc_create("faulty");
	KT_ASSERT_GE(t, ln->l_irq, 0);
	ln->l_good.h_mode = ln->l_bad.h_mode = mode;
	ln->l_good.h_flags = ln->l_bad.h_flags = IRQF_SHARED;
	ln->l_bad.h_kind = kind;
	KT_ASSERT_EQ(t, h_request(ln->l_irq, &ln->l_good, "good"), 0);
	KT_ASSERT_EQ(t, h_request(ln->l_irq, &ln->l_bad, "bad"), 0);
	return ln;
}

static void
line_free(struct line *ln)
{
	free_irq(ln->l_irq, &ln->l_bad);	/* allowed when detached */
	free_irq(ln->l_irq, &ln->l_good);
	ipisrc_destroy(ln->l_irq);
	kmem_free(ln, sizeof(*ln));
}

/* Make the bad handler fault once; returns its report, fate decided. */
static void
kill_bad(struct ktest *t, struct line *ln, struct irq_fault_info *fi)
{
	unsigned n0 = irq_fault_count();

	post(ln->l_irq, &ln->l_bad);
	get_decided(t, n0, fi);
}

static void
dies_alone(struct ktest *t, enum irq_mode mode, enum fault_kind kind)
{
	struct line *ln = line_new(t, mode, kind);
	struct irq_fault_info fi;
	struct irq_stats st;

	works(t, ln->l_irq, &ln->l_good, 3);
	kill_bad(t, ln, &fi);
	KT_EXPECT_STREQ(t, fi.fi_kind, "irq");
	KT_EXPECT_EQ(t, fi.fi_irq, ln->l_irq);
	KT_EXPECT_STREQ(t, fi.fi_name, "bad");
	KT_EXPECT_STREQ(t, fi.fi_model, irq_mode_name(mode));
	KT_EXPECT_TRUE(t, contains(fi.fi_fn, "h_thread"));
	KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_DEAD);
	check_report(t, &fi, kind);
	KT_EXPECT_EQ(t, ln->l_bad.h_done, 0U);
	KT_EXPECT_EQ(t, irq_get_stats(ln->l_irq, &ln->l_bad, &st), -ENOENT);
	KT_EXPECT_FALSE(t, irq_line_disabled(ln->l_irq));
	works(t, ln->l_irq, &ln->l_good, 10);
	line_free(ln);
}

static void
each_model(struct ktest *t, enum fault_kind kind)
{
	for (size_t i = 0; i < nitems(models); i++)
		dies_alone(t, models[i], kind);
}

static void
null_dereference_kills_only_its_handler(struct ktest *t)
{
	each_model(t, FK_NULL);
}

static void
divide_error_kills_only_its_handler(struct ktest *t)
{
	each_model(t, FK_DIV0);
}

static void
failed_kassert_kills_only_its_handler(struct ktest *t)
{
	each_model(t, FK_KASSERT);
}

/* A handler alone on its line, ONESHOT: the line takes a new one. */
static void
a_line_left_by_its_only_handler_takes_a_new_one(struct ktest *t)
{
	for (size_t i = 0; i < nitems(models); i++) {
		struct handler bad = { .h_mode = models[i],
		    .h_flags = IRQF_ONESHOT, .h_kind = FK_NULL };
		struct handler good = { .h_mode = models[i],
		    .h_flags = IRQF_ONESHOT };
		int irq = ipisrc_create("alone");
		unsigned n0 = irq_fault_count();
		struct irq_fault_info fi;

		KT_ASSERT_GE(t, irq, 0);
		KT_ASSERT_EQ(t, h_request(irq, &bad, "bad"), 0);
		post(irq, &bad);
		get_decided(t, n0, &fi);
		KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_DEAD);
		KT_ASSERT_EQ(t, h_request(irq, &good, "good"), 0);
		works(t, irq, &good, 5);
		free_irq(irq, &bad);
		free_irq(irq, &good);
		ipisrc_destroy(irq);
	}
}

static void
restart_hook_runs_and_its_new_handler_works(struct ktest *t)
{
	for (size_t i = 0; i < nitems(models); i++) {
		struct line *ln = line_new(t, models[i], FK_NULL);
		struct irq_fault_info fi;

		ln->l_bad.h_kind_after_restart = FK_NONE;
		KT_ASSERT_EQ(t, irq_set_restart_hook(ln->l_irq, &ln->l_bad,
		    h_restart), 0);
		kill_bad(t, ln, &fi);
		KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_RESTARTED);
		KT_EXPECT_EQ(t, ln->l_bad.h_hook_calls, 1U);
		works(t, ln->l_irq, &ln->l_bad, 3);
		works(t, ln->l_irq, &ln->l_good, 3);
		/* The hook stays registered for the new action. */
		ln->l_bad.h_kind = FK_DIV0;
		kill_bad(t, ln, &fi);
		KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_RESTARTED);
		KT_EXPECT_EQ(t, fi.fi_vector, 0);
		KT_EXPECT_EQ(t, ln->l_bad.h_hook_calls, 2U);
		works(t, ln->l_irq, &ln->l_bad, 3);
		line_free(ln);
	}
}

static int
faulting_hook(int irq, void *arg)
{
	struct handler *h = arg;

	h->h_hook_calls++;
	fault(FK_NULL);
	return irq;
}

static void
a_restart_hook_that_faults_fails_the_restart(struct ktest *t)
{
	for (size_t i = 0; i < nitems(models); i++) {
		struct line *ln = line_new(t, models[i], FK_DIV0);
		struct irq_fault_info fi, hook_fi;
		struct irq_stats st;
		unsigned n0 = irq_fault_count();

		KT_ASSERT_EQ(t, irq_set_restart_hook(ln->l_irq, &ln->l_bad,
		    faulting_hook), 0);
		kill_bad(t, ln, &fi);
		KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_RESTART_FAILED);
		KT_EXPECT_EQ(t, ln->l_bad.h_hook_calls, 1U);
		KT_ASSERT_EQ(t, irq_fault_get(n0 + 1, &hook_fi), 0);
		KT_EXPECT_STREQ(t, hook_fi.fi_model, "restart");
		KT_EXPECT_EQ(t, hook_fi.fi_irq, ln->l_irq);
		KT_EXPECT_EQ(t, hook_fi.fi_vector, 14);
		KT_EXPECT_EQ(t, irq_get_stats(ln->l_irq, &ln->l_bad, &st),
		    -ENOENT);
		works(t, ln->l_irq, &ln->l_good, 3);
		line_free(ln);
	}
}

static void
a_handler_that_keeps_faulting_stays_dead_after_the_restart_limit(
    struct ktest *t)
{
	unsigned max;
	uint64_t window, t0 = nanouptime();

	irq_restart_limit(&max, &window);
	for (size_t i = 0; i < nitems(models); i++) {
		struct line *ln = line_new(t, models[i], FK_KASSERT);
		struct irq_fault_info fi;
		struct irq_stats st;

		ln->l_bad.h_kind_after_restart = FK_KASSERT;
		KT_ASSERT_EQ(t, irq_set_restart_hook(ln->l_irq, &ln->l_bad,
		    h_restart), 0);
		for (unsigned n = 0; n < max; n++) {
			kill_bad(t, ln, &fi);
			KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_RESTARTED);
		}
		kill_bad(t, ln, &fi);
		if (nanouptime() - t0 >= window)
			ktest_skip(t, "the faults took longer than the restart "
			    "window (irq_restart_window=)");
		KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_KEPT_DEAD);
		KT_EXPECT_EQ(t, ln->l_bad.h_hook_calls, max);
		KT_EXPECT_EQ(t, irq_get_stats(ln->l_irq, &ln->l_bad, &st),
		    -ENOENT);
		works(t, ln->l_irq, &ln->l_good, 5);
		line_free(ln);
	}
}

/* A lazy thread function that faults: the LWP it pinned resumes. */

static struct lwp *volatile pinned_seen;

static irqreturn_t
pin_primary(int irq, void *arg)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
pin_then_fault(int irq, void *arg)
{
	pinned_seen = lwp_pinned(curlwp);
	fault(*(enum fault_kind *)arg);
	return IRQ_HANDLED;
}

static void
a_lazy_fault_lets_the_pinned_lwp_resume(struct ktest *t)
{
	cpuset_t set = cpuset_of(cpu_index(ktest_stage_cpu()));
	int irq = ipisrc_create("pinfault");

	KT_ASSERT_GE(t, irq, 0);
	ktest_stage_enter();
	for (enum fault_kind k = FK_NULL; k <= FK_KASSERT; k++) {
		unsigned n0 = irq_fault_count();
		struct irq_fault_info fi;

		pinned_seen = NULL;
		KT_ASSERT_EQ(t, request_threaded_irq(irq, pin_primary,
		    pin_then_fault, IRQF_MODE(IRQ_MODE_LAZY), "pinfault", &k),
		    0);
		KT_ASSERT_EQ(t, irq_set_affinity(irq, &set), 0);
		/*
		 * On this CPU: it runs pinned over us, unless a preemption
		 * (a resched IPI outranks the raise) put another LWP here
		 * first; hence no preemption until it has run.
		 */
		kpreempt_disable();
		ipisrc_raise(irq);
		kpreempt_enable();
		get_decided(t, n0, &fi);
		KT_EXPECT_EQ(t, (void *)pinned_seen, (void *)curlwp);
		KT_EXPECT_EQ(t, (void *)lwp_pinned_by(curlwp), NULL);
		KT_EXPECT_STREQ(t, fi.fi_model, "lazy");
		KT_EXPECT_EQ(t, fi.fi_cpu, cpu_number());
		KT_EXPECT_FALSE(t, contains(fi.fi_lwp, lwp_name(curlwp)));
		check_report(t, &fi, k);
		free_irq(irq, &k);	/* detached already: allowed */
	}
	ipisrc_destroy(irq);
}

/* Soft interrupts: a faulting handler dies, its neighbours go on. */

struct soft {
	void *s_cookie;
	volatile enum fault_kind s_kind;
	volatile unsigned s_done;
	struct lwp *volatile s_pinned;
};

static void
soft_handler(void *arg)
{
	struct soft *s = arg;

	s->s_pinned = lwp_pinned(curlwp);
	fault(s->s_kind);
	s->s_done++;
}

static void
soft_bad(void *arg)
{
	soft_handler(arg);
}

static void
soft_establish(struct ktest *t, struct soft *s, unsigned flags,
    void (*fn)(void *))
{
	s->s_cookie = softint_establish(flags, fn, s);
	KT_ASSERT_NOT_NULL(t, s->s_cookie);
}

/* Schedule s from this thread: it runs at once, pinned over us. */
static void
soft_run_here(struct soft *s)
{
	s->s_pinned = NULL;
	softint_schedule(s->s_cookie);
}

static void
soft_dies_alone(struct ktest *t, unsigned flags, enum fault_kind k)
{
	struct soft bad = { .s_kind = k }, good = { .s_kind = FK_NONE };
	unsigned n0 = irq_fault_count();
	struct irq_fault_info fi;
	uint64_t dropped;

	soft_establish(t, &bad, flags, soft_bad);
	soft_establish(t, &good, flags, soft_handler);
	soft_run_here(&good);
	KT_EXPECT_EQ(t, good.s_done, 1U);
	soft_run_here(&bad);
	KT_EXPECT_EQ(t, (void *)bad.s_pinned, (void *)curlwp);
	KT_ASSERT_EQ(t, irq_fault_count(), n0 + 1);
	KT_ASSERT_EQ(t, irq_fault_get(n0, &fi), 0);
	KT_EXPECT_STREQ(t, fi.fi_kind, "softint");
	KT_EXPECT_EQ(t, fi.fi_irq, -1);
	KT_EXPECT_STREQ(t, fi.fi_name, "soft_bad");
	KT_EXPECT_STREQ(t, fi.fi_model, "softint");
	KT_EXPECT_EQ(t, fi.fi_fate, IRQ_FAULT_REPORTED);
	check_report(t, &fi, k);
	KT_EXPECT_TRUE(t, softint_faulted(bad.s_cookie, &dropped));
	KT_EXPECT_EQ(t, dropped, 0U);
	KT_EXPECT_FALSE(t, softint_faulted(good.s_cookie, NULL));
	/* It is never called again; its neighbour at the level goes on. */
	for (unsigned i = 0; i < 3; i++) {
		soft_run_here(&bad);
		soft_run_here(&good);
	}
	KT_EXPECT_NULL(t, bad.s_pinned);
	KT_EXPECT_EQ(t, softint_runs(bad.s_cookie), 0U);
	KT_EXPECT_TRUE(t, softint_faulted(bad.s_cookie, &dropped));
	KT_EXPECT_EQ(t, dropped, 3U);
	KT_EXPECT_EQ(t, good.s_done, 4U);
	KT_EXPECT_EQ(t, softint_runs(good.s_cookie), 4U);
	KT_EXPECT_EQ(t, irq_fault_count(), n0 + 1);
	softint_disestablish(bad.s_cookie);
	softint_disestablish(good.s_cookie);
}

static void
a_faulting_soft_interrupt_dies_alone(struct ktest *t)
{
	ktest_stage_enter();
	for (enum fault_kind k = FK_NULL; k <= FK_KASSERT; k++)
		soft_dies_alone(t, SOFTINT_NET | SOFTINT_MPSAFE, k);
}

/* Without SOFTINT_MPSAFE the handler faults holding the softint lock. */
static void
a_faulting_serialized_soft_interrupt_releases_its_lock(struct ktest *t)
{
	ktest_stage_enter();
	soft_dies_alone(t, SOFTINT_SERIAL, FK_NULL);
	soft_dies_alone(t, SOFTINT_CLOCK, FK_KASSERT);
}

KTEST_SUITE(irq_fault,
    KTEST_CASE(isolate_call_returns_null_when_nothing_faults),
    KTEST_CASE(a_caught_fault_is_reported_and_the_ipl_restored),
    KTEST_CASE(nested_catches_each_take_their_own_fault),
    KTEST_CASE(a_spin_lock_held_at_the_call_stays_held_and_counted),
    KTEST_CASE(null_dereference_kills_only_its_handler),
    KTEST_CASE(divide_error_kills_only_its_handler),
    KTEST_CASE(failed_kassert_kills_only_its_handler),
    KTEST_CASE(a_line_left_by_its_only_handler_takes_a_new_one),
    KTEST_CASE(restart_hook_runs_and_its_new_handler_works),
    KTEST_CASE(a_restart_hook_that_faults_fails_the_restart),
    KTEST_CASE(a_handler_that_keeps_faulting_stays_dead_after_the_restart_limit),
    KTEST_CASE(a_lazy_fault_lets_the_pinned_lwp_resume),
    KTEST_CASE(a_faulting_soft_interrupt_dies_alone),
    KTEST_CASE(a_faulting_serialized_soft_interrupt_releases_its_lock));
