/*
 * string.h: the C string and memory functions the kernel uses.
 *
 * The compiler may emit calls to memcpy, memmove, memset and memcmp on its
 * own, so these have their standard names and meanings.
 */
#ifndef PINWHEEL_STRING_H
#define PINWHEEL_STRING_H

#include <types.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* strlcpy: copy with truncation; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
/*
 * strtou64: parse an unsigned number in base 10, or 16 with a 0x prefix.
 * Returns 0 and sets *out when all of s was a number that fits, else -EINVAL
 * (not a number, trailing junk) or -ERANGE (too big).
 */
int strtou64(const char *s, uint64_t *out);

#endif
