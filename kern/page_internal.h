/*
 * page_internal.h: what kern/kmem.c (and the host harness) need from
 * kern/page.c beyond the public page_alloc()/page_free() in <kmem.h>.
 *
 * Not a public header: tests under tests/ may not include it.
 */
#ifndef PINWHEEL_KERN_PAGE_INTERNAL_H
#define PINWHEEL_KERN_PAGE_INTERNAL_H

#include <kmem.h>
#include <types.h>

/*
 * Physical to kernel virtual and back.  The kernel reaches every physical
 * page through the direct map; the host harness (tests/host) defines both
 * macros before this header to point into its fake physical memory.
 */
#ifndef PA_TO_VA
#include <machine/vmparam.h>
#define PA_TO_VA(pa)	PHYS_TO_DMAP(pa)
#define VA_TO_PA(va)	DMAP_TO_PHYS(va)
#endif

#define PAGE_MASK	(PAGE_SIZE - 1)
#define PAGE_MAX_ORDER	10		/* largest block: 1024 pages, 4 MiB */
#define PAGE_NORDER	(PAGE_MAX_ORDER + 1)
#define PAGE_MAX_RUN	((size_t)1 << PAGE_MAX_ORDER)

/* The pattern freed memory holds until it is handed out again. */
#define POISON_WORD	0xdeadbeefdeadbeefULL

/* page_init: build the page allocator from bootinfo.  Boot CPU, once. */
void page_init(void);
/* kmem_init: set up the kmem_alloc caches.  After page_init, once. */
void kmem_init(void);

/*
 * page_alloc_from: page_alloc_contig() on behalf of caller, so that its
 * panics name the code that asked for memory, not kmem.c.
 */
paddr_t page_alloc_from(size_t npages, km_flag_t flags, const void *caller);

/*
 * page_check_context: panic, naming fn and caller, unless an allocation
 * with these flags may be made here: flags hold exactly one of KM_SLEEP and
 * KM_NOSLEEP; the IPL is at most IPL_VM; KM_SLEEP only from a thread at
 * IPL_NONE.
 */
void page_check_context(const char *fn, km_flag_t flags, const void *caller);

/* What page_lookup() found at a physical address. */
enum page_use {
	PAGE_USE_NONE,		/* not memory this allocator manages */
	PAGE_USE_FREE,		/* free */
	PAGE_USE_HEAD,		/* first page of an allocated run */
	PAGE_USE_INSIDE,	/* a later page of an allocated run */
};

/*
 * page_lookup: the use of the page holding pa; for PAGE_USE_HEAD also the
 * length of its run in *npagesp.  For diagnostics and kmem_free() checks.
 */
enum page_use page_lookup(paddr_t pa, size_t *npagesp);

/*
 * page_in_heap: pa lies in the span of page frames the allocator manages.
 * Lock-free (the span is fixed at init).
 */
bool page_in_heap(paddr_t pa);

/* page_get_counts: totals for kmem_get_stats(). */
void page_get_counts(size_t *totalp, size_t *freep, size_t *failuresp);

/* page_free_blocks: the number of free blocks of each order. */
void page_free_blocks(size_t blocks[PAGE_NORDER]);

/*
 * page_verify: walk every descriptor and free list and panic on the first
 * inconsistency (for tests; O(pages)).
 */
void page_verify(void);

/* Poison helpers shared by page.c and kmem.c (len: a multiple of 8). */
void poison_fill(void *p, size_t len);
/* poison_damage: offset of the first byte that is not poison, or len. */
size_t poison_damage(const void *p, size_t len);

#endif
