import Data
import Foundation
import Training
import XCTest

/// The item + user rate blend against rates counted here from the batches:
/// logit(item) + logit(user) - logit(base), a user absent from training
/// counting as the base rate (the item's rate alone).
final class BlendBaselineTests: XCTestCase {
    func testBlendEqualsRatesCountedByHandAndUnseenUsersFallBackToTheItem() throws {
        var c = SyntheticConfig()
        c.samples = 300; c.evalSamples = 200; c.itemRows = 12; c.userRows = 400
        let source = SyntheticDataset(c)
        let train = source.all(.train), eval = source.all(.eval)
        func ids(_ b: Batch) -> (items: [Int64?], users: [Int64?]) {
            let ik = b.itemSide.index(ofKey: "item")!, uk = b.userSide.unique.index(ofKey: "user")!
            return ((0..<b.size).map { b.itemSide.bag(key: ik, sample: $0).first },
                    b.userSide.inverse.map { b.userSide.unique.bag(key: uk, sample: Int($0)).first })
        }
        func rates(_ keys: [Int64?], _ labels: [Float]) -> [Int64: Double] {
            var pos: [Int64: Double] = [:], n: [Int64: Double] = [:]
            for (k, l) in zip(keys, labels) { if let k { pos[k, default: 0] += Double(l); n[k, default: 0] += 1 } }
            return pos.merging(n) { positives, count in positives / count }
        }
        func logit(_ p: Double) -> Double { let q = min(max(p, 1e-4), 1 - 1e-4); return log(q / (1 - q)) }
        let (ti, tu) = ids(train), (ei, eu) = ids(eval)
        let itemRate = rates(ti, train.labels), userRate = rates(tu, train.labels)
        let base = train.labels.reduce(0.0) { $0 + Double($1) } / Double(train.size)
        var unseen = 0
        let want = zip(ei, eu).map { i, u -> Double in
            let ur = u.flatMap { userRate[$0] }
            if ur == nil { unseen += 1 }
            return logit(i.flatMap { itemRate[$0] } ?? base) + logit(ur ?? base) - logit(base)
        }
        XCTAssertGreaterThan(unseen, 0, "the source has eval users training never saw")
        XCTAssertLessThan(unseen, eval.size, "and users it saw")
        let got = try BlendBaseline.evaluate(source: source, item: "item", user: "user")
        let oracle = EvalMetrics.compute(logits: want, labels: eval.labels)
        XCTAssertEqual(got.unknownUsers, unseen)
        XCTAssertEqual(got.metrics.auc, oracle.auc, accuracy: 1e-12)
        XCTAssertEqual(got.metrics.logloss, oracle.logloss, accuracy: 1e-12)
        // With the user term dropped for everyone, the blend would be the item's rate alone: a different score.
        let itemOnly = EvalMetrics.compute(logits: ei.map { logit($0.flatMap { itemRate[$0] } ?? base) }, labels: eval.labels)
        XCTAssertNotEqual(got.metrics.logloss, itemOnly.logloss)
        XCTAssertThrowsError(try BlendBaseline.evaluate(source: source, item: "item", user: "item"))
    }
}
