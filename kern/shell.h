/*
 * shell.h: the console shell (kern/shell.c).
 */
#ifndef KERN_SHELL_H
#define KERN_SHELL_H

#include <types.h>

struct tty;

/* shell_run: read and run commands from tp for ever.  Context: thread. */
__noreturn void shell_run(struct tty *tp);

/*
 * shell_interrupted: ^C was typed on the shell's terminal since the
 * running command started; long commands poll it and stop.  Context: any.
 */
bool shell_interrupted(void);

#endif
