/*
 * test_condvar.c: in-kernel tests of condition variables.
 *
 * A lost wake-up would normally hang a test until the ktest time limit;
 * here waiters that could be stranded use cv_timedwait with a long limit
 * (WAIT_LIMIT_NS) and count the times it ran out, so a lost signal shows
 * as a failed count.  This kernel has no spurious wake-ups (a sleeper
 * leaves its sleep queue only when woken or timed out), so counting
 * returns from cv_wait counts wake-ups exactly.
 *
 * "N LWPs are asleep on the condvar" is known, not guessed: each waiter
 * counts itself under the mutex before cv_wait, which queues it before it
 * releases the mutex, so once the case holds the mutex and sees N counted,
 * all N are on the sleep queue.
 */
#include <condvar.h>
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <spl.h>
#include <time.h>
#include <types.h>

#define POLL_NS		(1 * NS_PER_MS)
#define POLL_MAX	5000	/* a working condvar never needs this many */
#define WAIT_LIMIT_NS	(10 * NS_PER_SEC)
#define PINGPONG_ROUNDS	1000

static kmutex_t cv_lock;
static kcondvar_t cv;

/*
 * wait_for_count: poll, taking cv_lock, until *count reaches want.
 * Returns true with cv_lock held, or false (not held) if it never did.
 */
static bool
wait_for_count(volatile unsigned *count, unsigned want)
{
	for (unsigned i = 0; i < POLL_MAX; i++) {
		mutex_enter(&cv_lock);
		if (*count >= want)
			return true;
		mutex_exit(&cv_lock);
		ksleep(POLL_NS);
	}
	return false;
}

/*
 * Ping-pong: two LWPs, preferably on two CPUs, take turns; each turn ends
 * with a cv_signal to the other.  A lost signal leaves one side waiting
 * until WAIT_LIMIT_NS: the game stops there and the counts come up short.
 */
struct pingpong {
	kcondvar_t pp_cv[2];
	volatile unsigned pp_turn;		/* cv_lock */
	volatile unsigned pp_rounds[2];		/* cv_lock */
	volatile unsigned pp_timeouts;		/* cv_lock */
	volatile unsigned pp_bad_ipl;		/* cv_lock */
	volatile bool pp_abort;			/* cv_lock */
	ipl_t pp_ipl;				/* of cv_lock */
};

static struct pingpong pp;

static void
pingpong_player(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;

	for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
		mutex_enter(&cv_lock);
		while (pp.pp_turn != me && !pp.pp_abort) {
			if (cv_timedwait(&pp.pp_cv[me], &cv_lock, WAIT_LIMIT_NS) ==
			    EWOULDBLOCK && pp.pp_turn != me) {
				pp.pp_timeouts++;
				pp.pp_abort = true;
				cv_signal(&pp.pp_cv[!me]);
			}
			if (curipl() < pp.pp_ipl)
				pp.pp_bad_ipl++;
		}
		if (pp.pp_abort) {
			mutex_exit(&cv_lock);
			break;
		}
		pp.pp_rounds[me]++;
		pp.pp_turn = !me;
		cv_signal(&pp.pp_cv[!me]);
		mutex_exit(&cv_lock);
	}
}

static void
pingpong_run(struct ktest *t, kmutex_type_t type, ipl_t ipl)
{
	struct lwp *l[2];

	mutex_init(&cv_lock, type, ipl);
	cv_init(&pp.pp_cv[0], "ping");
	cv_init(&pp.pp_cv[1], "pong");
	pp.pp_turn = 0;
	pp.pp_rounds[0] = pp.pp_rounds[1] = 0;
	pp.pp_timeouts = 0;
	pp.pp_bad_ipl = 0;
	pp.pp_abort = false;
	pp.pp_ipl = ipl;
	for (unsigned i = 0; i < 2; i++)
		l[i] = ktest_spawn(t, pingpong_player, (void *)(uintptr_t)i,
		    PRI_KERNEL, cpu_lookup(i % ncpu), i == 0 ? "ping" : "pong");
	for (unsigned i = 0; i < 2; i++)
		KT_EXPECT_EQ(t, lwp_join(l[i]), 0);
	KT_EXPECT_EQ(t, pp.pp_rounds[0], (unsigned)PINGPONG_ROUNDS);
	KT_EXPECT_EQ(t, pp.pp_rounds[1], (unsigned)PINGPONG_ROUNDS);
	KT_EXPECT_EQ(t, pp.pp_timeouts, 0U);
	KT_EXPECT_EQ(t, pp.pp_bad_ipl, 0U);
	KT_EXPECT_EQ(t, curipl(), IPL_NONE);
	cv_destroy(&pp.pp_cv[0]);
	cv_destroy(&pp.pp_cv[1]);
	mutex_destroy(&cv_lock);
}

static void
cv_signal_ping_pong_loses_no_wakeup_across_cpus(struct ktest *t)
{
	pingpong_run(t, MUTEX_ADAPTIVE, IPL_NONE);
}

static void
cv_wait_with_a_spin_mutex_interlock_loses_no_wakeup(struct ktest *t)
{
	pingpong_run(t, MUTEX_SPIN, IPL_VM);
}

/*
 * Waiters that consume tokens: each waits until a token is there, takes
 * one, and counts every return from the wait (its wake-ups).
 */
struct token_waiter {
	int tw_pri;
	volatile int tw_rank;		/* cv_lock: order it took its token */
};

struct tokens {
	volatile unsigned tk_waiting;	/* cv_lock: waiters counted in */
	volatile unsigned tk_tokens;	/* cv_lock */
	volatile unsigned tk_taken;	/* cv_lock */
	volatile unsigned tk_wakeups;	/* cv_lock */
	volatile unsigned tk_timeouts;	/* cv_lock */
};

static struct tokens tk;

static void
token_waiter_main(void *arg)
{
	struct token_waiter *w = arg;

	mutex_enter(&cv_lock);
	tk.tk_waiting++;
	while (tk.tk_tokens == 0) {
		if (cv_timedwait(&cv, &cv_lock, WAIT_LIMIT_NS) == EWOULDBLOCK)
			tk.tk_timeouts++;
		else
			tk.tk_wakeups++;
	}
	tk.tk_tokens--;
	w->tw_rank = (int)tk.tk_taken++;
	mutex_exit(&cv_lock);
}

static void
tokens_start(struct ktest *t, struct token_waiter *w, struct lwp **l,
    unsigned n)
{
	char name[24];

	mutex_init(&cv_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&cv, "tokens");
	tk.tk_waiting = tk.tk_tokens = tk.tk_taken = 0;
	tk.tk_wakeups = tk.tk_timeouts = 0;
	for (unsigned i = 0; i < n; i++) {
		w[i].tw_rank = -1;
		snprintf(name, sizeof(name), "tokens%u", i);
		l[i] = ktest_spawn(t, token_waiter_main, &w[i], w[i].tw_pri,
		    NULL, name);
	}
}

/* Hand out n tokens one cv_signal at a time, each taken before the next. */
static void
tokens_signal_one_by_one(struct ktest *t, unsigned n)
{
	KT_ASSERT_TRUE(t, wait_for_count(&tk.tk_waiting, n));
	KT_EXPECT_TRUE(t, cv_has_waiters(&cv));
	mutex_exit(&cv_lock);
	for (unsigned k = 1; k <= n; k++) {
		mutex_enter(&cv_lock);
		tk.tk_tokens++;
		cv_signal(&cv);
		mutex_exit(&cv_lock);
		if (!wait_for_count(&tk.tk_taken, k)) {
			KT_EXPECT_EQ(t, tk.tk_taken, k);
			return;
		}
		mutex_exit(&cv_lock);
	}
}

#define SIGNAL_WAITERS	4

static void
cv_signal_wakes_exactly_one_waiter_per_call(struct ktest *t)
{
	static struct token_waiter w[SIGNAL_WAITERS];
	struct lwp *l[SIGNAL_WAITERS];

	for (unsigned i = 0; i < SIGNAL_WAITERS; i++)
		w[i].tw_pri = PRI_KERNEL;
	tokens_start(t, w, l, SIGNAL_WAITERS);
	tokens_signal_one_by_one(t, SIGNAL_WAITERS);
	for (unsigned i = 0; i < SIGNAL_WAITERS; i++)
		KT_EXPECT_EQ(t, lwp_join(l[i]), 0);
	/* Waking more than one per signal would add futile wake-ups. */
	KT_EXPECT_EQ(t, tk.tk_wakeups, (unsigned)SIGNAL_WAITERS);
	KT_EXPECT_EQ(t, tk.tk_taken, (unsigned)SIGNAL_WAITERS);
	KT_EXPECT_EQ(t, tk.tk_timeouts, 0U);
	KT_EXPECT_FALSE(t, cv_has_waiters(&cv));
	cv_destroy(&cv);
	mutex_destroy(&cv_lock);
}

static const int signal_pri[] = {
	PRI_KERNEL + 4, PRI_RT_MIN + 20, PRI_KERNEL + 12, PRI_RT_MIN + 4,
};
static const int signal_expected_rank[] = { 3, 0, 2, 1 };

static void
cv_signal_wakes_the_highest_priority_waiter_first(struct ktest *t)
{
	static struct token_waiter w[nitems(signal_pri)];
	struct lwp *l[nitems(signal_pri)];

	for (unsigned i = 0; i < nitems(signal_pri); i++)
		w[i].tw_pri = signal_pri[i];
	tokens_start(t, w, l, nitems(signal_pri));
	tokens_signal_one_by_one(t, nitems(signal_pri));
	for (unsigned i = 0; i < nitems(signal_pri); i++) {
		KT_EXPECT_EQ(t, lwp_join(l[i]), 0);
		KT_EXPECT_EQ(t, w[i].tw_rank, signal_expected_rank[i]);
	}
	KT_EXPECT_EQ(t, tk.tk_timeouts, 0U);
	cv_destroy(&cv);
	mutex_destroy(&cv_lock);
}

/*
 * Broadcast: every waiter leaves the sleep queue at once, and each wakes
 * exactly once.
 */
#define BCAST_MAX	(2 * MAXCPUS + 2)

struct bcast {
	volatile unsigned bc_waiting;	/* cv_lock */
	volatile unsigned bc_woken;	/* cv_lock */
	volatile unsigned bc_timeouts;	/* cv_lock */
	volatile bool bc_go;		/* cv_lock */
};

static struct bcast bc;

static void
bcast_waiter(void *arg)
{
	mutex_enter(&cv_lock);
	bc.bc_waiting++;
	while (!bc.bc_go) {
		if (cv_timedwait(&cv, &cv_lock, WAIT_LIMIT_NS) == EWOULDBLOCK)
			bc.bc_timeouts++;
		else
			bc.bc_woken++;
	}
	mutex_exit(&cv_lock);
}

static void
cv_broadcast_wakes_every_waiter_once(struct ktest *t)
{
	struct lwp *l[BCAST_MAX];
	unsigned n = 2 * ncpu + 2;
	bool still_waiting;
	char name[24];

	mutex_init(&cv_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&cv, "bcast");
	bc.bc_waiting = bc.bc_woken = bc.bc_timeouts = 0;
	bc.bc_go = false;
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "bcast%u", i);
		l[i] = ktest_spawn(t, bcast_waiter, NULL, PRI_KERNEL, NULL,
		    name);
	}
	KT_ASSERT_TRUE(t, wait_for_count(&bc.bc_waiting, n));
	KT_EXPECT_TRUE(t, cv_has_waiters(&cv));
	bc.bc_go = true;
	cv_broadcast(&cv);
	still_waiting = cv_has_waiters(&cv);	/* none may be left queued */
	mutex_exit(&cv_lock);
	KT_EXPECT_FALSE(t, still_waiting);
	for (unsigned i = 0; i < n; i++)
		KT_EXPECT_EQ(t, lwp_join(l[i]), 0);
	KT_EXPECT_EQ(t, bc.bc_woken, n);
	KT_EXPECT_EQ(t, bc.bc_timeouts, 0U);
	cv_destroy(&cv);
	mutex_destroy(&cv_lock);
}

/*
 * cv_timedwait.
 */
static void
cv_timedwait_returns_ewouldblock_when_nobody_signals(struct ktest *t)
{
	static const ipl_t ipls[] = { IPL_NONE, IPL_VM };
	const uint64_t timeout = 20 * NS_PER_MS;

	for (unsigned i = 0; i < nitems(ipls); i++) {
		uint64_t start, end;
		int error;

		mutex_init(&cv_lock, MUTEX_DEFAULT, ipls[i]);
		cv_init(&cv, "timeout");
		mutex_enter(&cv_lock);
		start = nanouptime();
		error = cv_timedwait(&cv, &cv_lock, timeout);
		end = nanouptime();
		KT_EXPECT_EQ(t, error, EWOULDBLOCK);
		KT_EXPECT_TRUE(t, mutex_owned(&cv_lock));
		mutex_exit(&cv_lock);
		/* Not early: the deadline had passed when it gave up. */
		KT_EXPECT_GE(t, end, start + timeout);
		KT_EXPECT_FALSE(t, cv_has_waiters(&cv));
		cv_destroy(&cv);
		mutex_destroy(&cv_lock);
	}
}

struct timed_waiter {
	volatile unsigned tw_waiting;	/* cv_lock */
	volatile bool tw_go;		/* cv_lock */
	volatile int tw_error;
	volatile int tw_owned;		/* held cv_lock when the wait returned */
};

static struct timed_waiter tw;

static void
timed_waiter_main(void *arg)
{
	mutex_enter(&cv_lock);
	tw.tw_waiting = 1;
	tw.tw_error = -1;
	while (!tw.tw_go && tw.tw_error != EWOULDBLOCK) {
		tw.tw_error = cv_timedwait(&cv, &cv_lock, WAIT_LIMIT_NS);
		tw.tw_owned = mutex_owned(&cv_lock);
	}
	mutex_exit(&cv_lock);
}

static void
cv_timedwait_returns_zero_when_signalled(struct ktest *t)
{
	struct lwp *l;

	mutex_init(&cv_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&cv, "timedsig");
	tw.tw_waiting = 0;
	tw.tw_go = false;
	tw.tw_error = -1;
	tw.tw_owned = -1;
	l = ktest_spawn(t, timed_waiter_main, NULL, PRI_KERNEL, NULL,
	    "timedwaiter");
	KT_ASSERT_TRUE(t, wait_for_count(&tw.tw_waiting, 1));
	tw.tw_go = true;
	cv_signal(&cv);
	mutex_exit(&cv_lock);
	KT_EXPECT_EQ(t, lwp_join(l), 0);
	KT_EXPECT_EQ(t, tw.tw_error, 0);
	KT_EXPECT_EQ(t, tw.tw_owned, 1);
	cv_destroy(&cv);
	mutex_destroy(&cv_lock);
}

/*
 * While a waiter sleeps the mutex is free (another LWP can take it
 * without waiting), and the waiter holds it again when cv_wait returns.
 */
static void
cv_wait_releases_the_mutex_while_asleep_and_holds_it_on_return(struct ktest *t)
{
	bool free_while_asleep = false;
	struct lwp *l;

	mutex_init(&cv_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&cv, "release");
	tw.tw_waiting = 0;
	tw.tw_go = false;
	tw.tw_error = -1;
	tw.tw_owned = -1;
	l = ktest_spawn(t, timed_waiter_main, NULL, PRI_KERNEL, NULL, "waiter");
	for (unsigned i = 0; i < POLL_MAX && !free_while_asleep; i++) {
		if (mutex_tryenter(&cv_lock)) {
			if (tw.tw_waiting) {
				free_while_asleep = true;
				break;
			}
			mutex_exit(&cv_lock);
		}
		ksleep(POLL_NS);
	}
	KT_EXPECT_TRUE(t, free_while_asleep);
	if (free_while_asleep) {
		KT_EXPECT_TRUE(t, cv_has_waiters(&cv));
		tw.tw_go = true;
		cv_signal(&cv);
		mutex_exit(&cv_lock);
	}
	KT_EXPECT_EQ(t, lwp_join(l), 0);
	KT_EXPECT_EQ(t, tw.tw_error, 0);
	KT_EXPECT_EQ(t, tw.tw_owned, 1);
	cv_destroy(&cv);
	mutex_destroy(&cv_lock);
}

KTEST_SUITE(condvar,
    KTEST_CASE(cv_signal_ping_pong_loses_no_wakeup_across_cpus),
    KTEST_CASE(cv_wait_with_a_spin_mutex_interlock_loses_no_wakeup),
    KTEST_CASE(cv_signal_wakes_exactly_one_waiter_per_call),
    KTEST_CASE(cv_signal_wakes_the_highest_priority_waiter_first),
    KTEST_CASE(cv_broadcast_wakes_every_waiter_once),
    KTEST_CASE(cv_timedwait_returns_ewouldblock_when_nobody_signals),
    KTEST_CASE(cv_timedwait_returns_zero_when_signalled),
    KTEST_CASE(cv_wait_releases_the_mutex_while_asleep_and_holds_it_on_return));
