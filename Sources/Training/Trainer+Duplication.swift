import Collectives

extension Trainer {
    /// This rank's mean samples per unique user-side row over the steps so far
    /// (no communication: for progress lines).
    public var localDuplicationFactor: Double { step > 0 ? duplicationSum / Double(step) : 1 }

    /// RecD's in-batch duplication as the batches carried it: the mean of
    /// `batch.size / batch.userSide.uniqueCount` over every rank's training
    /// batches so far (1 with dedup off). Collective: every rank must call it.
    public func duplicationFactor() -> Double {
        let total = comm.allreduce(.metrics, duplicationSum)
        let batches = Double(step * comm.size)
        return batches > 0 ? total / batches : 1
    }
}
