/*
 * kmem_host.h: forced into kern/page.c and kern/kmem.c (cc -include) when
 * tests/host/test_kmem.py builds them for the host.  Physical address pa
 * lives at kmem_host_offset + pa, inside the harness's fake RAM; see
 * PA_TO_VA in kern/page_internal.h.
 */
#ifndef KMEM_HOST_H
#define KMEM_HOST_H

#include <stdint.h>

extern uintptr_t kmem_host_offset;

#define PA_TO_VA(pa)	((void *)((uintptr_t)(pa) + kmem_host_offset))
#define VA_TO_PA(va)	((paddr_t)((uintptr_t)(va) - kmem_host_offset))

#endif
