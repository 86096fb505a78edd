/*
 * test_pci.c: in-kernel tests of PCI enumeration, configuration space,
 * BAR decoding, sizing and assignment, the capability walk and INTx
 * routing, on QEMU's q35 (tools/boot's machine).
 *
 * The q35 cases need only the machine's own devices; the interrupt vector
 * cases (pci_alloc_irq_vectors and the MSI chip) use q35's default NIC,
 * an e1000e (8086:10d3), which has MSI and a 5-entry MSI-X table and no
 * driver here, and check what the kernel programs into it.  The edu cases need
 * QEMU's educational device (1234:11e8) and skip without it; the INTx
 * case needs two edu functions in one slot:
 *
 *	tools/boot --device edu,addr=05.0,multifunction=on \
 *	    --device edu,addr=05.1 -- run=ktest:pci
 *
 * Cases that write config space (BAR sizing) touch edu, whose driver
 * (dev/edu.c) is idle outside the edu suite: nothing raises its
 * interrupts, so turning its decoding off for a moment is harmless.
 * Locking: none needed; each case runs alone in its own thread.
 */
#include <cpu.h>
#include <irq.h>
#include <ktest.h>
#include <pci.h>
#include <time.h>
#include <types.h>

#define INTEL		0x8086
#define Q35_MCH		0x29c0
#define ICH9_LPC	0x2918
#define QEMU_VENDOR	0x1234
#define EDU		0x11e8
#define E1000E		0x10d3

#define PCI_COMMAND	0x04
#define PCI_CMD_DECODE	0x0003		/* I/O and memory space enable */
#define PCI_CMD_INTX_OFF 0x0400
#define PCI_BAR0	0x10
#define PCI_CAP_MSI	0x05
#define PCI_CAP_MSIX	0x11
#define PCI_CAP_VENDOR	0x09		/* vendor-specific: edu has none */
#define MSI_CTRL	0x02		/* MSI and MSI-X: message control */
#define MSI_CTRL_ENABLE	0x0001
#define MSI_ADDR_LO	0x04		/* MSI, 64-bit layout (e1000e's) */
#define MSI_DATA_64	0x0c
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_TABLE	0x04		/* offset | BIR */
#define MSIX_VCTRL_MASK	0x1
#define MSI_ADDR_MASK	0xfff00fffU	/* all but the destination APIC ID */
#define MSI_ADDR_BASE	0xfee00000U	/* physical destination, RH = 0 */
#define VEC_DEVICE_MIN	0x30		/* the IPL_VM band */
#define VEC_DEVICE_MAX	0xcf
#define EDU_ID_REG	0x00		/* BAR0: identification, 0xRRrr00ed */
#define EDU_ID		0x010000ed	/* QEMU's edu: version 1.0 */
#define EDU_ID_LOW	0xed
#define EDU_LIVENESS	0x04		/* reads back what was written, inverted */
#define MEM_HOLE_END	0xfec00000ULL	/* the BAR window ends below the IOAPIC */
#define PAGE		4096ULL

static struct pci_dev *
find_edu_or_skip(struct ktest *t)
{
	struct pci_dev *pd = pci_find_device(QEMU_VENDOR, EDU, 0);

	if (pd == NULL)
		ktest_skip(t, "no edu device (tools/boot --device edu)");
	return pd;
}

static void
q35_host_bridge_and_lpc_are_at_their_addresses(struct ktest *t)
{
	struct pci_dev *mch = pci_find_device(INTEL, Q35_MCH, 0);
	struct pci_dev *lpc = pci_find_device(INTEL, ICH9_LPC, 0);

	KT_ASSERT_NOT_NULL(t, mch);
	KT_EXPECT_STREQ(t, pci_name(mch), "0000:00:00.0");
	KT_EXPECT_EQ(t, mch->pd_class, 0x06);		/* bridge */
	KT_EXPECT_EQ(t, mch->pd_subclass, 0x00);	/* host */
	KT_ASSERT_NOT_NULL(t, lpc);
	KT_EXPECT_STREQ(t, pci_name(lpc), "0000:00:1f.0");
	KT_EXPECT_EQ(t, lpc->pd_class, 0x06);
	KT_EXPECT_EQ(t, lpc->pd_subclass, 0x01);	/* ISA */
	KT_EXPECT_EQ(t, pci_dev_at(0), mch);		/* bus/dev/func order */
}

static void
functions_are_listed_in_bus_device_function_order(struct ktest *t)
{
	for (unsigned i = 1; i < pci_ndevs(); i++) {
		const struct pci_dev *a = pci_dev_at(i - 1), *b = pci_dev_at(i);
		unsigned ka = a->pd_bus << 8 | a->pd_dev << 3 | a->pd_func;
		unsigned kb = b->pd_bus << 8 | b->pd_dev << 3 | b->pd_func;

		KT_EXPECT_LT(t, ka, kb);
	}
}

static void
ecam_and_port_io_agree_on_every_function_header(struct ktest *t)
{
	KT_ASSERT_GT(t, pci_ndevs(), 0U);
	for (unsigned i = 0; i < pci_ndevs(); i++) {
		const struct pci_dev *pd = pci_dev_at(i);

		for (unsigned off = 0; off < 64; off += 4) {
			uint32_t ecam = 0, port = 0;

			KT_ASSERT_TRUE(t, pci_conf_read32_via(pd, off,
			    PCI_CONF_ECAM, &ecam));
			KT_ASSERT_TRUE(t, pci_conf_read32_via(pd, off,
			    PCI_CONF_PORT, &port));
			if (ecam != port)
				ktest_log(t, "%s offset %#x", pci_name(pd), off);
			KT_EXPECT_EQ(t, ecam, port);
		}
	}
}

static void
port_io_cannot_reach_extended_config_space(struct ktest *t)
{
	uint32_t v;

	KT_EXPECT_FALSE(t, pci_conf_read32_via(pci_dev_at(0), 0x100,
	    PCI_CONF_PORT, &v));
	KT_EXPECT_TRUE(t, pci_conf_read32_via(pci_dev_at(0), 0x100,
	    PCI_CONF_ECAM, &v));
}

static void
capability_walk_finds_the_msi_cap_of_edu(struct ktest *t)
{
	struct pci_dev *edu = find_edu_or_skip(t);
	unsigned msi = pci_find_cap(edu, PCI_CAP_MSI);

	KT_ASSERT_NE(t, msi, 0U);
	KT_EXPECT_EQ(t, pci_conf_read8(edu, msi), PCI_CAP_MSI);
	KT_EXPECT_EQ(t, msi, edu->pd_msi_cap);
	KT_EXPECT_EQ(t, pci_msi_vectors(edu), 1U);
	KT_EXPECT_EQ(t, pci_find_cap(edu, PCI_CAP_MSIX), 0U);
	KT_EXPECT_EQ(t, edu->pd_msix_cap, 0);
	KT_EXPECT_EQ(t, pci_find_cap(edu, PCI_CAP_VENDOR), 0U);
}

static void
edu_bar0_is_a_1_mib_mem32_bar(struct ktest *t)
{
	struct pci_dev *edu = find_edu_or_skip(t);

	KT_EXPECT_EQ(t, edu->pd_bar[0].pb_type, PCI_BAR_MEM32);
	KT_EXPECT_EQ(t, edu->pd_bar[0].pb_size, 1ULL << 20);
	KT_EXPECT_FALSE(t, edu->pd_bar[0].pb_prefetch);
	for (unsigned b = 1; b < PCI_MAX_BARS; b++)
		KT_EXPECT_EQ(t, edu->pd_bar[b].pb_type, PCI_BAR_NONE);
}

static unsigned
bar_regs(const struct pci_dev *pd)
{
	return pd->pd_hdrtype == 0 ? 6 : pd->pd_hdrtype == 1 ? 2 : 0;
}

/* Probe every BAR of pd again; expect what pci_init found. */
static void
probe_bars_again(struct ktest *t, struct pci_dev *pd)
{
	for (unsigned b = 0; b < bar_regs(pd); ) {
		struct pci_bar bar;
		unsigned span = pci_bar_probe(pd, b, &bar);

		KT_EXPECT_EQ(t, bar.pb_type, pd->pd_bar[b].pb_type);
		KT_EXPECT_EQ(t, bar.pb_base, pd->pd_bar[b].pb_base);
		KT_EXPECT_EQ(t, bar.pb_size, pd->pd_bar[b].pb_size);
		b += span;
	}
}

static void
bar_sizing_leaves_every_bar_and_command_word_unchanged(struct ktest *t)
{
	for (unsigned i = 0; i < pci_ndevs(); i++) {
		struct pci_dev *pd = pci_dev_at(i);
		uint16_t cmd = pci_conf_read16(pd, PCI_COMMAND);
		uint32_t before[PCI_MAX_BARS];

		for (unsigned b = 0; b < bar_regs(pd); b++)
			before[b] = pci_conf_read32(pd, PCI_BAR0 + 4 * b);
		probe_bars_again(t, pd);
		for (unsigned b = 0; b < bar_regs(pd); b++)
			KT_EXPECT_EQ(t, pci_conf_read32(pd, PCI_BAR0 + 4 * b),
			    before[b]);
		KT_EXPECT_EQ(t, pci_conf_read16(pd, PCI_COMMAND), cmd);
	}
}

/*
 * qboot leaves BARs at 0, which sizing could "restore" by accident, so
 * plant an address in edu's BAR0, with decoding off so that nothing
 * decodes it, and see that sizing keeps it and reports it as the base.
 */
static void
bar_sizing_keeps_a_planted_address(struct ktest *t)
{
	struct pci_dev *edu = find_edu_or_skip(t);
	uint32_t saved = pci_conf_read32(edu, PCI_BAR0);
	uint16_t cmd = pci_conf_read16(edu, PCI_COMMAND);
	const uint32_t planted = 0xe0100000;
	struct pci_bar bar;

	pci_conf_write16(edu, PCI_COMMAND, cmd & ~PCI_CMD_DECODE);
	pci_conf_write32(edu, PCI_BAR0, planted);
	KT_EXPECT_EQ(t, pci_bar_probe(edu, 0, &bar), 1U);
	KT_EXPECT_EQ(t, pci_conf_read32(edu, PCI_BAR0), planted);
	KT_EXPECT_EQ(t, bar.pb_base, planted);
	KT_EXPECT_EQ(t, bar.pb_size, 1ULL << 20);
	KT_EXPECT_EQ(t, pci_conf_read16(edu, PCI_COMMAND),
	    cmd & ~PCI_CMD_DECODE);
	pci_conf_write32(edu, PCI_BAR0, saved);
	pci_conf_write16(edu, PCI_COMMAND, cmd);
}

/* qboot assigns nothing, so every BAR on bus 0 has an address from pci_init. */
static void
every_bar_on_bus_0_has_an_address(struct ktest *t)
{
	for (unsigned i = 0; i < pci_ndevs(); i++) {
		const struct pci_dev *pd = pci_dev_at(i);

		for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
			const struct pci_bar *bar = &pd->pd_bar[b];

			if (pd->pd_bus != 0 || bar->pb_type == PCI_BAR_NONE)
				continue;
			if (bar->pb_base == 0)
				ktest_log(t, "%s BAR%u", pci_name(pd), b);
			KT_EXPECT_NE(t, bar->pb_base, 0ULL);
		}
	}
}

static uint64_t
slot_of(const struct pci_bar *bar)
{
	return bar->pb_type == PCI_BAR_IO || bar->pb_size >= PAGE ?
	    bar->pb_size : PAGE;
}

static bool
overlap(const struct pci_bar *a, const struct pci_bar *b)
{
	return (a->pb_type == PCI_BAR_IO) == (b->pb_type == PCI_BAR_IO) &&
	    a->pb_base < b->pb_base + slot_of(b) &&
	    b->pb_base < a->pb_base + slot_of(a);
}

/* Check bar against every assigned BAR after it in the table. */
static void
expect_no_overlap_after(struct ktest *t, unsigned i, unsigned b)
{
	const struct pci_bar *bar = &pci_dev_at(i)->pd_bar[b];

	for (unsigned j = i; j < pci_ndevs(); j++) {
		for (unsigned c = j == i ? b + 1 : 0; c < PCI_MAX_BARS; c++) {
			const struct pci_bar *o = &pci_dev_at(j)->pd_bar[c];

			if (o->pb_type == PCI_BAR_NONE || o->pb_base == 0)
				continue;
			if (overlap(bar, o))
				ktest_log(t, "%s BAR%u and %s BAR%u overlap",
				    pci_name(pci_dev_at(i)), b,
				    pci_name(pci_dev_at(j)), c);
			KT_EXPECT_FALSE(t, overlap(bar, o));
		}
	}
}

/*
 * Assigned BARs are naturally aligned, memory ones below the IOAPIC with
 * a page each, I/O ones in 0xc000-0xffff, and no two share an address.
 */
static void
assigned_bars_are_aligned_in_their_window_and_apart(struct ktest *t)
{
	for (unsigned i = 0; i < pci_ndevs(); i++) {
		for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
			const struct pci_bar *bar = &pci_dev_at(i)->pd_bar[b];

			if (bar->pb_type == PCI_BAR_NONE || bar->pb_base == 0)
				continue;
			KT_EXPECT_EQ(t, bar->pb_base % slot_of(bar), 0ULL);
			if (bar->pb_type == PCI_BAR_IO) {
				KT_EXPECT_GE(t, bar->pb_base, 0xc000ULL);
				KT_EXPECT_LE(t, bar->pb_base + bar->pb_size,
				    0x10000ULL);
			} else {
				KT_EXPECT_LE(t, bar->pb_base + bar->pb_size,
				    MEM_HOLE_END);
			}
			expect_no_overlap_after(t, i, b);
		}
	}
}

/* edu's BAR0, assigned by pci_init, maps and answers: ID, liveness. */
static void
edu_bar0_maps_and_the_device_answers(struct ktest *t)
{
	struct pci_dev *edu = find_edu_or_skip(t);
	volatile uint32_t *regs = pci_bar_map(edu, 0);

	KT_EXPECT_NULL(t, pci_bar_map(edu, 1));		/* not a BAR at all */
	KT_ASSERT_NOT_NULL(t, regs);
	pci_enable(edu);
	KT_EXPECT_NE(t, pci_conf_read16(edu, PCI_COMMAND) & 0x2, 0);
	KT_EXPECT_EQ(t, regs[EDU_ID_REG / 4] & 0xff, EDU_ID_LOW);
	KT_EXPECT_EQ(t, regs[EDU_ID_REG / 4], EDU_ID);
	regs[EDU_LIVENESS / 4] = 0x12345678;
	KT_EXPECT_EQ(t, regs[EDU_LIVENESS / 4], ~0x12345678U);
	regs[EDU_LIVENESS / 4] = 0;
	KT_EXPECT_EQ(t, regs[EDU_LIVENESS / 4], ~0U);
}

static void
every_pin_on_q35_reaches_a_pirq_gsi(struct ktest *t)
{
	for (unsigned i = 0; i < pci_ndevs(); i++) {
		const struct pci_dev *pd = pci_dev_at(i);

		if (pd->pd_intpin == 0) {
			KT_EXPECT_EQ(t, pd->pd_irq, -1);
			continue;
		}
		KT_EXPECT_GE(t, pd->pd_irq, 16);
		KT_EXPECT_LE(t, pd->pd_irq, 23);
	}
}

static void
two_edu_functions_in_one_slot_share_their_irq(struct ktest *t)
{
	struct pci_dev *a = find_edu_or_skip(t), *b;

	for (unsigned i = 1; (b = pci_find_device(QEMU_VENDOR, EDU, i)); i++)
		if (b->pd_bus == a->pd_bus && b->pd_dev == a->pd_dev)
			break;
	if (b == NULL)
		ktest_skip(t, "needs two edu functions in one slot "
		    "(--device edu,addr=05.0,multifunction=on "
		    "--device edu,addr=05.1)");
	KT_EXPECT_NE(t, a->pd_func, b->pd_func);
	KT_EXPECT_EQ(t, a->pd_intpin, 1);	/* edu raises INTA */
	KT_EXPECT_EQ(t, b->pd_intpin, 1);
	KT_EXPECT_NE(t, a->pd_irq, -1);
	KT_EXPECT_EQ(t, a->pd_irq, b->pd_irq);
}

/* ---- Interrupt vectors (dev/pci_irq.c, arch/x86_64/msi.c) on e1000e ---- */

static struct pci_dev *
find_e1000e_or_skip(struct ktest *t)
{
	struct pci_dev *pd = pci_find_device(INTEL, E1000E, 0);

	if (pd == NULL)
		ktest_skip(t, "no e1000e (q35's default NIC)");
	pci_enable(pd);
	return pd;
}

/* MSI-X table entry i of pd: address low, address high, data, control. */
static volatile uint32_t *
msix_entry(struct ktest *t, struct pci_dev *pd, unsigned i)
{
	uint32_t table = pci_conf_read32(pd, pd->pd_msix_cap + MSIX_TABLE);
	volatile uint8_t *bar = pci_bar_map(pd, table & 7);

	KT_ASSERT_NOT_NULL(t, bar);
	return (volatile uint32_t *)(bar + (table & ~7U)) + 4 * i;
}

static uint16_t
cap_ctrl(struct pci_dev *pd, unsigned cap)
{
	return pci_conf_read16(pd, cap + MSI_CTRL);
}

static void
expect_message(struct ktest *t, uint32_t addr, uint32_t data)
{
	KT_EXPECT_EQ(t, addr & MSI_ADDR_MASK, MSI_ADDR_BASE);
	KT_EXPECT_GE(t, data, (uint32_t)VEC_DEVICE_MIN);	/* fixed, edge */
	KT_EXPECT_LE(t, data, (uint32_t)VEC_DEVICE_MAX);
}

static void
msix_is_preferred_and_every_entry_gets_its_own_masked_message(
    struct ktest *t)
{
	struct pci_dev *nic = find_e1000e_or_skip(t);
	uint32_t data[5];
	int n = pci_alloc_irq_vectors(nic, 1, 8, PCI_IRQ_ALL_TYPES);

	KT_ASSERT_EQ(t, n, 5);
	KT_EXPECT_EQ(t, pci_irq_type(nic), PCI_IRQ_MSIX);
	KT_EXPECT_NE(t, cap_ctrl(nic, nic->pd_msix_cap) & MSIX_CTRL_ENABLE, 0);
	KT_EXPECT_NE(t, pci_conf_read16(nic, PCI_COMMAND) & PCI_CMD_INTX_OFF, 0);
	for (int i = 0; i < n; i++) {
		volatile uint32_t *e = msix_entry(t, nic, (unsigned)i);

		KT_EXPECT_GE(t, pci_irq_vector(nic, (unsigned)i), 0);
		expect_message(t, e[0], e[2]);
		KT_EXPECT_EQ(t, e[1], 0U);
		KT_EXPECT_EQ(t, e[3] & MSIX_VCTRL_MASK, MSIX_VCTRL_MASK);
		data[i] = e[2];
		for (int j = 0; j < i; j++) {
			KT_EXPECT_NE(t, pci_irq_vector(nic, (unsigned)i),
			    pci_irq_vector(nic, (unsigned)j));
			KT_EXPECT_NE(t, data[i], data[j]);
		}
	}
	KT_EXPECT_EQ(t, pci_irq_vector(nic, 5), -EINVAL);
	pci_free_irq_vectors(nic);
	KT_EXPECT_EQ(t, pci_irq_type(nic), 0U);
	KT_EXPECT_EQ(t, cap_ctrl(nic, nic->pd_msix_cap) & MSIX_CTRL_ENABLE, 0);
	KT_EXPECT_EQ(t, pci_conf_read16(nic, PCI_COMMAND) & PCI_CMD_INTX_OFF, 0);
}

static irqreturn_t nop_handler(int irq, void *dev) { return IRQ_NONE; }

static void
set_affinity_to(struct ktest *t, int irq, unsigned cpu)
{
	cpuset_t set = cpuset_of(cpu);

	KT_EXPECT_EQ(t, irq_set_affinity(irq, &set), 0);
}

/*
 * An entry is unmasked while an action is requested and masked again
 * after free_irq; a change of affinity rewrites its destination.
 */
static void
msix_entry_is_live_only_while_requested_and_follows_affinity(
    struct ktest *t)
{
	struct pci_dev *nic = find_e1000e_or_skip(t);
	volatile uint32_t *e0, *e1;
	uint32_t addr_cpu0;
	int irq, cookie;

	KT_ASSERT_EQ(t, pci_alloc_irq_vectors(nic, 2, 2, PCI_IRQ_MSIX), 2);
	irq = pci_irq_vector(nic, 0);
	e0 = msix_entry(t, nic, 0);
	e1 = msix_entry(t, nic, 1);
	addr_cpu0 = e0[0];
	KT_ASSERT_EQ(t, request_irq(irq, nop_handler, 0, "nic", &cookie), 0);
	KT_EXPECT_EQ(t, e0[3] & MSIX_VCTRL_MASK, 0U);
	KT_EXPECT_EQ(t, e1[3] & MSIX_VCTRL_MASK, MSIX_VCTRL_MASK);
	if (ncpu > 1) {
		set_affinity_to(t, irq, 1);
		KT_EXPECT_NE(t, e0[0], addr_cpu0);
		expect_message(t, e0[0], e0[2]);
		KT_EXPECT_EQ(t, e0[3] & MSIX_VCTRL_MASK, 0U);
		set_affinity_to(t, irq, 0);
		KT_EXPECT_EQ(t, e0[0], addr_cpu0);
	}
	free_irq(irq, &cookie);
	KT_EXPECT_EQ(t, e0[3] & MSIX_VCTRL_MASK, MSIX_VCTRL_MASK);
	pci_free_irq_vectors(nic);
}

/* Without MSI-X allowed: one MSI vector; min 2 fits neither MSI nor INTx. */
static void
msi_gives_one_vector_and_intx_the_routed_pin(struct ktest *t)
{
	struct pci_dev *nic = find_e1000e_or_skip(t);
	unsigned msi = nic->pd_msi_cap;

	KT_EXPECT_EQ(t, pci_alloc_irq_vectors(nic, 0, 1, PCI_IRQ_MSI), -EINVAL);
	KT_EXPECT_EQ(t, pci_alloc_irq_vectors(nic, 2, 4,
	    PCI_IRQ_MSI | PCI_IRQ_INTX), -ENOSPC);
	KT_ASSERT_EQ(t, pci_alloc_irq_vectors(nic, 1, 4,
	    PCI_IRQ_MSI | PCI_IRQ_INTX), 1);
	KT_EXPECT_EQ(t, pci_irq_type(nic), PCI_IRQ_MSI);
	KT_EXPECT_NE(t, cap_ctrl(nic, msi) & MSI_CTRL_ENABLE, 0);
	KT_EXPECT_NE(t, pci_conf_read16(nic, PCI_COMMAND) & PCI_CMD_INTX_OFF, 0);
	expect_message(t, pci_conf_read32(nic, msi + MSI_ADDR_LO),
	    pci_conf_read16(nic, msi + MSI_DATA_64));
	KT_EXPECT_EQ(t, pci_alloc_irq_vectors(nic, 1, 1, PCI_IRQ_MSI), -EINVAL);
	pci_free_irq_vectors(nic);
	KT_EXPECT_EQ(t, cap_ctrl(nic, msi) & MSI_CTRL_ENABLE, 0);
	KT_ASSERT_EQ(t, pci_alloc_irq_vectors(nic, 1, 1, PCI_IRQ_INTX), 1);
	KT_EXPECT_EQ(t, pci_irq_type(nic), PCI_IRQ_INTX);
	KT_EXPECT_EQ(t, pci_irq_vector(nic, 0), nic->pd_irq);
	KT_EXPECT_EQ(t, pci_conf_read16(nic, PCI_COMMAND) & PCI_CMD_INTX_OFF, 0);
	pci_free_irq_vectors(nic);
}

/*
 * MSI-X end to end on e1000e (82574 register layout, as QEMU models it):
 * IVAR routes the "other" interrupt cause to table entry E1000E_VEC, IMS
 * enables it, and a write of that cause to ICS makes the function send
 * the entry's message; the handler clears the cause in ICR so the next
 * write sends again.  While no action is requested the entry is masked,
 * so the function holds a message in its pending bit and sends it when
 * the next request unmasks the entry.
 */
#define E1000E_ICR	0x00c0		/* cause, write 1 to clear */
#define E1000E_ICS	0x00c8		/* cause set */
#define E1000E_IMS	0x00d0		/* mask set (enable) */
#define E1000E_IMC	0x00d8		/* mask clear */
#define E1000E_IVAR	0x00e4
#define E1000E_OTHER	(1U << 24)	/* the "other" cause */
#define E1000E_VEC	2
#define IVAR_OTHER(v)	((0x8U | (v)) << 16)	/* valid | vector */
#define SPIN_NS		(5ULL * 1000 * 1000 * 1000)
/*
 * Every message arms the vector's throttling timer (EITR, at least 500 x
 * 256 ns in QEMU), and QEMU 7.2 aborts (an assertion in
 * e1000e_intrmgr_on_msix_throttling_timer) if it expires with MSI-X off:
 * leave MSI-X on well past that.
 */
#define THROTTLE_NS	(10ULL * 1000 * 1000)

struct nic_irq {
	volatile uint32_t *ni_regs;
	volatile unsigned ni_calls;
	volatile int ni_cpu;
};

static irqreturn_t
nic_other(int irq, void *dev)
{
	struct nic_irq *ni = dev;

	ni->ni_regs[E1000E_ICR / 4] = E1000E_OTHER;
	ni->ni_cpu = (int)cpu_number();
	ni->ni_calls++;
	return IRQ_HANDLED;
}

static bool
calls_reach(struct nic_irq *ni, unsigned n)
{
	for (uint64_t t0 = nanouptime(); ni->ni_calls < n; )
		if (nanouptime() - t0 > SPIN_NS)
			return false;
	return true;
}

static void
msix_interrupts_arrive_follow_affinity_and_wait_while_masked(
    struct ktest *t)
{
	struct pci_dev *nic = find_e1000e_or_skip(t);
	struct nic_irq ni = { .ni_regs = pci_bar_map(nic, 0) };
	unsigned cpu = ncpu - 1;
	int irq;

	KT_ASSERT_NOT_NULL(t, ni.ni_regs);
	KT_ASSERT_EQ(t, pci_alloc_irq_vectors(nic, 5, 5, PCI_IRQ_MSIX), 5);
	irq = pci_irq_vector(nic, E1000E_VEC);
	KT_ASSERT_EQ(t, request_irq(irq, nic_other, IRQF_MODE(IRQ_MODE_HARD),
	    "nic", &ni), 0);
	ni.ni_regs[E1000E_IVAR / 4] = IVAR_OTHER(E1000E_VEC);
	ni.ni_regs[E1000E_IMS / 4] = E1000E_OTHER;
	set_affinity_to(t, irq, cpu);
	ni.ni_regs[E1000E_ICS / 4] = E1000E_OTHER;
	KT_EXPECT_TRUE(t, calls_reach(&ni, 1));
	KT_EXPECT_EQ(t, ni.ni_cpu, (int)cpu);
	set_affinity_to(t, irq, 0);
	ni.ni_regs[E1000E_ICS / 4] = E1000E_OTHER;
	KT_EXPECT_TRUE(t, calls_reach(&ni, 2));
	KT_EXPECT_EQ(t, ni.ni_cpu, 0);
	free_irq(irq, &ni);
	ni.ni_regs[E1000E_ICS / 4] = E1000E_OTHER;	/* held: masked */
	KT_ASSERT_EQ(t, request_irq(irq, nic_other, IRQF_MODE(IRQ_MODE_HARD),
	    "nic", &ni), 0);
	KT_EXPECT_TRUE(t, calls_reach(&ni, 3));
	ni.ni_regs[E1000E_IMC / 4] = E1000E_OTHER;
	free_irq(irq, &ni);
	delay_ns(THROTTLE_NS);
	pci_free_irq_vectors(nic);
}

KTEST_SUITE(pci,
    KTEST_CASE(q35_host_bridge_and_lpc_are_at_their_addresses),
    KTEST_CASE(functions_are_listed_in_bus_device_function_order),
    KTEST_CASE(ecam_and_port_io_agree_on_every_function_header),
    KTEST_CASE(port_io_cannot_reach_extended_config_space),
    KTEST_CASE(capability_walk_finds_the_msi_cap_of_edu),
    KTEST_CASE(edu_bar0_is_a_1_mib_mem32_bar),
    KTEST_CASE(bar_sizing_leaves_every_bar_and_command_word_unchanged),
    KTEST_CASE(bar_sizing_keeps_a_planted_address),
    KTEST_CASE(every_bar_on_bus_0_has_an_address),
    KTEST_CASE(assigned_bars_are_aligned_in_their_window_and_apart),
    KTEST_CASE(edu_bar0_maps_and_the_device_answers),
    KTEST_CASE(every_pin_on_q35_reaches_a_pirq_gsi),
    KTEST_CASE(two_edu_functions_in_one_slot_share_their_irq),
    KTEST_CASE(msix_is_preferred_and_every_entry_gets_its_own_masked_message),
    KTEST_CASE(msix_entry_is_live_only_while_requested_and_follows_affinity),
    KTEST_CASE(msi_gives_one_vector_and_intx_the_routed_pin),
    KTEST_CASE(msix_interrupts_arrive_follow_affinity_and_wait_while_masked));
