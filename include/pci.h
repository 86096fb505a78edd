/*
 * pci.h: PCI devices, as drivers see them.
 *
 * The kernel enumerates every bus at boot (dev/pci.c) and keeps one
 * struct pci_dev per function found.  Configuration space is reached
 * through ECAM (the MCFG's memory window) when the firmware describes one
 * and through the legacy 0xcf8/0xcfc ports otherwise.  BARs are decoded
 * and sized; memory BARs are mapped uncached for the driver.
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
	uint64_t pb_base;		/* bus (= physical) address, or port */
	uint64_t pb_size;
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

/* Config space access; off must be aligned to the width. */
uint8_t pci_conf_read8(const struct pci_dev *pd, unsigned off);
uint16_t pci_conf_read16(const struct pci_dev *pd, unsigned off);
uint32_t pci_conf_read32(const struct pci_dev *pd, unsigned off);
void pci_conf_write8(const struct pci_dev *pd, unsigned off, uint8_t v);
void pci_conf_write16(const struct pci_dev *pd, unsigned off, uint16_t v);
void pci_conf_write32(const struct pci_dev *pd, unsigned off, uint32_t v);

/* pci_ndevs, pci_dev_at: the functions found, in bus/device/function order. */
unsigned pci_ndevs(void);
struct pci_dev *pci_dev_at(unsigned i);

/* pci_find_device: the index-th function with this vendor and device ID, or NULL. */
struct pci_dev *pci_find_device(uint16_t vendor, uint16_t device, unsigned index);

/* pci_find_cap: offset of the first capability with this ID, or 0. */
unsigned pci_find_cap(const struct pci_dev *pd, uint8_t cap_id);

/*
 * pci_bar_map: kernel virtual address of memory BAR bar (uncached), or
 * NULL if it is not a memory BAR.
 */
void *pci_bar_map(struct pci_dev *pd, unsigned bar);

/* pci_enable: turn on memory and I/O decoding and bus mastering. */
void pci_enable(struct pci_dev *pd);

/* pci_intx: allow (true) or forbid (false) the function's INTx (command bit 10). */
void pci_intx(struct pci_dev *pd, bool on);

/* pci_name: "0000:00:05.1" style address for messages (static buffer per dev). */
const char *pci_name(const struct pci_dev *pd);

/*
 * MSI and MSI-X capability programming (PCI Local Bus 3.0 §6.8, PCIe
 * base spec §7.7).  Used by dev/pci_irq.c; drivers call
 * pci_alloc_irq_vectors instead.
 *
 * pci_msi_vectors / pci_msix_vectors: vectors the capability offers (0 if
 * absent).  pci_msi_write / pci_msix_write: program vector i's message
 * (address, data).  pci_msi_enable / pci_msix_enable: the capability's
 * enable bit (MSI-X: also clears the function mask).  pci_msi_mask /
 * pci_msix_mask: per-vector mask; pci_msi_maskable says whether MSI has
 * per-vector masking at all (MSI-X always has).
 */
unsigned pci_msi_vectors(struct pci_dev *pd);
unsigned pci_msix_vectors(struct pci_dev *pd);
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
 * the allowed types, preferring MSI-X, then MSI, then INTx.  Returns the
 * number allocated or -ENOSPC / -EINVAL.  Context: thread.
 */
int pci_alloc_irq_vectors(struct pci_dev *pd, unsigned min, unsigned max,
    unsigned types);
/* pci_irq_vector: the IRQ number of vector nr, or -EINVAL. */
int pci_irq_vector(struct pci_dev *pd, unsigned nr);
/* pci_irq_type: which of PCI_IRQ_INTX/MSI/MSIX is in use, 0 if none. */
unsigned pci_irq_type(const struct pci_dev *pd);
/* pci_free_irq_vectors: undo pci_alloc_irq_vectors (no action may remain). */
void pci_free_irq_vectors(struct pci_dev *pd);

/* pci_init: enumerate (boot, after ACPI and the IOAPICs). */
void pci_init(void);

#endif
