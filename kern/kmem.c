/*
 * kmem.c: the kernel heap, kmem_alloc() and kmem_free().
 *
 * Model
 *
 *	A request of up to KMEM_SLAB_MAX (2048) bytes comes from one of
 *	eight caches of power-of-two size classes, 16 to 2048 bytes.  A
 *	larger one is page-level: a run of whole pages from the page
 *	allocator, so the 4096-byte class is simply one page, and requests
 *	up to 4 MiB (the largest buddy block) can be met.
 *
 * Slabs
 *
 *	A cache takes memory in slabs of SLAB_PAGES pages (16 KiB), which the
 *	page allocator aligns to 16 KiB.  The slab header is at the start:
 *	magic, class, free count, list links and a bitmap with one bit per
 *	object (set: free); 16-byte aligned objects follow.  Because every
 *	slab is aligned to its size, kmem_free() finds the header of any
 *	object by masking its address, whatever size the caller claims, and
 *	can name the class the object really came from.  Free objects are
 *	found by scanning the bitmap, not through links stored in them, so a
 *	free object holds nothing but poison and a write anywhere in it is
 *	caught.  A cache keeps at most KMEM_KEEP_EMPTY wholly free slabs and
 *	gives further ones back to the page allocator.
 *
 * Checks
 *
 *	Poison: a freed object is filled with 0xdeadbeef and checked when it
 *	is handed out again and when its slab is given back; damage panics
 *	with the object, the offset and the class.  (Page-level memory is
 *	poisoned and checked the same way by page.c.)
 *	Redzone: the bytes from the requested size to the end of the class
 *	(or of the last page) are set to REDZONE_BYTE on allocation and
 *	checked on free, catching overruns and frees with too small a size.
 *	Frees: the address must start an object of the class the size maps
 *	to (slab objects) or a run of as many pages as the size needs
 *	(page-level); a second free panics naming the address.
 *	Context: page_check_context() (page.c) for allocations.
 *
 * Locking
 *
 *	Each cache has kc_lock, a spin mutex at IPL_VM, covering its slab
 *	list and counts and, in each of its slabs, sl_nfree, the links and
 *	the bitmap.  The class, geometry and magic are constant.  There are
 *	no per-CPU magazines: every small allocation takes its class lock,
 *	which is enough for a teaching kernel.  kc_lock is never held while
 *	calling page.c, so it never nests with pm_lock.  Objects are poisoned
 *	and checked outside the lock, while they belong to one thread only.
 *	The statistics are atomic counters.
 */

#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <mutex.h>
#include <spl.h>
#include <string.h>
#include <types.h>

#include "page_internal.h"

#define KMEM_MIN_SIZE	((size_t)16)
#define KMEM_NCLASS	8		/* 16, 32, ... 2048 */
#define KMEM_SLAB_MAX	(KMEM_MIN_SIZE << (KMEM_NCLASS - 1))
#define KMEM_KEEP_EMPTY	1
#define SLAB_PAGES	4
#define SLAB_BYTES	(SLAB_PAGES * PAGE_SIZE)
#define SLAB_MAGIC	0x51ab0b1eU
#define SLAB_MAP_WORDS	16		/* up to 1024 objects */
#define REDZONE_BYTE	0xa5

struct slab {
	uint32_t sl_magic;	/* constant: SLAB_MAGIC */
	uint16_t sl_class;	/* constant: index in kmem_caches */
	uint16_t sl_nfree;	/* kc_lock: free objects */
	struct slab *sl_self;	/* constant: this header's own address */
	struct slab *sl_next;	/* kc_lock: on kc_partial while sl_nfree > 0 */
	struct slab *sl_prev;	/* kc_lock */
	uint64_t sl_map[SLAB_MAP_WORDS]; /* kc_lock: bit set: object free */
};

#define SLAB_HDR	roundup(sizeof(struct slab), 16)

struct kmem_cache {
	size_t kc_size;		/* constant: object size */
	unsigned kc_nobj;	/* constant: objects per slab */
	kmutex_t kc_lock;	/* spin, IPL_VM: covers the fields below */
	struct slab *kc_partial; /* slabs with a free object */
	size_t kc_nslabs;	/* slabs held */
	unsigned kc_nempty;	/* slabs with every object free */
} __aligned(64);

static struct kmem_cache kmem_caches[KMEM_NCLASS];
static size_t kmem_heap_bytes;	/* atomic: live requested bytes */
static size_t kmem_heap_allocs;	/* atomic: successful kmem_alloc calls */
static bool kmem_ready;		/* set once by kmem_init */

CTASSERT(KMEM_SLAB_MAX == 2048);
CTASSERT(SLAB_HDR + SLAB_MAP_WORDS * 64 * KMEM_MIN_SIZE >= SLAB_BYTES);

/* kmem_class_of: the cache index for a small size. */
static unsigned
kmem_class_of(size_t size)
{
	unsigned k = 0;

	while ((KMEM_MIN_SIZE << k) < size)
		k++;
	return k;
}

/* pages_for: pages holding size bytes (no overflow near SIZE_MAX). */
static size_t
pages_for(size_t size)
{

	return size / PAGE_SIZE + ((size & PAGE_MASK) != 0);
}

static inline char *
slab_object(struct slab *sl, const struct kmem_cache *kc, unsigned i)
{

	return (char *)sl + SLAB_HDR + (size_t)i * kc->kc_size;
}

static inline bool
slab_obj_free(const struct slab *sl, unsigned i)
{

	return (sl->sl_map[i / 64] >> (i % 64)) & 1;
}

/*
 * slab_of: the slab header on the 16 KiB boundary below p, or NULL if p is
 * not heap memory or there is no slab there.
 */
static struct slab *
slab_of(const void *p)
{
	struct slab *sl = (struct slab *)((uintptr_t)p &
	    ~(uintptr_t)(SLAB_BYTES - 1));

	if (!page_in_heap(VA_TO_PA(p)) || !page_in_heap(VA_TO_PA(sl)))
		return NULL;
	if (sl->sl_magic != SLAB_MAGIC || sl->sl_self != sl ||
	    sl->sl_class >= KMEM_NCLASS)
		return NULL;
	return sl;
}

/*
 * Redzone: the bytes between the requested size and the end of the
 * allocation.
 */
static void
redzone_fill(void *p, size_t size, size_t end)
{

	memset((char *)p + size, REDZONE_BYTE, end - size);
}

/* redzone_damage: offset of the first changed redzone byte, or end. */
static size_t
redzone_damage(const void *p, size_t size, size_t end)
{
	const uint8_t *b = p;
	size_t i;

	for (i = size; i < end; i++)
		if (b[i] != REDZONE_BYTE)
			return i;
	return end;
}

static __noreturn void
kmem_panic_overrun(const void *p, size_t size, size_t off, size_t end,
    const void *caller)
{

	panic("kmem_free: buffer overrun at %p (offset %zu): %zu bytes were "
	    "requested (freed by %p with that size; the allocation spans %zu)",
	    p, off, size, caller, end);
}

/*
 * Slab lists.  kc_lock held.
 */
static void
slab_link(struct kmem_cache *kc, struct slab *sl)
{

	sl->sl_prev = NULL;
	sl->sl_next = kc->kc_partial;
	if (kc->kc_partial != NULL)
		kc->kc_partial->sl_prev = sl;
	kc->kc_partial = sl;
}

static void
slab_unlink(struct kmem_cache *kc, struct slab *sl)
{

	if (sl->sl_prev != NULL)
		sl->sl_prev->sl_next = sl->sl_next;
	else
		kc->kc_partial = sl->sl_next;
	if (sl->sl_next != NULL)
		sl->sl_next->sl_prev = sl->sl_prev;
	sl->sl_next = sl->sl_prev = NULL;
}

/* slab_create: a new slab with every object free and poisoned. */
static struct slab *
slab_create(struct kmem_cache *kc, km_flag_t flags, const void *caller)
{
	struct slab *sl;
	paddr_t pa;
	unsigned i;

	pa = page_alloc_from(SLAB_PAGES, flags & (KM_SLEEP | KM_NOSLEEP),
	    caller);
	if (pa == 0)
		return NULL;
	sl = PA_TO_VA(pa);
	sl->sl_magic = SLAB_MAGIC;
	sl->sl_class = (uint16_t)(kc - kmem_caches);
	sl->sl_nfree = (uint16_t)kc->kc_nobj;
	sl->sl_self = sl;
	sl->sl_next = sl->sl_prev = NULL;
	memset(sl->sl_map, 0, sizeof(sl->sl_map));
	for (i = 0; i < kc->kc_nobj; i++)
		sl->sl_map[i / 64] |= 1ULL << (i % 64);
	poison_fill(slab_object(sl, kc, 0), kc->kc_nobj * kc->kc_size);
	return sl;
}

/* slab_destroy: check a wholly free, unlinked slab and give it back. */
static void
slab_destroy(struct kmem_cache *kc, struct slab *sl)
{
	unsigned i;
	size_t off;
	char *obj;

	for (i = 0; i < kc->kc_nobj; i++) {
		obj = slab_object(sl, kc, i);
		off = poison_damage(obj, kc->kc_size);
		if (off < kc->kc_size)
			panic("kmem: write after free at %p (offset %zu, size "
			    "class %zu)", obj, off, kc->kc_size);
	}
	sl->sl_magic = 0;
	page_free_contig(VA_TO_PA(sl), SLAB_PAGES);
}

/* slab_take: claim the first free object of sl.  kc_lock held. */
static unsigned
slab_take(struct kmem_cache *kc, struct slab *sl)
{
	unsigned w = 0, i;

	while (sl->sl_map[w] == 0)
		w++;
	i = w * 64 + (unsigned)__builtin_ctzll(sl->sl_map[w]);
	sl->sl_map[w] &= ~(1ULL << (i % 64));
	if (sl->sl_nfree == kc->kc_nobj)
		kc->kc_nempty--;
	if (--sl->sl_nfree == 0)
		slab_unlink(kc, sl);
	return i;
}

/*
 * slab_put: mark object i free.  Returns true if the slab is now free and
 * unlinked, for the caller to destroy after dropping kc_lock.
 */
static bool
slab_put(struct kmem_cache *kc, struct slab *sl, unsigned i)
{

	sl->sl_map[i / 64] |= 1ULL << (i % 64);
	if (++sl->sl_nfree == 1)
		slab_link(kc, sl);
	if (sl->sl_nfree < kc->kc_nobj)
		return false;
	if (kc->kc_nempty < KMEM_KEEP_EMPTY) {
		kc->kc_nempty++;
		return false;
	}
	slab_unlink(kc, sl);
	kc->kc_nslabs--;
	return true;
}

static void *
kmem_cache_alloc(struct kmem_cache *kc, km_flag_t flags, const void *caller)
{
	struct slab *sl;
	size_t off;
	char *obj;

	mutex_enter(&kc->kc_lock);
	while ((sl = kc->kc_partial) == NULL) {
		mutex_exit(&kc->kc_lock);
		sl = slab_create(kc, flags, caller);
		if (sl == NULL)
			return NULL;
		mutex_enter(&kc->kc_lock);
		slab_link(kc, sl);
		kc->kc_nslabs++;
		kc->kc_nempty++;
	}
	obj = slab_object(sl, kc, slab_take(kc, sl));
	mutex_exit(&kc->kc_lock);

	off = poison_damage(obj, kc->kc_size);
	if (off < kc->kc_size)
		panic("kmem: write after free at %p (offset %zu, size class "
		    "%zu)", obj, off, kc->kc_size);
	return obj;
}

static __noreturn void
kmem_panic_mismatch(const void *p, size_t size, size_t npages,
    size_t class_size)
{

	if (npages > 1)
		panic("kmem_free: %p freed with size %zu but allocated as %zu "
		    "pages", p, size, npages);
	panic("kmem_free: %p freed with size %zu but allocated from the "
	    "%zu-byte class", p, size, class_size);
}

/*
 * kmem_free_diagnose: p is neither an object of the class size maps to
 * nor a page-level allocation of that size; say what it is.
 */
static __noreturn void
kmem_free_diagnose(const void *p, size_t size, const void *caller)
{
	paddr_t pa = VA_TO_PA(p);
	struct slab *sl;
	size_t npages = 0;

	if (!page_in_heap(pa))
		panic("kmem_free: %p (size %zu, from %p) is not a kernel heap "
		    "address", p, size, caller);
	if ((sl = slab_of(p)) != NULL && (const void *)sl != p)
		kmem_panic_mismatch(p, size, 1,
		    kmem_caches[sl->sl_class].kc_size);
	switch (page_lookup(pa & ~(paddr_t)PAGE_MASK, &npages)) {
	case PAGE_USE_FREE:
		panic("kmem_free: double free of %p (size %zu, from %p): its "
		    "memory is already free", p, size, caller);
	case PAGE_USE_HEAD:
		if (((uintptr_t)p & PAGE_MASK) == 0 && (const void *)sl != p)
			kmem_panic_mismatch(p, size, npages, PAGE_SIZE);
		break;
	default:
		break;
	}
	panic("kmem_free: %p (size %zu, from %p) was not returned by "
	    "kmem_alloc", p, size, caller);
}

static void
kmem_cache_free(struct kmem_cache *kc, void *p, size_t size,
    const void *caller)
{
	struct slab *sl = slab_of(p);
	bool destroy;
	size_t off;
	unsigned i;

	if (sl == NULL)
		kmem_free_diagnose(p, size, caller);
	if (&kmem_caches[sl->sl_class] != kc)
		kmem_panic_mismatch(p, size, 1,
		    kmem_caches[sl->sl_class].kc_size);
	off = (size_t)((char *)p - slab_object(sl, kc, 0));
	if ((char *)p < slab_object(sl, kc, 0) || off % kc->kc_size != 0 ||
	    off / kc->kc_size >= kc->kc_nobj)
		panic("kmem_free: %p (size %zu, from %p) is not the start of a "
		    "%zu-byte object", p, size, caller, kc->kc_size);
	i = (unsigned)(off / kc->kc_size);

	off = redzone_damage(p, size, kc->kc_size);
	if (off < kc->kc_size) {
		/* A free object holds poison, not the redzone: say which. */
		mutex_enter(&kc->kc_lock);
		if (slab_obj_free(sl, i))
			panic("kmem_free: double free of %p (size %zu, from "
			    "%p)", p, size, caller);
		kmem_panic_overrun(p, size, off, kc->kc_size, caller);
	}
	poison_fill(p, kc->kc_size);
	mutex_enter(&kc->kc_lock);
	if (slab_obj_free(sl, i))
		panic("kmem_free: double free of %p (size %zu, from %p)", p,
		    size, caller);
	destroy = slab_put(kc, sl, i);
	mutex_exit(&kc->kc_lock);
	if (destroy)
		slab_destroy(kc, sl);
}

static void *
kmem_pages_alloc(size_t size, km_flag_t flags, const void *caller)
{
	paddr_t pa;

	pa = page_alloc_from(pages_for(size), flags & (KM_SLEEP | KM_NOSLEEP),
	    caller);
	return pa == 0 ? NULL : PA_TO_VA(pa);
}

static void
kmem_pages_free(void *p, size_t size, const void *caller)
{
	size_t npages = pages_for(size), have = 0, off;
	paddr_t pa = VA_TO_PA(p);

	if (!page_in_heap(pa) || ((uintptr_t)p & PAGE_MASK) != 0 ||
	    page_lookup(pa, &have) != PAGE_USE_HEAD ||
	    (have == SLAB_PAGES && slab_of(p) == p))
		kmem_free_diagnose(p, size, caller);
	if (have != npages)
		kmem_panic_mismatch(p, size, have, PAGE_SIZE);
	off = redzone_damage(p, size, npages * PAGE_SIZE);
	if (off < npages * PAGE_SIZE)
		kmem_panic_overrun(p, size, off, npages * PAGE_SIZE, caller);
	page_free_contig(pa, npages);
}

static void *
kmem_alloc_from(size_t size, km_flag_t flags, const void *caller)
{
	struct kmem_cache *kc;
	size_t end;
	void *p;

	page_check_context("kmem_alloc", flags, caller);
	KASSERTMSG(kmem_ready, "kmem_alloc: called from %p before kmem_init",
	    caller);
	KASSERTMSG(size > 0, "kmem_alloc: 0 bytes requested by %p", caller);
	if (size <= KMEM_SLAB_MAX) {
		kc = &kmem_caches[kmem_class_of(size)];
		p = kmem_cache_alloc(kc, flags, caller);
		end = kc->kc_size;
		if (p != NULL && (flags & KM_ZERO))
			memset(p, 0, size);
	} else {
		/* Page-level memory comes zeroed. */
		p = kmem_pages_alloc(size, flags, caller);
		end = pages_for(size) * PAGE_SIZE;
	}
	if (p == NULL)
		return NULL;
	redzone_fill(p, size, end);
	__atomic_add_fetch(&kmem_heap_bytes, size, __ATOMIC_RELAXED);
	__atomic_add_fetch(&kmem_heap_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

/*
 * kmem_alloc, kmem_zalloc: see <kmem.h>.  Each takes its own return
 * address, so that a panic names the code that called it.
 */
void *
kmem_alloc(size_t size, km_flag_t flags)
{

	return kmem_alloc_from(size, flags, __builtin_return_address(0));
}

void *
kmem_zalloc(size_t size, km_flag_t flags)
{

	return kmem_alloc_from(size, flags | KM_ZERO,
	    __builtin_return_address(0));
}

/*
 * kmem_free: see <kmem.h>.  Context: any at or below IPL_VM.  Never
 * blocks.
 */
void
kmem_free(void *p, size_t size)
{
	const void *caller = __builtin_return_address(0);
	ipl_t ipl = curipl();

	KASSERTMSG(kmem_ready, "kmem_free: called from %p before kmem_init",
	    caller);
	KASSERTMSG(p != NULL, "kmem_free: NULL pointer (size %zu) from %p",
	    size, caller);
	KASSERTMSG(size > 0, "kmem_free: %p freed with size 0 by %p", p,
	    caller);
	KASSERTMSG(ipl <= IPL_VM, "kmem_free: called at %s from %p, above "
	    "IPL_VM", ipl_name(ipl), caller);
	if (size <= KMEM_SLAB_MAX)
		kmem_cache_free(&kmem_caches[kmem_class_of(size)], p, size,
		    caller);
	else
		kmem_pages_free(p, size, caller);
	__atomic_sub_fetch(&kmem_heap_bytes, size, __ATOMIC_RELAXED);
}

/* kmem_get_stats: a snapshot of the counters.  Context: at most IPL_VM. */
void
kmem_get_stats(struct kmem_stats *ks)
{

	page_get_counts(&ks->ks_pages_total, &ks->ks_pages_free,
	    &ks->ks_heap_failures);
	ks->ks_heap_bytes = __atomic_load_n(&kmem_heap_bytes, __ATOMIC_RELAXED);
	ks->ks_heap_allocs = __atomic_load_n(&kmem_heap_allocs,
	    __ATOMIC_RELAXED);
}

/*
 * kmem_init: set up the caches.  Context: boot CPU, once, after page_init.
 */
void
kmem_init(void)
{
	struct kmem_cache *kc;
	unsigned k;

	for (k = 0; k < KMEM_NCLASS; k++) {
		kc = &kmem_caches[k];
		memset(kc, 0, sizeof(*kc));
		kc->kc_size = KMEM_MIN_SIZE << k;
		kc->kc_nobj = (unsigned)((SLAB_BYTES - SLAB_HDR) / kc->kc_size);
		KASSERT(kc->kc_nobj <= SLAB_MAP_WORDS * 64);
		mutex_init(&kc->kc_lock, MUTEX_SPIN, IPL_VM);
	}
	kmem_heap_bytes = 0;
	kmem_heap_allocs = 0;
	kmem_ready = true;
}
