/*
 * uart16550.c: 16550A serial ports: the early polled console, then an
 * interrupt-driven driver split into a top and a bottom half (seed 000)
 * under a terminal (kern/tty.c).
 *
 * Early boot.  uart_console_init programs COM1 (115200 8N1, FIFOs on)
 * and registers a polled output with the console: each byte waits for the
 * transmit holding register to empty (LSR THRE).  This stays the console
 * until com_console_attach, and polling comes back at panic.
 *
 * Top half.  com_intr is the port's primary handler, in hard interrupt
 * context.  Under the port's spin mutex c_lock it only moves bytes: while
 * the chip has received data (LSR DR) it moves them into the receive
 * ring, and while the transmitter is empty (LSR THRE) it moves up to a
 * FIFO's worth from the transmit ring, until the chip reports no
 * interrupt pending (IIR bit 0).  Looping until then matters on an
 * edge-triggered ISA line: a cause left pending keeps the line high and
 * no new edge would ever come (16550A datasheet, "Interrupt Identification
 * Register").  It returns IRQ_WAKE_THREAD when the receive ring has bytes
 * for the bottom half.
 *
 * Ports behind a demux (a multiport card, dev/puc.c).  Such a port is
 * created quiet (com_create), masked (com_mask), and started on its child
 * IRQ (com_start).  The demux asks com_intr_pending whether the port has
 * an interrupt pending (IIR bit 0 clear).  Reading the IIR clears a
 * transmitter-empty interrupt that it reports (16550A datasheet,
 * "Interrupt Identification Register", table of reset controls), so the
 * answer is latched in c_iir_latched and com_intr makes one pass for it
 * before it reads the IIR itself.  Masking a port writes 0 to its IER and
 * keeps what the driver wants in c_ier: with no interrupt enabled the
 * 16550 drops its output but keeps its causes (LSR), so unmasking it
 * (writing c_ier back) asserts the card's line again if a cause is left.
 * A masked port that is polled anyway (storm control polls a throttled
 * child) still moves bytes: receive and transmit look at the LSR, not
 * the IIR.
 *
 * Loopback (MCR bit 4, for tests): the transmitter feeds the port's own
 * receiver.  QEMU's 16550 does so at once and drops what the receive FIFO
 * cannot hold, so in loopback tx_fill sends nothing while the receiver
 * still holds data (the receive ring is then full): at most one FIFO's
 * worth is ever in flight.
 *
 * Bottom half.  The thread function com_bottom feeds the receive ring to
 * the tty (the line discipline).  Under IRQ_MODE_HARD it runs in hard
 * context, where the line discipline may not run, so it schedules the
 * port's SOFTINT_SERIAL soft interrupt, which does: the classic split.
 * Under the threaded models it runs the line discipline itself, in the
 * action's thread, a lazy interrupt thread or the line's source thread
 * (or, behind a nested demux, the demux's thread).
 * c_bhlock (adaptive) makes one bottom half run at a time whichever ran
 * it.
 *
 * No byte is lost between the chip and the reader.  When the receive ring
 * is full the top half stops reading the chip and disables the receive
 * interrupts (IER ERBFI), so the chip's FIFO fills and the sender backs
 * up; the bottom half turns them on again once it has made room.  When
 * the tty's input queue is full, tty_input takes fewer bytes; the rest
 * stay in the ring, and the tty calls to_input_room when its reader made
 * room, which schedules the bottom half.  An overrun the chip reports
 * anyway (LSR OE) is counted.
 *
 * Transmit.  Writers (the tty, the console) append to the transmit ring
 * and enable the transmitter-empty interrupt (IER ETBEI), which a 16550
 * raises at once when its THR is empty; the top half disables it again
 * when the ring runs dry.  The console writes from any context, inside a
 * console section with interrupts off: when the ring is full there it
 * sends bytes by polling until one fits (counted), since it cannot wait
 * for an interrupt that its own CPU may be the one to take.  cons_flush
 * (at power-off) and panic drain the ring by polling.
 *
 * Ports are kept in com_ports[] for com_find, under com_ports_lock (a
 * simplelock with interrupts off, initialised statically: ports attach
 * before anything else could initialise a mutex for them).
 *
 * Locking.  c_lock covers the rings, the IER shadow, the mask, the latch,
 * loopback and the counters.
 * It is a simplelock taken with interrupts off (port_lock), not a spin
 * kmutex: the console writes inside console sections, which keep
 * interrupts off, and a kmutex's release would lower the IPL and turn
 * them back on there.  The demux masks a port holding its child line's
 * id_lock, so c_lock comes after every IRQ descriptor lock.  A tty writer
 * that finds the transmit ring full
 * sleeps a millisecond at a time (the top half cannot wake it under a
 * simplelock).  c_bhlock (adaptive) serialises bottom halves; it is taken
 * before c_lock, never while holding it, and tty_input is called with
 * c_lock dropped.  Nothing prints while holding c_lock (the console
 * takes it).  On the console's port the tty's writes are console
 * sections too, so the order is the console lock, then c_lock, as for
 * the console's own output.
 */
#include <com.h>
#include <condvar.h>
#include <cons.h>
#include <cpu.h>
#include <irq.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <mutex.h>
#include <softint.h>
#include <string.h>
#include <time.h>
#include <tty.h>
#include <types.h>

#include <kern/bytering.h>
#include <kern/simplelock.h>

#include <machine/cpufunc.h>

#define COM1		0x3f8
#define COM1_ISA_IRQ	4

/* Registers (16550A datasheet, "Register Description"). */
#define UART_RBR	0	/* receive buffer (read) */
#define UART_THR	0	/* transmit holding (write) */
#define UART_IER	1
#define  IER_ERBFI	0x01	/* received data available */
#define  IER_ETBEI	0x02	/* transmit holding register empty */
#define  IER_ELSI	0x04	/* receiver line status */
#define UART_IIR	2	/* read */
#define  IIR_NOPEND	0x01	/* no interrupt pending */
#define UART_FCR	2	/* write */
#define  FCR_ENABLE	0x01
#define  FCR_RXRESET	0x02
#define  FCR_TXRESET	0x04
#define  FCR_TRIGGER_8	0x80	/* receive interrupt at 8 bytes */
#define UART_LCR	3
#define  LCR_8N1	0x03
#define  LCR_DLAB	0x80
#define UART_MCR	4
#define  MCR_DTR	0x01
#define  MCR_RTS	0x02
#define  MCR_OUT2	0x08	/* gates the interrupt output on a PC */
#define  MCR_LOOP	0x10	/* transmitter wired to the receiver */
#define UART_LSR	5
#define  LSR_DR		0x01
#define  LSR_OE		0x02
#define  LSR_THRE	0x20
#define  LSR_TEMT	0x40	/* holding and shift registers both empty */
#define UART_SCR	7

#define TX_FIFO		16	/* bytes the transmitter takes at once */
#define RX_RING		4096
#define TX_RING		8192
#define INTR_PASSES	64	/* bound on the handler's loop */
#define POLL_SPINS	1000000	/* a missing UART must not hang us */
#define COM_MAX		16	/* ports com_find knows */

struct com {
	const char *c_name;
	uint16_t c_io;
	int c_irq;			/* -1 until com_start */
	struct simplelock c_lock;	/* interrupts off */
	struct bytering c_rx, c_tx;		/* c_lock */
	uint8_t c_ier;			/* c_lock: what IER holds unmasked */
	bool c_masked;			/* c_lock: IER 0 (com_mask) */
	bool c_iir_latched;		/* c_lock: com_intr_pending saw one */
	bool c_loopback;		/* c_lock: MCR_LOOP set */
	bool c_rx_stopped;		/* c_lock: ERBFI off, ring full */
	kmutex_t c_bhlock;
	void *c_si;
	struct tty *c_tty;
	struct com_stats c_stats;	/* c_lock (read locklessly) */
};

static struct com *console_com;

static struct com *com_ports[COM_MAX];	/* com_ports_lock */
static struct simplelock com_ports_lock = SIMPLELOCK_INITIALIZER;

/*
 * Bytes COM1 received before the kernel enabled its FIFOs.  Enabling
 * them clears them (16550A datasheet, "FIFO Control Register", bit 0),
 * and a sender with input ready (commands piped into tools/boot) refills
 * the receive register as soon as it is read, so uart_console_init reads
 * until the line has been quiet for EARLY_QUIET polls of LSR, keeps the
 * bytes here, and only then enables the FIFOs; com_console_attach hands
 * the bytes on.  Only input beyond EARLY_RX bytes can still lose the one
 * byte in flight at that moment.
 */
#define EARLY_RX	4096
#define EARLY_QUIET	2000
static uint8_t early_rx[EARLY_RX];
static size_t early_rx_len;

/* The port lock: a simplelock with interrupts off (see Locking). */
static uint64_t
port_lock(struct com *sc)
{
	uint64_t was = intr_save();

	simple_lock(&sc->c_lock);
	return was;
}

static void
port_unlock(struct com *sc, uint64_t was)
{
	simple_unlock(&sc->c_lock);
	intr_restore(was);
}

/* Early boot: polled output. */

static void
poll_putc(uint16_t io, uint8_t c)
{
	for (unsigned spins = 0; !(inb(io + UART_LSR) & LSR_THRE); spins++)
		if (spins > POLL_SPINS)
			break;
	outb(io + UART_THR, c);
}

static void
uart_putc(int c)
{
	poll_putc(COM1, (uint8_t)c);
}

static void
uart_program(uint16_t io)
{
	outb(io + UART_FCR, FCR_ENABLE | FCR_RXRESET | FCR_TXRESET |
	    FCR_TRIGGER_8);
	outb(io + UART_IER, 0);
	outb(io + UART_LCR, LCR_DLAB);
	outb(io + 0, 1);		/* divisor 1: 115200 baud */
	outb(io + 1, 0);
	outb(io + UART_LCR, LCR_8N1);
	outb(io + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
}

void uart_console_init(void);

/* uart_console_init: program COM1 and make it the polled console. */
void
uart_console_init(void)
{
	for (unsigned quiet = 0; quiet < EARLY_QUIET &&
	    early_rx_len < sizeof(early_rx); quiet++) {
		if (inb(COM1 + UART_LSR) & LSR_DR) {
			early_rx[early_rx_len++] = inb(COM1 + UART_RBR);
			quiet = 0;
		}
	}
	uart_program(COM1);
	cons_set_output(uart_putc);
}

/* Rings (kern/bytering.h) in memory of their own. */

static void
ring_alloc(struct bytering *r, size_t size)
{
	bytering_init(r, kmem_alloc(size, KM_SLEEP), size);
}

static void
ring_free(struct bytering *r)
{
	kmem_free(r->br_buf, r->br_size);
}

/* The chip, c_lock held. */

static void
ier_set(struct com *sc, uint8_t ier)
{
	if (ier != sc->c_ier) {
		sc->c_ier = ier;
		if (!sc->c_masked)
			outb(sc->c_io + UART_IER, ier);
	}
}

/* Chip to receive ring; stop reading (ERBFI off) when the ring is full. */
static void
rx_drain(struct com *sc)
{
	uint8_t lsr;

	while ((lsr = inb(sc->c_io + UART_LSR)) & LSR_DR) {
		if (lsr & LSR_OE)
			sc->c_stats.cs_overruns++;
		if (bytering_room(&sc->c_rx) == 0) {
			sc->c_rx_stopped = true;
			sc->c_stats.cs_rx_stops++;
			ier_set(sc, sc->c_ier & ~IER_ERBFI);
			return;
		}
		bytering_put(&sc->c_rx, inb(sc->c_io + UART_RBR));
		sc->c_stats.cs_rx++;
	}
	if (lsr & LSR_OE)
		sc->c_stats.cs_overruns++;
}

/* Receive ring has room again: read the chip again. */
static void
rx_restart(struct com *sc)
{
	if (sc->c_rx_stopped && bytering_room(&sc->c_rx) > 0) {
		sc->c_rx_stopped = false;
		ier_set(sc, sc->c_ier | IER_ERBFI);
	}
}

/*
 * Transmit ring to chip, a FIFO's worth if it is empty (and, in loopback,
 * if our receiver has room for it).
 */
static void
tx_fill(struct com *sc)
{
	uint8_t lsr = inb(sc->c_io + UART_LSR);
	unsigned n;

	if (!(lsr & LSR_THRE) || (sc->c_loopback && (lsr & LSR_DR)))
		return;
	for (n = 0; n < TX_FIFO && sc->c_tx.br_len > 0; n++)
		outb(sc->c_io + UART_THR, bytering_get(&sc->c_tx));
	sc->c_stats.cs_tx += n;
	if (sc->c_tx.br_len == 0)
		ier_set(sc, sc->c_ier & ~IER_ETBEI);
}

/* Send every queued byte by polling (power-off, panic, a full ring). */
static void
tx_poll_all(struct com *sc)
{
	while (sc->c_tx.br_len > 0) {
		poll_putc(sc->c_io, bytering_get(&sc->c_tx));
		sc->c_stats.cs_polled_tx++;
	}
}

/* Top half. */

/* Did the chip say it has an interrupt pending?  c_lock held. */
static bool
iir_pending(struct com *sc)
{
	return !(inb(sc->c_io + UART_IIR) & IIR_NOPEND);
}

/* A masked port, polled: move what the line status shows.  c_lock held. */
static bool
poll_masked(struct com *sc)
{
	uint64_t rx = sc->c_stats.cs_rx, tx = sc->c_stats.cs_tx;

	rx_drain(sc);
	tx_fill(sc);
	return sc->c_stats.cs_rx != rx || sc->c_stats.cs_tx != tx;
}

static irqreturn_t
com_intr(int irq, void *arg)
{
	uint64_t was;
	struct com *sc = arg;
	irqreturn_t ret = IRQ_NONE;
	bool latched;

	was = port_lock(sc);
	latched = sc->c_iir_latched;
	sc->c_iir_latched = false;
	if (sc->c_masked && poll_masked(sc))
		ret = IRQ_HANDLED;
	for (unsigned pass = 0; pass < INTR_PASSES && !sc->c_masked; pass++) {
		if (!latched && !iir_pending(sc))
			break;
		latched = false;
		ret = IRQ_HANDLED;
		rx_drain(sc);
		tx_fill(sc);
	}
	if (sc->c_rx.br_len > 0)
		ret = IRQ_WAKE_THREAD;
	port_unlock(sc, was);
	return ret;
}

/* Bottom half. */

/* Feed the receive ring to the tty until it is empty or the tty full. */
static void
com_bottom_half(struct com *sc)
{
	uint64_t was;
	uint8_t buf[128];

	mutex_enter(&sc->c_bhlock);
	for (;;) {
		size_t n, took;

		was = port_lock(sc);
		n = bytering_peek(&sc->c_rx, buf, sizeof(buf));
		port_unlock(sc, was);
		if (n == 0)
			break;
		took = tty_input(sc->c_tty, buf, n);
		was = port_lock(sc);
		bytering_drop(&sc->c_rx, took);
		rx_restart(sc);
		port_unlock(sc, was);
		if (took < n)
			break;		/* to_input_room will call us again */
	}
	mutex_exit(&sc->c_bhlock);
}

static void
com_soft(void *arg)
{
	com_bottom_half(arg);
}

static irqreturn_t
com_bottom(int irq, void *arg)
{
	struct com *sc = arg;

	if (cpu_intr_p())
		softint_schedule(sc->c_si);	/* IRQ_MODE_HARD: split */
	else
		com_bottom_half(sc);
	return IRQ_HANDLED;
}

/* The tty's view of the port. */

/*
 * On the console's port the write is a console section of its own, so
 * echo and terminal output never land inside a log line (the console
 * writes each line in one section).
 */
static size_t
com_write(void *dev, const uint8_t *buf, size_t n)
{
	uint64_t was, cs = 0;
	struct com *sc = dev;
	size_t i;

	if (sc == console_com)
		cs = cons_enter();
	was = port_lock(sc);
	for (i = 0; i < n && bytering_room(&sc->c_tx) > 0; i++)
		bytering_put(&sc->c_tx, buf[i]);
	if (i > 0)
		ier_set(sc, sc->c_ier | IER_ETBEI);
	port_unlock(sc, was);
	if (sc == console_com)
		cons_exit(cs);
	return i;
}

/*
 * The transmit ring is full: wait for the top half to drain some.  It
 * cannot wake us (it runs in hard context under a simplelock), so look
 * again every millisecond; at 115200 baud the ring holds 0.7 s of output.
 */
static void
com_wait_write(void *dev)
{
	struct com *sc = dev;

	while (__atomic_load_n(&sc->c_tx.br_len, __ATOMIC_RELAXED) ==
	    sc->c_tx.br_size)
		ksleep(NS_PER_MS);
}

/*
 * Wait until the ring is empty and the chip has shifted out its last
 * byte (LSR TEMT: the FIFO and the transmitter shift register are both
 * empty), a millisecond at a time as com_wait_write.
 */
static void
com_drain(void *dev)
{
	struct com *sc = dev;

	while (__atomic_load_n(&sc->c_tx.br_len, __ATOMIC_RELAXED) != 0 ||
	    !(inb(sc->c_io + UART_LSR) & LSR_TEMT))
		ksleep(NS_PER_MS);
}

static void
com_input_room(void *dev)
{
	struct com *sc = dev;

	softint_schedule(sc->c_si);
}

static const struct tty_ops com_tty_ops = {
	.to_write = com_write,
	.to_wait_write = com_wait_write,
	.to_input_room = com_input_room,
	.to_drain = com_drain,
};

/* The console on the port's transmit ring. */

static void
com_cons_putc(int c)
{
	uint64_t was;
	struct com *sc = console_com;

	if (cons_panicking()) {		/* no locks: other CPUs are stopped */
		tx_poll_all(sc);
		poll_putc(sc->c_io, (uint8_t)c);
		return;
	}
	was = port_lock(sc);
	if (bytering_room(&sc->c_tx) == 0) {
		poll_putc(sc->c_io, bytering_get(&sc->c_tx));
		sc->c_stats.cs_polled_tx++;
	}
	bytering_put(&sc->c_tx, (uint8_t)c);
	ier_set(sc, sc->c_ier | IER_ETBEI);
	port_unlock(sc, was);
}

static void
com_cons_flush(void)
{
	uint64_t was;
	struct com *sc = console_com;

	if (cons_panicking()) {
		tx_poll_all(sc);
		return;
	}
	was = port_lock(sc);
	tx_poll_all(sc);
	port_unlock(sc, was);
}

/* Attaching. */

static bool
uart_present(uint16_t io)
{
	outb(io + UART_SCR, 0x5a);
	if (inb(io + UART_SCR) != 0x5a)
		return false;
	outb(io + UART_SCR, 0xa5);
	return inb(io + UART_SCR) == 0xa5;
}

static struct com *
com_alloc(const char *name, uint16_t io)
{
	struct com *sc = kmem_zalloc(sizeof(*sc), KM_SLEEP);

	sc->c_name = name;
	sc->c_io = io;
	sc->c_irq = -1;
	simple_lock_init(&sc->c_lock);
	mutex_init(&sc->c_bhlock, MUTEX_DEFAULT, IPL_NONE);
	ring_alloc(&sc->c_rx, RX_RING);
	ring_alloc(&sc->c_tx, TX_RING);
	sc->c_si = softint_establish(SOFTINT_SERIAL | SOFTINT_MPSAFE,
	    com_soft, sc);
	KASSERTMSG(sc->c_si != NULL, "%s: no soft interrupt", name);
	sc->c_tty = tty_attach(name, &com_tty_ops, sc);
	return sc;
}

static void
com_free(struct com *sc)
{
	tty_detach(sc->c_tty);
	softint_disestablish(sc->c_si);
	ring_free(&sc->c_tx);
	ring_free(&sc->c_rx);
	mutex_destroy(&sc->c_bhlock);
	kmem_free(sc, sizeof(*sc));
}

/*
 * Turn the port's interrupts on (receive, line status), after taking in
 * what arrived before: bytes held below the FIFO's trigger level would
 * otherwise wait for the next byte's timeout.
 */
static void
com_enable(struct com *sc, const uint8_t *early, size_t n)
{
	uint64_t was;
	bool pending;

	was = port_lock(sc);
	for (size_t i = 0; i < n; i++)
		bytering_put(&sc->c_rx, early[i]);
	rx_drain(sc);
	ier_set(sc, IER_ERBFI | IER_ELSI);
	pending = sc->c_rx.br_len > 0;
	port_unlock(sc, was);
	if (pending)
		softint_schedule(sc->c_si);
}

/* The port list (com_find). */

static uint64_t
ports_lock(void)
{
	uint64_t was = intr_save();

	simple_lock(&com_ports_lock);
	return was;
}

static void
ports_unlock(uint64_t was)
{
	simple_unlock(&com_ports_lock);
	intr_restore(was);
}

static void
ports_add(struct com *sc)
{
	uint64_t was = ports_lock();
	unsigned i;

	for (i = 0; i < COM_MAX && com_ports[i] != NULL; i++)
		continue;
	if (i < COM_MAX)
		com_ports[i] = sc;
	ports_unlock(was);
	if (i == COM_MAX)
		kwarn("%s: more than %u ports; com_find will not find it",
		    sc->c_name, COM_MAX);
}

static void
ports_remove(struct com *sc)
{
	uint64_t was = ports_lock();

	for (unsigned i = 0; i < COM_MAX; i++)
		if (com_ports[i] == sc)
			com_ports[i] = NULL;
	ports_unlock(was);
}

struct com *
com_find(const char *name)
{
	uint64_t was = ports_lock();
	struct com *found = NULL;

	for (unsigned i = 0; i < COM_MAX && found == NULL; i++)
		if (com_ports[i] != NULL &&
		    strcmp(com_ports[i]->c_name, name) == 0)
			found = com_ports[i];
	ports_unlock(was);
	return found;
}

struct com *
com_create(const char *name, uint16_t iobase)
{
	struct com *sc;

	if (!uart_present(iobase)) {
		kerr("%s: no 16550 at I/O port %#x", name, iobase);
		return NULL;
	}
	if (iobase != COM1)
		uart_program(iobase);
	sc = com_alloc(name, iobase);
	ports_add(sc);
	return sc;
}

static int
start(struct com *sc, int irq, unsigned long flags, const uint8_t *early,
    size_t nearly)
{
	int error;

	KASSERTMSG(sc->c_irq < 0, "com_start(%s): started on irq %d already",
	    sc->c_name, sc->c_irq);
	error = request_threaded_irq(irq, com_intr, com_bottom, flags,
	    sc->c_name, sc);
	if (error != 0) {
		kerr("%s: cannot have irq %d: %d", sc->c_name, irq, error);
		return error;
	}
	sc->c_irq = irq;
	com_enable(sc, early, nearly);
	return 0;
}

int
com_start(struct com *sc, int irq, unsigned long flags)
{
	return start(sc, irq, flags, NULL, 0);
}

static struct com *
attach(const char *name, uint16_t iobase, int irq, unsigned long flags,
    const uint8_t *early, size_t nearly)
{
	struct com *sc = com_create(name, iobase);

	if (sc != NULL && start(sc, irq, flags, early, nearly) != 0) {
		com_detach(sc);
		return NULL;
	}
	return sc;
}

struct com *
com_attach(const char *name, uint16_t iobase, int irq, unsigned long flags)
{
	return attach(name, iobase, irq, flags, NULL, 0);
}

void
com_detach(struct com *sc)
{
	uint64_t was;

	KASSERTMSG(sc != console_com, "com_detach(%s): the console",
	    sc->c_name);
	was = port_lock(sc);
	ier_set(sc, 0);
	port_unlock(sc, was);
	if (sc->c_irq >= 0)
		free_irq(sc->c_irq, sc);
	ports_remove(sc);
	com_free(sc);
}

/* A port behind a demux. */

bool
com_intr_pending(struct com *sc)
{
	uint64_t was = port_lock(sc);
	bool pending;

	if (!sc->c_masked && iir_pending(sc))
		sc->c_iir_latched = true;
	pending = sc->c_iir_latched && !sc->c_masked;
	port_unlock(sc, was);
	return pending;
}

void
com_mask(struct com *sc, bool masked)
{
	uint64_t was = port_lock(sc);

	if (masked != sc->c_masked) {
		sc->c_masked = masked;
		outb(sc->c_io + UART_IER, masked ? 0 : sc->c_ier);
	}
	port_unlock(sc, was);
}

void
com_set_loopback(struct com *sc, bool on)
{
	uint64_t was = port_lock(sc);

	sc->c_loopback = on;
	outb(sc->c_io + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2 |
	    (on ? MCR_LOOP : 0));
	port_unlock(sc, was);
}

int
com_console_attach(void)
{
	int irq = irq_isa(COM1_ISA_IRQ);
	struct com *sc;

	KASSERTMSG(console_com == NULL, "com_console_attach: twice");
	if (irq < 0)
		return irq;
	sc = attach("com0", COM1, irq, IRQF_MODE(IRQ_MODE_HARD) |
	    IRQF_NO_STORM, early_rx, early_rx_len);
	if (sc == NULL)
		return -EIO;
	console_com = sc;
	tty_set_console(sc->c_tty);
	cons_set_flush(com_cons_flush);
	cons_set_output(com_cons_putc);
	return 0;
}

struct com *
com_console(void)
{
	return console_com;
}

struct tty *
com_tty(struct com *sc)
{
	return sc->c_tty;
}

const char *
com_name(const struct com *sc)
{
	return sc->c_name;
}

int
com_irq(const struct com *sc)
{
	return sc->c_irq;
}

void
com_get_stats(const struct com *sc, struct com_stats *st)
{
	*st = sc->c_stats;
}
