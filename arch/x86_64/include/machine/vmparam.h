/*
 * vmparam.h: the x86-64 kernel address space.
 *
 *   0xffff800000000000  direct map of physical memory (PML4 slot 256):
 *                       every physical byte below the top of RAM or 4 GiB
 *                       (whichever is higher) at DMAP_BASE + pa
 *   0xffffc00000000000  kernel stacks, each with an unmapped guard page
 *                       below it (PML4 slot 384)
 *   0xffffffff80000000  the kernel image (KERNBASE + its physical address)
 */
#ifndef MACHINE_VMPARAM_H
#define MACHINE_VMPARAM_H

#define KERNBASE	0xffffffff80000000UL
#define DMAP_BASE	0xffff800000000000UL
#define KSTACK_BASE	0xffffc00000000000UL
#define KSTACK_SIZE	(16 * 1024UL)	/* usable bytes per kernel stack */
#define KSTACK_SLOT	(32 * 1024UL)	/* VA per stack: guard + stack + gap */

#ifndef __ASSEMBLER__
#include <types.h>
#define PHYS_TO_DMAP(pa)	((void *)((uintptr_t)(pa) + DMAP_BASE))
#define DMAP_TO_PHYS(va)	((paddr_t)((uintptr_t)(va) - DMAP_BASE))
#define KVA_TO_PHYS(va)		((paddr_t)((uintptr_t)(va) - KERNBASE))
#endif

#endif
