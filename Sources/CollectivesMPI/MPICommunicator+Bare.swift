import CMPI
import Collectives

extension MPICommunicator {
    /// `MPI_Alltoallv` on floats and nothing else: no ledger, no layout checks,
    /// no timing. The baseline `strata bench comm` compares `alltoallv` (the
    /// ledgered path every phase uses) against, on the same buffers and counts.
    /// Counts and displacements are in floats, one entry per rank.
    public func bareAlltoallv(send: UnsafePointer<Float>?, sendCounts: UnsafePointer<Int32>, sendDispls: UnsafePointer<Int32>,
                              recv: UnsafeMutablePointer<Float>?, recvCounts: UnsafePointer<Int32>,
                              recvDispls: UnsafePointer<Int32>) {
        let t = strata_mpi_float()
        let rc = MPI_Alltoallv(send, sendCounts, sendDispls, t, recv, recvCounts, recvDispls, t, comm)
        check(rc, "MPI_Alltoallv")
    }
}
