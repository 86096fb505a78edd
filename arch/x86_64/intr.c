/*
 * intr.c: interrupt entry from vectors.S, vectors, and the LAPIC's own
 * interrupt lines (timer and IPIs).
 *
 * Design.  Every interrupt source is an IRQ descriptor of the generic IRQ
 * layer (kern/irq.c).  md_irq_attach gives a descriptor a vector in the
 * band of its IPL (machine/intr.h), so that the TPR can hold off a level's
 * sources exactly (spl.c).  x86_intr, entered for every vector from 32 up:
 *
 *  1. If the CPU's level holds the vector's IPL off (possible only with
 *     spl=soft, since with spl=tpr the LAPIC does not deliver it), the
 *     interrupt is deferred: irq_defer masks the source, the vector is
 *     marked in ci_ipending, the LAPIC gets its EOI, and x86_intr returns.
 *     splx replays it (x86_intr_replay), with ci_intr_replay set so that
 *     the chip sends no second EOI; an interrupt of a higher band that
 *     nests in the replayed handler clears it while it runs, since its own
 *     EOI is due (without it the LAPIC would hold off its class for good).
 *  2. Otherwise the CPU enters hard interrupt context at the vector's IPL,
 *     with interrupts enabled below IPL_SCHED so that a higher band can
 *     nest (the clock and IPIs interrupt a device handler), runs the
 *     descriptor's flow handler (irq_dispatch), and restores the level it
 *     found; the flow handler sends the EOI through the chip.  A replayed
 *     vector got its EOI when it was deferred, so x86_intr_eoi skips it
 *     while ci_intr_replay is set; an interrupt that nests in a replayed
 *     handler is a real delivery and clears ci_intr_replay for its own
 *     run, else its vector would stay in service at the LAPIC and hold
 *     off its class and every class below it for good.
 *  3. Leaving the outermost interrupt to IPL_NONE, with interrupts enabled
 *     in the interrupted context, is a preemption point.
 *
 * The storm poller (kern/irq_storm.c) enters the state of step 2 from a
 * thread (md_irq_poll_enter/exit) to run a throttled line's handlers.
 *
 * The spurious vector gets no EOI (SDM vol. 3 §10.9).  The LAPIC timer
 * and the IPIs are per-CPU IRQ lines with fixed vectors in the IPL_SCHED
 * band; their handlers are requested like any other (IRQF_PERCPU |
 * IRQF_NO_THREAD).
 *
 * Locking: vector_desc[] is written under vector_lock (spin, IPL_HIGH) and
 * read locklessly at interrupt entry: a vector is published only after its
 * descriptor is complete, and unpublished only after its source has been
 * shut down.  ci_ipending and ci_intr_replay belong to their CPU and are
 * touched with interrupts off.
 */
#include <irq.h>
#include <kassert.h>
#include <log.h>
#include <mutex.h>
#include <trace.h>

#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>
#include <kern/main.h>
#include <kern/md.h>

#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/frame.h>
#include <machine/intr.h>
#include <machine/ioapic.h>
#include <machine/lapic.h>
#include <machine/pmap.h>

static struct irq_desc *volatile vector_desc[256];
static kmutex_t vector_lock;

ipl_t
x86_ipl_of_vector(unsigned vector)
{
	if (vector >= X86_HIGH_VEC_FIRST)
		return IPL_HIGH;
	if (vector >= X86_SCHED_VEC_FIRST)
		return IPL_SCHED;
	return IPL_VM;
}

static void
vector_band(ipl_t ipl, unsigned *first, unsigned *last)
{
	switch (ipl) {
	case IPL_VM:
		*first = X86_VM_VEC_FIRST, *last = X86_VM_VEC_LAST;
		return;
	case IPL_SCHED:
		*first = X86_SCHED_VEC_FIRST, *last = X86_SCHED_VEC_LAST;
		return;
	case IPL_HIGH:
		*first = X86_HIGH_VEC_FIRST, *last = X86_HIGH_VEC_LAST;
		return;
	default:
		panic("intr: no vectors for %s", ipl_name(ipl));
	}
}

/*
 * md_irq_attach: give desc a vector in its IPL's band (or the fixed one
 * it already names).  Returns 0 or -EBUSY when the band is full.
 */
int
md_irq_attach(struct irq_desc *desc)
{
	unsigned first, last, v;
	int error = -EBUSY;

	vector_band(desc->id_ipl, &first, &last);
	mutex_enter(&vector_lock);
	if (desc->id_vector != 0) {
		KASSERTMSG(desc->id_vector >= first && desc->id_vector <= last,
		    "irq %d: vector %#x is not in the %s band", desc->id_irq,
		    desc->id_vector, ipl_name(desc->id_ipl));
		KASSERTMSG(vector_desc[desc->id_vector] == NULL,
		    "irq %d: vector %#x taken", desc->id_irq, desc->id_vector);
		first = last = desc->id_vector;
	}
	for (v = first; v <= last; v++) {
		if (vector_desc[v] == NULL) {
			desc->id_vector = v;
			vector_desc[v] = desc;
			error = 0;
			break;
		}
	}
	mutex_exit(&vector_lock);
	if (error != 0)
		kerr("intr: no free vector for irq %d (%s) in the %s band",
		    desc->id_irq, desc->id_name, ipl_name(desc->id_ipl));
	return error;
}

void
md_irq_detach(struct irq_desc *desc)
{
	mutex_enter(&vector_lock);
	KASSERT(vector_desc[desc->id_vector] == desc);
	vector_desc[desc->id_vector] = NULL;
	mutex_exit(&vector_lock);
}

void
md_irq_resend(struct irq_desc *desc)
{
	x86_vector_resend(desc->id_cpu, desc->id_vector);
}

void
x86_intr_eoi(void)
{
	if (curcpu()->ci_intr_replay == 0)
		lapic_eoi();
}

void
x86_vector_resend(struct cpu_info *ci, unsigned vector)
{
	lapic_send_ipi(ci, (uint8_t)vector);
}

/* Soft SPL pending vectors. */

static void
pending_set(struct cpu_info *ci, unsigned vec)
{
	ci->ci_ipending[vec / 64] |= 1ULL << (vec % 64);
}

void
x86_pending_clear(struct cpu_info *ci, unsigned vec)
{
	ci->ci_ipending[vec / 64] &= ~(1ULL << (vec % 64));
}

bool
x86_pending_highest(struct cpu_info *ci, ipl_t ipl, unsigned *vec)
{
	for (int w = 3; w >= 0; w--) {
		uint64_t bits = ci->ci_ipending[w];
		unsigned v;

		if (bits == 0)
			continue;
		v = (unsigned)w * 64 + 63 - (unsigned)__builtin_clzll(bits);
		if (x86_ipl_of_vector(v) <= ipl)
			return false;
		*vec = v;
		return true;
	}
	return false;
}

/*
 * Run desc's flow handler at its level in hard interrupt context: the
 * common middle of x86_intr and x86_intr_replay.  Interrupts are off on
 * entry and exit; the caller restores the level.
 */
static void
run_at_level(struct cpu_info *ci, struct irq_desc *desc)
{
	struct cpu_data *cd = &ci->ci_data;
	bool was_open = ci->ci_intr_open;

	cd->cpu_intr_depth++;
	cd->cpu_nintr++;
	TRACE(TRACE_IRQ_ENTER, desc->id_irq, desc->id_vector, 0);
	spl_set(desc->id_ipl);
	ci->ci_intr_open = desc->id_ipl < IPL_SCHED;
	if (ci->ci_intr_open)
		x86_sti();
	irq_dispatch(desc);
	x86_cli();
	TRACE(TRACE_IRQ_EXIT, desc->id_irq, desc->id_vector, 0);
	ci->ci_intr_open = was_open;
	cd->cpu_intr_depth--;
}

/*
 * The storm poller (kern/irq_storm.c) runs a throttled line's handlers
 * from a thread, in the state run_at_level gives them: hard interrupt
 * context at the line's level, interrupts enabled below IPL_SCHED (the
 * clock and IPIs nest), so the rules of hard context hold there too.
 * No EOI is involved: nothing was delivered.
 */
ipl_t
md_irq_poll_enter(ipl_t ipl)
{
	struct cpu_info *ci;
	ipl_t s;

	x86_cli();
	ci = curcpu();
	s = ci->ci_data.cpu_ipl;
	KASSERTMSG(ci->ci_data.cpu_intr_depth == 0 && ipl > s,
	    "md_irq_poll_enter(%s) at %s, interrupt depth %d: only from a "
	    "thread below the line's level", ipl_name(ipl), ipl_name(s),
	    ci->ci_data.cpu_intr_depth);
	ci->ci_data.cpu_intr_depth++;
	spl_set(ipl);
	ci->ci_intr_open = ipl < IPL_SCHED;
	if (ci->ci_intr_open)
		x86_sti();
	return s;
}

void
md_irq_poll_exit(ipl_t s)
{
	struct cpu_info *ci;

	x86_cli();
	ci = curcpu();
	ci->ci_intr_open = false;
	ci->ci_data.cpu_intr_depth--;
	splx(s);
}

/*
 * Interrupt-entry bookkeeping that takes spin mutexes runs "closed": in
 * hard interrupt context with ci_intr_open false, so that their splx
 * leaves interrupts disabled (spl.c).
 */
static bool
closed_enter(struct cpu_info *ci)
{
	bool was_open = ci->ci_intr_open;

	ci->ci_data.cpu_intr_depth++;
	ci->ci_intr_open = false;
	return was_open;
}

static void
closed_exit(struct cpu_info *ci, bool was_open)
{
	ci->ci_intr_open = was_open;
	ci->ci_data.cpu_intr_depth--;
}

void
x86_intr_replay(struct cpu_info *ci, unsigned vec)
{
	struct irq_desc *desc = vector_desc[vec];
	bool was_open;

	if (desc == NULL)
		return;		/* shut down since it was deferred */
	ci->ci_intr_replay++;
	run_at_level(ci, desc);
	was_open = closed_enter(ci);
	irq_replay(desc);
	closed_exit(ci, was_open);
	ci->ci_intr_replay--;
}

static void
defer(struct cpu_info *ci, struct irq_desc *desc)
{
	bool was_open;

	KASSERTMSG(spl_impl == SPL_SOFT,
	    "intr: vector %#x (irq %d, %s) delivered at %s with spl=tpr",
	    desc->id_vector, desc->id_irq, ipl_name(desc->id_ipl),
	    ipl_name(ci->ci_data.cpu_ipl));
	was_open = closed_enter(ci);
	irq_defer(desc);
	closed_exit(ci, was_open);
	pending_set(ci, desc->id_vector);
	lapic_eoi();
}

/*
 * Run an interrupt that came from the LAPIC now.  Its EOI is due even if
 * it nests in the handler of a replayed one (whose EOI went at deferral),
 * so the replay mark is set aside while it runs.
 */
static void
run_live(struct cpu_info *ci, struct irq_desc *desc)
{
	int replay = ci->ci_intr_replay;

	ci->ci_intr_replay = 0;
	run_at_level(ci, desc);
	ci->ci_intr_replay = replay;
}

void x86_intr(struct trapframe *tf);
void
x86_intr(struct trapframe *tf)
{
	struct cpu_info *ci = curcpu();
	struct cpu_data *cd = &ci->ci_data;
	struct irq_desc *desc;
	ipl_t s = cd->cpu_ipl;

	if (tf->tf_vector == VEC_SPURIOUS)
		return;
	desc = vector_desc[tf->tf_vector];
	if (desc == NULL) {
		kwarn("intr: stray interrupt on vector %#lx", tf->tf_vector);
		lapic_eoi();
		return;
	}
	if (desc->id_ipl <= s) {
		defer(ci, desc);
		return;
	}
	run_live(ci, desc);
	spl_lower(s, cd->cpu_intr_depth == 0 && (tf->tf_rflags & PSL_I));
}

bool
cpu_intr_p(void)
{
	uint64_t was = intr_save();
	bool in = curcpu()->ci_data.cpu_intr_depth > 0;

	intr_restore(was);
	return in;
}

/*
 * The LAPIC's lines: per-CPU, fixed vectors, no mask (the timer is
 * one-shot and the IPIs are sent on purpose), EOI at the end.
 */
static void lapic_line_eoi(struct irq_desc *desc) { x86_intr_eoi(); }

static const struct irq_chip lapic_chip = {
	.ic_name = "lapic",
	.ic_eoi = lapic_line_eoi,
};

static int irq_timer = -1, irq_resched = -1, irq_tlb = -1, irq_call = -1;
static void (*timer_fn)(void);
static void (*xcall_fn)(void);

static int
lapic_line(unsigned vector, const char *name)
{
	struct irq_desc *desc = irq_desc_create(-1, &lapic_chip, NULL,
	    IPL_SCHED, IRQ_FLOW_PERCPU, name, vector);

	if (desc == NULL)
		panic("intr: cannot create the LAPIC line %s", name);
	return desc->id_irq;
}

static irqreturn_t timer_intr(int irq, void *dev) { timer_fn(); return IRQ_HANDLED; }
static irqreturn_t xcall_intr(int irq, void *dev) { xcall_fn(); return IRQ_HANDLED; }
static irqreturn_t tlb_intr(int irq, void *dev) { pmap_tlb_shootdown_ipi(); return IRQ_HANDLED; }
/* The reschedule IPI only interrupts: x86_intr's exit path preempts. */
static irqreturn_t resched_intr(int irq, void *dev) { return IRQ_HANDLED; }

static void
request_lapic_line(int irq, irq_handler_t fn, const char *name)
{
	int error = request_irq(irq, fn, IRQF_PERCPU | IRQF_NO_THREAD, name,
	    NULL);

	if (error != 0)
		panic("intr: cannot request %s: %d", name, error);
}

/* cpu_intr_init: the LAPIC's lines and the IOAPICs (boot CPU, once). */
void
cpu_intr_init(void)
{
	mutex_init(&vector_lock, MUTEX_SPIN, IPL_HIGH);
	irq_timer = lapic_line(VEC_LAPIC_TIMER, "lapic timer");
	irq_resched = lapic_line(IPI_RESCHED, "ipi resched");
	irq_tlb = lapic_line(IPI_TLB, "ipi tlb");
	irq_call = lapic_line(IPI_CALL, "ipi call");
	request_lapic_line(irq_resched, resched_intr, "resched");
	request_lapic_line(irq_tlb, tlb_intr, "tlb");
	ioapic_init();
}

void
cpu_timer_establish(void (*fn)(void))
{
	timer_fn = fn;
	request_lapic_line(irq_timer, timer_intr, "timer");
}

void
cpu_xcall_establish(void (*fn)(void))
{
	xcall_fn = fn;
	request_lapic_line(irq_call, xcall_intr, "xcall");
}

void cpu_timer_program(uint64_t deadline) { lapic_timer_program(deadline); }
void cpu_send_resched(struct cpu_info *ci) { lapic_send_ipi(ci, IPI_RESCHED); }
void cpu_send_xcall(struct cpu_info *ci) { lapic_send_ipi(ci, IPI_CALL); }
bool cpu_ready(const struct cpu_info *ci) { return ci->ci_running; }
