import Cluster
import Foundation

/// FlexShard's tier planner: per table, rows sorted by access count, cut
/// into hot (replicated), warm (one copy per node) and cold (one copy in the
/// world) where the modelled communication time of a step is lowest; across
/// tables, the memory the row_wise baseline gives each rank is spent where it
/// saves the most time (`plan(tables:)`).
///
/// The model, per step, with `c_i` the expected accesses of row i over the
/// global batch, R ranks, N nodes of L, B_intra and B_inter the bandwidths:
///   warm: accesses * (L-1)/L cross intra-node links;
///   cold: accesses * (L-1)/R intra, * (R-L)/R inter;
///   each remote access costs an id (4 B) plus a row out and a gradient back
///   (the exchanges send one id per access: no per-rank dedup beyond IKJT's);
///   hot and warm copies pay their sync (`ReplicaSyncCost`, beside the
///         exchange's protocol): by allreduce, the rows touched anywhere in
///         the step (sum of 1 - exp(-c_i)); by gather, each node's touched
///         rows (sum of 1 - exp(-c_i/N)); the planner takes the cheaper.
/// The time is a rank's bytes per link class over that class's bandwidth,
/// plus the latency of the replica syncs (the alpha-beta model,
/// `CommCalibration`): every table's rows of a tier sync in one bucket per
/// exchange and width (`ReplicaSync`), so a bucket's collectives
/// (`ReplicaSyncCost.hotCollectives`, `warmCollectives`) each pay
/// alpha(link class) x rounds once a step however many tables share it. That
/// fixed price is not per table, so `plan(tables:)` solves once per set of
/// buckets allowed (no hot or warm tier, either, both; each by allreduce or
/// gather across nodes) and keeps the cheapest in link time plus latency.
public enum FlexShardPlanner {
    public struct Cost: Sendable, Codable, Equatable {
        public var hot: Int
        public var warm: Int
        public var seconds: Double
        public var intraBytesPerRank: Double
        public var interBytesPerRank: Double
        public var bytesPerRank: Int
        public var hotSync: RowTiers.CrossNodeSync = .allreduce
        public var warmSync: RowTiers.CrossNodeSync = .allreduce
    }

    /// Every table at once under one per-rank budget (default: the row_wise
    /// footprint, every table's share summed): each table's candidate cuts,
    /// then the choice per table minimising seconds + lambda * bytes, with the
    /// smallest lambda whose total fits (a Lagrangian relaxation of the
    /// multiple-choice knapsack; lambda = 0 when the budget does not bind).
    /// `calibration`: the link latencies (and bandwidths, where it has them)
    /// the syncs are priced with; `strata plan`'s default when none.
    /// `counts[row]` accesses over `steps` profiled global batches;
    /// `trainingSteps`: the distinct global batches the run will train on,
    /// whose rows the profile did not see are given room up front (`lazyReserve`).
    /// `sampledFraction`: the share of the batches' samples counted (`AccessProfile`).
    public static func plan(tables: [(counts: [Int], table: TableConfig)], steps: Int, sampledFraction: Double = 1,
                            topology: Topology, optimizer: EmbeddingOptimizerKind, elementBytes: Int = 4,
                            budgetBytesPerRank: Int? = nil, trainingSteps: Int? = nil,
                            calibration: CommCalibration = .machineDefault) -> [(RowTiers, Cost)] {
        planJointly(tables: tables, steps: steps, sampledFraction: sampledFraction, topology: topology, optimizer: optimizer,
                    elementBytes: elementBytes, budgetBytesPerRank: budgetBytesPerRank, trainingSteps: trainingSteps,
                    calibration: calibration).tables
    }

    /// `plan(tables:)` with what the sync latency changed (`SyncReport`).
    public static func planJointly(tables: [(counts: [Int], table: TableConfig)], steps: Int, sampledFraction: Double = 1,
                                   topology plain: Topology, optimizer: EmbeddingOptimizerKind, elementBytes: Int = 4,
                                   budgetBytesPerRank: Int? = nil, trainingSteps: Int? = nil,
                                   calibration: CommCalibration = .machineDefault) -> Joint {
        let topology = Topology(nodeOfRank: plain.nodeOfRank,
                                intraNodeBandwidth: calibration.intraNodeBandwidth ?? plain.intraNodeBandwidth,
                                interNodeBandwidth: calibration.interNodeBandwidth ?? plain.interNodeBandwidth)
        let models = tables.map {
            TableModel(counts: $0.counts, steps: steps, sampledFraction: sampledFraction, table: $0.table, topology: topology,
                       optimizer: optimizer, elementBytes: elementBytes, trainingSteps: trainingSteps)
        }
        let budget = budgetBytesPerRank ?? models.reduce(0) {
            $0 + ($1.rows + topology.worldSize - 1) / topology.worldSize * $1.perRow
        }
        let sync = SyncModel(topology: topology, calibration: calibration, widths: tables.map(\.table.dim))
        // The byte-only solve first (today's cuts); with no latency to pay it is the plan.
        let byteOnly = solve(models.map { $0.candidates(Allowed.any) }, budget: budget)
        var best = (fits: bytes(byteOnly) <= budget, total: sync.totals(byteOnly), chosen: byteOnly)
        if calibration.intraNodeLatency > 0 || calibration.interNodeLatency > 0 {
            for allowed in Allowed.restricted(nodes: topology.nodeCount, gather: models.first?.gatherAllowed ?? false) {
                let chosen = solve(models.map { $0.candidates(allowed) }, budget: budget)
                let fits = bytes(chosen) <= budget, total = sync.totals(chosen)
                if (fits ? 0 : 1, total.seconds) < (best.fits ? 0 : 1, best.total.seconds) { best = (fits, total, chosen) }
            }
        }
        return Joint(tables: zip(models, best.chosen).map { ($0.tiers($1), $1) },
                     sync: SyncReport(chosen: best.total, byteOnly: sync.totals(byteOnly)))
    }

    /// The choice per table minimising seconds + lambda * bytes (see `plan(tables:)`).
    static func solve(_ candidates: [[Cost]], budget: Int) -> [Cost] {
        func choose(_ lambda: Double) -> [Cost] {
            candidates.map { c in c.min { ($0.seconds + lambda * Double($0.bytesPerRank), $0.bytesPerRank)
                                           < ($1.seconds + lambda * Double($1.bytesPerRank), $1.bytesPerRank) }! }
        }
        var chosen = choose(0)
        if bytes(chosen) > budget {
            var lo = 0.0, hi = 1e-12
            while bytes(choose(hi)) > budget, hi < 1e3 { hi *= 4 }
            for _ in 0..<60 {
                let mid = (lo + hi) / 2
                if bytes(choose(mid)) > budget { lo = mid } else { hi = mid }
            }
            chosen = choose(hi)
        }
        return chosen
    }

    static func bytes(_ c: [Cost]) -> Int { c.reduce(0) { $0 + $1.bytesPerRank } }

    /// One table's rows in order and the prefix sums the cost model reads.
    struct TableModel {
        let order: [Int32]
        let rows: Int, seen: Int, perRow: Int
        /// Rows the profile did not see that the rest of the run is expected to read.
        let reserve: Int
        /// Whether unseen cold rows are stored lazily (else all from the start).
        let lazy: Bool
        let R: Int, nodes: Int, L: Int, D: Double
        let gatherAllowed: Bool
        let topology: Topology
        /// Prefix sums, hottest first: expected accesses per step, P(touched
        /// anywhere in a step), P(touched on a given node).
        var access: [Double], touched: [Double], touchedNode: [Double]

        init(counts: [Int], steps: Int, sampledFraction: Double = 1, table: TableConfig, topology: Topology,
             optimizer: EmbeddingOptimizerKind, elementBytes: Int = 4, trainingSteps: Int? = nil) {
            rows = table.rows
            precondition(counts.count == rows)
            order = (0..<rows).sorted { (counts[$0], -$0) > (counts[$1], -$1) }.map(Int32.init)
            seen = counts.lazy.filter { $0 > 0 }.count
            // A sampled profile counted a fraction of its batches: the rows
            // the rest of them read are room to keep like later batches' rows.
            let counted = Double(max(steps, 1)) * sampledFraction
            reserve = FlexShardPlanner.unseenRowsRead(counts: counts, rows: rows, profiledSteps: counted,
                                                      trainingSteps: Double(max(trainingSteps ?? steps, steps)))
            R = topology.worldSize; nodes = topology.nodeCount
            L = max(1, R / max(nodes, 1))
            perRow = optimizer.rowBytes(width: table.dim, elementBytes: elementBytes)
            D = Double(table.dim)
            gatherAllowed = nodes > 1 && topology.uniformRanksPerNode != nil
            // Storing unseen rows lazily pays only while the rows the run will
            // not read outweigh the slot map (4 B an unseen row, 4 B more for
            // each one stored later); else every cold row is stored up front.
            let unseenMine = (rows - seen + R - 1) / R, laterMine = min((reserve + R - 1) / R, unseenMine)
            lazy = laterMine * (perRow + 4) + unseenMine * 4 < unseenMine * perRow
            self.topology = topology
            access = [Double](repeating: 0, count: rows + 1)
            touched = access; touchedNode = access
            let n = Double(max(nodes, 1))
            for i in 0..<rows {
                let c = Double(counts[Int(order[i])]) / counted
                access[i + 1] = access[i] + c
                touched[i + 1] = touched[i] + (1 - exp(-c))
                touchedNode[i + 1] = touchedNode[i] + (1 - exp(-c / n))
            }
        }

        func tiers(_ c: Cost) -> RowTiers {
            RowTiers(order: order, hot: c.hot, warm: c.warm, seenCold: lazy ? max(0, seen - c.hot - c.warm) : rows - c.hot - c.warm,
                     hotSync: c.hot > 0 && nodes > 1 ? c.hotSync : nil, warmSync: c.warm > 0 && nodes > 1 ? c.warmSync : nil,
                     lazyReserve: lazy && reserve > 0 ? reserve : nil)
        }

        /// Candidate cuts: 0, then a geometric grid up to the seen rows; the
        /// tiers and cross-node exchanges `allowed` only.
        func candidates(_ allowed: Allowed) -> [Cost] {
            var grid: [Int] = [0]
            var x = 1.0
            while Int(x) < seen { grid.append(Int(x)); x *= 1.25 }
            grid.append(seen)
            grid = Array(Set(grid)).sorted()
            var out: [Cost] = []
            for h in (allowed.hot ? grid : [0]) {
                for w in (nodes > 1 && allowed.warm ? grid : [0]) where h + w <= rows {
                    out.append(cost(hot: h, warm: w, allowed: allowed))
                }
            }
            return out
        }

        func cost(hot h: Int, warm w: Int, allowed: Allowed = .any) -> Cost {
            // Memory a rank holds from the start: its rows of every tier, room
            // for its share of the rows the rest of the run is expected to read
            // first (each also takes 4 B in the slot list), and the lazy cold
            // store's slot map (4 B a row not stored at the start).
            let seenCold = lazy ? max(0, seen - h - w) : rows - h - w, unseen = rows - h - w - seenCold
            let later = min((reserve + R - 1) / R, (unseen + R - 1) / R)
            let mine = (h + (w + L - 1) / L + (seenCold + R - 1) / R + later) * perRow
                + (unseen > 0 ? ((unseen + R - 1) / R + later) * 4 : 0)
            let aWarm = access[h + w] - access[h], aCold = access[rows] - access[h + w]
            let remoteAccessBytes = 4 + 2 * 4 * D
            var intra = aWarm * Double(L - 1) / Double(L) * remoteAccessBytes / Double(R)
            intra += aCold * Double(L - 1) / Double(R) * remoteAccessBytes / Double(R)
            var inter = aCold * Double(R - L) / Double(R) * remoteAccessBytes / Double(R)
            let row = 4 * D
            var hotSync = RowTiers.CrossNodeSync.allreduce, warmSync = hotSync
            if h > 0, nodes > 1 {
                var sync = ReplicaSyncCost.hotAllreduce(touched: touched[h], rows: h, rowBytes: row, nodes: nodes,
                                                        ranksPerNode: L)
                if gatherAllowed {
                    let gather = ReplicaSyncCost.hotGather(touchedPerNode: touchedNode[h], rows: h, rowBytes: row,
                                                           nodes: nodes, ranksPerNode: L)
                    if allowed.hotMode.map({ $0 == .gather }) ?? (time(gather.intra, gather.inter) < time(sync.intra, sync.inter)) {
                        sync = gather; hotSync = .gather
                    }
                }
                intra += sync.intra; inter += sync.inter
            } else if h > 0, R > 1 {
                intra += ReplicaSyncCost.hotOneNode(touched: touched[h], rows: h, rowBytes: row, ranks: R).intra
            }
            if nodes > 1, w > 0 {
                var sInter = ReplicaSyncCost.warmAllreduce(touched: touched[h + w] - touched[h], rows: w, rowBytes: row,
                                                           nodes: nodes, ranksPerNode: L)
                if gatherAllowed {
                    let gInter = ReplicaSyncCost.warmGather(touchedPerNode: touchedNode[h + w] - touchedNode[h], rowBytes: row,
                                                            nodes: nodes, ranksPerNode: L)
                    if allowed.warmMode.map({ $0 == .gather }) ?? (gInter < sInter) { sInter = gInter; warmSync = .gather }
                }
                inter += sInter
            }
            return Cost(hot: h, warm: w, seconds: time(intra, inter), intraBytesPerRank: intra, interBytesPerRank: inter,
                        bytesPerRank: mine, hotSync: hotSync, warmSync: warmSync)
        }

        func time(_ intra: Double, _ inter: Double) -> Double {
            intra / topology.intraNodeBandwidth + inter / topology.interNodeBandwidth
        }
    }

    /// How many rows the profile never saw the run will read in its other
    /// `trainingSteps - profiledSteps` batches, estimated high: Shen, Chao &
    /// Lin's (2003) expected number of new species in m more draws,
    ///     U = f0 * (1 - (1 - f1 / (n f0 + f1))^m),
    /// with n accesses profiled, f1 rows seen once, m = n * (extra steps) /
    /// (profiled steps), and f0 = every unseen row (a hashed table's rows can
    /// all be read; Chao1's f0 is a lower bound, and under-reserved by half on
    /// the test data), plus 2 sqrt(U) (U is a sum of rare Bernoulli events,
    /// so its variance is at most U). For small m, U is m f1 / n, the
    /// Good-Turing rate of new rows. An estimate, not a bound: a run that
    /// reads more new rows stores them too and holds more than planned, and
    /// says so (`TrainingRun`).
    public static func unseenRowsRead(counts: [Int], rows: Int, profiledSteps: Double, trainingSteps: Double) -> Int {
        let extra = trainingSteps - profiledSteps
        guard extra > 0, profiledSteps > 0 else { return 0 }
        var n = 0.0, f1 = 0.0, seen = 0
        for c in counts where c > 0 {
            n += Double(c); seen += 1
            if c == 1 { f1 += 1 }
        }
        let f0 = Double(rows - seen)
        guard f0 > 0, n > 0 else { return 0 }
        let m = n * extra / profiledSteps
        let found = f0 * (1 - pow(1 - f1 / (n * f0 + f1), m))
        return min(rows - seen, Int((found + 2 * found.squareRoot()).rounded(.up)))
    }

    /// Inter-node embedding bytes per step, summed over ranks: with one copy of
    /// every row in the world (`oneCopy`, what row_wise pays, headers aside),
    /// and a lower bound for ANY placement of the rows (`floor`).
    ///
    /// A row with `c` expected accesses per step (Poisson, spread evenly over
    /// the ranks) either has one copy, and each access from another node
    /// costs an id, a row out and a gradient back:
    ///     c * (R-L)/R * (4 + 8 D),
    /// or a copy on every node, and every other node must learn the gradient
    /// (4 D bytes, fp32: nothing less keeps the copies exact): with k nodes
    /// touching the row, k (N-1) rows by gather, 2 (N-1) by a bandwidth-optimal
    /// allreduce, so at least
    ///     E[min(k, 2)] * (N-1) * 4 D,  k ~ Binomial(N, 1 - exp(-c/N)).
    /// The floor takes the cheaper of the two for every row (ids and count
    /// headers left out, so it is a bound, not a plan). At Zipf 1.1 most
    /// accesses go to rows read about once a step or less, where the two costs
    /// are equal (c * 66 B against c * 64 B at D = 16 on 2 nodes of 2), so no
    /// tiering takes 85 % of the bytes off the slow links.
    public static func interNodeFloor(counts: [Int], steps: Int, sampledFraction: Double = 1, table: TableConfig,
                                      topology: Topology) -> (oneCopy: Double, floor: Double) {
        let R = Double(topology.worldSize), n = Double(max(topology.nodeCount, 1))
        guard n > 1 else { return (0, 0) }
        let L = R / n, D = Double(table.dim)
        var oneCopy = 0.0, floor = 0.0
        for k in counts where k > 0 {
            let c = Double(k) / (Double(max(steps, 1)) * sampledFraction)
            let single = c * (R - L) / R * (4 + 8 * D)
            oneCopy += single
            let q = 1 - exp(-c / n), none = pow(1 - q, n), one = n * q * pow(1 - q, n - 1)
            floor += min(single, ((1 - none) + (1 - none - one)) * (n - 1) * 4 * D)
        }
        return (oneCopy, floor)
    }
}
