import Collectives
import CollectivesMPI
import Foundation

/// Strata's `alltoallv` (layout checks, ledger bytes per peer and per link
/// class, seconds) against `MPICommunicator.bareAlltoallv` (MPI_Alltoallv
/// alone) on the same buffers and counts: the ledger's cost per call.
struct CommOverheadRow: Codable {
    var bytesPerPeer: Int
    /// Per repetition, the slowest rank's time, then the median over repetitions.
    var strataMicros: Spread
    var bareMicros: Spread
    /// 100 * (strata median / bare median - 1)
    var overheadPercent: Double
}

enum CommOverheadBenchmark {
    static func measure(comm: MPICommunicator, bytesPerPeer: Int, reps: Int, warmup: Int) -> CommOverheadRow {
        let r = comm.size, me = comm.rank
        let nominal = max(bytesPerPeer / 4, 1)
        let sendCounts = (0..<r).map { CommBenchmark.count(from: me, to: $0, worldSize: r, nominalFloats: nominal) }
        let recvCounts = (0..<r).map { CommBenchmark.count(from: $0, to: me, worldSize: r, nominalFloats: nominal) }
        let layout = AlltoallvLayout(peers: r)
        layout.set(sendCounts: sendCounts, recvCounts: recvCounts)
        let send = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(layout.totalSend, 1))
        let recv = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(layout.totalRecv, 1))
        defer { send.deallocate(); recv.deallocate() }
        for i in 0..<send.count { send[i] = Float(i) }

        var strata: [Double] = [], bare: [Double] = []
        for i in 0..<(warmup + reps) {
            var ts = 0.0, tb = 0.0
            // Alternate which goes first, so neither always follows the barrier's skew.
            for ledgered in [i % 2 == 0, i % 2 != 0] {
                comm.barrier(.bench)
                let t0 = monotonicSeconds()
                if ledgered {
                    comm.alltoallv(.bench, send: UnsafeBufferPointer(send), recv: recv, layout: layout)
                } else {
                    comm.bareAlltoallv(send: send.baseAddress, sendCounts: layout.sendCounts, sendDispls: layout.sendDispls,
                                       recv: recv.baseAddress, recvCounts: layout.recvCounts, recvDispls: layout.recvDispls)
                }
                let dt = monotonicSeconds() - t0
                if ledgered { ts = dt } else { tb = dt }
            }
            if i >= warmup { strata.append(ts); bare.append(tb) }
        }
        comm.ledger.resetAll()
        // The slowest rank decides each repetition.
        let s = comm.allreduce(.control, strata, op: .max), b = comm.allreduce(.control, bare, op: .max)
        let sm = Spread(s.map { $0 * 1e6 }), bm = Spread(b.map { $0 * 1e6 })
        return CommOverheadRow(bytesPerPeer: bytesPerPeer, strataMicros: sm, bareMicros: bm,
                               overheadPercent: 100 * (sm.median / bm.median - 1))
    }

    static func table(_ rows: [CommOverheadRow]) -> String {
        "# ledger overhead: Strata's alltoallv vs bare MPI_Alltoallv, same buffers; slowest rank per rep, median (min-max)\n"
            + BenchFormat.table(["bytes/peer", "strata us", "bare us", "overhead"],
                                rows.map { [String($0.bytesPerPeer), $0.strataMicros.text(1), $0.bareMicros.text(1),
                                            BenchFormat.fixed($0.overheadPercent, 1) + " %"] })
    }
}
