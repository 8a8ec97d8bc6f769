import Data
import Foundation

/// Builds the next training batch on a background thread while the current
/// step trains (batches are a pure function of their index, so the result is
/// the same as building it in line). The thread never touches MPI: MPI stays
/// on the main thread, as SYSTEM.md requires.
final class BatchPrefetcher: @unchecked Sendable {
    private let make: @Sendable (Int) -> Batch
    private let queue = DispatchQueue(label: "strata.prefetch")
    private let lock = NSLock()
    private var pending: (step: Int, done: DispatchSemaphore)?
    private var ready: (step: Int, batch: Batch)?

    init(make: @escaping @Sendable (Int) -> Batch) { self.make = make }

    /// Batch `step`: the prefetched one when it was asked for, else built now.
    /// Starts building `step + 1` before returning.
    func batch(_ step: Int) -> Batch {
        var result: Batch?
        if let p = pending, p.step == step {
            p.done.wait()
            lock.lock(); result = ready?.step == step ? ready?.batch : nil; ready = nil; lock.unlock()
        } else if let p = pending {
            p.done.wait()    // a stale prefetch (after a resume or eval): let it finish, drop it
        }
        let batch = result ?? make(step)
        let next = step + 1, done = DispatchSemaphore(value: 0)
        pending = (next, done)
        queue.async { [make] in
            let b = make(next)
            self.lock.lock(); self.ready = (next, b); self.lock.unlock()
            done.signal()
        }
        return batch
    }
}
