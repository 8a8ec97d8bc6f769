/// A run's communication reduced across ranks: per phase, the min / mean /
/// max over ranks of each rank's totals, so imbalance shows (CoMD's
/// timerStats). Built collectively by `LedgerReport.reduce`.
public struct LedgerReport: Sendable, Codable, Equatable {
    public struct Stat: Sendable, Codable, Equatable {
        public var min: Double
        public var mean: Double
        public var max: Double
        /// Sum over ranks (world totals of bytes).
        public var total: Double

        /// min / mean / max / sum of one value per rank.
        public init(_ perRank: [Double]) {
            total = perRank.reduce(0, +)
            min = perRank.min() ?? 0
            mean = total / Double(Swift.max(perRank.count, 1))
            max = perRank.max() ?? 0
        }
    }

    public struct Phase: Sendable, Codable, Equatable {
        public var phase: String
        public var calls: Stat
        /// Bytes sent to other ranks (self excluded).
        public var bytesSent: Stat
        public var intraNodeBytes: Stat
        public var interNodeBytes: Stat
        public var selfBytes: Stat
        public var collectiveBytes: Stat
        public var seconds: Stat
    }

    public var worldSize: Int
    public var steps: Int
    public var phases: [Phase]

    /// Collective over `comm`: every rank gets the same report of `totals`
    /// (each rank's own, e.g. `ledger.run`). Phases with no calls anywhere are left out.
    public static func reduce(_ totals: [PhaseTotals], steps: Int, comm: Communicator) -> LedgerReport {
        let fields = 7
        var mine: [Double] = []
        mine.reserveCapacity(totals.count * fields)
        for t in totals {
            mine += [Double(t.calls), Double(t.bytesSent), Double(t.intraNodeBytesSent), Double(t.interNodeBytesSent),
                     Double(t.selfBytes), Double(t.collectiveBytes), t.seconds]
        }
        let all = comm.allgatherArrays(.control, mine)
        var phases: [Phase] = []
        for p in CommPhase.allCases {
            func stat(_ f: Int) -> Stat {
                Stat(all.map { $0[p.rawValue * fields + f] })
            }
            let calls = stat(0)
            guard calls.total > 0 else { continue }
            phases.append(Phase(phase: p.tag, calls: calls, bytesSent: stat(1), intraNodeBytes: stat(2),
                                interNodeBytes: stat(3), selfBytes: stat(4), collectiveBytes: stat(5), seconds: stat(6)))
        }
        return LedgerReport(worldSize: comm.size, steps: steps, phases: phases)
    }

    public func phase(_ p: CommPhase) -> Phase? { phases.first { $0.phase == p.tag } }

    /// All-to-all bytes sent to other ranks per step, summed over ranks.
    public var allToAllBytesPerStep: Double {
        let a2a = Set(CommPhase.allCases.filter(\.isAllToAll).map(\.tag))
        let total = phases.filter { a2a.contains($0.phase) }.reduce(0) { $0 + $1.bytesSent.total }
        return steps > 0 ? total / Double(steps) : total
    }

    /// A fixed-width table, one row per phase (the summary printed at the end of a run).
    public func table() -> String {
        func mb(_ x: Double) -> String { String(format: "%.3f", x / 1e6) }
        func ms(_ x: Double) -> String { String(format: "%.1f", x * 1e3) }
        var lines = ["phase                 calls/rank   MB sent (min/mean/max per rank)   intra MB   inter MB   seconds (min/max) ms"]
        for p in phases {
            let name = p.phase.padding(toLength: 20, withPad: " ", startingAt: 0)
            let sent = "\(mb(p.bytesSent.min))/\(mb(p.bytesSent.mean))/\(mb(p.bytesSent.max))"
            lines.append("\(name)  \(String(format: "%10.0f", p.calls.max))   \(sent.padding(toLength: 33, withPad: " ", startingAt: 0))  \(mb(p.intraNodeBytes.total).leftPad(9))  \(mb(p.interNodeBytes.total).leftPad(9))   \(ms(p.seconds.min))/\(ms(p.seconds.max))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
