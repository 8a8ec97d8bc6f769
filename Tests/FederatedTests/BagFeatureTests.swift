import Foundation
import XCTest
import Federated

/// Bag features on the on-device model (a history of clicked items, mean-pooled)
/// and MovieLens's reference features (RF^2: no user id, the last clicks).
final class BagFeatureTests: XCTestCase {
    /// Two features: an item (one id) and a bag of up to 3 history ids on its own table.
    struct BagSource: ClientSource {
        var population: Int { 1 }
        var denseFeatures: Int { 2 }
        var tableRows: [Int] { [6, 5] }
        var bagSizes: [Int] { [1, 3] }
        let samples: ClientSamples
        func data(client: Int) throws -> ClientData { ClientData(train: samples, test: samples) }   // the federation evaluates on a non-empty test split
        func trainCount(client: Int) -> Int { samples.count }
        func publicFeatures(client: Int) -> [Double] { [0] }
        func trueGroup(client: Int) -> Int? { nil }
        var describe: String { "bags" }
    }

    func spec(bag: Int) -> ModelSpec {
        ModelSpec(denseFeatures: 2, tableRows: [6, 5], dim: 4, bottom: [8, 4], top: [8, 1], bagSizes: [1, bag])
    }

    /// Bags with a repeated id, padding, one id and none.
    let samples = ClientSamples(count: 4, dense: [0.5, -1, 0.2, 0.3, -0.7, 1, 0, 0.4],
                                ids: [1, 2, 2, -1,   3, 0, 4, 1,   5, 3, -1, -1,   0, -1, -1, -1],
                                labels: [1, 0, 1, 0])

    /// Mean BCE at the flat vector `w`.
    func meanLoss(_ m: ClientModel, _ w: [Float], _ s: ClientSamples) -> Double {
        w.withUnsafeBufferPointer { m.load(from: $0.baseAddress!) }
        var l = 0.0
        for (z, y) in zip(m.logits(s), s.labels) {
            let zd = Double(z)
            l += max(zd, 0) - zd * Double(y) + log1p(exp(-abs(zd)))
        }
        return l / Double(s.count)
    }

    /// One full-batch step moves every bag row by -lr x the finite-difference
    /// gradient: the pooled gradient reaches each id over its bag's size, a
    /// repeated id twice; rows in no bag stay.
    func testBagGradientMatchesFiniteDifferences() {
        let m = ClientModel(spec: spec(bag: 3), maxBatch: 3, seed: 5)   // 4 samples: two chunks
        let w0 = m.flat()
        var update = [Float](repeating: 0, count: m.parameterCount)
        w0.withUnsafeBufferPointer { g in
            update.withUnsafeMutableBufferPointer { u in
                _ = m.trainFull(from: g.baseAddress!, data: samples, epochs: 1, batch: 0, learningRate: 1,
                                proximalMu: 0, shuffleSeed: nil, update: u.baseAddress!)
            }
        }
        let D = 4, history = m.denseCount + 6 * D
        let h: Float = 1e-2
        for row in 0..<5 {
            for d in [0, 3] {
                let i = history + row * D + d
                var plus = w0, minus = w0
                plus[i] += h; minus[i] -= h
                let g = (meanLoss(m, plus, samples) - meanLoss(m, minus, samples)) / Double(2 * h)
                XCTAssertEqual(Double(update[i]), g, accuracy: 2e-4 + 0.02 * abs(g), "history row \(row), d \(d)")
                XCTAssertNotEqual(update[i], 0, "row \(row) is in a bag")
            }
        }
        // Rows in no bag of the client's samples do not move.
        let unread = ClientModel(spec: spec(bag: 3), maxBatch: 4, seed: 5)
        let only = ClientSamples(count: 1, dense: [0, 0], ids: [0, 4, -1, -1], labels: [1])
        var u2 = [Float](repeating: 0, count: unread.parameterCount)
        w0.withUnsafeBufferPointer { g in
            u2.withUnsafeMutableBufferPointer { u in
                _ = unread.trainFull(from: g.baseAddress!, data: only, epochs: 1, batch: 0, learningRate: 1,
                                     proximalMu: 0, shuffleSeed: nil, update: u.baseAddress!)
            }
        }
        for row in 0..<4 { for d in 0..<D { XCTAssertEqual(u2[history + row * D + d], 0) } }
        XCTAssertNotEqual(u2[history + 4 * D], 0)
    }

    /// A bag holding one id (the rest padding) is that id as a plain feature;
    /// a bag [a, b] is the mean of the two rows; an empty bag pools to zeros.
    func testBagPooling() {
        let bag = ClientModel(spec: spec(bag: 3), maxBatch: 4, seed: 9)
        let single = ClientModel(spec: spec(bag: 1), maxBatch: 4, seed: 9)
        XCTAssertEqual(bag.flat(), single.flat(), "same tables, same dense part")
        let asBag = ClientSamples(count: 2, dense: [1, 2, 3, 4], ids: [2, -1, 3, -1, 0, 4, -1, -1], labels: [0, 1])
        let asOne = ClientSamples(count: 2, dense: [1, 2, 3, 4], ids: [2, 3, 0, 4], labels: [0, 1])
        XCTAssertEqual(bag.logits(asBag), single.logits(asOne))
        // [1, 3] pools to the mean: a single-id model whose row 1 holds that mean scores the same.
        var w = single.flat()
        let t = single.denseCount + 6 * 4
        let mean = (0..<4).map { (w[t + 4 + $0] + w[t + 12 + $0]) / 2 }
        for d in 0..<4 { w[t + 4 + d] = mean[d] }
        w.withUnsafeBufferPointer { single.load(from: $0.baseAddress!) }
        XCTAssertEqual(bag.logits(ClientSamples(count: 1, dense: [1, 2], ids: [5, 1, 3, -1], labels: [1]))[0],
                       single.logits(ClientSamples(count: 1, dense: [1, 2], ids: [5, 1], labels: [1]))[0], accuracy: 1e-6)
        // Empty: every history row's value is irrelevant.
        var w2 = bag.flat()
        let empty = ClientSamples(count: 1, dense: [1, 2], ids: [5, -1, -1, -1], labels: [1])
        let before = bag.logits(empty)
        for i in t..<(t + 5 * 4) { w2[i] += 3 }
        w2.withUnsafeBufferPointer { bag.load(from: $0.baseAddress!) }
        XCTAssertEqual(bag.logits(empty), before)
    }

    /// A FedAvg run with a bag feature trains (its rows move) and repeats exactly.
    func testFederationWithBags() throws {
        let src = BagSource(samples: samples)
        var cfg = tinyConfig(rounds: 2, k: 1)
        cfg.evalClients = 1
        let a = try runFL(ranks: 1, config: cfg, source: src), b = try runFL(ranks: 2, config: cfg, source: src)
        XCTAssertEqual(a, b)
        let m = ClientModel(spec: cfg.model.spec(for: src), maxBatch: cfg.maxBatch, seed: cfg.seed)
        XCTAssertEqual(m.spec.bagSizes, [1, 3])
        XCTAssertNotEqual(a, m.flat())
    }

    /// The reference features on a hand-written file: no user id, the last 2
    /// clicks of strictly earlier TRAINING ratings, padded with -1.
    func testMovieLensReferenceFeatures() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-bags-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "movieId,title,genres\n10,A (1999),Drama\n20,B (2001),Comedy\n30,C (2003),Drama|Comedy\n40,D (2005),Drama\n"
            .write(to: dir.appendingPathComponent("ml-latest-small-movies.csv"), atomically: true, encoding: .utf8)
        // User 1: t 100 m10 liked, t 200 m20 liked, t 200 m30 disliked, t 300 m40 liked, t 400 m30 liked.
        // 10 % of 5 rounds to 1 test rating (t 400); the rest train.
        try "userId,movieId,rating,timestamp\n1,10,4.0,100\n1,20,5.0,200\n1,30,2.0,200\n1,40,4.5,300\n1,30,4.0,400\n"
            .write(to: dir.appendingPathComponent("ml-latest-small-ratings.csv"), atomically: true, encoding: .utf8)
        let ml = try MovieLensClients(directory: dir.path, userFeature: false, historyClicks: 2)
        XCTAssertEqual(ml.tableRows, [4, 2, 4])
        XCTAssertEqual(ml.bagSizes, [1, 1, 2])
        let d = try ml.data(client: 0)
        func bags(_ s: ClientSamples) -> [[Int32]] { (0..<s.count).map { Array(s.ids[($0 * 4 + 2)..<($0 * 4 + 4)]) } }
        XCTAssertEqual(d.train.count, 4)
        XCTAssertEqual(bags(d.train), [[-1, -1], [0, -1], [0, -1], [0, 1]])   // t 200 sees only t 100
        XCTAssertEqual(bags(d.test), [[1, 3]])                                 // the last 2 clicks before t 400
        XCTAssertEqual(d.train.ids[0...1], [0, 1])                             // movie, genre (by name: Comedy 0, Drama 1); no user id
        // The default keeps the user id and no history.
        let plain = try MovieLensClients(directory: dir.path)
        XCTAssertEqual(plain.tableRows, [4, 2, 1])
        XCTAssertEqual(plain.bagSizes, [1, 1, 1])
        XCTAssertEqual(try plain.data(client: 0).train.ids.count, 12)
    }
}
