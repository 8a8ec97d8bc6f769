import Sharding

/// The requester side of the input dist: buckets one rank's ids by owner.
///
/// For each destination rank d the message is three blocks of Int32, in the
/// order of the lookup groups that d may own (`groupsTo[d]`):
///
///     header   [entries, then (group, count) per group with ids on d: the
///               group's position in `groupsTo[d]`; pooled, the bags with
///               ids on d; sequence, the ids on d]
///     lengths  [ids on d of each such bag (pooled groups only)]
///     ids      [local row on d of each such id]
///
/// A destination with nothing to look up gets an empty message. Empty groups
/// and empty bags cost nothing, so a rank that owns few ids (row_wise,
/// FlexShard over many ranks, small batches on many ranks) is sent only what
/// it owns; sequence ids need no bag structure, since each returns its own row.
/// Ids travel as the owner's LOCAL row (the placement is a pure function of
/// the plan), so they fit in 4 bytes. `returnOffset`/`returnWidth` say where
/// each vector coming back from d lands in the assembly buffer: one per id
/// for sequence features, one per non-empty bag for pooled ones, in the order
/// the owner produces them. Worked example, row_wise over ranks [0, 1], rows
/// 0..<4 (block 2), one pooled feature with bags [[0, 3], [1]]:
///
///     to rank 0: header [2]  lengths [1, 1]  ids [0, 1]   (rows 0 and 1)
///     to rank 1: header [2]  lengths [1, 0]  ids [1]      (row 3 is local row 1)
///     rank 0 returns 2 partial sums (bags 0 and 1), rank 1 returns 1 (bag 0).
package final class EmbeddingRouter {
    package let groups: [LookupGroup]
    package let groupsTo: [[Int]]
    let peers: Int
    let header: [ScratchBuffer<Int32>]
    let lengths: [ScratchBuffer<Int32>]
    package let ids: [ScratchBuffer<Int32>]
    let returnOffset: [ScratchBuffer<Int32>]
    let returnWidth: [ScratchBuffer<Int32>]
    /// position[d][g]: group g's index in `groupsTo[d]` (what the header names).
    let position: [[Int32]]
    /// `sharding.dedup_ids`: each distinct id once per destination (see IdDedup).
    package let dedup: IdDedup?
    private var bagCounts: [Int32]

    package init(groups: [LookupGroup], peers: Int, dedupIds: Bool = false) {
        self.groups = groups
        self.peers = peers
        dedup = dedupIds ? IdDedup(peers: peers) : nil
        groupsTo = (0..<peers).map { d in groups.indices.filter { groups[$0].destinations.contains(d) } }
        var position = [[Int32]](repeating: [Int32](repeating: -1, count: groups.count), count: peers)
        for d in 0..<peers { for (i, g) in groupsTo[d].enumerated() { position[d][g] = Int32(i) } }
        self.position = position
        header = .perPeer(peers)
        lengths = .perPeer(peers)
        ids = .perPeer(peers)
        returnOffset = .perPeer(peers)
        returnWidth = .perPeer(peers)
        bagCounts = [Int32](repeating: 0, count: peers)
    }

    /// Words (Int32) of the message to each destination (the entry count, the
    /// header entries, lengths, ids; nothing at all when there are no entries).
    func messageWords(to d: Int) -> Int {
        if let dedup { return dedup.messageWords(to: d) }
        return header[d].count == 0 ? 0 : 1 + header[d].count + lengths[d].count + ids[d].count
    }

    /// The blocks of the message to `d`, in order (lengths nil under dedup).
    func message(to d: Int) -> (header: ScratchBuffer<Int32>, lengths: ScratchBuffer<Int32>?, ids: ScratchBuffer<Int32>) {
        if let dedup { return (dedup.header[d], nil, dedup.ids[d]) }
        return (header[d], lengths[d], ids[d])
    }

    /// Floats coming back from `d` in the output dist.
    func returnFloats(from d: Int) -> Int {
        dedup?.returnFloats(from: d) ?? returnWidth[d].sum
    }

    private var headerAt: [Int] = []

    /// Owner (lane rank) and local row of `row` in group `g`, or nil when the
    /// row is not this group's (another part of its table's placement).
    @inline(__always)
    static func locate(_ row: Int, in g: LookupGroup) -> (dest: Int, local: Int)? {
        guard let (member, local) = g.rows.owner(ofRow: row) else { return nil }
        return (g.destinations[member], local)
    }

    /// Buckets `features` (one `FeatureIds` per feature, in feature order).
    /// `base[k]` is feature k's first float in the assembly buffer, `dims[k]` its row width.
    /// Under dedup, `dedup` then holds the messages (built from these buckets).
    package func route(_ features: [FeatureIds], base: [Int], dims: [Int], tableRows: [Int]) {
        for d in 0..<peers {
            header[d].removeAll(); lengths[d].removeAll(); ids[d].removeAll()
            returnOffset[d].removeAll(); returnWidth[d].removeAll()
        }
        for (gi, g) in groups.enumerated() {
            let f = features[g.feature]
            let D = dims[g.feature], b0 = base[g.feature], rows = tableRows[g.table]
            if g.destinations.count == 1, g.rows.isEveryRow {
                routeWhole(f, group: gi, to: g.destinations[0], base: b0 + g.columnStart, dim: D, tableRows: rows)
                continue
            }
            if headerAt.count < peers { headerAt = [Int](repeating: 0, count: peers) }
            for d in g.destinations {
                headerAt[d] = header[d].count + 1
                header[d].append(position[d][gi])
                header[d].append(0)
            }
            var n = 0
            f.values.withUnsafeBufferPointer { values in
                for u in 0..<f.bags {
                    let len = Int(f.lengths[u])
                    for d in g.destinations { bagCounts[d] = 0 }
                    for j in n..<(n + len) {
                        let row = Int(values[j])
                        precondition(row >= 0 && row < rows, "feature \(g.feature): id \(row) outside table of \(rows) rows")
                        guard let (d, local) = Self.locate(row, in: g) else { continue }
                        bagCounts[d] += 1
                        ids[d].append(Int32(local))
                        if g.isSequence {
                            header[d][headerAt[d]] += 1
                            returnOffset[d].append(Int32(b0 + j * D + g.columnStart))
                            returnWidth[d].append(Int32(g.width))
                        }
                    }
                    if !g.isSequence {
                        for d in g.destinations where bagCounts[d] > 0 {
                            header[d][headerAt[d]] += 1
                            lengths[d].append(bagCounts[d])
                            returnOffset[d].append(Int32(b0 + u * D + g.columnStart))
                            returnWidth[d].append(Int32(g.width))
                        }
                    }
                    n += len
                }
            }
            // A group with nothing for d leaves no entry.
            for d in g.destinations where header[d][headerAt[d]] == 0 { header[d].setCount(headerAt[d] - 1) }
        }
        dedup?.build(from: self)
    }

    /// A group whose every row lives on one rank (table_wise, column_wise):
    /// all ids go to `d` unchanged, in tight loops over raw pointers, since
    /// this is the common case and runs for every id of every step.
    private func routeWhole(_ f: FeatureIds, group gi: Int, to d: Int, base b0: Int, dim D: Int, tableRows rows: Int) {
        let g = groups[gi], n = f.values.count
        guard n > 0 else { return }   // no ids: no entry
        let width = Int32(g.width)
        let idOut = ids[d].appendUninitialized(n)
        f.values.withUnsafeBufferPointer { values in
            for j in 0..<n {
                let row = values[j]
                precondition(row >= 0 && row < rows, "feature \(g.feature): id \(row) outside table of \(rows) rows")
                idOut[j] = Int32(truncatingIfNeeded: row)
            }
        }
        let entries: Int
        if g.isSequence {
            entries = n
            let offsets = returnOffset[d].appendUninitialized(n), widths = returnWidth[d].appendUninitialized(n)
            for j in 0..<n { offsets[j] = Int32(b0 + j * D); widths[j] = width }
        } else {
            var nonEmpty = 0
            f.lengths.withUnsafeBufferPointer { lens in
                for u in 0..<f.bags where lens[u] > 0 { nonEmpty += 1 }
                let lenOut = lengths[d].appendUninitialized(nonEmpty)
                let offsets = returnOffset[d].appendUninitialized(nonEmpty), widths = returnWidth[d].appendUninitialized(nonEmpty)
                var e = 0
                for u in 0..<f.bags where lens[u] > 0 {
                    lenOut[e] = lens[u]; offsets[e] = Int32(b0 + u * D); widths[e] = width
                    e += 1
                }
            }
            entries = nonEmpty
        }
        header[d].append(position[d][gi])
        header[d].append(Int32(entries))
    }
}
