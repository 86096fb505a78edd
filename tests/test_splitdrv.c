/*
 * test_splitdrv.c: the split-driver helper (include/splitdrv.h): a hard
 * handler on a self-IPI line fills the ring, the soft interrupt drains it
 * in order, outside hard interrupt context; a full ring refuses.
 */
#include <cpu.h>
#include <ipisrc.h>
#include <irq.h>
#include <ktest.h>
#include <lwp.h>
#include <splitdrv.h>
#include <time.h>

#define WAIT_NS		(20ULL * 1000 * 1000 * 1000)
#define PER_IRQ		8
#define RAISES		200

struct fake_dev {
	struct split_dev fd_split;
	volatile uint32_t fd_next_put;	/* the device's next record */
	volatile uint32_t fd_next_seen;	/* the drain's next expected */
	volatile unsigned fd_out_of_order, fd_in_hard;
};

static irqreturn_t
top_half(int irq, void *arg)
{
	struct fake_dev *fd = arg;

	for (unsigned i = 0; i < PER_IRQ && split_space(&fd->fd_split) > 0;
	    i++) {
		uint32_t rec = fd->fd_next_put;

		if (split_put(&fd->fd_split, &rec))
			fd->fd_next_put = rec + 1;
	}
	return IRQ_HANDLED;
}

static void
drain(void *arg, const void *rec)
{
	struct fake_dev *fd = arg;
	uint32_t v = *(const uint32_t *)rec;

	if (cpu_intr_p())
		fd->fd_in_hard++;
	if (v != fd->fd_next_seen)
		fd->fd_out_of_order++;
	fd->fd_next_seen = v + 1;
}

static void
the_bottom_half_drains_every_record_once_in_order(struct ktest *t)
{
	static struct fake_dev fd;
	cpuset_t set = cpuset_of(cpu_number());
	int irq = ipisrc_create("split");

	KT_ASSERT_GE(t, irq, 0);
	lwp_bind(curlwp, cpu_lookup(cpu_number()));
	KT_ASSERT_EQ(t, split_init(&fd.fd_split, SOFTINT_SERIAL,
	    sizeof(uint32_t), 64, drain, &fd), 0);
	KT_ASSERT_EQ(t, irq_set_affinity(irq, &set), 0);
	KT_ASSERT_EQ(t, request_irq(irq, top_half, IRQF_MODE(IRQ_MODE_HARD),
	    "split", &fd), 0);
	for (unsigned i = 0; i < RAISES; i++) {
		ipisrc_raise(irq);
		for (uint64_t w = 0; fd.fd_next_seen < (i + 1) * PER_IRQ &&
		    w < WAIT_NS; w += 1000000)
			ksleep(1000000);
	}
	KT_EXPECT_EQ(t, fd.fd_next_seen, RAISES * PER_IRQ);
	KT_EXPECT_EQ(t, fd.fd_out_of_order, 0U);
	KT_EXPECT_EQ(t, fd.fd_in_hard, 0U);
	KT_EXPECT_EQ(t, fd.fd_split.sd_refused, 0U);
	free_irq(irq, &fd);
	ipisrc_destroy(irq);
	split_fini(&fd.fd_split);
}

static void
never(void *arg, const void *rec)
{
}

static void
a_full_ring_refuses_and_counts(struct ktest *t)
{
	static struct split_dev sd;
	uint32_t rec = 7;
	ipl_t s;

	KT_ASSERT_EQ(t, split_init(&sd, SOFTINT_NET, sizeof(rec), 4, never,
	    NULL), 0);
	s = splvm();		/* the bottom half cannot run meanwhile */
	for (unsigned i = 0; i < 4; i++)
		KT_EXPECT_TRUE(t, split_put(&sd, &rec));
	KT_EXPECT_EQ(t, split_space(&sd), 0U);
	KT_EXPECT_FALSE(t, split_put(&sd, &rec));
	KT_EXPECT_EQ(t, sd.sd_refused, 1U);
	splx(s);
	KT_EXPECT_EQ(t, split_space(&sd), 4U);
	KT_EXPECT_EQ(t, sd.sd_drained, 4U);
	KT_EXPECT_EQ(t, split_init(&sd, SOFTINT_NET, 0, 4, never, NULL),
	    -EINVAL);
	split_fini(&sd);
}

KTEST_SUITE(splitdrv,
    KTEST_CASE(the_bottom_half_drains_every_record_once_in_order),
    KTEST_CASE(a_full_ring_refuses_and_counts));
