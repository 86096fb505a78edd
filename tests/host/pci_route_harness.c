/*
 * pci_route_harness.c: run dev/pci_route.c (q35 INTx routing) on the host.
 *
 * Built by tests/host/test_pci_route.py with the host compiler against the
 * kernel's headers; pci_route.c needs nothing else.  Modes:
 *
 *	pci_route_harness table		"SLOT PIN GSI" for slots 0..32 and
 *					pins 0..5 (pci_q35_root_gsi)
 *	pci_route_harness swizzle	"SLOT PIN PIN'" for slots 0..31 and
 *					pins 1..4 (pci_swizzle)
 *	pci_route_harness path PIN S0 [S1 ...]
 *					the GSI pci_q35_intx_gsi gives for
 *					the slot path S0 (bus 0) ... Sn
 *
 * The Python side compares the output with the table QEMU publishes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dev/pci_route.h>

static int
table(void)
{
	for (unsigned slot = 0; slot <= PCI_SLOTS; slot++)
		for (unsigned pin = 0; pin <= 5; pin++)
			printf("%u %u %d\n", slot, pin,
			    pci_q35_root_gsi(slot, pin));
	return 0;
}

static int
swizzle(void)
{
	for (unsigned slot = 0; slot < PCI_SLOTS; slot++)
		for (unsigned pin = PCI_INTA; pin <= PCI_INTD; pin++)
			printf("%u %u %u\n", slot, pin, pci_swizzle(slot, pin));
	return 0;
}

static int
path(int argc, char **argv)
{
	uint8_t slots[64];
	unsigned depth = 0;

	if (argc < 1 || argc - 1 > (int)sizeof(slots))
		return 2;
	for (int i = 1; i < argc; i++)
		slots[depth++] = (uint8_t)strtoul(argv[i], NULL, 0);
	printf("%d\n", pci_q35_intx_gsi(slots, depth,
	    (unsigned)strtoul(argv[0], NULL, 0)));
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "table") == 0)
		return table();
	if (argc >= 2 && strcmp(argv[1], "swizzle") == 0)
		return swizzle();
	if (argc >= 3 && strcmp(argv[1], "path") == 0)
		return path(argc - 2, argv + 2);
	fprintf(stderr, "usage: pci_route_harness table|swizzle|path PIN SLOT...\n");
	return 2;
}
