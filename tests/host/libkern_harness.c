/*
 * libkern_harness.c: host unit tests for kern/printf.c, string.c,
 * options.c, cons.c and log.c.
 *
 * Built and run by test_libkern.py: the kernel files are compiled for the
 * host with their public names renamed (snprintf -> kern_snprintf, ...),
 * so this file calls the kernel's functions by their usual names and the
 * host libc's through libkern_ref.h.  `libkern_harness GROUP` runs one
 * group of checks and exits non-zero if any failed; every failure prints
 * the values compared.
 *
 * Stubs for what the kernel provides elsewhere: each host thread plays one
 * CPU (host_cpu, and the interrupt flag in libkern_stubs/machine/
 * cpufunc.h); nanouptime() returns host_ns; the console output is captured
 * in cap[]; a thread's terminal (lwp_terminal) is host_terminal, and what
 * tty_write gets is captured in term[]; a failed KASSERT aborts.
 */

#include <types.h>
#include <cons.h>
#include <cpu.h>
#include <kassert.h>
#include <log.h>
#include <lwp.h>
#include <options.h>
#include <printf.h>
#include <string.h>
#include <time.h>
#include <tty.h>
#include <machine/cpufunc.h>

#include "libkern_ref.h"

/* Stubs. */

__thread bool host_intr_on = true;
__thread unsigned host_intr_disables;
static __thread unsigned host_cpu;
static uint64_t host_ns;

unsigned
cpu_number(void)
{
	return host_cpu;
}

uint64_t
nanouptime(void)
{
	return host_ns;
}

void
kassert_fail(const char *expr, const char *file, int line, const char *fmt,
    ...)
{
	ref_printf("KASSERT(%s) failed at %s:%d\n", expr, file, line);
	ref_abort();
}

/* The terminal: printf of a thread with one writes there (printf.c). */

static struct tty *host_terminal;
static char term[1 << 16];
static size_t term_len;
static unsigned term_writes;

struct tty *
lwp_terminal(void)
{
	return host_terminal;
}

void
tty_write(struct tty *tp, const char *buf, size_t n)
{
	if (tp != host_terminal)
		ref_abort();
	if (term_len + n < sizeof(term)) {
		memcpy(term + term_len, buf, n);
		term_len += n;
	}
	term_writes++;
}

/* The console capture.  capture_putc runs inside console sections. */

static char cap[1 << 20];
static size_t cap_len;

static void
capture_putc(int c)
{
	if (cap_len < sizeof(cap) - 1)
		cap[cap_len++] = (char)c;
}

static void
cap_reset(void)
{
	cap_len = 0;
	cap[0] = '\0';
}

/* cap_text: the capture with "\r\n" read as "\n". */
static const char *
cap_text(void)
{
	static char text[sizeof(cap)];
	size_t i, n = 0;

	for (i = 0; i < cap_len; i++) {
		if (!(cap[i] == '\r' && i + 1 < cap_len && cap[i + 1] == '\n'))
			text[n++] = cap[i];
	}
	text[n] = '\0';
	return text;
}

/* Checks. */

static int checks, failures;

static bool
check(bool ok, int line, const char *what)
{
	checks++;
	if (!ok) {
		failures++;
		ref_printf("FAIL line %d: %s\n", line, what);
	}
	return ok;
}

/* show: s[0..n) with control characters escaped, for messages. */
static const char *
show(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, len = 0;
	unsigned char c;

	for (i = 0; i < n && len + 5 < size; i++) {
		c = (unsigned char)s[i];
		if (c == '\n')
			len += (size_t)ref_snprintf(buf + len, 3, "\\n");
		else if (c == '\r')
			len += (size_t)ref_snprintf(buf + len, 3, "\\r");
		else if (c < 0x20 || c >= 0x7f)
			len += (size_t)ref_snprintf(buf + len, 5, "\\x%02x", c);
		else
			buf[len++] = (char)c;
	}
	buf[len] = '\0';
	return buf;
}

static void
check_bytes(const char *got, size_t gotn, const char *want, size_t wantn,
    int line, const char *what)
{
	char g[600], w[600];

	if (check(gotn == wantn && ref_memcmp(got, want, gotn) == 0, line,
	    what))
		return;
	ref_printf("    got  \"%s\" (%zu bytes)\n", show(got, gotn, g,
	    sizeof(g)), gotn);
	ref_printf("    want \"%s\" (%zu bytes)\n", show(want, wantn, w,
	    sizeof(w)), wantn);
}

static void
check_str(const char *got, const char *want, int line, const char *what)
{
	check_bytes(got, ref_strlen(got), want, ref_strlen(want), line, what);
}

static void
check_u64(uint64_t got, uint64_t want, int line, const char *what)
{
	if (!check(got == want, line, what))
		ref_printf("    got %llu, want %llu\n", (unsigned long long)got,
		    (unsigned long long)want);
}

#define EXPECT(e)		check((e), __LINE__, #e)
#define EXPECT_STR(got, want)	check_str((got), (want), __LINE__, #got)
#define EXPECT_U64(got, want)	check_u64((got), (want), __LINE__, #got)

/* Formatting: the kernel's snprintf against the host's. */

#define FMT_BUFSIZE	256

/*
 * fmt_same: compare one conversion.  The kernel's output must equal
 * libc's byte for byte up to and including the NUL, and so must the
 * returned lengths.
 */
static void
fmt_same(int line, const char *what, const char *k, int kn, const char *r,
    int rn)
{
	char msg[300];

	ref_snprintf(msg, sizeof(msg), "snprintf(%s)", what);
	check_bytes(k, (size_t)MAX(kn, 0), r, (size_t)MAX(rn, 0), line, msg);
	if (kn == rn && kn >= 0 && kn < FMT_BUFSIZE)
		check(k[kn] == '\0', line, "snprintf terminates its output");
}

#define FMT(...) do {							\
	char k_[FMT_BUFSIZE], r_[FMT_BUFSIZE];				\
	int kn_ = snprintf(k_, sizeof(k_), __VA_ARGS__);		\
	int rn_ = ref_snprintf(r_, sizeof(r_), __VA_ARGS__);		\
									\
	fmt_same(__LINE__, #__VA_ARGS__, k_, kn_, r_, rn_);		\
} while (0)

static void
group_format_integers(void)
{
	FMT("%d", 0);
	FMT("%d", 42);
	FMT("%d", -42);
	FMT("%i", -7);
	FMT("%d", INT32_MAX);
	FMT("%d", INT32_MIN);
	FMT("%ld", (long)INT64_MIN);
	FMT("%lld", (long long)INT64_MAX);
	FMT("%lld", (long long)INT64_MIN);
	FMT("%lu", (unsigned long)UINT64_MAX);
	FMT("%llu", (unsigned long long)UINT64_MAX);
	FMT("%llx", (unsigned long long)UINT64_MAX);
	FMT("%llX", (unsigned long long)0xabcdef0123456789ULL);
	FMT("%llo", (unsigned long long)UINT64_MAX);
	FMT("%u", 0u);
	FMT("%u", UINT32_MAX);
	FMT("%u", (unsigned)-1);
	FMT("%x", 0xdeadbeefu);
	FMT("%X", 0xdeadbeefu);
	FMT("%o", 8u);
	FMT("%x", 0u);
	FMT("%o", 0u);
}

static void
group_format_flags(void)
{
	FMT("[%5d]", 42);
	FMT("[%-5d]", 42);
	FMT("[%05d]", 42);
	FMT("[%05d]", -42);
	FMT("[%+d]", 42);
	FMT("[%+d]", 0);
	FMT("[%+d]", -42);
	FMT("[% d]", 42);
	FMT("[% d]", -42);
	FMT("[% 5d]", 42);
	FMT("[%+05d]", 42);
	FMT("[% 05d]", 42);
	FMT("[%1d]", 12345);
	FMT("[%20lld]", (long long)INT64_MIN);
	FMT("[%-20lld]", (long long)INT64_MIN);
	FMT("[%020lld]", (long long)INT64_MIN);
	FMT("[%08x]", 0xbeefu);
	FMT("[%-8x]", 0xbeefu);
	FMT("[%#x]", 255u);
	FMT("[%#X]", 255u);
	FMT("[%#x]", 0u);
	FMT("[%#o]", 8u);
	FMT("[%#o]", 0u);
	FMT("[%#o]", 0777u);
	FMT("[%#08x]", 0xbeefu);
	FMT("[%#8x]", 0xbeefu);
	FMT("[%#-8x]", 0xbeefu);
	FMT("[%#5o]", 8u);
	FMT("[%#05o]", 8u);
	FMT("[%#-5o]", 8u);
}

static void
group_format_precision(void)
{
	FMT("[%.3d]", 7);
	FMT("[%.3d]", -7);
	FMT("[%.3d]", 12345);
	FMT("[%8.3d]", 7);
	FMT("[%-8.3d]", -7);
	FMT("[%+.3d]", 7);
	FMT("[%.0d]", 0);
	FMT("[%.d]", 0);
	FMT("[%5.0d]", 0);
	FMT("[%-5.0d]", 0);
	FMT("[%+.0d]", 0);
	FMT("[% .0d]", 0);
	FMT("[%.0u]", 0u);
	FMT("[%.0x]", 0u);
	FMT("[%.0o]", 0u);
	FMT("[%.0d]", 1);
	FMT("[%.10x]", 0xbeefu);
	FMT("[%#.10x]", 0xbeefu);
	FMT("[%#.0x]", 0u);
	FMT("[%#.0o]", 0u);
	FMT("[%#.5o]", 8u);
	FMT("[%#.1o]", 8u);
	FMT("[%#12.5o]", 8u);
	FMT("[%.20llu]", (unsigned long long)UINT64_MAX);
	FMT("[%30.25lld]", (long long)INT64_MIN);
}

static void
group_format_star(void)
{
	FMT("[%*d]", 5, 42);
	FMT("[%*d]", -5, 42);
	FMT("[%-*d]", 5, 42);
	FMT("[%-*d]", -5, 42);
	FMT("[%0*d]", 6, -42);
	FMT("[%.*d]", 4, 42);
	FMT("[%.*d]", -1, 42);
	FMT("[%.*d]", 0, 0);
	FMT("[%.*d]", -1, 0);
	FMT("[%*.*d]", 8, 4, 42);
	FMT("[%*.*d]", -8, 4, -42);
	FMT("[%.*s]", 3, "hello");
	FMT("[%.*s]", -1, "hello");
	FMT("[%.*s]", 0, "hello");
	FMT("[%*s]", 7, "ab");
	FMT("[%*s]", -7, "ab");
	FMT("[%*.*s]", 6, 2, "hello");
}

static void
group_format_lengths(void)
{
	FMT("%hhd", (signed char)-5);
	FMT("%hhu", (unsigned char)200);
	FMT("%hd", (short)-300);
	FMT("%hu", (unsigned short)65535);
	FMT("%ld", -1L);
	FMT("%lx", 0xffffffff80101234UL);
	FMT("%zu", (size_t)SIZE_MAX);
	FMT("%zd", (ssize_t)-5);
	FMT("%zx", (size_t)0x1000);
	FMT("%jd", (intmax_t)INT64_MIN);
	FMT("%ju", (uintmax_t)UINT64_MAX);
	FMT("%jx", (uintmax_t)0x123456789ULL);
	FMT("%td", (ptrdiff_t)-3);
	FMT("%tu", (ptrdiff_t)7);
	FMT("%tx", (ptrdiff_t)-1);
	FMT("%lli", -9LL);
}

static void
group_format_strings(void)
{
	const char *volatile null = NULL;

	FMT("%s", "hello");
	FMT("[%10s]", "hello");
	FMT("[%-10s]", "hello");
	FMT("[%.2s]", "hello");
	FMT("[%10.2s]", "hello");
	FMT("[%-10.2s]", "hello");
	FMT("[%.10s]", "hello");
	FMT("[%s]", "");
	FMT("[%5s]", "");
	FMT("[%.0s]", "abc");
	FMT("[%2s]", "hello");
	FMT("%s", null);
	FMT("[%10s]", null);
	FMT("[%-10s]", null);
	FMT("%c", 'A');
	FMT("[%5c]", 'A');
	FMT("[%-5c]", 'A');
	FMT("[%c]", 0);
	FMT("%c", 0xe9);
	FMT("100%%");
	FMT("%d%%%s", 5, "x");
	FMT("%%d");
}

static void
group_format_mixed(void)
{
	FMT("a%db%sc%xd%ce", -1, "str", 0xabu, 'z');
	FMT("%d %d %d %d %d %d %d %d %d %d", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
	FMT("%lld %s %c %lx %d %u %hhd %zu %s %d", (long long)INT64_MIN, "s",
	    'c', 0x1234UL, -5, 6u, (signed char)-56, (size_t)9, "end", 11);
	FMT("%*d|%-*s|%.*x|%c", 4, 1, 6, "ab", 3, 10u, '!');
	FMT("no conversions at all");
	FMT("%s", "");
}

/*
 * The compiler rightly warns about the cases below in real code, but the
 * kernel must still treat them as libc does.  First, flags that C99 says
 * are ignored: '0' with '-' or with a precision, '+' and ' ' on unsigned
 * conversions.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
static void
group_format_ignored_flags(void)
{
	FMT("[%-05d]", -42);
	FMT("[%+ d]", 42);
	FMT("[% +d]", 42);
	FMT("[%+u]", 5u);
	FMT("[% u]", 5u);
	FMT("[%+x]", 5u);
	FMT("[%08.3d]", 7);
	FMT("[%08.3x]", 7u);
	FMT("[%0.*d]", -1, 42);
	FMT("[%0-8.*d]", 3, 42);
	FMT("[%-08s]", "ab");
}

/* hh and h convert an int argument to char or short (C99 7.19.6.1). */
static void
group_format_narrowed(void)
{
	FMT("%hhd", 300);
	FMT("%hhd", -129);
	FMT("%hhd", 127);
	FMT("%hhu", 511);
	FMT("%hhx", 0x1ff);
	FMT("%hd", 70000);
	FMT("%hd", -32769);
	FMT("%hu", -1);
	FMT("%hx", 0x12345);
}
#pragma GCC diagnostic pop

static void
group_format(void)
{
	group_format_integers();
	group_format_flags();
	group_format_ignored_flags();
	group_format_precision();
	group_format_star();
	group_format_lengths();
	group_format_narrowed();
	group_format_strings();
	group_format_mixed();
}

/*
 * TRUNC: at every buffer size from 0 to 20, the kernel must write exactly
 * the bytes libc writes (and nothing after the NUL) and return the same
 * full length.
 */
#define TRUNC(...) do {							\
	size_t s_;							\
									\
	for (s_ = 0; s_ <= 20; s_++) {					\
		char k_[32], r_[32];					\
		int kn_, rn_;						\
									\
		memset(k_, '#', sizeof(k_));				\
		memset(r_, '#', sizeof(r_));				\
		kn_ = snprintf(k_, s_, __VA_ARGS__);			\
		rn_ = ref_snprintf(r_, s_, __VA_ARGS__);		\
		trunc_same(__LINE__, #__VA_ARGS__, s_, k_, kn_, r_, rn_); \
	}								\
} while (0)

static void
trunc_same(int line, const char *what, size_t size, const char *k, int kn,
    const char *r, int rn)
{
	char msg[300];

	ref_snprintf(msg, sizeof(msg), "snprintf(buf, %zu, %s)", size, what);
	check_bytes(k, 32, r, 32, line, msg);
	if (!check(kn == rn, line, msg))
		ref_printf("    returned %d, libc %d\n", kn, rn);
}

static void
group_truncation(void)
{
	char buf[4] = "xyz";

	TRUNC("hello world");
	TRUNC("%d", -12345);
	TRUNC("%s|%s", "abc", "defgh");
	TRUNC("[%10s]", "hi");
	TRUNC("%#llx", (unsigned long long)UINT64_MAX);
	TRUNC("%c%c%c", 'a', 'b', 'c');
	TRUNC("%s", "");
	EXPECT(snprintf(NULL, 0, "%d-%s", 123, "four") == 8);
	EXPECT(snprintf(buf, 0, "abc") == 3);
	EXPECT_STR(buf, "xyz");
}

/* Our own choices, which libc does differently or leaves undefined. */
static void
group_extensions(void)
{
	const char *volatile null = NULL;
	const char *volatile fmt;
	char buf[64];

	snprintf(buf, sizeof(buf), "%p", (void *)0xffffffff80101234UL);
	EXPECT_STR(buf, "0xffffffff80101234");
	snprintf(buf, sizeof(buf), "%p", (void *)0x1000UL);
	EXPECT_STR(buf, "0x1000");
	snprintf(buf, sizeof(buf), "%p", (void *)NULL);
	EXPECT_STR(buf, "0x0");
	snprintf(buf, sizeof(buf), "[%10p]", (void *)0xabcUL);
	EXPECT_STR(buf, "[     0xabc]");
	snprintf(buf, sizeof(buf), "[%-10p]", (void *)0xabcUL);
	EXPECT_STR(buf, "[0xabc     ]");
	snprintf(buf, sizeof(buf), "%.3s|%.0s|", null, null);
	EXPECT_STR(buf, "(nu||");
	fmt = "a%yb";
	EXPECT(snprintf(buf, sizeof(buf), fmt, 0) == 4);
	EXPECT_STR(buf, "a%yb");
	fmt = "%-5ly";
	snprintf(buf, sizeof(buf), fmt, 0);
	EXPECT_STR(buf, "%-5ly");
	fmt = "abc%";
	EXPECT(snprintf(buf, sizeof(buf), fmt, 0) == 4);
	EXPECT_STR(buf, "abc%");
	fmt = "abc%-08l";
	snprintf(buf, sizeof(buf), fmt, 0);
	EXPECT_STR(buf, "abc%-08l");
}

/* Strings: the kernel's functions against libc's. */

static unsigned char src_buf[160], dst_buf[160], ref_buf[160];

static void
fill_pattern(unsigned char *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + seed * 13 + 1);
}

static void
check_memcpy_memset(void)
{
	size_t soff, doff, n, bad = 0;

	for (soff = 0; soff < 16; soff++) {
		for (doff = 0; doff < 16; doff++) {
			for (n = 0; n <= 100; n++) {
				fill_pattern(src_buf, sizeof(src_buf), 1);
				fill_pattern(dst_buf, sizeof(dst_buf), 2);
				fill_pattern(ref_buf, sizeof(ref_buf), 2);
				ref_memmove(ref_buf + doff, src_buf + soff, n);
				if (memcpy(dst_buf + doff, src_buf + soff, n) !=
				    dst_buf + doff ||
				    ref_memcmp(dst_buf, ref_buf,
				    sizeof(dst_buf)) != 0)
					bad++;
				fill_pattern(dst_buf, sizeof(dst_buf), 2);
				for (size_t i = 0; i < n; i++)
					ref_buf[doff + i] = 0xa5;
				if (memset(dst_buf + doff, 0x1a5, n) !=
				    dst_buf + doff ||
				    ref_memcmp(dst_buf, ref_buf,
				    sizeof(dst_buf)) != 0)
					bad++;
			}
		}
	}
	if (!EXPECT(bad == 0))
		ref_printf("    %zu memcpy/memset cases differ\n", bad);
}

/* memmove: every overlap, in both directions, against libc. */
static void
check_memmove(void)
{
	size_t s, d, n, bad = 0;

	for (s = 0; s < 40; s++) {
		for (d = 0; d < 40; d++) {
			for (n = 0; n <= 100; n++) {
				fill_pattern(dst_buf, sizeof(dst_buf), 3);
				fill_pattern(ref_buf, sizeof(ref_buf), 3);
				ref_memmove(ref_buf + d, ref_buf + s, n);
				if (memmove(dst_buf + d, dst_buf + s, n) !=
				    dst_buf + d ||
				    ref_memcmp(dst_buf, ref_buf,
				    sizeof(dst_buf)) != 0)
					bad++;
			}
		}
	}
	if (!EXPECT(bad == 0))
		ref_printf("    %zu memmove cases differ\n", bad);
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static void
check_compare(void)
{
	static const char *const words[] = {
		"", "a", "b", "ab", "abc", "abd", "abcd", "\xff", "\x01",
		"a\xff", "zzz", "ABC",
	};
	size_t i, j, n;

	for (i = 0; i < nitems(words); i++) {
		for (j = 0; j < nitems(words); j++) {
			const char *a = words[i], *b = words[j];

			EXPECT(sign(strcmp(a, b)) == sign(ref_strcmp(a, b)));
			for (n = 0; n < 6; n++) {
				EXPECT(sign(strncmp(a, b, n)) ==
				    sign(ref_strncmp(a, b, n)));
				if (n <= ref_strlen(a) && n <= ref_strlen(b))
					EXPECT(sign(memcmp(a, b, n)) ==
					    sign(ref_memcmp(a, b, n)));
			}
		}
	}
}

static void
check_lengths(void)
{
	static const char s[] = "hello, world";
	size_t n;

	EXPECT(strlen("") == 0);
	EXPECT(strlen(s) == ref_strlen(s));
	for (n = 0; n < sizeof(s) + 3; n++)
		EXPECT(strnlen(s, n) == ref_strnlen(s, n));
	EXPECT(strchr(s, 'o') == ref_strchr(s, 'o'));
	EXPECT(strchr(s, 'd') == ref_strchr(s, 'd'));
	EXPECT(strchr(s, 'q') == NULL);
	EXPECT(strchr(s, '\0') == s + sizeof(s) - 1);
	EXPECT(strchr(s, 'h' + 256) == s);
}

static void
check_strlcpy(void)
{
	char buf[8];

	memset(buf, '#', sizeof(buf));
	EXPECT(strlcpy(buf, "abc", sizeof(buf)) == 3);
	EXPECT_STR(buf, "abc");
	EXPECT(strlcpy(buf, "abcdefghij", sizeof(buf)) == 10);
	EXPECT_STR(buf, "abcdefg");
	EXPECT(strlcpy(buf, "xy", 1) == 2);
	EXPECT_STR(buf, "");
	buf[0] = 'q';
	EXPECT(strlcpy(buf, "xy", 0) == 2);
	EXPECT(buf[0] == 'q');
}

static void
group_string(void)
{
	check_memcpy_memset();
	check_memmove();
	check_compare();
	check_lengths();
	check_strlcpy();
}

/* strtou64 */

static void
expect_number(int line, const char *s, int want_rc, uint64_t want)
{
	uint64_t v = 0x5eed;
	int rc = strtou64(s, &v);
	char what[100];

	ref_snprintf(what, sizeof(what), "strtou64(\"%s\")", s);
	if (!check(rc == want_rc && v == (want_rc == 0 ? want : 0x5eed),
	    line, what))
		ref_printf("    got rc %d value %llu, want rc %d value %llu\n",
		    rc, (unsigned long long)v, want_rc,
		    (unsigned long long)(want_rc == 0 ? want : 0x5eed));
}

#define NUMBER(s, rc, v)	expect_number(__LINE__, s, rc, v)

static void
group_strtou64(void)
{
	NUMBER("0", 0, 0);
	NUMBER("42", 0, 42);
	NUMBER("007", 0, 7);
	NUMBER("18446744073709551615", 0, UINT64_MAX);
	NUMBER("18446744073709551616", -ERANGE, 0);
	NUMBER("99999999999999999999", -ERANGE, 0);
	NUMBER("0xffffffffffffffff", 0, UINT64_MAX);
	NUMBER("0x0000000000000000ffffffffffffffff", 0, UINT64_MAX);
	NUMBER("0x10000000000000000", -ERANGE, 0);
	NUMBER("0X1f", 0, 31);
	NUMBER("0xABCdef", 0, 0xabcdef);
	NUMBER("0x", -EINVAL, 0);
	NUMBER("", -EINVAL, 0);
	NUMBER("12a", -EINVAL, 0);
	NUMBER("ff", -EINVAL, 0);
	NUMBER(" 1", -EINVAL, 0);
	NUMBER("1 ", -EINVAL, 0);
	NUMBER("-1", -EINVAL, 0);
	NUMBER("+1", -EINVAL, 0);
	NUMBER("0x1g", -EINVAL, 0);
	NUMBER("1e3", -EINVAL, 0);
	NUMBER("99999999999999999999x", -EINVAL, 0);
}

/* Options: declared here as a subsystem would. */

static uint64_t opt_num;
OPTION_U64("num", opt_num, 1, 100, "a test number");
static bool opt_flag;
OPTION_BOOL("flag", opt_flag, "a test flag, default off");
static bool opt_flag2;
OPTION_BOOL("flag2", opt_flag2, "a test flag, default on");
static char opt_str[8];
OPTION_STRING("str", opt_str, "a test string of up to 7 characters");
static unsigned opt_mode;
static const char *const mode_words[] = { "fast", "slow", "auto", NULL };
OPTION_CHOICE("mode", opt_mode, mode_words, "a test choice");

static void
options_reset(void)
{
	opt_num = 10;
	opt_flag = false;
	opt_flag2 = true;
	strlcpy(opt_str, "dflt", sizeof(opt_str));
	opt_mode = 1;
	cap_reset();
}

/* expect_parse: parse line; check the refusals and exact messages. */
static void
expect_parse(int line, const char *cmdline, int refused, const char *msgs)
{
	char what[400];
	int n;

	options_reset();
	n = options_parse(cmdline);
	ref_snprintf(what, sizeof(what), "options_parse(\"%.300s\") refused",
	    cmdline);
	if (!check(n == refused, line, what))
		ref_printf("    got %d, want %d\n", n, refused);
	ref_snprintf(what, sizeof(what), "options_parse(\"%.300s\") messages",
	    cmdline);
	check_str(cap_text(), msgs, line, what);
}

#define PARSE(cmdline, refused, msgs) \
	expect_parse(__LINE__, cmdline, refused, msgs)

static void
check_options_values(void)
{
	PARSE("", 0, "");
	EXPECT_U64(opt_num, 10);
	PARSE("num=42", 0, "");
	EXPECT_U64(opt_num, 42);
	PARSE("num=0x20", 0, "");
	EXPECT_U64(opt_num, 32);
	PARSE("  num=1 \t num=100  ", 0, "");
	EXPECT_U64(opt_num, 100);
	PARSE("flag", 0, "");
	EXPECT(opt_flag);
	PARSE("flag=yes flag2=off", 0, "");
	EXPECT(opt_flag && !opt_flag2);
	PARSE("flag=on flag2=0", 0, "");
	EXPECT(opt_flag && !opt_flag2);
	PARSE("flag=true flag2=no", 0, "");
	EXPECT(opt_flag && !opt_flag2);
	PARSE("flag=1 flag2=false", 0, "");
	EXPECT(opt_flag && !opt_flag2);
	PARSE("str=abc", 0, "");
	EXPECT_STR(opt_str, "abc");
	PARSE("str=1234567", 0, "");
	EXPECT_STR(opt_str, "1234567");
	PARSE("str=", 0, "");
	EXPECT_STR(opt_str, "");
	PARSE("str=a=b", 0, "");
	EXPECT_STR(opt_str, "a=b");
	PARSE("mode=auto", 0, "");
	EXPECT_U64(opt_mode, 2);
	PARSE("mode=fast", 0, "");
	EXPECT_U64(opt_mode, 0);
	PARSE("loglevel=warn", 0, "");
	PARSE("loglevel=info", 0, "");
}

static void
check_options_refused(void)
{
	PARSE("bogus=1", 1, "options: unknown option 'bogus' (ignored)\n");
	PARSE("bogus", 1, "options: unknown option 'bogus' (ignored)\n");
	PARSE("=5", 1, "options: unknown option '' (ignored)\n");
	PARSE("num=abc", 1, "options: bad value 'abc' for 'num': expected "
	    "a number in [1, 100] (keeping the default 10)\n");
	EXPECT_U64(opt_num, 10);
	PARSE("num=101", 1, "options: bad value '101' for 'num': expected "
	    "a number in [1, 100] (keeping the default 10)\n");
	EXPECT_U64(opt_num, 10);
	PARSE("num=0", 1, "options: bad value '0' for 'num': expected "
	    "a number in [1, 100] (keeping the default 10)\n");
	PARSE("num=99999999999999999999999", 1, "options: bad value "
	    "'99999999999999999999999' for 'num': expected a number in "
	    "[1, 100] (keeping the default 10)\n");
	PARSE("num=", 1, "options: bad value '' for 'num': expected "
	    "a number in [1, 100] (keeping the default 10)\n");
	PARSE("num", 1, "options: option 'num' needs a value: expected "
	    "a number in [1, 100] (keeping the default 10)\n");
	PARSE("flag=maybe", 1, "options: bad value 'maybe' for 'flag': "
	    "expected 0/1/yes/no/on/off/true/false (keeping the default "
	    "false)\n");
	EXPECT(!opt_flag);
	PARSE("flag=YES", 1, "options: bad value 'YES' for 'flag': "
	    "expected 0/1/yes/no/on/off/true/false (keeping the default "
	    "false)\n");
	PARSE("str=12345678", 1, "options: bad value '12345678' for 'str': "
	    "expected at most 7 characters (keeping the default 'dflt')\n");
	EXPECT_STR(opt_str, "dflt");
	PARSE("str", 1, "options: option 'str' needs a value: expected at "
	    "most 7 characters (keeping the default 'dflt')\n");
	PARSE("mode=turbo", 1, "options: bad value 'turbo' for 'mode': "
	    "expected one of: fast, slow, auto (keeping the default slow)\n");
	EXPECT_U64(opt_mode, 1);
	PARSE("mode", 1, "options: option 'mode' needs a value: expected "
	    "one of: fast, slow, auto (keeping the default slow)\n");
	PARSE("loglevel=loud", 1, "options: bad value 'loud' for 'loglevel': "
	    "expected one of: debug, info, notice, warn, err (keeping the "
	    "default info)\n");
	PARSE("num=5 bogus num=7 flag=x mode=slow", 2,
	    "options: unknown option 'bogus' (ignored)\n"
	    "options: bad value 'x' for 'flag': expected "
	    "0/1/yes/no/on/off/true/false (keeping the default false)\n");
	EXPECT_U64(opt_num, 7);
}

static void
check_options_long(void)
{
	static char line[2048];
	size_t i, n = 0;

	for (i = 0; i < 300; i++)
		line[n++] = 'w';
	line[n] = '\0';
	PARSE(line, 1, "options: word 'wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww...' "
	    "is longer than 255 characters (ignored)\n");

	n = 0;
	for (i = 0; i < 150; i++)
		n += (size_t)ref_snprintf(line + n, sizeof(line) - n,
		    "flag=1 ");
	ref_snprintf(line + n, sizeof(line) - n, "num=9");
	PARSE(line, 0, "options: command line is 1055 bytes; "
	    "options_cmdline() keeps the first 1023\n");
	EXPECT_U64(opt_num, 9);
	EXPECT(strlen(options_cmdline()) == 1023);
	EXPECT(strncmp(options_cmdline(), line, 1023) == 0);

	PARSE("num=3 flag", 0, "");
	EXPECT_STR(options_cmdline(), "num=3 flag");
	PARSE(NULL, 0, "");
	EXPECT_STR(options_cmdline(), "");
}

static void
group_options(void)
{
	check_options_values();
	check_options_refused();
	check_options_long();
}

/* The console, printf and the console lock. */

static unsigned flag_go, flag_done;

static void
wait_flag(unsigned *f)
{
	while (!__atomic_load_n(f, __ATOMIC_ACQUIRE))
		ref_sleep_ms(1);
}

static void
set_flag(unsigned *f, unsigned v)
{
	__atomic_store_n(f, v, __ATOMIC_RELEASE);
}

static void
check_console_output(void)
{
	static char big[3000];
	unsigned before;
	int n;

	cons_set_output(NULL);
	cap_reset();
	EXPECT(printf("dropped\n") == 8);
	EXPECT(cap_len == 0);

	cons_set_output(capture_putc);
	EXPECT(printf("a\nb%d\n", 7) == 5);
	check_bytes(cap, cap_len, "a\r\nb7\r\n", 7, __LINE__, "printf");
	cap_reset();
	cons_putc('\n');
	cons_putc('x');
	cons_write("y\nz", 3);
	check_bytes(cap, cap_len, "\r\nxy\r\nz", 7, __LINE__, "cons_putc");
	EXPECT(host_intr_on);

	/* A message longer than printf's buffer is still one section. */
	memset(big, 'q', sizeof(big) - 1);
	cap_reset();
	before = host_intr_disables;
	n = printf("<%s|%d>", big, 12345);
	EXPECT(n == 2999 + 8);
	EXPECT(host_intr_disables == before + 1);
	EXPECT(cap_len == 2999 + 8 && cap[0] == '<' && cap[3000] == '|' &&
	    ref_memcmp(cap + 3001, "12345>", 6) == 0);
	EXPECT(host_intr_on);

	/* Interrupts that were off stay off. */
	host_intr_on = false;
	printf("x");
	EXPECT(!host_intr_on);
	host_intr_on = true;
}

/*
 * A thread with a terminal: printf goes there, not to the console, in
 * PRINTF_BUFSIZE (512) pieces, and never enters a console section.
 */
static void
check_terminal_output(void)
{
	static char big[1200];
	unsigned before = host_intr_disables;

	host_terminal = (struct tty *)&term;	/* any non-NULL cookie */
	term_len = term_writes = 0;
	cap_reset();
	EXPECT(printf("t%d\n", 1) == 3);
	check_bytes(term, term_len, "t1\n", 3, __LINE__, "terminal printf");
	EXPECT(term_writes == 1);
	memset(big, 'w', sizeof(big) - 1);
	term_len = term_writes = 0;
	EXPECT(printf("%s", big) == 1199);
	EXPECT(term_len == 1199 && term_writes == 3);
	EXPECT(cap_len == 0);
	EXPECT(host_intr_disables == before);
	host_terminal = NULL;
	printf("c");
	check_bytes(cap, cap_len, "c", 1, __LINE__, "no terminal");
}

static void
print_t_on_cpu1(void *arg)
{
	host_cpu = 1;
	printf("T");
	set_flag(&flag_done, 1);
}

/*
 * A nested section on the same CPU (as from an NMI) neither deadlocks
 * nor releases the lock: CPU 1's printf waits for the outer cons_exit.
 */
static void
check_console_nesting(void)
{
	uint64_t s1, s2;
	void *t;

	cap_reset();
	s1 = cons_enter();
	cons_write("a", 1);
	s2 = cons_enter();
	printf("b");
	cons_exit(s2);
	EXPECT(!host_intr_on);
	t = ref_thread_start(print_t_on_cpu1, NULL);
	ref_sleep_ms(50);
	EXPECT(!__atomic_load_n(&flag_done, __ATOMIC_ACQUIRE));
	cons_write("c", 1);
	cons_exit(s1);
	ref_thread_join(t);
	EXPECT(host_intr_on);
	EXPECT_STR(cap_text(), "abcT");
}

static void
hold_console_on_cpu1(void *arg)
{
	uint64_t s;

	host_cpu = 1;
	s = cons_enter();
	set_flag(&flag_go, 1);
	ref_sleep_ms(50);
	cons_write("1", 1);
	cons_exit(s);
}

/* cons_enter() on CPU 0 waits for CPU 1 to leave its section. */
static void
check_console_waits(void)
{
	void *t;

	cap_reset();
	set_flag(&flag_go, 0);
	t = ref_thread_start(hold_console_on_cpu1, NULL);
	wait_flag(&flag_go);
	printf("0");
	ref_thread_join(t);
	EXPECT_STR(cap_text(), "10");
}

#define LINES		200
#define LINE_LEN	700	/* longer than printf's buffer */

static void
print_lines(void *arg)
{
	static char lines[2][LINE_LEN + 1];
	unsigned cpu = (unsigned)(uintptr_t)arg;
	char *line = lines[cpu - 1];
	int i;

	host_cpu = cpu;
	memset(line, 'A' + (int)cpu - 1, LINE_LEN);
	wait_flag(&flag_go);
	for (i = 0; i < LINES; i++)
		printf("%s\n", line);
}

/* Two CPUs printing at once: every line comes out whole. */
static void
check_console_no_interleave(void)
{
	void *t1, *t2;
	size_t i, start = 0, bad = 0, lines = 0;

	cap_reset();
	set_flag(&flag_go, 0);
	t1 = ref_thread_start(print_lines, (void *)1);
	t2 = ref_thread_start(print_lines, (void *)2);
	set_flag(&flag_go, 1);
	ref_thread_join(t1);
	ref_thread_join(t2);
	for (i = 0; i < cap_len; i++) {
		if (cap[i] != '\r')
			continue;
		lines++;
		if (i - start != LINE_LEN ||
		    ref_memcmp(cap + start, cap + start + 1, LINE_LEN - 1) != 0)
			bad++;
		start = i + 2;
	}
	EXPECT(cap_len == 2 * LINES * (LINE_LEN + 2));
	EXPECT(lines == 2 * LINES);
	if (!EXPECT(bad == 0))
		ref_printf("    %zu mixed lines\n", bad);
}

static void
group_console(void)
{
	check_console_output();
	check_terminal_output();
	check_console_nesting();
	check_console_waits();
	check_console_no_interleave();
}

static void
hold_console_forever(void *arg)
{
	host_cpu = 1;
	cons_enter();
	set_flag(&flag_go, 1);
	for (;;)
		ref_sleep_ms(1000);
}

/*
 * CPU 1 is "stopped" holding the console.  After cons_panic(), CPU 0
 * prints anyway.  The harness exits with CPU 1 still stuck.
 */
static void
group_console_panic(void)
{
	cap_reset();
	ref_thread_start(hold_console_forever, NULL);
	wait_flag(&flag_go);
	EXPECT(!cons_panicking());
	cons_panic();
	EXPECT(cons_panicking());
	EXPECT(printf("panic: %s\n", "test") == 12);
	host_ns = 5 * NS_PER_SEC;
	kerr("still logging");
	EXPECT_STR(cap_text(), "panic: test\n"
	    "[    5.000000] error: still logging\n");
	EXPECT(host_intr_on);
}

/* The log. */

static char logbuf[80 * 1024];

static void
check_log_lines(void)
{
	cap_reset();
	host_ns = 3141592653ULL;
	kinfo("hello %d", 5);
	kwarn("disk %s is hot\n", "sda");
	kerr("oops");
	knotice("notice");
	kdebug("not on the console");
	host_ns = 123456 * NS_PER_SEC + 1000;
	kinfo("late");
	host_ns = 0;
	kinfo("%s", "");
	EXPECT_STR(cap_text(),
	    "[    3.141592] hello 5\n"
	    "[    3.141592] warning: disk sda is hot\n"
	    "[    3.141592] error: oops\n"
	    "[    3.141592] notice\n"
	    "[123456.000001] late\n"
	    "[    0.000000] \n");
	check_bytes(cap, 24, "[    3.141592] hello 5\r\n", 24, __LINE__,
	    "console line ends in \\r\\n");
	log_read(logbuf, sizeof(logbuf), 0);
	EXPECT_STR(logbuf,
	    "[    3.141592] hello 5\n"
	    "[    3.141592] warning: disk sda is hot\n"
	    "[    3.141592] error: oops\n"
	    "[    3.141592] notice\n"
	    "[    3.141592] not on the console\n"
	    "[123456.000001] late\n"
	    "[    0.000000] \n");
}

static void
check_log_level(void)
{
	options_parse("loglevel=warn");
	cap_reset();
	kinfo("quiet");
	knotice("quiet");
	kwarn("loud");
	EXPECT_STR(cap_text(), "[    0.000000] warning: loud\n");
	options_parse("loglevel=debug");
	cap_reset();
	kdebug("debug");
	EXPECT_STR(cap_text(), "[    0.000000] debug\n");
	options_parse("");
}

/* A message too long for one line is cut and marked. */
static void
check_log_long(void)
{
	static char text[700];
	size_t len;

	memset(text, 'x', sizeof(text) - 1);
	cap_reset();
	kinfo("%s", text);
	len = strlen(cap_text());
	EXPECT(len == 511);
	EXPECT_STR(cap_text() + len - 5, "x...\n");
	cap_reset();
	text[511 - 15 - 1] = '\0';	/* all of the line but the newline */
	kinfo("%s", text);
	EXPECT(strlen(cap_text()) == 511);
	EXPECT_STR(cap_text() + 511 - 2, "x\n");
	cap_reset();
	text[511 - 15 - 1] = 'x';
	text[511 - 15] = '\0';	/* one more: no room for the newline */
	kinfo("%s", text);
	EXPECT_STR(cap_text() + 511 - 5, "x...\n");
}

#define DOTS	"......................................"

/*
 * Log 130 KB of numbered lines: the ring keeps the last 64 KiB, ending
 * with the last line, and log_read pages through it by offset.
 */

static void
check_log_ring(void)
{
	static char whole[70 * 1024];
	char last[100];
	size_t n, off, got, lastlen;
	int i;

	options_parse("loglevel=err");
	for (i = 0; i < 2000; i++)
		kinfo("line %05d %s", i, DOTS);
	options_parse("");
	n = log_read(whole, sizeof(whole), 0);
	EXPECT_U64(n, 64 * 1024);
	lastlen = (size_t)ref_snprintf(last, sizeof(last),
	    "[    0.000000] line %05d %s\n", 1999, DOTS);
	check_bytes(whole + n - lastlen, lastlen, last, lastlen, __LINE__,
	    "the ring ends with the last line");
	for (off = 0; off < n; off += got) {
		got = log_read(logbuf, 1000, off);
		if (!EXPECT(got == MIN(999, n - off) &&
		    ref_memcmp(logbuf, whole + off, got) == 0 &&
		    logbuf[got] == '\0'))
			break;
	}
	EXPECT(log_read(logbuf, sizeof(logbuf), n) == 0 && logbuf[0] == '\0');
	EXPECT(log_read(logbuf, sizeof(logbuf), n + 100) == 0);
	EXPECT(log_read(logbuf, 1, 0) == 0 && logbuf[0] == '\0');
	EXPECT(log_read(logbuf, 0, 0) == 0);
}

static void
group_log(void)
{
	check_log_lines();
	check_log_level();
	check_log_long();
	check_log_ring();
}

static const struct {
	const char	*g_name;
	void		(*g_run)(void);
} groups[] = {
	{ "format", group_format },
	{ "truncation", group_truncation },
	{ "extensions", group_extensions },
	{ "string", group_string },
	{ "strtou64", group_strtou64 },
	{ "options", group_options },
	{ "console", group_console },
	{ "console_panic", group_console_panic },
	{ "log", group_log },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		ref_printf("usage: libkern_harness GROUP\n");
		return 2;
	}
	cons_set_output(capture_putc);
	for (i = 0; i < nitems(groups); i++) {
		if (strcmp(argv[1], groups[i].g_name) != 0)
			continue;
		groups[i].g_run();
		ref_printf("%s: %d checks, %d failed\n", argv[1], checks,
		    failures);
		return failures == 0 && checks > 0 ? 0 : 1;
	}
	ref_printf("no group '%s'\n", argv[1]);
	return 2;
}
