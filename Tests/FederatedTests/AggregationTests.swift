import Collectives
import Tensors
import XCTest
import Federated

final class AggregationTests: XCTestCase {
    /// Mean BCE of the model at `w` over `s` (Double), for finite differences.
    func meanLoss(_ m: ClientModel, _ w: [Float], _ s: ClientSamples) -> Double {
        w.withUnsafeBufferPointer { m.load(from: $0.baseAddress!) }
        let z = m.logits(s)
        var l = 0.0
        for (zi, y) in zip(z, s.labels) {
            let zd = Double(zi)
            l += max(zd, 0) - zd * Double(y) + log1p(exp(-abs(zd)))
        }
        return l / Double(s.count)
    }

    /// One client holding all the data, E = 1, full batch: the server's model is
    /// one gradient-descent step on the mean loss (checked against central
    /// finite differences of that loss at dense and embedding coordinates).
    func testOneClientFullBatchIsCentralGradientDescent() throws {
        let source = tinySource(population: 1, samples: 48)
        var cfg = tinyConfig(rounds: 1, k: 1)
        cfg.client = ClientRoundConfig(epochs: 1, batch: 0, learningRate: 0.5)
        let (recs, w1) = runFederation(config: cfg, source: source, rounds: 1)
        XCTAssertEqual(recs[0].participants, [0])
        let m = ClientModel(spec: cfg.model.spec(for: source), maxBatch: cfg.maxBatch, seed: cfg.seed)
        let w0 = m.flat()
        let data = try source.data(client: 0).train
        // Coordinates: some dense ones, and rows of items the client used.
        var coords = Array(stride(from: 0, to: m.denseCount, by: max(1, m.denseCount / 12)))
        for i in 0..<4 { coords.append(m.denseCount + Int(data.ids[2 * i]) * cfg.model.dim + i % cfg.model.dim) }
        let h: Float = 1e-2
        for i in coords {
            var plus = w0, minus = w0
            plus[i] += h; minus[i] -= h
            let g = (meanLoss(m, plus, data) - meanLoss(m, minus, data)) / Double(2 * h)
            let stepped = Double(w0[i]) - 0.5 * g
            XCTAssertEqual(Double(w1[i]), stepped, accuracy: 2e-3 + 0.02 * abs(Double(w1[i] - w0[i])), "coordinate \(i)")
        }
        // And the whole vector equals the client's own full-batch step.
        var update = [Float](repeating: 0, count: m.parameterCount)
        w0.withUnsafeBufferPointer { g in
            update.withUnsafeMutableBufferPointer { u in
                _ = m.trainFull(from: g.baseAddress!, data: data, epochs: 1, batch: 0, learningRate: 0.5, proximalMu: 0,
                            shuffleSeed: nil, update: u.baseAddress!)
            }
        }
        for i in w0.indices { XCTAssertEqual(w1[i], w0[i] - update[i], accuracy: 1e-6) }
    }

    /// FedAvg of K identical clients equals one of them.
    func testFedAvgOfIdenticalClientsEqualsOne() throws {
        let base = tinySource()
        let source = ReplicatedSource(base: base, population: 10)
        var cfg = tinyConfig(rounds: 2, k: 1)
        cfg.client = ClientRoundConfig(epochs: 2, batch: 8, learningRate: 0.2)
        // The shuffle is keyed by (round, client): pin it by giving every client the same order.
        let (_, one) = runFederation(config: cfg, source: source, rounds: 2)
        cfg.clientsPerRound = 5
        let (_, five) = runFederation(config: cfg, source: source, rounds: 2)
        // Clients differ only in their shuffle, so compare with full batches, where order cannot matter.
        cfg.client.batch = 0
        cfg.clientsPerRound = 1
        let (_, oneFull) = runFederation(config: cfg, source: source, rounds: 2)
        cfg.clientsPerRound = 5
        let (_, fiveFull) = runFederation(config: cfg, source: source, rounds: 2)
        for i in oneFull.indices { XCTAssertEqual(oneFull[i], fiveFull[i], accuracy: 2e-6) }
        XCTAssertNotEqual(one, five, "mini-batch clients with different shuffles should differ")
    }

    /// The server weights each update by its client's sample count.
    func testAggregationWeightsBySampleCount() throws {
        let source = tinySource(population: 6, samples: 40, spread: 0.8)
        var cfg = tinyConfig(rounds: 1, k: 3)
        cfg.client = ClientRoundConfig(epochs: 1, batch: 0, learningRate: 0.3)
        let (recs, w1) = runFederation(config: cfg, source: source, rounds: 1)
        let clients = recs[0].participants
        let counts = clients.map { source.trainCount(client: $0) }
        XCTAssertGreaterThan(Set(counts).count, 1, "the spread should give different sample counts")
        let m = ClientModel(spec: cfg.model.spec(for: source), maxBatch: cfg.maxBatch, seed: cfg.seed)
        let w0 = m.flat()
        var expected = [Double](repeating: 0, count: w0.count)
        let total = Double(counts.reduce(0, +))
        for (c, n) in zip(clients, counts) {
            var u = [Float](repeating: 0, count: w0.count)
            let data = try source.data(client: c).train
            XCTAssertEqual(data.count, n)
            w0.withUnsafeBufferPointer { g in
                u.withUnsafeMutableBufferPointer { _ = m.trainFull(from: g.baseAddress!, data: data, epochs: 1, batch: 0, learningRate: 0.3,
                                                                proximalMu: 0, shuffleSeed: nil, update: $0.baseAddress!) }
            }
            for i in u.indices { expected[i] += Double(n) / total * Double(u[i]) }
        }
        for i in w0.indices { XCTAssertEqual(Double(w1[i]), Double(w0[i]) - expected[i], accuracy: 2e-6) }
        // Unweighted mean would differ measurably.
        XCTAssertEqual(recs[0].samples, Int(total))
    }

    /// A seeded run gives the same final model bytes on 1, 2 and 4 ranks.
    func testSeededRunRepeatsOnAnyWorldSize() throws {
        let source = tinySource()
        var cfg = tinyConfig(rounds: 3, k: 5)
        cfg.device = DeviceModel()
        let one = try runFL(ranks: 1, config: cfg, source: source)
        let two = try runFL(ranks: 2, config: cfg, source: source)
        let four = try runFL(ranks: 4, config: cfg, source: source)
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, four)
        XCTAssertEqual(try runFL(ranks: 2, config: cfg, source: source), two)
    }

    /// The adaptive server optimizers follow Reddi et al.'s formulas for one step.
    func testServerOptimizerFormulas() {
        let delta: [Float] = [0.5, -0.25, 0]
        for strategy in [Strategy.fedAdam(eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3),
                         .fedYogi(eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3),
                         .fedAdagrad(eta: 0.1, beta1: 0, tau: 1e-3)] {
            let opt = ServerOptimizer(strategy: strategy, parameters: 3)
            var w: [Float] = [1, 1, 1]
            w.withUnsafeMutableBufferPointer { wp in delta.withUnsafeBufferPointer { opt.step(wp.baseAddress!, delta: $0.baseAddress!, count: 3) } }
            for i in 0..<3 {
                let d = -Double(delta[i])
                let expected: Double
                switch strategy {
                case .fedAdam: expected = 1 + 0.1 * (0.1 * d) / ((0.01 * d * d).squareRoot() + 1e-3)
                case .fedYogi: expected = 1 + 0.1 * (0.1 * d) / ((0.01 * d * d).squareRoot() + 1e-3)  // v0 = 0: sign(0 - d^2) = -1
                default: expected = 1 + 0.1 * d / ((d * d).squareRoot() + 1e-3)
                }
                XCTAssertEqual(Double(w[i]), expected, accuracy: 1e-5, "\(strategy.name) coordinate \(i)")
            }
        }
    }

    /// FedProx's proximal term keeps a client closer to the global model.
    func testFedProxShrinksTheUpdate() throws {
        let source = tinySource()
        let m = ClientModel(spec: tinyConfig().model.spec(for: source), maxBatch: 16, seed: 3)
        let w0 = m.flat()
        let data = try source.data(client: 1).train
        func norm(mu: Float) -> Double {
            var u = [Float](repeating: 0, count: w0.count)
            w0.withUnsafeBufferPointer { g in
                u.withUnsafeMutableBufferPointer { _ = m.trainFull(from: g.baseAddress!, data: data, epochs: 5, batch: 4, learningRate: 0.2,
                                                                proximalMu: mu, shuffleSeed: 1, update: $0.baseAddress!) }
            }
            return u.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
        }
        XCTAssertLessThan(norm(mu: 2), 0.9 * norm(mu: 0))
    }
}
