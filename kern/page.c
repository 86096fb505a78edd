/*
 * page.c: the physical page allocator.
 *
 * Model
 *
 *	A binary buddy allocator over the usable RAM of the boot memory map
 *	(bootinfo), above both 1 MiB and bi_reserved_end.  Free memory is
 *	kept as blocks of 2^k pages, k = 0..PAGE_MAX_ORDER (4 MiB), each
 *	aligned to its size in physical memory, on one free list per order.
 *	A request for n pages takes the smallest free block of order
 *	ceil(log2 n) or more, halving larger blocks on the way, and gives the
 *	pages past n straight back; so a run is aligned to n rounded up to a
 *	power of two.  A free hands the pages back as the largest aligned
 *	blocks that fit, and merges each with its buddy (the other half of
 *	the next larger block) for as long as the buddy is free and whole.
 *
 * Metadata
 *
 *	One 12-byte descriptor per page frame, from the lowest managed frame
 *	(rounded down to a 4 MiB boundary, so that a descriptor index and its
 *	frame number have the same alignment and buddies are found by xor)
 *	to the highest.  The array is carved at init out of the first usable
 *	range it fits in, and its frames are never managed.  Free-list links
 *	are indexes into the array, not pointers kept in the free pages: the
 *	allocator writes a free page only to poison it, so the poison covers
 *	the whole page.  Holes in the memory map cost 12 bytes per 4 KiB.
 *
 * States of a page (pd_state)
 *
 *	UNMANAGED	below the floor, not usable RAM, or the descriptor
 *			array; fixed at init.
 *	FREE_HEAD	first page of a free block, on pm_free[pd_order].
 *	FREE		a later page of a free block.
 *	ALLOC_HEAD,	first and later pages of an allocated run, which is
 *	ALLOC_TAIL	exactly as long as was asked for.  So page_free()
 *			catches a second free, a free of a page inside a run,
 *			a free with the wrong length, and a free of memory
 *			never handed out, and names the physical address.
 *
 * Poisoning
 *
 *	page_free() fills each page with POISON_WORD and sets pd_poisoned;
 *	page_alloc() checks a poisoned page before zeroing it, so a write to
 *	freed memory is reported when the page is next handed out.  Pages not
 *	handed out since boot are neither poisoned nor checked, which spares
 *	boot from writing all of RAM.  Both run outside the lock.
 *
 * Waiting
 *
 *	KM_SLEEP waits on pm_cv for pages to be freed, PAGE_WAIT_NS in all,
 *	then panics with the request and the free count.  A request that can
 *	never be met (more than the largest block or than all of RAM) panics
 *	at once instead of waiting.  KM_NOSLEEP returns 0 and counts a failure.
 *
 * Locking
 *
 *	pm_lock, a spin mutex at IPL_VM, covers every descriptor and every
 *	field of pm not marked constant.  Nothing else is locked under it
 *	except the sleep queue inside cv_timedwait/cv_broadcast on pm_cv.
 *	Callers may be at any IPL up to IPL_VM; KM_SLEEP only from a thread
 *	at IPL_NONE (page_check_context).
 */

#include <bootinfo.h>
#include <condvar.h>
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <mutex.h>
#include <spl.h>
#include <string.h>
#include <time.h>
#include <types.h>

#include "page_internal.h"
#include "irq_rules.h"

#define PAGE_FLOOR	0x100000ULL	/* the first MiB is never handed out */
#define PAGE_WAIT_NS	(5 * NS_PER_SEC)
#define PD_NIL		UINT32_MAX	/* end of a free list */

enum pd_state {
	PD_UNMANAGED = 0,
	PD_FREE_HEAD,
	PD_FREE,
	PD_ALLOC_HEAD,
	PD_ALLOC_TAIL,
	PD_CANDIDATE,		/* page_init only: usable, not yet freed */
};

struct page_desc {
	uint32_t pd_next;	/* pm_lock: free list links, if FREE_HEAD */
	uint32_t pd_prev;	/* pm_lock */
	uint8_t pd_state;	/* pm_lock: enum pd_state */
	uint8_t pd_order;	/* pm_lock: block order, if FREE_HEAD */
	uint8_t pd_poisoned;	/* pm_lock: holds POISON_WORD since its free */
};

static struct {
	struct page_desc *pm_desc;	/* constant: the descriptor array */
	uint64_t pm_base;		/* constant: frame of pm_desc[0] */
	size_t pm_npd;			/* constant: descriptors */
	size_t pm_total;		/* constant: pages managed */
	bool pm_ready;			/* constant once page_init is done */
	kcondvar_t pm_cv;		/* KM_SLEEP waiters for pages */
	kmutex_t pm_lock;		/* spin, IPL_VM: covers those below */
	uint32_t pm_free[PAGE_NORDER];	/* free list heads (indexes) */
	size_t pm_nblocks[PAGE_NORDER];	/* free blocks of each order */
	size_t pm_nfree;		/* free pages */
	size_t pm_failures;		/* requests that returned 0 */
	unsigned pm_waiters;		/* LWPs waiting on pm_cv */
} pm;

static inline struct page_desc *
pd(size_t i)
{

	return &pm.pm_desc[i];
}

static inline size_t
order_pages(unsigned order)
{

	return (size_t)1 << order;
}

static inline paddr_t
idx_to_pa(size_t i)
{

	return (paddr_t)(pm.pm_base + i) << PAGE_SHIFT;
}

/* pa_to_idx: the descriptor index of the page holding pa, if in the span. */
static bool
pa_to_idx(paddr_t pa, size_t *ip)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	if (pm.pm_desc == NULL || pfn < pm.pm_base ||
	    pfn - pm.pm_base >= pm.pm_npd)
		return false;
	*ip = pfn - pm.pm_base;
	return true;
}

/* order_for: the smallest order whose block holds npages. */
static unsigned
order_for(size_t npages)
{
	unsigned order = 0;

	while (order_pages(order) < npages)
		order++;
	return order;
}

/*
 * Poison.  Objects and pages are 8-byte aligned multiples of 8 bytes.
 */
void
poison_fill(void *p, size_t len)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = POISON_WORD;
}

size_t
poison_damage(const void *p, size_t len)
{
	const uint64_t *w = p;
	const uint8_t *b;
	size_t i, k;

	for (i = 0; i < len / sizeof(*w); i++) {
		if (w[i] == POISON_WORD)
			continue;
		b = (const uint8_t *)&w[i];
		for (k = 0; k < sizeof(*w); k++)
			if (b[k] != (uint8_t)(POISON_WORD >> (8 * k)))
				break;
		return i * sizeof(*w) + k;
	}
	return len;
}

/*
 * Free lists.  pm_nfree and pm_nblocks follow the lists, so a merge (take
 * the buddy off, put the larger block on) keeps them right by itself.
 */
static void
freelist_push(size_t i, unsigned order)
{
	struct page_desc *d = pd(i);
	uint32_t head = pm.pm_free[order];

	d->pd_state = PD_FREE_HEAD;
	d->pd_order = (uint8_t)order;
	d->pd_prev = PD_NIL;
	d->pd_next = head;
	if (head != PD_NIL)
		pd(head)->pd_prev = (uint32_t)i;
	pm.pm_free[order] = (uint32_t)i;
	pm.pm_nblocks[order]++;
	pm.pm_nfree += order_pages(order);
}

static void
freelist_unlink(size_t i)
{
	struct page_desc *d = pd(i);
	unsigned order = d->pd_order;

	KASSERTMSG(d->pd_state == PD_FREE_HEAD,
	    "page: unlinking pa %#llx, which is not a free block (state %u)",
	    (unsigned long long)idx_to_pa(i), d->pd_state);
	if (d->pd_prev != PD_NIL)
		pd(d->pd_prev)->pd_next = d->pd_next;
	else
		pm.pm_free[order] = d->pd_next;
	if (d->pd_next != PD_NIL)
		pd(d->pd_next)->pd_prev = d->pd_prev;
	d->pd_state = PD_FREE;
	pm.pm_nblocks[order]--;
	pm.pm_nfree -= order_pages(order);
}

/* buddy_is_free: the block at b is free, whole, and of this order. */
static bool
buddy_is_free(size_t b, unsigned order)
{

	return b < pm.pm_npd && pd(b)->pd_state == PD_FREE_HEAD &&
	    pd(b)->pd_order == order;
}

/* block_free: give back the aligned block at i, merging with its buddies. */
static void
block_free(size_t i, unsigned order)
{
	size_t j, b;

	for (j = 0; j < order_pages(order); j++)
		pd(i + j)->pd_state = PD_FREE;
	while (order < PAGE_MAX_ORDER) {
		b = i ^ order_pages(order);
		if (!buddy_is_free(b, order))
			break;
		freelist_unlink(b);
		i = MIN(i, b);
		order++;
	}
	freelist_push(i, order);
}

/* range_free: give back n pages from i as the largest aligned blocks. */
static void
range_free(size_t i, size_t n)
{
	unsigned order;

	while (n > 0) {
		order = PAGE_MAX_ORDER;
		while ((i & (order_pages(order) - 1)) != 0 ||
		    order_pages(order) > n)
			order--;
		block_free(i, order);
		i += order_pages(order);
		n -= order_pages(order);
	}
}

/* block_take: take a free block of exactly this order, splitting one. */
static bool
block_take(unsigned order, size_t *ip)
{
	unsigned k = order;
	size_t i;

	while (k <= PAGE_MAX_ORDER && pm.pm_free[k] == PD_NIL)
		k++;
	if (k > PAGE_MAX_ORDER)
		return false;
	i = pm.pm_free[k];
	freelist_unlink(i);
	while (k > order) {
		k--;
		freelist_push(i + order_pages(k), k);
	}
	*ip = i;
	return true;
}

/* run_length: pages in the allocated run whose first page is i. */
static size_t
run_length(size_t i)
{
	size_t n = 1;

	while (i + n < pm.pm_npd && pd(i + n)->pd_state == PD_ALLOC_TAIL)
		n++;
	return n;
}

/*
 * run_mark_allocated: make pages i..i+n-1 one run, noting in the bitmap
 * poisoned which of them hold poison to check.
 */
static void
run_mark_allocated(size_t i, size_t n, uint64_t *poisoned)
{
	struct page_desc *d;
	size_t j;

	for (j = 0; j < n; j++) {
		d = pd(i + j);
		d->pd_state = j == 0 ? PD_ALLOC_HEAD : PD_ALLOC_TAIL;
		if (d->pd_poisoned) {
			poisoned[j / 64] |= 1ULL << (j % 64);
			d->pd_poisoned = 0;
		}
	}
}

/* run_prepare: check the poison of a fresh run's pages and zero them. */
static void
run_prepare(paddr_t pa, size_t n, const uint64_t *poisoned)
{
	size_t j, off;
	void *va;

	for (j = 0; j < n; j++, pa += PAGE_SIZE) {
		va = PA_TO_VA(pa);
		off = PAGE_SIZE;
		if ((poisoned[j / 64] >> (j % 64)) & 1)
			off = poison_damage(va, PAGE_SIZE);
		if (off < PAGE_SIZE)
			panic("page_alloc: write after free at pa %#llx "
			    "(offset %zu): the page was modified while free",
			    (unsigned long long)pa, off);
		memset(va, 0, PAGE_SIZE);
	}
}

/*
 * run_check: the index of the run of npages at pa that the caller frees;
 * panics, naming pa and the caller, if that is not an allocated run of
 * exactly that length.  pm_lock held.
 */
static size_t
run_check(paddr_t pa, size_t npages, const void *caller)
{
	unsigned long long a = pa;
	size_t i, have;

	if ((pa & PAGE_MASK) != 0)
		panic("page_free: pa %#llx from %p is not page-aligned", a,
		    caller);
	if (!pa_to_idx(pa, &i) || pd(i)->pd_state == PD_UNMANAGED)
		panic("page_free: pa %#llx from %p was never handed out "
		    "(not managed memory)", a, caller);
	switch (pd(i)->pd_state) {
	case PD_FREE_HEAD:
	case PD_FREE:
		panic("page_free: double free of pa %#llx from %p", a, caller);
	case PD_ALLOC_TAIL:
		panic("page_free: pa %#llx from %p is inside an allocated "
		    "run, not its first page", a, caller);
	default:
		break;
	}
	have = run_length(i);
	if (have != npages)
		panic("page_free: pa %#llx from %p freed as %zu pages but "
		    "allocated as %zu", a, caller, npages, have);
	return i;
}

void
page_check_context(const char *fn, km_flag_t flags, const void *caller)
{
	int how = flags & (KM_SLEEP | KM_NOSLEEP);
	ipl_t ipl = curipl();

	KASSERTMSG(pm.pm_ready, "%s: called from %p before page_init", fn,
	    caller);
	KASSERTMSG((flags & ~(KM_SLEEP | KM_NOSLEEP | KM_ZERO)) == 0 &&
	    (how == KM_SLEEP || how == KM_NOSLEEP),
	    "%s: flags %#x from %p: need exactly one of KM_SLEEP and "
	    "KM_NOSLEEP", fn, (unsigned)flags, caller);
	KASSERTMSG(ipl <= IPL_VM, "%s: called at %s from %p, above IPL_VM "
	    "where the allocator's locks are", fn, ipl_name(ipl), caller);
	if (how != KM_SLEEP)
		return;
	irq_forbid_sleep(fn, "with KM_SLEEP");
	KASSERTMSG(!cpu_intr_p(), "%s: KM_SLEEP from interrupt context, "
	    "caller %p", fn, caller);
	KASSERTMSG(ipl == IPL_NONE, "%s: KM_SLEEP at %s (a spin mutex "
	    "held?), caller %p", fn, ipl_name(ipl), caller);
}

/*
 * page_request_possible: false if no amount of waiting can find npages
 * contiguous pages; then KM_SLEEP panics and KM_NOSLEEP counts a failure.
 */
static bool
page_request_possible(size_t npages, km_flag_t flags, const void *caller)
{

	if (npages <= PAGE_MAX_RUN && npages <= pm.pm_total)
		return true;
	if (flags & KM_SLEEP)
		panic("page_alloc: %zu pages requested by %p can never be "
		    "satisfied (largest block %zu pages, %zu pages of RAM)",
		    npages, caller, PAGE_MAX_RUN, pm.pm_total);
	mutex_enter(&pm.pm_lock);
	pm.pm_failures++;
	mutex_exit(&pm.pm_lock);
	return false;
}

/*
 * page_wait: sleep until pages are freed or the deadline (set on the first
 * call) passes; panics when it has.  pm_lock held, released while asleep.
 */
static void
page_wait(size_t npages, uint64_t *deadlinep, const void *caller)
{
	uint64_t now = nanouptime();

	if (*deadlinep == 0) {
		*deadlinep = now + PAGE_WAIT_NS;
		kwarn("page_alloc: %p waits for %zu pages (%zu free)", caller,
		    npages, pm.pm_nfree);
	}
	if (now >= *deadlinep)
		panic("page_alloc: out of memory: %zu pages requested, %zu "
		    "free", npages, pm.pm_nfree);
	pm.pm_waiters++;
	(void)cv_timedwait(&pm.pm_cv, &pm.pm_lock, *deadlinep - now);
	pm.pm_waiters--;
}

paddr_t
page_alloc_from(size_t npages, km_flag_t flags, const void *caller)
{
	uint64_t poisoned[PAGE_MAX_RUN / 64];
	uint64_t deadline = 0;
	unsigned order;
	size_t i;

	page_check_context("page_alloc", flags, caller);
	KASSERTMSG(npages > 0, "page_alloc: 0 pages requested by %p", caller);
	if (!page_request_possible(npages, flags, caller))
		return 0;
	order = order_for(npages);
	memset(poisoned, 0, sizeof(poisoned));
	mutex_enter(&pm.pm_lock);
	while (!block_take(order, &i)) {
		if ((flags & KM_SLEEP) == 0) {
			pm.pm_failures++;
			mutex_exit(&pm.pm_lock);
			return 0;
		}
		page_wait(npages, &deadline, caller);
	}
	run_mark_allocated(i, npages, poisoned);
	range_free(i + npages, order_pages(order) - npages);
	mutex_exit(&pm.pm_lock);
	run_prepare(idx_to_pa(i), npages, poisoned);
	return idx_to_pa(i);
}

/*
 * page_alloc, page_alloc_contig: see <kmem.h>.  Context: any at or below
 * IPL_VM with KM_NOSLEEP; a thread at IPL_NONE with KM_SLEEP, which may
 * sleep up to PAGE_WAIT_NS.
 */
paddr_t
page_alloc(km_flag_t flags)
{

	return page_alloc_from(1, flags, __builtin_return_address(0));
}

paddr_t
page_alloc_contig(size_t npages, km_flag_t flags)
{

	return page_alloc_from(npages, flags, __builtin_return_address(0));
}

/*
 * page_free_run: check the run under the lock before poisoning it (never
 * write memory the caller does not own), and again after, so that of two
 * racing frees of one run the second panics.
 */
static void
page_free_run(paddr_t pa, size_t npages, const void *caller)
{
	ipl_t ipl = curipl();
	size_t i, j;

	KASSERTMSG(pm.pm_ready, "page_free: called from %p before page_init",
	    caller);
	KASSERTMSG(ipl <= IPL_VM, "page_free: called at %s from %p, above "
	    "IPL_VM", ipl_name(ipl), caller);
	mutex_enter(&pm.pm_lock);
	(void)run_check(pa, npages, caller);
	mutex_exit(&pm.pm_lock);
	for (j = 0; j < npages; j++)
		poison_fill(PA_TO_VA(pa + j * PAGE_SIZE), PAGE_SIZE);
	mutex_enter(&pm.pm_lock);
	i = run_check(pa, npages, caller);
	for (j = 0; j < npages; j++)
		pd(i + j)->pd_poisoned = 1;
	range_free(i, npages);
	if (pm.pm_waiters > 0)
		cv_broadcast(&pm.pm_cv);
	mutex_exit(&pm.pm_lock);
}

/*
 * page_free, page_free_contig: see <kmem.h>.  Context: any at or below
 * IPL_VM.  Never blocks.
 */
void
page_free(paddr_t pa)
{

	page_free_run(pa, 1, __builtin_return_address(0));
}

void
page_free_contig(paddr_t pa, size_t npages)
{

	page_free_run(pa, npages, __builtin_return_address(0));
}

enum page_use
page_lookup(paddr_t pa, size_t *npagesp)
{
	enum page_use use;
	size_t i;

	if (!pa_to_idx(pa, &i))
		return PAGE_USE_NONE;
	mutex_enter(&pm.pm_lock);
	switch (pd(i)->pd_state) {
	case PD_FREE_HEAD:
	case PD_FREE:
		use = PAGE_USE_FREE;
		break;
	case PD_ALLOC_HEAD:
		use = PAGE_USE_HEAD;
		if (npagesp != NULL)
			*npagesp = run_length(i);
		break;
	case PD_ALLOC_TAIL:
		use = PAGE_USE_INSIDE;
		break;
	default:
		use = PAGE_USE_NONE;
		break;
	}
	mutex_exit(&pm.pm_lock);
	return use;
}

bool
page_in_heap(paddr_t pa)
{
	size_t i;

	return pa_to_idx(pa, &i);
}

void
page_get_counts(size_t *totalp, size_t *freep, size_t *failuresp)
{

	mutex_enter(&pm.pm_lock);
	*totalp = pm.pm_total;
	*freep = pm.pm_nfree;
	*failuresp = pm.pm_failures;
	mutex_exit(&pm.pm_lock);
}

void
page_free_blocks(size_t blocks[PAGE_NORDER])
{
	unsigned k;

	mutex_enter(&pm.pm_lock);
	for (k = 0; k < PAGE_NORDER; k++)
		blocks[k] = pm.pm_nblocks[k];
	mutex_exit(&pm.pm_lock);
}

/* verify_block: a free block on list order is whole and could not merge. */
static void
verify_block(size_t i, unsigned order, uint32_t prev)
{
	unsigned long long a = idx_to_pa(i);
	size_t j;

	KASSERTMSG(pd(i)->pd_state == PD_FREE_HEAD && pd(i)->pd_order == order,
	    "page_verify: pa %#llx on the order-%u list has state %u order %u",
	    a, order, pd(i)->pd_state, pd(i)->pd_order);
	KASSERTMSG(pd(i)->pd_prev == prev, "page_verify: pa %#llx: bad "
	    "back link", a);
	KASSERTMSG((i & (order_pages(order) - 1)) == 0, "page_verify: "
	    "order-%u block at pa %#llx is misaligned", order, a);
	for (j = 1; j < order_pages(order); j++)
		KASSERTMSG(pd(i + j)->pd_state == PD_FREE, "page_verify: "
		    "page %zu of the free block at pa %#llx has state %u", j,
		    a, pd(i + j)->pd_state);
	KASSERTMSG(order == PAGE_MAX_ORDER ||
	    !buddy_is_free(i ^ order_pages(order), order),
	    "page_verify: order-%u block at pa %#llx and its buddy are both "
	    "free but not merged", order, a);
}

void
page_verify(void)
{
	size_t i, heads = 0, blocks = 0, freepages = 0, managed = 0, steps;
	uint32_t prev;
	unsigned k;

	mutex_enter(&pm.pm_lock);
	for (k = 0; k < PAGE_NORDER; k++) {
		prev = PD_NIL;
		steps = 0;
		for (i = pm.pm_free[k]; i != PD_NIL; i = pd(i)->pd_next) {
			KASSERTMSG(++steps <= pm.pm_npd, "page_verify: the "
			    "order-%u free list loops", k);
			verify_block(i, k, prev);
			prev = (uint32_t)i;
			freepages += order_pages(k);
		}
		KASSERTMSG(steps == pm.pm_nblocks[k], "page_verify: order %u "
		    "list has %zu blocks, count says %zu", k, steps,
		    pm.pm_nblocks[k]);
		blocks += steps;
	}
	for (i = 0; i < pm.pm_npd; i++) {
		KASSERTMSG(pd(i)->pd_state != PD_CANDIDATE,
		    "page_verify: pa %#llx left over from page_init",
		    (unsigned long long)idx_to_pa(i));
		heads += pd(i)->pd_state == PD_FREE_HEAD;
		managed += pd(i)->pd_state != PD_UNMANAGED;
	}
	KASSERTMSG(heads == blocks, "page_verify: %zu free blocks, %zu on "
	    "lists", heads, blocks);
	KASSERTMSG(freepages == pm.pm_nfree, "page_verify: %zu free pages on "
	    "lists, count says %zu", freepages, pm.pm_nfree);
	KASSERTMSG(managed == pm.pm_total, "page_verify: %zu pages managed, "
	    "total says %zu", managed, pm.pm_total);
	mutex_exit(&pm.pm_lock);
}

/*
 * Initialisation, from the boot memory map.
 */

/* usable_clip: the whole pages of usable range mr at or above floor. */
static bool
usable_clip(const struct memrange *mr, paddr_t floor, paddr_t *sp,
    paddr_t *ep)
{
	paddr_t s, e;

	if (mr->mr_type != MEMRANGE_USABLE || mr->mr_end <= mr->mr_start)
		return false;
	s = roundup(MAX(mr->mr_start, floor), PAGE_SIZE);
	e = rounddown(mr->mr_end, PAGE_SIZE);
	if (s >= e)
		return false;
	*sp = s;
	*ep = e;
	return true;
}

/* overlaps_reserved: some non-usable range of the map meets [s, e). */
static bool
overlaps_reserved(paddr_t s, paddr_t e)
{
	const struct memrange *mr;
	unsigned r;

	for (r = 0; r < bootinfo.bi_nmem; r++) {
		mr = &bootinfo.bi_mem[r];
		if (mr->mr_type != MEMRANGE_USABLE && mr->mr_start < e &&
		    s < mr->mr_end)
			return true;
	}
	return false;
}

/* page_span: the lowest and highest usable pages above floor. */
static bool
page_span(paddr_t floor, paddr_t *lop, paddr_t *hip)
{
	paddr_t s, e, lo = ~(paddr_t)0, hi = 0;
	unsigned r;

	for (r = 0; r < bootinfo.bi_nmem; r++) {
		if (!usable_clip(&bootinfo.bi_mem[r], floor, &s, &e))
			continue;
		lo = MIN(lo, s);
		hi = MAX(hi, e);
	}
	*lop = lo;
	*hip = hi;
	return lo < hi;
}

/* desc_place: where the descriptor array of size bytes goes. */
static paddr_t
desc_place(paddr_t floor, size_t bytes)
{
	paddr_t s, e;
	unsigned r;

	for (r = 0; r < bootinfo.bi_nmem; r++) {
		if (usable_clip(&bootinfo.bi_mem[r], floor, &s, &e) &&
		    e - s >= bytes && !overlaps_reserved(s, s + bytes))
			return s;
	}
	panic("page_init: no usable range holds the %zu bytes of page "
	    "descriptors", bytes);
}

/* desc_mark: set the state of every page of [s, e) within the span. */
static void
desc_mark(paddr_t s, paddr_t e, enum pd_state state)
{
	paddr_t pa;
	size_t i;

	s = MAX(rounddown(s, PAGE_SIZE), idx_to_pa(0));
	e = MIN(e, idx_to_pa(pm.pm_npd));
	for (pa = s; pa < e; pa += PAGE_SIZE)
		if (pa_to_idx(pa, &i))
			pd(i)->pd_state = (uint8_t)state;
}

/* desc_mark_map: usable pages become candidates, then others unmanaged. */
static void
desc_mark_map(paddr_t floor)
{
	const struct memrange *mr;
	paddr_t s, e;
	unsigned r;

	for (r = 0; r < bootinfo.bi_nmem; r++)
		if (usable_clip(&bootinfo.bi_mem[r], floor, &s, &e))
			desc_mark(s, e, PD_CANDIDATE);
	for (r = 0; r < bootinfo.bi_nmem; r++) {
		mr = &bootinfo.bi_mem[r];
		if (mr->mr_type != MEMRANGE_USABLE)
			desc_mark(mr->mr_start, mr->mr_end, PD_UNMANAGED);
	}
}

/* desc_free_candidates: free each run of candidate pages; pages freed. */
static size_t
desc_free_candidates(void)
{
	size_t i = 0, start, total = 0;

	while (i < pm.pm_npd) {
		if (pd(i)->pd_state != PD_CANDIDATE) {
			i++;
			continue;
		}
		for (start = i; i < pm.pm_npd &&
		    pd(i)->pd_state == PD_CANDIDATE; i++)
			continue;
		range_free(start, i - start);
		total += i - start;
	}
	return total;
}

/*
 * page_init: build the allocator from bootinfo.
 *
 * Context: boot CPU, once, before any other CPU or thread runs; curcpu()
 * and spin mutexes must work.
 */
void
page_init(void)
{
	paddr_t floor, lo, hi, meta;
	size_t bytes;
	unsigned k;

	memset(&pm, 0, sizeof(pm));
	mutex_init(&pm.pm_lock, MUTEX_SPIN, IPL_VM);
	cv_init(&pm.pm_cv, "pagewait");
	for (k = 0; k < PAGE_NORDER; k++)
		pm.pm_free[k] = PD_NIL;
	floor = roundup(MAX(bootinfo.bi_reserved_end, PAGE_FLOOR), PAGE_SIZE);
	if (!page_span(floor, &lo, &hi))
		panic("page_init: no usable memory above pa %#llx in the boot "
		    "memory map", (unsigned long long)floor);
	pm.pm_base = rounddown(lo >> PAGE_SHIFT, PAGE_MAX_RUN);
	pm.pm_npd = (hi >> PAGE_SHIFT) - pm.pm_base;
	KASSERTMSG(pm.pm_npd < PD_NIL, "page_init: %zu page frames are too "
	    "many for 32-bit descriptor links", pm.pm_npd);
	bytes = roundup(pm.pm_npd * sizeof(struct page_desc), PAGE_SIZE);
	meta = desc_place(floor, bytes);
	pm.pm_desc = PA_TO_VA(meta);
	memset(pm.pm_desc, 0, bytes);

	mutex_enter(&pm.pm_lock);
	desc_mark_map(floor);
	desc_mark(meta, meta + bytes, PD_UNMANAGED);
	pm.pm_total = desc_free_candidates();
	mutex_exit(&pm.pm_lock);
	pm.pm_ready = true;
	kinfo("page: %zu pages (%zu MiB) between pa %#llx and %#llx; %zu KiB "
	    "of descriptors at pa %#llx", pm.pm_total,
	    pm.pm_total >> (20 - PAGE_SHIFT), (unsigned long long)lo,
	    (unsigned long long)hi, bytes >> 10, (unsigned long long)meta);
}
