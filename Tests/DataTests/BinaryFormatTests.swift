import Data
import Foundation
import Sparse
import XCTest

final class BinaryFormatTests: XCTestCase {
    func synthetic() -> SyntheticDataset {
        var c = SyntheticConfig(); c.samples = 3_000; c.evalSamples = 500; c.itemRows = 10_000; c.userRows = 2_000
        return SyntheticDataset(c)
    }

    func roundTrip(_ source: some BatchSource, split: Split, layout: BinaryLayout, batchSize: Int = 1000) throws -> (Int, BinaryDataset) {
        let path = temporaryPath("data-\(layout).strata")
        let bytes = try BinaryDataset.write(from: source, split: split, layout: layout, to: path, batchSize: batchSize)
        let back = try BinaryDataset(path: path)
        XCTAssertEqual(back.schema, source.schema)
        XCTAssertEqual(back.sampleCount(split), source.sampleCount(split))
        XCTAssertEqual(back.all(split).withoutDedup(), source.all(split, dedup: false), "\(layout)")
        // Any slice reads back exactly too.
        XCTAssertEqual(back.batch(globalStart: 137, count: 211, split: split, dedup: true).withoutDedup(),
                       source.batch(globalStart: 137, count: 211, split: split, dedup: false))
        return (bytes, back)
    }

    func testSyntheticRoundTripBothLayouts() throws {
        let ds = synthetic()
        let (flatBytes, _) = try roundTrip(ds, split: .train, layout: .flat)
        let (sessionBytes, back) = try roundTrip(ds, split: .train, layout: .session, batchSize: 997)
        print("synthetic 3000 samples: flat \(flatBytes) bytes, session \(sessionBytes) bytes, ratio \(Double(flatBytes) / Double(sessionBytes))")
        XCTAssertLessThan(Double(sessionBytes), 0.7 * Double(flatBytes))
        // The session layout keeps the dedup: at most one row per session.
        XCTAssertLessThanOrEqual(back.header.uniqueCount, 500)
        let b = back.batch(globalStart: 0, count: 60, split: .train, dedup: true)
        XCTAssertEqual(b.userSide.uniqueCount, 10)
        XCTAssertEqual(back.sampleCount(.eval), 0)
    }

    func testCriteoAndMovieLensRoundTrip() throws {
        let criteo = try CriteoDataset(path: try sharedData("criteo") + "/criteo_sample.csv",
                                       config: CriteoConfig(rowsPerTable: 1000, evalEvery: 10))
        _ = try roundTrip(criteo, split: .train, layout: .flat)
        _ = try roundTrip(criteo, split: .eval, layout: .session)
        var cfg = MovieLensConfig(); cfg.historyLength = 10
        let ml = try MovieLensDataset(directory: try sharedData("movielens"), config: cfg)
        let (flat, _) = try roundTrip(ml, split: .eval, layout: .flat)
        let (session, _) = try roundTrip(ml, split: .eval, layout: .session)
        print("movielens eval: flat \(flat) bytes, session \(session) bytes")
        XCTAssertLessThan(session, flat)
    }

    func testCorruptionDetected() throws {
        let ds = synthetic()
        let path = temporaryPath("c.strata")
        try BinaryDataset.write(from: ds, split: .eval, layout: .session, to: path)
        let good = try Foundation.Data(contentsOf: URL(fileURLWithPath: path))

        func expect(_ bytes: Foundation.Data, _ check: (DataError) -> Bool, _ what: String) throws {
            let p = temporaryPath("bad.strata")
            try bytes.write(to: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try BinaryDataset(path: p), what) { e in
                guard let e = e as? DataError else { return XCTFail("\(e)") }
                XCTAssert(check(e), "\(what): \(e)")
                XCTAssert("\(e)".contains(p), "error should name the file: \(e)")
            }
        }
        var flipped = good; flipped[good.count - 5] ^= 0x40
        try expect(flipped, { if case let .corrupted(_, r) = $0 { return r.contains("checksum") }; return false }, "flip")
        try expect(good.prefix(good.count - 100), { if case .truncated = $0 { return true }; return false }, "truncate")
        try expect(good.prefix(30), { if case .truncated = $0 { return true }; return false }, "truncate header")
        try expect(Foundation.Data(), { if case .truncated = $0 { return true }; return false }, "empty")
        var magic = good; magic[0] = 0
        try expect(magic, { if case .corrupted = $0 { return true }; return false }, "magic")
        try expect(good + Foundation.Data([1, 2, 3]), { if case .corrupted = $0 { return true }; return false }, "trailing")
        XCTAssertThrowsError(try BinaryDataset(path: path + ".missing"))
        // The good file still opens; no temporary files are left next to it.
        XCTAssertNoThrow(try BinaryDataset(path: path))
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }, [])
    }
}
