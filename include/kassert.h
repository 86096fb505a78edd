/*
 * kassert.h: panic and assertions.
 *
 * KASSERT(e) checks an invariant; KASSERTMSG(e, fmt, ...) also says, in
 * words, who broke it.  Both are always compiled in: Pinwheel is a teaching
 * and measuring kernel and a broken invariant must be loud.  A failed
 * assertion calls panic(), which stops every other CPU, prints the message
 * once with a backtrace and, under QEMU, exits with the panic status.
 */
#ifndef PINWHEEL_KASSERT_H
#define PINWHEEL_KASSERT_H

#include <types.h>

/*
 * panic: stop the machine with a message.
 *
 * Context: any.  Never returns.  Only the first caller prints; a CPU that
 * panics while another is panicking halts quietly.
 */
__noreturn void panic(const char *fmt, ...) __printflike(1, 2);

/* kassert_fail: report a failed assertion (used by the macros below). */
__noreturn void kassert_fail(const char *expr, const char *file, int line,
    const char *fmt, ...) __printflike(4, 5);

#define KASSERT(e) do {							\
	if (__predict_false(!(e)))					\
		kassert_fail(#e, __FILE__, __LINE__, NULL);		\
} while (0)

#define KASSERTMSG(e, ...) do {						\
	if (__predict_false(!(e)))					\
		kassert_fail(#e, __FILE__, __LINE__, __VA_ARGS__);	\
} while (0)

#define CTASSERT(e)	_Static_assert(e, #e)

#endif
