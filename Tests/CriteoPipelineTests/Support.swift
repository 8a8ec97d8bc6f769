import Collectives
import CriteoPipeline
import Data
import Foundation
import XCTest

/// A fresh folder under the temporary directory, removed by the test's teardown.
func scratch(_ test: XCTestCase, _ name: String = #function) throws -> String {
    let dir = NSTemporaryDirectory() + "strata-criteo-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Converts on one in-process rank.
@discardableResult
func convert(_ inputs: [String], to out: String, ids: CriteoIDs = .hash(tableRows: Array(repeating: 1000, count: 26)),
             skipBadLines: Bool = false) throws -> CriteoConversionReport {
    try CriteoConversion(inputs: inputs, output: out, ids: ids, skipBadLines: skipBadLines).run(comm: LocalCommunicator())
}

/// Converts on `ranks` in-process ranks; every rank's report (they agree).
func convert(_ inputs: [String], to out: String, ranks: Int, ids: CriteoIDs) throws -> [CriteoConversionReport] {
    try LocalCommunicator.run(worldSize: ranks) { comm in
        try CriteoConversion(inputs: inputs, output: out, ids: ids).run(comm: comm)
    }
}

func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// Runs a system tool (the independent gzip), failing the test if it fails.
func shell(_ command: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run(); p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw NSError(domain: "shell", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: command]) }
}

/// The message of the error `body` throws ("" if none).
func failure(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

/// Each rank's error message from `body` on `ranks` in-process ranks ("" for none).
func failures(ranks: Int, _ body: @escaping (LocalCommunicator) throws -> Void) -> [String] {
    LocalCommunicator.run(worldSize: ranks) { comm in failure { try body(comm) } }
}

/// Samples `r` of a Criteo batch, numbered from `sampleIndex` (default r's start).
func slice(_ b: Batch, _ r: Range<Int>, sampleIndex: Int? = nil) -> Batch {
    Batch(size: r.count, labels: Array(b.labels[r]), dense: Array(b.dense[(r.lowerBound * 13)..<(r.upperBound * 13)]),
          itemSide: b.itemSide.slicing(samples: r), userSide: .identity(.empty(stride: r.count)),
          sampleIndex: sampleIndex ?? r.lowerBound)
}
