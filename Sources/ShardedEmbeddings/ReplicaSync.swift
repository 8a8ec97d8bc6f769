import Collectives

/// Keeps the copies of a replicated row set identical: FlexShard's hot rows
/// (a copy on every rank) and warm rows (a copy per node, synced between the
/// ranks that hold the same warm block on each node). Each copy sums the
/// gradients its own rank collected; then only the rows touched anywhere are
/// all-reduced (a touched mask first, then their gradients), so every copy
/// applies the same update. Phase `replica_grad_sync`.
final class ReplicaSync {
    let store: Int
    let comm: Communicator
    let width: Int
    let grads = ScratchBuffer<Float>(zero: 0)      // [rows x width], this rank's sums
    let mask = ScratchBuffer<UInt8>(zero: 0)       // [rows]
    let touched = ScratchBuffer<Int32>(zero: 0)
    let packed = ScratchBuffer<Float>(zero: 0)

    init(store: Int, comm: Communicator, width: Int) {
        self.store = store; self.comm = comm; self.width = width
    }

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
        comm.allreduce(.replicaGradSync, mask.buffer, op: .max)
        touched.removeAll(); packed.removeAll()
        for r in 0..<mask.count where mask[r] != 0 {
            touched.append(Int32(r))
            packed.append(grads.pointer + r * width, count: width)
        }
        comm.allreduce(.replicaGradSync, packed.buffer)
        s.apply(rows: touched.pointer, grads: packed.pointer, count: touched.count, learningRate: lr)
    }
}
