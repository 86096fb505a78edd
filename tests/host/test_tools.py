# tests/host/test_tools.py: unit tests for the host tools: the KTAP parser
# (tools/ktap.py) and tools/boot (its accelerator choice, the QEMU command
# line it builds, its exit-status mapping and timeout handling, run against
# a fake QEMU named by PINWHEEL_QEMU).  Real-QEMU tests are in
# test_tools_qemu.py, tools/check tests in test_tools_check.py.

import os
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import hosttest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BOOT = os.path.join(ROOT, "tools", "boot")
KTAP = os.path.join(ROOT, "tools", "ktap.py")


ktap = hosttest.load_tool("pinwheel_ktap", KTAP)
boot = hosttest.load_tool("pinwheel_boot", BOOT)


def dedent(s):
    return textwrap.dedent(s).lstrip("\n")


GOOD = dedent("""
    KTAP version 1
    1..2
        KTAP version 1
        # Subtest: mutex
        1..3
        ok 1 adaptive_counts_exactly
        ok 2 spin_counts_exactly
        ok 3 pi_boosts_holder # SKIP needs 2 CPUs
    ok 1 mutex
        KTAP version 1
        # Subtest: sched
        1..2
        ok 1 yields
        ok 2 preempts
    ok 2 sched
    4 passed, 0 failed
    """)

FAILING = dedent("""
    KTAP version 1
    1..2
        KTAP version 1
        # Subtest: mutex
        1..3
        ok 1 adaptive_counts_exactly
        not ok 2 spin_counts_exactly
        # tests/test_mutex.c:40: count == N: 3 (0x3) vs 4 (0x4)
        # second line
        ok 3 pi_boosts_holder # SKIP needs 2 CPUs
    not ok 1 mutex
        KTAP version 1
        # Subtest: sched
        1..1
        not ok 1 yields
        # tests/test_sched.c:12: expected yielded to be true
    not ok 2 sched
    1 passed, 2 failed
    """)


class KtapParserTest(unittest.TestCase):

    def test_all_pass(self):
        r = ktap.parse(GOOD)
        self.assertEqual((r.passed, r.failed, r.skipped), (4, 0, 1))
        self.assertEqual(r.claimed, (4, 0))
        self.assertEqual(r.problems, [])
        self.assertEqual(r.panics, [])
        self.assertTrue(r.clean)
        self.assertEqual([s.name for s in r.suites], ["mutex", "sched"])
        self.assertEqual([(c.suite, c.name, c.status) for c in r.cases], [
            ("mutex", "adaptive_counts_exactly", ktap.PASS),
            ("mutex", "spin_counts_exactly", ktap.PASS),
            ("mutex", "pi_boosts_holder", ktap.SKIP),
            ("sched", "yields", ktap.PASS),
            ("sched", "preempts", ktap.PASS)])

    def test_failures_with_diagnostics(self):
        r = ktap.parse(FAILING)
        self.assertEqual((r.passed, r.failed, r.skipped), (1, 2, 1))
        self.assertEqual(r.problems, [])
        self.assertFalse(r.clean)
        f = r.failures
        self.assertEqual([c.full_name for c in f],
                         ["mutex.spin_counts_exactly", "sched.yields"])
        self.assertEqual(f[0].diagnostics, [
            "tests/test_mutex.c:40: count == N: 3 (0x3) vs 4 (0x4)",
            "second line"])
        self.assertEqual(f[1].diagnostics,
                         ["tests/test_sched.c:12: expected yielded to be "
                          "true"])
        # The passing case before got none of them.
        self.assertEqual(r.cases[0].diagnostics, [])

    def test_diagnostics_before_result_lines(self):
        text = dedent("""
            KTAP version 1
            1..1
                KTAP version 1
                # Subtest: mutex
                1..3
                # note from the first case
                ok 1 a
                # tests/test_mutex.c:40: count == N: 3 (0x3) vs 4 (0x4)
                not ok 2 b
                ok 3 c
                # trailing suite note
            not ok 1 mutex
            2 passed, 1 failed
            """)
        r = ktap.parse(text)
        self.assertEqual(r.problems, [])
        a, b, c = r.cases
        self.assertEqual(a.diagnostics, ["note from the first case"])
        self.assertEqual(b.diagnostics, [
            "tests/test_mutex.c:40: count == N: 3 (0x3) vs 4 (0x4)"])
        self.assertEqual(c.diagnostics, [])
        self.assertEqual(r.suites[0].diagnostics, ["trailing suite note"])

    def test_skip(self):
        r = ktap.parse(GOOD)
        c = r.cases[2]
        self.assertEqual(c.status, ktap.SKIP)
        self.assertEqual(c.name, "pi_boosts_holder")
        self.assertEqual(c.reason, "needs 2 CPUs")
        # `not ok ... # SKIP` is a skip too, and lowercase skip works.
        r = ktap.parse(GOOD.replace("ok 2 preempts",
                                    "not ok 2 preempts # skip no HPET")
                       .replace("4 passed", "3 passed"))
        self.assertEqual((r.passed, r.failed, r.skipped), (3, 0, 2))
        self.assertEqual(r.problems, [])

    def test_interleaved_log_lines(self):
        noisy = []
        for i, line in enumerate(FAILING.splitlines()):
            noisy.append("[    0.%06d] cpu%d: some log line ok 1 x"
                         % (i, i % 4))
            noisy.append(line)
            if i % 3 == 0:
                noisy.append("smp: 4 CPUs online")
        noisy.insert(0, "SeaBIOS junk\x1b[2J")
        r = ktap.parse("\r\n".join(noisy) + "\r\n")
        self.assertEqual((r.passed, r.failed, r.skipped), (1, 2, 1))
        self.assertEqual(r.problems, [])
        self.assertEqual(r.failures[0].diagnostics[0],
                         "tests/test_mutex.c:40: count == N: 3 (0x3) vs 4 "
                         "(0x4)")

    def test_count_mismatch(self):
        r = ktap.parse(FAILING.replace("1 passed, 2 failed",
                                       "3 passed, 0 failed"))
        self.assertEqual(len(r.problems), 1)
        self.assertIn("kernel says 3 passed, 0 failed", r.problems[0])
        self.assertIn("1 passed, 2 failed", r.problems[0])
        self.assertFalse(r.clean)
        # All leaves pass but the kernel claims a failure.
        r = ktap.parse(GOOD.replace("4 passed, 0 failed",
                                    "4 passed, 1 failed"))
        self.assertFalse(r.clean)
        self.assertTrue(any("kernel says" in p for p in r.problems))

    def test_last_closing_line_wins(self):
        r = ktap.parse("0 passed, 0 failed\n" + GOOD)
        self.assertEqual(r.claimed, (4, 0))
        self.assertTrue(r.clean)
        r = ktap.parse(GOOD + "9 passed, 9 failed\n")
        self.assertEqual(r.claimed, (9, 9))
        self.assertFalse(r.clean)

    def test_missing_closing_line(self):
        r = ktap.parse(GOOD.replace("4 passed, 0 failed\n", ""))
        self.assertIsNone(r.claimed)
        self.assertFalse(r.clean)
        self.assertTrue(any("no closing" in p for p in r.problems))

    def test_panic_detected(self):
        text = GOOD.replace(
            "    ok 1 yields\n",
            "    ok 1 yields\n[    1.5] cpu1: panic: lock botch\n"
            "    #0 0xffffffff80101234 panic+0x2a\n")
        text = text[:text.index("    ok 2 preempts")]
        r = ktap.parse(text)
        self.assertEqual(r.panics, ["[    1.5] cpu1: panic: lock botch"])
        self.assertFalse(r.clean)
        self.assertTrue(any("no closing" in p for p in r.problems))
        self.assertTrue(any("sched planned 2 cases, found 1" in p
                            for p in r.problems))
        # Not panics: tools/boot's message, a name containing "panic".
        r = ktap.parse(GOOD + "tools/boot: kernel panicked\n"
                       "    ok 4 no_panic_here\n")
        self.assertEqual(r.panics, [])

    def test_plan_and_suite_result_checks(self):
        r = ktap.parse(GOOD.replace("    1..2\n", "    1..3\n"))
        self.assertTrue(any("sched planned 3 cases, found 2" in p
                            for p in r.problems))
        r = ktap.parse(GOOD.replace("ok 2 sched", "not ok 2 sched"))
        self.assertTrue(any("says not ok" in p for p in r.problems))
        r = ktap.parse(FAILING.replace("not ok 1 mutex", "ok 1 mutex"))
        self.assertTrue(any("says ok but has failed" in p
                            for p in r.problems))
        r = ktap.parse(GOOD.replace("1..2\n    KTAP", "1..3\n    KTAP", 1))
        self.assertTrue(any("planned 3 suites, found 2" in p
                            for p in r.problems))

    def test_empty_and_bytes(self):
        r = ktap.parse(b"")
        self.assertEqual((r.passed, r.failed, r.skipped), (0, 0, 0))
        self.assertFalse(r.clean)
        r = ktap.parse(GOOD.encode() + b"\xff\xfe garbage\n")
        self.assertTrue(r.clean)

    def test_suite_without_subtest_line(self):
        r = ktap.parse("KTAP version 1\n1..1\n    1..1\n    ok 1 a\n"
                       "ok 1 solo\n1 passed, 0 failed\n")
        self.assertEqual(r.cases[0].full_name, "solo.a")
        self.assertTrue(r.clean)

    def test_cli(self):
        with tempfile.TemporaryDirectory() as d:
            good, bad = os.path.join(d, "good"), os.path.join(d, "bad")
            with open(good, "w") as f:
                f.write(GOOD)
            with open(bad, "w") as f:
                f.write(FAILING)
            p = subprocess.run([sys.executable, KTAP, good],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("4 passed, 0 failed, 1 skipped", p.stdout)
            p = subprocess.run([sys.executable, KTAP, bad],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            self.assertIn("not ok mutex.spin_counts_exactly", p.stdout)
            self.assertIn("# tests/test_mutex.c:40:", p.stdout)


class BootDecisionTest(unittest.TestCase):

    CPUINFO = ("processor\t: 0\nvendor_id\t: GenuineIntel\n"
               "flags\t\t: fpu vme de pse tsc msr %s hypervisor\n"
               "vmx flags\t: vnmi\n\n")

    def test_cpuinfo_virt_flags(self):
        self.assertTrue(boot.cpuinfo_has_virt(self.CPUINFO % "vmx"))
        self.assertTrue(boot.cpuinfo_has_virt(self.CPUINFO % "svm"))
        self.assertFalse(boot.cpuinfo_has_virt(self.CPUINFO % "vmxnet"))
        # "vmx flags" lines do not count as the flags line.
        self.assertFalse(boot.cpuinfo_has_virt(self.CPUINFO % "pae"))
        self.assertFalse(boot.cpuinfo_has_virt(""))

    def test_kvm_usable(self):
        with tempfile.TemporaryDirectory() as d:
            dev = os.path.join(d, "kvm")
            with open(dev, "w"):
                pass
            yes = os.path.join(d, "cpuinfo-yes")
            no = os.path.join(d, "cpuinfo-no")
            with open(yes, "w") as f:
                f.write(self.CPUINFO % "vmx")
            with open(no, "w") as f:
                f.write(self.CPUINFO % "pae")
            self.assertTrue(boot.kvm_usable(dev, yes)[0])
            ok, why = boot.kvm_usable(dev, no)
            self.assertFalse(ok)
            self.assertIn("vmx or svm", why)
            ok, why = boot.kvm_usable(os.path.join(d, "nokvm"), yes)
            self.assertFalse(ok)
            self.assertIn("cannot open", why)
            if os.geteuid() != 0:       # root opens a read-only file anyway
                os.chmod(dev, stat.S_IRUSR)
                self.assertFalse(boot.kvm_usable(dev, yes)[0])

    def test_choose_accel(self):
        self.assertEqual(boot.choose_accel("auto", False), "tcg")
        self.assertEqual(boot.choose_accel("auto", True), "kvm")
        self.assertEqual(boot.choose_accel("tcg", True), "tcg")
        self.assertEqual(boot.choose_accel("kvm", True), "kvm")
        with self.assertRaises(boot.BootError):
            boot.choose_accel("kvm", False, "no vmx")
        self.assertEqual(boot.choose_accel("auto", True, icount=True), "tcg")
        with self.assertRaises(boot.BootError):
            boot.choose_accel("kvm", True, icount=True)

    def test_command(self):
        cmd = boot.build_command("qemu", "/k.elf", "run=ktest a=1", smp=4,
                                 mem=512, accel="tcg")
        s = " ".join(cmd)
        self.assertEqual(cmd[0], "qemu")
        for part in ("-machine q35", "-m 512", "-smp 4", "-kernel /k.elf",
                     "-display none", "-no-reboot",
                     "-device isa-debug-exit,iobase=0xf4,iosize=0x04",
                     "-rtc base=utc,clock=vm", "-accel tcg", "-monitor none",
                     "-chardev stdio,id=con,signal=off",
                     "-serial chardev:con"):
            self.assertIn(part, s)
        self.assertEqual(cmd[cmd.index("-append") + 1], "run=ktest a=1")
        self.assertNotIn("-icount", cmd)
        self.assertNotIn("-s", cmd)
        cpu = cmd[cmd.index("-cpu") + 1]
        self.assertNotIn(cpu.split(",")[0], ("host", "max"))

    def test_command_variants(self):
        cmd = boot.build_command("q", "/k", accel="tcg", icount=True)
        i = cmd.index("-icount")
        self.assertEqual(cmd[i + 1], "shift=0,sleep=off")
        self.assertEqual(cmd[cmd.index("-accel") + 1], "tcg")
        cmd = boot.build_command("q", "/k", accel="kvm")
        self.assertEqual(cmd[cmd.index("-accel") + 1], "kvm")
        self.assertNotIn(cmd[cmd.index("-cpu") + 1].split(",")[0],
                         ("host", "max"))
        cmd = boot.build_command("q", "/k", tty=True)
        s = " ".join(cmd)
        self.assertIn("-chardev stdio,id=con,mux=on,signal=off", s)
        self.assertIn("-mon chardev=con,mode=readline", s)
        self.assertNotIn("-monitor none", s)
        cmd = boot.build_command("q", "/k", gdb=True, extra=["-d", "int"])
        self.assertIn("-s", cmd)
        self.assertIn("-S", cmd)
        self.assertEqual(cmd[-2:], ["-d", "int"])
        self.assertNotIn("-no-reboot", boot.build_command("q", "/k",
                                                          reboot=True))
        self.assertIn("-bios", boot.build_command("q", "/k", qboot=True))
        self.assertNotIn("-bios", boot.build_command("q", "/k", qboot=False))

    def test_explain(self):
        self.assertEqual(boot.explain(33), (0, None))
        self.assertEqual(boot.explain(35)[0], 1)
        self.assertEqual(boot.explain(37),
                         (2, "tools/boot: kernel panicked"))
        self.assertEqual(boot.explain(0),
                         (2, "tools/boot: guest reset (triple fault?)"))
        self.assertEqual(boot.explain(1)[0], 3)
        self.assertEqual(boot.explain(39)[0], 2)
        self.assertEqual(boot.explain(4)[0], 2)
        self.assertEqual(boot.explain(-9)[0], 2)
        self.assertIn("SIGKILL", boot.explain(-9)[1])


FAKE_QEMU = """#!/bin/sh
# A fake QEMU: records its arguments, then exits or hangs.
for a in "$@"; do printf '%s\\n' "$a"; done > "$FAKE_ARGS"
echo "guest output"
case "$FAKE_MODE" in
hang)
	echo $$ > "$FAKE_PIDS"
	sleep 300 &
	echo $! >> "$FAKE_PIDS"
	sh -c 'echo $$ >> "$FAKE_PIDS"; exec sleep 300' &
	sleep 300
	;;
*)	exit "$FAKE_STATUS" ;;
esac
"""


def alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


class BootRunTest(unittest.TestCase):
    """tools/boot run as a program, with a fake QEMU."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.qemu = os.path.join(d, "fake-qemu")
        with open(self.qemu, "w") as f:
            f.write(FAKE_QEMU)
        os.chmod(self.qemu, 0o755)
        self.kernel = os.path.join(d, "kernel.elf")
        with open(self.kernel, "w"):
            pass
        self.args_file = os.path.join(d, "args")
        self.pids_file = os.path.join(d, "pids")

    def tearDown(self):
        # If a test failed, do not leave the fake QEMU's processes behind.
        try:
            with open(self.pids_file) as f:
                for pid in f.read().split():
                    if alive(int(pid)):
                        os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        self.tmp.cleanup()

    def env(self, **kw):
        e = dict(os.environ, PINWHEEL_QEMU=self.qemu, FAKE_ARGS=self.args_file,
                 FAKE_PIDS=self.pids_file, FAKE_MODE="exit", FAKE_STATUS="0")
        e.update(kw)
        return e

    def run_boot(self, args, timeout=30, **env):
        return subprocess.run([sys.executable, BOOT, "--kernel", self.kernel]
                              + args, env=self.env(**env),
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)

    def qemu_args(self):
        with open(self.args_file) as f:
            return f.read().splitlines()

    def test_exit_status_mapping(self):
        for qemu_status, want, msg in (
                (33, 0, None),
                (35, 1, "failed tests"),
                (37, 2, "kernel panicked"),
                (0, 2, "guest reset (triple fault?)"),
                (41, 2, "unexpected QEMU exit status 41"),
                (1, 3, "QEMU failed")):
            p = self.run_boot(["--", "run=ktest"],
                              FAKE_STATUS=str(qemu_status))
            self.assertEqual(p.returncode, want,
                             "QEMU status %d: %s" % (qemu_status, p.stderr))
            self.assertIn("guest output", p.stdout)
            if msg:
                self.assertIn(msg, p.stderr)
            else:
                self.assertEqual(p.stderr, "")

    def test_cmdline_and_options_reach_qemu(self):
        p = self.run_boot(["--smp", "4", "--mem", "128", "--icount",
                           "--qemu", "-d", "--qemu=int", "--",
                           "run=ktest", "foo=1"], FAKE_STATUS="33")
        self.assertEqual(p.returncode, 0, p.stderr)
        a = self.qemu_args()
        self.assertEqual(a[a.index("-append") + 1], "run=ktest foo=1")
        self.assertEqual(a[a.index("-smp") + 1], "4")
        self.assertEqual(a[a.index("-m") + 1], "128")
        self.assertEqual(a[a.index("-kernel") + 1], self.kernel)
        self.assertEqual(a[a.index("-icount") + 1], "shift=0,sleep=off")
        self.assertEqual(a[a.index("-accel") + 1], "tcg")
        self.assertEqual(a[-2:], ["-d", "int"])
        # stdin is not a terminal here: no monitor on the console.
        self.assertEqual(a[a.index("-monitor") + 1], "none")

    def test_print_command(self):
        p = self.run_boot(["--print-command", "--icount", "--",
                           "run=ktest", "x=1"])
        self.assertEqual(p.returncode, 0, p.stderr)
        cmd = shlex.split(p.stdout)
        self.assertEqual(cmd[0], self.qemu)
        self.assertEqual(cmd[cmd.index("-append") + 1], "run=ktest x=1")
        self.assertIn("-icount shift=0,sleep=off", p.stdout)
        self.assertFalse(os.path.exists(self.args_file))   # QEMU not run

    def test_device_options_become_qemu_devices_in_order(self):
        p = self.run_boot(["--print-command",
                           "--device", "edu,addr=05.0,multifunction=on",
                           "--device", "edu,addr=05.1", "--qemu", "-d",
                           "--", "run=ktest:pci"])
        self.assertEqual(p.returncode, 0, p.stderr)
        cmd = shlex.split(p.stdout)
        devices = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-device"]
        self.assertEqual(devices[-2:], ["edu,addr=05.0,multifunction=on",
                                         "edu,addr=05.1"])
        # The built-in exit device stays; --qemu arguments still come last.
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", devices)
        self.assertEqual(cmd[-1], "-d")
        self.assertEqual(cmd[cmd.index("-append") + 1], "run=ktest:pci")

    def test_no_device_option_adds_no_device(self):
        p = self.run_boot(["--print-command"])
        cmd = shlex.split(p.stdout)
        self.assertEqual([cmd[i + 1] for i, a in enumerate(cmd)
                          if a == "-device"],
                         ["isa-debug-exit,iobase=0xf4,iosize=0x04"])

    def test_device_needs_an_argument(self):
        p = self.run_boot(["--device"])
        self.assertEqual(p.returncode, 3)
        self.assertIn("--device", p.stderr)

    def test_help_documents_device_and_the_shared_intx_line(self):
        p = subprocess.run([sys.executable, BOOT, "--help"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--device SPEC", p.stdout)
        self.assertIn("--device edu,addr=05.0,multifunction=on "
                      "--device edu,addr=05.1", p.stdout)

    def test_usage_errors_exit_3(self):
        for args in (["--accel", "kvm", "--icount"], ["--smp", "0"],
                     ["--accel", "bogus"], ["--qemu"]):
            p = self.run_boot(args)
            self.assertEqual(p.returncode, 3, (args, p.stderr))
        p = subprocess.run([sys.executable, BOOT, "--kernel",
                            os.path.join(self.tmp.name, "missing.elf")],
                           env=self.env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 3)
        self.assertIn("not found", p.stderr)
        p = self.run_boot([], PINWHEEL_QEMU="/nonexistent/qemu")
        self.assertEqual(p.returncode, 3)
        self.assertIn("not found", p.stderr)

    def test_accel_kvm_unusable_here(self):
        ok, _ = boot.kvm_usable()
        if ok:
            self.skipTest("KVM is usable on this host")
        p = self.run_boot(["--accel", "kvm"], FAKE_STATUS="33")
        self.assertEqual(p.returncode, 3)
        self.assertIn("KVM is not usable", p.stderr)
        # auto falls back to TCG.
        p = self.run_boot(["--print-command"])
        self.assertIn("-accel tcg", p.stdout)

    def read_pids(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with open(self.pids_file) as f:
                    pids = [int(x) for x in f.read().split()]
                if len(pids) == 3:
                    return pids
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.05)
        self.fail("fake QEMU did not start its children")

    def wait_gone(self, pids):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(map(alive, pids)):
            time.sleep(0.05)
        return [p for p in pids if alive(p)]

    def test_timeout_kills_everything(self):
        t0 = time.monotonic()
        p = self.run_boot(["--timeout", "1"], FAKE_MODE="hang")
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 124, p.stderr)
        self.assertIn("timeout after 1 s", p.stderr)
        self.assertLess(took, 15)
        pids = self.read_pids()
        self.assertEqual(self.wait_gone(pids), [], "orphans left behind")

    def test_sigterm_kills_qemu(self):
        proc = subprocess.Popen([sys.executable, BOOT, "--kernel",
                                 self.kernel], env=self.env(FAKE_MODE="hang"),
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            pids = self.read_pids()
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM, err)
        self.assertEqual(self.wait_gone(pids), [], "orphans left behind")


if __name__ == "__main__":
    unittest.main()
