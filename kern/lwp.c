/*
 * lwp.c: creating, running and reaping kernel threads (LWPs).
 *
 * Life of an LWP: lwp_create allocates the structure, a kernel stack with
 * an unmapped guard page below it and a turnstile to lend, and makes it
 * runnable (LSIDL -> LSRUN).  The scheduler runs it (LSONPROC), it sleeps
 * and wakes (LSSLEEP), and lwp_exit makes it a zombie (LSZOMB).  The LWP
 * that runs next on that CPU, once the zombie's context is saved, either
 * wakes the joiner (LW_JOINABLE: lwp_join frees it) or hands it to the
 * reaper thread, which frees it.  A stack can only be freed by someone
 * else: nobody frees the stack they run on.
 *
 * Stacks live in their own region of kernel address space (KSTACK_BASE),
 * in slots of KSTACK_SLOT bytes: the first page of a slot is never mapped,
 * so running off the bottom of a stack faults in the guard page and is
 * reported as a stack overflow of the LWP (trap.c).
 *
 * Locking.  lwp_list_lock (adaptive) covers the list of all LWPs and
 * lwp_total.  stack_lock (adaptive) covers the slot bitmap.  deathrow_lock
 * (simplelock, interrupts off) covers the reaper's list of zombies.
 */
#include <cons.h>
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <string.h>
#include <tty.h>

#include <kern/lwp_impl.h>
#include <kern/md.h>
#include <kern/simplelock.h>

#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>

#define KSTACK_SLOTS	4096	/* LWPs that can exist at once */

static kmutex_t lwp_list_lock;
static struct list_head lwp_all = LIST_HEAD_INIT(lwp_all);
static unsigned lwp_total;

static kmutex_t stack_lock;
static uint64_t stack_slots_used[KSTACK_SLOTS / 64];

static struct simplelock deathrow_lock = SIMPLELOCK_INITIALIZER;
static struct list_head deathrow = LIST_HEAD_INIT(deathrow);

static struct lwp lwp0;
extern char boot_stack_guard[];

static void reaper(void *arg);

static vaddr_t
stack_alloc(void)
{
	unsigned slot = KSTACK_SLOTS;
	vaddr_t base;

	mutex_enter(&stack_lock);
	for (unsigned w = 0; w < nitems(stack_slots_used) && slot == KSTACK_SLOTS; w++) {
		if (~stack_slots_used[w] != 0) {
			slot = w * 64 + __builtin_ctzll(~stack_slots_used[w]);
			stack_slots_used[w] |= 1ULL << (slot % 64);
		}
	}
	mutex_exit(&stack_lock);
	if (slot == KSTACK_SLOTS)
		return 0;
	base = KSTACK_BASE + slot * KSTACK_SLOT + PAGE_SIZE;	/* above the guard */
	for (vaddr_t va = base; va < base + KSTACK_SIZE; va += PAGE_SIZE)
		pmap_kenter(va, page_alloc(KM_SLEEP), PROT_READ | PROT_WRITE);
	return base;
}

static void
stack_free(vaddr_t base)
{
	unsigned slot = (base - PAGE_SIZE - KSTACK_BASE) / KSTACK_SLOT;

	for (vaddr_t va = base; va < base + KSTACK_SIZE; va += PAGE_SIZE)
		page_free(pmap_kremove(va));
	mutex_enter(&stack_lock);
	KASSERTMSG(stack_slots_used[slot / 64] & (1ULL << (slot % 64)),
	    "stack_free: slot %u of %#lx is not in use", slot, base);
	stack_slots_used[slot / 64] &= ~(1ULL << (slot % 64));
	mutex_exit(&stack_lock);
}

static uint32_t lwp_last_id;		/* atomic: the last l_lid given */

static void
lwp_init_fields(struct lwp *l, int pri, struct cpu_info *ci, int flags,
    const char *name)
{
	list_init(&l->l_runq);
	list_init(&l->l_all);
	list_init(&l->l_sleepchain);
	list_init(&l->l_pi_held);
	l->l_bound = ci;
	l->l_cpu = ci != NULL ? ci : curcpu();
	l->l_stat = LSIDL;
	l->l_flags = flags;
	l->l_base_pri = l->l_pri = pri;
	l->l_lid = __atomic_add_fetch(&lwp_last_id, 1, __ATOMIC_RELAXED);
	strlcpy(l->l_name, name, sizeof(l->l_name));
}

static void
lwp_list_add(struct lwp *l)
{
	mutex_enter(&lwp_list_lock);
	list_add_tail(&lwp_all, &l->l_all);
	lwp_total++;
	mutex_exit(&lwp_list_lock);
}

/* lwp0: the boot CPU's first context, on locore's boot stack; it becomes
 * that CPU's idle LWP.  Called before anything else (no allocation). */
struct lwp *
lwp0_init(struct cpu_info *ci)
{
	lwp_init_fields(&lwp0, PRI_IDLE, ci, LW_IDLE | LW_SYSTEM, "idle/0");
	lwp0.l_stat = LSONPROC;
	lwp0.l_oncpu = 1;
	lwp0.l_stack = (vaddr_t)boot_stack_guard + PAGE_SIZE;
	ci->ci_data.cpu_idlelwp = &lwp0;
	return &lwp0;
}

void
lwp_init(void)
{
	mutex_init(&lwp_list_lock, MUTEX_DEFAULT, IPL_NONE);
	mutex_init(&stack_lock, MUTEX_DEFAULT, IPL_NONE);
	lwp0.l_ts = turnstile_alloc();
	list_add_tail(&lwp_all, &lwp0.l_all);
	lwp_total = 1;
}

static struct lwp *
lwp_alloc(int pri, struct cpu_info *ci, int flags, const char *name)
{
	struct lwp *l = kmem_zalloc(sizeof(*l), KM_SLEEP);

	l->l_stack = stack_alloc();
	if (l->l_stack == 0) {
		kmem_free(l, sizeof(*l));
		return NULL;
	}
	lwp_init_fields(l, pri, ci, flags, name);
	l->l_ts = turnstile_alloc();
	return l;
}

/* The idle LWP of another CPU: it starts when that CPU does (smp.c). */
struct lwp *
lwp_create_idle(struct cpu_info *ci)
{
	char name[LWP_NAME_MAX];
	struct lwp *l;

	snprintf(name, sizeof(name), "idle/%u", ci->ci_index);
	l = lwp_alloc(PRI_IDLE, ci, LW_IDLE | LW_SYSTEM, name);
	KASSERTMSG(l != NULL, "no kernel stack for %s", name);
	l->l_stat = LSONPROC;
	l->l_oncpu = 1;
	lwp_list_add(l);
	return l;
}

int
lwp_create(lwp_func_t func, void *arg, int pri, struct cpu_info *ci,
    int flags, const char *name, struct lwp **lp)
{
	struct lwp *l;

	if (pri < PRI_KERNEL_MIN || pri > PRI_INTR_MAX)
		return -EINVAL;
	if (flags & ~(LWP_JOINABLE | LWP_INTR))
		return -EINVAL;
	l = lwp_alloc(pri, ci, ((flags & LWP_JOINABLE) ? LW_JOINABLE : 0) |
	    ((flags & LWP_INTR) ? LW_INTR : 0), name);
	if (l == NULL)
		return -ENOMEM;
	cpu_lwp_init(l, func, arg);
	lwp_list_add(l);
	if (lp != NULL)
		*lp = l;
	/*
	 * sched_setrunnable only asks for a reschedule; kpreempt_enable is
	 * the preemption point that lets a new LWP of higher priority run
	 * on this CPU before its creator continues.
	 */
	kpreempt_disable();
	sched_setrunnable(l);
	kpreempt_enable();
	return 0;
}

/* lwp_startup: a new LWP's first C code (from lwp_trampoline). */
void
lwp_startup(struct lwp *prev)
{
	sched_switch_finish(prev);
	splx(IPL_NONE);
}

void
lwp_exit(void)
{
	struct lwp *l = curlwp;

	KASSERTMSG(spin_section_count() == 0,
	    "lwp %s exiting with %d spin mutex(es) held", l->l_name,
	    spin_section_count());
	KASSERTMSG(list_empty(&l->l_pi_held),
	    "lwp %s exiting while owning a contended lock", l->l_name);
	KASSERTMSG(!(l->l_flags & LW_IDLE), "idle LWP exiting");
	(void)splsched();
	l->l_stat = LSZOMB;
	sched_switch();
	panic("lwp_exit: zombie %s ran again", l->l_name);
}

/*
 * lwp_exited: the zombie prev's context is saved (l_oncpu is clear);
 * hand it to its joiner or the reaper.  Called by the LWP that ran next,
 * with interrupts off.
 */
void lwp_exited(struct lwp *l);
void
lwp_exited(struct lwp *l)
{
	if (l->l_flags & LW_JOINABLE) {
		sleepq_wakeup(l, ~0U);
		return;
	}
	simple_lock(&deathrow_lock);
	list_add_tail(&deathrow, &l->l_runq);
	simple_unlock(&deathrow_lock);
	sleepq_wakeup(&deathrow, 1);
}

static void
lwp_free(struct lwp *l)
{
	KASSERTMSG(l->l_stat == LSZOMB && !l->l_oncpu,
	    "freeing lwp %s that is not a dead zombie", l->l_name);
	mutex_enter(&lwp_list_lock);
	list_del_init(&l->l_all);
	lwp_total--;
	mutex_exit(&lwp_list_lock);
	stack_free(l->l_stack);
	turnstile_free(l->l_ts);
	kmem_free(l, sizeof(*l));
}

static bool
is_dead(struct lwp *l)
{
	return l->l_stat == LSZOMB && !__atomic_load_n(&l->l_oncpu, __ATOMIC_ACQUIRE);
}

int
lwp_join(struct lwp *l)
{
	if (!(l->l_flags & LW_JOINABLE))
		return -EINVAL;
	KASSERTMSG(l != curlwp, "lwp %s joining itself", l->l_name);
	for (;;) {
		struct sleepq_chain *sc = sleepq_lock(l);

		if (is_dead(l)) {
			sleepq_unlock(sc);
			break;
		}
		(void)sleepq_block(sc, l, "lwpjoin", 0);
	}
	lwp_free(l);
	return 0;
}

static struct lwp *
deathrow_take(void)
{
	struct lwp *l = NULL;
	uint64_t was = intr_save();

	simple_lock(&deathrow_lock);
	if (!list_empty(&deathrow)) {
		l = list_first_entry(&deathrow, struct lwp, l_runq);
		list_del_init(&l->l_runq);
	}
	simple_unlock(&deathrow_lock);
	intr_restore(was);
	return l;
}

static void
reaper(void *arg)
{
	for (;;) {
		struct lwp *l;
		struct sleepq_chain *sc;

		while ((l = deathrow_take()) != NULL)
			lwp_free(l);
		sc = sleepq_lock(&deathrow);
		if (list_empty(&deathrow))
			(void)sleepq_block(sc, &deathrow, "reaper", 0);
		else
			sleepq_unlock(sc);
	}
}

/* lwp_start_reaper: start the thread that frees detached zombies. */
void lwp_start_reaper(void);
void
lwp_start_reaper(void)
{
	int error = lwp_create(reaper, NULL, PRI_KERNEL, NULL, 0, "reaper", NULL);

	KASSERTMSG(error == 0, "cannot start the reaper: %d", error);
}

void
lwp_set_priority(struct lwp *l, int pri)
{
	KASSERTMSG(pri >= PRI_KERNEL_MIN && pri <= PRI_INTR_MAX,
	    "lwp_set_priority: bad priority %d for %s", pri, l->l_name);
	l->l_base_pri = pri;
	turnstile_recompute_pri(l);
}

int lwp_priority(const struct lwp *l) { return l->l_pri; }
int lwp_base_priority(const struct lwp *l) { return l->l_base_pri; }
const char *lwp_name(const struct lwp *l) { return l->l_name; }
uint32_t lwp_id(const struct lwp *l) { return l->l_lid; }
struct cpu_info *lwp_cpu(const struct lwp *l) { return l->l_cpu; }
struct lwp *lwp_pinned(const struct lwp *l) { return l->l_pinned; }
struct lwp *lwp_pinned_by(const struct lwp *l) { return l->l_pinned_by; }

bool
lwp_is_sleeping(const struct lwp *l, const void *wchan)
{
	return l->l_stat == LSSLEEP && l->l_wchan == wchan;
}
unsigned lwp_count(void) { return lwp_total; }

void
lwp_bind(struct lwp *l, struct cpu_info *ci)
{
	l->l_bound = ci;
	if (l == curlwp && ci != NULL && curcpu() != ci)
		yield();	/* sched_switch sends us to ci */
}

/*
 * An idle LWP stays LSONPROC when its CPU runs something else: it is
 * shown running only while it is its CPU's current LWP or pinned there.
 */
static enum lwp_info_state
info_state(const struct lwp *l)
{
	switch (l->l_stat) {
	case LSRUN: return LWP_INFO_RUN;
	case LSONPROC:
		if ((l->l_flags & LW_IDLE) && l->l_cpu->ci_curlwp != l &&
		    l->l_pinned_by == NULL)
			return LWP_INFO_RUN;
		return LWP_INFO_ONPROC;
	case LSSLEEP: return LWP_INFO_SLEEP;
	case LSZOMB: return LWP_INFO_ZOMB;
	default: return LWP_INFO_IDL;
	}
}

static unsigned
info_flags(const struct lwp *l)
{
	return ((l->l_flags & LW_INTR) ? LWP_INFO_INTR : 0) |
	    ((l->l_flags & LW_IDLE) ? LWP_INFO_IDLE : 0) |
	    (l->l_bound != NULL ? LWP_INFO_BOUND : 0);
}

/* Copy l; its pointers are read once each, as they may change under us. */
static void
info_fill(struct lwp_info *li, const struct lwp *l)
{
	struct cpu_info *ci = l->l_cpu;
	struct lwp *by = l->l_pinned_by, *under = l->l_pinned;
	const char *wmesg = l->l_wmesg;

	li->li_lid = l->l_lid;
	strlcpy(li->li_name, l->l_name, sizeof(li->li_name));
	li->li_state = info_state(l);
	li->li_flags = info_flags(l);
	li->li_pri = l->l_pri;
	li->li_base_pri = l->l_base_pri;
	li->li_cpu = ci != NULL ? (int)cpu_index(ci) : -1;
	/* The links mean something only while the pair is on the CPU. */
	li->li_pinned_by = by != NULL && li->li_state == LWP_INFO_ONPROC ?
	    by->l_lid : 0;
	li->li_pinning = under != NULL && li->li_state == LWP_INFO_ONPROC ?
	    under->l_lid : 0;
	li->li_wchan = 0;
	li->li_wmesg[0] = '\0';
	if (li->li_state == LWP_INFO_SLEEP) {
		li->li_wchan = (uintptr_t)l->l_wchan;
		if (wmesg != NULL)
			strlcpy(li->li_wmesg, wmesg, sizeof(li->li_wmesg));
	}
	li->li_runtime_ns = l->l_runtime_ns;
	li->li_switches = l->l_switches;
}

size_t
lwp_snapshot(struct lwp_info *out, size_t max)
{
	struct list_head *p;
	size_t n = 0;

	mutex_enter(&lwp_list_lock);
	list_foreach(p, &lwp_all) {
		if (n < max)
			info_fill(&out[n], list_entry(p, struct lwp, l_all));
		n++;
	}
	mutex_exit(&lwp_list_lock);
	return n;
}

const char *
lwp_state_name(enum lwp_info_state state)
{
	static const char *const names[] = {
		[LWP_INFO_IDL] = "idl", [LWP_INFO_RUN] = "run",
		[LWP_INFO_ONPROC] = "onproc", [LWP_INFO_SLEEP] = "sleep",
		[LWP_INFO_ZOMB] = "zomb",
	};

	KASSERTMSG((unsigned)state < nitems(names),
	    "lwp_state_name: bad state %d", (int)state);
	return names[state];
}

/*
 * Set by the first lwp_set_terminal: until then printf need not look at
 * curlwp, which it cannot before the boot CPU's %gs is set up.
 */
static volatile bool terminals_used;

void
lwp_set_terminal(struct tty *tp)
{
	curlwp->l_tty = tp;
	terminals_used = true;
}

struct tty *
lwp_controlling_terminal(void)
{
	return terminals_used ? curlwp->l_tty : NULL;
}

bool
lwp_interrupted(void)
{
	struct tty *tp = lwp_controlling_terminal();

	return tp != NULL && tty_interrupted(tp);
}

struct tty *
lwp_terminal(void)
{
	struct lwp *l;
	struct cpu_data *cd;

	/* A console section keeps interrupts off: intr_enabled covers it. */
	if (!terminals_used || !intr_enabled() || cons_panicking())
		return NULL;
	l = curlwp;
	if (l->l_tty == NULL || tty_is_console(l->l_tty))
		return NULL;
	cd = &curcpu()->ci_data;
	if (cd->cpu_intr_depth != 0 || cd->cpu_mtx_count != 0 ||
	    l->l_nopreempt != 0)
		return NULL;
	return l->l_tty;
}
