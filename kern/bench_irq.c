/*
 * bench_irq.c: the "irq" benchmark set (run=bench:irq): what interrupt
 * dispatch costs under the four models (hard, thread, lazy, source), and
 * what the two IPL
 * implementations cost around it.  One boot runs one IPL implementation
 * (spl=tpr or spl=soft), so every RESULT name ends with it (_tpr, _soft).
 *
 * Figures, per interrupt source S and model M (hard, thread, lazy, source):
 *
 *  irq_S_M_self_primary	raise to the primary handler's first
 *				instruction, raiser on the line's CPU
 *  irq_S_M_self_threadfn	raise to the thread function's first
 *				instruction (hard: right after the primary;
 *				thread: after a wake-up and a switch)
 *  irq_S_M_cross_*		the same with the raiser on another CPU and
 *				the line's CPU idle (halted); >1 CPU only
 *  irq_S_M_throughput		interrupts per second one CPU sustains
 *				raising its own line back to back and handling
 *				it, and irq_S_M_per_irq, its inverse in ns
 *
 * Latencies are p50, p99 and max over LAT_SAMPLES raises.  On the ipi
 * source, a lazy thread function that blocks on a mutex its pinned LWP
 * holds: irq_ipi_lazy_block_unpin (its mutex_enter until the pinned LWP
 * runs again) and irq_ipi_lazy_block_resume (the holder's mutex_exit
 * until the function has the mutex).  And, per source, in the hard model:
 *
 *  irq_S_undeferred		raise until the thread function has run
 *  irq_S_deferred		splvm, raise, splx until it has run: the
 *				interrupt is held off by the level and taken
 *				at splx (tpr: the LAPIC holds it; soft: it is
 *				taken, masked and recorded, then replayed)
 *  irq_S_deferred_splx_to_primary  splx to the primary handler
 *  irq_S_defer_extra		p50(deferred) - p50(undeferred) - spl_vm_pair:
 *				what deferring costs beyond the level change
 *
 * and the level changes themselves, uncontended, mean ns per pair:
 * spl_vm_pair (splvm + splx), spl_sched_pair (splsched + splx),
 * mutex_spin_vm_pair (mutex_enter + mutex_exit of a MUTEX_SPIN at IPL_VM).
 *
 * Storm control is off while these are measured (a back-to-back
 * throughput run could otherwise be throttled); its own figures,
 * irq_storm_*, are in bench_irq_storm.c.
 *
 * Method.  The main thread raises, bound to a CPU and at PRI_RT_MIN, so no
 * time-slice timer interrupts it; the line is routed to CPU 0.  Timestamps
 * are the cycle counter read just before the raise and first thing in the
 * handler; before each raise the raiser waits for the previous interrupt's
 * thread function to have run (and, raising from another CPU, for the
 * line's CPU to be halted again), so each sample sees the same state and
 * no raise coalesces.  A few warm-up raises are not recorded.
 *
 * Sources.  Every figure is measured on every source of bench_sources[]:
 * a struct bench_irq_source says how to open, raise, acknowledge and close
 * one.  "ipi" is a self-IPI line (include/ipisrc.h), which involves
 * nothing but the dispatch path; "edu_intx" and "edu_msi" are the first
 * edu device (dev/edu.c) over its INTx line (IOAPIC, level flow) and over
 * MSI (fasteoi flow): a real PCI device's register write, message or pin,
 * and acknowledgement.  Without an edu device those two are skipped.
 * The edu instance is left detached afterwards (the run powers off).
 *
 * Locking: none.  The handlers publish what they saw through struct
 * bench_line with release stores, which the raiser reads with acquire
 * loads after waiting for them.
 */
#include <cpu.h>
#include <edu.h>
#include <ipisrc.h>
#include <irq.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <pci.h>
#include <printf.h>
#include <spl.h>
#include <time.h>

#include <kern/bench.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>

#include <machine/cpuvar.h>

#define LAT_SAMPLES	1000
#define WARMUP		20
#define TPUT_IRQS	5000
#define SPL_LOOPS	20000
#define WAIT_NS		(2 * NS_PER_SEC)

/*
 * An interrupt source the set measures.  bs_open sets it up and returns
 * its IRQ number, or -ENOENT when there is no such device (the set skips
 * the source) or another negative errno (the set fails);
 * bs_raise makes it fire once (thread context, any IPL up to IPL_VM);
 * bs_ack, called first in the primary handler, makes the device stop
 * asserting and says whether it had interrupted (NULL: nothing to do,
 * always its own); bs_close undoes bs_open once no action is left.
 */
struct bench_irq_source {
	const char *bs_name;		/* the S in irq_S_... */
	int (*bs_open)(void **ctx);
	void (*bs_raise)(int irq, void *ctx);
	bool (*bs_ack)(int irq, void *ctx);
	void (*bs_close)(int irq, void *ctx);
};

/* A source being measured, shared with its handlers. */
struct bench_line {
	const struct bench_irq_source *bl_src;
	void *bl_ctx;
	int bl_irq;
	enum irq_mode bl_mode;
	volatile uint64_t bl_prim_at;	/* cycle counter in the last primary */
	volatile uint64_t bl_thr_at;	/* ... and thread function */
	volatile unsigned bl_prims;	/* primaries that claimed it */
	volatile unsigned bl_thr_seen;	/* bl_prims at the last thread function */
	kmutex_t *bl_block;		/* the thread function takes it, if set */
	volatile uint64_t bl_block_at;	/* ... stamped before and after */
	volatile uint64_t bl_got_at;
};

static char spl_tail[8];		/* "_tpr" or "_soft" */

/* The self-IPI source. */

static int
ipi_open(void **ctx)
{
	*ctx = NULL;
	return ipisrc_create("bench");
}

static void ipi_raise(int irq, void *ctx) { ipisrc_raise(irq); }
static void ipi_close(int irq, void *ctx) { ipisrc_destroy(irq); }

/* The edu device's first function, over INTx (IOAPIC, level) or MSI. */

static int
edu_open(void **ctx, unsigned type)
{
	struct edu *e = edu_get(0);

	if (e == NULL)
		return -ENOENT;
	*ctx = e;
	return edu_open_vector(e, type);
}

static int edu_intx_open(void **ctx) { return edu_open(ctx, PCI_IRQ_INTX); }
static int edu_msi_open(void **ctx) { return edu_open(ctx, PCI_IRQ_MSI); }
static void edu_bench_raise(int irq, void *ctx) { edu_raise(ctx, 1); }
static bool edu_bench_ack(int irq, void *ctx) { return edu_ack(ctx); }
static void edu_close(int irq, void *ctx) { edu_close_vector(ctx); }

static const struct bench_irq_source bench_sources[] = {
	{ .bs_name = "ipi", .bs_open = ipi_open, .bs_raise = ipi_raise,
	  .bs_close = ipi_close },
	{ .bs_name = "edu_intx", .bs_open = edu_intx_open,
	  .bs_raise = edu_bench_raise, .bs_ack = edu_bench_ack,
	  .bs_close = edu_close },
	{ .bs_name = "edu_msi", .bs_open = edu_msi_open,
	  .bs_raise = edu_bench_raise, .bs_ack = edu_bench_ack,
	  .bs_close = edu_close },
};

/* The handlers: a timestamp and a count, nothing else. */

static irqreturn_t
bench_primary(int irq, void *arg)
{
	struct bench_line *bl = arg;
	uint64_t now = cpu_cycles();

	if (bl->bl_src->bs_ack != NULL && !bl->bl_src->bs_ack(irq, bl->bl_ctx))
		return IRQ_NONE;
	__atomic_store_n(&bl->bl_prim_at, now, __ATOMIC_RELAXED);
	__atomic_add_fetch(&bl->bl_prims, 1, __ATOMIC_RELEASE);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
bench_thread_fn(int irq, void *arg)
{
	struct bench_line *bl = arg;

	__atomic_store_n(&bl->bl_thr_at, cpu_cycles(), __ATOMIC_RELAXED);
	if (bl->bl_block != NULL) {
		__atomic_store_n(&bl->bl_block_at, cpu_cycles(),
		    __ATOMIC_RELEASE);
		mutex_enter(bl->bl_block);
		__atomic_store_n(&bl->bl_got_at, cpu_cycles(), __ATOMIC_RELEASE);
		mutex_exit(bl->bl_block);
	}
	__atomic_store_n(&bl->bl_thr_seen,
	    __atomic_load_n(&bl->bl_prims, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

/* Waiting, bounded: an interrupt that never comes fails the set. */

static bool
wait_count(struct bench_line *bl, volatile unsigned *v, unsigned want)
{
	uint64_t deadline = nanouptime() + WAIT_NS;

	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		if (nanouptime() > deadline) {
			kerr("bench irq: %s (irq %d, %s): %u of %u interrupts "
			    "handled after %lu ms", bl->bl_src->bs_name,
			    bl->bl_irq, irq_mode_name(bl->bl_mode), *v, want,
			    WAIT_NS / NS_PER_MS);
			return false;
		}
		cpu_spin_pause();
	}
	return true;
}

/* Wait until want primaries have run, and a thread function after them. */
static bool
wait_handled(struct bench_line *bl, unsigned want)
{
	return wait_count(bl, &bl->bl_prims, want) &&
	    wait_count(bl, &bl->bl_thr_seen, want);
}

static bool
wait_halted(struct cpu_info *ci)
{
	uint64_t deadline = nanouptime() + WAIT_NS;

	while (!ci->ci_data.cpu_idle) {
		if (nanouptime() > deadline) {
			kerr("bench irq: cpu%u never went idle", cpu_index(ci));
			return false;
		}
		cpu_spin_pause();
	}
	return true;
}

/* Results named with the IPL implementation. */

static void
result_spl(const char *name, uint64_t value, const char *unit)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "%s%s", name, spl_tail);
	bench_result(buf, value, unit);
}

/* p50, p99 (sorting cycles) and max. */
static void
result_latency(const char *name, uint64_t *cycles, size_t n)
{
	bench_result_percentiles(name, spl_tail, cycles, n);
	bench_result_max(name, spl_tail, cycles, n);
}

/* irq_S_M_what, for the source and model being measured. */
static void
figure_name(char *buf, size_t size, const struct bench_line *bl,
    const char *what)
{
	snprintf(buf, size, "irq_%s_%s_%s", bl->bl_src->bs_name,
	    irq_mode_name(bl->bl_mode), what);
}

/* Opening a source and requesting its line. */

/* Returns 0, or bs_open's error with *blp NULL. */
static int
line_open(const struct bench_irq_source *src, struct bench_line **blp)
{
	struct bench_line *bl = kmem_zalloc(sizeof(*bl), KM_SLEEP);

	bl->bl_src = src;
	bl->bl_irq = src->bs_open(&bl->bl_ctx);
	if (bl->bl_irq < 0) {
		int error = bl->bl_irq;

		kmem_free(bl, sizeof(*bl));
		*blp = NULL;
		return error;
	}
	*blp = bl;
	return 0;
}

static void
line_close(struct bench_line *bl)
{
	bl->bl_src->bs_close(bl->bl_irq, bl->bl_ctx);
	kmem_free(bl, sizeof(*bl));
}

/* Attach the handlers under mode, delivered to CPU 0. */
static bool
line_request(struct bench_line *bl, enum irq_mode mode)
{
	cpuset_t cpu0 = cpuset_of(0);
	int error;

	bl->bl_mode = mode;
	error = request_threaded_irq(bl->bl_irq, bench_primary,
	    bench_thread_fn, IRQF_MODE(mode), bl->bl_src->bs_name, bl);
	if (error == 0) {
		error = irq_set_affinity(bl->bl_irq, &cpu0);
		if (error != 0)
			free_irq(bl->bl_irq, bl);
	}
	if (error != 0)
		kerr("bench irq: %s: cannot request irq %d in the %s model: %d",
		    bl->bl_src->bs_name, bl->bl_irq, irq_mode_name(mode), error);
	return error == 0;
}

/* Latency. */

/* One raise: how long until the primary, and the thread function, began. */
static bool
sample_latency(struct bench_line *bl, struct cpu_info *line_cpu,
    uint64_t *to_prim, uint64_t *to_thr)
{
	unsigned want = bl->bl_prims + 1;
	uint64_t t0;

	if (line_cpu != curcpu() && !wait_halted(line_cpu))
		return false;
	t0 = cpu_cycles();
	bl->bl_src->bs_raise(bl->bl_irq, bl->bl_ctx);
	if (!wait_handled(bl, want))
		return false;
	*to_prim = __atomic_load_n(&bl->bl_prim_at, __ATOMIC_RELAXED) - t0;
	*to_thr = __atomic_load_n(&bl->bl_thr_at, __ATOMIC_RELAXED) - t0;
	return true;
}

/* Raise from raiser_cpu to the line on CPU 0; print where's figures. */
static bool
latency_figures(struct bench_line *bl, unsigned raiser_cpu, const char *where)
{
	uint64_t *prim = kmem_alloc(LAT_SAMPLES * sizeof(uint64_t), KM_SLEEP);
	uint64_t *thr = kmem_alloc(LAT_SAMPLES * sizeof(uint64_t), KM_SLEEP);
	struct cpu_info *line_cpu = cpu_lookup(0);
	char name[64], what[32];
	bool ok = true;

	lwp_bind(curlwp, cpu_lookup(raiser_cpu));
	for (unsigned i = 0; i < WARMUP && ok; i++)
		ok = sample_latency(bl, line_cpu, &prim[0], &thr[0]);
	for (unsigned i = 0; i < LAT_SAMPLES && ok; i++)
		ok = sample_latency(bl, line_cpu, &prim[i], &thr[i]);
	if (ok) {
		snprintf(what, sizeof(what), "%s_primary", where);
		figure_name(name, sizeof(name), bl, what);
		result_latency(name, prim, LAT_SAMPLES);
		snprintf(what, sizeof(what), "%s_threadfn", where);
		figure_name(name, sizeof(name), bl, what);
		result_latency(name, thr, LAT_SAMPLES);
	}
	kmem_free(prim, LAT_SAMPLES * sizeof(uint64_t));
	kmem_free(thr, LAT_SAMPLES * sizeof(uint64_t));
	return ok;
}

/*
 * Throughput: raise back to back on CPU 0, each raise once the previous
 * primary has run (for the self-IPI line it has before ipisrc_raise
 * returns), so that no raise coalesces and the count is exact.
 */
static bool
throughput_figures(struct bench_line *bl)
{
	unsigned base = bl->bl_prims;
	uint64_t t0, ns;
	char name[64];

	lwp_bind(curlwp, cpu_lookup(0));
	t0 = cpu_cycles();
	for (unsigned i = 1; i <= TPUT_IRQS; i++) {
		bl->bl_src->bs_raise(bl->bl_irq, bl->bl_ctx);
		if (!wait_count(bl, &bl->bl_prims, base + i))
			return false;
	}
	if (!wait_handled(bl, base + TPUT_IRQS))
		return false;
	ns = cycles_to_ns(cpu_cycles() - t0);
	figure_name(name, sizeof(name), bl, "throughput");
	result_spl(name, ns != 0 ? TPUT_IRQS * NS_PER_SEC / ns : 0, "irq/s");
	figure_name(name, sizeof(name), bl, "per_irq");
	result_spl(name, ns / TPUT_IRQS, "ns");
	return true;
}

/* One model on one source: latency from here and there, throughput. */
static bool
mode_figures(struct bench_line *bl, enum irq_mode mode)
{
	bool ok;

	if (!line_request(bl, mode))
		return false;
	ok = latency_figures(bl, 0, "self");
	if (ok && ncpu > 1)
		ok = latency_figures(bl, 1, "cross");
	if (ok)
		ok = throughput_figures(bl);
	free_irq(bl->bl_irq, bl);
	return ok;
}

/*
 * IRQ_MODE_LAZY when the thread function blocks, on a mutex the raiser
 * (on the line's CPU, so the one pinned) holds: from the function's
 * mutex_enter until the pinned raiser runs again (the thread becomes a
 * full LWP and unpins it), and from the raiser's mutex_exit until the
 * function holds the mutex (hand-off, wake-up, preemption, switch).
 */
static bool
lazy_block_figures(struct bench_line *bl)
{
	size_t size = LAT_SAMPLES * sizeof(uint64_t);
	uint64_t *unpin = kmem_alloc(size, KM_SLEEP);
	uint64_t *resume = kmem_alloc(size, KM_SLEEP);
	kmutex_t m;
	bool ok;

	mutex_init(&m, MUTEX_DEFAULT, IPL_NONE);
	ok = line_request(bl, IRQ_MODE_LAZY);
	bl->bl_block = &m;
	for (unsigned i = 0; ok && i < LAT_SAMPLES; i++) {
		unsigned want = bl->bl_prims + 1;
		uint64_t back, released;

		mutex_enter(&m);
		bl->bl_src->bs_raise(bl->bl_irq, bl->bl_ctx);
		ok = wait_count(bl, &bl->bl_prims, want);
		while (ok && __atomic_load_n(&bl->bl_block_at,
		    __ATOMIC_ACQUIRE) == 0)
			cpu_spin_pause();
		back = cpu_cycles();
		released = cpu_cycles();
		mutex_exit(&m);
		ok = ok && wait_count(bl, &bl->bl_thr_seen, want);
		unpin[i] = back - bl->bl_block_at;
		resume[i] = bl->bl_got_at - released;
		bl->bl_block_at = 0;
	}
	bl->bl_block = NULL;
	if (ok) {
		result_latency("irq_ipi_lazy_block_unpin", unpin, LAT_SAMPLES);
		result_latency("irq_ipi_lazy_block_resume", resume, LAT_SAMPLES);
	}
	free_irq(bl->bl_irq, bl);
	mutex_destroy(&m);
	kmem_free(unpin, size);
	kmem_free(resume, size);
	return ok;
}

/* Deferral by the IPL: hard model, raiser and line on CPU 0. */

struct defer_samples {
	uint64_t ds_undeferred[LAT_SAMPLES];
	uint64_t ds_deferred[LAT_SAMPLES];
	uint64_t ds_splx_to_prim[LAT_SAMPLES];
};

static bool
sample_undeferred(struct bench_line *bl, uint64_t *total)
{
	unsigned want = bl->bl_prims + 1;
	uint64_t t0 = cpu_cycles();

	bl->bl_src->bs_raise(bl->bl_irq, bl->bl_ctx);
	if (!wait_handled(bl, want))
		return false;
	*total = cpu_cycles() - t0;
	return true;
}

/* splvm, raise (held off), splx (taken): the whole, and splx to primary. */
static bool
sample_deferred(struct bench_line *bl, uint64_t *total, uint64_t *splx_to_prim)
{
	unsigned want = bl->bl_prims + 1;
	uint64_t t0 = cpu_cycles(), t1;
	ipl_t s = splvm();

	bl->bl_src->bs_raise(bl->bl_irq, bl->bl_ctx);
	t1 = cpu_cycles();
	splx(s);
	if (!wait_handled(bl, want))
		return false;
	*total = cpu_cycles() - t0;
	*splx_to_prim = __atomic_load_n(&bl->bl_prim_at, __ATOMIC_RELAXED) - t1;
	return true;
}

static bool
take_defer_samples(struct bench_line *bl, struct defer_samples *ds)
{
	uint64_t scratch;
	bool ok = true;

	for (unsigned i = 0; i < WARMUP && ok; i++)
		ok = sample_undeferred(bl, &scratch) &&
		    sample_deferred(bl, &scratch, &scratch);
	for (unsigned i = 0; i < LAT_SAMPLES && ok; i++)
		ok = sample_undeferred(bl, &ds->ds_undeferred[i]) &&
		    sample_deferred(bl, &ds->ds_deferred[i],
		    &ds->ds_splx_to_prim[i]);
	return ok;
}

static void
defer_result(const struct bench_line *bl, const char *what, uint64_t *cycles)
{
	char name[64];

	snprintf(name, sizeof(name), "irq_%s_%s", bl->bl_src->bs_name, what);
	result_latency(name, cycles, LAT_SAMPLES);
}

/*
 * What deferring costs beyond the level change: p50(deferred) -
 * p50(undeferred) - one splvm/splx pair (0 if negative).  The samples are
 * sorted by then, so [n / 2] is the p50.
 */
static void
defer_extra_result(const struct bench_line *bl, struct defer_samples *ds,
    uint64_t spl_vm_ns)
{
	uint64_t deferred = cycles_to_ns(ds->ds_deferred[LAT_SAMPLES / 2]);
	uint64_t undeferred = cycles_to_ns(ds->ds_undeferred[LAT_SAMPLES / 2]);
	char name[64];

	snprintf(name, sizeof(name), "irq_%s_defer_extra", bl->bl_src->bs_name);
	result_spl(name, deferred > undeferred + spl_vm_ns ?
	    deferred - undeferred - spl_vm_ns : 0, "ns");
}

static bool
defer_figures(struct bench_line *bl, uint64_t spl_vm_ns)
{
	struct defer_samples *ds;
	bool ok;

	if (!line_request(bl, IRQ_MODE_HARD))
		return false;
	ds = kmem_alloc(sizeof(*ds), KM_SLEEP);
	lwp_bind(curlwp, cpu_lookup(0));
	ok = take_defer_samples(bl, ds);
	free_irq(bl->bl_irq, bl);
	if (ok) {
		defer_result(bl, "undeferred", ds->ds_undeferred);
		defer_result(bl, "deferred", ds->ds_deferred);
		defer_result(bl, "deferred_splx_to_primary", ds->ds_splx_to_prim);
		defer_extra_result(bl, ds, spl_vm_ns);
	}
	kmem_free(ds, sizeof(*ds));
	return ok;
}

/* Every figure of one source; a source that is absent is skipped. */
static bool
source_figures(const struct bench_irq_source *src, uint64_t spl_vm_ns)
{
	struct bench_line *bl;
	int error = line_open(src, &bl);
	bool ok;

	if (error == -ENOENT) {
		kinfo("bench irq: no %s source: skipped", src->bs_name);
		return true;
	}
	if (error != 0) {
		kerr("bench irq: cannot open the %s source: %d", src->bs_name,
		    error);
		return false;
	}
	ok = mode_figures(bl, IRQ_MODE_HARD) &&
	    mode_figures(bl, IRQ_MODE_THREAD) &&
	    mode_figures(bl, IRQ_MODE_LAZY) &&
	    mode_figures(bl, IRQ_MODE_SOURCE) && defer_figures(bl, spl_vm_ns);
	if (ok && src == &bench_sources[0])
		ok = lazy_block_figures(bl);
	line_close(bl);
	return ok;
}

/* Level changes, uncontended, on this CPU: mean ns per pair. */

static uint64_t
spl_pair_ns(ipl_t ipl)
{
	uint64_t t0 = cpu_cycles();

	for (unsigned i = 0; i < SPL_LOOPS; i++) {
		ipl_t s = splraise(ipl);

		splx(s);
	}
	return cycles_to_ns(cpu_cycles() - t0) / SPL_LOOPS;
}

/* Returns the splvm/splx pair's cost, which defer_extra subtracts. */
static uint64_t
spl_figures(void)
{
	uint64_t vm = spl_pair_ns(IPL_VM);

	result_spl("spl_vm_pair", vm, "ns");
	result_spl("spl_sched_pair", spl_pair_ns(IPL_SCHED), "ns");
	result_spl("mutex_spin_vm_pair", bench_mutex_pair_ns(MUTEX_SPIN, IPL_VM),
	    "ns");
	return vm;
}

bool
bench_irq(void)
{
	unsigned storm_pct = irq_set_storm_budget(0);	/* dispatch only */
	uint64_t spl_vm_ns;
	bool ok = true;

	snprintf(spl_tail, sizeof(spl_tail), "_%s", spl_impl_name());
	lwp_set_priority(curlwp, PRI_RT_MIN);
	lwp_bind(curlwp, cpu_lookup(0));
	spl_vm_ns = spl_figures();
	for (size_t i = 0; i < nitems(bench_sources) && ok; i++)
		ok = source_figures(&bench_sources[i], spl_vm_ns);
	ok = ok && bench_irq_storm(spl_tail, storm_pct);
	irq_set_storm_budget(storm_pct);
	lwp_bind(curlwp, NULL);
	lwp_set_priority(curlwp, PRI_KERNEL);
	return ok;
}
