/// One dimension of a block-cyclic distribution (ScaLAPACK's convention, the
/// first block on process 0): global index g lies in block g / block, which
/// process (g / block) mod procs owns.
public struct BlockCyclic: Sendable, Equatable {
    public let count: Int
    public let block: Int
    public let procs: Int

    public init(count: Int, block: Int, procs: Int) {
        precondition(count >= 0 && block >= 1 && procs >= 1, "block-cyclic \(count) / \(block) over \(procs)")
        self.count = count
        self.block = block
        self.procs = procs
    }

    public func owner(_ g: Int) -> Int { (g / block) % procs }

    /// Entries process `p` holds (ScaLAPACK's NUMROC).
    public func localCount(_ p: Int) -> Int {
        let blocks = count / block
        var n = (blocks / procs) * block
        let extra = blocks % procs
        if p < extra { n += block } else if p == extra { n += count % block }
        return n
    }

    /// The local index of global index `g` on its owner.
    public func local(_ g: Int) -> Int { (g / (block * procs)) * block + g % block }

    /// The global index of local index `l` on process `p`.
    public func global(_ l: Int, on p: Int) -> Int { ((l / block) * procs + p) * block + l % block }

    /// Entries owned by process `p` here and by process `q` in `other` (the
    /// same count of entries): the rows or columns a redistribution moves
    /// from p to q. Walks the runs between both block boundaries.
    public func overlap(_ p: Int, with other: BlockCyclic, _ q: Int) -> Int {
        precondition(count == other.count, "overlap of dimensions \(count) and \(other.count)")
        var g = 0, n = 0
        while g < count {
            let end = min(count, (g / block + 1) * block, (g / other.block + 1) * other.block)
            if owner(g) == p && other.owner(g) == q { n += end - g }
            g = end
        }
        return n
    }
}
