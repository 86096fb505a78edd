"""tools/plot-latency: reading a console log (HIST and RESULT lines amid
noise, malformed HIST lines reported by line), the gnuplot script it
writes (the data blocks hold the histograms' buckets and the grouped
results), its command line, a real PNG when gnuplot is installed, and end
to end: a kernel's `intr hist` in a shell session, read and plotted.

The boot test builds the kernel in $PINWHEEL_BUILD (tools/check sets it
to its --build directory; default build), which leaves tools/check's own
build step nothing to do.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import hosttest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "plot-latency")
BOOT = os.path.join(ROOT, "tools", "boot")

pl = hosttest.load_tool("plot_latency", TOOL)


def buckets(**counts):
    """32 bucket counts, b12=3 style keywords for the non-zero ones."""
    out = [0] * 32
    for k, v in counts.items():
        out[int(k[1:])] = v
    return ",".join(str(c) for c in out)


# The first two HIST lines as the kernel printed them (a shell session
# with rtc_hz=1024; the irq suite's test line), p50/p99 included.
RTC = buckets(b12=4, b13=85, b14=202, b15=58, b16=3, b17=2, b18=5)
TEST = buckets(b11=19, b12=19, b13=1, b14=1)
SAMPLE = """\
[    0.098017] status: 2 CPUs, 252 MiB of 253 MiB free
Pinwheel shell on com0; help lists the commands.
pinwheel> HIST irq=8 kind=wake action=rtc model=thread unit=ns count=359 \
p50=32768 p99=524288 buckets=%(rtc)s
HIST irq=68 kind=raise action=test model=- unit=ns count=40 p50=8192 \
p99=32768 buckets=%(test)s
HISTORY is not a histogram line
HIST irq=70 kind=wake action=x model=lazy unit=ns count=5 p50=8 p99=8
HIST irq=71 kind=wake action=y model=lazy unit=ns count=6 p50=8 p99=8 \
buckets=%(five)s
HIST irq=7x kind=wake action=z model=lazy unit=ns count=5 p50=8 p99=8 \
buckets=%(five)s
RESULT irq_ipi_hard_self_primary_p50_tpr=2623 unit=ns
RESULT irq_ipi_hard_self_primary_p99_tpr=3100 unit=ns
RESULT irq_ipi_hard_self_primary_max_tpr=12861 unit=ns
RESULT irq_ipi_thread_self_primary_p50_tpr=2725 unit=ns
RESULT irq_ipi_thread_self_primary_max_tpr=4031744 unit=ns
RESULT irq_ipi_defer_extra_tpr=21 unit=ns
RESULT irq_ipi_hard_throughput_tpr=193772 unit=irq/s
RESULT broken=12x unit=ns
some other line RESULT x=1 unit=ns
pinwheel> powering off
""" % {"rtc": RTC, "test": TEST, "five": buckets(b2=5)}


def datablocks(script):
    """{name: [row words]} of the script's inline data blocks, comment
    lines left out."""
    blocks = {}
    for m in re.finditer(r"^\$(\w+) << EOD\n(.*?)^EOD$", script,
                         re.S | re.M):
        blocks[m.group(1)] = [l.split() for l in m.group(2).splitlines()
                              if l and not l.startswith("#")]
    return blocks


def png_size(path):
    """(width, height) from a PNG's IHDR chunk; fails if not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == pl.PNG_SIGNATURE, head[:8]
    assert head[12:16] == b"IHDR", head[12:16]
    return struct.unpack(">II", head[16:24])


def run_tool(*args, stdin=None):
    return subprocess.run([sys.executable, TOOL] + list(args),
                          input=stdin, capture_output=True, text=True,
                          timeout=120)


class Parse(unittest.TestCase):
    def setUp(self):
        self.cap = pl.parse(SAMPLE.splitlines(True))

    def test_hist_lines_are_read_after_a_prompt_too(self):
        self.assertEqual(list(self.cap.hists), [(8, "rtc", "wake"),
                                                (68, "test", "raise")])
        rtc = self.cap.hists[(8, "rtc", "wake")]
        self.assertEqual((rtc.model, rtc.count, rtc.lineno),
                         ("thread", 359, 3))
        self.assertEqual(rtc.buckets[12:19], [4, 85, 202, 58, 3, 2, 5])

    def test_percentiles_agree_with_the_kernel(self):
        # The kernel printed p50/p99 as the holding bucket's upper bound.
        for key, p50, p99 in (((8, "rtc", "wake"), 32768, 524288),
                              ((68, "test", "raise"), 8192, 32768)):
            h = self.cap.hists[key]
            self.assertEqual(2 << h.percentile_bucket(50), p50, key)
            self.assertEqual(2 << h.percentile_bucket(99), p99, key)

    def test_malformed_hist_lines_are_reported_by_line(self):
        problems = dict(self.cap.problems)
        self.assertEqual(sorted(problems), [6, 7, 8])
        self.assertIn("no buckets", problems[6])
        self.assertIn("the buckets add up to 5, count=6", problems[7])
        self.assertIn("irq=7x is not a number", problems[8])
        for why in problems.values():
            self.assertTrue(why.startswith("malformed HIST line: "), why)

    def test_other_malformations(self):
        good = ("HIST irq=1 kind=wake action=a model=hard unit=ns count=1 "
                "p50=2 p99=2 buckets=1")
        self.assertEqual(pl.parse([good]).problems, [])
        for line, why in (
                (good.replace("unit=ns", "unit=cycles"), "only ns"),
                (good.replace("count=1", "count=1 count=1"),
                 "count given twice"),
                (good.replace("buckets=1", "buckets=1,,0"), "not a list"),
                (good + " junk", "'junk' is not key=value"),
                ("HIST", "no irq, kind")):
            problems = pl.parse([line]).problems
            self.assertEqual(len(problems), 1, line)
            self.assertIn(why, problems[0][1])

    def test_a_later_line_replaces_an_earlier_one(self):
        later = SAMPLE.replace("pinwheel> powering off",
                               "HIST irq=68 kind=raise action=test model=- "
                               "unit=ns count=1 p50=2 p99=2 buckets=1")
        cap = pl.parse(later.splitlines(True))
        self.assertEqual(cap.hists[(68, "test", "raise")].count, 1)

    def test_result_lines(self):
        r = self.cap.results
        self.assertEqual(len(r), 7)
        self.assertNotIn("broken", r)
        self.assertNotIn("x", r)
        self.assertEqual(r["irq_ipi_hard_throughput_tpr"].unit, "irq/s")
        self.assertEqual(r["irq_ipi_hard_self_primary_max_tpr"].value, 12861)


class HistScript(unittest.TestCase):
    def setUp(self):
        cap = pl.parse(SAMPLE.splitlines(True))
        self.hists = list(cap.hists.values())

    def test_data_blocks_hold_the_buckets(self):
        script = pl.hist_script(self.hists, "out.png")
        blocks = datablocks(script)
        # Shown: bucket 10 (one below the lowest used, 11) to 19 (one
        # above the highest, 18), then the step down at 20.
        self.assertIn("set xrange [10:20]", script)
        rtc = [[int(w) for w in row] for row in blocks["s0"]]
        want = [[b, c] for b, c in zip(range(10, 20),
                                       [0, 0, 4, 85, 202, 58, 3, 2, 5, 0])]
        self.assertEqual(rtc, want + [[20, 0]])
        test = [[int(w) for w in row] for row in blocks["s1"]]
        self.assertEqual(test[:6], [[10, 0], [11, 19], [12, 19], [13, 1],
                                    [14, 1], [15, 0]])
        # p50 and p99 marked at the middle of their buckets.
        self.assertEqual(blocks["m0"], [["14.5", "202", "p50"],
                                        ["18.5", "5", "p99"]])
        self.assertEqual(blocks["m1"], [["12.5", "19", "p50"],
                                        ["14.5", "1", "p99"]])

    def test_labels_axis_and_scale(self):
        script = pl.hist_script(self.hists, "o'ut.png")
        self.assertIn("set output 'o''ut.png'", script)
        self.assertIn("title 'irq 8 rtc (thread) wake->thread  n=359 "
                      "p50<32.8us p99<524us'", script)
        self.assertIn("title 'irq 68 test raise->primary  n=40 "
                      "p50<8.19us p99<32.8us'", script)
        self.assertIn("'1.02us' 10, '2.05us' 11", script)
        self.assertIn("'1.05ms' 20", script)
        # 202 against 1: over two decades, so a log axis by default.
        self.assertIn("set logscale y", script)
        self.assertNotIn("set logscale y",
                         pl.hist_script(self.hists, "o.png", log=False))

    def test_percent_makes_each_series_sum_to_100(self):
        blocks = datablocks(pl.hist_script(self.hists, "o.png",
                                           percent=True))
        for name in ("s0", "s1"):
            total = sum(float(row[1]) for row in blocks[name])
            self.assertAlmostEqual(total, 100.0, places=3)

    def test_labels_of_bucket_bounds(self):
        self.assertEqual([pl.fmt_ns(1 << b) for b in (0, 9, 10, 15, 20, 31)],
                         ["1ns", "512ns", "1.02us", "32.8us", "1.05ms",
                          "2.15s"])


class ResultsScript(unittest.TestCase):
    def setUp(self):
        self.cap = pl.parse(SAMPLE.splitlines(True))

    def results(self, pattern):
        return [r for r in self.cap.results.values()
                if re.search(pattern, r.name)]

    def test_statistics_of_one_figure_are_grouped_side_by_side(self):
        rs = self.results(r"self_primary|defer_extra")
        script = pl.results_script(rs, "r.png")
        self.assertEqual(datablocks(script)["r"], [
            ["irq_ipi_hard_self_primary_tpr", "NaN", "2623", "3100", "12861"],
            ["irq_ipi_thread_self_primary_tpr", "NaN", "2725", "NaN",
             "4031744"],
            ["irq_ipi_defer_extra_tpr", "21", "NaN", "NaN", "NaN"]])
        self.assertIn("# group value p50 p99 max", script)
        self.assertIn("using 2:xtic(1) title 'ns'", script)
        self.assertIn("'' using 5 title 'max'", script)
        self.assertIn("set logscale y", script)   # 21 to 4031744

    def test_split_stat(self):
        self.assertEqual(pl.split_stat("rtc_hard_wake_p99"),
                         ("rtc_hard_wake", "p99"))
        self.assertEqual(pl.split_stat("irq_ipi_hard_self_primary_max_tpr"),
                         ("irq_ipi_hard_self_primary_tpr", "max"))
        self.assertEqual(pl.split_stat("trace_irq_hard_per_irq_off"),
                         ("trace_irq_hard_per_irq_off", "value"))

    def test_one_unit_only(self):
        with self.assertRaises(pl.PlotError) as cm:
            pl.results_script(self.results("_tpr$"), "r.png")
        self.assertIn("2 units (irq/s, ns)", str(cm.exception))



class CommandLine(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.dir.name, "console.log")
        with open(self.log, "w") as f:
            f.write(SAMPLE)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_script_instead_of_gnuplot(self):
        p = run_tool(self.log, "-o", "h.png", "--script", self.path("h.gp"))
        self.assertEqual(p.returncode, 0, p.stderr)
        # The malformed lines are named on stderr, the rest is plotted.
        for n in (6, 7, 8):
            self.assertIn("plot-latency: %s:%d: malformed HIST line"
                          % (self.log, n), p.stderr)
        with open(self.path("h.gp")) as f:
            script = f.read()
        self.assertEqual(sorted(datablocks(script)),
                         ["m0", "m1", "s0", "s1"])
        self.assertIn("set output 'h.png'", script)

    def test_stdin_and_irq_filter(self):
        p = run_tool("--irq", "68", "--script", "-", stdin=SAMPLE)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(datablocks(p.stdout)), ["m0", "s0"])
        self.assertIn("irq 68 test", p.stdout)

    def test_match_selects_results(self):
        p = run_tool(self.log, "--match", "self_primary", "--script", "-")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = datablocks(p.stdout)["r"]
        self.assertEqual([r[0] for r in rows],
                         ["irq_ipi_hard_self_primary_tpr",
                          "irq_ipi_thread_self_primary_tpr"])

    def test_nothing_plottable_fails_clearly(self):
        for args, stdin, why in (
                (["-"], "just a boot log\n", "no HIST lines in the log"),
                (["-", "--results"], "just a boot log\n",
                 "no RESULT lines in the log"),
                ([self.log, "--match", "nosuch"], None,
                 "no RESULT name matches 'nosuch'"),
                ([self.log, "--irq", "3"], None,
                 "no histogram of irq 3"),
                ([self.log, "--results"], None, "2 units (irq/s, ns)"),
                ([self.path("missing.log")], None, "No such file")):
            p = run_tool(*args, "--script", "-", stdin=stdin)
            self.assertEqual(p.returncode, 1, (args, p.stderr))
            self.assertIn(why, p.stderr, args)
            self.assertEqual(p.stdout, "", args)

    def test_missing_gnuplot_is_named(self):
        out = self.path("x.png")
        p = run_tool(self.log, "-o", out, "--gnuplot",
                     self.path("no-gnuplot-here"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("gnuplot not found", p.stderr)
        self.assertIn("gnuplot-nox", p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_usage(self):
        p = run_tool("--help")
        self.assertEqual(p.returncode, 0)
        for word in ("--match", "--script", "--percent", "intr hist",
                     "docs/interrupts.md"):
            self.assertIn(word, p.stdout)
        p = run_tool("--match", "x", "--irq", "3")
        self.assertEqual(p.returncode, 2)


@unittest.skipUnless(shutil.which("gnuplot"),
                     "gnuplot is not installed (tools/deps installs "
                     "gnuplot-nox)")
class RealPng(unittest.TestCase):
    def test_histograms_and_results_become_pngs(self):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "console.log")
            with open(log, "w") as f:
                f.write(SAMPLE)
            for args, size in (([], (1000, 600)),
                               (["--percent", "--linear"], (1000, 600)),
                               (["--match", "self_primary"], None)):
                out = os.path.join(d, "out.png")
                p = run_tool(log, "-o", out, *args)
                self.assertEqual(p.returncode, 0, p.stderr)
                w, h = png_size(out)
                if size is not None:
                    self.assertEqual((w, h), size)
                self.assertGreater(os.path.getsize(out), 5000, args)
                os.unlink(out)


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "needs QEMU")
class ShellBoot(unittest.TestCase):
    """`intr hist` in a shell session with the RTC ticking (its thread
    function's wake-ups) and the edu suite run first (raises of the edu's
    lines), read and plotted."""

    @classmethod
    def setUpClass(cls):
        cls.kernel = hosttest.kernel()
        cls.boot = subprocess.run(
            [sys.executable, BOOT, "--kernel",
             cls.kernel, "--smp", "2",
             "--device", "edu", "--timeout", "120", "--", "rtc_hz=1024"],
            cwd=ROOT, input="ktest edu\nintr hist\nuptime\nintr hist 8\n"
            "intr hist 200\npoweroff\n", capture_output=True, text=True,
            errors="replace", timeout=200)

    def test_intr_hist_reads_and_plots(self):
        b = self.boot
        self.assertEqual(b.returncode, 0, b.stdout[-3000:] + b.stderr)
        parts = re.split(r"up \d+\.\d{3} s[^\n]*\n", b.stdout)
        self.assertEqual(len(parts), 2, "uptime's answer: " +
                         b.stdout[-2000:])
        first, second = parts
        cap = pl.parse(first.splitlines(True))
        self.assertEqual(cap.problems, [])
        kinds = {(h.irq, h.kind) for h in cap.hists.values()}
        self.assertIn((8, "wake"), kinds)
        self.assertTrue(any(k == "raise" for _, k in kinds), kinds)
        for h in cap.hists.values():
            self.assertGreater(h.count, 0)
            self.assertEqual(len(h.buckets), 32)
        rtc = cap.hists[(8, "rtc", "wake")]
        self.assertEqual(rtc.model, "thread")
        # `intr hist 8` printed irq 8's histogram alone.
        again = pl.parse(second.splitlines(True))
        self.assertEqual(list(again.hists), [(8, "rtc", "wake")])
        self.assertIn("intr: no IRQ 200", second)
        # The tool reads the whole log and writes its script (and a PNG
        # when gnuplot is there).
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "console.log")
            with open(log, "w") as f:
                f.write(first)
            p = run_tool(log, "--script", "-")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(len([n for n in datablocks(p.stdout)
                                  if n.startswith("s")]), len(cap.hists))
            if shutil.which("gnuplot"):
                out = os.path.join(d, "lat.png")
                p = run_tool(log, "-o", out)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(png_size(out), (1000, 600))


if __name__ == "__main__":
    unittest.main()
