/*
 * lapic.h: the local APIC (xAPIC or x2APIC), IPIs and the LAPIC timer.
 *
 * Vectors sit in priority classes (vector >> 4) so that the next issue's
 * TPR-based spl can mask by IPL: the clock and IPIs are in the top class
 * below the spurious vector (IPL_SCHED).
 */
#ifndef MACHINE_LAPIC_H
#define MACHINE_LAPIC_H

#include <types.h>

#define VEC_LAPIC_TIMER	0xe0
#define IPI_RESCHED	0xe1	/* run the scheduler */
#define IPI_TLB		0xe2	/* TLB shootdown */
#define IPI_CALL	0xe3	/* cross call (xcall.c) */
#define VEC_SPURIOUS	0xff

struct cpu_info;

/* lapic_init: enable this CPU's LAPIC (x2APIC mode when available). */
void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* lapic_send_ipi: send vector to one CPU. */
void lapic_send_ipi(struct cpu_info *ci, uint8_t vector);
/* lapic_send_nmi_others: NMI every other CPU (panic). */
void lapic_send_nmi_others(void);
/* lapic_send_init, lapic_send_startup: INIT and STARTUP IPIs (smp.c). */
void lapic_send_init(uint32_t apicid);
void lapic_send_startup(uint32_t apicid, paddr_t page);
/*
 * lapic_timer_program: fire VEC_LAPIC_TIMER at the absolute nanouptime()
 * deadline (one-shot, TSC-deadline mode when the CPU has it), or stop the
 * timer when deadline is 0.  Context: interrupts disabled.
 */
void lapic_timer_program(uint64_t deadline);
/* lapic_timer_calibrate: measure the LAPIC timer rate (boot CPU, once). */
void lapic_timer_calibrate(void);

#endif
