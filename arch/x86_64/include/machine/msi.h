/*
 * msi.h: the MSI/MSI-X interrupt chip (msi.c), for dev/pci_irq.c.
 */
#ifndef MACHINE_MSI_H
#define MACHINE_MSI_H

#include <types.h>

struct pci_dev;

/*
 * msi_create: an IRQ for pd's MSI vector (msix false, index 0) or MSI-X
 * table entry index (msix true): a descriptor at IPL_VM with a vector of
 * the device band and the fasteoi flow, its message written for the boot
 * CPU and, where the function can, masked.  The caller enables the
 * capability afterwards.  Context: thread.  Returns the IRQ number, or
 * -ENOSPC when no IRQ number or vector is left.
 */
int msi_create(struct pci_dev *pd, bool msix, unsigned index);

/*
 * msi_destroy: remove an IRQ msi_create made.  Its actions must be gone
 * and the caller must have turned the capability off; msi_destroy then
 * waits until no message sent before that can still be delivered.
 * Context: thread; sleeps (it visits every CPU).
 */
void msi_destroy(int irq);

#endif
