/*
 * run.h: the actions of the run= boot option.
 */
#ifndef KERN_RUN_H
#define KERN_RUN_H

#include <types.h>

/* ktest_run: run all suites (spec NULL) or a comma list; true if all passed. */
bool ktest_run(const char *spec);
/* bench_run: run the named benchmark set; false if there is no such set. */
bool bench_run(const char *name);
/* crash_run: break the named rule; returns only if the kernel survived. */
void crash_run(const char *name);
/* trace_run: the named trace capture (trace_demo.c); false if it failed. */
bool trace_run(const char *name);
/* serial_run: the named serial action (serial_crc.c); false if it failed. */
bool serial_run(const char *name);

#endif
