/*
 * catch.S: cpu_catch_save and cpu_catch_resume (machine/catch.h), the
 * setjmp/longjmp pair under fault isolation (kern/irq_fault.c).
 *
 * Only what the SysV ABI makes the callee keep is saved: rbx, rbp and
 * r12-r15, the stack pointer and the return address.  Resuming loads them
 * and jumps, whatever stack it runs on (an exception handler's IST stack
 * is simply abandoned; the next exception starts at its top again).
 * Interrupts stay as the caller of cpu_catch_resume left them.
 */
#include <machine/asm.h>
#include <machine/catch.h>

	.text
ENTRY(cpu_catch_save)
	movq	%rbx, CC_RBX(%rdi)
	movq	%rbp, CC_RBP(%rdi)
	movq	%r12, CC_R12(%rdi)
	movq	%r13, CC_R13(%rdi)
	movq	%r14, CC_R14(%rdi)
	movq	%r15, CC_R15(%rdi)
	movq	(%rsp), %rax		/* the return address */
	movq	%rax, CC_RIP(%rdi)
	leaq	8(%rsp), %rax		/* the stack pointer after ret */
	movq	%rax, CC_RSP(%rdi)
	xorl	%eax, %eax
	ret
END(cpu_catch_save)

ENTRY(cpu_catch_resume)
	movq	CC_RBX(%rdi), %rbx
	movq	CC_RBP(%rdi), %rbp
	movq	CC_R12(%rdi), %r12
	movq	CC_R13(%rdi), %r13
	movq	CC_R14(%rdi), %r14
	movq	CC_R15(%rdi), %r15
	movq	CC_RSP(%rdi), %rsp
	movl	$1, %eax
	jmpq	*CC_RIP(%rdi)
END(cpu_catch_resume)
