"""Build variants of the kernel that `make` alone does not exercise.

- `make CC=clang` builds a kernel (the tree must build with gcc and clang),
  and that kernel boots and passes a suite.
- `make KTEST_EXTRA=tests/extra/test_outside.c` builds an outside suite in,
  against the public headers only, and the suite runs and passes.

Each build goes into its own directory under the build directory
($PINWHEEL_BUILD, which tools/check sets from `make BUILD=...`; default
build), so it does not disturb the main build or another tree's.
"""
import os
import shutil
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOT = os.path.join(ROOT, "tools", "boot")
BUILD = os.environ.get("PINWHEEL_BUILD", "build")


def make(build, *args):
    return subprocess.run(["make", "-s", "BUILD=" + build] + list(args),
                          cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)


def boot(kernel, cmdline, smp="2"):
    return subprocess.run([sys.executable, BOOT, "--kernel", kernel, "--smp", smp,
                           "--timeout", "120", "--"] + cmdline.split(),
                          cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=200)


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "needs QEMU")
class BuildVariants(unittest.TestCase):
    @unittest.skipUnless(shutil.which("clang"), "needs clang (tools/deps installs it)")
    def test_clang_builds_a_kernel_that_passes_its_tests(self):
        build = os.path.join(BUILD, "clang")
        r = make(build, "CC=clang")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("warning", r.stderr)
        b = boot(os.path.join(ROOT, build, "kernel.elf"), "run=ktest:kmem")
        self.assertEqual(b.returncode, 0, b.stdout[-3000:])
        self.assertRegex(b.stdout, r"(?m)^\d+ passed, 0 failed$")

    def test_outside_suite_is_built_in_with_ktest_extra(self):
        build = os.path.join(BUILD, "extra")
        r = make(build, "KTEST_EXTRA=tests/extra/test_outside.c")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        b = boot(os.path.join(ROOT, build, "kernel.elf"), "run=ktest:outside")
        self.assertEqual(b.returncode, 0, b.stdout[-3000:])
        self.assertIn("# Subtest: outside", b.stdout)
        self.assertRegex(b.stdout, r"(?m)^2 passed, 0 failed$")

    def test_main_build_does_not_contain_the_outside_suite(self):
        r = make(BUILD)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        b = boot(os.path.join(ROOT, BUILD, "kernel.elf"), "run=ktest:outside")
        self.assertEqual(b.returncode, 1, b.stdout[-3000:])
        self.assertIn("no suite named 'outside'", b.stdout)


if __name__ == "__main__":
    unittest.main()
