"""What the host tests that boot the kernel share: the kernel, built in
$PINWHEEL_BUILD (tools/check sets it to its --build directory; default
build), which leaves tools/check's own build step nothing to do."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def kernel():
    """Build the kernel if needed; return the path of its kernel.elf."""
    build = os.environ.get("PINWHEEL_BUILD", "build")
    r = subprocess.run(["make", "-s", "BUILD=" + build], cwd=ROOT,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0:
        raise AssertionError("make failed:\n" + r.stdout + r.stderr)
    return os.path.join(ROOT, build, "kernel.elf")
