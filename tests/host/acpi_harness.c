/*
 * acpi_harness.c: run arch/x86_64/acpi.c on the host against synthetic
 * and recorded ACPI tables.
 *
 * Built by tests/host/test_acpi.py with the host compiler, against the
 * kernel's own headers (-Iinclude -Iarch/x86_64/include -DHOST_TEST) and
 * linked with the host libc, which supplies memcmp, memcpy, memset,
 * printf and vsnprintf with their standard meanings.  klog and
 * kassert_fail are stubbed below.
 *
 * `acpi_harness SCENARIO` builds the tables for one scenario, runs the
 * parser and prints, one per line:
 *	log LEVEL TEXT		every klog call, as it happens
 *	ret N			what the parser under test returned
 *	rsdp|madt|cpu|ioapic|override|nmi|hpet|mcfg key=value ...
 *				the resulting struct acpi_info, field by field
 * The Python side asserts on that.  Tables are assembled byte by byte
 * at the offsets the specifications give, not through acpi.c's structs,
 * so a wrong layout in acpi.c fails the tests instead of agreeing with
 * itself.
 */

#include <types.h>
#include <kassert.h>
#include <log.h>
#include <printf.h>
#include <string.h>
#include <machine/acpi.h>

#include "acpi_q35_fixture.h"

/* ---- Stubs for what the kernel would provide ---- */

void
vklog(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	printf("log %d %s\n", (int)level, buf);
}

void
klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

void
kassert_fail(const char *expr, const char *file, int line, const char *fmt,
    ...)
{
	printf("KASSERT %s failed at %s:%d\n", expr, file, line);
	__builtin_trap();
}

/*
 * exact: a heap copy of exactly len bytes, so that under AddressSanitizer
 * (test_acpi.py builds with it when it can) a read past what the parser
 * was given is caught.  Never freed: each run parses a few tables.
 */
void *malloc(size_t n);

static const void *
exact(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	memcpy(q, p, len);
	return q;
}

/* ---- Building tables ---- */

struct tb {
	uint8_t		buf[4096];
	size_t		len;
};

static void
put8(struct tb *t, uint64_t v)
{
	t->buf[t->len++] = (uint8_t)v;
}

static void
putn(struct tb *t, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put8(t, v >> (8 * i));
}

#define put16(t, v)	putn(t, v, 2)
#define put32(t, v)	putn(t, v, 4)
#define put64(t, v)	putn(t, v, 8)

static void
poke32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t
sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n-- > 0)
		s += *p++;
	return s;
}

/* ACPI 6.5 §5.2.6: signature, length, revision, checksum, OEM ids. */
static void
tb_header(struct tb *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->buf, sig, 4);
	t->buf[8] = 1;				/* revision */
	memcpy(t->buf + 10, "BOCHS ", 6);
	memcpy(t->buf + 16, "BXPC    ", 8);
	t->len = 36;
}

/* Set the length field to len and fix the checksum (byte 9). */
static void
tb_seal_len(struct tb *t, size_t len)
{
	poke32(t->buf + 4, (uint32_t)len);
	t->buf[9] = 0;
	t->buf[9] = (uint8_t)-sum(t->buf, len);
}

static void
tb_seal(struct tb *t)
{
	tb_seal_len(t, t->len);
}

/* MADT (§5.2.12) and its entries. */
static void
madt_begin(struct tb *t, uint32_t lapic, uint32_t flags)
{
	tb_header(t, "APIC");
	put32(t, lapic);
	put32(t, flags);
}

static void
add_lapic(struct tb *t, uint8_t uid, uint8_t apic, uint32_t flags)
{
	put8(t, 0); put8(t, 8); put8(t, uid); put8(t, apic); put32(t, flags);
}

static void
add_ioapic(struct tb *t, uint8_t id, uint32_t pa, uint32_t gsi)
{
	put8(t, 1); put8(t, 12); put8(t, id); put8(t, 0);
	put32(t, pa); put32(t, gsi);
}

static void
add_iso(struct tb *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	put8(t, 2); put8(t, 10); put8(t, 0); put8(t, irq);
	put32(t, gsi); put16(t, flags);
}

static void
add_lapic_nmi(struct tb *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
	put8(t, 4); put8(t, 6); put8(t, uid); put16(t, flags); put8(t, lint);
}

static void
add_lapic_override(struct tb *t, uint64_t pa)
{
	put8(t, 5); put8(t, 12); put16(t, 0); put64(t, pa);
}

static void
add_x2apic(struct tb *t, uint32_t apic, uint32_t flags, uint32_t uid)
{
	put8(t, 9); put8(t, 16); put16(t, 0);
	put32(t, apic); put32(t, flags); put32(t, uid);
}

static void
add_x2apic_nmi(struct tb *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
	put8(t, 0xa); put8(t, 12); put16(t, flags); put32(t, uid);
	put8(t, lint); put8(t, 0); put8(t, 0); put8(t, 0);
}

/*
 * What QEMU q35 with -smp 4 builds (compare acpi_q35_fixture.h): CPUs uid
 * n / APIC id n for n = 0..3, enabled; IOAPIC 0 at 0xfec00000 GSI 0;
 * IRQ0 -> GSI2 (flags 0) and IRQ 5, 9, 10, 11 -> same GSI, level, active
 * high (INTI flags 0xd); LINT1 NMI on all CPUs; PCAT_COMPAT.
 */
static void
madt_q35(struct tb *t)
{
	int i;

	madt_begin(t, 0xfee00000, 1);
	for (i = 0; i < 4; i++)
		add_lapic(t, i, i, 1);
	add_ioapic(t, 0, 0xfec00000, 0);
	add_iso(t, 0, 2, 0);
	add_iso(t, 5, 5, 0xd);
	add_iso(t, 9, 9, 0xd);
	add_iso(t, 10, 10, 0xd);
	add_iso(t, 11, 11, 0xd);
	add_lapic_nmi(t, 0xff, 0, 1);
}

/* IA-PC HPET 1.0a §3.2.4. */
static void
hpet_build(struct tb *t, uint8_t space, uint64_t pa)
{
	tb_header(t, "HPET");
	put32(t, 0x8086a201);			/* event timer block id */
	put8(t, space); put8(t, 0); put8(t, 0); put8(t, 0);
	put64(t, pa);
	put8(t, 0);				/* HPET number */
	put16(t, 128);				/* min tick */
	put8(t, 0);				/* page protection */
}

/* PCI Firmware 3.2 §4.1.2. */
static void
mcfg_begin(struct tb *t)
{
	tb_header(t, "MCFG");
	put64(t, 0);
}

static void
mcfg_add(struct tb *t, uint64_t base, uint16_t seg, uint8_t sb, uint8_t eb)
{
	put64(t, base); put16(t, seg); put8(t, sb); put8(t, eb); put32(t, 0);
}

/* §5.2.5.3 RSDP at p; revision >= 2 adds length, XSDT, ext checksum. */
static void
rsdp_build(uint8_t *p, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	int i;

	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "BOCHS ", 6);
	p[15] = rev;
	poke32(p + 16, rsdt);
	p[8] = (uint8_t)-sum(p, 20);
	if (rev < 2)
		return;
	poke32(p + 20, 36);
	for (i = 0; i < 8; i++)
		p[24 + i] = (uint8_t)(xsdt >> (8 * i));
	p[32] = (uint8_t)-sum(p, 36);
}

/* ---- A fake physical memory for acpi_load ---- */

/* What the scenarios fill in and dump prints. */
static struct acpi_info ai;
static struct tb t, t2, t3, t4, t5;
static bool print_after;		/* load_q35: also acpi_print_info */

struct region {
	uint64_t	pa;
	size_t		len;
	const uint8_t	*bytes;
};

static struct region mem[16];
static int nmem;

static void
mem_add(uint64_t pa, const void *bytes, size_t len)
{
	mem[nmem++] = (struct region){ .pa = pa, .len = len, .bytes = bytes };
}

static const void *
mem_map(paddr_t pa, size_t len, void *arg)
{
	int i;

	for (i = 0; i < nmem; i++)
		if (pa >= mem[i].pa && pa - mem[i].pa <= mem[i].len &&
		    len <= mem[i].len - (pa - mem[i].pa))
			return mem[i].bytes + (pa - mem[i].pa);
	return NULL;
}

/* mem_load: acpi_load over exact copies of the regions as they are now. */
static int
mem_load(void)
{
	int i;

	for (i = 0; i < nmem; i++)
		mem[i].bytes = exact(mem[i].bytes, mem[i].len);
	return acpi_load(mem_map, NULL, &ai);
}

/* The BIOS data area, an EBDA at 0x9fc00 and the BIOS area, all empty. */
static uint8_t bda[0x100], ebda[1024], biosarea[0x20000];

static void
mem_pc(void)
{
	nmem = 0;
	memset(bda, 0, sizeof(bda));
	memset(ebda, 0, sizeof(ebda));
	memset(biosarea, 0, sizeof(biosarea));
	bda[0x0e] = 0xc0;			/* EBDA segment 0x9fc0 */
	bda[0x0f] = 0x9f;
	mem_add(0x400, bda, sizeof(bda));
	mem_add(0x9fc00, ebda, sizeof(ebda));
	mem_add(0xe0000, biosarea, sizeof(biosarea));
}

/* ---- Output ---- */

static const char *
pol(enum acpi_polarity p)
{
	return p == ACPI_POLARITY_HIGH ? "high" :
	    p == ACPI_POLARITY_LOW ? "low" :
	    p == ACPI_POLARITY_CONFORM ? "conform" : "BAD";
}

static const char *
trig(enum acpi_trigger t)
{
	return t == ACPI_TRIGGER_EDGE ? "edge" :
	    t == ACPI_TRIGGER_LEVEL ? "level" :
	    t == ACPI_TRIGGER_CONFORM ? "conform" : "BAD";
}

static void
dump(int ret, const struct acpi_info *ai)
{
	unsigned i;

	printf("ret %d\n", ret);
	printf("rsdp valid=%d pa=0x%lx rev=%u oem=%s rsdt=0x%lx xsdt=0x%lx "
	    "root=0x%lx root_is_xsdt=%d\n", ai->ai_rsdp_valid, ai->ai_rsdp_pa,
	    ai->ai_rsdp_revision, ai->ai_oem_id, ai->ai_rsdt_pa,
	    ai->ai_xsdt_pa, ai->ai_root_pa, ai->ai_root_is_xsdt);
	printf("madt valid=%d cpus_valid=%d ioapics_valid=%d lapic=0x%lx "
	    "lapic_overridden=%d pic8259=%d ncpus=%u ncpus_ignored=%u "
	    "nioapics=%u nioapics_ignored=%u noverrides=%u "
	    "noverrides_ignored=%u nnmis=%u\n", ai->ai_madt_valid,
	    ai->ai_cpus_valid, ai->ai_ioapics_valid, ai->ai_lapic_pa,
	    ai->ai_lapic_overridden, ai->ai_pic8259, ai->ai_ncpus,
	    ai->ai_ncpus_ignored, ai->ai_nioapics, ai->ai_nioapics_ignored,
	    ai->ai_noverrides, ai->ai_noverrides_ignored, ai->ai_nnmis);
	for (i = 0; i < ai->ai_ncpus; i++)
		printf("cpu apic=%u uid=%u enabled=%d x2apic=%d\n",
		    ai->ai_cpus[i].ac_apic_id, ai->ai_cpus[i].ac_uid,
		    ai->ai_cpus[i].ac_enabled, ai->ai_cpus[i].ac_x2apic);
	for (i = 0; i < ai->ai_nioapics; i++)
		printf("ioapic id=%u pa=0x%lx gsi=%u\n",
		    ai->ai_ioapics[i].aio_id, ai->ai_ioapics[i].aio_pa,
		    ai->ai_ioapics[i].aio_gsi_base);
	for (i = 0; i < ai->ai_noverrides; i++)
		printf("override bus=%u irq=%u gsi=%u flags=0x%x pol=%s "
		    "trig=%s\n", ai->ai_overrides[i].ao_bus,
		    ai->ai_overrides[i].ao_irq, ai->ai_overrides[i].ao_gsi,
		    ai->ai_overrides[i].ao_flags,
		    pol(ai->ai_overrides[i].ao_polarity),
		    trig(ai->ai_overrides[i].ao_trigger));
	for (i = 0; i < ai->ai_nnmis; i++)
		printf("nmi uid=0x%x lint=%u flags=0x%x pol=%s trig=%s\n",
		    ai->ai_nmis[i].an_uid, ai->ai_nmis[i].an_lint,
		    ai->ai_nmis[i].an_flags, pol(ai->ai_nmis[i].an_polarity),
		    trig(ai->ai_nmis[i].an_trigger));
	printf("hpet present=%d pa=0x%lx number=%u min_tick=%u "
	    "block_id=0x%x\n", ai->ai_hpet.ah_present, ai->ai_hpet.ah_pa,
	    ai->ai_hpet.ah_number, ai->ai_hpet.ah_min_tick,
	    ai->ai_hpet.ah_block_id);
	printf("mcfginfo n=%u ignored=%u\n", ai->ai_nmcfg,
	    ai->ai_nmcfg_ignored);
	for (i = 0; i < ai->ai_nmcfg; i++)
		printf("mcfg base=0x%lx seg=%u start=%u end=%u\n",
		    ai->ai_mcfg[i].am_base, ai->ai_mcfg[i].am_segment,
		    ai->ai_mcfg[i].am_start_bus, ai->ai_mcfg[i].am_end_bus);
}

/* ---- Scenarios ---- */


/* Parse t as a MADT, starting from defaults. */
static int
run_madt(size_t len)
{
	acpi_set_defaults(&ai);
	return acpi_parse_madt(exact(t.buf, len), len, &ai);
}

static int
sc_madt_q35(void)
{
	madt_q35(&t);
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_x2apic(void)
{
	madt_begin(&t, 0xfee00000, 1);
	add_lapic(&t, 0, 0, 1);
	add_x2apic(&t, 300, 1, 1000);
	add_x2apic(&t, 0, 1, 7);		/* duplicate of APIC id 0 */
	add_ioapic(&t, 0, 0xfec00000, 0);
	add_x2apic_nmi(&t, 0xf, 1000, 0);	/* level, active low */
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_disabled_cpu(void)
{
	madt_begin(&t, 0xfee00000, 0);
	add_lapic(&t, 0, 0, 1);
	add_lapic(&t, 1, 1, 0);			/* neither bit: skipped */
	add_lapic(&t, 2, 2, 2);			/* online capable only */
	add_lapic(&t, 3, 0xff, 1);		/* broadcast id: skipped */
	add_x2apic(&t, 9, 0, 9);		/* neither bit: skipped */
	add_ioapic(&t, 0, 0xfec00000, 0);
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_bad_checksum(void)
{
	madt_q35(&t);
	tb_seal(&t);
	t.buf[50] ^= 0x3c;			/* sum is now off by ... */
	return run_madt(t.len);
}

static int
sc_madt_zero_length_entry(void)
{
	madt_begin(&t, 0xfee00000, 1);
	add_lapic(&t, 0, 0, 1);
	add_lapic(&t, 1, 1, 1);
	add_ioapic(&t, 0, 0xfec00000, 0);
	put8(&t, 0); put8(&t, 0);		/* type 0, length 0 */
	put32(&t, 0x01000202);
	add_lapic(&t, 3, 3, 1);			/* never reached */
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_entry_past_end(void)
{
	madt_begin(&t, 0xfee00000, 1);
	add_lapic(&t, 0, 0, 1);
	add_ioapic(&t, 0, 0xfec00000, 0);
	add_lapic(&t, 1, 1, 1);
	/* The header ends the table 4 bytes into the last entry. */
	tb_seal_len(&t, t.len - 4);
	return run_madt(t.len - 4);
}

static int
sc_madt_buffer_truncated(void)
{
	madt_q35(&t);
	tb_seal(&t);
	return run_madt(t.len - 10);		/* header says 10 more */
}

static int
sc_madt_length_below_header(void)
{
	madt_q35(&t);
	tb_seal(&t);
	tb_seal_len(&t, 20);
	return run_madt(t.len);
}

static int
sc_madt_length_absurd(void)
{
	madt_q35(&t);
	tb_seal(&t);
	poke32(t.buf + 4, 0x40000000);
	return run_madt(sizeof(t.buf));
}

static int
sc_madt_wrong_signature(void)
{
	madt_q35(&t);
	memcpy(t.buf, "APIX", 4);
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_lapic_override(void)
{
	madt_begin(&t, 0xfee00000, 0);
	add_lapic(&t, 0, 0, 1);
	add_ioapic(&t, 2, 0xfec00000, 0);
	add_ioapic(&t, 3, 0xfec01000, 24);
	add_lapic_override(&t, 0x1234fee00000ULL);
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_short_entry(void)
{
	madt_begin(&t, 0xfee00000, 1);
	add_lapic(&t, 0, 0, 1);
	put8(&t, 1); put8(&t, 8);		/* IOAPIC entry, 4 bytes short */
	put8(&t, 5); put8(&t, 0); put32(&t, 0xfec00000);
	add_lapic(&t, 1, 1, 1);			/* walk goes on past it */
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_too_many(void)
{
	int i;

	madt_begin(&t, 0xfee00000, 1);
	for (i = 0; i < 70; i++)
		add_lapic(&t, i, i, 1);
	for (i = 0; i < 9; i++)
		add_ioapic(&t, i, 0xfec00000 + 0x1000 * i, 24 * i);
	for (i = 0; i < 17; i++)
		add_iso(&t, i & 15, i, 0);
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_empty(void)
{
	madt_begin(&t, 0, 0);			/* no entries, no address */
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_madt_reserved_flags(void)
{
	madt_begin(&t, 0xfee00000, 1);
	add_lapic(&t, 0, 0, 1);
	add_ioapic(&t, 0, 0xfec00000, 0);
	add_iso(&t, 9, 20, 0x3 | 0x4);		/* low, edge */
	add_iso(&t, 4, 4, 0x2 | 0x8);		/* reserved polarity+trigger */
	tb_seal(&t);
	return run_madt(t.len);
}

static int
sc_hpet(void)
{
	hpet_build(&t, 0, 0xfed00000);
	tb_seal(&t);
	acpi_set_defaults(&ai);
	return acpi_parse_hpet(exact(t.buf, t.len), t.len, &ai);
}

static int
sc_hpet_io_space(void)
{
	hpet_build(&t, 1, 0xfed00000);
	tb_seal(&t);
	acpi_set_defaults(&ai);
	return acpi_parse_hpet(exact(t.buf, t.len), t.len, &ai);
}

static int
sc_hpet_short(void)
{
	hpet_build(&t, 0, 0xfed00000);
	t.len -= 4;				/* drop min tick, page prot. */
	tb_seal(&t);
	acpi_set_defaults(&ai);
	return acpi_parse_hpet(exact(t.buf, t.len), t.len, &ai);
}

static int
sc_mcfg(void)
{
	mcfg_begin(&t);
	mcfg_add(&t, 0xb0000000, 0, 0, 255);
	mcfg_add(&t, 0xc0000000, 1, 8, 4);	/* start > end: skipped */
	mcfg_add(&t, 0xd0000000, 2, 0, 63);
	put8(&t, 0); put8(&t, 0); put8(&t, 0);	/* not a whole entry */
	tb_seal(&t);
	acpi_set_defaults(&ai);
	return acpi_parse_mcfg(exact(t.buf, t.len), t.len, &ai);
}

static int
sc_checksum(void)
{
	static const uint8_t b[] = { 0x10, 0x20, 0xf0, 0x01 };

	printf("sum 0x%x\n", acpi_checksum(b, sizeof(b)));
	printf("sum_empty 0x%x\n", acpi_checksum(b, 0));
	return 0;
}

static uint8_t area[512];

/* Search the first len bytes of area, as if it were at physical pa. */
static int
find_rsdp(size_t len, paddr_t pa)
{
	acpi_set_defaults(&ai);
	return acpi_find_rsdp_in(exact(area, len), len, pa, &ai);
}

static int
sc_rsdp_v1_at_offset(void)
{
	memset(area, 0, sizeof(area));
	/* A valid RSDP, but not on a 16-byte boundary: must be missed. */
	rsdp_build(area + 0x24, 0, 0x1111, 0);
	rsdp_build(area + 0x50, 0, 0x7fe23b3, 0);
	return find_rsdp(sizeof(area), 0xf5000);
}

static int
sc_rsdp_bad_checksum_then_good(void)
{
	memset(area, 0, sizeof(area));
	rsdp_build(area + 0x10, 0, 0x2222, 0);
	area[0x10 + 16] ^= 1;			/* RSDT address corrupted */
	rsdp_build(area + 0x80, 0, 0x3333, 0);
	return find_rsdp(sizeof(area), 0xe0000);
}

static int
sc_rsdp_only_bad(void)
{
	memset(area, 0, sizeof(area));
	rsdp_build(area + 0x10, 0, 0x2222, 0);
	area[0x10 + 8] ^= 0x40;			/* checksum byte itself */
	return find_rsdp(sizeof(area), 0xe0000);
}

static int
sc_rsdp_v2(void)
{
	memset(area, 0, sizeof(area));
	rsdp_build(area + 0x20, 2, 0x7fe0000, 0x1234567800ULL);
	return find_rsdp(sizeof(area), 0xe0000);
}

static int
sc_rsdp_v2_bad_ext_checksum(void)
{
	memset(area, 0, sizeof(area));
	rsdp_build(area + 0x20, 2, 0x7fe0000, 0x1234567800ULL);
	area[0x20 + 24] ^= 0x80;		/* XSDT address: only the
						   extended checksum covers it */
	return find_rsdp(sizeof(area), 0xe0000);
}

static int
sc_rsdp_v2_bad_length(void)
{
	memset(area, 0, sizeof(area));
	rsdp_build(area + 0x20, 2, 0x7fe0000, 0x1000);
	poke32(area + 0x20 + 20, 20);		/* must be 36 */
	area[0x20 + 32] = 0;
	area[0x20 + 32] = (uint8_t)-sum(area + 0x20, 36);
	return find_rsdp(sizeof(area), 0xe0000);
}

static int
sc_rsdp_v2_at_area_end(void)
{
	memset(area, 0, sizeof(area));
	/* 20 bytes fit in the area, the 36-byte revision 2 RSDP does not. */
	rsdp_build(area + 0x100, 2, 0x7fe0000, 0x1000);
	return find_rsdp(0x100 + 28, 0xe0000);
}

/* The recorded QEMU tables, at their real addresses, through acpi_load. */
static int
sc_load_q35(void)
{
	size_t i;
	int ret;

	mem_pc();
	for (i = 0; i < nitems(q35_regions); i++) {
		if (q35_regions[i].pa >= 0xe0000 &&
		    q35_regions[i].pa < 0x100000)
			memcpy(biosarea + (q35_regions[i].pa - 0xe0000),
			    q35_regions[i].bytes, q35_regions[i].len);
		else
			mem_add(q35_regions[i].pa, q35_regions[i].bytes,
			    q35_regions[i].len);
	}
	ret = mem_load();
	if (print_after)
		acpi_print_info(&ai);
	return ret;
}

/*
 * A synthetic ACPI 2.0 machine: RSDP revision 2 in the EBDA, an XSDT
 * listing an unmappable table, a FACP stand-in, the MADT, HPET and MCFG,
 * and an RSDT listing only a different MADT (so which root was walked
 * shows in the result).
 */
static void
mem_acpi2(bool bad_xsdt)
{
	mem_pc();
	madt_q35(&t);
	tb_seal(&t);
	mem_add(0x7fe1000, t.buf, t.len);
	hpet_build(&t2, 0, 0xfed00000);
	tb_seal(&t2);
	mem_add(0x7fe2000, t2.buf, t2.len);
	mcfg_begin(&t3);
	mcfg_add(&t3, 0xb0000000, 0, 0, 255);
	tb_seal(&t3);
	mem_add(0x7fe3000, t3.buf, t3.len);

	tb_header(&t4, "XSDT");
	put64(&t4, 0x100000000000ULL);		/* unmapped */
	put64(&t4, 0x7fe1000);
	put64(&t4, 0x7fe2000);
	put64(&t4, 0x7fe3000);
	tb_seal(&t4);
	if (bad_xsdt)
		t4.buf[40] ^= 1;
	mem_add(0x7fe4000, t4.buf, t4.len);

	tb_header(&t5, "RSDT");
	put32(&t5, 0x7fe6000);
	tb_seal(&t5);
	mem_add(0x7fe5000, t5.buf, t5.len);
	/* The RSDT's MADT: 2 CPUs only. */
	static struct tb m2;
	madt_begin(&m2, 0xfee00000, 1);
	add_lapic(&m2, 0, 0, 1);
	add_lapic(&m2, 1, 1, 1);
	add_ioapic(&m2, 0, 0xfec00000, 0);
	tb_seal(&m2);
	mem_add(0x7fe6000, m2.buf, m2.len);

	rsdp_build(ebda + 0x30, 2, 0x7fe5000, 0x7fe4000);
	/* A revision 0 RSDP in the BIOS area too: the EBDA comes first. */
	rsdp_build(biosarea + 0x15000, 0, 0x7fe5000, 0);
}

static int
sc_load_xsdt(void)
{
	mem_acpi2(false);
	return mem_load();
}

static int
sc_load_bad_xsdt(void)
{
	mem_acpi2(true);
	return mem_load();
}

static int
sc_load_no_rsdp(void)
{
	mem_pc();
	return mem_load();
}

static int
sc_load_bad_madt(void)
{
	mem_acpi2(false);
	t.buf[60] ^= 0x11;			/* MADT checksum now wrong */
	return mem_load();
}

static int
sc_load_bad_root(void)
{
	mem_acpi2(false);
	memset(ebda, 0, sizeof(ebda));		/* only the rev 0 RSDP left */
	t5.buf[37] ^= 1;			/* and its RSDT is corrupt */
	return mem_load();
}

static int
sc_override_find(void)
{
	const struct acpi_irq_override *o;

	sc_madt_q35();
	o = acpi_irq_override_find(&ai, 0);
	printf("find0 %s gsi=%u\n", o ? "yes" : "no", o ? o->ao_gsi : 0);
	o = acpi_irq_override_find(&ai, 9);
	printf("find9 %s gsi=%u\n", o ? "yes" : "no", o ? o->ao_gsi : 0);
	o = acpi_irq_override_find(&ai, 4);
	printf("find4 %s\n", o ? "yes" : "no");
	return 0;
}

static int
sc_print_defaults(void)
{
	acpi_set_defaults(&ai);
	acpi_print_info(&ai);
	return 0;
}

static int
sc_print_q35(void)
{
	print_after = true;
	return sc_load_q35();
}

static const struct {
	const char	*name;
	int		(*fn)(void);
} scenarios[] = {
	{ "madt_q35", sc_madt_q35 },
	{ "madt_x2apic", sc_madt_x2apic },
	{ "madt_disabled_cpu", sc_madt_disabled_cpu },
	{ "madt_bad_checksum", sc_madt_bad_checksum },
	{ "madt_zero_length_entry", sc_madt_zero_length_entry },
	{ "madt_entry_past_end", sc_madt_entry_past_end },
	{ "madt_buffer_truncated", sc_madt_buffer_truncated },
	{ "madt_length_below_header", sc_madt_length_below_header },
	{ "madt_length_absurd", sc_madt_length_absurd },
	{ "madt_wrong_signature", sc_madt_wrong_signature },
	{ "madt_lapic_override", sc_madt_lapic_override },
	{ "madt_short_entry", sc_madt_short_entry },
	{ "madt_too_many", sc_madt_too_many },
	{ "madt_empty", sc_madt_empty },
	{ "madt_reserved_flags", sc_madt_reserved_flags },
	{ "hpet", sc_hpet },
	{ "hpet_io_space", sc_hpet_io_space },
	{ "hpet_short", sc_hpet_short },
	{ "mcfg", sc_mcfg },
	{ "checksum", sc_checksum },
	{ "rsdp_v1_at_offset", sc_rsdp_v1_at_offset },
	{ "rsdp_bad_checksum_then_good", sc_rsdp_bad_checksum_then_good },
	{ "rsdp_only_bad", sc_rsdp_only_bad },
	{ "rsdp_v2", sc_rsdp_v2 },
	{ "rsdp_v2_bad_ext_checksum", sc_rsdp_v2_bad_ext_checksum },
	{ "rsdp_v2_bad_length", sc_rsdp_v2_bad_length },
	{ "rsdp_v2_at_area_end", sc_rsdp_v2_at_area_end },
	{ "load_q35", sc_load_q35 },
	{ "load_xsdt", sc_load_xsdt },
	{ "load_bad_xsdt", sc_load_bad_xsdt },
	{ "load_no_rsdp", sc_load_no_rsdp },
	{ "load_bad_madt", sc_load_bad_madt },
	{ "load_bad_root", sc_load_bad_root },
	{ "override_find", sc_override_find },
	{ "print_defaults", sc_print_defaults },
	{ "print_q35", sc_print_q35 },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		printf("usage: acpi_harness SCENARIO\n");
		return 2;
	}
	for (i = 0; i < nitems(scenarios); i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			dump(scenarios[i].fn(), &ai);
			return 0;
		}
	}
	printf("unknown scenario %s\n", argv[1]);
	return 2;
}
