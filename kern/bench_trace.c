/*
 * bench_trace.c: the "trace" benchmark set (run=bench:trace): what
 * tracing costs (docs/tracing.md, docs/benchmarks.md "Tracing").
 *
 * Figures:
 *
 *  trace_record_on		one event recorded (trace_record through
 *				TRACE, tracing on), mean ns and cycles
 *  trace_check_off_per_1000	1000 TRACE hooks with tracing off: the load
 *				and branch every hook costs, in ns
 *  trace_irq_M_per_irq_off	one interrupt of a self-IPI line under model
 *  trace_irq_M_per_irq_on	M (hard, lazy), raised back to back, tracing
 *				off and on (ns per interrupt)
 *  trace_irq_M_events_per_irq	events each interrupt recorded
 *  trace_irq_M_per_event	(on - off) / events: what an event costs on
 *				the real path, cache effects included
 *
 * Under `tools/boot --icount` a nanosecond is an instruction.  Storm
 * control is off while the set runs (back-to-back raises would be
 * throttled and polled).  The main
 * thread runs bound to CPU 0 at PRI_RT_MIN, so no time slice interrupts
 * it; the line is routed to CPU 0, and each raise waits for the previous
 * interrupt's thread function, as bench_irq.c's throughput does.
 *
 * Locking: none; the handler counts with release stores read with
 * acquire loads.
 */
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <printf.h>
#include <time.h>
#include <trace.h>

#include <kern/bench.h>
#include <kern/md.h>

#define RECORD_LOOPS	20000
#define CHECK_LOOPS	200000
#define IRQS		2000
#define WAIT_NS		(2 * NS_PER_SEC)

static volatile unsigned bt_done;

static irqreturn_t
bt_primary(int irq, void *arg)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
bt_thread_fn(int irq, void *arg)
{
	__atomic_add_fetch(&bt_done, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static void
record_figures(void)
{
	uint64_t t0, cycles;

	trace_clear();
	trace_start();
	t0 = cpu_cycles();
	for (unsigned i = 0; i < RECORD_LOOPS; i++)
		TRACE(TRACE_MARK, 0, i, 0);
	cycles = cpu_cycles() - t0;
	trace_stop();
	bench_result("trace_record_on", cycles_to_ns(cycles) / RECORD_LOOPS,
	    "ns");
	bench_result("trace_record_on_cycles", cycles / RECORD_LOOPS,
	    "cycles");
	t0 = cpu_cycles();
	for (unsigned i = 0; i < CHECK_LOOPS; i++) {
		TRACE(TRACE_MARK, 0, i, 0);
		__asm__ volatile("" ::: "memory");	/* keep the loop */
	}
	bench_result("trace_check_off_per_1000",
	    cycles_to_ns(cpu_cycles() - t0) * 1000 / CHECK_LOOPS, "ns");
}

/* IRQS raises back to back; ns per interrupt, or 0 if one never came. */
static uint64_t
per_irq_ns(int irq)
{
	uint64_t t0 = cpu_cycles(), deadline;

	for (unsigned i = 1; i <= IRQS; i++) {
		ipisrc_raise(irq);
		deadline = nanouptime() + WAIT_NS;
		while (__atomic_load_n(&bt_done, __ATOMIC_ACQUIRE) < i) {
			if (nanouptime() > deadline) {
				kerr("bench trace: irq %d: %u of %u handled",
				    irq, bt_done, IRQS);
				return 0;
			}
			cpu_spin_pause();
		}
	}
	return cycles_to_ns(cpu_cycles() - t0) / IRQS;
}

/* Events CPU 0 recorded since the clear (kept and overwritten). */
static uint64_t
events_on_cpu0(void)
{
	struct trace_event *buf = kmem_alloc(TRACE_RING_EVENTS * sizeof(*buf),
	    KM_SLEEP);
	uint64_t lost, n = trace_read(0, buf, TRACE_RING_EVENTS, &lost);

	kmem_free(buf, TRACE_RING_EVENTS * sizeof(*buf));
	return n + lost;
}

static void
result_model(const char *model, const char *what, uint64_t v, const char *unit)
{
	char name[64];

	snprintf(name, sizeof(name), "trace_irq_%s_%s", model, what);
	bench_result(name, v, unit);
}

static bool
irq_figures(enum irq_mode mode)
{
	const char *model = irq_mode_name(mode);
	cpuset_t cpu0 = cpuset_of(0);
	int irq = ipisrc_create("bench-trace");
	uint64_t off, on, events;

	if (irq < 0 || request_threaded_irq(irq, bt_primary, bt_thread_fn,
	    IRQF_MODE(mode), "bench-trace", NULL) != 0 ||
	    irq_set_affinity(irq, &cpu0) != 0) {
		kerr("bench trace: cannot set up a %s line", model);
		return false;
	}
	bt_done = 0;
	(void)per_irq_ns(irq);		/* warm up */
	bt_done = 0;
	off = per_irq_ns(irq);
	bt_done = 0;
	trace_clear();
	trace_start();
	on = per_irq_ns(irq);
	trace_stop();
	events = events_on_cpu0() / IRQS;
	free_irq(irq, NULL);
	ipisrc_destroy(irq);
	if (off == 0 || on == 0)
		return false;
	result_model(model, "per_irq_off", off, "ns");
	result_model(model, "per_irq_on", on, "ns");
	result_model(model, "events_per_irq", events, "events");
	result_model(model, "per_event", events != 0 && on > off ?
	    (on - off) / events : 0, "ns");
	return true;
}

bool
bench_trace(void)
{
	unsigned storm_pct = irq_set_storm_budget(0);	/* never throttled */
	bool ok;

	lwp_bind(curlwp, cpu_lookup(0));
	lwp_set_priority(curlwp, PRI_RT_MIN);
	record_figures();
	ok = irq_figures(IRQ_MODE_HARD) && irq_figures(IRQ_MODE_LAZY);
	irq_set_storm_budget(storm_pct);
	return ok;
}
