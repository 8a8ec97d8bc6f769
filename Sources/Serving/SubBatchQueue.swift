import Foundation

/// A request in flight: its logits, filled by sub-batches on any instance.
final class ScoringJob {
    let request: ScoringRequest
    // Raw storage: instances write disjoint ranges at once (an array in a
    // class would be an exclusivity conflict).
    let logits: UnsafeMutablePointer<Float>
    var remaining: Int
    let done: @Sendable (Result<[Float], Error>) -> Void
    init(request: ScoringRequest, parts: Int, done: @escaping @Sendable (Result<[Float], Error>) -> Void) {
        self.request = request
        logits = .allocate(capacity: request.candidateCount)
        logits.initialize(repeating: 0, count: request.candidateCount)
        remaining = parts
        self.done = done
    }
    deinit { logits.deallocate() }
}

/// The service's FIFO of sub-batches with its admission count, shared by the
/// instance threads (which own it, so it outlives whoever drops the service).
final class SubBatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var tasks: [(job: ScoringJob, range: Range<Int>)] = []
    private var taskHead = 0
    private var admitted = 0
    private var stopping = false
    private let capacity: Int
    /// Entered once per instance thread, left when it ends.
    let finished = DispatchGroup()

    init(capacity: Int) { self.capacity = capacity }

    var inFlight: Int { condition.lock(); defer { condition.unlock() }; return admitted }
    var queued: Int { condition.lock(); defer { condition.unlock() }; return tasks.count - taskHead }

    /// Admits a request as sub-batches of `subBatch` candidates, or refuses it
    /// (full, or stopping).
    func submit(_ request: ScoringRequest, subBatch b: Int, done: @escaping @Sendable (Result<[Float], Error>) -> Void) -> Bool {
        let n = request.candidateCount
        let parts = (n + b - 1) / b
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, admitted < capacity else { return false }
        admitted += 1
        let job = ScoringJob(request: request, parts: parts, done: done)
        for p in 0..<parts { tasks.append((job, (p * b)..<min(n, (p + 1) * b))) }
        condition.broadcast()
        return true
    }

    /// The next sub-batch, waiting for one; nil once stopping and drained.
    func next() -> (ScoringJob, Range<Int>)? {
        condition.lock()
        defer { condition.unlock() }
        while taskHead == tasks.count && !stopping { condition.wait() }
        if taskHead == tasks.count { return nil }
        let (job, range) = tasks[taskHead]
        taskHead += 1
        if taskHead > 1024 && taskHead * 2 > tasks.count { tasks.removeFirst(taskHead); taskHead = 0 }
        return (job, range)
    }

    /// One sub-batch of `job` scored; the last one answers the request.
    func finish(_ job: ScoringJob) {
        condition.lock()
        job.remaining -= 1
        let complete = job.remaining == 0
        if complete { admitted -= 1 }
        condition.unlock()
        if complete { job.done(.success(Array(UnsafeBufferPointer(start: job.logits, count: job.request.candidateCount)))) }
    }

    /// Stops admitting; the instance threads end once what was admitted is done.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
