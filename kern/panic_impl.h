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
/*
 * panic_nocatch: panic even inside isolate_call (kern/isolate.h): for the
 * broken rules of interrupt context, which the kernel promises to panic on.
 */
__noreturn void panic_nocatch(const char *fmt, ...) __printflike(1, 2);

/* Machine layer. */
/* cpu_backtrace: print pc (unless 0), then the callers found from fp. */
void cpu_backtrace(uint64_t pc, uint64_t fp);
/*
 * cpu_backtrace_collect: store pc (unless 0), then the return addresses
 * found from fp, in pcs[0 .. max); returns how many.  Context: any.
 */
unsigned cpu_backtrace_collect(uint64_t pc, uint64_t fp, uint64_t *pcs,
    unsigned max);
/* cpu_dump_frame: print a trap frame's registers and its backtrace. */
void cpu_dump_frame(const struct trapframe *tf);
/* cpu_print_regs: print a trap frame's registers; addr: the fault address. */
void cpu_print_regs(const struct trapframe *tf, uint64_t addr);
void cpu_halt_others(void);
__noreturn void cpu_halt_forever(void);

#endif
