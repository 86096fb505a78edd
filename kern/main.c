/*
 * main.c: the machine-independent kernel from the scheduler on.
 *
 * kern_main runs on the boot CPU in lwp0, which becomes that CPU's idle
 * LWP: it starts the scheduler's data structures, the timer and cross-call
 * services, the other CPUs and the reaper, then creates the "main" thread,
 * which does what the run= option asks:
 *
 *	(none)			print a status summary and leave the CPUs idle
 *	run=ktest		run every in-kernel test suite, then power off
 *	run=ktest:a,b		run the named suites
 *	run=bench:NAME		run a benchmark, then power off
 *	run=crash:NAME		deliberately break a rule (the host checks the panic)
 *	run=trace:demo		capture a trace of every dispatch model, dump it
 *	run=serial:crc		CRC-32 of a stream the host pushes into a port
 *
 * Tracing (trace=on) starts before the run= action.
 */
#include <com.h>
#include <cpu.h>
#include <edu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <options.h>
#include <pci.h>
#include <printf.h>
#include <puc.h>
#include <reboot.h>
#include <rtc.h>
#include <string.h>
#include <time.h>
#include <trace.h>

#include <kern/intr_lazy.h>
#include <kern/irq_impl.h>
#include <kern/lwp_impl.h>
#include <kern/main.h>
#include <kern/md.h>
#include <kern/run.h>
#include <kern/shell.h>

#include <machine/cpuvar.h>

static char run_opt[128];
OPTION_STRING("run", run_opt,
    "what to run after boot: ktest[:SUITE,...], bench:NAME, crash:NAME, "
    "trace:demo or serial:crc");

void lwp_start_reaper(void);

volatile bool cold = true;

static void
print_status(void)
{
	struct kmem_stats ks;

	kmem_get_stats(&ks);
	kinfo("status: %u CPU%s, %zu MiB of %zu MiB free, clock %lu ms since boot",
	    ncpu, ncpu == 1 ? "" : "s", ks.ks_pages_free * PAGE_SIZE >> 20,
	    ks.ks_pages_total * PAGE_SIZE >> 20, nanouptime() / NS_PER_MS);
}

static bool
has_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return false;
	*rest = s + n;
	return true;
}

uint64_t boot_cycles_at_main;

/* Run the suites, show the interrupt table they left, power off. */
static void
run_ktest(const char *suite)
{
	bool ok = ktest_run(suite);

	printf("\ninterrupt table after the tests:\n");
	irq_print_table();
	cpu_poweroff(ok ? POWEROFF_OK : POWEROFF_FAILED);
}

static void
main_thread(void *arg)
{
	const char *rest;

	boot_cycles_at_main = cpu_cycles();
	if (com_console_attach() != 0)
		kwarn("console: COM1 stays polled");
	trace_boot();
	edu_init();		/* drivers attach in thread context, all CPUs up */
	puc_init();
	rtc_init();
	if (strcmp(run_opt, "ktest") == 0)
		run_ktest(NULL);
	if (has_prefix(run_opt, "ktest:", &rest))
		run_ktest(rest);
	if (has_prefix(run_opt, "bench:", &rest))
		cpu_poweroff(bench_run(rest) ? POWEROFF_OK : POWEROFF_FAILED);
	if (has_prefix(run_opt, "trace:", &rest))
		cpu_poweroff(trace_run(rest) ? POWEROFF_OK : POWEROFF_FAILED);
	if (has_prefix(run_opt, "serial:", &rest))
		cpu_poweroff(serial_run(rest) ? POWEROFF_OK : POWEROFF_FAILED);
	if (has_prefix(run_opt, "crash:", &rest)) {
		crash_run(rest);
		cpu_poweroff(POWEROFF_FAILED);
	}
	if (run_opt[0] != '\0')
		kerr("run: unknown action '%s' (expected ktest, ktest:SUITE,..., "
		    "bench:NAME, crash:NAME, trace:demo or serial:crc)", run_opt);
	print_status();
	if (com_console() != NULL) {
		shell_init(com_tty(com_console()));
		shell_run(com_tty(com_console()));
	}
	kinfo("no console tty: no shell (Ctrl-A x quits QEMU)");
}

void
kern_main(void)
{
	int error;

	sleepq_init();
	turnstile_init();
	sched_init();
	lwp_init();
	irq_init();
	cpu_intr_init();
	timer_init();
	xc_init();
	pci_init();
	cpu_start_secondaries();
	intr_lazy_init();
	lwp_start_reaper();
	error = lwp_create(main_thread, NULL, PRI_KERNEL, NULL, 0, "main", NULL);
	if (error != 0)
		panic("cannot create the main thread: %d", error);
	cold = false;
	sched_idle();
}
