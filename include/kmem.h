/*
 * kmem.h: the kernel memory allocators.
 *
 * Pages: page_alloc()/page_free() hand out physical pages from the boot
 * memory map, reached through the direct map (PHYS_TO_DMAP).
 *
 * Heap: kmem_alloc(size, flags)/kmem_free(p, size), NetBSD style: the caller
 * passes the size back on free (checked).  Small sizes come from per-size
 * caches of power-of-two classes (16 bytes to 4 KiB); larger requests take
 * whole contiguous pages.
 *
 * KM_SLEEP may wait for memory and never returns NULL (it panics with a
 * clear message if memory cannot be had after waiting); KM_NOSLEEP returns
 * NULL on failure and may be used from any context.  Freed memory is
 * poisoned and checked on reuse, so a write after free is reported with
 * the address and the allocation size.
 */
#ifndef PINWHEEL_KMEM_H
#define PINWHEEL_KMEM_H

#include <types.h>

#define PAGE_SIZE	4096UL
#define PAGE_SHIFT	12

typedef enum {
	KM_SLEEP = 0x1,		/* may block waiting for memory */
	KM_NOSLEEP = 0x2,	/* never blocks; may return NULL */
	KM_ZERO = 0x4,		/* zero the memory (with one of the above) */
} km_flag_t;

/*
 * kmem_alloc: allocate size bytes (size > 0).
 * Context: thread for KM_SLEEP; any for KM_NOSLEEP.  16-byte aligned;
 * page-aligned for sizes of a page or more.
 */
void *kmem_alloc(size_t size, km_flag_t flags);
/* kmem_zalloc: kmem_alloc with KM_ZERO. */
void *kmem_zalloc(size_t size, km_flag_t flags);
/*
 * kmem_free: free p, allocated with this size.  Context: any that could
 * have allocated it with KM_NOSLEEP.  Panics on a size mismatch or a
 * double free, naming the address.
 */
void kmem_free(void *p, size_t size);

/*
 * page_alloc: one zeroed physical page, or 0 if none is left (KM_NOSLEEP)
 * / after waiting (KM_SLEEP panics instead).  page_alloc_contig: npages
 * physically contiguous pages, aligned to their rounded-up power of two.
 */
paddr_t page_alloc(km_flag_t flags);
paddr_t page_alloc_contig(size_t npages, km_flag_t flags);
void page_free(paddr_t pa);
void page_free_contig(paddr_t pa, size_t npages);

struct kmem_stats {
	size_t ks_pages_total;	/* usable RAM pages managed */
	size_t ks_pages_free;
	size_t ks_heap_bytes;	/* bytes handed out by kmem_alloc, live */
	size_t ks_heap_allocs;	/* kmem_alloc calls that succeeded */
	size_t ks_heap_failures;	/* kmem_alloc/page_alloc returning NULL */
};
void kmem_get_stats(struct kmem_stats *ks);

#endif
