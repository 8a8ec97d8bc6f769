import Collectives
import Federated
import XCTest

/// Epoch sampling: every client exactly once per epoch, K at a time, seeded.
final class EpochSamplingTests: XCTestCase {
    func federation(population: Int, k: Int, sampling: ClientSampling, seed: UInt64 = 3) -> Federation {
        var c = FederationConfig()
        c.seed = seed
        c.clientsPerRound = k
        c.sampling = sampling
        let s = tinySource(population: population)
        let model = ClientModel(spec: c.model.spec(for: s), maxBatch: 8, seed: 1)
        let engine = RoundEngine(comm: LocalCommunicator(), tasks: [DLRMTask(source: s, model: model, seed: 1)])
        return Federation(name: "t", config: c, source: s, engine: engine, taskIndex: 0, initial: model.flat(),
                          flopsPerSample: 1)
    }

    func testEveryClientOncePerEpoch() {
        let fed = federation(population: 23, k: 5, sampling: .epoch)
        // 23 clients at 5 a round: epochs of 5 rounds (5, 5, 5, 5, 3).
        for epoch in 0..<3 {
            var seen: [Int] = []
            for j in 0..<5 {
                let picks = fed.sample(round: epoch * 5 + j + 1, count: 5, stream: 0)
                XCTAssertEqual(picks.count, j == 4 ? 3 : 5)
                seen += picks
            }
            XCTAssertEqual(seen.sorted(), Array(0..<23), "epoch \(epoch)")
        }
        // Epochs are different permutations; the same seed repeats them.
        let e0 = (1...5).flatMap { fed.sample(round: $0, count: 5, stream: 0) }
        let e1 = (6...10).flatMap { fed.sample(round: $0, count: 5, stream: 0) }
        XCTAssertNotEqual(e0, e1)
        let again = federation(population: 23, k: 5, sampling: .epoch)
        XCTAssertEqual((1...5).flatMap { again.sample(round: $0, count: 5, stream: 0) }, e0)
        // Uniform draws rounds independently: some client repeats within 5 rounds.
        let uniform = federation(population: 23, k: 5, sampling: .uniform)
        let u = (1...5).flatMap { uniform.sample(round: $0, count: 5, stream: 0) }
        XCTAssertLessThan(Set(u).count, 23)
    }
}
