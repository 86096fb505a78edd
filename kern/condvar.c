/*
 * condvar.c: condition variables (see include/condvar.h).
 *
 * A condvar is a wait channel on the sleep queues.  cv_wait locks the
 * condvar's sleep-queue chain before releasing the caller's mutex, so a
 * cv_signal sent after the waiter released the mutex finds it queued: no
 * signal is lost.  The chain lock counts as a spin lock, so releasing a
 * spin mutex interlock does not lower the IPL until the waiter is queued.
 *
 * Locking.  The sleep-queue chain of the condvar; cv_waiters is a hint
 * updated atomically, never trusted for correctness.
 */
#include <condvar.h>
#include <kassert.h>
#include <lwp.h>
#include <mutex.h>
#include <time.h>

#include <kern/lwp_impl.h>

void
cv_init(kcondvar_t *cv, const char *wmesg)
{
	cv->cv_wmesg = wmesg;
	cv->cv_waiters = 0;
}

void
cv_destroy(kcondvar_t *cv)
{
	KASSERTMSG(!sleepq_has_sleepers(cv), "cv_destroy: %s (%p) has waiters",
	    cv->cv_wmesg, cv);
}

static int
cv_sleep(kcondvar_t *cv, kmutex_t *m, uint64_t deadline)
{
	struct sleepq_chain *sc;
	int error;

	KASSERTMSG(mutex_owned(m), "cv_wait on %s: interlock %p not held by lwp %s",
	    cv->cv_wmesg, m, lwp_name(curlwp));
	sc = sleepq_lock(cv);
	__atomic_fetch_add(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
	mutex_exit(m);
	error = sleepq_block(sc, cv, cv->cv_wmesg, deadline);
	__atomic_fetch_sub(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
	mutex_enter(m);
	return error;
}

void
cv_wait(kcondvar_t *cv, kmutex_t *m)
{
	(void)cv_sleep(cv, m, 0);
}

int
cv_timedwait(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns)
{
	uint64_t deadline = nanouptime() + timeout_ns;

	if (deadline == 0)
		deadline = 1;
	return cv_sleep(cv, m, deadline);
}

void
cv_signal(kcondvar_t *cv)
{
	if (__atomic_load_n(&cv->cv_waiters, __ATOMIC_RELAXED) != 0)
		sleepq_wakeup(cv, 1);
}

void
cv_broadcast(kcondvar_t *cv)
{
	if (__atomic_load_n(&cv->cv_waiters, __ATOMIC_RELAXED) != 0)
		sleepq_wakeup(cv, ~0U);
}

bool
cv_has_waiters(kcondvar_t *cv)
{
	return sleepq_has_sleepers(cv);
}
