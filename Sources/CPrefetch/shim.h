// The compiler's prefetch hint, which Swift cannot spell. No library: only
// Sources/Tensors/Prefetch.swift imports it.
#ifndef STRATA_CPREFETCH_SHIM_H
#define STRATA_CPREFETCH_SHIM_H

// Asks for the cache line holding `p` (read, keep in all levels). A hint:
// it never faults and never changes a result.
static inline void strata_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

// The same for a line about to be written.
static inline void strata_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }
#endif
