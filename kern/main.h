/*
 * main.h: start-up entry points called in order at boot.
 */
#ifndef KERN_MAIN_H
#define KERN_MAIN_H

#include <types.h>

/* cold: true while booting, until the boot CPU starts scheduling. */
extern volatile bool cold;

/* boot_cycles_at_main: the cycle counter when the main thread started. */
extern uint64_t boot_cycles_at_main;

/* kern_main: the machine-independent kernel from the scheduler on. */
__noreturn void kern_main(void);

/* Subsystem start-up, in the order machdep_boot and kern_main call them. */
void page_init(void);
void kmem_init(void);
void timer_init(void);
void xc_init(void);

/* Machine layer: start every other CPU (smp.c). */
void cpu_start_secondaries(void);
/* Machine layer: per-CPU timer hardware and interrupt vectors are ready. */
void cpu_intr_init(void);

#endif
