/*
 * printf.h: formatted output.
 *
 * Conversions: %d %i %u %x %X %o %p %s %c %%, with the length modifiers
 * hh h l ll z j t, a field width (also *), a precision for %s and integers
 * (also .*), and the flags '-' (left-justify), '0' (zero-pad), '+', ' ' and
 * '#'.  No floating point: the kernel is built without SSE.
 */
#ifndef PINWHEEL_PRINTF_H
#define PINWHEEL_PRINTF_H

#include <types.h>

/*
 * printf: format to the console.
 *
 * Context: any.  A whole call reaches the console without being interleaved
 * with another CPU's output.  Returns the number of characters written.
 */
int printf(const char *fmt, ...) __printflike(1, 2);
int vprintf(const char *fmt, va_list ap);

/*
 * snprintf: format into buf, at most size bytes including the NUL.
 *
 * Context: any.  Returns the length the full output would have had, like
 * C99; buf is always NUL-terminated when size > 0.
 */
int snprintf(char *buf, size_t size, const char *fmt, ...) __printflike(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/*
 * kvprintf: the formatting engine: calls put(c, arg) for each character.
 * Returns the number of characters produced.
 */
int kvprintf(const char *fmt, va_list ap, void (*put)(int c, void *arg),
    void *arg);

#endif
