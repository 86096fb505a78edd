/*
 * test_edu.c: the interrupt API end to end on QEMU's edu device
 * (dev/edu.c, include/edu.h): INTx through the IOAPIC and MSI through the
 * MSI chip, under the hard and thread dispatch models.
 *
 * Needs edu (both functions are used when there are two); every case
 * skips cleanly without it:
 *
 *	tools/boot --device edu,addr=05.0,multifunction=on \
 *	    --device edu,addr=05.1 -- run=ktest:edu
 *
 * Counting.  Each status bit is a kind of work.  Raisers raise a bit
 * again only once the thread function has completed its previous raise
 * (raised == handled for that bit), so the device never merges two raises
 * of one bit, and at the end raised == handled for every bit means every
 * raise was seen exactly once: none lost (fewer), none run twice (more).
 * Waits are bounded only so that a lost interrupt fails the case instead
 * of hanging it; no assertion depends on how long anything took.
 *
 * Every case attaches the instances it uses as it needs them
 * (edu_request_irq) and leaves them on MSI with default flags.
 */
#include <cpu.h>
#include <edu.h>
#include <irq.h>
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <pci.h>
#include <spl.h>
#include <time.h>

#define WAIT_NS		(30ULL * 1000 * 1000 * 1000)
#define LOAD_ROUNDS	40		/* raises of each bit per raiser */
#define MAX_EDU		2

static const char *const two_edu =
    "needs two edu functions in one slot (--device "
    "edu,addr=05.0,multifunction=on --device edu,addr=05.1)";

static struct edu *
edu_or_skip(struct ktest *t, unsigned i)
{
	struct edu *e = edu_get(i);

	if (e == NULL)
		ktest_skip(t, i == 0 ? "no edu device (tools/boot --device edu)" :
		    two_edu);
	return e;
}

static void
attach(struct ktest *t, struct edu *e, unsigned type, unsigned long flags)
{
	KT_ASSERT_EQ(t, edu_request_irq(e, type, flags), 0);
	KT_ASSERT_EQ(t, edu_irq_type(e), type);
}

/* Back to what the driver does at boot. */
static void
leave(struct ktest *t)
{
	for (unsigned i = 0; i < edu_count(); i++)
		KT_EXPECT_EQ(t, edu_request_irq(edu_get(i), PCI_IRQ_MSI, 0), 0);
}

/* Has every raise of bit been handled?  Waits (bounded) until it has. */
static bool
caught_up(struct edu *e, unsigned bit)
{
	uint64_t t0 = nanouptime();

	while (edu_handled(e, bit) != edu_raised(e, bit))
		if (nanouptime() - t0 > WAIT_NS)
			return false;
	return true;
}

/* Every bit of every instance: handled == raised, device quiet. */
static void
expect_all_handled_once(struct ktest *t, struct edu *const *es, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (unsigned b = 0; b < EDU_IRQ_BITS; b++) {
			KT_EXPECT_TRUE(t, caught_up(es[i], b));
			if (edu_handled(es[i], b) != edu_raised(es[i], b))
				ktest_log(t, "%s bit %u", edu_name(es[i]), b);
			KT_EXPECT_EQ(t, edu_handled(es[i], b),
			    edu_raised(es[i], b));
		}
		KT_EXPECT_EQ(t, edu_status(es[i]), 0U);
	}
}

/*
 * Load: one raiser per CPU, bound there, owning EDU_IRQ_BITS / ncpu bits
 * of every instance, raising each LOAD_ROUNDS times (a bit again once its
 * last raise was handled).  Bits of one raiser and of different raisers
 * are in flight together, so interrupts merge and race on every CPU.
 */
struct load {
	struct edu *l_edu[MAX_EDU];
	unsigned l_nedu;
	unsigned l_bits;		/* per raiser */
	unsigned l_rounds;
	volatile int l_stuck;		/* a raiser gave up waiting */
	volatile unsigned l_raises;
};

struct raiser {
	struct load *r_load;
	unsigned r_first;		/* its first bit */
};

/* Raise every bit of r once per instance, each once it has caught up. */
static bool
raise_round(struct raiser *r)
{
	struct load *ld = r->r_load;

	for (unsigned b = r->r_first; b < r->r_first + ld->l_bits; b++) {
		for (unsigned i = 0; i < ld->l_nedu; i++) {
			if (!caught_up(ld->l_edu[i], b))
				return false;
			edu_raise(ld->l_edu[i], 1U << b);
			__atomic_fetch_add(&ld->l_raises, 1, __ATOMIC_RELAXED);
		}
	}
	return true;
}

static void
raise_rounds(void *arg)
{
	struct raiser *r = arg;

	for (unsigned n = 0; n < r->r_load->l_rounds; n++)
		if (!raise_round(r)) {
			ktest_set_flag(&r->r_load->l_stuck);
			return;
		}
}

/* Run fn in one raiser per CPU (bound there) and wait for them all. */
static void
run_raisers(struct ktest *t, struct load *ld, lwp_func_t fn)
{
	struct raiser r[MAXCPUS];
	struct lwp *l[MAXCPUS];

	ld->l_bits = EDU_IRQ_BITS / ncpu;
	for (unsigned c = 0; c < ncpu; c++) {
		r[c] = (struct raiser){ ld, c * ld->l_bits };
		l[c] = ktest_spawn(t, fn, &r[c], PRI_KERNEL, cpu_lookup(c),
		    "raiser");
	}
	for (unsigned c = 0; c < ncpu; c++)
		lwp_join(l[c]);
}

/* The edu instances a case uses: the first, or both when there are two. */
static unsigned
load_edus(struct ktest *t, struct load *ld)
{
	ld->l_nedu = edu_count() < MAX_EDU ? edu_count() : MAX_EDU;
	for (unsigned i = 0; i < ld->l_nedu; i++)
		ld->l_edu[i] = edu_or_skip(t, i);
	if (ld->l_nedu == 0)
		edu_or_skip(t, 0);
	return ld->l_nedu;
}

static void
every_raise_is_handled_once_under_load(struct ktest *t, unsigned type,
    enum irq_mode mode)
{
	struct load ld = { .l_rounds = LOAD_ROUNDS };
	unsigned n = load_edus(t, &ld);
	struct irq_stats st;

	for (unsigned i = 0; i < n; i++)
		attach(t, ld.l_edu[i], type, IRQF_MODE(mode));
	run_raisers(t, &ld, raise_rounds);
	KT_EXPECT_EQ(t, ld.l_stuck, 0);
	KT_EXPECT_EQ(t, ld.l_raises, n * LOAD_ROUNDS * ld.l_bits * ncpu);
	expect_all_handled_once(t, ld.l_edu, n);
	for (unsigned i = 0; i < n; i++) {
		KT_ASSERT_EQ(t, irq_get_stats(edu_irq(ld.l_edu[i]), ld.l_edu[i],
		    &st), 0);
		KT_EXPECT_EQ(t, st.is_mode, mode);
		KT_EXPECT_GT(t, st.is_thread_runs, 0U);
		KT_EXPECT_LE(t, st.is_woken, st.is_primary);
	}
	leave(t);
}

static void
msi_hard_model_handles_every_raise_once_under_load(struct ktest *t)
{
	every_raise_is_handled_once_under_load(t, PCI_IRQ_MSI, IRQ_MODE_HARD);
}

static void
msi_thread_model_handles_every_raise_once_under_load(struct ktest *t)
{
	every_raise_is_handled_once_under_load(t, PCI_IRQ_MSI, IRQ_MODE_THREAD);
}

static void
intx_hard_model_handles_every_raise_once_under_load(struct ktest *t)
{
	every_raise_is_handled_once_under_load(t, PCI_IRQ_INTX, IRQ_MODE_HARD);
}

static void
intx_thread_model_handles_every_raise_once_under_load(struct ktest *t)
{
	every_raise_is_handled_once_under_load(t, PCI_IRQ_INTX,
	    IRQ_MODE_THREAD);
}

KTEST_SUITE(edu,
    KTEST_CASE(msi_hard_model_handles_every_raise_once_under_load),
    KTEST_CASE(msi_thread_model_handles_every_raise_once_under_load),
    KTEST_CASE(intx_hard_model_handles_every_raise_once_under_load),
    KTEST_CASE(intx_thread_model_handles_every_raise_once_under_load));
