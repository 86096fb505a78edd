/*
 * bytering.h: a ring of bytes over a caller's buffer, FIFO: the serial
 * driver's receive and transmit rings and the tty's input queue.
 *
 * No locking of its own: the owner's lock covers the ring.
 */
#ifndef KERN_BYTERING_H
#define KERN_BYTERING_H

#include <kassert.h>
#include <types.h>

struct bytering {
	uint8_t *br_buf;
	size_t br_size;		/* bytes br_buf holds */
	size_t br_head;		/* index of the oldest byte */
	size_t br_len;		/* bytes in the ring */
};

static inline void
bytering_init(struct bytering *r, uint8_t *buf, size_t size)
{
	r->br_buf = buf;
	r->br_size = size;
	r->br_head = r->br_len = 0;
}

static inline size_t
bytering_room(const struct bytering *r)
{
	return r->br_size - r->br_len;
}

/* Append c; the ring must have room. */
static inline void
bytering_put(struct bytering *r, uint8_t c)
{
	KASSERTMSG(r->br_len < r->br_size, "bytering %p overflow", r);
	r->br_buf[(r->br_head + r->br_len) % r->br_size] = c;
	r->br_len++;
}

/* Take the oldest byte; the ring must not be empty. */
static inline uint8_t
bytering_get(struct bytering *r)
{
	uint8_t c = r->br_buf[r->br_head];

	KASSERTMSG(r->br_len > 0, "bytering %p underflow", r);
	r->br_head = (r->br_head + 1) % r->br_size;
	r->br_len--;
	return c;
}

/* Copy up to n of the oldest bytes to buf without taking them. */
static inline size_t
bytering_peek(const struct bytering *r, uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < r->br_len; i++)
		buf[i] = r->br_buf[(r->br_head + i) % r->br_size];
	return i;
}

/* Take the n oldest bytes without reading them. */
static inline void
bytering_drop(struct bytering *r, size_t n)
{
	KASSERTMSG(n <= r->br_len, "bytering %p: drop %zu of %zu", r, n,
	    r->br_len);
	r->br_head = (r->br_head + n) % r->br_size;
	r->br_len -= n;
}

#endif
