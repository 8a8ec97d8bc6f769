import Collectives
import Tensors
import XCTest
import Federated

final class RuntimeTests: XCTestCase {
    /// K of N without replacement: distinct, reproducible, and uniform over
    /// clients (chi-square over 3000 rounds, 49 degrees of freedom; the 0.1 %
    /// critical value is 85.35).
    func testSamplingIsUniformAndReproducible() {
        let n = 50, k = 10, rounds = 3000
        var counts = [Int](repeating: 0, count: n)
        for r in 0..<rounds {
            let s = ClientSampler.sample(k, of: n, seed: 5, round: r)
            XCTAssertEqual(Set(s).count, k)
            XCTAssertEqual(s, ClientSampler.sample(k, of: n, seed: 5, round: r))
            for c in s { counts[c] += 1 }
        }
        let expected = Double(rounds * k) / Double(n)
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        XCTAssertLessThan(chi2, 85.35)
        XCTAssertNotEqual(ClientSampler.sample(k, of: n, seed: 5, round: 1), ClientSampler.sample(k, of: n, seed: 6, round: 1))
        // O(K) for a huge population, and within range.
        let big = ClientSampler.sample(100, of: 1_000_000, seed: 1, round: 3)
        XCTAssertEqual(Set(big).count, 100)
        XCTAssertTrue(big.allSatisfy { $0 >= 0 && $0 < 1_000_000 })
    }

    /// The server's noise has std noise_multiplier * clip / m; clipping bounds every update.
    func testDPNoiseScaleAndClipping() {
        let dp = CentralDP(clip: 2, noiseMultiplier: 1.5, delta: 1e-5)
        let n = 200_000
        var x = [Float](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { dp.addNoise($0.baseAddress!, count: n, updates: 5, seed: 3, round: 1) }
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(n)
        let std = (x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n)).squareRoot()
        XCTAssertEqual(std, 1.5 * 2 / 5, accuracy: 0.01 * 0.6)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        var rng = StrataRNG(seed: 9)
        for scale in [0.01, 0.5, 3.0, 100.0] {
            var v = (0..<1000).map { _ in Float(scale) * (Float(rng.next() % 2000) / 1000 - 1) }
            let before = v
            let norm0 = v.withUnsafeMutableBufferPointer { dp.clipInPlace($0.baseAddress!, count: 1000) }
            let norm1 = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertLessThanOrEqual(norm1, 2 * (1 + 1e-6))
            if norm0 <= 2 { XCTAssertEqual(v, before) } else { XCTAssertEqual(norm1, 2, accuracy: 1e-4) }
        }
    }

    /// The accountant: q = 1 is the Gaussian mechanism's RDP alpha / (2 sigma^2);
    /// the sampled sum tends to it as q -> 1; epsilon grows with rounds and q.
    func testRDPAccountant() {
        let sigma = 1.3
        for a in [2, 5, 32] {
            XCTAssertEqual(RDPAccountant.logA(q: 1, sigma: sigma, alpha: a), Double(a * a - a) / (2 * sigma * sigma), accuracy: 1e-12)
            XCTAssertEqual(RDPAccountant.logA(q: 1 - 1e-9, sigma: sigma, alpha: a), Double(a * a - a) / (2 * sigma * sigma), accuracy: 1e-5)
        }
        // q = 1, one round: min over alpha of alpha/(2 s^2) + log(1/delta)/(alpha-1).
        var best = Double.infinity
        for a in 2...256 { best = min(best, Double(a) / (2 * sigma * sigma) + log(1e5) / Double(a - 1)) }
        XCTAssertEqual(RDPAccountant.epsilon(q: 1, sigma: sigma, rounds: 1, delta: 1e-5), best, accuracy: 1e-9)
        let e1 = RDPAccountant.epsilon(q: 0.01, sigma: sigma, rounds: 100, delta: 1e-5)
        let e2 = RDPAccountant.epsilon(q: 0.01, sigma: sigma, rounds: 1000, delta: 1e-5)
        let e3 = RDPAccountant.epsilon(q: 0.1, sigma: sigma, rounds: 100, delta: 1e-5)
        XCTAssertLessThan(e1, e2)
        XCTAssertLessThan(e1, e3)
        XCTAssertLessThan(e1, best * 100, "subsampling amplifies privacy")
    }

    /// A client that throws is recorded and left out; the round goes on; a round
    /// with no update says so and leaves the model unchanged.
    func testFailingClientIsDroppedAndRecorded() {
        let source = tinySource(population: 8)
        var cfg = tinyConfig(rounds: 4, k: 8)
        cfg.failingClients = [3, 5]
        let (recs, _) = runFederation(config: cfg, source: source, rounds: 2)
        for r in recs {
            XCTAssertEqual(Set(r.failures.map(\.client)), [3, 5])
            XCTAssertTrue(r.failures.allSatisfy { $0.reason.contains("injected failure") })
            XCTAssertEqual(Set(r.participants), Set([0, 1, 2, 4, 6, 7]))
            XCTAssertFalse(r.noUpdate)
        }
        // Every client's data is corrupt (NaN features): no update, model unchanged.
        cfg.failingClients = []
        let (bad, w) = runFederation(config: cfg, source: CorruptSource(base: source), rounds: 1)
        XCTAssertTrue(bad[0].noUpdate)
        XCTAssertEqual(bad[0].failures.count, 8)
        XCTAssertTrue(bad[0].failures.allSatisfy { $0.reason == "non-finite update" })
        let m = ClientModel(spec: cfg.model.spec(for: source), maxBatch: cfg.maxBatch, seed: cfg.seed)
        XCTAssertEqual(w, m.flat())
    }

    /// Failures cross ranks too: the host reports, the server records.
    func testFailuresAcrossRanks() throws {
        let source = tinySource(population: 8)
        var cfg = tinyConfig(rounds: 1, k: 8)
        cfg.failingClients = [2]
        let recs = try LocalCommunicator.run(worldSize: 3) { comm -> [RoundRecord] in
            let spec = cfg.model.spec(for: source)
            let model = ClientModel(spec: spec, maxBatch: cfg.maxBatch, seed: cfg.seed)
            let engine = RoundEngine(comm: comm, tasks: [DLRMTask(source: source, model: model, seed: 1, failingClients: [2])])
            guard engine.isServer else { engine.serve(); return [] }
            defer { engine.stopHosts() }
            let fed = Federation(name: "fl", config: cfg, source: source, engine: engine, taskIndex: 0,
                                 initial: model.flat(), flopsPerSample: model.flopsPerSample)
            return [fed.round(1, clients: 8, stream: 0)]
        }[0]
        XCTAssertEqual(recs[0].failures.map(\.client), [2])
        XCTAssertEqual(recs[0].participants.count, 7)
        // The ledger saw the round (the model broadcast, packed updates back),
        // fewer bytes than dense updates over device links would be.
        XCTAssertGreaterThan(recs[0].mpiBytes, 0)
        XCTAssertLessThan(recs[0].mpiBytes, recs[0].deviceBytes)
    }

    /// Bad configs are refused naming the key.
    func testBadConfigsAreRefusedByName() {
        var cfg = tinyConfig()
        cfg.clientsPerRound = 41
        XCTAssertThrowsError(try cfg.validate(population: 40)) { XCTAssertEqual(($0 as? FLConfigError)?.key, "clients_per_round") }
        var fel = FELConfig()
        fel.k = 0
        XCTAssertThrowsError(try fel.validate(population: 40)) { XCTAssertEqual(($0 as? FLConfigError)?.key, "fel.k") }
        XCTAssertThrowsError(try Strategy.named("fedsgd")) { e in
            XCTAssertEqual((e as? FLConfigError)?.key, "strategy.name")
            XCTAssertTrue("\(e)".contains("fedsgd"))
        }
        XCTAssertEqual(try Strategy.named("FedAdam"), .fedAdam(eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9))
        cfg = tinyConfig()
        cfg.dp = CentralDP(clip: 0, noiseMultiplier: 1, delta: 1e-5)
        XCTAssertThrowsError(try cfg.validate(population: 40)) { XCTAssertEqual(($0 as? FLConfigError)?.key, "dp.clip") }
    }

    /// The device model: a deadline below every client's time drops them all
    /// as stragglers (no update); without one the round lasts as its slowest.
    func testDeviceModelDeadlineAndLatency() {
        let source = tinySource(population: 20)
        var cfg = tinyConfig(rounds: 1, k: 10)
        var dev = DeviceModel()
        for i in dev.tiers.indices { dev.tiers[i].availability = 1 }
        cfg.device = dev
        let (recs, _) = runFederation(config: cfg, source: source, rounds: 1)
        let r = recs[0]
        XCTAssertEqual(r.participants.count, 10)
        XCTAssertGreaterThan(r.simSeconds, 0)
        XCTAssertGreaterThan(r.simJoules, 0)
        let flops = Double(source.trainCount(client: 0))
            * ClientModel(spec: cfg.model.spec(for: source), maxBatch: 16, seed: 1).flopsPerSample
        let slowest = r.sampled.map { dev.simulate(client: $0, round: 1, flops: flops, downBytes: r.deviceBytes / 20, upBytes: r.deviceBytes / 20).seconds }.max()!
        XCTAssertEqual(r.simSeconds, slowest, accuracy: 1e-9)
        cfg.deadlineSeconds = 1e-9
        let (late, _) = runFederation(config: cfg, source: source, rounds: 1)
        XCTAssertEqual(late[0].stragglers.count, 10)
        XCTAssertTrue(late[0].noUpdate)
    }

    /// k-means finds well-separated blobs; the synthetic source's public
    /// features separate its clusters.
    func testKMeansRecoversClusters() {
        let source = tinySource(population: 400)
        let pts = (0..<400).map { source.publicFeatures(client: $0) }
        let km = KMeans.fit(pts, k: 4, seed: 1)
        var agree = 0
        var map: [Int: [Int: Int]] = [:]
        for c in 0..<400 { map[km.assign(pts[c]), default: [:]][source.cluster(ofUser: c), default: 0] += 1 }
        for (_, m) in map { agree += m.values.max() ?? 0 }
        XCTAssertGreaterThan(Double(agree) / 400, 0.9)
    }

    /// Partitioners: natural clients are one cluster; IID clients mix all;
    /// generation depends only on (seed, client).
    func testPartitionersAndOnDemandClients() throws {
        let nat = tinySource(population: 1_000_000)
        XCTAssertEqual(try nat.data(client: 999_999), try nat.data(client: 999_999))
        XCTAssertEqual(try nat.data(client: 5).train.count + (try nat.data(client: 5).test.count), 32)
        XCTAssertEqual(try nat.data(client: 5).test.count, 3)
        let dir = tinySource(population: 100, partition: .dirichlet(alpha: 0.1))
        let p = dir.dirichlet(alpha: 0.1, client: 3)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertGreaterThan(p.max()!, 0.5, "alpha 0.1 concentrates a client on one cluster")
        let iid = tinySource(population: 100, partition: .iid)
        XCTAssertNil(iid.trueGroup(client: 1))
        XCTAssertNotEqual(try iid.data(client: 1).train, try nat.data(client: 1).train)
    }

    /// FEL end to end on two ranks: leaves, over-arch, baselines, all finite.
    func testFELRunsEndToEnd() throws {
        let source = tinySource(population: 60)
        let (cfg, fel) = tinyFEL()
        let summaries = try LocalCommunicator.run(worldSize: 2) { comm in
            try FELRun.run(comm: comm, config: cfg, fel: fel, source: source, directory: nil)
        }
        let s = try XCTUnwrap(summaries[0]?.fel)
        XCTAssertEqual(s.clusterSizes.reduce(0, +), 60)
        for q in [s.singleFL, s.routedLeaves, s.fel, s.centralized] {
            let q = try XCTUnwrap(q)
            XCTAssertTrue(q.logloss.isFinite && q.auc >= 0 && q.auc <= 1)
        }
    }
}

/// The seams a later strategy uses: its own client selection and server rule.
final class PluggableTests: XCTestCase {
    final class HalfStep: ServerUpdateRule {
        func step(_ w: UnsafeMutablePointer<Float>, delta: UnsafePointer<Float>, count n: Int) {
            for i in 0..<n { w[i] -= 0.5 * delta[i] }
        }
    }

    func testSelectionAndServerRuleArePluggable() throws {
        let source = tinySource(population: 20)
        var cfg = tinyConfig(rounds: 1, k: 3)
        cfg.client.batch = 0
        let comm = LocalCommunicator()
        let model = ClientModel(spec: cfg.model.spec(for: source), maxBatch: 16, seed: cfg.seed)
        let engine = RoundEngine(comm: comm, tasks: [DLRMTask(source: source, model: model, seed: 1)])
        let w0 = model.flat()
        func make() -> Federation {
            Federation(name: "fl", config: cfg, source: source, engine: engine, taskIndex: 0, initial: w0,
                       flopsPerSample: model.flopsPerSample)
        }
        let plain = make(), half = make()
        half.selectClients = { _, _ in [4, 9, 13] }
        plain.selectClients = { _, _ in [4, 9, 13] }
        half.serverRule = HalfStep()
        XCTAssertEqual(half.round(1, clients: 3, stream: 0).participants, [4, 9, 13])
        _ = plain.round(1, clients: 3, stream: 0)
        for i in 0..<w0.count {
            XCTAssertEqual(Double(w0[i] - half.global[i]), 0.5 * Double(w0[i] - plain.global[i]), accuracy: 1e-6)
        }
    }
}
