/*
 * bench_rtc.c: the "rtc" benchmark set (run=bench:rtc): the RTC's
 * periodic interrupt at 8192 Hz (dev/rtc.c) under each dispatch model
 * (hard, thread, lazy, source): what its handlers cost and how late they
 * run after the tick.  Names: rtc_M_what, M the model.
 *
 *  rtc_M_ticks		ticks counted in one RTC second (between two
 *			update-ended interrupts): 8192 less the periods
 *			the hardware merged because a primary was late
 *  rtc_M_hook_calls	thread-function runs with ticks in that second
 *			(fewer than ticks: wake-ups coalesced)
 *  rtc_M_cpu_permille	primary + thread function time over the second,
 *			per mille of one CPU (irq_get_stats; entry, exit
 *			and EOI are not in it)
 *  rtc_M_ns_per_tick	the same per tick
 *  rtc_M_primary_{p50,p99,max}	tick to primary handler, ns
 *  rtc_M_threadfn_{p50,p99,max}	tick to thread function, ns
 *  rtc_M_wake_{p50,p99,max}	primary to thread function, ns (needs no
 *			phase: both ends are timestamped)
 * Those are measured with storm control off (as bench:irq does), and
 * then, per model, one more RTC second under the boot's budget (40% if
 * it is off):
 *
 *  rtc_M_storm_episodes	times storm control throttled the line
 *  rtc_M_storm_ticks		ticks counted in that second (a throttled
 *			RTC is polled every irq_storm_poll_us, one tick
 *			a poll, and always has one, so it stays throttled)
 *
 * Latency from a tick nobody timestamps.  The RTC says nothing about
 * when a period began, but the periods are exact: 1/8192 s of the RTC's
 * crystal (of QEMU's virtual clock here: tools/boot runs the RTC on it,
 * as the TSC).  So the phase of each primary's timestamp within the
 * period, t mod P, is its latency plus one unknown constant, the phase
 * of the ticks.  Over a batch of samples the phases form a cluster on
 * the circle [0, P); the largest empty arc ends where the cluster
 * begins, and that point, the earliest phase seen, is taken as the tick.
 * So the figures are latencies *above the best one in the batch* (an
 * under-estimate by that best case, a few microseconds under TCG), and
 * they are taken modulo the period: a primary later than a period is the
 * on-time primary of a later tick, the earlier one having merged into it,
 * and shows in rtc_M_ticks instead.  The thread function's latency is
 * measured from the same tick as its primary (the tick rt_seq of the
 * hook call).  Batches are BATCH samples (1/8 s) so that a small rate
 * difference between the TSC and the RTC (none under QEMU, tens of ppm on
 * real hardware) cannot smear the cluster.
 *
 * Method.  The main thread sleeps through the measured second (it only
 * waits for update-ended interrupts, ksleep by the millisecond), so the
 * CPU the line is routed to (CPU 0) does little else.  The hook stores
 * each call's primary timestamp and its own start in arrays.
 *
 * Locking: the hook (any context) fills struct rtc_samples, claiming a
 * slot with an atomic increment; the main thread reads it after
 * rtc_periodic_stop, which waits for the handlers.
 */
#include <irq.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <printf.h>
#include <rtc.h>
#include <time.h>

#include <kern/bench.h>

#define BENCH_HZ	8192
#define MAX_SAMPLES	(2 * BENCH_HZ)		/* two seconds' worth */
#define BATCH		1024
#define WAIT_NS		(10 * NS_PER_SEC)

struct rtc_samples {
	unsigned rs_n;				/* atomic: slots claimed */
	uint64_t rs_prim[MAX_SAMPLES];		/* primary's nanouptime */
	uint64_t rs_thr[MAX_SAMPLES];		/* hook's nanouptime */
	uint64_t rs_lat_prim[MAX_SAMPLES];	/* computed */
	uint64_t rs_lat_thr[MAX_SAMPLES];
	uint64_t rs_wake[MAX_SAMPLES];		/* primary to hook */
	uint64_t rs_scratch[BATCH];
};

static void
sample_hook(const struct rtc_tick *tick, void *arg)
{
	struct rtc_samples *rs = arg;
	uint64_t now = nanouptime();
	unsigned i = __atomic_fetch_add(&rs->rs_n, 1, __ATOMIC_RELAXED);

	if (i < MAX_SAMPLES) {
		rs->rs_prim[i] = tick->rt_primary_ns;
		rs->rs_thr[i] = now;
	}
}

/* Shell sort: n is up to MAX_SAMPLES, insertion sort would crawl. */
static void
sort_ns(uint64_t *v, size_t n)
{
	for (size_t gap = n / 2; gap > 0; gap /= 2)
		for (size_t i = gap; i < n; i++) {
			uint64_t x = v[i];
			size_t j = i;

			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
}

/* A timestamp's place in the period, in units of 1/(hz * 1e9) s. */
static uint64_t
phase_of(uint64_t ns)
{
	return ns * BENCH_HZ % NS_PER_SEC;
}

/* The start of the cluster of phases: just after the largest empty arc. */
static uint64_t
cluster_start(uint64_t *phases, size_t n)
{
	uint64_t best_gap, start;

	sort_ns(phases, n);
	best_gap = phases[0] + NS_PER_SEC - phases[n - 1];	/* wraps */
	start = phases[0];
	for (size_t i = 1; i < n; i++)
		if (phases[i] - phases[i - 1] > best_gap) {
			best_gap = phases[i] - phases[i - 1];
			start = phases[i];
		}
	return start;
}

/* Latencies of samples [from, from + n) against their batch's phase. */
static void
batch_latencies(struct rtc_samples *rs, size_t from, size_t n)
{
	uint64_t start;

	for (size_t i = 0; i < n; i++)
		rs->rs_scratch[i] = phase_of(rs->rs_prim[from + i]);
	start = cluster_start(rs->rs_scratch, n);
	for (size_t i = from; i < from + n; i++) {
		uint64_t lat = (phase_of(rs->rs_prim[i]) + NS_PER_SEC - start) %
		    NS_PER_SEC / BENCH_HZ;

		rs->rs_lat_prim[i] = lat;
		rs->rs_wake[i] = rs->rs_thr[i] - rs->rs_prim[i];
		rs->rs_lat_thr[i] = rs->rs_wake[i] + lat;
	}
}

static void
result_mode(const char *mode, const char *what, uint64_t v, const char *unit)
{
	char name[64];

	snprintf(name, sizeof(name), "rtc_%s_%s", mode, what);
	bench_result(name, v, unit);
}

static void
result_percentiles(const char *mode, const char *what, uint64_t *ns, size_t n)
{
	char buf[32];

	sort_ns(ns, n);
	snprintf(buf, sizeof(buf), "%s_p50", what);
	result_mode(mode, buf, ns[n / 2], "ns");
	snprintf(buf, sizeof(buf), "%s_p99", what);
	result_mode(mode, buf, ns[n * 99 / 100], "ns");
	snprintf(buf, sizeof(buf), "%s_max", what);
	result_mode(mode, buf, ns[n - 1], "ns");
}

static void
latency_figures(const char *mode, struct rtc_samples *rs)
{
	size_t n = rs->rs_n < MAX_SAMPLES ? rs->rs_n : MAX_SAMPLES;

	n -= n % BATCH;
	for (size_t from = 0; from < n; from += BATCH)
		batch_latencies(rs, from, BATCH);
	result_percentiles(mode, "primary", rs->rs_lat_prim, n);
	result_percentiles(mode, "threadfn", rs->rs_lat_thr, n);
	result_percentiles(mode, "wake", rs->rs_wake, n);
}

/* Wait, bounded, for the next update-ended interrupt. */
static bool
next_update(void)
{
	uint64_t want = rtc_updates() + 1, deadline = nanouptime() + WAIT_NS;

	while (rtc_updates() < want) {
		if (nanouptime() > deadline) {
			kerr("bench rtc: no update-ended interrupt in %lu s",
			    WAIT_NS / NS_PER_SEC);
			return false;
		}
		ksleep(NS_PER_MS);
	}
	return true;
}

/* What one RTC second under a model cost; samples from the whole run. */
struct rtc_second {
	uint64_t sec_ticks, sec_calls, sec_handler_ns;
};

static bool
measure_second(struct rtc_samples *rs, struct rtc_second *sec)
{
	struct irq_stats a, b;
	uint64_t ticks_a, calls_a;

	if (!next_update())
		return false;
	ticks_a = rtc_ticks_at_update();
	calls_a = __atomic_load_n(&rs->rs_n, __ATOMIC_RELAXED);
	(void)rtc_get_stats(&a);
	if (!next_update())
		return false;
	sec->sec_ticks = rtc_ticks_at_update() - ticks_a;
	sec->sec_calls = __atomic_load_n(&rs->rs_n, __ATOMIC_RELAXED) - calls_a;
	(void)rtc_get_stats(&b);
	sec->sec_handler_ns = b.is_primary_ns - a.is_primary_ns +
	    b.is_thread_ns - a.is_thread_ns;
	return true;
}

/* Run the RTC under mode for a warm-up second and a measured one. */
static bool
run_second(enum irq_mode mode, struct rtc_samples *rs, struct rtc_second *sec)
{
	bool ok;

	rs->rs_n = 0;
	if (rtc_set_mode(mode) != 0) {
		kerr("bench rtc: cannot switch the RTC to the %s model",
		    irq_mode_name(mode));
		return false;
	}
	rtc_set_tick_hook(sample_hook, rs);
	rtc_periodic_start();
	ok = next_update() && measure_second(rs, sec);
	rtc_periodic_stop();
	rtc_set_tick_hook(NULL, NULL);
	return ok;
}

static bool
mode_figures(enum irq_mode mode, struct rtc_samples *rs)
{
	const char *name = irq_mode_name(mode);
	struct rtc_second sec;

	if (!run_second(mode, rs, &sec))
		return false;
	result_mode(name, "ticks", sec.sec_ticks, "ticks");
	result_mode(name, "hook_calls", sec.sec_calls, "calls");
	result_mode(name, "cpu_permille", sec.sec_handler_ns / NS_PER_MS,
	    "permille");
	result_mode(name, "ns_per_tick", sec.sec_ticks == 0 ? 0 :
	    sec.sec_handler_ns / sec.sec_ticks, "ns");
	latency_figures(name, rs);
	return true;
}

/* A stopped RTC has nothing to poll: the line is unthrottled soon. */
static bool
wait_unthrottled(void)
{
	uint64_t deadline = nanouptime() + WAIT_NS;

	while (irq_line_throttled(rtc_irq())) {
		if (nanouptime() > deadline) {
			kerr("bench rtc: irq %d still throttled %lu s after the "
			    "RTC stopped", rtc_irq(), WAIT_NS / NS_PER_SEC);
			return false;
		}
		ksleep(NS_PER_MS);
	}
	return true;
}

static bool
storm_figures(enum irq_mode mode, struct rtc_samples *rs)
{
	const char *name = irq_mode_name(mode);
	struct irq_storm_stats a, b;
	struct rtc_second sec;

	(void)irq_get_storm_stats(rtc_irq(), &a);
	if (!run_second(mode, rs, &sec))
		return false;
	(void)irq_get_storm_stats(rtc_irq(), &b);
	result_mode(name, "storm_episodes", b.iss_episodes - a.iss_episodes,
	    "episodes");
	result_mode(name, "storm_ticks", sec.sec_ticks, "ticks");
	return wait_unthrottled();
}

bool
bench_rtc(void)
{
	static const enum irq_mode modes[] = { IRQ_MODE_HARD, IRQ_MODE_THREAD,
	    IRQ_MODE_LAZY, IRQ_MODE_SOURCE };
	unsigned boot_pct = irq_set_storm_budget(0);
	struct rtc_samples *rs;
	bool ok = true;

	if (rtc_irq() < 0) {
		kerr("bench rtc: the RTC has no interrupt (see the boot log)");
		irq_set_storm_budget(boot_pct);
		return false;
	}
	rs = kmem_zalloc(sizeof(*rs), KM_SLEEP);
	(void)rtc_set_rate(BENCH_HZ);
	rtc_update_irq(true);
	for (size_t i = 0; i < nitems(modes) && ok; i++)
		ok = mode_figures(modes[i], rs);
	irq_set_storm_budget(boot_pct == 0 || boot_pct == 100 ? 40 : boot_pct);
	for (size_t i = 0; i < nitems(modes) && ok; i++)
		ok = storm_figures(modes[i], rs);
	irq_set_storm_budget(boot_pct);
	rtc_update_irq(false);
	kmem_free(rs, sizeof(*rs));
	return ok;
}
