/*
 * uart16550.c: the console UART, polled.
 *
 * COM1 (I/O port 0x3f8) at 115200 baud, 8N1, FIFOs on.  Output waits for
 * the transmit holding register to be empty (LSR bit 5) before each byte.
 * This is the early and panic console; interrupt-driven input and output
 * (top and bottom halves) come with the TTY layer in a later issue.
 *
 * Locking: the caller serialises (cons.c holds the console lock).
 */
#include <cons.h>
#include <types.h>

#include <machine/cpufunc.h>

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding (write) */
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_THRE	0x20
#define LCR_DLAB	0x80

void uart_console_init(void);

static void
uart_putc(int c)
{
	for (unsigned spins = 0; !(inb(COM1 + UART_LSR) & LSR_THRE); spins++)
		if (spins > 1000000)
			break;		/* a missing UART must not hang the kernel */
	outb(COM1 + UART_THR, (uint8_t)c);
}

/* uart_console_init: program COM1 and make it the console output. */
void
uart_console_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1);		/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1 + UART_FCR, 0x07);	/* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
	cons_set_output(uart_putc);
}
