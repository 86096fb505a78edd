/*
 * msi.c: the MSI and MSI-X interrupt chip.
 *
 * Design.  A PCI function signals an MSI or MSI-X vector by writing its
 * message, a 32-bit data word to a memory address, and on x86 that
 * address is the LAPICs' window: the write becomes an interrupt at the
 * LAPIC it names (SDM vol. 3 §10.11):
 *
 *	address	0xfee00000 | destination APIC ID << 12; RH = 0 and DM = 0:
 *		physical destination, exactly that CPU (§10.11.1)
 *	data	the vector in bits 7:0; delivery mode 000 (fixed), trigger
 *		mode 0 (edge), so the level bit is ignored (§10.11.2)
 *
 * Every vector of a function becomes an IRQ descriptor of this chip (one
 * per MSI-X table entry; one for MSI, see dev/pci_irq.c), at IPL_VM with
 * a vector of the device band.  Messages are edge-like: nothing stays
 * asserted, and the LAPIC needs only its EOI, so the flow is fasteoi
 * (kern/irq_flow.c) and ic_eoi is the LAPIC EOI (x86_intr_eoi, which
 * knows about soft-SPL replays).
 *
 * Affinity.  Vectors are global (intr.c gives each descriptor one vector,
 * the same on every CPU), so moving a source to another CPU changes only
 * the destination in the address's low dword, one 32-bit write: a message
 * the function sends meanwhile goes to the old CPU or the new one, both of
 * which handle it.  An MSI-X entry is still masked while it is rewritten,
 * as PCIe Base §7.7.2 requires of a live entry.
 *
 * Masking.  An MSI-X entry has a mask bit, and so does MSI with per-
 * vector masking; the function then holds a message raised while masked
 * as pending and sends it on unmask (PCIe Base §6.1.4.5).  MSI
 * without per-vector masking (QEMU's edu has none) cannot be masked at
 * all: ic_mask and ic_unmask only record the request in ms_masked and
 * messages keep coming.  Masking is then advisory, as for any source a
 * chip cannot silence, and what a delivery to a masked line does is the
 * flow handler's business (kern/irq_flow.c).
 *
 * Lifetime: msi_create makes the descriptor (dev/pci_irq.c enables the
 * capability after); msi_destroy runs after the capability was turned off
 * and first waits until a message sent before that cannot be in flight any
 * more: every CPU has run the caller at IPL_NONE, where a vector pending
 * in its LAPIC is taken at once, and hard interrupt context never
 * switches, so no CPU is still in the descriptor's handler.
 *
 * Locking: the chip functions run under the descriptor's id_lock, which
 * covers ms_masked and the function's MSI message and mask registers (one
 * descriptor per MSI capability, one per MSI-X entry; nothing else writes
 * them while the descriptor exists).
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <lwp.h>
#include <pci.h>
#include <printf.h>

#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>

#include <machine/cpuvar.h>
#include <machine/intr.h>
#include <machine/msi.h>

#define MSI_ADDR_BASE		0xfee00000U	/* §10.11.1 */
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_DEST_MAX		255		/* 8-bit destination field */

struct msi_src {
	struct pci_dev *ms_pd;
	bool ms_msix;
	unsigned ms_index;		/* MSI-X table entry; 0 for MSI */
	bool ms_maskable;		/* the function can mask the vector */
	bool ms_masked;			/* id_lock: masked as the flow asked */
	struct irq_desc *ms_desc;
};

static uint64_t
msi_address(const struct cpu_info *ci)
{
	KASSERTMSG(ci->ci_apicid <= MSI_DEST_MAX, "msi: APIC ID %u does not fit "
	    "a message's 8-bit destination (needs interrupt remapping)",
	    ci->ci_apicid);
	return MSI_ADDR_BASE | ci->ci_apicid << MSI_ADDR_DEST_SHIFT;
}

static uint32_t
msi_data(const struct irq_desc *desc)
{
	return desc->id_vector;		/* fixed delivery, edge */
}

/* Mask or unmask in the function, where it can. */
static void
hw_mask(struct msi_src *ms, bool masked)
{
	if (ms->ms_msix)
		pci_msix_mask(ms->ms_pd, ms->ms_index, masked);
	else if (ms->ms_maskable)
		pci_msi_mask(ms->ms_pd, masked);
}

/* Write the message that sends desc's vector to ci. */
static void
write_message(struct msi_src *ms, struct cpu_info *ci)
{
	uint64_t addr = msi_address(ci);
	uint32_t data = msi_data(ms->ms_desc);

	if (!ms->ms_msix) {
		pci_msi_write(ms->ms_pd, addr, data);
		return;
	}
	if (!ms->ms_masked)
		hw_mask(ms, true);
	pci_msix_write(ms->ms_pd, ms->ms_index, addr, data);
	if (!ms->ms_masked)
		hw_mask(ms, false);
}

static void
msi_mask(struct irq_desc *desc)
{
	struct msi_src *ms = desc->id_chip_data;

	ms->ms_masked = true;
	hw_mask(ms, true);
}

static void
msi_unmask(struct irq_desc *desc)
{
	struct msi_src *ms = desc->id_chip_data;

	ms->ms_masked = false;
	hw_mask(ms, false);
}

static void msi_eoi(struct irq_desc *desc) { x86_intr_eoi(); }

static int
msi_set_affinity(struct irq_desc *desc, struct cpu_info *ci)
{
	if (ci->ci_apicid > MSI_DEST_MAX)
		return -EINVAL;
	write_message(desc->id_chip_data, ci);
	return 0;
}

static const struct irq_chip msi_chip = {
	.ic_name = "msi",
	.ic_mask = msi_mask,
	.ic_unmask = msi_unmask,
	.ic_eoi = msi_eoi,
	.ic_set_affinity = msi_set_affinity,
};

int
msi_create(struct pci_dev *pd, bool msix, unsigned index)
{
	struct msi_src *ms = kmem_zalloc(sizeof(*ms), KM_SLEEP);
	char name[24];

	KASSERTMSG(msix ? index < pci_msix_vectors(pd) :
	    index == 0 && pci_msi_vectors(pd) > 0,
	    "msi_create: %s has no %s vector %u", pci_name(pd),
	    msix ? "MSI-X" : "MSI", index);
	ms->ms_pd = pd;
	ms->ms_msix = msix;
	ms->ms_index = index;
	ms->ms_maskable = msix || pci_msi_maskable(pd);
	ms->ms_masked = true;
	if (msix)
		snprintf(name, sizeof(name), "msix %s #%u", pci_name(pd), index);
	else
		snprintf(name, sizeof(name), "msi %s", pci_name(pd));
	ms->ms_desc = irq_desc_create(-1, &msi_chip, ms, IPL_VM,
	    IRQ_FLOW_FASTEOI, name, 0);
	if (ms->ms_desc == NULL) {
		kmem_free(ms, sizeof(*ms));
		return -ENOSPC;
	}
	mutex_enter(&ms->ms_desc->id_lock);
	hw_mask(ms, true);
	write_message(ms, ms->ms_desc->id_cpu);
	mutex_exit(&ms->ms_desc->id_lock);
	return ms->ms_desc->id_irq;
}

/* Run the caller once on every CPU at IPL_NONE (see Lifetime above). */
static void
drain_deliveries(void)
{
	struct lwp *l = curlwp;
	struct cpu_info *bound = l->l_bound;

	for (unsigned i = 0; i < ncpu; i++)
		lwp_bind(l, cpu_lookup(i));
	lwp_bind(l, bound);
}

void
msi_destroy(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct msi_src *ms;

	KASSERTMSG(desc != NULL && desc->id_chip == &msi_chip,
	    "msi_destroy: IRQ %d is not an MSI vector", irq);
	KASSERTMSG(desc->id_actions == NULL, "msi_destroy: IRQ %d (%s) still "
	    "has actions", irq, desc->id_name);
	ms = desc->id_chip_data;
	drain_deliveries();
	irq_desc_destroy(desc);
	kmem_free(ms, sizeof(*ms));
}
