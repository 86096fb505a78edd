/*
 * panic.c: stopping the kernel when something is wrong.
 *
 * panic() and failed assertions end here.  The first CPU to panic stops the
 * others with an NMI (they halt in the NMI handler, whatever they hold),
 * switches the console to panic mode (no locks), prints the message, the
 * CPU and LWP, the registers of a trap if there was one, and a symbolized
 * backtrace, then powers off with the panic status.  A second panic on any
 * CPU while the first is in progress halts quietly, except that a recursive
 * panic on the panicking CPU itself prints one line and powers off at once.
 *
 * Fault isolation (kern/irq_fault.c): panic() and a failed KASSERT first
 * offer themselves to isolate_panic, which unwinds to the current LWP's
 * armed catch when the fault may be isolated (thread context, no spin
 * lock beyond those held at the catch) and returns otherwise.
 * panic_nocatch is for the rules the kernel promises to panic on.  A
 * panic in hard interrupt context also names the IRQ and the handler.
 */
#include <cons.h>
#include <cpu.h>
#include <kassert.h>
#include <printf.h>
#include <reboot.h>

#include <kern/irq_impl.h>
#include <kern/isolate.h>
#include <kern/lwp_impl.h>
#include <kern/panic_impl.h>

#include <machine/cpufunc.h>

static volatile int panicking;
static volatile int panic_cpu = -1;

bool
panic_in_progress(void)
{
	return panicking != 0;
}

static void
panic_enter(void)
{
	int me;

	x86_cli();
	me = (int)cpu_number();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL) != 0) {
		if (panic_cpu == me) {
			cons_panic();
			printf("panic: recursive panic on cpu%d\n", me);
			cpu_poweroff(POWEROFF_PANIC);
		}
		cpu_halt_forever();
	}
	panic_cpu = me;
	cpu_halt_others();
	cons_panic();
}

static __noreturn void
panic_report(struct trapframe *tf, const char *fmt, va_list ap)
{
	struct lwp *l = curlwp;
	char culprit[160];

	printf("panic: ");
	vprintf(fmt, ap);
	printf("\ncpu%u, lwp %s\n", cpu_number(), l != NULL ? l->l_name : "?");
	if (tf == NULL && irq_hard_culprit(culprit, sizeof(culprit)))
		printf("in %s\n", culprit);
	if (tf != NULL)
		cpu_dump_frame(tf);
	else
		cpu_backtrace(0, (uint64_t)__builtin_frame_address(0));
	cpu_poweroff(POWEROFF_PANIC);
}

/* Offer a panic to fault isolation; returns if nobody takes it. */
static void
try_isolate(const char *what, uint64_t fp, const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	isolate_panic(what, fp, fmt, aq);
	va_end(aq);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	try_isolate("panic()", (uint64_t)__builtin_frame_address(0), fmt, ap);
	panic_enter();
	panic_report(NULL, fmt, ap);
}

void
panic_nocatch(const char *fmt, ...)
{
	va_list ap;

	panic_enter();
	va_start(ap, fmt);
	panic_report(NULL, fmt, ap);
}

void
panic_frame(struct trapframe *tf, const char *fmt, ...)
{
	va_list ap;

	panic_enter();
	va_start(ap, fmt);
	panic_report(tf, fmt, ap);
}

static void
kassert_isolate(uint64_t fp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	try_isolate("assertion", fp, fmt, ap);
	va_end(ap);
}

void
kassert_fail(const char *expr, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[256] = "";

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	kassert_isolate((uint64_t)__builtin_frame_address(0),
	    "%s%sassertion \"%s\" failed: file \"%s\", line %d", msg,
	    fmt != NULL ? ": " : "", expr, file, line);
	panic_nocatch("%s%sassertion \"%s\" failed: file \"%s\", line %d",
	    msg, fmt != NULL ? ": " : "", expr, file, line);
}
