import Collectives
import Model
import Training
import XCTest

/// llm.c's golden trajectory: the first 10 losses of a tiny fixed config on one
/// process, pinned. A change to data, init, model, embeddings or optimizers that
/// moves any of them shows here (relative 1e-5). If the change is intended,
/// rerun, check the new losses still fall, and paste them.
final class GoldenLossTests: XCTestCase {
    static let expected: [Double] = [0.712853495, 0.718769773, 0.723893038, 0.665314992, 0.625446892,
                                       0.695018133, 0.617117119, 0.594158427, 0.630700747, 0.510394001]

    func testFirstTenLosses() throws {
        try check(gemm: nil)
    }

    /// Every dense GEMM on oneDNN fp32: the same trajectory within the tolerance.
    func testFirstTenLossesOnOneDNN() throws {
        try check(gemm: .onednn)
    }

    func check(gemm: GemmMode?) throws {
        var c = EquivalenceTests.tinyConfig()
        c.run.steps = 10
        c.model.gemm = gemm
        let losses = try LocalCommunicator.run(worldSize: 1) { comm -> [Double] in
            let t = try Trainer(config: c, comm: comm)
            return (0..<c.run.steps).map { _ in t.trainStep() }
        }[0]
        print("golden losses: [\(losses.map { String(format: "%.9g", $0) }.joined(separator: ", "))]")
        XCTAssertEqual(losses.count, Self.expected.count)
        for (i, (x, y)) in zip(losses, Self.expected).enumerated() {
            XCTAssertEqual(x, y, accuracy: 1e-5 * abs(y), "step \(i + 1): \(losses)")
        }
    }
}
