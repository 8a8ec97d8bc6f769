import Collectives
import Model

/// One step of the sharded embeddings: each stage next to its backward.
extension ShardedEmbeddingCollection {
    // MARK: input dist

    /// Buckets this rank's ids by owner and sends them: counts first
    /// (MPI_Alltoall), then the ids (MPI_Alltoallv), both under `ids_a2a`.
    /// `ids` holds one entry per feature, in feature order.
    public func inputDist(_ ids: [FeatureIds], training: Bool = true) {
        precondition(ids.count == features.count, "expected ids for \(features.count) features, got \(ids.count)")
        current = ids
        var at = 0
        for k in features.indices {
            let floats = (features[k].isSequence ? ids[k].values.count : ids[k].bags) * dim(k)
            featureBase[k] = at
            featureFloats[k] = floats
            at += floats
        }
        assembly.resizeZeroed(at)
        router.route(ids, base: featureBase, dims: features.indices.map(dim), tableRows: tables.map(\.rows))
        sendWords.removeAll()
        for d in 0..<comm.size {
            counts[d] = Int64(router.messageWords(to: d))
            sendWords.append(router.header[d].pointer, count: router.header[d].count)
            sendWords.append(router.lengths[d].pointer, count: router.lengths[d].count)
            sendWords.append(router.ids[d].pointer, count: router.ids[d].count)
        }
        counts.withUnsafeBufferPointer { s in
            recvCounts.withUnsafeMutableBufferPointer { r in comm.alltoall(training ? .idsA2A : .evalA2A, send: s, recv: r, countPerPeer: 1) }
        }
        idsLayout.set(sendCounts: counts, recvCounts: recvCounts)
        recvWords.setCount(idsLayout.totalRecv)
        phaseIsTraining = training
        comm.alltoallv(training ? .idsA2A : .evalA2A, send: sendWords.readOnly, recv: recvWords.buffer, layout: idsLayout)
    }

    /// Walks the ids received from each rank in the order they were packed:
    /// `visit(p, store, isSequence, bagLength, idsAt)` once per bag with at
    /// least one id (sequence groups: once per bag too; the ids follow).
    @inline(__always)
    func forEachReceivedBag(_ visit: (_ source: Int, _ store: Int, _ isSequence: Bool, _ length: Int, _ ids: UnsafePointer<Int32>) -> Void) {
        let words = recvWords.pointer
        for p in 0..<comm.size {
            let start = Int(idsLayout.recvDispls[p])
            var lenAt = start + heldGroups.count
            var totalBags = 0
            for h in 0..<heldGroups.count { totalBags += Int(words[start + h]) }
            var idAt = lenAt + totalBags
            for (h, gi) in heldGroups.enumerated() {
                let store = storeOfGroup[gi]!
                let seq = groups[gi].isSequence
                for _ in 0..<Int(words[start + h]) {
                    let len = Int(words[lenAt]); lenAt += 1
                    if len > 0 { visit(p, store, seq, len, words + idAt) }
                    idAt += len
                }
            }
            precondition(idAt == start + Int(idsLayout.recvCounts[p]), "malformed ids message from rank \(p)")
        }
    }

    // MARK: lookup (owners), and its backward: gradients onto rows

    /// Owners gather the requested rows: one row per id for sequence features,
    /// one (partial) sum per bag for pooled ones.
    public func lookup() {
        rowsOut.removeAll()
        var produced = [Int](repeating: 0, count: comm.size)
        forEachReceivedBag { p, s, seq, len, ids in
            let store = stores[s], w = store.width
            if seq {
                for j in 0..<len { rowsOut.append(store.weights + Int(ids[j]) * w, count: w) }
                produced[p] += len * w
            } else {
                let at = rowsOut.count
                rowsOut.setCount(at + w)
                let out = rowsOut.pointer + at
                out.update(repeating: 0, count: w)
                for j in 0..<len {
                    let row = store.weights + Int(ids[j]) * w
                    for c in 0..<w { out[c] += row[c] }
                }
                produced[p] += w
            }
        }
        rowsLayout.set(sendCounts: produced, recvCounts: (0..<comm.size).map { router.returnFloats(from: $0) })
    }

    /// The mirror of `lookup`: each received gradient goes to every id it came
    /// from; duplicates are summed per row, then the optimizer runs once per row.
    func applyReceivedGradients(learningRate lr: Float) {
        for i in stores.indices { pendingRows[i].removeAll(); pendingGrads[i].removeAll() }
        var g = [Int](repeating: 0, count: comm.size)
        for p in 0..<comm.size { g[p] = Int(gradsLayout.recvDispls[p]) }
        forEachReceivedBag { p, s, seq, len, ids in
            let w = stores[s].width
            for j in 0..<len {
                pendingRows[s].append(ids[j])
                pendingGrads[s].append(gradsIn.pointer + g[p], count: w)
                if seq { g[p] += w }
            }
            if !seq { g[p] += w }
        }
        for (s, store) in stores.enumerated() {
            store.aggregateAndApply(rows: pendingRows[s].pointer, grads: pendingGrads[s].pointer,
                                    count: pendingRows[s].count, learningRate: lr)
        }
    }

    // MARK: output dist, and its backward (the same exchange, counts swapped)

    /// Starts sending the rows back (MPI_Ialltoallv, `emb_fwd_a2a`); dense work
    /// can run until `finishOutputDist`.
    public func startOutputDist() {
        rowsIn.setCount(rowsLayout.totalRecv)
        comm.startAlltoallv(phaseIsTraining ? .embFwdA2A : .evalA2A, send: rowsOut.readOnly, recv: rowsIn.buffer, layout: rowsLayout, request: outputRequest)
    }

    /// Waits for the rows, adds them into each feature's output, looks up
    /// data-parallel tables locally, and turns pooled sums into means where asked.
    public func finishOutputDist() {
        comm.wait(outputRequest)
        let out = assembly.pointer
        for d in 0..<comm.size {
            var at = Int(rowsLayout.recvDispls[d])
            let offsets = router.returnOffset[d], widths = router.returnWidth[d]
            for e in 0..<offsets.count {
                let dst = out + Int(offsets[e]), w = Int(widths[e])
                let src = rowsIn.pointer + at
                for c in 0..<w { dst[c] += src[c] }
                at += w
            }
        }
        for (k, f) in features.enumerated() {
            if let replica = replicas[f.table] { lookupLocally(k, replica) }
            if !f.isSequence && f.pooling == .mean { scaleMeans(k, out) }
        }
    }

    /// Sends each output gradient back to the rank that produced the row
    /// (`emb_bwd_a2a`) and applies the optimizer on the owners. `gradient(k)`
    /// must hold d loss / d output(k) for every feature.
    public func backward(learningRate lr: Float) {
        precondition(phaseIsTraining, "backward after an eval lookup")
        for (k, f) in features.enumerated() where !f.isSequence && f.pooling == .mean {
            scaleMeans(k, gradAssembly.pointer)   // d sum = d mean / length
        }
        gradsOut.removeAll()
        for d in 0..<comm.size {
            let offsets = router.returnOffset[d], widths = router.returnWidth[d]
            for e in 0..<offsets.count {
                gradsOut.append(gradAssembly.pointer + Int(offsets[e]), count: Int(widths[e]))
            }
        }
        gradsLayout.setMirror(of: rowsLayout)
        gradsIn.setCount(gradsLayout.totalRecv)
        comm.alltoallv(.embBwdA2A, send: gradsOut.readOnly, recv: gradsIn.buffer, layout: gradsLayout)
        applyReceivedGradients(learningRate: lr)
        applyReplicaGradients(learningRate: lr)
    }

    /// Buffer for d loss / d output(k), same shape as `output(k)`.
    public func gradient(_ k: Int) -> UnsafeMutableBufferPointer<Float> {
        gradAssembly.setCount(assembly.count)
        return UnsafeMutableBufferPointer(start: gradAssembly.pointer + featureBase[k], count: featureFloats[k])
    }

    var gradAssembly: ScratchBuffer<Float> { gradScratch }

    // MARK: data-parallel tables

    func lookupLocally(_ k: Int, _ replica: ShardStore) {
        let f = current[k], w = replica.width
        let out = assembly.pointer + featureBase[k]
        var n = 0
        for u in 0..<f.bags {
            for _ in 0..<Int(f.lengths[u]) {
                let row = replica.weights + Int(f.values[n]) * w
                let dst = features[k].isSequence ? out + n * w : out + u * w
                for c in 0..<w { dst[c] += row[c] }
                n += 1
            }
        }
    }

    /// Sums every rank's gradient of the whole table (as TorchRec's
    /// data_parallel does) so all replicas apply the same update.
    func applyReplicaGradients(learningRate lr: Float) {
        for t in replicas.keys.sorted() {
            let replica = replicas[t]!, grads = replicaGrads[t]!, w = replica.width
            grads.resizeZeroed(replica.rows * w)
            for (k, feature) in features.enumerated() where feature.table == t {
                let f = current[k]
                let dOut = gradAssembly.pointer + featureBase[k]
                var n = 0
                for u in 0..<f.bags {
                    for _ in 0..<Int(f.lengths[u]) {
                        let src = feature.isSequence ? dOut + n * w : dOut + u * w
                        let dst = grads.pointer + Int(f.values[n]) * w
                        for c in 0..<w { dst[c] += src[c] }
                        n += 1
                    }
                }
            }
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
