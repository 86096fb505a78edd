#!/usr/bin/env python3
"""Host tests for the ACPI table parser (arch/x86_64/acpi.c).

tests/host/acpi_harness.c is compiled with arch/x86_64/acpi.c by the host
compiler, against the kernel's headers (-Iinclude -Iarch/x86_64/include
-DHOST_TEST), with AddressSanitizer and UBSan when the compiler has them,
so a read past a buffer the parser was handed fails the test.  Each test
runs one harness scenario, which builds its tables byte by byte (or loads
the tables recorded from QEMU q35 in acpi_q35_fixture.h), runs the parser
and prints the result; the assertions here check it.

Also checked: acpi.c builds with the kernel's own flags under gcc and
clang and needs nothing outside the kernel (klog, mem*, vsnprintf,
kassert_fail).

Run: python3 -m unittest tests/host/test_acpi.py   (from the repo top)
"""
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOST_CC = os.environ.get("HOST_CC", "cc")
BASE_FLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror",
              "-Wno-unused-parameter", "-g", "-Iinclude",
              "-Iarch/x86_64/include", "-DHOST_TEST"]
SOURCES = ["tests/host/acpi_harness.c", "arch/x86_64/acpi.c"]
LOG_WARN = 3

_tmpdir = None
_harness = None


def setUpModule():
    global _tmpdir, _harness
    _tmpdir = tempfile.mkdtemp(prefix="acpi_test_")
    _harness = os.path.join(_tmpdir, "acpi_harness")
    errors = []
    for extra in (["-fsanitize=address,undefined",
                   "-fno-sanitize-recover=all"], []):
        r = subprocess.run([HOST_CC] + BASE_FLAGS + extra + SOURCES +
                           ["-o", _harness], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode == 0:
            return
        errors.append(r.stderr)
    raise RuntimeError("cannot build the ACPI harness:\n" + "\n".join(errors))


def tearDownModule():
    if _tmpdir:
        shutil.rmtree(_tmpdir, ignore_errors=True)


def _value(v):
    try:
        return int(v, 0)
    except ValueError:
        return v


class Result:
    """One harness run: ret, logs, and the acpi_info it printed."""

    LISTS = ("cpu", "ioapic", "override", "nmi", "mcfg")

    def __init__(self, out):
        self.out = out
        self.ret = None
        self.logs = []          # (level, text)
        self.lines = {}         # other "key rest" lines, e.g. "find0"
        for k in self.LISTS:
            setattr(self, k + "s", [])
        for line in out.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "log":
                level, _, text = rest.partition(" ")
                self.logs.append((int(level), text))
            elif kind == "ret":
                self.ret = int(rest)
            elif kind in ("rsdp", "madt", "hpet", "mcfginfo") or \
                    kind in self.LISTS:
                d = {}
                for tok in rest.split():
                    k, _, v = tok.partition("=")
                    d[k] = _value(v)
                if kind in self.LISTS:
                    getattr(self, kind + "s").append(d)
                else:
                    setattr(self, kind, d)
            else:
                self.lines[kind] = rest

    def warnings(self):
        return [t for lvl, t in self.logs if lvl >= LOG_WARN]


def run(scenario):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run([_harness, scenario], capture_output=True, text=True,
                       env=env, timeout=30)
    if r.returncode != 0:
        raise AssertionError("harness %s exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (scenario, r.returncode, r.stdout, r.stderr))
    res = Result(r.stdout)
    for text in (t for _, t in res.logs):
        if not text.startswith("acpi: "):
            raise AssertionError("log line without 'acpi: ': %r" % text)
    return res


Q35_OVERRIDES = [(0, 2, "conform", "conform"), (5, 5, "high", "level"),
                 (9, 9, "high", "level"), (10, 10, "high", "level"),
                 (11, 11, "high", "level")]


class AcpiTest(unittest.TestCase):
    maxDiff = None

    # -- helpers --

    def assert_madt_defaults(self, r):
        """No usable MADT: the documented fallback, and flags saying so."""
        self.assertEqual(r.madt["valid"], 0, r.out)
        self.assertEqual(r.madt["cpus_valid"], 0)
        self.assertEqual(r.madt["ioapics_valid"], 0)
        self.assertEqual(r.cpus, [dict(apic=0, uid=0, enabled=1, x2apic=0)])
        self.assertEqual(r.ioapics, [dict(id=0, pa=0xfec00000, gsi=0)])
        self.assertEqual(r.madt["lapic"], 0xfee00000)
        self.assertEqual(r.madt["noverrides"], 0)
        self.assertEqual(r.overrides, [])
        self.assertEqual(r.madt["pic8259"], 1)

    def assert_q35_madt(self, r):
        self.assertEqual(r.madt["valid"], 1, r.out)
        self.assertEqual(r.madt["cpus_valid"], 1)
        self.assertEqual(r.madt["ioapics_valid"], 1)
        self.assertEqual([(c["apic"], c["uid"], c["enabled"], c["x2apic"])
                          for c in r.cpus],
                         [(i, i, 1, 0) for i in range(4)])
        self.assertEqual(r.ioapics, [dict(id=0, pa=0xfec00000, gsi=0)])
        self.assertEqual([(o["irq"], o["gsi"], o["pol"], o["trig"])
                          for o in r.overrides], Q35_OVERRIDES)
        self.assertTrue(all(o["bus"] == 0 for o in r.overrides))
        self.assertEqual(r.nmis, [dict(uid=0xffffffff, lint=1, flags=0,
                                       pol="conform", trig="conform")])
        self.assertEqual(r.madt["lapic"], 0xfee00000)
        self.assertEqual(r.madt["lapic_overridden"], 0)
        self.assertEqual(r.madt["pic8259"], 1)

    def assert_one_warning(self, r, *fragments):
        w = r.warnings()
        self.assertEqual(len(w), 1, "expected one warning, got %r" % w)
        for f in fragments:
            self.assertIn(f, w[0])

    # -- build checks --

    def kernel_build(self, cc):
        if shutil.which(cc) is None:
            self.skipTest("%s not installed" % cc)
        with tempfile.TemporaryDirectory() as bld:
            obj = os.path.join(bld, "arch/x86_64/acpi.o")
            r = subprocess.run(["make", "-s", "CC=" + cc, "BUILD=" + bld, obj],
                               cwd=ROOT, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            if shutil.which("nm") is None:
                return
            nm = subprocess.run(["nm", "-u", obj], capture_output=True,
                                text=True, check=True)
            undef = {ln.split()[-1] for ln in nm.stdout.splitlines() if ln}
            allowed = {"klog", "memcmp", "memcpy", "memmove", "memset",
                       "vsnprintf", "kassert_fail"}
            self.assertLessEqual(undef, allowed)

    def test_builds_with_kernel_flags_gcc(self):
        self.kernel_build("gcc")

    def test_builds_with_kernel_flags_clang(self):
        self.kernel_build("clang")

    # -- checksum --

    def test_checksum_is_byte_sum_mod_256(self):
        r = run("checksum")
        self.assertEqual(r.lines["sum"], "0x21")     # 0x10+0x20+0xf0+0x01
        self.assertEqual(r.lines["sum_empty"], "0x0")

    # -- MADT --

    def test_madt_q35_like(self):
        r = run("madt_q35")
        self.assertEqual(r.ret, 0)
        self.assert_q35_madt(r)
        self.assertEqual(r.warnings(), [])

    def test_madt_x2apic_entries_and_duplicate_id(self):
        r = run("madt_x2apic")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.cpus, [dict(apic=0, uid=0, enabled=1, x2apic=0),
                                  dict(apic=300, uid=1000, enabled=1,
                                       x2apic=1)])
        # Local x2APIC NMI: uid 1000, LINT0, flags 0xf = level, active low.
        self.assertEqual(r.nmis, [dict(uid=1000, lint=0, flags=0xf,
                                       pol="low", trig="level")])
        self.assert_one_warning(r, "APIC id 0 twice")

    def test_madt_disabled_cpu_skipped_online_capable_kept(self):
        r = run("madt_disabled_cpu")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.cpus, [dict(apic=0, uid=0, enabled=1, x2apic=0),
                                  dict(apic=2, uid=2, enabled=0, x2apic=0)])
        self.assertEqual(r.madt["pic8259"], 0)      # MADT flags 0
        self.assert_one_warning(r, "APIC id 0xff")

    def test_madt_bad_checksum_refused_defaults_kept(self):
        r = run("madt_bad_checksum")
        self.assertEqual(r.ret, -22)
        self.assert_madt_defaults(r)
        self.assert_one_warning(r, "MADT checksum mismatch (sum 0x3c)",
                                "ignoring table")

    def test_madt_zero_length_entry_stops_walk_keeps_earlier(self):
        r = run("madt_zero_length_entry")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.madt["valid"], 1)
        self.assertEqual([c["apic"] for c in r.cpus], [0, 1])
        self.assertEqual(len(r.ioapics), 1)
        self.assertEqual(r.madt["ioapics_valid"], 1)
        self.assert_one_warning(r, "MADT entry type 0 at offset 72",
                                "length 0", "stopping")

    def test_madt_entry_running_past_table_end(self):
        r = run("madt_entry_past_end")
        self.assertEqual(r.ret, 0)
        self.assertEqual([c["apic"] for c in r.cpus], [0])
        self.assertEqual(r.ioapics, [dict(id=0, pa=0xfec00000, gsi=0)])
        self.assertEqual(r.madt["ioapics_valid"], 1)
        self.assert_one_warning(r, "offset 64", "runs past the table end")

    def test_madt_truncated_buffer_refused(self):
        r = run("madt_buffer_truncated")
        self.assertEqual(r.ret, -22)
        self.assert_madt_defaults(r)
        self.assert_one_warning(r, "MADT length 144", "134 bytes available")

    def test_madt_length_smaller_than_header_refused(self):
        r = run("madt_length_below_header")
        self.assertEqual(r.ret, -22)
        self.assert_madt_defaults(r)
        self.assert_one_warning(r, "MADT length 20 is smaller than")

    def test_madt_absurd_length_refused(self):
        r = run("madt_length_absurd")
        self.assertEqual(r.ret, -22)
        self.assert_madt_defaults(r)
        self.assert_one_warning(r, "MADT", "absurd")

    def test_madt_wrong_signature_refused(self):
        r = run("madt_wrong_signature")
        self.assertEqual(r.ret, -22)
        self.assert_madt_defaults(r)
        self.assert_one_warning(r, "expected MADT", "'APIX'")

    def test_madt_lapic_address_override_and_two_ioapics(self):
        r = run("madt_lapic_override")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.madt["lapic"], 0x1234fee00000)
        self.assertEqual(r.madt["lapic_overridden"], 1)
        self.assertEqual(r.ioapics, [dict(id=2, pa=0xfec00000, gsi=0),
                                     dict(id=3, pa=0xfec01000, gsi=24)])
        self.assertEqual(r.warnings(), [])

    def test_madt_short_entry_skipped_walk_continues(self):
        r = run("madt_short_entry")
        self.assertEqual(r.ret, 0)
        self.assertEqual([c["apic"] for c in r.cpus], [0, 1])
        # The only IOAPIC entry was too short: default IOAPIC, flagged.
        self.assertEqual(r.madt["ioapics_valid"], 0)
        self.assertEqual(r.ioapics, [dict(id=0, pa=0xfec00000, gsi=0)])
        w = r.warnings()
        self.assertEqual(len(w), 2, w)
        self.assertIn("type 1 at offset 52 is 8 bytes", w[0])
        self.assertIn("no IOAPIC", w[1])

    def test_madt_limits_extra_entries_counted_and_ignored(self):
        r = run("madt_too_many")
        self.assertEqual(r.madt["ncpus"], 64)
        self.assertEqual(r.madt["ncpus_ignored"], 6)
        self.assertEqual([c["apic"] for c in r.cpus], list(range(64)))
        self.assertEqual(r.madt["nioapics"], 8)
        self.assertEqual(r.madt["nioapics_ignored"], 1)
        self.assertEqual(r.madt["noverrides"], 16)
        self.assertEqual(r.madt["noverrides_ignored"], 1)
        w = r.warnings()
        self.assertEqual(len(w), 3, w)
        self.assertIn("70 CPUs; using the first 64, ignoring 6", w[0])

    def test_madt_without_entries_falls_back_per_part(self):
        r = run("madt_empty")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.madt["valid"], 1)
        self.assertEqual(r.madt["cpus_valid"], 0)
        self.assertEqual(r.madt["ioapics_valid"], 0)
        self.assertEqual(r.cpus, [dict(apic=0, uid=0, enabled=1, x2apic=0)])
        self.assertEqual(r.ioapics, [dict(id=0, pa=0xfec00000, gsi=0)])
        self.assertEqual(r.madt["lapic"], 0xfee00000)
        self.assertEqual(len(r.warnings()), 3, r.warnings())

    def test_madt_inti_flags_decoding(self):
        r = run("madt_reserved_flags")
        self.assertEqual([(o["irq"], o["gsi"], o["flags"], o["pol"],
                           o["trig"]) for o in r.overrides],
                         [(9, 20, 0x7, "low", "edge"),
                          (4, 4, 0xa, "conform", "conform")])
        self.assert_one_warning(r, "IRQ 4", "reserved flags 0xa")

    def test_override_lookup(self):
        r = run("override_find")
        self.assertEqual(r.lines["find0"], "yes gsi=2")
        self.assertEqual(r.lines["find9"], "yes gsi=9")
        self.assertEqual(r.lines["find4"], "no")

    # -- HPET, MCFG --

    def test_hpet(self):
        r = run("hpet")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.hpet, dict(present=1, pa=0xfed00000, number=0,
                                      min_tick=128, block_id=0x8086a201))

    def test_hpet_in_io_space_refused(self):
        r = run("hpet_io_space")
        self.assertEqual(r.ret, -22)
        self.assertEqual(r.hpet["present"], 0)
        self.assert_one_warning(r, "HPET", "address space 1")

    def test_hpet_shorter_than_fixed_part_refused(self):
        r = run("hpet_short")
        self.assertEqual(r.ret, -22)
        self.assertEqual(r.hpet["present"], 0)
        self.assert_one_warning(r, "HPET length 52", "56-byte")

    def test_mcfg_segments_invalid_entry_and_trailing_bytes(self):
        r = run("mcfg")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.mcfgs, [
            dict(base=0xb0000000, seg=0, start=0, end=255),
            dict(base=0xd0000000, seg=2, start=0, end=63)])
        w = r.warnings()
        self.assertEqual(len(w), 2, w)
        self.assertIn("3 bytes after its last whole entry", w[0])
        self.assertIn("entry 1", w[1])

    # -- RSDP search --

    def test_rsdp_found_on_16_byte_boundary_only(self):
        r = run("rsdp_v1_at_offset")
        self.assertEqual(r.ret, 0)
        # The copy at offset 0x24 (valid, RSDT 0x1111) is not 16-aligned.
        self.assertEqual(r.rsdp["pa"], 0xf5050)
        self.assertEqual(r.rsdp["rsdt"], 0x7fe23b3)
        self.assertEqual(r.rsdp["rev"], 0)
        self.assertEqual(r.rsdp["oem"], "BOCHS")
        self.assertEqual(r.rsdp["xsdt"], 0)
        self.assertEqual(r.warnings(), [])

    def test_rsdp_bad_checksum_skipped_next_found(self):
        r = run("rsdp_bad_checksum_then_good")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.rsdp["pa"], 0xe0080)
        self.assertEqual(r.rsdp["rsdt"], 0x3333)
        self.assert_one_warning(r, "0xe0010", "checksum mismatch")

    def test_rsdp_only_bad_candidate_not_found(self):
        r = run("rsdp_only_bad")
        self.assertEqual(r.ret, -2)
        self.assertEqual(r.rsdp["valid"], 0)

    def test_rsdp_revision2_extended_fields(self):
        r = run("rsdp_v2")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.rsdp["rev"], 2)
        self.assertEqual(r.rsdp["xsdt"], 0x1234567800)
        self.assertEqual(r.rsdp["rsdt"], 0x7fe0000)
        self.assertEqual(r.warnings(), [])

    def test_rsdp_revision2_bad_extended_checksum_refused(self):
        r = run("rsdp_v2_bad_ext_checksum")
        self.assertEqual(r.ret, -2)
        self.assertEqual(r.rsdp["valid"], 0)
        self.assert_one_warning(r, "extended checksum mismatch")

    def test_rsdp_revision2_bad_length_refused(self):
        r = run("rsdp_v2_bad_length")
        self.assertEqual(r.ret, -2)
        self.assert_one_warning(r, "bad length 20")

    def test_rsdp_revision2_past_area_end_refused(self):
        r = run("rsdp_v2_at_area_end")
        self.assertEqual(r.ret, -2)
        self.assert_one_warning(r, "runs past the end of the search area")

    # -- the whole search, acpi_load over a fake physical memory --

    def test_load_recorded_qemu_q35_tables(self):
        r = run("load_q35")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.rsdp["pa"], 0xf59e0)
        self.assertEqual(r.rsdp["rev"], 0)            # SeaBIOS: ACPI 1.0
        self.assertEqual(r.rsdp["oem"], "BOCHS")
        self.assertEqual(r.rsdp["root"], 0x7fe23b3)
        self.assertEqual(r.rsdp["root_is_xsdt"], 0)
        self.assert_q35_madt(r)
        self.assertEqual(r.hpet["present"], 1)
        self.assertEqual(r.hpet["pa"], 0xfed00000)
        self.assertEqual(r.mcfgs, [dict(base=0xb0000000, seg=0, start=0,
                                        end=255)])
        self.assertEqual(r.warnings(), [])

    def test_load_prefers_ebda_and_xsdt(self):
        r = run("load_xsdt")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.rsdp["pa"], 0x9fc30)       # EBDA, not 0xf5000
        self.assertEqual(r.rsdp["root_is_xsdt"], 1)
        self.assertEqual(r.rsdp["root"], 0x7fe4000)
        self.assert_q35_madt(r)                       # the XSDT's MADT
        self.assertEqual(r.hpet["present"], 1)
        self.assertEqual(len(r.mcfgs), 1)
        # The XSDT's first entry lies outside mapped memory.
        self.assert_one_warning(r, "0x100000000000", "outside mapped memory")

    def test_load_bad_xsdt_falls_back_to_rsdt(self):
        r = run("load_bad_xsdt")
        self.assertEqual(r.ret, 0)
        self.assertEqual(r.rsdp["root"], 0x7fe5000)
        self.assertEqual(r.rsdp["root_is_xsdt"], 0)
        self.assertEqual([c["apic"] for c in r.cpus], [0, 1])  # RSDT's MADT
        self.assertEqual(r.hpet["present"], 0)
        w = r.warnings()
        self.assertEqual(len(w), 2, w)
        self.assertIn("XSDT checksum mismatch", w[0])

    def test_load_without_rsdp_one_line_and_defaults(self):
        r = run("load_no_rsdp")
        self.assertEqual(r.ret, -2)
        self.assertEqual(r.rsdp["valid"], 0)
        self.assert_madt_defaults(r)
        self.assertEqual(r.hpet["present"], 0)
        self.assertEqual(r.mcfgs, [])
        self.assertEqual(r.warnings(), [
            "acpi: no RSDP found; assuming one CPU and the standard IOAPIC "
            "at 0xfec00000"])

    def test_load_bad_madt_defaults_other_tables_kept(self):
        r = run("load_bad_madt")
        self.assertEqual(r.ret, 0)
        self.assert_madt_defaults(r)
        self.assertEqual(r.hpet["present"], 1)
        self.assertEqual(len(r.mcfgs), 1)
        w = r.warnings()
        self.assertTrue(any("MADT checksum mismatch (sum 0x11)" in x
                            for x in w), w)
        self.assertIn("no usable MADT", w[-1])

    def test_load_bad_root_table(self):
        r = run("load_bad_root")
        self.assertEqual(r.ret, -22)
        self.assertEqual(r.rsdp["valid"], 1)
        self.assertEqual(r.rsdp["pa"], 0xf5000)
        self.assertEqual(r.rsdp["root"], 0)
        self.assert_madt_defaults(r)
        w = r.warnings()
        self.assertIn("RSDT checksum mismatch", w[0])
        self.assertIn("no usable RSDT or XSDT", w[-1])

    # -- summary --

    def test_print_q35_summary(self):
        r = run("print_q35")
        info = [t for lvl, t in r.logs if lvl == 1]
        self.assertEqual(info, [
            "acpi: RSDP rev 0 at 0xf59e0, OEM BOCHS, RSDT at 0x7fe23b3",
            "acpi: MADT: 4 CPUs, 1 IOAPIC (id 0 at 0xfec00000, GSI 0), "
            "5 overrides, LAPIC at 0xfee00000, 8259 present",
            "acpi: overrides: IRQ0->GSI2, IRQ5->GSI5 level/high, "
            "IRQ9->GSI9 level/high, IRQ10->GSI10 level/high, "
            "IRQ11->GSI11 level/high",
            "acpi: LAPIC NMI: all CPUs LINT1",
            "acpi: HPET at 0xfed00000 (number 0, min tick 0)",
            "acpi: MCFG: segment 0 buses 0-255 at 0xb0000000",
        ])

    def test_print_defaults_summary(self):
        r = run("print_defaults")
        info = [t for lvl, t in r.logs if lvl == 1]
        self.assertEqual(info, [
            "acpi: no RSDP",
            "acpi: MADT missing, defaults: 1 CPU, 1 IOAPIC (id 0 at "
            "0xfec00000, GSI 0), 0 overrides, LAPIC at 0xfee00000, "
            "8259 present",
            "acpi: HPET: none",
            "acpi: MCFG: none",
        ])


if __name__ == "__main__":
    unittest.main()
