/*
 * shell.c: the command shell on the console (the default when the boot
 * command line has no run=).
 *
 * Design.  A shell is one kernel thread reading lines from a tty (the
 * canonical line discipline edits them: kern/tty.c), splitting each into
 * words at spaces and running the command named by the first.  The tty
 * is the thread's terminal (lwp_set_terminal), so commands print with
 * printf and their output goes to that tty: the console's for the shell
 * started at boot, a serial port's for one started there.  Kernel log
 * messages stay on the console.
 *
 * ^C.  A command that runs long polls lwp_interrupted() and stops; `ktest`
 * stops between cases.  The ^C is the command's from the moment its line
 * was typed (the tty keeps a ^C in its place among typed-ahead lines),
 * so `intr watch` followed by ^C in piped input stops the watch; once the
 * command returns the shell says it was interrupted and clears the flag.
 * ^C at the prompt discards the line being typed.
 *
 * Errors name the bad argument and change nothing.  Input piped into
 * tools/boot is read the same way, line by line, and `poweroff` ends the
 * run with status 0.
 *
 * More shells.  `shell PORT` starts a shell thread on another serial
 * port (the pci-serial-4x card's com1..com4), one per tty.
 *
 * Locking: a shell is one thread; shells share nothing but the kernel's
 * own interfaces and the table of ttys that have one (shells_lock,
 * adaptive).
 */
#include <com.h>
#include <cpu.h>
#include <irq.h>
#include <irq_demux.h>
#include <kmem.h>
#include <log.h>
#include <lwp.h>
#include <mutex.h>
#include <printf.h>
#include <reboot.h>
#include <rtc.h>
#include <string.h>
#include <time.h>
#include <trace.h>
#include <tty.h>

#include <kern/irq_impl.h>
#include <kern/run.h>
#include <kern/shell.h>

#define LINE_MAX	256
#define ARGV_MAX	16

struct command {
	const char *c_name;
	const char *c_args;
	const char *c_help;
	int (*c_fn)(int argc, char **argv);	/* 0, or it printed why */
};

/* Arguments. */

static int
usage(const struct command *c);

static const struct command *find_command(const char *name);

/* Say what is wrong with arg, in one printf (one line, never split). */
static int
bad(const char *cmd, const char *fmt, const char *arg)
{
	char why[128];

	snprintf(why, sizeof(why), fmt, arg);
	printf("%s: %s\n", cmd, why);
	return -1;
}

static bool
parse_num(const char *s, uint64_t max, uint64_t *out)
{
	return strtou64(s, out) == 0 && *out <= max;
}

/* An IRQ number, or an error naming the argument. */
static bool
parse_irq(const char *cmd, const char *s, int *irq)
{
	uint64_t v;

	if (!parse_num(s, NR_IRQS - 1, &v)) {
		bad(cmd, "'%s' is not an IRQ number", s);
		return false;
	}
	*irq = (int)v;
	return true;
}

/* Say why irq refused what (error from irq_set_*). */
static int
refused(const char *cmd, int irq, const char *what, int error)
{
	if (error == -ENOENT)
		printf("%s: no IRQ %d\n", cmd, irq);
	else
		printf("%s: irq %d refuses %s (error %d)\n", cmd, irq, what,
		    error);
	return -1;
}

/* The action named name on irq, or its only one when name is NULL. */
static void *
parse_action(const char *cmd, int irq, const char *name)
{
	void *dev = irq_find_dev(irq, name);

	if (dev == NULL && name != NULL)
		printf("%s: irq %d has no action named '%s'\n", cmd, irq, name);
	else if (dev == NULL)
		printf("%s: irq %d has several actions or none: name one\n",
		    cmd, irq);
	return dev;
}

static bool
parse_mode(const char *cmd, const char *s, enum irq_mode *mode)
{
	for (enum irq_mode m = IRQ_MODE_HARD; m < IRQ_NMODES; m++) {
		if (strcmp(s, irq_mode_name(m)) == 0) {
			*mode = m;
			return true;
		}
	}
	bad(cmd, "unknown model '%s' (hard, thread, lazy, source)", s);
	return false;
}

/* Commands. */

static int
cmd_help(int argc, char **argv);

/*
 * Sleep up to ns in short steps; false if ^C came first.  A watching
 * command wakes this often to see ^C.
 */
#define WATCH_STEP_NS	(50 * NS_PER_MS)

static bool
pause_unless_interrupted(uint64_t ns)
{
	uint64_t end = nanouptime() + ns;

	while (!lwp_interrupted()) {
		uint64_t now = nanouptime();

		if (now >= end)
			return true;
		ksleep(MIN(end - now, (uint64_t)WATCH_STEP_NS));
	}
	return false;
}

/* Interrupts per second on each line that took any since the last look. */
static void
print_rates(uint64_t *last, uint64_t ns)
{
	printf("  IRQ     per second\n");
	for (int irq = 0; irq < NR_IRQS; irq++) {
		uint64_t now = irq_line_count(irq), delta = now - last[irq];

		if (delta != 0)
			printf("  %3d %14lu\n", irq,
			    delta * NS_PER_SEC / MAX(ns, (uint64_t)1));
		last[irq] = now;
	}
}

/* One screen of intr watch: rates since the last one (none the first time). */
static void
watch_screen(uint64_t secs, uint64_t *last, uint64_t since)
{
	uint64_t now = nanouptime();

	printf("\033[H\033[2J");	/* home, clear the screen */
	printf("intr watch: every %lu s (^C stops), uptime %lu.%03lu s\n",
	    secs, now / NS_PER_SEC, now % NS_PER_SEC / NS_PER_MS);
	if (since != 0)
		print_rates(last, now - since);
	irq_print_table();
}

/*
 * intr watch [SECONDS [COUNT]]: the interrupt table now and every SECONDS
 * (1), COUNT times in all (0: until ^C), each time on a cleared screen,
 * headed from the second on by each busy line's rate in the interval.
 */
static int
intr_watch(int argc, char **argv)
{
	uint64_t secs = 1, count = 0, *last, since = 0;

	if (argc > 4)
		return usage(find_command(argv[0]));
	if (argc >= 3 && (!parse_num(argv[2], 3600, &secs) || secs == 0))
		return bad(argv[0], "'%s' is not an interval (1-3600 s)",
		    argv[2]);
	if (argc == 4 && !parse_num(argv[3], UINT32_MAX, &count))
		return bad(argv[0], "'%s' is not a count", argv[3]);
	last = kmem_alloc(NR_IRQS * sizeof(*last), KM_SLEEP);
	for (uint64_t n = 1;; n++) {
		if (since == 0)
			for (int irq = 0; irq < NR_IRQS; irq++)
				last[irq] = irq_line_count(irq);
		watch_screen(secs, last, since);
		since = nanouptime();
		if (n == count || !pause_unless_interrupted(secs * NS_PER_SEC))
			break;
	}
	kmem_free(last, NR_IRQS * sizeof(*last));
	return 0;
}

/* intr hist [IRQ]: the latency histograms as HIST lines. */
static int
intr_hist(int argc, char **argv)
{
	int irq = -1, n;

	if (argc > 3)
		return usage(find_command(argv[0]));
	if (argc == 3 && !parse_irq(argv[0], argv[2], &irq))
		return -1;
	n = irq_print_hist(irq);
	if (n == -ENOENT)
		printf("%s: no IRQ %d\n", argv[0], irq);
	else if (n == 0)
		printf("%s: no latency samples yet\n", argv[0]);
	return n > 0 ? 0 : -1;
}

static int
cmd_intr(int argc, char **argv)
{
	if (argc == 1) {
		irq_print_table();
		return 0;
	}
	if (strcmp(argv[1], "watch") == 0)
		return intr_watch(argc, argv);
	if (strcmp(argv[1], "hist") == 0)
		return intr_hist(argc, argv);
	return bad(argv[0], "unknown subcommand '%s' (watch, hist)", argv[1]);
}

/* irqmode IRQ [NAME] MODE, irqprio IRQ [NAME] PRIO: the action's knob. */
static void *
irq_and_action(int argc, char **argv, int *irq)
{
	if (!parse_irq(argv[0], argv[1], irq))
		return NULL;
	return parse_action(argv[0], *irq, argc == 4 ? argv[2] : NULL);
}

static int
cmd_irqmode(int argc, char **argv)
{
	enum irq_mode mode;
	void *dev;
	int irq, error;

	if (argc != 3 && argc != 4)
		return usage(find_command(argv[0]));
	if (!parse_mode(argv[0], argv[argc - 1], &mode))
		return -1;
	if ((dev = irq_and_action(argc, argv, &irq)) == NULL)
		return -1;
	error = irq_set_mode(irq, dev, mode);
	if (error != 0)
		return refused(argv[0], irq, irq_mode_name(mode), error);
	printf("irq %d: %s\n", irq, irq_mode_name(mode));
	return 0;
}

static int
cmd_irqprio(int argc, char **argv)
{
	uint64_t prio;
	void *dev;
	int irq, error;

	if (argc != 3 && argc != 4)
		return usage(find_command(argv[0]));
	if (!parse_num(argv[argc - 1], NPRI - 1, &prio) || prio == 0)
		return bad(argv[0], "'%s' is not a priority (1-223)",
		    argv[argc - 1]);
	if ((dev = irq_and_action(argc, argv, &irq)) == NULL)
		return -1;
	error = irq_set_priority(irq, dev, (int)prio);
	if (error != 0)
		return refused(argv[0], irq, argv[argc - 1], error);
	return 0;
}

/* irqaff IRQ CPUS: CPUS is a comma list of CPU numbers. */
static bool
parse_cpus(const char *cmd, char *s, cpuset_t *set)
{
	cpuset_zero(set);
	for (char *p = s, *comma; p != NULL; p = comma) {
		uint64_t cpu;

		comma = strchr(p, ',');
		if (comma != NULL)
			*comma++ = '\0';
		if (!parse_num(p, ncpu - 1, &cpu)) {
			bad(cmd, "'%s' is not an online CPU", p);
			return false;
		}
		cpuset_add(set, (unsigned)cpu);
	}
	return true;
}

static int
cmd_irqaff(int argc, char **argv)
{
	cpuset_t set;
	int irq, error;

	if (argc != 3)
		return usage(find_command(argv[0]));
	if (!parse_irq(argv[0], argv[1], &irq) ||
	    !parse_cpus(argv[0], argv[2], &set))
		return -1;
	error = irq_set_affinity(irq, &set);
	if (error != 0)
		return refused(argv[0], irq, argv[2], error);
	return 0;
}

static int
cmd_faults(int argc, char **argv)
{
	irq_print_faults();
	return 0;
}

/* A snapshot of every LWP (lwp_snapshot); *n is set to the count. */
static struct lwp_info *
snapshot_lwps(size_t *n, size_t *size)
{
	struct lwp_info *li = NULL;
	size_t room = 0;

	for (;;) {
		size_t have = lwp_snapshot(li, room);

		if (have <= room) {
			*n = have;
			*size = room * sizeof(*li);
			return li;
		}
		if (li != NULL)
			kmem_free(li, room * sizeof(*li));
		room = have + 8;	/* and some to spare for new ones */
		li = kmem_alloc(room * sizeof(*li), KM_SLEEP);
	}
}

/* The LWP running on cpu, pinned interrupt threads over it included. */
static const struct lwp_info *
running_on(const struct lwp_info *li, size_t n, unsigned cpu)
{
	for (size_t i = 0; i < n; i++)
		if (li[i].li_state == LWP_INFO_ONPROC &&
		    li[i].li_pinned_by == 0 && li[i].li_cpu == (int)cpu)
			return &li[i];
	return NULL;
}

static int
cmd_cpus(int argc, char **argv)
{
	size_t n, size;
	struct lwp_info *li = snapshot_lwps(&n, &size);

	printf("%u CPU%s online\n", ncpu, ncpu == 1 ? "" : "s");
	for (unsigned cpu = 0; cpu < ncpu; cpu++) {
		const struct lwp_info *on = running_on(li, n, cpu);

		printf("  cpu%u: %s (lid %u)\n", cpu,
		    on != NULL ? on->li_name : "?", on != NULL ? on->li_lid : 0);
	}
	kmem_free(li, size);
	return 0;
}

/* ps: one line per LWP. */
static void
print_lwp(const struct lwp_info *li)
{
	char pin[16] = "-", pins[24] = "";
	uint64_t ms = li->li_runtime_ns / NS_PER_MS;

	if (li->li_pinned_by != 0)
		snprintf(pin, sizeof(pin), "%u", li->li_pinned_by);
	if (li->li_pinning != 0)
		snprintf(pins, sizeof(pins), " (pins %u)", li->li_pinning);
	printf("%5u %-23s %-6s %c%c%c %3d %3d %3d %-9s %-15s %8lu.%03lu %9lu%s\n",
	    li->li_lid, li->li_name, lwp_state_name(li->li_state),
	    (li->li_flags & LWP_INFO_INTR) ? 'i' : '-',
	    (li->li_flags & LWP_INFO_BOUND) ? 'b' : '-',
	    (li->li_flags & LWP_INFO_IDLE) ? 'z' : '-', li->li_pri,
	    li->li_base_pri, li->li_cpu, pin,
	    li->li_wmesg[0] != '\0' ? li->li_wmesg : "-", ms / 1000,
	    ms % 1000, li->li_switches, pins);
}

static int
cmd_ps(int argc, char **argv)
{
	size_t n, size;
	struct lwp_info *li;

	if (argc != 1)
		return usage(find_command(argv[0]));
	li = snapshot_lwps(&n, &size);
	printf("%5s %-23s %-6s %-3s %3s %3s %3s %-9s %-15s %12s %9s\n", "LID",
	    "NAME", "STATE", "FL", "PRI", "BAS", "CPU", "PINNED-BY", "WCHAN",
	    "TIME s", "SWITCHES");
	for (size_t i = 0; i < n; i++)
		print_lwp(&li[i]);
	printf("%zu LWPs; FL: i interrupt thread, b bound to its CPU, "
	    "z idle\n", n);
	kmem_free(li, size);
	return 0;
}

static int
cmd_mem(int argc, char **argv)
{
	struct kmem_stats ks;

	kmem_get_stats(&ks);
	printf("pages: %zu MiB free of %zu MiB\nheap: %zu bytes in use, "
	    "%zu allocations, %zu failures\n",
	    ks.ks_pages_free * PAGE_SIZE >> 20,
	    ks.ks_pages_total * PAGE_SIZE >> 20, ks.ks_heap_bytes,
	    ks.ks_heap_allocs, ks.ks_heap_failures);
	return 0;
}

static int
cmd_uptime(int argc, char **argv)
{
	uint64_t ms = nanouptime() / NS_PER_MS;
	const struct rtc_time *tm = rtc_boot_time();
	char when[RTC_FORMAT_LEN];

	printf("up %lu.%03lu s%s%s\n", ms / 1000, ms % 1000,
	    tm != NULL ? ", booted " : "",
	    tm != NULL ? rtc_format(tm, when, sizeof(when)) : "");
	return 0;
}

/* dmesg: the kernel log ring, oldest line first. */
static int
cmd_dmesg(int argc, char **argv)
{
	char buf[513];
	size_t off = 0, n;

	if (argc != 1)
		return usage(find_command(argv[0]));
	while ((n = log_read(buf, sizeof(buf), off)) != 0) {
		printf("%s", buf);
		off += n;
	}
	return 0;
}

static void
print_rtc(void)
{
	const struct rtc_time *tm = rtc_boot_time();
	char when[RTC_FORMAT_LEN];

	if (tm != NULL)
		printf("rtc: booted at %s\n", rtc_format(tm, when,
		    sizeof(when)));
	printf("rtc: periodic interrupt %s at %u Hz on irq %d, %lu ticks "
	    "since boot\n", rtc_periodic_on() ? "on" : "off", rtc_rate(),
	    rtc_irq(), rtc_ticks());
}

/*
 * rtc [rate HZ | start | stop]: the clock; `rtc rate HZ` sets the
 * periodic interrupt's rate and starts it.
 */
static int
cmd_rtc(int argc, char **argv)
{
	uint64_t hz;

	if (rtc_irq() < 0) {
		printf("rtc: no RTC interrupt on this machine\n");
		return -1;
	}
	if (argc == 3 && strcmp(argv[1], "rate") == 0) {
		if (!parse_num(argv[2], RTC_HZ_MAX, &hz) ||
		    rtc_set_rate((unsigned)hz) != 0)
			return bad(argv[0], "'%s' is not a rate (a power of two "
			    "from 2 to 8192 Hz)", argv[2]);
		rtc_periodic_start();
	} else if (argc == 2 && strcmp(argv[1], "start") == 0) {
		rtc_periodic_start();
	} else if (argc == 2 && strcmp(argv[1], "stop") == 0) {
		rtc_periodic_stop();
	} else if (argc != 1) {
		return usage(find_command(argv[0]));
	}
	print_rtc();
	return 0;
}

/* trace start|stop|clear|dump (docs/tracing.md). */
static int
cmd_trace(int argc, char **argv)
{
	if (argc == 1) {
		printf("trace: %s\n", trace_enabled() ? "on" : "off");
		return 0;
	}
	if (argc != 2)
		return usage(find_command(argv[0]));
	if (strcmp(argv[1], "start") == 0)
		trace_start();
	else if (strcmp(argv[1], "stop") == 0)
		trace_stop();
	else if (strcmp(argv[1], "clear") == 0)
		trace_clear();
	else if (strcmp(argv[1], "dump") == 0)
		trace_dump();
	else
		return bad(argv[0], "unknown subcommand '%s' (start, stop, "
		    "clear, dump)", argv[1]);
	printf("trace: %s\n", trace_enabled() ? "on" : "off");
	return 0;
}

static int
cmd_ktest(int argc, char **argv)
{
	if (argc > 2)
		return usage(find_command(argv[0]));
	return ktest_run(argc == 2 ? argv[1] : NULL) ? 0 : -1;
}

static int
cmd_bench(int argc, char **argv)
{
	if (argc != 2)
		return usage(find_command(argv[0]));
	return bench_run(argv[1]) ? 0 : -1;
}

/* demux IRQ [chained|nested]: a demultiplexer and how it dispatches. */
static int
cmd_demux(int argc, char **argv)
{
	struct irq_demux *dm;
	enum irq_demux_dispatch want;
	int irq, error;

	if (argc != 2 && argc != 3)
		return usage(find_command(argv[0]));
	if (!parse_irq(argv[0], argv[1], &irq))
		return -1;
	if ((dm = irq_demux_of(irq)) == NULL)
		return bad(argv[0], "irq %s is no demultiplexer's parent or "
		    "child", argv[1]);
	if (argc == 3) {
		if (strcmp(argv[2], "chained") == 0)
			want = IRQ_DEMUX_CHAINED;
		else if (strcmp(argv[2], "nested") == 0)
			want = IRQ_DEMUX_NESTED;
		else
			return bad(argv[0], "unknown dispatch '%s' (chained, "
			    "nested)", argv[2]);
		if ((error = irq_demux_set_dispatch(dm, want)) != 0)
			return refused(argv[0], irq, argv[2], error);
	}
	printf("demux %s on irq %d: %s, children", irq_demux_name(dm),
	    irq_demux_parent_irq(dm),
	    irq_demux_dispatch_name(irq_demux_get_dispatch(dm)));
	for (unsigned i = 0; i < irq_demux_nchildren(dm); i++)
		printf(" %d", irq_demux_child_irq(dm, i));
	printf("\n");
	return 0;
}

/*
 * The ttys that have a shell, the console's first.  Shells never end, so
 * the table only grows.
 */
#define SHELLS_MAX	8

static kmutex_t shells_lock;
static struct tty *shells[SHELLS_MAX];	/* shells_lock */
static size_t nshells;			/* shells_lock */

static void
shell_main(void *arg)
{
	shell_run(arg);
}

/* Claim tp for a new shell: 0, -EEXIST (it has one) or -ENOSPC. */
static int
claim_tty(struct tty *tp)
{
	int error = 0;

	mutex_enter(&shells_lock);
	for (size_t i = 0; i < nshells; i++)
		if (shells[i] == tp)
			error = -EEXIST;
	if (error == 0 && nshells == SHELLS_MAX)
		error = -ENOSPC;
	if (error == 0)
		shells[nshells++] = tp;
	mutex_exit(&shells_lock);
	return error;
}

/* shell PORT: another shell, on serial port PORT. */
static int
cmd_shell(int argc, char **argv)
{
	char name[LWP_NAME_MAX];
	struct com *sc;
	struct tty *tp;
	int error;

	if (argc != 2)
		return usage(find_command(argv[0]));
	if ((sc = com_find(argv[1])) == NULL)
		return bad(argv[0], "no serial port named '%s'", argv[1]);
	tp = com_tty(sc);
	if ((error = claim_tty(tp)) != 0)
		return bad(argv[0], error == -ENOSPC ? "no room for a shell "
		    "on '%s'" : "'%s' has a shell already", argv[1]);
	snprintf(name, sizeof(name), "shell/%s", argv[1]);
	error = lwp_create(shell_main, tp, PRI_KERNEL, NULL, 0, name, NULL);
	if (error != 0) {
		printf("%s: cannot start a thread: error %d\n", argv[0], error);
		return -1;
	}
	printf("shell: started on %s\n", argv[1]);
	return 0;
}

static int
cmd_reboot(int argc, char **argv)
{
	printf("rebooting\n");
	tty_drain(lwp_controlling_terminal());
	cpu_reboot();
}

static int
cmd_poweroff(int argc, char **argv)
{
	printf("powering off\n");
	tty_drain(lwp_controlling_terminal());	/* cpu_poweroff flushes the
						   console only */
	cpu_poweroff(POWEROFF_OK);
}

static const struct command commands[] = {
	{ "help", "", "list the commands", cmd_help },
	{ "intr", "[watch [SECS [N]]|hist [IRQ]]", "the interrupt table; "
	    "watch: refresh it with rates until ^C; hist: latency histograms",
	    cmd_intr },
	{ "irqmode", "IRQ [NAME] MODE", "run an action's thread function "
	    "under hard, thread, lazy or source", cmd_irqmode },
	{ "irqprio", "IRQ [NAME] PRIO", "an action's priority (1-223)",
	    cmd_irqprio },
	{ "irqaff", "IRQ CPU[,CPU...]", "route a line to these CPUs",
	    cmd_irqaff },
	{ "ps", "", "the LWPs: state, priority, CPU, pinned-by, wait channel",
	    cmd_ps },
	{ "cpus", "", "the CPUs and what each runs", cmd_cpus },
	{ "mem", "", "memory in use", cmd_mem },
	{ "faults", "", "the kept handler fault reports", cmd_faults },
	{ "rtc", "[rate HZ|start|stop]", "the clock; rate: run its periodic "
	    "interrupt at HZ", cmd_rtc },
	{ "ktest", "[SUITE,...]", "run in-kernel test suites", cmd_ktest },
	{ "bench", "NAME", "run a benchmark set (base, irq, trace, rtc)",
	    cmd_bench },
	{ "trace", "[start|stop|clear|dump]", "interrupt tracing "
	    "(docs/tracing.md)", cmd_trace },
	{ "demux", "IRQ [chained|nested]", "a demultiplexer: its children "
	    "and how it dispatches them", cmd_demux },
	{ "shell", "PORT", "start a shell on a serial port (com1...)",
	    cmd_shell },
	{ "uptime", "", "time since boot", cmd_uptime },
	{ "dmesg", "", "the kernel log", cmd_dmesg },
	{ "reboot", "", "restart the machine", cmd_reboot },
	{ "poweroff", "", "turn the machine off", cmd_poweroff },
};

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < nitems(commands); i++)
		if (strcmp(commands[i].c_name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
usage(const struct command *c)
{
	printf("usage: %s %s\n", c->c_name, c->c_args);
	return -1;
}

static int
cmd_help(int argc, char **argv)
{
	for (size_t i = 0; i < nitems(commands); i++) {
		char left[32];

		snprintf(left, sizeof(left), "%s %s", commands[i].c_name,
		    commands[i].c_args);
		printf("  %-28s %s\n", left, commands[i].c_help);
	}
	printf("^C stops a running command.\n");
	return 0;
}

/* Split line into words at spaces; returns the count. */
static int
split(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p != '\0' && argc < ARGV_MAX;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

static void
run_line(struct tty *tp, char *line)
{
	char *argv[ARGV_MAX];
	int argc = split(line, argv);
	const struct command *c;

	if (argc == 0)
		return;
	c = find_command(argv[0]);
	if (c == NULL) {
		printf("%s: unknown command (help lists them)\n", argv[0]);
		return;
	}
	(void)c->c_fn(argc, argv);
	if (lwp_interrupted()) {
		printf("%s: interrupted\n", argv[0]);
		tty_clear_interrupt(tp);
	}
}

void
shell_init(struct tty *console)
{
	mutex_init(&shells_lock, MUTEX_DEFAULT, IPL_NONE);
	shells[nshells++] = console;
}

void
shell_run(struct tty *tp)
{
	char *line = kmem_alloc(LINE_MAX, KM_SLEEP);

	lwp_set_terminal(tp);
	printf("Pinwheel shell on %s; help lists the commands.\n",
	    tty_name(tp));
	for (;;) {
		int n;

		tty_write(tp, "pinwheel> ", 10);
		n = tty_read_line(tp, line, LINE_MAX);
		if (n > 0)
			run_line(tp, line);
	}
}
