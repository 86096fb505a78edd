"""A shell on another serial port: the console's shell starts one on
com1 (the first port of a pci-serial-4x card, wired to a QEMU socket
chardev); the host talks to it through the socket, and its answers come
back there, not on the console.  `poweroff` typed on com1 ends the run
with status 0.  Also `demux` on the card's line switches its dispatch.

The kernel is built in $PINWHEEL_BUILD (tools/check sets it to its
--build directory; default build).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import hosttest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BOOT = os.path.join(ROOT, "tools", "boot")
BANNER = b"Pinwheel shell on com1; help lists the commands."


def connect(path, deadline):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def read_until(s, want, deadline):
    got = b""
    while want not in got:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "needs QEMU")
class ShellOnAPort(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.kernel = hosttest.kernel()
        tmp = tempfile.mkdtemp(prefix="pinwheel-shellport-")
        path = os.path.join(tmp, "com1")
        proc = subprocess.Popen(
            [sys.executable, BOOT, "--kernel",
             cls.kernel, "--smp", "2",
             "--timeout", "120",
             "--device", "pci-serial-4x,addr=07.0,chardev1=p1",
             "--qemu=-chardev",
             "--qemu=socket,id=p1,path=%s,server=on,wait=off" % path],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        try:
            s = connect(path, deadline)
            proc.stdin.write(b"demux 23\nshell com1\nshell com1\n"
                             b"shell com9\n")
            proc.stdin.flush()
            port = read_until(s, BANNER, deadline)
            s.sendall(b"uptime\ndemux 23 nested\nps\nbogus\npoweroff\n")
            port += read_until(s, b"powering off", deadline)
            s.close()
            cls.console = proc.communicate(timeout=60)[0].decode(
                errors="replace").replace("\r", "")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)
        cls.status = proc.returncode
        cls.port = port.decode(errors="replace").replace("\r", "")

    def test_poweroff_on_the_port_ends_the_run(self):
        self.assertEqual(self.status, 0, self.console[-3000:])
        self.assertIn("powering off", self.port)

    def test_the_console_starts_it_once_and_names_bad_ports(self):
        c = self.console
        self.assertRegex(c, r"shell: started on com1\n")
        self.assertRegex(c, r"shell: 'com1' has a shell already\n")
        self.assertRegex(c, r"shell: no serial port named 'com9'\n")
        self.assertRegex(c, r"demux puc0 on irq 23: chained, children"
                            r"( \d+){4}\n")

    def test_the_port_shell_answers_on_the_port(self):
        p = self.port
        self.assertIn(BANNER.decode(), p)
        self.assertRegex(p, r"up \d+\.\d{3} s")
        self.assertRegex(p, r"demux puc0 on irq 23: nested, children")
        self.assertRegex(p, r"\n +\d+ shell/com1 +onproc ")
        self.assertRegex(p, r"bogus: unknown command \(help lists them\)")
        # ... and not on the console.
        self.assertNotRegex(self.console, r"up \d+\.\d{3} s")
        self.assertNotIn("bogus: unknown command", self.console)


if __name__ == "__main__":
    unittest.main()
