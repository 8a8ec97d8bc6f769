import Cluster

/// The fixed part of FlexShard's price: the replica syncs' latency, paid once
/// a step per bucket (a tier's rows of every table with one exchange and row
/// width sync together, `ReplicaSync`), whatever the bytes.
extension FlexShardPlanner {
    /// Which tiers one solve may cut and, across nodes, by which exchange
    /// (nil: per table, the cheaper in bytes).
    struct Allowed: Equatable {
        var hot: Bool, warm: Bool
        var hotMode: RowTiers.CrossNodeSync?, warmMode: RowTiers.CrossNodeSync?

        /// Every tier, each exchange chosen by bytes: the byte-only planner's candidates.
        static let any = Allowed(hot: true, warm: true, hotMode: nil, warmMode: nil)

        /// The other bucket sets, in a fixed order (a tie keeps the earlier):
        /// each tier off, or on with one exchange for every table.
        static func restricted(nodes: Int, gather: Bool) -> [Allowed] {
            guard nodes > 1 else { return [Allowed(hot: false, warm: false, hotMode: nil, warmMode: nil)] }
            let modes: [RowTiers.CrossNodeSync?] = [nil] + (gather ? [.allreduce, .gather] : [.allreduce])
            return modes.flatMap { hot in
                modes.compactMap { warm in
                    // nil here is "tier off"; a tier on takes one exchange.
                    Allowed(hot: hot != nil, warm: warm != nil, hotMode: hot, warmMode: warm)
                }
            }
        }
    }

    /// Link time and sync latency of a set of cuts, one a table.
    public struct Totals: Sendable, Equatable {
        /// Tables with hot rows, with warm rows.
        public var hotTables: Int, warmTables: Int
        /// Replica-sync collectives a rank makes per step, and their latency.
        public var collectivesPerStep: Int
        public var latencySeconds: Double
        /// Every table's bytes over the bandwidths (`Cost.seconds` summed).
        public var linkSeconds: Double
        public var seconds: Double { linkSeconds + latencySeconds }
    }

    /// What the latency changed: the chosen cuts' totals beside those of the
    /// cuts by bytes alone.
    public struct SyncReport: Sendable, Equatable {
        public var chosen: Totals
        public var byteOnly: Totals

        /// One line where the latency dropped a tier or cut fewer syncs; nil
        /// where the byte-only cuts stood.
        public var line: String? {
            guard chosen != byteOnly else { return nil }
            var dropped: [String] = []
            if chosen.hotTables == 0, byteOnly.hotTables > 0 { dropped.append("hot") }
            if chosen.warmTables == 0, byteOnly.warmTables > 0 { dropped.append("warm") }
            let what = dropped.isEmpty ? "cuts tiers with \(chosen.collectivesPerStep) sync collectives a step"
                : "drops the \(dropped.joined(separator: " and ")) tier\(dropped.count > 1 ? "s" : "")"
            return "flexshard's tier planner " + what + ": the byte-only cuts' syncs (\(byteOnly.collectivesPerStep) collectives a step) "
                + "would add " + Self.ms(byteOnly.latencySeconds - chosen.latencySeconds) + " ms of latency a step to save "
                + Self.ms(chosen.linkSeconds - byteOnly.linkSeconds) + " ms of link time (bytes)"
        }

        static func ms(_ s: Double) -> String { String(format: "%.3f", s * 1e3) }
    }

    /// Every table's cuts and what the sync latency changed.
    public struct Joint: Sendable {
        public var tables: [(RowTiers, Cost)]
        public var sync: SyncReport
    }

    /// The latency of the buckets a set of cuts makes.
    struct SyncModel {
        let topology: Topology
        let calibration: CommCalibration
        /// Row width of each table (buckets are per width).
        let widths: [Int]

        func totals(_ chosen: [Cost]) -> Totals {
            let N = topology.nodeCount, R = topology.worldSize, L = max(1, R / max(N, 1))
            struct Bucket: Equatable { var hot: Bool; var mode: RowTiers.CrossNodeSync; var width: Int }
            // In table order, not a Set's: every rank sums the same latencies
            // in the same order, so every rank keeps the same cuts.
            var buckets: [Bucket] = []
            func add(_ b: Bucket) { if !buckets.contains(b) { buckets.append(b) } }
            for (c, width) in zip(chosen, widths) {
                if c.hot > 0, R > 1 { add(Bucket(hot: true, mode: N > 1 ? c.hotSync : .allreduce, width: width)) }
                if c.warm > 0, N > 1 { add(Bucket(hot: false, mode: c.warmSync, width: width)) }
            }
            var collectives = 0, latency = 0.0
            for b in buckets {
                let calls = b.hot ? ReplicaSyncCost.hotCollectives(b.mode, nodes: N) : ReplicaSyncCost.warmCollectives(b.mode)
                collectives += calls.total
                latency += ReplicaSyncCost.latency(calls, nodes: N, ranksPerNode: L, calibration: calibration)
            }
            return Totals(hotTables: chosen.filter { $0.hot > 0 }.count, warmTables: chosen.filter { $0.warm > 0 }.count,
                          collectivesPerStep: collectives, latencySeconds: latency,
                          linkSeconds: chosen.reduce(0) { $0 + $1.seconds })
        }
    }
}
