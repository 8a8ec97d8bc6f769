import XCTest
import Cluster
import ShardedEmbeddings
import Sharding

/// `EmbeddingRouter` and `IdDedup` by themselves against naive references,
/// row_wise over 1-8 ranks: each id goes to rank row / block as local row
/// row % block, groups in plan order, ids in bag order; under dedup each
/// distinct (group, local row) travels once to its owner, and its targets are
/// exactly the assembly offsets of all its occurrences (sequence: its own row;
/// pooled: its bag's output, once per occurrence).
final class RouterDedupTests: XCTestCase {
    let tables = [TableConfig(name: "a", rows: 23, dim: 4), TableConfig(name: "b", rows: 9, dim: 4)]
    let features = [EmbeddingFeature(name: "pooled_a", table: 0, isSequence: false),
                    EmbeddingFeature(name: "seq_b", table: 1, isSequence: true),
                    EmbeddingFeature(name: "pooled_b", table: 1, isSequence: false)]

    /// Bags of 0-5 ids drawn with many repeats (a small, seeded generator).
    func ids(seed: UInt64) -> [FeatureIds] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ n: Int) -> Int { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Int(s % UInt64(n)) }
        return features.map { f in
            let lengths = (0..<7).map { _ in Int32(next(6)) }
            let values = (0..<Int(lengths.reduce(0, +))).map { _ in Int64(next(tables[f.table].rows)) }
            return FeatureIds(lengths: lengths, values: values)
        }
    }

    func testRoutingAndDedupMatchNaiveReferences() throws {
        for R in 1...8 {
            for seed in 1...3 as ClosedRange<UInt64> {
                let topo = try Topology.emulated(worldSize: R, ranksPerNode: R)
                let plan = ShardingPlan.uniform(.rowWise, tables: tables, topology: topo)
                let groups = LookupGroups(plan: plan, tables: tables, features: features, worldSize: R, nodeSize: R).world
                let batch = ids(seed: seed + UInt64(R) * 10)
                var base: [Int] = [], at = 0
                for (k, f) in features.enumerated() {
                    base.append(at)
                    at += (f.isSequence ? batch[k].values.count : batch[k].bags) * tables[f.table].dim
                }
                let dims = features.map { tables[$0.table].dim }, rows = tables.map(\.rows)
                // Naive: per destination, (group, local row, assembly offset) of every occurrence, in group then id order.
                var expected = [[(group: Int, local: Int32, offset: Int32)]](repeating: [], count: R)
                for (gi, g) in groups.enumerated() {
                    let block = plan.sharding(of: tables[g.table].name)!.shards[0].blockRows(tableRows: rows[g.table])
                    var n = 0
                    for (u, len) in batch[g.feature].lengths.enumerated() {
                        for j in n..<(n + Int(len)) {
                            let row = Int(batch[g.feature].values[j])
                            let offset = base[g.feature] + (g.isSequence ? j : u) * dims[g.feature] + g.columnStart
                            expected[g.destinations[row / block]].append((gi, Int32(row % block), Int32(offset)))
                        }
                        n += Int(len)
                    }
                }
                let what = "\(R) ranks, seed \(seed)"
                let plain = EmbeddingRouter(groups: groups, peers: R)
                plain.route(batch, base: base, dims: dims, tableRows: rows)
                for d in 0..<R {
                    XCTAssertEqual((0..<plain.ids[d].count).map { plain.ids[d][$0] }, expected[d].map(\.local), "\(what): ids to \(d)")
                }
                guard R > 1 else { continue }
                let deduped = EmbeddingRouter(groups: groups, peers: R, dedupIds: true)
                deduped.route(batch, base: base, dims: dims, tableRows: rows)
                let dd = deduped.dedup!
                for d in 0..<R {
                    // Every distinct (group, local) once, with all its occurrences' offsets as targets.
                    var want: [String: [Int32]] = [:]
                    for e in expected[d] { want["\(e.group):\(e.local)", default: []].append(e.offset) }
                    var got: [String: [Int32]] = [:]
                    var idAt = 0
                    let h = dd.header[d]
                    for e in 0..<(h.count / 2) {
                        let gi = deduped.groupsTo[d][Int(h[2 * e])]
                        for _ in 0..<Int(h[2 * e + 1]) {
                            let key = "\(gi):\(dd.ids[d][idAt])"
                            XCTAssertNil(got[key], "\(what): \(key) sent twice to \(d)")
                            got[key] = (Int(dd.start[d][idAt])..<Int(dd.start[d][idAt + 1])).map { dd.targets[d][$0] }.sorted()
                            idAt += 1
                        }
                    }
                    XCTAssertEqual(idAt, dd.ids[d].count, "\(what): header and ids to \(d) disagree")
                    XCTAssertEqual(got, want.mapValues { $0.sorted() }, "\(what): distinct ids and targets to \(d)")
                }
            }
        }
    }
}
