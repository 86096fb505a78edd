/*
 * types.h: basic kernel types.
 *
 * Only the compiler's freestanding headers are used (stdint, stddef,
 * stdbool, stdarg); everything else the kernel defines itself.
 */
#ifndef PINWHEEL_TYPES_H
#define PINWHEEL_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;	/* physical address */
typedef uintptr_t vaddr_t;	/* kernel virtual address */
typedef int64_t ssize_t;

#define __packed	__attribute__((packed))
#define __aligned(x)	__attribute__((aligned(x)))
#define __noreturn	__attribute__((noreturn))
#define __unused	__attribute__((unused))
#define __used		__attribute__((used))
#define __section(s)	__attribute__((section(s)))
#define __printflike(f, a) __attribute__((format(printf, f, a)))
#define __predict_true(x)	__builtin_expect(!!(x), 1)
#define __predict_false(x)	__builtin_expect(!!(x), 0)

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define roundup(x, y)	((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y)	(((x) / (y)) * (y))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

/* Error numbers returned (negated where a function says so). */
#define EPERM		1
#define ENOENT		2
#define EINTR		4
#define EIO		5
#define ENOMEM		12
#define EBUSY		16
#define EEXIST		17
#define EINVAL		22
#define ENOSPC		28
#define ERANGE		34
#define EWOULDBLOCK	35
#define ETIMEDOUT	60

#endif
