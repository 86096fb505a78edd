/*
 * options.c: the kernel command line.
 *
 * Declarations.  Each subsystem declares its options with the OPTION_*
 * macros of options.h, which place a struct option in the linker section
 * "options".  The linker brackets that section with __start_options and
 * __stop_options, so the declarations form one array and no central table
 * exists.  Options are looked up by a linear scan: there are few, and the
 * command line is parsed once.
 *
 * Parsing.  The command line is a list of words separated by white space.
 * A word is key=value, or a bare key, which only a BOOL option accepts
 * (meaning true).  Values are checked against the option's kind:
 *	U64	strtou64() (decimal, or hex with 0x) within [o_min, o_max]
 *	BOOL	0/1, yes/no, on/off, true/false
 *	STRING	at most o_max - 1 characters; a longer value is refused
 *		rather than cut, since a cut name or path would name
 *		something else
 *	CHOICE	one of o_choices; the variable gets its index
 * A refused word (unknown key, bad value, word too long) is reported with
 * printf(), since the log may not be set up yet, in a message that starts
 * "options: " and says what was expected; the variable keeps its default.
 * When a key appears twice, the last good value wins.
 *
 * A copy of the command line is kept for options_cmdline(); parsing reads
 * the caller's string, so a line too long for the copy is still applied.
 *
 * Locking: none.  options_parse() runs once on the boot CPU before any
 * other CPU starts and before any subsystem reads its variables; after it
 * returns, the variables and the copy are only read.
 */

#include <options.h>
#include <printf.h>
#include <string.h>

#define OPTIONS_CMDLINE_MAX	1024	/* kept for options_cmdline() */
#define OPTIONS_WORD_MAX	256	/* longest word, NUL included */
#define OPTIONS_MSG_MAX		256	/* one part of a message */

extern const struct option __start_options[], __stop_options[];

static char options_copy[OPTIONS_CMDLINE_MAX];

static const struct {
	const char	*bw_word;
	bool		bw_value;
} bool_words[] = {
	{ "0", false }, { "1", true }, { "no", false }, { "yes", true },
	{ "off", false }, { "on", true }, { "false", false }, { "true", true },
};

static const struct option *
option_find(const char *key)
{
	const struct option *o;

	for (o = __start_options; o < __stop_options; o++) {
		if (strcmp(o->o_name, key) == 0)
			return o;
	}
	return NULL;
}

/* expected_choices: "one of: a, b, c" into buf. */
static void
expected_choices(const struct option *o, char *buf, size_t size)
{
	const char *const *w;
	size_t len;

	len = strlcpy(buf, "one of: ", size);
	for (w = o->o_choices; *w != NULL && len < size; w++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    w == o->o_choices ? "" : ", ", *w);
	}
}

/* expected_value: what a value of o must look like, in words. */
static void
expected_value(const struct option *o, char *buf, size_t size)
{
	switch (o->o_kind) {
	case OPTION_KIND_U64:
		snprintf(buf, size, "a number in [%llu, %llu]",
		    (unsigned long long)o->o_min, (unsigned long long)o->o_max);
		break;
	case OPTION_KIND_BOOL:
		strlcpy(buf, "0/1/yes/no/on/off/true/false", size);
		break;
	case OPTION_KIND_STRING:
		snprintf(buf, size, "at most %llu characters",
		    (unsigned long long)(o->o_max > 0 ? o->o_max - 1 : 0));
		break;
	case OPTION_KIND_CHOICE:
		expected_choices(o, buf, size);
		break;
	}
}

/* current_value: o's variable, as it would be written on the command line. */
static void
current_value(const struct option *o, char *buf, size_t size)
{
	unsigned i;

	switch (o->o_kind) {
	case OPTION_KIND_U64:
		snprintf(buf, size, "%llu",
		    (unsigned long long)*(const uint64_t *)o->o_var);
		break;
	case OPTION_KIND_BOOL:
		strlcpy(buf, *(const bool *)o->o_var ? "true" : "false", size);
		break;
	case OPTION_KIND_STRING:
		snprintf(buf, size, "'%s'", (const char *)o->o_var);
		break;
	case OPTION_KIND_CHOICE:
		i = *(const unsigned *)o->o_var;
		snprintf(buf, size, "%s", o->o_choices[i]);
		break;
	}
}

/* option_refuse: report a word refused for o, then what was expected. */
static void
option_refuse(const struct option *o, const char *what)
{
	char expected[OPTIONS_MSG_MAX], current[OPTIONS_MSG_MAX];

	expected_value(o, expected, sizeof(expected));
	current_value(o, current, sizeof(current));
	printf("options: %s: expected %s (keeping the default %s)\n", what,
	    expected, current);
}

static bool
set_u64(const struct option *o, const char *value)
{
	uint64_t v;

	if (strtou64(value, &v) != 0 || v < o->o_min || v > o->o_max)
		return false;
	*(uint64_t *)o->o_var = v;
	return true;
}

static bool
set_bool(const struct option *o, const char *value)
{
	size_t i;

	for (i = 0; i < nitems(bool_words); i++) {
		if (strcmp(value, bool_words[i].bw_word) == 0) {
			*(bool *)o->o_var = bool_words[i].bw_value;
			return true;
		}
	}
	return false;
}

static bool
set_string(const struct option *o, const char *value)
{
	if (strlen(value) >= o->o_max)
		return false;
	strlcpy(o->o_var, value, o->o_max);
	return true;
}

static bool
set_choice(const struct option *o, const char *value)
{
	unsigned i;

	for (i = 0; o->o_choices[i] != NULL; i++) {
		if (strcmp(value, o->o_choices[i]) == 0) {
			*(unsigned *)o->o_var = i;
			return true;
		}
	}
	return false;
}

/* option_set: store value in o's variable; false if it is not valid. */
static bool
option_set(const struct option *o, const char *value)
{
	switch (o->o_kind) {
	case OPTION_KIND_U64: return set_u64(o, value);
	case OPTION_KIND_BOOL: return set_bool(o, value);
	case OPTION_KIND_STRING: return set_string(o, value);
	case OPTION_KIND_CHOICE: return set_choice(o, value);
	}
	return false;
}

/*
 * apply_word: apply one word, split in place at its '='.  Returns false,
 * after reporting why, if it was refused.
 */
static bool
apply_word(char *word)
{
	char what[OPTIONS_MSG_MAX];
	const struct option *o;
	char *eq = strchr(word, '=');
	const char *value = NULL;

	if (eq != NULL) {
		*eq = '\0';
		value = eq + 1;
	}
	o = option_find(word);
	if (o == NULL) {
		printf("options: unknown option '%s' (ignored)\n", word);
		return false;
	}
	if (value == NULL && o->o_kind == OPTION_KIND_BOOL)
		value = "1";
	if (value == NULL) {
		snprintf(what, sizeof(what), "option '%s' needs a value", word);
		option_refuse(o, what);
		return false;
	}
	if (!option_set(o, value)) {
		snprintf(what, sizeof(what), "bad value '%s' for '%s'", value,
		    word);
		option_refuse(o, what);
		return false;
	}
	return true;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * next_word: copy the word at *pp into word[OPTIONS_WORD_MAX] and move *pp
 * past it.  Returns the word's full length (0 at the end of the line),
 * which is OPTIONS_WORD_MAX or more when it did not fit.
 */
static size_t
next_word(const char **pp, char *word)
{
	const char *p = *pp, *start;
	size_t len;

	while (is_space(*p))
		p++;
	for (start = p; *p != '\0' && !is_space(*p); p++)
		continue;
	len = (size_t)(p - start);
	memcpy(word, start, MIN(len, (size_t)OPTIONS_WORD_MAX - 1));
	word[MIN(len, (size_t)OPTIONS_WORD_MAX - 1)] = '\0';
	*pp = p;
	return len;
}

static void
keep_copy(const char *cmdline)
{
	size_t len = strlcpy(options_copy, cmdline, sizeof(options_copy));

	if (len >= sizeof(options_copy))
		printf("options: command line is %zu bytes; options_cmdline() "
		    "keeps the first %zu\n", len, sizeof(options_copy) - 1);
}

int
options_parse(const char *cmdline)
{
	char word[OPTIONS_WORD_MAX];
	const char *p;
	size_t len;
	int refused = 0;

	if (cmdline == NULL)
		cmdline = "";
	keep_copy(cmdline);
	for (p = cmdline; (len = next_word(&p, word)) > 0;) {
		if (len >= sizeof(word)) {
			printf("options: word '%.32s...' is longer than %zu "
			    "characters (ignored)\n", word, sizeof(word) - 1);
			refused++;
		} else if (!apply_word(word)) {
			refused++;
		}
	}
	return refused;
}

const char *
options_cmdline(void)
{
	return options_copy;
}
