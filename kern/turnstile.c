/*
 * turnstile.c: where LWPs wait for adaptive mutexes and rwlocks, with
 * priority inheritance.
 *
 * Design (after Solaris).  Every LWP owns one turnstile it can lend.  The
 * first LWP to block on a lock lends its turnstile to the lock; later ones
 * put theirs on that turnstile's free list.  A woken LWP takes one back (the
 * last one takes the lock's own), so blocking never allocates.  Active
 * turnstiles are found by hashing the lock's address.
 *
 * Each turnstile has two queues (writers/mutex waiters and readers), each
 * sorted by effective priority, highest first, FIFO among equals.  A
 * turnstile whose lock has a known owner (a mutex, a write-held rwlock) is
 * on the owner's l_pi_held list, and the owner's effective priority is the
 * highest of its base priority and the first waiter of every turnstile it
 * holds.  When an LWP blocks, its priority is lent along the chain
 * owner -> the turnstile the owner is blocked on -> that lock's owner ...
 * (transitive inheritance); a chain that comes back to the blocking LWP is
 * a deadlock and panics, naming the LWPs.  When a lock is handed over, the
 * old owner's priority is re-derived from what it still holds.
 *
 * Locks are handed off: the releaser picks the waiters that get the lock,
 * writes them into the lock word and wakes them, so a woken LWP never has
 * to compete again and locks go to waiters in priority order.
 *
 * Locking.  One lock, turnstile_lock (simplelock, IPL_SCHED, counted as a
 * spin section), covers every turnstile, the hash, l_blocked, l_pi_held and
 * inheritance changes to l_pri.  It is simple and, with few CPUs, cheap; it
 * is taken only on contention.  Order: turnstile_lock, then a schedlock.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <lwp.h>
#include <printf.h>
#include <trace.h>

#include <kern/lwp_impl.h>
#include <kern/simplelock.h>

#include <machine/cpuvar.h>

#define TS_HASH		64
#define TS_CHAIN_MAX	64	/* longest inheritance chain we follow */

struct turnstile {
	struct list_head ts_link;	/* hash chain, or a free list */
	const void *ts_obj;		/* the lock, while active */
	struct lwp *ts_owner;		/* who waiters lend to, or NULL */
	struct list_head ts_held;	/* on ts_owner->l_pi_held */
	struct list_head ts_queue[2];	/* sorted by l_pri, high first */
	unsigned ts_nwaiters[2];
	struct list_head ts_free;	/* spares lent by later waiters */
};

static struct simplelock turnstile_lock = SIMPLELOCK_INITIALIZER;
static struct list_head ts_hash[TS_HASH];

void
turnstile_init(void)
{
	for (unsigned i = 0; i < TS_HASH; i++)
		list_init(&ts_hash[i]);
}

struct turnstile *
turnstile_alloc(void)
{
	struct turnstile *ts = kmem_zalloc(sizeof(*ts), KM_SLEEP);

	list_init(&ts->ts_link);
	list_init(&ts->ts_held);
	list_init(&ts->ts_queue[0]);
	list_init(&ts->ts_queue[1]);
	list_init(&ts->ts_free);
	return ts;
}

void
turnstile_free(struct turnstile *ts)
{
	KASSERTMSG(ts->ts_obj == NULL && list_empty(&ts->ts_free),
	    "freeing an active turnstile %p", ts);
	kmem_free(ts, sizeof(*ts));
}

void
turnstile_lock_enter(void)
{
	spin_section_enter(IPL_SCHED);
	simple_lock(&turnstile_lock);
}

void
turnstile_lock_exit(void)
{
	simple_unlock(&turnstile_lock);
	spin_section_exit();
}

static struct list_head *
hash_chain(const void *obj)
{
	return &ts_hash[((uintptr_t)obj >> 4) % TS_HASH];
}

static struct turnstile *
ts_lookup(const void *obj)
{
	struct list_head *p, *chain = hash_chain(obj);

	list_foreach(p, chain) {
		struct turnstile *ts = list_entry(p, struct turnstile, ts_link);

		if (ts->ts_obj == obj)
			return ts;
	}
	return NULL;
}

bool
lwp_running(const struct lwp *l)
{
	struct cpu_info *ci = l->l_cpu;

	/* l may be stale (its owner let go of the lock): trust no pointer. */
	for (unsigned i = 0; i < ncpu; i++)
		if (cpu_infos[i] == ci)
			return ci->ci_curlwp == l;
	return false;
}

static struct lwp *
queue_first(struct turnstile *ts, int q)
{
	if (list_empty(&ts->ts_queue[q]))
		return NULL;
	return list_first_entry(&ts->ts_queue[q], struct lwp, l_sleepchain);
}

static void
queue_insert(struct turnstile *ts, int q, struct lwp *l)
{
	struct list_head *p;

	list_foreach(p, &ts->ts_queue[q])
		if (list_entry(p, struct lwp, l_sleepchain)->l_pri < l->l_pri)
			break;
	list_add_before(p, &l->l_sleepchain);
}

static int
lwp_queue_of(const struct turnstile *ts, const struct lwp *l)
{
	const struct list_head *p;

	list_foreach(p, &ts->ts_queue[TS_READER_Q])
		if (p == &l->l_sleepchain)
			return TS_READER_Q;
	return TS_WRITER_Q;
}

/* The effective priority l should have: base, or the best it holds up. */
static int
inherited_pri(const struct lwp *l)
{
	int pri = l->l_base_pri;
	const struct list_head *p;

	list_foreach(p, &l->l_pi_held) {
		struct turnstile *ts = list_entry(p, struct turnstile, ts_held);

		for (int q = 0; q < 2; q++) {
			struct lwp *w = queue_first(ts, q);

			if (w != NULL && w->l_pri > pri)
				pri = w->l_pri;
		}
	}
	return pri;
}

/* Give l priority pri, keeping the queue l waits in (or its run queue) sorted. */
static void
set_pri(struct lwp *l, int pri)
{
	struct turnstile *ts = l->l_blocked;

	if (l->l_pri == pri)
		return;
	if (ts != NULL) {
		int q = lwp_queue_of(ts, l);

		list_del_init(&l->l_sleepchain);
		l->l_pri = pri;
		queue_insert(ts, q, l);
	} else {
		sched_change_pri(l, pri);
	}
}

/* Re-derive priorities from l up the chain of owners it waits for. */
static void
propagate(struct lwp *l)
{
	for (unsigned hops = 0; l != NULL && hops < TS_CHAIN_MAX; hops++) {
		int pri = inherited_pri(l);

		if (pri == l->l_pri && hops > 0)
			return;
		set_pri(l, pri);
		if (l->l_blocked == NULL)
			return;
		l = l->l_blocked->ts_owner;
	}
}

/* Blocking l on a lock owned by owner must not close a cycle of waiters. */
static void
assert_no_deadlock(struct lwp *l, struct lwp *owner, const void *obj)
{
	unsigned hops = 0;

	for (struct lwp *o = owner; o != NULL && hops < TS_CHAIN_MAX; hops++) {
		KASSERTMSG(o != l, "deadlock: lwp %s blocking on %p waits, "
		    "through %u lock owner(s), for itself", l->l_name, obj, hops);
		o = o->l_blocked != NULL ? o->l_blocked->ts_owner : NULL;
	}
}

static void
set_owner(struct turnstile *ts, struct lwp *owner)
{
	if (ts->ts_owner == owner)
		return;
	if (ts->ts_owner != NULL) {
		struct lwp *old = ts->ts_owner;

		list_del_init(&ts->ts_held);
		ts->ts_owner = NULL;
		propagate(old);
	}
	ts->ts_owner = owner;
	if (owner != NULL)
		list_add_tail(&owner->l_pi_held, &ts->ts_held);
}

static struct turnstile *
activate(const void *obj, struct lwp *l)
{
	struct turnstile *ts = ts_lookup(obj);

	if (ts == NULL) {
		ts = l->l_ts;
		ts->ts_obj = obj;
		list_add_tail(hash_chain(obj), &ts->ts_link);
	} else {
		list_add_tail(&ts->ts_free, &l->l_ts->ts_link);
	}
	l->l_ts = NULL;
	return ts;
}

void
turnstile_block(const void *obj, int q, struct lwp *owner, const char *what)
{
	struct lwp *l = curlwp;
	struct cpu_data *cd = &curcpu()->ci_data;
	struct turnstile *ts;
	ipl_t s;

	KASSERT(simple_lock_held(&turnstile_lock));
	KASSERTMSG(cd->cpu_mtx_count == 1,
	    "lwp %s blocking on %s %p with %d spin mutex(es) held",
	    l->l_name, what, obj, cd->cpu_mtx_count - 1);
	assert_no_deadlock(l, owner, obj);
	ts = activate(obj, l);
	queue_insert(ts, q, l);
	ts->ts_nwaiters[q]++;
	l->l_blocked = ts;
	l->l_wchan = obj;
	l->l_wmesg = what;
	l->l_stat = LSSLEEP;
	set_owner(ts, owner);
	if (owner != NULL)
		propagate(owner);
	TRACE(TRACE_BLOCK, q, obj, owner != NULL ? owner->l_lid : 0);
	s = spin_section_handoff();
	simple_unlock(&turnstile_lock);
	sched_switch();
	splx(s);
}

unsigned
turnstile_waiters(const void *obj, int q)
{
	struct turnstile *ts = ts_lookup(obj);

	return ts != NULL ? ts->ts_nwaiters[q] : 0;
}

struct lwp *
turnstile_first(const void *obj, int q)
{
	struct turnstile *ts = ts_lookup(obj);

	return ts != NULL ? queue_first(ts, q) : NULL;
}

/* Give the woken l a turnstile back: a spare, or the lock's own if it was last. */
static void
return_turnstile(struct turnstile *ts, struct lwp *l)
{
	if (!list_empty(&ts->ts_free)) {
		struct list_head *p = ts->ts_free.next;

		list_del_init(p);
		l->l_ts = list_entry(p, struct turnstile, ts_link);
		return;
	}
	KASSERT(ts->ts_nwaiters[0] == 0 && ts->ts_nwaiters[1] == 0);
	list_del_init(&ts->ts_link);
	ts->ts_obj = NULL;
	l->l_ts = ts;
}

void
turnstile_handoff(const void *obj, int q, unsigned count, struct lwp *newowner)
{
	struct turnstile *ts = ts_lookup(obj);

	KASSERT(simple_lock_held(&turnstile_lock));
	KASSERTMSG(ts != NULL, "turnstile_handoff: nobody waits on %p", obj);
	/* set_owner re-derives the old owner's priority when it changes. */
	while (count-- > 0) {
		struct lwp *l = queue_first(ts, q);

		KASSERTMSG(l != NULL, "turnstile_handoff: too few waiters on %p", obj);
		list_del_init(&l->l_sleepchain);
		ts->ts_nwaiters[q]--;
		l->l_blocked = NULL;
		if (ts->ts_nwaiters[0] + ts->ts_nwaiters[1] == 0)
			set_owner(ts, NULL);
		return_turnstile(ts, l);
		TRACE_LWP(TRACE_WAKE, q, l, obj);
		sched_setrunnable(l);
	}
	if (ts->ts_obj != NULL) {
		set_owner(ts, newowner);
		if (newowner != NULL)
			propagate(newowner);
	}
}

void
turnstile_recompute_pri(struct lwp *l)
{
	turnstile_lock_enter();
	propagate(l);
	turnstile_lock_exit();
}
