/*
 * splitdrv.c: the split-driver helper (include/splitdrv.h).
 *
 * Design.  A ring of fixed-size records, filled by the top half and
 * emptied by a soft interrupt that calls the driver's drain function for
 * each record.  The bottom half copies one record out under the lock and
 * drains it with the lock dropped, so the top half is held off only for
 * the copy, and the drain function may block on mutexes.  One soft
 * interrupt serves the instance; a put on another CPU schedules it there,
 * and two CPUs may drain at once (records still come out in ring order,
 * but their drains may overlap: a driver that needs them in order drains
 * them under its own mutex).
 *
 * Locking.  sd_lock (spin, IPL_VM) covers the ring and the counters.
 */
#include <kassert.h>
#include <kmem.h>
#include <softint.h>
#include <splitdrv.h>
#include <string.h>

static uint8_t *
slot(struct split_dev *sd, unsigned i)
{
	return sd->sd_ring + (size_t)(i % sd->sd_nrecs) * sd->sd_recsize;
}

/* Take the oldest record out into buf; false if the ring is empty. */
static bool
take(struct split_dev *sd, void *buf)
{
	bool got;

	mutex_enter(&sd->sd_lock);
	got = sd->sd_count > 0;
	if (got) {
		memcpy(buf, slot(sd, sd->sd_head), sd->sd_recsize);
		sd->sd_head = (sd->sd_head + 1) % sd->sd_nrecs;
		sd->sd_count--;
		sd->sd_drained++;
	}
	mutex_exit(&sd->sd_lock);
	return got;
}

#define MAX_RECSIZE	256

static void
bottom_half(void *arg)
{
	struct split_dev *sd = arg;
	uint8_t buf[MAX_RECSIZE];

	while (take(sd, buf))
		sd->sd_drain(sd->sd_arg, buf);
}

int
split_init(struct split_dev *sd, unsigned level, size_t recsize,
    unsigned nrecs, void (*drain)(void *arg, const void *rec), void *arg)
{
	if (recsize == 0 || recsize > MAX_RECSIZE || nrecs == 0 ||
	    drain == NULL || level > SOFTINT_SERIAL)
		return -EINVAL;
	memset(sd, 0, sizeof(*sd));
	mutex_init(&sd->sd_lock, MUTEX_SPIN, IPL_VM);
	sd->sd_recsize = recsize;
	sd->sd_nrecs = nrecs;
	sd->sd_drain = drain;
	sd->sd_arg = arg;
	sd->sd_ring = kmem_alloc(recsize * nrecs, KM_SLEEP);
	sd->sd_softint = softint_establish(level | SOFTINT_MPSAFE, bottom_half,
	    sd);
	if (sd->sd_softint == NULL) {
		kmem_free(sd->sd_ring, recsize * nrecs);
		return -ENOMEM;
	}
	return 0;
}

bool
split_put(struct split_dev *sd, const void *rec)
{
	bool room;

	mutex_enter(&sd->sd_lock);
	room = sd->sd_count < sd->sd_nrecs;
	if (room) {
		memcpy(slot(sd, sd->sd_head + sd->sd_count), rec,
		    sd->sd_recsize);
		sd->sd_count++;
		sd->sd_put++;
		softint_schedule(sd->sd_softint);
	} else {
		sd->sd_refused++;
	}
	mutex_exit(&sd->sd_lock);
	return room;
}

unsigned
split_space(struct split_dev *sd)
{
	unsigned n;

	mutex_enter(&sd->sd_lock);
	n = sd->sd_nrecs - sd->sd_count;
	mutex_exit(&sd->sd_lock);
	return n;
}

void
split_fini(struct split_dev *sd)
{
	softint_disestablish(sd->sd_softint);
	kmem_free(sd->sd_ring, sd->sd_recsize * sd->sd_nrecs);
	mutex_destroy(&sd->sd_lock);
}
