import Collectives
import Sharding

/// Keeps the copies of replicated row sets identical: FlexShard's hot rows
/// (a copy on every rank) and warm rows (a copy per node, synced between the
/// ranks that hold the same warm block on each node). Each copy sums the
/// gradients its own rank collected; then the copies exchange them so that
/// every copy applies the same update. Phase `replica_grad_sync`.
///
/// One sync is a bucket: every table's rows of one tier (and cross-node
/// exchange) back to back, one mask and one gradient buffer, so a step pays
/// each collective's latency once for all tables (before, each (table, tier)
/// ran its own collectives: 25 a rank a step at 4 nodes of 2 with 4 tables).
///
/// Hot rows sync hierarchically, as NCCL and TorchRec's 2D sync do: one
/// touched-mask reduction over the world (started non-blocking as soon as the
/// local lookups' gradients are in, waited for just before it is read), then
/// the touched rows' gradients summed inside the node, each of the node's L
/// ranks handles its 1/L slice across the nodes, and the slices are shared
/// inside the node. The slow links carry each gradient byte once per node
/// instead of once per rank.
///
/// Across nodes, two exchanges (`RowTiers.CrossNodeSync`, the planner picks):
///
///     allreduce: mask of the tier (max), then the gradients of the rows
///                touched anywhere (sum): the union of the nodes' rows crosses.
///     gather:    each node's rows as (ids, gradients), counts first; every
///                copy adds the nodes' partial sums in node order, so copies
///                stay bit-identical. Only the rows a node touched leave it.
///
/// Worked example, gather, 2 nodes of 1 rank, rows 0..<4: node 0 touched rows
/// [1, 3], node 1 row [3]; node 0 sends ids [1, 3] and 2 gradient rows, node 1
/// sends [3] and 1 row; both apply rows [1, 3] with row 3 = g0[3] + g1[3].
///
/// The planner prices these exchanges with `ReplicaSyncCost` (Sharding),
/// which follows the same steps, and counts the collectives a bucket makes
/// (`ReplicaSyncCost.hotCollectives`, `warmCollectives`: the latency the
/// planner weighs, and what the predictor counts); change one, change the other.
package final class ReplicaSync {
    /// One replicated row set in the bucket: its store and where its rows
    /// start in the bucket's rows (tables in table order, the same on every copy).
    struct Member {
        let store: Int
        let offset: Int
    }
    /// Every member's rows, back to back: one mask, one gradient buffer, one
    /// exchange for all of them (a collective pays its latency once per step,
    /// not once per table).
    private(set) var members: [Member]
    private var memberRows: [Int] = []
    /// Flat: the communicator of all copies. Hierarchical: nil (see below).
    let comm: Communicator?
    let node: Communicator?
    let cross: Communicator?
    /// Hierarchical allreduce: the whole world, for the one mask reduction.
    let world: Communicator?
    let width: Int
    package let mode: RowTiers.CrossNodeSync
    let grads = ScratchBuffer<Float>(zero: 0)      // [rows x width], this rank's sums
    let mask = ScratchBuffer<UInt8>(zero: 0)       // [rows]
    let touched = ScratchBuffer<Int32>(zero: 0)
    let packed = ScratchBuffer<Float>(zero: 0)
    /// The mask reduction in flight between `start` and `finish`: `mask` is
    /// owned memory that does not move (nor is written) until the wait.
    private let maskRequest = CommRequest()
    // Gather: lists received across nodes, then shared inside the node.
    private let crossIds = ScratchBuffer<Int32>(zero: 0), crossGrads = ScratchBuffer<Float>(zero: 0)
    private let forwardIds = ScratchBuffer<Int32>(zero: 0), forwardGrads = ScratchBuffer<Float>(zero: 0)
    private let nodeIds = ScratchBuffer<Int32>(zero: 0), nodeGrads = ScratchBuffer<Float>(zero: 0)
    private let countsOut = ScratchBuffer<Int32>(zero: 0), countsIn = ScratchBuffer<Int32>(zero: 0)
    private let sliceCopy = ScratchBuffer<Float>(zero: 0)
    /// Gather counts and displacements per communicator used, kept (no allocation per step).
    private var layouts: [(comm: Communicator, layout: AlltoallvLayout)] = []
    /// The cross-node members in node order: the order every copy adds in.
    private let nodeOrder: [Int]

    /// Copies on every rank of `comm` (flat sync; across nodes when the
    /// members are one rank per node).
    package init(comm: Communicator, width: Int, mode: RowTiers.CrossNodeSync = .allreduce) {
        self.members = []; self.comm = comm; self.node = nil; self.cross = nil; self.world = nil
        self.width = width; self.mode = mode
        nodeOrder = Self.nodeOrder(comm)
    }

    /// Copies on every rank: `node` is this rank's node, `cross` the ranks
    /// with the same place in the other nodes, `world` all of them.
    package init(world: Communicator, node: Communicator, cross: Communicator, width: Int, mode: RowTiers.CrossNodeSync = .allreduce) {
        self.members = []; self.comm = nil; self.node = node; self.cross = cross; self.world = world
        self.width = width; self.mode = mode
        nodeOrder = Self.nodeOrder(cross)
    }

    /// Adds `store`'s rows to the bucket (after the members added before);
    /// every copy adds the same stores in the same order.
    package func addMember(store: Int, rows: Int) {
        members.append(Member(store: store, offset: rowCount))
        memberRows.append(rows)
    }
    /// Rows of the bucket: every member's rows.
    package var rowCount: Int { memberRows.reduce(0, +) }

    /// Whether the sync is hierarchical (world, node and cross-node communicators).
    var isEveryRank: Bool { node != nil }
    /// Whether the members' rows are on every rank (`RowPlacement.Spread.everyRank`,
    /// set when made): their gradients come from the local lookups alone, so
    /// the sync can start before the exchanges.
    var gradientsAreLocal = false
    /// The members' stores, in bucket order.
    var stores: [Int] { members.map(\.store) }

    /// The bucket row of `store`'s row 0 (nil: not a member).
    package func offset(ofStore store: Int) -> Int? { members.first { $0.store == store }?.offset }

    package func begin() {
        let rows = rowCount
        grads.resizeZeroed(rows * width)
        mask.resizeZeroed(rows)
    }

    @inline(__always)
    package func add(row: Int, _ g: UnsafePointer<Float>) {
        let dst = grads.pointer + row * width
        for c in 0..<width { dst[c] += g[c] }
        mask[row] = 1
    }

    /// Starts the exchange once every gradient has been added: the mask
    /// reduction (allreduce modes) goes out non-blocking (MPI_Iallreduce)
    /// and `finish` waits for it, so it overlaps whatever runs in between.
    package func start() {
        guard mode == .allreduce else { return }
        let c = world ?? comm!
        c.startAllreduce(.replicaGradSync, mask.buffer, op: .max, request: maskRequest)
    }

    /// Exchanges the touched rows' gradients and applies them on every copy.
    package func finish(_ stores: [ShardStore], learningRate lr: Float) {
        if mode == .gather {
            finishGather()
        } else {
            (world ?? comm!).wait(maskRequest)
            pack()
            if let comm {
                comm.allreduce(.replicaGradSync, packed.buffer)
            } else {
                hierarchicalSum(touched.count)
            }
        }
        apply(stores, learningRate: lr)
    }

    /// Applies `packed` to the rows in `touched` (ascending bucket rows), each
    /// member's run of rows to its store.
    private func apply(_ stores: [ShardStore], learningRate lr: Float) {
        var at = 0
        for (k, m) in members.enumerated() {
            let end = m.offset + memberRows[k]
            var n = 0
            while at + n < touched.count && Int(touched[at + n]) < end {
                touched[at + n] -= Int32(m.offset)
                n += 1
            }
            stores[m.store].apply(rows: touched.pointer + at, grads: packed.pointer + at * width, count: n, learningRate: lr)
            at += n
        }
    }

    /// `touched` and `packed`: the rows with a mask, ascending, and their sums.
    private func pack() {
        touched.removeAll(); packed.removeAll()
        for r in 0..<mask.count where mask[r] != 0 {
            touched.append(Int32(r))
            packed.append(grads.pointer + r * width, count: width)
        }
    }

    /// Node sum, cross-node sum of this rank's slice, node gather of the slices.
    func hierarchicalSum(_ rows: Int) {
        let node = node!, cross = cross!
        node.allreduce(.replicaGradSync, packed.buffer)
        let L = node.size
        let lo = Self.sliceStart(rows, L, node.rank), hi = Self.sliceStart(rows, L, node.rank + 1)
        let slice = UnsafeMutableBufferPointer(start: packed.pointer + lo * width, count: (hi - lo) * width)
        cross.allreduce(.replicaGradSync, slice)
        let layout = gatherLayout(node)
        for m in 0..<L { layout.recvCounts[m] = Int32((Self.sliceStart(rows, L, m + 1) - Self.sliceStart(rows, L, m)) * width) }
        layout.recomputeDisplacements()
        sliceCopy.setCount(slice.count)
        if slice.count > 0 { sliceCopy.pointer.update(from: slice.baseAddress!, count: slice.count) }
        node.allgatherv(.replicaGradSync, send: sliceCopy.readOnly, recv: packed.buffer, layout: layout)
    }

    /// The kept gather layout of `c` (send counts stay zero).
    private func gatherLayout(_ c: Communicator) -> AlltoallvLayout {
        for entry in layouts where entry.comm === c { return entry.layout }
        let l = AlltoallvLayout(peers: c.size)
        layouts.append((c, l))
        return l
    }

    /// The gather exchange; leaves the rows to apply in `touched`/`packed`.
    private func finishGather() {
        let across = cross ?? comm!
        if let node {
            // This node's rows and sums (the same on every member), then this
            // member's slice of them to the same member of every other node.
            node.allreduce(.replicaGradSync, mask.buffer, op: .max)
            pack()
            node.allreduce(.replicaGradSync, packed.buffer)
        } else {
            pack()
        }
        let T = touched.count, L = node?.size ?? 1, m = node?.rank ?? 0
        let lo = Self.sliceStart(T, L, m), hi = Self.sliceStart(T, L, m + 1)
        gatherLists(across, ids: touched.pointer + lo, grads: packed.pointer + lo * width, count: hi - lo, perMember: 1,
                    intoIds: crossIds, intoGrads: crossGrads)
        // Every row this rank will apply is zero from here on; contributions are
        // added node by node in node order, the same sums on every copy.
        for i in 0..<T { (grads.pointer + Int(touched[i]) * width).update(repeating: 0, count: width) }
        if let node {
            // What came from the other nodes, in node order, shared inside the node.
            forwardIds.removeAll(); forwardGrads.removeAll(); countsOut.removeAll()
            for q in nodeOrder where q != across.rank {
                let (at, n) = blockOf(q, counts: countsIn, perMember: 1)
                forwardIds.append(crossIds.pointer + at, count: n)
                forwardGrads.append(crossGrads.pointer + at * width, count: n * width)
                countsOut.append(Int32(n))
            }
            let pieces = countsOut.count, sent = forwardIds.count
            gatherLists(node, ids: forwardIds.pointer, grads: forwardGrads.pointer, count: sent, perMember: pieces,
                        pieceCounts: true, intoIds: nodeIds, intoGrads: nodeGrads)
            // countsIn now holds, per member, its pieces' counts in node order.
            var piece = 0
            for q in nodeOrder {
                if q == across.rank {
                    addRows(touched.pointer, packed.pointer, count: T)
                    continue
                }
                for j in 0..<node.size {
                    let (at, n) = pieceOf(member: j, piece: piece, pieces: pieces)
                    addRows(nodeIds.pointer + at, nodeGrads.pointer + at * width, count: n)
                }
                piece += 1
            }
        } else {
            // Flat: one member per node; the own node's list is in crossIds too.
            for q in nodeOrder {
                let (at, n) = blockOf(q, counts: countsIn, perMember: 1)
                addRows(crossIds.pointer + at, crossGrads.pointer + at * width, count: n)
            }
        }
        pack()
    }

    /// Adds rows (ids into this copy, gradients) into `grads` and marks them.
    private func addRows(_ ids: UnsafePointer<Int32>, _ g: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n {
            let r = Int(ids[i])
            let dst = grads.pointer + r * width, src = g + i * width
            for c in 0..<width { dst[c] += src[c] }
            mask[r] = 1
        }
    }

    /// The members of `c` in the order of their nodes (ties by member rank).
    private static func nodeOrder(_ c: Communicator) -> [Int] {
        let node = c.ledger.topology.nodeOfRank
        return (0..<c.size).sorted { (node[c.worldRanks[$0]], $0) < (node[c.worldRanks[$1]], $1) }
    }

    /// Start and length (in rows) of member q's block of the last gather.
    private func blockOf(_ q: Int, counts: ScratchBuffer<Int32>, perMember: Int) -> (Int, Int) {
        var at = 0
        for p in 0..<q { for k in 0..<perMember { at += Int(counts[p * perMember + k]) } }
        var n = 0
        for k in 0..<perMember { n += Int(counts[q * perMember + k]) }
        return (at, n)
    }

    /// Start and length of member j's `piece`-th piece in the node gather.
    private func pieceOf(member j: Int, piece: Int, pieces: Int) -> (Int, Int) {
        let (block, _) = blockOf(j, counts: countsIn, perMember: pieces)
        var at = block
        for k in 0..<piece { at += Int(countsIn[j * pieces + k]) }
        return (at, Int(countsIn[j * pieces + piece]))
    }

    /// Every member's `count` rows (ids and gradients) over `c`, in member
    /// order. Counts go first: `perMember` Int32 each (the row count, or with
    /// `pieceCounts` the counts already in `countsOut`), into `countsIn`.
    private func gatherLists(_ c: Communicator, ids: UnsafePointer<Int32>, grads g: UnsafePointer<Float>, count: Int,
                             perMember: Int, pieceCounts: Bool = false,
                             intoIds: ScratchBuffer<Int32>, intoGrads: ScratchBuffer<Float>) {
        if !pieceCounts {
            countsOut.removeAll()
            countsOut.append(Int32(count))
        }
        let layout = gatherLayout(c)
        for p in 0..<c.size { layout.recvCounts[p] = Int32(perMember) }
        layout.recomputeDisplacements()
        countsIn.setCount(perMember * c.size)
        c.allgatherv(.replicaGradSync, send: countsOut.readOnly, recv: countsIn.buffer, layout: layout)
        var total = 0
        for p in 0..<c.size {
            var n = 0
            for k in 0..<perMember { n += Int(countsIn[p * perMember + k]) }
            layout.recvCounts[p] = Int32(n)
            total += n
        }
        layout.recomputeDisplacements()
        intoIds.setCount(total)
        c.allgatherv(.replicaGradSync, send: UnsafeBufferPointer(start: ids, count: count), recv: intoIds.buffer, layout: layout)
        for p in 0..<c.size { layout.recvCounts[p] *= Int32(width) }
        layout.recomputeDisplacements()
        intoGrads.setCount(total * width)
        c.allgatherv(.replicaGradSync, send: UnsafeBufferPointer(start: g, count: count * width), recv: intoGrads.buffer,
                     layout: layout)
    }

    /// First row of member m's slice of `rows` rows split over `members`.
    static func sliceStart(_ rows: Int, _ members: Int, _ m: Int) -> Int { rows * m / members }
}
