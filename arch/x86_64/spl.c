/*
 * spl.c: interrupt priority levels, the minimal implementation.
 *
 * Design.  Each CPU has a software level, cpu_ipl.  In this foundation the
 * hardware side is coarse: any level from IPL_VM up runs with interrupts
 * disabled (RFLAGS.IF clear), levels below IPL_VM with them enabled; soft
 * levels only hold off kernel preemption, which happens only at IPL_NONE.
 * A hard interrupt handler runs at IPL_HIGH (x86_intr).  The interrupt
 * architecture issue replaces this file with the TPR and software-deferral
 * implementations behind the same interface.
 *
 * Rules: splx must restore a level obtained from splraise, in LIFO order.
 * Lowering to IPL_NONE runs a preemption that became due meanwhile.
 * While the kernel is cold (booting, before the scheduler runs) interrupts
 * stay disabled whatever the level.
 *
 * Locking: cpu_ipl is touched only by its own CPU with interrupts disabled.
 */
#include <kassert.h>
#include <lwp.h>
#include <spl.h>

#include <kern/lwp_impl.h>
#include <kern/main.h>

#include <machine/cpufunc.h>
#include <machine/cpuvar.h>

static const char *const ipl_names[NIPL] = {
	"IPL_NONE", "IPL_SOFTCLOCK", "IPL_SOFTBIO", "IPL_SOFTNET",
	"IPL_SOFTSERIAL", "IPL_VM", "IPL_SCHED", "IPL_HIGH",
};

const char *
ipl_name(ipl_t ipl)
{
	return ipl >= 0 && ipl < NIPL ? ipl_names[ipl] : "IPL_?";
}

ipl_t
curipl(void)
{
	return curcpu()->ci_data.cpu_ipl;
}

ipl_t
splraise(ipl_t ipl)
{
	uint64_t was = intr_save();
	struct cpu_data *cd = &curcpu()->ci_data;
	ipl_t old = cd->cpu_ipl;

	KASSERTMSG(ipl >= 0 && ipl < NIPL, "splraise: bad level %d", ipl);
	if (ipl > old)
		cd->cpu_ipl = ipl;
	if (cd->cpu_ipl < IPL_VM)
		intr_restore(was);
	return old;
}

void
splx(ipl_t s)
{
	struct cpu_info *ci;

	KASSERTMSG(s >= 0 && s < NIPL, "splx: bad level %d", s);
	x86_cli();
	ci = curcpu();
	ci->ci_data.cpu_ipl = s;
	if (s >= IPL_VM || ci->ci_data.cpu_intr_depth > 0 || cold)
		return;
	if (s == IPL_NONE && ci->ci_data.cpu_want_resched &&
	    ci->ci_curlwp->l_nopreempt == 0)
		kpreempt();
	x86_sti();
}
