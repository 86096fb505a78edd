/*
 * acpi.h: what the firmware's static ACPI tables say about the machine.
 *
 * acpi_init() finds the RSDP, walks the RSDT or XSDT and reads three
 * tables: the MADT (CPUs, local APIC, IOAPICs, ISA interrupt overrides,
 * local APIC NMI wiring, whether the 8259 pair exists), the HPET table and
 * the MCFG (PCI Express configuration space).  There is no AML interpreter:
 * nothing in the DSDT or SSDTs is read.
 *
 * Whatever the firmware gets wrong, acpi_init() leaves `acpi` usable: each
 * part the tables did not supply holds a documented default (one CPU, the
 * local APIC at 0xfee00000, one IOAPIC at 0xfec00000 with GSI base 0, no
 * overrides, the 8259 present, no HPET, no MCFG), and the ai_*_valid flags
 * say which parts came from firmware.
 *
 * The parsers (acpi_parse_*, acpi_find_rsdp_in, acpi_check_table) are pure
 * functions of a buffer and its length, so the host tests in tests/host/
 * can feed them synthetic and recorded tables; only acpi_init() reads
 * physical memory.
 *
 * Locking: none.  acpi_init() runs once on the boot CPU before any other
 * CPU starts; afterwards `acpi` is read-only and anyone may read it.
 */
#ifndef MACHINE_ACPI_H
#define MACHINE_ACPI_H

#include <types.h>

#define ACPI_MAX_CPUS		64	/* = MAXCPUS; further CPUs are ignored */
#define ACPI_MAX_IOAPICS	8
#define ACPI_MAX_OVERRIDES	16
#define ACPI_MAX_LAPIC_NMIS	16
#define ACPI_MAX_MCFG		4

#define ACPI_TABLE_MAX		(1024 * 1024)	/* longer tables are refused */

#define ACPI_DEFAULT_LAPIC_PA	0xfee00000UL
#define ACPI_DEFAULT_IOAPIC_PA	0xfec00000UL

/* an_uid value of a local APIC NMI entry that applies to every CPU */
#define ACPI_UID_ALL_CPUS	0xffffffffU

/* Polarity, MPS INTI flags bits 1:0 (ACPI 6.5 §5.2.12.5). */
enum acpi_polarity {
	ACPI_POLARITY_CONFORM = 0,	/* as the bus specifies (ISA: high) */
	ACPI_POLARITY_HIGH,		/* active high */
	ACPI_POLARITY_LOW,		/* active low */
};

/* Trigger mode, MPS INTI flags bits 3:2. */
enum acpi_trigger {
	ACPI_TRIGGER_CONFORM = 0,	/* as the bus specifies (ISA: edge) */
	ACPI_TRIGGER_EDGE,
	ACPI_TRIGGER_LEVEL,
};

/* A processor, from a Processor Local APIC or Local x2APIC entry. */
struct acpi_cpu {
	uint32_t	ac_apic_id;	/* local APIC id (x2APIC id if ac_x2apic) */
	uint32_t	ac_uid;		/* ACPI processor UID */
	bool		ac_enabled;	/* usable now; false: only online capable */
	bool		ac_x2apic;	/* came from a Local x2APIC entry (type 9) */
};

/* An I/O APIC (MADT type 1). */
struct acpi_ioapic {
	uint8_t		aio_id;		/* I/O APIC id */
	paddr_t		aio_pa;		/* physical address of its registers */
	uint32_t	aio_gsi_base;	/* GSI of its input 0 */
};

/* An Interrupt Source Override (MADT type 2): bus IRQ -> GSI. */
struct acpi_irq_override {
	uint8_t		ao_bus;		/* 0: ISA, the only bus the spec defines */
	uint8_t		ao_irq;		/* bus-relative IRQ (ISA 0-15) */
	uint32_t	ao_gsi;		/* the GSI it is wired to */
	uint16_t	ao_flags;	/* raw MPS INTI flags */
	enum acpi_polarity ao_polarity;	/* decoded from ao_flags */
	enum acpi_trigger ao_trigger;	/* decoded from ao_flags */
};

/* How NMI reaches a local APIC (MADT types 4 and 0xA). */
struct acpi_lapic_nmi {
	uint32_t	an_uid;		/* processor UID, or ACPI_UID_ALL_CPUS */
	uint8_t		an_lint;	/* local APIC input: 0 = LINT0, 1 = LINT1 */
	uint16_t	an_flags;	/* raw MPS INTI flags */
	enum acpi_polarity an_polarity;	/* decoded from an_flags */
	enum acpi_trigger an_trigger;	/* decoded from an_flags */
};

/* The first HPET table (IA-PC HPET spec 1.0a §3.2.4). */
struct acpi_hpet {
	bool		ah_present;	/* false: no usable HPET table */
	paddr_t		ah_pa;		/* physical address of the registers */
	uint8_t		ah_number;	/* HPET sequence number */
	uint16_t	ah_min_tick;	/* minimum periodic tick, in main
					   counter ticks */
	uint32_t	ah_block_id;	/* Event Timer Block ID: copy of the
					   capabilities register's low half */
};

/* A PCI Express ECAM range from the MCFG (PCI Firmware spec 3.2 §4.1.2). */
struct acpi_mcfg_seg {
	paddr_t		am_base;	/* ECAM base (the address of bus 0,
					   even when am_start_bus > 0) */
	uint16_t	am_segment;	/* PCI segment group */
	uint8_t		am_start_bus;	/* first bus decoded */
	uint8_t		am_end_bus;	/* last bus decoded (inclusive) */
};

struct acpi_info {
	/* RSDP and root table. */
	bool		ai_rsdp_valid;	/* an RSDP was found */
	paddr_t		ai_rsdp_pa;	/* where */
	uint8_t		ai_rsdp_revision; /* 0: ACPI 1.0 (RSDT only), >= 2:
					   XSDT address present */
	char		ai_oem_id[7];	/* RSDP OEM id, trailing blanks removed */
	paddr_t		ai_rsdt_pa;	/* RSDT address from the RSDP, or 0 */
	paddr_t		ai_xsdt_pa;	/* XSDT address (revision >= 2), or 0 */
	paddr_t		ai_root_pa;	/* the root table actually walked, or 0 */
	bool		ai_root_is_xsdt; /* it was the XSDT */

	/* MADT.  Defaults when !ai_madt_valid, see acpi_set_defaults(). */
	bool		ai_madt_valid;	/* a MADT passed its checks and was read */
	bool		ai_cpus_valid;	/* ai_cpus came from firmware; false: the
					   one default CPU, whose ac_apic_id the
					   caller should set to the boot CPU's */
	bool		ai_ioapics_valid; /* ai_ioapics came from firmware */
	paddr_t		ai_lapic_pa;	/* local APIC registers, with the 64-bit
					   override (type 5) applied */
	bool		ai_lapic_overridden; /* a type 5 entry set ai_lapic_pa */
	bool		ai_pic8259;	/* MADT PCAT_COMPAT: dual 8259 present
					   (must be masked if the IOAPIC is used) */
	unsigned	ai_ncpus;
	unsigned	ai_ncpus_ignored; /* usable CPUs past ACPI_MAX_CPUS */
	struct acpi_cpu	ai_cpus[ACPI_MAX_CPUS];	/* in MADT order; the boot
					   CPU is usually, not always, first */
	unsigned	ai_nioapics;
	unsigned	ai_nioapics_ignored;
	struct acpi_ioapic ai_ioapics[ACPI_MAX_IOAPICS];
	unsigned	ai_noverrides;
	unsigned	ai_noverrides_ignored;
	struct acpi_irq_override ai_overrides[ACPI_MAX_OVERRIDES];
	unsigned	ai_nnmis;
	unsigned	ai_nnmis_ignored;
	struct acpi_lapic_nmi ai_nmis[ACPI_MAX_LAPIC_NMIS];

	/* HPET. */
	struct acpi_hpet ai_hpet;

	/* MCFG; ai_nmcfg == 0: no usable MCFG. */
	unsigned	ai_nmcfg;
	unsigned	ai_nmcfg_ignored;
	struct acpi_mcfg_seg ai_mcfg[ACPI_MAX_MCFG];
};

/* What acpi_init() found; read-only after it returns. */
extern struct acpi_info acpi;

/*
 * acpi_init: find and parse the ACPI tables into `acpi`.
 *
 * Context: boot CPU, once, before other CPUs start; physical memory below
 * 4 GiB must be in the direct map.  Returns 0 when the RSDP and its root
 * table were usable (even if the MADT was missing: see ai_madt_valid),
 * -ENOENT when there is no RSDP, -EINVAL when the root table is unusable.
 * Whatever it returns, `acpi` holds usable values, and every problem was
 * logged as one line beginning "acpi: ".
 */
int acpi_init(void);

/* acpi_print: log a summary of `acpi`, one line per kind.  Context: any. */
void acpi_print(void);

/*
 * acpi_irq_override_find: the override for ISA IRQ irq, or NULL when the
 * IRQ is identity-mapped (GSI = irq, edge, active high).  Context: any.
 */
const struct acpi_irq_override *acpi_irq_override_find(
    const struct acpi_info *ai, unsigned irq);

/*
 * The rest is the machinery under acpi_init(), exposed for the host tests.
 * None touches memory outside the buffers it is given, none needs `acpi`,
 * and each logs (klog) what it refuses.
 */

/* acpi_map_fn: return len readable bytes at physical pa, or NULL. */
typedef const void *acpi_map_fn(paddr_t pa, size_t len, void *arg);

/*
 * acpi_load: acpi_init() with memory reached through map: fill *out from
 * the tables, with defaults for what is missing.  Returns as acpi_init().
 */
int acpi_load(acpi_map_fn *map, void *arg, struct acpi_info *out);

/* acpi_set_defaults: the values used when the firmware says nothing. */
void acpi_set_defaults(struct acpi_info *out);

/* acpi_checksum: the byte sum of p[0..len); a valid table sums to 0. */
uint8_t acpi_checksum(const void *p, size_t len);

/*
 * acpi_find_rsdp_in: search area (len bytes, at physical area_pa) on
 * 16-byte boundaries for a valid RSDP (signature, checksum, and for
 * revision >= 2 length and extended checksum).  On success fills the
 * ai_rsdp_*, ai_oem_id, ai_rsdt_pa and ai_xsdt_pa fields of *out and
 * returns 0; else -ENOENT.  Candidates that fail a check are logged and
 * skipped.
 */
int acpi_find_rsdp_in(const void *area, size_t len, paddr_t area_pa,
    struct acpi_info *out);

/*
 * acpi_check_table: check a system description table of which len bytes
 * are readable: header present, length between the header size and both
 * len and ACPI_TABLE_MAX, checksum.  Returns 0 or -EINVAL.
 */
int acpi_check_table(const void *table, size_t len);

/*
 * acpi_parse_madt, acpi_parse_hpet, acpi_parse_mcfg: check the table (as
 * acpi_check_table, plus its signature and fixed part) and read it into
 * *out.  On -EINVAL *out is unchanged, so earlier values (defaults) stay.
 * A malformed MADT entry stops the walk but keeps what was read before it;
 * the call then still returns 0.
 */
int acpi_parse_madt(const void *table, size_t len, struct acpi_info *out);
int acpi_parse_hpet(const void *table, size_t len, struct acpi_info *out);
int acpi_parse_mcfg(const void *table, size_t len, struct acpi_info *out);

/* acpi_print_info: acpi_print() for any acpi_info. */
void acpi_print_info(const struct acpi_info *ai);

#endif
