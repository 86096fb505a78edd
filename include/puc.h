/*
 * puc.h: QEMU's PCI multiport serial cards, pci-serial-2x and
 * pci-serial-4x (dev/puc.c): 16550A ports behind one INTx line, each
 * port a child IRQ of a demux (include/irq_demux.h) and a tty named
 * com1, com2, ... (include/com.h; com_find finds them by name).  A
 * machine without such a card simply has no such ports.
 */
#ifndef PINWHEEL_PUC_H
#define PINWHEEL_PUC_H

#include <types.h>

struct com;

/*
 * puc_init: attach every card found (up to 4), logging one line per card
 * with its ports and IRQs.  Context: thread, once, after the console
 * (com_console_attach), with every CPU up.
 */
void puc_init(void);

/* puc_count: cards attached.  Context: any. */
unsigned puc_count(void);

/* puc_nports: ports of card i (0 if there is no card i).  Context: any. */
unsigned puc_nports(unsigned i);

/*
 * puc_port: port (0-based) of card i, or NULL.  Its IRQ (com_irq) is a
 * child of the card's demux: irq_demux_of(com_irq(port)).  Context: any.
 */
struct com *puc_port(unsigned i, unsigned port);

#endif
