/*
 * serial_crc.c: run=serial:crc, a stream pushed from the host into a
 * serial port, checked end to end and timed (tools/check's serial boots;
 * docs/benchmarks.md, "Serial receive").
 *
 * The port (serial_port=, default com1: the pci-serial-4x card's first
 * port, dev/puc.c) is set to the dispatch serial_mode= names: hard,
 * thread, lazy or source (the port's child IRQ under that model, its
 * demux chained) or nested (the demux nested: the port's handlers run in
 * the demux's thread).  Its tty goes raw, the kernel prints
 *
 *	serial: crc: com1 ready (MODE)
 *
 * and the host sends a 4-byte little-endian length, then that many bytes.
 * They are read through the whole path (chip, top half, receive ring,
 * bottom half, line discipline, tty_read) and their CRC-32 (IEEE 802.3,
 * as zlib's crc32) computed as they come; at the end the kernel prints
 *
 *	serial: crc: com1 MODE: N bytes crc32 0xXXXXXXXX in T ms
 *	    (receive ring full R times, tty full F times, overruns O)
 *
 * where R and F say how often flow control held the sender back (the
 * driver stopped reading the chip; the tty refused bytes) and O is what
 * the chip lost (it must be 0).  So that flow control is proved in every
 * run, the reader reads nothing after the length until the driver has
 * stopped reading the chip once (the tty full, then the receive ring: at
 * least 8 KiB in flight), for at most HOLD_MS; the clock starts then.
 * Then come RESULT lines: serial_rx_MODE_bytes_per_s,
 * serial_rx_MODE_cpu_ns_per_byte (all CPUs' busy time, that is time not
 * halted in the idle loop, over the bytes: interrupts and interrupt
 * threads included), serial_rx_MODE_irqs_per_kib (the card line's
 * interrupts per KiB) and serial_rx_MODE_ms, and the interrupt table.
 * Nothing is asserted here: the host compares the CRC with its own.
 *
 * Locking: none of its own; it runs in the main thread.
 */
#include <com.h>
#include <cpu.h>
#include <irq.h>
#include <irq_demux.h>
#include <log.h>
#include <options.h>
#include <printf.h>
#include <string.h>
#include <time.h>
#include <tty.h>

#include <kern/bench.h>
#include <kern/lwp_impl.h>
#include <kern/run.h>

#define MODE_NESTED	4	/* serial_mode= index of "nested" */
#define HOLD_MS		10000	/* longest wait for the receive ring to fill */

static char serial_port[16] = "com1";
OPTION_STRING("serial_port", serial_port,
    "run=serial:crc: the port to read (a tty name: com1 is the "
    "pci-serial-4x card's first port)");

static const char *const mode_words[] = {
	"hard", "thread", "lazy", "source", "nested", NULL,
};
static unsigned serial_mode = 1;
OPTION_CHOICE("serial_mode", serial_mode, mode_words,
    "run=serial:crc: the port's dispatch: hard, thread, lazy or source "
    "(its child IRQ's model, demux chained) or nested (demux nested)");

/* CRC-32, IEEE 802.3, reflected (polynomial 0xedb88320), as zlib's. */
static uint32_t crc_table[256];

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc_update(uint32_t crc, const uint8_t *buf, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Put the port under the dispatch serial_mode names; false (logged) if not. */
static bool
set_dispatch(struct com *sc)
{
	int irq = com_irq(sc);
	struct irq_demux *dm = irq_demux_of(irq);
	bool nested = serial_mode == MODE_NESTED;

	if (dm == NULL && nested) {
		kerr("serial: crc: %s is not behind a demux: no nested dispatch",
		    serial_port);
		return false;
	}
	if (dm != NULL && irq_demux_set_dispatch(dm, IRQ_DEMUX_CHAINED) != 0)
		return false;
	if (!nested && irq_set_mode(irq, sc,
	    (enum irq_mode)(IRQ_MODE_HARD + serial_mode)) != 0)
		return false;
	return !nested || irq_demux_set_dispatch(dm, IRQ_DEMUX_NESTED) == 0;
}

/* Exactly n bytes from tp into buf (it waits for them). */
static void
read_exactly(struct tty *tp, uint8_t *buf, size_t n)
{
	for (size_t got = 0; got < n;)
		got += (size_t)tty_read(tp, buf + got, n - got);
}

/*
 * Wait, reading nothing, until the driver stopped reading the chip since
 * stats0 was taken; false if it did not within HOLD_MS.
 */
static bool
hold_until_ring_full(struct com *sc, const struct com_stats *stats0)
{
	struct com_stats cs;

	for (unsigned ms = 0; ms < HOLD_MS; ms++) {
		com_get_stats(sc, &cs);
		if (cs.cs_rx_stops > stats0->cs_rx_stops)
			return true;
		ksleep(NS_PER_MS);
	}
	return false;
}

/* Every CPU's busy time so far: uptime less time halted. */
static uint64_t
busy_ns(void)
{
	uint64_t now = nanouptime(), busy = 0;

	for (unsigned i = 0; i < ncpu; i++)
		busy += now - sched_halted_ns(cpu_lookup(i));
	return busy;
}

static void
result(const char *what, uint64_t value, const char *unit)
{
	char name[64];

	snprintf(name, sizeof(name), "serial_rx_%s_%s", mode_words[serial_mode],
	    what);
	bench_result(name, value, unit);
}

/* The card line: the demux's parent, or the port's own line. */
static int
card_line(struct com *sc)
{
	struct irq_demux *dm = irq_demux_of(com_irq(sc));

	return dm != NULL ? irq_demux_parent_irq(dm) : com_irq(sc);
}

static bool
serial_crc(void)
{
	const char *mode = mode_words[serial_mode];
	struct com *sc = com_find(serial_port);
	uint8_t hdr[4], buf[512];
	uint64_t t0, busy0, irqs0, t, busy, irqs, left, total;
	uint32_t crc = 0;
	struct com_stats cs0, cs;
	struct tty_stats ts0, ts;
	struct tty *tp;

	if (sc == NULL) {
		kerr("serial: crc: no port %s (tools/boot --device "
		    "pci-serial-4x)", serial_port);
		return false;
	}
	if (!set_dispatch(sc))
		return false;
	crc_init();
	tp = com_tty(sc);
	tty_set_mode(tp, 0);
	printf("serial: crc: %s ready (%s)\n", serial_port, mode);
	read_exactly(tp, hdr, sizeof(hdr));
	com_get_stats(sc, &cs0);
	tty_get_stats(tp, &ts0);
	if (!hold_until_ring_full(sc, &cs0))
		kwarn("serial: crc: %s: the receive ring did not fill within "
		    "%u ms; reading anyway", serial_port, HOLD_MS);
	t0 = nanouptime();
	busy0 = busy_ns();
	irqs0 = irq_line_count(card_line(sc));
	total = left = (uint64_t)hdr[0] | (uint64_t)hdr[1] << 8 |
	    (uint64_t)hdr[2] << 16 | (uint64_t)hdr[3] << 24;
	while (left > 0) {
		int n = tty_read(tp, buf, MIN(sizeof(buf), left));

		crc = crc_update(crc, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	t = nanouptime() - t0;
	busy = busy_ns() - busy0;
	irqs = irq_line_count(card_line(sc)) - irqs0;
	com_get_stats(sc, &cs);
	tty_get_stats(tp, &ts);
	printf("serial: crc: %s %s: %lu bytes crc32 0x%08x in %lu ms\n"
	    "    (receive ring full %lu times, tty full %lu times, overruns "
	    "%lu)\n", serial_port, mode, total, crc, t / NS_PER_MS,
	    cs.cs_rx_stops - cs0.cs_rx_stops, ts.ts_refused - ts0.ts_refused,
	    cs.cs_overruns - cs0.cs_overruns);
	result("bytes_per_s", t != 0 ? total * NS_PER_SEC / t : 0, "B/s");
	result("cpu_ns_per_byte", total != 0 ? busy / total : 0, "ns");
	result("irqs_per_kib", total != 0 ? irqs * 1024 / total : 0, "irqs");
	result("ms", t / NS_PER_MS, "ms");
	tty_set_mode(tp, TTY_CANON | TTY_ECHO);
	printf("\ninterrupt table after the transfer:\n");
	irq_print_table();
	return true;
}

bool
serial_run(const char *name)
{
	if (strcmp(name, "crc") == 0)
		return serial_crc();
	kerr("run: no serial action '%s' (expected serial:crc)", name);
	return false;
}
