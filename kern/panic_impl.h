/*
 * panic_impl.h: the parts of panic the machine layer provides and uses.
 */
#ifndef KERN_PANIC_IMPL_H
#define KERN_PANIC_IMPL_H

#include <types.h>

struct trapframe;

/* panic_frame: panic, reporting the registers of a trap frame. */
__noreturn void panic_frame(struct trapframe *tf, const char *fmt, ...)
    __printflike(2, 3);
bool panic_in_progress(void);

/* Machine layer. */
/* cpu_backtrace: print pc (unless 0), then the callers found from fp. */
void cpu_backtrace(uint64_t pc, uint64_t fp);
/* cpu_dump_frame: print a trap frame's registers and its backtrace. */
void cpu_dump_frame(const struct trapframe *tf);
void cpu_halt_others(void);
__noreturn void cpu_halt_forever(void);

#endif
