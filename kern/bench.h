/*
 * bench.h: what the benchmark sets (kern/bench.c, kern/bench_irq.c,
 * kern/bench_rtc.c) share.
 *
 * Every set prints its figures as `RESULT name=value unit=...` lines and
 * never asserts; a set that cannot finish (an interrupt that never comes)
 * says why on the log and returns false, and the boot ends with the
 * failure status.  Latencies are cycle-counter differences, printed in
 * nanoseconds (under `tools/boot --icount`, instructions).
 *
 * Locking: none; these run in the main thread only.
 */
#ifndef KERN_BENCH_H
#define KERN_BENCH_H

#include <mutex.h>
#include <types.h>

/* bench_result: print one RESULT line. */
void bench_result(const char *name, uint64_t value, const char *unit);

/*
 * bench_result_percentiles: sort the n cycle counts and print
 * <name>_p50<tail> and <name>_p99<tail> in ns.  tail is "" or a suffix
 * such as "_tpr".  bench_result_max: print <name>_max<tail>.
 */
void bench_result_percentiles(const char *name, const char *tail,
    uint64_t *cycles, size_t n);
void bench_result_max(const char *name, const char *tail,
    const uint64_t *cycles, size_t n);

/*
 * bench_mutex_pair_ns: the cost in ns of one mutex_enter + mutex_exit pair
 * on a free mutex of this type and IPL (the mean of many).
 */
uint64_t bench_mutex_pair_ns(kmutex_type_t type, ipl_t ipl);

/* bench_irq: the "irq" set (bench_irq.c); false if it could not finish. */
bool bench_irq(void);
/* bench_trace: the "trace" set (bench_trace.c); false if it could not finish. */
bool bench_trace(void);

/*
 * bench_rtc: the "rtc" set (bench_rtc.c): the RTC's periodic interrupt at
 * 8192 Hz under each model; false if it could not finish.
 */
bool bench_rtc(void);

/*
 * bench_irq_storm: the storm-control figures of the "irq" set
 * (bench_irq_storm.c), names ending in tail; the throttled storm runs
 * under boot_pct (the boot's budget, or 40% if that is off).  False if it
 * could not finish.
 */
bool bench_irq_storm(const char *tail, unsigned boot_pct);

#endif
