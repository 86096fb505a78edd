# tests/host/test_tools_qemu.py: tools/boot against the real QEMU, with a
# tiny Multiboot 1 kernel assembled on the fly (needs `as` and `ld`; the
# tests skip without them or without qemu-system-x86_64).  Checks that the
# firmware tools/boot picks boots a Multiboot kernel on q35, that the exit
# protocol (port 0xf4) maps to tools/boot's statuses, that the kernel
# command line arrives, and that stdin at EOF (/dev/null, a closed pipe)
# neither stops QEMU early nor hangs it.

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BOOT = os.path.join(ROOT, "tools", "boot")

# Prints "OK <cmdline>\n" on COM1, then acts on the last character of the
# command line: p exit 0x10, f exit 0x11, P exit 0x12, r triple fault,
# h hang, e echo serial input until 'q' (then exit 0x10).
KERNEL_S = r"""
	.text
	.code32
	.globl _start
	.align 4
mbheader:
	.long 0x1BADB002, 0, -0x1BADB002
_start:
	movl $0x80000, %esp
	movl 16(%ebx), %esi		/* Multiboot cmdline */
	movb $'O', %al
	call putc
	movb $'K', %al
	call putc
	movb $' ', %al
	call putc
	movl %esi, %edi
1:	movb (%edi), %al
	testb %al, %al
	jz 2f
	call putc
	incl %edi
	jmp 1b
2:	movb $'\n', %al
	call putc
	movb -1(%edi), %al
	cmpb $'f', %al
	je fail
	cmpb $'P', %al
	je panic
	cmpb $'r', %al
	je reset
	cmpb $'h', %al
	je hang
	cmpb $'e', %al
	je echo
pass:	movb $0x10, %al
	jmp exit
fail:	movb $0x11, %al
	jmp exit
panic:	movb $0x12, %al
exit:	outb %al, $0xf4
hang:	cli
	hlt
	jmp hang
reset:	lidt zeroidt
	int3
echo:	movw $0x3fd, %dx
	inb %dx, %al
	testb $1, %al
	jz echo
	movw $0x3f8, %dx
	inb %dx, %al
	cmpb $'q', %al
	je pass
	call putc
	jmp echo
putc:	movw $0x3f8, %dx
	outb %al, %dx
	ret
	.align 8
zeroidt: .word 0
	.long 0
	.section .note.GNU-stack,"",@progbits
"""


def have_tools():
    return all(shutil.which(t) for t in ("as", "ld", "qemu-system-x86_64"))


@unittest.skipUnless(have_tools(), "needs as, ld and qemu-system-x86_64")
class RealQemuTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        src, obj = os.path.join(d, "k.S"), os.path.join(d, "k.o")
        cls.kernel = os.path.join(d, "k.elf")
        with open(src, "w") as f:
            f.write(KERNEL_S)
        subprocess.run(["as", "--32", "-o", obj, src], check=True)
        subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x100000",
                        "-e", "_start", "-o", cls.kernel, obj], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def boot(self, mode, args=(), stdin=subprocess.DEVNULL, input=None,
             timeout=60):
        env = dict(os.environ)
        env.pop("PINWHEEL_QEMU", None)
        return subprocess.run(
            [sys.executable, BOOT, "--kernel", self.kernel] + list(args)
            + ["--", "word=1", "mode=" + mode],
            env=env, stdin=stdin if input is None else None, input=input,
            capture_output=True, timeout=timeout)

    def test_statuses(self):
        for mode, want, msg in (("p", 0, b""),
                                ("f", 1, b"failed tests"),
                                ("P", 2, b"kernel panicked"),
                                ("r", 2, b"guest reset")):
            p = self.boot(mode)
            self.assertEqual(p.returncode, want, (mode, p.stderr))
            self.assertIn(b"OK ", p.stdout)
            self.assertIn(msg, p.stderr)

    def test_cmdline_and_smp(self):
        p = self.boot("p", ["--smp", "4", "--mem", "64"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # QEMU's Multiboot loader puts the kernel's path first.
        self.assertIn(b" word=1 mode=p\n", p.stdout)
        self.assertIn(self.kernel.encode() + b" word=1", p.stdout)

    def test_icount(self):
        p = self.boot("p", ["--icount"])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_devnull_stdin_does_not_end_qemu(self):
        t0 = time.monotonic()
        p = self.boot("h", ["--timeout", "2"])
        self.assertEqual(p.returncode, 124, p.stderr)
        self.assertGreaterEqual(time.monotonic() - t0, 1.9)
        self.assertIn(b"OK ", p.stdout)

    def test_pipe_input_reaches_guest(self):
        p = self.boot("e", ["--timeout", "30"], input=b"hello q")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"hello ", p.stdout)

    def test_pipe_at_eof_does_not_end_qemu(self):
        p = self.boot("e", ["--timeout", "2"], input=b"abc")
        self.assertEqual(p.returncode, 124, p.stderr)
        self.assertIn(b"abc", p.stdout)

    def test_no_warnings_from_qemu(self):
        # The CPU model and options must not make QEMU complain.
        p = self.boot("p", ["--smp", "2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")


if __name__ == "__main__":
    unittest.main()
