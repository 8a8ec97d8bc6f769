import Collectives
import CollectivesMPI
import Foundation
import Training

struct CommBenchRow: Codable {
    var bytesPerPeer: Int
    var alltoallvMedianMicros: Double
    var alltoallvMinMicros: Double
    var alltoallvMaxMicros: Double
    var alltoallvBusGBps: Double
    var allreduceMedianMicros: Double
    var allreduceBusGBps: Double
    /// Rank 0's ledger: bytes sent to other ranks per alltoallv call, by link class.
    var ledgerIntraBytes: Int
    var ledgerInterBytes: Int
    /// Bytes every rank passed to MPI_Alltoallv for other ranks, per call, summed over ranks.
    var worldBytesPerCall: Int
    var ledgerMatches: Bool
}

struct CommBenchReport: Codable {
    var worldSize: Int
    var nodes: Int
    var nodeOfRank: [Int]
    var rows: [CommBenchRow]
    /// The link section (intra-node vs inter-node ping-pong), when it ran.
    var links: [CommLinkRow]? = nil
    /// Strata's alltoallv against bare MPI_Alltoallv, when it ran.
    var overhead: [CommOverheadRow]? = nil
}

public enum CommBenchmark {
    /// `strata bench comm` on `comm`: per size from `minBytes` doubling to
    /// `maxBytes`, the all-to-all-v and allreduce, then the links apart and
    /// the ledger's overhead where asked; rank 0 reports. A ledger that
    /// disagrees with the bytes passed to MPI fails the run.
    public static func run(comm: MPICommunicator, minBytes: Int, maxBytes: Int, links: Bool?, overhead: Bool,
                           settings: BenchSettings) throws {
        var sizes: [Int] = []
        var s = minBytes
        while s <= maxBytes { sizes.append(s); s *= 2 }
        let rows = try sizes.map { try CommBenchmark.measure(comm: comm, bytesPerPeer: $0, reps: settings.reps, warmup: settings.warmup) }
        // The ledger is part of what is benchmarked: a mismatch fails the run.
        if let bad = rows.first(where: { !$0.ledgerMatches }) {
            throw InputError("bench comm: the ledger's bytes differ from the bytes passed to MPI at \(bad.bytesPerPeer) bytes per peer")
        }
        // Intra-node and inter-node links apart (CommLinkBenchmark.swift).
        var linkRows: [CommLinkRow]?
        if links ?? (comm.topology.nodeCount > 1) {
            let measured = try sizes.map { try CommLinkBenchmark.measure(comm: comm, bytes: $0, reps: settings.reps, warmup: settings.warmup) }
            if let bad = measured.first(where: { !$0.ledgerMatches }) {
                throw InputError("bench comm: the ledger's bytes differ from the bytes sent at \(bad.bytes) bytes (links)")
            }
            linkRows = measured
        }
        // The ledger's cost: the same exchange with and without it (CommOverheadBenchmark.swift).
        let overheadRows = overhead
            ? sizes.map { CommOverheadBenchmark.measure(comm: comm, bytesPerPeer: $0, reps: settings.reps, warmup: settings.warmup) } : nil
        guard comm.rank == 0 else { return }
        let report = CommBenchReport(worldSize: comm.size, nodes: comm.topology.nodeCount,
                                     nodeOfRank: comm.topology.nodeOfRank, rows: rows, links: linkRows,
                                     overhead: overheadRows)
        try settings.emit(report) {
            ([CommBenchmark.table(rows, comm: comm)] + (linkRows.map { [CommLinkBenchmark.table($0, comm: comm)] } ?? [])
                + (overheadRows.map { [CommOverheadBenchmark.table($0)] } ?? [])).joined(separator: "\n")
        }
    }

    /// Elements (floats) rank `from` sends to rank `to`: between 0.5x and 1.5x
    /// the nominal size, so counts are uneven across both senders and receivers.
    static func count(from: Int, to: Int, worldSize: Int, nominalFloats: Int) -> Int {
        let k = (from + 2 * to) % worldSize
        return nominalFloats / 2 + (worldSize > 1 ? nominalFloats * k / (worldSize - 1) : nominalFloats / 2)
    }

    static func measure(comm: Communicator, bytesPerPeer: Int, reps: Int, warmup: Int) throws -> CommBenchRow {
        let r = comm.size, me = comm.rank
        let nominal = max(bytesPerPeer / 4, 1)
        let sendCounts = (0..<r).map { count(from: me, to: $0, worldSize: r, nominalFloats: nominal) }
        let recvCounts = (0..<r).map { count(from: $0, to: me, worldSize: r, nominalFloats: nominal) }
        let layout = AlltoallvLayout(peers: r)
        layout.set(sendCounts: sendCounts, recvCounts: recvCounts)
        let send = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.totalSend)
        let recv = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.totalRecv)
        let reduce = UnsafeMutableBufferPointer<Float>.allocate(capacity: nominal)
        defer { send.deallocate(); recv.deallocate(); reduce.deallocate() }
        for i in 0..<send.count { send[i] = Float(me * 1_000_003 + i) }

        comm.barrier(.bench)
        comm.ledger.resetAll()
        var a2a: [Double] = [], ar: [Double] = []
        for i in 0..<(warmup + reps) {
            comm.barrier(.bench)
            let t0 = monotonicSeconds()
            comm.alltoallv(.bench, send: UnsafeBufferPointer(send), recv: recv, layout: layout)
            let t1 = monotonicSeconds()
            reduce.initialize(repeating: 1)
            comm.barrier(.bench)
            let t2 = monotonicSeconds()
            comm.allreduce(.bench, reduce)
            let t3 = monotonicSeconds()
            if i >= warmup { a2a.append(t1 - t0); ar.append(t3 - t2) }
        }
        // Correctness, not only speed: the last round's first and last element from each peer.
        for p in 0..<r where recvCounts[p] > 0 {
            let at = Int(layout.recvDispls[p])
            let offset = (0..<me).reduce(0) { $0 + count(from: p, to: $1, worldSize: r, nominalFloats: nominal) }
            guard recv[at] == Float(p * 1_000_003 + offset),
                  recv[at + recvCounts[p] - 1] == Float(p * 1_000_003 + offset + recvCounts[p] - 1) else {
                throw InputError("bench comm: wrong data received from rank \(p)")
            }
        }
        guard reduce[0] == Float(r) else { throw InputError("bench comm: allreduce gave \(reduce[0]), expected \(r)") }

        // The ledger must hold exactly the bytes passed to MPI for other ranks.
        let calls = warmup + reps
        let totals = comm.ledger.step[CommPhase.bench.rawValue]
        var expectedIntra = 0, expectedInter = 0
        for p in 0..<r where p != me {
            let b = sendCounts[p] * 4 * calls
            if comm.topology.sameNode(comm.worldRanks[me], comm.worldRanks[p]) { expectedIntra += b } else { expectedInter += b }
        }
        let mine = (0..<r).filter { $0 != me }.reduce(0) { $0 + sendCounts[$1] * 4 }
        // The allreduce adds its ring bytes to the successor's link class.
        var ringIntra = 0, ringInter = 0
        if r > 1 {
            let ring = ringAllreduceBytes(payload: nominal * 4, ranks: r) * calls
            if comm.topology.sameNode(comm.worldRanks[me], comm.worldRanks[(me + 1) % r]) { ringIntra = ring } else { ringInter = ring }
        }
        let matches = totals.intraNodeBytesSent == expectedIntra + ringIntra && totals.interNodeBytesSent == expectedInter + ringInter
            && totals.collectiveBytes == nominal * 4 * calls
        let allMatch = comm.allreduce(.control, Int64(matches ? 0 : 1), op: .max) == 0
        let worldBytes = Int(comm.allreduce(.control, Int64(mine)))
        comm.ledger.resetAll()

        let medA2A = median(a2a), medAR = median(ar)
        let algbw = Double(worldBytes) / Double(r) / medA2A
        return CommBenchRow(
            bytesPerPeer: bytesPerPeer,
            alltoallvMedianMicros: medA2A * 1e6,
            alltoallvMinMicros: (a2a.min() ?? 0) * 1e6,
            alltoallvMaxMicros: (a2a.max() ?? 0) * 1e6,
            alltoallvBusGBps: r > 1 ? algbw / 1e9 : 0,
            allreduceMedianMicros: medAR * 1e6,
            allreduceBusGBps: r > 1 ? Double(nominal * 4) / medAR * 2 * Double(r - 1) / Double(r) / 1e9 : 0,
            ledgerIntraBytes: expectedIntra / calls,
            ledgerInterBytes: expectedInter / calls,
            worldBytesPerCall: worldBytes,
            ledgerMatches: allMatch)
    }

    static func table(_ rows: [CommBenchRow], comm: Communicator) -> String {
        var out = "# strata bench comm: \(comm.size) ranks on \(comm.topology.nodeCount) node(s), nodes \(comm.topology.nodeOfRank)\n"
        out += "# a2a = MPI_Alltoallv (uneven counts), ar = MPI_Allreduce (float sum); times are medians\n"
        out += pad(["bytes/peer", "a2a us", "a2a min", "a2a max", "a2a busGB/s", "ar us", "ar busGB/s",
                    "r0 intra B", "r0 inter B", "world B/call", "ledger"]) + "\n"
        for row in rows {
            out += pad([String(row.bytesPerPeer), f(row.alltoallvMedianMicros), f(row.alltoallvMinMicros),
                        f(row.alltoallvMaxMicros), f(row.alltoallvBusGBps, 3), f(row.allreduceMedianMicros),
                        f(row.allreduceBusGBps, 3), String(row.ledgerIntraBytes), String(row.ledgerInterBytes),
                        String(row.worldBytesPerCall), row.ledgerMatches ? "exact" : "MISMATCH"]) + "\n"
        }
        return out
    }

    static func pad(_ cols: [String]) -> String {
        cols.map { $0.count >= 12 ? $0 : String(repeating: " ", count: 12 - $0.count) + $0 }.joined(separator: " ")
    }

    static func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
