/*
 * trace_demo.c: run=trace:demo, a boot that captures a trace dump of
 * every dispatch model, for tools/trace2json and its host test.
 *
 * With tracing on, the main thread (bound to CPU 0) raises a self-IPI
 * line (include/ipisrc.h) once under each model, hard, thread, lazy and
 * source, each with a primary that returns IRQ_WAKE_THREAD and a thread
 * function that counts; schedules a soft interrupt; and raises a lazy
 * line whose thread function takes a mutex the main thread holds, so the
 * lazy thread pins the main thread, blocks (unpinning it), and is woken
 * by the main thread's mutex_exit.  Then it stops tracing, frees what it
 * made and dumps the rings (trace_dump).
 *
 * Locking: the handlers publish their counts with release stores; the
 * main thread waits for them with acquire loads, bounded.
 */
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <softint.h>
#include <string.h>
#include <time.h>
#include <trace.h>

#include <kern/run.h>

#define DEMO_WAIT_NS	(5 * NS_PER_SEC)

struct demo_line {
	const char *dl_name;
	enum irq_mode dl_mode;
	kmutex_t *dl_lock;		/* taken by the thread function */
	int dl_irq;
	volatile unsigned dl_done;	/* thread functions finished */
};

static irqreturn_t
demo_primary(int irq, void *arg)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t
demo_thread_fn(int irq, void *arg)
{
	struct demo_line *dl = arg;

	if (dl->dl_lock != NULL) {
		mutex_enter(dl->dl_lock);
		mutex_exit(dl->dl_lock);
	}
	__atomic_add_fetch(&dl->dl_done, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static volatile unsigned demo_softint_runs;

static void
demo_softint(void *arg)
{
	__atomic_add_fetch(&demo_softint_runs, 1, __ATOMIC_RELEASE);
}

static bool
wait_for(volatile unsigned *v, unsigned want, const char *what)
{
	uint64_t deadline = nanouptime() + DEMO_WAIT_NS;

	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		if (nanouptime() > deadline) {
			kerr("trace demo: %s did not run", what);
			return false;
		}
		yield();
	}
	return true;
}

static bool
line_open(struct demo_line *dl)
{
	cpuset_t cpu0 = cpuset_of(0);

	dl->dl_irq = ipisrc_create(dl->dl_name);
	if (dl->dl_irq < 0 ||
	    request_threaded_irq(dl->dl_irq, demo_primary, demo_thread_fn,
	    IRQF_MODE(dl->dl_mode), dl->dl_name, dl) != 0) {
		kerr("trace demo: cannot set up %s", dl->dl_name);
		return false;
	}
	return irq_set_affinity(dl->dl_irq, &cpu0) == 0;
}

static void
line_close(struct demo_line *dl)
{
	if (dl->dl_irq < 0)
		return;
	free_irq(dl->dl_irq, dl);
	ipisrc_destroy(dl->dl_irq);
}

/* The lazy line's thread function blocks on a mutex we hold. */
static bool
raise_blocking(struct demo_line *dl)
{
	mutex_enter(dl->dl_lock);
	ipisrc_raise(dl->dl_irq);	/* pins us, blocks, unpins us */
	mutex_exit(dl->dl_lock);	/* wakes it */
	return wait_for(&dl->dl_done, 1, dl->dl_name);
}

static bool
demo_scenario(struct demo_line *lines, size_t n, void *si)
{
	for (size_t i = 0; i < n; i++) {
		if (lines[i].dl_lock != NULL) {
			if (!raise_blocking(&lines[i]))
				return false;
			continue;
		}
		ipisrc_raise(lines[i].dl_irq);
		if (!wait_for(&lines[i].dl_done, 1, lines[i].dl_name))
			return false;
	}
	softint_schedule(si);
	return wait_for(&demo_softint_runs, 1, "the soft interrupt");
}

static bool
trace_demo(void)
{
	kmutex_t lock;
	struct demo_line lines[] = {
		{ .dl_name = "demo-hard", .dl_mode = IRQ_MODE_HARD },
		{ .dl_name = "demo-thread", .dl_mode = IRQ_MODE_THREAD },
		{ .dl_name = "demo-lazy", .dl_mode = IRQ_MODE_LAZY },
		{ .dl_name = "demo-source", .dl_mode = IRQ_MODE_SOURCE },
		{ .dl_name = "demo-lazyblock", .dl_mode = IRQ_MODE_LAZY,
		  .dl_lock = &lock },
	};
	const size_t n = sizeof(lines) / sizeof(lines[0]);
	void *si = softint_establish(SOFTINT_NET | SOFTINT_MPSAFE,
	    demo_softint, NULL);
	bool ok = true;

	mutex_init(&lock, MUTEX_DEFAULT, IPL_NONE);
	lwp_bind(curlwp, cpu_lookup(0));
	for (size_t i = 0; i < n; i++)
		lines[i].dl_irq = -1;
	for (size_t i = 0; i < n && ok; i++)
		ok = line_open(&lines[i]);
	if (ok) {
		trace_clear();
		trace_start();
		ok = demo_scenario(lines, n, si);
		trace_stop();
	}
	for (size_t i = 0; i < n; i++)
		line_close(&lines[i]);
	softint_disestablish(si);
	if (ok)
		trace_dump();
	return ok;
}

bool
trace_run(const char *name)
{
	if (strcmp(name, "demo") == 0)
		return trace_demo();
	kerr("trace: no trace action named '%s' (known: demo)", name);
	return false;
}
