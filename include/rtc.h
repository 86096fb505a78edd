/*
 * rtc.h: the CMOS real-time clock (MC146818 and its PC descendants),
 * driven by dev/rtc.c: the time of day read at boot, and the periodic
 * interrupt (ISA IRQ 8) at a rate settable at run time from 2 Hz to
 * 8192 Hz, a steady interrupt source for latency and storm experiments.
 *
 * The periodic interrupt.  The driver's action is requested at boot on
 * rtc_irq() with the boot's default model (irqmode=); its dev cookie is
 * private, so use rtc_set_mode and rtc_get_stats rather than irq_set_mode
 * and irq_get_stats.  The primary handler reads register C (which is the
 * acknowledgement: the RTC interrupts again only after it) and counts a
 * tick when the periodic flag is set and the periodic interrupt is on;
 * the thread function, under the action's model, calls the tick hook.
 * Ticks are counted in the primary, one per acknowledged periodic flag: two
 * periods that elapse before the primary reads register C are one flag,
 * so one tick (the hardware merges them).
 *
 * The tick hook runs in the thread function: in hard interrupt context
 * under IRQ_MODE_HARD, in a thread under the others; it must not block
 * or sleep under any model.  Wake-ups coalesce: a hook call covers every
 * tick counted since the previous call (rt_n of them, at least 1), so
 * under a threaded model it may be called fewer times than there were
 * ticks, but the sum of rt_n over all calls is the tick count.
 *
 * The update-ended interrupt (once per RTC second, at the end of the
 * clock's update cycle) can be turned on too (rtc_update_irq): its count
 * and the tick count at the last one let a caller count ticks per RTC
 * second against the RTC's own crystal, with no other clock involved.
 *
 * Locking: every function here serialises itself (a spin mutex at IPL_VM
 * inside the driver covers the CMOS index/data ports and the counters).
 */
#ifndef PINWHEEL_RTC_H
#define PINWHEEL_RTC_H

#include <irq.h>
#include <types.h>

#define RTC_HZ_MIN	2
#define RTC_HZ_MAX	8192

/* A time of day, UTC (the PC's RTC holds UTC here; see dev/rtc.c). */
struct rtc_time {
	unsigned rt_year;		/* 2026 */
	unsigned rt_mon;		/* 1-12 */
	unsigned rt_mday;		/* 1-31 */
	unsigned rt_hour;		/* 0-23 */
	unsigned rt_min;		/* 0-59 */
	unsigned rt_sec;		/* 0-59 */
	uint64_t rt_epoch;		/* seconds since 1970-01-01 00:00:00 */
};

/* The time registers as read from the chip, for rtc_decode. */
struct rtc_regs {
	uint8_t rr_sec, rr_min, rr_hour;
	uint8_t rr_mday, rr_mon, rr_year;
	uint8_t rr_century;		/* 0: none, assume 20xx */
	uint8_t rr_b;			/* register B: its DM and 24/12 bits */
};

/* Register B bits rtc_decode looks at (MC146818A datasheet, register B). */
#define RTC_B_24H	0x02		/* 1: 24-hour mode, 0: 12-hour */
#define RTC_B_DM	0x04		/* 1: binary, 0: BCD */

/* What the thread function passes to the tick hook. */
struct rtc_tick {
	uint64_t rt_seq;		/* ticks counted so far (rtc_ticks) */
	unsigned rt_n;			/* ticks since the previous call, >= 1 */
	uint64_t rt_primary_ns;		/* nanouptime() in the primary that
					   counted tick rt_seq */
};

typedef void (*rtc_tick_fn_t)(const struct rtc_tick *tick, void *arg);

/*
 * rtc_init: read and log the time of day, program the default rate,
 * request the interrupt, and start the periodic interrupt if rtc_hz= asks
 * for it.  Context: thread, once at boot (main.c), all CPUs up.
 */
void rtc_init(void);

/*
 * rtc_boot_time: the time of day read at boot, or NULL if it could not be
 * read (the log says why).  Context: any, after rtc_init.
 */
const struct rtc_time *rtc_boot_time(void);

/*
 * rtc_read_time: read the time of day now, between two update cycles
 * (two reads that agree, each started with update-in-progress clear).
 * Context: thread, or any context below IPL_VM; may spin up to a few ms
 * while the chip updates.  Returns 0, or -EIO (the chip never left its
 * update cycle, or holds a value that is not a time).
 */
int rtc_read_time(struct rtc_time *tm);

/*
 * rtc_decode: turn register values into a time, per the DM and 24/12 bits
 * of rr_b: BCD or binary; 12-hour with bit 7 of the hour meaning PM.
 * Context: any.  Returns 0, or -EINVAL (a field out of range or not BCD).
 */
int rtc_decode(const struct rtc_regs *regs, struct rtc_time *tm);

/*
 * rtc_format: tm as "YYYY-MM-DD hh:mm:ss UTC" in buf (RTC_FORMAT_LEN
 * bytes hold it).  Returns buf.  Context: any.
 */
#define RTC_FORMAT_LEN	24
char *rtc_format(const struct rtc_time *tm, char *buf, size_t size);

/*
 * rtc_set_rate: the periodic interrupt's rate, hz a power of two from
 * RTC_HZ_MIN to RTC_HZ_MAX; takes effect at once, running or not.
 * Context: thread or interrupt, below IPL_VM.  Returns 0, or -EINVAL
 * (logged with the value) for anything else, the rate then unchanged.
 */
int rtc_set_rate(unsigned hz);

/*
 * rtc_rate: the rate programmed in register A now, in Hz (read from the
 * chip, not remembered), or 0 if the periodic divider is off.
 * Context: as rtc_set_rate.
 */
unsigned rtc_rate(void);

/*
 * rtc_periodic_start: turn the periodic interrupt on at the current rate.
 * rtc_periodic_stop: turn it off; once it returns, no tick is counted and
 * no hook call starts until the next start.  rtc_periodic_on: whether it
 * is on.  Context: thread; stop may sleep (it waits for the handlers).
 */
void rtc_periodic_start(void);
void rtc_periodic_stop(void);
bool rtc_periodic_on(void);

/*
 * rtc_update_irq: turn the once-a-second update-ended interrupt on or
 * off.  rtc_updates: update-ended interrupts counted; rtc_ticks_at_update:
 * the tick count when the last one was counted.  Context: thread (the
 * setter), any (the counters).
 */
void rtc_update_irq(bool on);
uint64_t rtc_updates(void);
uint64_t rtc_ticks_at_update(void);

/* rtc_ticks: periodic ticks counted since boot.  Context: any. */
uint64_t rtc_ticks(void);

/*
 * rtc_set_tick_hook: call fn(tick, arg) from the thread function for the
 * ticks that follow (NULL: no hook).  Once it returns, the previous hook
 * is not running and will not be called.  Context: thread; may sleep.
 */
void rtc_set_tick_hook(rtc_tick_fn_t fn, void *arg);

/*
 * rtc_irq: the IRQ the RTC interrupts on (irq_isa(8)), or -1 if it could
 * not be requested.  Context: any.
 */
int rtc_irq(void);

/*
 * rtc_set_mode: run the thread function under mode from the next tick on
 * (irq_set_mode on the driver's action).  rtc_get_stats: its statistics
 * (irq_get_stats).  Context: thread (set_mode may sleep); any (stats).
 * Return 0 or a negative errno as those do (-ENOENT without an IRQ).
 */
int rtc_set_mode(enum irq_mode mode);
int rtc_get_stats(struct irq_stats *st);

#endif
