/*
 * Host stand-in for machine/cpu.h: the harness defines cpu_number() itself
 * (one host thread per CPU), so nothing machine-dependent is needed.
 */
#ifndef MACHINE_CPU_H
#define MACHINE_CPU_H
#endif
