/*
 * trace.c: the per-CPU trace rings (include/trace.h, docs/tracing.md).
 *
 * Model.  Each CPU has one ring: TRACE_RING_EVENTS fixed-size events and a
 * count of events ever written since the last clear (tr_head); event n
 * lives in slot n % TRACE_RING_EVENTS, so a full ring overwrites its
 * oldest event and the ring holds the newest ones.  The rings are
 * allocated the first time tracing starts and never freed.
 *
 * Writing.  Only a CPU writes its own ring, but a writer can be
 * interrupted by a handler that records events too.  A writer therefore
 * disables interrupts for the few stores an event takes (intr_save and
 * intr_restore: a flags push, cli and sti) rather than reserving its slot
 * with an atomic increment.  With interrupts off, reading the timestamp,
 * taking the slot and filling it are one step for this CPU, so a ring's
 * events are in timestamp order (a nested handler cannot slip an event
 * with a later stamp into an earlier slot, which a reserve-then-stamp or
 * stamp-then-reserve scheme allows), no slot is ever half written when
 * its CPU does anything else, and no locked instruction is needed.  Many
 * hooks run with interrupts off already; the cost is measured by
 * run=bench:trace (docs/benchmarks.md, "Tracing").
 *
 * Stopping.  trace_record checks trace_on again with interrupts off.
 * trace_stop clears trace_on and then runs an empty cross call on every
 * CPU: the cross call's interrupt gets in only between two events, so
 * once it has run everywhere no CPU is inside trace_record with the old
 * value, and the rings can be read.
 *
 * Names.  Events name LWPs by id (l_lid, never reused), since an LWP may
 * be gone by the time of the dump.  Each ring keeps a small direct-mapped
 * table of id -> name, filled as events name LWPs (the current one, and
 * the one a TRACE_LWP names); the dump prints the tables.  An id evicted
 * from the table (more than TRACE_NAMES LWPs hashing alike) is printed
 * without a name; tools/trace2json then calls it "lwp <id>".
 *
 * Functions (handlers, thread functions, soft interrupt functions) are
 * recorded as addresses and named from the kernel symbol table at dump
 * time: text never goes away, unlike an action's name string.
 *
 * Locking.  A ring: its CPU, interrupts off, while tracing is on; anyone
 * (trace_read, trace_dump, trace_clear) while it is off and quiesced.
 * trace_ctl_lock (adaptive, set up by trace_boot before anything else
 * runs) serializes start, stop, clear and dump.  trace_on is written
 * under it and read locklessly.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <lwp.h>
#include <mutex.h>
#include <options.h>
#include <printf.h>
#include <string.h>
#include <time.h>
#include <trace.h>
#include <xcall.h>

#include <kern/ksyms.h>
#include <kern/lwp_impl.h>

#include <machine/clock.h>
#include <machine/cpufunc.h>
#include <machine/cpuvar.h>

#define TRACE_NAMES	128	/* id -> name table entries per ring */

_Static_assert((TRACE_RING_EVENTS & (TRACE_RING_EVENTS - 1)) == 0,
    "TRACE_RING_EVENTS must be a power of two");
_Static_assert(sizeof(struct trace_event) == 32,
    "struct trace_event should stay 32 bytes");

struct trace_name {
	uint32_t tn_lid;		/* 0: empty */
	char tn_name[LWP_NAME_MAX];
};

struct trace_ring {
	uint64_t tr_head;		/* events written since the clear */
	struct trace_name tr_names[TRACE_NAMES];
	struct trace_event tr_ev[TRACE_RING_EVENTS];
};

volatile bool trace_on __aligned(64);

static struct trace_ring *rings[MAXCPUS];	/* trace_ctl_lock; read by
						   their CPUs once set */
static kmutex_t trace_ctl_lock;
static bool trace_ctl_ready;		/* trace_boot ran */

static bool trace_boot_on;
OPTION_BOOL("trace", trace_boot_on,
    "start interrupt tracing at boot (docs/tracing.md)");

static const char *const type_names[TRACE_NTYPES] = {
	[TRACE_NONE] = "none",
	[TRACE_IRQ_ENTER] = "irq_enter",
	[TRACE_IRQ_EXIT] = "irq_exit",
	[TRACE_PRIMARY_START] = "primary_start",
	[TRACE_PRIMARY_END] = "primary_end",
	[TRACE_THREADFN_START] = "threadfn_start",
	[TRACE_THREADFN_END] = "threadfn_end",
	[TRACE_SOFTINT_START] = "softint_start",
	[TRACE_SOFTINT_END] = "softint_end",
	[TRACE_SWITCH] = "switch",
	[TRACE_PIN] = "pin",
	[TRACE_UNPIN] = "unpin",
	[TRACE_BLOCK] = "block",
	[TRACE_WAKE] = "wake",
	[TRACE_MARK] = "mark",
};

const char *
trace_type_name(unsigned type)
{
	return type < TRACE_NTYPES ? type_names[type] : "?";
}

/* Writing: this CPU, interrupts off. */

static void
note_name(struct trace_ring *r, const struct lwp *l)
{
	struct trace_name *tn = &r->tr_names[l->l_lid % TRACE_NAMES];

	if (tn->tn_lid != l->l_lid) {
		tn->tn_lid = l->l_lid;
		memcpy(tn->tn_name, l->l_name, sizeof(tn->tn_name));
	}
}

static void
record(unsigned type, unsigned arg, uint64_t a0, uint64_t a1,
    const struct lwp *named)
{
	uint64_t was = intr_save();
	struct cpu_info *ci = curcpu();
	struct trace_ring *r = rings[ci->ci_index];
	struct lwp *cur = ci->ci_curlwp;
	struct trace_event *e;

	if (trace_on && r != NULL) {
		e = &r->tr_ev[r->tr_head & (TRACE_RING_EVENTS - 1)];
		e->te_tsc = cpu_cycles();
		e->te_lid = cur->l_lid;
		e->te_type = type;
		e->te_arg = arg;
		e->te_a0 = a0;
		e->te_a1 = a1;
		r->tr_head++;
		note_name(r, cur);
		if (named != NULL)
			note_name(r, named);
	}
	intr_restore(was);
}

void
trace_record(unsigned type, unsigned arg, uint64_t a0, uint64_t a1)
{
	record(type, arg, a0, a1, NULL);
}

void
trace_record_lwp(unsigned type, unsigned arg, const struct lwp *l,
    uint64_t a1)
{
	record(type, arg, l->l_lid, a1, l);
}

/* Control: thread context, trace_ctl_lock. */

static void
ctl_enter(void)
{
	KASSERTMSG(trace_ctl_ready, "trace: used before trace_boot");
	mutex_enter(&trace_ctl_lock);
}

static void
alloc_rings(void)
{
	for (unsigned i = 0; i < ncpu; i++) {
		if (rings[i] == NULL)
			rings[i] = kmem_zalloc(sizeof(struct trace_ring),
			    KM_SLEEP);
	}
}

static void
nothing(void *arg)
{
}

/* Tracing off, and no CPU still inside record(). */
static void
stop_locked(void)
{
	__atomic_store_n(&trace_on, false, __ATOMIC_SEQ_CST);
	xc_broadcast(nothing, NULL);
}

void
trace_start(void)
{
	ctl_enter();
	alloc_rings();
	__atomic_store_n(&trace_on, true, __ATOMIC_SEQ_CST);
	mutex_exit(&trace_ctl_lock);
}

void
trace_stop(void)
{
	ctl_enter();
	stop_locked();
	mutex_exit(&trace_ctl_lock);
}

void
trace_clear(void)
{
	bool was_on;

	ctl_enter();
	was_on = trace_on;
	stop_locked();
	for (unsigned i = 0; i < ncpu; i++) {
		if (rings[i] != NULL) {
			rings[i]->tr_head = 0;
			memset(rings[i]->tr_names, 0,
			    sizeof(rings[i]->tr_names));
		}
	}
	if (was_on)
		__atomic_store_n(&trace_on, true, __ATOMIC_SEQ_CST);
	mutex_exit(&trace_ctl_lock);
}

void
trace_boot(void)
{
	mutex_init(&trace_ctl_lock, MUTEX_DEFAULT, IPL_NONE);
	trace_ctl_ready = true;
	if (trace_boot_on)
		trace_start();
}

/* Reading: tracing off. */

static uint64_t
ring_lost(const struct trace_ring *r)
{
	return r->tr_head > TRACE_RING_EVENTS ?
	    r->tr_head - TRACE_RING_EVENTS : 0;
}

size_t
trace_read(unsigned cpu, struct trace_event *out, size_t max, uint64_t *lost)
{
	struct trace_ring *r;
	uint64_t first, n;

	KASSERTMSG(cpu < ncpu, "trace_read: no cpu%u (%u CPUs)", cpu, ncpu);
	KASSERTMSG(!trace_on, "trace_read of cpu%u while tracing is on", cpu);
	r = rings[cpu];
	if (lost != NULL)
		*lost = r != NULL ? ring_lost(r) : 0;
	if (r == NULL)
		return 0;
	n = r->tr_head - ring_lost(r);
	if (n > max)
		n = max;
	first = r->tr_head - n;
	for (uint64_t i = 0; i < n; i++)
		out[i] = r->tr_ev[(first + i) & (TRACE_RING_EVENTS - 1)];
	return n;
}

/* "name" for a function at its start, else "name+0xoff" or "0xaddr". */
static const char *
fn_name(uint64_t addr, char *buf, size_t size)
{
	uintptr_t off;
	const char *sym = ksym_lookup(addr, &off);

	if (sym != NULL && off == 0)
		return sym;
	return ksym_format(addr, buf, size);
}

static const char *
queue_name(unsigned q)
{
	return q == TS_READER_Q ? "reader" : "writer";
}

static const char *
ret_name(uint64_t r)
{
	static const char *const names[] = {
		"none", "handled", "wake", "handled+wake",
	};

	return r < 4 ? names[r] : "?";
}

/* The part of an event line after its type (docs/tracing.md). */
static void
format_args(const struct trace_event *e, char *out, size_t size)
{
	unsigned arg = e->te_arg;
	uint64_t a0 = e->te_a0, a1 = e->te_a1;
	char fn[64];

	switch (e->te_type) {
	case TRACE_IRQ_ENTER:
	case TRACE_IRQ_EXIT:
		snprintf(out, size, " irq=%u vec=%lu", arg, a0);
		break;
	case TRACE_PRIMARY_START:
	case TRACE_THREADFN_START:
	case TRACE_THREADFN_END:
		snprintf(out, size, " irq=%u act=0x%lx fn=%s", arg, a1,
		    fn_name(a0, fn, sizeof(fn)));
		break;
	case TRACE_PRIMARY_END:
		snprintf(out, size, " irq=%u act=0x%lx ret=%s", arg, a1,
		    ret_name(a0));
		break;
	case TRACE_SOFTINT_START:
	case TRACE_SOFTINT_END:
		snprintf(out, size, " ipl=%u si=0x%lx fn=%s", arg, a1,
		    fn_name(a0, fn, sizeof(fn)));
		break;
	case TRACE_SWITCH:
		snprintf(out, size, " next=%lu state=%u", a0, arg);
		break;
	case TRACE_PIN:
		snprintf(out, size, " thread=%lu pinned=%lu", a0, a1);
		break;
	case TRACE_UNPIN:
		snprintf(out, size, " thread=%lu pinned=%lu why=%s", a0, a1,
		    arg == TRACE_UNPIN_BLOCK ? "block" : "return");
		break;
	case TRACE_BLOCK:
		snprintf(out, size, " lock=0x%lx owner=%lu queue=%s", a0, a1,
		    queue_name(arg));
		break;
	case TRACE_WAKE:
		snprintf(out, size, " woken=%lu lock=0x%lx queue=%s", a0, a1,
		    queue_name(arg));
		break;
	default:
		snprintf(out, size, " arg=%u a0=%lu a1=%lu", arg, a0, a1);
		break;
	}
}

static void
dump_names(const struct trace_ring *r)
{
	for (unsigned i = 0; i < TRACE_NAMES; i++) {
		const struct trace_name *tn = &r->tr_names[i];

		if (tn->tn_lid != 0)
			printf("TRACE lwp %u %s\n", tn->tn_lid, tn->tn_name);
	}
}

static uint64_t
dump_cpu(unsigned cpu, const struct trace_ring *r)
{
	uint64_t lost = ring_lost(r);

	printf("TRACE cpu %u events=%lu lost=%lu\n", cpu, r->tr_head - lost,
	    lost);
	for (uint64_t n = lost; n < r->tr_head; n++) {
		const struct trace_event *e =
		    &r->tr_ev[n & (TRACE_RING_EVENTS - 1)];

		char args[160];

		format_args(e, args, sizeof(args));
		printf("TRACE E %u %lu %u %s%s\n", cpu, e->te_tsc, e->te_lid,
		    trace_type_name(e->te_type), args);
	}
	return r->tr_head - lost;
}

void
trace_dump(void)
{
	uint64_t total = 0;

	ctl_enter();
	stop_locked();
	printf("TRACE begin version=1 tsc_hz=%lu ncpu=%u ring=%u\n",
	    clock_tsc_hz(), ncpu, TRACE_RING_EVENTS);
	for (unsigned i = 0; i < ncpu; i++)
		if (rings[i] != NULL)
			dump_names(rings[i]);
	for (unsigned i = 0; i < ncpu; i++)
		if (rings[i] != NULL)
			total += dump_cpu(i, rings[i]);
	printf("TRACE end events=%lu\n", total);
	mutex_exit(&trace_ctl_lock);
}
