/*
 * ipisrc.c: interrupt sources raised by LAPIC IPIs (include/ipisrc.h).
 *
 * Design.  Each source is an IRQ descriptor of this chip at IPL_VM, edge
 * flow.  The chip keeps a software mask: ipisrc_raise on a masked source
 * only marks it pending, and unmasking a pending source sends the IPI then,
 * as an MSI-X function holds a masked vector's message in its pending bit
 * (PCIe base spec §6.1.4.5).  The IPI goes to the line's CPU (id_cpu), so
 * irq_set_affinity moves the source.  The ack is the LAPIC EOI.  A raise
 * is timestamped (irq_note_raise), so the table shows raise-to-primary
 * latency.
 *
 * Locking: is_lock (spin, IPL_HIGH) covers is_masked and is_pending; the
 * chip functions run with the descriptor's lock held, so the order is
 * descriptor lock, then is_lock.
 */
#include <ipisrc.h>
#include <kassert.h>
#include <kmem.h>
#include <mutex.h>

#include <kern/irq_impl.h>

#include <machine/intr.h>

struct ipisrc {
	kmutex_t is_lock;
	bool is_masked;
	bool is_pending;
	uint64_t is_raised;
	struct irq_desc *is_desc;
};

static void
send(struct ipisrc *is)
{
	x86_vector_resend(is->is_desc->id_cpu, is->is_desc->id_vector);
}

static void
ipisrc_mask(struct irq_desc *desc)
{
	struct ipisrc *is = desc->id_chip_data;

	mutex_enter(&is->is_lock);
	is->is_masked = true;
	mutex_exit(&is->is_lock);
}

static void
ipisrc_unmask(struct irq_desc *desc)
{
	struct ipisrc *is = desc->id_chip_data;

	mutex_enter(&is->is_lock);
	is->is_masked = false;
	if (is->is_pending) {
		is->is_pending = false;
		send(is);
	}
	mutex_exit(&is->is_lock);
}

static void ipisrc_ack(struct irq_desc *desc) { x86_intr_eoi(); }
static int ipisrc_route(struct irq_desc *desc, struct cpu_info *ci) { return 0; }

static const struct irq_chip ipisrc_chip = {
	.ic_name = "ipisrc",
	.ic_mask = ipisrc_mask,
	.ic_unmask = ipisrc_unmask,
	.ic_ack = ipisrc_ack,
	.ic_set_affinity = ipisrc_route,
};

static struct ipisrc *
ipisrc_of(int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	KASSERTMSG(desc != NULL && desc->id_chip == &ipisrc_chip,
	    "ipisrc: IRQ %d is not an ipisrc", irq);
	return desc->id_chip_data;
}

int
ipisrc_create(const char *name)
{
	struct ipisrc *is = kmem_zalloc(sizeof(*is), KM_SLEEP);

	mutex_init(&is->is_lock, MUTEX_SPIN, IPL_HIGH);
	is->is_masked = true;
	is->is_desc = irq_desc_create(-1, &ipisrc_chip, is, IPL_VM,
	    IRQ_FLOW_EDGE, name, 0);
	if (is->is_desc == NULL) {
		kmem_free(is, sizeof(*is));
		return -ENOSPC;
	}
	return is->is_desc->id_irq;
}

void
ipisrc_raise(int irq)
{
	struct ipisrc *is = ipisrc_of(irq);

	irq_note_raise(irq);
	mutex_enter(&is->is_lock);
	is->is_raised++;
	if (is->is_masked)
		is->is_pending = true;
	else
		send(is);
	mutex_exit(&is->is_lock);
}

uint64_t
ipisrc_raised(int irq)
{
	return ipisrc_of(irq)->is_raised;
}

void
ipisrc_destroy(int irq)
{
	struct ipisrc *is = ipisrc_of(irq);

	irq_desc_destroy(is->is_desc);
	kmem_free(is, sizeof(*is));
}
