/*
 * pci.c: PCI configuration space, enumeration, BARs, INTx routing and the
 * MSI/MSI-X capabilities.
 *
 * Configuration space.  Two mechanisms.  ECAM (PCIe Base §7.2.2): each
 * MCFG range (acpi.ai_mcfg) maps 4 KiB per function at
 * base + (bus << 20 | device << 15 | function << 12); the kernel reaches
 * it through the direct map, which is uncached where there is no RAM
 * (pmap.c).  Port I/O, configuration mechanism #1 (PCI Local Bus 3.0
 * §3.2.2.3.2): the address goes to 0xcf8, the data moves through
 * 0xcfc + (offset & 3); it reaches segment 0 and the first 256 bytes only.
 * Each access uses ECAM when a usable MCFG range covers the bus, ports
 * otherwise.  q35 has both, which the ktest suite compares.
 *
 * Enumeration.  pci_init scans segment 0 from bus 0 upwards: every slot,
 * every function of a multi-function device, and for each PCI-to-PCI
 * bridge (header type 1) the secondary bus the firmware assigned, which
 * is scanned in its turn.  Bus numbers are never changed: a bridge whose
 * secondary bus is 0, not above its own bus, or already reached is logged
 * and not followed.  qboot, the firmware tools/boot uses, numbers bridges
 * depth first; it assigns no BARs and leaves decoding off (see BARs).
 * Up to PCI_MAX_DEVS functions are kept, in bus/device/function order.
 *
 * BARs.  Each BAR register is decoded (I/O, 32- or 64-bit memory,
 * prefetchable) and sized by writing all ones with I/O and memory
 * decoding off, then restoring the register and the command word.  A BAR
 * whose register holds 0 has no address: the firmware did not assign one
 * (qboot assigns none; SeaBIOS assigns them all).  pci_init assigns
 * addresses to those (next paragraph) and never moves a BAR the firmware
 * assigned.  A BAR still without an address keeps pb_base 0, the boot log
 * says "unassigned", and pci_bar_map and pci_enable refuse it.  Decoding
 * stays as the firmware left it (off, with qboot) until a driver calls
 * pci_enable.  A memory BAR is mapped through the direct map, which covers
 * everything below max(RAM, 4 GiB); a BAR above that, or in a 2 MiB page
 * the direct map caches because it also holds RAM, is refused with a log
 * line.
 *
 * BAR assignment.  The firmware's statement of which addresses the root
 * bus decodes is the host bridge's _CRS in the DSDT, which needs an AML
 * interpreter, so the kernel uses windows it can prove free from the
 * static tables instead:
 *
 *  - memory: [lo, hi), lo being the end of the highest memory-map range
 *    (any type: RAM, reserved, ACPI; the Multiboot copy of e820) and of
 *    the highest MCFG ECAM range that start below 0xfec00000, rounded up
 *    to 2 MiB so that no BAR shares a direct-map page with RAM; hi being
 *    0xfec00000 or the lowest IOAPIC, LAPIC or HPET address (MADT, HPET
 *    table) between lo and it.  0xfec00000 up is the chipset's (IOAPIC,
 *    HPET, the LAPIC's MSI window at 0xfee00000, the BIOS flash).  On q35
 *    with 256 MiB of RAM that is [0xc0000000, 0xfec00000): RAM ends at
 *    0x10000000 and ECAM takes 0xb0000000-0xbfffffff.
 *  - I/O: ports 0xc000-0xffff, SeaBIOS's PCI I/O range on QEMU; every
 *    fixed q35 port (ISA devices, ACPI PM at 0x600, config at 0xcf8,
 *    vmport at 0x5658) lies below it.
 *
 * Each BAR gets a naturally aligned range (sizes are powers of two);
 * every memory BAR gets at least a 4 KiB page to itself (PCI Local Bus
 * 3.0 §6.2.5.1), so that mapping one device's registers never exposes
 * another's.  BARs are placed largest first, each at the lowest free
 * address of its window, which packs power-of-two sizes without holes
 * and steps over BARs the firmware placed in the window.  Prefetchable
 * and 64-bit BARs go in the same window, below 4 GiB.
 *
 * Limits: the windows are a proof of absence from the memory map and the
 * static tables, not the firmware's word: a device the tables do not
 * list (none on q35) could sit in them.  Only functions on bus 0 are
 * assigned: behind a bridge the bridge's forwarding windows would have to
 * be programmed too, which this file does not do (logged).  Expansion ROM
 * BARs are not assigned.  Nothing goes above 4 GiB, so a BAR larger than
 * the window stays unassigned (logged).
 *
 * INTx routing on q35, without AML.  The DSDT's _PRT says which GSI each
 * slot's pins reach, but reading it needs an AML interpreter.  Instead the
 * routing is derived from how QEMU wires q35 (hw/isa/lpc_ich9.c:
 * ich9_cc_init, ich9_cc_update, ich9_lpc_map_irq, ich9_lpc_set_irq; the
 * D<N>IR defaults in include/hw/southbridge/ich9.h):
 *
 *  - A function on bus 0 drives one of the ICH9's eight PIRQ lines A..H,
 *    chosen by its slot and pin (never its function number):
 *      slots 25..29 and 31: the chipset's D<N>IR registers, whose reset
 *        value 0x3210 sends INTA..INTD to PIRQA..PIRQD;
 *      slot 30 (the DMI-to-PCI bridge): INTA..INTD to PIRQE..PIRQH;
 *      every other slot: QEMU's default, pin INTx (0-based x) of slot s
 *        to PIRQ E + (s + x) mod 4.
 *  - In APIC mode PIRQ A..H assert IOAPIC inputs 16..23, one line each
 *    (ich9_pirq_to_gsi, whatever the PIRQ_ROUT registers say: those
 *    only steer the 8259 copy of the line).  The kernel's IRQ number
 *    for an IOAPIC input is its GSI, so pd_irq is 16..23.
 *  - Behind a bridge or PCIe port, pin p of the device in slot s appears
 *    on the bridge's own pin ((p - 1 + s) mod 4) + 1 (PCI-to-PCI Bridge
 *    Architecture 1.2 §9.1; QEMU's pci_swizzle_map_irq_fn), repeated up to
 *    bus 0.
 *
 *    Bus-0 result (GSI for INTA INTB INTC INTD), which is exactly the
 *    APIC-mode _PRT QEMU 7.2 generates for q35 (hw/i386/acpi-build.c),
 *    read back from a running q35 and disassembled with iasl:
 *      slot 0, 4, 8, ..., 24     20 21 22 23
 *      slot 1, 5, 9, ..., 21     21 22 23 20
 *      slot 2, 6, 10, ..., 22    22 23 20 21
 *      slot 3, 7, 11, ..., 23    23 20 21 22
 *      slots 25-29, 31           16 17 18 19
 *      slot 30                   20 21 22 23
 *
 * dev/pci_route.c holds this arithmetic as pure functions, and
 * tests/host/test_pci_route.py checks it against that _PRT.
 * Limits: q35 only (the host bridge must be 8086:29c0); on i440fx or any
 * other chipset every pd_irq is -1 and one line says so.  The D<N>IR
 * registers are assumed to hold their reset values: firmware could
 * reprogram them through the RCBA; SeaBIOS enables the RCBA and leaves
 * them, qboot leaves the RCBA off; when it is on they are checked and a
 * changed one is logged.  The 8259 (PIC) mode routing is not used.
 * Expander bridges (pxb) and devices whose bus no bridge leads to are
 * not scanned.  The routing is what QEMU wires; nothing here has yet
 * taken an INTx interrupt through the IOAPIC to confirm it end to end.
 *
 * MSI and MSI-X.  pci_msi_* program the MSI capability (PCI Local Bus 3.0
 * §6.8.1): one address and data for all its vectors, 32- or 64-bit
 * address, optional per-vector mask bits.  pci_msix_* program the MSI-X
 * table (PCIe Base §7.7.2), 16-byte entries in a memory BAR, which is
 * mapped once BARs are assigned; MSI-X whose table BAR has no address or
 * cannot be mapped counts as absent (pci_msix_vectors returns 0).
 *
 * Locking.  pci_port_lock (spin, IPL_HIGH) makes the 0xcf8/0xcfc pair one
 * access; ECAM accesses are single loads and stores and need no lock.
 * pci_devs, pci_priv, pci_ndev and the ECAM table are written only by
 * pci_init, on the boot CPU before the other CPUs start, and only read
 * afterwards.  A function's registers (command word, BARs, MSI and MSI-X
 * state) belong to whoever drives it, dev/pci_irq.c and its driver, who
 * serialise their own read-modify-write sequences; pci_bar_probe turns
 * decoding off for a moment, so it runs only while no driver uses the
 * function.
 */
#include <bootinfo.h>
#include <kassert.h>
#include <log.h>
#include <mutex.h>
#include <pci.h>
#include <printf.h>
#include <types.h>

#include <dev/pci_route.h>

#include <machine/acpi.h>
#include <machine/cpufunc.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>

#define PCI_MAX_DEVS	64
#define PCI_BUSES	256
#define PCI_FUNCS	8
#define CONF_SIZE_PORT	256		/* bytes of config space via ports */
#define CONF_SIZE_ECAM	4096		/* bytes per function via ECAM */
#define ECAM_BUS_SHIFT	20
#define LARGE_PAGE	(2ULL << 20)	/* the direct map's page size */

/* Configuration mechanism #1 ports (PCI Local Bus 3.0 §3.2.2.3.2). */
#define PCI_PORT_ADDR	0xcf8
#define PCI_PORT_DATA	0xcfc
#define PCI_PORT_ENABLE	0x80000000U

/* The configuration header (PCI Local Bus 3.0 §6.1, bridge 1.2 §3.2). */
#define PCI_ID		0x00
#define PCI_COMMAND	0x04
#define PCI_STATUS	0x06
#define PCI_CLASS_REV	0x08
#define PCI_HEADER	0x0e
#define PCI_BAR0	0x10
#define PCI_SECONDARY	0x19		/* type 1 */
#define PCI_SUBORDINATE	0x1a		/* type 1 */
#define PCI_CAP_PTR	0x34
#define PCI_INT_PIN	0x3d

#define CMD_IO		0x0001
#define CMD_MEM		0x0002
#define CMD_MASTER	0x0004
#define CMD_INTX_OFF	0x0400
#define STATUS_CAPS	0x0010
#define HDR_MULTIFUNC	0x80
#define HDR_TYPE_MASK	0x7f
#define HDR_DEVICE	0
#define HDR_BRIDGE	1
#define HDR_CARDBUS	2

#define BAR_IO		0x1
#define BAR_MEM_TYPE	0x6		/* bits 2:1 */
#define BAR_MEM_32	0x0
#define BAR_MEM_64	0x4
#define BAR_PREFETCH	0x8
#define BAR_IO_FLAGS	0x3
#define BAR_MEM_FLAGS	0xf

/* Capabilities: at most this many fit between 0x40 and 0x100. */
#define CAP_FIRST	0x40
#define CAP_MAX		((CONF_SIZE_PORT - CAP_FIRST) / 4)
#define CAP_ID_MSI	0x05
#define CAP_ID_MSIX	0x11

/* MSI capability (PCI Local Bus 3.0 §6.8.1). */
#define MSI_CTRL	0x02
#define MSI_CTRL_ENABLE	0x0001
#define MSI_CTRL_MMC(c)	(((c) >> 1) & 7)	/* log2 of vectors offered */
#define MSI_CTRL_MME_SHIFT 4			/* log2 of vectors enabled */
#define MSI_CTRL_MME	(7 << MSI_CTRL_MME_SHIFT)
#define MSI_CTRL_64BIT	0x0080
#define MSI_CTRL_PVM	0x0100			/* per-vector masking */
#define MSI_MMC_MAX	5			/* 32 vectors; 6, 7 reserved */
#define MSI_ADDR_LO	0x04
#define MSI_ADDR_HI	0x08			/* 64-bit only */
#define MSI_DATA(c)	((c) & MSI_CTRL_64BIT ? 0x0c : 0x08)
#define MSI_MASK(c)	((c) & MSI_CTRL_64BIT ? 0x10 : 0x0c)

/* MSI-X capability and table (PCIe Base §7.7.2). */
#define MSIX_CTRL	0x02
#define MSIX_CTRL_SIZE	0x07ff			/* table size - 1 */
#define MSIX_CTRL_FMASK	0x4000			/* function mask */
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_TABLE	0x04			/* offset | BIR */
#define MSIX_PBA	0x08			/* offset | BIR */
#define MSIX_BIR	0x7
#define MSIX_ENTRY_WORDS 4			/* 16 bytes per entry */
#define MSIX_ADDR_LO	0
#define MSIX_ADDR_HI	1
#define MSIX_DATA	2
#define MSIX_VCTRL	3
#define MSIX_VCTRL_MASK	0x1

/* The q35 host bridge (MCH) and the ICH9 LPC bridge. */
#define Q35_MCH_ID	0x29c08086U
#define I440FX_ID	0x12378086U
#define ICH9_LPC_SLOT	31
#define ICH9_RCBA	0xf0		/* LPC config: root complex base */
#define ICH9_RCBA_EN	0x1
#define ICH9_RCBA_MASK	0xffffc000U
#define ICH9_RCRB_SIZE	0x4000
#define ICH9_DIR_RESET	0x3210		/* INTA..INTD -> PIRQA..PIRQD */

#define PCI_ADDR_FMT	"%04x:%02x:%02x.%u"
#define PCI_ADDR_ARGS(pd) (pd)->pd_seg, (pd)->pd_bus, (pd)->pd_dev, \
	(unsigned)(pd)->pd_func

#define NO_PARENT	(-1)		/* pp_parent of a function on bus 0 */
#define BUS_UNREACHED	(-2)		/* bus_bridge[] of a bus not scanned */

struct ecam_range {
	paddr_t		er_base;	/* ECAM base (of bus 0) */
	uint16_t	er_seg;
	uint8_t		er_start, er_end; /* buses decoded, inclusive */
};

/* What pci.c keeps per function besides the public struct pci_dev. */
struct pci_priv {
	char		pp_name[16];	/* "0000:00:05.1" */
	int		pp_parent;	/* index of the bridge above, or NO_PARENT */
	volatile uint32_t *pp_msix_table; /* mapped MSI-X table, or NULL */
	unsigned	pp_msix_n;	/* its entries (0: absent or unreachable) */
	uint32_t	pp_msix_pba;	/* PBA offset | BIR, for the boot line */
};

static kmutex_t pci_port_lock;		/* spin, IPL_HIGH: 0xcf8/0xcfc */
static struct ecam_range ecam[ACPI_MAX_MCFG];	/* written by pci_init */
static unsigned necam;
static struct pci_dev pci_devs[PCI_MAX_DEVS];	/* written by pci_init */
static struct pci_priv pci_priv[PCI_MAX_DEVS];
static unsigned pci_ndev;
static int bus_bridge[PCI_BUSES];	/* bridge leading to each bus */
static unsigned pci_unassigned;		/* BARs the firmware left at 0 */
static unsigned pci_assigned;		/* ... of which pci_init assigned */

static const char *const bar_type_names[] = {
	[PCI_BAR_NONE] = "none", [PCI_BAR_IO] = "io",
	[PCI_BAR_MEM32] = "mem32", [PCI_BAR_MEM64] = "mem64",
};

/* ---- Configuration space ---- */

static unsigned
dev_index(const struct pci_dev *pd)
{
	KASSERTMSG(pd >= pci_devs && pd < pci_devs + PCI_MAX_DEVS,
	    "pci: %p is not one of the functions pci_init found", pd);
	return (unsigned)(pd - pci_devs);
}

static const struct ecam_range *
ecam_find(unsigned seg, unsigned bus)
{
	for (unsigned i = 0; i < necam; i++)
		if (ecam[i].er_seg == seg && bus >= ecam[i].er_start &&
		    bus <= ecam[i].er_end)
			return &ecam[i];
	return NULL;
}

/* The function's config space at off through ECAM, or NULL if not covered. */
static volatile void *
ecam_va(const struct pci_dev *pd, unsigned off)
{
	const struct ecam_range *r = ecam_find(pd->pd_seg, pd->pd_bus);

	if (r == NULL)
		return NULL;
	return PHYS_TO_DMAP(r->er_base + ((paddr_t)pd->pd_bus << ECAM_BUS_SHIFT |
	    (paddr_t)pd->pd_dev << 15 | (paddr_t)pd->pd_func << 12 | off));
}

static void
check_access(const struct pci_dev *pd, unsigned off, unsigned width,
    bool ecam_ok)
{
	unsigned limit = ecam_ok ? CONF_SIZE_ECAM : CONF_SIZE_PORT;

	KASSERTMSG(pd->pd_dev < PCI_SLOTS && pd->pd_func < PCI_FUNCS,
	    "pci: bad address " PCI_ADDR_FMT, PCI_ADDR_ARGS(pd));
	KASSERTMSG(off % width == 0,
	    "pci: " PCI_ADDR_FMT ": %u-byte access at unaligned offset %#x",
	    PCI_ADDR_ARGS(pd), width, off);
	KASSERTMSG(off + width <= limit,
	    "pci: " PCI_ADDR_FMT ": offset %#x beyond its %u bytes of config "
	    "space (%s)", PCI_ADDR_ARGS(pd), off, limit,
	    ecam_ok ? "ECAM" : "port I/O");
	KASSERTMSG(ecam_ok || pd->pd_seg == 0,
	    "pci: " PCI_ADDR_FMT ": segment without ECAM", PCI_ADDR_ARGS(pd));
}

static uint32_t
port_address(const struct pci_dev *pd, unsigned off)
{
	return PCI_PORT_ENABLE | (uint32_t)pd->pd_bus << 16 |
	    (uint32_t)pd->pd_dev << 11 | (uint32_t)pd->pd_func << 8 | (off & ~3U);
}

static uint32_t
port_read(const struct pci_dev *pd, unsigned off, unsigned width)
{
	uint16_t data = PCI_PORT_DATA + (off & 3);
	uint32_t v;

	mutex_enter(&pci_port_lock);
	outl(PCI_PORT_ADDR, port_address(pd, off));
	if (width == 1)
		v = inb(data);
	else if (width == 2)
		v = inw(data);
	else
		v = inl(data);
	mutex_exit(&pci_port_lock);
	return v;
}

static void
port_write(const struct pci_dev *pd, unsigned off, unsigned width, uint32_t v)
{
	uint16_t data = PCI_PORT_DATA + (off & 3);

	mutex_enter(&pci_port_lock);
	outl(PCI_PORT_ADDR, port_address(pd, off));
	if (width == 1)
		outb(data, (uint8_t)v);
	else if (width == 2)
		outw(data, (uint16_t)v);
	else
		outl(data, v);
	mutex_exit(&pci_port_lock);
}

static uint32_t
ecam_read(volatile void *p, unsigned width)
{
	if (width == 1)
		return *(volatile uint8_t *)p;
	if (width == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

static void
ecam_write(volatile void *p, unsigned width, uint32_t v)
{
	if (width == 1)
		*(volatile uint8_t *)p = (uint8_t)v;
	else if (width == 2)
		*(volatile uint16_t *)p = (uint16_t)v;
	else
		*(volatile uint32_t *)p = v;
}

static uint32_t
conf_read(const struct pci_dev *pd, unsigned off, unsigned width)
{
	volatile void *p = ecam_va(pd, off);

	check_access(pd, off, width, p != NULL);
	return p != NULL ? ecam_read(p, width) : port_read(pd, off, width);
}

static void
conf_write(const struct pci_dev *pd, unsigned off, unsigned width, uint32_t v)
{
	volatile void *p = ecam_va(pd, off);

	check_access(pd, off, width, p != NULL);
	if (p != NULL)
		ecam_write(p, width, v);
	else
		port_write(pd, off, width, v);
}

uint8_t
pci_conf_read8(const struct pci_dev *pd, unsigned off)
{
	return (uint8_t)conf_read(pd, off, 1);
}

uint16_t
pci_conf_read16(const struct pci_dev *pd, unsigned off)
{
	return (uint16_t)conf_read(pd, off, 2);
}

uint32_t
pci_conf_read32(const struct pci_dev *pd, unsigned off)
{
	return conf_read(pd, off, 4);
}

void
pci_conf_write8(const struct pci_dev *pd, unsigned off, uint8_t v)
{
	conf_write(pd, off, 1, v);
}

void
pci_conf_write16(const struct pci_dev *pd, unsigned off, uint16_t v)
{
	conf_write(pd, off, 2, v);
}

void
pci_conf_write32(const struct pci_dev *pd, unsigned off, uint32_t v)
{
	conf_write(pd, off, 4, v);
}

bool
pci_conf_read32_via(const struct pci_dev *pd, unsigned off,
    enum pci_conf_mech mech, uint32_t *v)
{
	volatile void *p;

	if (mech == PCI_CONF_PORT) {
		if (pd->pd_seg != 0 || off >= CONF_SIZE_PORT)
			return false;
		check_access(pd, off, 4, false);
		*v = port_read(pd, off, 4);
		return true;
	}
	KASSERTMSG(mech == PCI_CONF_ECAM, "pci_conf_read32_via: bad mechanism %d",
	    (int)mech);
	p = ecam_va(pd, off);
	if (p == NULL)
		return false;
	check_access(pd, off, 4, true);
	*v = ecam_read(p, 4);
	return true;
}

/* ---- The direct map, for ECAM and BARs ---- */

/*
 * Why [pa, pa + len) cannot be used as MMIO through the direct map, or
 * NULL if it can: it must lie below pmap_dmap_end() in pages the direct
 * map leaves uncached.
 */
static const char *
dmap_mmio_problem(paddr_t pa, uint64_t len)
{
	if (len == 0 || pa + len < pa)
		return "empty or wraps around";
	if (pa + len > pmap_dmap_end())
		return "lies above the direct map";
	for (paddr_t p = rounddown(pa, LARGE_PAGE); p < pa + len; p += LARGE_PAGE)
		if (!(pmap_pte((vaddr_t)PHYS_TO_DMAP(p)) & PG_PCD))
			return "shares a 2 MiB page with RAM, which the direct "
			    "map caches";
	return NULL;
}

static void
ecam_setup(void)
{
	for (unsigned i = 0; i < acpi.ai_nmcfg; i++) {
		const struct acpi_mcfg_seg *m = &acpi.ai_mcfg[i];
		paddr_t start = m->am_base +
		    ((paddr_t)m->am_start_bus << ECAM_BUS_SHIFT);
		uint64_t len = (uint64_t)(m->am_end_bus - m->am_start_bus + 1)
		    << ECAM_BUS_SHIFT;
		const char *why = m->am_end_bus < m->am_start_bus ?
		    "bus range is empty" : dmap_mmio_problem(start, len);

		if (why != NULL) {
			kwarn("pci: MCFG segment %u buses %u-%u at %#lx not used: "
			    "%s; port I/O serves segment 0", m->am_segment,
			    m->am_start_bus, m->am_end_bus, m->am_base, why);
			continue;
		}
		ecam[necam++] = (struct ecam_range){ m->am_base, m->am_segment,
		    m->am_start_bus, m->am_end_bus };
		if (m->am_segment != 0)
			knotice("pci: MCFG segment %u not scanned (only segment 0 "
			    "is)", m->am_segment);
	}
}

/* ---- BARs ---- */

static unsigned
bar_count(const struct pci_dev *pd)
{
	switch (pd->pd_hdrtype) {
	case HDR_DEVICE:
		return 6;
	case HDR_BRIDGE:
		return 2;
	default:
		return 0;	/* CardBus and unknown headers: not decoded */
	}
}

/* Write all ones to a BAR register, read what sticks, restore it. */
static uint32_t
bar_size_mask(const struct pci_dev *pd, unsigned off, uint32_t old)
{
	uint32_t mask;

	pci_conf_write32(pd, off, ~0U);
	mask = pci_conf_read32(pd, off);
	pci_conf_write32(pd, off, old);
	return mask;
}

static bool
power_of_two(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static void
bar_decode_io(struct pci_bar *out, uint32_t reg, uint32_t mask)
{
	mask &= ~(uint32_t)BAR_IO_FLAGS;
	if ((mask & 0xffff0000U) == 0)
		mask |= 0xffff0000U;	/* a 16-bit I/O BAR */
	out->pb_type = PCI_BAR_IO;
	out->pb_base = reg & ~(uint32_t)BAR_IO_FLAGS;
	out->pb_size = (uint32_t)(~mask + 1);
}

static void
bar_decode_mem(struct pci_bar *out, uint64_t reg, uint64_t mask, bool is64)
{
	mask &= ~(uint64_t)BAR_MEM_FLAGS;
	if (!is64)
		mask |= 0xffffffff00000000ULL;
	out->pb_type = is64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
	out->pb_prefetch = (reg & BAR_PREFETCH) != 0;
	out->pb_base = reg & ~(uint64_t)BAR_MEM_FLAGS;
	out->pb_size = ~mask + 1;
}

unsigned
pci_bar_probe(struct pci_dev *pd, unsigned bar, struct pci_bar *out)
{
	unsigned off = PCI_BAR0 + 4 * bar, span;
	uint32_t lo, hi = 0, lo_mask, hi_mask = 0;
	uint16_t cmd;
	bool is_io, is64;

	KASSERTMSG(bar < bar_count(pd), "pci_bar_probe: %s has no BAR%u",
	    pci_name(pd), bar);
	*out = (struct pci_bar){ .pb_type = PCI_BAR_NONE };
	lo = pci_conf_read32(pd, off);
	is_io = (lo & BAR_IO) != 0;
	is64 = !is_io && (lo & BAR_MEM_TYPE) == BAR_MEM_64;
	span = is64 ? 2 : 1;
	if (!is_io && (lo & BAR_MEM_TYPE) != BAR_MEM_32 && !is64) {
		kwarn("pci: %s BAR%u: reserved memory type %u (%#x): ignored",
		    pci_name(pd), bar, (lo & BAR_MEM_TYPE) >> 1, lo);
		return 1;
	}
	if (is64 && bar + 1 >= bar_count(pd)) {
		kwarn("pci: %s BAR%u: 64-bit BAR in the last register: ignored",
		    pci_name(pd), bar);
		return 1;
	}
	cmd = pci_conf_read16(pd, PCI_COMMAND);
	pci_conf_write16(pd, PCI_COMMAND, cmd & ~(CMD_IO | CMD_MEM));
	lo_mask = bar_size_mask(pd, off, lo);
	if (is64) {
		hi = pci_conf_read32(pd, off + 4);
		hi_mask = bar_size_mask(pd, off + 4, hi);
	}
	pci_conf_write16(pd, PCI_COMMAND, cmd);
	if (lo_mask == 0 && hi_mask == 0)
		return span;		/* not implemented */
	if (is_io)
		bar_decode_io(out, lo, lo_mask);
	else
		bar_decode_mem(out, (uint64_t)hi << 32 | lo,
		    (uint64_t)hi_mask << 32 | lo_mask, is64);
	if (!power_of_two(out->pb_size)) {
		kwarn("pci: %s BAR%u: size mask %#x:%08x is malformed: ignored",
		    pci_name(pd), bar, hi_mask, lo_mask);
		*out = (struct pci_bar){ .pb_type = PCI_BAR_NONE };
	}
	return span;
}

static bool
bar_is_mem(const struct pci_bar *b)
{
	return b->pb_type == PCI_BAR_MEM32 || b->pb_type == PCI_BAR_MEM64;
}

/* Why memory BAR bar cannot be mapped, or NULL if it can. */
static const char *
bar_map_problem(const struct pci_dev *pd, unsigned bar)
{
	const struct pci_bar *b = &pd->pd_bar[bar];

	if (b->pb_base == 0)
		return "it has no address (see the boot log)";
	return dmap_mmio_problem(b->pb_base, b->pb_size);
}

void *
pci_bar_map(struct pci_dev *pd, unsigned bar)
{
	const char *why;

	KASSERTMSG(bar < PCI_MAX_BARS, "pci_bar_map: %s BAR%u out of range",
	    pci_name(pd), bar);
	if (!bar_is_mem(&pd->pd_bar[bar]))
		return NULL;
	why = bar_map_problem(pd, bar);
	if (why != NULL) {
		kwarn("pci: %s BAR%u (%#lx, %lu bytes) not mapped: %s",
		    pci_name(pd), bar, pd->pd_bar[bar].pb_base,
		    pd->pd_bar[bar].pb_size, why);
		return NULL;
	}
	return PHYS_TO_DMAP(pd->pd_bar[bar].pb_base);
}

/*
 * The command bit for decoding kind (CMD_IO or CMD_MEM) if pd has BARs of
 * that kind and all have addresses; 0 (and a log line) if one has none.
 */
static uint16_t
decode_bit(struct pci_dev *pd, uint16_t kind)
{
	uint16_t bit = 0;

	for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
		const struct pci_bar *b = &pd->pd_bar[i];

		if ((kind == CMD_IO) != (b->pb_type == PCI_BAR_IO) ||
		    b->pb_type == PCI_BAR_NONE)
			continue;
		if (b->pb_base == 0) {
			kwarn("pci: %s: %s decoding left off: BAR%u has no "
			    "address", pci_name(pd),
			    kind == CMD_IO ? "I/O" : "memory", i);
			return 0;
		}
		bit = kind;
	}
	return bit;
}

void
pci_enable(struct pci_dev *pd)
{
	uint16_t cmd = pci_conf_read16(pd, PCI_COMMAND);

	cmd |= CMD_MASTER | decode_bit(pd, CMD_IO) | decode_bit(pd, CMD_MEM);
	pci_conf_write16(pd, PCI_COMMAND, cmd);
}

void
pci_intx(struct pci_dev *pd, bool on)
{
	uint16_t cmd = pci_conf_read16(pd, PCI_COMMAND);

	cmd = on ? cmd & ~CMD_INTX_OFF : cmd | CMD_INTX_OFF;
	pci_conf_write16(pd, PCI_COMMAND, cmd);
}

/* ---- Capabilities ---- */

unsigned
pci_find_cap(const struct pci_dev *pd, uint8_t cap_id)
{
	unsigned ptr;

	if (!(pci_conf_read16(pd, PCI_STATUS) & STATUS_CAPS))
		return 0;
	ptr = pci_conf_read8(pd, PCI_CAP_PTR) & ~3U;
	for (unsigned n = 0; ptr != 0; n++) {
		if (ptr < CAP_FIRST || n >= CAP_MAX) {
			kwarn("pci: " PCI_ADDR_FMT ": malformed capability list "
			    "(%s at entry %u, offset %#x): walk stopped",
			    PCI_ADDR_ARGS(pd), n >= CAP_MAX ? "a loop" :
			    "a pointer into the header", n, ptr);
			return 0;
		}
		if (pci_conf_read8(pd, ptr) == cap_id)
			return ptr;
		ptr = pci_conf_read8(pd, ptr + 1) & ~3U;
	}
	return 0;
}

/* ---- MSI (PCI Local Bus 3.0 §6.8.1) ---- */

static unsigned
msi_cap(const struct pci_dev *pd)
{
	KASSERTMSG(pd->pd_msi_cap != 0, "pci: %s has no MSI capability",
	    pci_name(pd));
	return pd->pd_msi_cap;
}

static uint16_t
msi_ctrl(const struct pci_dev *pd)
{
	return pci_conf_read16(pd, msi_cap(pd) + MSI_CTRL);
}

unsigned
pci_msi_vectors(struct pci_dev *pd)
{
	if (pd->pd_msi_cap == 0)
		return 0;
	return 1U << MIN(MSI_CTRL_MMC(msi_ctrl(pd)), MSI_MMC_MAX);
}

void
pci_msi_set_vectors(struct pci_dev *pd, unsigned n)
{
	uint16_t ctrl = msi_ctrl(pd);
	unsigned log2n = 0;

	KASSERTMSG(power_of_two(n) && n <= pci_msi_vectors(pd),
	    "pci_msi_set_vectors: %s offers %u MSI vectors, not %u",
	    pci_name(pd), pci_msi_vectors(pd), n);
	while ((1U << log2n) < n)
		log2n++;
	ctrl = (ctrl & ~MSI_CTRL_MME) | log2n << MSI_CTRL_MME_SHIFT;
	pci_conf_write16(pd, msi_cap(pd) + MSI_CTRL, ctrl);
}

void
pci_msi_write(struct pci_dev *pd, uint64_t addr, uint32_t data)
{
	unsigned cap = msi_cap(pd);
	uint16_t ctrl = msi_ctrl(pd);

	KASSERTMSG((addr & 3) == 0, "pci_msi_write: %s: address %#lx not "
	    "dword aligned", pci_name(pd), addr);
	KASSERTMSG(data <= 0xffff, "pci_msi_write: %s: data %#x wider than "
	    "MSI's 16 bits", pci_name(pd), data);
	KASSERTMSG((ctrl & MSI_CTRL_64BIT) || (addr >> 32) == 0,
	    "pci_msi_write: %s has 32-bit MSI, address %#lx", pci_name(pd), addr);
	pci_conf_write32(pd, cap + MSI_ADDR_LO, (uint32_t)addr);
	if (ctrl & MSI_CTRL_64BIT)
		pci_conf_write32(pd, cap + MSI_ADDR_HI, (uint32_t)(addr >> 32));
	pci_conf_write16(pd, cap + MSI_DATA(ctrl), (uint16_t)data);
}

static bool
msix_enabled(const struct pci_dev *pd)
{
	return pd->pd_msix_cap != 0 &&
	    (pci_conf_read16(pd, pd->pd_msix_cap + MSIX_CTRL) & MSIX_CTRL_ENABLE);
}

void
pci_msi_enable(struct pci_dev *pd, bool on)
{
	uint16_t ctrl = msi_ctrl(pd);

	KASSERTMSG(!on || !msix_enabled(pd),
	    "pci_msi_enable: %s has MSI-X enabled", pci_name(pd));
	ctrl = on ? ctrl | MSI_CTRL_ENABLE : ctrl & ~MSI_CTRL_ENABLE;
	pci_conf_write16(pd, msi_cap(pd) + MSI_CTRL, ctrl);
}

bool
pci_msi_maskable(struct pci_dev *pd)
{
	return pd->pd_msi_cap != 0 && (msi_ctrl(pd) & MSI_CTRL_PVM);
}

void
pci_msi_mask(struct pci_dev *pd, bool masked)
{
	uint16_t ctrl = msi_ctrl(pd);
	unsigned off = msi_cap(pd) + MSI_MASK(ctrl);
	unsigned nvec = 1U << ((ctrl & MSI_CTRL_MME) >> MSI_CTRL_MME_SHIFT);
	uint32_t bits = nvec >= 32 ? ~0U : (1U << nvec) - 1;
	uint32_t v;

	KASSERTMSG(ctrl & MSI_CTRL_PVM,
	    "pci_msi_mask: %s has no per-vector masking", pci_name(pd));
	v = pci_conf_read32(pd, off);
	pci_conf_write32(pd, off, masked ? v | bits : v & ~bits);
}

/* ---- MSI-X (PCIe Base §7.7.2) ---- */

/* Map the MSI-X table of function i, or log why MSI-X is unusable. */
static void
msix_setup(unsigned i)
{
	struct pci_dev *pd = &pci_devs[i];
	struct pci_priv *pp = &pci_priv[i];
	unsigned cap = pd->pd_msix_cap;
	unsigned n = (pci_conf_read16(pd, cap + MSIX_CTRL) & MSIX_CTRL_SIZE) + 1;
	uint32_t table = pci_conf_read32(pd, cap + MSIX_TABLE);
	unsigned bir = table & MSIX_BIR;
	uint64_t off = table & ~(uint32_t)MSIX_BIR;
	const char *why = NULL;

	pp->pp_msix_pba = pci_conf_read32(pd, cap + MSIX_PBA);
	if (bir >= PCI_MAX_BARS || !bar_is_mem(&pd->pd_bar[bir]))
		why = "its table BAR is not a memory BAR";
	else if (off + (uint64_t)n * MSIX_ENTRY_WORDS * 4 >
	    pd->pd_bar[bir].pb_size)
		why = "its table runs past the end of its BAR";
	else
		why = bar_map_problem(pd, bir);
	if (why != NULL) {
		knotice("pci: %s: MSI-X (%u vector%s, table BAR%u+%#lx) "
		    "unusable: %s", pci_name(pd), n, n == 1 ? "" : "s", bir, off,
		    why);
		return;
	}
	pp->pp_msix_table = (volatile uint32_t *)((uint8_t *)
	    PHYS_TO_DMAP(pd->pd_bar[bir].pb_base) + off);
	pp->pp_msix_n = n;
}

static volatile uint32_t *
msix_entry(struct pci_dev *pd, unsigned i)
{
	const struct pci_priv *pp = &pci_priv[dev_index(pd)];

	KASSERTMSG(i < pp->pp_msix_n, "pci: %s: MSI-X entry %u of %u",
	    pci_name(pd), i, pp->pp_msix_n);
	return pp->pp_msix_table + i * MSIX_ENTRY_WORDS;
}

unsigned
pci_msix_vectors(struct pci_dev *pd)
{
	return pci_priv[dev_index(pd)].pp_msix_n;
}

void
pci_msix_write(struct pci_dev *pd, unsigned i, uint64_t addr, uint32_t data)
{
	volatile uint32_t *e = msix_entry(pd, i);
	uint16_t ctrl = pci_conf_read16(pd, pd->pd_msix_cap + MSIX_CTRL);

	/* §7.7.2: changing an unmasked entry's message is undefined. */
	KASSERTMSG((e[MSIX_VCTRL] & MSIX_VCTRL_MASK) ||
	    (ctrl & MSIX_CTRL_FMASK) || !(ctrl & MSIX_CTRL_ENABLE),
	    "pci_msix_write: %s entry %u is live (unmasked, MSI-X enabled)",
	    pci_name(pd), i);
	e[MSIX_ADDR_LO] = (uint32_t)addr;
	e[MSIX_ADDR_HI] = (uint32_t)(addr >> 32);
	e[MSIX_DATA] = data;
}

void
pci_msix_enable(struct pci_dev *pd, bool on)
{
	unsigned off = pd->pd_msix_cap + MSIX_CTRL;
	uint16_t ctrl;

	KASSERTMSG(pci_msix_vectors(pd) > 0, "pci_msix_enable: %s has no "
	    "usable MSI-X", pci_name(pd));
	KASSERTMSG(!on || pd->pd_msi_cap == 0 ||
	    !(msi_ctrl(pd) & MSI_CTRL_ENABLE),
	    "pci_msix_enable: %s has MSI enabled", pci_name(pd));
	ctrl = pci_conf_read16(pd, off);
	if (on)
		ctrl = (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FMASK;
	else
		ctrl &= ~MSIX_CTRL_ENABLE;
	pci_conf_write16(pd, off, ctrl);
}

void
pci_msix_mask(struct pci_dev *pd, unsigned i, bool masked)
{
	volatile uint32_t *e = msix_entry(pd, i);
	uint32_t v = e[MSIX_VCTRL];

	e[MSIX_VCTRL] = masked ? v | MSIX_VCTRL_MASK : v & ~MSIX_VCTRL_MASK;
	(void)e[MSIX_VCTRL];	/* a read completes the posted write */
}

/* ---- BAR assignment (see the top of the file) ---- */

#define MEM_HOLE_END	0xfec00000ULL	/* IOAPIC, HPET, LAPIC, flash above */
#define IO_WINDOW_START	0xc000ULL
#define IO_WINDOW_END	0x10000ULL
#define MEM_MIN_SLOT	4096ULL		/* a page per memory BAR */

struct window {
	uint64_t w_lo, w_hi;		/* [w_lo, w_hi) */
};

/* Raise *lo past [start, end) if that range starts below the hole's end. */
static void
above(uint64_t *lo, uint64_t start, uint64_t end)
{
	if (start < MEM_HOLE_END && end > *lo)
		*lo = end;
}

/* Lower *hi to pa if a chipset device sits at pa inside [lo, *hi). */
static void
below(uint64_t *hi, uint64_t lo, uint64_t pa)
{
	if (pa >= lo && pa < *hi)
		*hi = pa;
}

static struct window
mem_window(void)
{
	uint64_t lo = 0, hi = MEM_HOLE_END;

	for (unsigned i = 0; i < bootinfo.bi_nmem; i++)
		above(&lo, bootinfo.bi_mem[i].mr_start, bootinfo.bi_mem[i].mr_end);
	for (unsigned i = 0; i < acpi.ai_nmcfg; i++) {
		const struct acpi_mcfg_seg *m = &acpi.ai_mcfg[i];

		above(&lo, m->am_base + ((uint64_t)m->am_start_bus <<
		    ECAM_BUS_SHIFT), m->am_base + ((uint64_t)(m->am_end_bus + 1)
		    << ECAM_BUS_SHIFT));
	}
	lo = roundup(lo, LARGE_PAGE);
	for (unsigned i = 0; i < acpi.ai_nioapics; i++)
		below(&hi, lo, acpi.ai_ioapics[i].aio_pa);
	below(&hi, lo, acpi.ai_lapic_pa);
	if (acpi.ai_hpet.ah_present)
		below(&hi, lo, acpi.ai_hpet.ah_pa);
	return (struct window){ lo, MAX(lo, hi) };
}

/* The address range a BAR occupies: memory BARs take at least a page. */
static uint64_t
bar_slot(const struct pci_bar *b)
{
	return b->pb_type == PCI_BAR_IO ? b->pb_size :
	    MAX(b->pb_size, MEM_MIN_SLOT);
}

/* An assigned BAR of the same kind as io overlapping [a, a + len), or NULL. */
static const struct pci_bar *
bar_in_the_way(uint64_t a, uint64_t len, bool io)
{
	for (unsigned i = 0; i < pci_ndev; i++) {
		for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
			const struct pci_bar *o = &pci_devs[i].pd_bar[b];

			if (o->pb_type == PCI_BAR_NONE || o->pb_base == 0 ||
			    (o->pb_type == PCI_BAR_IO) != io)
				continue;
			if (o->pb_base < a + len && a < o->pb_base + bar_slot(o))
				return o;
		}
	}
	return NULL;
}

/* The lowest free naturally aligned address for bar in w, or 0. */
static uint64_t
find_free(const struct window *w, const struct pci_bar *bar)
{
	uint64_t len = bar_slot(bar);
	uint64_t a = roundup(w->w_lo, len);
	const struct pci_bar *o;

	while (a >= w->w_lo && a + len > a && a + len <= w->w_hi) {
		o = bar_in_the_way(a, len, bar->pb_type == PCI_BAR_IO);
		if (o == NULL)
			return a;
		a = roundup(o->pb_base + bar_slot(o), len);
	}
	return 0;
}

/*
 * Write addr into BAR register bar of pd with decoding off, and read it
 * back.  Returns false if the register did not keep it.
 */
static bool
bar_program(struct pci_dev *pd, unsigned bar, uint64_t addr)
{
	const struct pci_bar *b = &pd->pd_bar[bar];
	unsigned off = PCI_BAR0 + 4 * bar;
	uint32_t flags = b->pb_type == PCI_BAR_IO ? BAR_IO_FLAGS : BAR_MEM_FLAGS;
	uint16_t cmd = pci_conf_read16(pd, PCI_COMMAND);
	uint64_t got;

	pci_conf_write16(pd, PCI_COMMAND, cmd & ~(CMD_IO | CMD_MEM));
	pci_conf_write32(pd, off, (uint32_t)addr);
	if (b->pb_type == PCI_BAR_MEM64)
		pci_conf_write32(pd, off + 4, (uint32_t)(addr >> 32));
	got = pci_conf_read32(pd, off) & ~flags;
	if (b->pb_type == PCI_BAR_MEM64)
		got |= (uint64_t)pci_conf_read32(pd, off + 4) << 32;
	else if (b->pb_type == PCI_BAR_IO)
		got &= 0xffff;
	pci_conf_write16(pd, PCI_COMMAND, cmd);
	return got == addr;
}

/* Assign BAR bar of function i in w; log if it does not fit. */
static void
assign_one(unsigned i, unsigned bar, const struct window *w)
{
	struct pci_dev *pd = &pci_devs[i];
	struct pci_bar *b = &pd->pd_bar[bar];
	const char *why = NULL;
	uint64_t a = 0;

	if (pci_priv[i].pp_parent != NO_PARENT)
		why = "it is behind a bridge, whose windows this kernel does not "
		    "program";

	if (why == NULL && (a = find_free(w, b)) == 0)
		why = "no room left in the window";
	if (why == NULL && !bar_program(pd, bar, a))
		why = "the register did not keep the address";
	if (why != NULL) {
		kwarn("pci: %s BAR%u (%s, %lu bytes) not assigned: %s",
		    pci_name(pd), bar, bar_type_names[b->pb_type], b->pb_size,
		    why);
		return;
	}
	b->pb_base = a;
	pci_assigned++;
}

/*
 * The largest BAR not yet assigned or tried, as function and BAR index;
 * false when none is left.  tried[] marks the ones already attempted.
 */
static bool
largest_unassigned(uint8_t tried[PCI_MAX_DEVS], unsigned *fi, unsigned *bi)
{
	uint64_t best = 0;

	for (unsigned i = 0; i < pci_ndev; i++) {
		for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
			const struct pci_bar *bar = &pci_devs[i].pd_bar[b];

			if (bar->pb_type == PCI_BAR_NONE || bar->pb_base != 0 ||
			    (tried[i] & (1U << b)) || bar->pb_size <= best)
				continue;
			best = bar->pb_size;
			*fi = i;
			*bi = b;
		}
	}
	return best != 0;
}

static void
assign_bars(void)
{
	struct window mem = mem_window();
	struct window io = { IO_WINDOW_START, IO_WINDOW_END };
	uint8_t tried[PCI_MAX_DEVS] = { 0 };
	unsigned i = 0, b = 0;

	if (pci_unassigned == 0)
		return;
	kinfo("pci: assigning BARs from memory %#lx-%#lx (%lu MiB) and I/O "
	    "ports %#lx-%#lx", mem.w_lo, mem.w_hi - 1, (mem.w_hi - mem.w_lo) >> 20,
	    io.w_lo, io.w_hi - 1);
	while (largest_unassigned(tried, &i, &b)) {
		tried[i] |= (uint8_t)(1U << b);
		assign_one(i, b, pci_devs[i].pd_bar[b].pb_type == PCI_BAR_IO ?
		    &io : &mem);
	}
}

/* ---- The table of functions ---- */

unsigned
pci_ndevs(void)
{
	return pci_ndev;
}

struct pci_dev *
pci_dev_at(unsigned i)
{
	KASSERTMSG(i < pci_ndev, "pci_dev_at(%u): only %u functions", i,
	    pci_ndev);
	return &pci_devs[i];
}

struct pci_dev *
pci_find_device(uint16_t vendor, uint16_t device, unsigned index)
{
	for (unsigned i = 0; i < pci_ndev; i++)
		if (pci_devs[i].pd_vendor == vendor &&
		    pci_devs[i].pd_device == device && index-- == 0)
			return &pci_devs[i];
	return NULL;
}

const char *
pci_name(const struct pci_dev *pd)
{
	return pci_priv[dev_index(pd)].pp_name;
}

/* ---- INTx routing ---- */

/* pd_irq of function i on q35: walk up to bus 0 collecting slots. */
static int
route_q35(unsigned i)
{
	uint8_t path[PCI_ROUTE_MAX_DEPTH];
	unsigned depth = 0;

	for (int j = (int)i; j != NO_PARENT; j = pci_priv[j].pp_parent) {
		if (depth == PCI_ROUTE_MAX_DEPTH) {
			kwarn("pci: %s: more than %u bridges above it: INTx not "
			    "routed", pci_priv[i].pp_name, PCI_ROUTE_MAX_DEPTH - 1);
			return -1;
		}
		path[depth++] = pci_devs[j].pd_dev;
	}
	for (unsigned a = 0, b = depth - 1; a < b; a++, b--) {
		uint8_t t = path[a];

		path[a] = path[b];
		path[b] = t;
	}
	return pci_q35_intx_gsi(path, depth, pci_devs[i].pd_intpin);
}

static const struct pci_dev *
find_at(unsigned bus, unsigned dev, unsigned func)
{
	for (unsigned i = 0; i < pci_ndev; i++)
		if (pci_devs[i].pd_bus == bus && pci_devs[i].pd_dev == dev &&
		    pci_devs[i].pd_func == func)
			return &pci_devs[i];
	return NULL;
}

static uint32_t
id_of(const struct pci_dev *pd)
{
	return pd == NULL ? 0 : (uint32_t)pd->pd_device << 16 | pd->pd_vendor;
}

/*
 * The D<N>IR registers are reachable only when the firmware has enabled
 * the RCBA (SeaBIOS does, qboot does not); where they are, check that
 * they still hold the reset values the routing assumes.
 */
static void
check_dir_registers(const struct pci_dev *lpc)
{
	/* RCRB offsets of D25IR..D31IR, by slot; D30IR is read-only 0. */
	static const uint16_t dir_off[] = {
		[25] = 0x3150, [26] = 0x314c, [27] = 0x3148, [28] = 0x3146,
		[29] = 0x3144, [31] = 0x3140,
	};
	uint32_t rcba = pci_conf_read32(lpc, ICH9_RCBA);
	paddr_t rcrb = rcba & ICH9_RCBA_MASK;
	const volatile uint8_t *regs;

	if (!(rcba & ICH9_RCBA_EN))
		return;
	if (dmap_mmio_problem(rcrb, ICH9_RCRB_SIZE) != NULL) {
		knotice("pci: ICH9 RCRB at %#lx not reachable: D<N>IR registers "
		    "not checked", rcrb);
		return;
	}
	regs = PHYS_TO_DMAP(rcrb);
	for (unsigned slot = 0; slot < nitems(dir_off); slot++) {
		uint16_t v;

		if (dir_off[slot] == 0)
			continue;
		v = *(const volatile uint16_t *)(regs + dir_off[slot]);
		if (v != ICH9_DIR_RESET)
			kwarn("pci: ICH9 D%uIR is %#x, not %#x: INTx routing of "
			    "slot %u is wrong", slot, v, ICH9_DIR_RESET, slot);
	}
}

/* Is this QEMU's q35, whose routing route_q35 knows?  Says so if not. */
static bool
routing_known(void)
{
	uint32_t host = id_of(find_at(0, 0, 0));
	const struct pci_dev *lpc = find_at(0, ICH9_LPC_SLOT, 0);

	if (host != Q35_MCH_ID) {
		kwarn("pci: INTx routing unknown: host bridge %04x:%04x%s is not "
		    "q35's 8086:29c0 and there is no AML interpreter; every "
		    "pd_irq is -1", host & 0xffff, host >> 16,
		    host == I440FX_ID ? " (i440fx)" : "");
		return false;
	}
	if (lpc != NULL)
		check_dir_registers(lpc);
	return true;
}

static void
route_intx(void)
{
	bool q35 = routing_known();

	for (unsigned i = 0; i < pci_ndev; i++) {
		struct pci_dev *pd = &pci_devs[i];

		if (pd->pd_intpin > PCI_INTD) {
			kwarn("pci: %s: interrupt pin register %u is not 0-4: "
			    "INTx not routed", pci_name(pd), pd->pd_intpin);
			pd->pd_irq = -1;
		} else {
			pd->pd_irq = q35 && pd->pd_intpin != PCI_INTX_NONE ?
			    route_q35(i) : -1;
		}
	}
}

/* ---- Enumeration ---- */

/* A bridge found at index i: its secondary bus is scanned later. */
static void
note_bridge(unsigned i)
{
	const struct pci_dev *pd = &pci_devs[i];
	unsigned sec = pci_conf_read8(pd, PCI_SECONDARY);
	const char *why = NULL;

	if (sec == 0)
		why = "the firmware assigned no secondary bus";
	else if (sec <= pd->pd_bus)
		why = "its secondary bus is not above its own";
	else if (bus_bridge[sec] != BUS_UNREACHED)
		why = "another bridge already leads to that bus";
	if (why != NULL) {
		kwarn("pci: bridge %s to bus %u not followed: %s", pci_name(pd),
		    sec, why);
		return;
	}
	bus_bridge[sec] = (int)i;
}

static void
read_ids(struct pci_dev *pd)
{
	uint32_t id = pci_conf_read32(pd, PCI_ID);
	uint32_t cr = pci_conf_read32(pd, PCI_CLASS_REV);

	pd->pd_vendor = (uint16_t)id;
	pd->pd_device = (uint16_t)(id >> 16);
	pd->pd_revision = (uint8_t)cr;
	pd->pd_progif = (uint8_t)(cr >> 8);
	pd->pd_subclass = (uint8_t)(cr >> 16);
	pd->pd_class = (uint8_t)(cr >> 24);
	pd->pd_hdrtype = pci_conf_read8(pd, PCI_HEADER) & HDR_TYPE_MASK;
	pd->pd_intpin = pci_conf_read8(pd, PCI_INT_PIN);
	pd->pd_irq = -1;
}

static void
read_bars(struct pci_dev *pd)
{
	for (unsigned b = 0; b < bar_count(pd); ) {
		struct pci_bar *bar = &pd->pd_bar[b];

		b += pci_bar_probe(pd, b, bar);
		if (bar->pb_type != PCI_BAR_NONE && bar->pb_base == 0)
			pci_unassigned++;
	}
	if (pd->pd_hdrtype > HDR_CARDBUS)
		kwarn("pci: %s: unknown header type %u: BARs not decoded",
		    pci_name(pd), pd->pd_hdrtype);
}

/* Fill in the function at index i (address already set) and keep it. */
static void
attach_function(unsigned i)
{
	struct pci_dev *pd = &pci_devs[i];
	struct pci_priv *pp = &pci_priv[i];

	snprintf(pp->pp_name, sizeof(pp->pp_name), PCI_ADDR_FMT,
	    PCI_ADDR_ARGS(pd));
	pp->pp_parent = bus_bridge[pd->pd_bus];
	read_ids(pd);
	read_bars(pd);
	pd->pd_msi_cap = (uint8_t)pci_find_cap(pd, CAP_ID_MSI);
	pd->pd_msix_cap = (uint8_t)pci_find_cap(pd, CAP_ID_MSIX);
	if (pd->pd_hdrtype == HDR_BRIDGE)
		note_bridge(i);
	else if (pd->pd_hdrtype == HDR_CARDBUS)
		knotice("pci: %s: CardBus bridge: not followed", pci_name(pd));
	pci_ndev++;
}

/*
 * Look for a function at bus/dev/func; if present, keep it and return its
 * header type byte (with the multi-function bit), else return -1.
 */
static int
probe_function(unsigned bus, unsigned dev, unsigned func)
{
	struct pci_dev *pd;
	uint8_t hdr;

	if (pci_ndev == PCI_MAX_DEVS) {
		kwarn("pci: more than %u functions: %02x:%02x.%u and later ones "
		    "ignored", PCI_MAX_DEVS, bus, dev, func);
		return -1;
	}
	pd = &pci_devs[pci_ndev];
	*pd = (struct pci_dev){ .pd_seg = 0, .pd_bus = (uint8_t)bus,
	    .pd_dev = (uint8_t)dev, .pd_func = (uint8_t)func };
	if (pci_conf_read16(pd, PCI_ID) == 0xffff)
		return -1;
	hdr = pci_conf_read8(pd, PCI_HEADER);
	attach_function(pci_ndev);
	return hdr;
}

static void
scan_slot(unsigned bus, unsigned dev)
{
	int hdr = probe_function(bus, dev, 0);

	if (hdr < 0 || !(hdr & HDR_MULTIFUNC))
		return;
	for (unsigned func = 1; func < PCI_FUNCS; func++)
		(void)probe_function(bus, dev, func);
}

static void
scan_buses(void)
{
	for (unsigned bus = 0; bus < PCI_BUSES; bus++)
		bus_bridge[bus] = BUS_UNREACHED;
	bus_bridge[0] = NO_PARENT;
	for (unsigned bus = 0; bus < PCI_BUSES; bus++) {
		if (bus_bridge[bus] == BUS_UNREACHED)
			continue;
		for (unsigned dev = 0; dev < PCI_SLOTS; dev++)
			scan_slot(bus, dev);
	}
}

/* ---- The boot log ---- */

struct line {
	char	l_buf[400];
	size_t	l_len;
};

static void __printflike(2, 3)
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->l_len >= sizeof(l->l_buf))
		return;
	va_start(ap, fmt);
	l->l_len += (size_t)vsnprintf(l->l_buf + l->l_len,
	    sizeof(l->l_buf) - l->l_len, fmt, ap);
	va_end(ap);
}

static void
line_add_size(struct line *l, uint64_t size)
{
	static const char units[] = "KMG";
	unsigned u = 0;

	if (size < 1024 || size % 1024 != 0) {
		line_add(l, "%luB", size);
		return;
	}
	size /= 1024;
	while (u + 1 < sizeof(units) - 1 && size >= 1024 && size % 1024 == 0) {
		size /= 1024;
		u++;
	}
	line_add(l, "%lu%c", size, units[u]);
}

static void
line_add_bars(struct line *l, const struct pci_dev *pd)
{
	for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
		const struct pci_bar *bar = &pd->pd_bar[b];

		if (bar->pb_type == PCI_BAR_NONE)
			continue;
		line_add(l, " BAR%u %s%s ", b, bar_type_names[bar->pb_type],
		    bar->pb_prefetch ? " pf" : "");
		line_add_size(l, bar->pb_size);
		if (bar->pb_base == 0)
			line_add(l, " unassigned");
		else
			line_add(l, " @%#lx", bar->pb_base);
	}
}

static void
line_add_irqs(struct line *l, const struct pci_dev *pd)
{
	const struct pci_priv *pp = &pci_priv[dev_index(pd)];

	if (pd->pd_intpin == PCI_INTX_NONE)
		line_add(l, "; no INTx");
	else if (pd->pd_irq < 0)
		line_add(l, "; INT%c routing unknown", 'A' + pd->pd_intpin - 1);
	else
		line_add(l, "; INT%c -> GSI %d", 'A' + pd->pd_intpin - 1,
		    pd->pd_irq);
	if (pd->pd_msi_cap != 0) {
		uint16_t ctrl = pci_conf_read16(pd, pd->pd_msi_cap + MSI_CTRL);

		line_add(l, "; MSI %u vec %s%s",
		    1U << MIN(MSI_CTRL_MMC(ctrl), MSI_MMC_MAX),
		    ctrl & MSI_CTRL_64BIT ? "64-bit" : "32-bit",
		    ctrl & MSI_CTRL_PVM ? " maskable" : "");
	}
	if (pd->pd_msix_cap != 0 && pp->pp_msix_n != 0)
		line_add(l, "; MSI-X %u vec, PBA BAR%u+%#x", pp->pp_msix_n,
		    pp->pp_msix_pba & MSIX_BIR, pp->pp_msix_pba & ~MSIX_BIR);
	else if (pd->pd_msix_cap != 0)
		line_add(l, "; MSI-X unusable");
}

static void
print_function(const struct pci_dev *pd)
{
	struct line l = { .l_len = 0 };

	line_add(&l, "pci: %s %04x:%04x class %02x%02x%02x", pci_name(pd),
	    pd->pd_vendor, pd->pd_device, pd->pd_class, pd->pd_subclass,
	    pd->pd_progif);
	if (pd->pd_hdrtype == HDR_BRIDGE)
		line_add(&l, " bridge to bus %u-%u",
		    pci_conf_read8(pd, PCI_SECONDARY),
		    pci_conf_read8(pd, PCI_SUBORDINATE));
	line_add_bars(&l, pd);
	line_add_irqs(&l, pd);
	kinfo("%s", l.l_buf);
}

static void
print_summary(void)
{
	unsigned buses = 0;

	for (unsigned bus = 0; bus < PCI_BUSES; bus++)
		buses += bus_bridge[bus] != BUS_UNREACHED;
	kinfo("pci: %u functions on %u bus%s; config space through %s",
	    pci_ndev, buses, buses == 1 ? "" : "es",
	    necam > 0 ? "ECAM (port I/O where it does not reach)" : "port I/O");
	if (pci_unassigned > 0)
		kinfo("pci: the firmware left %u BARs unassigned (qboot assigns "
		    "none); the kernel assigned %u", pci_unassigned, pci_assigned);
	if (pci_assigned < pci_unassigned)
		knotice("pci: %u BARs still have no address; pci_bar_map and "
		    "pci_enable refuse them", pci_unassigned - pci_assigned);
}

void
pci_init(void)
{
	KASSERTMSG(pci_ndev == 0, "pci_init called twice");
	mutex_init(&pci_port_lock, MUTEX_SPIN, IPL_HIGH);
	ecam_setup();
	scan_buses();
	assign_bars();
	for (unsigned i = 0; i < pci_ndev; i++)
		if (pci_devs[i].pd_msix_cap != 0)
			msix_setup(i);
	route_intx();
	for (unsigned i = 0; i < pci_ndev; i++)
		print_function(&pci_devs[i]);
	print_summary();
}
