#!/usr/bin/env python3
# tools/ktap.py: parse the Pinwheel kernel's console output (KTAP version 1,
# one level of subtests: one per suite, one leaf line per test case) into
# per-case results and counts, check them against the kernel's own closing
# line `N passed, N failed`, and spot panics.  Used by tools/check; run as
# `tools/ktap.py FILE` (or `-` for stdin) it prints a summary and exits 0
# when the log is a clean, consistent, all-passed run, else 1.
"""Parser for the Pinwheel kernel's KTAP console output.

The format (see include/ktest.h)::

    KTAP version 1
    1..2
        KTAP version 1
        # Subtest: mutex
        1..3
        ok 1 adaptive_counts_exactly
        not ok 2 spin_counts_exactly
        # tests/test_mutex.c:40: count == N: 3 (0x3) vs 4 (0x4)
        ok 3 pi_boosts_holder # SKIP needs 2 CPUs
    ok 1 mutex
    ...
    12 passed, 1 failed

Rules:
  * Leaf cases are the indented (any indentation > 0) `ok`/`not ok` lines;
    the unindented ones are the suites' results.
  * `# SKIP` after the name marks a case skipped (neither passed nor failed).
  * An indented `#` line (other than `# Subtest:`) is a diagnostic.  One
    that follows a `not ok` case (before the next result line) belongs to
    that case; any other belongs to the next case of the suite (the case's
    output printed while it ran), or to the suite if no case follows.  So
    both orders work: a failure's diagnostics after its `not ok` line, or
    any case's diagnostics before its result line.
  * Any other line (kernel log lines and so on) is ignored wherever it is.
  * The kernel's closing line is the last `N passed, N failed` line.
  * A line containing `panic: ` is a panic.

parse() returns a Result; Result.problems lists everything inconsistent:
no closing line, claimed counts that differ from the leaf lines, a plan
(`1..N`) that differs from the number of results, a suite result that
contradicts its cases.
"""

import re
import sys

PASS, FAIL, SKIP = "pass", "fail", "skip"

_TIMESTAMP = r"(?:\[[^\]]*\]\s*)?"
_RESULT_RE = re.compile(
    r"^(?P<indent>\s*)(?P<ok>ok|not ok)\s+(?P<num>\d+)(?:\s+-)?"
    r"(?:\s+(?P<rest>.*?))?\s*$")
_DIRECTIVE_RE = re.compile(r"^(?P<name>.*?)\s*(?<!\\)#\s*(?P<dir>\w+)\b\s*"
                           r"(?P<reason>.*)$")
_PLAN_RE = re.compile(r"^(?P<indent>\s*)1\.\.(?P<n>\d+)\s*(?:#.*)?$")
_SUBTEST_RE = re.compile(r"^\s*#\s*Subtest:\s*(?P<name>.*?)\s*$")
_DIAG_RE = re.compile(r"^(?P<indent>\s*)#\s?(?P<text>.*?)\s*$")
_VERSION_RE = re.compile(r"^\s*K?TAP version \d+\s*$")
_CLOSING_RE = re.compile(r"^\s*" + _TIMESTAMP +
                         r"(?P<passed>\d+) passed, (?P<failed>\d+) failed\b")
_PANIC_RE = re.compile(r"(?<![\w-])panic: ")


class Case:
    """One leaf test case."""

    def __init__(self, suite, number, name, status, reason=""):
        self.suite = suite
        self.number = number
        self.name = name
        self.status = status            # PASS, FAIL or SKIP
        self.reason = reason            # the SKIP reason, if any
        self.diagnostics = []           # `#` lines after the result line

    @property
    def full_name(self):
        return "%s.%s" % (self.suite, self.name) if self.suite else self.name

    def __repr__(self):
        return "Case(%r, %r, %r)" % (self.suite, self.name, self.status)


class Suite:
    """One subtest (suite): its cases, plan and own result line."""

    def __init__(self, name):
        self.name = name
        self.plan = None                # N from `1..N`, if seen
        self.cases = []
        self.status = None              # PASS/FAIL/SKIP from the top level
        self.diagnostics = []           # `#` lines before the first case


class Result:
    """What parse() found in a console log."""

    def __init__(self):
        self.version_seen = False
        self.plan = None                # top-level `1..N`
        self.suites = []
        self.claimed = None             # (passed, failed) from closing line
        self.panics = []                # lines with `panic: `
        self.problems = []              # inconsistencies, as sentences

    @property
    def cases(self):
        return [c for s in self.suites for c in s.cases]

    def _count(self, status):
        return sum(1 for c in self.cases if c.status == status)

    @property
    def passed(self):
        return self._count(PASS)

    @property
    def failed(self):
        return self._count(FAIL)

    @property
    def skipped(self):
        return self._count(SKIP)

    @property
    def failures(self):
        return [c for c in self.cases if c.status == FAIL]

    @property
    def clean(self):
        """True for a complete, consistent run with no failure or panic."""
        return (not self.problems and not self.panics and self.failed == 0
                and self.claimed is not None)

    def summary(self):
        s = "%d passed, %d failed, %d skipped" % (
            self.passed, self.failed, self.skipped)
        if self.claimed is not None:
            s += " (kernel says %d passed, %d failed)" % self.claimed
        return s


def _split_directive(rest):
    """(name, status-override or None, reason) from the text after the
    number of a result line."""
    rest = rest or ""
    m = _DIRECTIVE_RE.match(rest)
    if not m:
        return rest, None, ""
    if m.group("dir").upper() == "SKIP":
        return m.group("name"), SKIP, m.group("reason")
    return m.group("name"), None, ""


def parse(text):
    """Parse console output (str or bytes); return a Result."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    r = Result()
    suite = None            # Suite being filled by leaf lines
    pending_name = None     # from `# Subtest:` before the suite has cases
    last_case = None
    pending_diags = []      # diagnostics waiting for the next case

    def current_suite():
        nonlocal suite, pending_name
        if suite is None:
            suite = Suite(pending_name)
            pending_name = None
            r.suites.append(suite)
        return suite

    for raw in text.splitlines():
        line = raw.replace("\r", "").expandtabs(8)
        if _PANIC_RE.search(line):
            r.panics.append(line.strip())
        m = _CLOSING_RE.match(line)
        if m:
            r.claimed = (int(m.group("passed")), int(m.group("failed")))
            continue
        if _VERSION_RE.match(line):
            r.version_seen = True
            continue
        m = _SUBTEST_RE.match(line)
        if m:
            if suite is not None and suite.cases:
                # A new subtest without the previous one's result line.
                suite.diagnostics += pending_diags
                pending_diags = []
                suite = None
            if suite is None:
                pending_name = m.group("name")
            else:
                suite.name = m.group("name")
            last_case = None
            continue
        m = _PLAN_RE.match(line)
        if m:
            if m.group("indent"):
                current_suite().plan = int(m.group("n"))
            else:
                r.plan = int(m.group("n"))
            continue
        m = _RESULT_RE.match(line)
        if m:
            name, override, reason = _split_directive(m.group("rest"))
            status = PASS if m.group("ok") == "ok" else FAIL
            if override:
                status = override
            if m.group("indent"):
                s = current_suite()
                last_case = Case(s.name, int(m.group("num")), name, status,
                                 reason)
                last_case.diagnostics += pending_diags
                pending_diags = []
                s.cases.append(last_case)
            else:
                # A suite's result: it closes the suite being filled.
                s = suite
                if s is None or (s.name is not None and s.name != name):
                    s = Suite(name)
                    r.suites.append(s)
                if s.name is None:
                    s.name = name
                    for c in s.cases:
                        c.suite = name
                s.status = status
                s.diagnostics += pending_diags
                pending_diags = []
                suite = None
                pending_name = None
                last_case = None
            continue
        m = _DIAG_RE.match(line)
        if m and m.group("indent"):
            current_suite()
            if last_case is not None and last_case.status == FAIL:
                last_case.diagnostics.append(m.group("text"))
            else:
                pending_diags.append(m.group("text"))
            continue
        # Anything else: a kernel log line or other noise.

    if pending_diags:
        current_suite().diagnostics += pending_diags
    _check(r)
    return r


def _check(r):
    """Fill r.problems with what does not add up."""
    p = r.problems
    if r.claimed is None:
        p.append("no closing 'N passed, N failed' line "
                 "(the run did not finish)")
    elif r.claimed != (r.passed, r.failed):
        p.append("kernel says %d passed, %d failed but its result lines say "
                 "%d passed, %d failed" % (r.claimed + (r.passed, r.failed)))
    if r.plan is not None and r.plan != len(r.suites):
        p.append("planned %d suites, found %d" % (r.plan, len(r.suites)))
    for s in r.suites:
        label = s.name or "(unnamed suite)"
        if s.plan is not None and s.plan != len(s.cases):
            p.append("suite %s planned %d cases, found %d"
                     % (label, s.plan, len(s.cases)))
        if s.status is None:
            p.append("suite %s has no result line" % label)
            continue
        failed = any(c.status == FAIL for c in s.cases)
        if failed and s.status != FAIL:
            p.append("suite %s says ok but has failed cases" % label)
        if not failed and s.status == FAIL:
            p.append("suite %s says not ok but none of its cases failed"
                     % label)


def parse_file(path):
    if path == "-":
        return parse(sys.stdin.buffer.read())
    with open(path, "rb") as f:
        return parse(f.read())


def report(r, out=sys.stdout, indent=""):
    """Print failures, panics and problems of a Result."""
    for c in r.failures:
        out.write("%snot ok %s\n" % (indent, c.full_name))
        for d in c.diagnostics:
            out.write("%s    # %s\n" % (indent, d))
    for line in r.panics:
        out.write("%s%s\n" % (indent, line))
    for prob in r.problems:
        out.write("%sproblem: %s\n" % (indent, prob))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        sys.stderr.write("usage: tools/ktap.py FILE|-\n")
        return 2
    try:
        r = parse_file(argv[0])
    except OSError as e:
        sys.stderr.write("tools/ktap.py: %s: %s\n" % (argv[0], e.strerror))
        return 2
    for s in r.suites:
        n = {st: sum(1 for c in s.cases if c.status == st)
             for st in (PASS, FAIL, SKIP)}
        print("%-4s %s: %d passed, %d failed, %d skipped" % (
            "FAIL" if n[FAIL] or s.status == FAIL else "ok",
            s.name or "(unnamed suite)", n[PASS], n[FAIL], n[SKIP]))
    report(r)
    print(r.summary())
    return 0 if r.clean else 1


if __name__ == "__main__":
    sys.exit(main())
