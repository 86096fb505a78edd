/*
 * xcall.c: cross calls, running a function on other CPUs (include/xcall.h).
 *
 * Design.  One request at a time system-wide: the caller takes xc_lock
 * (spinning with interrupts enabled, so that it keeps answering requests
 * aimed at it), publishes the function, argument and the set of target
 * CPUs, sends each an IPI_CALL, runs the function itself if it is a target,
 * and waits until every target has cleared its bit.  Targets run the
 * function in hard interrupt context.
 *
 * Locking.  xc_lock (a simplelock taken with interrupts enabled, by try
 * only) serialises callers; xc_pending is updated atomically by targets.
 */
#include <cpu.h>
#include <kassert.h>
#include <lwp.h>
#include <xcall.h>

#include <kern/lwp_impl.h>
#include <kern/main.h>
#include <kern/md.h>
#include <kern/simplelock.h>

static struct simplelock xc_lock = SIMPLELOCK_INITIALIZER;
static xcfunc_t volatile xc_func;
static void *volatile xc_arg;
static volatile uint64_t xc_pending;

static void
xc_ipi(void)
{
	uint64_t me = 1ULL << cpu_number();

	if (!(__atomic_load_n(&xc_pending, __ATOMIC_ACQUIRE) & me))
		return;
	xc_func(xc_arg);
	__atomic_fetch_and(&xc_pending, ~me, __ATOMIC_RELEASE);
}

void
xc_init(void)
{
	cpu_xcall_establish(xc_ipi);
}

void
xc_multicast(const cpuset_t *set, xcfunc_t fn, void *arg)
{
	unsigned self;
	uint64_t targets = 0;

	KASSERTMSG(intr_enabled() && !cpu_intr_p(),
	    "xc_multicast: needs thread context with interrupts enabled");
	kpreempt_disable();
	while (!simple_lock_try(&xc_lock))
		cpu_spin_pause();
	self = cpu_number();
	for (unsigned i = 0; i < ncpu; i++)
		if (cpuset_has(set, i) && i != self && cpu_ready(cpu_infos[i]))
			targets |= 1ULL << i;
	xc_func = fn;
	xc_arg = arg;
	__atomic_store_n(&xc_pending, targets, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < ncpu; i++)
		if (targets & (1ULL << i))
			cpu_send_xcall(cpu_infos[i]);
	if (cpuset_has(set, self)) {
		uint64_t was = intr_save();

		fn(arg);
		intr_restore(was);
	}
	while (__atomic_load_n(&xc_pending, __ATOMIC_ACQUIRE) != 0)
		cpu_spin_pause();
	simple_unlock(&xc_lock);
	kpreempt_enable();
}

void
xc_unicast(struct cpu_info *ci, xcfunc_t fn, void *arg)
{
	cpuset_t set = cpuset_of(cpu_index(ci));

	xc_multicast(&set, fn, arg);
}

void
xc_broadcast(xcfunc_t fn, void *arg)
{
	cpuset_t set;

	cpuset_zero(&set);
	for (unsigned i = 0; i < ncpu; i++)
		cpuset_add(&set, i);
	xc_multicast(&set, fn, arg);
}
