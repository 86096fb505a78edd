/*
 * lwp.h: kernel threads (light-weight processes, LWPs) and the scheduler
 * calls threads make.
 *
 * Priorities: a larger number runs first.  Bands, high to low:
 *
 *	PRI_INTR_MIN..PRI_INTR_MAX	interrupt threads
 *	PRI_SOFTINT_MIN..PRI_SOFTINT_MAX soft interrupt threads
 *	PRI_RT_MIN..PRI_RT_MAX		real-time kernel threads (FIFO per level)
 *	PRI_KERNEL_MIN..PRI_KERNEL_MAX	normal kernel threads (time-sliced)
 *	PRI_IDLE			the idle LWP of each CPU
 *
 * An LWP's effective priority is the highest of its base priority and the
 * priorities lent to it through turnstiles by LWPs waiting for locks it
 * holds (priority inheritance).
 */
#ifndef PINWHEEL_LWP_H
#define PINWHEEL_LWP_H

#include <cpu.h>
#include <types.h>

#define PRI_IDLE	0
#define PRI_KERNEL_MIN	1
#define PRI_KERNEL	32		/* default for kernel threads */
#define PRI_KERNEL_MAX	63
#define PRI_RT_MIN	64
#define PRI_RT_MAX	127
#define PRI_SOFTINT_MIN	128
#define PRI_SOFTINT_MAX	159
#define PRI_INTR_MIN	160
#define PRI_INTR_MAX	223
#define NPRI		224

/* lwp_create flags */
#define LWP_JOINABLE	0x1	/* lwp_join() will reap it; else reaped on exit */

typedef void (*lwp_func_t)(void *);

/*
 * lwp_create: make a new LWP running func(arg) at base priority pri, bound
 * to CPU ci (NULL: any CPU, the scheduler balances it), named name (copied,
 * truncated to 23 characters).  It becomes runnable at once.
 * Context: thread.  Returns 0 and sets *lp, or -EINVAL for a bad
 * priority, or -ENOMEM.
 */
int lwp_create(lwp_func_t func, void *arg, int pri, struct cpu_info *ci,
    int flags, const char *name, struct lwp **lp);

/* lwp_exit: end the calling LWP.  Context: thread, no locks held. */
__noreturn void lwp_exit(void);

/*
 * lwp_join: wait for a joinable LWP to exit and free it.  Returns 0, or
 * -EINVAL if l is not joinable.  Context: thread.
 */
int lwp_join(struct lwp *l);

/* lwp_set_priority: change the base priority.  Context: thread. */
void lwp_set_priority(struct lwp *l, int pri);
/* lwp_priority: effective priority (base or inherited, whichever is higher). */
int lwp_priority(const struct lwp *l);
/* lwp_base_priority: the priority set at creation or by lwp_set_priority. */
int lwp_base_priority(const struct lwp *l);
/* lwp_name: the name given at creation. */
const char *lwp_name(const struct lwp *l);
/* lwp_id: a number naming l, unique since boot (from 1; traces use it). */
uint32_t lwp_id(const struct lwp *l);
/* lwp_cpu: the CPU the LWP last ran on or is queued for. */
struct cpu_info *lwp_cpu(const struct lwp *l);
/*
 * lwp_pinned: the LWP that the lazy interrupt thread l runs on top of,
 * pinned beneath it (IRQ_MODE_LAZY, soft interrupts), or NULL when l runs
 * as an ordinary thread.  lwp_pinned_by: the interrupt thread pinning l,
 * or NULL.  Both are snapshots, exact only for curlwp.
 */
struct lwp *lwp_pinned(const struct lwp *l);
struct lwp *lwp_pinned_by(const struct lwp *l);
/* lwp_is_sleeping: l is asleep (a sleep queue or a turnstile) on wchan. */
bool lwp_is_sleeping(const struct lwp *l, const void *wchan);
/*
 * lwp_bind: bind l to ci (NULL unbinds).  Binding the calling LWP moves it
 * to ci before returning.  Context: thread.
 */
void lwp_bind(struct lwp *l, struct cpu_info *ci);

/*
 * yield: give up the CPU to any runnable LWP of the same or higher
 * priority on this CPU.  Context: thread.
 */
void yield(void);

/*
 * ksleep: sleep for ns nanoseconds (ksleep_until: until the absolute
 * nanouptime() deadline).  Context: thread, no spin mutex held; never from
 * interrupt context.
 */
void ksleep(uint64_t ns);
void ksleep_until(uint64_t deadline);

/*
 * kpreempt_disable/enable: hold off preemption of the calling LWP (it can
 * still be interrupted).  Nest.  Enabling runs a preemption that became
 * due meanwhile.
 */
void kpreempt_disable(void);
void kpreempt_enable(void);

/* lwp_count: LWPs in existence (for tests and ps). */
unsigned lwp_count(void);

#endif
