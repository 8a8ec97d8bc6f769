import XCTest
import Cluster
import Collectives
import ShardedEmbeddings
import Sharding
import Tensors

/// `ExchangeLane` by itself, row_wise over 1-8 ranks as threads, against a
/// naive reference: every rank's lookup (ids out, rows or pooled partial sums
/// back, added into the assembly) must give each pooled bag the sum of its
/// rows and each sequence id its row; the backward (gradients to the owners,
/// collected per stored row) must give each owner, per local row, the sum of
/// every rank's gradient for every occurrence of that row. With and without
/// id dedup, in fp32 and with 16-bit (bf16) payloads.
final class ExchangeLaneTests: XCTestCase {
    let tables = [TableConfig(name: "a", rows: 23, dim: 4), TableConfig(name: "b", rows: 9, dim: 3)]
    let features = [EmbeddingFeature(name: "pooled_a", table: 0, isSequence: false),
                    EmbeddingFeature(name: "seq_b", table: 1, isSequence: true),
                    EmbeddingFeature(name: "pooled_b", table: 1, isSequence: false),
                    EmbeddingFeature(name: "seq_a", table: 0, isSequence: true)]

    /// Rank r's batch: bags of 0-5 ids with many repeats (seeded per rank).
    func batch(rank r: Int, seed: UInt64) -> [FeatureIds] {
        var s = (seed &+ UInt64(r) &* 7919) &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ n: Int) -> Int { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Int(s % UInt64(n)) }
        return features.map { f in
            let lengths = (0..<5).map { _ in Int32(next(6)) }
            let values = (0..<Int(lengths.reduce(0, +))).map { _ in Int64(next(tables[f.table].rows)) }
            return FeatureIds(lengths: lengths, values: values)
        }
    }

    /// Where each feature's outputs start in the assembly, and its size.
    func layout(_ ids: [FeatureIds]) -> (base: [Int], size: Int) {
        var base: [Int] = [], at = 0
        for (k, f) in features.enumerated() {
            base.append(at)
            at += (f.isSequence ? ids[k].values.count : ids[k].bags) * tables[f.table].dim
        }
        return (base, at)
    }

    /// d loss / d output of rank r: small multiples of 1/8 (sums exact in fp32).
    func gradient(rank r: Int, count: Int) -> [Float] {
        (0..<count).map { i in Float((i * 37 + r * 11) % 17 - 8) / 8 }
    }

    /// Every row of table t as one process holds it (the stores' initial values
    /// depend on the global row, not on who holds it).
    func fullTable(_ t: Int) -> [[Float]] {
        let c = tables[t]
        let store = ShardStore(table: t, config: c, columnStart: 0, width: c.dim, map: .contiguous(first: 0), rows: c.rows,
                               seed: 5, optimizer: .sgd)
        return (0..<c.rows).map { store.rowValues(slot: $0) }
    }

    /// The naive forward of one rank's batch: bag sums and sequence rows, in Double.
    func referenceOutputs(_ ids: [FeatureIds], rows: [[[Float]]]) -> [Double] {
        let (base, size) = layout(ids)
        var out = [Double](repeating: 0, count: size)
        for (k, f) in features.enumerated() {
            let w = tables[f.table].dim
            var n = 0
            for (u, len) in ids[k].lengths.enumerated() {
                for j in n..<(n + Int(len)) {
                    let at = base[k] + (f.isSequence ? j : u) * w
                    for c in 0..<w { out[at + c] += Double(rows[f.table][Int(ids[k].values[j])][c]) }
                }
                n += Int(len)
            }
        }
        return out
    }

    /// The naive backward: per (table, global row), every rank's gradient of
    /// every occurrence, summed in Double.
    func referenceGradients(world: Int, seed: UInt64) -> [[Int: [Double]]] {
        var sums = tables.map { _ in [Int: [Double]]() }
        for q in 0..<world {
            let ids = batch(rank: q, seed: seed)
            let (base, size) = layout(ids)
            let g = gradient(rank: q, count: size)
            for (k, f) in features.enumerated() {
                let w = tables[f.table].dim
                var n = 0
                for (u, len) in ids[k].lengths.enumerated() {
                    for j in n..<(n + Int(len)) {
                        let at = base[k] + (f.isSequence ? j : u) * w, row = Int(ids[k].values[j])
                        var s = sums[f.table][row] ?? [Double](repeating: 0, count: w)
                        for c in 0..<w { s[c] += Double(g[at + c]) }
                        sums[f.table][row] = s
                    }
                    n += Int(len)
                }
            }
        }
        return sums
    }

    /// One lane step on `world` ranks; each rank returns its failures.
    func failures(world: Int, seed: UInt64, dedup: Bool, payload: RowPrecision) throws -> [String] {
        let topo = try Topology.emulated(worldSize: world, ranksPerNode: world)
        let plan = ShardingPlan.uniform(.rowWise, tables: tables, topology: topo)
        let groups = LookupGroups(plan: plan, tables: tables, features: features, worldSize: world, nodeSize: world).world
        let full = tables.indices.map(fullTable)
        let expectedGrads = referenceGradients(world: world, seed: seed)
        let blocks = tables.map { plan.sharding(of: $0.name)!.shards[0].blockRows(tableRows: $0.rows) }
        // bf16 keeps 8 bits of mantissa: a row or sum within 2^-7 relative, plus the sums' spread.
        let tolerance = payload == .fp32 ? 1e-5 : 2e-2
        let what = "\(world) ranks, seed \(seed), dedup \(dedup), \(payload)"
        let perRank = LocalCommunicator.run(worldSize: world, topology: topo) { comm -> [String] in
            let r = comm.rank
            let stores = self.tables.enumerated().map { t, c in
                let shard = plan.sharding(of: c.name)!.shards[0], i = shard.ranks.firstIndex(of: r)!
                return ShardStore(table: t, config: c, columnStart: 0, width: c.dim, map: .contiguous(first: i * blocks[t]),
                                  rows: shard.localRows(rankIndex: i, tableRows: c.rows), seed: 5, optimizer: .sgd)
            }
            let lane = ExchangeLane(comm: comm, phases: .world, groups: groups, dedupIds: dedup, forward: payload, backward: payload) {
                groups[$0].table
            }
            let ids = self.batch(rank: r, seed: seed)
            let (base, size) = self.layout(ids)
            var failed: [String] = []
            var assembly = [Float](repeating: 0, count: max(size, 1))
            lane.inputDist(ids, base: base, dims: self.features.map { self.tables[$0.table].dim }, tableRows: self.tables.map(\.rows),
                           training: true)
            assembly.withUnsafeMutableBufferPointer { a in
                lane.lookup(stores, assembly: a.baseAddress!)
                lane.startOutputDist()
                lane.finishOutputDist(into: a.baseAddress!)
            }
            for (i, x) in self.referenceOutputs(ids, rows: full).enumerated() where abs(Double(assembly[i]) - x) > tolerance * max(1, abs(x)) {
                failed.append("\(what): rank \(r) output [\(i)] \(assembly[i]), expected \(x)")
            }
            let pendingRows = stores.map { _ in ScratchBuffer<Int32>(zero: 0) }
            let pendingGrads = stores.map { _ in ScratchBuffer<Float>(zero: 0) }
            let grads = self.gradient(rank: r, count: max(size, 1))
            grads.withUnsafeBufferPointer { g in
                lane.sendGradients(from: g.baseAddress!)
                lane.collectGradients(stores, pendingRows: pendingRows, pendingGrads: pendingGrads,
                                      sgdInPlace: stores.map { _ in false }, learningRate: 0, gradAssembly: g.baseAddress!)
            }
            for (t, c) in self.tables.enumerated() {
                var got: [Int: [Double]] = [:]
                for e in 0..<pendingRows[t].count {
                    let row = Int(pendingRows[t][e]) + self.rank(r, plan, t) * blocks[t]
                    var s = got[row] ?? [Double](repeating: 0, count: c.dim)
                    for k in 0..<c.dim { s[k] += Double(pendingGrads[t][e * c.dim + k]) }
                    got[row] = s
                }
                let mine = expectedGrads[t].filter { $0.key / blocks[t] == self.rank(r, plan, t) }
                if Set(got.keys) != Set(mine.keys) {
                    failed.append("\(what): rank \(r) table \(c.name): gradients for rows \(got.keys.sorted()), expected \(mine.keys.sorted())")
                    continue
                }
                for (row, want) in mine {
                    for k in 0..<c.dim where abs(got[row]![k] - want[k]) > tolerance * max(1, abs(want[k])) {
                        failed.append("\(what): rank \(r) table \(c.name) row \(row) [\(k)]: \(got[row]![k]), expected \(want[k])")
                    }
                }
            }
            return failed
        }
        return perRank.flatMap { $0 }
    }

    /// Rank r's index among table t's shard ranks (its block number).
    func rank(_ r: Int, _ plan: ShardingPlan, _ t: Int) -> Int {
        plan.sharding(of: tables[t].name)!.shards[0].ranks.firstIndex(of: r)!
    }

    func testLookupAndGradientsMatchNaiveReferences() throws {
        for world in 1...8 {
            for dedup in [false, true] {
                for seed in [1, 2] as [UInt64] {
                    for line in try failures(world: world, seed: seed, dedup: dedup, payload: .fp32).prefix(5) { XCTFail(line) }
                }
            }
        }
    }

    func testSixteenBitPayloadsMatchWithinTheirRounding() throws {
        for world in [2, 3, 5] {
            for dedup in [false, true] {
                for line in try failures(world: world, seed: 3, dedup: dedup, payload: .bf16).prefix(5) { XCTFail(line) }
            }
        }
    }
}
