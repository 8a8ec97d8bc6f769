/// Counts and displacements of one all-to-all-v, in elements, owned as
/// allocated memory so a non-blocking exchange can hold them until its wait.
///
/// A hot path keeps one layout per exchange and refills it every step; nothing
/// is allocated after `init`. Displacements are the prefix sums of the counts
/// (each peer's block follows the previous one).
///
///     let layout = AlltoallvLayout(peers: 2)
///     layout.set(sendCounts: [3, 0], recvCounts: [3, 5])
///     // sendDispls == [0, 3], recvDispls == [0, 3], totalRecv == 8
public final class AlltoallvLayout {
    public let peers: Int
    public let sendCounts: UnsafeMutablePointer<Int32>
    public let sendDispls: UnsafeMutablePointer<Int32>
    public let recvCounts: UnsafeMutablePointer<Int32>
    public let recvDispls: UnsafeMutablePointer<Int32>
    public private(set) var totalSend = 0
    public private(set) var totalRecv = 0

    public init(peers: Int) {
        precondition(peers > 0)
        self.peers = peers
        sendCounts = .allocate(capacity: peers); sendCounts.initialize(repeating: 0, count: peers)
        sendDispls = .allocate(capacity: peers); sendDispls.initialize(repeating: 0, count: peers)
        recvCounts = .allocate(capacity: peers); recvCounts.initialize(repeating: 0, count: peers)
        recvDispls = .allocate(capacity: peers); recvDispls.initialize(repeating: 0, count: peers)
    }

    deinit {
        sendCounts.deallocate(); sendDispls.deallocate()
        recvCounts.deallocate(); recvDispls.deallocate()
    }

    /// Sets both sides from per-peer element counts. (Inlinable: specialised
    /// in the caller, the loops need no generic iterator boxes.)
    @inlinable
    public func set<S: Collection, R: Collection>(sendCounts s: S, recvCounts r: R)
        where S.Element: BinaryInteger, R.Element: BinaryInteger {
        precondition(s.count == peers && r.count == peers, "need one count per peer")
        var p = 0
        for c in s { sendCounts[p] = Int32(c); p += 1 }
        p = 0
        for c in r { recvCounts[p] = Int32(c); p += 1 }
        recomputeDisplacements()
    }

    /// Recomputes displacements and totals after the counts were written in place.
    public func recomputeDisplacements() {
        var s = 0, r = 0
        for p in 0..<peers {
            precondition(sendCounts[p] >= 0 && recvCounts[p] >= 0, "negative all-to-all count")
            sendDispls[p] = Int32(s); s += Int(sendCounts[p])
            recvDispls[p] = Int32(r); r += Int(recvCounts[p])
            precondition(s <= Int(Int32.max) && r <= Int(Int32.max), "all-to-all too large for MPI's int counts")
        }
        totalSend = s
        totalRecv = r
    }

    /// The mirror exchange (backward of an all-to-all): send what was received.
    public func setMirror(of other: AlltoallvLayout) {
        precondition(other.peers == peers)
        for p in 0..<peers {
            sendCounts[p] = other.recvCounts[p]
            recvCounts[p] = other.sendCounts[p]
        }
        recomputeDisplacements()
    }

    /// The same layout scaled by `width` elements per item (ids -> rows of dim D).
    public func setScaled(_ other: AlltoallvLayout, by width: Int) {
        precondition(other.peers == peers)
        for p in 0..<peers {
            sendCounts[p] = other.sendCounts[p] * Int32(width)
            recvCounts[p] = other.recvCounts[p] * Int32(width)
        }
        recomputeDisplacements()
    }
}
