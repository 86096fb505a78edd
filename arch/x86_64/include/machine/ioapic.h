/*
 * ioapic.h: the I/O APICs (ioapic.c).
 */
#ifndef MACHINE_IOAPIC_H
#define MACHINE_IOAPIC_H

#include <types.h>

/*
 * ioapic_init: find the IOAPICs of the MADT, mask every input and create
 * an IRQ descriptor per input, numbered by its GSI.  Boot CPU, once.
 */
void ioapic_init(void);

/* ioapic_isa_irq: the IRQ (GSI) an ISA IRQ 0-15 reaches, after overrides. */
int ioapic_isa_irq(unsigned isa_irq);

#endif
