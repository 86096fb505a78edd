/*
 * pci_irq.c: a PCI function's interrupt vectors, MSI-X, MSI or INTx
 * (pci_alloc_irq_vectors and friends, include/pci.h; Linux's names).
 *
 * Design.  pci_alloc_irq_vectors picks the first kind the caller allows
 * that can give at least min vectors, in the order MSI-X, MSI, INTx, and
 * records it in pd_msi (struct pci_vectors); pci_irq_vector then gives the
 * IRQ number of each vector for request_threaded_irq.
 *
 *  MSI-X	one IRQ per table entry, up to max (fewer if the IRQ numbers
 *		or vectors run out, as long as min are left), each an MSI
 *		chip descriptor (arch/x86_64/msi.c) with its own message.
 *  MSI		one vector.  Multiple MSI vectors share one address and send
 *		data + k for vector k (PCI Local Bus 3.0 §6.8.1.6), so they
 *		need 2^n consecutive CPU vectors, aligned, delivered to one
 *		CPU; the vector allocator hands out single vectors, so a
 *		driver wanting several uses MSI-X.  Hence MSI only for min 1.
 *  INTx	the routed pin, pd_irq (a shared IOAPIC line); min 1 only.
 *
 * The MSI and MSI-X messages are written before the capability is turned
 * on, and INTx is switched off in the command register while MSI or MSI-X
 * is on (a function must not use its pin then anyway: PCI Local Bus 3.0
 * §6.8), and back on when the vectors are freed or for INTx.  Delivering
 * a message is a memory write by the function, so the driver must have
 * turned bus mastering on (pci_enable) for MSI and MSI-X to arrive.
 *
 * States: no vectors (pd_msi NULL) -> allocated (capability on) -> freed
 * (capability off, IRQs destroyed, pd_msi NULL again).
 *
 * Locking: pd_msi and the function's capability registers belong to its
 * driver, which must not race pci_alloc_irq_vectors against
 * pci_free_irq_vectors (Linux's rule too); after allocation the MSI chip
 * owns the message and mask registers.  Context: thread.
 */
#include <irq.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <pci.h>

#include <kern/irq_impl.h>

#include <machine/msi.h>

#define PCI_COMMAND	0x04
#define CMD_MEM		0x0002		/* memory space decoding */

struct pci_vectors {
	unsigned pv_type;		/* PCI_IRQ_MSIX, _MSI or _INTX */
	unsigned pv_n;			/* vectors in use */
	unsigned pv_room;		/* entries allocated, >= pv_n */
	int pv_irq[];			/* pv_n IRQ numbers */
};

static struct pci_vectors *
vectors_of(const struct pci_dev *pd)
{
	return pd->pd_msi;
}

static size_t
vectors_size(unsigned n)
{
	return sizeof(struct pci_vectors) + n * sizeof(int);
}

static struct pci_vectors *
vectors_new(unsigned type, unsigned n)
{
	struct pci_vectors *pv = kmem_zalloc(vectors_size(n), KM_SLEEP);

	pv->pv_type = type;
	pv->pv_n = pv->pv_room = n;
	return pv;
}

static void
vectors_delete(struct pci_vectors *pv)
{
	kmem_free(pv, vectors_size(pv->pv_room));
}

/* Destroy the first n MSI IRQs of pv (the capability is off). */
static void
destroy_msi_irqs(struct pci_vectors *pv, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		msi_destroy(pv->pv_irq[i]);
}

/*
 * Create up to want MSI-X or MSI IRQs for pd into pv; returns how many
 * (it stops at the first that fails).
 */
static unsigned
create_msi_irqs(struct pci_dev *pd, struct pci_vectors *pv, bool msix,
    unsigned want)
{
	unsigned n;

	for (n = 0; n < want; n++) {
		int irq = msi_create(pd, msix, n);

		if (irq < 0)
			break;
		pv->pv_irq[n] = irq;
	}
	return n;
}

/* MSI-X or MSI with at least min of at most max vectors, or NULL. */
static struct pci_vectors *
alloc_msi(struct pci_dev *pd, bool msix, unsigned min, unsigned max)
{
	unsigned offered = msix ? pci_msix_vectors(pd) :
	    MIN(pci_msi_vectors(pd), 1U);
	unsigned want = MIN(max, offered), got;
	struct pci_vectors *pv;

	if (offered < min)
		return NULL;
	KASSERTMSG(!msix || (pci_conf_read16(pd, PCI_COMMAND) & CMD_MEM),
	    "pci_alloc_irq_vectors: %s: MSI-X table unreachable with memory "
	    "decoding off: call pci_enable first", pci_name(pd));
	pv = vectors_new(msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI, want);
	got = create_msi_irqs(pd, pv, msix, want);
	if (got < min) {
		destroy_msi_irqs(pv, got);
		vectors_delete(pv);
		kwarn("pci: %s: only %u of the %u %s vectors asked for could "
		    "be created", pci_name(pd), got, min, msix ? "MSI-X" : "MSI");
		return NULL;
	}
	pv->pv_n = got;
	pci_intx(pd, false);
	if (msix) {
		pci_msix_enable(pd, true);
	} else {
		pci_msi_set_vectors(pd, 1);
		pci_msi_enable(pd, true);
	}
	return pv;
}

static struct pci_vectors *
alloc_intx(struct pci_dev *pd, unsigned min)
{
	struct pci_vectors *pv;

	if (pd->pd_irq < 0 || min > 1)
		return NULL;
	pv = vectors_new(PCI_IRQ_INTX, 1);
	pv->pv_irq[0] = pd->pd_irq;
	pci_intx(pd, true);
	return pv;
}

int
pci_alloc_irq_vectors(struct pci_dev *pd, unsigned min, unsigned max,
    unsigned types)
{
	struct pci_vectors *pv = NULL;

	KASSERTMSG(!cpu_intr_p(), "pci_alloc_irq_vectors(%s) from interrupt "
	    "context", pci_name(pd));
	if (min == 0 || min > max || (types & ~PCI_IRQ_ALL_TYPES) ||
	    types == 0 || pd->pd_msi != NULL)
		return -EINVAL;
	if (types & PCI_IRQ_MSIX)
		pv = alloc_msi(pd, true, min, max);
	if (pv == NULL && (types & PCI_IRQ_MSI))
		pv = alloc_msi(pd, false, min, max);
	if (pv == NULL && (types & PCI_IRQ_INTX))
		pv = alloc_intx(pd, min);
	if (pv == NULL)
		return -ENOSPC;
	pd->pd_msi = pv;
	return (int)pv->pv_n;
}

int
pci_irq_vector(struct pci_dev *pd, unsigned nr)
{
	struct pci_vectors *pv = vectors_of(pd);

	if (pv == NULL || nr >= pv->pv_n)
		return -EINVAL;
	return pv->pv_irq[nr];
}

unsigned
pci_irq_type(const struct pci_dev *pd)
{
	const struct pci_vectors *pv = vectors_of(pd);

	return pv != NULL ? pv->pv_type : 0;
}

void
pci_free_irq_vectors(struct pci_dev *pd)
{
	struct pci_vectors *pv = vectors_of(pd);

	if (pv == NULL)
		return;
	for (unsigned i = 0; i < pv->pv_n && pv->pv_type != PCI_IRQ_INTX; i++)
		KASSERTMSG(irq_to_desc(pv->pv_irq[i])->id_actions == NULL,
		    "pci_free_irq_vectors: %s vector %u (IRQ %d) still has an "
		    "action: free_irq first", pci_name(pd), i, pv->pv_irq[i]);
	if (pv->pv_type == PCI_IRQ_MSIX)
		pci_msix_enable(pd, false);
	else if (pv->pv_type == PCI_IRQ_MSI)
		pci_msi_enable(pd, false);
	if (pv->pv_type != PCI_IRQ_INTX)
		destroy_msi_irqs(pv, pv->pv_n);
	pci_intx(pd, true);
	pd->pd_msi = NULL;
	vectors_delete(pv);
}
