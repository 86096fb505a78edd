/*
 * com.h: 16550A serial ports (dev/uart16550.c), each a terminal
 * (include/tty.h).
 *
 * The console port COM1 starts polled (early boot); com_console_attach
 * makes it interrupt driven in both directions and gives it a tty named
 * "com0".  Other 16550s attach with com_attach, or, behind a demux (a
 * PCI multiport card's ports, dev/puc.c: "com1", "com2", ...), in two
 * steps: com_create, then com_start on the child IRQ, with the demux
 * using com_intr_pending and com_mask.  Every port can be found by its
 * name (com_find), so that a shell can run on it:
 * shell_run(com_tty(com_find("com1"))).
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
 * pointer): com_create then com_start.  Context: thread.  Returns the
 * port, or NULL with a log line naming the port and the error (no UART
 * there, IRQ refused).
 */
struct com *com_attach(const char *name, uint16_t iobase, int irq,
    unsigned long flags);

/*
 * com_create: a 16550A at I/O port iobase, programmed (115200 8N1, FIFOs
 * on) with its interrupts off, and its tty named name (kept by pointer);
 * findable by com_find from now on.  com_start: request irq for it (flags
 * as for request_threaded_irq: model, priority, IRQF_SHARED) and turn its
 * receive interrupts on.  Context: thread.  com_create returns the port
 * or NULL (no UART there, logged); com_start 0 or request_threaded_irq's
 * error (logged).
 */
struct com *com_create(const char *name, uint16_t iobase);
int com_start(struct com *sc, int irq, unsigned long flags);

/*
 * com_detach: free the port's IRQ (if started) and tty; not the console.
 * Context: thread.
 */
void com_detach(struct com *sc);

/*
 * com_find: the port whose tty is named name ("com0" is the console), or
 * NULL.  The port stays valid until its driver detaches it.  Context:
 * thread.
 */
struct com *com_find(const char *name);

/*
 * com_tty: the port's terminal.  com_irq: its IRQ (-1 before com_start).
 * com_name: its tty's name.  Context: any.
 */
struct tty *com_tty(struct com *sc);
int com_irq(const struct com *sc);
const char *com_name(const struct com *sc);

/*
 * For a demux (irq_demux.h).  com_intr_pending: the port has an
 * interrupt pending (IIR bit 0 clear, or latched by an earlier call: the
 * read clears a transmitter-empty cause, which the port's handler then
 * still serves); false while masked.  com_mask: stop (true) or let
 * (false) the port assert its interrupt, keeping its causes, so that an
 * unmasked port with a cause left asserts again at once.  Context: any,
 * including hard interrupt context and with interrupts off; never blocks.
 */
bool com_intr_pending(struct com *sc);
void com_mask(struct com *sc, bool masked);

/*
 * com_set_loopback: wire the port's transmitter to its own receiver
 * (16550 MCR bit 4) or not: in loopback, what is written to its tty
 * comes back as input, and nothing reaches the line.  For tests.
 * Context: thread.
 */
void com_set_loopback(struct com *sc, bool on);

/* com_get_stats: copy the port's counters.  Context: any. */
void com_get_stats(const struct com *sc, struct com_stats *st);

#endif
