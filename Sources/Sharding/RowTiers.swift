import Cluster
/// FlexShard's per-row placement of one table: rows in order of access
/// probability (hottest first), cut into three tiers.
///
///     order = [r7, r2, r9, r0, r4, ...]   hot = 1, warm = 2
///     hot:  r7           replicated on every rank, index 0
///     warm: r2, r9       one copy per node: warm index j on node-local rank j % L
///     cold: r0, r4, ...  one copy: cold index j on world rank j % R
///
/// Cold rows after `seenCold` were never seen by the profile; they are stored
/// lazily, so the memory of those the run never reads pays for the replicas.
public struct RowTiers: Sendable, Codable, Equatable {
    public enum Tier: UInt32, Sendable { case hot = 0, warm = 1, cold = 2 }

    /// Every row of the table once, hottest first.
    public var order: [Int32]
    public var hot: Int
    public var warm: Int
    /// Cold rows stored from the start: those the profile saw, or every cold
    /// row where lazy storage would not pay; the rest are stored lazily.
    public var seenCold: Int
    /// How the hot and the warm copies sync across nodes; nil is `.allreduce`.
    public var hotSync: CrossNodeSync?
    public var warmSync: CrossNodeSync?
    /// Lazy cold rows the run is expected to read first after the profile
    /// (`FlexShardPlanner.unseenRowsRead`): room for them is taken at the
    /// start, each rank its round-robin share, so the plan's memory counts
    /// them. nil is none (also what a saved plan without this field decodes to).
    public var lazyReserve: Int?

    /// The exchange that keeps the copies on different nodes identical.
    ///
    ///     allreduce: a touched mask over the tier (1 byte a row), then a ring
    ///                allreduce of the gradients of every row touched anywhere;
    ///                best when most rows are touched on every node.
    ///     gather:    each node sends the ids and gradients of only the rows IT
    ///                touched to every other node (counts first); every copy sums
    ///                the nodes' partial sums in node order. No mask crosses nodes;
    ///                best when rows are touched on few nodes (the tail of a tier).
    public enum CrossNodeSync: String, Sendable, Codable { case allreduce, gather }

    /// The hot tier's sync on `topology`: gather needs several nodes of equal
    /// size (a plan made for another topology, as on resume, falls back).
    public static func hotSync(_ tiers: RowTiers, on topology: Topology) -> CrossNodeSync {
        tiers.hotSync == .gather && topology.nodeCount > 1 && topology.uniformRanksPerNode != nil ? .gather : .allreduce
    }

    public init(order: [Int32], hot: Int, warm: Int, seenCold: Int,
                hotSync: CrossNodeSync? = nil, warmSync: CrossNodeSync? = nil, lazyReserve: Int? = nil) {
        self.order = order; self.hot = hot; self.warm = warm; self.seenCold = seenCold
        self.hotSync = hotSync; self.warmSync = warmSync; self.lazyReserve = lazyReserve
    }

    public var cold: Int { order.count - hot - warm }

    /// Cold rows member `index` of `peers` holds from the start: its share of
    /// the seen ones and room for its share of `lazyReserve`, at most all its cold rows.
    public func coldRowsAtStart(of peers: Int, index: Int) -> (stored: Int, room: Int, capacity: Int) {
        let stored = FlexShardCounts.share(seenCold, of: peers, index: index)
        let capacity = FlexShardCounts.share(cold, of: peers, index: index)
        let later = ((lazyReserve ?? 0) + peers - 1) / peers
        return (stored, min(capacity, stored + later), capacity)
    }

    /// The compact row -> (tier, index within tier) map: one UInt32 per row,
    /// tier in the top 2 bits.
    public func codes() -> [UInt32] {
        var codes = [UInt32](repeating: 0, count: order.count)
        for (i, row) in order.enumerated() {
            let (tier, j): (Tier, Int) = i < hot ? (.hot, i) : i < hot + warm ? (.warm, i - hot) : (.cold, i - hot - warm)
            codes[Int(row)] = tier.rawValue << 30 | UInt32(j)
        }
        return codes
    }

    @inline(__always) public static func tier(_ code: UInt32) -> UInt32 { code >> 30 }
    @inline(__always) public static func index(_ code: UInt32) -> Int { Int(code & 0x3FFF_FFFF) }
}
