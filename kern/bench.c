/*
 * bench.c: benchmarks, run with run=bench:NAME.  They print, never assert:
 * one line per figure, `RESULT name=value unit=...`, recorded in
 * docs/benchmarks.md.  Times are measured with the cycle counter and
 * converted to nanoseconds; under `tools/boot --icount` a nanosecond is
 * one guest instruction, so those figures are path lengths.
 *
 * The "base" set measures the foundation: boot time to the first test,
 * wake-up latency to a thread on the same CPU and on another CPU (p50 and
 * p99 of many samples), mutex enter/exit cost uncontended and contended,
 * and a cross-call (IPI) round trip.
 *
 * Locking: each benchmark's own; see the functions.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <string.h>
#include <time.h>
#include <xcall.h>

#include <kern/bench.h>
#include <kern/lwp_impl.h>
#include <kern/main.h>
#include <kern/run.h>

#define SAMPLES		400
#define MUTEX_LOOPS	20000
#define CONTENDED_LOOPS	2000

void
bench_result(const char *name, uint64_t value, const char *unit)
{
	printf("RESULT %s=%lu unit=%s\n", name, value, unit);
}

static void
sort_u64(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void
result_stat(const char *name, const char *stat, const char *tail,
    uint64_t cycles)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "%s_%s%s", name, stat, tail);
	bench_result(buf, cycles_to_ns(cycles), "ns");
}

void
bench_result_percentiles(const char *name, const char *tail, uint64_t *cycles,
    size_t n)
{
	sort_u64(cycles, n);
	result_stat(name, "p50", tail, cycles[n / 2]);
	result_stat(name, "p99", tail, cycles[n * 99 / 100]);
}

void
bench_result_max(const char *name, const char *tail, const uint64_t *cycles,
    size_t n)
{
	uint64_t max = 0;

	for (size_t i = 0; i < n; i++)
		if (cycles[i] > max)
			max = cycles[i];
	result_stat(name, "max", tail, max);
}

/*
 * Wake-up latency: the waker stamps the cycle counter and wakes a
 * higher-priority sleeper through the sleep queue; the sleeper stamps it
 * again when it runs.  Same CPU: this is a wake-up plus a preemptive
 * context switch.  Other CPU: plus the IPI and the wake from halt.
 */
struct wake_bench {
	volatile unsigned wb_round;	/* waker's round, sleeper's target */
	volatile unsigned wb_seen;	/* rounds the sleeper has finished */
	volatile uint64_t wb_t0;
	uint64_t wb_samples[SAMPLES];
};

static void
wake_sleeper(void *arg)
{
	struct wake_bench *wb = arg;

	for (unsigned i = 0; i < SAMPLES; i++) {
		struct sleepq_chain *sc = sleepq_lock(wb);

		if (wb->wb_round == i)
			(void)sleepq_block(sc, wb, "bench", 0);
		else
			sleepq_unlock(sc);
		wb->wb_samples[i] = cpu_cycles() - wb->wb_t0;
		__atomic_store_n(&wb->wb_seen, i + 1, __ATOMIC_RELEASE);
	}
}

static void
bench_wakeup(const char *name, struct cpu_info *waker_cpu,
    struct cpu_info *sleeper_cpu)
{
	struct wake_bench *wb = kmem_zalloc(sizeof(*wb), KM_SLEEP);
	struct lwp *sleeper;

	lwp_bind(curlwp, waker_cpu);
	KASSERT(lwp_create(wake_sleeper, wb, PRI_RT_MIN + 1, sleeper_cpu,
	    LWP_JOINABLE, "bench-sleeper", &sleeper) == 0);
	for (unsigned i = 0; i < SAMPLES; i++) {
		/* Let it fall asleep: it is queued once sleepq_wakeup finds it. */
		while (!sleepq_has_sleepers(wb))
			yield();
		wb->wb_t0 = cpu_cycles();
		__atomic_store_n(&wb->wb_round, i + 1, __ATOMIC_RELEASE);
		KASSERT(sleepq_wakeup(wb, 1) == 1);
		while (__atomic_load_n(&wb->wb_seen, __ATOMIC_ACQUIRE) <= i)
			yield();
	}
	lwp_join(sleeper);
	bench_result_percentiles(name, "", wb->wb_samples, SAMPLES);
	kmem_free(wb, sizeof(*wb));
	lwp_bind(curlwp, NULL);
}

uint64_t
bench_mutex_pair_ns(kmutex_type_t type, ipl_t ipl)
{
	kmutex_t m;
	uint64_t t0;

	mutex_init(&m, type, ipl);
	t0 = cpu_cycles();
	for (unsigned i = 0; i < MUTEX_LOOPS; i++) {
		mutex_enter(&m);
		mutex_exit(&m);
	}
	return cycles_to_ns(cpu_cycles() - t0) / MUTEX_LOOPS;
}

struct contended {
	kmutex_t c_lock;
	volatile uint64_t c_count;
};

static void
contend(void *arg)
{
	struct contended *c = arg;

	for (unsigned i = 0; i < CONTENDED_LOOPS; i++) {
		mutex_enter(&c->c_lock);
		c->c_count++;
		mutex_exit(&c->c_lock);
	}
}

static void
bench_mutex_contended(void)
{
	struct contended c = { .c_count = 0 };
	struct lwp *l[MAXCPUS];
	uint64_t t0;

	mutex_init(&c.c_lock, MUTEX_DEFAULT, IPL_NONE);
	t0 = cpu_cycles();
	for (unsigned i = 0; i < ncpu; i++)
		KASSERT(lwp_create(contend, &c, PRI_KERNEL, cpu_lookup(i),
		    LWP_JOINABLE, "bench-contend", &l[i]) == 0);
	for (unsigned i = 0; i < ncpu; i++)
		lwp_join(l[i]);
	KASSERTMSG(c.c_count == (uint64_t)ncpu * CONTENDED_LOOPS,
	    "contended mutex lost updates: %lu", c.c_count);
	bench_result("mutex_adaptive_contended_per_op",
	    cycles_to_ns(cpu_cycles() - t0) / (ncpu * CONTENDED_LOOPS), "ns");
}

static void
xc_nop(void *arg)
{
}

static void
bench_ipi_roundtrip(void)
{
	uint64_t *samples = kmem_alloc(SAMPLES * sizeof(uint64_t), KM_SLEEP);
	struct cpu_info *target = cpu_lookup(1);

	for (unsigned i = 0; i < SAMPLES; i++) {
		uint64_t t0 = cpu_cycles();

		xc_unicast(target, xc_nop, NULL);
		samples[i] = cpu_cycles() - t0;
	}
	bench_result_percentiles("ipi_roundtrip", "", samples, SAMPLES);
	kmem_free(samples, SAMPLES * sizeof(uint64_t));
}

static void
bench_base(void)
{
	bench_result("boot_to_first_test", cycles_to_ns(boot_cycles_at_main),
	    "ns");
	bench_result("ncpu", ncpu, "cpus");
	bench_wakeup("wakeup_same_cpu", cpu_lookup(0), cpu_lookup(0));
	if (ncpu > 1)
		bench_wakeup("wakeup_cross_cpu", cpu_lookup(0), cpu_lookup(1));
	bench_result("mutex_adaptive_uncontended",
	    bench_mutex_pair_ns(MUTEX_DEFAULT, IPL_NONE), "ns");
	bench_result("mutex_spin_uncontended",
	    bench_mutex_pair_ns(MUTEX_SPIN, IPL_VM), "ns");
	bench_mutex_contended();
	if (ncpu > 1)
		bench_ipi_roundtrip();
}

bool
bench_run(const char *name)
{
	if (strcmp(name, "base") == 0) {
		bench_base();
		return true;
	}
	if (strcmp(name, "irq") == 0)
		return bench_irq();
	if (strcmp(name, "trace") == 0)
		return bench_trace();
	if (strcmp(name, "rtc") == 0)
		return bench_rtc();
	kerr("bench: no benchmark set named '%s' (known: base, irq, trace, rtc)",
	    name);
	return false;
}
