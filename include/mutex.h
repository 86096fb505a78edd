/*
 * mutex.h: kernel mutexes, NetBSD style.
 *
 * Two kinds behind one interface:
 *
 *  - Spin mutexes (MUTEX_SPIN, or MUTEX_DEFAULT with an IPL above the soft
 *    levels) raise the CPU to the mutex's IPL and busy-wait.  The IPL that
 *    was in force before the CPU's first spin mutex is restored when its
 *    last spin mutex is released, so spin mutexes may be released in any
 *    order.  A thread holding a spin mutex must not block or sleep.
 *
 *  - Adaptive mutexes (MUTEX_DEFAULT at IPL_NONE or a soft level, or
 *    MUTEX_ADAPTIVE) spin while their owner is running on a CPU and
 *    otherwise block on a turnstile that lends the waiter's priority to the
 *    owner, transitively through a chain of owners (priority inheritance).
 *    An LWP pinned beneath an interrupt thread is not running, so nobody
 *    spins on it.
 *
 * Misuse panics with a message naming the mutex and the LWP: releasing a
 * mutex you do not own, entering one you already hold, blocking on an
 * adaptive mutex while holding a spin mutex, using an uninitialised mutex.
 */
#ifndef PINWHEEL_MUTEX_H
#define PINWHEEL_MUTEX_H

#include <spl.h>
#include <types.h>

typedef enum {
	MUTEX_DEFAULT,		/* adaptive at IPL_NONE/soft, spin above */
	MUTEX_ADAPTIVE,		/* always adaptive (ipl must be IPL_NONE) */
	MUTEX_SPIN,		/* always spin, at the given ipl */
} kmutex_type_t;

typedef struct kmutex {
	/*
	 * Adaptive: owner LWP pointer | MUTEX_BIT_WAITERS.
	 * Spin: the owner LWP, for mutex_owned() and misuse checks only.
	 */
	volatile uintptr_t mtx_owner;
	volatile uint32_t mtx_spinlock;	/* spin: 0 free, 1 held */
	uint16_t mtx_magic;
	uint8_t mtx_spin;		/* true for a spin mutex */
	uint8_t mtx_ipl;		/* spin: the IPL raised to */
} kmutex_t;

#define MUTEX_BIT_WAITERS	((uintptr_t)1)

/*
 * mutex_init: initialise m as a mutex of the given type and IPL.
 * Context: any.  mutex_destroy: the mutex must be free.
 */
void mutex_init(kmutex_t *m, kmutex_type_t type, ipl_t ipl);
void mutex_destroy(kmutex_t *m);

/*
 * mutex_enter: acquire m.  An adaptive mutex may block (thread context
 * only, no spin mutex held); a spin mutex raises the IPL and never blocks.
 */
void mutex_enter(kmutex_t *m);
/* mutex_tryenter: acquire m if free; returns true if acquired.  Never blocks. */
bool mutex_tryenter(kmutex_t *m);
/* mutex_exit: release m, which the caller must hold; wakes any waiters. */
void mutex_exit(kmutex_t *m);
/* mutex_owned: true if the calling LWP holds m (for assertions). */
bool mutex_owned(const kmutex_t *m);
/* mutex_owner: the LWP holding m, or NULL (for diagnostics). */
struct lwp *mutex_owner(const kmutex_t *m);

#endif
