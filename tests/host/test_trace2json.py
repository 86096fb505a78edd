"""tools/trace2json: the converter on a fixed sample dump (its JSON, its
tracks and hand-off flows, its errors naming the input line), and end to
end: a kernel booted with run=trace:demo dumps a trace whose conversion
is valid Chrome trace JSON with the interrupt-to-thread hand-off in it.

The boot test builds the kernel in $PINWHEEL_BUILD (tools/check sets it
to its --build directory; default build), which leaves tools/check's own
build step nothing to do.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import hosttest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "trace2json")
BOOT = os.path.join(ROOT, "tools", "boot")

trace2json = hosttest.load_tool("trace2json", TOOL)

# A dump as trace_dump prints it, amid other console output: CPU 0 takes
# irq 70 (lazy): primary, pin of main under intr0/vm.1, the thread
# function blocks on a mutex main holds, main wakes it; CPU 1 takes irq 68
# whose thread function (thread model) runs in irq/68-x after a switch.
SAMPLE = """\
[    0.06] smp: 2 CPUs online
TRACE begin version=1 tsc_hz=1000000000 ncpu=2 ring=4096
TRACE lwp 13 intr0/vm.1
TRACE lwp 26 main
TRACE lwp 29 irq/68-x
TRACE cpu 0 events=11 lost=0
TRACE E 0 1000 26 irq_enter irq=70 vec=74
TRACE E 0 1100 26 primary_start irq=70 act=0xa1 fn=demo_primary
TRACE E 0 1200 26 primary_end irq=70 act=0xa1 ret=wake
TRACE E 0 1300 26 irq_exit irq=70 vec=74
some other line that happened to be printed meanwhile
TRACE E 0 1400 26 pin thread=13 pinned=26
TRACE E 0 1500 13 threadfn_start irq=70 act=0xa1 fn=demo_thread_fn
TRACE E 0 1600 13 block lock=0xdead owner=26 queue=writer
TRACE E 0 1700 13 unpin thread=13 pinned=26 why=block
TRACE E 0 1800 13 switch next=26 state=4
TRACE E 0 1900 26 wake woken=13 lock=0xdead queue=writer
TRACE E 0 2000 26 switch next=13 state=2
TRACE cpu 1 events=6 lost=0
TRACE E 1 1050 5 irq_enter irq=68 vec=72
TRACE E 1 1060 5 primary_start irq=68 act=0xb2 fn=demo_primary
TRACE E 1 1070 5 primary_end irq=68 act=0xb2 ret=wake
TRACE E 1 1080 5 irq_exit irq=68 vec=72
TRACE E 1 1090 5 switch next=29 state=2
TRACE E 1 1095 29 threadfn_start irq=68 act=0xb2 fn=demo_thread_fn
TRACE end events=17
[    0.07] poweroff
"""


def validate(test, doc):
    """Check doc is Chrome trace JSON as trace2json promises; return
    (events by track, flows as {id: (s event, f event)})."""
    doc = json.loads(json.dumps(doc))       # it serializes
    test.assertIsInstance(doc["traceEvents"], list)
    test.assertIn("tsc_hz", doc["otherData"])
    tracks = {}
    flows = {}
    for ev in doc["traceEvents"]:
        for key in ("name", "ph", "pid", "tid"):
            test.assertIn(key, ev, ev)
        test.assertIn(ev["ph"], ("M", "B", "E", "i", "s", "f"), ev)
        if ev["ph"] == "M":
            continue
        test.assertIsInstance(ev["ts"], (int, float), ev)
        tracks.setdefault((ev["pid"], ev["tid"]), []).append(ev)
        if ev["ph"] in ("s", "f"):
            flows.setdefault(ev["id"], {})[ev["ph"]] = ev
    for track, evs in tracks.items():
        stack = []
        for a, b in zip(evs, evs[1:]):
            test.assertLessEqual(a["ts"], b["ts"],
                                 "time goes back on track %s" % (track,))
        for ev in evs:
            if ev["ph"] == "B":
                stack.append(ev["name"])
            elif ev["ph"] == "E":
                test.assertTrue(stack, "E without B on %s: %s" % (track, ev))
                test.assertEqual(stack.pop(), ev["name"], track)
        test.assertEqual(stack, [], "unclosed slices on %s" % (track,))
    for fid, pair in flows.items():
        test.assertEqual(set(pair), {"s", "f"}, "flow %s: %s" % (fid, pair))
        test.assertLessEqual(pair["s"]["ts"], pair["f"]["ts"])
    return tracks, flows


def thread_names(doc):
    return {(e["pid"], e["tid"]): e["args"]["name"]
            for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


class Converter(unittest.TestCase):
    def convert(self, text):
        return trace2json.convert_lines(text.splitlines(True))

    def test_sample_is_valid_chrome_trace_json(self):
        doc = self.convert(SAMPLE)
        tracks, flows = validate(self, doc)
        self.assertEqual(doc["otherData"]["events"], 17)
        names = thread_names(doc)
        self.assertEqual(names[(0, trace2json.HARDIRQ_TID)], "hardirq")
        self.assertEqual(names[(0, trace2json.ONCPU_TID)], "on-cpu")
        self.assertEqual(names[(0, trace2json.LWP_TID_BASE + 13)],
                         "intr0/vm.1 [13]")
        self.assertEqual(names[(1, trace2json.LWP_TID_BASE + 29)],
                         "irq/68-x [29]")
        # LWP 5 has no name line: named by its id.
        oncpu1 = [e["name"] for e in doc["traceEvents"] if e["ph"] == "B"
                  and e["pid"] == 1 and e["tid"] == trace2json.ONCPU_TID]
        self.assertEqual(oncpu1, ["lwp 5", "irq/68-x"])

    def test_hand_off_flows_link_primary_to_thread_function(self):
        doc = self.convert(SAMPLE)
        _, flows = validate(self, doc)
        self.assertEqual(len(flows), 2)
        ends = sorted((p["f"]["pid"], p["f"]["tid"], p["f"]["ts"])
                      for p in flows.values())
        self.assertEqual(ends, [(0, trace2json.LWP_TID_BASE + 13, 0.5),
                                (1, trace2json.LWP_TID_BASE + 29, 0.095)])
        for p in flows.values():
            self.assertEqual(p["s"]["tid"], trace2json.HARDIRQ_TID)

    def test_instants_and_slices(self):
        doc = self.convert(SAMPLE)
        evs = [e for e in doc["traceEvents"] if e["ph"] != "M"]
        instants = [e["name"] for e in evs if e["ph"] == "i"]
        self.assertEqual(instants, [
            "pin main under intr0/vm.1", "block on 0xdead",
            "unpin main (block)", "wake intr0/vm.1"])
        oncpu0 = [e["name"] for e in evs
                  if e["ph"] == "B" and e["pid"] == 0
                  and e["tid"] == trace2json.ONCPU_TID]
        self.assertEqual(oncpu0, ["main", "intr0/vm.1", "main",
                                  "intr0/vm.1"])
        # The blocked thread function is still open at the end: closed.
        unfinished = [e for e in evs if e["ph"] == "E"
                      and e["args"].get("unfinished")]
        self.assertIn("threadfn demo_thread_fn",
                      [e["name"] for e in unfinished])

    def test_an_end_whose_start_was_overwritten_is_dropped(self):
        text = SAMPLE.replace(
            "TRACE E 0 1000 26 irq_enter irq=70 vec=74\n", "").replace(
            "events=11", "events=10").replace("events=17", "events=16")
        doc = self.convert(text)
        validate(self, doc)
        self.assertEqual(doc["otherData"]["unmatched_ends_dropped"], 1)

    def test_malformed_line_is_named(self):
        bad = SAMPLE.replace("TRACE E 0 1600 13 block",
                             "TRACE E 0 16x0 13 block")
        with self.assertRaises(trace2json.TraceError) as cm:
            self.convert(bad)
        self.assertEqual(cm.exception.lineno, 14)
        self.assertIn("malformed event line", str(cm.exception))

    def test_missing_argument_and_unknown_type(self):
        for old, new, msg in (
                (" why=block", "", "unpin event lacks why"),
                ("13 block lock", "13 bogus lock", "unknown event type"),
                ("TRACE E 0 2000", "TRACE E 0 10", "goes back"),
                ("TRACE E 1 1050", "TRACE E 2 1050", "the dump has 2 CPUs"),
                ("TRACE end events=17\n", "", "no 'TRACE end'"),
                ("events=17", "events=3", "dump says 3 events")):
            with self.assertRaises(trace2json.TraceError, msg=msg) as cm:
                self.convert(SAMPLE.replace(old, new))
            self.assertIn(msg, str(cm.exception))

    def test_no_dump_is_an_error(self):
        with self.assertRaises(trace2json.TraceError) as cm:
            self.convert("just a boot log\n")
        self.assertIn("no trace dump", str(cm.exception))

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as d:
            log, out = os.path.join(d, "log"), os.path.join(d, "t.json")
            with open(log, "w") as f:
                f.write(SAMPLE)
            p = subprocess.run([sys.executable, TOOL, log, "-o", out],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out) as f:
                validate(self, json.load(f))
            with open(log, "w") as f:
                f.write(SAMPLE.replace("ret=wake", "ret"))
            p = subprocess.run([sys.executable, TOOL, log],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertIn("trace2json: %s:9: malformed event line" % log,
                          p.stderr)
            p = subprocess.run([sys.executable, TOOL, "--help"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0)
            self.assertIn("Perfetto", p.stdout)


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "needs QEMU")
class DemoBoot(unittest.TestCase):
    """run=trace:demo on 2 CPUs, converted and validated."""

    @classmethod
    def setUpClass(cls):
        cls.kernel = hosttest.kernel()
        cls.boot = subprocess.run(
            [sys.executable, BOOT, "--kernel",
             cls.kernel, "--smp", "2",
             "--timeout", "120", "--", "run=trace:demo"],
            cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, errors="replace", timeout=200)

    def test_demo_dump_converts_to_valid_json_with_the_hand_offs(self):
        b = self.boot
        self.assertEqual(b.returncode, 0, b.stdout[-3000:] + b.stderr)
        doc = trace2json.convert_lines(b.stdout.splitlines(True))
        tracks, flows = validate(self, doc)
        names = thread_names(doc)
        evs = [e for e in doc["traceEvents"] if e["ph"] != "M"]
        slices = [e["name"] for e in evs if e["ph"] == "B"]
        instants = [e["name"] for e in evs if e["ph"] == "i"]
        # Five lines raised (hard, thread, lazy, source, lazy blocking).
        self.assertEqual(slices.count("primary demo_primary"), 5, slices)
        self.assertEqual(slices.count("threadfn demo_thread_fn"), 5, slices)
        self.assertEqual(slices.count("softint demo_softint"), 1, slices)
        self.assertEqual(len(flows), 5)
        # Each threaded model's hand-off ends on its runner's track.
        runners = sorted(names[(p["f"]["pid"], p["f"]["tid"])]
                         for p in flows.values())
        self.assertEqual(sum(r == "hardirq" for r in runners), 1, runners)
        self.assertTrue(any(r.startswith("irq/") and "-demo-thread" in r
                            for r in runners), runners)
        self.assertTrue(any(r.startswith("irq/") and r.split(" ")[0]
                            .endswith("-src") for r in runners), runners)
        self.assertEqual(sum(r.startswith("intr0/vm.") for r in runners), 2,
                         runners)
        for word in ("pin main under", "unpin main (return)",
                     "unpin main (block)", "block on ", "wake intr0/vm."):
            self.assertTrue(any(i.startswith(word) for i in instants),
                            (word, instants))
        self.assertEqual(doc["otherData"]["unmatched_ends_dropped"], 0)


if __name__ == "__main__":
    unittest.main()
