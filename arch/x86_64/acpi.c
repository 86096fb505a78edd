/*
 * acpi.c: the static ACPI tables: RSDP, RSDT/XSDT, MADT, HPET, MCFG.
 *
 * What it does
 *	Reads the handful of firmware tables an interrupt-centred kernel
 *	needs before it can start other CPUs or program an IOAPIC, and
 *	leaves the result in `acpi` (machine/acpi.h).  There is no AML
 *	interpreter; the DSDT is never opened.
 *
 * Finding the tables (ACPI 6.5 §5.2.5.1)
 *	On an IA-PC BIOS machine the RSDP sits on a 16-byte boundary either
 *	in the first KiB of the Extended BIOS Data Area, whose real-mode
 *	segment is the 16-bit word at physical 0x40e, or in the BIOS area
 *	0xe0000-0xfffff; the EBDA is searched first.  A revision >= 2 RSDP
 *	carries an XSDT address (§5.2.8, 64-bit entries), which is preferred
 *	to the RSDT (§5.2.7, 32-bit entries); if the XSDT is unusable the
 *	RSDT is tried.  Every table the root lists is checked, and the first
 *	MADT ("APIC"), HPET and MCFG are parsed.
 *
 * Trust
 *	Firmware tables are input, not truth.  Before any field of a table
 *	is read its length must lie between the 36-byte header and 1 MiB and
 *	within the bytes known to be readable, and its bytes must sum to 0
 *	(§5.2.6).  Inside the MADT every entry's length is checked against
 *	the table end before the entry is read: an entry of length < 2 or
 *	one running past the end stops the walk, and what was read before
 *	it is kept.  Every refusal is one klog line starting "acpi: " that
 *	names the table and the fault.  Nothing here panics.
 *
 * Defaults
 *	Whatever is missing is replaced by what a PC without ACPI would
 *	have: one CPU (the caller fills in the boot CPU's APIC id), the
 *	local APIC at 0xfee00000, one IOAPIC at 0xfec00000 with GSI base 0,
 *	no overrides (ISA IRQ n = GSI n), the 8259 pair present, no HPET,
 *	no MCFG.  The ai_*_valid flags say which parts came from firmware.
 *
 * Memory
 *	Only acpi_init() touches physical memory, through the direct map;
 *	everything else works on (pointer, length) pairs handed in by a map
 *	function, which is how the host tests (tests/host/test_acpi.py) run
 *	the whole search on recorded QEMU tables.  Only the first 4 GiB are
 *	guaranteed mapped when acpi_init() runs, so a table above 4 GiB (an
 *	XSDT may point there) is refused with a message.  Firmware places
 *	tables at any byte address (QEMU's MADT is at an odd one), so every
 *	layout below is packed and read in place.
 *
 * Locking
 *	None: acpi_init() runs once on the boot CPU before any other CPU
 *	starts, and `acpi` is read-only afterwards.
 */

#include <types.h>
#include <kassert.h>
#include <log.h>
#include <printf.h>
#include <string.h>
#include <machine/acpi.h>
#include <machine/vmparam.h>

struct acpi_info acpi;

/* ACPI 6.5 §5.2.5.3: Root System Description Pointer. */
struct acpi_rsdp {
	char		rp_signature[8];	/* "RSD PTR " */
	uint8_t		rp_checksum;		/* bytes 0-19 sum to 0 */
	char		rp_oem_id[6];
	uint8_t		rp_revision;		/* 0: ACPI 1.0, 2: 2.0 and up */
	uint32_t	rp_rsdt_pa;
	/* The rest only when rp_revision >= 2. */
	uint32_t	rp_length;		/* of the whole RSDP */
	uint64_t	rp_xsdt_pa;
	uint8_t		rp_ext_checksum;	/* rp_length bytes sum to 0 */
	uint8_t		rp_reserved[3];
} __packed;
CTASSERT(sizeof(struct acpi_rsdp) == 36);
#define RSDP_V1_LEN	20	/* bytes covered by rp_checksum */

/* §5.2.6: the header that opens every system description table. */
struct acpi_sdt_header {
	char		sh_signature[4];
	uint32_t	sh_length;		/* of the table, header included */
	uint8_t		sh_revision;
	uint8_t		sh_checksum;		/* sh_length bytes sum to 0 */
	char		sh_oem_id[6];
	char		sh_oem_table_id[8];
	uint32_t	sh_oem_revision;
	uint32_t	sh_creator_id;
	uint32_t	sh_creator_revision;
} __packed;
CTASSERT(sizeof(struct acpi_sdt_header) == 36);

/* §5.2.12: MADT fixed part; variable-length entries follow. */
struct acpi_madt {
	struct acpi_sdt_header ma_hdr;		/* "APIC" */
	uint32_t	ma_lapic_pa;
	uint32_t	ma_flags;
} __packed;
CTASSERT(sizeof(struct acpi_madt) == 44);
#define MADT_PCAT_COMPAT	0x1	/* §5.2.12, Multiple APIC Flags bit 0 */

/* §5.2.12: every MADT entry starts with its type and length. */
struct madt_entry {
	uint8_t		me_type;
	uint8_t		me_length;
} __packed;

enum madt_type {
	MADT_LAPIC = 0,			/* §5.2.12.2 */
	MADT_IOAPIC = 1,		/* §5.2.12.3 */
	MADT_IRQ_OVERRIDE = 2,		/* §5.2.12.5 */
	MADT_NMI_SOURCE = 3,		/* §5.2.12.6 */
	MADT_LAPIC_NMI = 4,		/* §5.2.12.7 */
	MADT_LAPIC_OVERRIDE = 5,	/* §5.2.12.8 */
	MADT_X2APIC = 9,		/* §5.2.12.12 */
	MADT_X2APIC_NMI = 0xa,		/* §5.2.12.13 */
};

/*
 * §5.2.12.2, Local APIC Flags: Enabled means usable now; Online Capable
 * (ACPI 6.3+, only meaningful when Enabled is clear) means the platform
 * can enable it later.  With neither, the entry must be ignored.
 */
#define MADT_CPU_ENABLED	0x1
#define MADT_CPU_ONLINE_CAPABLE	0x2

struct madt_lapic {			/* §5.2.12.2 */
	struct madt_entry ml_hdr;
	uint8_t		ml_uid;
	uint8_t		ml_apic_id;
	uint32_t	ml_flags;
} __packed;
CTASSERT(sizeof(struct madt_lapic) == 8);

struct madt_ioapic {			/* §5.2.12.3 */
	struct madt_entry mi_hdr;
	uint8_t		mi_id;
	uint8_t		mi_reserved;
	uint32_t	mi_pa;
	uint32_t	mi_gsi_base;
} __packed;
CTASSERT(sizeof(struct madt_ioapic) == 12);

struct madt_irq_override {		/* §5.2.12.5 */
	struct madt_entry mo_hdr;
	uint8_t		mo_bus;			/* 0: ISA */
	uint8_t		mo_irq;
	uint32_t	mo_gsi;
	uint16_t	mo_flags;		/* MPS INTI flags */
} __packed;
CTASSERT(sizeof(struct madt_irq_override) == 10);

struct madt_lapic_nmi {			/* §5.2.12.7 */
	struct madt_entry mn_hdr;
	uint8_t		mn_uid;			/* 0xff: all processors */
	uint16_t	mn_flags;		/* MPS INTI flags */
	uint8_t		mn_lint;
} __packed;
CTASSERT(sizeof(struct madt_lapic_nmi) == 6);

struct madt_lapic_override {		/* §5.2.12.8 */
	struct madt_entry mlo_hdr;
	uint16_t	mlo_reserved;
	uint64_t	mlo_pa;
} __packed;
CTASSERT(sizeof(struct madt_lapic_override) == 12);

struct madt_x2apic {			/* §5.2.12.12 */
	struct madt_entry mx_hdr;
	uint16_t	mx_reserved;
	uint32_t	mx_apic_id;
	uint32_t	mx_flags;		/* as ml_flags */
	uint32_t	mx_uid;
} __packed;
CTASSERT(sizeof(struct madt_x2apic) == 16);

struct madt_x2apic_nmi {		/* §5.2.12.13 */
	struct madt_entry mxn_hdr;
	uint16_t	mxn_flags;		/* MPS INTI flags */
	uint32_t	mxn_uid;		/* 0xffffffff: all processors */
	uint8_t		mxn_lint;
	uint8_t		mxn_reserved[3];
} __packed;
CTASSERT(sizeof(struct madt_x2apic_nmi) == 12);

/* §5.2.3.2: Generic Address Structure. */
struct acpi_gas {
	uint8_t		ga_space_id;		/* 0: system memory */
	uint8_t		ga_bit_width;
	uint8_t		ga_bit_offset;
	uint8_t		ga_access_size;
	uint64_t	ga_address;
} __packed;
CTASSERT(sizeof(struct acpi_gas) == 12);
#define GAS_SYSTEM_MEMORY	0

/* IA-PC HPET Specification 1.0a §3.2.4: the HPET description table. */
struct acpi_hpet_table {
	struct acpi_sdt_header ht_hdr;		/* "HPET" */
	uint32_t	ht_block_id;
	struct acpi_gas	ht_base;
	uint8_t		ht_number;
	uint16_t	ht_min_tick;
	uint8_t		ht_page_protection;
} __packed;
CTASSERT(sizeof(struct acpi_hpet_table) == 56);

/* PCI Firmware Specification 3.2 §4.1.2: the MCFG table. */
struct acpi_mcfg {
	struct acpi_sdt_header mc_hdr;		/* "MCFG" */
	uint8_t		mc_reserved[8];
} __packed;
CTASSERT(sizeof(struct acpi_mcfg) == 44);

struct acpi_mcfg_entry {		/* one per segment group range */
	uint64_t	mce_base;
	uint16_t	mce_segment;
	uint8_t		mce_start_bus;
	uint8_t		mce_end_bus;
	uint32_t	mce_reserved;
} __packed;
CTASSERT(sizeof(struct acpi_mcfg_entry) == 16);

/* Where §5.2.5.1 says to look for the RSDP. */
#define BDA_EBDA_SEGMENT	0x40e	/* word: EBDA real-mode segment */
#define EBDA_LOWEST		0x500	/* an EBDA below this overlaps the BDA */
#define EBDA_END		0xa0000	/* the EBDA lies below the VGA hole */
#define EBDA_SEARCH_LEN		1024
#define BIOS_AREA_START		0xe0000
#define BIOS_AREA_LEN		0x20000

/* Only physical memory below this is known to be in the direct map. */
#define ACPI_DMAP_LIMIT		(1UL << 32)

/*
 * A table's signature as a printable string: "MADT" for "APIC" and
 * "FADT" for "FACP" (the names the spec uses in prose), the signature
 * itself otherwise, with unprintable bytes as '?'.
 */
struct signame {
	char		s[5];
};

static struct signame
signame(const void *sig)
{
	const char *c = sig;
	struct signame n;
	int i;

	if (memcmp(sig, "APIC", 4) == 0)
		c = "MADT";
	else if (memcmp(sig, "FACP", 4) == 0)
		c = "FADT";
	for (i = 0; i < 4; i++)
		n.s[i] = (c[i] >= 0x20 && c[i] < 0x7f) ? c[i] : '?';
	n.s[4] = '\0';
	return n;
}

uint8_t
acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/*
 * MPS INTI flags (§5.2.12.5): polarity in bits 1:0, trigger mode in bits
 * 3:2; 00 = conforms to the bus, 01 = high / edge, 11 = low / level, 10 is
 * reserved.  Returns false for a reserved encoding, which is then treated
 * as conforming.
 */
static bool
inti_decode(uint16_t flags, enum acpi_polarity *pol, enum acpi_trigger *trig)
{
	static const enum acpi_polarity pols[4] = {
		ACPI_POLARITY_CONFORM, ACPI_POLARITY_HIGH,
		ACPI_POLARITY_CONFORM, ACPI_POLARITY_LOW,
	};
	static const enum acpi_trigger trigs[4] = {
		ACPI_TRIGGER_CONFORM, ACPI_TRIGGER_EDGE,
		ACPI_TRIGGER_CONFORM, ACPI_TRIGGER_LEVEL,
	};
	unsigned p = flags & 3, t = (flags >> 2) & 3;

	*pol = pols[p];
	*trig = trigs[t];
	return p != 2 && t != 2;
}

static void
default_cpus(struct acpi_info *out)
{
	out->ai_cpus_valid = false;
	out->ai_ncpus = 1;
	out->ai_ncpus_ignored = 0;
	out->ai_cpus[0] = (struct acpi_cpu){
		.ac_apic_id = 0, .ac_uid = 0, .ac_enabled = true,
	};
}

static void
default_ioapics(struct acpi_info *out)
{
	out->ai_ioapics_valid = false;
	out->ai_nioapics = 1;
	out->ai_nioapics_ignored = 0;
	out->ai_ioapics[0] = (struct acpi_ioapic){
		.aio_id = 0, .aio_pa = ACPI_DEFAULT_IOAPIC_PA, .aio_gsi_base = 0,
	};
}

void
acpi_set_defaults(struct acpi_info *out)
{
	memset(out, 0, sizeof(*out));
	out->ai_lapic_pa = ACPI_DEFAULT_LAPIC_PA;
	out->ai_pic8259 = true;
	default_cpus(out);
	default_ioapics(out);
}

/* ---- RSDP ---- */

/* rsdp_valid: check a signature match at physical pa, avail bytes long. */
static bool
rsdp_valid(const struct acpi_rsdp *r, size_t avail, paddr_t pa)
{
	uint8_t sum;

	sum = acpi_checksum(r, RSDP_V1_LEN);
	if (sum != 0) {
		kwarn("acpi: RSDP candidate at 0x%lx: checksum mismatch "
		    "(sum 0x%x), skipping", pa, sum);
		return false;
	}
	if (r->rp_revision < 2)
		return true;
	if (avail < sizeof(*r)) {
		kwarn("acpi: RSDP candidate at 0x%lx: revision %u RSDP runs "
		    "past the end of the search area, skipping", pa,
		    r->rp_revision);
		return false;
	}
	if (r->rp_length < sizeof(*r) || r->rp_length > avail) {
		kwarn("acpi: RSDP candidate at 0x%lx: revision %u with bad "
		    "length %u, skipping", pa, r->rp_revision, r->rp_length);
		return false;
	}
	sum = acpi_checksum(r, r->rp_length);
	if (sum != 0) {
		kwarn("acpi: RSDP candidate at 0x%lx: extended checksum "
		    "mismatch (sum 0x%x), skipping", pa, sum);
		return false;
	}
	return true;
}

/* oem_copy: a 6-byte OEM id as a C string without trailing blanks. */
static void
oem_copy(char dst[7], const char src[6])
{
	int i, n = 0;

	for (i = 0; i < 6; i++) {
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : ' ';
		if (dst[i] != ' ')
			n = i + 1;
	}
	dst[n] = '\0';
}

int
acpi_find_rsdp_in(const void *area, size_t len, paddr_t area_pa,
    struct acpi_info *out)
{
	const uint8_t *base = area;
	const struct acpi_rsdp *r;
	size_t off;

	KASSERTMSG((area_pa & 15) == 0, "RSDP search area 0x%lx unaligned",
	    area_pa);
	for (off = 0; len >= RSDP_V1_LEN && off <= len - RSDP_V1_LEN;
	    off += 16) {
		r = (const void *)(base + off);
		if (memcmp(r->rp_signature, "RSD PTR ", 8) != 0)
			continue;
		if (!rsdp_valid(r, len - off, area_pa + off))
			continue;
		out->ai_rsdp_valid = true;
		out->ai_rsdp_pa = area_pa + off;
		out->ai_rsdp_revision = r->rp_revision;
		oem_copy(out->ai_oem_id, r->rp_oem_id);
		out->ai_rsdt_pa = r->rp_rsdt_pa;
		out->ai_xsdt_pa = r->rp_revision >= 2 ? r->rp_xsdt_pa : 0;
		return 0;
	}
	return -ENOENT;
}

/* ---- Table checks ---- */

int
acpi_check_table(const void *table, size_t len)
{
	const struct acpi_sdt_header *h = table;
	uint32_t tlen;
	uint8_t sum;

	if (len < sizeof(*h)) {
		kwarn("acpi: table of %zu readable bytes is shorter than a "
		    "header, ignoring table", len);
		return -EINVAL;
	}
	tlen = h->sh_length;
	if (tlen < sizeof(*h)) {
		kwarn("acpi: %s length %u is smaller than its 36-byte header, "
		    "ignoring table", signame(h).s, tlen);
		return -EINVAL;
	}
	if (tlen > ACPI_TABLE_MAX) {
		kwarn("acpi: %s length %u is absurd (over 1 MiB), ignoring "
		    "table", signame(h).s, tlen);
		return -EINVAL;
	}
	if (tlen > len) {
		kwarn("acpi: %s length %u runs past the %zu bytes available "
		    "(truncated), ignoring table", signame(h).s, tlen, len);
		return -EINVAL;
	}
	sum = acpi_checksum(h, tlen);
	if (sum != 0) {
		kwarn("acpi: %s checksum mismatch (sum 0x%x), ignoring table",
		    signame(h).s, sum);
		return -EINVAL;
	}
	return 0;
}

/*
 * table_usable: acpi_check_table, plus the expected signature and a
 * length that covers the table's fixed part.
 */
static int
table_usable(const void *table, size_t len, const char *sig, size_t fixed)
{
	const struct acpi_sdt_header *h = table;

	if (acpi_check_table(table, len) != 0)
		return -EINVAL;
	if (memcmp(h->sh_signature, sig, 4) != 0) {
		kwarn("acpi: expected %s, found signature '%s', ignoring table",
		    signame(sig).s, signame(h).s);
		return -EINVAL;
	}
	if (h->sh_length < fixed) {
		kwarn("acpi: %s length %u is shorter than its %zu-byte fixed "
		    "part, ignoring table", signame(h).s, h->sh_length, fixed);
		return -EINVAL;
	}
	return 0;
}

/* ---- MADT ---- */

static void
madt_add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t uid,
    uint32_t flags, bool x2apic)
{
	unsigned i;

	if ((flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)) == 0) {
		kdebug("acpi: MADT CPU uid %u APIC id %u neither enabled nor "
		    "online capable, skipped", uid, apic_id);
		return;
	}
	for (i = 0; i < out->ai_ncpus; i++) {
		if (out->ai_cpus[i].ac_apic_id == apic_id) {
			kwarn("acpi: MADT lists APIC id %u twice (uid %u and "
			    "%u), keeping the first", apic_id,
			    out->ai_cpus[i].ac_uid, uid);
			return;
		}
	}
	if (out->ai_ncpus == ACPI_MAX_CPUS) {
		out->ai_ncpus_ignored++;
		return;
	}
	out->ai_cpus[out->ai_ncpus++] = (struct acpi_cpu){
		.ac_apic_id = apic_id,
		.ac_uid = uid,
		.ac_enabled = (flags & MADT_CPU_ENABLED) != 0,
		.ac_x2apic = x2apic,
	};
}

static void
madt_add_ioapic(struct acpi_info *out, const struct madt_ioapic *e)
{
	if (out->ai_nioapics == ACPI_MAX_IOAPICS) {
		out->ai_nioapics_ignored++;
		return;
	}
	out->ai_ioapics[out->ai_nioapics++] = (struct acpi_ioapic){
		.aio_id = e->mi_id,
		.aio_pa = e->mi_pa,
		.aio_gsi_base = e->mi_gsi_base,
	};
}

static void
madt_add_override(struct acpi_info *out, const struct madt_irq_override *e)
{
	struct acpi_irq_override *o;

	if (out->ai_noverrides == ACPI_MAX_OVERRIDES) {
		out->ai_noverrides_ignored++;
		return;
	}
	o = &out->ai_overrides[out->ai_noverrides++];
	o->ao_bus = e->mo_bus;
	o->ao_irq = e->mo_irq;
	o->ao_gsi = e->mo_gsi;
	o->ao_flags = e->mo_flags;
	if (!inti_decode(o->ao_flags, &o->ao_polarity, &o->ao_trigger))
		kwarn("acpi: MADT override of IRQ %u has reserved flags 0x%x, "
		    "treating them as bus-conforming", o->ao_irq, o->ao_flags);
}

static void
madt_add_nmi(struct acpi_info *out, uint32_t uid, uint8_t lint,
    uint16_t flags)
{
	struct acpi_lapic_nmi *n;

	if (out->ai_nnmis == ACPI_MAX_LAPIC_NMIS) {
		out->ai_nnmis_ignored++;
		return;
	}
	n = &out->ai_nmis[out->ai_nnmis++];
	n->an_uid = uid;
	n->an_lint = lint;
	n->an_flags = flags;
	if (!inti_decode(flags, &n->an_polarity, &n->an_trigger))
		kwarn("acpi: MADT local APIC NMI (LINT%u) has reserved flags "
		    "0x%x, treating them as bus-conforming", lint, flags);
}

/* madt_entry_fits: is entry e, at offset off, long enough for its type? */
static bool
madt_entry_fits(const struct madt_entry *e, size_t off, size_t need)
{
	if (e->me_length >= need)
		return true;
	kwarn("acpi: MADT entry type %u at offset %zu is %u bytes, shorter "
	    "than the %zu its type needs, skipping it", e->me_type, off,
	    e->me_length, need);
	return false;
}

/* madt_entry: read one entry whose length was checked against the table. */
static void
madt_entry(const struct madt_entry *e, size_t off, struct acpi_info *out)
{
	const struct madt_lapic *l = (const void *)e;
	const struct madt_x2apic *x = (const void *)e;
	const struct madt_lapic_nmi *n = (const void *)e;
	const struct madt_x2apic_nmi *xn = (const void *)e;
	const struct madt_lapic_override *lo = (const void *)e;

	switch (e->me_type) {
	case MADT_LAPIC:
		if (!madt_entry_fits(e, off, sizeof(*l)))
			break;
		/* 0xff is the xAPIC broadcast id, never a CPU's. */
		if (l->ml_apic_id == 0xff) {
			if (l->ml_flags & (MADT_CPU_ENABLED |
			    MADT_CPU_ONLINE_CAPABLE))
				kwarn("acpi: MADT CPU uid %u has APIC id 0xff, "
				    "skipping it", l->ml_uid);
			break;
		}
		madt_add_cpu(out, l->ml_apic_id, l->ml_uid, l->ml_flags,
		    false);
		break;
	case MADT_X2APIC:
		if (!madt_entry_fits(e, off, sizeof(*x)))
			break;
		madt_add_cpu(out, x->mx_apic_id, x->mx_uid, x->mx_flags, true);
		break;
	case MADT_IOAPIC:
		if (madt_entry_fits(e, off, sizeof(struct madt_ioapic)))
			madt_add_ioapic(out, (const void *)e);
		break;
	case MADT_IRQ_OVERRIDE:
		if (madt_entry_fits(e, off, sizeof(struct madt_irq_override)))
			madt_add_override(out, (const void *)e);
		break;
	case MADT_LAPIC_NMI:
		if (madt_entry_fits(e, off, sizeof(*n)))
			madt_add_nmi(out, n->mn_uid == 0xff ? ACPI_UID_ALL_CPUS :
			    n->mn_uid, n->mn_lint, n->mn_flags);
		break;
	case MADT_X2APIC_NMI:
		if (madt_entry_fits(e, off, sizeof(*xn)))
			madt_add_nmi(out, xn->mxn_uid, xn->mxn_lint,
			    xn->mxn_flags);
		break;
	case MADT_LAPIC_OVERRIDE:
		/* §5.2.12.8: replaces ma_lapic_pa wherever the entry sits. */
		if (madt_entry_fits(e, off, sizeof(*lo))) {
			out->ai_lapic_pa = lo->mlo_pa;
			out->ai_lapic_overridden = true;
		}
		break;
	default:
		kdebug("acpi: MADT entry type %u at offset %zu not used",
		    e->me_type, off);
		break;
	}
}

/* madt_finish: report what was dropped, default what is missing. */
static void
madt_finish(struct acpi_info *out)
{
	if (out->ai_ncpus == 0) {
		kwarn("acpi: MADT lists no usable CPU; assuming one");
		default_cpus(out);
	} else if (out->ai_ncpus_ignored != 0) {
		kwarn("acpi: MADT lists %u CPUs; using the first %u, "
		    "ignoring %u", out->ai_ncpus + out->ai_ncpus_ignored,
		    out->ai_ncpus, out->ai_ncpus_ignored);
	}
	if (out->ai_nioapics == 0) {
		kwarn("acpi: MADT lists no IOAPIC; assuming one at 0x%lx",
		    ACPI_DEFAULT_IOAPIC_PA);
		default_ioapics(out);
	} else if (out->ai_nioapics_ignored != 0) {
		kwarn("acpi: MADT lists %u IOAPICs; ignoring all past the "
		    "first %u", out->ai_nioapics + out->ai_nioapics_ignored,
		    out->ai_nioapics);
	}
	if (out->ai_noverrides_ignored != 0)
		kwarn("acpi: MADT lists %u interrupt overrides; ignoring all "
		    "past the first %u",
		    out->ai_noverrides + out->ai_noverrides_ignored,
		    out->ai_noverrides);
	if (out->ai_nnmis_ignored != 0)
		kwarn("acpi: MADT lists %u local APIC NMIs; ignoring all past "
		    "the first %u", out->ai_nnmis + out->ai_nnmis_ignored,
		    out->ai_nnmis);
	if (out->ai_lapic_pa == 0) {
		kwarn("acpi: MADT gives local APIC address 0; using 0x%lx",
		    ACPI_DEFAULT_LAPIC_PA);
		out->ai_lapic_pa = ACPI_DEFAULT_LAPIC_PA;
		out->ai_lapic_overridden = false;
	}
}

int
acpi_parse_madt(const void *table, size_t len, struct acpi_info *out)
{
	const struct acpi_madt *m = table;
	const uint8_t *p = table;
	const struct madt_entry *e;
	size_t off, end;

	if (table_usable(table, len, "APIC", sizeof(*m)) != 0)
		return -EINVAL;

	out->ai_cpus_valid = true;
	out->ai_ioapics_valid = true;
	out->ai_ncpus = out->ai_ncpus_ignored = 0;
	out->ai_nioapics = out->ai_nioapics_ignored = 0;
	out->ai_noverrides = out->ai_noverrides_ignored = 0;
	out->ai_nnmis = out->ai_nnmis_ignored = 0;
	out->ai_lapic_pa = m->ma_lapic_pa;
	out->ai_lapic_overridden = false;
	out->ai_pic8259 = (m->ma_flags & MADT_PCAT_COMPAT) != 0;

	end = m->ma_hdr.sh_length;
	for (off = sizeof(*m); off < end; off += e->me_length) {
		e = (const void *)(p + off);
		if (end - off < sizeof(*e)) {
			kwarn("acpi: MADT entry at offset %zu is cut off by "
			    "the table end (%zu), stopping; keeping earlier "
			    "entries", off, end);
			break;
		}
		if (e->me_length < sizeof(*e)) {
			kwarn("acpi: MADT entry type %u at offset %zu has "
			    "length %u, stopping; keeping earlier entries",
			    e->me_type, off, e->me_length);
			break;
		}
		if (e->me_length > end - off) {
			kwarn("acpi: MADT entry type %u at offset %zu (length "
			    "%u) runs past the table end (%zu), stopping; "
			    "keeping earlier entries", e->me_type, off,
			    e->me_length, end);
			break;
		}
		madt_entry(e, off, out);
	}
	madt_finish(out);
	out->ai_madt_valid = true;
	return 0;
}

/* ---- HPET ---- */

int
acpi_parse_hpet(const void *table, size_t len, struct acpi_info *out)
{
	const struct acpi_hpet_table *h = table;

	if (table_usable(table, len, "HPET", sizeof(*h)) != 0)
		return -EINVAL;
	if (h->ht_base.ga_space_id != GAS_SYSTEM_MEMORY) {
		kwarn("acpi: HPET registers are in address space %u, not "
		    "memory, ignoring table", h->ht_base.ga_space_id);
		return -EINVAL;
	}
	if (h->ht_base.ga_address == 0) {
		kwarn("acpi: HPET base address is 0, ignoring table");
		return -EINVAL;
	}
	out->ai_hpet = (struct acpi_hpet){
		.ah_present = true,
		.ah_pa = h->ht_base.ga_address,
		.ah_number = h->ht_number,
		.ah_min_tick = h->ht_min_tick,
		.ah_block_id = h->ht_block_id,
	};
	return 0;
}

/* ---- MCFG ---- */

int
acpi_parse_mcfg(const void *table, size_t len, struct acpi_info *out)
{
	const struct acpi_mcfg *m = table;
	const struct acpi_mcfg_entry *e;
	size_t body, i, n;

	if (table_usable(table, len, "MCFG", sizeof(*m)) != 0)
		return -EINVAL;
	body = m->mc_hdr.sh_length - sizeof(*m);
	n = body / sizeof(*e);
	if (body % sizeof(*e) != 0)
		kwarn("acpi: MCFG has %zu bytes after its last whole entry, "
		    "ignoring them", body % sizeof(*e));
	e = (const void *)(m + 1);
	out->ai_nmcfg = out->ai_nmcfg_ignored = 0;
	for (i = 0; i < n; i++, e++) {
		if (e->mce_start_bus > e->mce_end_bus || e->mce_base == 0) {
			kwarn("acpi: MCFG entry %zu (segment %u buses %u-%u at "
			    "0x%lx) is invalid, skipping it", i,
			    e->mce_segment, e->mce_start_bus, e->mce_end_bus,
			    (unsigned long)e->mce_base);
			continue;
		}
		if (out->ai_nmcfg == ACPI_MAX_MCFG) {
			out->ai_nmcfg_ignored++;
			continue;
		}
		out->ai_mcfg[out->ai_nmcfg++] = (struct acpi_mcfg_seg){
			.am_base = e->mce_base,
			.am_segment = e->mce_segment,
			.am_start_bus = e->mce_start_bus,
			.am_end_bus = e->mce_end_bus,
		};
	}
	if (out->ai_nmcfg_ignored != 0)
		kwarn("acpi: MCFG lists %u segments; ignoring all past the "
		    "first %u", out->ai_nmcfg + out->ai_nmcfg_ignored,
		    out->ai_nmcfg);
	if (out->ai_nmcfg == 0)
		kwarn("acpi: MCFG lists no usable segment");
	return 0;
}

/* ---- Finding and walking the tables ---- */

/* rsdp_locate: §5.2.5.1, the EBDA's first KiB, then the BIOS area. */
static int
rsdp_locate(acpi_map_fn *map, void *arg, struct acpi_info *out)
{
	const void *p;
	uint16_t seg;
	paddr_t ebda;
	size_t len;

	p = map(BDA_EBDA_SEGMENT, sizeof(seg), arg);
	if (p != NULL) {
		memcpy(&seg, p, sizeof(seg));
		ebda = (paddr_t)seg << 4;
		if (ebda >= EBDA_LOWEST && ebda < EBDA_END) {
			len = MIN(EBDA_SEARCH_LEN, EBDA_END - ebda);
			p = map(ebda, len, arg);
			if (p != NULL &&
			    acpi_find_rsdp_in(p, len, ebda, out) == 0)
				return 0;
		}
	}
	p = map(BIOS_AREA_START, BIOS_AREA_LEN, arg);
	if (p != NULL &&
	    acpi_find_rsdp_in(p, BIOS_AREA_LEN, BIOS_AREA_START, out) == 0)
		return 0;
	return -ENOENT;
}

/*
 * table_map: map the table at pa and check it (acpi_check_table).  Returns
 * it, or NULL after saying why.  what names the table for messages about
 * its address, before its signature can be read.
 */
static const struct acpi_sdt_header *
table_map(acpi_map_fn *map, void *arg, paddr_t pa, const char *what)
{
	const struct acpi_sdt_header *h;
	size_t len;

	if (pa == 0) {
		kwarn("acpi: %s address is 0, ignoring it", what);
		return NULL;
	}
	h = map(pa, sizeof(*h), arg);
	if (h == NULL) {
		kwarn("acpi: %s at 0x%lx is outside mapped memory, ignoring "
		    "table", what, pa);
		return NULL;
	}
	/* A length acpi_check_table will refuse is not worth mapping. */
	len = h->sh_length;
	if (len < sizeof(*h) || len > ACPI_TABLE_MAX)
		len = sizeof(*h);
	h = map(pa, len, arg);
	if (h == NULL) {
		kwarn("acpi: %s at 0x%lx (%zu bytes) is outside mapped memory, "
		    "ignoring table", what, pa, len);
		return NULL;
	}
	if (acpi_check_table(h, len) != 0)
		return NULL;
	return h;
}

/* root_map: the XSDT if the RSDP offers one that is usable, else the RSDT. */
static const struct acpi_sdt_header *
root_map(acpi_map_fn *map, void *arg, struct acpi_info *out)
{
	const struct acpi_sdt_header *h;

	if (out->ai_rsdp_revision >= 2 && out->ai_xsdt_pa != 0) {
		h = table_map(map, arg, out->ai_xsdt_pa, "XSDT");
		if (h != NULL && memcmp(h->sh_signature, "XSDT", 4) == 0) {
			out->ai_root_pa = out->ai_xsdt_pa;
			out->ai_root_is_xsdt = true;
			return h;
		}
		kwarn("acpi: XSDT at 0x%lx unusable%s, trying the RSDT",
		    out->ai_xsdt_pa, h != NULL ? " (wrong signature)" : "");
	}
	h = table_map(map, arg, out->ai_rsdt_pa, "RSDT");
	if (h != NULL && memcmp(h->sh_signature, "RSDT", 4) == 0) {
		out->ai_root_pa = out->ai_rsdt_pa;
		out->ai_root_is_xsdt = false;
		return h;
	}
	if (h != NULL)
		kwarn("acpi: RSDT at 0x%lx has signature '%s'",
		    out->ai_rsdt_pa, signame(h).s);
	return NULL;
}

/* table_use: hand a checked table to its parser; only the first counts. */
static void
table_use(const struct acpi_sdt_header *h, paddr_t pa, struct acpi_info *out)
{
	const char *sig = h->sh_signature;
	bool seen;

	if (memcmp(sig, "APIC", 4) == 0)
		seen = out->ai_madt_valid;
	else if (memcmp(sig, "HPET", 4) == 0)
		seen = out->ai_hpet.ah_present;
	else if (memcmp(sig, "MCFG", 4) == 0)
		seen = out->ai_nmcfg != 0;
	else {
		kdebug("acpi: %s at 0x%lx, %u bytes, not used", signame(h).s,
		    pa, h->sh_length);
		return;
	}
	if (seen) {
		kwarn("acpi: second %s at 0x%lx ignored; using the first",
		    signame(h).s, pa);
		return;
	}
	if (memcmp(sig, "APIC", 4) == 0)
		(void)acpi_parse_madt(h, h->sh_length, out);
	else if (memcmp(sig, "HPET", 4) == 0)
		(void)acpi_parse_hpet(h, h->sh_length, out);
	else
		(void)acpi_parse_mcfg(h, h->sh_length, out);
}

/* root_walk: check and use every table the RSDT or XSDT lists. */
static void
root_walk(acpi_map_fn *map, void *arg, const struct acpi_sdt_header *root,
    struct acpi_info *out)
{
	const uint8_t *ents = (const uint8_t *)(root + 1);
	const struct acpi_sdt_header *h;
	size_t body, esize, i, n;
	uint32_t pa32;
	uint64_t pa;

	esize = out->ai_root_is_xsdt ? 8 : 4;
	body = root->sh_length - sizeof(*root);
	n = body / esize;
	if (body % esize != 0)
		kwarn("acpi: %s has %zu bytes after its last whole entry, "
		    "ignoring them", signame(root).s, body % esize);
	for (i = 0; i < n; i++) {
		if (esize == 8) {
			memcpy(&pa, ents + i * 8, 8);
		} else {
			memcpy(&pa32, ents + i * 4, 4);
			pa = pa32;
		}
		h = table_map(map, arg, pa, "table");
		if (h != NULL)
			table_use(h, pa, out);
	}
}

int
acpi_load(acpi_map_fn *map, void *arg, struct acpi_info *out)
{
	const struct acpi_sdt_header *root;

	acpi_set_defaults(out);
	if (rsdp_locate(map, arg, out) != 0) {
		kwarn("acpi: no RSDP found; assuming one CPU and the standard "
		    "IOAPIC at 0x%lx", ACPI_DEFAULT_IOAPIC_PA);
		return -ENOENT;
	}
	root = root_map(map, arg, out);
	if (root == NULL) {
		kwarn("acpi: no usable RSDT or XSDT; assuming one CPU and the "
		    "standard IOAPIC at 0x%lx", ACPI_DEFAULT_IOAPIC_PA);
		return -EINVAL;
	}
	root_walk(map, arg, root, out);
	if (!out->ai_madt_valid)
		kwarn("acpi: no usable MADT; assuming one CPU, the LAPIC at "
		    "0x%lx and the IOAPIC at 0x%lx", ACPI_DEFAULT_LAPIC_PA,
		    ACPI_DEFAULT_IOAPIC_PA);
	return 0;
}

/* dmap_map: acpi_map_fn over the direct map's guaranteed part. */
static const void *
dmap_map(paddr_t pa, size_t len, void *arg)
{
	if (pa >= ACPI_DMAP_LIMIT || len > ACPI_DMAP_LIMIT - pa)
		return NULL;
	return PHYS_TO_DMAP(pa);
}

int
acpi_init(void)
{
	return acpi_load(dmap_map, NULL, &acpi);
}

const struct acpi_irq_override *
acpi_irq_override_find(const struct acpi_info *ai, unsigned irq)
{
	unsigned i;

	for (i = 0; i < ai->ai_noverrides; i++)
		if (ai->ai_overrides[i].ao_bus == 0 &&
		    ai->ai_overrides[i].ao_irq == irq)
			return &ai->ai_overrides[i];
	return NULL;
}

/* ---- Summary ---- */

/* A line built piecewise; overflow truncates rather than spills. */
struct line {
	char		buf[512];
	size_t		len;
};

static void line_add(struct line *l, const char *fmt, ...) __printflike(2, 3);

static void
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = MIN(l->len + (size_t)n, sizeof(l->buf) - 1);
}

static const char *
polarity_name(enum acpi_polarity p)
{
	return p == ACPI_POLARITY_HIGH ? "high" :
	    p == ACPI_POLARITY_LOW ? "low" : "conform";
}

static const char *
trigger_name(enum acpi_trigger t)
{
	return t == ACPI_TRIGGER_EDGE ? "edge" :
	    t == ACPI_TRIGGER_LEVEL ? "level" : "conform";
}

static void
print_madt(const struct acpi_info *ai)
{
	struct line l = { .len = 0 };
	unsigned i, offline = 0;

	for (i = 0; i < ai->ai_ncpus; i++)
		if (!ai->ai_cpus[i].ac_enabled)
			offline++;
	line_add(&l, "acpi: MADT%s: %u CPU%s", ai->ai_madt_valid ? "" :
	    " missing, defaults", ai->ai_ncpus, ai->ai_ncpus == 1 ? "" : "s");
	if (offline != 0)
		line_add(&l, " (%u only online-capable)", offline);
	if (!ai->ai_cpus_valid && ai->ai_madt_valid)
		line_add(&l, " (default)");
	line_add(&l, ", %u IOAPIC%s (", ai->ai_nioapics,
	    ai->ai_nioapics == 1 ? "" : "s");
	for (i = 0; i < ai->ai_nioapics; i++)
		line_add(&l, "%sid %u at 0x%lx, GSI %u", i ? "; " : "",
		    ai->ai_ioapics[i].aio_id, ai->ai_ioapics[i].aio_pa,
		    ai->ai_ioapics[i].aio_gsi_base);
	line_add(&l, ")%s, %u override%s, LAPIC at 0x%lx%s%s",
	    !ai->ai_ioapics_valid && ai->ai_madt_valid ? " (default)" : "",
	    ai->ai_noverrides, ai->ai_noverrides == 1 ? "" : "s",
	    ai->ai_lapic_pa, ai->ai_lapic_overridden ? " (override)" : "",
	    ai->ai_pic8259 ? ", 8259 present" : "");
	klog(LOG_INFO, "%s", l.buf);
}

static void
print_overrides(const struct acpi_info *ai)
{
	const struct acpi_irq_override *o;
	struct line l = { .len = 0 };
	unsigned i;

	if (ai->ai_noverrides == 0)
		return;
	line_add(&l, "acpi: overrides:");
	for (i = 0; i < ai->ai_noverrides; i++) {
		o = &ai->ai_overrides[i];
		line_add(&l, " %sIRQ%u->GSI%u", o->ao_bus ? "bus?" : "",
		    o->ao_irq, o->ao_gsi);
		if (o->ao_polarity != ACPI_POLARITY_CONFORM ||
		    o->ao_trigger != ACPI_TRIGGER_CONFORM)
			line_add(&l, " %s/%s", trigger_name(o->ao_trigger),
			    polarity_name(o->ao_polarity));
		line_add(&l, i + 1 < ai->ai_noverrides ? "," : "");
	}
	klog(LOG_INFO, "%s", l.buf);
}

static void
print_nmis(const struct acpi_info *ai)
{
	const struct acpi_lapic_nmi *n;
	struct line l = { .len = 0 };
	unsigned i;

	if (ai->ai_nnmis == 0)
		return;
	line_add(&l, "acpi: LAPIC NMI:");
	for (i = 0; i < ai->ai_nnmis; i++) {
		n = &ai->ai_nmis[i];
		if (n->an_uid == ACPI_UID_ALL_CPUS)
			line_add(&l, " all CPUs");
		else
			line_add(&l, " uid %u", n->an_uid);
		line_add(&l, " LINT%u%s", n->an_lint,
		    i + 1 < ai->ai_nnmis ? "," : "");
	}
	klog(LOG_INFO, "%s", l.buf);
}

static void
print_mcfg(const struct acpi_info *ai)
{
	const struct acpi_mcfg_seg *s;
	struct line l = { .len = 0 };
	unsigned i;

	if (ai->ai_nmcfg == 0) {
		klog(LOG_INFO, "acpi: MCFG: none");
		return;
	}
	line_add(&l, "acpi: MCFG:");
	for (i = 0; i < ai->ai_nmcfg; i++) {
		s = &ai->ai_mcfg[i];
		line_add(&l, "%s segment %u buses %u-%u at 0x%lx",
		    i ? ";" : "", s->am_segment, s->am_start_bus,
		    s->am_end_bus, s->am_base);
	}
	klog(LOG_INFO, "%s", l.buf);
}

void
acpi_print_info(const struct acpi_info *ai)
{
	if (ai->ai_rsdp_valid)
		klog(LOG_INFO, "acpi: RSDP rev %u at 0x%lx, OEM %s, %s at 0x%lx",
		    ai->ai_rsdp_revision, ai->ai_rsdp_pa, ai->ai_oem_id,
		    ai->ai_root_is_xsdt ? "XSDT" : "RSDT", ai->ai_root_pa);
	else
		klog(LOG_INFO, "acpi: no RSDP");
	print_madt(ai);
	print_overrides(ai);
	print_nmis(ai);
	if (ai->ai_hpet.ah_present)
		klog(LOG_INFO, "acpi: HPET at 0x%lx (number %u, min tick %u)",
		    ai->ai_hpet.ah_pa, ai->ai_hpet.ah_number,
		    ai->ai_hpet.ah_min_tick);
	else
		klog(LOG_INFO, "acpi: HPET: none");
	print_mcfg(ai);
}

void
acpi_print(void)
{
	acpi_print_info(&acpi);
}
