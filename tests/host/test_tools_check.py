# tests/host/test_tools_check.py: tests for tools/check: its unittest
# output parser, and whole runs (--no-host, --kernel, a temporary --logdir)
# against a fake QEMU that plays a kernel: passing, failing, hanging,
# miscounting and wrongly-panicking boots, benchmark boots that lack a
# RESULT name, and serial boots (the fake listens on the chardev socket,
# reads what tools/check pushes and prints its CRC-32, a wrong one under
# "bad") must add up to the right final `N passed, N failed` line and
# exit status.

import os
import subprocess
import sys
import tempfile
import unittest

import hosttest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tools", "check")


check = hosttest.load_tool("pinwheel_check", CHECK)

FAKE_QEMU = r'''#!%(python)s
# A fake QEMU playing a Pinwheel kernel; FAKE_SCENARIO picks its faults.
import os, sys, time
args = sys.argv[1:]
cmdline = args[args.index("-append") + 1].split()
smp = args[args.index("-smp") + 1]
icount = "-icount" in args
scenario = os.environ.get("FAKE_SCENARIO", "good")
out = sys.stdout

GOOD = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: demo
    1..3
    ok 1 first
[    0.0100] smp: %%s CPUs online
    ok 2 second
    ok 3 third # SKIP not today
ok 1 demo
2 passed, 0 failed
""" %% smp
FAILING = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: demo
    1..3
    ok 1 first
    not ok 2 second
    # tests/demo.c:7: x == 2: 1 (0x1) vs 2 (0x2)
    ok 3 third # SKIP not today
not ok 1 demo
1 passed, 1 failed
"""
CRASH = """panic: crash test: deliberate panic
  #0 0xffffffff80101234 crash_panic+0x12
  #1 0xffffffff80101300 crash_pagefault+0x1
page fault
  (panic: crash test: cpu1 panics with the others)
mutex_exit: m not owned by x
mutex_enter: m recursion
sleeping with a spin mutex
blocking on adaptive mutex m while holding a spin mutex
rw_exit: x not held
rw_enter: x recursion
guard page at 0xffffc00000018ff8 below the stack of overflow
  #2 0xffffffff80100f7f recurse_deeply.isra.0+0x1e
kmem: write after free at 0xffff80000028c0a0 (offset 5, size class 64)
kmem_free: double free of 0xffff80000028c0a0
kmem_free: 0xffff8000002702a0 freed with size 40 but allocated from the 128-byte class
kmem_free: buffer overrun at 0xffff8000002702a0 (offset 100)
options: bad value 'abc' for 'sched_quantum_ms'
assertion "x" failed
  panic: irq 68 handler "crasher" (thread_fn_cv_wait+0, IRQ_MODE_THREAD, interrupt thread): sleep on crashcv: interrupt threads may block only on mutexes and rwlocks
  panic: irq 68 handler "crasher" (thread_fn_timed_sleep+0, IRQ_MODE_THREAD, interrupt thread): sleep on ksleep: interrupt threads may block only on mutexes and rwlocks
  panic: irq 68 handler "crasher" (thread_fn_kmem_sleep+0, IRQ_MODE_THREAD, interrupt thread): kmem_alloc with KM_SLEEP: interrupt threads may block only on mutexes and rwlocks
  panic: irq 68 handler "crasher" (thread_fn_cv_wait+0, IRQ_MODE_LAZY, interrupt thread): sleep on crashcv: interrupt threads may block only on mutexes and rwlocks
  panic: irq 68 handler "crasher" (thread_fn_timed_sleep+0, IRQ_MODE_SOURCE, interrupt thread): sleep on ksleep: interrupt threads may block only on mutexes and rwlocks
  panic: soft interrupt handler softint_sleeps at IPL_SOFTNET: sleep on ksleep: soft interrupt handlers may block only on mutexes and rwlocks
  panic: irq 68 handler "crasher" (thread_fn_mutex+0, IRQ_MODE_HARD, hard interrupt context): mutex_enter on adaptive mutex m: nothing may block in hard interrupt context
  panic: irq 68 handler "crasher" (thread_fn_rwlock+0, IRQ_MODE_HARD, hard interrupt context): rw_enter on rwlock r: nothing may block in hard interrupt context
  panic: irq 68 handler "crasher" (thread_fn_cv_wait+0, IRQ_MODE_HARD, hard interrupt context): mutex_enter on adaptive mutex m: nothing may block in hard interrupt context
  panic: irq 68 handler "crasher" (primary_mutex+0, IRQ_MODE_HARD, hard interrupt context): mutex_enter on adaptive mutex m: nothing may block in hard interrupt context
  panic: irq 68 handler "crasher" (thread_fn_null+0, IRQ_MODE_HARD, hard interrupt context): page fault at 0x10 (read, not present) at rip 0xffffffff80101234
  #3 0xffffffff80101234 thread_fn_null+0x9
  panic: crash test: assertion in a primary handler: assertion "two == 3" failed: file "kern/crash.c", line 1
in irq 68 handler "crasher" (primary_kassert+0, IRQ_MODE_HARD, hard interrupt context)
  panic: irq 69 handler "crasher" (primary_mutex+0, IRQ_MODE_NESTED primary, demux thread): mutex_enter on adaptive mutex crash_adaptive+0: a primary handler may not block, also where a nested demux runs it in its thread
  panic: irq 69 handler "crasher" (thread_fn_null+0, IRQ_MODE_NESTED primary, demux thread): page fault at 0x10 (read, not present) at rip 0xffffffff80101234
  panic: irq 69 handler "crasher" (thread_fn_timed_sleep+0, IRQ_MODE_NESTED, demux thread): sleep on ksleep: the children of a nested demux may block only on mutexes and rwlocks, whatever their flags
"""

# What each tools/check shell session would print (one per session).
SHELL = {
"shell": """Pinwheel shell on com0; help lists the commands.
pinwheel>   help                         list the commands
  irqmode IRQ [NAME] MODE      run an action's thread function
  poweroff                     turn the machine off
pinwheel> up 0.095 s, booted 2026-11-21 22:22:18 UTC
pinwheel>  IRQ chip    source           flow
   4 ioapic  ioapic0 pin 4    edge    IPL_VM    enabled   cpu0
      com0         hard    192 idle     irq/4-com0
pinwheel> irq 4: thread
pinwheel> irqmode: unknown model 'fast' (hard, thread, lazy, source)
pinwheel> irqmode: irq 4 has no action named 'nosuch'
pinwheel> irqprio: '0' is not a priority (1-223)
pinwheel> irqaff: '99' is not an online CPU
pinwheel> irqaff: 'x' is not an IRQ number
pinwheel> bogus: unknown command (help lists them)
pinwheel> 0 handler fault(s) isolated since boot
pinwheel> pages: 252 MiB free of 253 MiB
pinwheel> irq 4: hard
pinwheel>   LID NAME                    STATE  FL  PRI BAS CPU PINNED-BY WCHAN                 TIME s  SWITCHES
   26 main                    onproc ---  32  32   1 -         -                      0.001         2
   28 irq/4-com0              sleep  ib- 192 192   0 -         irqwait                0.000         1
29 LWPs; FL: i interrupt thread, b bound to its CPU, z idle
pinwheel> 2 CPUs online
  cpu0: idle/0 (lid 1)
  cpu1: main (lid 26)
pinwheel> rtc: '3' is not a rate (a power of two from 2 to 8192 Hz)
pinwheel> rtc: booted at 2026-11-21 22:22:18 UTC
rtc: periodic interrupt on at 256 Hz on irq 8, 0 ticks since boot
pinwheel> intr watch: every 1 s (^C stops), uptime 0.086 s
 IRQ chip    source           flow
intr watch: every 1 s (^C stops), uptime 1.092 s
  IRQ     per second
    4             27
    8            256
pinwheel> intr: '0' is not an interval (1-3600 s)
pinwheel> intr: unknown subcommand 'bogus' (watch, hist)
pinwheel> HIST irq=8 kind=wake action=rtc model=thread unit=ns count=3 p50=32768 p99=65536 buckets=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
pinwheel> intr: '300' is not an IRQ number
pinwheel> rtc: booted at 2026-11-21 22:22:18 UTC
rtc: periodic interrupt off at 256 Hz on irq 8, 512 ticks since boot
pinwheel> trace: on
pinwheel> trace: off
pinwheel> TRACE begin version=1 tsc_hz=2006437496 ncpu=2 ring=4096
TRACE E 0 194114734 26 irq_enter irq=4 vec=52
TRACE end events=1
trace: off
pinwheel> trace: unknown subcommand 'bogus' (start, stop, clear, dump)
pinwheel> [    0.000000] page: 64835 pages
[    0.058292] smp: 2 CPUs online
pinwheel> powering off
""",
"shell-intr-watch": """pinwheel> intr watch: every 1 s (^C stops), uptime 0.077 s
intr: interrupted
pinwheel> up 0.085 s, booted 2026-11-21 22:22:54 UTC
pinwheel> powering off
""",
"shell-intr-ktest": """    ok 1 many_threads_bound_to_every_cpu_run_there_and_join # SKIP interrupted
ktest: interrupted
pinwheel> powering off
""",
"shell-reboot": "pinwheel> rebooting\n",
}


def load_check():
    import importlib.machinery, importlib.util
    loader = importlib.machinery.SourceFileLoader("check", "%(check)s")
    check = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("check", loader))
    loader.exec_module(check)
    return check


if not any(w.startswith("run=") for w in cmdline):
    script = sys.stdin.read()   # the shell reads the script
    session = [sh for sh in load_check().SHELL_SESSIONS
               if sh.script == script][0]
    out.write(SHELL[session.name])
    sys.exit({0: 33, 2: 0}[session.status])
if "run=ktest" in cmdline:
    if scenario == "bad" and smp == "4":
        out.write(FAILING)
        sys.exit(35)
    if scenario == "bad" and icount:
        out.write(GOOD.split("    ok 2")[0])
        out.flush()
        time.sleep(600)
    if scenario == "mismatch" and smp == "2":
        out.write(GOOD.replace("2 passed, 0 failed", "3 passed, 0 failed"))
        sys.exit(33)
    if scenario == "empty":
        out.write("KTAP version 1\n1..0\n0 passed, 0 failed\n")
        sys.exit(33)
    out.write(GOOD)
    sys.exit(33)
if "run=serial:crc" in cmdline:
    # Play kern/serial_crc.c: listen where -chardev says, say ready, read
    # the length and the bytes, print their CRC-32 (off by one under "bad"
    # for the lazy boot) and the RESULT lines.
    import socket, struct, zlib
    chardev = [a for a in args if a.startswith("socket,")][0].split(",")
    path = [o.split("=", 1)[1] for o in chardev if o.startswith("path=")][0]
    mode = [w.split("=", 1)[1] for w in cmdline
            if w.startswith("serial_mode=")][0]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    out.write("serial: crc: com1 ready (%%s)\n" %% mode)
    out.flush()
    conn, _ = srv.accept()
    def take(n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                break
            buf += chunk
        return buf
    n = struct.unpack("<I", take(4))[0]
    crc = zlib.crc32(take(n))
    if scenario == "bad" and mode == "lazy":
        crc ^= 1
    out.write("serial: crc: com1 %%s: %%d bytes crc32 0x%%08x in 9 ms\n"
              "    (receive ring full 2 times, tty full 3 times, "
              "overruns 0)\n" %% (mode, n, crc))
    for what in ("bytes_per_s", "cpu_ns_per_byte", "irqs_per_kib", "ms"):
        out.write("RESULT serial_rx_%%s_%%s=1 unit=x\n" %% (mode, what))
    sys.exit(33)
if any(w.startswith("run=bench:") for w in cmdline):
    # Play the benchmark boot tools/check expects for this command line:
    # every RESULT name it wants, but the last one in "bad" under spl=soft.
    check = load_check()
    bench = [b for b in check.BENCH_BOOTS if b.cmdline.split() == cmdline][0]
    names = bench.expected
    if scenario == "bad" and "spl=soft" in cmdline:
        names = names[:-1]
    for n in names:
        out.write("RESULT %%s=1 unit=ns\n" %% n)
    sys.exit(33)
crash = [w.split(":", 1)[1] for w in cmdline if w.startswith("run=crash:")]
if crash:
    if "nosuchopt=1" in cmdline:
        out.write("options: unknown option 'nosuchopt'\n")
    if scenario == "bad" and crash[0] == "kassert":
        out.write("panic: something else entirely\n")
        sys.exit(37)
    if scenario == "bad" and crash[0] == "pagefault":
        out.write(CRASH)
        sys.exit(0)             # a reset, not a panic
    out.write(CRASH)
    sys.exit(37)
sys.exit(1)
'''

NDEATH = len(check.DEATH_TESTS) + len(check.SHELL_SESSIONS)
NBENCH = len(check.BENCH_BOOTS) + len(check.SERIAL_BOOTS)
NKTEST = len(check.KTEST_BOOTS)     # each GOOD boot passes 2
NQUICK = len([b for b in check.KTEST_BOOTS if b.quick])


class UnittestParseTest(unittest.TestCase):

    def test_ok(self):
        out = "a ... ok\n\n" + "-" * 70 + "\nRan 5 tests in 0.1s\n\nOK\n"
        self.assertEqual(check.parse_unittest(out, 0), (5, 0, []))
        out = out.replace("OK\n", "OK (skipped=2, expected failures=1)\n")
        self.assertEqual(check.parse_unittest(out, 0)[:2], (3, 0))

    def test_failed(self):
        out = ("=" * 70 + "\nFAIL: test_x (m.C.test_x)\n" + "=" * 70 +
               "\nERROR: test_y (m.C.test_y)\n" + "-" * 70 +
               "\nRan 6 tests in 0.1s\n\n"
               "FAILED (failures=1, errors=1, skipped=1)\n")
        passed, failed, names = check.parse_unittest(out, 1)
        self.assertEqual((passed, failed), (3, 2))
        self.assertEqual(names, ["test_x (m.C.test_x)",
                                 "test_y (m.C.test_y)"])

    def test_did_not_run(self):
        self.assertEqual(check.parse_unittest("Traceback...\n", 1)[:2],
                         (0, 1))

    def test_nonzero_status_without_counts_is_a_failure(self):
        out = "Ran 2 tests in 0.1s\n\nOK\n"
        self.assertEqual(check.parse_unittest(out, 1)[:2], (1, 1))


class CheckRunTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.qemu = os.path.join(d, "fake-qemu")
        with open(self.qemu, "w") as f:
            f.write(FAKE_QEMU % {"python": sys.executable, "check": CHECK})
        os.chmod(self.qemu, 0o755)
        self.kernel = os.path.join(d, "kernel.elf")
        with open(self.kernel, "w"):
            pass
        self.logdir = os.path.join(d, "logs")

    def tearDown(self):
        self.tmp.cleanup()

    def run_check(self, scenario, *args):
        env = dict(os.environ, PINWHEEL_QEMU=self.qemu,
                   FAKE_SCENARIO=scenario, PINWHEEL_CHECK_TIMEOUT="2",
                   PINWHEEL_CHECK_DEATH_TIMEOUT="20")
        p = subprocess.run([sys.executable, CHECK, "--no-host", "--kernel",
                            self.kernel, "--logdir", self.logdir] + list(args),
                           env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=300)
        lines = p.stdout.splitlines()
        self.assertTrue(lines, p.stderr)
        return p, lines

    def test_all_good(self):
        p, lines = self.run_check("good")
        self.assertEqual(lines[-1], "%d passed, 0 failed"
                         % (NKTEST * 2 + NBENCH + NDEATH), p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertNotIn("FAIL", p.stdout)
        for name in ("smp1", "smp2", "smp4", "icount", "smp1-soft",
                     "icount-soft", "bench-irq", "bench-irq-soft",
                     "death-panic", "death-bad_option", "serial-hard",
                     "serial-nested"):
            self.assertTrue(os.path.exists(os.path.join(
                self.logdir, name + ".log")), name)

    def test_parallel(self):
        p, lines = self.run_check("good", "-j", "3")
        self.assertEqual(lines[-1], "%d passed, 0 failed"
                         % (NKTEST * 2 + NBENCH + NDEATH))
        self.assertEqual(p.returncode, 0)

    def test_quick(self):
        p, lines = self.run_check("good", "--quick")
        self.assertEqual(lines[-1], "%d passed, 0 failed" % (NQUICK * 2))
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("death", p.stdout)
        self.assertNotIn("icount", p.stdout)
        self.assertNotIn("bench", p.stdout)
        self.assertNotIn("run=serial:crc", p.stdout)

    def test_failures_add_up(self):
        p, lines = self.run_check("bad")
        # Under each spl: smp1 2 + smp2 2 + smp4 1 + icount 1 (then
        # hangs); + benches and serial boots - 2; + deaths - 2.
        passed = 2 * (2 + 2 + 1 + 1) + NBENCH - 2 + NDEATH - 2
        # smp4's failed case and icount's timeout (both spl), the soft
        # bench's missing name, the lazy serial boot's CRC, kassert,
        # pagefault.
        self.assertEqual(lines[-1], "%d passed, 8 failed" % passed, p.stdout)
        self.assertEqual(p.returncode, 1)
        out = p.stdout
        self.assertIn("not ok demo.second", out)
        self.assertIn("# tests/demo.c:7: x == 2: 1 (0x1) vs 2 (0x2)", out)
        self.assertIn("FAIL boot icount", out)
        self.assertIn("timeout", out)
        self.assertIn("FAIL death kassert", out)
        self.assertIn("output lacks /assertion", out)
        self.assertIn("FAIL death pagefault", out)
        self.assertIn("guest reset", out)
        self.assertIn("PASS death panic", out)
        self.assertIn("PASS bench bench-irq (", out)
        self.assertIn("FAIL bench bench-irq-soft", out)
        self.assertIn("no RESULT line for 1 of %d names: irq_edu_msi_defer_extra_soft"
                      % len(check.BENCH_BOOTS[1].expected), out)
        self.assertIn("PASS serial serial-thread", out)
        self.assertIn("FAIL serial serial-lazy", out)
        self.assertIn("the host sent 1048576 bytes with crc32", out)

    def test_count_mismatch_is_a_failure(self):
        p, lines = self.run_check("mismatch")
        self.assertEqual(lines[-1], "%d passed, 2 failed"
                         % (NKTEST * 2 + NBENCH + NDEATH))
        self.assertEqual(p.returncode, 1)
        self.assertIn("kernel says 3 passed, 0 failed", p.stdout)

    def test_zero_tests_is_a_failure(self):
        p, lines = self.run_check("empty", "--quick")
        self.assertEqual(lines[-1], "0 passed, %d failed" % NQUICK)
        self.assertIn("ran zero tests", p.stdout)
        self.assertEqual(p.returncode, 1)

    def test_build_dir_holds_the_logs(self):
        build = os.path.join(self.tmp.name, "build-x")
        env = dict(os.environ, PINWHEEL_QEMU=self.qemu, FAKE_SCENARIO="good",
                   PINWHEEL_CHECK_TIMEOUT="2")
        p = subprocess.run([sys.executable, CHECK, "--no-host", "--quick",
                            "--kernel", self.kernel, "--build", build],
                           env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertTrue(os.path.exists(os.path.join(build, "check",
                                                    "smp1.log")), p.stdout)

    def test_every_ktest_boot_has_two_edu_functions_in_one_slot(self):
        for b in check.KTEST_BOOTS:
            args = " ".join(b.boot_args)
            self.assertIn("--device edu,addr=05.0,multifunction=on", args)
            self.assertIn("--device edu,addr=05.1", args)

    def test_every_ktest_boot_has_the_serial_card_on_a_line_of_its_own(self):
        for b in check.KTEST_BOOTS:
            self.assertIn("--device pci-serial-4x,addr=07.0",
                          " ".join(b.boot_args))

    def test_bench_irq_names_follow_the_kernel_s_scheme(self):
        tpr2 = check.bench_irq_names("tpr", 2)
        soft1 = check.bench_irq_names("soft", 1)
        for n in ("irq_ipi_hard_self_primary_p50_tpr",
                  "irq_ipi_thread_cross_threadfn_max_tpr",
                  "irq_ipi_thread_throughput_tpr", "spl_vm_pair_tpr",
                  "mutex_spin_vm_pair_tpr", "irq_ipi_defer_extra_tpr",
                  "irq_storm_on_thread_share_tpr",
                  "irq_edu_msi_lazy_self_threadfn_p99_tpr",
                  "irq_ipi_source_per_irq_tpr",
                  "irq_ipi_lazy_block_unpin_p50_tpr"):
            self.assertIn(n, tpr2)
        self.assertTrue(all(n.endswith("_soft") for n in soft1))
        self.assertFalse([n for n in soft1 if "_cross_" in n])
        self.assertEqual(len(tpr2), len(set(tpr2)))
        # cross figures: 3 sources x 4 models x 2 ends x 3 statistics
        self.assertEqual(len(tpr2) - len(soft1), 3 * 4 * 2 * 3)

    def test_qemu_missing_fails_every_boot(self):
        env = dict(os.environ, PINWHEEL_QEMU="/nonexistent/qemu")
        p = subprocess.run([sys.executable, CHECK, "--no-host", "--quick",
                            "--kernel", self.kernel, "--logdir", self.logdir],
                           env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.stdout.splitlines()[-1],
                         "0 passed, %d failed" % NQUICK)
        self.assertIn("could not start", p.stdout)
        self.assertEqual(p.returncode, 1)


if __name__ == "__main__":
    unittest.main()
