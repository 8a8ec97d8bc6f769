import Collectives
import FedHetero
import Federated
import Foundation
import Tensors
import XCTest

/// HeteroFL: the sub-model is the full model's leading units, updates go back
/// to their places, and the server averages each parameter over its holders.
final class HeteroFLTests: XCTestCase {
    func fullModel() -> (SyntheticClients, ClientModel) {
        let s = source(population: 60)
        var cfg = smallConfig()
        cfg.model.topHidden = [8, 6]
        return (s, ClientModel(spec: cfg.model.spec(for: s), maxBatch: 32, seed: 3))
    }

    /// A sub-model scores as the full model whose dropped units are cut off
    /// (their outgoing weights zeroed): the gather picks the right entries.
    func testSubModelIsTheFullModelWithItsDroppedUnitsCutOff() throws {
        let (s, full) = fullModel()
        let ratio = 0.5
        let sub = ClientModel(spec: SubModel.spec(full.spec, ratio: ratio), maxBatch: 32, seed: 9)
        XCTAssertEqual(sub.spec.top, [4, 3, 1])
        let map = SubModel(full: full.spec, ratio: ratio, fullDense: full.dense.layout, subDense: sub.dense.layout,
                           tables: full.tables.count)
        XCTAssertEqual(map.index.count, sub.parameterCount)
        XCTAssertEqual(Set(map.index).count, map.index.count, "no full parameter is used twice")
        var w = full.flat()
        // Cut units 4..7 of hidden layer 0 and 3..5 of layer 1: zero the weights that read them.
        let l1 = full.dense.layout.entry(named: "top.1.weight")!, l2 = full.dense.layout.entry(named: "top.2.weight")!
        for o in 0..<l1.shape[0] { for i in 4..<l1.shape[1] { w[l1.offset + o * l1.shape[1] + i] = 0 } }
        for o in 0..<l2.shape[0] { for i in 3..<l2.shape[1] { w[l2.offset + o * l2.shape[1] + i] = 0 } }
        w.withUnsafeBufferPointer { full.load(from: $0.baseAddress!) }
        var v = [Float](repeating: 0, count: sub.parameterCount)
        w.withUnsafeBufferPointer { g in v.withUnsafeMutableBufferPointer { map.gather(g.baseAddress!, into: $0.baseAddress!) } }
        v.withUnsafeBufferPointer { sub.load(from: $0.baseAddress!) }
        let data = try s.data(client: 5).train
        let a = full.logits(data), b = sub.logits(data)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // And without the cut the two differ (the test can see a wrong gather).
        let uncut = ClientModel(spec: full.spec, maxBatch: 32, seed: 3)
        XCTAssertGreaterThan(zip(uncut.logits(data), b).map { abs($0 - $1) }.max()!, 1e-4)
    }

    /// A device's packed update lands on its sub-model's places in the full vector.
    func testUpdatesGoBackToTheirPlaces() throws {
        let (s, full) = fullModel()
        let tiers = TierAssignment(tiers: (0..<60).map { UInt8($0 % 3) })
        let task = HeteroTask(source: s, full: full, widths: [0.25, 0.5, 1], tiers: tiers, maxBatch: 32, seed: 1)
        let cfg = ClientRoundConfig(epochs: 1, batch: 0, learningRate: 1)
        let w = full.flat()
        w.withUnsafeBufferPointer { task.beginRound(global: $0.baseAddress!) }
        for client in 0..<3 {
            let map = task.subModels[client % 3]
            let plain = DLRMTask(source: s, model: ClientModel(spec: map.spec, maxBatch: 32, seed: 1), seed: 1)
            var v = [Float](repeating: 0, count: map.index.count)
            w.withUnsafeBufferPointer { g in v.withUnsafeMutableBufferPointer { map.gather(g.baseAddress!, into: $0.baseAddress!) } }
            var a = [Float](repeating: 0, count: w.count), b = a, sa: [Int] = [], sb: [Int] = []
            _ = try w.withUnsafeBufferPointer { g in
                try a.withUnsafeMutableBufferPointer { try task.train(client: client, round: 1, config: cfg, global: g.baseAddress!, payload: [], update: $0.baseAddress!, segments: &sa) }
            }
            _ = try v.withUnsafeBufferPointer { g in
                try b.withUnsafeMutableBufferPointer { try plain.train(client: client, round: 1, config: cfg, global: g.baseAddress!, payload: [], update: $0.baseAddress!, segments: &sb) }
            }
            func unpack(_ p: [Float], _ seg: [Int], count: Int) -> [Float] {
                var out = [Float](repeating: 0, count: count), at = 0
                for k in stride(from: 0, to: seg.count, by: 2) { for i in seg[k]..<(seg[k] + seg[k + 1]) { out[i] = p[at]; at += 1 } }
                return out
            }
            let fullUpdate = unpack(a, sa, count: w.count), subUpdate = unpack(b, sb, count: v.count)
            var expected = [Float](repeating: 0, count: w.count)
            for (j, i) in map.index.enumerated() { expected[i] = subUpdate[j] }
            XCTAssertEqual(fullUpdate, expected, "tier \(client % 3)")
            XCTAssertTrue(subUpdate.contains { $0 != 0 })
            XCTAssertEqual(task.modelSize(of: client).parameters, map.index.count)
        }
        XCTAssertLessThan(task.modelSize(of: 0).parameters, task.modelSize(of: 2).parameters)
        XCTAssertEqual(task.modelSize(of: 2).parameters, full.parameterCount)
    }

    /// Each client adds its own constant to the parameters its model holds.
    final class StampTask: FederatedTask {
        let parameterCount: Int
        let runs: [Int: [Int]]
        init(parameterCount: Int, runs: [Int: [Int]]) { self.parameterCount = parameterCount; self.runs = runs }
        var needsPayload: Bool { false }
        func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>, payload: [Float],
                   update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double) {
            segments = runs[client]!
            let n = stride(from: 1, to: segments.count, by: 2).reduce(0) { $0 + segments[$1] }
            for i in 0..<n { update[i] = Float(client + 1) }
            return (client + 1, 0)
        }
    }

    func testMaskedAggregationAveragesEachParameterOverItsHolders() {
        // Client 0 (weight 1) holds parameters 0..<4, client 1 (weight 2) holds 2..<8 of 10.
        let runs = [0: [0, 4], 1: [2, 6]]
        var cfg = smallConfig(rounds: 1, k: 2)
        cfg.strategy = .fedAvg(serverLR: 1)
        let engine = RoundEngine(comm: LocalCommunicator(), tasks: [StampTask(parameterCount: 10, runs: runs)])
        for masked in [true, false] {
            let fed = Federation(name: "t", config: cfg, source: source(population: 2), engine: engine, taskIndex: 0,
                                 initial: [Float](repeating: 0, count: 10), flopsPerSample: 1)
            fed.selectClients = { _, _ in [0, 1] }
            if masked { fed.coverage = { runs[$0]! } }
            _ = fed.round(1, clients: 2, stream: 0)
            let g = Array(UnsafeBufferPointer(start: fed.global.pointer, count: 10)).map { -$0 }
            // Masked: 0..<2 only client 0 (1); 2..<4 both ((1*1 + 2*2)/3); 4..<8 only client 1 (2); 8..<10 nobody.
            // Plain FedAvg divides everything by the total weight 3.
            let want: [Float] = masked ? [1, 1, 5.0 / 3, 5.0 / 3, 2, 2, 2, 2, 0, 0]
                : [1.0 / 3, 1.0 / 3, 5.0 / 3, 5.0 / 3, 4.0 / 3, 4.0 / 3, 4.0 / 3, 4.0 / 3, 0, 0]
            for (x, y) in zip(g, want) { XCTAssertEqual(x, y, accuracy: 1e-6, masked ? "masked" : "plain") }
        }
    }

    func testAllWidthsOneIsThePlainRun() throws {
        var opt = TierOptimizations()
        opt.heteroWidths = [1, 1, 1]
        let (a, ra, _) = try tieredRun(opt)
        let (b, rb, _) = try tieredRun(TierOptimizations())
        XCTAssertEqual(a.tierAUC, b.tierAUC)
        XCTAssertEqual(a.fl.finalEval, b.fl.finalEval)
        XCTAssertEqual(ra.map { $0["train_loss"] as? Double }, rb.map { $0["train_loss"] as? Double })
        XCTAssertEqual(a.optimization, "heterofl(1.0/1.0/1.0)")
    }

    func testNarrowTiersTrainAndAreEvaluatedOnTheirOwnModels() throws {
        var opt = TierOptimizations()
        opt.heteroWidths = [0.25, 0.5, 1]
        let (summary, recs, _) = try tieredRun(opt, rounds: 4)
        XCTAssertEqual(recs.count, 4)
        XCTAssertTrue(summary.tierAUC.allSatisfy { $0 != nil && $0!.isFinite })
        let (plain, _, _) = try tieredRun(TierOptimizations(), rounds: 4)
        XCTAssertNotEqual(summary.tierAUC, plain.tierAUC, "narrower tiers change the model")
        opt.heteroWidths = [0, 0.5, 1]
        XCTAssertThrowsError(try opt.validate()) { XCTAssertTrue("\($0)".hasPrefix("rf2.heterofl:")) }
    }
}
