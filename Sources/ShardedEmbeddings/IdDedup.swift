/// Per-rank id dedup (`sharding.dedup_ids`), applied to what the router
/// bucketed: each distinct (destination, group, local row) travels once per
/// step, whatever number of times this rank's batch names it.
///
/// The message to d keeps the router's layout less its lengths block: the
/// header holds (group position, distinct ids) per group, then the distinct
/// local rows. Every group is then sequence-shaped on the wire: the owner
/// returns one row per distinct id (pooled tables too: the requester pools,
/// so the owner never needs the bags). `targets` says where each returned
/// row goes: row u of d's reply is added at every assembly offset in
/// `targets[d][start[d][u] ..< start[d][u + 1]]` (one per occurrence for a
/// sequence feature, the bag's output for a pooled one, so a row named twice
/// in one bag is added twice). The backward sums the gradients of those
/// same offsets into one row before it travels.
///
/// Dedup is per (rank, feature group, step): two features reading one table
/// are distinct groups on the wire, so each is deduplicated on its own.
/// Exact: sequence outputs keep their bits (0 + row); pooled sums and the
/// owners' updates are the same sums in another order.
package final class IdDedup {
    package let header: [ScratchBuffer<Int32>]
    package let ids: [ScratchBuffer<Int32>]
    /// Per distinct id: its row width (its group's column shard).
    let width: [ScratchBuffer<Int32>]
    /// Per destination: distinct ids + 1 entries, first 0.
    package let start: [ScratchBuffer<Int32>]
    package let targets: [ScratchBuffer<Int32>]
    // Open-addressing table (local row -> distinct index) and per-occurrence scratch.
    private let slotKey = ScratchBuffer<Int32>(zero: -1)
    private let slotValue = ScratchBuffer<Int32>(zero: 0)
    private let occurrenceRow = ScratchBuffer<Int32>(zero: 0)
    private let occurrenceTarget = ScratchBuffer<Int32>(zero: 0)
    private let occurrenceIndex = ScratchBuffer<Int32>(zero: 0)
    private let fill = ScratchBuffer<Int32>(zero: 0)

    init(peers: Int) {
        header = .perPeer(peers)
        ids = .perPeer(peers)
        width = .perPeer(peers)
        start = .perPeer(peers)
        targets = .perPeer(peers)
    }

    /// Words of the message to d (the entry count, header, ids).
    func messageWords(to d: Int) -> Int { header[d].count == 0 ? 0 : 1 + header[d].count + ids[d].count }

    /// Floats coming back from d: one row per distinct id.
    func returnFloats(from d: Int) -> Int { width[d].sum }

    /// Rebuilds every destination's message from the router's buckets.
    func build(from router: EmbeddingRouter) {
        for d in header.indices {
            header[d].removeAll(); ids[d].removeAll(); width[d].removeAll(); targets[d].removeAll()
            start[d].removeAll(); start[d].append(0)
            let h = router.header[d], lengths = router.lengths[d].pointer
            let routed = router.ids[d].pointer, offsets = router.returnOffset[d].pointer
            var lenAt = 0, idAt = 0, retAt = 0
            for e in 0..<(h.count / 2) {
                let position = h[2 * e], count = Int(h[2 * e + 1])
                let g = router.groups[router.groupsTo[d][Int(position)]]
                occurrenceRow.removeAll(); occurrenceTarget.removeAll()
                if g.isSequence {
                    occurrenceRow.append(routed + idAt, count: count)
                    occurrenceTarget.append(offsets + retAt, count: count)
                    idAt += count
                } else {
                    for b in 0..<count {
                        let len = Int(lengths[lenAt + b]), at = offsets[retAt + b]
                        occurrenceRow.append(routed + idAt, count: len)
                        let t = occurrenceTarget.appendUninitialized(len)
                        for j in 0..<len { t[j] = at }
                        idAt += len
                    }
                    lenAt += count
                }
                retAt += count
                let distinct = collapse(into: d, width: Int32(g.width))
                header[d].append(position)
                header[d].append(Int32(distinct))
            }
        }
    }

    /// Distinct rows of the current occurrences appended to d's ids, in first
    /// occurrence order; their targets grouped per distinct row (a counting
    /// sort, occurrence order kept). Returns the distinct count.
    private func collapse(into d: Int, width w: Int32) -> Int {
        let n = occurrenceRow.count
        var bits = 4
        while (1 << bits) < 2 * n { bits += 1 }
        let size = 1 << bits, mask = size - 1
        slotKey.setCount(size)
        slotKey.pointer.update(repeating: -1, count: size)
        slotValue.setCount(size)
        occurrenceIndex.setCount(n)
        let keys = slotKey.pointer, values = slotValue.pointer, rows = occurrenceRow.pointer, index = occurrenceIndex.pointer
        var distinct = 0
        for i in 0..<n {
            let row = rows[i]
            var s = Int((UInt32(bitPattern: row) &* 2_654_435_761) >> UInt32(32 - bits)) & mask
            while keys[s] != -1 && keys[s] != row { s = (s + 1) & mask }
            if keys[s] == -1 {
                keys[s] = row; values[s] = Int32(distinct)
                ids[d].append(row)
                distinct += 1
            }
            index[i] = values[s]
        }
        // Per distinct row: its occurrence count, then where its targets start.
        fill.resizeZeroed(distinct)
        for i in 0..<n { fill[Int(index[i])] += 1 }
        let base = targets[d].count
        let out = targets[d].appendUninitialized(n)
        let w0 = width[d].appendUninitialized(distinct), s0 = start[d].appendUninitialized(distinct)
        var at = Int32(base)
        for u in 0..<distinct {
            let c = fill[u]
            fill[u] = at - Int32(base)
            at += c
            s0[u] = at
            w0[u] = w
        }
        let tgt = occurrenceTarget.pointer
        for i in 0..<n {
            let u = Int(index[i])
            out[Int(fill[u])] = tgt[i]
            fill[u] += 1
        }
        return distinct
    }
}
