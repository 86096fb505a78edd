/*
 * pci_route.h: which IOAPIC input a PCI function's INTx pin reaches on
 * QEMU's q35 machine, derived without AML (the derivation, the table and
 * its limits: the "INTx routing" comment in dev/pci.c).
 *
 * Pure functions of their arguments: no hardware access, no state, no
 * locking.  dev/pci.c calls them while enumerating; the host test
 * tests/host/test_pci_route.py compiles pci_route.c alone and checks them
 * against the interrupt routing table QEMU's DSDT publishes.
 *
 * Pins are numbered as in the Interrupt Pin register (config offset 0x3d):
 * 1..4 = INTA..INTD, 0 = no pin.
 */
#ifndef PINWHEEL_DEV_PCI_ROUTE_H
#define PINWHEEL_DEV_PCI_ROUTE_H

#include <types.h>

#define PCI_INTX_NONE	0
#define PCI_INTA	1
#define PCI_INTD	4

#define PCI_SLOTS	32	/* device numbers per bus */

/* PCI_ROUTE_MAX_DEPTH: the longest slot path pci_q35_intx_gsi accepts. */
#define PCI_ROUTE_MAX_DEPTH	16

/*
 * pci_swizzle: the pin on a bridge's primary side that carries pin of
 * the device in slot on its secondary side (PCI-to-PCI Bridge
 * Architecture 1.2 §9.1; PCIe bridges and ports do the same).
 * pin must be 1..4; returns 1..4.
 */
unsigned pci_swizzle(unsigned slot, unsigned pin);

/*
 * pci_q35_root_gsi: the GSI that pin of a function in slot of bus 0 (the
 * q35 root bus) reaches through the ICH9 PIRQ lines in APIC mode, or -1
 * if slot is not 0..31 or pin is not 1..4.
 */
int pci_q35_root_gsi(unsigned slot, unsigned pin);

/*
 * pci_q35_intx_gsi: the GSI a function's pin reaches when it sits behind
 * depth - 1 bridges: path[0] is the slot on bus 0 (the function itself
 * when depth is 1, else the top bridge), path[depth - 1] the function's
 * own slot on its bus.  Returns -1 for pin 0 (no pin), a pin above 4, a
 * slot above 31, or a depth of 0 or above PCI_ROUTE_MAX_DEPTH.
 */
int pci_q35_intx_gsi(const uint8_t *path, unsigned depth, unsigned pin);

#endif
