/*
 * bench.c: benchmarks for run=bench:NAME (filled in below by later work).
 */
#include <log.h>
#include <string.h>

#include <kern/run.h>

bool
bench_run(const char *name)
{
	kerr("bench: no benchmark set named '%s'", name);
	return false;
}
