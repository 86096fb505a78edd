/*
 * bootinfo.h: what the machine layer learned from the boot loader.
 *
 * Filled once by the architecture's early boot code, before the
 * machine-independent kernel starts, and read-only afterwards.
 */
#ifndef PINWHEEL_BOOTINFO_H
#define PINWHEEL_BOOTINFO_H

#include <types.h>

#define BOOTINFO_MAX_MEMRANGES	64
#define BOOTINFO_CMDLINE_MAX	1024

enum memrange_type {
	MEMRANGE_USABLE = 1,	/* free RAM */
	MEMRANGE_RESERVED,	/* firmware, ACPI, MMIO: never touched */
	MEMRANGE_ACPI_RECLAIM,	/* ACPI tables; left alone */
};

struct memrange {
	paddr_t mr_start;
	paddr_t mr_end;		/* exclusive */
	enum memrange_type mr_type;
};

struct bootinfo {
	struct memrange bi_mem[BOOTINFO_MAX_MEMRANGES];
	unsigned bi_nmem;
	paddr_t bi_kernel_start, bi_kernel_end;	/* physical, page-rounded */
	paddr_t bi_reserved_end;	/* boot-time allocations end here */
	char bi_cmdline[BOOTINFO_CMDLINE_MAX];
	const char *bi_loader;	/* boot loader name, or "unknown" */
};

extern struct bootinfo bootinfo;

#endif
