import Foundation
import Model

/// How requests are run: m model instances of t threads each (m * t at most
/// the cores given), requests split into sub-batches of b candidates (0: the
/// whole request is one batch), at most `queueCapacity` requests admitted at
/// once. Hercules' task-scheduling knobs.
public struct ServingConfig: Sendable, Equatable, Codable, Hashable, CustomStringConvertible {
    public var instances: Int     // m
    public var threads: Int       // t
    public var subBatch: Int      // b (0: no sub-batching)
    public var queueCapacity: Int

    public init(instances: Int, threads: Int, subBatch: Int, queueCapacity: Int = 64) {
        self.instances = instances; self.threads = threads; self.subBatch = subBatch; self.queueCapacity = queueCapacity
    }

    /// Hercules' default: one instance on every core, no sub-batching.
    public static func baseline(cores: Int) -> ServingConfig { ServingConfig(instances: 1, threads: cores, subBatch: 0) }

    public var description: String { "m=\(instances) t=\(threads) b=\(subBatch == 0 ? "all" : String(subBatch))" }

    public func validate(cores: Int) throws {
        guard instances >= 1, threads >= 1, subBatch >= 0, queueCapacity >= 1 else {
            throw RequestError(.badRequest, field: "serving", "instances, threads and queue capacity must be positive, sub-batch >= 0")
        }
        guard instances * threads <= cores else {
            throw RequestError(.badRequest, field: "serving", "instances x threads = \(instances * threads) > \(cores) cores")
        }
    }
}

/// The server's work: a bounded admission count, a FIFO of sub-batches, and m
/// instance threads (each leading a team of t) that take sub-batches in turn.
/// A request completes when its last sub-batch is scored. Overload is refused
/// at admission (`submit` returns false) so the backlog never grows without bound.
public final class ScoringService: @unchecked Sendable {
    public let served: ServedModel
    public let config: ServingConfig
    /// Largest request this service accepts (sizes every replica when b = 0).
    public let maxCandidates: Int

    private let queue: SubBatchQueue

    /// The dense GEMMs' kernels of the replicas (the same in every one), and
    /// the note when `model.precision` could not be honoured.
    public private(set) var gemmChoices: [GemmChoice] = []
    public private(set) var gemmNote: String?

    public init(served: ServedModel, config: ServingConfig, maxCandidates: Int) {
        self.served = served
        self.config = config
        self.maxCandidates = maxCandidates
        queue = SubBatchQueue(capacity: config.queueCapacity)
        let chunk = config.subBatch > 0 ? min(config.subBatch, maxCandidates) : maxCandidates
        let perThread = (chunk + config.threads - 1) / config.threads
        for i in 0..<config.instances {
            let replicas = (0..<config.threads).map { _ in Replica(served: served, maxBatch: perThread) }
            if i == 0 { gemmChoices = replicas[0].model.gemm?.choices ?? []; gemmNote = replicas[0].model.gemm?.note }
            let team = WorkerTeam(size: config.threads, name: "strata-serve-m\(i)")
            // The thread owns what it uses (queue, team, replicas), never the
            // service: a service dropped without `shutdown` (a server that
            // failed to bind) ends its threads instead of leaving them to
            // read a freed object.
            let queue = self.queue
            queue.finished.enter()
            let thread = Thread {
                Self.instanceLoop(queue: queue, team: team, replicas: replicas)
                team.stop()
                queue.finished.leave()
            }
            thread.name = "strata-serve-m\(i)"
            thread.start()
        }
    }

    deinit { queue.stop() }

    /// Requests admitted and not yet answered.
    public var inFlight: Int { queue.inFlight }
    /// Sub-batches waiting for an instance.
    public var queuedSubBatches: Int { queue.queued }

    /// Queues a request's sub-batches; false (and `done` never called) when
    /// `queueCapacity` requests are already in flight or the service is stopping.
    /// `done` runs on an instance thread with the logits in candidate order.
    public func submit(_ request: ScoringRequest, done: @escaping @Sendable (Result<[Float], Error>) -> Void) -> Bool {
        precondition(request.candidateCount <= maxCandidates, "request larger than the service's maxCandidates")
        let b = config.subBatch > 0 ? config.subBatch : request.candidateCount
        return queue.submit(request, subBatch: b, done: done)
    }

    /// Scores a request on the caller's thread through the same replicas'
    /// code path (tests, and a check that sub-batching changes nothing).
    public func scoreBlocking(_ request: ScoringRequest) throws -> [Float] {
        let box = ResultBox()
        guard submit(request, done: { box.set($0) }) else { throw RequestError(.tooLarge, field: "queue", "full") }
        return try box.wait().get()
    }

    private static func instanceLoop(queue: SubBatchQueue, team: WorkerTeam, replicas: [Replica]) {
        while let (job, range) = queue.next() {
            let parts = team.size
            let step = (range.count + parts - 1) / parts
            let out = job.logits
            team.run { part in
                let lo = range.lowerBound + part * step, hi = min(range.upperBound, lo + step)
                if lo < hi { replicas[part].score(job.request, lo..<hi, out: out) }
            }
            queue.finish(job)
        }
    }

    /// Stops admitting, lets every admitted request finish, then ends the threads.
    public func shutdown() {
        queue.stop()
        queue.finished.wait()
    }
}

/// A one-shot result handed between threads.
final class ResultBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<[Float], Error>?
    func set(_ r: Result<[Float], Error>) { condition.lock(); result = r; condition.broadcast(); condition.unlock() }
    func wait() -> Result<[Float], Error> {
        condition.lock(); defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
