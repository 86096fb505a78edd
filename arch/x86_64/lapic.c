/*
 * lapic.c: the local APIC.
 *
 * Design.  x2APIC mode (MSR access, SDM vol. 3 §10.12) is used when CPUID
 * reports it, xAPIC (MMIO at the MADT's address through the direct map)
 * otherwise; every register access goes through lapic_read/lapic_write,
 * which hide the difference (register offset >> 4 is the MSR index).
 *
 * The timer is one-shot only: in TSC-deadline mode when CPUID.1:ECX[24] is
 * set (SDM §10.5.4.1; the deadline is a TSC value, so no calibration is
 * needed), else one-shot mode with divide-by-1 and a count from the rate
 * measured at boot against the TSC.  timer.c decides what to program; a
 * CPU with no timer event pending has its timer stopped.
 *
 * Locking: none; each CPU touches only its own LAPIC.
 */
#include <cpu.h>
#include <kassert.h>
#include <log.h>
#include <time.h>

#include <machine/acpi.h>
#include <machine/clock.h>
#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/lapic.h>
#include <machine/vmparam.h>

#define LAPIC_ID	0x020
#define LAPIC_VERSION	0x030
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ESR	0x280
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERR	0x370
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3e0

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EN	(1ULL << 11)
#define APIC_BASE_EXTD	(1ULL << 10)
#define MSR_X2APIC_BASE	0x800
#define MSR_TSC_DEADLINE 0x6e0

#define SVR_ENABLE	0x100
#define LVT_MASKED	0x10000
#define LVT_TSC_DEADLINE 0x40000
#define LVT_NMI		0x400
#define ICR_PENDING	0x1000
#define ICR_ASSERT	0x4000
#define ICR_DM_INIT	0x500
#define ICR_DM_STARTUP	0x600
#define ICR_DM_NMI	0x400
#define ICR_ALL_BUT_SELF 0xc0000

static bool use_x2apic;
static bool use_tsc_deadline;
static volatile uint32_t *lapic_mmio;
static uint64_t lapic_timer_hz;

static uint32_t
lapic_read(unsigned reg)
{
	if (use_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return lapic_mmio[reg / 4];
}

static void
lapic_write(unsigned reg, uint32_t v)
{
	if (use_x2apic)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
	else
		lapic_mmio[reg / 4] = v;
}

uint32_t
lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return use_x2apic ? id : id >> 24;
}

void
lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void
detect_features(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	use_x2apic = (r[2] >> 21) & 1;
	use_tsc_deadline = (r[2] >> 24) & 1;
	lapic_mmio = PHYS_TO_DMAP(acpi.ai_lapic_pa);
}

void
lapic_init(void)
{
	uint64_t base;

	if (curcpu()->ci_boot)
		detect_features();
	base = rdmsr(MSR_APIC_BASE) | APIC_BASE_EN;
	if (use_x2apic)
		base |= APIC_BASE_EXTD;
	wrmsr(MSR_APIC_BASE, base);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	/* LINT1 carries NMI on PC platforms (MADT LAPIC NMI entry, usually). */
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	lapic_write(LAPIC_LVT_ERR, LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_TIMER_DCR, 0xb);	/* divide by 1 */
	lapic_eoi();
	if (curcpu()->ci_boot)
		kinfo("lapic: %s mode, id %u, timer %s", use_x2apic ? "x2APIC" : "xAPIC",
		    lapic_id(), use_tsc_deadline ? "TSC-deadline" : "one-shot");
}

static void
icr_wait(void)
{
	if (use_x2apic)
		return;		/* x2APIC has no delivery status (§10.12.9) */
	for (unsigned i = 0; (lapic_read(LAPIC_ICR_LO) & ICR_PENDING); i++)
		x86_pause();
}

static void
icr_send(uint32_t apicid, uint32_t lo)
{
	uint64_t s = intr_save();

	if (use_x2apic) {
		wrmsr(MSR_X2APIC_BASE + (LAPIC_ICR_LO >> 4),
		    ((uint64_t)apicid << 32) | lo);
	} else {
		icr_wait();
		lapic_write(LAPIC_ICR_HI, apicid << 24);
		lapic_write(LAPIC_ICR_LO, lo);
		icr_wait();
	}
	intr_restore(s);
}

void
lapic_send_ipi(struct cpu_info *ci, uint8_t vector)
{
	icr_send(ci->ci_apicid, ICR_ASSERT | vector);
}

void
lapic_send_nmi_others(void)
{
	icr_send(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_DM_NMI);
}

void
lapic_send_init(uint32_t apicid)
{
	icr_send(apicid, ICR_ASSERT | ICR_DM_INIT);
}

void
lapic_send_startup(uint32_t apicid, paddr_t page)
{
	icr_send(apicid, ICR_DM_STARTUP | (uint32_t)(page >> 12));
}

void
lapic_timer_calibrate(void)
{
	uint64_t t0, t1, c0, c1;

	if (use_tsc_deadline)
		return;
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_ICR, 0xffffffff);
	t0 = nanouptime();
	c0 = lapic_read(LAPIC_TIMER_CCR);
	delay_ns(10 * NS_PER_MS);
	c1 = lapic_read(LAPIC_TIMER_CCR);
	t1 = nanouptime();
	lapic_write(LAPIC_TIMER_ICR, 0);
	lapic_timer_hz = (c0 - c1) * NS_PER_SEC / (t1 - t0);
	KASSERTMSG(lapic_timer_hz > 0, "lapic: timer does not count");
	kinfo("lapic: timer runs at %lu Hz", lapic_timer_hz);
}

void
lapic_timer_program(uint64_t deadline)
{
	if (deadline == 0) {
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
		if (use_tsc_deadline)
			wrmsr(MSR_TSC_DEADLINE, 0);
		else
			lapic_write(LAPIC_TIMER_ICR, 0);
		return;
	}
	if (use_tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_LAPIC_TIMER);
		/* SDM §10.5.4.1: order the LVT write before the MSR write. */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(MSR_TSC_DEADLINE, clock_ns_to_tsc(deadline));
	} else {
		uint64_t now = nanouptime();
		uint64_t delta = deadline > now ? deadline - now : 0;
		uint64_t count;

		/* Cap at 1 s so the product cannot overflow; timer.c re-arms. */
		delta = MIN(delta, NS_PER_SEC);
		count = delta * lapic_timer_hz / NS_PER_SEC;
		if (count == 0)
			count = 1;
		if (count > 0xffffffffULL)
			count = 0xffffffffULL;
		lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);
		lapic_write(LAPIC_TIMER_ICR, (uint32_t)count);
	}
}
