/*
 * test_tty.c: the terminal line discipline (kern/tty.c) against a fake
 * device that records what the tty writes and can refuse output.
 *
 * Input is fed with tty_input exactly as a device's bottom half would;
 * each case checks the line a reader gets and the echo on the "screen"
 * (the bytes written).  Reads that would sleep are not made: a case
 * feeds the whole input first.  The flow-control case checks that a full
 * input queue refuses bytes instead of dropping them and that the reader
 * asks the device for the rest.
 */
#include <kmem.h>
#include <ktest.h>
#include <lwp.h>
#include <printf.h>
#include <string.h>
#include <tty.h>

#define SCREEN_MAX	4096

struct fake {
	char f_screen[SCREEN_MAX];	/* everything written */
	size_t f_len;
	size_t f_room;			/* bytes to_write accepts, then 0 */
	unsigned f_room_calls;		/* to_input_room calls */
};

static size_t
fake_write(void *dev, const uint8_t *buf, size_t n)
{
	struct fake *f = dev;
	size_t take = n < f->f_room ? n : f->f_room;

	if (take > SCREEN_MAX - 1 - f->f_len)
		take = SCREEN_MAX - 1 - f->f_len;
	memcpy(f->f_screen + f->f_len, buf, take);
	f->f_len += take;
	f->f_screen[f->f_len] = '\0';
	f->f_room -= take;
	return take;
}

static void
fake_wait_write(void *dev)
{
	struct fake *f = dev;

	f->f_room = SIZE_MAX;		/* the device drained */
}

static void
fake_input_room(void *dev)
{
	struct fake *f = dev;

	f->f_room_calls++;
}

static const struct tty_ops fake_ops = {
	.to_write = fake_write,
	.to_wait_write = fake_wait_write,
	.to_input_room = fake_input_room,
};

static struct tty *
fake_tty(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->f_room = SIZE_MAX;
	return tty_attach("ttyfake", &fake_ops, f);
}

static void
feed(struct ktest *t, struct tty *tp, const char *s)
{
	size_t n = strlen(s);

	KT_ASSERT_EQ(t, tty_input(tp, (const uint8_t *)s, n), n);
}

/* Feed s, read one line, expect line and (if screen) the echo. */
static void
expect_line(struct ktest *t, const char *s, const char *line,
    const char *screen)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	char buf[128];

	feed(t, tp, s);
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)),
	    (int)strlen(line));
	KT_EXPECT_STREQ(t, buf, line);
	if (screen != NULL)
		KT_EXPECT_STREQ(t, f.f_screen, screen);
	tty_detach(tp);
}

static void
typed_characters_are_echoed_and_a_newline_ends_the_line(struct ktest *t)
{
	expect_line(t, "ls -l\r", "ls -l", "ls -l\r\n");
	expect_line(t, "ls\n", "ls", "ls\r\n");
	expect_line(t, "\r", "", "\r\n");
}

static void
crlf_ends_one_line_not_two(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	char buf[32];

	feed(t, tp, "a\r\nb\n\nc\r\r");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 1);
	KT_EXPECT_STREQ(t, buf, "a");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 1);
	KT_EXPECT_STREQ(t, buf, "b");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 0);	/* \n\n */
	KT_EXPECT_STREQ(t, buf, "");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 1);
	KT_EXPECT_STREQ(t, buf, "c");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 0);	/* \r\r */
	tty_detach(tp);
}

static void
backspace_and_delete_erase_a_character(struct ktest *t)
{
	expect_line(t, "abc\x7f\x7f" "d\r", "ad", "abc\b \b\b \bd\r\n");
	expect_line(t, "ab\b\bx\r", "x", "ab\b \b\b \bx\r\n");
	expect_line(t, "\x7f" "a\r", "a", "a\r\n");	/* nothing to erase */
}

static void
control_u_kills_the_line_and_control_w_a_word(struct ktest *t)
{
	expect_line(t, "abc\x15xy\r", "xy", "abc\b \b\b \b\b \bxy\r\n");
	expect_line(t, "foo bar\x17" "baz\r", "foo baz", NULL);
	expect_line(t, "foo bar  \x17\r", "foo ", NULL);
	expect_line(t, "one\x17\x17two\r", "two", NULL);
}

static void
control_c_discards_the_line_and_interrupts(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	struct tty_stats st;
	char buf[32];

	KT_EXPECT_FALSE(t, tty_interrupted(tp));
	feed(t, tp, "abc\x03");
	KT_EXPECT_TRUE(t, tty_interrupted(tp));
	KT_EXPECT_STREQ(t, f.f_screen, "abc^C\r\n");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), -EINTR);
	KT_EXPECT_FALSE(t, tty_interrupted(tp));
	feed(t, tp, "ok\r");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 2);
	KT_EXPECT_STREQ(t, buf, "ok");
	tty_get_stats(tp, &st);
	KT_EXPECT_EQ(t, st.ts_intr, 1U);
	tty_detach(tp);
}

/*
 * A ^C keeps its place in the input: a line typed ahead is read first,
 * with the flag up for the command it starts; then -EINTR; then what
 * was typed after the ^C.
 */
static void
control_c_keeps_its_place_among_typed_ahead_lines(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	char buf[32];

	feed(t, tp, "watch\r\x03next\r");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 5);
	KT_EXPECT_STREQ(t, buf, "watch");
	KT_EXPECT_TRUE(t, tty_interrupted(tp));
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), -EINTR);
	KT_EXPECT_FALSE(t, tty_interrupted(tp));
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 4);
	KT_EXPECT_STREQ(t, buf, "next");
	tty_detach(tp);
}

/*
 * A thread's terminal takes its printf output, newlines made CRLF, and
 * its ^C; unless the terminal is the console's, whose output stays in
 * console sections (lwp_terminal is then NULL).
 */
static void
a_threads_terminal_takes_its_printf_and_its_control_c(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);

	KT_EXPECT_NULL(t, lwp_terminal());
	lwp_set_terminal(tp);
	KT_EXPECT_EQ(t, lwp_terminal(), tp);
	printf("to the terminal %d\n", 42);
	KT_EXPECT_STREQ(t, f.f_screen, "to the terminal 42\r\n");
	KT_EXPECT_FALSE(t, lwp_interrupted());
	feed(t, tp, "\x03");
	KT_EXPECT_TRUE(t, lwp_interrupted());
	tty_clear_interrupt(tp);
	KT_EXPECT_FALSE(t, lwp_interrupted());
	tty_set_console(tp);
	KT_EXPECT_NULL(t, lwp_terminal());
	lwp_set_terminal(NULL);
	tty_detach(tp);
}

static unsigned hook_calls;

static void
count_hook(void *arg)
{
	(*(unsigned *)arg)++;
}

/* A running command (nobody reading) sees the flag and the hook. */
static void
control_c_while_a_command_runs_calls_the_hook(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);

	hook_calls = 0;
	tty_set_intr_hook(tp, count_hook, &hook_calls);
	feed(t, tp, "\x03");
	KT_EXPECT_EQ(t, hook_calls, 1U);
	KT_EXPECT_TRUE(t, tty_interrupted(tp));
	tty_clear_interrupt(tp);
	KT_EXPECT_FALSE(t, tty_interrupted(tp));
	feed(t, tp, "\x03");
	KT_EXPECT_EQ(t, hook_calls, 2U);
	tty_detach(tp);
}

static void
control_d_on_an_empty_line_is_end_of_input(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	char buf[32];

	feed(t, tp, "ab\x04" "c\r\x04");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 3);
	KT_EXPECT_STREQ(t, buf, "abc");		/* ^D mid-line ignored */
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 0);
	KT_EXPECT_STREQ(t, buf, "");
	tty_detach(tp);
}

static void
arrow_keys_recall_the_history(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	char buf[32];

	feed(t, tp, "one\rtwo\r");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 3);
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 3);
	f.f_len = 0;
	feed(t, tp, "\x1b[A\x1b[A\r");		/* up, up: "one" */
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 3);
	KT_EXPECT_STREQ(t, buf, "one");
	KT_EXPECT_STREQ(t, f.f_screen, "two\b \b\b \b\b \bone\r\n");
	/* Up past the oldest stays there; down comes back; down to empty. */
	feed(t, tp, "\x1b[A\x1b[A\x1b[A\x1b[A\x1b[B\r");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 3);
	KT_EXPECT_STREQ(t, buf, "two");
	feed(t, tp, "x\x1bOA\x1bOB\r");		/* SS3 arrows too */
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 0);
	KT_EXPECT_STREQ(t, buf, "");
	feed(t, tp, "\x1b[1;5C" "z\r");		/* other sequences ignored */
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 1);
	KT_EXPECT_STREQ(t, buf, "z");
	tty_detach(tp);
}

static void
raw_mode_passes_bytes_unchanged_without_echo(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	const uint8_t in[] = { 'a', '\r', 0x03, 0x7f, 0x1b, '[', 'A', 0 };
	uint8_t out[sizeof(in)];

	tty_set_mode(tp, 0);
	KT_ASSERT_EQ(t, tty_input(tp, in, sizeof(in)), sizeof(in));
	KT_EXPECT_EQ(t, tty_read(tp, out, sizeof(out)), (int)sizeof(in));
	KT_EXPECT_EQ(t, memcmp(in, out, sizeof(in)), 0);
	KT_EXPECT_EQ(t, f.f_len, 0U);
	KT_EXPECT_FALSE(t, tty_interrupted(tp));
	tty_detach(tp);
}

/* A full input queue refuses bytes (the device keeps them), loses none. */
static void
a_full_input_queue_refuses_instead_of_dropping(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	size_t size = 10000, fed = 0, got = 0;
	uint8_t *in = kmem_alloc(size, KM_SLEEP), out[700];
	bool same = true;

	for (size_t i = 0; i < size; i++)
		in[i] = (uint8_t)(i * 7 + i / 256);
	tty_set_mode(tp, 0);
	while (got < size) {
		size_t took = tty_input(tp, in + fed, size - fed);
		unsigned calls = f.f_room_calls;
		int n;

		fed += took;
		KT_ASSERT_LE(t, fed - got, 4096U);
		n = tty_read(tp, out, sizeof(out));
		KT_ASSERT_GT(t, n, 0);
		for (int i = 0; i < n; i++)
			same &= out[i] == in[got + i];
		got += (size_t)n;
		if (fed < size)		/* it refused: the reader tells */
			KT_EXPECT_EQ(t, f.f_room_calls, calls + 1);
	}
	KT_EXPECT_TRUE(t, same);
	KT_EXPECT_EQ(t, fed, size);
	kmem_free(in, size);
	tty_detach(tp);
}

/* Output: LF becomes CRLF in canonical mode; a full device waits. */
static void
output_turns_newlines_into_crlf_and_waits_for_room(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);

	f.f_room = 3;
	tty_write(tp, "ab\ncd\n", 6);
	KT_EXPECT_STREQ(t, f.f_screen, "ab\r\ncd\r\n");
	f.f_len = 0;
	tty_set_mode(tp, 0);
	tty_write(tp, "x\ny", 3);
	KT_EXPECT_STREQ(t, f.f_screen, "x\ny");
	tty_detach(tp);
}

static void
echo_the_device_cannot_take_is_counted(struct ktest *t)
{
	struct fake f;
	struct tty *tp = fake_tty(&f);
	struct tty_stats st;
	char buf[32];

	f.f_room = 2;
	feed(t, tp, "abcd\r");
	KT_EXPECT_EQ(t, tty_read_line(tp, buf, sizeof(buf)), 4);
	KT_EXPECT_STREQ(t, buf, "abcd");
	tty_get_stats(tp, &st);
	KT_EXPECT_EQ(t, st.ts_echo_lost, 4U);	/* "cd" and "\r\n" */
	KT_EXPECT_EQ(t, st.ts_in, 5U);
	tty_detach(tp);
}

KTEST_SUITE(tty,
    KTEST_CASE(typed_characters_are_echoed_and_a_newline_ends_the_line),
    KTEST_CASE(crlf_ends_one_line_not_two),
    KTEST_CASE(backspace_and_delete_erase_a_character),
    KTEST_CASE(control_u_kills_the_line_and_control_w_a_word),
    KTEST_CASE(control_c_discards_the_line_and_interrupts),
    KTEST_CASE(control_c_keeps_its_place_among_typed_ahead_lines),
    KTEST_CASE(control_c_while_a_command_runs_calls_the_hook),
    KTEST_CASE(a_threads_terminal_takes_its_printf_and_its_control_c),
    KTEST_CASE(control_d_on_an_empty_line_is_end_of_input),
    KTEST_CASE(arrow_keys_recall_the_history),
    KTEST_CASE(raw_mode_passes_bytes_unchanged_without_echo),
    KTEST_CASE(a_full_input_queue_refuses_instead_of_dropping),
    KTEST_CASE(output_turns_newlines_into_crlf_and_waits_for_room),
    KTEST_CASE(echo_the_device_cannot_take_is_counted));
