/*
 * cons.h: the kernel console.
 *
 * The console is one character output, registered by the machine layer
 * (the polled UART, then the interrupt-driven one, dev/uart16550.c);
 * until then output is dropped.  A console section,
 * cons_enter() .. cons_exit(), makes a run of output unbroken by other
 * CPUs: printf() and klog() write each message inside one.  Sections nest
 * on a CPU, so an exception or NMI that prints while its CPU is in the
 * middle of a message does not deadlock.  After cons_panic() nobody waits
 * for the console any more.  See kern/cons.c for the design.
 */
#ifndef PINWHEEL_CONS_H
#define PINWHEEL_CONS_H

#include <types.h>

/*
 * cons_set_output: register the function that puts one character on the
 * console device.  Context: boot, any time.
 */
void cons_set_output(void (*putc)(int c));

/*
 * cons_set_flush: register the function that pushes out everything the
 * console device has queued (an interrupt-driven UART's transmit ring).
 * cons_flush: call it, if any, so that nothing written so far is lost:
 * before power-off.  Context: any (cons_flush spins until sent).
 */
void cons_set_flush(void (*flush)(void));
void cons_flush(void);

/*
 * cons_enter: begin a console section: disables interrupts on this CPU and
 * takes the console lock, spinning while another CPU holds it.  Returns a
 * cookie for cons_exit().  Context: any.  Never sleeps.
 */
uint64_t cons_enter(void);

/* cons_exit: end the section begun by the cons_enter() that returned s. */
void cons_exit(uint64_t s);

/*
 * cons_putc, cons_write: write one character or n bytes, '\n' as "\r\n".
 * Each call is a console section of its own (nested if the caller is
 * already in one).  Context: any.
 */
void cons_putc(int c);
void cons_write(const char *s, size_t n);

/*
 * cons_panic: the machine is stopping; from now on cons_enter() never
 * waits, since the holder of the lock may be a stopped CPU.  Output from
 * CPUs still running may interleave.  Context: any; called by panic().
 */
void cons_panic(void);

/*
 * cons_held: this CPU is inside a console section.  cons_abandon: release
 * the console lock if this CPU holds it, for fault isolation
 * (kern/irq_fault.c), which unwinds a handler that faulted in the middle
 * of a message and must not leave the lock taken.  Context: any,
 * interrupts off.
 */
bool cons_held(void);
void cons_abandon(void);

/* cons_panicking: true once cons_panic() has been called. */
bool cons_panicking(void);

#endif
