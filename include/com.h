/*
 * com.h: 16550A serial ports (dev/uart16550.c), each a terminal
 * (include/tty.h).
 *
 * The console port COM1 starts polled (early boot); com_console_attach
 * makes it interrupt driven in both directions and gives it a tty.
 * Other 16550s (a PCI multiport card's ports) attach with com_attach.
 */
#ifndef PINWHEEL_COM_H
#define PINWHEEL_COM_H

#include <types.h>

struct com;
struct tty;

/* Counters of one port (com_get_stats). */
struct com_stats {
	uint64_t cs_rx;		/* bytes read from the chip */
	uint64_t cs_tx;		/* bytes written to the chip */
	uint64_t cs_overruns;	/* overrun errors the chip reported (LSR OE) */
	uint64_t cs_rx_stops;	/* times the receive ring filled and reading
				   the chip stopped until the tty made room */
	uint64_t cs_polled_tx;	/* bytes sent by polling because the
				   transmit ring was full in a context that
				   could not wait, or at panic */
};

/*
 * com_console_attach: make COM1 (ISA IRQ 4) interrupt driven, give it a
 * tty named "com0" and move the kernel console's output onto its
 * transmit ring.  Context: thread, once, after the interrupt layer is up.
 * Returns 0 or a negative errno (the console then stays polled).
 */
int com_console_attach(void);

/* com_console: the console port, or NULL before com_console_attach. */
struct com *com_console(void);

/*
 * com_attach: a 16550A at I/O port iobase raising irq (shared with
 * others if flags has IRQF_SHARED), as a tty named name (kept by
 * pointer).  Context: thread.  Returns the port, or NULL with a log line
 * naming the port and the error (no UART there, IRQ refused).
 */
struct com *com_attach(const char *name, uint16_t iobase, int irq,
    unsigned long flags);

/* com_detach: free the port's IRQ and tty.  Context: thread. */
void com_detach(struct com *sc);

/* com_tty: the port's terminal.  com_irq: its IRQ.  Context: any. */
struct tty *com_tty(struct com *sc);
int com_irq(const struct com *sc);

/* com_get_stats: copy the port's counters.  Context: any. */
void com_get_stats(const struct com *sc, struct com_stats *st);

#endif
