/*
 * simplelock.h: raw spin locks for the scheduler's own use.
 *
 * A simplelock is a bare test-and-test-and-set lock with no owner and no IPL
 * handling: the caller disables interrupts first.  The scheduler uses it
 * for run queues, sleep queues and turnstiles because their locks are
 * acquired by one LWP and released by another across cpu_switchto(), which
 * a kmutex (that records its owner) cannot allow.  Everything else uses
 * kmutex_t.
 */
#ifndef KERN_SIMPLELOCK_H
#define KERN_SIMPLELOCK_H

#include <types.h>

struct simplelock {
	volatile uint32_t sl_locked;
	volatile uint32_t sl_cpu;	/* holder's CPU number + 1, for debugging */
};

#define SIMPLELOCK_INITIALIZER	{ 0, 0 }

void simple_lock_init(struct simplelock *sl);
/* simple_lock: spin until acquired; interrupts must be disabled. */
void simple_lock(struct simplelock *sl);
bool simple_lock_try(struct simplelock *sl);
void simple_unlock(struct simplelock *sl);
/* simple_lock_held: true if held by this CPU (for assertions). */
bool simple_lock_held(const struct simplelock *sl);

#endif

/*
 * Spin sections.  A CPU counts the spin locks it holds (spin kmutexes, and
 * the scheduler's simplelocks taken through spin_section_enter) in
 * cpu_mtx_count and remembers the IPL from before the first one; the level
 * is restored only when the last one is released, so spin locks may be
 * released in any order.  A count above zero means the CPU must not block
 * or sleep; sleepq_block and sched_switch check it.
 */
#include <spl.h>

/* spin_section_enter: raise to ipl and count one more spin lock held. */
void spin_section_enter(ipl_t ipl);
/* spin_section_exit: count one less; restore the IPL at zero. */
void spin_section_exit(void);
/*
 * spin_section_handoff: the CPU's only spin section (a scheduler lock the
 * caller is about to release into a context switch) is forgotten without
 * lowering the IPL; returns the level to restore once switched back.
 */
ipl_t spin_section_handoff(void);
/* spin_section_count: spin locks this CPU holds. */
int spin_section_count(void);
