/*
 * intr_lazy.h: deferred interrupt work and the lazy, pinning interrupt
 * threads that run it (kern/intr_lazy.c).  Used by IRQ_MODE_LAZY,
 * IRQ_MODE_SOURCE and IRQ_MODE_THREAD (the work protocol) and by soft
 * interrupts (kern/softint.c).
 */
#ifndef KERN_INTR_LAZY_H
#define KERN_INTR_LAZY_H

#include <cpu.h>
#include <spl.h>
#include <types.h>

#include <kern/simplelock.h>

/*
 * A unit of deferred work: an interrupt action's thread function, or a
 * soft interrupt handler on one CPU.  iw_state (atomic):
 *
 *	IW_NEED		it is due (set by whoever schedules it)
 *	IW_ACTIVE	a runner has claimed it and runs it now
 *	IW_QUEUED	it is on a queue (a CPU's level queue, a source's)
 *
 * The protocol that makes every due run happen exactly once whatever
 * runs it: a scheduler sets IW_NEED; only if that set it and no runner was
 * active does it hand the work to a runner (queue it, wake a thread).  A
 * runner claims it (IW_NEED -> IW_ACTIVE, refused while another runner is
 * active) and after each run releases it: an IW_NEED that came meanwhile
 * is consumed and the runner runs again, else it goes idle.  So a queue
 * entry is a hint: the runner that pops it may find nothing to claim.
 */
#define IW_NEED		0x1
#define IW_ACTIVE	0x2
#define IW_QUEUED	0x4

struct intr_work;

struct intr_work_ops {
	/*
	 * run: called by an interrupt thread at the level with iw just off
	 * its queue; it must clear IW_QUEUED after its last use of iw.
	 */
	void (*iwo_run)(struct intr_work *iw);
	/*
	 * blocked: the pinned interrupt thread running iw blocked; called by
	 * the LWP it had pinned as it resumes (interrupts off, IPL_SCHED).
	 * NULL: nothing to do.
	 */
	void (*iwo_blocked)(struct intr_work *iw);
};

struct intr_work {
	struct intr_work *iw_next;	/* the queue (its lock) */
	volatile unsigned iw_state;	/* IW_* */
	const struct intr_work_ops *iw_ops;
};

/* Lowest and highest levels with interrupt threads, and how many. */
#define INTR_LAZY_IPL_MIN	IPL_SOFTCLOCK
#define INTR_LAZY_IPL_MAX	IPL_VM
#define INTR_LAZY_NLEVELS	(INTR_LAZY_IPL_MAX - INTR_LAZY_IPL_MIN + 1)

/*
 * A CPU's interrupt threads and work queue for one level (in cpu_data).
 * Locking: il_lock (interrupts off) for the queue; the parked list and
 * the counters belong to the CPU (interrupts off); il_want_grow atomic.
 */
struct lwp;
struct intr_level {
	struct intr_work *il_head, *il_tail;	/* local queue, FIFO: its
						   CPU, interrupts off */
	struct simplelock il_lock;
	struct intr_work *il_rhead, *il_rtail;	/* remote queue: il_lock */
	struct lwp *il_idle;		/* parked threads (l_pool_next) */
	volatile unsigned il_nthreads;	/* threads of the level */
	unsigned il_nidle;		/* of which parked */
	volatile bool il_want_grow;	/* the grower should add one */
	ipl_t il_ipl;
	int il_pri;			/* priority its threads park at */
	struct cpu_info *il_cpu;
	uint64_t il_runs, il_blocks, il_starved, il_starved_told;
};

/* The work protocol (atomic; any context). */
void intr_work_init(struct intr_work *iw, const struct intr_work_ops *ops);
/*
 * intr_work_due: mark iw due; true if the caller must hand it to a
 * runner (it was neither due nor being run).
 */
bool intr_work_due(struct intr_work *iw);
/* intr_work_claim: take iw to run it here; false if not due or running. */
bool intr_work_claim(struct intr_work *iw);
/* intr_work_release: after a run: true if due again (run it again). */
bool intr_work_release(struct intr_work *iw);
/* intr_work_idle: neither due, nor running, nor queued. */
bool intr_work_idle(const struct intr_work *iw);

/*
 * intr_work_unqueue: the queued runner's last step, after its claim and
 * runs: clear IW_QUEUED and say what the runner must do.  A hand-off
 * skipped meanwhile because iw was still queued must be made now
 * (IW_REQUEUE).  If iw went idle (IW_WENT_IDLE), waiters for it may be
 * woken, but iw itself must not be touched again: it may be freed at
 * once.  Otherwise another runner has it (IW_TAKEN).
 */
enum intr_work_next { IW_TAKEN, IW_REQUEUE, IW_WENT_IDLE };
enum intr_work_next intr_work_unqueue(struct intr_work *iw);

/*
 * intr_lazy_queue: queue iw for ci's interrupt threads of level ipl (a
 * no-op if iw is queued already); the CPU runs it when its level drops
 * below ipl, borrowing the context of whatever runs there.  Another CPU
 * is sent an IPI.  Context: any, including hard interrupt context and
 * with spin mutexes held.
 */
void intr_lazy_queue(struct cpu_info *ci, ipl_t ipl, struct intr_work *iw);

/*
 * intr_lazy_due: work of a level above s is queued on this CPU (the
 * check spl_lower makes).  intr_lazy_run: run the highest such level's
 * work in a pinned interrupt thread; false if it has no thread to spare.
 * Both with interrupts off, no spin lock held, outside hard interrupt
 * context.  When intr_lazy_run returns true the level is left as the
 * thread left it: the caller sets s again (spl_lower's loop does).
 */
bool intr_lazy_due(ipl_t s);
bool intr_lazy_run(ipl_t s);

/*
 * intr_lazy_init: every CPU's interrupt threads and the grower (thread
 * context, at boot, once all CPUs are up).
 */
void intr_lazy_init(void);

/*
 * intr_lazy_thread_start: the C entry of a dispatched thread, called by
 * cpu_intr_switch on the thread's own stack.
 */
void intr_lazy_thread_start(struct lwp *t);

/* softint_describe: "func+0x0 at IPL_SOFTNET", for messages (softint.c). */
struct softint;
const char *softint_describe(const struct softint *si, char *buf,
    size_t size);

#endif
