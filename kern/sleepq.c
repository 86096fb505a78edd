/*
 * sleepq.c: sleep queues.
 *
 * Design.  An LWP sleeps on a wait channel, any address (a condvar, an
 * LWP, a lock).  Channels hash to one of SLEEPQ_CHAINS chains, each a list
 * of sleepers with a lock.  The protocol that makes wake-ups impossible to
 * lose: the sleeper locks the chain (sleepq_lock), checks or publishes its
 * condition, and sleepq_block queues it and switches away; a waker changes
 * the condition first and then locks the same chain to wake sleepers.
 * A sleep may have a deadline: a timer event on the sleeper's CPU takes it
 * off the queue and marks it timed out.
 *
 * Sleeping is for threads only: from hard interrupt context, or with any
 * spin lock held other than the chain's own, it panics naming the LWP.
 * (Interrupt threads get their own, stricter rule in the next issue.)
 *
 * Locking.  sc_lock (simplelock at IPL_SCHED, counted as a spin section)
 * covers the chain's list and, for LWPs on it, l_wchan, l_sleepq,
 * l_sleepchain and l_timedout.  Lock order: a chain, then a schedlock.
 */
#include <cpu.h>
#include <kassert.h>
#include <lwp.h>
#include <spl.h>
#include <time.h>

#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>
#include <kern/simplelock.h>

#include <machine/cpuvar.h>

#define SLEEPQ_CHAINS	64

struct sleepq_chain {
	struct simplelock sc_lock;
	struct list_head sc_sleepers;
} __aligned(64);

static struct sleepq_chain sleepq_chains[SLEEPQ_CHAINS];

void
sleepq_init(void)
{
	for (unsigned i = 0; i < SLEEPQ_CHAINS; i++) {
		simple_lock_init(&sleepq_chains[i].sc_lock);
		list_init(&sleepq_chains[i].sc_sleepers);
	}
}

static struct sleepq_chain *
chain_of(const void *wchan)
{
	uintptr_t h = (uintptr_t)wchan;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &sleepq_chains[(h >> 32) % SLEEPQ_CHAINS];
}

struct sleepq_chain *
sleepq_lock(const void *wchan)
{
	struct sleepq_chain *sc = chain_of(wchan);

	spin_section_enter(IPL_SCHED);
	simple_lock(&sc->sc_lock);
	return sc;
}

void
sleepq_unlock(struct sleepq_chain *sc)
{
	simple_unlock(&sc->sc_lock);
	spin_section_exit();
}

/* Take l off its chain and make it runnable.  Chain locked. */
static void
sleepq_remove(struct lwp *l)
{
	list_del_init(&l->l_sleepchain);
	l->l_sleepq = NULL;
	sched_setrunnable(l);
}

static void
sleep_timeout(struct timer_event *te, void *arg)
{
	struct lwp *l = arg;
	struct sleepq_chain *sc = l->l_sleepq;

	if (sc == NULL)
		return;
	simple_lock(&sc->sc_lock);
	if (l->l_sleepq == sc && l->l_stat == LSSLEEP) {
		l->l_timedout = true;
		sleepq_remove(l);
	}
	simple_unlock(&sc->sc_lock);
}

static void
assert_may_sleep(struct lwp *l, const void *wchan, const char *wmesg)
{
	struct cpu_data *cd = &curcpu()->ci_data;

	irq_forbid_sleep("sleep on", wmesg);
	KASSERTMSG(cd->cpu_intr_depth == 0,
	    "lwp %s sleeping on %s (%p) in hard interrupt context",
	    l->l_name, wmesg, wchan);
	KASSERTMSG(cd->cpu_mtx_count == 1,
	    "lwp %s sleeping with %d spin mutex(es) held (on %s, %p)",
	    l->l_name, cd->cpu_mtx_count - 1, wmesg, wchan);
	KASSERTMSG(!(l->l_flags & LW_IDLE), "the idle LWP %s may not sleep",
	    l->l_name);
}

int
sleepq_block(struct sleepq_chain *sc, const void *wchan, const char *wmesg,
    uint64_t deadline)
{
	struct lwp *l = curlwp;
	ipl_t s;

	assert_may_sleep(l, wchan, wmesg);
	s = spin_section_handoff();	/* the chain lock goes with us */
	l->l_wchan = wchan;
	l->l_wmesg = wmesg;
	l->l_sleepq = sc;
	l->l_timedout = false;
	list_add_tail(&sc->sc_sleepers, &l->l_sleepchain);
	l->l_stat = LSSLEEP;
	if (deadline != 0) {
		timer_event_init(&l->l_sleep_timer, sleep_timeout, l);
		timer_event_arm(&l->l_sleep_timer, deadline);
	}
	simple_unlock(&sc->sc_lock);
	/* A waker may make us runnable from here on: sched_switch copes. */
	sched_switch();
	if (deadline != 0)
		timer_event_cancel(&l->l_sleep_timer);
	splx(s);
	return l->l_timedout ? EWOULDBLOCK : 0;
}

static struct lwp *
highest_sleeper(struct sleepq_chain *sc, const void *wchan)
{
	struct lwp *best = NULL;
	struct list_head *p;

	list_foreach(p, &sc->sc_sleepers) {
		struct lwp *l = list_entry(p, struct lwp, l_sleepchain);

		if (l->l_wchan == wchan && (best == NULL || l->l_pri > best->l_pri))
			best = l;
	}
	return best;
}

unsigned
sleepq_wakeup(const void *wchan, unsigned max)
{
	struct sleepq_chain *sc = sleepq_lock(wchan);
	unsigned n = 0;
	struct lwp *l;

	while (n < max && (l = highest_sleeper(sc, wchan)) != NULL) {
		sleepq_remove(l);
		n++;
	}
	sleepq_unlock(sc);
	return n;
}

bool
sleepq_has_sleepers(const void *wchan)
{
	struct sleepq_chain *sc = sleepq_lock(wchan);
	bool any = highest_sleeper(sc, wchan) != NULL;

	sleepq_unlock(sc);
	return any;
}

void
ksleep_until(uint64_t deadline)
{
	struct lwp *l = curlwp;

	while (nanouptime() < deadline) {
		struct sleepq_chain *sc = sleepq_lock(l);

		(void)sleepq_block(sc, l, "ksleep", deadline);
	}
}

void
ksleep(uint64_t ns)
{
	ksleep_until(nanouptime() + ns);
}
