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

/*
 * cpu_reboot: reset the machine, after sending what the console has
 * queued.  It asks the chipset (the ICH9 reset control register, q35),
 * then the keyboard controller, and if neither reset it, triple-faults.
 * tools/boot runs QEMU with -no-reboot unless given --reboot, so there
 * QEMU exits instead ("the guest reset").  Context: thread (it stops the
 * other CPUs first).
 */
__noreturn void cpu_reboot(void);

#endif
