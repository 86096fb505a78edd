#!/usr/bin/env python3
"""Host unit tests for the kernel library: printf, string, options, cons, log.

Builds tests/host/libkern_harness.c with kern/printf.c, string.c, options.c,
cons.c and log.c for the host and runs one harness group per test method,
each in a fresh process (the panic group leaves the console in panic mode).

The kernel files are compiled as in the kernel (freestanding, no libc
headers, the kernel's warnings) but with their libc-named functions renamed
(memcpy -> kern_memcpy, ...), so the harness can compare them with the host
libc; tests/host/libkern_stubs stands in for the machine headers.  string.c
is also built a second time without __x86_64__, to test its portable C
fallback.  Undefined behaviour is trapped with -fsanitize=undefined when the
compiler supports it.

Run: python3 tests/host/test_libkern.py [-v]   (CC selects the compiler)
"""

import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = os.path.join(ROOT, "tests", "host")
CC = os.environ.get("CC", "cc")

KERN_SOURCES = ["kern/printf.c", "kern/string.c", "kern/options.c",
                "kern/cons.c", "kern/log.c"]
RENAMED = ["memcpy", "memmove", "memset", "memcmp", "strlen", "strnlen",
           "strcmp", "strncmp", "strchr", "strlcpy", "snprintf", "vsnprintf"]
WARN = ["-Wall", "-Wextra", "-Werror", "-Wstrict-prototypes",
        "-Wmissing-prototypes", "-Wno-unused-parameter", "-Wshadow",
        "-Wpointer-arith"]
GROUP_TIMEOUT = 60


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)


def compiler_include():
    return run([CC, "-print-file-name=include"], check=True).stdout.strip()


def sanitizer_flags(tmp):
    """-fsanitize=undefined if CC can build and link with it, else none."""
    src = os.path.join(tmp, "probe.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    flags = ["-fsanitize=undefined", "-fno-sanitize-recover=all"]
    probe = run([CC] + flags + ["-o", os.path.join(tmp, "probe"), src])
    return flags if probe.returncode == 0 else []


class Build:
    """Compiles the harness once; .binaries maps a variant to its path."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="libkern.")
        self.san = sanitizer_flags(self.tmp)
        self.kflags = (["-std=gnu11", "-ffreestanding", "-nostdinc",
                        "-isystem", compiler_include(), "-O2", "-g",
                        "-fno-strict-aliasing", "-DHOST_TEST",
                        "-Itests/host/libkern_stubs", "-Iinclude",
                        "-Iarch/x86_64/include"]
                       + WARN + self.san
                       + ["-D%s=kern_%s" % (f, f) for f in RENAMED])
        self.binaries = {}

    def compile(self, src, out, flags):
        obj = os.path.join(self.tmp, out)
        res = run([CC] + flags + ["-c", "-o", obj, src])
        if res.returncode != 0:
            raise RuntimeError("compiling %s failed:\n%s" % (src, res.stderr))
        return obj

    def link(self, name, objs):
        exe = os.path.join(self.tmp, name)
        res = run([CC, "-pthread"] + self.san + ["-o", exe] + objs)
        if res.returncode != 0:
            raise RuntimeError("linking %s failed:\n%s" % (name, res.stderr))
        self.binaries[name] = exe

    def build(self):
        common = [self.compile(src, os.path.basename(src) + ".o",
                               self.kflags)
                  for src in KERN_SOURCES if src != "kern/string.c"]
        common.append(self.compile("tests/host/libkern_harness.c",
                                   "harness.o", self.kflags))
        common.append(self.compile("tests/host/libkern_ref.c", "ref.o",
                                   ["-std=gnu11", "-O2", "-g", "-pthread"]
                                   + WARN + self.san))
        string_x86 = self.compile("kern/string.c", "string.o", self.kflags)
        string_c = self.compile("kern/string.c", "string_portable.o",
                                self.kflags + ["-U__x86_64__"])
        self.link("harness", common + [string_x86])
        self.link("harness_portable", common + [string_c])

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class LibkernTest(unittest.TestCase):
    build = None
    build_error = None

    @classmethod
    def setUpClass(cls):
        cls.build = Build()
        try:
            cls.build.build()
        except RuntimeError as e:
            cls.build_error = str(e)

    @classmethod
    def tearDownClass(cls):
        cls.build.cleanup()

    def group(self, name, variant="harness"):
        if self.build_error:
            self.fail(self.build_error)
        try:
            res = subprocess.run([self.build.binaries[variant], name],
                                 capture_output=True, text=True,
                                 timeout=GROUP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("group %s hung for %ds (a console deadlock?)"
                      % (name, GROUP_TIMEOUT))
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 0,
                         "group %s failed:\n%s" % (name, out))
        self.assertIn("%s: " % name, out)
        self.assertIn(", 0 failed", out)

    def test_printf_conversions_match_libc(self):
        self.group("format")

    def test_printf_conversions_match_libc_with_portable_string(self):
        self.group("format", "harness_portable")

    def test_snprintf_truncation_and_return_value(self):
        self.group("truncation")

    def test_printf_pointer_null_and_unknown_conversions(self):
        self.group("extensions")

    def test_string_functions_match_libc(self):
        self.group("string")

    def test_string_functions_portable_fallback(self):
        self.group("string", "harness_portable")

    def test_strtou64_edge_cases(self):
        self.group("strtou64")

    def test_options_parse(self):
        self.group("options")

    def test_console_output_nesting_and_lock(self):
        self.group("console")

    def test_console_panic_mode_never_waits(self):
        self.group("console_panic")

    def test_log_format_level_and_ring(self):
        self.group("log")


if __name__ == "__main__":
    unittest.main()
