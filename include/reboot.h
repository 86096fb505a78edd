/*
 * reboot.h: stopping the machine.
 */
#ifndef PINWHEEL_REBOOT_H
#define PINWHEEL_REBOOT_H

#include <types.h>

enum poweroff_status {
	POWEROFF_OK,		/* normal power-off; tests passed */
	POWEROFF_FAILED,	/* tests failed */
	POWEROFF_PANIC,		/* the kernel panicked */
};

/*
 * cpu_poweroff: stop the machine.  Under QEMU with an isa-debug-exit
 * device at port 0xf4, QEMU exits with a status that tells the three
 * apart (tools/boot maps it to 0, 1 and 2); elsewhere the CPUs halt.
 * Context: any.  Other CPUs should already be stopped or idle.
 */
__noreturn void cpu_poweroff(enum poweroff_status status);

#endif
