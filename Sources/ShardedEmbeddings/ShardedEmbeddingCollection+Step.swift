import Collectives
import Model
import Sharding
import Tensors

/// One step of the sharded embeddings: each stage next to its backward.
extension ShardedEmbeddingCollection {
    // MARK: input dist

    /// Buckets this rank's ids by owner and sends them on every lane: counts
    /// first (MPI_Alltoall), then the ids (MPI_Alltoallv). `ids` holds one
    /// entry per feature, in feature order. `training: false` tags the
    /// traffic `eval_a2a` and allows no backward.
    public func inputDist(_ ids: [FeatureIds], training: Bool = true) {
        precondition(ids.count == features.count, "expected ids for \(features.count) features, got \(ids.count)")
        // Copied into storage this collection keeps, so neither side's next
        // refill has to copy-on-write (a step allocates nothing).
        if current.count != ids.count { current = ids.map { _ in FeatureIds(lengths: [], values: []) } }
        for k in ids.indices { current[k].assign(lengths: ids[k].lengths, values: ids[k].values) }
        distribute(training: training)
    }

    /// `inputDist` without the copy: the collection takes `ids`' storage and
    /// hands back the previous step's, for the caller to refill in place
    /// (each array stays uniquely held, so neither side copies on write).
    public func inputDist(swapping ids: inout [FeatureIds], training: Bool = true) {
        precondition(ids.count == features.count, "expected ids for \(features.count) features, got \(ids.count)")
        swap(&current, &ids)
        distribute(training: training)
    }

    private func distribute(training: Bool) {
        let ids = current
        self.training = training
        var at = 0
        for k in features.indices {
            let floats = (features[k].isSequence ? ids[k].values.count : ids[k].bags) * dim(k)
            featureBase[k] = at
            featureFloats[k] = floats
            at += floats
        }
        assembly.resizeZeroed(at)
        for lane in lanes { lane.inputDist(current, base: featureBase, dims: featureDims, tableRows: tableRows, training: training) }
    }

    // MARK: lookup (owners), and its backward: gradients onto rows

    /// Owners gather the requested rows.
    public func lookup() {
        for lane in lanes { lane.lookup(stores, assembly: assembly.pointer) }
    }

    /// Owners apply the gradients of their rows: SGD as they arrive (where no
    /// sync needs them), the other optimizers once per row after summing.
    func applyOwnedGradients(learningRate lr: Float) {
        for i in stores.indices { pendingRows[i].removeAll(); pendingGrads[i].removeAll() }
        for lane in lanes {
            lane.collectGradients(stores, pendingRows: pendingRows, pendingGrads: pendingGrads,
                                  sgdInPlace: sgdInPlace, learningRate: lr, gradAssembly: gradAssembly.pointer)
        }
        for (s, store) in stores.enumerated() where !storeIsSynced[s] {
            store.aggregateAndApply(rows: pendingRows[s].pointer, grads: pendingGrads[s].pointer,
                                    count: pendingRows[s].count, learningRate: lr)
        }
    }

    // MARK: output dist, and its backward (the same exchange, counts swapped)

    /// Starts sending the rows back (MPI_Ialltoallv); dense work can run
    /// until `finishOutputDist`.
    public func startOutputDist() {
        for lane in lanes { lane.startOutputDist() }
    }

    /// Waits for the rows, adds them into each feature's output, serves local
    /// lookups (data_parallel tables, FlexShard's hot rows), and turns pooled
    /// sums into means where asked.
    public func finishOutputDist() {
        for lane in lanes { lane.finishOutputDist(into: assembly.pointer) }
        for g in localGroups { lookupLocally(g) }
        for (k, f) in features.enumerated() where !f.isSequence && f.pooling == .mean { scaleMeans(k, assembly.pointer) }
    }

    /// Sends each output gradient back to the rank that produced the row
    /// (`emb_bwd_a2a`), applies the optimizer on the owners, and syncs
    /// replicated rows. `gradient(k)` must hold d loss / d output(k).
    public func backward(learningRate lr: Float) {
        precondition(training, "backward after an eval lookup")
        for store in stores where store.isHalf { store.roundingEpoch &+= 1 }
        for lane in lanes { lane.hintLookedUpRows() }
        for (k, f) in features.enumerated() where !f.isSequence && f.pooling == .mean {
            scaleMeans(k, gradAssembly.pointer)   // d sum = d mean / length
        }
        for sync in syncs { sync.begin() }
        // Hot rows' gradients come from the local lookups alone: their sync
        // starts (the mask reduction, non-blocking) before the exchanges.
        collectLocalGradients()
        for sync in syncs where sync.gradientsAreLocal { sync.start() }
        for lane in lanes { lane.sendGradients(from: gradAssembly.pointer) }
        applyOwnedGradients(learningRate: lr)
        // Warm copies: what the node's owners collected, summed across nodes.
        for (s, slot) in syncSlots.enumerated() where pendingRows[s].count > 0 {
            guard let (sync, offset) = slot else { continue }
            let w = sync.width
            for i in 0..<pendingRows[s].count {
                sync.add(row: offset + Int(pendingRows[s][i]), pendingGrads[s].pointer + i * w)
            }
        }
        for sync in syncs where !sync.gradientsAreLocal { sync.start() }
        for sync in syncs { sync.finish(stores, learningRate: lr) }
        applyReplicaTableGradients(learningRate: lr)
    }

    // MARK: local lookups (data_parallel and hot rows) and their gradients

    /// Calls `visit(n, u, localRow)` for each id of feature `g.feature` this
    /// rank serves itself: those in `g`'s part (every id of a data_parallel
    /// table, FlexShard's hot ids).
    @inline(__always)
    func forEachLocalId(_ g: LocalGroup, _ visit: (_ n: Int, _ u: Int, _ row: Int) -> Void) {
        let f = current[g.feature]
        var n = 0
        for u in 0..<f.bags {
            for _ in 0..<Int(f.lengths[u]) {
                // Every rank holds the part whole: its index is the local row.
                if let local = g.rows.index(ofRow: Int(f.values[n])) { visit(n, u, local) }
                n += 1
            }
        }
    }

    func lookupLocally(_ g: LocalGroup) {
        let store = stores[g.store], w = store.width
        let out = assembly.pointer + featureBase[g.feature]
        let seq = features[g.feature].isSequence
        if store.isHalf {
            let half = store.half, prec = store.precision
            forEachLocalId(g) { n, u, row in Half16.decodeAdd(half + row * w, into: seq ? out + n * w : out + u * w, count: w, prec) }
            return
        }
        forEachLocalId(g) { n, u, row in
            let src = store.weights + row * w
            let dst = seq ? out + n * w : out + u * w
            for c in 0..<w { dst[c] += src[c] }
        }
    }

    func collectLocalGradients() {
        // Parts synced by their touched rows (the whole-table ones sum apart).
        for g in localGroups {
            guard let (sync, offset) = syncSlots[g.store] else { continue }
            let w = stores[g.store].width, seq = features[g.feature].isSequence
            let dOut = gradAssembly.pointer + featureBase[g.feature]
            forEachLocalId(g) { n, u, row in sync.add(row: offset + row, seq ? dOut + n * w : dOut + u * w) }
        }
    }

    /// Sums every rank's gradient of the whole table (as TorchRec's
    /// data_parallel does) so all replicas apply the same update.
    func applyReplicaTableGradients(learningRate lr: Float) {
        for (t, s, grads) in replicaTables {
            let replica = stores[s], w = replica.width
            grads.resizeZeroed(replica.rows * w)
            for g in localGroups where g.store == s {
                let seq = features[g.feature].isSequence
                let dOut = gradAssembly.pointer + featureBase[g.feature]
                forEachLocalId(g) { n, u, row in
                    let src = seq ? dOut + n * w : dOut + u * w, dst = grads.pointer + row * w
                    for c in 0..<w { dst[c] += src[c] }
                }
            }
            _ = t
            comm.allreduce(.denseAllreduce, grads.buffer)
            for r in 0..<replica.rows {
                let g = grads.pointer + r * w
                var touched = false
                for c in 0..<w where g[c] != 0 { touched = true; break }
                if touched {
                    var row = Int32(r)
                    replica.apply(rows: &row, grads: g, count: 1, learningRate: lr)
                }
            }
        }
    }

    func scaleMeans(_ k: Int, _ base: UnsafeMutablePointer<Float>) {
        let f = current[k], w = dim(k)
        let p = base + featureBase[k]
        for u in 0..<f.bags where f.lengths[u] > 1 {
            let inv = 1 / Float(f.lengths[u])
            for c in 0..<w { p[u * w + c] *= inv }
        }
    }
}
