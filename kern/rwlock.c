/*
 * rwlock.c: reader/writer locks (see include/rwlock.h for the policy).
 *
 * The lock word (rw_owner) holds either the writer LWP with
 * RW_WRITE_LOCKED, or the reader count shifted by RW_READ_SHIFT, plus
 * RW_HAS_WAITERS (someone sleeps on the turnstile) and RW_WRITE_WANTED (a
 * writer sleeps; new readers must wait).  Fast paths are one
 * compare-and-swap.  Waiters set their flags under the turnstile lock and
 * the last releaser takes that lock when it sees RW_HAS_WAITERS, so no
 * wake-up is lost.  Release hands the lock over in the word before waking:
 * a releasing writer to all waiting readers if any, else to the first
 * writer; the last reader to the first writer.
 *
 * Locking.  The lock word; turnstile_lock on the slow paths.
 */
#include <cpu.h>
#include <kassert.h>
#include <lwp.h>
#include <rwlock.h>

#include <kern/irq_impl.h>
#include <kern/ksyms.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/simplelock.h>

#include <machine/cpuvar.h>

#define RW_MAGIC	0x72776c6bU
#define RW_READ_INCR	((uintptr_t)1 << RW_READ_SHIFT)

static inline struct lwp *
writer_of(uintptr_t w)
{
	return (w & RW_WRITE_LOCKED) ? (struct lwp *)(w & ~RW_FLAGS) : NULL;
}

static inline uintptr_t
readers_of(uintptr_t w)
{
	return (w & RW_WRITE_LOCKED) ? 0 : w >> RW_READ_SHIFT;
}

static const char *
rw_name(const krwlock_t *rw, char *buf, size_t size)
{
	return ksym_format((uintptr_t)rw, buf, size);
}

static bool
cas(krwlock_t *rw, uintptr_t *expect, uintptr_t new)
{
	return __atomic_compare_exchange_n(&rw->rw_owner, expect, new, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static void
rw_check(const krwlock_t *rw, const char *fn)
{
	char buf[64];

	KASSERTMSG(rw->rw_magic == RW_MAGIC, "%s: %s (%p) is not an initialised "
	    "rwlock", fn, rw_name(rw, buf, sizeof(buf)), rw);
}

void
rw_init(krwlock_t *rw)
{
	rw->rw_owner = 0;
	rw->rw_magic = RW_MAGIC;
}

void
rw_destroy(krwlock_t *rw)
{
	char buf[64];

	rw_check(rw, "rw_destroy");
	KASSERTMSG(rw->rw_owner == 0, "rw_destroy: %s is held",
	    rw_name(rw, buf, sizeof(buf)));
	rw->rw_magic = 0;
}

/* May op take the lock in state w right now? */
static bool
can_enter(uintptr_t w, krw_t op)
{
	if (op == RW_READER)
		return !(w & (RW_WRITE_LOCKED | RW_WRITE_WANTED));
	return w == 0;
}

static uintptr_t
entered(uintptr_t w, krw_t op, struct lwp *l)
{
	return op == RW_READER ? w + RW_READ_INCR : (uintptr_t)l | RW_WRITE_LOCKED;
}

bool
rw_tryenter(krwlock_t *rw, krw_t op)
{
	uintptr_t w = rw->rw_owner;

	rw_check(rw, "rw_tryenter");
	while (can_enter(w, op))
		if (cas(rw, &w, entered(w, op, curlwp)))
			return true;
	return false;
}

static void
assert_may_block(krwlock_t *rw, struct lwp *l)
{
	char buf[64];

	KASSERTMSG(spin_section_count() == 0,
	    "rw_enter: lwp %s blocking on rwlock %s while holding %d spin "
	    "mutex(es)", l->l_name, rw_name(rw, buf, sizeof(buf)),
	    spin_section_count());
}

/*
 * Under the turnstile lock: set our waiting flags.  Returns false if the
 * lock became available meanwhile (then retry), true if we must sleep.
 */
static bool
announce_waiter(krwlock_t *rw, krw_t op, uintptr_t *wp)
{
	uintptr_t w = rw->rw_owner;
	uintptr_t flags = RW_HAS_WAITERS |
	    (op == RW_WRITER ? RW_WRITE_WANTED : 0);

	for (;;) {
		if (can_enter(w, op))
			return false;
		if ((w & flags) == flags || cas(rw, &w, w | flags)) {
			*wp = w | flags;
			return true;
		}
	}
}

static void
rw_enter_slow(krwlock_t *rw, krw_t op, struct lwp *l)
{
	char buf[64];

	for (;;) {
		uintptr_t w = rw->rw_owner;
		struct lwp *writer = writer_of(w);

		if (can_enter(w, op)) {
			if (cas(rw, &w, entered(w, op, l)))
				return;
			continue;
		}
		KASSERTMSG(writer != l, "rw_enter: %s recursion by lwp %s "
		    "(it holds the write lock)", rw_name(rw, buf, sizeof(buf)),
		    l->l_name);
		if (writer != NULL && lwp_running(writer)) {
			cpu_spin_pause();
			continue;
		}
		assert_may_block(rw, l);
		turnstile_lock_enter();
		if (!announce_waiter(rw, op, &w)) {
			turnstile_lock_exit();
			continue;
		}
		turnstile_block(rw, op == RW_READER ? TS_READER_Q : TS_WRITER_Q,
		    writer_of(w), "rwlock");
		return;		/* handed over: we hold it */
	}
}

void
rw_enter(krwlock_t *rw, krw_t op)
{
	struct lwp *l = curlwp;
	uintptr_t w;

	rw_check(rw, "rw_enter");
	if (__predict_false(curcpu_intr_depth() != 0 || l->l_irqnested_primary)) {
		char buf[64];

		irq_forbid_block("rw_enter on rwlock", rw_name(rw, buf, sizeof(buf)));
	}
	w = rw->rw_owner;
	if (__predict_true(can_enter(w, op) && cas(rw, &w, entered(w, op, l))))
		return;
	rw_enter_slow(rw, op, l);
}

/*
 * Hand the lock to waiters.  Turnstile lock held; the caller's hold is the
 * last one.  A writer's release prefers waiting readers, a reader's the
 * first writer.
 */
static void
rw_handoff(krwlock_t *rw, bool from_writer)
{
	unsigned readers = turnstile_waiters(rw, TS_READER_Q);
	unsigned writers = turnstile_waiters(rw, TS_WRITER_Q);
	uintptr_t rest;

	if (readers > 0 && (from_writer || writers == 0)) {
		rest = writers > 0 ? RW_HAS_WAITERS | RW_WRITE_WANTED : 0;
		__atomic_store_n(&rw->rw_owner,
		    ((uintptr_t)readers << RW_READ_SHIFT) | rest, __ATOMIC_RELEASE);
		turnstile_handoff(rw, TS_READER_Q, readers, NULL);
	} else if (writers > 0) {
		struct lwp *next = turnstile_first(rw, TS_WRITER_Q);

		rest = (readers > 0 || writers > 1) ? RW_HAS_WAITERS : 0;
		rest |= writers > 1 ? RW_WRITE_WANTED : 0;
		__atomic_store_n(&rw->rw_owner,
		    (uintptr_t)next | RW_WRITE_LOCKED | rest, __ATOMIC_RELEASE);
		turnstile_handoff(rw, TS_WRITER_Q, 1, next);
	} else {
		__atomic_store_n(&rw->rw_owner, 0, __ATOMIC_RELEASE);
	}
}

static void
rw_exit_writer(krwlock_t *rw, struct lwp *l, uintptr_t w)
{
	char buf[64];

	KASSERTMSG(writer_of(w) == l, "rw_exit: %s write-held by %s, not owned "
	    "by lwp %s", rw_name(rw, buf, sizeof(buf)), writer_of(w)->l_name,
	    l->l_name);
	if (!(w & RW_HAS_WAITERS) && cas(rw, &w, 0))
		return;
	turnstile_lock_enter();
	rw_handoff(rw, true);
	turnstile_lock_exit();
}

static void
rw_exit_reader(krwlock_t *rw, struct lwp *l, uintptr_t w)
{
	char buf[64];

	for (;;) {
		KASSERTMSG(readers_of(w) > 0, "rw_exit: %s not held (by lwp %s "
		    "or anyone)", rw_name(rw, buf, sizeof(buf)), l->l_name);
		if (readers_of(w) > 1 || !(w & RW_HAS_WAITERS)) {
			uintptr_t new = w - RW_READ_INCR;

			if (readers_of(w) == 1)
				new = 0;
			if (cas(rw, &w, new))
				return;
			continue;
		}
		/* The last reader, with waiters: hand over under the lock. */
		turnstile_lock_enter();
		w = rw->rw_owner;
		if (readers_of(w) == 1) {
			rw_handoff(rw, false);
			turnstile_lock_exit();
			return;
		}
		turnstile_lock_exit();
	}
}

void
rw_exit(krwlock_t *rw)
{
	uintptr_t w;

	rw_check(rw, "rw_exit");
	w = rw->rw_owner;
	if (w & RW_WRITE_LOCKED)
		rw_exit_writer(rw, curlwp, w);
	else
		rw_exit_reader(rw, curlwp, w);
}

void
rw_downgrade(krwlock_t *rw)
{
	uintptr_t w = rw->rw_owner;
	unsigned readers, writers;
	char buf[64];

	rw_check(rw, "rw_downgrade");
	KASSERTMSG(writer_of(w) == curlwp, "rw_downgrade: %s not write-held by "
	    "lwp %s", rw_name(rw, buf, sizeof(buf)), curlwp->l_name);
	if (!(w & RW_HAS_WAITERS) && cas(rw, &w, RW_READ_INCR))
		return;
	turnstile_lock_enter();
	readers = turnstile_waiters(rw, TS_READER_Q);
	writers = turnstile_waiters(rw, TS_WRITER_Q);
	__atomic_store_n(&rw->rw_owner,
	    ((uintptr_t)(readers + 1) << RW_READ_SHIFT) |
	    (writers > 0 ? RW_HAS_WAITERS | RW_WRITE_WANTED : 0), __ATOMIC_RELEASE);
	if (readers > 0)
		turnstile_handoff(rw, TS_READER_Q, readers, NULL);
	else if (writers > 0)
		turnstile_handoff(rw, TS_WRITER_Q, 0, NULL);
	turnstile_lock_exit();
}

bool
rw_tryupgrade(krwlock_t *rw)
{
	uintptr_t w = rw->rw_owner;
	char buf[64];

	rw_check(rw, "rw_tryupgrade");
	KASSERTMSG(readers_of(w) > 0, "rw_tryupgrade: %s not read-held",
	    rw_name(rw, buf, sizeof(buf)));
	while (readers_of(w) == 1 && !(w & RW_WRITE_WANTED))
		if (cas(rw, &w, (uintptr_t)curlwp | RW_WRITE_LOCKED |
		    (w & RW_HAS_WAITERS)))
			return true;
	return false;
}

bool rw_write_held(const krwlock_t *rw) { return writer_of(rw->rw_owner) == curlwp; }
bool rw_read_held(const krwlock_t *rw) { return readers_of(rw->rw_owner) > 0; }
bool rw_lock_held(const krwlock_t *rw) { return rw_write_held(rw) || rw_read_held(rw); }
