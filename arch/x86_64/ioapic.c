/*
 * ioapic.c: the I/O APIC interrupt chip.
 *
 * Design.  Every input (pin) of every IOAPIC the MADT lists becomes an
 * IRQ descriptor whose number is the pin's GSI (GSI base + pin), at
 * IPL_VM with a vector from the device band.  Trigger and polarity:
 * GSIs 0-15 are the ISA IRQs, edge-triggered and active high unless an
 * interrupt source override says otherwise (the override's ISA IRQ then
 * reaches that GSI: on q35 ISA IRQ 0, the PIT, is GSI 2); GSIs from 16 up
 * are PCI INTx lines, level-triggered and active low (PCI Local Bus 3.0
 * §2.2.6).  Edge inputs use the edge flow, level inputs the level flow:
 * the pin is masked and the LAPIC sent its EOI before the handlers run,
 * which clears the pin's Remote IRR (82093AA datasheet §3.2.4) without a
 * redelivery, and unmasked after them, when a still-asserted line fires
 * again.
 *
 * Redirection entries are programmed in physical destination mode, fixed
 * delivery, to the APIC ID of the line's CPU (set_affinity).  The entry is
 * two 32-bit registers reached through the IOREGSEL/IOWIN window.
 *
 * Locking: each IOAPIC's window is covered by its io_lock (spin,
 * IPL_HIGH); the chip functions are called with the descriptor's lock
 * held, so the order is descriptor lock, then io_lock.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <mutex.h>
#include <printf.h>

#include <kern/irq_impl.h>

#include <machine/acpi.h>
#include <machine/cpuvar.h>
#include <machine/intr.h>
#include <machine/ioapic.h>
#include <machine/vmparam.h>

#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPICVER	0x01
#define IOREDTBL(pin)	(0x10 + 2 * (pin))

#define RTE_MASKED	(1U << 16)
#define RTE_LEVEL	(1U << 15)
#define RTE_ACTIVE_LOW	(1U << 13)

#define ISA_IRQS	16

struct ioapic {
	kmutex_t io_lock;		/* the register window */
	volatile uint32_t *io_regs;
	unsigned io_index;
	uint32_t io_gsi_base;
	unsigned io_npins;
};

struct ioapic_pin {
	struct ioapic *ip_io;
	unsigned ip_pin;
	uint32_t ip_rte_lo;		/* io_lock: the low word, as written */
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;

static uint32_t
io_read(struct ioapic *io, unsigned reg)
{
	io->io_regs[IOREGSEL / 4] = reg;
	return io->io_regs[IOWIN / 4];
}

static void
io_write(struct ioapic *io, unsigned reg, uint32_t v)
{
	io->io_regs[IOREGSEL / 4] = reg;
	io->io_regs[IOWIN / 4] = v;
}

static void
pin_write_lo(struct ioapic_pin *ip, uint32_t lo)
{
	mutex_enter(&ip->ip_io->io_lock);
	ip->ip_rte_lo = lo;
	io_write(ip->ip_io, IOREDTBL(ip->ip_pin), lo);
	mutex_exit(&ip->ip_io->io_lock);
}

static void
ioapic_mask(struct irq_desc *desc)
{
	struct ioapic_pin *ip = desc->id_chip_data;

	pin_write_lo(ip, ip->ip_rte_lo | RTE_MASKED);
}

static void
ioapic_unmask(struct irq_desc *desc)
{
	struct ioapic_pin *ip = desc->id_chip_data;

	pin_write_lo(ip, ip->ip_rte_lo & ~RTE_MASKED);
}

static void ioapic_ack(struct irq_desc *desc) { x86_intr_eoi(); }

static int
ioapic_set_affinity(struct irq_desc *desc, struct cpu_info *ci)
{
	struct ioapic_pin *ip = desc->id_chip_data;

	KASSERTMSG(ci->ci_apicid < 256, "ioapic: APIC ID %u needs x2APIC "
	    "interrupt remapping", ci->ci_apicid);
	mutex_enter(&ip->ip_io->io_lock);
	io_write(ip->ip_io, IOREDTBL(ip->ip_pin) + 1, ci->ci_apicid << 24);
	mutex_exit(&ip->ip_io->io_lock);
	return 0;
}

static const struct irq_chip ioapic_chip = {
	.ic_name = "ioapic",
	.ic_mask = ioapic_mask,
	.ic_unmask = ioapic_unmask,
	.ic_ack = ioapic_ack,
	.ic_set_affinity = ioapic_set_affinity,
};

/* The trigger and polarity of gsi, from the overrides and the bus. */
static void
gsi_mode(uint32_t gsi, enum irq_trigger *trig, enum irq_polarity *pol)
{
	bool isa = gsi < ISA_IRQS;

	*trig = isa ? IRQ_TRIGGER_EDGE : IRQ_TRIGGER_LEVEL;
	*pol = isa ? IRQ_POLARITY_HIGH : IRQ_POLARITY_LOW;
	for (unsigned i = 0; i < acpi.ai_noverrides; i++) {
		const struct acpi_irq_override *o = &acpi.ai_overrides[i];

		if (o->ao_gsi != gsi)
			continue;
		if (o->ao_trigger != ACPI_TRIGGER_CONFORM)
			*trig = o->ao_trigger == ACPI_TRIGGER_LEVEL ?
			    IRQ_TRIGGER_LEVEL : IRQ_TRIGGER_EDGE;
		if (o->ao_polarity != ACPI_POLARITY_CONFORM)
			*pol = o->ao_polarity == ACPI_POLARITY_LOW ?
			    IRQ_POLARITY_LOW : IRQ_POLARITY_HIGH;
	}
}

static void
pin_attach(struct ioapic *io, unsigned pin)
{
	struct ioapic_pin *ip = kmem_zalloc(sizeof(*ip), KM_SLEEP);
	uint32_t gsi = io->io_gsi_base + pin;
	enum irq_trigger trig;
	enum irq_polarity pol;
	struct irq_desc *desc;
	char name[24];

	ip->ip_io = io;
	ip->ip_pin = pin;
	gsi_mode(gsi, &trig, &pol);
	snprintf(name, sizeof(name), "ioapic%u pin %u", io->io_index, pin);
	desc = irq_desc_create((int)gsi, &ioapic_chip, ip, IPL_VM,
	    trig == IRQ_TRIGGER_LEVEL ? IRQ_FLOW_LEVEL : IRQ_FLOW_EDGE, name, 0);
	if (desc == NULL) {
		kwarn("ioapic%u: no IRQ for pin %u (GSI %u)", io->io_index,
		    pin, gsi);
		kmem_free(ip, sizeof(*ip));
		return;
	}
	desc->id_trigger = trig;
	desc->id_polarity = pol;
	ip->ip_rte_lo = RTE_MASKED | desc->id_vector |
	    (trig == IRQ_TRIGGER_LEVEL ? RTE_LEVEL : 0) |
	    (pol == IRQ_POLARITY_LOW ? RTE_ACTIVE_LOW : 0);
	ioapic_set_affinity(desc, desc->id_cpu);
	pin_write_lo(ip, ip->ip_rte_lo);
}

static void
ioapic_attach(unsigned index, const struct acpi_ioapic *aio)
{
	struct ioapic *io = &ioapics[index];

	mutex_init(&io->io_lock, MUTEX_SPIN, IPL_HIGH);
	io->io_index = index;
	io->io_regs = PHYS_TO_DMAP(aio->aio_pa);
	io->io_gsi_base = aio->aio_gsi_base;
	io->io_npins = ((io_read(io, IOAPICVER) >> 16) & 0xff) + 1;
	for (unsigned pin = 0; pin < io->io_npins; pin++)
		io_write(io, IOREDTBL(pin), RTE_MASKED);
	kinfo("ioapic%u: id %u at %#lx, GSIs %u-%u", index, aio->aio_id,
	    aio->aio_pa, io->io_gsi_base, io->io_gsi_base + io->io_npins - 1);
	for (unsigned pin = 0; pin < io->io_npins; pin++)
		pin_attach(io, pin);
}

void
ioapic_init(void)
{
	nioapics = acpi.ai_nioapics;
	for (unsigned i = 0; i < nioapics; i++)
		ioapic_attach(i, &acpi.ai_ioapics[i]);
}

int
ioapic_isa_irq(unsigned isa_irq)
{
	const struct acpi_irq_override *o;

	KASSERTMSG(isa_irq < ISA_IRQS, "ioapic_isa_irq: %u is not an ISA IRQ",
	    isa_irq);
	o = acpi_irq_override_find(&acpi, isa_irq);
	return o != NULL ? (int)o->ao_gsi : (int)isa_irq;
}

int
irq_isa(unsigned isa_irq)
{
	return isa_irq < ISA_IRQS ? ioapic_isa_irq(isa_irq) : -ENOENT;
}
