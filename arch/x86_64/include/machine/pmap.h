/*
 * pmap.h: the kernel's page tables (x86-64 4-level paging).
 */
#ifndef MACHINE_PMAP_H
#define MACHINE_PMAP_H

#include <types.h>

#define PG_V		0x001ULL
#define PG_RW		0x002ULL
#define PG_PWT		0x008ULL
#define PG_PCD		0x010ULL
#define PG_A		0x020ULL
#define PG_D		0x040ULL
#define PG_PS		0x080ULL
#define PG_G		0x100ULL
#define PG_NX		(1ULL << 63)
#define PG_FRAME	0x000ffffffffff000ULL

/* Protections for pmap_kenter. */
#define PROT_READ	0x1
#define PROT_WRITE	0x2
#define PROT_EXEC	0x4

/* pmap_bootstrap: build and load the kernel page tables (boot CPU, once). */
void pmap_bootstrap(void);
/* pmap_use_page_alloc: from now on page tables come from page_alloc. */
void pmap_use_page_alloc(void);
/* pmap_kernel_cr3: the physical address of the kernel PML4. */
paddr_t pmap_kernel_cr3(void);
/* pmap_boot_page: a zeroed page from the boot allocator (before page_init). */
paddr_t pmap_boot_page(void);
/*
 * pmap_kenter: map one page at va (kernel stack region only) with prot.
 * pmap_kremove: unmap it and shoot the TLB entry down on every CPU.
 * Context: thread.
 */
void pmap_kenter(vaddr_t va, paddr_t pa, int prot);
paddr_t pmap_kremove(vaddr_t va);
/* pmap_extract: the PTE value mapping va, or 0. */
uint64_t pmap_pte(vaddr_t va);
/* pmap_tlb_shootdown: invalidate [va, va+len) on every CPU, and wait. */
void pmap_tlb_shootdown(vaddr_t va, size_t len);
/* pmap_tlb_shootdown_ipi: the TLB shootdown IPI handler (lapic.c). */
void pmap_tlb_shootdown_ipi(void);
/* pmap_mptramp_cr3: page tables that also identity-map the AP trampoline. */
paddr_t pmap_mptramp_cr3(void);

/*
 * pmap_dmap_end: the end of the direct map: every physical address below
 * it is mapped at PHYS_TO_DMAP, uncached in 2 MiB pages that hold no RAM.
 * Context: any, after pmap_bootstrap.
 */
paddr_t pmap_dmap_end(void);

#endif
