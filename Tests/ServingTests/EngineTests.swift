import Data
import Foundation
import Serving
import ServingTestSupport
import Training
import XCTest

/// The served scores are the trainer's eval forward: a 2-rank row_wise run's
/// checkpoint merged into one process scores every request as a 1-rank
/// trainer restored from the same checkpoint does: bit for bit when the
/// served batch is the trainer's batch; within 2e-6 relative (a few ulps)
/// when sub-batches, instances or threads cut it into other GEMM shapes
/// (OpenBLAS's kernels round differently by matrix size; measured: <= 2 ulp).
final class EngineTests: XCTestCase {
    func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > 2e-6 * max(1, abs(y)) {
            XCTFail("\(what): [\(i)] \(x) vs \(y)", file: file, line: line)
        }
    }

    func assertServedEqualsTrainer(encoder: EncoderChoice) throws {
        let dir = try ServingFixtures.temporaryDirectory("engine")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ServingFixtures.config(encoder: encoder)
        try ServingFixtures.train(config, ranks: 2, into: dir)
        let trainer = try ServingFixtures.restoredTrainer(config, dir: dir)
        let served = try ServedModel.trained(runDirectory: dir, memoryBudgetBytes: 0)
        let batch = trainer.data.source.batch(globalStart: 0, count: 24, split: .eval, dedup: true)

        let whole = ScoringService(served: served, config: ServingConfig(instances: 1, threads: 1, subBatch: 0), maxCandidates: 64)
        let split = ScoringService(served: served, config: ServingConfig(instances: 2, threads: 2, subBatch: 5), maxCandidates: 64)
        defer { whole.shutdown(); split.shutdown() }
        var compared = 0
        for u in [0, 7, 13] {
            // One user's context scoring every candidate of the batch, and each sample alone.
            let everyone = Array(0..<batch.size)
            let request = try served.decodeRequest(ServingFixtures.body(ServingFixtures.requestJSON(batch, user: u, candidates: everyone)),
                                                   limits: RequestLimits())
            let expected = trainer.evalLogits(try ServingFixtures.oracleBatch(batch, user: u, candidates: everyone))
            let a = try whole.scoreBlocking(request), b = try split.scoreBlocking(request)
            XCTAssertEqual(a, expected, "\(encoder): user \(u), whole request")
            assertClose(b, expected, "\(encoder): user \(u), sub-batches of 5 on 2 instances x 2 threads")
            let alone = try served.decodeRequest(ServingFixtures.body(ServingFixtures.requestJSON(batch, user: u, candidates: [u])),
                                                 limits: RequestLimits())
            XCTAssertEqual(try whole.scoreBlocking(alone), trainer.evalLogits(try ServingFixtures.oracleBatch(batch, user: u, candidates: [u])),
                           "\(encoder): user \(u) alone")
            compared += expected.count + 1
        }
        XCTAssertEqual(compared, 3 * 25)
    }

    func testServedScoresEqualTheTrainersEvalForwardAttention() throws {
        try assertServedEqualsTrainer(encoder: .attention)
    }

    func testServedScoresEqualTheTrainersEvalForwardTargetAttention() throws {
        try assertServedEqualsTrainer(encoder: .targetAttention)
    }

    func testTheSameRequestsAsTheDataSourcesOwnBatchScoreAsTheEvalForward() throws {
        // The data's own eval batch (samples of several users, dedup): each sample alone as a request.
        let dir = try ServingFixtures.temporaryDirectory("engine-own")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ServingFixtures.config(encoder: .attention)
        try ServingFixtures.train(config, ranks: 2, into: dir)
        let trainer = try ServingFixtures.restoredTrainer(config, dir: dir)
        let served = try ServedModel.trained(runDirectory: dir, memoryBudgetBytes: 0)
        let batch = trainer.data.source.batch(globalStart: 30, count: 20, split: .eval, dedup: true)
        let expected = trainer.evalLogits(batch)
        let service = ScoringService(served: served, config: ServingConfig(instances: 1, threads: 2, subBatch: 1), maxCandidates: 8)
        defer { service.shutdown() }
        for s in 0..<batch.size {
            let r = try served.decodeRequest(ServingFixtures.body(ServingFixtures.requestJSON(batch, user: s, candidates: [s])),
                                             limits: RequestLimits())
            // Batch of 1 against the trainer's batch of 20: other GEMM shapes.
            assertClose(try service.scoreBlocking(r), [expected[s]], "sample \(s)")
        }
    }

    /// A service dropped without `shutdown` (a server that failed to bind)
    /// must end its instance and team threads, not leave them reading a
    /// freed service (it crashed about one run in two before the threads
    /// owned their queue).
    func testAServiceDroppedWithoutShutdownEndsItsThreadsCleanly() throws {
        let served = try ServingFixtures.tinyModel()
        for _ in 0..<40 {
            _ = ScoringService(served: served, config: ServingConfig(instances: 2, threads: 2, subBatch: 0), maxCandidates: 16)
        }
        // A dropped service still answers what it admitted.
        var service: ScoringService? = ScoringService(served: served, config: ServingConfig(instances: 1, threads: 2, subBatch: 2), maxCandidates: 16)
        let body = RequestGenerator(served: served, lookups: 1, historyLength: 4).body(candidates: 8, seed: 1, index: 0)
        let request = try served.decodeRequest(body, limits: RequestLimits())
        let answered = DispatchSemaphore(value: 0)
        XCTAssertTrue(service!.submit(request) { result in
            if case .success(let logits) = result, logits.count == 8 { answered.signal() }
        })
        service = nil
        XCTAssertEqual(answered.wait(timeout: .now() + 30), .success)
    }

    func testACheckpointOverTheMemoryBudgetIsRefusedWithItsSize() throws {
        let dir = try ServingFixtures.temporaryDirectory("engine-budget")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ServingFixtures.config(encoder: .mean)
        try ServingFixtures.train(config, ranks: 2, into: dir)
        XCTAssertThrowsError(try ServedModel.trained(runDirectory: dir, memoryBudgetBytes: 1000)) { error in
            XCTAssertTrue("\(error)".contains("bytes") && "\(error)".contains("memory budget is 1000"), "\(error)")
        }
    }
}
