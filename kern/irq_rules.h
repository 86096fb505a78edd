/*
 * irq_rules.h: the rules of interrupt context (kern/irq.c), for the code
 * that blocks or sleeps.  No includes, so that code built on the host
 * (kern/page.c in tests/host) can use it.
 */
#ifndef KERN_IRQ_RULES_H
#define KERN_IRQ_RULES_H

/*
 * The rules of interrupt context, checked where a thread would block or
 * sleep: irq_forbid_block (mutexes, rwlocks: forbidden in hard interrupt
 * context) and irq_forbid_sleep (also forbidden in an interrupt thread's
 * thread function without IRQF_SLEEPABLE).  what and obj name the
 * operation and its object in the panic message.
 */
void irq_forbid_block(const char *what, const char *obj);
void irq_forbid_sleep(const char *what, const char *obj);

#endif
