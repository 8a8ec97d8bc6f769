/// Array conveniences over the typed buffer API, for start-up, metrics and
/// tests. They allocate; the step loop uses the buffer forms.
extension Communicator {
    public func allreduce<T: CommScalar>(_ phase: CommPhase, _ values: [T], op: ReduceOp = .sum) -> [T] {
        var out = values
        out.withUnsafeMutableBufferPointer { allreduce(phase, $0, op: op) }
        return out
    }

    public func allreduce<T: CommScalar>(_ phase: CommPhase, _ value: T, op: ReduceOp = .sum) -> T {
        allreduce(phase, [value], op: op)[0]
    }

    /// Counts exchange: element p goes to rank p; returns what each rank sent here.
    public func exchangeCounts(_ phase: CommPhase, _ counts: [Int]) -> [Int] {
        precondition(counts.count == size)
        let send = counts.map { Int64($0) }
        var recv = [Int64](repeating: 0, count: size)
        send.withUnsafeBufferPointer { s in
            recv.withUnsafeMutableBufferPointer { r in alltoall(phase, send: s, recv: r, countPerPeer: 1) }
        }
        return recv.map { Int($0) }
    }

    /// All-to-all-v of arrays: `sendCounts[p]` elements (in order) go to rank p.
    /// The receive counts are exchanged first, as an input dist does.
    public func alltoallv<T: CommScalar>(_ phase: CommPhase, _ values: [T], sendCounts: [Int]) -> (values: [T], recvCounts: [Int]) {
        let recvCounts = exchangeCounts(phase, sendCounts)
        let layout = AlltoallvLayout(peers: size)
        layout.set(sendCounts: sendCounts, recvCounts: recvCounts)
        var out = [T](repeating: .zero, count: layout.totalRecv)
        values.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { r in alltoallv(phase, send: s, recv: r, layout: layout) }
        }
        return (out, recvCounts)
    }

    public func allgather<T: CommScalar>(_ phase: CommPhase, _ value: T) -> [T] {
        allgatherv(phase, [value])
    }

    /// Every rank's array, concatenated in rank order (counts gathered first).
    public func allgatherv<T: CommScalar>(_ phase: CommPhase, _ values: [T]) -> [T] {
        let counts = allgatherCounts(phase, values.count)
        var out = [T](repeating: .zero, count: counts.reduce(0, +))
        values.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { r in allgatherv(phase, send: s, recv: r, recvCounts: counts) }
        }
        return out
    }

    /// Every rank's array, split per rank.
    public func allgatherArrays<T: CommScalar>(_ phase: CommPhase, _ values: [T]) -> [[T]] {
        let counts = allgatherCounts(phase, values.count)
        var out = [T](repeating: .zero, count: counts.reduce(0, +))
        values.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { r in allgatherv(phase, send: s, recv: r, recvCounts: counts) }
        }
        var parts: [[T]] = []
        var at = 0
        for c in counts { parts.append(Array(out[at..<at + c])); at += c }
        return parts
    }

    /// Root's array on every rank (length broadcast first).
    public func broadcast<T: CommScalar>(_ phase: CommPhase, _ values: [T], root: Int) -> [T] {
        var n = [Int64(values.count)]
        n.withUnsafeMutableBufferPointer { broadcast(phase, $0, root: root) }
        var out = rank == root ? values : [T](repeating: .zero, count: Int(n[0]))
        out.withUnsafeMutableBufferPointer { broadcast(phase, $0, root: root) }
        return out
    }

    /// Root's bytes (a JSON plan, a config) on every rank.
    public func broadcast(_ phase: CommPhase, bytes: [UInt8], root: Int) -> [UInt8] {
        broadcast(phase, bytes, root: root)
    }

    /// Sends a whole array; the receiver learns its length by probing.
    public func send<T: CommScalar>(_ phase: CommPhase, _ values: [T], to dest: Int, tag: Int = 0) {
        values.withUnsafeBufferPointer { send(phase, $0, to: dest, tag: tag) }
    }

    /// Receives a whole array from `source` (nil: whichever sends first).
    /// `receiveArray`, or nil when no message has come within `seconds`.
    public func receiveArray<T: CommScalar>(_ phase: CommPhase, from source: Int?, tag: Int = 0,
                                           waitingAtMost seconds: Double) -> (source: Int, values: [T])? {
        guard let (src, count) = rawProbe(from: source, tag: tag, kind: T.scalarKind, waitingAtMost: seconds) else { return nil }
        var out = [T](repeating: .zero, count: count)
        out.withUnsafeMutableBufferPointer { receive(phase, $0, from: src, tag: tag) }
        return (src, out)
    }

    public func receiveArray<T: CommScalar>(_ phase: CommPhase, from source: Int?, tag: Int = 0) -> (source: Int, values: [T]) {
        let (src, count) = rawProbe(from: source, tag: tag, kind: T.scalarKind)
        var out = [T](repeating: .zero, count: count)
        out.withUnsafeMutableBufferPointer { receive(phase, $0, from: src, tag: tag) }
        return (src, out)
    }

    private func allgatherCounts(_ phase: CommPhase, _ count: Int) -> [Int] {
        var mine = [Int64(count)]
        var all = [Int64](repeating: 0, count: size)
        let ones = [Int](repeating: 1, count: size)
        mine.withUnsafeMutableBufferPointer { s in
            all.withUnsafeMutableBufferPointer { r in
                allgatherv(phase, send: UnsafeBufferPointer(s), recv: r, recvCounts: ones)
            }
        }
        return all.map { Int($0) }
    }
}
