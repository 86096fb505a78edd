/*
 * crash.c: deliberate rule-breaking for run=crash:NAME.
 *
 * Each entry breaks one rule that the kernel promises to catch (a lock
 * misuse, a fault, a stack overflow) so that the host-side tests
 * (tools/check) can boot a child kernel and check that it panics with the
 * promised message and a symbolized backtrace.  A crash that does not
 * crash returns, and the kernel reports failure.  The irq_* ones run a
 * handler that breaks a rule of its interrupt context, or faults there
 * (which fault isolation must not take): the panic must name the IRQ,
 * the handler, its function and its model.  The irq_nested_* ones do it
 * in a child of a nested demux (kern/irq_demux.c), whose handlers run in
 * the demux's thread under the rules of hard context (primary: a fault
 * there panics too) and of a thread that may not sleep (thread function).
 */
#include <condvar.h>
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <irq_demux.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <rwlock.h>
#include <softint.h>
#include <string.h>
#include <time.h>

#include <kern/run.h>

#define NOINLINE	__attribute__((noinline))

static NOINLINE void
crash_panic(void)
{
	panic("crash test: deliberate panic");
}

static NOINLINE void
crash_pagefault(void)
{
	volatile uintptr_t bad = 0x10;

	*(volatile int *)bad = 1;
}

static NOINLINE void
crash_kassert(void)
{
	volatile int two = 2;

	KASSERT(two == 3);
}

static kmutex_t crash_mutex;
static kmutex_t crash_spin;
static krwlock_t crash_rwlock;

static NOINLINE void
crash_mutex_exit_not_owner(void)
{
	mutex_init(&crash_mutex, MUTEX_DEFAULT, IPL_NONE);
	mutex_exit(&crash_mutex);
}

static NOINLINE void
crash_mutex_recursion(void)
{
	mutex_init(&crash_mutex, MUTEX_DEFAULT, IPL_NONE);
	mutex_enter(&crash_mutex);
	mutex_enter(&crash_mutex);
}

static NOINLINE void
crash_spin_then_sleep(void)
{
	mutex_init(&crash_spin, MUTEX_SPIN, IPL_VM);
	mutex_enter(&crash_spin);
	ksleep(NS_PER_MS);
}

static void
hold_and_sleep(void *arg)
{
	mutex_enter(&crash_mutex);
	ksleep(3600 * NS_PER_SEC);
}

static NOINLINE void
crash_spin_then_block(void)
{
	mutex_init(&crash_mutex, MUTEX_DEFAULT, IPL_NONE);
	mutex_init(&crash_spin, MUTEX_SPIN, IPL_VM);
	(void)lwp_create(hold_and_sleep, NULL, PRI_KERNEL + 1, NULL, 0,
	    "holder", NULL);
	while (mutex_owner(&crash_mutex) == NULL)
		ksleep(NS_PER_MS);
	ksleep(10 * NS_PER_MS);		/* let the holder fall asleep */
	mutex_enter(&crash_spin);
	mutex_enter(&crash_mutex);
}

static NOINLINE void
crash_rw_exit_not_owner(void)
{
	rw_init(&crash_rwlock);
	rw_exit(&crash_rwlock);
}

static NOINLINE void
crash_rw_recursion(void)
{
	rw_init(&crash_rwlock);
	rw_enter(&crash_rwlock, RW_WRITER);
	rw_enter(&crash_rwlock, RW_WRITER);
}

static NOINLINE unsigned
recurse_deeply(unsigned depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth == ~0U)	/* never: the guard page comes first */
		return 0;
	return recurse_deeply(depth + 1) + frame[0];
}

static void
overflow_thread(void *arg)
{
	printf("crash: recursing until the stack runs out\n");
	(void)recurse_deeply(0);
}

static NOINLINE void
crash_stack_overflow(void)
{
	struct lwp *l;

	if (lwp_create(overflow_thread, NULL, PRI_KERNEL, NULL, LWP_JOINABLE,
	    "overflow", &l) == 0)
		lwp_join(l);
}

static NOINLINE void
crash_kmem_write_after_free(void)
{
	volatile char *p = kmem_alloc(64, KM_SLEEP);

	kmem_free((void *)p, 64);
	p[5] = 1;
	(void)kmem_alloc(64, KM_SLEEP);
}

static NOINLINE void
crash_kmem_double_free(void)
{
	void *p = kmem_alloc(64, KM_SLEEP);

	kmem_free(p, 64);
	kmem_free(p, 64);
}

static NOINLINE void
crash_kmem_size_mismatch(void)
{
	kmem_free(kmem_alloc(100, KM_SLEEP), 40);
}

static NOINLINE void
crash_kmem_redzone(void)
{
	char *p = kmem_alloc(100, KM_SLEEP);

	memset(p, 0, 101);
	kmem_free(p, 100);
}

static volatile unsigned panickers_ready;

/* One per CPU, at real-time priority: they meet, then all panic at once. */
static void
panic_with_the_others(void *arg)
{
	__atomic_fetch_add(&panickers_ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&panickers_ready, __ATOMIC_SEQ_CST) < ncpu)
		;
	panic("crash test: cpu%u panics with the others", cpu_number());
}

static NOINLINE void
crash_panic_on_all_cpus(void)
{
	/* Outrank them until all exist, or ours would starve us. */
	lwp_set_priority(curlwp, PRI_RT_MIN + 1);
	for (unsigned i = 0; i < ncpu; i++)
		(void)lwp_create(panic_with_the_others, NULL, PRI_RT_MIN,
		    cpu_lookup(i), 0, "panicker", NULL);
	ksleep(NS_PER_SEC);
}

/*
 * Interrupt handlers that break the rules of their context (kern/irq.c):
 * each is requested on a self-IPI line under a model and raised once.
 */
static kmutex_t crash_adaptive;
static krwlock_t crash_rwlock;
static kcondvar_t crash_cv;

static NOINLINE irqreturn_t
thread_fn_cv_wait(int irq, void *dev)
{
	mutex_enter(&crash_adaptive);
	cv_wait(&crash_cv, &crash_adaptive);
	mutex_exit(&crash_adaptive);
	return IRQ_HANDLED;
}

static NOINLINE irqreturn_t
thread_fn_timed_sleep(int irq, void *dev)
{
	ksleep(NS_PER_MS);
	return IRQ_HANDLED;
}

static NOINLINE irqreturn_t
thread_fn_kmem_sleep(int irq, void *dev)
{
	kmem_free(kmem_alloc(64, KM_SLEEP), 64);
	return IRQ_HANDLED;
}

static NOINLINE irqreturn_t
thread_fn_mutex(int irq, void *dev)
{
	mutex_enter(&crash_adaptive);
	mutex_exit(&crash_adaptive);
	return IRQ_HANDLED;
}

static NOINLINE irqreturn_t
thread_fn_rwlock(int irq, void *dev)
{
	rw_enter(&crash_rwlock, RW_READER);
	rw_exit(&crash_rwlock);
	return IRQ_HANDLED;
}

/* A fault or failed KASSERT in hard context is not isolated: it panics. */
static NOINLINE irqreturn_t
thread_fn_null(int irq, void *dev)
{
	volatile uintptr_t bad = 0x10;

	return *(volatile int *)bad == 0 ? IRQ_HANDLED : IRQ_NONE;
}

static NOINLINE irqreturn_t
primary_kassert(int irq, void *dev)
{
	volatile int two = 2;

	KASSERTMSG(two == 3, "crash test: assertion in a primary handler");
	return IRQ_HANDLED;
}

static irqreturn_t wake_thread(int irq, void *dev) { return IRQ_WAKE_THREAD; }

static NOINLINE irqreturn_t
primary_mutex(int irq, void *dev)
{
	return thread_fn_mutex(irq, dev);
}

static void
raise_handler(irq_handler_t primary, irq_handler_t thread_fn,
    enum irq_mode mode)
{
	int irq = ipisrc_create("crash");
	int error;

	mutex_init(&crash_adaptive, MUTEX_DEFAULT, IPL_NONE);
	rw_init(&crash_rwlock);
	cv_init(&crash_cv, "crashcv");
	if (irq < 0)
		panic("crash: no self-IPI line: %d", irq);
	error = request_threaded_irq(irq, primary, thread_fn, IRQF_MODE(mode),
	    "crasher", &crash_cv);
	if (error != 0)
		panic("crash: request_threaded_irq: %d", error);
	ipisrc_raise(irq);
	ksleep(NS_PER_SEC);
}

/* A demux with one child, always pending, on a self-IPI line. */
static uint32_t
crash_demux_pending(void *arg)
{
	return 1;
}

static void crash_demux_mask(void *arg, unsigned child) { }

static const struct irq_demux_ops crash_demux_ops = {
	.dmo_pending = crash_demux_pending,
	.dmo_mask = crash_demux_mask,
	.dmo_unmask = crash_demux_mask,
};

static void
raise_nested(irq_handler_t primary, irq_handler_t thread_fn,
    unsigned long flags)
{
	int irq = ipisrc_create("crash");
	struct irq_demux *dm;
	int error;

	mutex_init(&crash_adaptive, MUTEX_DEFAULT, IPL_NONE);
	if (irq < 0)
		panic("crash: no self-IPI line: %d", irq);
	error = irq_demux_create(irq, 1, &crash_demux_ops, NULL, "crashdm", 0,
	    IRQ_DEMUX_NESTED, &dm);
	if (error == 0)
		error = request_threaded_irq(irq_demux_child_irq(dm, 0),
		    primary, thread_fn, flags, "crasher", &crash_cv);
	if (error != 0)
		panic("crash: nested demux: %d", error);
	ipisrc_raise(irq);
	ksleep(NS_PER_SEC);
}

static void crash_irq_nested_primary_mutex(void) { raise_nested(primary_mutex, NULL, 0); }
static void crash_irq_nested_primary_fault(void) { raise_nested(thread_fn_null, NULL, 0); }

/* Even IRQF_SLEEPABLE in IRQ_MODE_THREAD may not sleep nested. */
static void
crash_irq_nested_sleep(void)
{
	raise_nested(wake_thread, thread_fn_timed_sleep,
	    IRQF_SLEEPABLE | IRQF_MODE(IRQ_MODE_THREAD));
}

static void crash_irq_thread_cv_wait(void) { raise_handler(wake_thread, thread_fn_cv_wait, IRQ_MODE_THREAD); }
static void crash_irq_thread_timed_sleep(void) { raise_handler(wake_thread, thread_fn_timed_sleep, IRQ_MODE_THREAD); }
static void crash_irq_thread_kmem_sleep(void) { raise_handler(wake_thread, thread_fn_kmem_sleep, IRQ_MODE_THREAD); }
static void crash_irq_hard_mutex(void) { raise_handler(wake_thread, thread_fn_mutex, IRQ_MODE_HARD); }
static void crash_irq_hard_rwlock(void) { raise_handler(wake_thread, thread_fn_rwlock, IRQ_MODE_HARD); }
static void crash_irq_hard_cv_wait(void) { raise_handler(wake_thread, thread_fn_cv_wait, IRQ_MODE_HARD); }
static void crash_irq_primary_mutex(void) { raise_handler(primary_mutex, NULL, IRQ_MODE_HARD); }
static void crash_irq_hard_fault(void) { raise_handler(wake_thread, thread_fn_null, IRQ_MODE_HARD); }
static void crash_irq_primary_kassert(void) { raise_handler(primary_kassert, NULL, IRQ_MODE_HARD); }
static void crash_irq_lazy_cv_wait(void) { raise_handler(wake_thread, thread_fn_cv_wait, IRQ_MODE_LAZY); }
static void crash_irq_source_timed_sleep(void) { raise_handler(wake_thread, thread_fn_timed_sleep, IRQ_MODE_SOURCE); }

static NOINLINE void
softint_sleeps(void *arg)
{
	ksleep(NS_PER_MS);
}

static void
crash_softint_sleep(void)
{
	void *si = softint_establish(SOFTINT_NET | SOFTINT_MPSAFE,
	    softint_sleeps, NULL);

	softint_schedule(si);
	ksleep(NS_PER_SEC);
}

static const struct {
	const char *name;
	void (*fn)(void);
} crashes[] = {
	{ "panic", crash_panic },
	{ "irq_lazy_cv_wait", crash_irq_lazy_cv_wait },
	{ "irq_source_timed_sleep", crash_irq_source_timed_sleep },
	{ "softint_sleep", crash_softint_sleep },
	{ "pagefault", crash_pagefault },
	{ "kassert", crash_kassert },
	{ "mutex_exit_not_owner", crash_mutex_exit_not_owner },
	{ "mutex_recursion", crash_mutex_recursion },
	{ "spin_then_sleep", crash_spin_then_sleep },
	{ "spin_then_block", crash_spin_then_block },
	{ "rw_exit_not_owner", crash_rw_exit_not_owner },
	{ "rw_recursion", crash_rw_recursion },
	{ "stack_overflow", crash_stack_overflow },
	{ "panic_on_all_cpus", crash_panic_on_all_cpus },
	{ "kmem_write_after_free", crash_kmem_write_after_free },
	{ "kmem_double_free", crash_kmem_double_free },
	{ "kmem_size_mismatch", crash_kmem_size_mismatch },
	{ "kmem_redzone", crash_kmem_redzone },
	{ "irq_thread_cv_wait", crash_irq_thread_cv_wait },
	{ "irq_thread_timed_sleep", crash_irq_thread_timed_sleep },
	{ "irq_thread_kmem_sleep", crash_irq_thread_kmem_sleep },
	{ "irq_hard_mutex", crash_irq_hard_mutex },
	{ "irq_hard_rwlock", crash_irq_hard_rwlock },
	{ "irq_hard_cv_wait", crash_irq_hard_cv_wait },
	{ "irq_primary_mutex", crash_irq_primary_mutex },
	{ "irq_hard_fault", crash_irq_hard_fault },
	{ "irq_primary_kassert", crash_irq_primary_kassert },
	{ "irq_nested_primary_mutex", crash_irq_nested_primary_mutex },
	{ "irq_nested_sleep", crash_irq_nested_sleep },
	{ "irq_nested_primary_fault", crash_irq_nested_primary_fault },
};

void
crash_run(const char *name)
{
	for (size_t i = 0; i < nitems(crashes); i++) {
		if (strcmp(crashes[i].name, name) == 0) {
			printf("crash: %s\n", name);
			crashes[i].fn();
			kerr("crash: '%s' did not crash the kernel", name);
			return;
		}
	}
	kerr("crash: no crash test named '%s'", name);
}
