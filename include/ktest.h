/*
 * ktest.h: the in-kernel test framework.
 *
 * A suite is a named list of test cases; each case is a function
 * void fn(struct ktest *t).  Suites register themselves with KTEST_SUITE,
 * so a test file needs nothing else: put it in tests/ (or pass it to
 * `make KTEST_EXTRA=path/to/file.c`, which builds it against include/ only).
 *
 *	static void
 *	adds_up(struct ktest *t)
 *	{
 *		KT_EXPECT_EQ(t, 1 + 1, 2);
 *	}
 *	KTEST_SUITE(arith, KTEST_CASE(adds_up));
 *
 * The kernel runs suites with `run=ktest` (all) or `run=ktest:a,b` (named
 * ones).  Every case runs in a fresh kernel thread at PRI_KERNEL, so a case
 * may sleep, create threads and take locks.  Output is KTAP version 1 on the
 * console: one subtest per suite, one `ok`/`not ok` line per case, failed
 * assertions as `#` diagnostic lines with the file, line, expression and
 * the values compared.  The run ends with a line `N passed, N failed`, and
 * under QEMU the kernel then exits with a status saying whether all passed.
 *
 * KT_EXPECT_* record a failure and let the case go on; KT_ASSERT_* record
 * it and end the case at once (its thread exits: release your locks first
 * or use EXPECT).  A case that runs longer than its suite's time limit
 * (default 300 s, ktest_timeout= on the command line, in seconds) is reported
 * and the run panics, naming the case: a hung test never hangs silently.
 */
#ifndef PINWHEEL_KTEST_H
#define PINWHEEL_KTEST_H

#include <lwp.h>
#include <types.h>

struct ktest;

struct ktest_case {
	const char *kc_name;
	void (*kc_fn)(struct ktest *t);
};

struct ktest_suite {
	const char *ks_name;
	const struct ktest_case *ks_cases;
	size_t ks_ncases;
};

#define KTEST_CASE(fn)	{ #fn, fn }

/* KTEST_SUITE(name, cases...): define and register a suite. */
#define KTEST_SUITE(name, ...)						\
	static const struct ktest_case ktest_cases_##name[] = { __VA_ARGS__ }; \
	static const struct ktest_suite ktest_suite_##name		\
	    __attribute__((section("ktest_suites"), used, aligned(8))) = { \
		#name, ktest_cases_##name,				\
		sizeof(ktest_cases_##name) / sizeof(ktest_cases_##name[0]) }

/*
 * ktest_fail: record a failed assertion (used by the macros).  fatal ends
 * the case.  ktest_log: a diagnostic line in the case's output.
 * ktest_skip: mark the case skipped with a reason and end it.
 */
void ktest_fail(struct ktest *t, bool fatal, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ktest_log(struct ktest *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
__attribute__((noreturn)) void ktest_skip(struct ktest *t, const char *why);
/* ktest_failed: true if the current case has recorded a failure. */
bool ktest_failed(const struct ktest *t);

/*
 * Helpers for cases that run several threads.
 *
 * ktest_spawn: create a joinable LWP running fn(arg) at priority pri,
 * bound to ci (NULL: any CPU), named name; the case must lwp_join it.  If
 * lwp_create fails, records a fatal failure naming the LWP and the error,
 * which ends the case when called from the case's own thread.
 * Context: thread.  Returns the new LWP (NULL only after a failure
 * recorded from another thread).
 */
struct lwp *ktest_spawn(struct ktest *t, lwp_func_t fn, void *arg, int pri,
    struct cpu_info *ci, const char *name);

/*
 * ktest_set_flag: set *flag to 1 with release semantics, so that whatever
 * the caller wrote before is visible to a thread that sees the flag set.
 * Context: any.
 */
void ktest_set_flag(volatile int *flag);

/*
 * ktest_wait_flag: wait until *flag is non-zero, looking every millisecond
 * and sleeping (ksleep) in between, for timeout_ns worth of sleeps: at
 * least timeout_ns, longer if sleeps overrun.  The look has acquire
 * semantics (pairs with ktest_set_flag).  Context: thread; sleeps.
 * Returns true if the flag was set, false if the wait ran out.
 */
bool ktest_wait_flag(volatile int *flag, uint64_t timeout_ns);

/*
 * The stage CPU: one CPU (the last, away from the boot CPU) on which a
 * case runs every thread of a scenario, so that the scheduler alone
 * decides their order.  ktest_stage_enter binds the calling thread there
 * at the lowest kernel priority (PRI_KERNEL_MIN): from then on, yield()
 * returns only once every helper of higher priority started there has
 * blocked or gone to sleep.  Context: the case's thread (a fresh thread
 * per case, so nothing needs undoing).
 */
struct cpu_info *ktest_stage_cpu(void);
void ktest_stage_enter(void);

/*
 * ktest_take_interrupt: make this CPU take a timer interrupt now and wait
 * (busy, for up to a second) until it has.  The return from an interrupt
 * is a preemption point, so a case can show that something held a
 * preemption off across one.  The caller must stay on this CPU (bound, or
 * with preemption disabled).  Context: thread, below IPL_VM (the timer
 * interrupt must get in).  Returns true if the interrupt came.
 */
bool ktest_take_interrupt(void);

#define KT__CMP(t, fatal, a, op, b) do {				\
	__typeof__(a) kt_a_ = (a);					\
	__typeof__(b) kt_b_ = (b);					\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")		\
	bool kt_ok_ = kt_a_ op kt_b_;					\
	_Pragma("GCC diagnostic pop")					\
	if (!kt_ok_)							\
		ktest_fail(t, fatal, __FILE__, __LINE__,		\
		    "%s %s %s: %lld (0x%llx) vs %lld (0x%llx)",		\
		    #a, #op, #b,					\
		    (long long)(intptr_t)kt_a_,				\
		    (unsigned long long)(uintptr_t)kt_a_,		\
		    (long long)(intptr_t)kt_b_,				\
		    (unsigned long long)(uintptr_t)kt_b_);		\
} while (0)

#define KT__BOOL(t, fatal, e, want) do {				\
	if (((e) ? true : false) != (want))				\
		ktest_fail(t, fatal, __FILE__, __LINE__,		\
		    "expected %s to be %s", #e, (want) ? "true" : "false"); \
} while (0)

#define KT__STR(t, fatal, a, b) do {					\
	const char *kt_a_ = (a), *kt_b_ = (b);				\
	if (ktest_strcmp(kt_a_, kt_b_) != 0)				\
		ktest_fail(t, fatal, __FILE__, __LINE__,		\
		    "%s == %s: \"%s\" vs \"%s\"", #a, #b, kt_a_, kt_b_);	\
} while (0)

int ktest_strcmp(const char *a, const char *b);

#define KT_EXPECT_EQ(t, a, b)	KT__CMP(t, false, a, ==, b)
#define KT_EXPECT_NE(t, a, b)	KT__CMP(t, false, a, !=, b)
#define KT_EXPECT_LT(t, a, b)	KT__CMP(t, false, a, <, b)
#define KT_EXPECT_LE(t, a, b)	KT__CMP(t, false, a, <=, b)
#define KT_EXPECT_GT(t, a, b)	KT__CMP(t, false, a, >, b)
#define KT_EXPECT_GE(t, a, b)	KT__CMP(t, false, a, >=, b)
#define KT_EXPECT_TRUE(t, e)	KT__BOOL(t, false, e, true)
#define KT_EXPECT_FALSE(t, e)	KT__BOOL(t, false, e, false)
#define KT_EXPECT_NULL(t, p)	KT__CMP(t, false, (const void *)(p), ==, (const void *)0)
#define KT_EXPECT_NOT_NULL(t, p) KT__CMP(t, false, (const void *)(p), !=, (const void *)0)
#define KT_EXPECT_STREQ(t, a, b) KT__STR(t, false, a, b)

#define KT_ASSERT_EQ(t, a, b)	KT__CMP(t, true, a, ==, b)
#define KT_ASSERT_NE(t, a, b)	KT__CMP(t, true, a, !=, b)
#define KT_ASSERT_LT(t, a, b)	KT__CMP(t, true, a, <, b)
#define KT_ASSERT_LE(t, a, b)	KT__CMP(t, true, a, <=, b)
#define KT_ASSERT_GT(t, a, b)	KT__CMP(t, true, a, >, b)
#define KT_ASSERT_GE(t, a, b)	KT__CMP(t, true, a, >=, b)
#define KT_ASSERT_TRUE(t, e)	KT__BOOL(t, true, e, true)
#define KT_ASSERT_FALSE(t, e)	KT__BOOL(t, true, e, false)
#define KT_ASSERT_NULL(t, p)	KT__CMP(t, true, (const void *)(p), ==, (const void *)0)
#define KT_ASSERT_NOT_NULL(t, p) KT__CMP(t, true, (const void *)(p), !=, (const void *)0)
#define KT_ASSERT_STREQ(t, a, b) KT__STR(t, true, a, b)

#endif
