import XCTest
import Collectives
import Foundation

/// The watchdog's threads with ranks as threads: a rank that stops answering
/// while another is blocked in a real collective is named within about the
/// timeout; ranks that keep stepping are never named.
final class StepWatchdogTests: XCTestCase {
    /// What the watchdogs reported, from their threads.
    final class Verdicts: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(rank: Int, verdict: StepTimeout, at: Double)] = []
        let fired = DispatchSemaphore(value: 0)
        func add(_ rank: Int, _ v: StepTimeout) {
            lock.lock(); items.append((rank, v, monotonicSeconds())); lock.unlock()
            fired.signal()
        }
        var all: [(rank: Int, verdict: StepTimeout, at: Double)] { lock.lock(); defer { lock.unlock() }; return items }
    }

    func testARankThatStopsIsNamedWhileTheOtherWaitsInABarrier() throws {
        let verdicts = Verdicts()
        let timeout = 0.3
        let began = try LocalCommunicator.run(worldSize: 2) { comm -> Double in
            let board = try comm.makeProgressBoard(directory: nil)
            let dog = StepWatchdog(rank: comm.rank, size: comm.size, timeout: timeout, at: WatchPoint(step: 0), board: board) {
                verdicts.add(comm.rank, $0)
            }
            dog.start()
            comm.barrier()
            for s in 1...3 { dog.begin(WatchPoint(step: s)); comm.barrier() }
            if comm.rank == 1 {
                // Frozen, as under SIGSTOP: its watchdog's threads stop with it.
                dog.stop()
                // Continued (SIGCONT) only once rank 0's watchdog has spoken, or after 5 s.
                _ = verdicts.fired.wait(timeout: .now() + 5)
                comm.barrier()
                return 0
            }
            let t0 = monotonicSeconds()
            dog.begin(WatchPoint(step: 4))
            comm.barrier()   // blocked: rank 1 does not arrive
            dog.stop()
            return t0
        }
        let got = verdicts.all
        XCTAssertEqual(got.count, 1, "only rank 0's watchdog fires: \(got.map(\.verdict.description))")
        guard let v = got.first else { return }
        XCTAssertEqual(v.rank, 0)
        XCTAssertEqual(v.verdict.point, WatchPoint(step: 4))
        XCTAssertEqual(v.verdict.ranks.map(\.rank), [1])
        // Silent or behind, depending on whether rank 0's heartbeat thread has
        // seen rank 1 quiet for a whole timeout when the check first runs
        // (thread timing; the reasons themselves are held on a set clock in
        // ArrivalCheckTests). Either way rank 1 is named for step 4.
        switch v.verdict.ranks.first?.reason {
        case .silent?: break
        case let .behind(p)?: XCTAssertLessThan(p.mark, WatchPoint(step: 4).mark, "\(v.verdict)")
        default: XCTFail("rank 1 should be silent or behind: \(v.verdict)")
        }
        let waited = v.at - began[0]
        XCTAssertGreaterThan(waited, timeout, "never before the timeout")
        XCTAssertLessThan(waited, 2.0, "within about the timeout (a second one at most, plus ticks)")
    }

    func testRanksThatKeepSteppingAreNeverNamed() throws {
        let verdicts = Verdicts()
        _ = try LocalCommunicator.run(worldSize: 2) { comm -> Int in
            let board = try comm.makeProgressBoard(directory: nil)
            let dog = StepWatchdog(rank: comm.rank, size: comm.size, timeout: 0.4, at: WatchPoint(step: 0), board: board) {
                verdicts.add(comm.rank, $0)
            }
            dog.start()
            comm.barrier()
            for s in 1...10 {
                dog.begin(WatchPoint(step: s))
                // Step 5 is slow on every rank (a checkpoint, say): past the
                // timeout, but both ranks beat, so neither is blamed before 2x.
                Thread.sleep(forTimeInterval: s == 5 ? 0.5 : 0.03)
                comm.barrier()
            }
            dog.stop()
            return 0
        }
        // A stopped watchdog never fires: wait out more than a timeout after stop.
        Thread.sleep(forTimeInterval: 0.6)
        XCTAssertTrue(verdicts.all.isEmpty, "\(verdicts.all.map(\.verdict.description))")
    }

    /// Of three ranks, rank 1 stops while the others wait in a barrier: both
    /// see it silent, but only rank 0 (the lowest rank the verdict does not
    /// name) speaks; rank 2 gives it two timeouts to end the job, so a job
    /// of many ranks prints one line. Rank 2 speaks only if rank 0 does not.
    func testOfThreeRanksOnlyTheLowestHealthyOneSpeaks() throws {
        let verdicts = Verdicts()
        let timeout = 0.5
        _ = try LocalCommunicator.run(worldSize: 3) { comm -> Int in
            let board = try comm.makeProgressBoard(directory: nil)
            let dog = StepWatchdog(rank: comm.rank, size: comm.size, timeout: timeout, at: WatchPoint(step: 0), board: board,
                                   unit: WatchUnit(noun: "round", key: "round_timeout_seconds")) {
                verdicts.add(comm.rank, $0)
            }
            dog.start()
            comm.barrier()
            dog.begin(WatchPoint(step: 1))
            if comm.rank == 1 {
                dog.stop()
                _ = verdicts.fired.wait(timeout: .now() + 5)
                comm.barrier()
                return 0
            }
            comm.barrier()   // blocked until rank 0 has spoken
            dog.stop()
            return 0
        }
        Thread.sleep(forTimeInterval: 2 * timeout)
        let got = verdicts.all
        XCTAssertEqual(got.map(\.rank), [0], "rank 0 alone speaks: \(got.map { "\($0.rank): \($0.verdict)" })")
        XCTAssertEqual(got.first?.verdict.ranks.map(\.rank), [1])
        XCTAssertTrue(got.first?.verdict.description.hasPrefix("round 1: rank(s) 1 did not arrive") ?? false, "\(got.map(\.verdict))")
    }

    /// When the lowest healthy rank does not speak (it too is gone), the next
    /// one does, two timeouts later.
    func testTheNextRankSpeaksWhenTheFirstDoesNot() throws {
        final class TwoFrozenPeersBoard: ProgressBoard, @unchecked Sendable {
            private let lock = NSLock()
            private var mine = ProgressSlot.empty
            func publish(_ slot: ProgressSlot) { lock.lock(); mine = slot; lock.unlock() }
            func read() -> [ProgressSlot]? {
                lock.lock(); defer { lock.unlock() }
                return [ProgressSlot(mark: 8, beat: 5), ProgressSlot(mark: 8, beat: 5), mine]
            }
        }
        let verdicts = Verdicts(), timeout = 0.3
        // Rank 2 of 3 sees ranks 0 and 1 silent: it is the lowest rank not named, and speaks at once.
        let dog = StepWatchdog(rank: 2, size: 3, timeout: timeout, at: WatchPoint(step: 0), board: TwoFrozenPeersBoard()) { verdicts.add(2, $0) }
        dog.start()
        dog.begin(WatchPoint(step: 1))
        let t0 = monotonicSeconds()
        _ = verdicts.fired.wait(timeout: .now() + 5)
        dog.stop()
        XCTAssertEqual(verdicts.all.first?.verdict.ranks.map(\.rank), [0, 1])
        XCTAssertLessThan(verdicts.all.first.map { $0.at - t0 } ?? 99, 3 * timeout, "no deferral when this rank is the first healthy one")

        // Rank 2 of 3 sees only rank 1 silent: rank 0 should speak; frozen too (its slot reads alive
        // here, but nothing ends the job), so rank 2 speaks after two more timeouts.
        final class OneFrozenPeerBoard: ProgressBoard, @unchecked Sendable {
            private let lock = NSLock()
            private var mine = ProgressSlot.empty
            private var beat: Int64 = 0
            func publish(_ slot: ProgressSlot) { lock.lock(); mine = slot; beat += 1; lock.unlock() }
            func read() -> [ProgressSlot]? {
                lock.lock(); defer { lock.unlock() }
                return [ProgressSlot(mark: mine.mark, beat: beat), ProgressSlot(mark: 8, beat: 5), mine]
            }
        }
        let later = Verdicts()
        let dog2 = StepWatchdog(rank: 2, size: 3, timeout: timeout, at: WatchPoint(step: 0), board: OneFrozenPeerBoard()) { later.add(2, $0) }
        dog2.start()
        let t1 = monotonicSeconds()
        dog2.begin(WatchPoint(step: 1))
        _ = later.fired.wait(timeout: .now() + 5)
        dog2.stop()
        guard let v = later.all.first else { return XCTFail("rank 2 speaks in the end") }
        XCTAssertEqual(v.verdict.ranks.map(\.rank), [1])
        XCTAssertGreaterThan(v.at - t1, 3 * timeout, "a timeout for rank 1 to be named, then two for rank 0 to speak")
    }

    /// A board whose other rank froze (it exited, say) while this rank's own
    /// slot is whatever this rank writes.
    final class FrozenPeerBoard: ProgressBoard, @unchecked Sendable {
        private let lock = NSLock()
        private var mine = ProgressSlot.empty
        func publish(_ slot: ProgressSlot) { lock.lock(); mine = slot; lock.unlock() }
        func read() -> [ProgressSlot]? { lock.lock(); defer { lock.unlock() }; return [mine, ProgressSlot(mark: 8, beat: 5)] }
    }

    /// This rank's own clock jumps by 100 s, as it does for a process stopped
    /// with SIGSTOP and continued by the job's end: the watchdog must see that
    /// it was the one stopped and give the others two timeouts before naming
    /// anyone (without that it named the silent peer at once, a second line
    /// blaming a healthy rank that had already ended the job over this one).
    func testARankWhoseOwnThreadsWereStoppedWaitsTwoTimeoutsBeforeNamingAnyone() {
        final class JumpClock: @unchecked Sendable {
            let lock = NSLock()
            var offset = 0.0
            func now() -> Double { lock.lock(); defer { lock.unlock() }; return monotonicSeconds() + offset }
            func jump(_ by: Double) { lock.lock(); offset += by; lock.unlock() }
        }
        let clock = JumpClock(), verdicts = Verdicts(), timeout = 0.4
        let dog = StepWatchdog(rank: 0, size: 2, timeout: timeout, at: WatchPoint(step: 0), board: FrozenPeerBoard(),
                               clock: clock.now) { verdicts.add(0, $0) }
        dog.start()
        dog.begin(WatchPoint(step: 1))
        Thread.sleep(forTimeInterval: 0.15)
        let woke = monotonicSeconds()
        clock.jump(100)
        _ = verdicts.fired.wait(timeout: .now() + 5)
        dog.stop()
        guard let v = verdicts.all.first else { return XCTFail("the frozen peer is named in the end") }
        XCTAssertEqual(v.verdict.ranks.map(\.rank), [1])
        XCTAssertGreaterThan(v.at - woke, 2 * timeout - 0.05, "not before two timeouts after waking: \(v.verdict)")
    }

    func testTheFileBoardShowsEveryRankItsPeersSlots() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-board-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/progress.bin"
        try FileProgressBoard.create(path: path, size: 3)
        let boards = try (0..<3).map { try FileProgressBoard(path: path, rank: $0, size: 3) }
        XCTAssertEqual(boards[2].read(), Array(repeating: .empty, count: 3))
        boards[0].publish(ProgressSlot(mark: 7, beat: 41))
        boards[2].publish(ProgressSlot(mark: 6, beat: 1 << 40))
        let expected = [ProgressSlot(mark: 7, beat: 41), .empty, ProgressSlot(mark: 6, beat: 1 << 40)]
        XCTAssertEqual(boards[1].read(), expected)
        XCTAssertEqual(boards[0].read(), expected)
        // A new run empties the board a previous one left.
        try FileProgressBoard.create(path: path, size: 3)
        XCTAssertEqual(boards[1].read(), Array(repeating: .empty, count: 3))
        XCTAssertThrowsError(try FileProgressBoard.create(path: path + "/x", size: 3)) { e in
            XCTAssertTrue("\(e)".contains("progress.bin"), "names the path: \(e)")
        }
    }
}
