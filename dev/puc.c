/*
 * puc.c: QEMU's PCI multiport serial cards, pci-serial-2x and
 * pci-serial-4x (1b36:0003 and 1b36:0004; QEMU docs/specs/pci-serial.rst,
 * hw/char/serial-pci-multi.c), as terminals behind a demux
 * (include/irq_demux.h).
 *
 * The card.  BAR0 is an I/O BAR of 8 bytes per port; port i is a 16550A
 * at BAR0 + 8 * i.  All ports drive the function's INTA: the card ORs
 * their interrupt outputs into one level-triggered INTx line, so the line
 * is asserted while any port has an enabled cause.  There is no MSI.
 *
 * Attach.  puc_init finds every card, turns I/O decoding on, creates its
 * ports with the 16550 driver (dev/uart16550.c: com_create, each a tty
 * named com1, com2, ... in the order found, after the console's com0),
 * quiet and masked, takes the INTx line (pci_alloc_irq_vectors), makes a
 * demux of one child per port on it (chained, IRQF_SHARED: a q35 slot's
 * functions share their pins), then starts each port on its child IRQ
 * (com_start), under the boot's default model.
 *
 * The demux's callbacks are the driver's per-port ones: a port is pending
 * when its IIR says so (com_intr_pending, which latches what the read
 * clears), and masking a child masks its port's interrupt enables
 * (com_mask), which drops its share of the line and keeps its causes:
 * unmasked again, it asserts the line again if it still has one, which is
 * what the demux needs of a child.  Each port's handlers are the 16550
 * driver's own (top half com_intr, bottom half com_bottom), unchanged:
 * only the IRQ they run on differs from COM1's.
 *
 * Locking.  pucs[] and npuc are written by puc_init alone, in the main
 * thread at boot, before anyone looks; p_port[i] is written before the
 * demux exists and never again.  The ports' own locks cover the rest.
 */
#include <com.h>
#include <irq.h>
#include <irq_demux.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <pci.h>
#include <printf.h>
#include <puc.h>

#define PUC_VENDOR	0x1b36		/* Red Hat, QEMU's own devices */
#define PUC_DEV_2X	0x0003
#define PUC_DEV_4X	0x0004
#define PUC_STRIDE	8		/* I/O ports per 16550 */
#define PUC_MAX_PORTS	4
#define PUC_MAX		4		/* cards */

struct puc {
	struct pci_dev *p_pd;
	char p_name[8];			/* "puc0" */
	unsigned p_nports;
	struct com *p_port[PUC_MAX_PORTS];
	char p_port_name[PUC_MAX_PORTS][8];	/* "com1" */
	struct irq_demux *p_dm;
};

static struct puc *pucs[PUC_MAX];
static unsigned npuc;
static unsigned next_com = 1;		/* com0 is the console */

static uint32_t
puc_pending(void *arg)
{
	struct puc *p = arg;
	uint32_t pending = 0;

	for (unsigned i = 0; i < p->p_nports; i++)
		if (com_intr_pending(p->p_port[i]))
			pending |= 1U << i;
	return pending;
}

static void
puc_mask(void *arg, unsigned child)
{
	struct puc *p = arg;

	com_mask(p->p_port[child], true);
}

static void
puc_unmask(void *arg, unsigned child)
{
	struct puc *p = arg;

	com_mask(p->p_port[child], false);
}

static const struct irq_demux_ops puc_ops = {
	.dmo_pending = puc_pending,
	.dmo_mask = puc_mask,
	.dmo_unmask = puc_unmask,
};

static unsigned
ports_of(const struct pci_dev *pd)
{
	return pd->pd_device == PUC_DEV_4X ? 4 : 2;
}

static void
destroy_ports(struct puc *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		com_detach(p->p_port[i]);
}

/* Create the ports, quiet and masked; false (logged) if one is missing. */
static bool
create_ports(struct puc *p, uint16_t io)
{
	for (unsigned i = 0; i < p->p_nports; i++) {
		snprintf(p->p_port_name[i], sizeof(p->p_port_name[i]), "com%u",
		    next_com + i);
		p->p_port[i] = com_create(p->p_port_name[i],
		    (uint16_t)(io + PUC_STRIDE * i));
		if (p->p_port[i] == NULL) {
			destroy_ports(p, i);
			return false;
		}
		com_mask(p->p_port[i], true);
	}
	return true;
}

/* Start every port on its child IRQ; false if one could not be. */
static bool
start_ports(struct puc *p)
{
	for (unsigned i = 0; i < p->p_nports; i++)
		if (com_start(p->p_port[i], irq_demux_child_irq(p->p_dm, i),
		    0) != 0)
			return false;
	return true;
}

/* The I/O base of BAR0, or 0 if it is not an assigned I/O BAR that fits. */
static uint16_t
io_base(const struct puc *p)
{
	const struct pci_bar *b = &p->p_pd->pd_bar[0];

	if (b->pb_type != PCI_BAR_IO || b->pb_base == 0 ||
	    b->pb_size < PUC_STRIDE * p->p_nports) {
		kwarn("%s: %s: BAR0 is not an assigned I/O BAR of %u ports",
		    p->p_name, pci_name(p->p_pd), PUC_STRIDE * p->p_nports);
		return 0;
	}
	return (uint16_t)b->pb_base;
}

/* Interrupt, demux and ports on a card whose ports exist; false if not. */
static bool
puc_setup_irq(struct puc *p)
{
	int error = pci_alloc_irq_vectors(p->p_pd, 1, 1, PCI_IRQ_INTX);

	if (error < 0) {
		kwarn("%s: %s: no INTx line: %d", p->p_name, pci_name(p->p_pd),
		    error);
		return false;
	}
	error = irq_demux_create(pci_irq_vector(p->p_pd, 0), p->p_nports,
	    &puc_ops, p, p->p_name, IRQF_SHARED, IRQ_DEMUX_CHAINED, &p->p_dm);
	if (error != 0) {
		pci_free_irq_vectors(p->p_pd);
		return false;
	}
	return true;
}

static void
puc_attach(struct pci_dev *pd)
{
	struct puc *p = kmem_zalloc(sizeof(*p), KM_SLEEP);
	uint16_t io;

	p->p_pd = pd;
	p->p_nports = ports_of(pd);
	snprintf(p->p_name, sizeof(p->p_name), "puc%u", npuc);
	io = io_base(p);
	if (io != 0)
		pci_enable(pd);
	if (io == 0 || !create_ports(p, io)) {
		kmem_free(p, sizeof(*p));
		return;
	}
	if (!puc_setup_irq(p)) {
		destroy_ports(p, p->p_nports);
		kmem_free(p, sizeof(*p));
		return;
	}
	if (!start_ports(p))
		kwarn("%s: %s: some ports did not start", p->p_name,
		    pci_name(pd));
	kinfo("%s: %s, %u ports at I/O %#x (%s-%s), IRQ %d, demux %s, "
	    "children IRQ %d-%d", p->p_name, pci_name(pd), p->p_nports, io,
	    p->p_port_name[0], p->p_port_name[p->p_nports - 1],
	    pci_irq_vector(pd, 0),
	    irq_demux_dispatch_name(irq_demux_get_dispatch(p->p_dm)),
	    irq_demux_child_irq(p->p_dm, 0),
	    irq_demux_child_irq(p->p_dm, p->p_nports - 1));
	next_com += p->p_nports;
	pucs[npuc++] = p;
}

void
puc_init(void)
{
	static const uint16_t devices[] = { PUC_DEV_4X, PUC_DEV_2X };
	struct pci_dev *pd;

	for (unsigned d = 0; d < nitems(devices); d++) {
		for (unsigned i = 0;
		    (pd = pci_find_device(PUC_VENDOR, devices[d], i)) != NULL;
		    i++) {
			if (npuc == PUC_MAX) {
				kwarn("puc: more than %u cards; %s ignored",
				    PUC_MAX, pci_name(pd));
				continue;
			}
			puc_attach(pd);
		}
	}
}

unsigned
puc_count(void)
{
	return npuc;
}

struct com *
puc_port(unsigned i, unsigned port)
{
	if (i >= npuc || port >= pucs[i]->p_nports)
		return NULL;
	return pucs[i]->p_port[port];
}

unsigned
puc_nports(unsigned i)
{
	return i < npuc ? pucs[i]->p_nports : 0;
}
