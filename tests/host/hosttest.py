"""What the host tests share: loading a tool of tools/ as a module, and
the kernel, built in $PINWHEEL_BUILD (tools/check sets it to its --build
directory; default build), which leaves tools/check's own build step
nothing to do."""
import importlib.machinery
import importlib.util
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def load_tool(name, path):
    """The Python script at path (a tool without a .py suffix) as a
    module named name."""
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def kernel():
    """Build the kernel if needed; return the path of its kernel.elf."""
    build = os.environ.get("PINWHEEL_BUILD", "build")
    r = subprocess.run(["make", "-s", "BUILD=" + build], cwd=ROOT,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0:
        raise AssertionError("make failed:\n" + r.stdout + r.stderr)
    return os.path.join(ROOT, build, "kernel.elf")
