/*
 * printf.c: formatted output.
 *
 * Design.  kvprintf() is the one formatting engine: it walks the format,
 * parses each conversion into a struct fmt_spec and hands every output
 * character to a put(c, arg) callback.  It never allocates and keeps its
 * state on the stack, so it runs in any context.  snprintf() points the
 * callback at a buffer; printf() points it at a stack buffer that is
 * emptied to the console.
 *
 * The conversions follow C99 for everything the kernel supports (see
 * printf.h); the host unit test compares them with the host libc.  Two
 * choices are our own: %p is "0x" and lowercase hex digits ("0x0" for
 * NULL), and %s of NULL prints "(null)", cut by the precision like any
 * string.  An unknown conversion is printed as written.
 *
 * Console output.  printf() formats into a PRINTF_BUFSIZE stack buffer and
 * writes it inside one cons_enter()/cons_exit() section, so a message is
 * never interleaved with another CPU's.  Output longer than the buffer is
 * written in pieces, and the section is entered at the first piece and
 * left after the last, so the whole message is still one unbroken run.
 * Formatting the first (usually only) piece happens outside the console
 * lock, keeping the time it is held, with interrupts off, to the UART.
 *
 * Terminals.  A thread with a terminal (lwp_set_terminal: the shell on
 * a serial port) has its printf output written to that tty instead, in
 * PRINTF_BUFSIZE pieces, wherever lwp_terminal says it may sleep; in any
 * other context its output goes to the console as above.
 *
 * Locking: none here; the console lock is cons.c's, the tty's its own.
 */

#include <printf.h>
#include <string.h>
#include <cons.h>
#include <lwp.h>
#include <tty.h>

#define PRINTF_BUFSIZE	512

#define F_LEFT		0x01	/* '-' */
#define F_ZERO		0x02	/* '0' */
#define F_PLUS		0x04	/* '+' */
#define F_SPACE		0x08	/* ' ' */
#define F_ALT		0x10	/* '#' */

enum fmt_length {
	LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE,
	LEN_INTMAX, LEN_PTRDIFF,
};

struct fmt_spec {
	unsigned	fs_flags;	/* F_* */
	int		fs_width;	/* 0: none */
	int		fs_prec;	/* -1: none */
	enum fmt_length	fs_length;
	char		fs_conv;	/* the conversion letter */
};

struct fmt_out {
	void		(*fo_put)(int c, void *arg);
	void		*fo_arg;
	int		fo_count;	/* characters produced so far */
};

/*
 * The engine passes its va_list by address to the helpers; it works on a
 * va_copy because a va_list parameter cannot portably be passed by address.
 */
struct fmt_args {
	va_list		fa_ap;
};

static void
out_char(struct fmt_out *o, int c)
{
	o->fo_put(c, o->fo_arg);
	o->fo_count++;
}

static void
out_repeat(struct fmt_out *o, int c, int n)
{
	for (; n > 0; n--)
		out_char(o, c);
}

static void
out_chars(struct fmt_out *o, const char *s, size_t n)
{
	while (n-- > 0)
		out_char(o, *s++);
}

static const char *
parse_flags(const char *p, struct fmt_spec *fs)
{
	for (;; p++) {
		switch (*p) {
		case '-': fs->fs_flags |= F_LEFT; break;
		case '0': fs->fs_flags |= F_ZERO; break;
		case '+': fs->fs_flags |= F_PLUS; break;
		case ' ': fs->fs_flags |= F_SPACE; break;
		case '#': fs->fs_flags |= F_ALT; break;
		default: return p;
		}
	}
}

/* parse_count: a decimal number, or '*' taking an int argument. */
static const char *
parse_count(const char *p, struct fmt_args *fa, int *count)
{
	int n = 0;

	if (*p == '*') {
		*count = va_arg(fa->fa_ap, int);
		return p + 1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n < 100000000)
			n = n * 10 + (*p - '0');
	}
	*count = n;
	return p;
}

/* A negative '*' width means '-' and its absolute value (C99 7.19.6.1). */
static const char *
parse_width(const char *p, struct fmt_args *fa, struct fmt_spec *fs)
{
	int w;

	p = parse_count(p, fa, &w);
	if (w < 0) {
		fs->fs_flags |= F_LEFT;
		w = w == INT32_MIN ? INT32_MAX : -w;
	}
	fs->fs_width = w;
	return p;
}

/* A negative '.*' precision is taken as if none was given. */
static const char *
parse_precision(const char *p, struct fmt_args *fa, struct fmt_spec *fs)
{
	int prec;

	if (*p != '.')
		return p;
	p = parse_count(p + 1, fa, &prec);
	fs->fs_prec = prec < 0 ? -1 : prec;
	return p;
}

static const char *
parse_length(const char *p, struct fmt_spec *fs)
{
	switch (*p) {
	case 'h':
		if (p[1] == 'h') {
			fs->fs_length = LEN_CHAR;
			return p + 2;
		}
		fs->fs_length = LEN_SHORT;
		return p + 1;
	case 'l':
		if (p[1] == 'l') {
			fs->fs_length = LEN_LLONG;
			return p + 2;
		}
		fs->fs_length = LEN_LONG;
		return p + 1;
	case 'z': fs->fs_length = LEN_SIZE; return p + 1;
	case 'j': fs->fs_length = LEN_INTMAX; return p + 1;
	case 't': fs->fs_length = LEN_PTRDIFF; return p + 1;
	default: return p;
	}
}

static int64_t
fetch_signed(struct fmt_args *fa, enum fmt_length len)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(fa->fa_ap, int);
	case LEN_SHORT: return (short)va_arg(fa->fa_ap, int);
	case LEN_LONG: return va_arg(fa->fa_ap, long);
	case LEN_LLONG: return va_arg(fa->fa_ap, long long);
	case LEN_SIZE: return va_arg(fa->fa_ap, ssize_t);
	case LEN_INTMAX: return va_arg(fa->fa_ap, intmax_t);
	case LEN_PTRDIFF: return va_arg(fa->fa_ap, ptrdiff_t);
	default: return va_arg(fa->fa_ap, int);
	}
}

static uint64_t
fetch_unsigned(struct fmt_args *fa, enum fmt_length len)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(fa->fa_ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(fa->fa_ap, unsigned);
	case LEN_LONG: return va_arg(fa->fa_ap, unsigned long);
	case LEN_LLONG: return va_arg(fa->fa_ap, unsigned long long);
	case LEN_SIZE: return va_arg(fa->fa_ap, size_t);
	case LEN_INTMAX: return va_arg(fa->fa_ap, uintmax_t);
	case LEN_PTRDIFF: return (uint64_t)va_arg(fa->fa_ap, ptrdiff_t);
	default: return va_arg(fa->fa_ap, unsigned);
	}
}

/* pad_before: spaces that right-justify a field of len characters. */
static void
pad_before(struct fmt_out *o, const struct fmt_spec *fs, int len)
{
	if (!(fs->fs_flags & F_LEFT))
		out_repeat(o, ' ', fs->fs_width - len);
}

static void
pad_after(struct fmt_out *o, const struct fmt_spec *fs, int len)
{
	if (fs->fs_flags & F_LEFT)
		out_repeat(o, ' ', fs->fs_width - len);
}

/* convert_digits: v in base, least significant digit last; returns count. */
static int
convert_digits(uint64_t v, unsigned base, bool upper, char *buf, int size)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int i = size;

	do {
		buf[--i] = digits[v % base];
		v /= base;
	} while (v != 0);
	return size - i;
}

/*
 * format_number: an integer conversion: [sign or 0x][zeros][digits],
 * padded to the width.  The '0' flag pads with zeros between the prefix
 * and the digits, unless a precision or '-' was given (C99 7.19.6.1).
 */
static void
format_number(struct fmt_out *o, const struct fmt_spec *fs, uint64_t v,
    char sign, unsigned base)
{
	char buf[24];
	const char *prefix = "";
	int ndigits, zeros, len;

	ndigits = convert_digits(v, base, fs->fs_conv == 'X', buf, sizeof(buf));
	if (fs->fs_prec == 0 && v == 0)
		ndigits = 0;
	zeros = fs->fs_prec > ndigits ? fs->fs_prec - ndigits : 0;
	if (base == 8 && (fs->fs_flags & F_ALT) && zeros == 0 &&
	    (v != 0 || ndigits == 0))
		zeros = 1;
	if (fs->fs_conv == 'p' || (base == 16 && (fs->fs_flags & F_ALT) &&
	    v != 0))
		prefix = fs->fs_conv == 'X' ? "0X" : "0x";
	len = (sign != 0) + (int)strlen(prefix) + zeros + ndigits;
	if ((fs->fs_flags & (F_ZERO | F_LEFT)) == F_ZERO && fs->fs_prec < 0 &&
	    fs->fs_width > len) {
		zeros += fs->fs_width - len;
		len = fs->fs_width;
	}
	pad_before(o, fs, len);
	if (sign != 0)
		out_char(o, sign);
	out_chars(o, prefix, strlen(prefix));
	out_repeat(o, '0', zeros);
	out_chars(o, buf + sizeof(buf) - ndigits, (size_t)ndigits);
	pad_after(o, fs, len);
}

static void
format_signed(struct fmt_out *o, const struct fmt_spec *fs,
    struct fmt_args *fa)
{
	int64_t v = fetch_signed(fa, fs->fs_length);
	char sign = 0;

	if (v < 0)
		sign = '-';
	else if (fs->fs_flags & F_PLUS)
		sign = '+';
	else if (fs->fs_flags & F_SPACE)
		sign = ' ';
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit. */
	format_number(o, fs, v < 0 ? -(uint64_t)v : (uint64_t)v, sign, 10);
}

static void
format_string(struct fmt_out *o, const struct fmt_spec *fs, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "(null)";
	n = fs->fs_prec >= 0 ? strnlen(s, (size_t)fs->fs_prec) : strlen(s);
	pad_before(o, fs, (int)MIN(n, (size_t)INT32_MAX));
	out_chars(o, s, n);
	pad_after(o, fs, (int)MIN(n, (size_t)INT32_MAX));
}

static void
format_char(struct fmt_out *o, const struct fmt_spec *fs, int c)
{
	pad_before(o, fs, 1);
	out_char(o, (unsigned char)c);
	pad_after(o, fs, 1);
}

/*
 * format_conversion: carry out one parsed conversion.  Returns false for
 * a letter it does not know, which the caller prints literally.
 */
static bool
format_conversion(struct fmt_out *o, const struct fmt_spec *fs,
    struct fmt_args *fa)
{
	switch (fs->fs_conv) {
	case 'd':
	case 'i':
		format_signed(o, fs, fa);
		return true;
	case 'u':
		format_number(o, fs, fetch_unsigned(fa, fs->fs_length), 0, 10);
		return true;
	case 'x':
	case 'X':
		format_number(o, fs, fetch_unsigned(fa, fs->fs_length), 0, 16);
		return true;
	case 'o':
		format_number(o, fs, fetch_unsigned(fa, fs->fs_length), 0, 8);
		return true;
	case 'p':
		format_number(o, fs, (uintptr_t)va_arg(fa->fa_ap, void *), 0,
		    16);
		return true;
	case 's':
		format_string(o, fs, va_arg(fa->fa_ap, const char *));
		return true;
	case 'c':
		format_char(o, fs, va_arg(fa->fa_ap, int));
		return true;
	case '%':
		out_char(o, '%');
		return true;
	default:
		return false;
	}
}

/*
 * kvprintf: see printf.h.  p walks the format; at a '%' the spec is
 * parsed in C99 order: flags, width, precision, length, conversion.
 */
int
kvprintf(const char *fmt, va_list ap, void (*put)(int c, void *arg),
    void *arg)
{
	struct fmt_out o = { .fo_put = put, .fo_arg = arg, .fo_count = 0 };
	struct fmt_args fa;
	struct fmt_spec fs;
	const char *p, *start;

	va_copy(fa.fa_ap, ap);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		start = p;
		fs = (struct fmt_spec){ .fs_prec = -1, .fs_length = LEN_INT };
		p = parse_flags(p + 1, &fs);
		p = parse_width(p, &fa, &fs);
		p = parse_precision(p, &fa, &fs);
		p = parse_length(p, &fs);
		fs.fs_conv = *p;
		if (*p == '\0') {
			out_chars(&o, start, (size_t)(p - start));
			break;
		}
		if (!format_conversion(&o, &fs, &fa))
			out_chars(&o, start, (size_t)(p + 1 - start));
	}
	va_end(fa.fa_ap);
	return o.fo_count;
}

/* snprintf: the buffer state; bytes past size - 1 are counted, not kept. */
struct sbuf {
	char	*sb_buf;
	size_t	sb_size;
	size_t	sb_len;
};

static void
sbuf_put(int c, void *arg)
{
	struct sbuf *sb = arg;

	if (sb->sb_len + 1 < sb->sb_size)
		sb->sb_buf[sb->sb_len++] = (char)c;
}

int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sbuf sb = { .sb_buf = buf, .sb_size = size, .sb_len = 0 };
	int n;

	n = kvprintf(fmt, ap, sbuf_put, &sb);
	if (size > 0)
		buf[sb.sb_len] = '\0';
	return n;
}

int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * printf's buffer: filled by the engine, written to the console whenever
 * full and at the end.  The console section is entered at the first write.
 */
struct cbuf {
	char		cb_buf[PRINTF_BUFSIZE];
	size_t		cb_len;
	bool		cb_entered;
	uint64_t	cb_cookie;	/* from cons_enter() */
};

static void
cbuf_flush(struct cbuf *cb)
{
	if (!cb->cb_entered) {
		cb->cb_cookie = cons_enter();
		cb->cb_entered = true;
	}
	cons_write(cb->cb_buf, cb->cb_len);
	cb->cb_len = 0;
}

static void
cbuf_put(int c, void *arg)
{
	struct cbuf *cb = arg;

	if (cb->cb_len == sizeof(cb->cb_buf))
		cbuf_flush(cb);
	cb->cb_buf[cb->cb_len++] = (char)c;
}

struct tbuf {
	struct tty	*tb_tty;
	size_t		tb_len;
	char		tb_buf[PRINTF_BUFSIZE];
};

static void
tbuf_put(int c, void *arg)
{
	struct tbuf *tb = arg;

	if (tb->tb_len == sizeof(tb->tb_buf)) {
		tty_write(tb->tb_tty, tb->tb_buf, tb->tb_len);
		tb->tb_len = 0;
	}
	tb->tb_buf[tb->tb_len++] = (char)c;
}

static int
tty_vprintf(struct tty *tp, const char *fmt, va_list ap)
{
	struct tbuf tb;
	int n;

	tb.tb_tty = tp;
	tb.tb_len = 0;
	n = kvprintf(fmt, ap, tbuf_put, &tb);
	tty_write(tp, tb.tb_buf, tb.tb_len);
	return n;
}

int
vprintf(const char *fmt, va_list ap)
{
	struct tty *tp = lwp_terminal();
	struct cbuf cb;
	int n;

	if (tp != NULL)
		return tty_vprintf(tp, fmt, ap);

	cb.cb_len = 0;
	cb.cb_entered = false;
	n = kvprintf(fmt, ap, cbuf_put, &cb);
	cbuf_flush(&cb);
	cons_exit(cb.cb_cookie);
	return n;
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
