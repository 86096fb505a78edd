/*
 * Host stand-in for the machine's <machine/cpu.h>, found before the real
 * one when tests/host/test_kmem.py builds the allocator for the host: the
 * allocator uses nothing from it, and the real one is x86-64 kernel code.
 */
#ifndef MACHINE_CPU_H
#define MACHINE_CPU_H
#endif
