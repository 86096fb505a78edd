/*
 * splitdrv.h: the split-driver model of seed 000, as a small helper: a
 * driver's hard interrupt handler (its top half) moves records from the
 * device into a ring under the instance's spin mutex and schedules a soft
 * interrupt; the soft interrupt (its bottom half) takes them out one at a
 * time and hands each to the driver's drain function, outside the lock,
 * at the soft interrupt's level, where it may block on mutexes.
 *
 *	struct split_dev sd;
 *	split_init(&sd, SOFTINT_SERIAL, sizeof(uint8_t), 256, rx_byte, port);
 *	// primary handler:
 *	while (chip_has_byte(port) && split_space(&sd) > 0) {
 *		uint8_t c = chip_read(port);
 *		split_put(&sd, &c);
 *	}
 *	return IRQ_HANDLED;
 *
 * A full ring refuses the record (split_put returns false and counts it),
 * so a driver that must lose nothing checks split_space first and leaves
 * the rest in the device.  Records are fixed-size, copied in and out.
 */
#ifndef PINWHEEL_SPLITDRV_H
#define PINWHEEL_SPLITDRV_H

#include <mutex.h>
#include <softint.h>
#include <types.h>

struct split_dev {
	kmutex_t sd_lock;		/* spin, IPL_VM: the ring */
	uint8_t *sd_ring;
	size_t sd_recsize;
	unsigned sd_nrecs, sd_head, sd_count;
	void *sd_softint;
	void (*sd_drain)(void *arg, const void *rec);
	void *sd_arg;
	uint64_t sd_put, sd_drained, sd_refused;	/* under sd_lock */
};

/*
 * split_init: a ring of nrecs records of recsize bytes and a soft
 * interrupt at level (SOFTINT_CLOCK..SOFTINT_SERIAL) that calls
 * drain(arg, record) for each.  Returns 0, -EINVAL or -ENOMEM.
 * Context: thread.
 */
int split_init(struct split_dev *sd, unsigned level, size_t recsize,
    unsigned nrecs, void (*drain)(void *arg, const void *rec), void *arg);
/*
 * split_put: copy rec into the ring and schedule the soft interrupt;
 * false (counted in sd_refused) if the ring is full.  Context: any
 * (the top half: hard interrupt context).
 */
bool split_put(struct split_dev *sd, const void *rec);
/* split_space: records the ring can take now.  Context: any. */
unsigned split_space(struct split_dev *sd);
/*
 * split_fini: wait for the soft interrupt, drop what is left in the ring
 * and free it.  The top half must be detached first.  Context: thread.
 */
void split_fini(struct split_dev *sd);

#endif
