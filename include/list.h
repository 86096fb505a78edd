/*
 * list.h: intrusive circular doubly-linked lists.
 *
 * A struct list_head is both the head of a list and the link embedded in
 * each element.  An element's link points to itself when it is on no list
 * (after list_init or list_del_init), which list_on_list() tests.
 * No locking: the user's lock covers the list and its links.
 */
#ifndef PINWHEEL_LIST_H
#define PINWHEEL_LIST_H

#include <types.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }

/* list_init: an empty list, or an element on no list. */
static inline void
list_init(struct list_head *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list_head *h) { return h->next == h; }
static inline bool list_on_list(const struct list_head *e) { return e->next != e; }

static inline void
list_insert_between(struct list_head *e, struct list_head *prev,
    struct list_head *next)
{
	e->next = next;
	e->prev = prev;
	prev->next = e;
	next->prev = e;
}

/* list_add_head, list_add_tail: insert e at the front or the back of h. */
static inline void list_add_head(struct list_head *h, struct list_head *e) { list_insert_between(e, h, h->next); }
static inline void list_add_tail(struct list_head *h, struct list_head *e) { list_insert_between(e, h->prev, h); }
/* list_add_before: insert e just before the element pos. */
static inline void list_add_before(struct list_head *pos, struct list_head *e) { list_insert_between(e, pos->prev, pos); }

/* list_del_init: unlink e and leave it on no list. */
static inline void
list_del_init(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	list_init(e);
}

#define list_entry(p, type, member)	container_of(p, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_foreach(p, h)	for ((p) = (h)->next; (p) != (h); (p) = (p)->next)
#define list_foreach_safe(p, n, h) \
	for ((p) = (h)->next, (n) = (p)->next; (p) != (h); (p) = (n), (n) = (p)->next)

#endif
