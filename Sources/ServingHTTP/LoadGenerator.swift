#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Tensors
import Histogram
import ScalingLaws
import Serving

/// One open-loop load step: `requests` arrivals with exponential gaps (a
/// Poisson process at `rate`), each sent at its scheduled instant whatever
/// the server is doing; latency runs from that instant to the reply, so time
/// a request waits for a free connection counts (no coordinated omission).
public struct LoadSpec: Sendable {
    public var rate: Double
    public var requests: Int
    /// The step stops scheduling after this long; unanswered requests at
    /// `maxSeconds + drainSeconds` count as failed.
    public var maxSeconds: Double
    public var drainSeconds = 10.0
    public var sizes: QuerySizes
    public var seed: UInt64
    public init(rate: Double, requests: Int, maxSeconds: Double, sizes: QuerySizes, seed: UInt64) {
        self.rate = rate; self.requests = requests; self.maxSeconds = maxSeconds; self.sizes = sizes; self.seed = seed
    }
}

public struct LoadResult: Sendable, Codable {
    public var rate: Double
    public var sent: Int
    public var ok: Int
    public var shed: Int
    public var failed: Int
    public var p50Ms: Double
    public var p95Ms: Double
    public var p99Ms: Double
    public var maxMs: Double
    public var achievedRate: Double
    public var wallSeconds: Double
    /// CPU the client process used (user + system) over the step.
    public var clientCPUSeconds: Double

    public func tailSeconds(percentile: Double) -> Double { (percentile >= 99 ? p99Ms : p95Ms) / 1000 }
}

/// The client: a pool of pre-built request bodies (so building JSON costs
/// nothing per request), `connections` threads each holding a keep-alive
/// connection, and a scheduler thread releasing arrivals on time.
public final class LoadGenerator: @unchecked Sendable {
    public let port: Int
    public let connections: Int
    private let bodies: [Int: [[UInt8]]]   // by query size bucket
    private let sizes: QuerySizes

    /// `generator` builds `variants` bodies for each query size drawn (sizes
    /// rounded to 10 candidates, so the pool stays small).
    public init(port: Int, generator: RequestGenerator, sizes: QuerySizes, variants: Int = 2, connections: Int = 32, seed: UInt64) {
        self.port = port
        self.connections = connections
        self.sizes = sizes
        var pool: [Int: [[UInt8]]] = [:]
        let buckets: [Int] = sizes == .mlperf ? Array(stride(from: 100, through: 700, by: 10))
            : Array(stride(from: 10, through: sizes.maxSize, by: 10))
        for b in buckets {
            pool[b] = (0..<variants).map { generator.body(candidates: b, seed: seed, index: UInt64(b * 100 + $0)) }
        }
        bodies = pool
    }

    static func bucket(_ n: Int) -> Int { max(10, Int((Double(n) / 10).rounded()) * 10) }

    public func run(_ spec: LoadSpec) -> LoadResult {
        var rng = StrataRNG(seed: spec.seed)
        // The arrival schedule and each request's body, fixed before the step starts.
        var at = 0.0
        var plan: [(time: Double, body: [UInt8])] = []
        for i in 0..<spec.requests {
            at += -log(1 - rng.nextUnit()) / spec.rate
            if at > spec.maxSeconds { break }
            let n = Self.bucket(sizes.draw(rng.nextUnit(), rng.nextUnit()))
            let variants = bodies[min(n, sizes == .mlperf ? 700 : sizes.maxSize)] ?? bodies.values.first!
            plan.append((at, variants[i % variants.count]))
        }
        let schedule = plan
        let state = StepState(count: schedule.count)
        let cpu0 = Self.processCPUSeconds()
        let t0 = Self.now()
        let workers = (0..<connections).map { _ in
            Thread { [port] in
                var connection: LoopbackConnection?
                while let i = state.take() {
                    let item = schedule[i]
                    do {
                        if connection == nil { connection = try LoopbackConnection(port: port) }
                        let reply = try connection!.send("POST", "/score", body: item.body)
                        state.done(i, status: reply.status, latency: Self.now() - t0 - item.time)
                    } catch {
                        connection = nil
                        state.done(i, status: -1, latency: 0)
                    }
                }
            }
        }
        workers.forEach { $0.start() }
        for (i, item) in schedule.enumerated() {
            let wait = item.time - (Self.now() - t0)
            if wait > 0 { usleep(UInt32(wait * 1e6)) }
            state.release(i)
        }
        let deadline = t0 + spec.maxSeconds + spec.drainSeconds
        while !state.allDone && Self.now() < deadline { usleep(2000) }
        let wall = Self.now() - t0
        state.close()
        let cpu = Self.processCPUSeconds() - cpu0
        let (statuses, latencies) = state.results
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var ok = 0, shed = 0, failed = 0
        for (s, l) in zip(statuses, latencies) {
            switch s {
            case 200:
                ok += 1
                _ = h.record(UInt64(max(1, l * 1e6)))   // microseconds
            case 503: shed += 1
            default: failed += 1
            }
        }
        let ms = { (p: Double) in ok == 0 ? Double.infinity : Double(h.valueAtPercentile(p)) / 1000 }
        let last = schedule.last?.time ?? 1
        return LoadResult(rate: spec.rate, sent: schedule.count, ok: ok, shed: shed, failed: failed,
                          p50Ms: ms(50), p95Ms: ms(95), p99Ms: ms(99), maxMs: ok == 0 ? .infinity : Double(h.max) / 1000,
                          achievedRate: Double(ok) / max(last, 1e-9), wallSeconds: wall, clientCPUSeconds: cpu)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// User + system CPU seconds of this whole process (every client thread).
    public static func processCPUSeconds() -> Double {
        var u = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6
            + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
    }

    /// Pins every thread of this process, now and later, to `cpus`
    /// (`taskset -a -p`: Glibc's module does not expose sched_setaffinity):
    /// the client kept off the server's cores.
    public static func pin(cpus: [Int]) throws {
        try taskset(pid: Int(getpid()), cpus: cpus)
    }

    public static func taskset(pid: Int, cpus: [Int]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        p.arguments = ["-a", "-p", "-c", cpus.map(String.init).joined(separator: ","), String(pid)]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ClientError("taskset -c \(cpus) \(pid) failed (\(p.terminationStatus))") }
    }
}

/// The step's shared state: released arrivals in order, and each one's outcome.
final class StepState: @unchecked Sendable {
    private let condition = NSCondition()
    private var released = 0, next = 0, finished = 0
    private var closed = false
    private var statuses: [Int]
    private var latencies: [Double]
    let count: Int

    init(count: Int) {
        self.count = count
        statuses = Array(repeating: -1, count: count)
        latencies = Array(repeating: 0, count: count)
    }
    func release(_ i: Int) { condition.lock(); released = i + 1; condition.signal(); condition.unlock() }
    func take() -> Int? {
        condition.lock(); defer { condition.unlock() }
        while next >= released && !closed && next < count { condition.wait() }
        guard !closed, next < count else { return nil }
        next += 1
        return next - 1
    }
    func done(_ i: Int, status: Int, latency: Double) {
        condition.lock(); statuses[i] = status; latencies[i] = latency; finished += 1; condition.unlock()
    }
    var allDone: Bool { condition.lock(); defer { condition.unlock() }; return finished == count }
    func close() { condition.lock(); closed = true; condition.broadcast(); condition.unlock() }
    var results: ([Int], [Double]) { condition.lock(); defer { condition.unlock() }; return (statuses, latencies) }
}
