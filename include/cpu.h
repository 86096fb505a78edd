/*
 * cpu.h: CPUs, as the machine-independent kernel sees them.
 *
 * Each CPU has a struct cpu_info, reached on that CPU with curcpu() in one
 * instruction (through the GS base on x86-64).  The fields below are the
 * machine-independent part; the architecture adds its own in ci_md.
 * cpu_info structures are created at boot and never freed.
 *
 * Locking: ci_curlwp is written only by its own CPU with interrupts
 * disabled and read by anyone (mutex spinners ask "is that owner running?"
 * by comparing owner->l_cpu->ci_curlwp with the owner).  Run-queue fields
 * live in struct schedstate and are covered by its lock (see sched.c).
 */
#ifndef PINWHEEL_CPU_H
#define PINWHEEL_CPU_H

#include <types.h>

struct cpu_info;
struct lwp;

#define MAXCPUS		64

typedef struct { uint64_t cs_bits; } cpuset_t;	/* up to MAXCPUS CPUs */

static inline void cpuset_zero(cpuset_t *s) { s->cs_bits = 0; }
static inline void cpuset_add(cpuset_t *s, unsigned i) { s->cs_bits |= 1ULL << i; }
static inline void cpuset_del(cpuset_t *s, unsigned i) { s->cs_bits &= ~(1ULL << i); }
static inline bool cpuset_has(const cpuset_t *s, unsigned i) { return (s->cs_bits >> i) & 1; }
static inline bool cpuset_empty(const cpuset_t *s) { return s->cs_bits == 0; }
/* cpuset_of: the set holding CPU i alone. */
static inline cpuset_t cpuset_of(unsigned i) { return (cpuset_t){ 1ULL << i }; }

extern unsigned ncpu;			/* CPUs online */
extern struct cpu_info *cpu_infos[MAXCPUS];

/* cpu_lookup: the cpu_info of CPU number i (0..ncpu-1), or NULL. */
struct cpu_info *cpu_lookup(unsigned i);
/* cpu_index: the number of a CPU, 0..ncpu-1. */
unsigned cpu_index(const struct cpu_info *ci);
/* cpu_number: the number of the calling CPU. */
unsigned cpu_number(void);
/* cpu_intr_p: true when called from hard interrupt context. */
bool cpu_intr_p(void);

#include <machine/cpu.h>	/* curcpu(), curlwp */

#endif
