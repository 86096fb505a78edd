/*
 * test_rwlock.c: in-kernel tests of reader/writer locks.
 *
 * The mixed test runs readers and writers on every CPU and checks what
 * readers see.  The policy tests (who gets the lock next) run every LWP
 * involved on one CPU, the stage CPU, where a helper of higher priority
 * than the case's thread runs, when the case's thread yields, until it
 * blocks: so "the helper is waiting for the lock" is known, not hoped.
 */
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <printf.h>
#include <rwlock.h>
#include <time.h>
#include <types.h>

/* How long a helper waits for a flag: a working lock never needs this. */
#define WAIT_NS		(5 * NS_PER_SEC)

static krwlock_t rwl;
static volatile unsigned enter_seq;

/*
 * A helper that takes the lock once: it records when it got in (rank)
 * and the value of *watch at that moment.
 */
struct rw_waiter {
	krw_t rw_op;
	volatile int *rw_watch;
	volatile int rw_rank;
	volatile int rw_saw;
};

static void
rw_waiter_main(void *arg)
{
	struct rw_waiter *w = arg;

	rw_enter(&rwl, w->rw_op);
	w->rw_rank = (int)__atomic_fetch_add(&enter_seq, 1, __ATOMIC_SEQ_CST);
	w->rw_saw = w->rw_watch != NULL ? *w->rw_watch : -1;
	rw_exit(&rwl);
}

static struct lwp *
rw_waiter_start(struct ktest *t, struct rw_waiter *w, krw_t op,
    volatile int *watch, int pri, const char *name)
{
	w->rw_op = op;
	w->rw_watch = watch;
	w->rw_rank = -1;
	w->rw_saw = -1;
	return ktest_spawn(t, rw_waiter_main, w, pri, ktest_stage_cpu(), name);
}

/* A helper that holds the lock until told to let go. */
struct rw_holder {
	krw_t rh_op;
	volatile int rh_held;
	volatile int rh_release;
};

static void
rw_holder_main(void *arg)
{
	struct rw_holder *h = arg;

	rw_enter(&rwl, h->rh_op);
	ktest_set_flag(&h->rh_held);
	(void)ktest_wait_flag(&h->rh_release, WAIT_NS);
	rw_exit(&rwl);
}

static struct lwp *
rw_holder_start(struct ktest *t, struct rw_holder *h, krw_t op,
    struct cpu_info *ci)
{
	h->rh_op = op;
	h->rh_held = 0;
	h->rh_release = 0;
	return ktest_spawn(t, rw_holder_main, h, PRI_KERNEL, ci, "rwholder");
}

/*
 * Readers and writers on every CPU.  Writers set every field to the same
 * new value; readers must never see a mixture, nor time going backwards,
 * nor anyone writing while they read.
 */
#define MIX_FIELDS		8
#define MIX_WRITER_ITERS	400
#define MIX_READER_ITERS	800
#define MIX_READERS_PER_CPU	2
#define MIX_YIELD_EVERY		32

struct rw_mix {
	volatile uint64_t mx_data[MIX_FIELDS];	/* rwl */
	volatile unsigned mx_readers_in;	/* atomic */
	volatile unsigned mx_writers_in;	/* atomic */
	volatile unsigned mx_exclusion_broken;	/* atomic */
	volatile unsigned mx_torn;		/* atomic */
	volatile unsigned mx_went_back;		/* atomic */
};

static struct rw_mix mix;

static void
mix_writer(void *arg)
{
	for (unsigned i = 0; i < MIX_WRITER_ITERS; i++) {
		uint64_t v;

		rw_enter(&rwl, RW_WRITER);
		if (__atomic_add_fetch(&mix.mx_writers_in, 1, __ATOMIC_SEQ_CST) != 1 ||
		    __atomic_load_n(&mix.mx_readers_in, __ATOMIC_SEQ_CST) != 0)
			__atomic_add_fetch(&mix.mx_exclusion_broken, 1, __ATOMIC_RELAXED);
		v = mix.mx_data[0] + 1;
		for (unsigned f = 0; f < MIX_FIELDS; f++) {
			mix.mx_data[f] = v;
			if (i % MIX_YIELD_EVERY == 0 && f == MIX_FIELDS / 2)
				yield();
		}
		__atomic_sub_fetch(&mix.mx_writers_in, 1, __ATOMIC_SEQ_CST);
		rw_exit(&rwl);
	}
}

static void
mix_reader(void *arg)
{
	uint64_t last = 0;

	for (unsigned i = 0; i < MIX_READER_ITERS; i++) {
		uint64_t v;

		rw_enter(&rwl, RW_READER);
		__atomic_add_fetch(&mix.mx_readers_in, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&mix.mx_writers_in, __ATOMIC_SEQ_CST) != 0)
			__atomic_add_fetch(&mix.mx_exclusion_broken, 1, __ATOMIC_RELAXED);
		v = mix.mx_data[0];
		for (unsigned f = 1; f < MIX_FIELDS; f++) {
			if (i % MIX_YIELD_EVERY == 0 && f == MIX_FIELDS / 2)
				yield();
			if (mix.mx_data[f] != v)
				__atomic_add_fetch(&mix.mx_torn, 1, __ATOMIC_RELAXED);
		}
		if (v < last)
			__atomic_add_fetch(&mix.mx_went_back, 1, __ATOMIC_RELAXED);
		last = v;
		__atomic_sub_fetch(&mix.mx_readers_in, 1, __ATOMIC_SEQ_CST);
		rw_exit(&rwl);
	}
}

static void
readers_see_consistent_state_written_by_writers_on_all_cpus(struct ktest *t)
{
	struct lwp *lwps[MAXCPUS * (1 + MIX_READERS_PER_CPU)];
	unsigned n = 0;
	char name[24];

	rw_init(&rwl);
	for (unsigned f = 0; f < MIX_FIELDS; f++)
		mix.mx_data[f] = 0;
	mix.mx_readers_in = mix.mx_writers_in = 0;
	mix.mx_exclusion_broken = mix.mx_torn = mix.mx_went_back = 0;
	for (unsigned c = 0; c < ncpu; c++) {
		snprintf(name, sizeof(name), "mixw%u", c);
		lwps[n++] = ktest_spawn(t, mix_writer, NULL, PRI_KERNEL,
		    cpu_lookup(c), name);
		for (unsigned r = 0; r < MIX_READERS_PER_CPU; r++) {
			snprintf(name, sizeof(name), "mixr%u.%u", c, r);
			lwps[n++] = ktest_spawn(t, mix_reader, NULL, PRI_KERNEL,
			    cpu_lookup(c), name);
		}
	}
	for (unsigned i = 0; i < n; i++)
		KT_EXPECT_EQ(t, lwp_join(lwps[i]), 0);
	KT_EXPECT_EQ(t, mix.mx_data[0], (uint64_t)ncpu * MIX_WRITER_ITERS);
	KT_EXPECT_EQ(t, mix.mx_torn, 0U);
	KT_EXPECT_EQ(t, mix.mx_went_back, 0U);
	KT_EXPECT_EQ(t, mix.mx_exclusion_broken, 0U);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));
	rw_destroy(&rwl);
}

/*
 * Two readers meet inside: each holds its read lock until it has seen
 * the other one inside too.
 */
struct rendezvous {
	volatile int rv_in[2];
	volatile int rv_saw_other[2];
};

static struct rendezvous rendezvous;

static void
rendezvous_reader(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;

	rw_enter(&rwl, RW_READER);
	ktest_set_flag(&rendezvous.rv_in[me]);
	rendezvous.rv_saw_other[me] = ktest_wait_flag(&rendezvous.rv_in[!me],
	    WAIT_NS);
	rw_exit(&rwl);
}

static void
two_readers_hold_the_lock_at_the_same_time(struct ktest *t)
{
	struct lwp *l[2];

	rw_init(&rwl);
	for (unsigned i = 0; i < 2; i++) {
		rendezvous.rv_in[i] = 0;
		rendezvous.rv_saw_other[i] = 0;
	}
	for (unsigned i = 0; i < 2; i++)
		l[i] = ktest_spawn(t, rendezvous_reader, (void *)(uintptr_t)i,
		    PRI_KERNEL, ncpu > 1 ? cpu_lookup(i) : NULL,
		    i == 0 ? "reader0" : "reader1");
	for (unsigned i = 0; i < 2; i++)
		KT_EXPECT_EQ(t, lwp_join(l[i]), 0);
	KT_EXPECT_EQ(t, rendezvous.rv_saw_other[0], 1);
	KT_EXPECT_EQ(t, rendezvous.rv_saw_other[1], 1);
	rw_destroy(&rwl);
}

/* What another LWP sees of the lock: its try results and rw_write_held. */
struct rw_probe {
	volatile int rp_try_read;
	volatile int rp_try_write;
	volatile int rp_write_held;
};

static struct rw_probe probe;

static void
rw_probe_main(void *arg)
{
	probe.rp_write_held = rw_write_held(&rwl);
	probe.rp_try_read = rw_tryenter(&rwl, RW_READER);
	if (probe.rp_try_read)
		rw_exit(&rwl);
	probe.rp_try_write = rw_tryenter(&rwl, RW_WRITER);
	if (probe.rp_try_write)
		rw_exit(&rwl);
}

static void
run_probe(struct ktest *t)
{
	probe.rp_try_read = probe.rp_try_write = probe.rp_write_held = -1;
	KT_EXPECT_EQ(t, lwp_join(ktest_spawn(t, rw_probe_main, NULL, PRI_KERNEL,
	    NULL, "rwprobe")), 0);
}

static void
writer_keeps_readers_and_writers_out(struct ktest *t)
{
	static struct rw_waiter r, w;
	static volatile int writing;
	struct lwp *rl, *wl;

	lwp_bind(curlwp, ktest_stage_cpu());
	rw_init(&rwl);
	enter_seq = 0;
	rw_enter(&rwl, RW_WRITER);
	writing = 1;
	KT_EXPECT_TRUE(t, rw_write_held(&rwl));
	/* Each new waiter outranks the priority the last one lent us. */
	rl = rw_waiter_start(t, &r, RW_READER, &writing, PRI_KERNEL + 8, "reader");
	yield();
	wl = rw_waiter_start(t, &w, RW_WRITER, &writing, PRI_KERNEL + 16, "writer");
	yield();
	run_probe(t);
	KT_EXPECT_EQ(t, r.rw_rank, -1);
	KT_EXPECT_EQ(t, w.rw_rank, -1);
	KT_EXPECT_EQ(t, probe.rp_try_read, 0);
	KT_EXPECT_EQ(t, probe.rp_try_write, 0);
	KT_EXPECT_EQ(t, probe.rp_write_held, 0);
	writing = 0;
	rw_exit(&rwl);
	KT_EXPECT_EQ(t, lwp_join(rl), 0);
	KT_EXPECT_EQ(t, lwp_join(wl), 0);
	KT_EXPECT_EQ(t, r.rw_saw, 0);
	KT_EXPECT_EQ(t, w.rw_saw, 0);
	rw_destroy(&rwl);
}

static void
readers_keep_a_writer_out(struct ktest *t)
{
	static struct rw_waiter w;
	static volatile int reading;
	struct lwp *wl;

	lwp_bind(curlwp, ktest_stage_cpu());
	rw_init(&rwl);
	enter_seq = 0;
	rw_enter(&rwl, RW_READER);
	reading = 1;
	wl = rw_waiter_start(t, &w, RW_WRITER, &reading, PRI_KERNEL + 8, "writer");
	yield();
	run_probe(t);
	KT_EXPECT_EQ(t, w.rw_rank, -1);
	KT_EXPECT_EQ(t, probe.rp_try_write, 0);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	KT_EXPECT_TRUE(t, rw_read_held(&rwl));
	reading = 0;
	rw_exit(&rwl);
	KT_EXPECT_EQ(t, lwp_join(wl), 0);
	KT_EXPECT_EQ(t, w.rw_rank, 0);
	KT_EXPECT_EQ(t, w.rw_saw, 0);
	rw_destroy(&rwl);
}

static void
rw_tryenter_succeeds_only_in_a_compatible_state(struct ktest *t)
{
	bool got;

	rw_init(&rwl);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));
	KT_EXPECT_TRUE(t, rw_tryenter(&rwl, RW_WRITER));
	KT_EXPECT_TRUE(t, rw_write_held(&rwl));
	KT_EXPECT_FALSE(t, rw_read_held(&rwl));
	got = rw_tryenter(&rwl, RW_READER);
	KT_EXPECT_FALSE(t, got);
	if (got)
		rw_exit(&rwl);
	run_probe(t);
	KT_EXPECT_EQ(t, probe.rp_try_read, 0);
	KT_EXPECT_EQ(t, probe.rp_try_write, 0);
	rw_exit(&rwl);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));

	KT_ASSERT_TRUE(t, rw_tryenter(&rwl, RW_READER));
	got = rw_tryenter(&rwl, RW_READER);		/* a second hold */
	KT_EXPECT_TRUE(t, got);
	KT_EXPECT_TRUE(t, rw_read_held(&rwl));
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	run_probe(t);
	KT_EXPECT_EQ(t, probe.rp_try_read, 1);
	KT_EXPECT_EQ(t, probe.rp_try_write, 0);
	if (got)
		rw_exit(&rwl);
	KT_EXPECT_TRUE(t, rw_read_held(&rwl));		/* one hold left */
	got = rw_tryenter(&rwl, RW_WRITER);
	KT_EXPECT_FALSE(t, got);
	if (got)
		rw_exit(&rwl);
	rw_exit(&rwl);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));
	rw_destroy(&rwl);
}

static void
rw_write_held_is_true_only_in_the_writing_lwp(struct ktest *t)
{
	rw_init(&rwl);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	rw_enter(&rwl, RW_WRITER);
	KT_EXPECT_TRUE(t, rw_write_held(&rwl));
	KT_EXPECT_TRUE(t, rw_lock_held(&rwl));
	run_probe(t);
	KT_EXPECT_EQ(t, probe.rp_write_held, 0);
	rw_exit(&rwl);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	rw_enter(&rwl, RW_READER);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	KT_EXPECT_TRUE(t, rw_read_held(&rwl));
	rw_exit(&rwl);
	rw_destroy(&rwl);
}

/*
 * A reader holds the lock and a writer waits: a new reader must queue
 * behind the writer instead of joining the reader (writers don't starve).
 */
static void
waiting_writer_holds_back_new_readers(struct ktest *t)
{
	static struct rw_holder h;
	static struct rw_waiter w, r;
	struct lwp *hl, *wl, *rl;
	bool got;

	ktest_stage_enter();
	rw_init(&rwl);
	enter_seq = 0;
	hl = rw_holder_start(t, &h, RW_READER, ktest_stage_cpu());
	yield();
	KT_ASSERT_TRUE(t, h.rh_held);
	wl = rw_waiter_start(t, &w, RW_WRITER, NULL, PRI_KERNEL + 8, "writer");
	yield();
	got = rw_tryenter(&rwl, RW_READER);
	KT_EXPECT_FALSE(t, got);
	if (got)
		rw_exit(&rwl);
	rl = rw_waiter_start(t, &r, RW_READER, NULL, PRI_KERNEL + 16, "reader");
	yield();
	KT_EXPECT_EQ(t, r.rw_rank, -1);
	ktest_set_flag(&h.rh_release);
	KT_EXPECT_EQ(t, lwp_join(hl), 0);
	KT_EXPECT_EQ(t, lwp_join(wl), 0);
	KT_EXPECT_EQ(t, lwp_join(rl), 0);
	KT_EXPECT_EQ(t, w.rw_rank, 0);
	KT_EXPECT_EQ(t, r.rw_rank, 1);
	rw_destroy(&rwl);
}

/*
 * A writer releases with a writer (of higher priority, waiting longer)
 * and a reader waiting: the reader goes first (readers don't starve).
 */
static void
writer_release_lets_waiting_readers_in_before_the_next_writer(struct ktest *t)
{
	static struct rw_holder h;
	static struct rw_waiter w, r;
	struct lwp *hl, *wl, *rl;

	ktest_stage_enter();
	rw_init(&rwl);
	enter_seq = 0;
	hl = rw_holder_start(t, &h, RW_WRITER, ktest_stage_cpu());
	yield();
	KT_ASSERT_TRUE(t, h.rh_held);
	wl = rw_waiter_start(t, &w, RW_WRITER, NULL, PRI_RT_MIN + 10, "writer");
	yield();
	rl = rw_waiter_start(t, &r, RW_READER, NULL, PRI_KERNEL + 8, "reader");
	yield();
	KT_EXPECT_EQ(t, w.rw_rank, -1);
	KT_EXPECT_EQ(t, r.rw_rank, -1);
	ktest_set_flag(&h.rh_release);
	KT_EXPECT_EQ(t, lwp_join(hl), 0);
	KT_EXPECT_EQ(t, lwp_join(wl), 0);
	KT_EXPECT_EQ(t, lwp_join(rl), 0);
	KT_EXPECT_EQ(t, r.rw_rank, 0);
	KT_EXPECT_EQ(t, w.rw_rank, 1);
	rw_destroy(&rwl);
}

/*
 * rw_downgrade: the writer keeps a read hold, and readers that were
 * waiting get in alongside it at once.
 */
static void
rw_downgrade_keeps_a_read_hold_and_admits_waiting_readers(struct ktest *t)
{
	static struct rw_waiter r1, r2;
	static volatile int still_reading;
	struct lwp *l1, *l2;
	bool got;

	ktest_stage_enter();
	rw_init(&rwl);
	enter_seq = 0;
	rw_enter(&rwl, RW_WRITER);
	/* We inherit each waiter's priority: start them lowest first. */
	l1 = rw_waiter_start(t, &r1, RW_READER, &still_reading, PRI_KERNEL + 8,
	    "reader1");
	yield();
	l2 = rw_waiter_start(t, &r2, RW_READER, &still_reading, PRI_KERNEL + 16,
	    "reader2");
	yield();
	KT_EXPECT_EQ(t, r1.rw_rank, -1);
	KT_EXPECT_EQ(t, r2.rw_rank, -1);
	still_reading = 1;
	rw_downgrade(&rwl);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	KT_EXPECT_TRUE(t, rw_read_held(&rwl));
	yield();		/* nothing should be left waiting to run */
	KT_EXPECT_GE(t, r1.rw_rank, 0);
	KT_EXPECT_GE(t, r2.rw_rank, 0);
	got = rw_tryenter(&rwl, RW_WRITER);
	KT_EXPECT_FALSE(t, got);
	if (got)
		rw_exit(&rwl);
	got = rw_tryenter(&rwl, RW_READER);
	KT_EXPECT_TRUE(t, got);
	if (got)
		rw_exit(&rwl);
	still_reading = 0;
	rw_exit(&rwl);
	KT_EXPECT_EQ(t, lwp_join(l1), 0);
	KT_EXPECT_EQ(t, lwp_join(l2), 0);
	KT_EXPECT_EQ(t, r1.rw_saw, 1);
	KT_EXPECT_EQ(t, r2.rw_saw, 1);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));
	rw_destroy(&rwl);
}

static void
rw_tryupgrade_succeeds_only_for_a_sole_reader(struct ktest *t)
{
	static struct rw_holder h;
	struct lwp *hl;
	bool up;

	rw_init(&rwl);
	rw_enter(&rwl, RW_READER);
	KT_EXPECT_TRUE(t, rw_tryupgrade(&rwl));
	KT_EXPECT_TRUE(t, rw_write_held(&rwl));
	run_probe(t);
	KT_EXPECT_EQ(t, probe.rp_try_read, 0);
	rw_exit(&rwl);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));

	hl = rw_holder_start(t, &h, RW_READER, NULL);
	KT_ASSERT_TRUE(t, ktest_wait_flag(&h.rh_held, WAIT_NS));
	rw_enter(&rwl, RW_READER);
	up = rw_tryupgrade(&rwl);
	KT_EXPECT_FALSE(t, up);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	KT_EXPECT_TRUE(t, rw_read_held(&rwl));
	rw_exit(&rwl);		/* our read hold, or the write hold we got */
	ktest_set_flag(&h.rh_release);
	KT_EXPECT_EQ(t, lwp_join(hl), 0);
	KT_EXPECT_FALSE(t, rw_lock_held(&rwl));
	rw_destroy(&rwl);
}

static void
rw_tryupgrade_fails_while_a_writer_waits(struct ktest *t)
{
	static struct rw_waiter w;
	static volatile int reading;
	struct lwp *wl;
	bool up;

	lwp_bind(curlwp, ktest_stage_cpu());
	rw_init(&rwl);
	enter_seq = 0;
	rw_enter(&rwl, RW_READER);
	reading = 1;
	wl = rw_waiter_start(t, &w, RW_WRITER, &reading, PRI_KERNEL + 8, "writer");
	yield();
	KT_EXPECT_EQ(t, w.rw_rank, -1);
	up = rw_tryupgrade(&rwl);
	KT_EXPECT_FALSE(t, up);
	KT_EXPECT_FALSE(t, rw_write_held(&rwl));
	reading = 0;
	rw_exit(&rwl);
	KT_EXPECT_EQ(t, lwp_join(wl), 0);
	KT_EXPECT_EQ(t, w.rw_rank, 0);
	KT_EXPECT_EQ(t, w.rw_saw, 0);
	rw_destroy(&rwl);
}

KTEST_SUITE(rwlock,
    KTEST_CASE(readers_see_consistent_state_written_by_writers_on_all_cpus),
    KTEST_CASE(two_readers_hold_the_lock_at_the_same_time),
    KTEST_CASE(writer_keeps_readers_and_writers_out),
    KTEST_CASE(readers_keep_a_writer_out),
    KTEST_CASE(rw_tryenter_succeeds_only_in_a_compatible_state),
    KTEST_CASE(rw_write_held_is_true_only_in_the_writing_lwp),
    KTEST_CASE(waiting_writer_holds_back_new_readers),
    KTEST_CASE(writer_release_lets_waiting_readers_in_before_the_next_writer),
    KTEST_CASE(rw_downgrade_keeps_a_read_hold_and_admits_waiting_readers),
    KTEST_CASE(rw_tryupgrade_succeeds_only_for_a_sole_reader),
    KTEST_CASE(rw_tryupgrade_fails_while_a_writer_waits));
