import XCTest
import Collectives

/// The in-process communicator against what each rank can compute alone.
final class LocalCommunicatorTests: XCTestCase {
    func testAlltoallvUnevenWithEmptyRanksAndExactLedger() throws {
        for r in 1...4 {
            // Rank f sends (f + t) % 3 elements to t, except rank 1 sends nothing.
            func n(_ f: Int, _ t: Int) -> Int { f == 1 ? 0 : (f + t) % 3 }
            let results = LocalCommunicator.run(worldSize: r, topology: r == 4 ? try .emulated(worldSize: 4, ranksPerNode: 2) : nil) { comm in
                let me = comm.rank
                let counts = (0..<r).map { n(me, $0) }
                let send = (0..<r).flatMap { t in (0..<n(me, t)).map { Int64(me * 100 + t * 10 + $0) } }
                let (got, recvCounts) = comm.alltoallv(.idsA2A, send, sendCounts: counts)
                let expected = (0..<r).flatMap { f in (0..<n(f, me)).map { Int64(f * 100 + me * 10 + $0) } }
                let t = comm.ledger.step[CommPhase.idsA2A.rawValue]
                let peersOK = (0..<r).allSatisfy { p in
                    p == me ? t.bytesSentToPeer[p] == 0 : t.bytesSentToPeer[p] == 8 + 8 * counts[p]
                }
                return got == expected && recvCounts == (0..<r).map { n($0, me) } && peersOK
                    && t.selfBytes == 8 + 8 * counts[me]
            }
            XCTAssertEqual(results, Array(repeating: true, count: r), "world \(r)")
        }
    }

    func testAllreduceIsBitIdenticalOnEveryRank() {
        let results = LocalCommunicator.run(worldSize: 3) { comm -> [Float] in
            comm.allreduce(.denseAllreduce, (0..<5).map { Float($0) * 0.1 + Float(comm.rank) * 1e-3 })
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[1], results[2])
        XCTAssertEqual(results[0][1], 0.3 + 0.003, accuracy: 1e-6)
        let ints = LocalCommunicator.run(worldSize: 4) { $0.allreduce(.metrics, Int64(1) << 60, op: .sum) }
        XCTAssertEqual(ints[0], Int64(1) << 62)
        let mx = LocalCommunicator.run(worldSize: 4) { $0.allreduce(.metrics, Double($0.rank), op: .max) }
        XCTAssertEqual(mx, [3, 3, 3, 3])
    }

    func testSplitNodeLocalAndBroadcastAndGather() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let out = LocalCommunicator.run(worldSize: 4, topology: topo) { comm -> [Int] in
            let local = comm.split(color: comm.node, key: comm.rank)!
            let sum = local.allreduce(.control, Int64(comm.rank))
            let b = comm.broadcast(.control, comm.rank == 2 ? [Int32(9), 8] : [], root: 2)
            let g = comm.allgatherv(.control, [Int32](repeating: Int32(comm.rank), count: comm.rank))
            return [local.size, Int(sum), local.worldRanks.first!, Int(b.reduce(0, +)), g.count]
        }
        XCTAssertEqual(out[0], [2, 1, 0, 17, 6])
        XCTAssertEqual(out[3], [2, 5, 2, 17, 6])
    }

    func testSendReceiveAnySource() {
        let out = LocalCommunicator.run(worldSize: 3) { comm -> Int in
            if comm.rank > 0 { comm.send(.sweep, [Double(comm.rank)], to: 0, tag: 1); return 0 }
            var total = 0
            for _ in 0..<2 {
                let (src, v): (Int, [Double]) = comm.receiveArray(.sweep, from: nil, tag: 1)
                XCTAssertEqual(Double(src), v[0])
                total += src
            }
            return total
        }
        XCTAssertEqual(out[0], 3)
    }

    func testNonBlockingAlltoallv() {
        let out = LocalCommunicator.run(worldSize: 2) { comm -> [Float] in
            let layout = AlltoallvLayout(peers: 2)
            layout.set(sendCounts: [1, 2], recvCounts: [1 + comm.rank, 1 + comm.rank])
            let send: [Float] = [Float(comm.rank), Float(comm.rank) + 0.5, Float(comm.rank) + 0.25]
            var recv = [Float](repeating: -1, count: layout.totalRecv)
            let req = CommRequest()
            send.withUnsafeBufferPointer { s in
                recv.withUnsafeMutableBufferPointer { r in
                    comm.startAlltoallv(.embFwdA2A, send: s, recv: r, layout: layout, request: req)
                    comm.wait(req)
                }
            }
            return recv
        }
        XCTAssertEqual(out[0], [0, 1])
        XCTAssertEqual(out[1], [0.5, 0.25, 1.5, 1.25])
    }
}
