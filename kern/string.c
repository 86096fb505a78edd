/*
 * string.c: the C string and memory functions.
 *
 * Design.  The compiler emits calls to memcpy, memmove, memset and memcmp
 * on its own (structure copies and initialisers), so these must be right
 * for any length and any alignment, and must not themselves be compiled
 * back into calls to the same function.  On x86-64 memcpy and memset are
 * one `rep movsb` / `rep stosb` each: on CPUs with ERMSB the microcode
 * picks the best strategy for the alignment and length, and on older ones
 * it is still correct and short.  Elsewhere (only the host unit test builds
 * that variant) they are plain byte loops.
 *
 * memmove never runs the string instructions backwards: that would mean
 * setting RFLAGS.DF, which an interrupt or NMI handler arriving in the
 * middle would inherit.  An overlapping move to a higher address is done
 * instead as forward copies of non-overlapping pieces, last piece first.
 *
 * Locking: none; every function touches only its arguments.
 * Context: any.
 */

#include <string.h>

#if defined(__x86_64__)

void *
memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb"
	    : "+D"(d), "+S"(src), "+c"(n) :: "memory");
	return dst;
}

void *
memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb"
	    : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

#else

void *
memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

#endif

/*
 * memmove: copy n bytes between possibly overlapping areas.
 *
 * When dst lies above src and within the source, src and dst are k =
 * dst - src bytes apart, so any piece of at most k bytes copied from the
 * top down reads source bytes that no earlier piece has overwritten.
 */
void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t k, piece;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	k = (size_t)(d - s);
	while (n > 0) {
		piece = MIN(k, n);
		n -= piece;
		memcpy(d + n, s + n, piece);
	}
	return dst;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n > 0; n--, p++, q++) {
		if (*p != *q)
			return *p - *q;
	}
	return 0;
}

size_t
strlen(const char *s)
{
	const char *p = s;

	while (*p != '\0')
		p++;
	return (size_t)(p - s);
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

int
strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (*a == '\0')
			break;
	}
	return 0;
}

char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = MIN(len, size - 1);

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* digit_value: the value of a hex digit, or 16 for anything else. */
static unsigned
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/*
 * strtou64: parse all of s as an unsigned number, decimal or 0x-prefixed
 * hexadecimal.  No sign, no surrounding spaces.  A string that is not
 * a number is -EINVAL even when it is also too long to fit.
 */
int
strtou64(const char *s, uint64_t *out)
{
	unsigned base = 10, d;
	uint64_t v = 0;
	bool overflow = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		d = digit_value(*s);
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}
