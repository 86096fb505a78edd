/*
 * condvar.h: condition variables, NetBSD style.
 *
 * cv_wait(cv, m) atomically releases the mutex m (adaptive or spin) and
 * sleeps until cv_signal/cv_broadcast wakes it, then reacquires m.  A waiter
 * that has started waiting before a signal is sent always sees it: the
 * waiter is on the sleep queue before m is released.  As everywhere,
 * callers must recheck their condition in a loop.
 *
 * Waiting is a sleep: it is forbidden with any spin mutex held (other than
 * m itself) and from interrupt context; both panic with a message.
 */
#ifndef PINWHEEL_CONDVAR_H
#define PINWHEEL_CONDVAR_H

#include <mutex.h>
#include <types.h>

typedef struct kcondvar {
	const char *cv_wmesg;	/* wait channel name shown by ps */
	volatile uint32_t cv_waiters;	/* hint: LWPs asleep on it */
} kcondvar_t;

/* cv_init: initialise with a short name for the wait channel. */
void cv_init(kcondvar_t *cv, const char *wmesg);
void cv_destroy(kcondvar_t *cv);

/* cv_wait: sleep until woken.  Context: thread; m held. */
void cv_wait(kcondvar_t *cv, kmutex_t *m);
/*
 * cv_timedwait: like cv_wait, for at most timeout_ns nanoseconds.
 * Returns 0 when woken, EWOULDBLOCK when the time ran out.
 */
int cv_timedwait(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns);
/* cv_signal: wake the highest-priority waiter.  Context: any; m held. */
void cv_signal(kcondvar_t *cv);
/* cv_broadcast: wake every waiter.  Context: any; m held. */
void cv_broadcast(kcondvar_t *cv);
/* cv_has_waiters: true if an LWP is waiting on cv. */
bool cv_has_waiters(kcondvar_t *cv);

#endif
