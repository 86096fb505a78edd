/*
 * libkern_ref.h: the host C library and threads, for the libkern harness.
 *
 * The harness links kern/printf.c and kern/string.c under renamed symbols
 * (kern_snprintf, kern_memcpy, ...; printf and vprintf keep their names)
 * next to the host libc; libkern_ref.c is compiled against the host
 * headers and gives the harness the libc originals under ref_ names, plus
 * output, sleeping and threads.
 */
#ifndef LIBKERN_REF_H
#define LIBKERN_REF_H

#include <stddef.h>

int ref_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ref_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ref_abort(void) __attribute__((noreturn));
void ref_sleep_ms(unsigned ms);

void *ref_memmove(void *dst, const void *src, size_t n);
int ref_memcmp(const void *a, const void *b, size_t n);
size_t ref_strlen(const char *s);
size_t ref_strnlen(const char *s, size_t max);
int ref_strcmp(const char *a, const char *b);
int ref_strncmp(const char *a, const char *b, size_t n);
char *ref_strchr(const char *s, int c);

/* ref_thread_start: run fn(arg) in a new thread; returns a handle. */
void *ref_thread_start(void (*fn)(void *), void *arg);
void ref_thread_join(void *handle);

#endif
