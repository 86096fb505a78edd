/*
 * libkern_ref.c: host libc originals for the libkern harness; see
 * libkern_ref.h.  Compiled against the host headers, without the kernel's
 * symbol renames, so every call here reaches the C library.  The kernel's
 * printf and vprintf keep their names (the token printf must stay free for
 * format attributes), so this file writes with vfprintf instead.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkern_ref.h"

int
ref_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int
ref_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
	return n;
}

void
ref_abort(void)
{
	fflush(stdout);
	abort();
}

void
ref_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

void *
ref_memmove(void *d, const void *s, size_t n)
{
	return memmove(d, s, n);
}

int
ref_memcmp(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n);
}

size_t
ref_strlen(const char *s)
{
	return strlen(s);
}

size_t
ref_strnlen(const char *s, size_t max)
{
	return strnlen(s, max);
}

int
ref_strcmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

int
ref_strncmp(const char *a, const char *b, size_t n)
{
	return strncmp(a, b, n);
}

char *
ref_strchr(const char *s, int c)
{
	return strchr(s, c);
}

struct ref_thread {
	pthread_t	rt_thread;
	void		(*rt_fn)(void *);
	void		*rt_arg;
};

static void *
ref_thread_main(void *arg)
{
	struct ref_thread *rt = arg;

	rt->rt_fn(rt->rt_arg);
	return NULL;
}

void *
ref_thread_start(void (*fn)(void *), void *arg)
{
	struct ref_thread *rt = malloc(sizeof(*rt));

	if (rt == NULL)
		ref_abort();
	rt->rt_fn = fn;
	rt->rt_arg = arg;
	if (pthread_create(&rt->rt_thread, NULL, ref_thread_main, rt) != 0)
		ref_abort();
	return rt;
}

void
ref_thread_join(void *handle)
{
	struct ref_thread *rt = handle;

	pthread_join(rt->rt_thread, NULL);
	free(rt);
}
