/*
 * test_outside.c: an example of a test suite kept outside the kernel tree.
 *
 * It is not built by default (tests/extra/ is not in the kernel's source
 * list); build it in with
 *
 *	make KTEST_EXTRA=tests/extra/test_outside.c
 *
 * and run it with `tools/boot -- run=ktest:outside`.  Such files see only
 * the public headers under include/.  tests/host/test_build.py builds and
 * boots it as part of `make check`.
 */
#include <condvar.h>
#include <ktest.h>
#include <lwp.h>
#include <mutex.h>

static void
mutex_is_owned_only_between_enter_and_exit(struct ktest *t)
{
	kmutex_t m;

	mutex_init(&m, MUTEX_DEFAULT, IPL_NONE);
	KT_EXPECT_FALSE(t, mutex_owned(&m));
	mutex_enter(&m);
	KT_EXPECT_TRUE(t, mutex_owned(&m));
	mutex_exit(&m);
	KT_EXPECT_FALSE(t, mutex_owned(&m));
	mutex_destroy(&m);
}

struct handshake {
	kmutex_t lock;
	kcondvar_t cv;
	bool done;
};

static void
signal_done(void *arg)
{
	struct handshake *h = arg;

	mutex_enter(&h->lock);
	h->done = true;
	cv_signal(&h->cv);
	mutex_exit(&h->lock);
}

static void
a_thread_can_signal_the_test(struct ktest *t)
{
	struct handshake h = { .done = false };
	struct lwp *l;

	mutex_init(&h.lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&h.cv, "outside");
	KT_ASSERT_EQ(t, lwp_create(signal_done, &h, PRI_KERNEL, NULL,
	    LWP_JOINABLE, "outside", &l), 0);
	mutex_enter(&h.lock);
	while (!h.done)
		cv_wait(&h.cv, &h.lock);
	mutex_exit(&h.lock);
	KT_EXPECT_EQ(t, lwp_join(l), 0);
}

KTEST_SUITE(outside,
    KTEST_CASE(mutex_is_owned_only_between_enter_and_exit),
    KTEST_CASE(a_thread_can_signal_the_test));
