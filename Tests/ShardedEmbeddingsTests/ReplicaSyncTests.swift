import XCTest
import Cluster
import Collectives
import ShardedEmbeddings
import Sharding

/// The fused replica sync by itself, on ranks as threads: several tables'
/// replicated rows in one bucket, each rank adding gradients to random rows,
/// against a naive reference (the initial rows minus the learning rate times
/// every rank's gradients summed, in Double). Every copy must end bit for bit
/// equal, the sums right to float rounding, and the bucket must make the same
/// number of collectives however many tables it holds.
final class ReplicaSyncTests: XCTestCase {
    /// Rows of the three tables in the bucket (one empty: a member may have none).
    let tableRows = [7, 0, 13]
    let width = 3
    let lr: Float = 0.5

    /// A table's store as a copy on one rank (SGD: the update is linear, so
    /// the reference is exact up to the float sum's order).
    func makeStores() -> [ShardStore] {
        tableRows.enumerated().map { t, rows in
            ShardStore(table: t, config: TableConfig(name: "t\(t)", rows: max(rows, 1), dim: width), columnStart: 0, width: width,
                       map: .contiguous(first: 0), rows: rows, seed: 11, optimizer: .sgd)
        }
    }

    /// Rank r's gradient for (table, row), or nil when r does not touch it:
    /// about a third of the rows each, small integers over 8 (exact sums).
    func gradient(rank r: Int, table t: Int, row: Int) -> [Float]? {
        var h = UInt64(r * 7919 + t * 104_729 + row * 1_299_709 + 17)
        h = (h ^ (h >> 13)) &* 0x9E37_79B9_7F4A_7C15
        guard h % 3 == 0 else { return nil }
        return (0..<width).map { c in Float(Int((h >> UInt64(8 + 5 * c)) % 17) - 8) / 8 }
    }

    /// Runs one step of a bucket of every table on `world` ranks in nodes of
    /// `perNode`; returns each rank's rows after the step and its sync calls.
    func run(world: Int, perNode: Int, mode: RowTiers.CrossNodeSync, hierarchical: Bool) throws -> [([[Float]], Int)] {
        let topo = try Topology.emulated(worldSize: world, ranksPerNode: perNode)
        return LocalCommunicator.run(worldSize: world, topology: topo) { comm -> ([[Float]], Int) in
            let stores = self.makeStores()
            let sync: ReplicaSync
            if hierarchical {
                let node = comm.split(color: comm.node, key: comm.rank)!
                let nodeLocal = topo.ranks(onNode: comm.node).firstIndex(of: comm.rank)!
                let cross = comm.split(color: nodeLocal, key: comm.rank)!
                sync = ReplicaSync(world: comm, node: node, cross: cross, width: self.width, mode: mode)
            } else {
                sync = ReplicaSync(comm: comm, width: self.width, mode: mode)
            }
            for (t, rows) in self.tableRows.enumerated() { sync.addMember(store: t, rows: rows) }
            comm.ledger.resetAll()
            sync.begin()
            for (t, rows) in self.tableRows.enumerated() {
                for row in 0..<rows {
                    guard let g = self.gradient(rank: comm.rank, table: t, row: row) else { continue }
                    g.withUnsafeBufferPointer { sync.add(row: sync.offset(ofStore: t)! + row, $0.baseAddress!) }
                }
            }
            sync.start()
            sync.finish(stores, learningRate: self.lr)
            let rows = stores.flatMap { s in (0..<s.rows).map { s.rowValues(slot: $0) } }
            return (rows, comm.ledger.runIncludingCurrentStep()[CommPhase.replicaGradSync.rawValue].calls)
        }
    }

    /// The naive reference: every rank's gradient of a row summed, applied once.
    func reference(world: Int) -> [[Float]] {
        let stores = makeStores()
        var out: [[Float]] = []
        for (t, rows) in tableRows.enumerated() {
            for row in 0..<rows {
                var sum = [Double](repeating: 0, count: width)
                for r in 0..<world { if let g = gradient(rank: r, table: t, row: row) { for c in 0..<width { sum[c] += Double(g[c]) } } }
                let initial = stores[t].rowValues(slot: row)
                out.append((0..<width).map { c in Float(Double(initial[c]) - Double(lr) * sum[c]) })
            }
        }
        return out
    }

    func check(world: Int, perNode: Int, mode: RowTiers.CrossNodeSync, hierarchical: Bool, calls expected: Int) throws {
        let what = "\(world) ranks by \(perNode), \(mode), \(hierarchical ? "hierarchical" : "flat")"
        let out = try run(world: world, perNode: perNode, mode: mode, hierarchical: hierarchical)
        let want = reference(world: world)
        for (r, (rows, calls)) in out.enumerated() {
            XCTAssertEqual(rows, out[0].0, "\(what): rank \(r)'s copies differ from rank 0's")
            XCTAssertEqual(calls, world > 1 ? expected : calls, "\(what): rank \(r) made \(calls) sync collectives")
            for (i, row) in rows.enumerated() {
                for c in 0..<width { XCTAssertEqual(row[c], want[i][c], accuracy: 1e-6, "\(what): row \(i)") }
            }
        }
        let initial = makeStores().flatMap { s in (0..<s.rows).map { s.rowValues(slot: $0) } }
        XCTAssertNotEqual(out[0].0, initial, "\(what): nothing was applied")
    }

    /// Flat: one allreduce of the mask, one of the touched rows, for all tables.
    func testFlatAllreduceOnOneToEightRanks() throws {
        for world in 1...8 { try check(world: world, perNode: world, mode: .allreduce, hierarchical: false, calls: 2) }
    }

    /// Flat gather (the warm rows' exchange across nodes of one member each):
    /// counts, ids, gradients.
    func testFlatGatherOnOneToEightRanks() throws {
        for world in 1...8 { try check(world: world, perNode: 1, mode: .gather, hierarchical: false, calls: 3) }
    }

    /// Hierarchical allreduce: one world mask, node sum, cross-node slice,
    /// node gather (4 collectives whatever the tables).
    func testHierarchicalAllreduce() throws {
        for (world, perNode) in [(2, 1), (4, 2), (6, 2), (6, 3), (8, 2), (8, 4)] {
            try check(world: world, perNode: perNode, mode: .allreduce, hierarchical: true, calls: 4)
        }
    }

    /// Hierarchical gather: node mask and sum, counts/ids/gradients across
    /// nodes, then inside the node.
    func testHierarchicalGather() throws {
        for (world, perNode) in [(2, 1), (4, 2), (6, 2), (6, 3), (8, 2), (8, 4)] {
            try check(world: world, perNode: perNode, mode: .gather, hierarchical: true, calls: 8)
        }
    }
}
