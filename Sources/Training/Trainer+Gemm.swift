import Collectives
import Model

extension Trainer {
    /// Rank 0 times the dense GEMMs' kernels and every rank adopts its
    /// choices (`DenseGemm.tuneAgreed`): the same kernel per shape on every
    /// rank (the ranks' shapes agree: the local batch is ceil(G / R) on each).
    static func agreeOnKernels(_ gemm: DenseGemm, comm: Communicator) {
        gemm.tuneAgreed(isRoot: comm.rank == 0) { kernels in
            kernels.withUnsafeMutableBufferPointer { comm.broadcast(.control, $0, root: 0) }
        }
    }

    /// The dense GEMMs' kernels (empty: OpenBLAS throughout, nothing tuned).
    public var gemmChoices: [GemmChoice] { model.gemm?.choices ?? [] }
}
