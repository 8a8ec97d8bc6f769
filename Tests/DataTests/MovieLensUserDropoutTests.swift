import Data
import Foundation
import Sparse
import XCTest

/// `data.movielens.user_dropout`: a seeded share of training history windows
/// read the shared unknown user row; eval never does, samples sharing a window
/// agree (so dedup holds), and 0 is the reader as it was.
final class MovieLensUserDropoutTests: XCTestCase {
    func users(_ ds: MovieLensDataset, _ split: Split, dedup: Bool = true) -> [Int64] {
        Array(ds.all(split, dedup: dedup).userSide.expanded().values(forKey: "user")!)
    }

    func testZeroIsTheReaderAsItWas() throws {
        let plain = try tinyMovieLens(), zero = try tinyMovieLens { $0.userDropout = 0 }
        XCTAssertEqual(zero.schema, plain.schema)
        XCTAssertNil(zero.unknownUserRow)
        for split in [Split.train, .eval] { XCTAssertEqual(zero.all(split), plain.all(split)) }
    }

    func testDroppedWindowsReadTheUnknownRowInTrainingOnly() throws {
        let own = users(try tinyMovieLens(), .train)
        var sawBoth = false
        for seed in 1...40 as ClosedRange<UInt64> {
            let ds = try tinyMovieLens { $0.userDropout = 0.5; $0.splitSeed = seed }
            let unknown = Int64(try XCTUnwrap(ds.unknownUserRow))
            XCTAssertEqual(ds.schema.tables.first { $0.name == "user" }?.rows, Int(unknown) + 1)
            let got = users(ds, .train)
            XCTAssertEqual(got.count, own.count)
            for (g, o) in zip(got, own) { XCTAssertTrue(g == o || g == unknown, "seed \(seed): \(got) against \(own)") }
            // One decision per window: with and without dedup the same ids.
            XCTAssertEqual(users(ds, .train, dedup: false), got)
            XCTAssertFalse(users(ds, .eval).contains(unknown), "eval keeps every user's own row")
            if got.contains(unknown) && zip(got, own).contains(where: { $0 == $1 }) { sawBoth = true }
            // Seeded: the same draw again.
            XCTAssertEqual(users(try tinyMovieLens { $0.userDropout = 0.5; $0.splitSeed = seed }, .train), got)
        }
        XCTAssertTrue(sawBoth, "some seed drops some windows and keeps others")
    }

    func testTheShareOnMovieLens() throws {
        var c = MovieLensConfig()
        c.historyLength = 200; c.sessionGapSeconds = 0; c.userDropout = 0.3
        let ds = try MovieLensDataset(directory: try sharedData("movielens"), config: c)
        let b = ds.all(.train)
        let rows = Array(b.userSide.unique.values(forKey: "user")!)
        let share = Double(rows.filter { $0 == Int64(ds.unknownUserRow!) }.count) / Double(rows.count)
        XCTAssertEqual(share, 0.3, accuracy: 0.02, "\(rows.count) training windows")
    }
}
