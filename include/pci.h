/*
 * pci.h: PCI devices, as drivers see them.
 *
 * The kernel enumerates every bus at boot (dev/pci.c) and keeps one
 * struct pci_dev per function found.  Configuration space is reached
 * through ECAM (the MCFG's memory window) when the firmware describes one
 * and through the legacy 0xcf8/0xcfc ports otherwise.  BARs are decoded
 * and sized; memory BARs are mapped uncached for the driver.  BARs the
 * firmware left unassigned (qboot assigns none) get addresses from
 * pci_init, in windows derived from the memory map and the ACPI tables
 * (dev/pci.c says how, and its limits); firmware-assigned BARs are kept.
 * A BAR that could not be given one has pb_base 0 and cannot be mapped or
 * enabled.  Decoding is off until the driver calls pci_enable.
 *
 * Interrupts: pd_irq is the IRQ number of the function's INTx pin, routed
 * without AML (see dev/pci.c for how and its limits), or -1.  MSI and
 * MSI-X are set up with pci_alloc_irq_vectors (Linux's name), after which
 * pci_irq_vector gives the IRQ number of each vector for request_irq.
 *
 * Context: every function here may be called from thread context; the
 * config-space accessors also from interrupt context (spin lock inside).
 */
#ifndef PINWHEEL_PCI_H
#define PINWHEEL_PCI_H

#include <types.h>

#define PCI_MAX_BARS	6

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_type pb_type;
	bool pb_prefetch;
	uint64_t pb_base;		/* bus (= physical) address, or port;
					   0: the firmware assigned none */
	uint64_t pb_size;		/* bytes (ports), a power of two */
};

struct pci_dev {
	uint16_t pd_seg;
	uint8_t pd_bus, pd_dev, pd_func;
	uint16_t pd_vendor, pd_device;
	uint8_t pd_class, pd_subclass, pd_progif, pd_revision;
	uint8_t pd_hdrtype;		/* 0 device, 1 bridge (multifunction bit cleared) */
	uint8_t pd_intpin;		/* 1..4 = INTA..INTD, 0 = none */
	int pd_irq;			/* IRQ of the INTx pin, or -1 */
	uint8_t pd_msi_cap;		/* capability offsets, 0 = absent */
	uint8_t pd_msix_cap;
	struct pci_bar pd_bar[PCI_MAX_BARS];
	void *pd_msi;			/* MSI/MSI-X state (dev/pci_irq.c) */
};

/*
 * Config space access; off must be aligned to the width and below 4096
 * (ECAM) or 256 (port I/O), else the kernel panics naming the function.
 */
uint8_t pci_conf_read8(const struct pci_dev *pd, unsigned off);
uint16_t pci_conf_read16(const struct pci_dev *pd, unsigned off);
uint32_t pci_conf_read32(const struct pci_dev *pd, unsigned off);
void pci_conf_write8(const struct pci_dev *pd, unsigned off, uint8_t v);
void pci_conf_write16(const struct pci_dev *pd, unsigned off, uint16_t v);
void pci_conf_write32(const struct pci_dev *pd, unsigned off, uint32_t v);

/*
 * Config space through one mechanism, for tests and diagnostics:
 * PCI_CONF_ECAM (the MCFG window) or PCI_CONF_PORT (0xcf8/0xcfc: segment
 * 0 and offsets below 256 only).  pci_conf_read32_via reads through mech
 * into *v and returns true, or returns false when mech cannot reach that
 * function and offset (no usable MCFG range covers its bus, or beyond
 * what ports reach).
 */
enum pci_conf_mech { PCI_CONF_ECAM, PCI_CONF_PORT };
bool pci_conf_read32_via(const struct pci_dev *pd, unsigned off,
    enum pci_conf_mech mech, uint32_t *v);

/*
 * pci_ndevs, pci_dev_at: the functions found, in bus/device/function order
 * (at most 64; i must be below pci_ndevs()).
 */
unsigned pci_ndevs(void);
struct pci_dev *pci_dev_at(unsigned i);

/* pci_find_device: the index-th function with this vendor and device ID, or NULL. */
struct pci_dev *pci_find_device(uint16_t vendor, uint16_t device, unsigned index);

/* pci_find_cap: offset of the first capability with this ID, or 0. */
unsigned pci_find_cap(const struct pci_dev *pd, uint8_t cap_id);

/*
 * pci_bar_map: kernel virtual address of memory BAR bar (uncached), or
 * NULL if it is not a memory BAR, or (with a log line saying which) if it
 * has no address or lies where the direct map cannot serve it uncached.
 */
void *pci_bar_map(struct pci_dev *pd, unsigned bar);

/*
 * pci_bar_probe: decode and size BAR register bar of pd into *out, as
 * pci_init did for pd_bar: memory and I/O decoding are off while the
 * register holds all ones, then the register and the command word are
 * restored.  PCI_BAR_NONE: not implemented, or malformed (logged).
 * Returns the registers the BAR spans: 2 for a 64-bit BAR, else 1.  Only
 * while no driver uses the function.  Context: thread.
 */
unsigned pci_bar_probe(struct pci_dev *pd, unsigned bar, struct pci_bar *out);

/*
 * pci_enable: turn on bus mastering, and I/O and memory decoding for the
 * kinds of BAR the function has; a kind with a BAR without an address
 * stays off (logged), so an unassigned BAR never decodes at address 0.
 */
void pci_enable(struct pci_dev *pd);

/* pci_intx: allow (true) or forbid (false) the function's INTx (command bit 10). */
void pci_intx(struct pci_dev *pd, bool on);

/* pci_name: "0000:00:05.1" style address for messages (a buffer per function). */
const char *pci_name(const struct pci_dev *pd);

/*
 * MSI and MSI-X capability programming (PCI Local Bus 3.0 §6.8, PCIe
 * base spec §7.7).  Used by dev/pci_irq.c; drivers call
 * pci_alloc_irq_vectors instead.
 *
 * pci_msi_vectors / pci_msix_vectors: vectors the capability offers (0 if
 * absent; MSI-X also 0 when its table's BAR is unassigned or cannot be
 * mapped, which was logged at boot).  pci_msi_set_vectors: how many MSI
 * vectors the function may use (Multiple Message Enable): a power of two
 * up to pci_msi_vectors; they share one address, vector k sending data + k.
 * pci_msi_write / pci_msix_write: program the MSI message (address, data;
 * data fits 16 bits, the address 32 unless the capability is 64-bit) or
 * MSI-X table entry i, which must be masked (or MSI-X off or function-
 * masked) while it changes.  pci_msi_enable / pci_msix_enable: the
 * capability's enable bit (MSI-X: also clears the function mask); never
 * both on at once.  pci_msi_mask: mask or unmask every enabled MSI vector
 * (needs pci_msi_maskable: per-vector masking, which MSI-X always has);
 * pci_msix_mask: entry i's mask bit.  Out-of-range or missing
 * capabilities panic naming the function.
 */
unsigned pci_msi_vectors(struct pci_dev *pd);
unsigned pci_msix_vectors(struct pci_dev *pd);
void pci_msi_set_vectors(struct pci_dev *pd, unsigned n);
void pci_msi_write(struct pci_dev *pd, uint64_t addr, uint32_t data);
void pci_msix_write(struct pci_dev *pd, unsigned i, uint64_t addr, uint32_t data);
void pci_msi_enable(struct pci_dev *pd, bool on);
void pci_msix_enable(struct pci_dev *pd, bool on);
bool pci_msi_maskable(struct pci_dev *pd);
void pci_msi_mask(struct pci_dev *pd, bool masked);
void pci_msix_mask(struct pci_dev *pd, unsigned i, bool masked);

/* Interrupt vectors of a function (dev/pci_irq.c). */
#define PCI_IRQ_INTX	0x1
#define PCI_IRQ_MSI	0x2
#define PCI_IRQ_MSIX	0x4
#define PCI_IRQ_ALL_TYPES	(PCI_IRQ_INTX | PCI_IRQ_MSI | PCI_IRQ_MSIX)

/*
 * pci_alloc_irq_vectors: give pd between min and max interrupt vectors of
 * the allowed types, preferring MSI-X, then MSI, then INTx.  MSI gives one
 * vector only and INTx one (so neither serves min > 1; dev/pci_irq.c says
 * why).  With MSI or MSI-X on, INTx is disabled in the command register.
 * Call pci_enable first: the MSI-X table is reached through memory
 * decoding, and messages are the function's bus-master writes.  Returns
 * the number allocated, or -ENOSPC (no allowed kind can give min), or
 * -EINVAL (min 0 or above max, unknown types, vectors already allocated).
 * Context: thread.
 */
int pci_alloc_irq_vectors(struct pci_dev *pd, unsigned min, unsigned max,
    unsigned types);
/* pci_irq_vector: the IRQ number of vector nr, or -EINVAL. */
int pci_irq_vector(struct pci_dev *pd, unsigned nr);
/* pci_irq_type: which of PCI_IRQ_INTX/MSI/MSIX is in use, 0 if none. */
unsigned pci_irq_type(const struct pci_dev *pd);
/*
 * pci_free_irq_vectors: undo pci_alloc_irq_vectors: MSI/MSI-X off, their
 * IRQs gone, INTx allowed again.  No action may remain on an MSI or MSI-X
 * vector (free_irq first).  Context: thread; sleeps.
 */
void pci_free_irq_vectors(struct pci_dev *pd);

/*
 * pci_init: enumerate, route INTx and log one line per function.
 * Context: boot CPU, once, after ACPI (kern_main, before the other CPUs
 * start).
 */
void pci_init(void);

#endif
