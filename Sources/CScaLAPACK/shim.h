// ScaLAPACK and BLACS (Debian's libscalapack-openmpi-dev), declared here
// rather than through a header: Debian ships none for the C interface.
// Imported by the ScaLAPACK module only.
//
// Fortran routines (descinit, numroc, pdpotrf, pdpotrs, pdsyevd) take every
// argument by reference and, under gfortran, a hidden length per character
// argument after the others; they are declared with those lengths. PBLAS
// (pdgemm) and the redistribution (pdgemr2d) are C and take none.
#ifndef STRATA_SCALAPACK_SHIM_H
#define STRATA_SCALAPACK_SHIM_H
#include <stddef.h>

// BLACS. An MPI communicator enters as an opaque pointer (OpenMPI's MPI_Comm).
void Cblacs_pinfo(int *mypnum, int *nprocs);
int Csys2blacs_handle(void *comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *context, char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);

// Tools.
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
               const int *icsrc, const int *context, const int *lld, int *info);

// Cholesky factorisation and solve.
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, int *info,
              size_t uplo_len);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *ia, const int *ja,
              const int *desca, double *b, const int *ib, const int *jb, const int *descb, int *info, size_t uplo_len);

// Symmetric eigendecomposition by divide and conquer.
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, double *w, double *z, const int *iz, const int *jz, const int *descz,
              double *work, const int *lwork, int *iwork, const int *liwork, int *info,
              size_t jobz_len, size_t uplo_len);

// PBLAS matrix product and the general redistribution between two layouts.
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const double *alpha,
             const double *a, const int *ia, const int *ja, const int *desca, const double *b, const int *ib,
             const int *jb, const int *descb, const double *beta, double *c, const int *ic, const int *jc,
             const int *descc);
void pdgemr2d_(const int *m, const int *n, const double *a, const int *ia, const int *ja, const int *desca,
               double *b, const int *ib, const int *jb, const int *descb, const int *context);

#endif
