/*
 * machdep.c: x86-64 machine start-up and the small machine services the
 * machine-independent kernel calls.
 *
 * Boot order (boot CPU): locore.S -> machdep_boot: the boot CPU's cpu_info
 * and GS base (so curcpu() and spin mutexes work from the first line of C),
 * the console, the Multiboot information copied into bootinfo (before any
 * allocation can overwrite it), the command line, the real page tables,
 * GDT/TSS/IDT, the page allocator and heap, ACPI, the clock and the LAPIC;
 * then kern_main() in kern/main.c, which starts the scheduler and the other
 * CPUs (smp.c).
 *
 * Locking: runs on one CPU with interrupts disabled.
 */
#include <bootinfo.h>
#include <cons.h>
#include <cpu.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <options.h>
#include <printf.h>
#include <reboot.h>
#include <string.h>

#include <kern/lwp_impl.h>
#include <kern/main.h>
#include <kern/panic_impl.h>

#include <machine/acpi.h>
#include <machine/asm.h>
#include <machine/clock.h>
#include <machine/cpufunc.h>
#include <machine/cpuvar.h>
#include <machine/gdt.h>
#include <machine/lapic.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>

#define MULTIBOOT_BOOTLOADER_MAGIC	0x2badb002
#define MBI_FLAG_CMDLINE	(1 << 2)
#define MBI_FLAG_MMAP		(1 << 6)
#define MBI_FLAG_LOADER		(1 << 9)
#define MSR_GS_BASE		0xc0000101
#define DEBUG_EXIT_PORT		0xf4

/* Multiboot 1 spec §3.3: the information structure (the part we read). */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __packed;

struct multiboot_mmap_entry {
	uint32_t size;		/* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type;
} __packed;

CTASSERT(offsetof(struct cpu_info, ci_self) == CPU_SELF);
CTASSERT(offsetof(struct cpu_info, ci_curlwp) == CPU_CURLWP);
CTASSERT(offsetof(struct lwp, l_md.md_rsp) == LWP_MD_RSP);

struct bootinfo bootinfo;
static struct cpu_info cpu0;
extern char kernel_start[], kernel_end[];

void uart_console_init(void);
void machdep_boot(uint32_t magic, uint32_t mbi_pa);

static enum memrange_type
memrange_type(uint32_t mb_type)
{
	switch (mb_type) {
	case 1:
		return MEMRANGE_USABLE;
	case 3:
		return MEMRANGE_ACPI_RECLAIM;
	default:
		return MEMRANGE_RESERVED;
	}
}

static void
copy_memory_map(const struct multiboot_info *mbi)
{
	uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

	while (p < end && bootinfo.bi_nmem < BOOTINFO_MAX_MEMRANGES) {
		const struct multiboot_mmap_entry *e = (const void *)p;

		if (e->len != 0) {
			struct memrange *mr = &bootinfo.bi_mem[bootinfo.bi_nmem++];

			mr->mr_start = e->addr;
			mr->mr_end = e->addr + e->len;
			mr->mr_type = memrange_type(e->type);
		}
		p += e->size + sizeof(e->size);
	}
}

/*
 * Multiboot loaders (QEMU, GRUB) put the kernel image's name before the
 * options on the command line: skip it.
 */
static const char *
skip_image_name(const char *cmdline)
{
	while (*cmdline != '\0' && *cmdline != ' ')
		cmdline++;
	while (*cmdline == ' ')
		cmdline++;
	return cmdline;
}

/* Read the Multiboot information through locore's identity map of 1 GiB. */
static void
copy_multiboot_info(uint32_t magic, uint32_t mbi_pa)
{
	const struct multiboot_info *mbi = (const void *)(uintptr_t)mbi_pa;

	bootinfo.bi_loader = "unknown";
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic("boot: not started by a Multiboot loader (magic %#x)", magic);
	if (mbi->flags & MBI_FLAG_CMDLINE)
		strlcpy(bootinfo.bi_cmdline,
		    skip_image_name((const char *)(uintptr_t)mbi->cmdline),
		    sizeof(bootinfo.bi_cmdline));
	if (mbi->flags & MBI_FLAG_LOADER)
		bootinfo.bi_loader = "multiboot";
	if (!(mbi->flags & MBI_FLAG_MMAP))
		panic("boot: the boot loader gave no memory map");
	copy_memory_map(mbi);
	bootinfo.bi_kernel_start = KVA_TO_PHYS(kernel_start);
	bootinfo.bi_kernel_end = KVA_TO_PHYS(kernel_end);
	bootinfo.bi_reserved_end = bootinfo.bi_kernel_end;
}

static void
cpu_set_self(struct cpu_info *ci)
{
	ci->ci_self = ci;
	wrmsr(MSR_GS_BASE, (uint64_t)ci);
}

/* IST stacks for the boot CPU come from the boot allocator. */
static void
alloc_ist_stacks_boot(struct cpu_info *ci)
{
	for (unsigned i = 0; i < NIST; i++) {
		paddr_t pa = 0;

		for (unsigned p = 0; p < IST_STACK_SIZE / PAGE_SIZE; p++)
			pa = pmap_boot_page();	/* consecutive pages */
		ci->ci_ist[i] = (vaddr_t)PHYS_TO_DMAP(pa + PAGE_SIZE);
	}
}

void
cpu_init_tables(struct cpu_info *ci)
{
	if (ci->ci_ist[0] == 0) {
		for (unsigned i = 0; i < NIST; i++)
			ci->ci_ist[i] = (vaddr_t)kmem_zalloc(IST_STACK_SIZE,
			    KM_SLEEP) + IST_STACK_SIZE;
	}
	gdt_load(ci);
}

/*
 * The legacy 8259 PICs: move their vectors clear of the exceptions
 * (ICW2 = 0x20 and 0x28; the BIOS leaves IRQ 0 on vector 8, the double
 * fault) and mask every line.  Interrupts come through the LAPIC and IOAPIC.
 */
static void
pic_mask_all(void)
{
	outb(0x20, 0x11);		/* ICW1: init, ICW4 follows */
	outb(0xa0, 0x11);
	outb(0x21, 0x20);		/* ICW2: vector base */
	outb(0xa1, 0x28);
	outb(0x21, 0x04);		/* ICW3: slave on IRQ 2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);		/* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xff);		/* OCW1: mask all */
	outb(0xa1, 0xff);
}

void
machdep_boot(uint32_t magic, uint32_t mbi_pa)
{
	cpu0.ci_boot = true;
	cpu0.ci_index = 0;
	cpu_set_self(&cpu0);
	cpu_infos[0] = &cpu0;
	cpu0.ci_curlwp = lwp0_init(&cpu0);
	pic_mask_all();
	uart_console_init();
	copy_multiboot_info(magic, mbi_pa);
	printf("\nPinwheel booting (%s)\n", bootinfo.bi_cmdline);
	options_parse(bootinfo.bi_cmdline);

	pmap_bootstrap();
	alloc_ist_stacks_boot(&cpu0);
	idt_init();
	cpu_init_tables(&cpu0);

	page_init();
	pmap_use_page_alloc();
	kmem_init();

	acpi_init();
	acpi_print();
	clock_init();
	lapic_init();
	cpu0.ci_apicid = lapic_id();
	lapic_timer_calibrate();
	kern_main();
}

void
cpu_lwp_init(struct lwp *l, void (*func)(void *), void *arg)
{
	extern char lwp_trampoline[];
	uint64_t *sp = (uint64_t *)(l->l_stack + KSTACK_SIZE);

	/* The frame cpu_switchto pops: r15 r14 r13 r12 rbx rbp, then ret. */
	*--sp = 0;				/* alignment: entry rsp % 16 == 8 */
	*--sp = (uint64_t)lwp_trampoline;
	*--sp = 0;				/* rbp: ends the backtrace */
	*--sp = 0;				/* rbx */
	*--sp = (uint64_t)arg;			/* r12 */
	*--sp = (uint64_t)func;			/* r13 */
	*--sp = 0;				/* r14 */
	*--sp = 0;				/* r15 */
	l->l_md.md_rsp = (uint64_t)sp;
}

static bool
under_hypervisor(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return (r[2] >> 31) & 1;
}

void
cpu_poweroff(enum poweroff_status status)
{
	static const uint8_t code[] = {
		[POWEROFF_OK] = 0x10, [POWEROFF_FAILED] = 0x11,
		[POWEROFF_PANIC] = 0x12,
	};

	x86_cli();
	cons_flush();
	/* isa-debug-exit: QEMU exits with status (value << 1) | 1. */
	if (under_hypervisor())
		outb(DEBUG_EXIT_PORT, code[status]);
	printf("halted: it is safe to turn the machine off\n");
	cons_flush();
	cpu_halt_forever();
}

/*
 * The reset control register of the ICH9 (Intel I/O Controller Hub 9
 * datasheet, "Reset Control Register", I/O port 0xCF9): SYS_RST (bit 1)
 * chooses a full reset, and setting RST_CPU (bit 2) starts it.  The 8042
 * keyboard controller's command 0xFE pulses the reset line.
 */
#define RESET_CONTROL_PORT	0xcf9
#define RCR_SYS_RST		0x02
#define RCR_RST_CPU		0x04
#define KBC_COMMAND_PORT	0x64
#define KBC_PULSE_RESET		0xfe

void
cpu_reboot(void)
{
	static const uint8_t null_idtr[10];	/* limit 0, base 0 */

	cpu_halt_others();
	x86_cli();
	cons_flush();
	outb(RESET_CONTROL_PORT, RCR_SYS_RST);
	outb(RESET_CONTROL_PORT, RCR_SYS_RST | RCR_RST_CPU);
	outb(KBC_COMMAND_PORT, KBC_PULSE_RESET);
	/* Still here: with no IDT, the breakpoint becomes a triple fault. */
	__asm__ volatile("lidt %0; int3" : : "m"(null_idtr));
	cpu_halt_forever();
}

void
cpu_halt_others(void)
{
	if (ncpu > 1)
		lapic_send_nmi_others();
}

void
cpu_halt_forever(void)
{
	for (;;) {
		x86_cli();
		x86_hlt();
	}
}
