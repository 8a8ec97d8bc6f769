// OpenBLAS through its CBLAS header. No Swift API lives here: only
// Sources/Tensors/BLAS.swift imports it.
#ifndef STRATA_COPENBLAS_SHIM_H
#define STRATA_COPENBLAS_SHIM_H
#include <cblas.h>

// openblas_set_num_threads is declared in cblas.h for OpenBLAS; re-expose the
// thread count so callers can report it.
static inline int strata_openblas_threads(void) { return openblas_get_num_threads(); }

// LAPACK routines that Debian's libopenblas exports (Fortran calling
// convention: every argument by pointer, column-major). Declared here because
// Debian ships no lapack.h beside OpenBLAS's cblas.h.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
#endif
