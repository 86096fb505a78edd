/*
 * test_kmem.c: in-kernel tests of the page allocator and kmem_alloc.
 *
 * What the host tests (tests/host/test_kmem.py) cannot show: the real
 * boot memory map, the direct map, and many CPUs allocating at once.  What
 * only panics (double free, size mismatch, write after free, redzone
 * overrun, KM_SLEEP of an impossible size) is left to the host tests and
 * to boot-time death tests, since a panic ends the run.
 *
 * The exact statistics checks assume nothing else allocates during a case;
 * each is tried up to STATS_TRIES times so that a stray allocation by some
 * other thread does not fail the run, while a wrong count (which is wrong
 * every time) still does.
 */
#include <cpu.h>
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <printf.h>
#include <string.h>
#include <types.h>

#define STATS_TRIES	3
#define STRESS_SLOTS	32
#define STRESS_OPS	8000

/* A byte of a fill pattern that differs by allocation and by offset. */
static inline uint8_t
pattern_byte(uint8_t tag, size_t i)
{

	return (uint8_t)(tag + i * 13 + (i >> 8));
}

static void
pattern_fill(void *p, size_t size, uint8_t tag)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = pattern_byte(tag, i);
}

/* pattern_bad: offset of the first byte not as filled, or size. */
static size_t
pattern_bad(const void *p, size_t size, uint8_t tag)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != pattern_byte(tag, i))
			return i;
	return size;
}

static bool
all_zero(const void *p, size_t size)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static uint64_t
xorshift(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sizes at and around every class boundary, and some page-level ones. */
static const size_t test_sizes[] = {
	1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256,
	257, 511, 512, 513, 1000, 1023, 1024, 1025, 2047, 2048, 2049, 3000,
	4095, 4096, 4097, 8192, 12289, 65536,
};

#define OBJS_PER_SIZE	8

static void
every_size_keeps_its_contents_while_others_are_live(struct ktest *t)
{
	void *objs[OBJS_PER_SIZE];
	size_t s, size;
	unsigned i;

	for (s = 0; s < nitems(test_sizes); s++) {
		size = test_sizes[s];
		for (i = 0; i < OBJS_PER_SIZE; i++) {
			objs[i] = kmem_alloc(size, KM_SLEEP);
			KT_ASSERT_NOT_NULL(t, objs[i]);
			pattern_fill(objs[i], size, (uint8_t)(s * 16 + i));
		}
		for (i = 0; i < OBJS_PER_SIZE; i++) {
			KT_EXPECT_EQ(t, pattern_bad(objs[i], size,
			    (uint8_t)(s * 16 + i)), size);
			kmem_free(objs[i], size);
		}
	}
}

static void
allocations_are_aligned(struct ktest *t)
{
	size_t s, size;
	void *p;

	for (s = 0; s < nitems(test_sizes); s++) {
		size = test_sizes[s];
		p = kmem_alloc(size, KM_SLEEP);
		KT_EXPECT_EQ(t, (uintptr_t)p % 16, 0UL);
		if (size >= PAGE_SIZE)
			KT_EXPECT_EQ(t, (uintptr_t)p % PAGE_SIZE, 0UL);
		kmem_free(p, size);
	}
}

static void
zalloc_returns_zeros_after_dirty_reuse(struct ktest *t)
{
	size_t s, size;
	void *p;

	for (s = 0; s < nitems(test_sizes); s++) {
		size = test_sizes[s];
		p = kmem_alloc(size, KM_SLEEP);
		memset(p, 0xff, size);
		kmem_free(p, size);
		p = kmem_zalloc(size, KM_SLEEP);
		KT_EXPECT_TRUE(t, all_zero(p, size));
		kmem_free(p, size);
	}
}

static void
large_allocation_is_writable_end_to_end_and_reusable(struct ktest *t)
{
	const size_t size = 64 * 1024;
	unsigned round;
	void *p;

	for (round = 0; round < 3; round++) {
		p = kmem_alloc(size, KM_SLEEP);
		KT_ASSERT_NOT_NULL(t, p);
		KT_EXPECT_EQ(t, (uintptr_t)p % PAGE_SIZE, 0UL);
		pattern_fill(p, size, (uint8_t)round);
		KT_EXPECT_EQ(t, pattern_bad(p, size, (uint8_t)round), size);
		kmem_free(p, size);
	}
}

static void
nosleep_absurd_size_returns_null_and_counts_a_failure(struct ktest *t)
{
	struct kmem_stats before, after;

	kmem_get_stats(&before);
	KT_EXPECT_NULL(t, kmem_alloc((size_t)1 << 40, KM_NOSLEEP));
	kmem_get_stats(&after);
	KT_EXPECT_EQ(t, after.ks_heap_failures, before.ks_heap_failures + 1);
	KT_EXPECT_EQ(t, page_alloc_contig((size_t)1 << 30, KM_NOSLEEP),
	    (paddr_t)0);
	KT_EXPECT_NULL(t, kmem_alloc(~(size_t)0, KM_NOSLEEP));
	kmem_get_stats(&after);
	KT_EXPECT_EQ(t, after.ks_heap_failures, before.ks_heap_failures + 3);
	KT_EXPECT_EQ(t, after.ks_heap_bytes, before.ks_heap_bytes);
}

#define NPAGES_TEST	64

static void
page_alloc_returns_distinct_aligned_pages(struct ktest *t)
{
	paddr_t pas[NPAGES_TEST];
	unsigned i, j;

	for (i = 0; i < NPAGES_TEST; i++) {
		pas[i] = page_alloc(KM_SLEEP);
		KT_EXPECT_NE(t, pas[i], (paddr_t)0);
		KT_EXPECT_EQ(t, pas[i] % PAGE_SIZE, (paddr_t)0);
		KT_EXPECT_GE(t, pas[i], (paddr_t)0x100000);
		for (j = 0; j < i; j++)
			KT_EXPECT_NE(t, pas[i], pas[j]);
	}
	for (i = 0; i < NPAGES_TEST; i++)
		page_free(pas[i]);
}

/* pages_free_drop: how far pages_free falls while n pages are held. */
static size_t
pages_free_drop(size_t n, size_t *returnedp)
{
	struct kmem_stats before, held, after;
	paddr_t pas[NPAGES_TEST];
	size_t i;

	kmem_get_stats(&before);
	for (i = 0; i < n; i++)
		pas[i] = page_alloc(KM_SLEEP);
	kmem_get_stats(&held);
	for (i = 0; i < n; i++)
		page_free(pas[i]);
	kmem_get_stats(&after);
	*returnedp = after.ks_pages_free - held.ks_pages_free;
	return before.ks_pages_free - held.ks_pages_free;
}

static void
pages_free_falls_and_returns(struct ktest *t)
{
	size_t drop = 0, returned = 0;
	struct kmem_stats ks;
	unsigned try;

	for (try = 0; try < STATS_TRIES; try++) {
		drop = pages_free_drop(NPAGES_TEST, &returned);
		if (drop == NPAGES_TEST && returned == NPAGES_TEST)
			break;
	}
	KT_EXPECT_EQ(t, drop, (size_t)NPAGES_TEST);
	KT_EXPECT_EQ(t, returned, (size_t)NPAGES_TEST);
	kmem_get_stats(&ks);
	KT_EXPECT_GT(t, ks.ks_pages_total, (size_t)0);
	KT_EXPECT_LE(t, ks.ks_pages_free, ks.ks_pages_total);
}

static void
page_alloc_contig_is_aligned_to_its_rounded_size(struct ktest *t)
{
	static const size_t runs[] = { 2, 3, 5, 16, 100 };
	size_t r, align;
	paddr_t pa;

	for (r = 0; r < nitems(runs); r++) {
		for (align = 1; align < runs[r]; align <<= 1)
			continue;
		pa = page_alloc_contig(runs[r], KM_SLEEP);
		KT_EXPECT_NE(t, pa, (paddr_t)0);
		KT_EXPECT_EQ(t, pa % (align * PAGE_SIZE), (paddr_t)0);
		page_free_contig(pa, runs[r]);
	}
}

static void
heap_stats_follow_alloc_and_free(struct ktest *t)
{
	struct kmem_stats before, held, after;
	unsigned try;
	void *p;

	for (try = 0; try < STATS_TRIES; try++) {
		kmem_get_stats(&before);
		p = kmem_alloc(100, KM_SLEEP);
		kmem_get_stats(&held);
		kmem_free(p, 100);
		kmem_get_stats(&after);
		if (held.ks_heap_bytes == before.ks_heap_bytes + 100 &&
		    held.ks_heap_allocs == before.ks_heap_allocs + 1 &&
		    after.ks_heap_bytes == before.ks_heap_bytes)
			break;
	}
	KT_EXPECT_EQ(t, held.ks_heap_bytes, before.ks_heap_bytes + 100);
	KT_EXPECT_EQ(t, held.ks_heap_allocs, before.ks_heap_allocs + 1);
	KT_EXPECT_EQ(t, after.ks_heap_bytes, before.ks_heap_bytes);
}

/*
 * Every CPU at once: one bound thread per CPU allocates and frees random
 * sizes, each filled with its own pattern and checked before it is freed.
 */
struct stress_arg {
	uint64_t sa_seed;
	unsigned sa_cpu;
	unsigned sa_ops;		/* allocations made */
	unsigned sa_corrupt;		/* objects found changed */
	unsigned sa_misaligned;
	size_t sa_bad_offset;		/* first corruption seen */
};

struct stress_slot {
	uint8_t *ss_p;
	size_t ss_size;
	uint8_t ss_tag;
};

static size_t
stress_size(uint64_t *seed)
{
	uint64_t r = xorshift(seed);

	switch (r % 16) {
	case 0:
		return 2049 + (r >> 8) % (24 * 1024);
	case 1:
		return (r >> 8) % 64 == 0 ? 64 * 1024 : 4096;
	default:
		return 1 + (r >> 8) % 2048;
	}
}

static void
stress_release(struct stress_arg *a, struct stress_slot *s)
{
	size_t bad = pattern_bad(s->ss_p, s->ss_size, s->ss_tag);

	if (bad != s->ss_size) {
		if (a->sa_corrupt++ == 0)
			a->sa_bad_offset = bad;
	}
	kmem_free(s->ss_p, s->ss_size);
	s->ss_p = NULL;
}

static void
stress_worker(void *arg)
{
	struct stress_slot slots[STRESS_SLOTS];
	struct stress_arg *a = arg;
	struct stress_slot *s;
	unsigned op;

	memset(slots, 0, sizeof(slots));
	for (op = 0; op < STRESS_OPS; op++) {
		s = &slots[xorshift(&a->sa_seed) % STRESS_SLOTS];
		if (s->ss_p != NULL) {
			stress_release(a, s);
			continue;
		}
		s->ss_size = stress_size(&a->sa_seed);
		s->ss_tag = (uint8_t)xorshift(&a->sa_seed);
		s->ss_p = kmem_alloc(s->ss_size, KM_SLEEP);
		a->sa_misaligned += (uintptr_t)s->ss_p % 16 != 0;
		pattern_fill(s->ss_p, s->ss_size, s->ss_tag);
		a->sa_ops++;
	}
	for (op = 0; op < STRESS_SLOTS; op++)
		if (slots[op].ss_p != NULL)
			stress_release(a, &slots[op]);
	lwp_exit();
}

static void
concurrent_alloc_free_on_every_cpu_keeps_contents(struct ktest *t)
{
	static struct stress_arg args[MAXCPUS];
	struct lwp *lwps[MAXCPUS];
	struct kmem_stats before, after;
	unsigned i, started = 0;
	char name[24];
	int error;

	kmem_get_stats(&before);
	for (i = 0; i < ncpu; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].sa_seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		args[i].sa_cpu = i;
		snprintf(name, sizeof(name), "kmemstress%u", i);
		error = lwp_create(stress_worker, &args[i], PRI_KERNEL,
		    cpu_lookup(i), LWP_JOINABLE, name, &lwps[i]);
		KT_EXPECT_EQ(t, error, 0);
		if (error != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		KT_EXPECT_EQ(t, lwp_join(lwps[i]), 0);
	kmem_get_stats(&after);

	KT_EXPECT_EQ(t, started, ncpu);
	for (i = 0; i < started; i++) {
		if (args[i].sa_corrupt != 0)
			ktest_log(t, "cpu %u: %u objects changed, first at "
			    "offset %zu", i, args[i].sa_corrupt,
			    args[i].sa_bad_offset);
		KT_EXPECT_EQ(t, args[i].sa_corrupt, 0U);
		KT_EXPECT_EQ(t, args[i].sa_misaligned, 0U);
		KT_EXPECT_GT(t, args[i].sa_ops, STRESS_OPS / 4U);
	}
	KT_EXPECT_EQ(t, after.ks_heap_bytes, before.ks_heap_bytes);
}

KTEST_SUITE(kmem,
    KTEST_CASE(every_size_keeps_its_contents_while_others_are_live),
    KTEST_CASE(allocations_are_aligned),
    KTEST_CASE(zalloc_returns_zeros_after_dirty_reuse),
    KTEST_CASE(large_allocation_is_writable_end_to_end_and_reusable),
    KTEST_CASE(nosleep_absurd_size_returns_null_and_counts_a_failure),
    KTEST_CASE(page_alloc_returns_distinct_aligned_pages),
    KTEST_CASE(pages_free_falls_and_returns),
    KTEST_CASE(page_alloc_contig_is_aligned_to_its_rounded_size),
    KTEST_CASE(heap_stats_follow_alloc_and_free),
    KTEST_CASE(concurrent_alloc_free_on_every_cpu_keeps_contents));
