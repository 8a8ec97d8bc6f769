import XCTest
import Collectives
import MallocCounter

/// A command's watch point (`PhaseWatch.next`, `reach`: fl's every round
/// header, iae's every phase) allocates nothing on the calling thread: the
/// watchdog's own threads do the rest.
final class PhaseWatchAllocationTests: XCTestCase {
    func testAPointAllocatesNothing() throws {
        try XCTSkipUnless(strata_malloc_count_supported() == 1, "the malloc counter needs glibc")
        let counts = try LocalCommunicator.run(worldSize: 2) { comm -> Int in
            let unit = WatchUnit(noun: "round", key: "round_timeout_seconds")
            guard let watch = try PhaseWatch.start(comm: comm, timeout: 600, directory: nil, unit: unit) else { return -1 }
            defer { watch.stop() }
            watch.next()
            strata_malloc_count_start()
            for _ in 0..<1000 {
                watch.next()
                watch.reach(.evaluation)
            }
            let n = strata_malloc_count_stop()
            XCTAssertEqual(watch.count, 1001)
            comm.barrier()
            return n
        }
        XCTAssertEqual(counts, [0, 0], "allocations during 2000 points per rank")
    }
}
