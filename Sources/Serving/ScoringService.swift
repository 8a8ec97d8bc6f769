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

    private final class Job {
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

    private let condition = NSCondition()
    private var tasks: [(job: Job, range: Range<Int>)] = []
    private var taskHead = 0
    private var admitted = 0
    private var stopping = false
    private var instanceThreads: [Thread] = []
    private var teams: [WorkerTeam] = []
    private let finished = DispatchGroup()

    /// The dense GEMMs' kernels of the replicas (the same in every one), and
    /// the note when `model.precision` could not be honoured.
    public private(set) var gemmChoices: [GemmChoice] = []
    public private(set) var gemmNote: String?

    public init(served: ServedModel, config: ServingConfig, maxCandidates: Int) {
        self.served = served
        self.config = config
        self.maxCandidates = maxCandidates
        let chunk = config.subBatch > 0 ? min(config.subBatch, maxCandidates) : maxCandidates
        let perThread = (chunk + config.threads - 1) / config.threads
        for i in 0..<config.instances {
            let replicas = (0..<config.threads).map { _ in Replica(served: served, maxBatch: perThread) }
            if i == 0 { gemmChoices = replicas[0].model.gemm?.choices ?? []; gemmNote = replicas[0].model.gemm?.note }
            let team = WorkerTeam(size: config.threads, name: "strata-serve-m\(i)")
            teams.append(team)
            finished.enter()
            let thread = Thread { [unowned self] in
                self.instanceLoop(team: team, replicas: replicas)
                self.finished.leave()
            }
            thread.name = "strata-serve-m\(i)"
            thread.start()
            instanceThreads.append(thread)
        }
    }

    /// Requests admitted and not yet answered.
    public var inFlight: Int { condition.lock(); defer { condition.unlock() }; return admitted }
    /// Sub-batches waiting for an instance.
    public var queuedSubBatches: Int { condition.lock(); defer { condition.unlock() }; return tasks.count - taskHead }

    /// Queues a request's sub-batches; false (and `done` never called) when
    /// `queueCapacity` requests are already in flight or the service is stopping.
    /// `done` runs on an instance thread with the logits in candidate order.
    public func submit(_ request: ScoringRequest, done: @escaping @Sendable (Result<[Float], Error>) -> Void) -> Bool {
        precondition(request.candidateCount <= maxCandidates, "request larger than the service's maxCandidates")
        let n = request.candidateCount
        let b = config.subBatch > 0 ? config.subBatch : n
        let parts = (n + b - 1) / b
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, admitted < config.queueCapacity else { return false }
        admitted += 1
        let job = Job(request: request, parts: parts, done: done)
        for p in 0..<parts { tasks.append((job, (p * b)..<min(n, (p + 1) * b))) }
        condition.broadcast()
        return true
    }

    /// Scores a request on the caller's thread through the same replicas'
    /// code path (tests, and a check that sub-batching changes nothing).
    public func scoreBlocking(_ request: ScoringRequest) throws -> [Float] {
        let box = ResultBox()
        guard submit(request, done: { box.set($0) }) else { throw RequestError(.tooLarge, field: "queue", "full") }
        return try box.wait().get()
    }

    private func instanceLoop(team: WorkerTeam, replicas: [Replica]) {
        while true {
            condition.lock()
            while taskHead == tasks.count && !stopping { condition.wait() }
            if taskHead == tasks.count && stopping { condition.unlock(); return }
            let (job, range) = tasks[taskHead]
            taskHead += 1
            if taskHead > 1024 && taskHead * 2 > tasks.count { tasks.removeFirst(taskHead); taskHead = 0 }
            condition.unlock()

            let parts = team.size
            let step = (range.count + parts - 1) / parts
            let out = job.logits
            team.run { part in
                let lo = range.lowerBound + part * step, hi = min(range.upperBound, lo + step)
                if lo < hi { replicas[part].score(job.request, lo..<hi, out: out) }
            }
            condition.lock()
            job.remaining -= 1
            let complete = job.remaining == 0
            if complete { admitted -= 1 }
            condition.unlock()
            if complete { job.done(.success(Array(UnsafeBufferPointer(start: job.logits, count: job.request.candidateCount)))) }
        }
    }

    /// Stops admitting, lets every admitted request finish, then ends the threads.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
        teams.forEach { $0.stop() }
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
