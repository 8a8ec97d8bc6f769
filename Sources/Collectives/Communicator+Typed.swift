/// The typed face of `Communicator`: each method checks its buffers, times the
/// raw call and records its bytes in the ledger. Only here is the ledger fed, so
/// the MPI and local implementations count the same way.
extension Communicator {
    public var topology: Topology { ledger.topology }
    public var worldRank: Int { worldRanks[rank] }
    /// This rank's node (dense id, see `Topology`).
    public var node: Int { topology.nodeOfRank[worldRank] }

    @inline(__always)
    func width<T: CommScalar>(_: T.Type) -> Int { MemoryLayout<T>.stride }

    public func barrier(_ phase: CommPhase = .control) {
        let t0 = monotonicSeconds()
        rawBarrier()
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    /// Copies root's buffer to every rank.
    public func broadcast<T: CommScalar>(_ phase: CommPhase, _ buffer: UnsafeMutableBufferPointer<T>, root: Int) {
        precondition(root >= 0 && root < size, "broadcast root \(root) outside 0..<\(size)")
        let t0 = monotonicSeconds()
        rawBroadcast(buffer.baseAddress, count: buffer.count, kind: T.scalarKind, root: root)
        let bytes = buffer.count * width(T.self)
        for p in 0..<size where p != rank {
            // Logical payload: the root sends the buffer to each rank.
            ledger.recordPeer(phase, peer: worldRanks[p], sent: rank == root ? bytes : 0,
                              received: p == root ? bytes : 0)
        }
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    /// In-place reduction over every rank.
    ///
    /// The payload passed to MPI is recorded as `collectiveBytes`. How MPI
    /// moves it is its own choice, so the per-peer and link-class bytes are
    /// those of a ring allreduce: each rank sends `2 (n-1)/n` of the payload
    /// to its successor in the ring (rank + 1), the most bandwidth-frugal
    /// algorithm, so replica and dense syncs are never hidden from the totals.
    public func allreduce<T: CommScalar>(_ phase: CommPhase, _ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp = .sum) {
        let t0 = monotonicSeconds()
        rawAllreduce(buffer.baseAddress, count: buffer.count, kind: T.scalarKind, op: op)
        recordAllreduce(phase, bytes: buffer.count * width(T.self))
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    /// Starts `allreduce` (MPI_Iallreduce): other work runs until
    /// `wait(request)`, and `buffer` must not be touched before it. Bytes are
    /// recorded now, seconds (start to completion) at the wait.
    public func startAllreduce<T: CommScalar>(_ phase: CommPhase, _ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp = .sum,
                                              request: CommRequest) {
        precondition(!request.inFlight, "request already in flight")
        request.phase = phase
        request.started = monotonicSeconds()
        request.inFlight = true
        rawStartAllreduce(buffer.baseAddress, count: buffer.count, kind: T.scalarKind, op: op, request: request)
        recordAllreduce(phase, bytes: buffer.count * width(T.self))
    }

    /// The payload as `collectiveBytes`, the ring's bytes per peer and link class.
    private func recordAllreduce(_ phase: CommPhase, bytes: Int) {
        ledger.recordCollective(phase, bytes: bytes)
        if size > 1 {
            let ring = ringAllreduceBytes(payload: bytes, ranks: size)
            ledger.recordPeer(phase, peer: worldRanks[(rank + 1) % size], sent: ring, received: 0)
            ledger.recordPeer(phase, peer: worldRanks[(rank + size - 1) % size], sent: 0, received: ring)
        }
    }

    /// `countPerPeer` elements to each rank; block p of `send` goes to rank p.
    public func alltoall<T: CommScalar>(_ phase: CommPhase, send: UnsafeBufferPointer<T>,
                                        recv: UnsafeMutableBufferPointer<T>, countPerPeer: Int) {
        precondition(send.count >= countPerPeer * size && recv.count >= countPerPeer * size,
                     "alltoall buffers smaller than countPerPeer * size")
        let t0 = monotonicSeconds()
        rawAlltoall(send: send.rawBase, recv: recv.rawBase,
                    countPerPeer: countPerPeer, kind: T.scalarKind)
        let bytes = countPerPeer * width(T.self)
        for p in 0..<size { ledger.recordPeer(phase, peer: worldRanks[p], sent: bytes, received: bytes) }
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    public func alltoallv<T: CommScalar>(_ phase: CommPhase, send: UnsafeBufferPointer<T>,
                                         recv: UnsafeMutableBufferPointer<T>, layout: AlltoallvLayout) {
        checkLayout(layout, send: send.count, recv: recv.count)
        let t0 = monotonicSeconds()
        rawAlltoallv(send: send.rawBase, recv: recv.rawBase,
                     layout: layout, kind: T.scalarKind)
        recordAlltoallv(phase, layout: layout, width: width(T.self))
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    /// Starts an all-to-all-v. `send`, `recv` and `layout` must stay alive and
    /// unchanged until `wait(request)`; bytes are recorded now, seconds at the wait.
    public func startAlltoallv<T: CommScalar>(_ phase: CommPhase, send: UnsafeBufferPointer<T>,
                                              recv: UnsafeMutableBufferPointer<T>, layout: AlltoallvLayout,
                                              request: CommRequest) {
        precondition(!request.inFlight, "request already in flight")
        checkLayout(layout, send: send.count, recv: recv.count)
        request.phase = phase
        request.started = monotonicSeconds()
        request.inFlight = true
        rawStartAlltoallv(send: send.rawBase, recv: recv.rawBase,
                          layout: layout, kind: T.scalarKind, request: request)
        recordAlltoallv(phase, layout: layout, width: width(T.self))
    }

    /// Completes a started exchange. Records the whole span from start to
    /// completion as the phase's seconds (what overlap hides shows as `exposed`
    /// in the trainer's own timers).
    public func wait(_ request: CommRequest) {
        precondition(request.inFlight, "wait on a request that is not in flight")
        rawWait(request)
        request.inFlight = false
        ledger.recordCall(request.phase, seconds: monotonicSeconds() - request.started)
    }

    /// Every rank's `send` (any count per rank) concatenated in rank order.
    /// `recvCounts` must hold each rank's count.
    /// `allgatherv` with the counts in a kept layout (`layout.recvCounts`,
    /// displacements already computed; send counts unused): the step loop's
    /// form, which allocates nothing.
    public func allgatherv<T: CommScalar>(_ phase: CommPhase, send: UnsafeBufferPointer<T>,
                                          recv: UnsafeMutableBufferPointer<T>, layout: AlltoallvLayout) {
        precondition(layout.peers == size && Int(layout.recvCounts[rank]) == send.count, "allgatherv counts do not match")
        precondition(recv.count >= layout.totalRecv, "allgatherv receive buffer too small")
        let t0 = monotonicSeconds()
        rawAllgatherv(send: send.rawBase, count: send.count, recv: recv.rawBase,
                      recvCounts: UnsafePointer(layout.recvCounts), recvDispls: UnsafePointer(layout.recvDispls), kind: T.scalarKind)
        let w = width(T.self)
        for p in 0..<size {
            ledger.recordPeer(phase, peer: worldRanks[p], sent: send.count * w, received: Int(layout.recvCounts[p]) * w)
        }
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    public func allgatherv<T: CommScalar>(_ phase: CommPhase, send: UnsafeBufferPointer<T>,
                                          recv: UnsafeMutableBufferPointer<T>, recvCounts: [Int]) {
        precondition(recvCounts.count == size, "allgatherv counts do not match")
        let layout = AlltoallvLayout(peers: size)
        for p in 0..<size { layout.recvCounts[p] = Int32(recvCounts[p]) }
        layout.recomputeDisplacements()
        allgatherv(phase, send: send, recv: recv, layout: layout)
    }

    public func send<T: CommScalar>(_ phase: CommPhase, _ buffer: UnsafeBufferPointer<T>, to dest: Int, tag: Int = 0) {
        precondition(dest >= 0 && dest < size, "send to rank \(dest) outside 0..<\(size)")
        let t0 = monotonicSeconds()
        rawSend(buffer.rawBase, count: buffer.count, kind: T.scalarKind, to: dest, tag: tag)
        ledger.recordPeer(phase, peer: worldRanks[dest], sent: buffer.count * width(T.self), received: 0)
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    public func receive<T: CommScalar>(_ phase: CommPhase, _ buffer: UnsafeMutableBufferPointer<T>, from source: Int, tag: Int = 0) {
        precondition(source >= 0 && source < size, "receive from rank \(source) outside 0..<\(size)")
        let t0 = monotonicSeconds()
        rawReceive(buffer.rawBase, count: buffer.count, kind: T.scalarKind, from: source, tag: tag)
        ledger.recordPeer(phase, peer: worldRanks[source], sent: 0, received: buffer.count * width(T.self))
        ledger.recordCall(phase, seconds: monotonicSeconds() - t0)
    }

    private func checkLayout(_ layout: AlltoallvLayout, send: Int, recv: Int) {
        precondition(layout.peers == size, "layout has \(layout.peers) peers, communicator \(size)")
        precondition(layout.totalSend <= send, "alltoallv send buffer holds \(send), layout sends \(layout.totalSend)")
        precondition(layout.totalRecv <= recv, "alltoallv receive buffer holds \(recv), layout receives \(layout.totalRecv)")
    }

    @inline(__always)
    private func recordAlltoallv(_ phase: CommPhase, layout: AlltoallvLayout, width w: Int) {
        for p in 0..<size {
            ledger.recordPeer(phase, peer: worldRanks[p], sent: Int(layout.sendCounts[p]) * w,
                              received: Int(layout.recvCounts[p]) * w)
        }
    }
}

/// Bytes each rank sends in a ring allreduce of `payload` bytes over `ranks`.
public func ringAllreduceBytes(payload: Int, ranks: Int) -> Int { 2 * (ranks - 1) * payload / ranks }

// Untyped base addresses without `Optional.map` and an initializer reference:
// in unspecialised generic code that makes a closure context per call (a heap
// allocation in the step loop).
extension UnsafeBufferPointer {
    @inline(__always) var rawBase: UnsafeRawPointer? { UnsafeRawPointer(baseAddress) }
}

extension UnsafeMutableBufferPointer {
    @inline(__always) var rawBase: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(baseAddress) }
}
