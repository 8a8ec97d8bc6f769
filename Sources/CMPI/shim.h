// Static-inline shims for OpenMPI's handles. OpenMPI defines MPI_COMM_WORLD,
// MPI_FLOAT, MPI_SUM, ... as macros over the addresses of global structs, which
// Swift's importer cannot see; these functions hand the same values to Swift.
// No Swift API lives here: CollectivesMPI is the only module that imports it.
#ifndef STRATA_CMPI_SHIM_H
#define STRATA_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm strata_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm strata_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline int strata_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info strata_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int strata_mpi_undefined(void) { return MPI_UNDEFINED; }
static inline int strata_mpi_success(void) { return MPI_SUCCESS; }
static inline int strata_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int strata_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int strata_mpi_thread_single(void) { return MPI_THREAD_SINGLE; }

static inline MPI_Datatype strata_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype strata_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype strata_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype strata_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype strata_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype strata_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Datatype strata_mpi_int(void) { return MPI_INT; }

static inline MPI_Op strata_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op strata_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op strata_mpi_max(void) { return MPI_MAX; }

static inline void *strata_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *strata_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request strata_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler strata_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

#endif
