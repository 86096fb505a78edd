/*
 * test_pi.c: in-kernel tests of priority inheritance through turnstiles.
 *
 * Every LWP of a scenario runs on one CPU, the stage CPU, and the case's
 * own thread runs there at the lowest kernel priority: when it yields, it
 * runs again only once every helper it started has blocked or gone to
 * sleep, so each step of a scenario happens in a known order without any
 * timing assumption.  Events are ordered by a shared sequence counter.
 *
 * The classic inversion: L (low) holds a lock, H (high) waits for it, and
 * M (medium) wants the CPU for a long time.  Without inheritance M starves
 * L, so H waits for all of M.  With it, L runs at H's priority, lets go,
 * and H gets the lock while M is still busy.  M spins until H is done, or
 * until HOG_LIMIT_NS have passed (only a broken kernel gets that far).
 */
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <rwlock.h>
#include <time.h>
#include <types.h>

/* How long a helper waits for a flag: a working kernel never needs this. */
#define WAIT_NS		(5 * NS_PER_SEC)
#define HOG_LIMIT_NS	(2 * NS_PER_SEC)

#define PRI_L		PRI_KERNEL
#define PRI_L1		(PRI_KERNEL + 8)
#define PRI_M		(PRI_RT_MIN + 20)
#define PRI_H		(PRI_RT_MIN + 40)

static volatile unsigned seq;

static int
next_seq(void)
{
	return (int)__atomic_fetch_add(&seq, 1, __ATOMIC_SEQ_CST);
}

/* The lock of a scenario, taken the way the scenario says. */
enum lock_kind { LK_MUTEX, LK_RW_WRITER, LK_RW_READER };

static kmutex_t m1, m2;
static krwlock_t rwl;

static void
lock(enum lock_kind k)
{
	if (k == LK_MUTEX)
		mutex_enter(&m1);
	else
		rw_enter(&rwl, k == LK_RW_WRITER ? RW_WRITER : RW_READER);
}

static void
unlock(enum lock_kind k)
{
	if (k == LK_MUTEX)
		mutex_exit(&m1);
	else
		rw_exit(&rwl);
}

/*
 * The inversion scenario.  L takes the lock as holder_kind, H as
 * waiter_kind.
 */
struct inversion {
	enum lock_kind iv_holder_kind;
	enum lock_kind iv_waiter_kind;
	volatile int iv_l_holds;
	volatile int iv_m_running;
	volatile int iv_h_entering;
	volatile int iv_h_done;
	volatile int iv_l_pri_lent;	/* L's priority once H waits */
	volatile int iv_l_pri_after;	/* L's priority after releasing */
	volatile int iv_h_seq;		/* when H got the lock */
	volatile int iv_m_seq;		/* when M finished hogging */
	volatile int iv_m_saw_h_done;
	volatile int iv_m_gave_up;	/* M hit HOG_LIMIT_NS */
};

static struct inversion iv;

static void
inversion_low(void *arg)
{
	lock(iv.iv_holder_kind);
	ktest_set_flag(&iv.iv_l_holds);
	/*
	 * Sleeping in small steps: when we next run after H announced itself,
	 * H (above us on this CPU) has already blocked.
	 */
	(void)ktest_wait_flag(&iv.iv_h_entering, WAIT_NS);
	iv.iv_l_pri_lent = lwp_priority(curlwp);
	unlock(iv.iv_holder_kind);
	iv.iv_l_pri_after = lwp_priority(curlwp);
}

static void
inversion_medium(void *arg)
{
	uint64_t give_up = nanouptime() + HOG_LIMIT_NS;

	ktest_set_flag(&iv.iv_m_running);
	while (!__atomic_load_n(&iv.iv_h_done, __ATOMIC_ACQUIRE)) {
		if (nanouptime() >= give_up) {
			iv.iv_m_gave_up = 1;
			break;
		}
	}
	iv.iv_m_saw_h_done = __atomic_load_n(&iv.iv_h_done, __ATOMIC_ACQUIRE);
	iv.iv_m_seq = next_seq();
}

static void
inversion_high(void *arg)
{
	(void)ktest_wait_flag(&iv.iv_m_running, WAIT_NS);
	ktest_set_flag(&iv.iv_h_entering);
	lock(iv.iv_waiter_kind);
	iv.iv_h_seq = next_seq();
	unlock(iv.iv_waiter_kind);
	ktest_set_flag(&iv.iv_h_done);
}

static void
inversion_run(struct ktest *t, enum lock_kind holder, enum lock_kind waiter)
{
	struct lwp *l, *m, *h;

	ktest_stage_enter();
	mutex_init(&m1, MUTEX_ADAPTIVE, IPL_NONE);
	rw_init(&rwl);
	seq = 0;
	iv = (struct inversion){
		.iv_holder_kind = holder, .iv_waiter_kind = waiter,
		.iv_l_pri_lent = -1, .iv_l_pri_after = -1,
		.iv_h_seq = -1, .iv_m_seq = -1, .iv_m_saw_h_done = -1,
	};
	l = ktest_spawn(t, inversion_low, NULL, PRI_L,
	    ktest_stage_cpu(), "pi-low");
	yield();
	KT_EXPECT_TRUE(t, iv.iv_l_holds);
	h = ktest_spawn(t, inversion_high, NULL, PRI_H,
	    ktest_stage_cpu(), "pi-high");
	yield();		/* H sleeps until M runs */
	m = ktest_spawn(t, inversion_medium, NULL, PRI_M,
	    ktest_stage_cpu(), "pi-medium");
	KT_EXPECT_EQ(t, lwp_join(m), 0);
	KT_EXPECT_EQ(t, lwp_join(h), 0);
	KT_EXPECT_EQ(t, lwp_join(l), 0);

	KT_EXPECT_EQ(t, iv.iv_l_pri_lent, PRI_H);
	KT_EXPECT_EQ(t, iv.iv_l_pri_after, PRI_L);
	KT_EXPECT_GE(t, iv.iv_h_seq, 0);
	KT_EXPECT_LT(t, iv.iv_h_seq, iv.iv_m_seq);
	KT_EXPECT_EQ(t, iv.iv_m_saw_h_done, 1);
	KT_EXPECT_EQ(t, iv.iv_m_gave_up, 0);
	KT_EXPECT_EQ(t, lwp_priority(curlwp), PRI_KERNEL_MIN);
	mutex_destroy(&m1);
	rw_destroy(&rwl);
}

static void
mutex_holder_runs_at_waiter_priority_and_beats_a_medium_hog(struct ktest *t)
{
	inversion_run(t, LK_MUTEX, LK_MUTEX);
}

static void
rw_writer_runs_at_blocked_writer_priority_and_beats_a_medium_hog(struct ktest *t)
{
	inversion_run(t, LK_RW_WRITER, LK_RW_WRITER);
}

static void
rw_writer_runs_at_blocked_reader_priority_and_beats_a_medium_hog(struct ktest *t)
{
	inversion_run(t, LK_RW_WRITER, LK_RW_READER);
}

/*
 * A chain: H waits for m1, held by L1, which waits for m2, held by L2.
 * L2 must run at H's priority; each drops back to its base on release.
 */
struct chain {
	volatile int ch_l2_holds;
	volatile int ch_l1_holds;
	volatile int ch_h_entering;
	volatile int ch_l2_pri_before_h;	/* seen by the case */
	volatile int ch_l2_pri_lent;
	volatile int ch_l2_pri_after;
	volatile int ch_l1_pri_holding_both;
	volatile int ch_l1_pri_after;
	volatile int ch_h_seq, ch_l1_seq, ch_l2_seq;
};

static struct chain ch;

static void
chain_l2(void *arg)
{
	mutex_enter(&m2);
	ktest_set_flag(&ch.ch_l2_holds);
	(void)ktest_wait_flag(&ch.ch_h_entering, WAIT_NS);
	ch.ch_l2_pri_lent = lwp_priority(curlwp);
	ch.ch_l2_seq = next_seq();
	mutex_exit(&m2);
	ch.ch_l2_pri_after = lwp_priority(curlwp);
}

static void
chain_l1(void *arg)
{
	mutex_enter(&m1);
	ktest_set_flag(&ch.ch_l1_holds);
	mutex_enter(&m2);
	ch.ch_l1_pri_holding_both = lwp_priority(curlwp);
	ch.ch_l1_seq = next_seq();
	mutex_exit(&m2);
	mutex_exit(&m1);
	ch.ch_l1_pri_after = lwp_priority(curlwp);
}

static void
chain_h(void *arg)
{
	ktest_set_flag(&ch.ch_h_entering);
	mutex_enter(&m1);
	ch.ch_h_seq = next_seq();
	mutex_exit(&m1);
}

static void
priority_is_lent_through_a_chain_of_two_mutex_owners(struct ktest *t)
{
	struct lwp *l1, *l2, *h;

	ktest_stage_enter();
	mutex_init(&m1, MUTEX_ADAPTIVE, IPL_NONE);
	mutex_init(&m2, MUTEX_ADAPTIVE, IPL_NONE);
	seq = 0;
	ch = (struct chain){
		.ch_l2_pri_lent = -1, .ch_l2_pri_after = -1,
		.ch_l1_pri_holding_both = -1, .ch_l1_pri_after = -1,
		.ch_h_seq = -1, .ch_l1_seq = -1, .ch_l2_seq = -1,
	};
	l2 = ktest_spawn(t, chain_l2, NULL, PRI_L,
	    ktest_stage_cpu(), "chain-l2");
	yield();
	KT_EXPECT_TRUE(t, ch.ch_l2_holds);
	l1 = ktest_spawn(t, chain_l1, NULL, PRI_L1,
	    ktest_stage_cpu(), "chain-l1");
	yield();		/* L1 takes m1 and blocks on m2 */
	KT_EXPECT_TRUE(t, ch.ch_l1_holds);
	KT_EXPECT_EQ(t, lwp_priority(l2), PRI_L1);
	h = ktest_spawn(t, chain_h, NULL, PRI_H, ktest_stage_cpu(), "chain-h");
	yield();
	KT_EXPECT_EQ(t, lwp_join(h), 0);
	KT_EXPECT_EQ(t, lwp_join(l1), 0);
	KT_EXPECT_EQ(t, lwp_join(l2), 0);

	KT_EXPECT_EQ(t, ch.ch_l2_pri_lent, PRI_H);
	KT_EXPECT_EQ(t, ch.ch_l1_pri_holding_both, PRI_H);
	KT_EXPECT_EQ(t, ch.ch_l2_pri_after, PRI_L);
	KT_EXPECT_EQ(t, ch.ch_l1_pri_after, PRI_L1);
	KT_EXPECT_EQ(t, ch.ch_l2_seq, 0);
	KT_EXPECT_EQ(t, ch.ch_l1_seq, 1);
	KT_EXPECT_EQ(t, ch.ch_h_seq, 2);
	mutex_destroy(&m1);
	mutex_destroy(&m2);
}

/*
 * An owner of two contended mutexes: releasing the one with the higher
 * waiter drops it to the other waiter's priority, not to its base.
 */
struct two_held {
	volatile int th_holds;
	volatile int th_go;
	volatile int th_pri_both;
	volatile int th_pri_one;
	volatile int th_pri_none;
};

static struct two_held th;

static void
two_held_owner(void *arg)
{
	mutex_enter(&m1);
	mutex_enter(&m2);
	ktest_set_flag(&th.th_holds);
	(void)ktest_wait_flag(&th.th_go, WAIT_NS);
	th.th_pri_both = lwp_priority(curlwp);
	mutex_exit(&m2);
	th.th_pri_one = lwp_priority(curlwp);
	mutex_exit(&m1);
	th.th_pri_none = lwp_priority(curlwp);
}

static void
enter_m1(void *arg)
{
	mutex_enter(&m1);
	mutex_exit(&m1);
}

static void
enter_m2(void *arg)
{
	mutex_enter(&m2);
	mutex_exit(&m2);
}

static void
releasing_one_contended_mutex_keeps_the_other_waiters_priority(struct ktest *t)
{
	struct lwp *o, *w1, *w2;

	ktest_stage_enter();
	mutex_init(&m1, MUTEX_ADAPTIVE, IPL_NONE);
	mutex_init(&m2, MUTEX_ADAPTIVE, IPL_NONE);
	th = (struct two_held){ .th_pri_both = -1, .th_pri_one = -1,
	    .th_pri_none = -1 };
	o = ktest_spawn(t, two_held_owner, NULL, PRI_L,
	    ktest_stage_cpu(), "owner");
	yield();
	KT_EXPECT_TRUE(t, th.th_holds);
	w1 = ktest_spawn(t, enter_m1, NULL, PRI_M,
	    ktest_stage_cpu(), "wait-m1");
	yield();
	KT_EXPECT_EQ(t, lwp_priority(o), PRI_M);
	w2 = ktest_spawn(t, enter_m2, NULL, PRI_H,
	    ktest_stage_cpu(), "wait-m2");
	yield();
	KT_EXPECT_EQ(t, lwp_priority(o), PRI_H);
	ktest_set_flag(&th.th_go);
	KT_EXPECT_EQ(t, lwp_join(o), 0);
	KT_EXPECT_EQ(t, lwp_join(w1), 0);
	KT_EXPECT_EQ(t, lwp_join(w2), 0);
	KT_EXPECT_EQ(t, th.th_pri_both, PRI_H);
	KT_EXPECT_EQ(t, th.th_pri_one, PRI_M);
	KT_EXPECT_EQ(t, th.th_pri_none, PRI_L);
	mutex_destroy(&m1);
	mutex_destroy(&m2);
}

/*
 * Changing the base priority of a blocked waiter moves the owner's
 * inherited priority with it, up and down.
 */
static volatile int owner_holds, owner_go;

static void
sleeping_owner(void *arg)
{
	mutex_enter(&m1);
	ktest_set_flag(&owner_holds);
	(void)ktest_wait_flag(&owner_go, WAIT_NS);
	mutex_exit(&m1);
}

static void
changing_a_blocked_waiters_priority_moves_the_owners_with_it(struct ktest *t)
{
	struct lwp *o, *w;

	ktest_stage_enter();
	mutex_init(&m1, MUTEX_ADAPTIVE, IPL_NONE);
	owner_holds = owner_go = 0;
	o = ktest_spawn(t, sleeping_owner, NULL, PRI_L,
	    ktest_stage_cpu(), "owner");
	yield();
	KT_EXPECT_TRUE(t, owner_holds);
	w = ktest_spawn(t, enter_m1, NULL, PRI_L1, ktest_stage_cpu(), "waiter");
	yield();
	KT_EXPECT_EQ(t, lwp_priority(o), PRI_L1);
	lwp_set_priority(w, PRI_H);
	KT_EXPECT_EQ(t, lwp_priority(w), PRI_H);
	KT_EXPECT_EQ(t, lwp_priority(o), PRI_H);
	lwp_set_priority(w, PRI_L + 2);
	KT_EXPECT_EQ(t, lwp_priority(o), PRI_L + 2);
	ktest_set_flag(&owner_go);
	KT_EXPECT_EQ(t, lwp_join(o), 0);
	KT_EXPECT_EQ(t, lwp_join(w), 0);
	mutex_destroy(&m1);
}

KTEST_SUITE(pi,
    KTEST_CASE(mutex_holder_runs_at_waiter_priority_and_beats_a_medium_hog),
    KTEST_CASE(rw_writer_runs_at_blocked_writer_priority_and_beats_a_medium_hog),
    KTEST_CASE(rw_writer_runs_at_blocked_reader_priority_and_beats_a_medium_hog),
    KTEST_CASE(priority_is_lent_through_a_chain_of_two_mutex_owners),
    KTEST_CASE(releasing_one_contended_mutex_keeps_the_other_waiters_priority),
    KTEST_CASE(changing_a_blocked_waiters_priority_moves_the_owners_with_it));
