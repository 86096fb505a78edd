/*
 * xcall.h: run a function on other CPUs (cross calls).
 *
 * The function runs in hard interrupt context on each target CPU, reached
 * by an IPI; the caller waits until every target has returned.  The caller
 * itself is included when it is among the targets (it runs the function
 * directly, with interrupts disabled).
 */
#ifndef PINWHEEL_XCALL_H
#define PINWHEEL_XCALL_H

#include <cpu.h>
#include <types.h>

typedef void (*xcfunc_t)(void *arg);

/*
 * xc_unicast, xc_multicast, xc_broadcast: run fn(arg) on one CPU, on a set,
 * or on every CPU online, and wait for all to finish.
 * Context: thread or interrupt with interrupts enabled; never from a
 * spin mutex critical section above IPL_VM (would deadlock with a CPU
 * calling back).
 */
void xc_unicast(struct cpu_info *ci, xcfunc_t fn, void *arg);
void xc_multicast(const cpuset_t *set, xcfunc_t fn, void *arg);
void xc_broadcast(xcfunc_t fn, void *arg);

#endif
