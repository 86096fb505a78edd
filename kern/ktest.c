/*
 * ktest.c: the in-kernel test runner (API and output format: include/ktest.h).
 *
 * Suites come from the "ktest_suites" linker section, in link order.  Each
 * case runs in its own joinable LWP at PRI_KERNEL so that a fatal assertion
 * can end it by ending the thread.  The runner waits on a condvar with a
 * time limit: a case that overruns it is a hung test, and the kernel panics
 * naming it rather than hanging silently.
 *
 * The helpers that suites share (threads, flags, the stage CPU, a timer
 * interrupt on demand) are here too, so that there is one copy of each.
 *
 * Locking.  kt_lock (adaptive) covers kt_done; kt_failed is set by any
 * thread (a bool, only ever set) and read after the case is joined.
 */
#include <condvar.h>
#include <kassert.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>
#include <options.h>
#include <printf.h>
#include <spl.h>
#include <string.h>
#include <time.h>
#include <timer.h>

#include <kern/run.h>

extern const struct ktest_suite __start_ktest_suites[], __stop_ktest_suites[];

struct ktest {
	const struct ktest_suite *kt_suite;
	const struct ktest_case *kt_case;
	struct lwp *kt_lwp;
	kmutex_t kt_lock;
	kcondvar_t kt_cv;
	bool kt_done;
	volatile bool kt_failed;
	bool kt_skipped;
	char kt_skip_reason[96];
};

#define WAIT_FLAG_POLL_NS	NS_PER_MS

static uint64_t ktest_timeout = 300;
OPTION_U64("ktest_timeout", ktest_timeout, 1, 86400,
    "seconds a single test case may run before the run panics");

int
ktest_strcmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b ? 0 : 1;
	return strcmp(a, b);
}

bool
ktest_failed(const struct ktest *t)
{
	return t->kt_failed;
}

void
ktest_log(struct ktest *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("    # %s\n", buf);
}

static __noreturn void
case_finish(struct ktest *t)
{
	mutex_enter(&t->kt_lock);
	t->kt_done = true;
	cv_broadcast(&t->kt_cv);
	mutex_exit(&t->kt_lock);
	lwp_exit();
}

void
ktest_fail(struct ktest *t, bool fatal, const char *file, int line,
    const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("    # %s:%d: %s\n", file, line, buf);
	t->kt_failed = true;
	/* Only the case's own thread can end the case. */
	if (fatal && curlwp == t->kt_lwp)
		case_finish(t);
}

void
ktest_skip(struct ktest *t, const char *why)
{
	KASSERTMSG(curlwp == t->kt_lwp, "ktest_skip from a helper thread of %s",
	    t->kt_case->kc_name);
	t->kt_skipped = true;
	strlcpy(t->kt_skip_reason, why, sizeof(t->kt_skip_reason));
	case_finish(t);
}

struct lwp *
ktest_spawn(struct ktest *t, lwp_func_t fn, void *arg, int pri,
    struct cpu_info *ci, const char *name)
{
	struct lwp *l = NULL;
	int error;

	error = lwp_create(fn, arg, pri, ci, LWP_JOINABLE, name, &l);
	if (error != 0)
		ktest_fail(t, true, __FILE__, __LINE__,
		    "cannot create LWP \"%s\": lwp_create returned %d",
		    name, error);
	return l;
}

void
ktest_set_flag(volatile int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

bool
ktest_wait_flag(volatile int *flag, uint64_t timeout_ns)
{
	for (uint64_t i = 0; i < timeout_ns / WAIT_FLAG_POLL_NS; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		ksleep(WAIT_FLAG_POLL_NS);
	}
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

struct cpu_info *
ktest_stage_cpu(void)
{
	return cpu_lookup(ncpu - 1);
}

void
ktest_stage_enter(void)
{
	lwp_bind(curlwp, ktest_stage_cpu());
	lwp_set_priority(curlwp, PRI_KERNEL_MIN);
}

static void
count_fire(struct timer_event *te, void *arg)
{
	__atomic_fetch_add((volatile unsigned *)arg, 1, __ATOMIC_RELAXED);
}

bool
ktest_take_interrupt(void)
{
	struct timer_event te;
	volatile unsigned fired = 0;

	KASSERTMSG(curipl() < IPL_VM, "ktest_take_interrupt at %s: the timer "
	    "interrupt cannot get in", ipl_name(curipl()));
	timer_event_init(&te, count_fire, (void *)&fired);
	timer_event_arm(&te, nanouptime());
	for (unsigned i = 0; i < 10000 && fired == 0; i++)
		delay_ns(100 * NS_PER_US);
	(void)timer_event_cancel(&te);
	return fired != 0;
}

static void
case_thread(void *arg)
{
	struct ktest *t = arg;

	t->kt_case->kc_fn(t);
	case_finish(t);
}

static void
wait_for_case(struct ktest *t)
{
	uint64_t deadline = nanouptime() + ktest_timeout * NS_PER_SEC;

	mutex_enter(&t->kt_lock);
	while (!t->kt_done) {
		if (nanouptime() >= deadline)
			panic("ktest: %s.%s still running after %lu s (ktest_timeout=)",
			    t->kt_suite->ks_name, t->kt_case->kc_name, ktest_timeout);
		(void)cv_timedwait(&t->kt_cv, &t->kt_lock, NS_PER_SEC);
	}
	mutex_exit(&t->kt_lock);
}

/* run_case: run one case; returns 1 passed, 0 skipped, -1 failed. */
static int
run_case(const struct ktest_suite *ks, const struct ktest_case *kc, unsigned n)
{
	struct ktest t = { .kt_suite = ks, .kt_case = kc };
	int error;

	mutex_init(&t.kt_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&t.kt_cv, "ktest");
	error = lwp_create(case_thread, &t, PRI_KERNEL, NULL, LWP_JOINABLE,
	    kc->kc_name, &t.kt_lwp);
	if (error != 0) {
		printf("    # cannot create a thread for %s: %d\n", kc->kc_name, error);
		printf("    not ok %u %s\n", n, kc->kc_name);
		return -1;
	}
	wait_for_case(&t);
	lwp_join(t.kt_lwp);
	mutex_destroy(&t.kt_lock);
	if (t.kt_failed) {
		printf("    not ok %u %s\n", n, kc->kc_name);
		return -1;
	}
	if (t.kt_skipped) {
		printf("    ok %u %s # SKIP %s\n", n, kc->kc_name, t.kt_skip_reason);
		return 0;
	}
	printf("    ok %u %s\n", n, kc->kc_name);
	return 1;
}

/* Is name in the comma-separated list spec (NULL: everything)? */
static bool
selected(const char *spec, const char *name)
{
	size_t n = strlen(name);

	if (spec == NULL)
		return true;
	for (const char *p = spec; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (end != NULL);
	}
	return false;
}

static const struct ktest_suite *
find_suite(const char *name, size_t len)
{
	for (const struct ktest_suite *ks = __start_ktest_suites;
	    ks < __stop_ktest_suites; ks++)
		if (strlen(ks->ks_name) == len && strncmp(ks->ks_name, name, len) == 0)
			return ks;
	return NULL;
}

/* Report names in spec that match no suite; returns how many. */
static unsigned
unknown_suites(const char *spec)
{
	unsigned bad = 0;

	for (const char *p = spec; spec != NULL && *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (find_suite(p, len) == NULL) {
			printf("# ktest: no suite named '%.*s'\n", (int)len, p);
			bad++;
		}
		p += len + (end != NULL);
	}
	return bad;
}

static void
run_suite(const struct ktest_suite *ks, unsigned n, unsigned *passed,
    unsigned *failed)
{
	unsigned suite_failed = 0;

	printf("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n",
	    ks->ks_name, ks->ks_ncases);
	for (size_t i = 0; i < ks->ks_ncases; i++) {
		int r;

		if (lwp_interrupted()) {
			printf("    ok %zu %s # SKIP interrupted\n", i + 1,
			    ks->ks_cases[i].kc_name);
			continue;
		}
		r = run_case(ks, &ks->ks_cases[i], (unsigned)i + 1);

		if (r > 0)
			(*passed)++;
		else if (r < 0)
			suite_failed++;
	}
	*failed += suite_failed;
	printf("%sok %u %s\n", suite_failed ? "not " : "", n, ks->ks_name);
}

bool
ktest_run(const char *spec)
{
	unsigned nsuites = 0, n = 0, passed = 0, failed = unknown_suites(spec);

	for (const struct ktest_suite *ks = __start_ktest_suites;
	    ks < __stop_ktest_suites; ks++)
		nsuites += selected(spec, ks->ks_name);
	printf("KTAP version 1\n1..%u\n", nsuites);
	for (const struct ktest_suite *ks = __start_ktest_suites;
	    ks < __stop_ktest_suites; ks++)
		if (selected(spec, ks->ks_name))
			run_suite(ks, ++n, &passed, &failed);
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0;
}
