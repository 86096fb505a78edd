/*
 * intr.c: interrupt entry from vectors.S.
 *
 * Design.  x86_intr runs for every vector from 32 up: it marks the CPU as in
 * hard interrupt context at IPL_HIGH, calls the vector's handler, sends the
 * LAPIC its EOI, and on the way out of the outermost interrupt lets the
 * scheduler preempt the interrupted LWP if a higher-priority one became
 * runnable and the interrupted context was preemptible (IPL_NONE with
 * interrupts enabled).  Handlers run with interrupts disabled and do not
 * nest.  The spurious vector gets no EOI (SDM vol. 3 §10.9).
 *
 * Locking: the handler table is written at boot before interrupts are
 * enabled, then only read.
 */
#include <kassert.h>
#include <log.h>

#include <kern/lwp_impl.h>

#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/frame.h>
#include <machine/intr.h>
#include <machine/lapic.h>
#include <machine/pmap.h>

#include <kern/main.h>
#include <kern/md.h>

static vector_handler_t vector_handlers[256];

void
x86_vector_establish(unsigned vector, vector_handler_t handler)
{
	KASSERTMSG(vector >= 32 && vector < 256, "bad vector %u", vector);
	KASSERTMSG(vector_handlers[vector] == NULL,
	    "vector %#x already has a handler", vector);
	vector_handlers[vector] = handler;
}

void x86_intr(struct trapframe *tf);
void
x86_intr(struct trapframe *tf)
{
	struct cpu_data *cd = &curcpu()->ci_data;
	vector_handler_t h = vector_handlers[tf->tf_vector];
	ipl_t s = cd->cpu_ipl;

	if (tf->tf_vector == VEC_SPURIOUS)
		return;
	cd->cpu_intr_depth++;
	cd->cpu_nintr++;
	cd->cpu_ipl = IPL_HIGH;
	if (h != NULL)
		h(tf);
	else
		kwarn("intr: stray interrupt on vector %#lx", tf->tf_vector);
	lapic_eoi();
	cd->cpu_ipl = s;
	cd->cpu_intr_depth--;
	if (cd->cpu_intr_depth == 0 && s == IPL_NONE && (tf->tf_rflags & PSL_I))
		sched_intr_exit();
}

bool
cpu_intr_p(void)
{
	uint64_t was = intr_save();
	bool in = curcpu()->ci_data.cpu_intr_depth > 0;

	intr_restore(was);
	return in;
}

/* The machine services of kern/md.h that go through vectors and the LAPIC. */

static void (*timer_fn)(void);
static void (*xcall_fn)(void);

static void timer_vector(struct trapframe *tf) { timer_fn(); }
static void xcall_vector(struct trapframe *tf) { xcall_fn(); }
static void tlb_vector(struct trapframe *tf) { pmap_tlb_shootdown_ipi(); }

/* The reschedule IPI only interrupts: x86_intr's exit path preempts. */
static void resched_vector(struct trapframe *tf) { }

void
cpu_timer_establish(void (*fn)(void))
{
	timer_fn = fn;
	x86_vector_establish(VEC_LAPIC_TIMER, timer_vector);
}

void
cpu_xcall_establish(void (*fn)(void))
{
	xcall_fn = fn;
	x86_vector_establish(IPI_CALL, xcall_vector);
}

/* cpu_intr_init: vectors the machine layer itself handles (boot CPU). */
void
cpu_intr_init(void)
{
	x86_vector_establish(IPI_RESCHED, resched_vector);
	x86_vector_establish(IPI_TLB, tlb_vector);
}

void cpu_timer_program(uint64_t deadline) { lapic_timer_program(deadline); }
void cpu_send_resched(struct cpu_info *ci) { lapic_send_ipi(ci, IPI_RESCHED); }
void cpu_send_xcall(struct cpu_info *ci) { lapic_send_ipi(ci, IPI_CALL); }
bool cpu_ready(const struct cpu_info *ci) { return ci->ci_running; }
