/*
 * time.h: the kernel clock.
 *
 * nanouptime() is a monotonic clock in nanoseconds since boot, the same on
 * every CPU, read without locks (the TSC, calibrated at boot).
 */
#ifndef PINWHEEL_TIME_H
#define PINWHEEL_TIME_H

#include <types.h>

#define NS_PER_US	((uint64_t)1000)
#define NS_PER_MS	((uint64_t)1000000)
#define NS_PER_SEC	((uint64_t)1000000000)

/* nanouptime: nanoseconds since boot.  Context: any. */
uint64_t nanouptime(void);
/* cpu_cycles: a raw cycle counter (the TSC) for fine measurement. */
uint64_t cpu_cycles(void);
/* cycles_to_ns: convert a cycle count to nanoseconds. */
uint64_t cycles_to_ns(uint64_t cycles);
/* delay_ns: busy-wait.  Context: any; use ksleep() in threads instead. */
void delay_ns(uint64_t ns);

#endif
