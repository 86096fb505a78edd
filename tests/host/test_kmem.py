#!/usr/bin/env python3
"""Host tests of the page allocator and kmem (kern/page.c, kern/kmem.c).

Builds tests/host/kmem_harness.c with the two kernel files for the host
(stubbed locks, fake RAM; see the harness's opening comment), runs one
harness scenario per test and checks what it prints.  Stdlib only.

    python3 tests/host/test_kmem.py [-v]      (CC=clang to use clang)

The build uses AddressSanitizer and UBSan when the compiler has them.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = os.path.join(ROOT, "tests", "host")
WARN = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wshadow",
        "-Wpointer-arith"]
COMMON = ["-std=gnu11", "-g", "-O1", "-fno-strict-aliasing", "-DHOST_TEST",
          "-fno-omit-frame-pointer"] + WARN
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
# Kernel sources see the kernel's <string.h> and <time.h>; the harness sees
# libc's first and the kernel headers after them (-idirafter).
KERN_INC = ["-include", os.path.join(HOST, "kmem_host.h"),
            "-I" + os.path.join(HOST, "kmem_stubs"),
            "-I" + os.path.join(ROOT, "include"),
            "-I" + os.path.join(ROOT, "arch", "x86_64", "include")]
HARNESS_INC = ["-include", os.path.join(HOST, "kmem_host.h"),
               "-I" + os.path.join(HOST, "kmem_stubs"),
               "-idirafter", os.path.join(ROOT, "include")]

HEX = r"0x[0-9a-f]+"


def run_cc(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(" ".join(argv) + "\n" + r.stdout + r.stderr)


class BuildError(Exception):
    pass


def build(cc, outdir, extra):
    objs = []
    for src, inc in (("kern/page.c", KERN_INC), ("kern/kmem.c", KERN_INC),
                     ("tests/host/kmem_harness.c", HARNESS_INC)):
        obj = os.path.join(outdir, os.path.basename(src) + ".o")
        run_cc([cc] + COMMON + extra + inc +
               ["-c", "-o", obj, os.path.join(ROOT, src)])
        objs.append(obj)
    exe = os.path.join(outdir, "kmem_harness")
    run_cc([cc] + extra + ["-o", exe] + objs)
    return exe


class KmemHostTest(unittest.TestCase):
    exe = None
    tmp = None
    sanitized = False

    @classmethod
    def setUpClass(cls):
        cc = os.environ.get("CC") or "cc"
        cls.tmp = tempfile.mkdtemp(prefix="kmem_host_")
        try:
            cls.exe = build(cc, cls.tmp, SANITIZE)
            # A sanitizer runtime that cannot start (no ptrace, odd VM)
            # means we fall back to a plain build.
            probe = subprocess.run([cls.exe, "stats"], capture_output=True,
                                   text=True, timeout=60)
            if probe.returncode != 0:
                raise RuntimeError(probe.stdout + probe.stderr)
        except (BuildError, RuntimeError):
            cls.exe = build(cc, cls.tmp, [])
            cls.sanitized = False
        else:
            cls.sanitized = True

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_scenario(self, name):
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        r = subprocess.run([self.exe, name], capture_output=True, text=True,
                           timeout=300, env=env)
        out = r.stdout
        self.assertEqual(r.returncode, 0,
                         "scenario %s failed:\n%s%s" % (name, out, r.stderr))
        self.assertTrue(out.endswith("ok\n"), out)
        return out

    def value(self, out, key):
        m = re.search(r"(?:^|\s)%s=(\S+)" % key, out, re.M)
        self.assertIsNotNone(m, "no %s= in:\n%s" % (key, out))
        return m.group(1)

    def panics(self, out):
        return re.findall(r"^panic: (.*)$", out, re.M)

    # --- page allocator ---

    def test_map_hands_out_only_usable_pages_once_and_zeroed(self):
        out = self.run_scenario("map")
        total = int(self.value(out, "pages_total"))
        usable = int(self.value(out, "usable"))
        self.assertLessEqual(total, usable)
        self.assertGreaterEqual(total, usable * 99 // 100)

    def test_freeing_everything_coalesces_back_to_the_same_blocks(self):
        out = self.run_scenario("coalesce")
        self.assertGreater(int(self.value(out, "order10_blocks")), 0)

    def test_contig_runs_are_aligned_and_zeroed(self):
        self.run_scenario("contig")

    def test_random_stress_keeps_contents_and_invariants(self):
        out = self.run_scenario("stress")
        self.assertGreater(int(self.value(out, "allocs")), 10000)

    def test_stress_near_exhaustion_fails_cleanly_and_keeps_invariants(self):
        out = self.run_scenario("stress_tight")
        self.assertGreater(int(self.value(out, "nulls")), 100)

    def test_memory_comes_zeroed_after_dirty_reuse(self):
        self.run_scenario("zeroing")

    def test_stats_follow_allocations(self):
        self.run_scenario("stats")

    def test_page_double_free_panics_with_the_address(self):
        out = self.run_scenario("page_double_free")
        pa = self.value(out, "pa")
        self.assertRegex(self.panics(out)[0],
                         r"^page_free: double free of pa %s from %s$" % (pa, HEX))

    def test_freeing_pages_never_handed_out_panics(self):
        p = self.panics(self.run_scenario("page_never_allocated"))
        self.assertEqual(len(p), 3)
        for msg, pa in zip(p, ("0", "0x200000", "0x1000000")):
            self.assertRegex(msg, r"^page_free: pa %s from %s was never handed out"
                             % (pa, HEX))

    def test_freeing_inside_a_run_panics(self):
        p = self.panics(self.run_scenario("page_free_inside_run"))
        self.assertRegex(p[0], r"is inside an allocated run, not its first page")

    def test_freeing_a_run_with_the_wrong_length_panics(self):
        p = self.panics(self.run_scenario("page_free_wrong_count"))
        self.assertRegex(p[0], r"freed as 2 pages but allocated as 3$")
        self.assertRegex(p[1], r"freed as 4 pages but allocated as 3$")

    def test_page_write_after_free_is_caught_on_reuse(self):
        out = self.run_scenario("page_write_after_free")
        pa = self.value(out, "pa")
        self.assertRegex(self.panics(out)[0],
                         r"^page_alloc: write after free at pa %s \(offset 123\)" % pa)

    def test_km_sleep_out_of_memory_waits_then_panics(self):
        out = self.run_scenario("sleep_oom")
        self.assertEqual(self.panics(out),
                         ["page_alloc: out of memory: 1 pages requested, 0 free"])
        self.assertGreaterEqual(int(self.value(out, "waited_ns")), 5 * 10**9)

    def test_km_sleep_gets_a_page_freed_while_it_waits(self):
        self.run_scenario("sleep_wakes")

    # --- kmem ---

    def test_km_nosleep_absurd_size_returns_null_and_counts(self):
        self.run_scenario("nosleep_absurd")

    def test_km_sleep_absurd_size_panics_at_once(self):
        p = self.panics(self.run_scenario("sleep_absurd"))
        self.assertRegex(p[0], r"^page_alloc: 268435456 pages requested by %s "
                         r"can never be satisfied" % HEX)

    def test_kmem_double_free_panics_with_the_address(self):
        for sc in ("kmem_double_free", "kmem_double_free_redzone",
                   "kmem_double_free_large"):
            out = self.run_scenario(sc)
            p = self.value(out, "p")
            self.assertRegex(self.panics(out)[0],
                             r"^kmem_free: double free of %s " % p, sc)

    def test_kmem_size_mismatch_names_the_real_class(self):
        out = self.run_scenario("kmem_size_mismatch")
        ps = re.findall(r"^p=(\S+)$", out, re.M)
        p = self.panics(out)
        self.assertEqual(p[0], "kmem_free: %s freed with size 40 but allocated "
                         "from the 128-byte class" % ps[0])
        self.assertEqual(p[1], "kmem_free: %s freed with size 5000 but allocated "
                         "from the 128-byte class" % ps[0])
        self.assertEqual(p[2], "kmem_free: %s freed with size 100 but allocated "
                         "from the 4096-byte class" % ps[1])
        self.assertEqual(p[3], "kmem_free: %s freed with size 20480 but allocated "
                         "as 3 pages" % ps[2])

    def test_kmem_free_of_foreign_or_interior_pointer_panics(self):
        out = self.run_scenario("kmem_bad_pointer")
        p = self.panics(out)
        self.assertRegex(p[0], r"is not a kernel heap address")
        self.assertRegex(p[1], r"^kmem_free: %s \(size 64, from %s\) is not the "
                         r"start of a 64-byte object" % (self.value(out, "p"), HEX))

    def test_kmem_write_after_free_is_caught_on_reuse(self):
        out = self.run_scenario("kmem_write_after_free")
        self.assertEqual(self.panics(out),
                         ["kmem: write after free at %s (offset 10, size class 64)"
                          % self.value(out, "p")])

    def test_kmem_write_after_free_is_caught_when_the_slab_goes_back(self):
        out = self.run_scenario("kmem_write_after_free_slab_release")
        self.assertEqual(self.panics(out),
                         ["kmem: write after free at %s (offset 2000, size class 2048)"
                          % self.value(out, "p")])

    def test_kmem_redzone_overrun_panics_naming_object_and_size(self):
        out = self.run_scenario("kmem_redzone")
        ps = re.findall(r"^p=(\S+)$", out, re.M)
        p = self.panics(out)
        self.assertRegex(p[0], r"^kmem_free: buffer overrun at %s \(offset 100\): "
                         r"100 bytes were requested" % ps[0])
        self.assertRegex(p[1], r"^kmem_free: buffer overrun at %s \(offset 6000\): "
                         r"5000 bytes were requested" % ps[1])

    def test_wrong_context_panics_naming_the_caller(self):
        out = self.run_scenario("context")
        fn = int(self.value(out, "fn"), 16)
        p = self.panics(out)
        self.assertEqual(len(p), 4)
        self.assertRegex(p[0], r"^kmem_alloc: KM_SLEEP at IPL_VM \(a spin mutex "
                         r"held\?\), caller %s$" % HEX)
        self.assertRegex(p[1], r"^kmem_alloc: KM_SLEEP from interrupt context, "
                         r"caller %s$" % HEX)
        self.assertRegex(p[2], r"^kmem_alloc: called at IPL_SCHED from %s, above "
                         r"IPL_VM" % HEX)
        self.assertRegex(p[3], r"need exactly one of KM_SLEEP and KM_NOSLEEP")
        for msg in p:
            caller = int(re.findall(HEX, msg)[-1], 16)
            self.assertTrue(0 < caller - fn < 4096,
                            "caller %#x is not in sc_context (%#x): %s"
                            % (caller, fn, msg))


if __name__ == "__main__":
    unittest.main()
