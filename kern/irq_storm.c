/*
 * irq_storm.c: storm control: a source whose handlers take too much CPU
 * time is throttled (masked and polled at a bounded rate) until it calms
 * down.  docs/interrupts.md ("Storm control") is the long version.
 *
 * Measuring.  Every line keeps the handler time of the current window in
 * id_storm_ns: the flow charges the whole of its run of the primaries
 * (run_actions in irq_flow.c, thread functions that run inline in hard
 * context included), and a thread function that runs in a thread charges
 * its own time (irq_run_thread_fn in irq_thread.c).  Both reuse the
 * timestamps the statistics already take; a charge is one atomic add.
 * Per-CPU lines (the clock, IPIs) are neither charged nor throttled.
 *
 * Budget.  At the end of every flow (irq_storm_check, under id_lock) a
 * window of irq_storm_window_ms or more that has ended is closed: if its
 * handlers took more than irq_storm_pct percent of it, over at least
 * STORM_MIN_RUNS runs, the line is throttled.  0 or 100 turns storm
 * control off.  The floor on runs is what makes it a storm: one slow run
 * (a handler that spins, or under TCG a vCPU the host took away in the
 * middle of a handler) is not helped by polling, and throttling for it
 * would only delay the next interrupt.
 *
 * Throttled.  The line is masked for the reason IRQ_MASK_THROTTLED, so
 * disable_irq and ONESHOT compose with it as with every other reason.  A
 * delivery that still comes (an unmaskable MSI, or one on its way) runs no
 * handler: the flow holds it (irq_flow.c).  The poller, one kernel thread
 * at PRI_INTR_MIN, runs the handlers of every throttled line once every
 * irq_storm_poll_us, in hard interrupt context at the line's level
 * (md_irq_poll_enter), exactly as a flow would: primaries in priority
 * order, thread functions under their model (inline in IRQ_MODE_HARD,
 * else their thread is woken).  Between polls the CPU is free.
 *
 * Unthrottled.  When a whole window's worth of polls in a row (at least
 * two) found no primary claiming the interrupt, the line is unmasked; a
 * held delivery of a source that does not hold its request is sent again
 * (irq_mask_clear), and the next window starts afresh.  Both transitions
 * are logged, and the table shows the line as "throttled" and counts its
 * episodes and polls.
 *
 * The poller and descriptors.  Throttled lines are bits in storm_lines,
 * set and cleared under their id_lock.  The poller looks up each set bit's
 * descriptor during a pass; storm_pass is odd while a pass runs.  A line
 * whose last action is freed leaves the set (irq_storm_shutdown) and
 * free_irq waits for a pass that may have seen it to end (irq_storm_sync),
 * so an MSI descriptor is never destroyed under the poller.
 *
 * Locking.  id_lock covers the storm fields of a descriptor except
 * id_storm_ns (atomic).  storm_lines and storm_pass are atomic.  The
 * poller sleeps on &storm_lines when no line is throttled; irq_storm_kick
 * wakes it after the throttling flow has dropped id_lock (sleep-queue
 * locks are never taken under id_lock).  The budget is one word, read
 * without a lock.
 */
#include <irq.h>
#include <kassert.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <options.h>
#include <time.h>

#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>

#define STORM_WORDS	(NR_IRQS / 64)
#define STORM_PRIO	PRI_INTR_MIN
#define STORM_MIN_RUNS	8	/* fewest handler runs in a window that storm */

static uint64_t storm_pct = 40;
OPTION_U64("irq_storm_pct", storm_pct, 0, 100,
    "storm control: the share of one CPU, in percent, a source's handlers "
    "may take over a window before the source is throttled and polled "
    "(0 or 100: off)");
static uint64_t storm_window_ms = 10;
OPTION_U64("irq_storm_window_ms", storm_window_ms, 1, 10000,
    "storm control: the window over which handler time is measured, in ms");
static uint64_t storm_poll_us = 1000;
OPTION_U64("irq_storm_poll_us", storm_poll_us, 50, 1000000,
    "storm control: how often a throttled source is polled, in us");

static uint64_t storm_lines[STORM_WORDS];	/* atomic: throttled IRQs */
static uint64_t storm_pass;			/* atomic: odd during a pass */

static uint64_t
window_ns(void)
{
	return storm_window_ms * NS_PER_MS;
}

static uint64_t
poll_ns(void)
{
	return storm_poll_us * NS_PER_US;
}

/* Polls in a row that must find nothing before the line is unthrottled. */
static unsigned
quiet_polls(void)
{
	uint64_t n = window_ns() / poll_ns();

	return n < 2 ? 2 : (unsigned)n;
}

static bool
over_budget(uint64_t used, uint64_t elapsed, unsigned runs)
{
	uint64_t pct = __atomic_load_n(&storm_pct, __ATOMIC_RELAXED);

	return pct != 0 && pct < 100 && runs >= STORM_MIN_RUNS &&
	    used * 100 > pct * elapsed;
}

void
irq_storm_charge(struct irq_desc *desc, uint64_t ns)
{
	__atomic_fetch_add(&desc->id_storm_ns, ns, __ATOMIC_RELAXED);
}

/* End the window at now; returns the handler time it held.  id_lock held. */
static uint64_t
close_window(struct irq_desc *desc, uint64_t now)
{
	uint64_t elapsed = now - desc->id_storm_start;
	uint64_t used = __atomic_exchange_n(&desc->id_storm_ns, 0,
	    __ATOMIC_RELAXED);

	desc->id_storm_usage = elapsed != 0 ? (unsigned)(used * 1000 / elapsed)
	    : 0;
	desc->id_storm_start = now;
	desc->id_storm_runs = 0;
	return used;
}

/* A line with an IRQF_NO_STORM action is measured, never throttled. */
static bool
exempt(const struct irq_desc *desc)
{
	for (struct irq_action *ia = desc->id_actions; ia; ia = ia->ia_next)
		if (ia->ia_flags & IRQF_NO_STORM)
			return true;
	return false;
}

static void
line_bit(int irq, uint64_t **word, uint64_t *bit)
{
	*word = &storm_lines[irq / 64];
	*bit = 1ULL << (irq % 64);
}

static const char *
first_handler(const struct irq_desc *desc)
{
	return desc->id_actions != NULL ? desc->id_actions->ia_name : "none";
}

/* Mask desc and hand it to the poller.  id_lock held. */
static void
throttle(struct irq_desc *desc, uint64_t elapsed, uint64_t now)
{
	uint64_t *word, bit;

	irq_mask_set(desc, IRQ_MASK_THROTTLED);
	desc->id_storm_episodes++;
	desc->id_storm_idle = 0;
	desc->id_storm_since = now;
	line_bit(desc->id_irq, &word, &bit);
	__atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
	kwarn("irq %d (%s): interrupt storm: handlers (%s%s) took %u.%u%% of "
	    "a CPU over %lu ms, budget %lu%%; throttled, polled every %lu us",
	    desc->id_irq, desc->id_name, first_handler(desc),
	    desc->id_actions && desc->id_actions->ia_next ? ", ..." : "",
	    desc->id_storm_usage / 10, desc->id_storm_usage % 10,
	    elapsed / NS_PER_MS, storm_pct, storm_poll_us);
}

bool
irq_storm_check(struct irq_desc *desc, uint64_t now)
{
	uint64_t elapsed, used;
	unsigned runs;

	KASSERTMSG(mutex_owned(&desc->id_lock),
	    "irq_storm_check: irq %d (%s) without id_lock", desc->id_irq,
	    desc->id_name);
	desc->id_storm_runs++;
	if (now < desc->id_storm_start + window_ns())
		return false;
	elapsed = now - desc->id_storm_start;
	runs = desc->id_storm_runs;
	used = close_window(desc, now);
	if ((desc->id_mask & IRQ_MASK_THROTTLED) ||
	    !over_budget(used, elapsed, runs) || exempt(desc))
		return false;
	throttle(desc, elapsed, now);
	return true;
}

void
irq_storm_kick(void)
{
	sleepq_wakeup(storm_lines, 1);
}

/* Leave the throttled set; the caller unmasks.  id_lock held. */
static void
forget(struct irq_desc *desc)
{
	uint64_t *word, bit;

	line_bit(desc->id_irq, &word, &bit);
	__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST);
}

/* The storm is over: unmask, and measure afresh.  id_lock held. */
static void
unthrottle(struct irq_desc *desc, uint64_t now)
{
	forget(desc);
	kinfo("irq %d (%s): storm over after %lu ms: unthrottled (%lu polls "
	    "so far, %lu with work; handlers at %u.%u%% of a CPU while polled)",
	    desc->id_irq, desc->id_name,
	    (now - desc->id_storm_since) / NS_PER_MS, desc->id_storm_polls,
	    desc->id_storm_busy_polls, desc->id_storm_usage / 10,
	    desc->id_storm_usage % 10);
	close_window(desc, now);
	irq_mask_clear(desc, IRQ_MASK_THROTTLED);
}

void
irq_storm_polled(struct irq_desc *desc, irqreturn_t ret, uint64_t now)
{
	KASSERTMSG(mutex_owned(&desc->id_lock),
	    "irq_storm_polled: irq %d (%s) without id_lock", desc->id_irq,
	    desc->id_name);
	desc->id_storm_polls++;
	if (ret != IRQ_NONE) {
		desc->id_storm_busy_polls++;
		desc->id_storm_idle = 0;
	} else {
		desc->id_storm_idle++;
	}
	if (now >= desc->id_storm_start + window_ns())
		close_window(desc, now);	/* usage while polled */
	if (desc->id_storm_idle >= quiet_polls())
		unthrottle(desc, now);
}

bool
irq_storm_shutdown(struct irq_desc *desc)
{
	KASSERTMSG(mutex_owned(&desc->id_lock),
	    "irq_storm_shutdown: irq %d (%s) without id_lock", desc->id_irq,
	    desc->id_name);
	if (!(desc->id_mask & IRQ_MASK_THROTTLED))
		return false;
	forget(desc);
	irq_mask_clear(desc, IRQ_MASK_THROTTLED);
	return true;
}

void
irq_storm_sync(void)
{
	uint64_t pass = __atomic_load_n(&storm_pass, __ATOMIC_SEQ_CST);

	KASSERTMSG(!cpu_intr_p(), "irq_storm_sync from interrupt context");
	if (pass % 2 == 0)
		return;
	while (__atomic_load_n(&storm_pass, __ATOMIC_ACQUIRE) == pass)
		ksleep(poll_ns());
}

/* The poller. */

static bool
any_throttled(void)
{
	for (unsigned w = 0; w < STORM_WORDS; w++)
		if (__atomic_load_n(&storm_lines[w], __ATOMIC_SEQ_CST) != 0)
			return true;
	return false;
}

static void
wait_for_storms(void)
{
	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(storm_lines);

		if (any_throttled()) {
			sleepq_unlock(sc);
			return;
		}
		sleepq_block(sc, storm_lines, "stormidle", 0);
	}
}

static void
poll_line(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	ipl_t s;

	if (desc == NULL)
		return;
	s = md_irq_poll_enter(desc->id_ipl);
	irq_flow_poll(desc);
	md_irq_poll_exit(s);
}

/* Poll every throttled line once. */
static void
poll_pass(void)
{
	__atomic_fetch_add(&storm_pass, 1, __ATOMIC_SEQ_CST);
	for (unsigned w = 0; w < STORM_WORDS; w++) {
		uint64_t bits = __atomic_load_n(&storm_lines[w],
		    __ATOMIC_SEQ_CST);

		for (; bits != 0; bits &= bits - 1)
			poll_line((int)(w * 64 + __builtin_ctzll(bits)));
	}
	__atomic_fetch_add(&storm_pass, 1, __ATOMIC_RELEASE);
}

static void
storm_poller_main(void *arg)
{
	for (;;) {
		wait_for_storms();
		poll_pass();
		ksleep(poll_ns());
	}
}

void
irq_storm_init(void)
{
	int error = lwp_create(storm_poller_main, NULL, STORM_PRIO, NULL, 0,
	    "irq/storm", NULL);

	if (error != 0)
		panic("irq: cannot create the storm poller: %d", error);
}

/* The public part (irq.h). */

bool
irq_line_throttled(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	return desc != NULL && (desc->id_mask & IRQ_MASK_THROTTLED);
}

int
irq_get_storm_stats(int irq, struct irq_storm_stats *st)
{
	struct irq_desc *desc = irq_to_desc(irq);

	if (desc == NULL)
		return -ENOENT;
	mutex_enter(&desc->id_lock);
	st->iss_throttled = (desc->id_mask & IRQ_MASK_THROTTLED) != 0;
	st->iss_episodes = desc->id_storm_episodes;
	st->iss_polls = desc->id_storm_polls;
	st->iss_busy_polls = desc->id_storm_busy_polls;
	st->iss_usage_pm = desc->id_storm_usage;
	mutex_exit(&desc->id_lock);
	return 0;
}

unsigned
irq_set_storm_budget(unsigned pct)
{
	KASSERTMSG(pct <= 100, "irq_set_storm_budget(%u): a share of one CPU "
	    "is 0..100 percent", pct);
	return (unsigned)__atomic_exchange_n(&storm_pct, (uint64_t)pct,
	    __ATOMIC_RELAXED);
}
