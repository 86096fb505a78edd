/*
 * rtc.c: the CMOS real-time clock, a Motorola MC146818A or the copy of it
 * in every PC chipset (on q35, the ICH9's; QEMU's hw/rtc/mc146818rtc.c):
 * the time of day at boot and the periodic interrupt on ISA IRQ 8
 * (include/rtc.h is the interface).
 *
 * The chip.  Its registers sit behind an index port (0x70) and a data
 * port (0x71): write the register's number to 0x70, then read or write
 * 0x71.  Bit 7 of the byte written to 0x70 is not part of the index: on
 * PC chipsets it masks NMI (ICH9 datasheet, "NMI Enable and Real Time
 * Clock Index", port 70h bit 7 NMI_EN: 1 disables NMI sources).  The
 * port is write-only, so its NMI bit cannot be preserved by reading it
 * back; this driver always writes it 0, NMI enabled, as Linux does,
 * because panic() stops the other CPUs with NMIs.  Registers used:
 *
 *	0x00 0x02 0x04		seconds, minutes, hours
 *	0x07 0x08 0x09		day of month, month, year (00-99)
 *	0x0a  A			UIP (7), divider DV (6:4), rate select RS (3:0)
 *	0x0b  B			SET (7), PIE (6), AIE (5), UIE (4), DM (2),
 *				24/12 (1)
 *	0x0c  C			IRQF (7), PF (6), AF (5), UF (4); read-only,
 *				and reading it clears it
 *	0x32			century, by the IBM PC convention that the
 *				ACPI FADT's CENTURY field names (ACPI 6.5
 *				5.2.9); QEMU keeps it there
 *
 * The time of day (MC146818A datasheet, "Update Cycle" and register A's
 * UIP bit): once a second the chip spends up to 1984 us updating the time
 * registers, and reads during it may see a half-updated time.  UIP is set
 * 244 us before an update starts, so a read that begins with UIP clear
 * has 244 us to finish.  A TCG guest can be descheduled for longer, so
 * rtc_read_time also reads everything twice and accepts only two reads
 * that agree, each begun with UIP clear.  Register B says how the values
 * are coded: BCD or binary (DM), 12-hour (bit 7 of the hour is PM, hours
 * 1-12) or 24-hour.  The RTC holds UTC here (QEMU's default -rtc
 * base=utc; Windows machines keep local time there, and nothing in the
 * chip says which).
 *
 * The periodic interrupt (datasheet, register A and "Periodic Interrupt
 * Selection"): with the 32.768 kHz time base (DV = 010), rate select RS
 * from 3 to 15 gives 32768 >> (RS - 1) Hz, 8192 Hz down to 2 Hz; RS 1 and
 * 2 give 256 and 128 Hz (a quirk this driver never programs) and 0 turns
 * the divider off.  PF is set at every period whether or not PIE is on;
 * with PIE on the chip also sets IRQF and drives its IRQ pin.  The pin
 * stays asserted and IRQF, PF, AF and UF stay set until register C is read
 * (datasheet, register C: "all flag bits are cleared after register C is
 * read"), and since IRQ 8 is edge-triggered at the IOAPIC, a handler that
 * does not read C never sees another interrupt: the read is the
 * acknowledgement.  Periods that elapse before the read are one flag, so
 * one tick: the counter counts acknowledged flags.  (QEMU's IOAPIC takes
 * every raise of an edge input as an edge, so under QEMU interrupts keep
 * coming without the read; the primary then finds PF clear and returns
 * IRQ_NONE, and the tick is still counted once.)
 *
 * The handlers.  The action is requested on irq_isa(8) (on q35 GSI 8, no
 * override) with the boot's default model.  rtc_primary reads C under
 * rtc_lock and counts: a tick if PF is set and the periodic interrupt is
 * on (rt_pie: PF is set regardless of PIE, and the storm poller or a late
 * delivery may call the primary after rtc_periodic_stop), an update if UF
 * is set and the update interrupt is on.  A tick wakes the thread
 * function, rtc_thread, which takes the ticks counted since its last run
 * and calls the tick hook once for them (coalescing, as every thread
 * function must).  The primary stamps nanouptime() for the hook's
 * latency measurements; the IRQ core's own histograms (primary to thread
 * function) work as for any line, but its raise-to-primary histogram
 * needs irq_note_raise before the source fires, which no driver of a
 * free-running clock can call: the chip says nothing about when the
 * period began.  kern/bench_rtc.c measures that latency from the period
 * instead (docs/benchmarks.md, "RTC").
 *
 * Locking.  rtc_lock, a spin mutex at IPL_VM (the interrupt's level),
 * covers the index/data port pair (every register access is one index
 * write and one data access, which nothing may split), the shadow flags
 * rt_pie and rt_uie, the counters and rt_seen, rt_last_ns and the hook.
 * Counters are also stored atomically so that readers need no lock.
 * Taking rtc_lock raises the CPU to IPL_VM, so the primary cannot
 * interrupt a holder on its own CPU.  rt_irq is written once, in
 * rtc_init, before anyone looks.  The hook is called with rtc_lock
 * released; rtc_set_tick_hook waits with synchronize_irq for a call in
 * progress.
 */
#include <cpu.h>
#include <irq.h>
#include <kassert.h>
#include <log.h>
#include <mutex.h>
#include <options.h>
#include <printf.h>
#include <rtc.h>
#include <time.h>

#include <machine/cpufunc.h>

#define RTC_ISA_IRQ	8

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define CMOS_NMI_DISABLE 0x80		/* index port bit 7 (kept clear) */

#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_MDAY	0x07
#define RTC_MON		0x08
#define RTC_YEAR	0x09
#define RTC_A		0x0a
#define RTC_B		0x0b
#define RTC_C		0x0c
#define RTC_CENTURY	0x32

#define RTC_A_UIP	0x80
#define RTC_A_DV_32K	0x20		/* DV = 010: 32.768 kHz time base */
#define RTC_A_RS	0x0f
#define RTC_B_PIE	0x40
#define RTC_B_AIE	0x20
#define RTC_B_UIE	0x10
#define RTC_C_PF	0x40
#define RTC_C_UF	0x10
#define RTC_HOUR_PM	0x80		/* 12-hour mode */

#define RTC_DEFAULT_HZ	1024
#define RTC_UIP_TRIES	1000		/* x 10 us: longer than an update */
#define RTC_READ_TRIES	10

struct rtc {
	kmutex_t rt_lock;		/* spin, IPL_VM: see the top */
	int rt_irq;			/* -1: none */
	bool rt_pie;			/* rt_lock: periodic interrupt on */
	bool rt_uie;			/* rt_lock: update interrupt on */
	uint64_t rt_ticks;		/* rt_lock, atomic */
	uint64_t rt_last_ns;		/* rt_lock: primary of tick rt_ticks */
	uint64_t rt_seen;		/* rt_lock: ticks handed to the hook */
	uint64_t rt_updates;		/* rt_lock, atomic */
	uint64_t rt_ticks_at_update;	/* rt_lock, atomic */
	rtc_tick_fn_t rt_hook;		/* rt_lock */
	void *rt_hook_arg;		/* rt_lock */
	bool rt_boot_ok;
	struct rtc_time rt_boot;
};

static struct rtc rtc = { .rt_irq = -1 };

static uint64_t boot_hz;
OPTION_U64("rtc_hz", boot_hz, 0, RTC_HZ_MAX,
    "start the RTC's periodic interrupt at boot at this rate (a power of "
    "two, 2-8192 Hz; default 0: off)");

/* Register access.  rt_lock held: the index and the data are one step. */

static uint8_t
cmos_read(uint8_t reg)
{
	KASSERTMSG(mutex_owned(&rtc.rt_lock), "rtc: register %#x read "
	    "without rt_lock", reg);
	outb(CMOS_INDEX, reg & ~CMOS_NMI_DISABLE);
	return inb(CMOS_DATA);
}

static void
cmos_write(uint8_t reg, uint8_t v)
{
	KASSERTMSG(mutex_owned(&rtc.rt_lock), "rtc: register %#x written "
	    "without rt_lock", reg);
	outb(CMOS_INDEX, reg & ~CMOS_NMI_DISABLE);
	outb(CMOS_DATA, v);
}

/* Set and clear bits of register B.  rt_lock held. */
static void
reg_b_change(uint8_t set, uint8_t clear)
{
	cmos_write(RTC_B, (cmos_read(RTC_B) & ~clear) | set);
}

/* The time of day. */

static bool
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's). */
static uint64_t
days_since_epoch(unsigned y, unsigned m, unsigned d)
{
	uint64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* A register's value in binary; false if it is not valid BCD. */
static bool
decode_field(uint8_t v, bool bcd, unsigned *out)
{
	if (!bcd) {
		*out = v;
		return true;
	}
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return false;
	*out = (v >> 4) * 10 + (v & 0x0f);
	return true;
}

/* The hour, 0-23, from either mode; false if out of range. */
static bool
decode_hour(uint8_t v, uint8_t regb, unsigned *hour)
{
	bool bcd = (regb & RTC_B_DM) == 0;
	bool pm = false;
	unsigned h;

	if ((regb & RTC_B_24H) == 0) {
		pm = (v & RTC_HOUR_PM) != 0;
		v &= ~RTC_HOUR_PM;
	}
	if (!decode_field(v, bcd, &h))
		return false;
	if ((regb & RTC_B_24H) != 0) {
		*hour = h;
		return h < 24;
	}
	if (h < 1 || h > 12)
		return false;
	*hour = h % 12 + (pm ? 12 : 0);		/* 12 AM is 0, 12 PM is 12 */
	return true;
}

int
rtc_decode(const struct rtc_regs *r, struct rtc_time *tm)
{
	bool bcd = (r->rr_b & RTC_B_DM) == 0;
	unsigned yy, century = 20;

	if (!decode_field(r->rr_sec, bcd, &tm->rt_sec) ||
	    !decode_field(r->rr_min, bcd, &tm->rt_min) ||
	    !decode_hour(r->rr_hour, r->rr_b, &tm->rt_hour) ||
	    !decode_field(r->rr_mday, bcd, &tm->rt_mday) ||
	    !decode_field(r->rr_mon, bcd, &tm->rt_mon) ||
	    !decode_field(r->rr_year, bcd, &yy))
		return -EINVAL;
	if (r->rr_century != 0 &&
	    (!decode_field(r->rr_century, bcd, &century) || century < 19 ||
	    century > 99))
		return -EINVAL;
	tm->rt_year = century * 100 + yy;
	if (tm->rt_sec > 59 || tm->rt_min > 59 || yy > 99 ||
	    tm->rt_mon < 1 || tm->rt_mon > 12 || tm->rt_mday < 1 ||
	    tm->rt_mday > days_in_month(tm->rt_year, tm->rt_mon) ||
	    tm->rt_year < 1970)
		return -EINVAL;
	tm->rt_epoch = days_since_epoch(tm->rt_year, tm->rt_mon,
	    tm->rt_mday) * 86400 + tm->rt_hour * 3600 + tm->rt_min * 60 +
	    tm->rt_sec;
	return 0;
}

/*
 * One read of the time registers, begun with UIP clear.  rt_lock held
 * (so the read is not interrupted on this CPU).  False if UIP was set.
 */
static bool
read_regs_once(struct rtc_regs *r)
{
	if (cmos_read(RTC_A) & RTC_A_UIP)
		return false;
	r->rr_sec = cmos_read(RTC_SEC);
	r->rr_min = cmos_read(RTC_MIN);
	r->rr_hour = cmos_read(RTC_HOUR);
	r->rr_mday = cmos_read(RTC_MDAY);
	r->rr_mon = cmos_read(RTC_MON);
	r->rr_year = cmos_read(RTC_YEAR);
	r->rr_century = cmos_read(RTC_CENTURY);
	r->rr_b = cmos_read(RTC_B);
	return true;
}

/* Wait, with rt_lock released, until UIP is clear; false if it stays set. */
static bool
wait_uip_clear(void)
{
	for (unsigned i = 0; i < RTC_UIP_TRIES; i++) {
		bool busy;

		mutex_enter(&rtc.rt_lock);
		busy = (cmos_read(RTC_A) & RTC_A_UIP) != 0;
		mutex_exit(&rtc.rt_lock);
		if (!busy)
			return true;
		delay_ns(10 * NS_PER_US);
	}
	return false;
}

static bool
regs_equal(const struct rtc_regs *a, const struct rtc_regs *b)
{
	return a->rr_sec == b->rr_sec && a->rr_min == b->rr_min &&
	    a->rr_hour == b->rr_hour && a->rr_mday == b->rr_mday &&
	    a->rr_mon == b->rr_mon && a->rr_year == b->rr_year &&
	    a->rr_century == b->rr_century && a->rr_b == b->rr_b;
}

/* Two reads that agree, each begun with UIP clear. */
static bool
read_regs_stable(struct rtc_regs *r)
{
	struct rtc_regs again;

	for (unsigned i = 0; i < RTC_READ_TRIES; i++) {
		bool ok;

		if (!wait_uip_clear())
			return false;
		mutex_enter(&rtc.rt_lock);
		ok = read_regs_once(r) && read_regs_once(&again);
		mutex_exit(&rtc.rt_lock);
		if (ok && regs_equal(r, &again))
			return true;
	}
	return false;
}

int
rtc_read_time(struct rtc_time *tm)
{
	struct rtc_regs r;

	if (!read_regs_stable(&r)) {
		kerr("rtc: the clock never left its update cycle (register A "
		    "UIP stayed set, or no two reads agreed)");
		return -EIO;
	}
	/* QEMU's CMOS has 0x32; a chip without it reads 0xff. */
	if (r.rr_century == 0xff)
		r.rr_century = 0;
	if (rtc_decode(&r, tm) != 0) {
		kerr("rtc: registers hold no valid time: %02x-%02x-%02x "
		    "%02x:%02x:%02x century %02x, register B %#x", r.rr_year,
		    r.rr_mon, r.rr_mday, r.rr_hour, r.rr_min, r.rr_sec,
		    r.rr_century, r.rr_b);
		return -EIO;
	}
	return 0;
}

const struct rtc_time *
rtc_boot_time(void)
{
	return rtc.rt_boot_ok ? &rtc.rt_boot : NULL;
}

/* The periodic interrupt's rate. */

/* RS for hz (RS = 16 - log2 hz, 3..15), or 0 if hz is not allowed. */
static unsigned
rate_select(unsigned hz)
{
	if (hz < RTC_HZ_MIN || hz > RTC_HZ_MAX || (hz & (hz - 1)) != 0)
		return 0;
	return 16 - (unsigned)__builtin_ctz(hz);
}

int
rtc_set_rate(unsigned hz)
{
	unsigned rs = rate_select(hz);

	if (rs == 0) {
		kerr("rtc: rate %u Hz refused: the periodic interrupt runs at "
		    "a power of two from %u to %u Hz", hz, RTC_HZ_MIN,
		    RTC_HZ_MAX);
		return -EINVAL;
	}
	mutex_enter(&rtc.rt_lock);
	cmos_write(RTC_A, RTC_A_DV_32K | rs);
	mutex_exit(&rtc.rt_lock);
	return 0;
}

unsigned
rtc_rate(void)
{
	unsigned rs;

	mutex_enter(&rtc.rt_lock);
	rs = cmos_read(RTC_A) & RTC_A_RS;
	mutex_exit(&rtc.rt_lock);
	if (rs == 0)
		return 0;
	if (rs <= 2)
		return 256 >> (rs - 1);		/* the quirk of RS 1 and 2 */
	return 32768 >> (rs - 1);
}

/* Turning interrupts on and off. */

/* Clear C, then turn bit on in B (so a stale flag does not fire now). */
static void
irq_bit_on(uint8_t bit)
{
	(void)cmos_read(RTC_C);
	reg_b_change(bit, 0);
}

/* Turn bit off in B, then clear C (dropping a request already made). */
static void
irq_bit_off(uint8_t bit)
{
	reg_b_change(0, bit);
	(void)cmos_read(RTC_C);
}

void
rtc_periodic_start(void)
{
	KASSERTMSG(rtc.rt_irq >= 0, "rtc_periodic_start: the RTC has no "
	    "interrupt (rtc_init failed to request IRQ 8)");
	mutex_enter(&rtc.rt_lock);
	rtc.rt_pie = true;
	irq_bit_on(RTC_B_PIE);
	mutex_exit(&rtc.rt_lock);
}

void
rtc_periodic_stop(void)
{
	mutex_enter(&rtc.rt_lock);
	rtc.rt_pie = false;
	irq_bit_off(RTC_B_PIE);
	mutex_exit(&rtc.rt_lock);
	if (rtc.rt_irq >= 0)
		synchronize_irq(rtc.rt_irq);
}

bool
rtc_periodic_on(void)
{
	return __atomic_load_n(&rtc.rt_pie, __ATOMIC_RELAXED);
}

void
rtc_update_irq(bool on)
{
	KASSERTMSG(!on || rtc.rt_irq >= 0, "rtc_update_irq: the RTC has no "
	    "interrupt (rtc_init failed to request IRQ 8)");
	mutex_enter(&rtc.rt_lock);
	rtc.rt_uie = on;
	if (on)
		irq_bit_on(RTC_B_UIE);
	else
		irq_bit_off(RTC_B_UIE);
	mutex_exit(&rtc.rt_lock);
}

uint64_t
rtc_ticks(void)
{
	return __atomic_load_n(&rtc.rt_ticks, __ATOMIC_ACQUIRE);
}

uint64_t
rtc_updates(void)
{
	return __atomic_load_n(&rtc.rt_updates, __ATOMIC_ACQUIRE);
}

uint64_t
rtc_ticks_at_update(void)
{
	return __atomic_load_n(&rtc.rt_ticks_at_update, __ATOMIC_ACQUIRE);
}

/* The handlers. */

/* Count what register C says.  rt_lock held.  Returns whether a tick came. */
static bool
count_flags(uint8_t c)
{
	bool tick = (c & RTC_C_PF) != 0 && rtc.rt_pie;

	if (tick) {
		rtc.rt_last_ns = nanouptime();
		__atomic_store_n(&rtc.rt_ticks, rtc.rt_ticks + 1,
		    __ATOMIC_RELEASE);
	}
	if ((c & RTC_C_UF) != 0 && rtc.rt_uie) {
		__atomic_store_n(&rtc.rt_ticks_at_update, rtc.rt_ticks,
		    __ATOMIC_RELEASE);
		__atomic_store_n(&rtc.rt_updates, rtc.rt_updates + 1,
		    __ATOMIC_RELEASE);
	}
	return tick;
}

/*
 * The primary handler: hard interrupt context at IPL_VM (or the storm
 * poller).  Reading C acknowledges; see the top for why it must.
 */
static irqreturn_t
rtc_primary(int irq, void *dev)
{
	uint8_t c;
	bool tick;

	mutex_enter(&rtc.rt_lock);
	c = cmos_read(RTC_C);
	tick = count_flags(c);
	mutex_exit(&rtc.rt_lock);
	if (tick)
		return IRQ_WAKE_THREAD;
	return (c & RTC_C_UF) != 0 && rtc.rt_uie ? IRQ_HANDLED : IRQ_NONE;
}

/* The thread function: one hook call for every tick since the last. */
static irqreturn_t
rtc_thread(int irq, void *dev)
{
	struct rtc_tick tick;
	rtc_tick_fn_t fn;
	void *arg;

	mutex_enter(&rtc.rt_lock);
	tick.rt_seq = rtc.rt_ticks;
	tick.rt_n = (unsigned)(tick.rt_seq - rtc.rt_seen);
	tick.rt_primary_ns = rtc.rt_last_ns;
	rtc.rt_seen = tick.rt_seq;
	fn = rtc.rt_hook;
	arg = rtc.rt_hook_arg;
	mutex_exit(&rtc.rt_lock);
	if (fn != NULL && tick.rt_n != 0)
		fn(&tick, arg);
	return IRQ_HANDLED;
}

void
rtc_set_tick_hook(rtc_tick_fn_t fn, void *arg)
{
	mutex_enter(&rtc.rt_lock);
	rtc.rt_hook = fn;
	rtc.rt_hook_arg = arg;
	rtc.rt_seen = rtc.rt_ticks;	/* the new hook starts from now */
	mutex_exit(&rtc.rt_lock);
	if (rtc.rt_irq >= 0)
		synchronize_irq(rtc.rt_irq);
}

int
rtc_irq(void)
{
	return rtc.rt_irq;
}

int
rtc_set_mode(enum irq_mode mode)
{
	return rtc.rt_irq < 0 ? -ENOENT : irq_set_mode(rtc.rt_irq, &rtc, mode);
}

int
rtc_get_stats(struct irq_stats *st)
{
	return rtc.rt_irq < 0 ? -ENOENT : irq_get_stats(rtc.rt_irq, &rtc, st);
}

/* Boot. */

static void
read_boot_time(void)
{
	struct rtc_time *tm = &rtc.rt_boot;
	char when[RTC_FORMAT_LEN];

	if (rtc_read_time(tm) != 0)
		return;
	rtc.rt_boot_ok = true;
	kinfo("rtc: %s", rtc_format(tm, when, sizeof(when)));
}

char *
rtc_format(const struct rtc_time *tm, char *buf, size_t size)
{
	snprintf(buf, size, "%04u-%02u-%02u %02u:%02u:%02u UTC", tm->rt_year,
	    tm->rt_mon, tm->rt_mday, tm->rt_hour, tm->rt_min, tm->rt_sec);
	return buf;
}

/* Every interrupt off, flags cleared, the default rate; then request. */
static int
request_rtc_irq(void)
{
	int irq = irq_isa(RTC_ISA_IRQ), error;

	mutex_enter(&rtc.rt_lock);
	reg_b_change(0, RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
	(void)cmos_read(RTC_C);
	mutex_exit(&rtc.rt_lock);
	(void)rtc_set_rate(RTC_DEFAULT_HZ);
	if (irq < 0)
		return irq;
	error = request_threaded_irq(irq, rtc_primary, rtc_thread, 0, "rtc",
	    &rtc);
	return error != 0 ? error : irq;
}

void
rtc_init(void)
{
	int irq;

	mutex_init(&rtc.rt_lock, MUTEX_SPIN, IPL_VM);
	read_boot_time();
	irq = request_rtc_irq();
	if (irq < 0) {
		kerr("rtc: cannot request ISA IRQ %u: %d; no periodic "
		    "interrupt", RTC_ISA_IRQ, irq);
		return;
	}
	rtc.rt_irq = irq;
	if (boot_hz == 0)
		return;
	if (rtc_set_rate((unsigned)boot_hz) != 0) {
		kerr("rtc: rtc_hz=%lu ignored; the periodic interrupt stays "
		    "off", boot_hz);
		return;
	}
	rtc_periodic_start();
	kinfo("rtc: periodic interrupt at %lu Hz on IRQ %d", boot_hz, irq);
}
