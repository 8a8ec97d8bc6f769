import XCTest
import Collectives

final class LedgerTests: XCTestCase {
    func testPeerBytesSplitBySelfAndLinkClass() throws {
        let ledger = CommLedger(worldRank: 0, topology: try .emulated(worldSize: 4, ranksPerNode: 2))
        ledger.recordPeer(.idsA2A, peer: 0, sent: 100, received: 100)
        ledger.recordPeer(.idsA2A, peer: 1, sent: 10, received: 20)
        ledger.recordPeer(.idsA2A, peer: 2, sent: 30, received: 40)
        ledger.recordPeer(.idsA2A, peer: 3, sent: 50, received: 60)
        let t = ledger.step[CommPhase.idsA2A.rawValue]
        XCTAssertEqual(t.selfBytes, 100)
        XCTAssertEqual(t.bytesSentToPeer, [0, 10, 30, 50])
        XCTAssertEqual(t.bytesReceivedFromPeer, [0, 20, 40, 60])
        XCTAssertEqual(t.intraNodeBytesSent, 10)
        XCTAssertEqual(t.interNodeBytesSent, 80)
        XCTAssertEqual(t.bytesSent, 90)
        XCTAssertEqual(t.bytesReceived, 120)
        XCTAssertEqual(ledger.stepAllToAllBytes, 90)
    }

    func testEndStepFoldsIntoRunAndClears() {
        let ledger = CommLedger(worldRank: 1, topology: Topology(nodeOfRank: [0, 0]))
        for step in 1...3 {
            ledger.recordPeer(.embFwdA2A, peer: 0, sent: step, received: 0)
            ledger.recordCollective(.denseAllreduce, bytes: 1000)
            ledger.recordCall(.denseAllreduce, seconds: 0.5)
            ledger.endStep()
            XCTAssertEqual(ledger.step[CommPhase.embFwdA2A.rawValue].bytesSent, 0)
        }
        XCTAssertEqual(ledger.run[CommPhase.embFwdA2A.rawValue].bytesSent, 6)
        XCTAssertEqual(ledger.run[CommPhase.denseAllreduce.rawValue].collectiveBytes, 3000)
        XCTAssertEqual(ledger.run[CommPhase.denseAllreduce.rawValue].calls, 3)
        XCTAssertEqual(ledger.run[CommPhase.denseAllreduce.rawValue].seconds, 1.5, accuracy: 1e-12)
        XCTAssertEqual(ledger.stepsEnded, 3)
    }

    func testPhaseTagsAreTorchRecStyleAndUnique() {
        XCTAssertEqual(CommPhase.idsA2A.tag, "ids_a2a")
        XCTAssertEqual(CommPhase.replicaGradSync.tag, "replica_grad_sync")
        XCTAssertEqual(Set(CommPhase.allCases.map(\.tag)).count, CommPhase.allCases.count)
        XCTAssertTrue(CommPhase.embBwdA2AIntra.isAllToAll)
        XCTAssertFalse(CommPhase.denseAllreduce.isAllToAll)
    }

    func testLayoutDisplacementsAndMirror() {
        let a = AlltoallvLayout(peers: 3)
        a.set(sendCounts: [2, 0, 5], recvCounts: [1, 4, 0])
        XCTAssertEqual((0..<3).map { a.sendDispls[$0] }, [0, 2, 2])
        XCTAssertEqual((0..<3).map { a.recvDispls[$0] }, [0, 1, 5])
        XCTAssertEqual(a.totalSend, 7); XCTAssertEqual(a.totalRecv, 5)
        let m = AlltoallvLayout(peers: 3)
        m.setMirror(of: a)
        XCTAssertEqual((0..<3).map { m.sendCounts[$0] }, [1, 4, 0])
        XCTAssertEqual(m.totalRecv, 7)
        let s = AlltoallvLayout(peers: 3)
        s.setScaled(a, by: 16)
        XCTAssertEqual(s.totalSend, 7 * 16)
        XCTAssertEqual(s.recvDispls[2], 5 * 16)
    }
}

final class LedgerReportTests: XCTestCase {
    func testMinMeanMaxAcrossRanks() throws {
        let reports = LocalCommunicator.run(worldSize: 4, topology: try .emulated(worldSize: 4, ranksPerNode: 2)) { comm -> LedgerReport in
            // Rank r sends r+1 floats to every rank.
            let counts = [Int](repeating: comm.rank + 1, count: 4)
            _ = comm.alltoallv(.embFwdA2A, [Float](repeating: 0, count: 4 * (comm.rank + 1)), sendCounts: counts)
            comm.ledger.endStep()
            return LedgerReport.reduce(comm.ledger.run, steps: 1, comm: comm)
        }
        XCTAssertEqual(reports[0], reports[3])
        let p = try XCTUnwrap(reports[0].phase(.embFwdA2A))
        // Counts exchange (8 B per peer) plus rows: rank r sends 3 * (8 + 4(r+1)).
        XCTAssertEqual(p.bytesSent.min, 3 * (8 + 4))
        XCTAssertEqual(p.bytesSent.max, 3 * (8 + 16))
        XCTAssertEqual(p.bytesSent.mean, 3 * (8 + 10), accuracy: 1e-9)
        XCTAssertEqual(p.intraNodeBytes.total + p.interNodeBytes.total, p.bytesSent.total)
        XCTAssertEqual(reports[0].allToAllBytesPerStep, p.bytesSent.total)
        XCTAssertTrue(reports[0].table().contains("emb_fwd_a2a"))
    }
}
