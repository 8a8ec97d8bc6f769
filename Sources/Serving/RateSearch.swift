/// DeepRecSys's search for the highest arrival rate whose tail latency meets
/// a bound: run a step at a rate; over the bound (or any request shed or
/// failed), lengthen the mean gap between arrivals; more than 10 % under it,
/// shorten the gap; within, keep it. After `steps` steps the answer is the
/// median rate of those of the last `settle` steps that met the bound (the
/// search oscillates around the boundary; the median damps one lucky step,
/// and a rate that missed the bound is never the answer). When none of them
/// met it, the highest rate of the whole search that did; 0 when none did.
///
/// One departure, so a short search converges from a rough start: far from
/// the bound (tail under half of it, or over twice it, or requests shed) the
/// gap changes by `far` (1.5x) instead of the near steps, until the search
/// has seen a rate meet the bound and a rate miss it. From then on it takes
/// only the near steps: a server's tail rises as a cliff (a few ms to over
/// twice the bound within 1.5x of rate), and far steps would jump across it
/// forever without narrowing in.
public struct RateSearch: Sendable {
    public var boundSeconds: Double
    /// Gap factor when over the bound (lengthen) and when under (shorten).
    public var lengthen = 1.25
    public var shorten = 1.12
    public var far = 1.5
    public var steps = 12
    public var settle = 5

    public init(boundSeconds: Double, steps: Int = 12, settle: Int = 5) {
        self.boundSeconds = boundSeconds; self.steps = steps; self.settle = settle
    }

    /// One step's outcome at `rate` (requests per second).
    public struct Step: Sendable, Codable, Equatable {
        public var rate: Double
        public var tailSeconds: Double
        public var achievedRate: Double
        public var shed: Int
        public var failed: Int
        public var requests: Int
        public var meets: Bool
        public init(rate: Double, tailSeconds: Double, achievedRate: Double, shed: Int, failed: Int, requests: Int, meets: Bool) {
            self.rate = rate; self.tailSeconds = tailSeconds; self.achievedRate = achievedRate
            self.shed = shed; self.failed = failed; self.requests = requests; self.meets = meets
        }
    }

    /// The next rate after a step; `bracketed`: a rate has met the bound and one has missed it.
    public func next(after s: Step, bracketed: Bool = false) -> Double {
        if s.tailSeconds > 2 * boundSeconds || s.shed > 0 || s.failed > 0 { return s.rate / (bracketed ? lengthen : far) }
        if s.tailSeconds > boundSeconds { return s.rate / lengthen }
        if s.tailSeconds < 0.5 * boundSeconds && !bracketed { return s.rate * far }
        if s.tailSeconds < 0.9 * boundSeconds { return s.rate * shorten }
        return s.rate
    }

    /// Runs the search from `start`; `measure(rate)` runs one step.
    public func run(start: Double, measure: (Double) throws -> Step) rethrows -> (rate: Double, steps: [Step]) {
        var rate = start
        var history: [Step] = []
        var met = false, missed = false
        for _ in 0..<steps {
            let s = try measure(rate)
            history.append(s)
            if s.meets { met = true } else { missed = true }
            rate = next(after: s, bracketed: met && missed)
        }
        let settled = history.suffix(settle).filter(\.meets).map(\.rate).sorted()
        if !settled.isEmpty { return (settled[settled.count / 2], history) }
        return (history.filter(\.meets).map(\.rate).max() ?? 0, history)
    }
}

/// How many candidates a query holds.
public enum QuerySizes: String, Sendable, Codable, CaseIterable {
    /// MLPerf DLRM's range, 100 to 700 pairs. Its quantile file
    /// (tools/dist_quantile.txt) is not on this machine: sizes are uniform
    /// over the range, a stated stand-in.
    case mlperf
    /// DeepRecSys's production-like normal(165, 16), at least 1.
    case normal

    public func draw(_ u1: Double, _ u2: Double) -> Int {
        switch self {
        case .mlperf: return 100 + min(600, Int(u1 * 601))
        case .normal:
            let z = (-2 * log(max(u1, 1e-300))).squareRoot() * cos(2 * Double.pi * u2)
            return max(1, Int((165 + 16 * z).rounded()))
        }
    }

    public var maxSize: Int { self == .mlperf ? 700 : 260 }
}

#if canImport(Glibc)
import Glibc
#endif
