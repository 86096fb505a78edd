"""tools/boot-time: it boots the kernel to the shell, types poweroff, and
prints its two RESULT lines (the values are not judged: timings are
benchmarks); a boot that never reaches the prompt is an error that says
so.

The kernel is built in $PINWHEEL_BUILD (tools/check sets it to its
--build directory; default build).
"""
import os
import re
import shutil
import subprocess
import sys
import unittest

import hosttest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "boot-time")


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "needs QEMU")
class BootTime(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.kernel = hosttest.kernel()

    def run_tool(self, *boot_args):
        return subprocess.run(
            [sys.executable, TOOL, "--runs", "1", "--timeout", "120", "--"]
            + list(boot_args), cwd=ROOT, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=300)

    def test_reaches_the_prompt_and_prints_results(self):
        p = self.run_tool("--kernel",
                          self.kernel)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, re.compile(
            r"^RESULT boot_to_prompt_p50=\d+ unit=ms\n"
            r"RESULT boot_to_prompt_max=\d+ unit=ms\n\Z", re.M))

    def test_a_boot_without_a_prompt_is_an_error(self):
        p = self.run_tool("--kernel", "/nonexistent/kernel.elf")
        self.assertEqual(p.returncode, 1)
        self.assertIn("before the shell prompt", p.stderr)
        self.assertNotIn("RESULT", p.stdout)


if __name__ == "__main__":
    unittest.main()
