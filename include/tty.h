/*
 * tty.h: terminals: a line discipline between a character device (a
 * UART) and the thread that reads it (the shell).  kern/tty.c has the
 * design.
 *
 * The device side feeds received bytes with tty_input from its bottom
 * half (a soft interrupt or an interrupt thread) and is asked for output
 * through its tty_ops.  The reader side reads lines (canonical mode:
 * echo, erase, kill, word erase, ^C, ^D, history on the arrow keys) or
 * bytes (raw mode), and writes with tty_write.
 */
#ifndef PINWHEEL_TTY_H
#define PINWHEEL_TTY_H

#include <types.h>

struct tty;

/* What a device does for its terminal.  Called without the tty's lock. */
struct tty_ops {
	/*
	 * to_write: queue up to n bytes for transmission without blocking;
	 * returns how many it took (0 when its transmit ring is full).
	 * Context: thread, soft interrupt or interrupt thread.
	 */
	size_t (*to_write)(void *dev, const uint8_t *buf, size_t n);
	/*
	 * to_wait_write: sleep until to_write can take at least one byte.
	 * Context: thread.
	 */
	void (*to_wait_write)(void *dev);
	/*
	 * to_input_room: the reader made room after tty_input had refused
	 * bytes; the device should feed what it kept back (and start
	 * reading its chip again).  Context: thread.
	 */
	void (*to_input_room)(void *dev);
	/*
	 * to_drain: sleep until everything written has left the device
	 * (NULL: nothing to wait for).  Context: thread.
	 */
	void (*to_drain)(void *dev);
};

/* Modes (tty_set_mode). */
#define TTY_CANON	0x1	/* line editing; reads return whole lines */
#define TTY_ECHO	0x2	/* echo what is typed (canonical mode only) */

/* Counters (tty_get_stats). */
struct tty_stats {
	uint64_t ts_in;		/* bytes the device delivered */
	uint64_t ts_refused;	/* tty_input calls that left bytes behind
				   because the input queue was full */
	uint64_t ts_echo_lost;	/* echo bytes the device could not take */
	uint64_t ts_intr;	/* ^C typed */
};

/*
 * tty_attach: a terminal named name (kept by pointer) for device dev,
 * canonical with echo.  Context: thread.  Never fails (KM_SLEEP).
 */
struct tty *tty_attach(const char *name, const struct tty_ops *ops,
    void *dev);

/* tty_detach: free tp; nobody may use it any more.  Context: thread. */
void tty_detach(struct tty *tp);

/* tty_name: the name given to tty_attach. */
const char *tty_name(const struct tty *tp);

/*
 * tty_input: the device received buf[0..n); run the line discipline on
 * it.  Returns how many bytes were taken: fewer than n when the input
 * queue is full (the device must keep the rest, stop reading its chip,
 * and feed them again after to_input_room).  Context: thread, soft
 * interrupt or interrupt thread (takes the tty's adaptive lock).
 */
size_t tty_input(struct tty *tp, const uint8_t *buf, size_t n);

/*
 * tty_read_line: canonical mode: wait for a whole line and copy it,
 * without its newline and NUL-terminated, to buf (a longer line is cut to
 * size - 1 bytes).  Returns its length, 0 at end of input (^D on an empty
 * line), or -EINTR if ^C was typed (the interrupt flag is then cleared).
 * Input keeps its order: lines completed before a ^C are returned before
 * its -EINTR, those typed after it after.
 * Context: thread; sleeps.
 */
int tty_read_line(struct tty *tp, char *buf, size_t size);

/*
 * tty_read: raw mode: wait for at least one byte and copy up to n (^C
 * is a byte like any other).  Returns the count.  Context: thread; sleeps.
 */
int tty_read(struct tty *tp, uint8_t *buf, size_t n);

/*
 * tty_write: write buf[0..n), '\n' as "\r\n" in canonical mode, waiting
 * for room as needed.  Context: thread; sleeps.
 */
void tty_write(struct tty *tp, const char *buf, size_t n);

/*
 * tty_drain: wait until what was written to tp has been sent (before
 * the machine stops, say).  Context: thread; sleeps.
 */
void tty_drain(struct tty *tp);

/* tty_set_mode: TTY_CANON | TTY_ECHO, or 0 for raw.  Context: thread. */
void tty_set_mode(struct tty *tp, unsigned mode);

/*
 * tty_interrupted: ^C was typed since the last tty_clear_interrupt (a
 * long command polls this to stop).  Context: any.
 */
bool tty_interrupted(const struct tty *tp);
void tty_clear_interrupt(struct tty *tp);

/*
 * tty_set_intr_hook: call hook(arg) from the bottom half whenever ^C is
 * typed (NULL: none).  It must not sleep.  Context: thread.
 */
void tty_set_intr_hook(struct tty *tp, void (*hook)(void *), void *arg);

/*
 * tty_set_console: tp is the system console's terminal (the console's
 * device driver says so once, at attach).  tty_is_console: whether it is.
 * A thread whose terminal is the console prints through the console,
 * whose sections keep each message whole among the kernel's log lines,
 * rather than through tty_write (lwp_terminal).  Context: any.
 */
void tty_set_console(struct tty *tp);
bool tty_is_console(const struct tty *tp);

/* tty_get_stats: copy tp's counters.  Context: any. */
void tty_get_stats(const struct tty *tp, struct tty_stats *st);

#endif
