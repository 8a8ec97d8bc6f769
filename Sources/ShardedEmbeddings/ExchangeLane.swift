import Collectives
import Model
import Tensors

/// One communicator's share of the embedding exchanges: the world (every
/// baseline type, FlexShard's cold tier) or a node (FlexShard's warm tier).
/// Holds its groups, router, layouts and step buffers; the phases it records
/// under say which lane moved the bytes.
package final class ExchangeLane {
    package struct Phases {
        var ids: CommPhase, fwd: CommPhase, bwd: CommPhase
        package static let world = Phases(ids: .idsA2A, fwd: .embFwdA2A, bwd: .embBwdA2A)
        package static let node = Phases(ids: .idsA2AIntra, fwd: .embFwdA2AIntra, bwd: .embBwdA2AIntra)
    }

    let comm: Communicator
    let phases: Phases
    /// The lane's communicator is this rank alone (a 1-rank run): every id's
    /// owner is the requester, so nothing is copied to itself through MPI.
    /// The ids are packed straight into the receive buffer, the lookup adds
    /// its rows where `finishOutputDist` would have, and the backward reads
    /// each gradient where the trainer wrote it. Same sums, same order; the
    /// ledger sees no collective, as none crosses a rank.
    let isSelf: Bool
    let groups: [LookupGroup]
    let router: EmbeddingRouter
    /// Groups this rank may own rows of, in group order (the order of every
    /// message it receives), and the store each reads.
    let heldGroups: [Int]
    let heldStores: [Int]
    var training = true

    let sendWords = ScratchBuffer<Int32>(zero: 0)
    let recvWords = ScratchBuffer<Int32>(zero: 0)
    let rowsOut = ScratchBuffer<Float>(zero: 0)    // owner -> requesters
    let rowsIn = ScratchBuffer<Float>(zero: 0)     // back at the requester
    let gradsOut = ScratchBuffer<Float>(zero: 0)   // requester -> owners
    let gradsIn = ScratchBuffer<Float>(zero: 0)    // at the owner
    let rowAddress = ScratchBuffer<Int>(zero: 0)   // lookup: each id's row, for prefetch hints
    /// Payload formats of the row and gradient exchanges (`comm.precision`):
    /// fp32 sends the buffers above; a 16-bit format sends these instead,
    /// converted at the send and receive points (ids are never converted).
    let forward: RowPrecision, backward: RowPrecision
    let rowsOut16 = ScratchBuffer<UInt16>(zero: 0)
    let rowsIn16 = ScratchBuffer<UInt16>(zero: 0)
    let gradsOut16 = ScratchBuffer<UInt16>(zero: 0)
    let gradsIn16 = ScratchBuffer<UInt16>(zero: 0)
    let gradRows = ScratchBuffer<Float>(zero: 0)   // one received bag's gradient, widened
    let idsLayout: AlltoallvLayout
    let rowsLayout: AlltoallvLayout
    let gradsLayout: AlltoallvLayout
    let request = CommRequest()
    var counts: [Int64]
    var recvCounts: [Int64]
    // Per-peer counters of the step loops, behind `let` pointers: a class's
    // `var` array would cost a runtime exclusivity check per bag.
    let produced: UnsafeMutablePointer<Int>
    let cursor: UnsafeMutablePointer<Int>

    /// `dedupIds`: each distinct id once per (destination, group, step); a
    /// self lane sends nothing, so it never deduplicates.
    package init(comm: Communicator, phases: Phases, groups: [LookupGroup], dedupIds: Bool = false,
         forward: RowPrecision = .fp32, backward: RowPrecision = .fp32, storeOfGroup: (Int) -> Int) {
        self.comm = comm
        self.forward = forward; self.backward = backward
        self.phases = phases
        isSelf = comm.size == 1
        self.groups = groups
        router = EmbeddingRouter(groups: groups, peers: comm.size, dedupIds: dedupIds && comm.size > 1)
        heldGroups = groups.indices.filter { groups[$0].destinations.contains(comm.rank) }
        heldStores = heldGroups.map(storeOfGroup)
        idsLayout = AlltoallvLayout(peers: comm.size)
        rowsLayout = AlltoallvLayout(peers: comm.size)
        gradsLayout = AlltoallvLayout(peers: comm.size)
        counts = [Int64](repeating: 0, count: comm.size)
        recvCounts = counts
        produced = .allocate(capacity: comm.size)
        produced.initialize(repeating: 0, count: comm.size)
        cursor = .allocate(capacity: comm.size)
        cursor.initialize(repeating: 0, count: comm.size)
    }

    deinit {
        produced.deallocate()
        cursor.deallocate()
    }

    func phase(_ p: CommPhase) -> CommPhase { training ? p : .evalA2A }

    // MARK: input dist

    /// Counts first (MPI_Alltoall), then the ids (MPI_Alltoallv).
    package func inputDist(_ ids: [FeatureIds], base: [Int], dims: [Int], tableRows: [Int], training: Bool) {
        self.training = training
        router.route(ids, base: base, dims: dims, tableRows: tableRows)
        let message = isSelf ? recvWords : sendWords
        message.removeAll()
        for d in 0..<comm.size {
            counts[d] = Int64(router.messageWords(to: d))
            guard counts[d] > 0 else { continue }
            let (header, lengths, ids) = router.message(to: d)
            message.append(Int32(header.count / 2))
            message.append(header.pointer, count: header.count)
            if let lengths { message.append(lengths.pointer, count: lengths.count) }
            message.append(ids.pointer, count: ids.count)
        }
        if isSelf { return idsLayout.set(sendCounts: counts, recvCounts: counts) }
        counts.withUnsafeBufferPointer { s in
            recvCounts.withUnsafeMutableBufferPointer { r in comm.alltoall(phase(phases.ids), send: s, recv: r, countPerPeer: 1) }
        }
        idsLayout.set(sendCounts: counts, recvCounts: recvCounts)
        recvWords.setCount(idsLayout.totalRecv)
        comm.alltoallv(phase(phases.ids), send: sendWords.readOnly, recv: recvWords.buffer, layout: idsLayout)
    }

    /// Walks the ids received from each rank in the order they were packed:
    /// `visit(source, store, isSequence, length, ids)` once per non-empty
    /// pooled bag, and once per sequence group with all its ids.
    @inline(__always)
    /// Under dedup every group arrives sequence-shaped (IdDedup).
    func forEachReceivedBag(_ visit: (_ source: Int, _ store: Int, _ isSequence: Bool, _ length: Int, _ ids: UnsafeMutablePointer<Int32>) -> Void) {
        let words = recvWords.pointer, dedup = router.dedup != nil
        for p in 0..<comm.size {
            let start = Int(idsLayout.recvDispls[p])
            guard idsLayout.recvCounts[p] > 0 else { continue }
            let entries = Int(words[start])
            let entryAt = start + 1
            var lenAt = entryAt + 2 * entries
            var totalBags = 0
            for e in 0..<entries where !dedup && !groups[heldGroups[Int(words[entryAt + 2 * e])]].isSequence {
                totalBags += Int(words[entryAt + 2 * e + 1])
            }
            var idAt = lenAt + totalBags
            for e in 0..<entries {
                let h = Int(words[entryAt + 2 * e]), count = Int(words[entryAt + 2 * e + 1])
                let store = heldStores[h]
                if dedup || groups[heldGroups[h]].isSequence {
                    visit(p, store, true, count, words + idAt)
                    idAt += count
                    continue
                }
                for _ in 0..<count {
                    let len = Int(words[lenAt]); lenAt += 1
                    visit(p, store, false, len, words + idAt)
                    idAt += len
                }
            }
            precondition(idAt == start + Int(idsLayout.recvCounts[p]), "malformed ids message from rank \(p)")
        }
    }

    // MARK: lookup on the owners, and its backward

    /// One row per id for sequence features, one (partial) sum per bag for
    /// pooled ones. Must run once per inputDist: it turns ids into slots.
    package func lookup(_ stores: [ShardStore], assembly: UnsafeMutablePointer<Float>) {
        rowAddress.removeAll()
        let training = self.training
        for s in heldStores { stores[s].unstored.removeAll() }
        for p in 0..<comm.size { produced[p] = 0 }
        var floats = 0
        // First pass: local rows become storage slots in place (a lazy store
        // gives an unseen row its slot now; the backward walks the same
        // slots), and each row's address is noted in visiting order, so the
        // gather can hint rows a fixed distance ahead of itself. (A lazy
        // store that grows moves its rows: an earlier address is then stale,
        // which only wastes a hint; the gather reads the current storage.)
        forEachReceivedBag { _, s, seq, len, ids in
            let store = stores[s], w = store.width
            floats += seq ? len * w : w
            // Eval stores no row: a lazy row nobody trained is read as it
            // would start, and training later stores it from the same values.
            if training { store.slots(ids, count: len) } else { store.readSlots(ids, count: len) }
            if store.isHalf {
                let half = store.half, spare = store.unstored.pointer, out = rowAddress.appendUninitialized(len)
                for j in 0..<len {
                    let row = ShardStore.halfRowAddress(ids[j], half: half, unstored: spare, width: w)
                    out[j] = Int(bitPattern: row)
                    Prefetch.read(row)
                }
                return
            }
            // Class properties read once per bag, not per id: each read of a
            // class's `var` is a runtime exclusivity check.
            let weights = store.weights, spare = store.unstored.pointer, out = rowAddress.appendUninitialized(len)
            for j in 0..<len {
                let row = ShardStore.row(ids[j], weights: weights, unstored: spare, width: w)
                out[j] = Int(bitPattern: row)
                // Every row's first line is requested in this pass too, so the
                // gather finds many rows already on their way: a core keeps
                // only so many misses in flight, and that is what both loops
                // wait on.
                Prefetch.read(row)
            }
        }
        let addresses = rowAddress.pointer, total = rowAddress.count
        if isSelf { return gatherIntoAssembly(stores, assembly) }
        rowsOut.setCount(floats)
        var out = rowsOut.pointer, i = 0
        // Rows ahead may belong to another store; this store's width is the
        // hint's length (a hint, so an approximate length costs nothing).
        @inline(__always) func hint(_ j: Int, _ w: Int) {
            if i + j + Prefetch.distance < total, let p = UnsafeRawPointer(bitPattern: addresses[i + j + Prefetch.distance]) {
                Prefetch.read(p, bytes: w * MemoryLayout<Float>.stride)
            }
        }
        forEachReceivedBag { p, s, seq, len, ids in
            let store = stores[s], w = store.width, weights = store.weights, spare = store.unstored.pointer
            if store.isHalf {
                let half = store.half, prec = store.precision, n = seq ? len * w : w
                out.update(repeating: 0, count: n)
                for j in 0..<len {
                    hint(j, w)
                    ShardStore.addHalfRow(ids[j], half: half, unstored: spare, width: w, prec, into: seq ? out + j * w : out)
                }
                produced[p] += n
                out += n
                i += len
                return
            }
            @inline(__always) func row(_ j: Int) -> UnsafeMutablePointer<Float> {
                ShardStore.row(ids[j], weights: weights, unstored: spare, width: w)
            }
            if seq {
                for j in 0..<len { hint(j, w); Rows.copy(out + j * w, row(j), count: w) }
                produced[p] += len * w
                out += len * w
            } else if len == 0 {
                out.update(repeating: 0, count: w)
                produced[p] += w
                out += w
            } else {
                hint(0, w)
                Rows.copy(out, row(0), count: w)
                for j in 1..<len {
                    hint(j, w)
                    Rows.add(out, row(j), count: w)
                }
                produced[p] += w
                out += w
            }
            i += len
        }
        for p in 0..<comm.size {
            rowsLayout.sendCounts[p] = Int32(produced[p])
            rowsLayout.recvCounts[p] = Int32(router.returnFloats(from: p))
        }
        rowsLayout.recomputeDisplacements()
        // The pooled sums accumulate in f32 (as the fp32 path's), then round
        // once, to nearest, into the payload.
        if forward != .fp32 {
            rowsOut16.setCount(floats)
            Half16.encode(rowsOut.pointer, into: rowsOut16.pointer, count: floats, forward)
        }
    }

    /// The self lane's gather: each row added straight into its place in the
    /// (zeroed) assembly, in the order `finishOutputDist` would add the sums,
    /// so every output has the same bits (0 + x is x).
    private func gatherIntoAssembly(_ stores: [ShardStore], _ assembly: UnsafeMutablePointer<Float>) {
        let addresses = rowAddress.pointer, total = rowAddress.count, offsets = router.returnOffset[0].pointer
        var i = 0, e = 0
        forEachReceivedBag { _, s, seq, len, ids in
            let store = stores[s], w = store.width, weights = store.weights, spare = store.unstored.pointer
            let half = store.half, prec = store.precision, isHalf = store.isHalf
            for j in 0..<len {
                if i + j + Prefetch.distance < total, let p = UnsafeRawPointer(bitPattern: addresses[i + j + Prefetch.distance]) {
                    Prefetch.read(p, bytes: w * MemoryLayout<Float>.stride)
                }
                let dst = assembly + Int(offsets[seq ? e + j : e])
                if isHalf {
                    ShardStore.addHalfRow(ids[j], half: half, unstored: spare, width: w, prec, into: dst)
                } else {
                    Rows.add(dst, ShardStore.row(ids[j], weights: weights, unstored: spare, width: w), count: w)
                }
            }
            e += seq ? len : 1
            i += len
        }
    }

    /// Hints every row the lookup read, for writing: their updates come after
    /// the gradient exchange, which their loads then overlap.
    func hintLookedUpRows() {
        let addresses = rowAddress.pointer
        for i in 0..<rowAddress.count {
            if let p = UnsafeRawPointer(bitPattern: addresses[i]) { Prefetch.write(p) }
        }
    }

    /// Each received gradient goes to every id it came from: applied at once
    /// by SGD where `sgdInPlace[store]`, else onto the store's pending lists.
    ///
    /// Why in place: SGD is linear, so a row's duplicates applied one by one
    /// give the update of their sum (up to rounding order), and the pending
    /// copy (one gradient row per id, 2.3 MB a step at the Kaggle shape) and
    /// the aggregation pass are skipped. The rows are hinted ahead from the
    /// addresses the lookup noted, which walked the same bags in this order.
    /// `gradAssembly`: where the trainer wrote d loss / d output, which the
    /// self lane reads in place (the others read what `sendGradients` brought).
    package func collectGradients(_ stores: [ShardStore], pendingRows: [ScratchBuffer<Int32>], pendingGrads: [ScratchBuffer<Float>],
                          sgdInPlace: [Bool], learningRate lr: Float, gradAssembly: UnsafePointer<Float>) {
        for p in 0..<comm.size { cursor[p] = Int(gradsLayout.recvDispls[p]) }
        let addresses = rowAddress.pointer, total = rowAddress.count, received = gradsIn.pointer
        let offsets = router.returnOffset[0].pointer, isSelf = self.isSelf
        let received16 = gradsIn16.pointer, backward = self.backward, widen = !isSelf && backward != .fp32
        var i = 0, e = 0
        forEachReceivedBag { p, s, seq, len, ids in
            let w = stores[s].width
            let g: UnsafeMutablePointer<Float>   // a pooled bag's gradient serves all its ids
            if widen {
                // A 16-bit payload: this bag's gradient widened to f32 once, here.
                let n = seq ? len * w : w
                gradRows.setCount(n)
                Half16.decode(received16 + cursor[p], into: gradRows.pointer, count: n, backward)
                g = gradRows.pointer
            } else {
                g = received + cursor[p]
            }
            @inline(__always) func grad(_ j: Int) -> UnsafePointer<Float> {
                isSelf ? gradAssembly + Int(offsets[seq ? e + j : e]) : UnsafePointer(g + (seq ? j * w : 0))
            }
            if sgdInPlace[s] {
                let weights = stores[s].weights
                for j in 0..<len {
                    if i + j + Prefetch.distance < total, let a = UnsafeMutableRawPointer(bitPattern: addresses[i + j + Prefetch.distance]) {
                        Prefetch.write(a, bytes: w * MemoryLayout<Float>.stride)
                    }
                    EmbeddingSGD.update(weights + Int(ids[j]) * w, grad(j), dim: w, learningRate: lr)
                }
            } else {
                let rows = pendingRows[s].appendUninitialized(len), grads = pendingGrads[s].appendUninitialized(len * w)
                for j in 0..<len {
                    rows[j] = ids[j]
                    Rows.copy(grads + j * w, grad(j), count: w)
                }
            }
            cursor[p] += seq ? len * w : w
            e += seq ? len : 1
            i += len
        }
    }

    // MARK: output dist, and its backward (the same exchange, counts swapped)

    package func startOutputDist() {
        guard !isSelf else { return }   // the lookup has added its rows already
        if forward != .fp32 {
            rowsIn16.setCount(rowsLayout.totalRecv)
            comm.startAlltoallv(phase(phases.fwd), send: rowsOut16.readOnly, recv: rowsIn16.buffer, layout: rowsLayout, request: request)
            return
        }
        rowsIn.setCount(rowsLayout.totalRecv)
        comm.startAlltoallv(phase(phases.fwd), send: rowsOut.readOnly, recv: rowsIn.buffer, layout: rowsLayout, request: request)
    }

    /// Waits, then adds every returned vector into its place in `assembly`.
    package func finishOutputDist(into assembly: UnsafeMutablePointer<Float>) {
        guard !isSelf else { return }
        comm.wait(request)
        if let dedup = router.dedup { return expand(dedup, into: assembly) }
        if forward != .fp32 { return addReturnedRows16(into: assembly) }
        for d in 0..<comm.size {
            var at = Int(rowsLayout.recvDispls[d])
            let offsets = router.returnOffset[d], widths = router.returnWidth[d]
            for e in 0..<offsets.count {
                let dst = assembly + Int(offsets[e]), w = Int(widths[e])
                Rows.add(dst, rowsIn.pointer + at, count: w)
                at += w
            }
        }
    }

    /// Sends d loss / d output back to the owners (`emb_bwd_a2a`).
    package func sendGradients(from gradAssembly: UnsafePointer<Float>) {
        guard !isSelf else { return }   // `collectGradients` reads them in place
        if let dedup = router.dedup { return sendSummedGradients(dedup, from: gradAssembly) }
        if backward != .fp32 { return sendGradients16(from: gradAssembly) }
        gradsOut.removeAll()
        for d in 0..<comm.size {
            let offsets = router.returnOffset[d], widths = router.returnWidth[d]
            for e in 0..<offsets.count {
                let w = Int(widths[e])
                Rows.copy(gradsOut.appendUninitialized(w), gradAssembly + Int(offsets[e]), count: w)
            }
        }
        sendGradsOut()
    }

    private func sendGradsOut() {
        gradsLayout.setMirror(of: rowsLayout)
        gradsIn.setCount(gradsLayout.totalRecv)
        comm.alltoallv(phases.bwd, send: gradsOut.readOnly, recv: gradsIn.buffer, layout: gradsLayout)
    }

    // MARK: dedup's expansion, and its backward

    /// Each distinct row from d added at every place its id was named
    /// (widened from 16 bits as it is added under `comm.precision`).
    private func expand(_ dedup: IdDedup, into assembly: UnsafeMutablePointer<Float>) {
        for d in 0..<comm.size {
            var at = Int(rowsLayout.recvDispls[d])
            let widths = dedup.width[d].pointer, start = dedup.start[d].pointer, targets = dedup.targets[d].pointer
            for u in 0..<dedup.width[d].count {
                let w = Int(widths[u])
                for t in Int(start[u])..<Int(start[u + 1]) {
                    if forward == .fp32 {
                        Rows.add(assembly + Int(targets[t]), rowsIn.pointer + at, count: w)
                    } else {
                        Half16.decodeAdd(rowsIn16.pointer + at, into: assembly + Int(targets[t]), count: w, forward)
                    }
                }
                at += w
            }
        }
    }

    /// The gradients of a distinct row's places summed into the one row sent
    /// back. The sum is taken in fp32 and rounded once, so a 16-bit backward
    /// payload loses no more than without dedup.
    private func sendSummedGradients(_ dedup: IdDedup, from gradAssembly: UnsafePointer<Float>) {
        gradsOut.removeAll()
        for d in 0..<comm.size {
            let widths = dedup.width[d].pointer, start = dedup.start[d].pointer, targets = dedup.targets[d].pointer
            for u in 0..<dedup.width[d].count {
                let w = Int(widths[u]), first = Int(start[u]), out = gradsOut.appendUninitialized(w)
                Rows.copy(out, gradAssembly + Int(targets[first]), count: w)
                for t in (first + 1)..<Int(start[u + 1]) { Rows.add(out, gradAssembly + Int(targets[t]), count: w) }
            }
        }
        guard backward != .fp32 else { return sendGradsOut() }
        gradsOut16.setCount(gradsOut.count)
        Half16.encode(gradsOut.pointer, into: gradsOut16.pointer, count: gradsOut.count, backward)
        gradsLayout.setMirror(of: rowsLayout)
        gradsIn16.setCount(gradsLayout.totalRecv)
        comm.alltoallv(phases.bwd, send: gradsOut16.readOnly, recv: gradsIn16.buffer, layout: gradsLayout)
    }

    // MARK: 16-bit payloads (comm.precision)

    /// `finishOutputDist`'s adds, widening each returned vector as it is added.
    private func addReturnedRows16(into assembly: UnsafeMutablePointer<Float>) {
        for d in 0..<comm.size {
            var at = Int(rowsLayout.recvDispls[d])
            let offsets = router.returnOffset[d], widths = router.returnWidth[d]
            for e in 0..<offsets.count {
                let w = Int(widths[e])
                Half16.decodeAdd(rowsIn16.pointer + at, into: assembly + Int(offsets[e]), count: w, forward)
                at += w
            }
        }
    }

    /// `sendGradients` with each gradient rounded (to nearest) straight into
    /// the 16-bit payload.
    private func sendGradients16(from gradAssembly: UnsafePointer<Float>) {
        gradsOut16.removeAll()
        for d in 0..<comm.size {
            let offsets = router.returnOffset[d], widths = router.returnWidth[d]
            for e in 0..<offsets.count {
                let w = Int(widths[e])
                Half16.encode(gradAssembly + Int(offsets[e]), into: gradsOut16.appendUninitialized(w), count: w, backward)
            }
        }
        gradsLayout.setMirror(of: rowsLayout)
        gradsIn16.setCount(gradsLayout.totalRecv)
        comm.alltoallv(phases.bwd, send: gradsOut16.readOnly, recv: gradsIn16.buffer, layout: gradsLayout)
    }
}
