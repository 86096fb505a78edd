/*
 * log.c: the kernel log.
 *
 * Messages.  klog() formats a message into one line on its stack:
 *
 *	[    3.141592] warning: text\n
 *
 * the time since boot in seconds and microseconds, a tag for warnings and
 * errors, the text, and a newline if the text had none.  A line longer
 * than LOG_LINE_MAX - 1 bytes, newline included, is cut and ends in
 * "...\n".  The line goes into the ring and, if its level is at or above
 * the console threshold (`loglevel=`, default info), to the console in
 * one console section.
 *
 * The ring.  log_ring keeps the last LOG_RING_SIZE bytes of every line
 * ever logged; log_written counts all bytes appended, so the retained
 * bytes are log_written - min(log_written, LOG_RING_SIZE) onwards, and
 * the oldest line may be partly overwritten.  log_read() offsets count
 * from the oldest retained byte.
 *
 * Locking.  log_ring and log_written are covered by the log lock, a raw
 * test-and-test-and-set spin lock held with interrupts disabled, only for
 * a copy into or out of the ring.  It is separate from the console lock,
 * and never held at the same time, so logging a debug message does not
 * wait for another CPU's slow console output.  Like the console lock,
 * log_owner holds the owner's CPU number plus one, for two cases where
 * waiting would deadlock:
 *   - an exception or NMI logs while its CPU is in the middle of an
 *     append: the interrupted append cannot finish first, so the nested
 *     message skips the ring (it still reaches the console);
 *   - after cons_panic(), the lock holder may be a stopped CPU: a busy
 *     lock is not waited for, and the message skips the ring.
 * Context: klog() may be called from any context, including hard
 * interrupt, NMI and with spin mutexes held; it never blocks and never
 * allocates.  log_read() is for threads.
 */

#include <log.h>
#include <cons.h>
#include <cpu.h>
#include <kassert.h>
#include <options.h>
#include <printf.h>
#include <string.h>
#include <time.h>
#include <machine/cpufunc.h>

#define LOG_RING_SIZE	(64 * 1024)
#define LOG_LINE_MAX	512

static const char *const log_level_words[] = {
	"debug", "info", "notice", "warn", "err", NULL,
};
CTASSERT(nitems(log_level_words) == LOG_ERR + 2);

static unsigned log_console_level = LOG_INFO;
OPTION_CHOICE("loglevel", log_console_level, log_level_words,
    "lowest level printed on the console: debug, info, notice, warn, err");

static char log_ring[LOG_RING_SIZE];	/* log lock */
static uint64_t log_written;		/* log lock: bytes ever appended */
static unsigned log_owner;		/* the log lock: 0 or owner CPU + 1 */

/*
 * log_lock: take the log lock for CPU me (its number plus one).  Returns
 * false, without it, when waiting could deadlock (see the top of file).
 * Interrupts are disabled.
 */
static bool
log_lock(unsigned me)
{
	unsigned expect;

	if (__atomic_load_n(&log_owner, __ATOMIC_RELAXED) == me)
		return false;
	for (;;) {
		expect = 0;
		if (__atomic_compare_exchange_n(&log_owner, &expect, me,
		    false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		if (cons_panicking())
			return false;
		while (__atomic_load_n(&log_owner, __ATOMIC_RELAXED) != 0 &&
		    !cons_panicking())
			x86_pause();
	}
}

static void
log_unlock(void)
{
	__atomic_store_n(&log_owner, 0, __ATOMIC_RELEASE);
}

/* ring_copy_in: store n bytes at ring position pos (a log_written count). */
static void
ring_copy_in(uint64_t pos, const char *src, size_t n)
{
	size_t at = pos % LOG_RING_SIZE;
	size_t first = MIN(n, LOG_RING_SIZE - at);

	memcpy(log_ring + at, src, first);
	memcpy(log_ring, src + first, n - first);
}

static void
ring_copy_out(uint64_t pos, char *dst, size_t n)
{
	size_t at = pos % LOG_RING_SIZE;
	size_t first = MIN(n, LOG_RING_SIZE - at);

	memcpy(dst, log_ring + at, first);
	memcpy(dst + first, log_ring, n - first);
}

static void
log_append(const char *line, size_t len)
{
	uint64_t s = intr_save();

	if (log_lock(cpu_number() + 1)) {
		ring_copy_in(log_written, line, len);
		log_written += len;
		log_unlock();
	}
	intr_restore(s);
}

static const char *
log_tag(enum log_level level)
{
	switch (level) {
	case LOG_WARN: return "warning: ";
	case LOG_ERR: return "error: ";
	default: return "";
	}
}

/* log_cut: end a line that did not fit with "...\n"; returns its length. */
static size_t
log_cut(char *line)
{
	memcpy(line + LOG_LINE_MAX - 5, "...\n", 5);
	return LOG_LINE_MAX - 1;
}

/*
 * log_format: build the line for a message in line[LOG_LINE_MAX]; returns
 * its length, newline included.
 */
static size_t
log_format(char *line, enum log_level level, const char *fmt, va_list ap)
{
	uint64_t ns = nanouptime();
	size_t len;

	len = (size_t)snprintf(line, LOG_LINE_MAX, "[%5llu.%06llu] %s",
	    (unsigned long long)(ns / NS_PER_SEC),
	    (unsigned long long)(ns % NS_PER_SEC / NS_PER_US), log_tag(level));
	len = MIN(len, (size_t)LOG_LINE_MAX - 1);
	len += (size_t)vsnprintf(line + len, LOG_LINE_MAX - len, fmt, ap);
	if (len > LOG_LINE_MAX - 1)
		return log_cut(line);
	if (line[len - 1] != '\n') {
		if (len == LOG_LINE_MAX - 1)
			return log_cut(line);
		line[len++] = '\n';
		line[len] = '\0';
	}
	return len;
}

void
vklog(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t len;

	KASSERTMSG((unsigned)level <= LOG_ERR,
	    "klog: level %d is not a log level", (int)level);
	len = log_format(line, level, fmt, ap);
	log_append(line, len);
	if ((unsigned)level >= log_console_level)
		cons_write(line, len);
}

void
klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

size_t
log_read(char *buf, size_t size, size_t off)
{
	uint64_t s, retained;
	size_t n = 0;

	if (size == 0)
		return 0;
	s = intr_save();
	if (log_lock(cpu_number() + 1)) {
		retained = MIN(log_written, (uint64_t)LOG_RING_SIZE);
		if (off < retained)
			n = (size_t)MIN(size - 1, retained - off);
		ring_copy_out(log_written - retained + off, buf, n);
		log_unlock();
	}
	intr_restore(s);
	buf[n] = '\0';
	return n;
}
