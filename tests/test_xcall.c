/*
 * test_xcall.c: in-kernel tests of inter-processor interrupts: cross calls
 * (xc_unicast, xc_multicast, xc_broadcast) and the TLB shootdowns that
 * freeing a kernel stack sends (lwp.c unmaps an exited LWP's stack).
 *
 * Each call counts, per CPU, the times the function ran there; the counts
 * are read as soon as the call returns, and the function does a little
 * busy work before counting, so a call that returned before its targets
 * had finished would be caught short.
 *
 * A missing or too-early-acknowledged shootdown leaves another CPU with
 * a stale translation of a stack page that has been freed and reused; the
 * churn cases create and join threads on every CPU as fast as they can,
 * so stack slots (and their virtual addresses) are reused at once, each
 * time with fresh pages, and every thread checks a pattern it wrote on its
 * stack.  A stale translation shows up as a changed pattern or a fault.
 */
#include <cpu.h>
#include <ktest.h>
#include <lwp.h>
#include <printf.h>
#include <string.h>
#include <time.h>
#include <types.h>
#include <xcall.h>

struct xc_count {
	volatile unsigned xc_ran[MAXCPUS];
	volatile unsigned xc_in_intr[MAXCPUS];
};

static void
count_call(void *arg)
{
	struct xc_count *c = arg;
	unsigned me = cpu_number();

	delay_ns(20 * NS_PER_US);
	if (cpu_intr_p())
		__atomic_fetch_add(&c->xc_in_intr[me], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->xc_ran[me], 1, __ATOMIC_RELEASE);
}

static void
broadcast_runs_the_function_once_on_every_cpu_before_returning(struct ktest *t)
{
	static struct xc_count c;
	unsigned self;

	for (unsigned round = 0; round < 3; round++) {
		memset(&c, 0, sizeof(c));
		kpreempt_disable();
		self = cpu_number();
		xc_broadcast(count_call, &c);
		kpreempt_enable();
		for (unsigned i = 0; i < MAXCPUS; i++)
			KT_EXPECT_EQ(t, c.xc_ran[i], i < ncpu ? 1U : 0U);
		/* Remote CPUs run it from the IPI; the caller runs it directly. */
		for (unsigned i = 0; i < ncpu; i++)
			KT_EXPECT_EQ(t, c.xc_in_intr[i], i == self ? 0U : 1U);
	}
}

static void
unicast_runs_the_function_only_on_its_target(struct ktest *t)
{
	static struct xc_count c;

	for (unsigned target = 0; target < ncpu; target++) {
		memset(&c, 0, sizeof(c));
		xc_unicast(cpu_lookup(target), count_call, &c);
		for (unsigned i = 0; i < MAXCPUS; i++)
			KT_EXPECT_EQ(t, c.xc_ran[i], i == target ? 1U : 0U);
	}
}

static void
multicast_runs_the_function_only_on_cpus_in_the_set(struct ktest *t)
{
	static struct xc_count c;
	cpuset_t set;

	for (unsigned parity = 0; parity < 2; parity++) {
		memset(&c, 0, sizeof(c));
		cpuset_zero(&set);
		for (unsigned i = parity; i < ncpu; i += 2)
			cpuset_add(&set, i);
		xc_multicast(&set, count_call, &c);
		for (unsigned i = 0; i < MAXCPUS; i++)
			KT_EXPECT_EQ(t, c.xc_ran[i],
			    i < ncpu && i % 2 == parity ? 1U : 0U);
	}
}

/*
 * Every CPU broadcasting at once: calls are serialised, and a caller
 * waiting for its turn still answers the others.
 */
#define BROADCASTS	50

struct flood {
	struct xc_count *f_count;
	volatile unsigned f_done;
};

static void
broadcaster(void *arg)
{
	struct flood *f = arg;

	for (unsigned i = 0; i < BROADCASTS; i++)
		xc_broadcast(count_call, f->f_count);
	__atomic_fetch_add(&f->f_done, 1, __ATOMIC_RELAXED);
}

static void
concurrent_broadcasts_from_every_cpu_all_complete(struct ktest *t)
{
	static struct xc_count c;
	struct flood f = { &c, 0 };
	struct lwp *l[MAXCPUS];

	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < ncpu; i++)
		l[i] = ktest_spawn(t, broadcaster, &f, PRI_KERNEL,
		    cpu_lookup(i), "broadcaster");
	for (unsigned i = 0; i < ncpu; i++)
		lwp_join(l[i]);
	KT_EXPECT_EQ(t, f.f_done, ncpu);
	for (unsigned i = 0; i < ncpu; i++)
		KT_EXPECT_EQ(t, c.xc_ran[i], ncpu * BROADCASTS);
}

/* Thread churn: see the top of the file. */
#define CHURN_ROUNDS	24
#define STACK_PATTERN	1024

struct churn {
	volatile unsigned c_ran;
	volatile unsigned c_bad_stack;
	volatile unsigned c_wrong_cpu;
	volatile bool c_flood;		/* also broadcast meanwhile */
	struct xc_count c_count;
};

struct churn_child {
	struct churn *cc_churn;
	unsigned cc_cpu;
	uint32_t cc_tag;
};

static void
churn_child(void *arg)
{
	struct churn_child *cc = arg;
	volatile uint32_t buf[STACK_PATTERN / 4];
	unsigned bad = 0;

	for (unsigned i = 0; i < nitems(buf); i++)
		buf[i] = cc->cc_tag * 2654435761U + i;
	yield();
	for (unsigned i = 0; i < nitems(buf); i++)
		bad += buf[i] != cc->cc_tag * 2654435761U + i;
	if (bad != 0)
		__atomic_fetch_add(&cc->cc_churn->c_bad_stack, 1, __ATOMIC_RELAXED);
	if (cpu_number() != cc->cc_cpu)
		__atomic_fetch_add(&cc->cc_churn->c_wrong_cpu, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&cc->cc_churn->c_ran, 1, __ATOMIC_RELAXED);
}

struct churner {
	struct churn *ch_churn;
	unsigned ch_id;
	unsigned ch_failed_creates;
};

/* Create and join children on every CPU in turn, from CPU ch_id. */
static void
churner(void *arg)
{
	struct churner *ch = arg;
	struct churn_child cc;
	struct lwp *l;

	for (unsigned r = 0; r < CHURN_ROUNDS; r++) {
		cc.cc_churn = ch->ch_churn;
		cc.cc_cpu = (ch->ch_id + r + 1) % ncpu;
		cc.cc_tag = ch->ch_id * 1000 + r;
		if (lwp_create(churn_child, &cc, PRI_KERNEL,
		    cpu_lookup(cc.cc_cpu), LWP_JOINABLE, "churnchild", &l) != 0) {
			ch->ch_failed_creates++;
			continue;
		}
		lwp_join(l);
		if (ch->ch_churn->c_flood)
			xc_broadcast(count_call, &ch->ch_churn->c_count);
	}
}

static void
run_churn(struct ktest *t, struct churn *c)
{
	static struct churner ch[MAXCPUS];
	struct lwp *l[MAXCPUS];
	unsigned failed = 0;

	for (unsigned i = 0; i < ncpu; i++) {
		ch[i] = (struct churner){ c, i, 0 };
		l[i] = ktest_spawn(t, churner, &ch[i], PRI_KERNEL,
		    cpu_lookup(i), "churner");
	}
	for (unsigned i = 0; i < ncpu; i++) {
		lwp_join(l[i]);
		failed += ch[i].ch_failed_creates;
	}
	KT_EXPECT_EQ(t, failed, 0U);
	KT_EXPECT_EQ(t, c->c_ran, ncpu * CHURN_ROUNDS);
	KT_EXPECT_EQ(t, c->c_bad_stack, 0U);
	KT_EXPECT_EQ(t, c->c_wrong_cpu, 0U);
}

static void
thread_churn_on_every_cpu_keeps_every_stack_intact(struct ktest *t)
{
	static struct churn c;

	memset(&c, 0, sizeof(c));
	run_churn(t, &c);
}

static void
shootdowns_and_broadcasts_from_every_cpu_interleave_without_deadlock(
    struct ktest *t)
{
	static struct churn c;

	memset(&c, 0, sizeof(c));
	c.c_flood = true;
	run_churn(t, &c);
	for (unsigned i = 0; i < ncpu; i++)
		KT_EXPECT_EQ(t, c.c_count.xc_ran[i], ncpu * CHURN_ROUNDS);
}

KTEST_SUITE(xcall,
    KTEST_CASE(broadcast_runs_the_function_once_on_every_cpu_before_returning),
    KTEST_CASE(unicast_runs_the_function_only_on_its_target),
    KTEST_CASE(multicast_runs_the_function_only_on_cpus_in_the_set),
    KTEST_CASE(concurrent_broadcasts_from_every_cpu_all_complete),
    KTEST_CASE(thread_churn_on_every_cpu_keeps_every_stack_intact),
    KTEST_CASE(shootdowns_and_broadcasts_from_every_cpu_interleave_without_deadlock));
