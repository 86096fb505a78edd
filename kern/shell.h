/*
 * shell.h: the console shell (kern/shell.c).
 */
#ifndef KERN_SHELL_H
#define KERN_SHELL_H

#include <types.h>

struct tty;

/*
 * shell_run: make tp the calling thread's terminal, then read and run
 * commands from it for ever.  Context: thread.
 */
__noreturn void shell_run(struct tty *tp);

#endif
