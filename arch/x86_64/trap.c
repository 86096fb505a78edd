/*
 * trap.c: exceptions.
 *
 * Design.  Every exception is fatal in this kernel (there is no user mode,
 * no demand paging and no lazy FPU): x86_trap names the exception, dumps the
 * registers and a symbolized backtrace of the faulting context, and panics.
 * A page fault whose address lies in a kernel stack's guard page is reported
 * as a stack overflow of that LWP.  NMIs are how a panicking CPU stops the
 * others: an NMI that arrives while the system is panicking halts the CPU
 * for good.
 *
 * Fault isolation (kern/irq_fault.c): before panicking on an exception a
 * faulty handler can cause (#DE, #BR, #UD, #SS, #GP, #PF, #AC), x86_trap
 * offers it to isolate_trap, which unwinds to the thread's armed catch if
 * the fault may be isolated and returns otherwise.  A fault in hard
 * interrupt context panics naming the IRQ and the handler.
 *
 * Locking: none; runs with interrupts disabled on the faulting CPU.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <printf.h>
#include <string.h>

#include <kern/irq_impl.h>
#include <kern/isolate.h>
#include <kern/ksyms.h>
#include <kern/lwp_impl.h>
#include <kern/panic_impl.h>

#include <machine/catch.h>
#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/frame.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>

static const char *const trap_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved (15)", "x87 floating-point error",
	"alignment check", "machine check", "SIMD floating-point error",
	"virtualization exception", "control protection exception",
};

extern char boot_stack_guard[];

CTASSERT(offsetof(struct cpu_catch, cc_rbx) == CC_RBX);
CTASSERT(offsetof(struct cpu_catch, cc_rbp) == CC_RBP);
CTASSERT(offsetof(struct cpu_catch, cc_r12) == CC_R12);
CTASSERT(offsetof(struct cpu_catch, cc_r13) == CC_R13);
CTASSERT(offsetof(struct cpu_catch, cc_r14) == CC_R14);
CTASSERT(offsetof(struct cpu_catch, cc_r15) == CC_R15);
CTASSERT(offsetof(struct cpu_catch, cc_rsp) == CC_RSP);
CTASSERT(offsetof(struct cpu_catch, cc_rip) == CC_RIP);

static const char *
trap_name(uint64_t vec)
{
	if (vec < 32 && trap_names[vec] != NULL)
		return trap_names[vec];
	return "reserved exception";
}

static bool
stack_frame_readable(uint64_t p)
{
	if (p & 7)
		return false;
	if (p < KSTACK_BASE)
		return false;
	return pmap_pte(p) != 0 && pmap_pte(p + 8) != 0;
}

unsigned
cpu_backtrace_collect(uint64_t pc, uint64_t fp, uint64_t *pcs, unsigned max)
{
	unsigned n = 0;

	if (pc != 0 && n < max)
		pcs[n++] = pc;
	while (n < max && fp != 0 && stack_frame_readable(fp)) {
		uint64_t *frame = (uint64_t *)fp;
		uint64_t ret = frame[1];

		if (ret < KERNBASE)
			break;
		pcs[n++] = ret;
		if (frame[0] <= fp)
			break;		/* stacks grow down: callers are above */
		fp = frame[0];
	}
	return n;
}

/* cpu_backtrace: print return addresses by walking the frame-pointer chain. */
void
cpu_backtrace(uint64_t rip, uint64_t rbp)
{
	uint64_t pcs[32];
	unsigned n = cpu_backtrace_collect(rip, rbp, pcs, nitems(pcs));
	char buf[96];

	printf("backtrace:\n");
	for (unsigned i = 0; i < n; i++) {
		/* A return address names its call site one byte before. */
		uint64_t at = i == 0 && rip != 0 ? pcs[i] : pcs[i] - 1;

		printf("    #%u %#lx %s\n", i, pcs[i], ksym_format(at, buf,
		    sizeof(buf)));
	}
}

void
cpu_print_regs(const struct trapframe *tf, uint64_t addr)
{
	printf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
	    tf->tf_rax, tf->tf_rbx, tf->tf_rcx, tf->tf_rdx);
	printf("rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n",
	    tf->tf_rsi, tf->tf_rdi, tf->tf_rbp, tf->tf_rsp);
	printf("r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n",
	    tf->tf_r8, tf->tf_r9, tf->tf_r10, tf->tf_r11);
	printf("r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n",
	    tf->tf_r12, tf->tf_r13, tf->tf_r14, tf->tf_r15);
	printf("rip %016lx rflags %08lx cs %04lx ss %04lx err %#lx cr2 %016lx cr3 %016lx\n",
	    tf->tf_rip, tf->tf_rflags, tf->tf_cs, tf->tf_ss, tf->tf_err,
	    addr, rcr3());
}

void
cpu_dump_frame(const struct trapframe *tf)
{
	cpu_print_regs(tf, rcr2());
	cpu_backtrace(tf->tf_rip, tf->tf_rbp);
}

/* The LWP whose stack guard page contains va, or NULL. */
static const char *
guard_page_owner(uint64_t va)
{
	struct lwp *l = curlwp;

	if (va >= (uint64_t)boot_stack_guard &&
	    va < (uint64_t)boot_stack_guard + PAGE_SIZE)
		return "the boot stack";
	if (l != NULL && l->l_stack != 0 && va >= l->l_stack - PAGE_SIZE &&
	    va < l->l_stack)
		return l->l_name;
	if (va >= KSTACK_BASE && va < KSTACK_BASE + (1ULL << 39) &&
	    (va - KSTACK_BASE) % KSTACK_SLOT < PAGE_SIZE)
		return "an unknown LWP";
	return NULL;
}

/* Describe a page fault into buf. */
static void
page_fault_message(struct trapframe *tf, uint64_t va, char *buf, size_t size)
{
	const char *owner = guard_page_owner(va);

	if (owner != NULL)
		snprintf(buf, size, "kernel stack overflow: page fault in the "
		    "guard page at %#lx below the stack of %s", va, owner);
	else
		snprintf(buf, size, "page fault at %#lx (%s, %s) at rip %#lx",
		    va, (tf->tf_err & 2) ? "write" : (tf->tf_err & 16) ?
		    "execute" : "read", (tf->tf_err & 1) ?
		    "protection violation" : "not present", tf->tf_rip);
}

/*
 * Exceptions a faulty handler causes by itself, which fault isolation may
 * take: #DE, #BR, #UD, #SS, #GP, #PF, #AC.  Not NMI, #DF or #MC (the
 * machine, not the handler) nor #DB/#BP (nobody sets them).
 */
static bool
handler_fault(uint64_t vec)
{
	return vec == 0 || vec == 5 || vec == 6 || vec == 12 || vec == 13 ||
	    vec == 14 || vec == 17;
}

void x86_trap(struct trapframe *tf);
void
x86_trap(struct trapframe *tf)
{
	uint64_t addr = tf->tf_vector == 14 ? rcr2() : 0;
	char msg[160], culprit[160];

	if (tf->tf_vector == 2) {
		if (panic_in_progress())
			cpu_halt_forever();
		panic_frame(tf, "unexpected NMI");
	}
	if (tf->tf_vector == 14)
		page_fault_message(tf, addr, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s (vector %lu, error %#lx) at rip "
		    "%#lx", trap_name(tf->tf_vector), tf->tf_vector, tf->tf_err,
		    tf->tf_rip);
	if (handler_fault(tf->tf_vector))
		isolate_trap(tf, trap_name(tf->tf_vector), addr, msg);
	if (irq_hard_culprit(culprit, sizeof(culprit)))
		panic_frame(tf, "%s: %s", culprit, msg);
	panic_frame(tf, "%s", msg);
}
