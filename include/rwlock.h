/*
 * rwlock.h: reader/writer locks, NetBSD style.
 *
 * Many readers or one writer.  Waiting writers hold back new readers (so a
 * stream of readers cannot starve a writer), and a releasing writer lets
 * waiting readers in before the next writer (so writers cannot starve
 * readers).  Blocked LWPs wait on a turnstile; a write-held lock lends the
 * waiters' priority to its writer (priority inheritance, transitively);
 * readers are not tracked, so read holders inherit nothing.
 *
 * Misuse panics with a message naming the lock and the LWP: releasing a
 * lock not held, releasing another LWP's write hold, write-entering a lock
 * you write-hold, read-entering a lock you write-hold, blocking with a spin
 * mutex held, blocking in interrupt context.
 */
#ifndef PINWHEEL_RWLOCK_H
#define PINWHEEL_RWLOCK_H

#include <types.h>

typedef enum { RW_READER, RW_WRITER } krw_t;

typedef struct krwlock {
	/*
	 * Write-held: the owner LWP | RW_WRITE_LOCKED | flags.
	 * Otherwise: number of readers << RW_READ_SHIFT | flags.
	 */
	volatile uintptr_t rw_owner;
	uint32_t rw_magic;
} krwlock_t;

#define RW_HAS_WAITERS	((uintptr_t)0x1)
#define RW_WRITE_WANTED	((uintptr_t)0x2)
#define RW_WRITE_LOCKED	((uintptr_t)0x4)
#define RW_FLAGS	((uintptr_t)0x7)
#define RW_READ_SHIFT	3

/* rw_init/rw_destroy: the lock must be free when destroyed. */
void rw_init(krwlock_t *rw);
void rw_destroy(krwlock_t *rw);
/* rw_enter: acquire as reader or writer; may block.  Context: thread. */
void rw_enter(krwlock_t *rw, krw_t op);
/* rw_tryenter: acquire if possible without blocking; true if acquired. */
bool rw_tryenter(krwlock_t *rw, krw_t op);
/* rw_exit: release a read or write hold; wakes waiters.  Never blocks. */
void rw_exit(krwlock_t *rw);
/* rw_downgrade: turn the caller's write hold into a read hold. */
void rw_downgrade(krwlock_t *rw);
/*
 * rw_tryupgrade: turn the caller's read hold into a write hold if it is the
 * only reader and no writer waits; true if upgraded, else it still reads.
 */
bool rw_tryupgrade(krwlock_t *rw);
/* rw_write_held, rw_read_held, rw_lock_held: for assertions. */
bool rw_write_held(const krwlock_t *rw);
bool rw_read_held(const krwlock_t *rw);
bool rw_lock_held(const krwlock_t *rw);

#endif
