import Data
import Foundation
import Sparse
import XCTest

final class CriteoTests: XCTestCase {
    func samplePath() throws -> String { try sharedData("criteo") + "/criteo_sample.csv" }

    func testSampleParses() throws {
        let cfg = CriteoConfig(rowsPerTable: 1000)
        let (b, bad) = try CriteoReader.readAll(path: try samplePath(), config: cfg)
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(b.size, 200)
        XCTAssertEqual(b.labels.filter { $0 == 1 }.count, 49)
        XCTAssertEqual(b.dense.count, 200 * 13)
        XCTAssertEqual(b.itemSide.keys.count, 26)
        XCTAssertEqual(b.userSide.keys, [])
        // Row 0: ",,3,260.0,,17668.0,..." -> I2 = log(4), I3 = log(261), I1 missing = 0.
        XCTAssertEqual(b.dense[0], 0)
        XCTAssertEqual(b.dense[1], Float(log(4.0)), accuracy: 1e-6)
        XCTAssertEqual(b.dense[2], Float(log(261.0)), accuracy: 1e-5)
        // Row 1 has I2 = -1 -> 0.
        XCTAssertEqual(b.dense[13 + 1], 0)
        // C1 of row 0 is 05db9164; C19 of row 0 is missing (empty bag).
        XCTAssertEqual(Array(b.itemSide.bag(key: 0, sample: 0)), [Int64(0x05db9164 % 1000)])
        XCTAssertEqual(b.itemSide.bag(key: 18, sample: 0).count, 0)
        XCTAssert(b.itemSide.values.allSatisfy { $0 >= 0 && $0 < 1000 })
    }

    func testTSVParsesIdentically() throws {
        let csv = try String(contentsOfFile: try samplePath(), encoding: .utf8)
        let tsv = csv.split(separator: "\n").dropFirst().map { $0.replacingOccurrences(of: ",", with: "\t") }
            .joined(separator: "\n") + "\n"
        let path = temporaryPath("train.txt")
        try tsv.write(toFile: path, atomically: true, encoding: .utf8)
        let cfg = CriteoConfig(rowsPerTable: 5000)
        XCTAssertEqual(try CriteoReader.readAll(path: path, config: cfg).batch,
                       try CriteoReader.readAll(path: try samplePath(), config: cfg).batch)
    }

    func testStreamingBatchesAndSplit() throws {
        let cfg = CriteoConfig(rowsPerTable: 1000, evalEvery: 5)
        var r = try CriteoReader(path: try samplePath(), config: cfg, split: .train)
        var sizes: [Int] = []
        var parts: [Batch] = []
        while let b = try r.next(maxCount: 37) { sizes.append(b.size); parts.append(b) }
        XCTAssertEqual(sizes, [37, 37, 37, 37, 12])
        let ds = try CriteoDataset(path: try samplePath(), config: cfg)
        XCTAssertEqual(ds.sampleCount(.train), 160)
        XCTAssertEqual(ds.sampleCount(.eval), 40)
        XCTAssertEqual(try Batch.concatenating(parts), ds.all(.train))
        let all = try CriteoReader.readAll(path: try samplePath(), config: CriteoConfig(rowsPerTable: 1000)).batch
        // Eval sample 0 is data line 5 (index 4).
        XCTAssertEqual(ds.batch(globalStart: 0, count: 1, split: .eval).labels[0], all.labels[4])
        XCTAssertEqual(ds.batch(globalStart: 1, count: 1, split: .eval).itemSide, all.itemSide.slicing(samples: 9..<10))
    }

    func writeBadFile() throws -> String {
        let lines = try String(contentsOfFile: try samplePath(), encoding: .utf8).split(separator: "\n").map(String.init)
        var out = Array(lines[0..<4])
        out.append("1,2,3")                                    // line 5: too few fields
        out.append(contentsOf: lines[4..<6])
        out.append(lines[6].replacingOccurrences(of: "05db9164", with: "zzzz"))  // line 8, maybe
        out.append("7" + lines[7].dropFirst())                 // line 9: label 7
        let path = temporaryPath("bad.csv")
        try (out.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testMalformedLineNamesFileAndLine() throws {
        let path = try writeBadFile()
        XCTAssertThrowsError(try CriteoReader.readAll(path: path, config: CriteoConfig(rowsPerTable: 100))) { e in
            guard case let DataError.malformedLine(file, line, reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(file, path); XCTAssertEqual(line, 5)
            XCTAssert(reason.contains("40 fields"), reason)
            XCTAssert("\(e)".hasPrefix("\(path):5:"), "\(e)")
        }
    }

    func testSkipBadLinesCounts() throws {
        let path = try writeBadFile()
        let (b, bad) = try CriteoReader.readAll(path: path, config: CriteoConfig(rowsPerTable: 100, skipBadLines: true))
        XCTAssertEqual(bad, 2 + (try String(contentsOfFile: path, encoding: .utf8).contains("zzzz") ? 1 : 0))
        XCTAssertEqual(b.size, 9 - 1 - bad)
    }

    func testEmptyFileIsAnError() throws {
        let path = temporaryPath("empty.txt")
        FileManager.default.createFile(atPath: path, contents: Foundation.Data())
        XCTAssertThrowsError(try CriteoReader.readAll(path: path, config: CriteoConfig())) { e in
            XCTAssertEqual(e as? DataError, .emptyFile(file: path))
        }
        let headerOnly = temporaryPath("header.csv")
        try "label,I1\n".write(toFile: headerOnly, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CriteoReader.readAll(path: headerOnly, config: CriteoConfig())) { e in
            XCTAssertEqual(e as? DataError, .emptyFile(file: headerOnly))
        }
        XCTAssertThrowsError(try CriteoReader.readAll(path: "/nonexistent/x.txt", config: CriteoConfig()))
    }
}
