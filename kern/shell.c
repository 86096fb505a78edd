/*
 * shell.c: the command shell on the console (the default when the boot
 * command line has no run=).
 *
 * Design.  One kernel thread reads lines from the console's tty (the
 * canonical line discipline edits them: kern/tty.c), splits each into
 * words at spaces and runs the command named by the first.  Commands
 * print with printf, which goes through the same transmit ring as the
 * tty's echo, so output and echo keep their order.  A command that runs
 * long polls shell_interrupted() (^C typed since it started) and stops;
 * ^C at the prompt discards the line.  Errors name the bad argument and
 * change nothing.  Input piped into tools/boot is read the same way, line
 * by line, and `poweroff` ends the run with status 0.
 *
 * Locking: none of its own; the shell is one thread.
 */
#include <com.h>
#include <cpu.h>
#include <irq.h>
#include <kmem.h>
#include <log.h>
#include <printf.h>
#include <reboot.h>
#include <string.h>
#include <time.h>
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

static struct tty *shell_tty;

bool
shell_interrupted(void)
{
	return shell_tty != NULL && tty_interrupted(shell_tty);
}

/* Arguments. */

static int
usage(const struct command *c);

static const struct command *find_command(const char *name);

static int
bad(const char *cmd, const char *fmt, const char *arg)
{
	printf("%s: ", cmd);
	printf(fmt, arg);
	printf("\n");
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

/* intr: the table; intr hist [IRQ]: the latency histograms as HIST lines. */
static int
cmd_intr(int argc, char **argv)
{
	int irq = -1, n;

	if (argc == 1) {
		irq_print_table();
		return 0;
	}
	if (argc > 3 || strcmp(argv[1], "hist") != 0)
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

static int
cmd_cpus(int argc, char **argv)
{
	printf("%u CPU%s online\n", ncpu, ncpu == 1 ? "" : "s");
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

	printf("up %lu.%03lu s\n", ms / 1000, ms % 1000);
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

static int
cmd_poweroff(int argc, char **argv)
{
	printf("powering off\n");
	cpu_poweroff(POWEROFF_OK);
}

static const struct command commands[] = {
	{ "help", "", "list the commands", cmd_help },
	{ "intr", "[hist [IRQ]]", "the interrupt table; hist: its latency "
	    "histograms, machine-readable", cmd_intr },
	{ "irqmode", "IRQ [NAME] MODE", "run an action's thread function "
	    "under hard, thread, lazy or source", cmd_irqmode },
	{ "irqprio", "IRQ [NAME] PRIO", "an action's priority (1-223)",
	    cmd_irqprio },
	{ "irqaff", "IRQ CPU[,CPU...]", "route a line to these CPUs",
	    cmd_irqaff },
	{ "faults", "", "the kept handler fault reports", cmd_faults },
	{ "cpus", "", "the CPUs", cmd_cpus },
	{ "mem", "", "memory in use", cmd_mem },
	{ "uptime", "", "time since boot", cmd_uptime },
	{ "ktest", "[SUITE,...]", "run in-kernel test suites", cmd_ktest },
	{ "bench", "NAME", "run a benchmark set (base, irq)", cmd_bench },
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
run_line(char *line)
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
	tty_clear_interrupt(shell_tty);
	(void)c->c_fn(argc, argv);
	if (shell_interrupted())
		printf("%s: interrupted\n", argv[0]);
}

void
shell_run(struct tty *tp)
{
	char *line = kmem_alloc(LINE_MAX, KM_SLEEP);

	shell_tty = tp;
	printf("Pinwheel shell on %s; help lists the commands.\n",
	    tty_name(tp));
	for (;;) {
		int n;

		tty_write(tp, "pinwheel> ", 10);
		n = tty_read_line(tp, line, LINE_MAX);
		if (n > 0)
			run_line(line);
	}
}
