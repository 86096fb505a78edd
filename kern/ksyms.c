/*
 * ksyms.c: symbol lookup.
 *
 * tools/ksyms generates, from the first link of the kernel, a table of
 * functions and data objects sorted by address (struct ksym below) into
 * the fixed-size .ksyms section, which the second link fills without
 * moving anything else.  Lookup is a binary search.  Read-only after
 * boot; no locks.
 */
#include <printf.h>

#include <kern/ksyms.h>

struct ksym {
	uint64_t ks_addr;
	uint64_t ks_size;	/* 0 when unknown (assembly) */
	const char *ks_name;
};

/* Emitted by tools/ksyms into the .ksyms section (weak for the first link). */
extern const uint64_t ksyms_count __attribute__((weak));
extern const struct ksym ksyms_table[] __attribute__((weak));

const char *
ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	size_t lo = 0, hi;
	const struct ksym *k;

	if (&ksyms_count == NULL || ksyms_count == 0)
		return NULL;
	hi = ksyms_count;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (ksyms_table[mid].ks_addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	k = &ksyms_table[lo];
	if (addr < k->ks_addr)
		return NULL;
	if (k->ks_size != 0 && addr >= k->ks_addr + k->ks_size)
		return NULL;
	if (k->ks_size == 0 && lo + 1 < ksyms_count &&
	    addr >= ksyms_table[lo + 1].ks_addr)
		return NULL;
	*offset = addr - k->ks_addr;
	return k->ks_name;
}

char *
ksym_format(uintptr_t addr, char *buf, size_t size)
{
	uintptr_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name != NULL)
		snprintf(buf, size, "%s+%#lx", name, off);
	else
		snprintf(buf, size, "%#lx", addr);
	return buf;
}
