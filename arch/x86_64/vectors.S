/*
 * vectors.S: IDT entry points, the common trap path and the context switch.
 *
 * Every vector has a small stub that pushes an error code (the CPU's, or 0
 * where the CPU pushes none; SDM vol. 3 §6.13) and the vector number, then
 * jumps to alltraps, which saves the general registers into a struct
 * trapframe (machine/frame.h) and calls x86_trap(frame) for exceptions
 * (vectors 0-31) or x86_intr(frame) for interrupts (32-255).  The kernel
 * has no user mode, so no swapgs or stack switch is needed: interrupts run
 * on the interrupted thread's stack, except NMI, #DF, #MC and #PF, which
 * have IST stacks (gdt.c) so that a kernel stack overflow is still reported.
 */
#include <machine/asm.h>

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.p2align 4
	.globl x86_vector_stubs
x86_vector_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	.if HAS_ERR(vec)
	pushq	$vec
	.else
	pushq	$0
	pushq	$vec
	.endif
	.if vec < 32
	jmp	alltraps
	.else
	jmp	allintrs
	.endif
	.set vec, vec + 1
	.endr

/* The frame layout these build is struct trapframe in machine/frame.h. */
#define SAVE_REGS \
	pushq	%rax; pushq %rbx; pushq %rcx; pushq %rdx; \
	pushq	%rsi; pushq %rdi; pushq %rbp; pushq %r8; \
	pushq	%r9; pushq %r10; pushq %r11; pushq %r12; \
	pushq	%r13; pushq %r14; pushq %r15

#define RESTORE_REGS \
	popq	%r15; popq %r14; popq %r13; popq %r12; \
	popq	%r11; popq %r10; popq %r9; popq %r8; \
	popq	%rbp; popq %rdi; popq %rsi; popq %rdx; \
	popq	%rcx; popq %rbx; popq %rax

ENTRY(alltraps)
	SAVE_REGS
	cld
	movq	%rsp, %rdi
	call	x86_trap
	RESTORE_REGS
	addq	$16, %rsp		/* vector, error code */
	iretq
END(alltraps)

ENTRY(allintrs)
	SAVE_REGS
	cld
	movq	%rsp, %rdi
	call	x86_intr
	RESTORE_REGS
	addq	$16, %rsp
	iretq
END(allintrs)

/*
 * The switch frame: the callee-saved registers, which cpu_switchto and
 * cpu_intr_switch push and pop in the same order (cpu_switchto resumes
 * a frame that cpu_intr_switch saved; cpu_lwp_init builds one by hand).
 */
#define SAVE_CALLEE \
	pushq	%rbp; pushq %rbx; pushq %r12; pushq %r13; pushq %r14; pushq %r15

#define RESTORE_CALLEE \
	popq	%r15; popq %r14; popq %r13; popq %r12; popq %rbx; popq %rbp

/*
 * struct lwp *cpu_switchto(struct lwp *old, struct lwp *new)
 *
 * Save the callee-saved registers and the stack pointer of old, switch to
 * new's stack, make new curlwp and return into new, handing it old.  Called
 * with interrupts disabled.  The caller-saved registers need no saving:
 * this is an ordinary function call for the compiler.
 */
ENTRY(cpu_switchto)
	SAVE_CALLEE
	movq	%rsp, LWP_MD_RSP(%rdi)
	movq	LWP_MD_RSP(%rsi), %rsp
	movq	%rsi, %gs:CPU_CURLWP
	movq	%rdi, %rax
	RESTORE_CALLEE
	ret
END(cpu_switchto)

/*
 * struct lwp *cpu_intr_switch(struct lwp *pinned, struct lwp *t, vaddr_t sp)
 *
 * Pin the current LWP beneath the lazy interrupt thread t (kern/intr_lazy.c):
 * save pinned's callee-saved registers and stack pointer exactly as
 * cpu_switchto does, move to sp (the top of t's stack), make t curlwp and
 * call intr_lazy_thread_start(t).  If that returns (t ran its work and
 * parked) switch straight back and return NULL: no scheduler involved.  If
 * t blocks instead, sched_switch switches back to pinned with cpu_switchto,
 * which pops the frame saved here and returns t.  Interrupts disabled.
 */
ENTRY(cpu_intr_switch)
	SAVE_CALLEE
	movq	%rsp, LWP_MD_RSP(%rdi)
	movq	%rdx, %rsp
	movq	%rsi, %gs:CPU_CURLWP
	movq	%rdi, %r12		/* pinned, kept across the call */
	xorl	%ebp, %ebp		/* the backtrace ends here */
	movq	%rsi, %rdi
	call	intr_lazy_thread_start
	movq	LWP_MD_RSP(%r12), %rsp
	movq	%r12, %gs:CPU_CURLWP
	xorl	%eax, %eax
	RESTORE_CALLEE
	ret
END(cpu_intr_switch)

/*
 * The first code a new LWP runs, returning from cpu_switchto with the
 * previous LWP in %rax; %r12 holds the argument and %r13 the function
 * (set up by cpu_lwp_init).
 */
ENTRY(lwp_trampoline)
	movq	%rax, %rdi
	call	lwp_startup
	movq	%r12, %rdi
	call	*%r13
	call	lwp_exit
	ud2
END(lwp_trampoline)
