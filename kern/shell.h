/*
 * shell.h: the console shell (kern/shell.c).
 */
#ifndef KERN_SHELL_H
#define KERN_SHELL_H

#include <types.h>

struct tty;

/*
 * shell_init: set up the shells' table, console's the console's tty (it
 * has a shell from the start).  Context: thread, once, before shell_run.
 */
void shell_init(struct tty *console);

/*
 * shell_run: make tp the calling thread's terminal, then read and run
 * commands from it for ever.  Context: thread.
 */
__noreturn void shell_run(struct tty *tp);

#endif
