/*
 * ksyms.h: the kernel's own symbol table, for backtraces and for naming
 * objects (static locks) in messages.
 */
#ifndef KERN_KSYMS_H
#define KERN_KSYMS_H

#include <types.h>

/*
 * ksym_lookup: the symbol containing addr and the offset into it, or NULL.
 * Context: any (no locks; the table is read-only).
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
/* ksym_format: "name+0xoff" or "0xaddr" into buf. */
char *ksym_format(uintptr_t addr, char *buf, size_t size);

#endif
