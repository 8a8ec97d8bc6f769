import Foundation
import XCTest
import Federated

final class SourceAndDPTests: XCTestCase {
    func movieLensDir() throws -> String {
        let root = URL(fileURLWithPath: #filePath)   // Tests/FederatedTests/SourceAndDPTests.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/data/movielens").path
        guard FileManager.default.fileExists(atPath: dir) else { throw XCTSkip("data folder \(dir) is absent") }
        return dir
    }

    /// MovieLens: one client per user, the last 10 % of each user's ratings
    /// (at least one) their test split; ids inside their tables; public
    /// features label-free (a genre histogram that sums to 1, and activity).
    func testMovieLensClients() throws {
        let ml = try MovieLensClients(directory: try movieLensDir())
        XCTAssertEqual(ml.population, 610)
        XCTAssertEqual(ml.tableRows[0], 9742)
        XCTAssertEqual(ml.tableRows[2], 610)
        var total = 0
        for u in [0, 1, 100, 609] {
            let d = try ml.data(client: u)
            let n = d.train.count + d.test.count
            total += n
            XCTAssertEqual(d.test.count, max(1, Int((Double(n) * 0.1).rounded())))
            XCTAssertEqual(d.train.count, ml.trainCount(client: u))
            XCTAssertTrue(d.train.labels.allSatisfy { $0 == 0 || $0 == 1 })
            for p in 0..<3 { XCTAssertTrue(stride(from: p, to: d.train.ids.count, by: 3).allSatisfy { Int(d.train.ids[$0]) < ml.tableRows[p] }) }
            XCTAssertTrue(d.train.ids[2] == Int32(u))
            let f = ml.publicFeatures(client: u)
            XCTAssertEqual(f.dropLast().reduce(0, +), 1, accuracy: 1e-9)
        }
        XCTAssertGreaterThan(total, 0)
    }

    /// A DP round: every update clipped (tiny C), epsilon reported as the accountant's.
    func testCentralDPRound() {
        let source = tinySource(population: 40)
        var cfg = tinyConfig(rounds: 3, k: 8)
        cfg.dp = CentralDP(clip: 1e-3, noiseMultiplier: 1.2, delta: 1e-5)
        let (recs, w) = runFederation(config: cfg, source: source, rounds: 3)
        for r in recs {
            XCTAssertEqual(r.clippedFraction, 1)
            XCTAssertEqual(r.epsilon!, RDPAccountant.epsilon(q: 8.0 / 40, sigma: 1.2, rounds: r.round, delta: 1e-5), accuracy: 1e-12)
        }
        XCTAssertTrue(w.allSatisfy(\.isFinite))
        XCTAssertLessThan(recs[0].epsilon!, recs[2].epsilon!)
    }
}

final class OverArchTests: XCTestCase {
    /// With a residual, the over-arch starts as the sum of those inputs (FEL:
    /// the client's own leaf), and training moves it towards the labels.
    func testResidualOverArchStartsAtItsResidual() {
        let arch = OverArch(inputs: 6, hidden: [4], maxBatch: 8, seed: 3, residual: 4..<6)
        let x: [Float] = [0.3, -1, 0, 1, 2.5, 0,   1, 1, 1, 0, 0, -0.7]
        XCTAssertEqual(arch.logits(x, count: 2), [2.5, -0.7])
        var update = [Float](repeating: 0, count: arch.parameterCount)
        let global = Array(arch.params.buffer)
        let labels: [Float] = [0, 1]
        let before = -log(1 / (1 + exp(2.5))) - log(1 / (1 + exp(0.7)))
        global.withUnsafeBufferPointer { g in
            update.withUnsafeMutableBufferPointer {
                _ = arch.train(from: g.baseAddress!, features: x, labels: labels, epochs: 20, batch: 0, learningRate: 0.5,
                               shuffleSeed: 1, update: $0.baseAddress!)
            }
        }
        let z = arch.logits(x, count: 2)
        let after = Double(-log(1 / (1 + exp(z[0]))) - log(1 / (1 + exp(-z[1]))))
        XCTAssertLessThan(after, Double(before))
        XCTAssertEqual(zip(global, Array(arch.params.buffer)).map { $0 - $1 }, update)
    }
}
