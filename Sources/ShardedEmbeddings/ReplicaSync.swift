import Collectives

/// Keeps the copies of a replicated row set identical: FlexShard's hot rows
/// (a copy on every rank) and warm rows (a copy per node, synced between the
/// ranks that hold the same warm block on each node). Each copy sums the
/// gradients its own rank collected; then only the rows touched anywhere are
/// all-reduced (a touched mask first, then their gradients), so every copy
/// applies the same update. Phase `replica_grad_sync`.
///
/// Hot rows sync hierarchically, as NCCL and TorchRec's 2D sync do: sum
/// inside the node, then each of the node's L ranks all-reduces its 1/L
/// slice across the nodes, then the slices are gathered inside the node. The
/// slow links carry each byte once per node instead of once per rank.
final class ReplicaSync {
    let store: Int
    /// Flat: the communicator of all copies. Hierarchical: nil (see below).
    let comm: Communicator?
    let node: Communicator?
    let cross: Communicator?
    let width: Int
    let grads = ScratchBuffer<Float>(zero: 0)      // [rows x width], this rank's sums
    let mask = ScratchBuffer<UInt8>(zero: 0)       // [rows]
    let touched = ScratchBuffer<Int32>(zero: 0)
    let packed = ScratchBuffer<Float>(zero: 0)

    /// Copies on every rank of `comm` (flat sync).
    init(store: Int, comm: Communicator, width: Int) {
        self.store = store; self.comm = comm; self.node = nil; self.cross = nil; self.width = width
    }

    /// Copies on every rank: `node` is this rank's node, `cross` the ranks
    /// with the same place in the other nodes.
    init(store: Int, node: Communicator, cross: Communicator, width: Int) {
        self.store = store; self.comm = nil; self.node = node; self.cross = cross; self.width = width
    }

    /// Whether every rank of the world holds a copy (hot rows).
    var isEveryRank: Bool { node != nil }

    func begin(rows: Int) {
        grads.resizeZeroed(rows * width)
        mask.resizeZeroed(rows)
    }

    @inline(__always)
    func add(row: Int, _ g: UnsafePointer<Float>) {
        let dst = grads.pointer + row * width
        for c in 0..<width { dst[c] += g[c] }
        mask[row] = 1
    }

    /// All-reduces the touched rows' gradients and applies them on every copy.
    func finish(_ s: ShardStore, learningRate lr: Float) {
        if let comm {
            comm.allreduce(.replicaGradSync, mask.buffer, op: .max)
        } else {
            node!.allreduce(.replicaGradSync, mask.buffer, op: .max)
            cross!.allreduce(.replicaGradSync, mask.buffer, op: .max)
        }
        touched.removeAll(); packed.removeAll()
        for r in 0..<mask.count where mask[r] != 0 {
            touched.append(Int32(r))
            packed.append(grads.pointer + r * width, count: width)
        }
        if let comm {
            comm.allreduce(.replicaGradSync, packed.buffer)
        } else {
            hierarchicalSum(touched.count)
        }
        s.apply(rows: touched.pointer, grads: packed.pointer, count: touched.count, learningRate: lr)
    }

    /// Node sum, cross-node sum of this rank's slice, node gather of the slices.
    func hierarchicalSum(_ rows: Int) {
        let node = node!, cross = cross!
        node.allreduce(.replicaGradSync, packed.buffer)
        let L = node.size
        let lo = Self.sliceStart(rows, L, node.rank), hi = Self.sliceStart(rows, L, node.rank + 1)
        let slice = UnsafeMutableBufferPointer(start: packed.pointer + lo * width, count: (hi - lo) * width)
        cross.allreduce(.replicaGradSync, slice)
        let counts = (0..<L).map { (Self.sliceStart(rows, L, $0 + 1) - Self.sliceStart(rows, L, $0)) * width }
        let copy = Array(slice)
        copy.withUnsafeBufferPointer { node.allgatherv(.replicaGradSync, send: $0, recv: packed.buffer, recvCounts: counts) }
    }

    /// First row of member m's slice of `rows` rows split over `members`.
    static func sliceStart(_ rows: Int, _ members: Int, _ m: Int) -> Int { rows * m / members }
}
