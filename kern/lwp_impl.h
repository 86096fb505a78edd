/*
 * lwp_impl.h: the LWP structure and the scheduler's internal interface.
 *
 * LWP states (l_stat):
 *
 *	LSIDL	being created, not yet runnable
 *	LSRUN	on a run queue (l_cpu's), waiting for a CPU
 *	LSONPROC running on l_cpu (it is that CPU's ci_curlwp), or pinned
 *		beneath an interrupt thread on l_cpu (l_pinned_by != NULL)
 *	LSSLEEP	asleep on a sleep queue or blocked on a turnstile (l_wchan)
 *	LSZOMB	exited; its stack is freed by lwp_join or the reaper
 *
 * l_oncpu is true from the moment an LWP is switched to until the LWP that
 * follows it on that CPU has finished switching (sched_switch_finish); a
 * CPU must not resume an LWP whose context is still live elsewhere, so it
 * waits for l_oncpu to clear.  This lets wakers make an LWP runnable while
 * it is still on its way off a CPU, without holding locks across CPUs.
 *
 * Locking:
 *	l_stat, l_runq, l_cpu	the schedlock of l_cpu (cpu_data.cpu_schedlock)
 *	l_wchan, l_sleepq link	the sleep queue's lock, or turnstile_lock
 *	l_pri, l_inherited, l_pi_held, l_blocked	turnstile_lock, and
 *				the schedlock of l_cpu when l_stat == LSRUN
 *	l_name, l_base_pri	written only by the LWP itself or its creator
 *
 * Interrupt threads (design for the interrupt architecture; docs/design.md):
 * an interrupt thread that borrows the context of the LWP it interrupted
 * records it in l_pinned; the pinned LWP has l_pinned_by set, stays
 * LSONPROC on its CPU but is not ci_curlwp, so it is "not running" for
 * mutex spinners, cannot be stolen by another CPU, and is what the CPU
 * switches back to when the interrupt thread blocks (sched_pick_next).
 */
#ifndef KERN_LWP_IMPL_H
#define KERN_LWP_IMPL_H

#include <cpu.h>
#include <list.h>
#include <lwp.h>
#include <timer.h>
#include <types.h>

#include <kern/intr_lazy.h>
#include <kern/simplelock.h>

#include <machine/pcb.h>

enum lwp_stat { LSIDL = 1, LSRUN, LSONPROC, LSSLEEP, LSZOMB };

/* l_flags */
#define LW_JOINABLE	0x01
#define LW_IDLE		0x02	/* a CPU's idle LWP */
#define LW_SYSTEM	0x04	/* created by the kernel itself */
#define LW_INTR		0x08	/* an interrupt thread */

struct turnstile;
struct sleepq_chain;
struct irq_action;
struct softint;
struct isolate_catch;
struct tty;

struct lwp {
	struct md_lwp l_md;		/* must be first: cpu_switchto */
	struct list_head l_runq;	/* run queue link */
	struct list_head l_all;		/* all LWPs (lwp_list_lock) */
	struct cpu_info *volatile l_cpu;
	struct cpu_info *l_bound;	/* bound to this CPU, or NULL */
	volatile int l_stat;
	volatile int l_oncpu;
	int l_flags;
	int l_base_pri;
	volatile int l_pri;		/* effective: max(base, inherited) */
	int l_nopreempt;		/* kpreempt_disable nesting */
	uint64_t l_slice_end;		/* end of its time slice (nanouptime) */

	/* Sleeping: the sleep queue or turnstile it waits on. */
	const void *volatile l_wchan;
	const char *l_wmesg;
	struct sleepq_chain *l_sleepq;
	struct list_head l_sleepchain;
	bool l_timedout;
	struct timer_event l_sleep_timer;

	/* Priority inheritance (turnstile.c). */
	struct turnstile *l_ts;		/* our spare turnstile to lend */
	struct turnstile *l_blocked;	/* turnstile we are blocked on */
	struct list_head l_pi_held;	/* turnstiles of locks we own */

	/* Interrupt threads: see the comment above and kern/intr_lazy.c. */
	struct lwp *l_pinned;		/* intr thread: the LWP beneath it */
	struct lwp *l_pinned_by;	/* pinned LWP: the intr thread above it */
	struct irq_action *l_irqaction;	/* intr thread: action whose thread
					   function it runs now, or NULL */
	struct irq_action *l_irqnested;	/* a nested demux's runner: the child
					   action whose handler it runs now,
					   or NULL (kern/irq_demux.c) */
	bool l_irqnested_primary;	/* ... and that is its primary */
	struct softint *l_softint;	/* soft interrupt it runs now, or NULL */
	struct intr_level *l_ilevel;	/* lazy intr thread: its level */
	struct intr_work *l_iwork;	/* lazy intr thread: work it runs */
	struct lwp *l_pool_next;	/* lazy intr thread: parked list */
	struct isolate_catch *l_catch;	/* innermost armed catch, or NULL
					   (kern/irq_fault.c; only the LWP
					   itself touches it) */

	/* Lifetime. */
	vaddr_t l_stack;		/* base of its stack (above the guard) */
	uint64_t l_switches;		/* times switched to */
	uint64_t l_runtime_ns;		/* time on CPU */
	uint64_t l_oncpu_since;
	uint32_t l_lid;			/* unique id, never reused (trace) */
	char l_name[LWP_NAME_MAX];
	struct tty *l_tty;		/* its terminal (lwp_set_terminal) */
};

/* Per-CPU scheduler state (the machine-independent part of cpu_info). */
struct runqueue {
	uint64_t rq_bitmap[(NPRI + 63) / 64];	/* non-empty priority lists */
	struct list_head rq_queue[NPRI];
	unsigned rq_count;
};

struct timer_queue {
	struct simplelock tq_lock;	/* interrupts off */
	struct timer_event *tq_head;	/* sorted by deadline */
	struct timer_event *volatile tq_running;
	uint64_t tq_programmed;		/* deadline the hardware is set for */
};

struct cpu_data {
	struct simplelock cpu_schedlock;	/* run queue, resched */
	struct runqueue cpu_rq;
	struct lwp *cpu_idlelwp;
	volatile bool cpu_want_resched;
	volatile bool cpu_idle;		/* in the idle loop, halted */
	volatile ipl_t cpu_ipl;		/* current IPL (spl.c) */
	int cpu_mtx_count;		/* spin mutexes held */
	ipl_t cpu_mtx_oldspl;		/* IPL before the first one */
	int cpu_intr_depth;		/* hard interrupt nesting */
	struct irq_action *cpu_intr_action; /* handler running in hard context */
	volatile uint32_t cpu_lazy_pending; /* bit per IPL: work queued */
	struct intr_level cpu_ilevel[INTR_LAZY_NLEVELS]; /* intr_lazy.c */
	struct timer_queue cpu_timers;
	struct timer_event cpu_slice_timer;
	uint64_t cpu_nswitch;
	uint64_t cpu_nintr;
	uint64_t cpu_idle_ns;
	volatile uint64_t cpu_halt_since;	/* halted since then, 0: not;
						   its CPU, interrupts off */
	uint64_t cpu_halted_ns;		/* time halted (atomic adds) */
};

/* sched.c */
void sched_init(void);
void sched_init_cpu(struct cpu_info *ci);
void sched_setrunnable(struct lwp *l);
void sched_switch(void);		/* at IPL_SCHED, interrupts off */
void sched_switch_finish(struct lwp *prev);
void sched_idle(void) __noreturn;
void sched_change_pri(struct lwp *l, int pri);	/* locks l's CPU */
bool kpreempt(void);
/* sched_rebind: bind l to ci and move it there now. */
void sched_rebind(struct lwp *l, struct cpu_info *ci);
/*
 * sched_halt_end: this CPU is no longer halted in its idle loop: count the
 * time it was (irq_dispatch calls it first thing).  Context: any; cheap
 * when the CPU was not halted.  sched_halted_ns: time ci has spent halted
 * since boot, its current halt included; read without ci's cooperation, a
 * snapshot for benchmarks.  Context: any.
 */
void sched_halt_end(void);
uint64_t sched_halted_ns(struct cpu_info *ci);

/* lwp.c */
void lwp_init(void);
struct lwp *lwp_create_idle(struct cpu_info *ci);
struct lwp *lwp0_init(struct cpu_info *ci);
void lwp_reap_zombies(void);
void lwp_startup(struct lwp *prev);

/* sleepq.c: sleep queues, hashed by wait channel. */
struct sleepq_chain;
void sleepq_init(void);
/*
 * sleepq_lock: lock the chain of wchan, at IPL_SCHED, counted as a spin
 * lock.  The caller then checks its condition and either unlocks or
 * sleeps with sleepq_block, which enqueues curlwp, unlocks and switches.
 * sleepq_block returns 0 when woken, EWOULDBLOCK at the deadline (if not 0).
 */
struct sleepq_chain *sleepq_lock(const void *wchan);
void sleepq_unlock(struct sleepq_chain *sc);
int sleepq_block(struct sleepq_chain *sc, const void *wchan, const char *wmesg,
    uint64_t deadline);
/* sleepq_wakeup: wake up to max LWPs on wchan, highest priority first. */
unsigned sleepq_wakeup(const void *wchan, unsigned max);
/* sleepq_has_sleepers: true if some LWP sleeps on wchan. */
bool sleepq_has_sleepers(const void *wchan);

/* turnstile.c: blocking on locks, with priority inheritance. */
#define TS_WRITER_Q	0	/* mutex waiters and rwlock writers */
#define TS_READER_Q	1	/* rwlock readers */

void turnstile_init(void);
struct turnstile *turnstile_alloc(void);
void turnstile_free(struct turnstile *ts);
/* turnstile_lock_enter/exit: the turnstile lock, a spin section at IPL_SCHED. */
void turnstile_lock_enter(void);
void turnstile_lock_exit(void);
/*
 * turnstile_block: block curlwp on obj's queue q, lending its priority to
 * owner (NULL: readers hold obj, nobody to lend to).  Called with the
 * turnstile lock held and no other spin lock; returns, lock released, once
 * a waker has handed obj over.
 */
void turnstile_block(const void *obj, int q, struct lwp *owner, const char *what);
/* turnstile_waiters: how many LWPs wait on obj's queue q.  Lock held. */
unsigned turnstile_waiters(const void *obj, int q);
/* turnstile_first: the highest-priority waiter of queue q, or NULL.  Lock held. */
struct lwp *turnstile_first(const void *obj, int q);
/*
 * turnstile_handoff: wake the first count waiters of obj's queue q (the
 * caller has already made them owners in the lock word); newowner, if not
 * NULL, becomes the owner that the remaining waiters lend to.  Lock held.
 */
void turnstile_handoff(const void *obj, int q, unsigned count,
    struct lwp *newowner);
/* turnstile_recompute_pri: re-derive l's effective priority (base changed). */
void turnstile_recompute_pri(struct lwp *l);
/* lwp_running: true if l is some CPU's current LWP (not merely pinned). */
bool lwp_running(const struct lwp *l);

#endif
