/*
 * pmap.c: the kernel page tables.
 *
 * Design.  One set of page tables serves every CPU (there is no user
 * space).  pmap_bootstrap replaces locore's boot tables with:
 *
 *  - the direct map: all physical memory up to max(top of RAM, 4 GiB) at
 *    DMAP_BASE, in 2 MiB pages, read/write, never executable; a 2 MiB page
 *    that touches no RAM (MMIO: LAPIC, IOAPIC, HPET, PCI ECAM) is mapped
 *    uncached (PCD|PWT);
 *  - the kernel image at KERNBASE in 4 KiB pages, W^X: text read-only and
 *    executable, rodata read-only, data and bss read/write, both NX;
 *  - a region for kernel stacks, filled on demand by pmap_kenter, where
 *    every stack has an unmapped guard page below it (lwp.c), as does the
 *    boot stack (locore.S);
 *  - nothing at low addresses: a NULL dereference faults.
 *
 * Page-table pages come from a bump allocator past the kernel image
 * (pmap_boot_page) until the page allocator is up, then from page_alloc.
 *
 * Locking: pmap_lock (spin, IPL_VM) covers changes to the stack region's
 * tables.  The direct map and the image mapping never change after boot.
 * A TLB shootdown is serialised by shootdown_lock; the initiator waits until
 * every other CPU has acknowledged, since another CPU may hold the stale
 * translation in its TLB until it executes INVLPG (SDM vol. 3 §4.10.5).
 */
#include <bootinfo.h>
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <mutex.h>
#include <string.h>

#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/lapic.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>

#include <kern/simplelock.h>

extern char kernel_start[], kernel_etext[], kernel_erodata[], kernel_end[];
extern char boot_stack_guard[];

static paddr_t kernel_pml4;
static paddr_t mptramp_pml4;
static kmutex_t pmap_lock;
static bool pmap_ready;		/* page_alloc may be used */
static paddr_t dmap_end;	/* the direct map covers [0, dmap_end) */

#define PTE_INDEX(va, level)	(((va) >> (12 + 9 * (level))) & 511)

static uint64_t *
pt_va(paddr_t pa)
{
	/* Before the direct map exists the boot tables map low memory 1:1. */
	return kernel_pml4 && rcr3() == kernel_pml4 ?
	    PHYS_TO_DMAP(pa) : (uint64_t *)(uintptr_t)pa;
}

paddr_t
pmap_boot_page(void)
{
	paddr_t pa = bootinfo.bi_reserved_end;

	KASSERTMSG(!pmap_ready, "pmap_boot_page after page_init");
	bootinfo.bi_reserved_end += PAGE_SIZE;
	memset(pt_va(pa), 0, PAGE_SIZE);
	return pa;
}

/*
 * Return the page-table entry for va at level 0 (4K) or 1 (2M).  A missing
 * table is made from the boot allocator when spare is NULL (boot), from
 * *spare when it holds a page (which is then used up), or else the walk
 * returns NULL so the caller can allocate outside its spin lock and retry.
 */
static uint64_t *
pte_lookup(vaddr_t va, int leaf_level, paddr_t *spare)
{
	paddr_t table = kernel_pml4;

	for (int level = 3; level > leaf_level; level--) {
		uint64_t *pt = pt_va(table);
		uint64_t *e = &pt[PTE_INDEX(va, level)];

		if (!(*e & PG_V)) {
			if (spare == NULL) {
				*e = pmap_boot_page() | PG_V | PG_RW;
			} else if (*spare != 0) {
				memset(PHYS_TO_DMAP(*spare), 0, PAGE_SIZE);
				*e = *spare | PG_V | PG_RW;
				*spare = 0;
			} else {
				return NULL;
			}
		}
		KASSERTMSG(!(*e & PG_PS), "pmap: va %#lx inside a large page", va);
		table = *e & PG_FRAME;
	}
	return &pt_va(table)[PTE_INDEX(va, leaf_level)];
}

/* Walk without creating anything. */
static uint64_t *
pte_find(vaddr_t va)
{
	paddr_t none = 0;

	return pte_lookup(va, 0, &none);
}

static bool
range_has_ram(paddr_t start, paddr_t end)
{
	for (unsigned i = 0; i < bootinfo.bi_nmem; i++) {
		const struct memrange *mr = &bootinfo.bi_mem[i];

		if (mr->mr_type != MEMRANGE_RESERVED &&
		    mr->mr_start < end && start < mr->mr_end)
			return true;
	}
	return false;
}

static void
map_direct(void)
{
	paddr_t top = 4ULL << 30;
	const paddr_t large = 2ULL << 20;

	for (unsigned i = 0; i < bootinfo.bi_nmem; i++)
		if (bootinfo.bi_mem[i].mr_type != MEMRANGE_RESERVED)
			top = MAX(top, roundup(bootinfo.bi_mem[i].mr_end, large));
	for (paddr_t pa = 0; pa < top; pa += large) {
		uint64_t cache = range_has_ram(pa, pa + large) ? 0 : PG_PCD | PG_PWT;

		*pte_lookup(DMAP_BASE + pa, 1, NULL) =
		    pa | PG_V | PG_RW | PG_PS | PG_G | PG_NX | cache;
	}
	dmap_end = top;
}

static void
map_kernel_image(void)
{
	for (vaddr_t va = (vaddr_t)kernel_start; va < (vaddr_t)kernel_end;
	    va += PAGE_SIZE) {
		uint64_t bits = PG_V | PG_G;

		if (va >= (vaddr_t)kernel_etext)
			bits |= PG_NX;
		if (va >= (vaddr_t)kernel_erodata)
			bits |= PG_RW;
		if (va == (vaddr_t)boot_stack_guard)
			continue;	/* the boot stack's guard page */
		*pte_lookup(va, 0, NULL) = KVA_TO_PHYS(va) | bits;
	}
}

/*
 * The AP trampoline enables paging while running at its physical address
 * (MPTRAMP_PADDR), so APs start on tables that share the kernel's upper
 * half and also identity-map the first 2 MiB; ap_main loads the kernel's.
 */
static void
make_mptramp_tables(void)
{
	uint64_t *pml4, *pdpt, *pd;
	paddr_t pdpt_pa = pmap_boot_page(), pd_pa = pmap_boot_page();

	mptramp_pml4 = pmap_boot_page();
	KASSERTMSG(mptramp_pml4 < (4ULL << 30), "trampoline PML4 above 4 GiB");
	pml4 = pt_va(mptramp_pml4);
	pdpt = pt_va(pdpt_pa);
	pd = pt_va(pd_pa);
	memcpy(pml4, pt_va(kernel_pml4), PAGE_SIZE);
	pml4[0] = pdpt_pa | PG_V | PG_RW;
	pdpt[0] = pd_pa | PG_V | PG_RW;
	pd[0] = 0 | PG_V | PG_RW | PG_PS;
}

void
pmap_bootstrap(void)
{
	kernel_pml4 = pmap_boot_page();
	/* Pre-create the stack region's PDPT so later APs share it. */
	map_direct();
	map_kernel_image();
	(void)pte_lookup(KSTACK_BASE, 2, NULL);
	make_mptramp_tables();
	lcr3(kernel_pml4);
	mutex_init(&pmap_lock, MUTEX_SPIN, IPL_VM);
}

void
pmap_use_page_alloc(void)
{
	pmap_ready = true;
}

paddr_t
pmap_kernel_cr3(void)
{
	return kernel_pml4;
}

paddr_t
pmap_mptramp_cr3(void)
{
	return mptramp_pml4;
}

paddr_t
pmap_dmap_end(void)
{
	return dmap_end;
}

static void
assert_stack_region(vaddr_t va)
{
	KASSERTMSG(va >= KSTACK_BASE && va < KSTACK_BASE + (1ULL << 39),
	    "pmap: %#lx is outside the kernel stack region", va);
}

void
pmap_kenter(vaddr_t va, paddr_t pa, int prot)
{
	uint64_t bits = PG_V | PG_G | PG_NX;
	paddr_t spare = 0;
	uint64_t *pte;

	assert_stack_region(va);
	KASSERTMSG(!(prot & PROT_EXEC), "pmap_kenter: no executable mappings");
	if (prot & PROT_WRITE)
		bits |= PG_RW;
	for (;;) {
		mutex_enter(&pmap_lock);
		pte = pte_lookup(va, 0, &spare);
		if (pte != NULL)
			break;
		/* A table is missing: allocate outside the spin lock, retry. */
		mutex_exit(&pmap_lock);
		spare = page_alloc(KM_SLEEP);
	}
	KASSERTMSG(!(*pte & PG_V), "pmap_kenter: %#lx already mapped", va);
	*pte = pa | bits;
	mutex_exit(&pmap_lock);
	if (spare != 0)
		page_free(spare);
}

paddr_t
pmap_kremove(vaddr_t va)
{
	uint64_t *pte, old;

	assert_stack_region(va);
	mutex_enter(&pmap_lock);
	pte = pte_find(va);
	KASSERTMSG(pte != NULL && (*pte & PG_V), "pmap_kremove: %#lx not mapped", va);
	old = *pte;
	*pte = 0;
	mutex_exit(&pmap_lock);
	pmap_tlb_shootdown(va, PAGE_SIZE);
	return old & PG_FRAME;
}

uint64_t
pmap_pte(vaddr_t va)
{
	uint64_t *pt = PHYS_TO_DMAP(kernel_pml4);

	for (int level = 3; level >= 0; level--) {
		uint64_t e = pt[PTE_INDEX(va, level)];

		if (!(e & PG_V))
			return 0;
		if (level == 0 || (e & PG_PS))
			return e;
		pt = PHYS_TO_DMAP(e & PG_FRAME);
	}
	return 0;
}

/*
 * TLB shootdown: one request at a time.  The initiator holds
 * shootdown_lock with interrupts enabled, so that while it waits it still
 * answers a shootdown or cross call aimed at it by a CPU that got there
 * first.
 */
static struct simplelock shootdown_lock = SIMPLELOCK_INITIALIZER;
static volatile vaddr_t shootdown_va;
static volatile size_t shootdown_len;
static volatile uint64_t shootdown_pending;	/* CPUs yet to acknowledge */

static void
invalidate_range(vaddr_t va, size_t len)
{
	for (vaddr_t p = va; p < va + len; p += PAGE_SIZE)
		invlpg(p);
}

void
pmap_tlb_shootdown_ipi(void)
{
	invalidate_range(shootdown_va, shootdown_len);
	__atomic_fetch_and(&shootdown_pending, ~(1ULL << cpu_number()),
	    __ATOMIC_RELEASE);
}

void
pmap_tlb_shootdown(vaddr_t va, size_t len)
{
	uint64_t targets = 0;

	invalidate_range(va, len);
	if (ncpu <= 1)
		return;
	KASSERTMSG(intr_enabled(), "pmap_tlb_shootdown with interrupts disabled");
	kpreempt_disable();
	while (!simple_lock_try(&shootdown_lock))
		x86_pause();
	for (unsigned i = 0; i < ncpu; i++)
		if (i != cpu_number() && cpu_infos[i]->ci_running)
			targets |= 1ULL << i;
	shootdown_va = va;
	shootdown_len = len;
	__atomic_store_n(&shootdown_pending, targets, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < ncpu; i++)
		if (targets & (1ULL << i))
			lapic_send_ipi(cpu_infos[i], IPI_TLB);
	while (__atomic_load_n(&shootdown_pending, __ATOMIC_ACQUIRE) != 0)
		x86_pause();
	simple_unlock(&shootdown_lock);
	kpreempt_enable();
}
