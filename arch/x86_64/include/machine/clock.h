/*
 * clock.h: the TSC clock (x86-64 side of include/time.h).
 */
#ifndef MACHINE_CLOCK_H
#define MACHINE_CLOCK_H

#include <types.h>

/* clock_init: calibrate the TSC against the HPET or the PIT (boot CPU). */
void clock_init(void);
/* clock_ns_to_tsc: the TSC value at nanouptime() == ns. */
uint64_t clock_ns_to_tsc(uint64_t ns);
/* clock_tsc_hz: the calibrated TSC frequency. */
uint64_t clock_tsc_hz(void);
/* clock_source: "HPET" or "PIT", what the TSC was calibrated against. */
const char *clock_source(void);

#endif
