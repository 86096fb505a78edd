/*
 * options.h: kernel command line options.
 *
 * The command line is a list of key=value words separated by spaces.  Each
 * subsystem declares the options it reads, next to the variable they set,
 * with one of the OPTION_* macros below; the declarations are collected in
 * the linker section "options" so no central table needs editing.
 *
 * options_parse() runs once, early at boot on the boot CPU, before any
 * subsystem reads its variable.  An unknown key or a bad value (not a
 * number, out of range, not one of the allowed words) prints a message that
 * names the word, says what was expected, and leaves the default in place:
 * the kernel carries on.
 */
#ifndef PINWHEEL_OPTIONS_H
#define PINWHEEL_OPTIONS_H

#include <types.h>

enum option_kind {
	OPTION_KIND_U64,	/* unsigned number within [min, max] */
	OPTION_KIND_BOOL,	/* 0/1/yes/no/on/off/true/false */
	OPTION_KIND_STRING,	/* any word; copied into a buffer */
	OPTION_KIND_CHOICE,	/* one of a list of words; stores its index */
};

struct option {
	const char *o_name;
	enum option_kind o_kind;
	void *o_var;		/* uint64_t, bool, char[o_max] or unsigned */
	uint64_t o_min, o_max;	/* U64 range; STRING buffer size */
	const char *const *o_choices;	/* CHOICE: NULL-terminated words */
	const char *o_help;
};

#define OPTION_DECLARE(id, ...)						\
	static const struct option option_##id				\
	    __section("options") __used __aligned(8) = { __VA_ARGS__ }

/* OPTION_U64(name, var, min, max, help): var is a uint64_t. */
#define OPTION_U64(name, var, min, max, help)				\
	OPTION_DECLARE(var, name, OPTION_KIND_U64, &(var), min, max, NULL, help)
/* OPTION_BOOL(name, var, help): var is a bool. */
#define OPTION_BOOL(name, var, help)					\
	OPTION_DECLARE(var, name, OPTION_KIND_BOOL, &(var), 0, 1, NULL, help)
/* OPTION_STRING(name, buf, help): buf is a char array. */
#define OPTION_STRING(name, buf, help)					\
	OPTION_DECLARE(buf, name, OPTION_KIND_STRING, (buf), 0, sizeof(buf), \
	    NULL, help)
/* OPTION_CHOICE(name, var, words, help): var is an unsigned index. */
#define OPTION_CHOICE(name, var, words, help)				\
	OPTION_DECLARE(var, name, OPTION_KIND_CHOICE, &(var), 0, 0, words, help)

/*
 * options_parse: apply a command line.  Returns the number of words that
 * were refused (each already reported).  Context: boot, single CPU.
 */
int options_parse(const char *cmdline);

/* options_cmdline: the command line as given to options_parse(). */
const char *options_cmdline(void);

#endif
