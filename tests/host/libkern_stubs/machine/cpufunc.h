/*
 * Host stand-in for machine/cpufunc.h, used only by tests/host/test_libkern.py.
 *
 * The kernel's version executes cli/sti, which fault in a user process.
 * Here each host thread plays one CPU with its own interrupt flag, and
 * counts how often it went from enabled to disabled, which is how the
 * harness counts console sections.  Only what kern/cons.c and kern/log.c
 * use is provided.
 */
#ifndef MACHINE_CPUFUNC_H
#define MACHINE_CPUFUNC_H

#include <types.h>

#define PSL_I	0x200

extern __thread bool host_intr_on;		/* this thread's "IF" */
extern __thread unsigned host_intr_disables;	/* enabled -> disabled */

static inline uint64_t
intr_save(void)
{
	bool was = host_intr_on;

	host_intr_on = false;
	if (was)
		host_intr_disables++;
	return was ? PSL_I : 0;
}

static inline void
intr_restore(uint64_t was)
{
	if (was)
		host_intr_on = true;
}

static inline bool intr_enabled(void) { return host_intr_on; }
static inline void x86_pause(void) { __asm__ volatile("pause" ::: "memory"); }

#endif
