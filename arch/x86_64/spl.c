/*
 * spl.c: interrupt priority levels, two implementations chosen at boot.
 *
 * Design.  Every CPU has a software level, cpu_ipl.  Interrupt vectors are
 * allocated in IPL bands (intr.c): IPL_VM sources (devices) use vectors
 * 0x30-0xcf, IPL_SCHED sources (the clock, IPIs) 0xd0-0xef, IPL_HIGH
 * 0xf0-0xfe.  What "holding off" a band means depends on spl=:
 *
 *  spl=tpr (default)  The task priority register does it.  In 64-bit mode
 *	CR8 holds TPR[7:4], the priority class, and the LAPIC delivers only
 *	vectors whose class (vector >> 4) is above it (SDM vol. 3 §10.8.3.1,
 *	§10.8.6.1).  IPL_VM writes class 0xc, which blocks exactly the
 *	device band; IPL_SCHED 0xe; IPL_HIGH 0xf.  Levels below IPL_VM write
 *	0: soft levels hold off soft interrupts and preemption, no hardware,
 *	so raising to one is a store, as with spl=soft.
 *
 *  spl=soft  NetBSD x86 style software deferral.  Raising the level is a
 *	store.  An interrupt that arrives while its band is held off is not
 *	run: intr.c masks its source (if the chip can), records its vector as
 *	pending in this CPU's ci_ipending bitmap and sends the EOI.  When
 *	splx lowers the level below a pending vector's IPL the vector is
 *	replayed, highest vector (so highest IPL) first, at its own level,
 *	and its source unmasked.
 *
 * In both, IPL_SCHED and IPL_HIGH also clear RFLAGS.IF: the scheduler's
 * switch path and the sleep-queue and turnstile locks (IPL_SCHED) must not
 * see any interrupt at all, including one of a higher band.  So hardware
 * masking by level matters for IPL_VM, the level of device interrupts and
 * spin mutexes that device handlers share with threads, and the interrupt
 * flag is a function of the level: on below IPL_SCHED, off from it up
 * (and off throughout while the kernel is cold, before the scheduler runs).
 *
 * Preemption.  Lowering to IPL_NONE is a preemption point: a reschedule
 * that became due while the level was raised happens there (kpreempt).
 *
 * Rules: splx restores a level obtained from splraise, in LIFO order.
 * cpu_ipl and the TPR are written only by their own CPU, with interrupts
 * off whenever the write could race with an interrupt on that CPU (every
 * write in tpr mode, every lowering in soft mode).  A raise in soft mode
 * is a %gs-relative load and store: an LWP is preempted only at IPL_NONE
 * and resumes at IPL_NONE wherever it lands, so the level it read is right
 * even if it moved between the two instructions.
 */
#include <kassert.h>
#include <lwp.h>
#include <options.h>
#include <spl.h>

#include <kern/intr_lazy.h>
#include <kern/lwp_impl.h>
#include <kern/main.h>
#include <kern/md.h>

#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/intr.h>

static const char *const ipl_names[NIPL] = {
	"IPL_NONE", "IPL_SOFTCLOCK", "IPL_SOFTBIO", "IPL_SOFTNET",
	"IPL_SOFTSERIAL", "IPL_VM", "IPL_SCHED", "IPL_HIGH",
};

/* The TPR priority class each level writes (spl=tpr). */
static const uint8_t ipl_tpr[NIPL] = {
	[IPL_NONE] = 0, [IPL_SOFTCLOCK] = 0, [IPL_SOFTBIO] = 0,
	[IPL_SOFTNET] = 0, [IPL_SOFTSERIAL] = 0,
	[IPL_VM] = X86_VM_VEC_LAST >> 4,
	[IPL_SCHED] = X86_SCHED_VEC_LAST >> 4,
	[IPL_HIGH] = 0xf,
};

static const char *const spl_words[] = { "tpr", "soft", NULL };
unsigned spl_impl = SPL_TPR;
OPTION_CHOICE("spl", spl_impl, spl_words,
    "interrupt priority levels: tpr (task priority register) or soft "
    "(software deferral)");

#define CPU_IPL_OFFSET \
	(offsetof(struct cpu_info, ci_data) + offsetof(struct cpu_data, cpu_ipl))

static inline ipl_t
gs_ipl(void)
{
	ipl_t v;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(v) : "i"(CPU_IPL_OFFSET));
	return v;
}

static inline void
gs_set_ipl(ipl_t v)
{
	__asm__ volatile("movl %0, %%gs:%c1" :: "r"(v), "i"(CPU_IPL_OFFSET)
	    : "memory");
}

static inline void
lcr8(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

const char *
ipl_name(ipl_t ipl)
{
	return ipl >= 0 && ipl < NIPL ? ipl_names[ipl] : "IPL_?";
}

const char *
spl_impl_name(void)
{
	return spl_words[spl_impl];
}

ipl_t
curipl(void)
{
	return gs_ipl();
}

/*
 * spl_set: make ipl this CPU's level, in software and (tpr) hardware,
 * without replaying or preempting.  Interrupts are off.
 */
void
spl_set(ipl_t ipl)
{
	KASSERT(!intr_enabled());
	if (spl_impl == SPL_TPR)
		lcr8(ipl_tpr[ipl]);
	gs_set_ipl(ipl);
}

/*
 * Replay, highest first, the vectors deferred while the level was at or
 * above theirs and that ipl no longer holds off.  Interrupts are off.
 */
static void
replay_pending(struct cpu_info *ci, ipl_t ipl)
{
	unsigned vec;

	while (x86_pending_highest(ci, ipl, &vec)) {
		x86_pending_clear(ci, vec);
		x86_intr_replay(ci, vec);
		spl_set(ipl);
	}
}

ipl_t
splraise(ipl_t ipl)
{
	ipl_t old = gs_ipl();
	uint64_t was;

	KASSERTMSG(ipl >= 0 && ipl < NIPL, "splraise: bad level %d", ipl);
	if (ipl <= old)
		return old;
	if (ipl < IPL_SCHED &&
	    (spl_impl == SPL_SOFT || ipl_tpr[ipl] == ipl_tpr[old])) {
		gs_set_ipl(ipl);
		return old;
	}
	was = intr_save();
	spl_set(ipl);
	if (ipl < IPL_SCHED)
		intr_restore(was);
	return old;
}

/*
 * May this CPU run lazy interrupt threads now (kern/intr_lazy.c)?  Not in
 * hard interrupt context nor over a spin lock, and only for levels above s.
 */
static bool
lazy_work_runnable(struct cpu_data *cd, ipl_t s)
{
	return cd->cpu_lazy_pending != 0 && cd->cpu_intr_depth == 0 &&
	    cd->cpu_mtx_count == 0 && !cold && intr_lazy_due(s);
}

/*
 * spl_lower: the body of splx, interrupts off: set the level, replay
 * what it unblocks, run the lazy interrupt threads and soft interrupts
 * it unblocks, and at IPL_NONE take a due preemption if preempt; an LWP
 * that resumes here after being preempted does all that again, since
 * work may have been held off on its CPU while another ran.  Returns with
 * interrupts still off.
 */
void
spl_lower(ipl_t s, bool preempt)
{
	for (;;) {
		struct cpu_info *ci = curcpu();
		struct cpu_data *cd = &ci->ci_data;

		spl_set(s);
		if (spl_impl == SPL_SOFT)
			replay_pending(ci, s);
		if (lazy_work_runnable(cd, s) && intr_lazy_run(s))
			continue;
		if (!preempt || s != IPL_NONE || !cd->cpu_want_resched ||
		    ci->ci_curlwp->l_nopreempt != 0 || !kpreempt())
			return;
	}
}

/*
 * splx: below IPL_SCHED interrupts come back on, except in hard interrupt
 * context that runs with them off (a handler at IPL_SCHED or up, or the
 * entry bookkeeping of intr.c: !ci_intr_open).
 */
void
splx(ipl_t s)
{
	struct cpu_info *ci;
	bool in_intr;

	KASSERTMSG(s >= 0 && s < NIPL, "splx: bad level %d", s);
	x86_cli();
	ci = curcpu();
	in_intr = ci->ci_data.cpu_intr_depth > 0;
	spl_lower(s, !in_intr);
	if (s < IPL_SCHED && !cold && (!in_intr || ci->ci_intr_open))
		x86_sti();
}
