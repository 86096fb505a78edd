/*
 * clock.c: the kernel clock on the TSC.
 *
 * Design.  nanouptime() converts TSC cycles since boot to nanoseconds with a
 * fixed-point multiplier: ns = (tsc - tsc_base) * mult >> 32, computed in
 * 128 bits so it cannot overflow.  The TSC frequency is measured once at
 * boot over 20 ms against the HPET main counter (IA-PC HPET spec §2.3.9:
 * its period in femtoseconds is in the capabilities register) or, without
 * an HPET, against PIT channel 2 in one-shot mode (gated by port 0x61).
 * All CPUs read the same TSC (QEMU and modern CPUs keep it synchronised;
 * an invariant TSC is reported at boot when CPUID says so).
 *
 * Before calibration nanouptime() returns 0.  No locks: the variables are
 * written once on the boot CPU before any other CPU starts.
 */
#include <kassert.h>
#include <log.h>
#include <time.h>

#include <machine/acpi.h>
#include <machine/clock.h>
#include <machine/cpufunc.h>
#include <machine/vmparam.h>

#define HPET_CAP	0x000
#define HPET_CONFIG	0x010
#define HPET_COUNTER	0x0f0
#define HPET_ENABLE	0x1

#define PIT_HZ		1193182ULL
#define CALIBRATE_NS	(20 * NS_PER_MS)

static uint64_t tsc_base;
static uint64_t tsc_hz;
static uint64_t ns_mult;	/* ns per cycle, 32.32 fixed point */
static uint64_t tsc_mult;	/* cycles per ns, 32.32 fixed point */
static const char *calibrated_against = "none";

uint64_t
cpu_cycles(void)
{
	return rdtsc();
}

uint64_t
cycles_to_ns(uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * ns_mult) >> 32);
}

uint64_t
nanouptime(void)
{
	return cycles_to_ns(rdtsc() - tsc_base);
}

uint64_t
clock_ns_to_tsc(uint64_t ns)
{
	return tsc_base + (uint64_t)(((unsigned __int128)ns * tsc_mult) >> 32);
}

uint64_t clock_tsc_hz(void) { return tsc_hz; }
const char *clock_source(void) { return calibrated_against; }

void
delay_ns(uint64_t ns)
{
	uint64_t end;

	if (tsc_hz == 0) {
		/* Not calibrated yet: assume at least 1 GHz is no shorter. */
		end = rdtsc() + ns * 4;
	} else {
		end = rdtsc() + (uint64_t)(((unsigned __int128)ns * tsc_mult) >> 32);
	}
	while (rdtsc() < end)
		x86_pause();
}

static uint64_t
hpet_read(volatile uint8_t *hpet, unsigned reg)
{
	return *(volatile uint64_t *)(hpet + reg);
}

static bool
calibrate_hpet(uint64_t *cycles, uint64_t *ns)
{
	volatile uint8_t *hpet;
	uint64_t period_fs, ticks, h0, h1, t0, t1;

	if (!acpi.ai_hpet.ah_present)
		return false;
	hpet = PHYS_TO_DMAP(acpi.ai_hpet.ah_pa);
	period_fs = hpet_read(hpet, HPET_CAP) >> 32;
	if (period_fs == 0 || period_fs > 100000000) {
		kwarn("clock: HPET reports period %lu fs; using the PIT", period_fs);
		return false;
	}
	*(volatile uint64_t *)(hpet + HPET_CONFIG) |= HPET_ENABLE;
	ticks = CALIBRATE_NS * 1000000 / period_fs;
	h0 = hpet_read(hpet, HPET_COUNTER);
	t0 = rdtsc();
	do {
		h1 = hpet_read(hpet, HPET_COUNTER);
	} while (h1 - h0 < ticks);
	t1 = rdtsc();
	*cycles = t1 - t0;
	*ns = (h1 - h0) * period_fs / 1000000;
	calibrated_against = "HPET";
	return true;
}

static void
calibrate_pit(uint64_t *cycles, uint64_t *ns)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_NS / NS_PER_SEC);
	uint64_t t0, t1;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))		/* OUT2 goes high at 0 */
		;
	t1 = rdtsc();
	*cycles = t1 - t0;
	*ns = (uint64_t)count * NS_PER_SEC / PIT_HZ;
	calibrated_against = "PIT";
}

void
clock_init(void)
{
	uint64_t cycles, ns;
	uint32_t r[4];

	tsc_base = rdtsc();
	if (!calibrate_hpet(&cycles, &ns))
		calibrate_pit(&cycles, &ns);
	KASSERTMSG(cycles > 0 && ns > 0, "clock: TSC does not advance");
	tsc_hz = cycles * NS_PER_SEC / ns;
	/* Both fit in 64 bits: a 20 ms window is far below 2^32 ns or cycles. */
	KASSERT(ns < (1ULL << 31) && cycles < (1ULL << 31));
	ns_mult = (ns << 32) / cycles;
	tsc_mult = (cycles << 32) / ns;
	cpuid(0x80000000, 0, r);
	bool invariant = false;
	if (r[0] >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		invariant = (r[3] >> 8) & 1;
	}
	kinfo("clock: TSC %lu.%03lu MHz (calibrated against the %s)%s",
	    tsc_hz / 1000000, (tsc_hz / 1000) % 1000, calibrated_against,
	    invariant ? ", invariant" : "");
}
