#!/usr/bin/env python3
"""Host tests for the q35 INTx routing (dev/pci_route.c).

tests/host/pci_route_harness.c is compiled with dev/pci_route.c by the
host compiler, against the kernel's headers, with AddressSanitizer and
UBSan when the compiler has them.  The tests compare what it computes with
tables written out here by hand from the sources, not from pci_route.c:

- Q35_PRT is the interrupt routing table QEMU 7.2 puts in the q35 DSDT
  (\\_SB.PCI0.PRTA, the APIC-mode _PRT), recorded by booting
  `qemu-system-x86_64 -machine q35` and disassembling the DSDT with
  `iasl -d`: for each slot, the link device of INTA..INTD.  The links
  GSIA..GSIH have _UID 0x10..0x17 and a _CRS of GSI 16..23.
- SWIZZLE is the PCI-to-PCI Bridge Architecture 1.2 §9.1 table: which
  pin on the bridge's primary side carries each pin of a device behind
  it, by device number modulo 4.

Run: python3 -m unittest tests/host/test_pci_route.py   (from the repo top)
"""
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOST_CC = os.environ.get("HOST_CC", "cc")
BASE_FLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror",
              "-Wno-unused-parameter", "-g", "-Iinclude", "-I.",
              "-DHOST_TEST"]
SOURCES = ["tests/host/pci_route_harness.c", "dev/pci_route.c"]

LINK_GSI = {"GSI" + c: 16 + i for i, c in enumerate("ABCDEFGH")}

# slot: links of INTA, INTB, INTC, INTD (QEMU 7.2 q35 DSDT, PRTA).
_ROT = [["GSIE", "GSIF", "GSIG", "GSIH"], ["GSIF", "GSIG", "GSIH", "GSIE"],
        ["GSIG", "GSIH", "GSIE", "GSIF"], ["GSIH", "GSIE", "GSIF", "GSIG"]]
Q35_PRT = {slot: _ROT[slot % 4] for slot in range(25)}
Q35_PRT.update({slot: ["GSIA", "GSIB", "GSIC", "GSID"]
                for slot in (25, 26, 27, 28, 29, 31)})
Q35_PRT[30] = ["GSIE", "GSIF", "GSIG", "GSIH"]

# device number mod 4: primary-side pin for INTA, INTB, INTC, INTD.
SWIZZLE = {0: "ABCD", 1: "BCDA", 2: "CDAB", 3: "DABC"}

_tmpdir = None
_harness = None


def setUpModule():
    global _tmpdir, _harness
    _tmpdir = tempfile.mkdtemp(prefix="pci_route_test_")
    _harness = os.path.join(_tmpdir, "pci_route_harness")
    errors = []
    for extra in (["-fsanitize=address,undefined",
                   "-fno-sanitize-recover=all"], []):
        r = subprocess.run([HOST_CC] + BASE_FLAGS + extra + SOURCES +
                           ["-o", _harness], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode == 0:
            return
        errors.append(r.stderr)
    raise RuntimeError("cannot build the routing harness:\n" +
                       "\n".join(errors))


def tearDownModule():
    if _tmpdir:
        shutil.rmtree(_tmpdir, ignore_errors=True)


def run(*args):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run([_harness] + [str(a) for a in args],
                       capture_output=True, text=True, env=env, timeout=30)
    if r.returncode != 0:
        raise AssertionError("harness %s exited %d: %s"
                             % (args, r.returncode, r.stderr))
    return r.stdout


def triples(out):
    return {(a, b): c for a, b, c in
            (tuple(int(x) for x in line.split()) for line in
             out.splitlines())}


def gsi(pin, *slots):
    return int(run("path", pin, *slots))


PIN = {c: i + 1 for i, c in enumerate("ABCD")}


class RoutingTest(unittest.TestCase):

    def test_bus0_matches_the_prt_qemu_publishes(self):
        got = triples(run("table"))
        for slot, links in Q35_PRT.items():
            for pin, link in enumerate(links, start=1):
                self.assertEqual(got[(slot, pin)], LINK_GSI[link],
                                 "slot %d INT%s" % (slot, "ABCD"[pin - 1]))

    def test_no_pin_bad_pin_or_bad_slot_is_unrouted(self):
        got = triples(run("table"))
        for slot in range(33):
            self.assertEqual(got[(slot, 0)], -1)
            self.assertEqual(got[(slot, 5)], -1)
        for pin in range(6):
            self.assertEqual(got[(32, pin)], -1)

    def test_swizzle_is_the_bridge_spec_table(self):
        got = triples(run("swizzle"))
        for slot in range(32):
            for pin in "ABCD":
                want = SWIZZLE[slot % 4][PIN[pin] - 1]
                self.assertEqual(got[(slot, PIN[pin])], PIN[want],
                                 "device %d INT%s" % (slot, pin))

    def test_a_path_of_one_slot_is_the_bus0_table(self):
        for slot, links in Q35_PRT.items():
            for pin, link in enumerate(links, start=1):
                self.assertEqual(gsi(pin, slot), LINK_GSI[link])

    def test_two_edu_functions_of_slot_5_reach_gsi_21(self):
        # tools/boot --device edu,addr=05.0,multifunction=on
        #            --device edu,addr=05.1: both INTA; the function
        # number is not an input of the routing at all.
        self.assertEqual(gsi(PIN["A"], 5), LINK_GSI["GSIF"])
        self.assertEqual(gsi(PIN["A"], 5), 21)

    def test_device_behind_a_root_port(self):
        # pcie-root-port at 00:1c.0, device 0 behind it: INTA stays INTA
        # and slot 28 routes through D28IR: INTA -> PIRQA -> GSI 16.
        for pin, link in zip("ABCD", Q35_PRT[28]):
            self.assertEqual(gsi(PIN[pin], 28, 0), LINK_GSI[link])

    def test_device_behind_a_pci_bridge_is_swizzled(self):
        # Bridge in slot 3, device 2 behind it, INTB: device 2 mod 4 = 2
        # turns INTB into INTD; slot 3 INTD is GSIG = 22.
        self.assertEqual(gsi(PIN["B"], 3, 2), 22)
        for dev in range(32):
            for pin in "ABCD":
                up = SWIZZLE[dev % 4][PIN[pin] - 1]
                self.assertEqual(gsi(PIN[pin], 3, dev),
                                 LINK_GSI[Q35_PRT[3][PIN[up] - 1]])

    def test_two_bridges_swizzle_twice(self):
        # Bridge in slot 1, bridge in its slot 4, device 1 below: INTA ->
        # INTB (device 1) -> INTB (device 4) -> slot 1 INTB = GSIG = 22.
        self.assertEqual(gsi(PIN["A"], 1, 4, 1), 22)

    def test_bad_paths_are_unrouted(self):
        self.assertEqual(gsi(PIN["A"], 3, 32), -1)      # slot 32
        self.assertEqual(gsi(0, 3, 2), -1)              # no pin
        self.assertEqual(gsi(5, 3), -1)                 # pin E
        self.assertEqual(gsi(PIN["A"], *([0] * 16)),
                         LINK_GSI["GSIE"])              # depth 16: ok
        self.assertEqual(gsi(PIN["A"], *([0] * 17)), -1)  # too deep


if __name__ == "__main__":
    unittest.main()
