import Collectives
import Foundation

/// One message size of the link section: rank 0's ping-pong with a peer on its
/// own node (intra-node link) and with a peer on another node (inter-node
/// link). Times are one-way: half the median round trip. A side is nil when
/// the world has no such peer (one rank per node, or one node).
struct CommLinkRow: Codable {
    var bytes: Int
    var intraPeer: Int?
    var intraMedianMicros: Double?
    var intraGBps: Double?
    var interPeer: Int?
    var interMedianMicros: Double?
    var interGBps: Double?
    /// Intra-node bandwidth over inter-node bandwidth.
    var intraOverInter: Double?
    /// Rank 0's ledger held exactly the bytes it sent on each link class.
    var ledgerMatches: Bool
}

/// `strata bench comm`'s link section: the collectives mix every link class in
/// one time, so the two levels of the network are measured apart here with
/// point-to-point messages through the Communicator (and so the ledger).
enum CommLinkBenchmark {
    static let tag = 4242

    /// Rank 0's nearest peer on its own node and on another node (world ranks
    /// are communicator ranks here: the benchmark runs on the world).
    static func peers(_ comm: Communicator) -> (intra: Int?, inter: Int?) {
        let t = comm.topology, zero = comm.worldRanks[0]
        let intra = (1..<comm.size).first { t.sameNode(zero, comm.worldRanks[$0]) }
        let inter = (1..<comm.size).first { !t.sameNode(zero, comm.worldRanks[$0]) }
        return (intra, inter)
    }

    /// Collective over `comm`: every rank calls it; only rank 0 and its two
    /// peers move data, the others wait at the barriers.
    static func measure(comm: Communicator, bytes: Int, reps: Int, warmup: Int) throws -> CommLinkRow {
        let (intra, inter) = peers(comm)
        let count = max(bytes / 4, 1)
        let buf = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buf.deallocate() }
        for i in 0..<count { buf[i] = Float(comm.rank * 7 + i % 1024) }

        comm.barrier(.bench)
        comm.ledger.resetAll()
        var oneWay: [Int: Double] = [:]
        for peer in [intra, inter].compactMap({ $0 }) {
            var rtts: [Double] = []
            for i in 0..<(warmup + reps) {
                comm.barrier(.bench)
                if comm.rank == 0 {
                    let t0 = monotonicSeconds()
                    comm.send(.bench, UnsafeBufferPointer(buf), to: peer, tag: tag)
                    comm.receive(.bench, buf, from: peer, tag: tag)
                    if i >= warmup { rtts.append(monotonicSeconds() - t0) }
                } else if comm.rank == peer {
                    comm.receive(.bench, buf, from: 0, tag: tag)
                    comm.send(.bench, UnsafeBufferPointer(buf), to: 0, tag: tag)
                }
            }
            if comm.rank == 0 {
                // The peer echoes what it received: rank 0 gets its own data back.
                guard buf[0] == 0, buf[count - 1] == Float((count - 1) % 1024) else {
                    throw InputError("bench comm: ping-pong with rank \(peer) returned wrong data")
                }
                oneWay[peer] = median(rtts) / 2
            }
        }

        // Rank 0 sent `count` floats per round to each peer, on that peer's link class.
        var matches = true
        if comm.rank == 0 {
            let totals = comm.ledger.step[CommPhase.bench.rawValue]
            let perPeer = count * 4 * (warmup + reps)
            matches = totals.intraNodeBytesSent == (intra == nil ? 0 : perPeer)
                && totals.interNodeBytesSent == (inter == nil ? 0 : perPeer)
        }
        let allMatch = comm.allreduce(.control, Int64(matches ? 0 : 1), op: .max) == 0
        comm.ledger.resetAll()

        func gbps(_ peer: Int?) -> Double? { peer.flatMap { oneWay[$0] }.map { Double(count * 4) / $0 / 1e9 } }
        let intraBW = gbps(intra), interBW = gbps(inter)
        return CommLinkRow(
            bytes: count * 4,
            intraPeer: intra, intraMedianMicros: intra.flatMap { oneWay[$0] }.map { $0 * 1e6 }, intraGBps: intraBW,
            interPeer: inter, interMedianMicros: inter.flatMap { oneWay[$0] }.map { $0 * 1e6 }, interGBps: interBW,
            intraOverInter: intraBW.flatMap { a in interBW.map { a / $0 } },
            ledgerMatches: allMatch)
    }

    static func table(_ rows: [CommLinkRow], comm: Communicator) -> String {
        let (intra, inter) = peers(comm)
        let describe = { (p: Int?, what: String) in p.map { "rank 0 <-> rank \($0) (\(what))" } ?? "no \(what) peer" }
        var out = "# links: \(describe(intra, "same node")), \(describe(inter, "other node"))\n"
        out += "# ping-pong through send/receive; one-way time = half the median round trip\n"
        out += CommBenchmark.pad(["bytes", "intra us", "intra GB/s", "inter us", "inter GB/s", "intra/inter", "ledger"]) + "\n"
        let dash = "-"
        for r in rows {
            out += CommBenchmark.pad([
                String(r.bytes),
                r.intraMedianMicros.map { CommBenchmark.f($0) } ?? dash, r.intraGBps.map { CommBenchmark.f($0, 4) } ?? dash,
                r.interMedianMicros.map { CommBenchmark.f($0) } ?? dash, r.interGBps.map { CommBenchmark.f($0, 4) } ?? dash,
                r.intraOverInter.map { CommBenchmark.f($0) } ?? dash,
                r.ledgerMatches ? "exact" : "MISMATCH"]) + "\n"
        }
        return out
    }
}
