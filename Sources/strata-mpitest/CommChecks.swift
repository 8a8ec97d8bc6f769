import Collectives
import Tensors

/// Collectives against what each rank can compute on its own, and the ledger
/// against the bytes actually passed to MPI.
enum CommChecks {
    /// A value only (sender, receiver, round, index) determine.
    static func value(_ from: Int, _ to: Int, _ round: Int, _ i: Int) -> Int64 {
        Int64(from) << 40 | Int64(to) << 28 | Int64(round) << 20 | Int64(i)
    }

    /// Counts for a round: random, uneven, with zeros; in round 1 rank
    /// `round % R` sends and receives nothing at all (an empty rank).
    static func counts(_ round: Int, worldSize r: Int) -> [[Int]] {
        var rng = StrataRNG(seed: UInt64(round) &* 7919)
        var m = (0..<r).map { _ in (0..<r).map { _ in Int(rng.next() % 40) } }
        for f in 0..<r { for t in 0..<r where rng.next() % 4 == 0 { m[f][t] = 0 } }
        if round % 2 == 1 {
            let empty = round % r
            for x in 0..<r { m[empty][x] = 0; m[x][empty] = 0 }
        }
        return m
    }

    static func run(_ comm: Communicator, _ checks: inout Checks) {
        topology(comm, &checks)
        alltoallvRounds(comm, &checks)
        linkClasses(comm, &checks)
        allreduces(comm, &checks)
        nonBlockingAlltoallv(comm, &checks)
        splitsAndMessages(comm, &checks)
        comm.barrier()
    }

    static func topology(_ comm: Communicator, _ checks: inout Checks) {
        let topo = comm.topology
        // Topology: every rank agrees; emulated nodes group consecutive ranks.
        let nodes = comm.allgather(.control, Int64(comm.node))
        checks.expect(nodes.map(Int.init) == topo.nodeOfRank, "topology agreed across ranks: \(nodes) vs \(topo.nodeOfRank)")
    }

    static func alltoallvRounds(_ comm: Communicator, _ checks: inout Checks) {
        let r = comm.size, me = comm.rank
        let topo = comm.topology
        for round in 0..<6 {
            comm.ledger.resetAll()
            let m = counts(round, worldSize: r)
            let sendCounts = m[me], recvCounts = (0..<r).map { m[$0][me] }
            let send = (0..<r).flatMap { to in (0..<sendCounts[to]).map { value(me, to, round, $0) } }
            let (got, gotCounts) = comm.alltoallv(.idsA2A, send, sendCounts: sendCounts)
            checks.expect(gotCounts == recvCounts, "round \(round): received counts \(gotCounts), expected \(recvCounts)")
            var at = 0, bad = 0
            for from in 0..<r {
                for i in 0..<recvCounts[from] where at + i < got.count {
                    if got[at + i] != value(from, me, round, i) { bad += 1 }
                }
                at += recvCounts[from]
            }
            checks.expect(bad == 0 && got.count == recvCounts.reduce(0, +), "round \(round): \(bad) wrong elements received")

            // Ledger: per peer exactly what was passed (counts exchange is 8 bytes per peer).
            let t = comm.ledger.step[CommPhase.idsA2A.rawValue]
            var ok = true, intra = 0, inter = 0
            for p in 0..<r where p != me {
                ok = ok && t.bytesSentToPeer[p] == 8 + sendCounts[p] * 8
                ok = ok && t.bytesReceivedFromPeer[p] == 8 + recvCounts[p] * 8
                if topo.sameNode(me, p) { intra += 8 + sendCounts[p] * 8 } else { inter += 8 + sendCounts[p] * 8 }
            }
            ok = ok && t.bytesSentToPeer[me] == 0 && t.selfBytes == 8 + sendCounts[me] * 8
            ok = ok && t.intraNodeBytesSent == intra && t.interNodeBytesSent == inter && t.calls == 2
            checks.expect(ok, "round \(round): ledger per-peer bytes \(t.bytesSentToPeer) do not match the counts \(sendCounts)")
        }
    }

    static func linkClasses(_ comm: Communicator, _ checks: inout Checks) {
        let r = comm.size, me = comm.rank
        let topo = comm.topology
        // Link classes with emulated nodes of 2: 0-1 intra, 0-2 inter.
        if r == 4, topo.uniformRanksPerNode == 2 {
            comm.ledger.resetAll()
            let c = [Int](repeating: 3, count: r)
            _ = comm.alltoallv(.embFwdA2A, [Float](repeating: 1, count: 12), sendCounts: c)
            let t = comm.ledger.step[CommPhase.embFwdA2A.rawValue]
            if me == 0 {
                checks.expect(topo.sameNode(0, 1) && !topo.sameNode(0, 2), "ranks 0,1 share a node, 0,2 do not")
                checks.expect(t.intraNodeBytesSent == 8 + 12 && t.interNodeBytesSent == 2 * (8 + 12),
                              "rank 0 intra \(t.intraNodeBytesSent) inter \(t.interNodeBytesSent)")
            }
        }
    }

    static func allreduces(_ comm: Communicator, _ checks: inout Checks) {
        let r = comm.size, me = comm.rank
        // Allreduce of Int64 is exact, also beyond 2^53.
        let big = Int64(1) << 60
        let sum = comm.allreduce(.metrics, [big / 8 + Int64(me), Int64(me) * 3, -Int64(me)])
        let rr = Int64(r), tri = rr * (rr - 1) / 2
        checks.expect(sum == [rr * (big / 8) + tri, 3 * tri, -tri], "allreduce Int64 exact: \(sum)")
        checks.expect(comm.allreduce(.metrics, Double(me), op: .max) == Double(r - 1), "allreduce max")
        checks.expect(comm.allreduce(.metrics, Float(me + 1), op: .min) == 1, "allreduce min")
        checks.expect(comm.ledger.step[CommPhase.metrics.rawValue].collectiveBytes == 3 * 8 + 8 + 4,
                      "allreduce payload bytes recorded")

        // Non-blocking allreduce (MPI_Iallreduce) overlapping a blocking one:
        // both complete, in order, with the same sums.
        var pending: [Float] = (0..<1000).map { Float(me + $0) }
        let reduceRequest = CommRequest()
        pending.withUnsafeMutableBufferPointer { buffer in
            comm.startAllreduce(.denseAllreduce, buffer, request: reduceRequest)
            let during = comm.allreduce(.metrics, Int64(me) + 1)
            checks.expect(during == rr * (rr + 1) / 2, "blocking allreduce while one is in flight: \(during)")
            comm.wait(reduceRequest)
        }
        let wantFirst = Float(tri), wantLast = Float(tri) + Float(r * 999)
        checks.expect(pending[0] == wantFirst && pending[999] == wantLast, "started allreduce sums: \(pending[0]) \(pending[999])")
        checks.expect(comm.ledger.step[CommPhase.denseAllreduce.rawValue].collectiveBytes == 4000,
                      "started allreduce payload recorded")
    }

    static func nonBlockingAlltoallv(_ comm: Communicator, _ checks: inout Checks) {
        let r = comm.size, me = comm.rank
        // Non-blocking alltoallv with wait, buffers owned until the wait.
        let layout = AlltoallvLayout(peers: r)
        let m = counts(7, worldSize: r)
        layout.set(sendCounts: m[me], recvCounts: (0..<r).map { m[$0][me] })
        let sbuf = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(layout.totalSend, 1))
        let rbuf = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(layout.totalRecv, 1))
        var k = 0
        for to in 0..<r { for i in 0..<m[me][to] { sbuf[k] = value(me, to, 7, i); k += 1 } }
        let request = CommRequest()
        comm.startAlltoallv(.embFwdA2A, send: UnsafeBufferPointer(sbuf), recv: rbuf, layout: layout, request: request)
        let overlapped = comm.size // (compute would run here)
        comm.wait(request)
        var nbBad = 0
        for from in 0..<r { for i in 0..<m[from][me] where rbuf[Int(layout.recvDispls[from]) + i] != value(from, me, 7, i) { nbBad += 1 } }
        checks.expect(nbBad == 0 && overlapped == r, "non-blocking alltoallv delivered \(nbBad) wrong elements")
        sbuf.deallocate(); rbuf.deallocate()
    }

    static func splitsAndMessages(_ comm: Communicator, _ checks: inout Checks) {
        let r = comm.size, me = comm.rank
        // Split and node-local communicators count by world rank.
        if let sub = comm.split(color: me % 2, key: -me) {
            checks.expect(sub.worldRanks == (0..<r).filter { $0 % 2 == me % 2 }.reversed(), "split ordered by key: \(sub.worldRanks)")
            let s = sub.allreduce(.control, Int64(me))
            checks.expect(s == Int64((0..<r).filter { $0 % 2 == me % 2 }.reduce(0, +)), "allreduce on split")
        } else {
            checks.expect(false, "split returned nil for a non-negative color")
        }
        checks.expect(comm.split(color: me == 0 ? -1 : 0, key: me) == nil || me != 0, "negative color gives nil")

        // Broadcast, allgatherv, gather by probe + receive.
        let b = comm.broadcast(.control, me == r - 1 ? [Int32](arrayLiteral: 5, 6, 7) : [], root: r - 1)
        checks.expect(b == [5, 6, 7], "broadcast from last rank: \(b)")
        let g = comm.allgatherArrays(.control, [UInt8](repeating: UInt8(me), count: me))
        checks.expect(g.enumerated().allSatisfy { $0.element == [UInt8](repeating: UInt8($0.offset), count: $0.offset) },
                      "allgatherv uneven including empty")
        if me != 0 { comm.send(.sweep, [Double](repeating: Double(me), count: me + 1), to: 0, tag: 3) }
        if me == 0 {
            var seen = Set<Int>()
            for _ in 1..<r {
                let (src, vals): (Int, [Double]) = comm.receiveArray(.sweep, from: nil, tag: 3)
                checks.expect(vals == [Double](repeating: Double(src), count: src + 1), "message from \(src)")
                seen.insert(src)
            }
            checks.expect(seen == Set(1..<r), "received from every rank")
        }
    }
}
