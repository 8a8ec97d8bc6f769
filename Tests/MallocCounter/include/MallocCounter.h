// Counts heap allocations made by the calling thread, for tests that hold
// a hot loop to "allocates nothing". Linked into the test executable only:
// its malloc family overrides the C library's for the whole process and
// forwards to glibc's own entry points.
#ifndef STRATA_MALLOC_COUNTER_H
#define STRATA_MALLOC_COUNTER_H

/// 1 where the counter works (glibc, whose malloc it overrides), else 0.
int strata_malloc_count_supported(void);
/// Starts counting this thread's allocations from zero.
void strata_malloc_count_start(void);
/// Stops counting; returns the allocations since the start.
long strata_malloc_count_stop(void);
/// The same over every thread of the process (background threads included).
void strata_malloc_count_all_start(void);
long strata_malloc_count_all_stop(void);
#endif
