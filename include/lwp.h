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

struct tty;

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

#define LWP_NAME_MAX	24		/* names are cut to 23 characters */

/* lwp_create flags */
#define LWP_JOINABLE	0x1	/* lwp_join() will reap it; else reaped on exit */
#define LWP_INTR	0x2	/* an interrupt thread (ps shows it as one) */

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

/*
 * A snapshot of one LWP, for `ps`.  The fields are read without the
 * scheduler's locks, each exact at some instant of the snapshot but not
 * all at the same one (an LWP may be waking while it is copied).
 */
enum lwp_info_state {
	LWP_INFO_IDL,		/* being created */
	LWP_INFO_RUN,		/* runnable, waiting for a CPU (an idle
				   LWP whose CPU runs another) */
	LWP_INFO_ONPROC,	/* running (or pinned: li_pinned_by != 0) */
	LWP_INFO_SLEEP,		/* asleep or blocked on a lock: li_wmesg */
	LWP_INFO_ZOMB,		/* exited, not yet reaped */
};

#define LWP_INFO_INTR	0x1	/* an interrupt thread */
#define LWP_INFO_IDLE	0x2	/* a CPU's idle LWP */
#define LWP_INFO_BOUND	0x4	/* bound to li_cpu */

struct lwp_info {
	uint32_t li_lid;			/* lwp_id */
	char li_name[LWP_NAME_MAX];
	enum lwp_info_state li_state;
	unsigned li_flags;			/* LWP_INFO_* */
	int li_pri;				/* effective priority */
	int li_base_pri;
	int li_cpu;				/* last CPU, -1 if none yet */
	uint32_t li_pinned_by;			/* lid of the interrupt thread
						   pinning it, or 0 */
	uint32_t li_pinning;			/* lid of the LWP it pins, or 0 */
	char li_wmesg[16];			/* what it sleeps on, or "" */
	uintptr_t li_wchan;			/* its wait channel, or 0 */
	uint64_t li_runtime_ns;			/* time on a CPU (up to its
						   last switch) */
	uint64_t li_switches;			/* times switched to */
};

/*
 * lwp_snapshot: copy up to max LWPs, in creation order, into out.
 * Returns how many exist (more than max if out was too small).
 * Context: thread (takes the LWP list's adaptive lock).
 */
size_t lwp_snapshot(struct lwp_info *out, size_t max);

/* lwp_state_name: a short name for a state ("run", "sleep", ...). */
const char *lwp_state_name(enum lwp_info_state state);

/*
 * lwp_set_terminal: make tp the calling LWP's terminal (NULL: none).
 * From then on its printf output goes to tp instead of the console,
 * wherever it may sleep (see lwp_terminal); log messages stay on the
 * console.  The shell uses it so that a shell on any serial port
 * answers on that port.  Context: thread.
 */
void lwp_set_terminal(struct tty *tp);

/*
 * lwp_terminal: the calling LWP's terminal if printf may write to it
 * here, or NULL: it must have one that is not the console (the console
 * keeps messages whole in its own way), and be in thread context with
 * interrupts on, no spin lock held, preemption allowed, outside any
 * console section and before any panic (tty_write sleeps).  Context: any.
 */
struct tty *lwp_terminal(void);

/*
 * lwp_controlling_terminal: the calling LWP's terminal (lwp_set_terminal),
 * console or not, or NULL.  Context: any.
 */
struct tty *lwp_controlling_terminal(void);

/*
 * lwp_interrupted: ^C was typed on the calling LWP's terminal since its
 * interrupt flag was last cleared (the shell clears it as each command
 * starts).  Long work polls it and stops: `ktest` between cases, the
 * shell's watching commands between refreshes.  False for an LWP with no
 * terminal.  Context: any.
 */
bool lwp_interrupted(void);

#endif
