/*
 * edu.c: a driver for QEMU's educational PCI device (1234:11e8), written
 * as the worked example of the interrupt API (irq.h, include/edu.h).
 *
 * The device (QEMU docs/specs/edu.rst, hw/misc/edu.c).  BAR0, 1 MiB of
 * registers, 32-bit accesses only:
 *
 *	0x00	identification: 0xRRrr00ed, major and minor version
 *	0x04	liveness: reads back the complement of what was written
 *	0x24	interrupt status: the bits raised and not yet acked
 *	0x60	interrupt raise: ORs the written bits into the status and
 *		interrupts if the status is then non-zero
 *	0x64	interrupt ack: clears the written bits from the status
 *
 * With MSI on, every raise sends one message (edge-like; edu's MSI has no
 * mask bit).  Otherwise INTA is asserted while the status is non-zero and
 * drops when an ack clears the last bit: a level-triggered line, which on
 * q35 every function of the slot shares (two edu functions in one slot
 * both reach GSI 21).
 *
 * Attach.  edu_init finds every function, maps BAR0, turns decoding and
 * bus mastering on (pci_enable: MSI messages are the device's memory
 * writes), checks the identification and liveness registers, and
 * requests the interrupt: MSI unless edu_irq=intx (or no MSI), through
 * pci_alloc_irq_vectors, with IRQF_SHARED on INTx.
 *
 * The handlers.  A status bit is a kind of work; the driver counts units
 * (include/edu.h).  Two styles, chosen by IRQF_ONESHOT at request time:
 *
 *  ack in the primary (the default).  edu_primary runs in hard interrupt
 *	context at IPL_VM: it reads the status, acks exactly those bits
 *	(so INTx drops and a new raise of them interrupts again) and adds
 *	them to e_work, then returns IRQ_WAKE_THREAD; if the status was 0
 *	it returns IRQ_NONE, which on a shared INTx line is how it says
 *	"not mine".  edu_thread, under the action's dispatch model (hard,
 *	or its own thread), takes all of e_work and completes it.  Work
 *	that arrives while the thread function runs is queued and the
 *	thread function runs again; nothing is lost, nothing done twice.
 *
 *  ack in the thread (IRQF_ONESHOT).  edu_oneshot_primary only reads
 *	the status: 0 is IRQ_NONE, anything else IRQ_WAKE_THREAD, without
 *	acking.  On INTx the device keeps asserting, and only ONESHOT's
 *	rule keeps that from storming: the line stays masked until the
 *	thread function, edu_oneshot_thread, has acked and returned.  This
 *	is the style for devices whose ack may block or takes long (a bus
 *	transaction, say); edu does not need it, tests use it to watch
 *	ONESHOT work.
 *
 * Either way the same code runs under every dispatch model: irq_set_mode
 * can switch the thread function between hard context and its thread
 * while interrupts arrive (the IRQ core keeps it from running twice at
 * once and keeps the work in order).
 *
 * Storms, for storm control's tests (kern/irq_storm.c).  edu_storm_start
 * raises a bit, and complete_work raises it again every time it completes
 * it: whatever the model, each interrupt causes the next, and the line's
 * CPU does nothing else until storm control steps in.  The bit is raised
 * again only once its last raise was completed, so no raise merges and
 * the counters stay exact.
 *
 * Locking.  e_lock is a spin mutex at IPL_VM, the level of the device's
 * interrupt: it covers e_work and makes "read status, ack it, queue it"
 * one step against the thread function (and, in the ONESHOT style, the
 * thread's own read-and-ack).  Taking it raises the thread function to
 * IPL_VM, so the primary cannot interrupt the thread on its own CPU and
 * spin on a lock that CPU holds.  The counters are atomic: e_raised is
 * written by edu_raise, e_handled by the thread function only (the IRQ
 * core never runs it twice at once for one action), e_discarded only
 * while no action is requested.  e_storm_left is atomic (a storm's raises
 * count it down with compare-and-swap, edu_storm_stop zeroes it), and
 * e_storm_bit is written before it.  e_irq and e_irq_type change only in
 * edu_request_irq and edu_free_irq, which the caller serialises per
 * instance (tests do, from one thread), and never while it raises.
 * edus[] and nedu are written by edu_init alone, before anyone looks.
 *
 * Detaching (edu_free_irq) frees the action, counts what was still
 * pending as discarded, frees the vectors and leaves INTx disabled, so a
 * detached function can never assert the line its slot shares.
 */
#include <cpu.h>
#include <edu.h>
#include <irq.h>
#include <kassert.h>
#include <kmem.h>
#include <log.h>
#include <mutex.h>
#include <options.h>
#include <pci.h>
#include <printf.h>

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_MAX		8

/* Registers (byte offsets in BAR0). */
#define EDU_IDENT	0x00
#define EDU_LIVENESS	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64

#define EDU_IDENT_MAGIC	0xed		/* low byte of the identification */

struct edu {
	struct pci_dev *e_pd;
	volatile uint32_t *e_regs;	/* BAR0, uncached */
	char e_unit[8];			/* "edu0" */

	kmutex_t e_lock;		/* spin, IPL_VM: e_work, status+ack */
	unsigned e_work[EDU_IRQ_BITS];	/* e_lock: acked, not yet completed */

	int e_irq;			/* the IRQ in use, -1: none */
	unsigned e_irq_type;		/* PCI_IRQ_INTX or _MSI, 0: none */

	uint64_t e_raised[EDU_IRQ_BITS];	/* atomic */
	uint64_t e_handled[EDU_IRQ_BITS];	/* atomic; thread function */
	uint64_t e_discarded[EDU_IRQ_BITS];	/* atomic; edu_free_irq */
	volatile int e_last_cpu;

	unsigned e_storm_bit;		/* set before e_storm_left */
	uint64_t e_storm_left;		/* atomic: raises to go, 0: none */
};

#define EDU_STORM_FOREVER	UINT64_MAX

static struct edu *edus[EDU_MAX];
static unsigned nedu;

static const char *const irq_words[] = { "msi", "intx", NULL };
static unsigned boot_irq_word;
OPTION_CHOICE("edu_irq", boot_irq_word, irq_words,
    "interrupt of the edu devices: msi (default) or intx");

static uint32_t
edu_read(struct edu *e, unsigned reg)
{
	return e->e_regs[reg / 4];
}

static void
edu_write(struct edu *e, unsigned reg, uint32_t v)
{
	e->e_regs[reg / 4] = v;
}

/* Work: one unit per status bit.  e_lock held. */
static void
queue_work(struct edu *e, uint32_t status)
{
	KASSERTMSG(mutex_owned(&e->e_lock), "%s: queue_work without e_lock",
	    e->e_unit);
	for (unsigned b = 0; b < EDU_IRQ_BITS; b++)
		if (status & (1U << b))
			e->e_work[b]++;
}

/* Move the queued work to *out and empty the queue.  e_lock held. */
static void
take_work(struct edu *e, unsigned out[EDU_IRQ_BITS])
{
	KASSERTMSG(mutex_owned(&e->e_lock), "%s: take_work without e_lock",
	    e->e_unit);
	for (unsigned b = 0; b < EDU_IRQ_BITS; b++) {
		out[b] = e->e_work[b];
		e->e_work[b] = 0;
	}
}

/* Add work taken from the queue to the per-bit counters ctr. */
static void
count_work(uint64_t ctr[EDU_IRQ_BITS], const unsigned work[EDU_IRQ_BITS])
{
	for (unsigned b = 0; b < EDU_IRQ_BITS; b++)
		if (work[b] != 0)
			__atomic_fetch_add(&ctr[b], work[b], __ATOMIC_RELEASE);
}

/*
 * A storm (edu_storm_start) raises its bit again once it was completed,
 * while raises are left: each interrupt causes the next.
 */
static void
storm_continue(struct edu *e, const unsigned work[EDU_IRQ_BITS])
{
	uint64_t left = __atomic_load_n(&e->e_storm_left, __ATOMIC_ACQUIRE);

	for (;;) {
		if (left == 0 || work[e->e_storm_bit] == 0)
			return;
		if (left == EDU_STORM_FOREVER ||
		    __atomic_compare_exchange_n(&e->e_storm_left, &left,
		    left - 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	edu_raise(e, 1U << e->e_storm_bit);
}

/* Complete work taken from the queue (here: count it as handled). */
static void
complete_work(struct edu *e, const unsigned work[EDU_IRQ_BITS])
{
	count_work(e->e_handled, work);
	storm_continue(e, work);
}

/* Read the status and ack what was there, queueing it.  e_lock held. */
static uint32_t
ack_status(struct edu *e)
{
	uint32_t status = edu_read(e, EDU_IRQ_STATUS);

	if (status != 0) {
		edu_write(e, EDU_IRQ_ACK, status);
		queue_work(e, status);
	}
	return status;
}

/*
 * The primary handler (default style): hard interrupt context, IPL_VM.
 * Quiet the device, note the work, leave the rest to the thread function.
 */
static irqreturn_t
edu_primary(int irq, void *dev)
{
	struct edu *e = dev;
	uint32_t status;

	mutex_enter(&e->e_lock);
	status = ack_status(e);
	mutex_exit(&e->e_lock);
	if (status == 0)
		return IRQ_NONE;	/* not mine (shared INTx), or acked */
	e->e_last_cpu = (int)cpu_number();
	return IRQ_WAKE_THREAD;
}

/* The thread function (default style): complete what the primary queued. */
static irqreturn_t
edu_thread(int irq, void *dev)
{
	struct edu *e = dev;
	unsigned work[EDU_IRQ_BITS];

	mutex_enter(&e->e_lock);
	take_work(e, work);
	mutex_exit(&e->e_lock);
	complete_work(e, work);
	return IRQ_HANDLED;
}

/*
 * The primary handler of the ONESHOT style: only "is it mine?", one read
 * that changes nothing, so no lock.  The device keeps interrupting until
 * the thread function acks; ONESHOT keeps the line masked until then.
 */
static irqreturn_t
edu_oneshot_primary(int irq, void *dev)
{
	struct edu *e = dev;

	if (edu_read(e, EDU_IRQ_STATUS) == 0)
		return IRQ_NONE;
	e->e_last_cpu = (int)cpu_number();
	return IRQ_WAKE_THREAD;
}

/* The thread function of the ONESHOT style: ack, then complete. */
static irqreturn_t
edu_oneshot_thread(int irq, void *dev)
{
	struct edu *e = dev;
	unsigned work[EDU_IRQ_BITS];

	mutex_enter(&e->e_lock);
	ack_status(e);
	take_work(e, work);
	mutex_exit(&e->e_lock);
	complete_work(e, work);
	return IRQ_HANDLED;
}

/*
 * Throw away what no handler will see (while no action is requested):
 * pending status and queued work, counted as discarded.
 */
static void
discard_work(struct edu *e)
{
	unsigned work[EDU_IRQ_BITS];

	mutex_enter(&e->e_lock);
	ack_status(e);
	take_work(e, work);
	mutex_exit(&e->e_lock);
	count_work(e->e_discarded, work);
}

/* Give the vectors back; a detached function must never assert INTx. */
static void
release_vectors(struct edu *e)
{
	pci_free_irq_vectors(e->e_pd);
	pci_intx(e->e_pd, false);
	e->e_irq = -1;
	e->e_irq_type = 0;
}

void
edu_free_irq(struct edu *e)
{
	if (e->e_irq >= 0)
		free_irq(e->e_irq, e);
	discard_work(e);		/* before INTx may assert again */
	if (e->e_irq >= 0)
		release_vectors(e);
}

int
edu_open_vector(struct edu *e, unsigned type)
{
	int n;

	edu_free_irq(e);
	n = pci_alloc_irq_vectors(e->e_pd, 1, 1, type);
	if (n < 0)
		return n;
	e->e_irq = pci_irq_vector(e->e_pd, 0);
	e->e_irq_type = type;
	return e->e_irq;
}

bool
edu_ack(struct edu *e)
{
	unsigned work[EDU_IRQ_BITS];
	uint32_t status;

	mutex_enter(&e->e_lock);
	status = ack_status(e);
	take_work(e, work);
	mutex_exit(&e->e_lock);
	complete_work(e, work);
	return status != 0;
}

void
edu_close_vector(struct edu *e)
{
	KASSERTMSG(e->e_irq >= 0, "edu_close_vector(%s): no vector open",
	    e->e_unit);
	release_vectors(e);
}

int
edu_request_irq(struct edu *e, unsigned type, unsigned long flags)
{
	bool oneshot = (flags & IRQF_ONESHOT) != 0;
	int n, error;

	KASSERTMSG(type == PCI_IRQ_INTX || type == PCI_IRQ_MSI,
	    "edu_request_irq(%s): type %#x is neither INTx nor MSI",
	    e->e_unit, type);
	edu_free_irq(e);
	n = pci_alloc_irq_vectors(e->e_pd, 1, 1, type);
	if (n < 0) {
		kwarn("%s: no %s vector: %d", e->e_unit,
		    type == PCI_IRQ_MSI ? "MSI" : "INTx", n);
		return n;
	}
	if (type == PCI_IRQ_INTX)
		flags |= IRQF_SHARED;
	e->e_irq = pci_irq_vector(e->e_pd, 0);
	error = request_threaded_irq(e->e_irq,
	    oneshot ? edu_oneshot_primary : edu_primary,
	    oneshot ? edu_oneshot_thread : edu_thread, flags, e->e_unit, e);
	if (error != 0) {
		release_vectors(e);
		return error;
	}
	e->e_irq_type = type;
	return 0;
}

/* Map BAR0 and check that a live edu answers there. */
static bool
edu_probe(struct edu *e)
{
	e->e_regs = pci_bar_map(e->e_pd, 0);
	if (e->e_regs == NULL)
		return false;
	pci_enable(e->e_pd);
	if ((edu_read(e, EDU_IDENT) & 0xff) != EDU_IDENT_MAGIC) {
		kwarn("%s: %s: identification %#x is not edu's", e->e_unit,
		    pci_name(e->e_pd), edu_read(e, EDU_IDENT));
		return false;
	}
	edu_write(e, EDU_LIVENESS, 0x5a5a0ff0);
	if (edu_read(e, EDU_LIVENESS) != ~0x5a5a0ff0U) {
		kwarn("%s: %s: liveness register does not answer", e->e_unit,
		    pci_name(e->e_pd));
		return false;
	}
	return true;
}

static void
edu_attach(struct pci_dev *pd)
{
	struct edu *e = kmem_zalloc(sizeof(*e), KM_SLEEP);
	unsigned type = boot_irq_word == 1 || pci_msi_vectors(pd) == 0 ?
	    PCI_IRQ_INTX : PCI_IRQ_MSI;
	uint32_t ident;

	e->e_pd = pd;
	e->e_irq = -1;
	e->e_last_cpu = -1;
	mutex_init(&e->e_lock, MUTEX_SPIN, IPL_VM);
	snprintf(e->e_unit, sizeof(e->e_unit), "edu%u", nedu);
	pci_intx(pd, false);
	if (!edu_probe(e) || edu_request_irq(e, type, 0) != 0) {
		kwarn("%s: %s not attached", e->e_unit, pci_name(pd));
		mutex_destroy(&e->e_lock);
		kmem_free(e, sizeof(*e));
		return;
	}
	ident = edu_read(e, EDU_IDENT);
	kinfo("%s: %s, version %u.%u, %s on IRQ %d", e->e_unit, pci_name(pd),
	    ident >> 24, (ident >> 16) & 0xff,
	    type == PCI_IRQ_MSI ? "MSI" : "INTx", e->e_irq);
	edus[nedu++] = e;
}

void
edu_init(void)
{
	struct pci_dev *pd;

	for (unsigned i = 0; (pd = pci_find_device(EDU_VENDOR, EDU_DEVICE, i));
	    i++) {
		if (nedu == EDU_MAX) {
			kwarn("edu: more than %u devices; %s and later ignored",
			    EDU_MAX, pci_name(pd));
			return;
		}
		edu_attach(pd);
	}
}

/* The interface for tests and benchmarks (include/edu.h). */

unsigned
edu_count(void)
{
	return nedu;
}

struct edu *
edu_get(unsigned i)
{
	return i < nedu ? edus[i] : NULL;
}

const char *
edu_name(const struct edu *e)
{
	return pci_name(e->e_pd);
}

int
edu_irq(const struct edu *e)
{
	return e->e_irq;
}

unsigned
edu_irq_type(const struct edu *e)
{
	return e->e_irq_type;
}

void
edu_raise(struct edu *e, uint32_t bits)
{
	int irq = e->e_irq;

	for (unsigned b = 0; b < EDU_IRQ_BITS; b++)
		if (bits & (1U << b))
			__atomic_fetch_add(&e->e_raised[b], 1, __ATOMIC_RELEASE);
	if (irq >= 0)
		irq_note_raise(irq);
	edu_write(e, EDU_IRQ_RAISE, bits);
}

uint32_t
edu_status(struct edu *e)
{
	return edu_read(e, EDU_IRQ_STATUS);
}

uint64_t
edu_raised(const struct edu *e, unsigned bit)
{
	KASSERTMSG(bit < EDU_IRQ_BITS, "edu_raised(%s): bit %u", e->e_unit, bit);
	return __atomic_load_n(&e->e_raised[bit], __ATOMIC_ACQUIRE);
}

uint64_t
edu_handled(const struct edu *e, unsigned bit)
{
	KASSERTMSG(bit < EDU_IRQ_BITS, "edu_handled(%s): bit %u", e->e_unit,
	    bit);
	return __atomic_load_n(&e->e_handled[bit], __ATOMIC_ACQUIRE);
}

uint64_t
edu_discarded(const struct edu *e, unsigned bit)
{
	KASSERTMSG(bit < EDU_IRQ_BITS, "edu_discarded(%s): bit %u", e->e_unit,
	    bit);
	return __atomic_load_n(&e->e_discarded[bit], __ATOMIC_ACQUIRE);
}

uint64_t
edu_outstanding(const struct edu *e, unsigned bit)
{
	return edu_raised(e, bit) - edu_handled(e, bit) - edu_discarded(e, bit);
}

int
edu_last_cpu(const struct edu *e)
{
	return e->e_last_cpu;
}

void
edu_storm_start(struct edu *e, unsigned bit, uint64_t n)
{
	KASSERTMSG(bit < EDU_IRQ_BITS, "edu_storm_start(%s): bit %u", e->e_unit,
	    bit);
	KASSERTMSG(!edu_storming(e), "edu_storm_start(%s): already storming "
	    "on bit %u", e->e_unit, e->e_storm_bit);
	e->e_storm_bit = bit;
	__atomic_store_n(&e->e_storm_left, n == 0 ? EDU_STORM_FOREVER : n - 1,
	    __ATOMIC_RELEASE);
	edu_raise(e, 1U << bit);
}

void
edu_storm_stop(struct edu *e)
{
	__atomic_store_n(&e->e_storm_left, 0, __ATOMIC_RELEASE);
}

bool
edu_storming(const struct edu *e)
{
	return __atomic_load_n(&e->e_storm_left, __ATOMIC_ACQUIRE) != 0;
}
