/*
 * intr.h: the x86-64 interrupt vector table (minimal; the generic IRQ
 * layer of the interrupt-architecture issue builds on it).
 */
#ifndef MACHINE_INTR_H
#define MACHINE_INTR_H

#include <types.h>

struct trapframe;
typedef void (*vector_handler_t)(struct trapframe *);

/* x86_vector_establish: call handler for vector (>= 32); one per vector. */
void x86_vector_establish(unsigned vector, vector_handler_t handler);

#endif
