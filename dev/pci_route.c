/*
 * pci_route.c: q35 INTx routing as pure functions.
 *
 * How the table below was derived from QEMU, what it assumes and where it
 * stops being true is the "INTx routing" comment in dev/pci.c; this file
 * holds only the arithmetic, so that the host test can compile it alone
 * (tests/host/test_pci_route.py).
 *
 * Locking: none; nothing here has state.
 */
#include <dev/pci_route.h>

#define Q35_PIRQA_GSI	16	/* APIC mode: PIRQA..PIRQH are GSI 16..23 */
#define PIRQ_E		4	/* PIRQ numbers: 0 = A .. 7 = H */
#define DMI_PCI_SLOT	30	/* ICH9's DMI-to-PCI bridge */

static bool
pin_valid(unsigned pin)
{
	return pin >= PCI_INTA && pin <= PCI_INTD;
}

/* Slots whose routing an ICH9 D<N>IR register sets: 25..29 and 31. */
static bool
slot_has_dir_register(unsigned slot)
{
	return slot >= 25 && slot < PCI_SLOTS && slot != DMI_PCI_SLOT;
}

/* The PIRQ (0 = A .. 7 = H) that pin of a bus-0 slot drives. */
static unsigned
q35_pirq(unsigned slot, unsigned pin)
{
	unsigned intx = pin - PCI_INTA;

	if (slot_has_dir_register(slot))
		return intx;			/* D<N>IR reset value 0x3210 */
	if (slot == DMI_PCI_SLOT)
		return PIRQ_E + intx;		/* wired to E..H, no rotation */
	return PIRQ_E + (slot + intx) % 4;	/* QEMU's default for the rest */
}

unsigned
pci_swizzle(unsigned slot, unsigned pin)
{
	return (pin - PCI_INTA + slot) % 4 + PCI_INTA;
}

int
pci_q35_root_gsi(unsigned slot, unsigned pin)
{
	if (slot >= PCI_SLOTS || !pin_valid(pin))
		return -1;
	return Q35_PIRQA_GSI + (int)q35_pirq(slot, pin);
}

int
pci_q35_intx_gsi(const uint8_t *path, unsigned depth, unsigned pin)
{
	if (depth == 0 || depth > PCI_ROUTE_MAX_DEPTH || !pin_valid(pin))
		return -1;
	for (unsigned i = depth - 1; i > 0; i--) {
		if (path[i] >= PCI_SLOTS)
			return -1;
		pin = pci_swizzle(path[i], pin);
	}
	return pci_q35_root_gsi(path[0], pin);
}
