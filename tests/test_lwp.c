/*
 * test_lwp.c: in-kernel tests of kernel threads: creating, joining and
 * reaping them, binding them to CPUs, their names and priorities, and the
 * snapshot `ps` prints (lwp_snapshot), pinning included.
 *
 * What cannot be tested here without ending the run: a zombie running
 * again, a joinable LWP joining itself, exiting with a spin mutex held
 * (all panic).
 */
#include <condvar.h>
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <softint.h>
#include <string.h>
#include <time.h>
#include <types.h>

#define POLL_NS		NS_PER_MS
#define POLL_MAX	3000		/* polls before giving up */

/* A gate that threads wait at until the case opens it. */
struct gate {
	kmutex_t g_lock;
	kcondvar_t g_cv;
	bool g_open;
};

static void
gate_init(struct gate *g)
{
	mutex_init(&g->g_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&g->g_cv, "gate");
	g->g_open = false;
}

static void
gate_wait(struct gate *g)
{
	mutex_enter(&g->g_lock);
	while (!g->g_open)
		cv_wait(&g->g_cv, &g->g_lock);
	mutex_exit(&g->g_lock);
}

static void
gate_open(struct gate *g)
{
	mutex_enter(&g->g_lock);
	g->g_open = true;
	cv_broadcast(&g->g_cv);
	mutex_exit(&g->g_lock);
}

/*
 * Many threads, bound round-robin to every CPU; each records where it ran
 * before and after a sleep.
 */
#define MANY		64

struct many {
	unsigned m_id;
	volatile bool m_ran;
	volatile unsigned m_cpu_first, m_cpu_after_sleep;
};

static void
many_worker(void *arg)
{
	struct many *m = arg;

	m->m_cpu_first = cpu_number();
	ksleep(10 * NS_PER_US);
	m->m_cpu_after_sleep = cpu_number();
	m->m_ran = true;
}

static void
many_threads_bound_to_every_cpu_run_there_and_join(struct ktest *t)
{
	static struct many m[MANY];
	struct lwp *l[MANY];
	unsigned i, created = 0, joined = 0;

	for (i = 0; i < MANY; i++) {
		m[i] = (struct many){ .m_id = i, .m_cpu_first = ~0U,
		    .m_cpu_after_sleep = ~0U };
		if (lwp_create(many_worker, &m[i], PRI_KERNEL,
		    cpu_lookup(i % ncpu), LWP_JOINABLE, "many", &l[i]) != 0)
			break;
		created++;
	}
	for (i = 0; i < created; i++)
		joined += lwp_join(l[i]) == 0;
	KT_EXPECT_EQ(t, created, MANY);
	KT_EXPECT_EQ(t, joined, created);
	for (i = 0; i < created; i++) {
		KT_EXPECT_TRUE(t, m[i].m_ran);
		KT_EXPECT_EQ(t, m[i].m_cpu_first, i % ncpu);
		KT_EXPECT_EQ(t, m[i].m_cpu_after_sleep, i % ncpu);
	}
}

struct finish {
	volatile bool f_done;
};

static void
finish_late(void *arg)
{
	struct finish *f = arg;

	ksleep(5 * NS_PER_MS);
	f->f_done = true;
}

/* lwp_count once it has stopped changing (earlier zombies reaped). */
static unsigned
settled_lwp_count(void)
{
	unsigned prev = lwp_count(), now;

	for (unsigned i = 0; i < POLL_MAX; i++) {
		ksleep(POLL_NS);
		now = lwp_count();
		if (now == prev)
			return now;
		prev = now;
	}
	return prev;
}

/*
 * The count checks allow for a thread of an earlier case being reaped
 * meanwhile by trying up to three times; a join that does not free the
 * LWP is wrong every time.
 */
static void
join_returns_only_after_the_thread_has_finished_and_frees_it(struct ktest *t)
{
	unsigned before = 0, alive = 0, after = 0;
	struct finish f;
	struct lwp *l;

	for (unsigned try = 0; try < 3; try++) {
		f.f_done = false;
		before = settled_lwp_count();
		KT_ASSERT_EQ(t, lwp_create(finish_late, &f, PRI_KERNEL, NULL,
		    LWP_JOINABLE, "late", &l), 0);
		alive = lwp_count();
		KT_EXPECT_EQ(t, lwp_join(l), 0);
		after = lwp_count();
		KT_EXPECT_TRUE(t, f.f_done);
		if (alive == before + 1 && after == before)
			break;
	}
	KT_EXPECT_EQ(t, alive, before + 1);
	KT_EXPECT_EQ(t, after, before);
}

#define DETACHED	8

static void
count_and_exit(void *arg)
{
	__atomic_fetch_add((volatile unsigned *)arg, 1, __ATOMIC_RELAXED);
}

static void
detached_threads_are_reaped_after_they_exit(struct ktest *t)
{
	static volatile unsigned ran;
	unsigned base, i, polls;

	ran = 0;
	base = settled_lwp_count();
	for (i = 0; i < DETACHED; i++)
		KT_ASSERT_EQ(t, lwp_create(count_and_exit, (void *)&ran,
		    PRI_KERNEL, cpu_lookup(i % ncpu), 0, "detached", NULL), 0);
	for (polls = 0; polls < POLL_MAX; polls++) {
		if (ran == DETACHED && lwp_count() <= base)
			break;
		ksleep(POLL_NS);
	}
	KT_EXPECT_EQ(t, ran, DETACHED);
	/* At most base: a zombie of an earlier case may have gone too. */
	KT_EXPECT_LE(t, lwp_count(), base);
}

static void
do_nothing(void *arg)
{
}

static void
wait_at_gate(void *arg)
{
	gate_wait(arg);
}

static void
join_of_a_detached_thread_returns_einval(struct ktest *t)
{
	static struct gate g;	/* outlives the case: the thread exits later */
	struct lwp *l = NULL;

	gate_init(&g);
	KT_ASSERT_EQ(t, lwp_create(wait_at_gate, &g, PRI_KERNEL, NULL, 0,
	    "detachedgate", &l), 0);
	/* It cannot exit (and be freed) until the gate opens. */
	KT_EXPECT_EQ(t, lwp_join(l), -EINVAL);
	gate_open(&g);
}

static void
bind_moves_the_caller_to_each_cpu_in_turn(struct ktest *t)
{
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < ncpu; i++) {
			unsigned j = round == 0 ? i : ncpu - 1 - i;
			struct cpu_info *ci = cpu_lookup(j);

			lwp_bind(curlwp, ci);
			KT_EXPECT_EQ(t, cpu_number(), j);
			KT_EXPECT_EQ(t, lwp_cpu(curlwp), ci);
			ksleep(10 * NS_PER_US);
			KT_EXPECT_EQ(t, cpu_number(), j);
		}
	}
	lwp_bind(curlwp, NULL);
}

static void
create_with_bad_priority_or_flags_returns_einval(struct ktest *t)
{
	static const int bad_pri[] = { PRI_IDLE, -1, PRI_INTR_MAX + 1, NPRI,
	    1 << 30 };
	struct lwp *sentinel = (struct lwp *)0x1234, *l;
	unsigned before = settled_lwp_count();

	for (size_t i = 0; i < nitems(bad_pri); i++) {
		l = sentinel;
		KT_EXPECT_EQ(t, lwp_create(do_nothing, NULL, bad_pri[i],
		    NULL, LWP_JOINABLE, "badpri", &l), -EINVAL);
		KT_EXPECT_EQ(t, l, sentinel);
	}
	l = sentinel;
	KT_EXPECT_EQ(t, lwp_create(do_nothing, NULL, PRI_KERNEL, NULL,
	    LWP_JOINABLE | 0x100, "badflags", &l), -EINVAL);
	KT_EXPECT_EQ(t, l, sentinel);
	KT_EXPECT_LE(t, lwp_count(), before);
}

static void
name_is_copied_and_truncated_and_attributes_are_as_created(struct ktest *t)
{
	char name[40] = "a-name-much-longer-than-23-characters";
	char want[24];
	struct cpu_info *ci = cpu_lookup(ncpu - 1);
	struct gate g;
	struct lwp *l;

	gate_init(&g);
	KT_ASSERT_EQ(t, lwp_create(wait_at_gate, &g, PRI_KERNEL + 3, ci,
	    LWP_JOINABLE, name, &l), 0);
	strlcpy(want, name, sizeof(want));
	memset(name, 'x', sizeof(name) - 1);
	KT_EXPECT_STREQ(t, lwp_name(l), want);
	KT_EXPECT_EQ(t, strlen(lwp_name(l)), 23UL);
	KT_EXPECT_EQ(t, lwp_base_priority(l), PRI_KERNEL + 3);
	KT_EXPECT_EQ(t, lwp_priority(l), PRI_KERNEL + 3);
	KT_EXPECT_EQ(t, lwp_cpu(l), ci);
	gate_open(&g);
	KT_EXPECT_EQ(t, lwp_join(l), 0);

	/* The runner names each case's thread after the case. */
	strlcpy(want, __func__, sizeof(want));
	KT_EXPECT_STREQ(t, lwp_name(curlwp), want);
}

#define SNAP_MAX	512

static const struct lwp_info *
find_info(const struct lwp_info *li, size_t n, uint32_t lid)
{
	for (size_t i = 0; i < n; i++)
		if (li[i].li_lid == lid)
			return &li[i];
	return NULL;
}

/* A sleeper, a runner (the case itself), as ps shows them. */
static void
snapshot_shows_state_priority_cpu_and_wait_channel(struct ktest *t)
{
	static struct lwp_info li[SNAP_MAX];
	struct cpu_info *ci = cpu_lookup(ncpu - 1);
	const struct lwp_info *me, *it;
	struct gate g;
	struct lwp *l;
	size_t n;

	gate_init(&g);
	KT_ASSERT_EQ(t, lwp_create(wait_at_gate, &g, PRI_KERNEL + 5, ci,
	    LWP_JOINABLE, "ps-sleeper", &l), 0);
	for (unsigned i = 0; i < POLL_MAX && !lwp_is_sleeping(l, &g.g_cv);
	    i++)
		ksleep(POLL_NS);
	n = lwp_snapshot(li, SNAP_MAX);
	KT_ASSERT_LE(t, n, (size_t)SNAP_MAX);
	KT_EXPECT_EQ(t, n, (size_t)lwp_count());
	it = find_info(li, n, lwp_id(l));
	me = find_info(li, n, lwp_id(curlwp));
	KT_ASSERT_NOT_NULL(t, it);
	KT_ASSERT_NOT_NULL(t, me);
	KT_EXPECT_STREQ(t, it->li_name, "ps-sleeper");
	KT_EXPECT_EQ(t, it->li_state, LWP_INFO_SLEEP);
	KT_EXPECT_STREQ(t, it->li_wmesg, "gate");
	KT_EXPECT_EQ(t, it->li_wchan, (uintptr_t)&g.g_cv);
	KT_EXPECT_EQ(t, it->li_base_pri, PRI_KERNEL + 5);
	KT_EXPECT_EQ(t, it->li_cpu, (int)(ncpu - 1));
	KT_EXPECT_EQ(t, it->li_flags, (unsigned)LWP_INFO_BOUND);
	KT_EXPECT_EQ(t, me->li_state, LWP_INFO_ONPROC);
	KT_EXPECT_STREQ(t, me->li_wmesg, "");
	KT_EXPECT_EQ(t, me->li_pinned_by, 0U);
	KT_EXPECT_EQ(t, lwp_snapshot(li, 1), n);	/* the count, not max */
	gate_open(&g);
	KT_EXPECT_EQ(t, lwp_join(l), 0);
}

/*
 * A soft interrupt handler runs in an interrupt thread pinned over the
 * LWP it interrupted: a snapshot taken by the handler shows the pair.
 */
struct pin_probe {
	struct lwp_info pp_li[SNAP_MAX];
	size_t pp_n;
	uint32_t pp_self, pp_under;	/* 0 if not pinned when it looked */
	volatile bool pp_done;
};

static void
snapshot_from_softint(void *arg)
{
	struct pin_probe *pp = arg;
	struct lwp *under = lwp_pinned(curlwp);

	pp->pp_self = lwp_id(curlwp);
	pp->pp_n = lwp_snapshot(pp->pp_li, SNAP_MAX);
	/* Still pinned afterwards: the snapshot did not block. */
	pp->pp_under = under != NULL && lwp_pinned(curlwp) == under ?
	    lwp_id(under) : 0;
	__atomic_store_n(&pp->pp_done, true, __ATOMIC_RELEASE);
}

static void
snapshot_shows_a_pinned_lwp_and_its_interrupt_thread(struct ktest *t)
{
	static struct pin_probe pp;
	const struct lwp_info *intr, *under;
	void *si = softint_establish(SOFTINT_SERIAL | SOFTINT_MPSAFE,
	    snapshot_from_softint, &pp);
	unsigned tries = 0;

	KT_ASSERT_NOT_NULL(t, si);
	do {
		pp.pp_done = false;
		softint_schedule(si);
		for (unsigned i = 0; i < POLL_MAX && !pp.pp_done; i++)
			ksleep(POLL_NS);
		KT_ASSERT_TRUE(t, pp.pp_done);
	} while (pp.pp_under == 0 && ++tries < 20);
	softint_disestablish(si);
	KT_ASSERT_NE(t, pp.pp_under, 0U);
	intr = find_info(pp.pp_li, pp.pp_n, pp.pp_self);
	under = find_info(pp.pp_li, pp.pp_n, pp.pp_under);
	KT_ASSERT_NOT_NULL(t, intr);
	KT_ASSERT_NOT_NULL(t, under);
	KT_EXPECT_EQ(t, intr->li_state, LWP_INFO_ONPROC);
	KT_EXPECT_TRUE(t, (intr->li_flags & LWP_INFO_INTR) != 0);
	KT_EXPECT_EQ(t, intr->li_pinning, pp.pp_under);
	KT_EXPECT_EQ(t, under->li_state, LWP_INFO_ONPROC);
	KT_EXPECT_EQ(t, under->li_pinned_by, pp.pp_self);
	KT_EXPECT_EQ(t, under->li_cpu, intr->li_cpu);
}

KTEST_SUITE(lwp,
    KTEST_CASE(many_threads_bound_to_every_cpu_run_there_and_join),
    KTEST_CASE(join_returns_only_after_the_thread_has_finished_and_frees_it),
    KTEST_CASE(detached_threads_are_reaped_after_they_exit),
    KTEST_CASE(join_of_a_detached_thread_returns_einval),
    KTEST_CASE(bind_moves_the_caller_to_each_cpu_in_turn),
    KTEST_CASE(create_with_bad_priority_or_flags_returns_einval),
    KTEST_CASE(name_is_copied_and_truncated_and_attributes_are_as_created),
    KTEST_CASE(snapshot_shows_state_priority_cpu_and_wait_channel),
    KTEST_CASE(snapshot_shows_a_pinned_lwp_and_its_interrupt_thread));
