// OpenBLAS through its CBLAS header. No Swift API lives here: only
// Sources/Tensors/BLAS.swift imports it.
#ifndef STRATA_COPENBLAS_SHIM_H
#define STRATA_COPENBLAS_SHIM_H
#include <cblas.h>

// openblas_set_num_threads is declared in cblas.h for OpenBLAS; re-expose the
// thread count so callers can report it.
static inline int strata_openblas_threads(void) { return openblas_get_num_threads(); }
#endif
