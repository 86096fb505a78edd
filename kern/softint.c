/*
 * softint.c: soft interrupts (include/softint.h).
 *
 * Design.  A soft interrupt has one unit of work per CPU (struct
 * softint_cpu, kern/intr_lazy.h's work protocol).  softint_schedule marks
 * this CPU's unit due and, if nobody had it, queues it on the CPU's level
 * queue; the lazy interrupt threads of that level (kern/intr_lazy.c) run
 * it when the CPU's level drops below the soft interrupt's, borrowing the
 * context of the LWP that runs there.  So a soft interrupt scheduled from
 * a hard interrupt handler runs as that interrupt returns (if it returns
 * to a lower level), and one scheduled under splsoftnet() or a spin mutex
 * runs at the splx that ends it: NetBSD's "fast" soft interrupts.  The
 * protocol makes a handler run once per due mark, never twice at once on
 * one CPU, and a blocked handler does not hold back its level (spare
 * threads); see intr_lazy.h.
 *
 * Faults: every handler runs under a catch (kern/isolate.h).  One that
 * faults (an exception or a failed KASSERT) is killed: the report is kept
 * with the interrupt handlers' (irq_fault_get, kind "softint"), the
 * handler is never called again, later schedules of it are counted and
 * dropped, and the thread that ran it goes back to its level, resuming
 * the LWP it had pinned.  The driver still disestablishes it as usual.
 *
 * softint_disestablish sets si_dying and waits, on the channel si, until
 * every CPU's unit is idle; a runner that leaves a unit idle while some
 * disestablish waits (the global count disestablishing) wakes the channel
 * without touching si again, as it may be freed at once.
 *
 * Locking.  The units' states are atomic; the level queues have their own
 * locks.  softint_giant (adaptive) serialises handlers established
 * without SOFTINT_MPSAFE.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <softint.h>
#include <printf.h>
#include <spl.h>
#include <string.h>
#include <trace.h>

#include <kern/intr_lazy.h>
#include <kern/isolate.h>
#include <kern/ksyms.h>
#include <kern/lwp_impl.h>

#include <machine/cpuvar.h>

struct softint;

struct softint_cpu {
	struct intr_work sc_work;
	struct softint *sc_si;
};

struct softint {
	void (*si_func)(void *);
	void *si_arg;
	unsigned si_flags;
	ipl_t si_ipl;
	volatile bool si_dying;
	volatile bool si_dead;		/* it faulted: never called again */
	char si_name[32];		/* its function, for fault reports */
	uint64_t si_runs;		/* atomic */
	uint64_t si_dropped;		/* atomic: due runs skipped, dead */
	struct softint_cpu si_cpu[MAXCPUS];
};

static kmutex_t softint_giant;
static bool giant_ready;
static unsigned disestablishing;	/* softint_disestablish calls waiting */

static const ipl_t level_ipl[] = {
	[SOFTINT_CLOCK] = IPL_SOFTCLOCK, [SOFTINT_BIO] = IPL_SOFTBIO,
	[SOFTINT_NET] = IPL_SOFTNET, [SOFTINT_SERIAL] = IPL_SOFTSERIAL,
};

static void softint_run(struct intr_work *iw);

static const struct intr_work_ops softint_ops = {
	.iwo_run = softint_run,
};

static void
call_isolated(void *arg)
{
	struct softint *si = arg;

	si->si_func(si->si_arg);
}

/* Kill si after its fault r (logged already by isolate_call). */
static void
handler_died(struct softint *si, const struct fault_report *r)
{
	si->si_dead = true;
	kerr("softint %s: killed by fault #%u; later schedules are dropped "
	    "until it is disestablished", si->si_name, r->fr_info.fi_seq);
}

static void
call_handler(struct softint *si)
{
	struct lwp *l = curlwp;
	bool giant = !(si->si_flags & SOFTINT_MPSAFE);
	const struct fault_who who = {
		.fw_kind = "softint", .fw_irq = -1, .fw_name = si->si_name,
		.fw_model = "softint", .fw_fn = (void *)si->si_func,
	};
	const struct fault_report *r;

	if (si->si_dead) {
		__atomic_fetch_add(&si->si_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	l->l_softint = si;
	TRACE(TRACE_SOFTINT_START, si->si_ipl, si->si_func, si);
	if (giant)
		mutex_enter(&softint_giant);
	r = isolate_call(call_isolated, si, &who);
	if (giant)
		mutex_exit(&softint_giant);
	l->l_softint = NULL;
	TRACE(TRACE_SOFTINT_END, si->si_ipl, si->si_func, si);
	if (r != NULL)
		handler_died(si, r);
	else
		__atomic_fetch_add(&si->si_runs, 1, __ATOMIC_RELAXED);
}

/*
 * A level thread popped this CPU's unit: claim, run until no longer due,
 * then drop the queue mark (re-queueing a schedule that found it marked).
 */
static void
softint_run(struct intr_work *iw)
{
	struct softint_cpu *sc = container_of(iw, struct softint_cpu, sc_work);
	struct softint *si = sc->sc_si;

	if (intr_work_claim(iw)) {
		do
			call_handler(si);
		while (intr_work_release(iw));
	}
	switch (intr_work_unqueue(iw)) {
	case IW_REQUEUE:
		intr_lazy_queue(curcpu(), si->si_ipl, iw);
		break;
	case IW_WENT_IDLE:
		if (__atomic_load_n(&disestablishing, __ATOMIC_SEQ_CST) != 0)
			sleepq_wakeup(si, ~0U);	/* si as a channel only */
		break;
	case IW_TAKEN:
		break;
	}
}

static void
name_handler(struct softint *si)
{
	uintptr_t off;
	const char *sym = ksym_lookup((uintptr_t)si->si_func, &off);

	if (sym != NULL && off == 0)
		strlcpy(si->si_name, sym, sizeof(si->si_name));
	else
		ksym_format((uintptr_t)si->si_func, si->si_name,
		    sizeof(si->si_name));
}

void *
softint_establish(unsigned flags, void (*func)(void *), void *arg)
{
	unsigned level = flags & SOFTINT_LVLMASK;
	struct softint *si;

	KASSERTMSG(!cpu_intr_p(), "softint_establish from interrupt context");
	if (level >= nitems(level_ipl) ||
	    (flags & ~(SOFTINT_LVLMASK | SOFTINT_MPSAFE)) != 0 || func == NULL) {
		kwarn("softint_establish: bad flags %#x or no function", flags);
		return NULL;
	}
	if (!__atomic_exchange_n(&giant_ready, true, __ATOMIC_ACQ_REL))
		mutex_init(&softint_giant, MUTEX_DEFAULT, IPL_NONE);
	si = kmem_zalloc(sizeof(*si), KM_SLEEP);
	si->si_func = func;
	si->si_arg = arg;
	si->si_flags = flags;
	si->si_ipl = level_ipl[level];
	name_handler(si);
	for (unsigned i = 0; i < MAXCPUS; i++) {
		intr_work_init(&si->si_cpu[i].sc_work, &softint_ops);
		si->si_cpu[i].sc_si = si;
	}
	return si;
}

void
softint_schedule_cpu(void *cookie, struct cpu_info *ci)
{
	struct softint *si = cookie;
	struct softint_cpu *sc = &si->si_cpu[cpu_index(ci)];
	ipl_t s;

	KASSERTMSG(!si->si_dying, "softint_schedule of %p while it is being "
	    "disestablished", si);
	s = splhigh();
	if (intr_work_due(&sc->sc_work))
		intr_lazy_queue(ci, si->si_ipl, &sc->sc_work);
	splx(s);			/* runs it now if our level allows */
}

void
softint_schedule(void *cookie)
{
	ipl_t s = splhigh();

	softint_schedule_cpu(cookie, curcpu());
	splx(s);
}

static bool
all_idle(struct softint *si)
{
	for (unsigned i = 0; i < ncpu; i++)
		if (!intr_work_idle(&si->si_cpu[i].sc_work))
			return false;
	return true;
}

void
softint_disestablish(void *cookie)
{
	struct softint *si = cookie;

	KASSERTMSG(!cpu_intr_p(), "softint_disestablish from interrupt context");
	KASSERTMSG(curlwp->l_softint != si,
	    "softint_disestablish of %p from its own handler", si);
	__atomic_store_n(&si->si_dying, true, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&disestablishing, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(si);

		if (all_idle(si)) {
			sleepq_unlock(sc);
			break;
		}
		sleepq_block(sc, si, "softdis", 0);
	}
	__atomic_fetch_sub(&disestablishing, 1, __ATOMIC_SEQ_CST);
	kmem_free(si, sizeof(*si));
}

uint64_t
softint_runs(void *cookie)
{
	struct softint *si = cookie;

	return __atomic_load_n(&si->si_runs, __ATOMIC_RELAXED);
}

bool
softint_faulted(void *cookie, uint64_t *dropped)
{
	struct softint *si = cookie;

	if (dropped != NULL)
		*dropped = __atomic_load_n(&si->si_dropped, __ATOMIC_RELAXED);
	return si->si_dead;
}

const char *
softint_describe(const struct softint *si, char *buf, size_t size)
{
	snprintf(buf, size, "%s at %s%s", si->si_name, ipl_name(si->si_ipl),
	    si->si_dead ? " (dead of a fault)" : "");
	return buf;
}
