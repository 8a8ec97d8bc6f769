import Data
import Foundation

/// Builds the next training batch on a background thread while the current
/// step trains (batches are a pure function of their index, so the result is
/// the same as building it in line). The thread never touches MPI: MPI stays
/// on the main thread, as SYSTEM.md requires.
///
/// One long-lived thread and two semaphores made once: handing a batch over
/// allocates nothing on the training thread (a dispatch per step would box a
/// closure and a semaphore every time). Batches circulate: the step hands its
/// batch back (`recycle`) and the thread refills that storage for a later
/// step, so a source that fills in place (`BatchSource.fill`) allocates
/// nothing either, once two batches' worth of storage exists.
final class BatchPrefetcher: @unchecked Sendable {
    private let fill: @Sendable (inout Batch, Int) -> Void
    private let request = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    // Guarded by `lock`: the step asked for, the batch built, and the stop flag.
    private var asked = -1
    private var built: Batch?
    /// Batches handed back, whose storage the next fills reuse, oldest first.
    /// Seeded with one more batch than are ever out at once (the step's and
    /// the one being built), so a thread that wakes late still finds one;
    /// first in, first out, so every batch is refilled in turn and warm, not
    /// one left empty at the bottom of a stack until a late wake-up needed it
    /// and it allocated in the middle of a run.
    private var spares: [Batch] = [.empty, .empty, .empty]
    private var stopping = false
    /// The step being built (on the thread), -1 when none.
    private var pending = -1
    private var thread: Thread?

    init(fill: @escaping @Sendable (inout Batch, Int) -> Void) {
        self.fill = fill
        spares.reserveCapacity(Self.maxSpares)
    }

    private static let maxSpares = 4

    deinit {
        guard thread != nil else { return }
        if pending >= 0 { done.wait() }
        lock.lock(); stopping = true; lock.unlock()
        request.signal()
        done.wait()
    }

    /// Batch `step`: the prefetched one when it was asked for, else built now.
    /// Starts building `step + 1` before returning.
    func batch(_ step: Int) -> Batch {
        var result: Batch?
        if pending >= 0 {
            done.wait()   // a stale prefetch (after a resume or eval) finishes and is dropped
            lock.lock()
            if pending == step { result = built }
            built = nil
            lock.unlock()
        }
        let batch = result ?? make(step)
        startThreadIfNeeded()
        lock.lock(); asked = step + 1; lock.unlock()
        pending = step + 1
        request.signal()
        return batch
    }

    /// Takes back a batch the step is done with (the caller keeps no copy),
    /// for its storage to be refilled.
    func recycle(_ batch: consuming Batch) {
        lock.lock()
        if spares.count < Self.maxSpares { spares.append(batch) }
        lock.unlock()
    }

    /// Batch `step` built into the spare storage, if any.
    private func make(_ step: Int) -> Batch {
        lock.lock()
        var b = spares.isEmpty ? Batch.empty : spares.removeFirst()
        lock.unlock()
        fill(&b, step)
        return b
    }

    private func startThreadIfNeeded() {
        guard thread == nil else { return }
        let t = Thread { [unowned self] in self.run() }
        t.name = "strata.prefetch"
        thread = t
        t.start()
    }

    private func run() {
        while true {
            request.wait()
            lock.lock()
            let stop = stopping, k = asked
            lock.unlock()
            if stop { done.signal(); return }
            let b = make(k)
            lock.lock(); built = consume b; lock.unlock()
            done.signal()
        }
    }
}
