/*
 * test_edu.c: the interrupt API end to end on QEMU's edu device
 * (dev/edu.c, include/edu.h): INTx through the IOAPIC and MSI through the
 * MSI chip, under the hard and thread dispatch models.
 *
 * Needs edu (both functions are used when there are two); the shared-line
 * case needs two functions in one slot; every case skips cleanly without
 * what it needs:
 *
 *	tools/boot --device edu,addr=05.0,multifunction=on \
 *	    --device edu,addr=05.1 -- run=ktest:edu
 *
 * Counting.  Each status bit is a kind of work.  Raisers raise a bit
 * again only once the thread function has completed its previous raise
 * (raised == handled + discarded for that bit; the driver discards only
 * what is pending when an interrupt is freed, which no case does while it
 * raises), so the device never merges two raises of one bit, and at the
 * end raised == handled + discarded for every bit means every raise was
 * seen exactly once: none lost (fewer), none run twice (more).
 * Waits are bounded only so that a lost interrupt fails the case instead
 * of hanging it; no assertion depends on how long anything took.
 *
 * Every case attaches the instances it uses as it needs them
 * (edu_request_irq) and leaves them on MSI with default flags.
 *
 * Locking: threads of a case share only the driver's counters (atomic,
 * include/edu.h) and flags set with ktest_set_flag or written before the
 * reader joins the writer.
 */
#include <cpu.h>
#include <edu.h>
#include <irq.h>
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

	while (edu_outstanding(e, bit) != 0)
		if (nanouptime() - t0 > WAIT_NS)
			return false;
	return true;
}

/* Every bit of every instance: each raise handled once, device quiet. */
static void
expect_all_handled_once(struct ktest *t, struct edu *const *es, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (unsigned b = 0; b < EDU_IRQ_BITS; b++) {
			KT_EXPECT_TRUE(t, caught_up(es[i], b));
			if (edu_outstanding(es[i], b) != 0)
				ktest_log(t, "%s bit %u", edu_name(es[i]), b);
			KT_EXPECT_EQ(t, edu_outstanding(es[i], b), 0ULL);
		}
		KT_EXPECT_EQ(t, edu_status(es[i]), 0U);
	}
}

static void
set_affinity(struct ktest *t, int irq, unsigned cpu)
{
	cpuset_t set = cpuset_of(cpu);

	KT_ASSERT_EQ(t, irq_set_affinity(irq, &set), 0);
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
	volatile int l_stop;		/* for raise_until_stopped */
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

static void
raise_until_stopped(void *arg)
{
	struct raiser *r = arg;

	while (!r->r_load->l_stop)
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

/*
 * A shared INTx line, a hard handler on one function and a threaded one
 * on the other.  First one raise at a time, alternating, each on an idle
 * line: each action handles exactly its device's raises and the line
 * takes at least one interrupt per raise.  Then both under load at once:
 * every raise is handled once, and no action handled more interrupts than
 * the line took.
 */
#define SHARED_RAISES	50

/*
 * Raise bit and wait until it was handled and the line is idle again, so
 * that the next raise cannot be caught by a handler still running.
 */
static void
raise_and_wait(struct ktest *t, struct edu *e, unsigned bit)
{
	edu_raise(e, 1U << bit);
	KT_ASSERT_TRUE(t, caught_up(e, bit));
	synchronize_irq(edu_irq(e));
}

static uint64_t
handled_by(struct ktest *t, struct edu *e)
{
	struct irq_stats st;

	KT_ASSERT_EQ(t, irq_get_stats(edu_irq(e), e, &st), 0);
	return st.is_handled;
}

static void
shared_intx_line_serves_a_hard_and_a_threaded_handler(struct ktest *t)
{
	struct edu *a = edu_or_skip(t, 0), *b = edu_or_skip(t, 1);
	struct load ld = { .l_edu = { a, b }, .l_nedu = 2,
	    .l_rounds = LOAD_ROUNDS };
	uint64_t line0, a0, b0;
	int irq;

	attach(t, a, PCI_IRQ_INTX, IRQF_MODE(IRQ_MODE_HARD));
	attach(t, b, PCI_IRQ_INTX, IRQF_MODE(IRQ_MODE_THREAD));
	irq = edu_irq(a);
	if (edu_irq(b) != irq) {
		leave(t);
		ktest_skip(t, two_edu);
	}
	line0 = irq_line_count(irq);
	a0 = handled_by(t, a);
	b0 = handled_by(t, b);
	for (unsigned i = 0; i < SHARED_RAISES; i++) {
		raise_and_wait(t, a, i % EDU_IRQ_BITS);
		raise_and_wait(t, b, i % EDU_IRQ_BITS);
	}
	KT_EXPECT_EQ(t, handled_by(t, a) - a0, (uint64_t)SHARED_RAISES);
	KT_EXPECT_EQ(t, handled_by(t, b) - b0, (uint64_t)SHARED_RAISES);
	KT_EXPECT_GE(t, irq_line_count(irq) - line0, 2ULL * SHARED_RAISES);
	run_raisers(t, &ld, raise_rounds);
	KT_EXPECT_EQ(t, ld.l_stuck, 0);
	expect_all_handled_once(t, ld.l_edu, 2);
	KT_EXPECT_GE(t, irq_line_count(irq) - line0, handled_by(t, a) - a0);
	KT_EXPECT_GE(t, irq_line_count(irq) - line0, handled_by(t, b) - b0);
	leave(t);
}

/*
 * ONESHOT, with the driver's ONESHOT style: the primary does not ack, the
 * thread function does.  A holder thread above the interrupt thread's
 * priority, bound to the line's CPU, keeps the thread function from
 * running while it raises three bits, one at a time.
 *
 * On the level INTx line the first interrupt is taken and then the line
 * stays masked, though the device asserts all along; once the thread
 * function has acked everything the line is unmasked with nothing
 * pending: exactly one interrupt in all.
 *
 * edu's MSI cannot be masked, so every raise is delivered, but the line
 * is masked all the same: the primary runs once while the thread function
 * is held, and the held deliveries are replayed once when it is done (the
 * primary then finds nothing: IRQ_NONE).
 */
struct holder {
	struct edu *h_edu;
	uint64_t h_line0, h_primary0;
	volatile int h_took_first;
	uint64_t h_line_held;		/* deliveries while the thread waits */
	uint64_t h_primary_held;	/* primary handler calls meanwhile */
	uint64_t h_handled_held;	/* units completed meanwhile */
	uint32_t h_status_held;		/* the device's status meanwhile */
};

static uint64_t
handled_units(struct edu *e, unsigned nbits)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < nbits; b++)
		n += edu_handled(e, b);
	return n;
}

static uint64_t
primary_calls(struct edu *e)
{
	struct irq_stats st;

	return irq_get_stats(edu_irq(e), e, &st) == 0 ? st.is_primary : 0;
}

/* Wait (spinning: the thread function must not run) for the line to move. */
static bool
line_moves_past(int irq, uint64_t count)
{
	for (uint64_t t0 = nanouptime(); irq_line_count(irq) <= count; )
		if (nanouptime() - t0 > WAIT_NS)
			return false;
	return true;
}

static void
hold_the_thread_and_raise(void *arg)
{
	struct holder *h = arg;
	struct edu *e = h->h_edu;
	int irq = edu_irq(e);
	uint64_t handled0 = handled_units(e, 3);

	edu_raise(e, 1U << 0);
	if (!line_moves_past(irq, h->h_line0))
		return;
	h->h_took_first = 1;
	for (unsigned b = 1; b < 3; b++) {
		uint64_t before = irq_line_count(irq);

		edu_raise(e, 1U << b);
		if (edu_irq_type(e) == PCI_IRQ_MSI)	/* delivered, held */
			line_moves_past(irq, before);
	}
	delay_ns(5 * 1000 * 1000);	/* room for a storm, were there one */
	h->h_line_held = irq_line_count(irq) - h->h_line0;
	h->h_primary_held = primary_calls(e) - h->h_primary0;
	h->h_handled_held = handled_units(e, 3) - handled0;
	h->h_status_held = edu_status(e);
}

/* Run the holder on the line's CPU; returns what it saw. */
static void
oneshot_with_the_thread_held(struct ktest *t, struct holder *h,
    unsigned type)
{
	struct edu *e = edu_or_skip(t, 0);
	unsigned cpu = ncpu - 1;
	struct lwp *l;

	for (unsigned i = 1; i < edu_count(); i++)
		edu_free_irq(edu_get(i));	/* e alone on its line */
	attach(t, e, type, IRQF_ONESHOT | IRQF_MODE(IRQ_MODE_THREAD));
	set_affinity(t, edu_irq(e), cpu);
	h->h_edu = e;
	h->h_line0 = irq_line_count(edu_irq(e));
	h->h_primary0 = primary_calls(e);
	l = ktest_spawn(t, hold_the_thread_and_raise, h, PRI_INTR_MAX,
	    cpu_lookup(cpu), "holder");
	lwp_join(l);
	KT_EXPECT_EQ(t, h->h_took_first, 1);
	KT_EXPECT_EQ(t, h->h_primary_held, 1U);
	KT_EXPECT_EQ(t, h->h_handled_held, 0U);
	KT_EXPECT_EQ(t, h->h_status_held, 0x7U);
	expect_all_handled_once(t, &e, 1);
	synchronize_irq(edu_irq(e));
}

static void
oneshot_keeps_the_level_line_masked_until_the_thread_function_acks(
    struct ktest *t)
{
	struct holder h = { 0 };

	oneshot_with_the_thread_held(t, &h, PCI_IRQ_INTX);
	KT_EXPECT_EQ(t, h.h_line_held, 1U);
	KT_EXPECT_EQ(t, irq_line_count(edu_irq(h.h_edu)) - h.h_line0, 1U);
	KT_EXPECT_EQ(t, primary_calls(h.h_edu) - h.h_primary0, 1U);
	set_affinity(t, edu_irq(h.h_edu), 0);
	leave(t);
}

static void
oneshot_holds_unmaskable_msi_until_the_thread_function_acks(
    struct ktest *t)
{
	struct holder h = { 0 };

	oneshot_with_the_thread_held(t, &h, PCI_IRQ_MSI);
	KT_EXPECT_EQ(t, h.h_line_held, 3U);
	KT_EXPECT_EQ(t, irq_line_count(edu_irq(h.h_edu)) - h.h_line0, 4U);
	KT_EXPECT_EQ(t, primary_calls(h.h_edu) - h.h_primary0, 2U);
	leave(t);
}

/*
 * A delivery can still arrive after free_irq took a line's last action:
 * here one held in the LAPIC (spl=tpr) or deferred (spl=soft) by a CPU
 * at IPL_VM while another CPU frees the action.  It must not leave the
 * line masked for the next driver that requests it.  The line is moved
 * away from the holding CPU first: its action's thread is bound to the
 * line's CPU, and free_irq waits for that thread to end, which it cannot
 * do on a CPU held at IPL_VM.
 */
struct late {
	struct edu *lt_edu;
	volatile int lt_raised, lt_freed, lt_lowered;
};

static void
raise_at_splvm_until_freed(void *arg)
{
	struct late *lt = arg;
	ipl_t ipl = splvm();

	edu_raise(lt->lt_edu, 1U << 0);
	delay_ns(1000 * 1000);		/* the IOAPIC's message is in */
	ktest_set_flag(&lt->lt_raised);
	for (uint64_t t0 = nanouptime(); !lt->lt_freed &&
	    nanouptime() - t0 < WAIT_NS; )
		continue;
	splx(ipl);			/* the late delivery runs now */
	ktest_set_flag(&lt->lt_lowered);
}

static void
a_delivery_after_the_last_free_irq_leaves_the_line_usable(struct ktest *t)
{
	struct edu *e = edu_or_skip(t, 0);
	struct late lt = { .lt_edu = e };
	unsigned cpu = ncpu - 1;
	uint64_t discarded0 = edu_discarded(e, 0);
	struct lwp *l;
	int irq;

	if (ncpu < 2)
		ktest_skip(t, "needs two CPUs");
	lwp_bind(curlwp, cpu_lookup(0));
	for (unsigned i = 1; i < edu_count(); i++)
		edu_free_irq(edu_get(i));	/* e alone on its line */
	attach(t, e, PCI_IRQ_INTX, IRQF_MODE(IRQ_MODE_HARD));
	irq = edu_irq(e);
	set_affinity(t, irq, cpu);
	l = ktest_spawn(t, raise_at_splvm_until_freed, &lt, PRI_KERNEL,
	    cpu_lookup(cpu), "late");
	KT_EXPECT_TRUE(t, ktest_wait_flag(&lt.lt_raised, WAIT_NS));
	set_affinity(t, irq, 0);	/* the action's thread leaves that CPU */
	edu_free_irq(e);		/* ... so that free_irq can end it */
	ktest_set_flag(&lt.lt_freed);
	lwp_join(l);
	KT_EXPECT_EQ(t, lt.lt_lowered, 1);
	KT_EXPECT_EQ(t, edu_discarded(e, 0) - discarded0, 1U);
	attach(t, e, PCI_IRQ_INTX, IRQF_MODE(IRQ_MODE_HARD));
	KT_EXPECT_EQ(t, edu_irq(e), irq);
	edu_raise(e, 1U << 1);
	KT_EXPECT_TRUE(t, caught_up(e, 1));
	lwp_bind(curlwp, NULL);
	leave(t);
}

/* Switch the model back and forth while raisers on every CPU raise. */
#define MODE_SWITCHES	40

struct switcher {
	struct load *s_load;
	struct edu *s_edu;
	volatile unsigned s_refused;
};

static void
switch_models(void *arg)
{
	struct switcher *s = arg;

	for (unsigned i = 0; i < MODE_SWITCHES; i++) {
		if (irq_set_mode(edu_irq(s->s_edu), s->s_edu, i % 2 ?
		    IRQ_MODE_HARD : IRQ_MODE_THREAD) != 0)
			s->s_refused++;
		ksleep(1000 * 1000);
	}
	ktest_set_flag(&s->s_load->l_stop);
}

static void
switching_models_under_edu_interrupts(struct ktest *t, unsigned type)
{
	struct edu *e = edu_or_skip(t, 0);
	struct load ld = { .l_edu = { e }, .l_nedu = 1 };
	struct switcher sw = { .s_load = &ld, .s_edu = e };
	struct lwp *l;

	attach(t, e, type, IRQF_MODE(IRQ_MODE_HARD));
	l = ktest_spawn(t, switch_models, &sw, PRI_KERNEL_MAX, NULL, "switcher");
	run_raisers(t, &ld, raise_until_stopped);
	lwp_join(l);
	KT_EXPECT_EQ(t, sw.s_refused, 0U);
	KT_EXPECT_EQ(t, ld.l_stuck, 0);
	KT_EXPECT_GT(t, ld.l_raises, MODE_SWITCHES);
	expect_all_handled_once(t, &e, 1);
	leave(t);
}

static void
switching_models_under_msi_loses_and_duplicates_none(struct ktest *t)
{
	switching_models_under_edu_interrupts(t, PCI_IRQ_MSI);
}

static void
switching_models_under_intx_loses_and_duplicates_none(struct ktest *t)
{
	switching_models_under_edu_interrupts(t, PCI_IRQ_INTX);
}

/* irq_set_affinity moves where the primary handler runs. */
static void
affinity_moves_the_edu_interrupt(struct ktest *t, unsigned type)
{
	struct edu *e = edu_or_skip(t, 0);

	if (ncpu < 2)
		ktest_skip(t, "needs two CPUs");
	attach(t, e, type, 0);
	for (unsigned round = 0; round < 2 * ncpu; round++) {
		unsigned cpu = (round + 1) % ncpu;

		set_affinity(t, edu_irq(e), cpu);
		raise_and_wait(t, e, round);
		KT_EXPECT_EQ(t, edu_last_cpu(e), (int)cpu);
	}
	set_affinity(t, edu_irq(e), 0);
	leave(t);
}

static void
affinity_moves_the_msi_interrupt(struct ktest *t)
{
	affinity_moves_the_edu_interrupt(t, PCI_IRQ_MSI);
}

static void
affinity_moves_the_intx_interrupt(struct ktest *t)
{
	affinity_moves_the_edu_interrupt(t, PCI_IRQ_INTX);
}

KTEST_SUITE(edu,
    KTEST_CASE(msi_hard_model_handles_every_raise_once_under_load),
    KTEST_CASE(msi_thread_model_handles_every_raise_once_under_load),
    KTEST_CASE(intx_hard_model_handles_every_raise_once_under_load),
    KTEST_CASE(intx_thread_model_handles_every_raise_once_under_load),
    KTEST_CASE(shared_intx_line_serves_a_hard_and_a_threaded_handler),
    KTEST_CASE(oneshot_keeps_the_level_line_masked_until_the_thread_function_acks),
    KTEST_CASE(oneshot_holds_unmaskable_msi_until_the_thread_function_acks),
    KTEST_CASE(a_delivery_after_the_last_free_irq_leaves_the_line_usable),
    KTEST_CASE(switching_models_under_msi_loses_and_duplicates_none),
    KTEST_CASE(switching_models_under_intx_loses_and_duplicates_none),
    KTEST_CASE(affinity_moves_the_msi_interrupt),
    KTEST_CASE(affinity_moves_the_intx_interrupt));
