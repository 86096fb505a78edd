/*
 * bench_irq_storm.c: the storm-control figures of run=bench:irq: what an
 * interrupt storm leaves of its CPU to a normal thread, with storm control
 * off and on (kern/irq_storm.c).
 *
 * Method.  The first edu device storms over MSI in the hard model
 * (edu_storm_start: each interrupt causes the next), routed to the last
 * CPU, where a counter thread at PRI_KERNEL counts as fast as it can.  A
 * storm lasts STORM_NS, ended by a timer event: the timer runs at
 * IPL_SCHED, above the storm, so it ends even one that has the only CPU.
 * First the counter alone for STORM_NS (its rate is 100%), then a storm
 * with storm control off, then one under the boot budget (40% if the boot
 * turned it off).  Figures, each with the IPL implementation's tail:
 *
 *  irq_storm_S_thread_share	the counter's rate during the storm, in
 *				percent of its rate alone (S: off, on)
 *  irq_storm_S_handler_share	the handlers' time (primary and thread
 *				function) during the storm, per mille of one CPU
 *  irq_storm_on_poll_rate	polls per second while throttled
 *
 * The first window of a throttled storm is a full storm (storm control
 * needs it to measure), so irq_storm_on_* are averages over STORM_NS.
 *
 * Locking: the counter and the timer publish through atomics; the rest
 * runs in the main thread.
 */
#include <cpu.h>
#include <edu.h>
#include <irq.h>
#include <log.h>
#include <lwp.h>
#include <pci.h>
#include <printf.h>
#include <time.h>
#include <timer.h>

#include <kern/bench.h>

#define STORM_NS	(100 * NS_PER_MS)
#define STORM_BIT	5
#define FALLBACK_PCT	40
#define SETTLE_ROUNDS	10000		/* 1 ms sleeps waiting for the end */

struct storm_run {
	struct edu *sr_edu;
	uint64_t sr_count;		/* atomic: the counter's */
	volatile int sr_stop;
	uint64_t sr_ended;		/* atomic: when the timer ended it */
	struct timer_event sr_timer;
};

static void
count_until_stopped(void *arg)
{
	struct storm_run *sr = arg;

	while (!__atomic_load_n(&sr->sr_stop, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&sr->sr_count, 1, __ATOMIC_RELAXED);
}

static void
end_storm(struct timer_event *te, void *arg)
{
	struct storm_run *sr = arg;

	edu_storm_stop(sr->sr_edu);
	__atomic_store_n(&sr->sr_ended, nanouptime(), __ATOMIC_RELEASE);
}

static uint64_t
counted(struct storm_run *sr)
{
	return __atomic_load_n(&sr->sr_count, __ATOMIC_RELAXED);
}

static uint64_t
handler_ns(struct edu *e)
{
	struct irq_stats st;

	if (irq_get_stats(edu_irq(e), e, &st) != 0)
		return 0;
	return st.is_primary_ns + st.is_thread_ns;
}

/* Every raise handled and nothing more to come.  */
static bool
settled(struct storm_run *sr)
{
	struct edu *e = sr->sr_edu;

	return __atomic_load_n(&sr->sr_ended, __ATOMIC_ACQUIRE) != 0 &&
	    edu_outstanding(e, STORM_BIT) == 0 &&
	    !irq_line_throttled(edu_irq(e));
}

struct storm_sample {
	uint64_t ss_ns, ss_count, ss_handler_ns, ss_polls;
};

static void
sample(struct storm_run *sr, struct storm_sample *ss)
{
	struct irq_storm_stats st;

	ss->ss_ns = nanouptime();
	ss->ss_count = counted(sr);
	ss->ss_handler_ns = handler_ns(sr->sr_edu);
	ss->ss_polls = irq_get_storm_stats(edu_irq(sr->sr_edu), &st) == 0 ?
	    st.iss_polls : 0;
}

/*
 * One storm under budget pct, ended by the timer after STORM_NS; the
 * counter's count and the handlers' time meanwhile in *d.  False if it
 * never settled.
 */
static bool
storm_for_a_while(struct storm_run *sr, unsigned pct, struct storm_sample *d)
{
	unsigned was = irq_set_storm_budget(pct);
	struct storm_sample s0, s1;
	unsigned i;

	__atomic_store_n(&sr->sr_ended, 0, __ATOMIC_RELAXED);
	sample(sr, &s0);
	timer_event_arm(&sr->sr_timer, s0.ss_ns + STORM_NS);
	edu_storm_start(sr->sr_edu, STORM_BIT, 0);
	for (i = 0; i < SETTLE_ROUNDS && !settled(sr); i++)
		ksleep(NS_PER_MS);
	irq_set_storm_budget(was);
	if (i == SETTLE_ROUNDS) {
		kerr("bench irq: the storm on irq %d never settled",
		    edu_irq(sr->sr_edu));
		return false;
	}
	sample(sr, &s1);
	d->ss_ns = __atomic_load_n(&sr->sr_ended, __ATOMIC_ACQUIRE) - s0.ss_ns;
	d->ss_count = s1.ss_count - s0.ss_count;
	d->ss_handler_ns = s1.ss_handler_ns - s0.ss_handler_ns;
	d->ss_polls = s1.ss_polls - s0.ss_polls;
	return true;
}

static void
result(const char *what, const char *tail, uint64_t v, const char *unit)
{
	char name[64];

	snprintf(name, sizeof(name), "irq_storm_%s%s", what, tail);
	bench_result(name, v, unit);
}

/* The counter's rate in d, in percent of rate (counts per ms) alone. */
static uint64_t
thread_share(const struct storm_sample *d, uint64_t alone_per_ms)
{
	uint64_t ms = d->ss_ns / NS_PER_MS;

	return ms != 0 && alone_per_ms != 0 ?
	    d->ss_count * 100 / ms / alone_per_ms : 0;
}

static uint64_t
per_mille(uint64_t part, uint64_t whole)
{
	return whole != 0 ? part * 1000 / whole : 0;
}

static bool
storm_figures(struct storm_run *sr, const char *tail, unsigned on_pct)
{
	struct storm_sample off, on;
	uint64_t c0 = counted(sr), alone;

	ksleep(STORM_NS);
	alone = (counted(sr) - c0) / (STORM_NS / NS_PER_MS);
	if (!storm_for_a_while(sr, 0, &off) ||
	    !storm_for_a_while(sr, on_pct, &on))
		return false;
	result("off_thread_share", tail, thread_share(&off, alone), "%");
	result("off_handler_share", tail,
	    per_mille(off.ss_handler_ns, off.ss_ns), "permille");
	result("on_thread_share", tail, thread_share(&on, alone), "%");
	result("on_handler_share", tail,
	    per_mille(on.ss_handler_ns, on.ss_ns), "permille");
	result("on_poll_rate", tail, on.ss_ns != 0 ?
	    on.ss_polls * NS_PER_SEC / on.ss_ns : 0, "polls/s");
	return true;
}

bool
bench_irq_storm(const char *tail, unsigned boot_pct)
{
	struct storm_run sr = { .sr_edu = edu_get(0) };
	cpuset_t last = cpuset_of(ncpu - 1);
	struct lwp *counter;
	bool ok;

	if (sr.sr_edu == NULL) {
		kinfo("bench irq: no edu device: storm figures skipped");
		return true;
	}
	if (edu_request_irq(sr.sr_edu, PCI_IRQ_MSI,
	    IRQF_MODE(IRQ_MODE_HARD)) != 0 ||
	    irq_set_affinity(edu_irq(sr.sr_edu), &last) != 0 ||
	    lwp_create(count_until_stopped, &sr, PRI_KERNEL, cpu_lookup(ncpu - 1),
	    LWP_JOINABLE, "counter", &counter) != 0) {
		kerr("bench irq: cannot set up the storm on edu0");
		return false;
	}
	timer_event_init(&sr.sr_timer, end_storm, &sr);
	ok = storm_figures(&sr, tail, boot_pct != 0 && boot_pct < 100 ?
	    boot_pct : FALLBACK_PCT);
	(void)timer_event_cancel(&sr.sr_timer);
	__atomic_store_n(&sr.sr_stop, 1, __ATOMIC_RELEASE);
	lwp_join(counter);
	edu_free_irq(sr.sr_edu);
	return ok;
}
