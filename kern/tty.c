/*
 * tty.c: terminals and the canonical line discipline (include/tty.h).
 *
 * Design.  A tty sits between a character device and one reader.  The
 * device's bottom half (a soft interrupt, or the thread function of its
 * interrupt: never hard interrupt context) hands received bytes to
 * tty_input, which runs the line discipline on each:
 *
 *  canonical mode (TTY_CANON): bytes are edited in the line buffer and
 *	echoed (TTY_ECHO).  CR is a newline, and an LF right after a CR is
 *	dropped, so CR, LF and CRLF each end one line.  BS and DEL erase a
 *	character, ^U the line, ^W the last word (with the spaces after
 *	it).  ESC [ A and ESC [ B (and ESC O A/B) recall older and newer
 *	lines from a history of TTY_HISTORY lines, replacing the line being
 *	edited on the screen with backspaces.  A newline moves the line into
 *	the input queue for tty_read_line.  ^D on an empty line is end of
 *	input; elsewhere it is ignored.  ^C discards the line, echoes "^C",
 *	sets the interrupt flag that long commands poll, calls the interrupt
 *	hook and makes a waiting tty_read_line return -EINTR.  It keeps its
 *	place in the input: lines completed before it are read first (so a
 *	command typed ahead and then interrupted sees the flag when it runs,
 *	and piped input with a ^C means what it says), and the -EINTR comes
 *	before lines typed after it.  Other control characters are ignored.
 *  raw mode: every byte goes to the input queue as it is; no echo.
 *
 * Nothing is lost on the way in: when the input queue is full tty_input
 * takes no more and returns the count it took; the device keeps the rest
 * and stops reading its chip, so the chip's FIFO and then the sender back
 * up.  A reader that makes room calls the device's to_input_room.  In
 * canonical mode a full queue refuses only bytes that would end a line;
 * editing goes on in the line buffer, which holds TTY_LINE_MAX - 1 bytes
 * and ignores more (as a terminal's bell would).
 *
 * Output goes to the device through to_write.  Echo never waits: what the
 * device cannot take is counted as lost (the device's transmit ring holds
 * several lines, so only a flood of typing loses echo).  tty_write waits
 * for room.
 *
 * Locking.  t_lock (adaptive) covers the line buffer, the input queue,
 * the history, the escape state and the mode; readers wait on t_readcv.
 * The device's to_* functions are called without t_lock, except
 * to_write for echo, which must not sleep.  t_intr is atomic.
 */
#include <condvar.h>
#include <kassert.h>
#include <kmem.h>
#include <mutex.h>
#include <string.h>
#include <tty.h>

#include <kern/bytering.h>

#define TTY_INQ		4096	/* input queue, bytes */
#define TTY_LINE_MAX	256	/* line buffer, bytes */
#define TTY_HISTORY	16	/* lines remembered */

#define CTRL(c)		((c) & 0x1f)
#define DEL		0x7f
#define ESC		0x1b

enum esc_state { ESC_NONE, ESC_SEEN, ESC_CSI };

struct tty {
	const char *t_name;
	bool t_console;				/* the system console's */
	const struct tty_ops *t_ops;
	void *t_dev;

	kmutex_t t_lock;
	kcondvar_t t_readcv;
	unsigned t_mode;			/* TTY_CANON | TTY_ECHO */
	struct bytering t_inq;			/* input queue */
	uint8_t t_inq_buf[TTY_INQ];
	unsigned t_lines;			/* newlines in the input queue */
	unsigned t_eofs;			/* pending ends of input */
	bool t_refused;				/* tty_input left bytes */
	bool t_after_cr;			/* the last byte was CR */
	enum esc_state t_esc;
	char t_line[TTY_LINE_MAX];		/* the line being edited */
	size_t t_len;
	char t_hist[TTY_HISTORY][TTY_LINE_MAX];	/* oldest overwritten */
	unsigned t_nhist;			/* lines ever entered */
	unsigned t_browse;			/* 0: editing; k: k-th newest */

	volatile bool t_intr;			/* ^C since last cleared */
	bool t_intr_pending;			/* a reader must see -EINTR */
	unsigned t_intr_after;			/* ... after this many lines */
	void (*t_intr_hook)(void *);
	void *t_intr_arg;

	struct tty_stats t_stats;		/* atomic adds */
};

struct tty *
tty_attach(const char *name, const struct tty_ops *ops, void *dev)
{
	struct tty *tp = kmem_zalloc(sizeof(*tp), KM_SLEEP);

	KASSERTMSG(ops->to_write != NULL && ops->to_wait_write != NULL &&
	    ops->to_input_room != NULL, "tty_attach(%s): incomplete ops",
	    name);
	tp->t_name = name;
	tp->t_ops = ops;
	tp->t_dev = dev;
	tp->t_mode = TTY_CANON | TTY_ECHO;
	bytering_init(&tp->t_inq, tp->t_inq_buf, sizeof(tp->t_inq_buf));
	mutex_init(&tp->t_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&tp->t_readcv, "ttyin");
	return tp;
}

void
tty_detach(struct tty *tp)
{
	cv_destroy(&tp->t_readcv);
	mutex_destroy(&tp->t_lock);
	kmem_free(tp, sizeof(*tp));
}

const char *
tty_name(const struct tty *tp)
{
	return tp->t_name;
}

static void
count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Echo. */

static void
echo(struct tty *tp, const char *s, size_t n)
{
	size_t done;

	if (!(tp->t_mode & TTY_ECHO))
		return;
	done = tp->t_ops->to_write(tp->t_dev, (const uint8_t *)s, n);
	if (done < n)
		count(&tp->t_stats.ts_echo_lost, n - done);
}

static void
echo_str(struct tty *tp, const char *s)
{
	echo(tp, s, strlen(s));
}

/* Take n characters off the screen, as the line loses them. */
static void
echo_erase(struct tty *tp, size_t n)
{
	while (n-- > 0)
		echo_str(tp, "\b \b");
}

/* The history. */

static void
history_add(struct tty *tp)
{
	if (tp->t_len == 0)
		return;
	memcpy(tp->t_hist[tp->t_nhist % TTY_HISTORY], tp->t_line, tp->t_len);
	tp->t_hist[tp->t_nhist % TTY_HISTORY][tp->t_len] = '\0';
	tp->t_nhist++;
}

/* Replace the line being edited, on screen too, with s. */
static void
line_replace(struct tty *tp, const char *s)
{
	echo_erase(tp, tp->t_len);
	tp->t_len = strlcpy(tp->t_line, s, sizeof(tp->t_line));
	if (tp->t_len >= sizeof(tp->t_line))
		tp->t_len = sizeof(tp->t_line) - 1;
	echo(tp, tp->t_line, tp->t_len);
}

/* Browse the history: older (up) or newer (down). */
static void
history_move(struct tty *tp, bool older)
{
	unsigned kept = tp->t_nhist < TTY_HISTORY ? tp->t_nhist : TTY_HISTORY;
	unsigned k = tp->t_browse;

	if (older && k < kept)
		k++;
	else if (!older && k > 0)
		k--;
	else
		return;
	tp->t_browse = k;
	line_replace(tp, k == 0 ? "" :
	    tp->t_hist[(tp->t_nhist - k) % TTY_HISTORY]);
}

/* Canonical mode, one byte.  Returns false if it must be refused. */

static bool
end_line(struct tty *tp)
{
	if (bytering_room(&tp->t_inq) < tp->t_len + 1)
		return false;
	for (size_t i = 0; i < tp->t_len; i++)
		bytering_put(&tp->t_inq, (uint8_t)tp->t_line[i]);
	bytering_put(&tp->t_inq, '\n');
	tp->t_lines++;
	echo_str(tp, "\r\n");
	history_add(tp);
	tp->t_len = 0;
	tp->t_browse = 0;
	cv_broadcast(&tp->t_readcv);
	return true;
}

static void
erase_word(struct tty *tp)
{
	size_t n = tp->t_len;

	while (n > 0 && tp->t_line[n - 1] == ' ')
		n--;
	while (n > 0 && tp->t_line[n - 1] != ' ')
		n--;
	echo_erase(tp, tp->t_len - n);
	tp->t_len = n;
}

static void
interrupt(struct tty *tp)
{
	echo_str(tp, "^C\r\n");
	tp->t_len = 0;
	tp->t_browse = 0;
	__atomic_store_n(&tp->t_intr, true, __ATOMIC_RELEASE);
	if (!tp->t_intr_pending)
		tp->t_intr_after = tp->t_lines;
	tp->t_intr_pending = true;
	count(&tp->t_stats.ts_intr, 1);
	if (tp->t_intr_hook != NULL)
		tp->t_intr_hook(tp->t_intr_arg);
	cv_broadcast(&tp->t_readcv);
}

static void
add_char(struct tty *tp, char c)
{
	if (tp->t_len + 1 >= sizeof(tp->t_line))
		return;
	tp->t_line[tp->t_len++] = c;
	echo(tp, &c, 1);
}

/* An escape sequence in progress: only the arrow keys mean anything. */
static void
escape_byte(struct tty *tp, uint8_t c)
{
	if (tp->t_esc == ESC_SEEN) {
		tp->t_esc = (c == '[' || c == 'O') ? ESC_CSI : ESC_NONE;
		return;
	}
	if (c >= 0x20 && c < 0x40)
		return;			/* parameters: wait for the final byte */
	tp->t_esc = ESC_NONE;
	if (c == 'A' || c == 'B')
		history_move(tp, c == 'A');
}

static bool
canon_byte(struct tty *tp, uint8_t c)
{
	bool after_cr = tp->t_after_cr;

	tp->t_after_cr = (c == '\r');
	if (tp->t_esc != ESC_NONE) {
		escape_byte(tp, c);
		return true;
	}
	switch (c) {
	case '\n':
		if (after_cr)
			return true;	/* the LF of a CRLF */
		/* FALLTHROUGH */
	case '\r':
		if (!end_line(tp)) {
			tp->t_after_cr = after_cr;
			return false;
		}
		return true;
	case '\b':
	case DEL:
		if (tp->t_len > 0) {
			tp->t_len--;
			echo_erase(tp, 1);
		}
		return true;
	case CTRL('U'):
		echo_erase(tp, tp->t_len);
		tp->t_len = 0;
		return true;
	case CTRL('W'):
		erase_word(tp);
		return true;
	case CTRL('C'):
		interrupt(tp);
		return true;
	case CTRL('D'):
		if (tp->t_len == 0) {
			tp->t_eofs++;
			cv_broadcast(&tp->t_readcv);
		}
		return true;
	case ESC:
		tp->t_esc = ESC_SEEN;
		return true;
	default:
		if (c == '\t' || (c >= 0x20 && c < DEL))
			add_char(tp, (char)c);
		return true;
	}
}

static bool
raw_byte(struct tty *tp, uint8_t c)
{
	if (bytering_room(&tp->t_inq) == 0)
		return false;
	bytering_put(&tp->t_inq, c);
	cv_broadcast(&tp->t_readcv);
	return true;
}

size_t
tty_input(struct tty *tp, const uint8_t *buf, size_t n)
{
	size_t i;

	mutex_enter(&tp->t_lock);
	for (i = 0; i < n; i++) {
		bool took = (tp->t_mode & TTY_CANON) ? canon_byte(tp, buf[i]) :
		    raw_byte(tp, buf[i]);

		if (!took)
			break;
	}
	if (i < n) {
		tp->t_refused = true;
		count(&tp->t_stats.ts_refused, 1);
	}
	mutex_exit(&tp->t_lock);
	count(&tp->t_stats.ts_in, i);
	return i;
}

/* The reader side. */

/* After a read: tell the device if it holds bytes back for room. */
static void
reader_made_room(struct tty *tp, bool refused)
{
	if (refused)
		tp->t_ops->to_input_room(tp->t_dev);
}

static bool
take_refused(struct tty *tp)
{
	bool refused = tp->t_refused;

	tp->t_refused = false;
	return refused;
}

int
tty_read_line(struct tty *tp, char *buf, size_t size)
{
	size_t len = 0;
	bool refused;
	int ret;

	KASSERTMSG(size > 0, "tty_read_line(%s): no buffer", tp->t_name);
	mutex_enter(&tp->t_lock);
	while (tp->t_lines == 0 && tp->t_eofs == 0 && !tp->t_intr_pending)
		cv_wait(&tp->t_readcv, &tp->t_lock);
	if (tp->t_intr_pending && tp->t_intr_after == 0) {
		tp->t_intr_pending = false;
		__atomic_store_n(&tp->t_intr, false, __ATOMIC_RELEASE);
		ret = -EINTR;
	} else if (tp->t_lines == 0) {
		tp->t_eofs--;
		ret = 0;
	} else {
		for (uint8_t c; (c = bytering_get(&tp->t_inq)) != '\n';)
			if (len + 1 < size)
				buf[len++] = (char)c;
		tp->t_lines--;
		if (tp->t_intr_pending)
			tp->t_intr_after--;
		ret = (int)len;
	}
	buf[len] = '\0';
	refused = take_refused(tp);
	mutex_exit(&tp->t_lock);
	reader_made_room(tp, refused);
	return ret;
}

int
tty_read(struct tty *tp, uint8_t *buf, size_t n)
{
	size_t got = 0;
	bool refused;

	mutex_enter(&tp->t_lock);
	KASSERTMSG(!(tp->t_mode & TTY_CANON), "tty_read(%s) in canonical "
	    "mode: use tty_read_line", tp->t_name);
	while (tp->t_inq.br_len == 0)
		cv_wait(&tp->t_readcv, &tp->t_lock);
	while (got < n && tp->t_inq.br_len > 0)
		buf[got++] = bytering_get(&tp->t_inq);
	refused = take_refused(tp);
	mutex_exit(&tp->t_lock);
	reader_made_room(tp, refused);
	return (int)got;
}

static void
write_all(struct tty *tp, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		size_t done = tp->t_ops->to_write(tp->t_dev, buf, n);

		buf += done;
		n -= done;
		if (n > 0 && done == 0)
			tp->t_ops->to_wait_write(tp->t_dev);
	}
}

void
tty_write(struct tty *tp, const char *buf, size_t n)
{
	bool canon = (tp->t_mode & TTY_CANON) != 0;
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (!canon || buf[i] != '\n')
			continue;
		write_all(tp, (const uint8_t *)buf + start, i - start);
		write_all(tp, (const uint8_t *)"\r\n", 2);
		start = i + 1;
	}
	write_all(tp, (const uint8_t *)buf + start, n - start);
}

void
tty_drain(struct tty *tp)
{
	if (tp->t_ops->to_drain != NULL)
		tp->t_ops->to_drain(tp->t_dev);
}

void
tty_set_mode(struct tty *tp, unsigned mode)
{
	KASSERTMSG((mode & ~(TTY_CANON | TTY_ECHO)) == 0,
	    "tty_set_mode(%s): bad mode %#x", tp->t_name, mode);
	mutex_enter(&tp->t_lock);
	tp->t_mode = mode;
	tp->t_len = 0;
	tp->t_esc = ESC_NONE;
	tp->t_browse = 0;
	mutex_exit(&tp->t_lock);
}

bool
tty_interrupted(const struct tty *tp)
{
	return __atomic_load_n(&tp->t_intr, __ATOMIC_ACQUIRE);
}

void
tty_clear_interrupt(struct tty *tp)
{
	mutex_enter(&tp->t_lock);
	__atomic_store_n(&tp->t_intr, false, __ATOMIC_RELEASE);
	tp->t_intr_pending = false;
	mutex_exit(&tp->t_lock);
}

void
tty_set_intr_hook(struct tty *tp, void (*hook)(void *), void *arg)
{
	mutex_enter(&tp->t_lock);
	tp->t_intr_hook = hook;
	tp->t_intr_arg = arg;
	mutex_exit(&tp->t_lock);
}

void
tty_set_console(struct tty *tp)
{
	tp->t_console = true;
}

bool
tty_is_console(const struct tty *tp)
{
	return tp->t_console;
}

void
tty_get_stats(const struct tty *tp, struct tty_stats *st)
{
	st->ts_in = __atomic_load_n(&tp->t_stats.ts_in, __ATOMIC_RELAXED);
	st->ts_refused = __atomic_load_n(&tp->t_stats.ts_refused,
	    __ATOMIC_RELAXED);
	st->ts_echo_lost = __atomic_load_n(&tp->t_stats.ts_echo_lost,
	    __ATOMIC_RELAXED);
	st->ts_intr = __atomic_load_n(&tp->t_stats.ts_intr, __ATOMIC_RELAXED);
}
