/*
 * cons.c: the console.
 *
 * Output.  The machine layer registers a function that puts one character
 * on the console device (the polled UART) with cons_set_output(); until it
 * does, output is dropped.  Every '\n' is sent as "\r\n".  Once the
 * UART is interrupt driven the function only queues the character, and
 * cons_flush() (registered with cons_set_flush()) sends what is queued.
 *
 * Console sections.  cons_enter() .. cons_exit() brackets a run of output
 * that no other CPU may break into; printf() and klog() put each message
 * in one.  A section disables interrupts on its CPU and holds the console
 * lock, a test-and-test-and-set spin lock.  It is a raw lock, not a
 * kmutex: the console is used by panic, by the lock code's own diagnostics
 * and from NMI, none of which may depend on the mutex machinery.  It is not
 * fair; console sections are short and rare enough that this does not
 * matter.  The UART is polled, so a section keeps interrupts off for as
 * long as its characters take to send (about 87 us each at 115200 baud).
 *
 * Nesting.  An exception or NMI can interrupt a CPU in the middle of a
 * message and print.  Spinning for the lock there would deadlock, since
 * the holder is the interrupted code, so cons_enter() first asks whether
 * this CPU already owns the lock (cons_owner is the owner's CPU number
 * plus one) and, if so, enters a nested section without taking it.  Only
 * the section that took the lock releases it; it says so in the cookie it
 * returns (CONS_LOCKED), rather than in a per-CPU depth count, because a
 * count updated separately from cons_owner leaves a window in which an
 * NMI would see a half-taken lock.  With the cookie, an NMI that arrives
 * before the compare-and-swap simply competes for the lock, and one that
 * arrives after it sees a lock that its CPU owns.
 *
 * Panic.  panic() stops the other CPUs, possibly one that holds the
 * console lock.  After cons_panic(), cons_enter() never waits: when the
 * lock is busy it takes it over.  Output of CPUs still running may then
 * interleave, which is the lesser evil in a dying machine.
 *
 * Locking rules: cons_owner is changed only by compare-and-swap from 0
 * (acquire), by its owner storing 0 (release), and by a take-over after
 * cons_panic(), and by cons_abandon() of a section a fault unwound.
 * cons_output is written before other CPUs print and read
 * without a lock.  Context: every function may be called from any
 * context, including hard interrupt, NMI, and with spin mutexes held.
 */

#include <cons.h>
#include <cpu.h>
#include <kassert.h>
#include <machine/cpufunc.h>

/* A cookie bit of our own: intr_save() returns only PSL_I. */
#define CONS_LOCKED	0x1ULL
CTASSERT((PSL_I & CONS_LOCKED) == 0);

static void (*volatile cons_output)(int c);
static void (*volatile cons_flusher)(void);
static unsigned cons_owner;	/* 0: free, else owner's cpu_number() + 1 */
static bool cons_panicked;	/* set once by cons_panic() */

void
cons_set_output(void (*putc)(int c))
{
	cons_output = putc;
}

void
cons_set_flush(void (*flush)(void))
{
	cons_flusher = flush;
}

void
cons_flush(void)
{
	void (*flush)(void) = cons_flusher;
	uint64_t s;

	if (flush == NULL)
		return;
	s = cons_enter();
	flush();
	cons_exit(s);
}

bool
cons_panicking(void)
{
	return __atomic_load_n(&cons_panicked, __ATOMIC_ACQUIRE);
}

void
cons_panic(void)
{
	__atomic_store_n(&cons_panicked, true, __ATOMIC_RELEASE);
}

/*
 * cons_lock: take the console lock for CPU me (its number plus one), or
 * take it over once the machine is panicking.  Interrupts are disabled.
 */
static void
cons_lock(unsigned me)
{
	unsigned expect;

	for (;;) {
		expect = 0;
		if (__atomic_compare_exchange_n(&cons_owner, &expect, me,
		    false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (cons_panicking()) {
			__atomic_store_n(&cons_owner, me, __ATOMIC_RELAXED);
			return;
		}
		while (__atomic_load_n(&cons_owner, __ATOMIC_RELAXED) != 0 &&
		    !cons_panicking())
			x86_pause();
	}
}

uint64_t
cons_enter(void)
{
	uint64_t s = intr_save();
	unsigned me = cpu_number() + 1;

	if (__atomic_load_n(&cons_owner, __ATOMIC_RELAXED) == me)
		return s;
	cons_lock(me);
	return s | CONS_LOCKED;
}

void
cons_exit(uint64_t s)
{
	unsigned me = cpu_number() + 1;

	if (s & CONS_LOCKED) {
		KASSERTMSG(cons_panicking() ||
		    __atomic_load_n(&cons_owner, __ATOMIC_RELAXED) == me,
		    "cons_exit: cpu%u releases a console it does not own "
		    "(owner word %u)", me - 1, cons_owner);
		/* After a take-over the lock may be someone else's now. */
		if (__atomic_load_n(&cons_owner, __ATOMIC_RELAXED) == me)
			__atomic_store_n(&cons_owner, 0, __ATOMIC_RELEASE);
	}
	intr_restore(s & ~CONS_LOCKED);
}

bool
cons_held(void)
{
	return __atomic_load_n(&cons_owner, __ATOMIC_RELAXED) ==
	    cpu_number() + 1;
}

void
cons_abandon(void)
{
	if (cons_held())
		__atomic_store_n(&cons_owner, 0, __ATOMIC_RELEASE);
}

/* cons_emit: one character to the device; the caller is in a section. */
static void
cons_emit(int c)
{
	void (*out)(int c) = cons_output;

	if (out == NULL)
		return;
	if (c == '\n')
		out('\r');
	out(c);
}

void
cons_putc(int c)
{
	uint64_t s = cons_enter();

	cons_emit(c);
	cons_exit(s);
}

void
cons_write(const char *str, size_t n)
{
	uint64_t s = cons_enter();

	while (n-- > 0)
		cons_emit((unsigned char)*str++);
	cons_exit(s);
}
