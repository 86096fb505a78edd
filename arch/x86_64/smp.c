/*
 * smp.c: starting the application processors.
 *
 * Design.  For each enabled CPU in the MADT other than ourselves, the boot
 * CPU allocates a cpu_info and an idle LWP (whose stack the AP starts on),
 * copies the trampoline (mptramp.S) to MPTRAMP_PADDR with the AP's
 * parameters, and sends INIT, then STARTUP twice (SDM vol. 3 §8.4.4.1, the
 * "universal start-up algorithm").  The AP loads the kernel page tables,
 * its GDT/TSS/IDT and GS base, enables its LAPIC, says it is running and
 * enters its idle loop.  CPUs are started one at a time because they share
 * the trampoline page; a CPU that does not answer within a second is
 * reported and skipped.
 *
 * Locking: ncpu and cpu_infos[] are written only here, by the boot CPU;
 * cpu_infos[i] is stored before ncpu is raised past i (release order).
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <string.h>
#include <time.h>

#include <kern/lwp_impl.h>
#include <kern/main.h>

#include <machine/acpi.h>
#include <machine/asm.h>
#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/lapic.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>

#define MSR_GS_BASE	0xc0000101

extern char mptramp_start[], mptramp_end[];
extern uint64_t mptramp_cr3, mptramp_stack, mptramp_entry, mptramp_arg;

unsigned ncpu = 1;
struct cpu_info *cpu_infos[MAXCPUS];

struct cpu_info *
cpu_lookup(unsigned i)
{
	return i < ncpu ? cpu_infos[i] : NULL;
}

unsigned
cpu_index(const struct cpu_info *ci)
{
	return ci->ci_index;
}

unsigned
cpu_number(void)
{
	return curcpu()->ci_index;
}

static void ap_main(struct cpu_info *ci) __noreturn;

static void
ap_main(struct cpu_info *ci)
{
	lcr3(pmap_kernel_cr3());
	wrmsr(MSR_GS_BASE, (uint64_t)ci);
	cpu_init_tables(ci);
	lapic_init();
	KASSERTMSG(lapic_id() == ci->ci_apicid, "cpu%u: APIC id %u, MADT said %u",
	    ci->ci_index, lapic_id(), ci->ci_apicid);
	__atomic_store_n(&ci->ci_running, true, __ATOMIC_RELEASE);
	sched_idle();
}

/* Where each trampoline parameter lives in the copy at MPTRAMP_PADDR. */
static uint64_t *
tramp_param(uint64_t *p)
{
	return PHYS_TO_DMAP(MPTRAMP_PADDR + ((char *)p - mptramp_start));
}

static bool
start_cpu(struct cpu_info *ci)
{
	struct lwp *idle = ci->ci_data.cpu_idlelwp;
	uint64_t deadline;

	memcpy(PHYS_TO_DMAP(MPTRAMP_PADDR), mptramp_start,
	    mptramp_end - mptramp_start);
	*tramp_param(&mptramp_cr3) = pmap_mptramp_cr3();
	*tramp_param(&mptramp_stack) = idle->l_stack + KSTACK_SIZE - 8;
	*tramp_param(&mptramp_entry) = (uint64_t)ap_main;
	*tramp_param(&mptramp_arg) = (uint64_t)ci;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	lapic_send_init(ci->ci_apicid);
	delay_ns(10 * NS_PER_MS);
	for (int i = 0; i < 2; i++) {
		lapic_send_startup(ci->ci_apicid, MPTRAMP_PADDR);
		delay_ns(200 * NS_PER_US);
	}
	deadline = nanouptime() + NS_PER_SEC;
	while (!__atomic_load_n(&ci->ci_running, __ATOMIC_ACQUIRE)) {
		if (nanouptime() > deadline)
			return false;
		x86_pause();
	}
	return true;
}

struct cpu_info *
cpu_alloc(unsigned index, uint32_t apicid)
{
	struct cpu_info *ci = kmem_zalloc(sizeof(*ci), KM_SLEEP);

	ci->ci_self = ci;
	ci->ci_index = index;
	ci->ci_apicid = apicid;
	return ci;
}

void
cpu_start_secondaries(void)
{
	struct cpu_info *self = curcpu();

	KASSERTMSG(MPTRAMP_PADDR + (mptramp_end - mptramp_start) <= 0x9000,
	    "trampoline does not fit its page");
	self->ci_running = true;
	for (unsigned i = 0; i < acpi.ai_ncpus && ncpu < MAXCPUS; i++) {
		uint32_t apicid = acpi.ai_cpus[i].ac_apic_id;
		struct cpu_info *ci;

		if (!acpi.ai_cpus[i].ac_enabled || apicid == self->ci_apicid)
			continue;
		ci = cpu_alloc(ncpu, apicid);
		sched_init_cpu(ci);
		ci->ci_data.cpu_idlelwp = lwp_create_idle(ci);
		ci->ci_curlwp = ci->ci_data.cpu_idlelwp;
		cpu_infos[ncpu] = ci;
		if (!start_cpu(ci)) {
			kerr("smp: CPU with APIC id %u did not start; skipping it",
			    apicid);
			cpu_infos[ncpu] = NULL;
			continue;
		}
		__atomic_store_n(&ncpu, ncpu + 1, __ATOMIC_RELEASE);
	}
	kinfo("smp: %u CPU%s online", ncpu, ncpu == 1 ? "" : "s");
}
