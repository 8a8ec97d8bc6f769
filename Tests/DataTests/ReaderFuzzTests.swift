import Data
import Foundation
import Sparse
import Tensors
import XCTest

/// Property-based fuzzing of the readers: seeded random mutations of valid
/// files (bytes flipped to separators and line ends, fields replaced by NaN,
/// infinities, negatives and huge numbers, lines dropped or repeated, the file
/// cut short). Every input is either read or refused with a `DataError`; a
/// trap would end the test process. Bounded in count and time; the seeds are
/// fixed, so a failure repeats (crash cases found are kept as named tests).
final class ReaderFuzzTests: XCTestCase {
    static let tokens = ["nan", "NaN", "inf", "-inf", "-1", "0", "", "99999999999999999999", "1e308", "-0", "0x1F", "4.5", " ",
                         "\u{FEFF}", "\r", "\t", ",", "ffffffff", "123456789", "\"", "é"]

    /// One random change to `text`.
    static func mutate(_ text: String, _ rng: inout StrataRNG) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = rng.nextIndex(below: max(lines.count, 1))
        switch rng.nextIndex(below: 7) {
        case 0:   // a field replaced by an odd token
            var f = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if !f.isEmpty { f[rng.nextIndex(below: f.count)] = tokens[rng.nextIndex(below: tokens.count)] }
            lines[i] = f.joined(separator: ",")
        case 1: lines.remove(at: i)
        case 2: lines.insert(lines[i], at: i)
        case 3:   // one byte changed
            var b = Array(lines[i].utf8)
            let odd: [UInt8] = [0x2C, 0x0A, 0x0D, 0x2D, 0x39, 0x6E, 0x09, 0xFF, 0x00, 0x2E, 0x22]
            if !b.isEmpty { b[rng.nextIndex(below: b.count)] = odd[rng.nextIndex(below: odd.count)] }
            lines[i] = String(decoding: b, as: UTF8.self)
        case 4: lines = Array(lines.prefix(i))   // cut short
        case 5: lines[i] += "," + tokens[rng.nextIndex(below: tokens.count)]
        default: lines[i] = lines[i].replacingOccurrences(of: ",", with: ";")
        }
        return lines.joined(separator: rng.nextIndex(below: 4) == 0 ? "\r\n" : "\n")
    }

    /// Runs `read` on `rounds` mutations (1 to 3 changes each) of `valid`;
    /// returns how many were accepted and refused. Anything but a DataError fails.
    func fuzz(_ valid: String, seed: UInt64, rounds: Int, seconds: Double = 8,
              _ read: (String) throws -> Void) -> (accepted: Int, refused: Int) {
        var rng = StrataRNG(seed: seed)
        var accepted = 0, refused = 0
        let start = Date()
        for round in 0..<rounds where Date().timeIntervalSince(start) < seconds {
            var text = valid
            for _ in 0...rng.nextIndex(below: 3) { text = Self.mutate(text, &rng) }
            do { try read(text); accepted += 1 } catch is DataError { refused += 1 } catch {
                XCTFail("seed \(seed) round \(round): not a DataError: \(error)\n\(text.prefix(400))")
            }
        }
        return (accepted, refused)
    }

    func testMovieLensReaderAcceptsOrRefusesEveryMutation() throws {
        let dir = (temporaryPath("ml") as NSString).deletingLastPathComponent
        let movies = ReaderHardeningTests.movies.joined(separator: "\n") + "\n"
        let ratings = (ReaderHardeningTests.ratings + (0..<30).map { "\(3 + $0 % 5),\(1 + $0 % 3),\(Double(1 + $0 % 9) / 2),\(1000 + $0 * 37)" })
            .joined(separator: "\n") + "\n"
        var c = MovieLensConfig(); c.historyLength = 3; c.evalPerUser = 1
        for (which, valid) in [("ratings", ratings), ("movies", movies)] {
            let other = which == "ratings" ? movies : ratings
            let r = fuzz(valid, seed: which == "ratings" ? 11 : 12, rounds: 300) { text in
                try text.write(toFile: dir + "/ml-latest-small-\(which).csv", atomically: true, encoding: .utf8)
                try other.write(toFile: dir + "/ml-latest-small-\(which == "ratings" ? "movies" : "ratings").csv", atomically: true, encoding: .utf8)
                for skip in [false, true] {
                    let d = try MovieLensDataset(directory: dir, config: c, skipBadLines: skip)
                    for split in [Split.train, .eval] { _ = d.batch(globalStart: 0, count: d.sampleCount(split), split: split, dedup: true) }
                }
            }
            print("fuzz movielens \(which): \(r.accepted) accepted, \(r.refused) refused")
            XCTAssertGreaterThan(r.refused, 0)
            XCTAssertGreaterThan(r.accepted, 0)
        }
    }

    func testCriteoReaderAcceptsOrRefusesEveryMutation() throws {
        var rng = StrataRNG(seed: 5)
        let lines = (0..<20).map { _ -> String in
            let dense = (0..<13).map { _ in rng.nextIndex(below: 3) == 0 ? "" : String(rng.nextIndex(below: 1000) - 2) }
            let cats = (0..<26).map { _ in rng.nextIndex(below: 4) == 0 ? "" : String(format: "%08x", UInt32(truncatingIfNeeded: rng.next())) }
            return ([String(rng.nextIndex(below: 2))] + dense + cats).joined(separator: ",")
        }
        let valid = "label," + (1...13).map { "I\($0)" }.joined(separator: ",") + "," + (1...26).map { "C\($0)" }.joined(separator: ",")
            + "\n" + lines.joined(separator: "\n") + "\n"
        let path = temporaryPath("criteo.csv")
        let r = fuzz(valid, seed: 21, rounds: 400) { text in
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            for skip in [false, true] {
                let d = try CriteoDataset(path: path, config: CriteoConfig(rowsPerTable: 50, skipBadLines: skip, evalEvery: 4))
                _ = d.batch(globalStart: 0, count: d.sampleCount(.train), split: .train, dedup: false)
            }
        }
        print("fuzz criteo: \(r.accepted) accepted, \(r.refused) refused")
        XCTAssertGreaterThan(r.refused, 0)
        XCTAssertGreaterThan(r.accepted, 0)
    }

    func testBinaryReaderAcceptsOrRefusesEveryDamage() throws {
        var c = SyntheticConfig(); c.samples = 200; c.evalSamples = 20; c.itemRows = 100; c.userRows = 50
        let path = temporaryPath("data.strata")
        try BinaryDataset.write(from: SyntheticDataset(c), split: .train, layout: .session, to: path, batchSize: 64)
        let valid = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = StrataRNG(seed: 31)
        var refused = 0, changed = 0
        for round in 0..<300 {
            var b = valid
            switch rng.nextIndex(below: 3) {
            case 0: b[rng.nextIndex(below: b.count)] ^= UInt8(1 << rng.nextIndex(below: 8))
            case 1: b = Array(b.prefix(rng.nextIndex(below: b.count)))
            default: for _ in 0..<8 { b[rng.nextIndex(below: min(b.count, 256))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            if b == valid { continue }
            changed += 1
            let p = temporaryPath("fuzz.strata")
            try Data(b).write(to: URL(fileURLWithPath: p))
            do {
                let d = try BinaryDataset(path: p)
                _ = d.batch(globalStart: 0, count: d.sampleCount(.train), split: .train, dedup: true)
            } catch is DataError { refused += 1 } catch { XCTFail("round \(round): not a DataError: \(error)") }
        }
        print("fuzz binary: \(refused) of \(changed) damaged files refused")
        XCTAssertEqual(refused, changed, "a damaged binary file was read as if whole")
    }
}
