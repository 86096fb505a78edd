/*
 * kmem_harness.c: kern/page.c and kern/kmem.c on the host.
 *
 * Built by tests/host/test_kmem.py with the kernel sources, which see this
 * file's fake physical memory through PA_TO_VA (kmem_host.h).  The kernel
 * services the allocator uses are stubbed here: spin mutexes that raise a
 * fake IPL and catch self-deadlock, condvars whose timed wait advances a
 * fake clock (and can run a hook "while asleep"), klog to stderr, and
 * panic/kassert_fail, which longjmp back to the scenario when it expects a
 * panic and exit(2) when it does not.
 *
 * Usage: kmem_harness SCENARIO.  A scenario prints what it found (panic
 * messages as "panic: ...") and "ok" last; a failed check prints "FAIL"
 * and exits 1.  The Python side runs each scenario and reads its output.
 *
 * Single-threaded: the SMP behaviour is the in-kernel suite's job
 * (tests/test_kmem.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootinfo.h>
#include <condvar.h>
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <mutex.h>
#include <spl.h>

#include "../../include/time.h"
#include "../../kern/page_internal.h"

#define MEM_BYTES	(64UL << 20)
#define MEM_ALIGN	(4UL << 20)
#define MIB		(1UL << 20)
#define RESERVED_END	0x340000UL	/* kernel image, boot allocations */
#define NPFN		(MEM_BYTES / PAGE_SIZE)

struct bootinfo bootinfo;
uintptr_t kmem_host_offset;

static uint8_t *mem;
static int host_ipl;
static int host_spin_depth;
static int host_saved_ipl;
static bool host_intr;
static uint64_t host_clock;
static void (*cv_hook)(void);	/* runs once inside the next timed wait */
static jmp_buf *panic_jmp;
static char panic_msg[2048];

#define FAIL(...) do {							\
	printf("FAIL %s:%d: ", __FILE__, __LINE__);			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	exit(1);							\
} while (0)

#define CHECK(e) do {							\
	if (!(e))							\
		FAIL("%s", #e);						\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long ca_ = (unsigned long long)(a);		\
	unsigned long long cb_ = (unsigned long long)(b);		\
	if (ca_ != cb_)							\
		FAIL("%s == %s: %llu vs %llu", #a, #b, ca_, cb_);	\
} while (0)

/*
 * EXPECT_PANIC(stmt): run stmt, which must panic; print the message.
 * Locals changed after setjmp must be volatile to be read afterwards.
 */
#define EXPECT_PANIC(stmt) do {						\
	jmp_buf jb_;							\
	panic_jmp = &jb_;						\
	if (setjmp(jb_) == 0) {						\
		stmt;							\
		panic_jmp = NULL;					\
		FAIL("no panic from %s", #stmt);			\
	}								\
	panic_jmp = NULL;						\
	printf("panic: %s\n", panic_msg);				\
} while (0)

/*
 * Stubs of the kernel services.
 */
static __noreturn void
host_panic(const char *prefix, const char *fmt, va_list ap)
{
	size_t n = strlen(prefix);

	memcpy(panic_msg, prefix, n + 1);
	vsnprintf(panic_msg + n, sizeof(panic_msg) - n, fmt, ap);
	if (panic_jmp != NULL)
		longjmp(*panic_jmp, 1);
	printf("unexpected panic: %s\n", panic_msg);
	exit(2);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_panic("", fmt, ap);
}

void
kassert_fail(const char *expr, const char *file, int line, const char *fmt,
    ...)
{
	va_list ap;

	if (fmt == NULL) {
		snprintf(panic_msg, sizeof(panic_msg), "assertion %s failed at "
		    "%s:%d", expr, file, line);
		if (panic_jmp != NULL)
			longjmp(*panic_jmp, 1);
		printf("unexpected panic: %s\n", panic_msg);
		exit(2);
	}
	va_start(ap, fmt);
	host_panic("", fmt, ap);
}

void
vklog(enum log_level level, const char *fmt, va_list ap)
{

	fprintf(stderr, "klog %d: ", level);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

void
klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

#define HOST_MUTEX_MAGIC	0x6d78

void
mutex_init(kmutex_t *m, kmutex_type_t type, ipl_t ipl)
{

	memset(m, 0, sizeof(*m));
	m->mtx_magic = HOST_MUTEX_MAGIC;
	m->mtx_spin = type == MUTEX_SPIN;
	m->mtx_ipl = (uint8_t)ipl;
}

void
mutex_enter(kmutex_t *m)
{

	if (m->mtx_magic != HOST_MUTEX_MAGIC)
		FAIL("mutex_enter: %p not initialised", (void *)m);
	if (m->mtx_spinlock)
		FAIL("mutex_enter: %p already held: self-deadlock", (void *)m);
	m->mtx_spinlock = 1;
	if (m->mtx_spin) {
		if (host_spin_depth++ == 0)
			host_saved_ipl = host_ipl;
		if (host_ipl < m->mtx_ipl)
			host_ipl = m->mtx_ipl;
	}
}

void
mutex_exit(kmutex_t *m)
{

	if (!m->mtx_spinlock)
		FAIL("mutex_exit: %p not held", (void *)m);
	m->mtx_spinlock = 0;
	if (m->mtx_spin && --host_spin_depth == 0)
		host_ipl = host_saved_ipl;
}

bool
mutex_owned(const kmutex_t *m)
{

	return m->mtx_spinlock != 0;
}

void
cv_init(kcondvar_t *cv, const char *wmesg)
{

	cv->cv_wmesg = wmesg;
	cv->cv_waiters = 0;
}

void
cv_wait(kcondvar_t *cv, kmutex_t *m)
{

	FAIL("cv_wait(%s): would sleep forever in a single-threaded harness",
	    cv->cv_wmesg);
}

/* cv_timedwait: "sleep": run cv_hook if set (woken), else time out. */
int
cv_timedwait(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns)
{
	void (*hook)(void) = cv_hook;

	if (!mutex_owned(m))
		FAIL("cv_timedwait(%s): interlock not held", cv->cv_wmesg);
	if (timeout_ns == 0)
		FAIL("cv_timedwait(%s): zero timeout", cv->cv_wmesg);
	mutex_exit(m);
	cv_hook = NULL;
	if (hook != NULL) {
		hook();
		host_clock += 1000000;
	} else
		host_clock += timeout_ns;
	mutex_enter(m);
	return hook != NULL ? 0 : EWOULDBLOCK;
}

void
cv_signal(kcondvar_t *cv)
{
}

void
cv_broadcast(kcondvar_t *cv)
{
}

uint64_t
nanouptime(void)
{

	return host_clock;
}

ipl_t
curipl(void)
{

	return host_ipl;
}

const char *
ipl_name(ipl_t ipl)
{
	static const char *const names[NIPL] = { "IPL_NONE",
	    "IPL_SOFTCLOCK", "IPL_SOFTBIO", "IPL_SOFTNET", "IPL_SOFTSERIAL",
	    "IPL_VM", "IPL_SCHED", "IPL_HIGH" };

	return ipl >= 0 && ipl < NIPL ? names[ipl] : "IPL_?";
}

bool
cpu_intr_p(void)
{

	return host_intr;
}

/*
 * The kernel's rule (kern/irq.c) names the interrupt handler; the host has
 * none, and page.c's own assertion that follows reports hard interrupt
 * context with the caller, which the context scenario checks.
 */
void
irq_forbid_sleep(const char *what, const char *obj)
{
}

/*
 * The fake machine.
 */
static void
add_range(paddr_t s, paddr_t e, enum memrange_type type)
{
	struct memrange *mr = &bootinfo.bi_mem[bootinfo.bi_nmem++];

	mr->mr_start = s;
	mr->mr_end = e;
	mr->mr_type = type;
}

/*
 * host_reset: fresh RAM full of junk (so zeroing is tested), a memory map
 * with low memory, a reserved hole, an unaligned range, a reserved range
 * overlapping a usable one and ACPI tables at the top; then init.
 */
static void
host_reset(void)
{

	memset(mem, 0x6b, MEM_BYTES);
	memset(&bootinfo, 0, sizeof(bootinfo));
	add_range(0, 0x9f000, MEMRANGE_USABLE);
	add_range(0xf0000, 0x100000, MEMRANGE_RESERVED);
	add_range(0x100000, 0x1000000, MEMRANGE_USABLE);
	add_range(0x1000000, 0x1100000, MEMRANGE_RESERVED);
	add_range(0x1100800, 0x3ff0000, MEMRANGE_USABLE);
	add_range(0x2000000, 0x2010000, MEMRANGE_RESERVED);
	add_range(0x3ff0000, 0x4000000, MEMRANGE_ACPI_RECLAIM);
	bootinfo.bi_kernel_start = 0x200000;
	bootinfo.bi_kernel_end = 0x300000;
	bootinfo.bi_reserved_end = RESERVED_END;
	host_ipl = IPL_NONE;
	host_spin_depth = 0;
	host_intr = false;
	host_clock = 1;
	cv_hook = NULL;
	page_init();
	kmem_init();
}

/* pa_allowed: the map says the allocator may hand out this page. */
static bool
pa_allowed(paddr_t pa)
{

	if (pa < RESERVED_END || pa < MIB)
		return false;
	if (pa >= 0x1000000 && pa < 0x1101000)
		return false;
	if (pa >= 0x2000000 && pa < 0x2010000)
		return false;
	return pa < 0x3ff0000;
}

static struct kmem_stats
stats(void)
{
	struct kmem_stats ks;

	kmem_get_stats(&ks);
	return ks;
}

static bool
all_bytes(const void *p, int c, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (uint8_t)c)
			return false;
	return true;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
xorshift(void)
{

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* alloc_all_pages: take every free page singly; returns how many. */
static size_t
alloc_all_pages(paddr_t *pas, size_t max)
{
	size_t n = 0;
	paddr_t pa;

	while ((pa = page_alloc(KM_NOSLEEP)) != 0) {
		CHECK(n < max);
		pas[n++] = pa;
	}
	return n;
}

static paddr_t all_pas[NPFN];

/*
 * Scenarios.
 */

/* Every page is handed out once, zeroed, and only where the map allows. */
static void
sc_map(void)
{
	static uint8_t seen[NPFN];
	struct kmem_stats ks = stats();
	size_t n, i;

	n = alloc_all_pages(all_pas, NPFN);
	CHECK_EQ(n, ks.ks_pages_total);
	CHECK_EQ(stats().ks_pages_free, 0);
	CHECK_EQ(stats().ks_heap_failures, ks.ks_heap_failures + 1);
	for (i = 0; i < n; i++) {
		CHECK((all_pas[i] & PAGE_MASK) == 0);
		CHECK(pa_allowed(all_pas[i]));
		CHECK(!seen[all_pas[i] / PAGE_SIZE]);
		seen[all_pas[i] / PAGE_SIZE] = 1;
		CHECK(all_bytes(PA_TO_VA(all_pas[i]), 0, PAGE_SIZE));
	}
	/* Usable pages in the map, less at most 1% for descriptors. */
	printf("pages_total=%zu usable=%lu\n", n,
	    (0x1000000 - RESERVED_END + 0x3ff0000 - 0x1101000 - 0x10000) /
	    PAGE_SIZE);
	for (i = 0; i < n; i++)
		page_free(all_pas[i]);
	CHECK_EQ(stats().ks_pages_free, ks.ks_pages_total);
	page_verify();
}

/* Allocating everything and freeing it in any order restores every block. */
static void
sc_coalesce(void)
{
	size_t before[PAGE_NORDER], after[PAGE_NORDER], n, i, j;
	paddr_t t;
	unsigned k;

	page_free_blocks(before);
	n = alloc_all_pages(all_pas, NPFN);
	page_free_blocks(after);
	for (k = 0; k < PAGE_NORDER; k++)
		CHECK_EQ(after[k], 0);
	for (i = n - 1; i > 0; i--) {
		j = xorshift() % (i + 1);
		t = all_pas[i];
		all_pas[i] = all_pas[j];
		all_pas[j] = t;
	}
	for (i = 0; i < n; i++) {
		page_free(all_pas[i]);
		if (i % 1024 == 0)
			page_verify();
	}
	page_free_blocks(after);
	for (k = 0; k < PAGE_NORDER; k++)
		CHECK_EQ(after[k], before[k]);
	printf("order10_blocks=%zu\n", after[PAGE_MAX_ORDER]);
	page_verify();
}

/* Runs are aligned to their rounded-up power of two, zeroed, returned whole. */
static void
sc_contig(void)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 8, 17, 64, 100, 512, 1000,
	    1024 };
	size_t i, j, align, free0 = stats().ks_pages_free;
	size_t fails0 = stats().ks_heap_failures;
	paddr_t pa;

	for (i = 0; i < nitems(sizes); i++) {
		pa = page_alloc_contig(sizes[i], KM_NOSLEEP);
		CHECK(pa != 0);
		for (align = 1; align < sizes[i]; align <<= 1)
			continue;
		CHECK_EQ(pa % (align * PAGE_SIZE), 0);
		for (j = 0; j < sizes[i]; j++)
			CHECK(pa_allowed(pa + j * PAGE_SIZE));
		CHECK(all_bytes(PA_TO_VA(pa), 0, sizes[i] * PAGE_SIZE));
		CHECK_EQ(stats().ks_pages_free, free0 - sizes[i]);
		memset(PA_TO_VA(pa), 0x5c, sizes[i] * PAGE_SIZE);
		page_verify();
		page_free_contig(pa, sizes[i]);
		CHECK_EQ(stats().ks_pages_free, free0);
		page_verify();
	}
	CHECK_EQ(page_alloc_contig(PAGE_MAX_RUN + 1, KM_NOSLEEP), 0);
	CHECK_EQ(stats().ks_heap_failures, fails0 + 1);
}

struct slot {
	int kind;		/* 0 empty, 1 kmem, 2 pages */
	void *p;
	size_t size;		/* bytes (kmem) or pages */
	uint8_t seed;
};

static void
slot_fill(struct slot *s)
{
	size_t len = s->kind == 1 ? s->size : s->size * PAGE_SIZE;
	uint8_t *b = s->p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(s->seed + i * 7);
}

static void
slot_check(const struct slot *s)
{
	size_t len = s->kind == 1 ? s->size : s->size * PAGE_SIZE;
	const uint8_t *b = s->p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != (uint8_t)(s->seed + i * 7))
			FAIL("slot %p byte %zu changed", s->p, i);
}

static size_t
stress_size(void)
{
	uint64_t r = xorshift();

	switch (r % 10) {
	case 0:
	case 1:
		return 2049 + (r >> 8) % 30000;	/* page-level kmem */
	case 2:
		return 1 + (r >> 8) % 40;	/* page runs */
	default:
		return 1 + (r >> 8) % 2048;	/* slab objects */
	}
}

static void
stress_alloc(struct slot *s, size_t *nullsp)
{
	size_t size = stress_size();
	paddr_t pa;

	s->seed = (uint8_t)xorshift();
	if ((xorshift() & 7) == 0 && size <= 40) {
		pa = size == 1 ? page_alloc(KM_NOSLEEP) :
		    page_alloc_contig(size, KM_NOSLEEP);
		s->kind = 2;
		s->p = pa == 0 ? NULL : PA_TO_VA(pa);
	} else {
		s->kind = 1;
		s->p = kmem_alloc(size, KM_NOSLEEP);
	}
	s->size = size;
	if (s->p == NULL) {
		s->kind = 0;
		(*nullsp)++;
		return;
	}
	slot_fill(s);
}

static void
stress_free(struct slot *s)
{

	slot_check(s);
	if (s->kind == 1)
		kmem_free(s->p, s->size);
	else
		page_free_contig(VA_TO_PA(s->p), s->size);
	s->kind = 0;
}

/*
 * stress: random alloc/free of every kind with contents and invariants
 * checked; with tight, most of memory is held, so KM_NOSLEEP fails often.
 */
static void
stress(bool tight)
{
	static struct slot slots[512];
	struct kmem_stats ks0, ks;
	size_t op, i, nulls = 0, live, held = 0;

	if (tight)
		while (stats().ks_pages_free > 400)
			all_pas[held++] = page_alloc_contig(16, KM_SLEEP);
	ks0 = stats();

	for (op = 0; op < 60000; op++) {
		i = xorshift() % nitems(slots);
		if (slots[i].kind == 0)
			stress_alloc(&slots[i], &nulls);
		else
			stress_free(&slots[i]);
		if (op % 2000 != 0)
			continue;
		page_verify();
		for (live = 0, i = 0; i < nitems(slots); i++)
			live += slots[i].kind == 1 ? slots[i].size : 0;
		CHECK_EQ(stats().ks_heap_bytes, live);
	}
	for (i = 0; i < nitems(slots); i++)
		if (slots[i].kind != 0)
			stress_free(&slots[i]);
	page_verify();
	ks = stats();
	CHECK_EQ(ks.ks_heap_bytes, 0);
	/* Only each class's one cached empty slab (4 pages) may remain. */
	CHECK(ks0.ks_pages_free - ks.ks_pages_free <= 8 * 4);
	CHECK_EQ((ks0.ks_pages_free - ks.ks_pages_free) % 4, 0);
	printf("nulls=%zu allocs=%zu kept_pages=%zu\n", nulls,
	    ks.ks_heap_allocs, ks0.ks_pages_free - ks.ks_pages_free);
	while (held > 0)
		page_free_contig(all_pas[--held], 16);
	page_verify();
}

static void
sc_stress(void)
{

	stress(false);
}

static void
sc_stress_tight(void)
{

	stress(true);
}

/* Pages and kmem_zalloc memory come zeroed even after dirty reuse. */
static void
sc_zeroing(void)
{
	size_t size;
	paddr_t pa;
	void *p;

	for (size = 1; size <= 3 * PAGE_SIZE; size = size * 2 + 1) {
		p = kmem_alloc(size, KM_SLEEP);
		memset(p, 0xff, size);
		kmem_free(p, size);
		p = kmem_zalloc(size, KM_SLEEP);
		CHECK(all_bytes(p, 0, size));
		kmem_free(p, size);
	}
	pa = page_alloc(KM_SLEEP);
	memset(PA_TO_VA(pa), 0xff, PAGE_SIZE);
	page_free(pa);
	alloc_all_pages(all_pas, NPFN);
	CHECK(all_bytes(PA_TO_VA(pa), 0, PAGE_SIZE));
}

/* Objects are 16-byte aligned, page-level ones page-aligned; stats add up. */
static void
sc_stats(void)
{
	struct kmem_stats a = stats(), b;
	paddr_t pa;
	void *p;

	p = kmem_alloc(100, KM_SLEEP);
	CHECK_EQ((uintptr_t)p % 16, 0);
	b = stats();
	CHECK_EQ(b.ks_heap_bytes, a.ks_heap_bytes + 100);
	CHECK_EQ(b.ks_heap_allocs, a.ks_heap_allocs + 1);
	kmem_free(p, 100);
	CHECK_EQ(stats().ks_heap_bytes, a.ks_heap_bytes);
	p = kmem_alloc(5000, KM_SLEEP);
	CHECK_EQ((uintptr_t)p % PAGE_SIZE, 0);
	kmem_free(p, 5000);
	a = stats();
	pa = page_alloc(KM_SLEEP);
	CHECK_EQ(stats().ks_pages_free, a.ks_pages_free - 1);
	page_free(pa);
	CHECK_EQ(stats().ks_pages_free, a.ks_pages_free);
	CHECK(a.ks_pages_total >= a.ks_pages_free);
}

static void
sc_nosleep_absurd(void)
{
	size_t fails = stats().ks_heap_failures;

	CHECK(kmem_alloc(1ULL << 40, KM_NOSLEEP) == NULL);
	CHECK_EQ(stats().ks_heap_failures, fails + 1);
	CHECK(kmem_alloc(~(size_t)0, KM_NOSLEEP) == NULL);
	CHECK_EQ(page_alloc_contig(1UL << 30, KM_NOSLEEP), 0);
	CHECK_EQ(stats().ks_heap_failures, fails + 3);
}

static void
sc_sleep_absurd(void)
{

	EXPECT_PANIC(kmem_alloc(1ULL << 40, KM_SLEEP));
}

/* KM_SLEEP out of memory waits its 5 s, then panics. */
static void
sc_sleep_oom(void)
{
	volatile uint64_t start;

	alloc_all_pages(all_pas, NPFN);
	start = host_clock;
	EXPECT_PANIC(page_alloc(KM_SLEEP));
	printf("waited_ns=%llu\n", (unsigned long long)(host_clock - start));
}

static paddr_t freed_while_waiting;

static void
free_one_page(void)
{

	page_free(freed_while_waiting);
}

/* KM_SLEEP out of memory gets a page freed while it waits. */
static void
sc_sleep_wakes(void)
{
	size_t n = alloc_all_pages(all_pas, NPFN);
	paddr_t pa;

	freed_while_waiting = all_pas[n / 2];
	cv_hook = free_one_page;
	pa = page_alloc(KM_SLEEP);
	CHECK_EQ(pa, freed_while_waiting);
	CHECK(cv_hook == NULL);
	CHECK(all_bytes(PA_TO_VA(pa), 0, PAGE_SIZE));
}

static void
sc_page_double_free(void)
{
	paddr_t pa = page_alloc(KM_SLEEP);

	printf("pa=%#llx\n", (unsigned long long)pa);
	page_free(pa);
	EXPECT_PANIC(page_free(pa));
}

static void
sc_page_never_allocated(void)
{

	EXPECT_PANIC(page_free(0));
	host_reset();
	EXPECT_PANIC(page_free(0x200000));	/* the kernel image */
	host_reset();
	EXPECT_PANIC(page_free(0x1000000));	/* a reserved range */
}

static void
sc_page_free_inside_run(void)
{
	paddr_t pa = page_alloc_contig(4, KM_SLEEP);

	EXPECT_PANIC(page_free(pa + PAGE_SIZE));
}

static void
sc_page_free_wrong_count(void)
{
	paddr_t pa = page_alloc_contig(3, KM_SLEEP);

	EXPECT_PANIC(page_free_contig(pa, 2));
	host_reset();
	pa = page_alloc_contig(3, KM_SLEEP);
	EXPECT_PANIC(page_free_contig(pa, 4));
}

static void
print_ptr(void *p)
{

	printf("p=%p\n", p);
}

static void
sc_kmem_double_free(void)
{
	void *p = kmem_alloc(64, KM_SLEEP);

	print_ptr(p);
	kmem_free(p, 64);
	EXPECT_PANIC(kmem_free(p, 64));
}

static void
sc_kmem_double_free_redzone(void)
{
	void *p = kmem_alloc(50, KM_SLEEP);

	print_ptr(p);
	kmem_free(p, 50);
	EXPECT_PANIC(kmem_free(p, 50));
}

static void
sc_kmem_double_free_large(void)
{
	void *p = kmem_alloc(10000, KM_SLEEP);

	print_ptr(p);
	kmem_free(p, 10000);
	EXPECT_PANIC(kmem_free(p, 10000));
}

static void
sc_kmem_size_mismatch(void)
{
	void *p = kmem_alloc(100, KM_SLEEP);

	print_ptr(p);
	EXPECT_PANIC(kmem_free(p, 40));
	EXPECT_PANIC(kmem_free(p, 5000));
	host_reset();
	p = kmem_alloc(4096, KM_SLEEP);
	print_ptr(p);
	EXPECT_PANIC(kmem_free(p, 100));
	host_reset();
	p = kmem_alloc(3 * PAGE_SIZE, KM_SLEEP);
	print_ptr(p);
	EXPECT_PANIC(kmem_free(p, 5 * PAGE_SIZE));
}

static void
sc_kmem_bad_pointer(void)
{
	uint64_t local[8];
	char *p;

	EXPECT_PANIC(kmem_free(local, 32));
	host_reset();
	p = kmem_alloc(64, KM_SLEEP);
	print_ptr(p + 16);
	EXPECT_PANIC(kmem_free(p + 16, 64));
}

static void
sc_kmem_write_after_free(void)
{
	uint8_t *p = kmem_alloc(64, KM_SLEEP);

	print_ptr(p);
	kmem_free(p, 64);
	p[10] = 0x42;
	EXPECT_PANIC(kmem_alloc(64, KM_SLEEP));
}

/* A write to a freed object is also caught when its slab is given back. */
static void
sc_kmem_write_after_free_slab_release(void)
{
	uint8_t *objs[14];
	unsigned i;

	for (i = 0; i < nitems(objs); i++)
		objs[i] = kmem_alloc(2048, KM_SLEEP);
	for (i = 0; i < 7; i++)		/* the first slab: kept, empty */
		kmem_free(objs[i], 2048);
	for (i = 7; i < 13; i++)
		kmem_free(objs[i], 2048);
	objs[8][2000] = 0;
	print_ptr(objs[8]);
	EXPECT_PANIC(kmem_free(objs[13], 2048));
}

/* Pages freed by kmem (or page_free) are poisoned too. */
static void
sc_page_write_after_free(void)
{
	uint8_t *p = kmem_alloc(PAGE_SIZE, KM_SLEEP);

	printf("pa=%#llx\n", (unsigned long long)VA_TO_PA(p));
	kmem_free(p, PAGE_SIZE);
	p[123] = 1;
	EXPECT_PANIC(alloc_all_pages(all_pas, NPFN));
}

static void
sc_kmem_redzone(void)
{
	uint8_t *p = kmem_alloc(100, KM_SLEEP);

	print_ptr(p);
	p[100] = 0;
	EXPECT_PANIC(kmem_free(p, 100));
	host_reset();
	p = kmem_alloc(5000, KM_SLEEP);
	print_ptr(p);
	p[6000] = 0;
	EXPECT_PANIC(kmem_free(p, 5000));
}

static void
sc_context(void)
{

	printf("fn=%p\n", (void *)(uintptr_t)sc_context);
	host_ipl = IPL_VM;
	EXPECT_PANIC(kmem_alloc(10, KM_SLEEP));
	host_reset();
	host_intr = true;
	EXPECT_PANIC(kmem_alloc(10, KM_SLEEP));
	host_reset();
	host_ipl = IPL_SCHED;
	EXPECT_PANIC(kmem_alloc(10, KM_NOSLEEP));
	host_reset();
	EXPECT_PANIC(kmem_alloc(10, 0));
	host_reset();
	host_intr = true;
	host_ipl = IPL_VM;
	kmem_free(kmem_alloc(10, KM_NOSLEEP), 10);	/* allowed */
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "map", sc_map },
	{ "coalesce", sc_coalesce },
	{ "contig", sc_contig },
	{ "stress", sc_stress },
	{ "stress_tight", sc_stress_tight },
	{ "zeroing", sc_zeroing },
	{ "stats", sc_stats },
	{ "nosleep_absurd", sc_nosleep_absurd },
	{ "sleep_absurd", sc_sleep_absurd },
	{ "sleep_oom", sc_sleep_oom },
	{ "sleep_wakes", sc_sleep_wakes },
	{ "page_double_free", sc_page_double_free },
	{ "page_never_allocated", sc_page_never_allocated },
	{ "page_free_inside_run", sc_page_free_inside_run },
	{ "page_free_wrong_count", sc_page_free_wrong_count },
	{ "kmem_double_free", sc_kmem_double_free },
	{ "kmem_double_free_redzone", sc_kmem_double_free_redzone },
	{ "kmem_double_free_large", sc_kmem_double_free_large },
	{ "kmem_size_mismatch", sc_kmem_size_mismatch },
	{ "kmem_bad_pointer", sc_kmem_bad_pointer },
	{ "kmem_write_after_free", sc_kmem_write_after_free },
	{ "kmem_write_after_free_slab_release",
	    sc_kmem_write_after_free_slab_release },
	{ "page_write_after_free", sc_page_write_after_free },
	{ "kmem_redzone", sc_kmem_redzone },
	{ "context", sc_context },
};

int
main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: kmem_harness scenario\n");
		for (i = 0; i < nitems(scenarios); i++)
			fprintf(stderr, "  %s\n", scenarios[i].name);
		return 64;
	}
	mem = aligned_alloc(MEM_ALIGN, MEM_BYTES);
	if (mem == NULL)
		return 70;
	kmem_host_offset = (uintptr_t)mem;
	for (i = 0; i < nitems(scenarios); i++) {
		if (strcmp(argv[1], scenarios[i].name) != 0)
			continue;
		host_reset();
		scenarios[i].fn();
		printf("ok\n");
		return 0;
	}
	fprintf(stderr, "kmem_harness: no scenario %s\n", argv[1]);
	return 64;
}
