/*
 * simplelock.c: raw spin locks (see simplelock.h for when to use them).
 */
#include <cpu.h>
#include <kassert.h>

#include <kern/simplelock.h>

#include <kern/md.h>
#include <kern/lwp_impl.h>

#include <machine/cpuvar.h>

void
simple_lock_init(struct simplelock *sl)
{
	sl->sl_locked = 0;
	sl->sl_cpu = 0;
}

bool
simple_lock_try(struct simplelock *sl)
{
	if (__atomic_exchange_n(&sl->sl_locked, 1, __ATOMIC_ACQUIRE) != 0)
		return false;
	sl->sl_cpu = cpu_number() + 1;
	return true;
}

void
simple_lock(struct simplelock *sl)
{
	KASSERTMSG(!intr_enabled(), "simple_lock %p with interrupts enabled", sl);
	KASSERTMSG(sl->sl_cpu != cpu_number() + 1 || !sl->sl_locked,
	    "simple_lock %p: recursion on cpu%u", sl, cpu_number());
	while (!simple_lock_try(sl)) {
		while (__atomic_load_n(&sl->sl_locked, __ATOMIC_RELAXED))
			cpu_spin_pause();
	}
}

void
simple_unlock(struct simplelock *sl)
{
	KASSERTMSG(sl->sl_locked, "simple_unlock %p: not locked", sl);
	sl->sl_cpu = 0;
	__atomic_store_n(&sl->sl_locked, 0, __ATOMIC_RELEASE);
}

bool
simple_lock_held(const struct simplelock *sl)
{
	return sl->sl_locked && sl->sl_cpu == cpu_number() + 1;
}

void
spin_section_enter(ipl_t ipl)
{
	ipl_t s = splraise(ipl);
	struct cpu_data *cd = &curcpu()->ci_data;

	if (cd->cpu_mtx_count++ == 0)
		cd->cpu_mtx_oldspl = s;
}

void
spin_section_exit(void)
{
	struct cpu_data *cd = &curcpu()->ci_data;

	KASSERTMSG(cd->cpu_mtx_count > 0, "spin_section_exit: no spin lock held");
	if (--cd->cpu_mtx_count == 0)
		splx(cd->cpu_mtx_oldspl);
}

ipl_t
spin_section_handoff(void)
{
	struct cpu_data *cd = &curcpu()->ci_data;

	KASSERTMSG(cd->cpu_mtx_count == 1,
	    "spin_section_handoff with %d spin locks held", cd->cpu_mtx_count);
	cd->cpu_mtx_count = 0;
	return cd->cpu_mtx_oldspl;
}

int
spin_section_count(void)
{
	return curcpu()->ci_data.cpu_mtx_count;
}
