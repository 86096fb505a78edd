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
 * The interrupt-architecture issue adds fault isolation for handler threads
 * here; the hook is x86_trap's decision to panic.
 *
 * Locking: none; runs with interrupts disabled on the faulting CPU.
 */
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <printf.h>

#include <kern/ksyms.h>
#include <kern/lwp_impl.h>
#include <kern/panic_impl.h>

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

/* cpu_backtrace: print return addresses by walking the frame-pointer chain. */
void
cpu_backtrace(uint64_t rip, uint64_t rbp)
{
	char buf[96];
	unsigned depth = 0;

	printf("backtrace:\n");
	if (rip != 0)
		printf("    #%u %#lx %s\n", depth++, rip,
		    ksym_format(rip, buf, sizeof(buf)));
	while (depth < 32 && rbp != 0 && stack_frame_readable(rbp)) {
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret = frame[1];

		if (ret < KERNBASE)
			break;
		/* ret - 1 names the call site, not the instruction after it. */
		printf("    #%u %#lx %s\n", depth++, ret,
		    ksym_format(ret - 1, buf, sizeof(buf)));
		if (frame[0] <= rbp)
			break;		/* stacks grow down: callers are above */
		rbp = frame[0];
	}
}

void
cpu_dump_frame(const struct trapframe *tf)
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
	    rcr2(), rcr3());
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

static void
page_fault(struct trapframe *tf)
{
	uint64_t va = rcr2();
	const char *owner = guard_page_owner(va);

	if (owner != NULL)
		panic_frame(tf, "kernel stack overflow: page fault in the guard "
		    "page at %#lx below the stack of %s", va, owner);
	panic_frame(tf, "page fault at %#lx (%s, %s) at rip %#lx",
	    va, (tf->tf_err & 2) ? "write" : (tf->tf_err & 16) ? "execute" : "read",
	    (tf->tf_err & 1) ? "protection violation" : "not present", tf->tf_rip);
}

void x86_trap(struct trapframe *tf);
void
x86_trap(struct trapframe *tf)
{
	if (tf->tf_vector == 2) {
		if (panic_in_progress())
			cpu_halt_forever();
		panic_frame(tf, "unexpected NMI");
	}
	if (tf->tf_vector == 14)
		page_fault(tf);
	panic_frame(tf, "%s (vector %lu, error %#lx) at rip %#lx",
	    trap_name(tf->tf_vector), tf->tf_vector, tf->tf_err, tf->tf_rip);
}
