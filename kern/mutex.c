/*
 * mutex.c: spin and adaptive mutexes (see include/mutex.h for the model).
 *
 * Adaptive mutexes.  mtx_owner holds the owning LWP with the low bit
 * MUTEX_BIT_WAITERS.  Uncontended enter and exit are one compare-and-swap
 * each.  A contended enter spins while the owner is running on a CPU
 * (lwp_running: it is that CPU's ci_curlwp, so an LWP pinned beneath an
 * interrupt thread does not count) and otherwise sets the waiters bit and
 * blocks on the mutex's turnstile, lending its priority to the owner.  The
 * bit is set under the turnstile lock, and an owner that finds it set at
 * exit takes the same lock, so a waiter is always queued before the owner
 * can look for it: no wake-up is lost.  Exit hands the mutex straight to
 * the highest-priority waiter.
 *
 * Spin mutexes.  mtx_spinlock is a test-and-set lock taken inside a spin
 * section at the mutex's IPL (kern/simplelock.h), so the IPL from before
 * the CPU's first spin lock comes back when its last one is released.
 *
 * Locking.  The mutex word itself; turnstile_lock on the slow paths.
 */
#include <cpu.h>
#include <kassert.h>
#include <lwp.h>
#include <mutex.h>

#include <kern/irq_impl.h>
#include <kern/ksyms.h>
#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/simplelock.h>

#include <machine/cpuvar.h>

#define MUTEX_MAGIC	0x4d78

static inline struct lwp *
owner_of(uintptr_t word)
{
	return (struct lwp *)(word & ~MUTEX_BIT_WAITERS);
}

/* A printable name for a mutex: its symbol if static, else its address. */
static const char *
mutex_name(const kmutex_t *m, char *buf, size_t size)
{
	return ksym_format((uintptr_t)m, buf, size);
}

static const char *
lwp_name_or_none(const struct lwp *l)
{
	return l != NULL ? l->l_name : "nobody";
}

static void
mutex_check(const kmutex_t *m, const char *fn)
{
	char buf[64];

	KASSERTMSG(m->mtx_magic == MUTEX_MAGIC,
	    "%s: %s (%p) is not an initialised mutex", fn,
	    mutex_name(m, buf, sizeof(buf)), m);
}

void
mutex_init(kmutex_t *m, kmutex_type_t type, ipl_t ipl)
{
	KASSERTMSG(ipl >= IPL_NONE && ipl < NIPL, "mutex_init: bad IPL %d", ipl);
	KASSERTMSG(type != MUTEX_ADAPTIVE || ipl == IPL_NONE,
	    "mutex_init: an adaptive mutex cannot have %s", ipl_name(ipl));
	m->mtx_owner = 0;
	m->mtx_spinlock = 0;
	m->mtx_spin = type == MUTEX_SPIN ||
	    (type == MUTEX_DEFAULT && ipl > IPL_SOFTSERIAL);
	m->mtx_ipl = (uint8_t)ipl;
	m->mtx_magic = MUTEX_MAGIC;
}

void
mutex_destroy(kmutex_t *m)
{
	char buf[64];

	mutex_check(m, "mutex_destroy");
	KASSERTMSG(m->mtx_owner == 0 && m->mtx_spinlock == 0,
	    "mutex_destroy: %s is held by %s", mutex_name(m, buf, sizeof(buf)),
	    lwp_name_or_none(owner_of(m->mtx_owner)));
	m->mtx_magic = 0;
}

static void
mutex_spin_enter(kmutex_t *m)
{
	char buf[64];

	spin_section_enter(m->mtx_ipl);
	KASSERTMSG(!(m->mtx_spinlock && owner_of(m->mtx_owner) == curlwp),
	    "mutex_enter: spin mutex %s recursion by lwp %s",
	    mutex_name(m, buf, sizeof(buf)), curlwp->l_name);
	while (__atomic_exchange_n(&m->mtx_spinlock, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&m->mtx_spinlock, __ATOMIC_RELAXED))
			cpu_spin_pause();
	}
	m->mtx_owner = (uintptr_t)curlwp;
}

static void
mutex_spin_exit(kmutex_t *m)
{
	char buf[64];

	KASSERTMSG(m->mtx_spinlock && owner_of(m->mtx_owner) == curlwp,
	    "mutex_exit: spin mutex %s not owned by lwp %s (owner %s)",
	    mutex_name(m, buf, sizeof(buf)), curlwp->l_name,
	    m->mtx_spinlock ? lwp_name_or_none(owner_of(m->mtx_owner)) : "nobody");
	m->mtx_owner = 0;
	__atomic_store_n(&m->mtx_spinlock, 0, __ATOMIC_RELEASE);
	spin_section_exit();
}

static bool
try_acquire(kmutex_t *m, struct lwp *l)
{
	uintptr_t free = 0;

	return __atomic_compare_exchange_n(&m->mtx_owner, &free, (uintptr_t)l,
	    false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Under the turnstile lock: make sure the owner will see us.  Returns the
 * owner to block on, or NULL if the mutex came free (then retry).
 */
static struct lwp *
announce_waiter(kmutex_t *m)
{
	uintptr_t word = m->mtx_owner;

	for (;;) {
		if (owner_of(word) == NULL)
			return NULL;
		if (word & MUTEX_BIT_WAITERS)
			return owner_of(word);
		if (__atomic_compare_exchange_n(&m->mtx_owner, &word,
		    word | MUTEX_BIT_WAITERS, false, __ATOMIC_ACQ_REL,
		    __ATOMIC_RELAXED))
			return owner_of(word);
	}
}

/*
 * An adaptive mutex in hard interrupt context, or in a primary handler a
 * nested demux runs in its thread: panics naming the handler.
 */
static void __attribute__((noinline))
forbid_in_intr(kmutex_t *m)
{
	char buf[64];

	irq_forbid_block("mutex_enter on adaptive mutex",
	    mutex_name(m, buf, sizeof(buf)));
}

static void
mutex_adaptive_enter_slow(kmutex_t *m, struct lwp *l)
{
	char buf[64];

	for (;;) {
		struct lwp *owner = owner_of(m->mtx_owner);

		if (owner == NULL) {
			if (try_acquire(m, l))
				return;
			continue;
		}
		KASSERTMSG(owner != l, "mutex_enter: %s recursion by lwp %s",
		    mutex_name(m, buf, sizeof(buf)), l->l_name);
		if (lwp_running(owner)) {
			cpu_spin_pause();
			continue;
		}
		KASSERTMSG(spin_section_count() == 0,
		    "mutex_enter: lwp %s blocking on adaptive mutex %s while "
		    "holding %d spin mutex(es)", l->l_name,
		    mutex_name(m, buf, sizeof(buf)), spin_section_count());
		turnstile_lock_enter();
		owner = announce_waiter(m);
		if (owner == NULL) {
			turnstile_lock_exit();
			continue;
		}
		turnstile_block(m, TS_WRITER_Q, owner, "mutex");
		KASSERTMSG(owner_of(m->mtx_owner) == l,
		    "mutex_enter: %s handed to %s, not to the woken %s",
		    mutex_name(m, buf, sizeof(buf)),
		    lwp_name_or_none(owner_of(m->mtx_owner)), l->l_name);
		return;
	}
}

void
mutex_enter(kmutex_t *m)
{
	struct lwp *l = curlwp;

	mutex_check(m, "mutex_enter");
	if (m->mtx_spin) {
		mutex_spin_enter(m);
		return;
	}
	if (__predict_false(curcpu_intr_depth() != 0 || l->l_irqnested_primary))
		forbid_in_intr(m);
	if (__predict_true(try_acquire(m, l)))
		return;
	mutex_adaptive_enter_slow(m, l);
}

bool
mutex_tryenter(kmutex_t *m)
{
	mutex_check(m, "mutex_tryenter");
	if (m->mtx_spin) {
		spin_section_enter(m->mtx_ipl);
		if (__atomic_exchange_n(&m->mtx_spinlock, 1, __ATOMIC_ACQUIRE) == 0) {
			m->mtx_owner = (uintptr_t)curlwp;
			return true;
		}
		spin_section_exit();
		return false;
	}
	return try_acquire(m, curlwp);
}

/* Hand the mutex to its best waiter, or free it.  Owner with waiters bit. */
static void
mutex_adaptive_exit_slow(kmutex_t *m)
{
	struct lwp *next;
	unsigned waiters;

	turnstile_lock_enter();
	next = turnstile_first(m, TS_WRITER_Q);
	if (next == NULL) {
		__atomic_store_n(&m->mtx_owner, 0, __ATOMIC_RELEASE);
		turnstile_lock_exit();
		return;
	}
	waiters = turnstile_waiters(m, TS_WRITER_Q);
	__atomic_store_n(&m->mtx_owner,
	    (uintptr_t)next | (waiters > 1 ? MUTEX_BIT_WAITERS : 0),
	    __ATOMIC_RELEASE);
	turnstile_handoff(m, TS_WRITER_Q, 1, next);
	turnstile_lock_exit();
}

void
mutex_exit(kmutex_t *m)
{
	struct lwp *l = curlwp;
	uintptr_t word;
	char buf[64];

	mutex_check(m, "mutex_exit");
	if (m->mtx_spin) {
		mutex_spin_exit(m);
		return;
	}
	word = (uintptr_t)l;
	if (__predict_true(__atomic_compare_exchange_n(&m->mtx_owner, &word, 0,
	    false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)))
		return;
	KASSERTMSG(owner_of(word) == l, "mutex_exit: %s not owned by lwp %s (owner %s)",
	    mutex_name(m, buf, sizeof(buf)), l->l_name,
	    lwp_name_or_none(owner_of(word)));
	mutex_adaptive_exit_slow(m);
}

bool
mutex_owned(const kmutex_t *m)
{
	if (m->mtx_spin)
		return m->mtx_spinlock && owner_of(m->mtx_owner) == curlwp;
	return owner_of(m->mtx_owner) == curlwp;
}

struct lwp *
mutex_owner(const kmutex_t *m)
{
	if (m->mtx_spin && !m->mtx_spinlock)
		return NULL;
	return owner_of(m->mtx_owner);
}
